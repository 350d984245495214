//! A dossier's pieces in the pages: "Joindre des fichiers" (one or several files, through the
//! API's one upload path), a piece's reading status for the page's script, and the removal of a
//! piece attached to a draft by mistake. (A piece's own page and file: `viewer.rs`.)
//!
//! Without JavaScript, the form posts every file chosen at once and the page comes back to the
//! Documents tab, which says what became of each. With it, `static/pieces.js` sends each file
//! on its own (its own Type pièce, Titre, Commentaire and progress bar), reads the JSON answer,
//! then asks `GET /pieces/{id}/lecture` until the piece is read.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};

use super::dossier::{reading, DossierView, Notice};
use super::error::{PageError, PageResult};
use super::format;
use super::person::{check_csrf, Person};
use crate::documents::upload::{receive, Received, UploadResults};
use crate::state::AppState;

/// `POST /dossiers/{number}/pieces`: a multipart form whose first part is the CSRF token. Asked
/// for JSON (the page's script): the API's results, one per file. Else back to the Documents
/// tab, or, when a file was refused, the tab at once with what was wrong with it.
pub async fn attach(
    State(state): State<AppState>,
    Person(session): Person,
    Path(number): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> PageResult {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.starts_with("application/json"));
    let caller = &session.caller;
    let csrf = Some(session.csrf.as_str());
    let received = match receive(&state, caller, &number, &headers, body, csrf).await {
        Ok(received) => received,
        Err(error) if wants_json => return Ok(error.into_response()),
        Err(error) if error.code == "csrf_refused" => return Err(PageError::csrf()),
        Err(error) => return Err(error.into()),
    };
    if wants_json {
        let results = received.into_iter().map(Received::result).collect();
        return Ok(Json(UploadResults { results }).into_response());
    }
    let mut notices = Vec::new();
    let (mut joined, mut already) = (Vec::new(), Vec::new());
    for file in received {
        match file.outcome {
            Ok((document, true)) => already.push(document.id),
            Ok((document, false)) => joined.push(document.id),
            Err(error) => {
                notices.push(Notice::problem(format!("« {} » n'est pas joint : {}", file.file_name, error.detail_fr)))
            }
        }
    }
    if notices.is_empty() {
        let to = format!(
            "/dossiers/{}?onglet=documents&joints={}&deja={}#onglets",
            format::url(&number),
            joined.join(","),
            already.join(",")
        );
        return Ok(Redirect::to(&to).into_response());
    }
    let view = DossierView { tab: "documents".into(), joined, already, notices, ..Default::default() };
    super::dossier::page(&state, session, &number, view, axum::http::StatusCode::UNPROCESSABLE_ENTITY).await
}

/// A piece's reading, for the page's script.
#[derive(Serialize)]
pub struct Reading {
    /// `En attente de lecture`, `Lu : Programme de formation`, `Illisible`…
    status: String,
    /// Whether the reading is over (read, or failed).
    done: bool,
    /// The kind found contradicts the type chosen.
    warning: Option<String>,
}

/// `GET /pieces/{id}/lecture`
pub async fn reading_status(
    State(state): State<AppState>,
    Person(session): Person,
    Path(id): Path<String>,
) -> PageResult {
    let document =
        crate::documents::sql::find_visible(&state.db, &session.caller, &id).await?.ok_or_else(PageError::not_found)?;
    let done = document.text_status != crate::documents::sql::TextStatus::Pending;
    let (status, warning) = reading(&document);
    let mut response = Json(Reading { status, done, warning }).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /pieces/{id}/retirer`: removes a piece from a draft (the API's rule), back to the
/// Documents tab.
pub async fn remove(
    State(state): State<AppState>,
    Person(session): Person,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&session.csrf, &form.csrf)?;
    let piece = crate::documents::remove::remove_piece(&state, &session.caller, &id).await?;
    let to = format!("/dossiers/{}?onglet=documents&retiree=1#onglets", format::url(&piece.dossier));
    Ok(Redirect::to(&to).into_response())
}
