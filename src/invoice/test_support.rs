//! Shared test inputs: the example request, and a shortcut from JSON to a valid invoice.

use serde_json::{json, Value};

use super::{validate, DossierFacts, Invoice, InvoiceRequest};

/// The request body of the issue: one trainee, 28.50 € × 21 h, meals 120.00, travel 45.60.
pub fn request() -> Value {
    json!({
        "date": "2026-11-27", "place": "Paris",
        "signatory": {"name": "Anne Martin", "function": "Directrice des ressources humaines"},
        "trainees": [{"name": "Paul Durand", "hourly_cost": "28.50", "hours": "21"}],
        "meals_lodging": "120.00", "travel": "45.60", "other": {"label": "", "amount": "0.00"},
        "vat": "hors_champ"
    })
}

/// Facts that accept any trainee (once), hours and date from 2000 to 2099, with an employer VAT
/// number.
pub fn lenient_facts() -> DossierFacts<'static> {
    DossierFacts { employer_vat_number: Some("FR40303265045"), ..DossierFacts::default() }
}

pub fn parse(body: Value) -> InvoiceRequest {
    serde_json::from_value(body).expect("a well-formed request body")
}

/// The valid invoice for `body`; panics, listing the problems, when it is not valid.
pub fn invoice(body: Value) -> Invoice {
    validate(&parse(body), &lenient_facts()).unwrap_or_else(|e| panic!("{e}"))
}
