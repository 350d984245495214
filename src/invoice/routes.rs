//! `/api/v1/…/invoices`: preview an invoice (no number used), issue it (a number from the
//! company's one sequence, idempotent with an `Idempotency-Key`), read it, and cancel it with a
//! credit note that takes the next number of the same series.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::accord::Lines;
use super::document::DossierRef;
use super::document::{freeze, TypeCode};
use super::facts::{assistant_of, employer_of, read_request};
use super::issue::{already_credited, issue, Issue, NotIssued};
use super::sql::{self, InvoiceRecord};
use super::{dates, pdf, Computed, InvalidInvoice};
use crate::auth::{Caller, Role};
use crate::dossiers::model::DossierState;
use crate::dossiers::sql::DossierRecord;
use crate::error::{AppError, AppResult};
use crate::input::{Json, Path, Query};
use crate::state::AppState;

/// The largest request body: room for [`MAX_LINES`](super::roster::MAX_LINES) lines with long
/// names; thousands of lines are refused (413) before they are parsed.
pub const MAX_BODY: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/dossiers/{number}/invoices/preview", post(preview_invoice))
        .route("/api/v1/dossiers/{number}/invoices", post(issue_invoice))
        .route("/api/v1/invoices/{number}", get(get_invoice))
        .route("/api/v1/invoices/{number}/pdf", get(get_invoice_pdf))
        .route("/api/v1/invoices/{number}/credit-note", post(credit_invoice))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

#[utoipa::path(post, path = "/api/v1/dossiers/{number}/invoices/preview", tag = "invoices",
    params(("number" = String, Path)), request_body = Object,
    responses((status = 200, body = Object), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn preview_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Json(body): Json<serde_json::Value>,
) -> AppResult<Json<Computed>> {
    let dossier = visible_dossier(&state, &caller, &number).await?;
    let (_, computed) = read_request(&state, &dossier, body).await?;
    Ok(Json(computed))
}

#[utoipa::path(post, path = "/api/v1/dossiers/{number}/invoices", tag = "invoices",
    params(("number" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = Object,
    responses((status = 201, body = InvoiceRecord), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn issue_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> AppResult<(StatusCode, Json<InvoiceRecord>)> {
    require_employer(&caller)?;
    let key = idempotency_key(&headers)?;
    let dossier = visible_dossier(&state, &caller, &number).await?;
    if !matches!(dossier.state, DossierState::Granted | DossierState::Closed) {
        return Err(AppError::conflict(
            "dossier_not_invoiceable",
            "An invoice is issued for a granted or closed dossier only.",
            "Une facture ne s'établit que pour un dossier accordé ou clôturé.",
        ));
    }
    let fingerprint = hex::encode(Sha256::digest(body.to_string()));
    let (invoice, computed) = read_request(&state, &dossier, body.clone()).await?;
    let accord = (Lines::claimed(&computed), Lines::granted(&dossier.fields.costs));
    // Frozen with the invoice: what its PDF prints, whatever changes later. (Read before the
    // transaction: on SQLite the pool has one connection, which the transaction holds.)
    let employer = employer_of(&state, &dossier).await?;
    let assistant = assistant_of(&state, &dossier.company_id).await?;
    let reference = DossierRef { number: dossier.number.clone(), action: dossier.fields.action.clone() };
    let frozen = freeze(body, &invoice, computed, employer, reference, state.config.opco.clone(), assistant);
    let data = serde_json::to_value(&frozen).map_err(|e| AppError::internal(e.into()))?;
    let mut tx = crate::db::begin(&state.db).await?;
    if let Some(key) = &key {
        if let Some(done) = sql::find_by_key(&mut tx, &dossier.company_id, key).await? {
            drop(tx); // SQLite's one connection: free it before the PDF's queries
            return replay(&state, done, &fingerprint).await;
        }
    }
    let computed = &frozen.computed;
    let totals = [&computed.total_ht, &computed.total_tva, &computed.total_ttc].map(|t| format!("{t:.2}"));
    let what = Issue {
        date: invoice.date,
        type_code: TypeCode::Invoice,
        credits: None,
        data: &data,
        totals,
        idempotency_key: key.as_deref(),
        request_sha256: Some(&fingerprint),
        accord: Some(accord),
    };
    let issued = issue(&mut tx, &caller, (&dossier.company_id, &dossier.id), what).await;
    match issued {
        Ok(record) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(with_pdf(&state, record).await)))
        }
        // The same key raced in another request, which won: answer with its invoice.
        Err(NotIssued::SameKey) if key.is_some() => {
            drop(tx);
            let mut tx = crate::db::begin(&state.db).await?;
            let key = key.as_deref().unwrap_or_default();
            let done = sql::find_by_key(&mut tx, &dossier.company_id, key).await?;
            drop(tx);
            match done {
                Some(done) => replay(&state, done, &fingerprint).await,
                None => Err(NotIssued::SameKey.into_app_error()),
            }
        }
        Err(error) => Err(error.into_app_error()),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InvoiceParams {
    /// N° adhérent of the issuing company, when the caller sees several invoices of that number.
    pub company: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/invoices/{number}", tag = "invoices",
    params(("number" = String, Path), InvoiceParams),
    responses((status = 200, body = InvoiceRecord), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)))]
pub async fn get_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Query(params): Query<InvoiceParams>,
) -> AppResult<Json<InvoiceRecord>> {
    Ok(Json(one_invoice(&state, &caller, &number, params.company.as_deref()).await?))
}

