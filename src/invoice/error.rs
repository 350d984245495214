//! Invoice validation errors: one [`FieldError`] per problem, naming the field with a path such as
//! `trainees[1].hours`, with a stable code and an English and a French message; all of them
//! together make an [`InvalidInvoice`].

use std::fmt;

use serde::Serialize;

use super::dates::DateProblem;
use crate::domain::french::format_hours;
use crate::domain::{DecimalError, Hours};

/// One problem with one field, shaped like the problem+json `field`, `code`, `detail`, `detail_fr`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// Stable machine code, e.g. `too_many_decimals`, `above_duration`.
    pub code: &'static str,
    pub detail: String,
    pub detail_fr: String,
}

/// Every problem found in a request, in the order of the fields.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct InvalidInvoice {
    pub errors: Vec<FieldError>,
}

impl InvalidInvoice {
    /// One problem with one field.
    pub(super) fn one(field: &str, problem: Problem) -> InvalidInvoice {
        InvalidInvoice { errors: vec![FieldError::new(field, problem)] }
    }
}

impl fmt::Display for InvalidInvoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid invoice")?;
        for (i, error) in self.errors.iter().enumerate() {
            let separator = if i == 0 { ": " } else { "; " };
            write!(f, "{separator}{}: {}", error.field, error.detail)?;
        }
        Ok(())
    }
}

/// What is wrong with a field; gives the code and both messages.
pub(super) enum Problem {
    Required,
    NotAString,
    Number(DecimalError),
    InvalidDate,
    /// A real date, but not one the invoice may bear.
    Date(DateProblem),
    NoTrainees,
    /// The dossier lists no trainee, so no line can be checked against it.
    DossierWithoutTrainees,
    /// More lines than the dossier has trainees (or than any dossier may have).
    TooManyTrainees(usize),
    /// The trainee already has the line of this index.
    DuplicateTrainee(usize),
    AboveDuration(Hours),
    UnknownTrainee,
    UnknownVatRate,
    MissingVatNumber,
    TooLong(usize),
    Unprintable(char),
}

impl Problem {
    pub(super) fn code(&self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::NotAString => "not_a_string",
            Problem::Number(why) => why.code(),
            Problem::InvalidDate => "invalid_date",
            Problem::Date(why) => why.code(),
            Problem::NoTrainees => "no_trainees",
            Problem::DossierWithoutTrainees => "dossier_without_trainees",
            Problem::TooManyTrainees(_) => "too_many_trainees",
            Problem::DuplicateTrainee(_) => "duplicate_trainee",
            Problem::AboveDuration(_) => "above_duration",
            Problem::UnknownTrainee => "unknown_trainee",
            Problem::UnknownVatRate => "unknown_vat_rate",
            Problem::MissingVatNumber => "missing_vat_number",
            Problem::TooLong(_) => "too_long",
            Problem::Unprintable(_) => "unprintable_character",
        }
    }

    pub(super) fn messages(&self) -> (String, String) {
        let (en, fr) = match self {
            Problem::Required => ("This field is required.", "Ce champ est obligatoire."),
            Problem::NotAString => (
                "Expected a decimal string such as \"28.50\", not a JSON number.",
                "Une chaîne décimale est attendue, par exemple \"28.50\", pas un nombre JSON.",
            ),
            Problem::Number(why) => {
                return (format!("Invalid number: {why}."), format!("Nombre invalide : {}.", why.fr()))
            }
            Problem::InvalidDate => {
                ("Expected a date such as \"2026-11-27\".", "Une date est attendue, par exemple \"2026-11-27\".")
            }
            Problem::Date(why) => return why.messages(),
            Problem::NoTrainees => {
                ("The invoice needs at least one trainee.", "La facture doit compter au moins un stagiaire.")
            }
            Problem::DossierWithoutTrainees => (
                "The dossier lists no trainee: ask your OPCO assistant to add them before invoicing.",
                "Le dossier ne liste aucun salarié : demandez à votre assistant(e) formation de les ajouter avant de facturer.",
            ),
            Problem::TooManyTrainees(max) => return too_many_lines(*max),
            Problem::DuplicateTrainee(first) => return duplicate_line(*first),
            Problem::AboveDuration(max) => {
                return (
                    format!("More hours than the training lasts ({} h).", max.to_text()),
                    format!("Plus d'heures que la durée de la formation ({}\u{a0}h).", format_hours(max.value())),
                )
            }
            Problem::UnknownTrainee => {
                ("This trainee is not one of the dossier's trainees.", "Ce stagiaire ne figure pas dans le dossier.")
            }
            Problem::UnknownVatRate => (
                "Unknown VAT rate: expected \"hors_champ\", \"20\", \"10\", \"5.5\" or \"2.1\".",
                "Taux de TVA inconnu : \"hors_champ\", \"20\", \"10\", \"5.5\" ou \"2.1\" attendu.",
            ),
            Problem::TooLong(max) => {
                return (format!("At most {max} characters."), format!("{max} caractères au plus."))
            }
            Problem::Unprintable(c) => {
                let code = format!("U+{:04X}", *c as u32);
                return (
                    format!("The character {code} cannot be printed on the form."),
                    format!("Le caractère {code} ne peut pas être imprimé sur le formulaire."),
                );
            }
            Problem::MissingVatNumber => (
                "VAT is charged but the employer has no intra-community VAT number.",
                "De la TVA est facturée mais l'employeur n'a pas de numéro de TVA intracommunautaire.",
            ),
        };
        (en.to_string(), fr.to_string())
    }
}

fn too_many_lines(max: usize) -> (String, String) {
    (
        format!("At most {max} lines: one per trainee of the dossier."),
        format!("{max} lignes au plus : une par stagiaire du dossier."),
    )
}

fn duplicate_line(first: usize) -> (String, String) {
    (
        format!("This trainee already has a line (trainees[{first}]): one line per trainee."),
        format!("Ce stagiaire a déjà une ligne (trainees[{first}]) : une ligne par stagiaire."),
    )
}

impl FieldError {
    pub(super) fn new(field: &str, problem: Problem) -> FieldError {
        let (detail, detail_fr) = problem.messages();
        FieldError { field: field.to_string(), code: problem.code(), detail, detail_fr }
    }
}

impl InvalidInvoice {
    /// A 422 `validation_failed` naming the first field at fault and listing every problem.
    ///
    /// A method rather than `From`: the error floor does not know the invoice's errors.
    pub fn into_app_error(self) -> crate::error::AppError {
        let invalid = self;
        let first = invalid.errors.first();
        let mut error = crate::error::AppError::invalid(
            first.map_or("", |e| e.field.as_str()),
            invalid.errors.iter().map(|e| format!("{}: {}", e.field, e.detail)).collect::<Vec<_>>().join("; "),
            invalid.errors.iter().map(|e| format!("{} : {}", e.field, e.detail_fr)).collect::<Vec<_>>().join(" ; "),
        );
        error.errors = serde_json::to_value(&invalid.errors).ok().map(Box::new);
        error
    }
}
