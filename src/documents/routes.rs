//! `/api/v1/…/documents`: upload a piece to a dossier, list a dossier's pieces, read one, and
//! download its bytes (verified against their SHA-256 while they stream).

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

use super::form::{from_multer, Form};
use super::ingest::check_open;
use super::spool::spool_field;
use super::sql::{self, Document};
use super::{store_piece, DocKind, NewPiece, Spooled};
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
        .route("/api/v1/dossiers/{number}/documents", get(list_documents).post(upload_document))
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

/// The multipart form of an upload: one or more `file` parts (at most `MAX_FILES`, sharing the
/// request's size limit), each described by the `kind`, `title` and `comment` parts sent before
/// it (after the previous `file`). With a single file, they may also follow it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// A piece: PDF, JPEG, PNG or TIFF.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The uploader's kind; it wins over the classifier.
    kind: Option<DocKind>,
    title: Option<String>,
    comment: Option<String>,
}

/// The most `file` parts in one upload request.
pub const MAX_FILES: usize = 20;

/// The answer to an upload of several files: one result per `file` part, in their order.
#[derive(serde::Serialize, ToSchema)]
pub struct UploadResults {
    pub results: Vec<UploadResult>,
}

/// What became of one file: `status` 201 (stored), 200 (these bytes were already attached to
/// this dossier) with the `document`, or the status of its `problem` (nothing stored for it).
#[derive(serde::Serialize, ToSchema)]
pub struct UploadResult {
    pub status: u16,
    /// The file name as sent.
    pub file_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<crate::error::Problem>,
}

/// One file of an upload: its name as sent, and the piece stored (with whether it was already
/// attached) or why it was not.
pub struct Received {
    pub file_name: String,
    pub outcome: AppResult<(Document, bool)>,
}

impl Received {
    pub fn result(self) -> UploadResult {
        match self.outcome {
            Ok((document, duplicate)) => UploadResult {
                status: if duplicate { 200 } else { 201 },
                file_name: self.file_name,
                document: Some(document),
                problem: None,
            },
            Err(error) => {
                if error.status.is_server_error() {
                    error.log_server_error();
                }
                UploadResult {
                    status: error.status.as_u16(),
                    file_name: self.file_name,
                    document: None,
                    problem: Some(error.problem()),
                }
            }
        }
    }
}

