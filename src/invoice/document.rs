//! An invoice as its PDF prints it and its Factur-X XML states it. Everything here is frozen with
//! the invoice when it is issued (the `data` column): a company that moves, an assistant who
//! leaves or a dossier that is edited later never changes an issued invoice.

use serde::{Deserialize, Serialize};
use time::Date;

use super::compute::Computed;
use crate::dossiers::model::Action;

/// What an issued invoice keeps besides its number and totals.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Frozen {
    /// The request as it came (for the record).
    pub request: serde_json::Value,
    pub computed: Computed,
    pub employer: Employer,
    pub dossier: DossierRef,
    pub opco: Opco,
    /// The OPCO assistant who handles the company, when there is one.
    pub assistant: Option<Assistant>,
    pub signed: Signed,
}

/// The issuing employer (the seller, in Factur-X terms).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Employer {
    pub name: Option<String>,
    pub legal_form: Option<String>,
    /// N° adhérent.
    pub adherent: Option<String>,
    /// The establishment's SIRET (14 digits); its first 9 are the SIREN.
    pub siret: Option<String>,
    pub vat_number: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
}

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

/// "Assistant(e) AKTO" and "ligne directe".
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Assistant {
    pub name: String,
    pub phone: Option<String>,
}

/// The dossier the invoice is for.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DossierRef {
    pub number: String,
    pub action: Action,
}

/// The certification: "Fait à {place} le {date}", by the signatory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Signed {
    #[serde(with = "iso_date")]
    pub date: Date,
    pub place: String,
    pub name: String,
    pub function: String,
}

/// What is printed and stated about one invoice: its frozen data, and its number and type.
pub struct Printable<'a> {
    /// `None` for a specimen (`pieces invoice render`): no number was used.
    pub number: Option<&'a str>,
    /// `380` (invoice) or `381` (credit note).
    pub type_code: &'a str,
    /// The invoice a credit note cancels.
    pub credits: Option<&'a str>,
    pub issue_date: Date,
    pub frozen: &'a Frozen,
}

impl Printable<'_> {
    pub fn is_credit_note(&self) -> bool {
        self.type_code == "381"
    }
}

/// `YYYY-MM-DD` in JSON.
pub(crate) mod iso_date {
    use serde::{de, Deserialize, Deserializer, Serializer};
    use time::macros::format_description;
    use time::Date;

    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(date)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).ok_or_else(|| de::Error::custom(format!("{text:?} is not a YYYY-MM-DD date")))
    }

    /// `2026-11-27`, trimmed.
    pub fn parse(text: &str) -> Option<Date> {
        Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok()
    }
}