/// `{}` or `{"date": "2026-11-28"}`: from the invoice's day to today.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// `YYYY-MM-DD`; today by default.
    pub date: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/invoices/{number}/credit-note", tag = "invoices",
    params(("number" = String, Path), InvoiceParams), request_body = Object,
    responses((status = 201, body = InvoiceRecord), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn credit_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Query(params): Query<InvoiceParams>,
    Json(body): Json<CreditRequest>,
) -> AppResult<(StatusCode, Json<InvoiceRecord>)> {
    require_employer(&caller)?;
    let invoice = one_invoice(&state, &caller, &number, params.company.as_deref()).await?;
    if invoice.credited_by.is_some() {
        return Err(already_credited());
    }
    if invoice.type_code != TypeCode::Invoice {
        return Err(AppError::conflict(
            "not_an_invoice",
            "A credit note cancels an invoice, not another credit note.",
            "Un avoir annule une facture, pas un autre avoir.",
        ));
    }
    let now = time::OffsetDateTime::now_utc();
    let date = dates::credit_note_date(body.date.as_deref(), &invoice.issue_date, now)
        .map_err(InvalidInvoice::into_app_error)?;
    let mut tx = crate::db::begin(&state.db).await?;
    let mut data = sql::data(&mut *tx, &invoice.id).await?;
    pdf::complete_early_data(&mut data, &state.config.opco, &invoice.issue_date);
    // The credit note is signed on its own date.
    data["signed"]["date"] = serde_json::Value::String(date.to_string());
    let what = Issue {
        date,
        type_code: TypeCode::CreditNote,
        credits: Some(&invoice.id),
        data: &data,
        totals: [invoice.total_ht.clone(), invoice.total_tva.clone(), invoice.total_ttc.clone()],
        idempotency_key: None,
        request_sha256: None,
        accord: None,
    };
    let record = issue(&mut tx, &caller, (&invoice.company_id, &invoice.dossier_id), what)
        .await
        .map_err(NotIssued::into_app_error)?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(with_pdf(&state, record).await)))
}

#[utoipa::path(get, path = "/api/v1/invoices/{number}/pdf", tag = "invoices",
    params(("number" = String, Path), InvoiceParams),
    responses((status = 200, description = "The invoice's PDF/A-3b with its Factur-X XML", content_type = "application/pdf"),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn get_invoice_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Query(params): Query<InvoiceParams>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let invoice = one_invoice(&state, &caller, &number, params.company.as_deref()).await?;
    let document_id = pdf::ensure_pdf(&state, &invoice).await?;
    let document = crate::documents::sql::find_visible(&state.db, &caller, &document_id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("invoice {} has no document {document_id}", invoice.id)))?;
    crate::documents::routes::send_document(&state, document, &headers).await
}

/// The invoice with its PDF made and stored; without it (logged) if that fails: the invoice is
/// issued all the same, and its PDF is made again on demand or at the next start.
async fn with_pdf(state: &AppState, mut record: InvoiceRecord) -> InvoiceRecord {
    match pdf::ensure_pdf(state, &record).await {
        Ok(id) => record.document_id = Some(id),
        Err(error) => tracing::error!(invoice = %record.number, error = %error.detail, "invoice PDF not made yet"),
    }
    record
}

/// The answer to a retried request: the invoice it issued, if the body is the same.
async fn replay(
    state: &AppState,
    done: InvoiceRecord,
    fingerprint: &str,
) -> AppResult<(StatusCode, Json<InvoiceRecord>)> {
    if done.request_sha256.as_deref() != Some(fingerprint) {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was used for another request.",
            "Cette clé d'idempotence a déjà servi pour une autre requête.",
        ));
    }
    Ok((StatusCode::CREATED, Json(with_pdf(state, done).await)))
}

async fn visible_dossier(state: &AppState, caller: &Caller, number: &str) -> AppResult<DossierRecord> {
    crate::dossiers::sql::find_visible(&state.db, caller, number).await?.ok_or_else(AppError::dossier_not_found)
}

async fn one_invoice(
    state: &AppState,
    caller: &Caller,
    number: &str,
    company: Option<&str>,
) -> AppResult<InvoiceRecord> {
    let mut found = sql::find_visible(&state.db, caller, number, company).await?;
    match found.len() {
        0 => Err(AppError::new(StatusCode::NOT_FOUND, "invoice_not_found", "No such invoice.", "Facture introuvable.")),
        1 => Ok(found.remove(0)),
        _ => Err(AppError::conflict(
            "ambiguous_invoice_number",
            "Several companies you handle have an invoice of this number: add `company=<n° adhérent>`.",
            "Plusieurs entreprises que vous suivez ont une facture de ce numéro : ajoutez `company=<n° adhérent>`.",
        )),
    }
}

/// Invoices are the employer's own documents: the OPCO's staff read them but never issue them.
fn require_employer(caller: &Caller) -> AppResult<()> {
    match caller.role {
        Role::Employer => Ok(()),
        _ => Err(AppError::forbidden()),
    }
}

fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    match value.to_str().map(str::trim) {
        Ok(key) if (1..=200).contains(&key.len()) => Ok(Some(key.to_string())),
        _ => Err(AppError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 visible ASCII characters.",
            "Idempotency-Key doit compter de 1 à 200 caractères ASCII visibles.",
        )),
    }
}
