//! The invoice request body as it arrives, before validation: every field optional so that a
//! missing one is reported with its path rather than as a JSON syntax error, and amounts, hours
//! and the VAT rate kept as [`Scalar`]s so that a JSON number is reported too (never read as a
//! float). Unknown fields are refused: a misspelt `meals` must not silently become 0 €.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// `{"date": "2026-11-27", "place": "Paris", "signatory": {…}, "trainees": […],
/// "meals_lodging": "120.00", "travel": "45.60", "other": {…}, "vat": "hors_champ"}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRequest {
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    /// "Fait à …".
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub signatory: Option<SignatoryInput>,
    #[serde(default)]
    pub trainees: Vec<TraineeInput>,
    #[serde(default)]
    pub meals_lodging: Option<Scalar>,
    #[serde(default)]
    pub travel: Option<Scalar>,
    #[serde(default)]
    pub other: Option<OtherInput>,
    /// `hors_champ` (the default), `20`, `10`, `5.5` or `2.1`.
    #[serde(default)]
    pub vat: Option<Scalar>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatoryInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub function: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraineeInput {
    #[serde(default)]
    pub name: Option<String>,
    /// Loaded hourly salary, e.g. `"28.50"`.
    #[serde(default)]
    pub hourly_cost: Option<Scalar>,
    /// Hours of effective presence, e.g. `"21"` or `"7.5"`.
    #[serde(default)]
    pub hours: Option<Scalar>,
}

/// "Autres frais (préciser)".
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherInput {
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub amount: Option<Scalar>,
}

/// A JSON string or number where a decimal string is expected. A number is kept only to be
/// refused with its field's path; its value is never read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    Text(String),
    Number,
}

impl Scalar {
    pub fn text(value: &str) -> Scalar {
        Scalar::Text(value.to_string())
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal string such as \"28.50\"")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Scalar, E> {
        Ok(Scalar::text(value))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(value))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
        Ok(Scalar::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_deserializes() {
        let request: InvoiceRequest = serde_json::from_str(
            r#"{"date": "2026-11-27", "place": "Paris", "signatory": {"name": "Anne Martin", "function": "DRH"},
                "trainees": [{"name": "Paul Durand", "hourly_cost": "28.50", "hours": "21"}],
                "meals_lodging": "120.00", "travel": "45.60", "other": {"label": "Parking", "amount": "0.00"},
                "vat": "hors_champ"}"#,
        )
        .unwrap();
        assert_eq!(request.trainees[0].hourly_cost, Some(Scalar::text("28.50")));
        assert_eq!(request.vat, Some(Scalar::text("hors_champ")));
        assert_eq!(request.other.unwrap().amount, Some(Scalar::text("0.00")));
    }

    #[test]
    fn numbers_are_kept_only_to_be_refused() {
        let request: InvoiceRequest =
            serde_json::from_str(r#"{"trainees": [{"hourly_cost": 28.5, "hours": 21}], "vat": 20}"#).unwrap();
        assert_eq!(request.trainees[0].hourly_cost, Some(Scalar::Number));
        assert_eq!(request.trainees[0].hours, Some(Scalar::Number));
        assert_eq!(request.vat, Some(Scalar::Number));
    }

    #[test]
    fn misspelt_fields_and_other_json_types_are_errors() {
        assert!(serde_json::from_str::<InvoiceRequest>(r#"{"meals": "120.00"}"#).is_err());
        assert!(serde_json::from_str::<InvoiceRequest>(r#"{"travel": true}"#).is_err());
        assert!(serde_json::from_str::<InvoiceRequest>(r#"{"travel": ["1"]}"#).is_err());
        let request: InvoiceRequest = serde_json::from_str(r#"{"travel": null}"#).unwrap();
        assert_eq!(request.travel, None);
    }
}
