//! Recording an invoice or a credit note, in the transaction that takes its number: the company's
//! next number (`FE2026-00001`: the year of its date, then the company's one sequence), a date no
//! earlier than the company's last invoice, for an invoice what the dossier's invoices claim
//! against its accord, and the dossier's history event.

use time::{Date, OffsetDateTime};

use super::accord::{self, Lines};
use super::dates::{self, DateProblem};
use super::document::TypeCode;
use super::error::{InvalidInvoice, Problem};
use super::sql::{self, InvoiceRecord, NewInvoice};
use crate::auth::Caller;
use crate::db::new_id;
use crate::domain::iso_date;
use crate::domain::InvoiceNumber;
use crate::dossiers::history;
use crate::error::{AppError, AppResult};

/// What an invoice or a credit note records, besides its number.
pub struct Issue<'a> {
    pub date: Date,
    pub type_code: TypeCode,
    /// The invoice a credit note cancels.
    pub credits: Option<&'a str>,
    pub data: &'a serde_json::Value,
    pub totals: [String; 3],
    pub idempotency_key: Option<&'a str>,
    pub request_sha256: Option<&'a str>,
    /// An invoice's claims and what the dossier's accord grants; `None` for a credit note.
    pub accord: Option<(Lines, Lines)>,
}

/// Why an invoice or a credit note was not recorded.
#[derive(Debug)]
pub enum NotIssued {
    /// Another request with the same Idempotency-Key recorded its invoice first.
    SameKey,
    /// The invoice already has its credit note.
    AlreadyCredited,
    Failed(AppError),
}

impl From<AppError> for NotIssued {
    fn from(error: AppError) -> NotIssued {
        NotIssued::Failed(error)
    }
}

impl From<sqlx::Error> for NotIssued {
    fn from(error: sqlx::Error) -> NotIssued {
        NotIssued::Failed(error.into())
    }
}

impl NotIssued {
    /// The HTTP answer: a 409 for a key already used or an invoice already credited.
    pub fn into_app_error(self) -> AppError {
        match self {
            NotIssued::SameKey => AppError::conflict("duplicate_key", "Already issued.", "Déjà émise."),
            NotIssued::AlreadyCredited => already_credited(),
            NotIssued::Failed(error) => error,
        }
    }
}

pub fn already_credited() -> AppError {
    AppError::conflict(
        "already_credited",
        "This invoice is already cancelled by a credit note.",
        "Cette facture est déjà annulée par un avoir.",
    )
}

/// Takes the company's next number and records the invoice and its history event, in `tx`.
pub async fn issue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    caller: &Caller,
    (company_id, dossier_id): (&str, &str),
    issue: Issue<'_>,
) -> Result<InvoiceRecord, NotIssued> {
    // The number first: taking it locks the company's counter until the commit, so the checks
    // below see every invoice issued before this one.
    let sequence = sql::next_sequence(tx, company_id).await?;
    not_before_last(tx, company_id, issue.date).await?;
    let above_accord = match issue.accord {
        Some((claimed, granted)) => Some(above_accord(tx, dossier_id, claimed, granted).await?),
        None => None,
    };
    let number = InvoiceNumber::new(issue.date, sequence).to_string();
    let id = new_id();
    let date = issue.date.to_string();
    let new = NewInvoice {
        id: &id,
        company_id,
        dossier_id,
        sequence,
        number: &number,
        type_code: issue.type_code,
        credited_invoice_id: issue.credits,
        issue_date: &date,
        issued_by: &caller.user_id,
        data: issue.data,
        totals: issue.totals,
        idempotency_key: issue.idempotency_key,
        request_sha256: issue.request_sha256,
        above_accord,
    };
    sql::insert(tx, &new).await.map_err(|error| {
        if sql::SAME_KEY.is_violated_by(&error) {
            NotIssued::SameKey
        } else if sql::CREDITED_ONCE.is_violated_by(&error) {
            NotIssued::AlreadyCredited
        } else {
            error.into()
        }
    })?;
    let action = match issue.type_code {
        TypeCode::CreditNote => "credit_note_issued",
        TypeCode::Invoice => "invoice_issued",
    };
    let detail = serde_json::json!({ "number": number, "total_ttc": new.totals[2] });
    history::record(tx, dossier_id, Some(&caller.user_id), action, detail).await?;
    Ok(sql::find_by_id(&mut **tx, &id).await?)
}

/// The numbering is chronological: no date before the company's last invoice (those stored dated
/// after today, before dates were checked, excepted).
async fn not_before_last(tx: &mut sqlx::Transaction<'_, sqlx::Any>, company_id: &str, date: Date) -> AppResult<()> {
    let latest = dates::latest(OffsetDateTime::now_utc()).to_string();
    let last = sql::last_issue_date(tx, company_id, &latest).await?;
    match last.as_deref().and_then(iso_date::parse) {
        Some(last) if date < last => {
            Err(InvalidInvoice::one("date", Problem::Date(DateProblem::BeforeLastInvoice(last))).into_app_error())
        }
        _ => Ok(()),
    }
}

/// The JSON of what the dossier's invoices, with this one's `claimed`, claim above its accord.
async fn above_accord(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    dossier_id: &str,
    claimed: Lines,
    granted: Lines,
) -> AppResult<String> {
    let earlier = sql::uncancelled_on_dossier(tx, dossier_id).await?;
    let claims = earlier.iter().map(Lines::claimed).chain([claimed]);
    serde_json::to_string(&accord::above(claims, granted)).map_err(|e| AppError::internal(e.into()))
}
