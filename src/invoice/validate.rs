//! From an [`InvoiceRequest`] to a valid [`Invoice`], checked against what the dossier knows
//! ([`DossierFacts`]). Every problem is reported, not only the first, each naming its field with a
//! path such as `trainees[1].hours` and explained in English and French.

use time::macros::format_description;
use time::Date;

use super::dates;
use super::error::{FieldError, InvalidInvoice, Problem};
use super::model::{Invoice, OtherCosts, Signatory, Trainee};
use super::request::{InvoiceRequest, OtherInput, Scalar, SignatoryInput, TraineeInput};
use super::roster::{Roster, Unknown, Who, MAX_LINES};
use super::vat::VatRegime;
use crate::domain::{Amount, DecimalError, Hours};
use crate::dossiers::model::Trainee as DossierTrainee;

/// What the dossier says, to check the request against. `None` skips the check.
#[derive(Clone, Copy, Debug, Default)]
pub struct DossierFacts<'a> {
    /// The action's duration: no trainee can be invoiced for more hours.
    pub total_hours: Option<Hours>,
    /// The dossier's trainees: each may have one line, which names them "first last" or "last
    /// first" (see [`Roster`]); a dossier that lists none can have no invoice. `None` when there
    /// is no dossier (a specimen rendered offline): any names, each on one line, up to [`MAX_LINES`].
    pub trainees: Option<&'a [DossierTrainee]>,
    /// The employer's intra-community VAT number, required when VAT is charged.
    pub employer_vat_number: Option<&'a str>,
    /// The training's first day: no invoice is dated before it.
    pub start_date: Option<Date>,
    /// The latest day an invoice may bear: today ([`dates::latest`]).
    pub latest_date: Option<Date>,
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
        let date = self.date(request.date.as_deref(), facts);
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

    /// A real day, from the training's first to today.
    fn date(&mut self, value: Option<&str>, facts: &DossierFacts) -> Option<Date> {
        let text = self.required("date", value)?;
        let Ok(date) = Date::parse(&text, format_description!("[year]-[month]-[day]")) else {
            self.push("date", Problem::InvalidDate);
            return None;
        };
        if let Some(why) = dates::invoice_date_problem(date, facts.start_date, facts.latest_date) {
            self.push("date", Problem::Date(why));
        }
        Some(date)
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

    /// One line per trainee: no more lines than the dossier has trainees, and past [`MAX_LINES`]
    /// none is read.
    fn trainees(&mut self, inputs: &[TraineeInput], facts: &DossierFacts) -> Option<Vec<Trainee>> {
        if inputs.is_empty() {
            self.push("trainees", Problem::NoTrainees);
            return None;
        }
        let roster = Roster::new(facts.trainees);
        if roster.is_empty_list() {
            self.push("trainees", Problem::DossierWithoutTrainees);
            return None;
        }
        if inputs.len() > roster.max_lines() {
            self.push("trainees", Problem::TooManyTrainees(roster.max_lines()));
            if inputs.len() > MAX_LINES {
                return None;
            }
        }
        let mut seen = Vec::with_capacity(inputs.len());
        let trainees: Vec<Option<Trainee>> =
            inputs.iter().enumerate().map(|(i, input)| self.trainee(i, input, facts, &roster, &mut seen)).collect();
        trainees.into_iter().collect()
    }

    fn trainee(
        &mut self,
        i: usize,
        input: &TraineeInput,
        facts: &DossierFacts,
        roster: &Roster,
        seen: &mut Vec<(Who, usize)>,
    ) -> Option<Trainee> {
        let path = |leaf: &str| format!("trainees[{i}].{leaf}");
        let name = self.required(&path("name"), input.name.as_deref());
        if let Some(name) = &name {
            self.identify(&path("name"), name, i, roster, seen);
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

    /// Which of the dossier's trainees the `line`'s `name` is, once: `seen` holds who each earlier
    /// line is for.
    fn identify(&mut self, field: &str, name: &str, line: usize, roster: &Roster, seen: &mut Vec<(Who, usize)>) {
        match roster.who(name, seen) {
            Ok(who) => seen.push((who, line)),
            Err(Unknown::NotListed) => self.push(field, Problem::UnknownTrainee),
            Err(Unknown::Taken(first)) => self.push(field, Problem::DuplicateTrainee(first)),
        }
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
mod tests;
