//! `/api/v1/…/documents`: list a dossier's pieces, read one, correct its kind, and download its
//! bytes (verified against their SHA-256 while they stream). The upload is `upload.rs`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use utoipa::ToSchema;

use super::sql::{self, Document};
use super::DocKind;
use crate::auth::Caller;
use crate::dossiers::routes::load_header as load_dossier;
use crate::error::{AppError, AppResult};
use crate::input::{Json, Path};
use crate::state::AppState;
use crate::storage::StorageError;

/// The routes. An upload's body is bounded as it is read (`Form`, `spool`); the other bodies
/// keep axum's default limit (2 MB).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/dossiers/{number}/documents", get(list_documents).post(super::upload::upload_document))
        .route("/api/v1/documents", get(super::queue::list_queue))
        .route(
            "/api/v1/documents/{id}",
            get(get_document).patch(correct_document).delete(super::remove::delete_document),
        )
        // A draft deleted goes with its pieces: the pieces' concern answers it.
        .route("/api/v1/dossiers/{number}", delete(super::remove::delete_dossier))
        .route("/api/v1/documents/{id}/content", get(download_document))
        .route("/api/v1/documents/{id}/similar", get(super::similar::similar))
}

#[utoipa::path(get, path = "/api/v1/dossiers/{number}/documents", tag = "documents",
    params(("number" = String, Path)),
    responses((status = 200, body = [Document]), (status = 404, body = crate::error::Problem)))]
pub async fn list_documents(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> AppResult<Json<Vec<Document>>> {
    let dossier = load_dossier(&state, &caller, &number).await?;
    Ok(Json(sql::list_for_dossier(&state.db, &dossier.id).await?))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 200, body = Document), (status = 404, body = crate::error::Problem)))]
pub async fn get_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Document>> {
    Ok(Json(load(&state, &caller, &id).await?))
}

/// An assistant's correction of a piece.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentCorrection {
    /// The right kind: it replaces the uploader's, clears `kind_mismatch`, and is learned.
    pub kind: Option<DocKind>,
    /// `false` clears the mismatch flag, keeping the uploader's kind.
    pub kind_mismatch: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path)), request_body = DocumentCorrection,
    responses((status = 200, body = Document), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn correct_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(correction): Json<DocumentCorrection>,
) -> AppResult<Json<Document>> {
    let document = load(&state, &caller, &id).await?;
    if !caller.is_staff() {
        return Err(AppError::forbidden());
    }
    if correction.kind_mismatch == Some(true) {
        return Err(AppError::invalid(
            "kind_mismatch",
            "Only `false` is accepted: the flag is set by the classifier.",
            "Seule la valeur `false` est acceptée : l'alerte est posée par le classement automatique.",
        ));
    }
    if correction.kind.is_none() && correction.kind_mismatch.is_none() {
        return Err(AppError::invalid(
            "kind",
            "Nothing to correct: give `kind` or `kind_mismatch`.",
            "Rien à corriger : indiquez `kind` ou `kind_mismatch`.",
        ));
    }
    let kind = correction.kind.or(document.kind);
    sql::correct_kind(&state.db, &document, kind, &caller.user_id).await?;
    state.search_wake.notify_one();
    if correction.kind.is_some() {
        state.learner.retrain_later(state.db.clone());
    }
    Ok(Json(load(&state, &caller, &id).await?))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/content", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 200, description = "The bytes, verified against their SHA-256 while they stream",
        content_type = "application/octet-stream"), (status = 304), (status = 404, body = crate::error::Problem)))]
pub async fn download_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let document = load(&state, &caller, &id).await?;
    send_document(&state, document, &headers).await
}

/// The bytes of `document` (already checked visible), verified against their SHA-256 as they
/// stream, with an ETag (`304` when the client has them).
pub async fn send_document(state: &AppState, document: Document, headers: &HeaderMap) -> AppResult<Response> {
    send_document_as(state, document, headers, false).await
}

/// The types a browser may show in a page of this site (its own PDF viewer, an image); any other
/// is only ever downloaded.
pub fn shown_inline(mime_type: &str) -> bool {
    matches!(mime_type, "application/pdf" | "image/jpeg" | "image/png")
}

