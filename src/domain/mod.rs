//! The service's vocabulary, below every concern: parsed values (each type can only hold a valid
//! value: parse at the edge, then trust it), the kinds of piece, the sniffing of a file's type,
//! the rule for typed texts, French formatting, and the OPCO's identity.

mod amount;
mod dossier_number;
pub mod french;
mod invoice_number;
pub mod iso_date;
mod kind;
pub mod opco;
mod sha256;
mod siret;
pub mod sniff;
pub mod text;

pub use amount::{Amount, DecimalError, Hours};
pub use dossier_number::DossierNumber;
pub use invoice_number::InvoiceNumber;
pub use kind::DocKind;
pub use sha256::Sha256Hex;
pub use siret::Siret;
