//! What changes a dossier from its page: Imprimer le dossier (the API's print, as this person),
//! a draft's deletion once confirmed, and OPCO staff's decision (accorder, refuser with a motif,
//! clôturer). Each calls the API's function, with its rules.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::dossier::{page, DossierView};
use super::error::{html, PageError, PageResult};
use super::format;
use super::frame::Frame;
use super::person::{Acting, Person};
use crate::dossiers::sql;
use crate::dossiers::{DossierRecord, DossierState};
use crate::state::AppState;
#[derive(Deserialize, Default)]
pub struct PrintQuery {
    /// `oui`: the PDF pieces follow the dossier.
    pieces: Option<String>,
}

/// `GET /dossiers/{number}/impression`: the printed dossier (the API's print, as this person).
pub async fn print(
    State(state): State<AppState>,
    acting: Acting,
    Path(number): Path<String>,
    Query(query): Query<PrintQuery>,
) -> PageResult {
    let with_pieces = query.pieces.as_deref() == Some("oui");
    let params = crate::dossier_print::PrintParams { with_pieces };
    let printed = crate::dossier_print::print_dossier(
        State(state),
        acting.session.caller,
        crate::input::Path(number),
        crate::input::Query(params),
    )
    .await?;
    Ok(printed)
}

#[derive(Template)]
#[template(path = "web/supprimer.html")]
struct DeletePage {
    frame: Frame,
    csrf: String,
    d: DossierRecord,
    pieces: usize,
}

/// `GET /dossiers/{number}/supprimer`: asks to confirm that the draft is to be deleted.
pub async fn delete_form(State(state): State<AppState>, acting: Acting, Path(number): Path<String>) -> PageResult {
    let dossier =
        sql::find_visible(&state.db, &acting.session.caller, &number).await?.ok_or_else(PageError::not_found)?;
    if dossier.state != DossierState::Draft {
        return Ok(axum::response::Redirect::to(&format!("/dossiers/{}", dossier.number)).into_response());
    }
    let pieces = crate::documents::sql::list_for_dossier(&state.db, &dossier.id).await?.len();
    let frame = Frame::of(&state, &acting, "Supprimer le brouillon", "brouillon").await?;
    html(DeletePage { frame, csrf: acting.session.csrf.clone(), d: dossier, pieces })
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /dossiers/{number}/supprimer`: deletes the draft (the API's rule), back to Brouillons.
pub async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path(number): Path<String>,
    axum::Form(form): axum::Form<DeleteForm>,
) -> PageResult {
    super::person::check_csrf(&acting.session.csrf, &form.csrf)?;
    crate::documents::remove::delete_draft(&state, &acting.session.caller, &number).await?;
    let to = format!("/dossiers?etat=brouillon&supprime={}", format::url(&number));
    Ok(axum::response::Redirect::to(&to).into_response())
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    /// `granted`, `refused` or `closed`.
    #[serde(default)]
    etat: String,
    /// Why (required to refuse): the employer reads it in the history.
    #[serde(default)]
    motif: String,
}

/// `POST /dossiers/{number}/decision`: OPCO staff accorde, refuse (with its motif) or clôture a
/// dossier (the API's state change); back to the dossier, which says so.
pub async fn decide(
    State(state): State<AppState>,
    Person(session): Person,
    Path(number): Path<String>,
    axum::Form(form): axum::Form<DecisionForm>,
) -> PageResult {
    super::person::check_csrf(&session.csrf, &form.csrf)?;
    if !session.caller.is_staff() {
        return Err(PageError::not_found());
    }
    let to = DossierState::parse(&form.etat).ok_or_else(PageError::not_found)?;
    let change = crate::dossiers::routes::StateChange { state: to, comment: Some(form.motif.clone()) };
    let changed = crate::dossiers::routes::change_dossier_state(
        State(state.clone()),
        session.caller.clone(),
        crate::input::Path(number.clone()),
        crate::input::Json(change),
    )
    .await;
    match changed {
        Ok(crate::input::Json(record)) => {
            let to = format!("/dossiers/{}?decision={}", record.number, to.as_str());
            Ok(axum::response::Redirect::to(&to).into_response())
        }
        Err(error) if error.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            let view = DossierView { motif: form.motif, decision_error: Some(error.detail_fr), ..Default::default() };
            page(&state, session, &number, view, axum::http::StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => Err(error.into()),
    }
}
