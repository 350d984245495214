//! Parsed domain values. Each type can only hold a valid value: parse at the edge, then trust it.

mod amount;
mod dossier_number;
mod sha256;
mod siret;
pub mod text;

pub use amount::{Amount, DecimalError, Hours};
pub use dossier_number::DossierNumber;
pub use sha256::Sha256Hex;
pub use siret::Siret;
