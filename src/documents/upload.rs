//! The upload of pieces, for the API (`POST /api/v1/dossiers/{number}/documents`) and the pages
//! (`web::pieces`): `receive` is the one way pieces come in. The multipart body is read within
//! its bounds; each `file` part (20 at most, described by the parts before it) is spooled, hashed
//! and sniffed, then stored and recorded; one file's problem is that file's result only.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa::ToSchema;

use super::form::{from_multer, Form};
use super::ingest::check_open;
use super::spool::spool_field;
use super::sql::Document;
use super::{store_piece, DocKind, NewPiece, Spooled};
use crate::auth::Caller;
use crate::dossiers::routes::load_header as load_dossier;
use crate::error::{AppError, AppResult};
use crate::input::{Json, Path};
use crate::state::AppState;

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
