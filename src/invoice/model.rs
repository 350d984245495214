//! A valid invoice request: what [`validate`](super::validate::validate) returns and
//! [`compute`](super::compute::compute) reads. Names are trimmed, amounts and hours are parsed
//! domain values, absent costs are zero, and the VAT regime is known.

use time::Date;

use super::vat::VatRegime;
use crate::domain::{Amount, Hours};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// The invoice date ("Fait à … le …").
    pub date: Date,
    /// "Fait à …".
    pub place: String,
    pub signatory: Signatory,
    /// At least one.
    pub trainees: Vec<Trainee>,
    /// Frais de restauration et d'hébergement.
    pub meals_lodging: Amount,
    /// Frais de déplacement.
    pub travel: Amount,
    /// Autres frais.
    pub other: OtherCosts,
    pub vat: VatRegime,
}

/// Who signs the certification paragraph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signatory {
    pub name: String,
    /// May be empty.
    pub function: String,
}

/// One line of the remuneration table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trainee {
    pub name: String,
    /// Loaded hourly salary (salaire horaire chargé).
    pub hourly_cost: Amount,
    /// Hours of effective presence.
    pub hours: Hours,
}

/// "Autres frais (préciser)": the label is empty only when the amount is zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherCosts {
    pub label: String,
    pub amount: Amount,
}
