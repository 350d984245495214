//! From an [`InvoiceRequest`] to a valid [`Invoice`], checked against what the dossier knows
//! ([`DossierFacts`]). Every problem is reported, not only the first, each naming its field with a
//! path such as `trainees[1].hours` and explained in English and French.

use time::macros::format_description;
use time::Date;

use super::error::{FieldError, InvalidInvoice, Problem};
use super::model::{Invoice, OtherCosts, Signatory, Trainee};
use super::request::{InvoiceRequest, OtherInput, Scalar, SignatoryInput, TraineeInput};
use super::vat::VatRegime;
use crate::domain::{Amount, DecimalError, Hours};

/// What the dossier says, to check the request against. `None` skips the check.
#[derive(Clone, Copy, Debug, Default)]
pub struct DossierFacts<'a> {
    /// The action's duration: no trainee can be invoiced for more hours.
    pub total_hours: Option<Hours>,
    /// The dossier's trainees, compared trimmed and case-insensitively.
    pub trainee_names: Option<&'a [String]>,
    /// The employer's intra-community VAT number, required when VAT is charged.
    pub employer_vat_number: Option<&'a str>,
}

/// The longest text a field of the form may hold.
pub const MAX_TEXT: usize = 200;

/// Checks `request` against `facts`: the valid invoice, or every problem found.
pub fn validate(request: &InvoiceRequest, facts: &DossierFacts) -> Result<Invoice, InvalidInvoice> {
    let mut check = Checker::default();
    match check.invoice(request, facts) {
        Some(invoice) if check.errors.is_empty() => Ok(invoice),
        _ => Err(check.finish()),
    }
}

