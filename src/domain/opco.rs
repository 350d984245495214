//! The OPCO's identity (the buyer on every invoice), from the configuration.

use serde::{Deserialize, Serialize};

/// The OPCO (the buyer), from the configuration (`--opco-*`).
#[derive(clap::Args, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opco {
    /// The OPCO's name, as printed on invoices.
    #[arg(long = "opco-name", env = "PIECES_OPCO_NAME", default_value = "AKTO")]
    pub name: String,
    /// Its street address.
    #[arg(long = "opco-address", env = "PIECES_OPCO_ADDRESS", default_value = "47 rue de la Victoire")]
    pub address: String,
    #[arg(long = "opco-postcode", env = "PIECES_OPCO_POSTCODE", default_value = "75009")]
    pub postcode: String,
    #[arg(long = "opco-city", env = "PIECES_OPCO_CITY", default_value = "Paris")]
    pub city: String,
    /// Its SIREN (9 digits): set the OPCO's own.
    #[arg(long = "opco-siren", env = "PIECES_OPCO_SIREN", default_value = "853000992")]
    pub siren: String,
    /// Its intra-community VAT number: set the OPCO's own.
    #[arg(long = "opco-vat-number", env = "PIECES_OPCO_VAT_NUMBER", default_value = "FR10853000992")]
    pub vat_number: String,
}

impl Default for Opco {
    fn default() -> Opco {
        Opco {
            name: "AKTO".into(),
            address: "47 rue de la Victoire".into(),
            postcode: "75009".into(),
            city: "Paris".into(),
            siren: "853000992".into(),
            vat_number: "FR10853000992".into(),
        }
    }
}
