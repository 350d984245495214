//! An invoice as its PDF prints it and its Factur-X XML states it. Everything here is frozen with
//! the invoice when it is issued (the `data` column): a company that moves, an assistant who
//! leaves or a dossier that is edited later never changes an issued invoice.

use serde::{Deserialize, Serialize};
use time::Date;

use super::compute::Computed;
use super::Invoice;
use crate::domain::opco::Opco;
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

/// What an invoice keeps of its request and of the dossier, company and OPCO at issue.
pub fn freeze(
    request: serde_json::Value,
    invoice: &Invoice,
    computed: Computed,
    employer: Employer,
    dossier: DossierRef,
    opco: Opco,
    assistant: Option<Assistant>,
) -> Frozen {
    Frozen {
        request,
        computed,
        employer,
        dossier,
        opco,
        assistant,
        signed: Signed {
            date: invoice.date,
            place: invoice.place.clone(),
            name: invoice.signatory.name.clone(),
            function: invoice.signatory.function.clone(),
        },
    }
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
    #[serde(with = "crate::domain::iso_date")]
    pub date: Date,
    pub place: String,
    pub name: String,
    pub function: String,
}

/// The document's type (UNTDID 1001), as Factur-X and the `invoices` table write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeCode {
    /// `380`: a commercial invoice.
    Invoice,
    /// `381`: a credit note (avoir).
    CreditNote,
}

impl TypeCode {
    pub fn code(self) -> &'static str {
        match self {
            TypeCode::Invoice => "380",
            TypeCode::CreditNote => "381",
        }
    }

    pub fn parse(code: &str) -> Option<TypeCode> {
        [TypeCode::Invoice, TypeCode::CreditNote].into_iter().find(|t| t.code() == code)
    }
}

impl Serialize for TypeCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// What is printed and stated about one invoice: its frozen data, and its number and type.
pub struct Printable<'a> {
    /// `None` for a specimen (`pieces invoice render`): no number was used.
    pub number: Option<&'a str>,
    pub type_code: TypeCode,
    /// The invoice a credit note cancels.
    pub credits: Option<&'a str>,
    pub issue_date: Date,
    pub frozen: &'a Frozen,
}

impl Printable<'_> {
    pub fn is_credit_note(&self) -> bool {
        self.type_code == TypeCode::CreditNote
    }
}
