//! The employer's invoice to the OPCO (the "Exemple de facture" of the AKTO guide): the employer
//! claims its trainees' remuneration and their costs back. This part is pure computation, with no
//! I/O: the request as it arrives ([`request`]), its validation against the dossier
//! ([`validate`]: its trainees in [`roster`], the days it may bear in [`dates`]), the lines and
//! totals to the cent ([`compute`]), what it claims against the dossier's accord ([`accord`]), the
//! VAT regime and its Factur-X category ([`vat`]); French formatting is `domain::french`. Then its output: the data frozen at issue ([`document`]), the Factur-X XML
//! ([`facturx`]) and the PDF ([`print`]); the routes ([`routes`], [`issue`], [`sql`]) and the
//! command-line specimen ([`specimen`]).

pub mod accord;
pub mod compute;
pub mod dates;
pub mod document;
pub mod error;
pub mod facts;
pub mod facturx;
pub mod issue;
pub mod model;
pub mod pdf;
pub mod print;
pub mod request;
pub mod roster;
pub mod routes;
pub mod specimen;
pub mod sql;
pub mod validate;
pub mod vat;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod test_support;

pub use compute::{compute, Computed, OtherLine, TraineeLine};
pub use error::{FieldError, InvalidInvoice};
pub use model::{Invoice, OtherCosts, Signatory, Trainee};
pub use request::InvoiceRequest;
pub use routes::router;
pub use validate::{validate, DossierFacts};
pub use vat::VatRegime;

/// Validates `request` against `facts` and computes it: what a preview returns.
pub fn preview(request: &InvoiceRequest, facts: &DossierFacts) -> Result<Computed, InvalidInvoice> {
    validate(request, facts).map(|invoice| compute(&invoice))
}
