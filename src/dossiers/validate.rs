//! How a dossier's fields are checked and normalised: each field's rule (SIRET with its key, NDA,
//! postcode, amounts, hours, dates, lengths, trainees), every problem said at once.

use time::macros::format_description;
use time::Date;

use super::model::{Costs, DossierFields, Trainee, MAX_TRAINEES};
use crate::domain::{Amount, DecimalError, Hours, Siret};
use crate::error::{AppError, AppResult};

impl DossierFields {
    /// Checks every field and says what is wrong with each (`AppError::all`), not the first only.
    pub(super) fn normalised(mut self) -> AppResult<DossierFields> {
        let mut problems = Vec::new();
        let mut keep = |checked: AppResult<Option<String>>| {
            checked.unwrap_or_else(|e| {
                problems.push(e);
                None
            })
        };
        self.siret = keep(optional(self.siret, |s| siret("siret", s)));
        let p = &mut self.provider;
        p.siret = keep(optional(p.siret.take(), |s| siret("provider.siret", s)));
        p.nda = keep(optional(p.nda.take(), nda));
        p.postcode = keep(optional(p.postcode.take(), postcode));
        for (field, value, max) in [
            ("provider.name", &mut p.name, 200),
            ("provider.type", &mut p.kind, 100),
            ("provider.address", &mut p.address, 500),
            ("provider.contact", &mut p.contact, 300),
            ("provider.city", &mut p.city, 100),
            ("provider.phone", &mut p.phone, 30),
            ("provider.email", &mut p.email, 254),
            ("action.modules", &mut self.action.modules, 2000),
            ("action.title", &mut self.action.title, 300),
            ("action.cpf_code", &mut self.action.cpf_code, 50),
            ("comment", &mut self.comment, 4000),
        ] {
            *value = keep(optional(value.take(), |s| text(field, s, max)));
        }
        let a = &mut self.action;
        a.hours = keep(optional(a.hours.take(), |s| {
            Hours::parse(&s).map(Hours::to_text).map_err(|why| invalid_number("action.hours", why))
        }));
        let start = date_field("action.start_date", &mut a.start_date).unwrap_or_else(|e| {
            problems.push(e);
            None
        });
        let end = date_field("action.end_date", &mut a.end_date).unwrap_or_else(|e| {
            problems.push(e);
            None
        });
        if let (Some(start), Some(end)) = (start, end) {
            if end < start {
                problems.push(AppError::invalid(
                    "action.end_date",
                    "The training ends before it starts.",
                    "La formation se termine avant de commencer.",
                ));
            }
        }
        self.costs.normalise(&mut problems);
        match trainees(std::mem::take(&mut self.trainees)) {
            Ok(list) => self.trainees = list,
            Err(e) => problems.push(e),
        }
        match AppError::all(problems) {
            Some(error) => Err(error),
            None => Ok(self),
        }
    }
}

impl Costs {
    fn normalise(&mut self, problems: &mut Vec<AppError>) {
        for (field, value) in [
            ("costs.pedagogy", &mut self.pedagogy),
            ("costs.remuneration", &mut self.remuneration),
            ("costs.accommodation", &mut self.accommodation),
            ("costs.meals", &mut self.meals),
            ("costs.transport", &mut self.transport),
            ("costs.tutor_training", &mut self.tutor_training),
            ("costs.training_allowance", &mut self.training_allowance),
            ("costs.misc", &mut self.misc),
            ("costs.engineering", &mut self.engineering),
        ] {
            let checked = optional(value.take(), |s| {
                Amount::parse(&s).map(Amount::to_text).map_err(|why| invalid_number(field, why))
            });
            *value = checked.unwrap_or_else(|e| {
                problems.push(e);
                None
            });
        }
    }
}

/// Applies `check` to a present, non-blank value; blank becomes absent.
fn optional(value: Option<String>, check: impl FnOnce(String) -> AppResult<String>) -> AppResult<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => check(v.trim().to_string()).map(Some),
        _ => Ok(None),
    }
}

fn siret(field: &str, value: String) -> AppResult<String> {
    Siret::parse(&value).map(|s| s.to_string()).map_err(|why| {
        AppError::invalid(
            field,
            format!("Invalid SIRET: {why}."),
            "SIRET invalide : 14 chiffres avec une clé de contrôle correcte.",
        )
    })
}

fn nda(value: String) -> AppResult<String> {
    digits(value, 11).ok_or_else(|| {
        AppError::invalid(
            "provider.nda",
            "The NDA (numéro de déclaration d'activité) has 11 digits.",
            "Le NDA (numéro de déclaration d'activité) comporte 11 chiffres.",
        )
    })
}

fn postcode(value: String) -> AppResult<String> {
    digits(value, 5).ok_or_else(|| {
        AppError::invalid("provider.postcode", "A French postcode has 5 digits.", "Un code postal compte 5 chiffres.")
    })
}

/// `value` without its spaces, if that is `count` digits.
fn digits(value: String, count: usize) -> Option<String> {
    let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == count && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

fn text(field: &str, value: String, max: usize) -> AppResult<String> {
    crate::domain::text::check(field, &value, max, true)?;
    Ok(value)
}

fn invalid_number(field: &str, why: DecimalError) -> AppError {
    AppError::invalid(
        field,
        format!("Invalid number: {why}."),
        "Nombre invalide : une chaîne décimale positive avec deux décimales au plus, par exemple \"2020.00\".",
    )
}

fn date_field(field: &str, value: &mut Option<String>) -> AppResult<Option<Date>> {
    let Some(text) = value.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        *value = None;
        return Ok(None);
    };
    let date = Date::parse(text, format_description!("[year]-[month]-[day]")).map_err(|_| {
        AppError::invalid(field, "Expected a date as YYYY-MM-DD.", "Date attendue au format AAAA-MM-JJ.")
    })?;
    *value = Some(text.to_string());
    Ok(Some(date))
}

fn trainees(list: Vec<Trainee>) -> AppResult<Vec<Trainee>> {
    if list.len() > MAX_TRAINEES {
        return Err(AppError::invalid(
            "trainees",
            format!("At most {MAX_TRAINEES} trainees."),
            format!("{MAX_TRAINEES} stagiaires au plus."),
        ));
    }
    list.into_iter()
        .map(|t| {
            let last_name = text("trainees.last_name", t.last_name.trim().to_string(), 100)?;
            let first_name = text("trainees.first_name", t.first_name.trim().to_string(), 100)?;
            if last_name.is_empty() {
                return Err(AppError::invalid(
                    "trainees.last_name",
                    "A trainee needs a last name.",
                    "Un stagiaire doit avoir un nom.",
                ));
            }
            Ok(Trainee { last_name, first_name })
        })
        .collect()
}