#[utoipa::path(post, path = "/api/v1/dossiers/{number}/documents", tag = "documents",
    params(("number" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored (one file)", body = Document),
        (status = 200, description = "These bytes were already attached to this dossier (one file)", body = Document),
        (status = 207, description = "Several files: one result each", body = UploadResults),
        (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
        (status = 415, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
pub async fn upload_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let mut received = receive(&state, &caller, &number, &headers, body, None).await?;
    if received.len() == 1 {
        let (document, duplicate) = received.remove(0).outcome?;
        let status = if duplicate { StatusCode::OK } else { StatusCode::CREATED };
        return Ok((status, Json(document)).into_response());
    }
    let results = received.into_iter().map(Received::result).collect();
    Ok((StatusCode::MULTI_STATUS, Json(UploadResults { results })).into_response())
}

/// The one way pieces come in, for the API and the pages: the dossier of the caller's
/// périmètre, its upload slot, the bounded form, each file spooled and sniffed, then each stored
/// and recorded. With `csrf`, the form's first part must be `csrf` with that value (a page's
/// form). A problem of the whole request (the dossier, the form, its size) is the error; a
/// problem of one file (empty, of a refused type) is that file's result, and the others are
/// stored.
pub async fn receive(
    state: &AppState,
    caller: &Caller,
    number: &str,
    headers: &HeaderMap,
    body: Body,
    csrf: Option<&str>,
) -> AppResult<Vec<Received>> {
    let dossier = load_dossier(state, caller, number).await?;
    check_open(&dossier, caller)?;
    let max = state.config.max_upload;
    if content_length(headers).is_some_and(|length| length > request_limit(max)) {
        return Err(AppError::request_too_large());
    }
    let _slot = state.uploads.take(&caller.user_id).map_err(too_many_uploads)?;
    let mut form = Form::new(headers, body, request_limit(max).saturating_add(DRAIN_ALLOWANCE))?;
    if let Some(expected) = csrf {
        let first = form.next_field().await?;
        let given = match first {
            Some(field) if field.name() == Some("csrf") => small_text("csrf", field, 100, false).await?,
            _ => String::new(),
        };
        if given.is_empty() || given != expected {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "csrf_refused",
                "This form's token is missing or wrong: nothing was stored.",
                "Le jeton de ce formulaire manque ou ne convient pas : rien n'a été enregistré.",
            ));
        }
    }
    let files = read_form(state, &mut form, max).await?;
    let mut received = Vec::with_capacity(files.len());
    for (spooled, piece) in files {
        let file_name = piece.original_name.clone();
        let outcome = match spooled {
            Ok(spooled) => {
                store_piece(state, &dossier, caller, spooled, piece).await.map(|(mut document, duplicate)| {
                    document.duplicate = Some(duplicate);
                    (document, duplicate)
                })
            }
            Err(error) => Err(error),
        };
        received.push(Received { file_name, outcome });
    }
    Ok(received)
}

pub use crate::state::{UPLOADS, UPLOADS_PER_USER};

fn too_many_uploads(busy: crate::slots::Busy) -> AppError {
    let (en, fr) = match busy {
        crate::slots::Busy::Yours => (
            format!("You are already sending {UPLOADS_PER_USER} files: wait until one is received."),
            format!("Vous envoyez déjà {UPLOADS_PER_USER} fichiers : attendez que l'un d'eux soit reçu."),
        ),
        crate::slots::Busy::Everyone => (
            "The service is receiving many files: try again in a moment.".to_string(),
            "Le service reçoit beaucoup de fichiers : réessayez dans un instant.".to_string(),
        ),
    };
    AppError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_uploads", en, fr)
}

/// Bytes past the request's limit still read (and dropped) so that a client sending too much
/// receives the 413 rather than a reset connection (see `spool`).
const DRAIN_ALLOWANCE: u64 = 64 * 1024 * 1024;

/// The files of the form, each spooled (or refused alone: empty, too large, of a refused type)
/// with what describes it.
async fn read_form(state: &AppState, form: &mut Form, max: u64) -> AppResult<Vec<(AppResult<Spooled>, NewPiece)>> {
    let mut files: Vec<(AppResult<Spooled>, NewPiece)> = Vec::new();
    // What the parts since the last file say: the next file's description.
    let mut piece = NewPiece::default();
    let mut described = false;
    while let Some(field) = form.next_field().await? {
        let name = field.name().unwrap_or_default().to_string();
        described |= matches!(name.as_str(), "kind" | "title" | "comment");
        match name.as_str() {
            "file" if files.len() == MAX_FILES => {
                return Err(AppError::bad_request(
                    "too_many_files",
                    format!("At most {MAX_FILES} files per request: nothing was stored."),
                    format!("{MAX_FILES} fichiers au plus par envoi : rien n'a été enregistré."),
                ))
            }
            "file" => {
                let mut described_piece = std::mem::take(&mut piece);
                described = false;
                described_piece.original_name = clean_name(field.file_name().unwrap_or("document"));
                let spooled = match spool_field(&state.config.storage_dir().join("tmp"), field, max).await {
                    Err(error) if matches!(error.code, "empty_file" | "file_too_large" | "unsupported_media_type") => {
                        Err(error)
                    }
                    spooled => Ok(spooled?),
                };
                files.push((spooled, described_piece));
            }
            "kind" => {
                let code = small_text("kind", field, 50, false).await?;
                piece.kind = Some(DocKind::parse(code.trim()).ok_or_else(|| {
                    AppError::invalid(
                        "kind",
                        format!("Unknown kind {code:?}."),
                        format!("Type de pièce inconnu : {code:?}."),
                    )
                })?);
            }
            "title" => piece.title = Some(small_text("title", field, 300, false).await?).filter(|t| !t.is_empty()),
            "comment" => {
                piece.comment = Some(small_text("comment", field, 4000, true).await?).filter(|t| !t.is_empty())
            }
            _ => {}
        }
    }
    if described {
        // Parts after the last file: they describe it when it is the only one (as uploads of
        // one file always could); with several, which file they meant is unknown.
        match files.as_mut_slice() {
            [] => {}
            [(_, only)] => {
                only.kind = piece.kind.or(only.kind);
                only.title = piece.title.or(only.title.take());
                only.comment = piece.comment.or(only.comment.take());
            }
            _ => {
                return Err(AppError::bad_request(
                    "part_after_last_file",
                    "`kind`, `title` and `comment` describe the `file` part that follows them: nothing follows the last ones. Nothing was stored.",
                    "`kind`, `title` et `comment` décrivent la partie `file` qui les suit : aucune ne suit les derniers. Rien n'a été enregistré.",
                ))
            }
        }
    }
    if files.is_empty() {
        return Err(AppError::bad_request(
            "file_missing",
            "The form has no `file` part.",
            "Le formulaire n'a pas de partie `file`.",
        ));
    }
    Ok(files)
}

/// A text part of at most `max` characters (of one line, or of several when `multiline`), read
/// without ever holding more than that, and checked by the rule of every typed text.
async fn small_text(name: &str, mut field: multer::Field<'_>, max: usize, multiline: bool) -> AppResult<String> {
    let too_long =
        || AppError::invalid(name, format!("At most {max} characters."), format!("{max} caractères au plus."));
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(from_multer)? {
        if bytes.len() + chunk.len() > max * 4 {
            return Err(too_long());
        }
        bytes.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| AppError::invalid(name, "Text must be UTF-8.", "Le texte doit être en UTF-8."))?;
    let text = text.trim();
    crate::domain::text::check(name, text, max, multiline)?;
    Ok(text.to_string())
}

/// The name as sent, kept as data: at most 1,000 characters, those the rule of typed texts
/// refuses replaced by `_` (it is the title when none is given), never used as a path.
fn clean_name(name: &str) -> String {
    let name = crate::domain::text::cleaned(&name.chars().take(1000).collect::<String>(), false);
    if name.trim().is_empty() {
        "document".to_string()
    } else {
        name
    }
}

/// The largest upload request: the file limit, plus 2 MiB for the form's other parts.
fn request_limit(max_upload: u64) -> u64 {
    max_upload.saturating_add(2 * 1024 * 1024)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
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