/// Whether two names are the same trainee: trimmed, case-insensitive.
fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Collects problems; each check returns `None` when its field is unusable.
#[derive(Default)]
struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn push(&mut self, field: &str, problem: Problem) {
        self.errors.push(FieldError::new(field, problem));
    }

    fn finish(self) -> InvalidInvoice {
        InvalidInvoice { errors: self.errors }
    }

    /// Checks every field (all of them, so that every problem is reported), then assembles.
    fn invoice(&mut self, request: &InvoiceRequest, facts: &DossierFacts) -> Option<Invoice> {
        let date = self.date(request.date.as_deref());
        let place = self.required("place", request.place.as_deref());
        let signatory = self.signatory(request.signatory.as_ref());
        let trainees = self.trainees(&request.trainees, facts);
        let meals_lodging = self.optional_amount("meals_lodging", request.meals_lodging.as_ref());
        let travel = self.optional_amount("travel", request.travel.as_ref());
        let other = self.other(request.other.as_ref());
        let vat = self.vat(request.vat.as_ref(), facts.employer_vat_number);
        Some(Invoice {
            date: date?,
            place: place?,
            signatory: signatory?,
            trainees: trainees?,
            meals_lodging: meals_lodging?,
            travel: travel?,
            other: other?,
            vat: vat?,
        })
    }

    fn required(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let value = value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        match &value {
            None => self.push(field, Problem::Required),
            Some(text) => self.printable(field, text),
        }
        value
    }

    /// A text the form prints: at most [`MAX_TEXT`] characters, each one the embedded fonts have
    /// (an issued invoice must always render).
    fn printable(&mut self, field: &str, text: &str) {
        if text.chars().count() > MAX_TEXT {
            self.push(field, Problem::TooLong(MAX_TEXT));
        } else if let Some(c) = text.chars().find(|&c| c.is_control() || !crate::render::is_printable(c)) {
            self.push(field, Problem::Unprintable(c));
        }
    }

    fn date(&mut self, value: Option<&str>) -> Option<Date> {
        let text = self.required("date", value)?;
        let date = Date::parse(&text, format_description!("[year]-[month]-[day]")).ok();
        if date.is_none() {
            self.push("date", Problem::InvalidDate);
        }
        date
    }

    fn signatory(&mut self, input: Option<&SignatoryInput>) -> Option<Signatory> {
        let name = self.required("signatory.name", input.and_then(|s| s.name.as_deref()));
        let function = input.and_then(|s| s.function.as_deref()).unwrap_or_default().trim().to_string();
        self.printable("signatory.function", &function);
        Some(Signatory { name: name?, function })
    }

    fn decimal<T>(
        &mut self,
        field: &str,
        value: Option<&Scalar>,
        parse: fn(&str) -> Result<T, DecimalError>,
    ) -> Option<T> {
        match value {
            None => self.push(field, Problem::Required),
            Some(Scalar::Number) => self.push(field, Problem::NotAString),
            Some(Scalar::Text(text)) => match parse(text) {
                Ok(value) => return Some(value),
                Err(why) => self.push(field, Problem::Number(why)),
            },
        }
        None
    }

    /// An amount that defaults to 0 when absent or blank.
    fn optional_amount(&mut self, field: &str, value: Option<&Scalar>) -> Option<Amount> {
        match value {
            Some(Scalar::Text(text)) if text.trim().is_empty() => Some(Amount::ZERO),
            None => Some(Amount::ZERO),
            Some(_) => self.decimal(field, value, Amount::parse),
        }
    }

    fn trainees(&mut self, inputs: &[TraineeInput], facts: &DossierFacts) -> Option<Vec<Trainee>> {
        if inputs.is_empty() {
            self.push("trainees", Problem::NoTrainees);
            return None;
        }
        let trainees: Vec<Option<Trainee>> =
            inputs.iter().enumerate().map(|(i, input)| self.trainee(i, input, facts)).collect();
        trainees.into_iter().collect()
    }

    fn trainee(&mut self, i: usize, input: &TraineeInput, facts: &DossierFacts) -> Option<Trainee> {
        let path = |leaf: &str| format!("trainees[{i}].{leaf}");
        let name = self.required(&path("name"), input.name.as_deref());
        if let (Some(name), Some(known)) = (&name, facts.trainee_names) {
            if !known.iter().any(|k| same_name(k, name)) {
                self.push(&path("name"), Problem::UnknownTrainee);
            }
        }
        let hourly_cost = self.decimal(&path("hourly_cost"), input.hourly_cost.as_ref(), Amount::parse);
        let hours = self.decimal(&path("hours"), input.hours.as_ref(), Hours::parse);
        if let (Some(hours), Some(max)) = (hours, facts.total_hours) {
            if hours.value() > max.value() {
                self.push(&path("hours"), Problem::AboveDuration(max));
            }
        }
        Some(Trainee { name: name?, hourly_cost: hourly_cost?, hours: hours? })
    }

    /// "Autres frais": absent means none; a non-zero amount needs its "préciser" label.
    fn other(&mut self, input: Option<&OtherInput>) -> Option<OtherCosts> {
        let Some(input) = input else {
            return Some(OtherCosts { label: String::new(), amount: Amount::ZERO });
        };
        let amount = self.optional_amount("other.amount", input.amount.as_ref())?;
        let label = input.label.as_deref().unwrap_or_default().trim().to_string();
        self.printable("other.label", &label);
        if label.is_empty() && amount != Amount::ZERO {
            self.push("other.label", Problem::Required);
        }
        Some(OtherCosts { label, amount })
    }

    fn vat(&mut self, value: Option<&Scalar>, employer_vat_number: Option<&str>) -> Option<VatRegime> {
        let regime = match value {
            Some(Scalar::Text(code)) if !code.trim().is_empty() => VatRegime::from_code(code),
            Some(Scalar::Number) => None,
            _ => Some(VatRegime::default()),
        };
        let Some(regime) = regime else {
            self.push("vat", Problem::UnknownVatRate);
            return None;
        };
        if regime.is_charged() && employer_vat_number.is_none_or(|n| n.trim().is_empty()) {
            self.push("vat", Problem::MissingVatNumber);
        }
        Some(regime)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::invoice::test_support::{lenient_facts, parse, request};

    fn problems(body: serde_json::Value, facts: &DossierFacts) -> Vec<(String, &'static str)> {
        let errors = validate(&parse(body), facts).expect_err("an invalid request").errors;
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    fn pairs(expected: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
        expected.iter().map(|(field, code)| (field.to_string(), *code)).collect()
    }

    #[test]
    fn the_issue_example_is_valid_against_its_dossier() {
        let names = vec!["Paul Durand".to_string(), "Léa Petit".to_string()];
        let facts = DossierFacts {
            total_hours: Some(Hours::parse("21").unwrap()),
            trainee_names: Some(&names),
            employer_vat_number: None,
        };
        let invoice = validate(&parse(request()), &facts).unwrap();
        assert_eq!(invoice.date, time::macros::date!(2026 - 11 - 27));
        assert_eq!(invoice.trainees[0].hourly_cost.to_text(), "28.50");
        assert_eq!(invoice.vat, VatRegime::HorsChamp);
        assert_eq!(invoice.other.amount, Amount::ZERO);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let body = json!({
            "trainees": [
                {"name": "Paul Durand", "hourly_cost": "28.50", "hours": "21"},
                {"name": "Inconnu", "hourly_cost": "12.345", "hours": "40"},
                {"hourly_cost": 28.5, "hours": "-3"}
            ],
            "meals_lodging": "-1", "travel": "1.234", "other": {"amount": "5.00"}, "vat": "19.6"
        });
        let names = vec!["Paul Durand".to_string()];
        let hours = Hours::parse("35").ok();
        let facts = DossierFacts { total_hours: hours, trainee_names: Some(&names), employer_vat_number: None };
        let expected = [
            ("date", "required"),
            ("place", "required"),
            ("signatory.name", "required"),
            ("trainees[1].name", "unknown_trainee"),
            ("trainees[1].hourly_cost", "too_many_decimals"),
            ("trainees[1].hours", "above_duration"),
            ("trainees[2].name", "required"),
            ("trainees[2].hourly_cost", "not_a_string"),
            ("trainees[2].hours", "negative"),
            ("meals_lodging", "negative"),
            ("travel", "too_many_decimals"),
            ("other.label", "required"),
            ("vat", "unknown_vat_rate"),
        ];
        assert_eq!(problems(body, &facts), pairs(&expected));
    }

    #[test]
    fn messages_are_in_english_and_french() {
        let mut body = request();
        body["trainees"][0]["hourly_cost"] = json!(28.5);
        body["trainees"][0]["hours"] = json!("22");
        let facts = DossierFacts { total_hours: Hours::parse("21").ok(), ..lenient_facts() };
        let error = validate(&parse(body), &facts).unwrap_err();
        let [cost, hours] = &error.errors[..] else { panic!("{error}") };
        assert!(cost.detail.contains("not a JSON number"), "{}", cost.detail);
        assert!(cost.detail_fr.contains("pas un nombre JSON"), "{}", cost.detail_fr);
        assert_eq!(hours.detail, "More hours than the training lasts (21 h).");
        assert_eq!(hours.detail_fr, "Plus d'heures que la durée de la formation (21\u{a0}h).");
        assert!(error.to_string().starts_with("invalid invoice: trainees[0].hourly_cost: Expected"));
    }

    #[test]
    fn trainees_match_trimmed_and_case_insensitively() {
        let mut body = request();
        body["trainees"][0]["name"] = json!("  paul DURAND ");
        let names = vec!["Paul Durand".to_string()];
        let facts = DossierFacts { trainee_names: Some(&names), ..lenient_facts() };
        assert_eq!(validate(&parse(body), &facts).unwrap().trainees[0].name, "paul DURAND");
    }

    #[test]
    fn hours_up_to_the_duration_are_accepted() {
        let facts = DossierFacts { total_hours: Hours::parse("21.00").ok(), ..lenient_facts() };
        assert!(validate(&parse(request()), &facts).is_ok());
        let mut body = request();
        body["trainees"][0]["hours"] = json!("21.01");
        assert_eq!(problems(body, &facts), pairs(&[("trainees[0].hours", "above_duration")]));
    }

    #[test]
    fn an_invoice_needs_trainees_and_a_real_date() {
        let mut body = request();
        body["trainees"] = json!([]);
        body["date"] = json!("27/11/2026");
        let expected = [("date", "invalid_date"), ("trainees", "no_trainees")];
        assert_eq!(problems(body, &lenient_facts()), pairs(&expected));
    }

    #[test]
    fn charging_vat_needs_the_employer_vat_number() {
        for number in [None, Some(""), Some("  ")] {
            let mut body = request();
            body["vat"] = json!("20");
            let facts = DossierFacts { employer_vat_number: number, ..lenient_facts() };
            assert_eq!(problems(body, &facts), pairs(&[("vat", "missing_vat_number")]));
        }
        let mut body = request();
        body["vat"] = json!("5.5");
        assert_eq!(validate(&parse(body), &lenient_facts()).unwrap().vat, VatRegime::Reduced);
    }

    #[test]
    fn vat_defaults_to_hors_champ_and_costs_to_zero() {
        let mut body = request();
        let object = body.as_object_mut().unwrap();
        for key in ["vat", "meals_lodging", "travel", "other"] {
            object.remove(key);
        }
        let facts = DossierFacts { employer_vat_number: None, ..lenient_facts() };
        let invoice = validate(&parse(body), &facts).unwrap();
        assert_eq!(invoice.vat, VatRegime::HorsChamp);
        assert_eq!(
            (invoice.meals_lodging, invoice.travel, invoice.other.amount),
            (Amount::ZERO, Amount::ZERO, Amount::ZERO)
        );
        let mut body = request();
        body["vat"] = json!(20);
        assert_eq!(problems(body, &lenient_facts()), pairs(&[("vat", "unknown_vat_rate")]));
    }
}