/// The bytes; with `inline`, for a type [`shown_inline`], to be shown in a frame of this site's
/// pages under a policy that lets it run nothing and load nothing else.
pub async fn send_document_as(
    state: &AppState,
    document: Document,
    headers: &HeaderMap,
    inline: bool,
) -> AppResult<Response> {
    let inline = inline && shown_inline(&document.mime_type);
    let id = &document.id;
    let etag = format!("\"{}\"", document.sha256);
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let mut stream =
        state.storage.get_verified(&document.sha256, document.size as u64).await.map_err(|error| match error {
            StorageError::Unavailable(cause) => AppError::storage_unavailable(cause),
            StorageError::NotFound(blob) => {
                AppError::internal(anyhow::anyhow!("integrity: document {id} has no blob {blob}"))
            }
        })?;
    // A small blob is checked whole before the headers go: its corruption is a clean 500.
    let first = match stream.next().await {
        Some(Ok(chunk)) => chunk,
        Some(Err(error)) => {
            return Err(AppError::internal(anyhow::Error::new(error).context(format!("document {id}"))))
        }
        None => Bytes::new(),
    };
    let stream = futures_util::stream::once(async move { Ok(first) }).chain(stream);
    let mut response = Body::from_stream(stream).into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, header_value(&document.mime_type));
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(document.size as u64));
    out.insert(header::ETAG, header_value(&etag));
    let disposition = content_disposition(&document.original_name, &document.mime_type);
    if inline {
        let disposition = disposition.replacen("attachment", "inline", 1);
        out.insert(header::CONTENT_DISPOSITION, header_value(&disposition));
        // Chromium's PDF viewer does not open under `sandbox`; images do, and get it.
        let policy = if document.mime_type == "application/pdf" {
            "default-src 'none'; frame-ancestors 'self'"
        } else {
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
        };
        out.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    } else {
        out.insert(header::CONTENT_DISPOSITION, header_value(&disposition));
    }
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(response)
}

async fn load(state: &AppState, caller: &Caller, id: &str) -> AppResult<Document> {
    sql::find_visible(&state.db, caller, id).await?.ok_or_else(AppError::document_not_found)
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

/// Characters kept as they are in `filename*` (RFC 5987 attr-char).
const ATTR: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>`, with path separators
/// and control characters replaced, and the extension of the real type added when the name lacks
/// it, so a browser saves it under a harmless name (never `facture.exe`).
pub fn content_disposition(name: &str, mime_type: &str) -> String {
    let safe: String =
        name.chars().map(|c| if c.is_control() || matches!(c, '/' | '\\') { '_' } else { c }).take(200).collect();
    let safe = safe.trim_start_matches('.');
    let mut safe = if safe.is_empty() { "document".to_string() } else { safe.to_string() };
    let extensions: &[&str] = match mime_type {
        "application/pdf" => &[".pdf"],
        "image/jpeg" => &[".jpg", ".jpeg"],
        "image/png" => &[".png"],
        "image/tiff" => &[".tif", ".tiff"],
        _ => &[],
    };
    if let Some(first) = extensions.first() {
        if !extensions.iter().any(|e| safe.to_lowercase().ends_with(e)) {
            safe.push_str(first);
        }
    }
    let safe = safe.as_str();
    let ascii: String = safe
        .chars()
        .map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '%' | ';') || c == ' ' { c } else { '_' })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", utf8_percent_encode(safe, ATTR))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_harmless_headers() {
        let header = content_disposition("../../etc/passwd\r\nX-Evil: 1", "application/pdf");
        assert!(HeaderValue::from_str(&header).is_ok());
        assert!(!header.contains('/') && !header.contains('\n'));
        assert_eq!(
            content_disposition("Facture été.pdf", "application/pdf"),
            "attachment; filename=\"Facture _t_.pdf\"; filename*=UTF-8''Facture%20%C3%A9t%C3%A9.pdf"
        );
        assert!(content_disposition(&"a".repeat(500), "application/pdf").len() < 700);
        assert!(content_disposition("facture.exe", "application/pdf").contains("filename=\"facture.exe.pdf\""));
        assert!(content_disposition("SCAN.JPEG", "image/jpeg").contains("filename=\"SCAN.JPEG\""));
    }
}
