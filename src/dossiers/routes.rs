//! `/api/v1/dossiers…`: list with counts per state, create, read, edit drafts, submit, move
//! state (staff), history.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::{extract::State, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::history::{self, Event};
use super::lists::{self, DossierSummary};
use super::model::{DossierFields, DossierInput, DossierState};
use super::sql::{self, DossierRecord};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::input::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/dossiers", get(list_dossiers).post(create_dossier))
        .route("/api/v1/dossiers/{number}", get(get_dossier).patch(update_dossier))
        .route("/api/v1/dossiers/{number}/submit", post(submit_dossier))
        .route("/api/v1/dossiers/{number}/state", post(change_dossier_state))
        .route("/api/v1/dossiers/{number}/history", get(dossier_history))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only dossiers in this state.
    pub state: Option<DossierState>,
    /// Only this company's dossiers (its n° adhérent), for a user who acts for several: the
    /// périmètre chosen. A company outside the caller's périmètre has no dossier for them.
    pub company: Option<String>,
    /// Words of the number, intitulé or organisme.
    pub q: Option<String>,
    /// `updated` (last changed first, the default), `number`, `start`, `title`.
    pub sort: Option<lists::Sort>,
    /// At most this many (1–200, default 50).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct StateCount {
    pub state: DossierState,
    /// French label, as in the portal's menu.
    pub label: &'static str,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DossierList {
    /// Dossiers per state within the caller's périmètre (whatever the filter).
    pub counts: Vec<StateCount>,
    /// How many dossiers match the filters, over every page.
    pub total: i64,
    pub dossiers: Vec<DossierSummary>,
}

#[utoipa::path(get, path = "/api/v1/dossiers", params(ListParams), tag = "dossiers",
    responses((status = 200, body = DossierList), (status = 401, body = crate::error::Problem)))]
pub async fn list_dossiers(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> AppResult<Json<DossierList>> {
    let limit = params.limit.unwrap_or(50).clamp(1, 200);
    let offset = params.offset.unwrap_or(0).max(0);
    let company = params.company.as_deref().map(str::trim).unwrap_or_default();
    let counts = lists::count_by_state(&state.db, &caller, company).await?;
    let mut listing = lists::Listing {
        company,
        state: params.state,
        sent_only: false,
        text: params.q.as_deref().unwrap_or_default(),
        sort: params.sort.unwrap_or_default(),
        limit,
        offset,
        count: lists::Count::Exact,
    };
    // Without words, the counts per state are the list's total.
    listing.count = lists::known_total(&counts, &listing).map_or(listing.count, lists::Count::Known);
    let (total, dossiers) = lists::list_visible(&state.db, &caller, &listing).await?;
    let counts =
        counts.into_iter().map(|(state, count)| StateCount { state, label: state.label_fr(), count }).collect();
    Ok(Json(DossierList { counts, total, dossiers }))
}

#[utoipa::path(post, path = "/api/v1/dossiers", request_body = DossierInput, tag = "dossiers",
    responses((status = 201, body = DossierRecord), (status = 422, body = crate::error::Problem)))]
pub async fn create_dossier(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<DossierInput>,
) -> AppResult<(StatusCode, HeaderMap, Json<DossierRecord>)> {
    let company_id = company_for_new_dossier(&state, &caller, input.adherent.as_deref()).await?;
    let fields = DossierFields::default().merged(input)?;
    check_establishment(&state, &company_id, &fields).await?;
    let id = crate::db::new_id();
    let yy = (time::OffsetDateTime::now_utc().year() % 100) as u8;
    let mut tx = crate::db::begin(&state.db).await?;
    let number = super::numbers::next_number(&mut tx, yy).await?;
    sql::insert_draft(&mut tx, &id, &number, &company_id, &caller.user_id).await?;
    sql::save_fields(&mut tx, &id, &fields).await?;
    history::record(&mut tx, &id, Some(&caller.user_id), "dossier_created", json!({ "number": number.as_str() }))
        .await?;
    tx.commit().await?;
    let record = load(&state, &caller, number.as_str()).await?;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/dossiers/{number}")) {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(record)))
}

#[utoipa::path(get, path = "/api/v1/dossiers/{number}", tag = "dossiers",
    params(("number" = String, Path, description = "Dossier number, e.g. 19.A.21056.1")),
    responses((status = 200, body = DossierRecord), (status = 404, body = crate::error::Problem)))]
pub async fn get_dossier(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> AppResult<Json<DossierRecord>> {
    Ok(Json(load(&state, &caller, &number).await?))
}

#[utoipa::path(patch, path = "/api/v1/dossiers/{number}", request_body = DossierInput, tag = "dossiers",
    params(("number" = String, Path)),
    responses((status = 200, body = DossierRecord), (status = 409, body = crate::error::Problem)))]
pub async fn update_dossier(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Json(input): Json<DossierInput>,
) -> AppResult<Json<DossierRecord>> {
    let record = load(&state, &caller, &number).await?;
    // Sent dossiers are changed by the OPCO's staff only (the guide), while en cours.
    let correction = record.state == DossierState::Pending && caller.is_staff();
    if record.state != DossierState::Draft && !correction {
        return Err(not_editable());
    }
    if input.adherent.as_deref().is_some_and(|a| a != record.adherent) {
        return Err(AppError::invalid(
            "adherent",
            "A dossier cannot change company.",
            "Un dossier ne change pas d'entreprise.",
        ));
    }
    let fields = record.fields.clone().merged(input)?;
    check_establishment(&state, &record.company_id, &fields).await?;
    if correction && !fields.missing_for_submission().is_empty() {
        let missing = fields.missing_for_submission().join(", ");
        return Err(AppError::invalid(
            fields.missing_for_submission()[0],
            format!("A sent dossier keeps what sending it needs: {missing}."),
            format!("Un dossier envoyé garde ce qu'il faut pour l'envoyer : {missing}."),
        ));
    }
    let mut tx = crate::db::begin(&state.db).await?;
    if !sql::save_fields_in(&mut tx, &record.id, &fields, record.state).await? {
        return Err(not_editable()); // sent, or decided, meanwhile
    }
    if correction {
        let (before, after) = fields.changes_from(&record.fields);
        let detail = json!({ "before": before, "after": after });
        history::record(&mut tx, &record.id, Some(&caller.user_id), "dossier_corrected", detail).await?;
    } else {
        history::record(&mut tx, &record.id, Some(&caller.user_id), "dossier_updated", json!({})).await?;
    }
    tx.commit().await?;
    Ok(Json(load(&state, &caller, &number).await?))
}

#[utoipa::path(post, path = "/api/v1/dossiers/{number}/submit", tag = "dossiers",
    params(("number" = String, Path)),
    responses((status = 200, body = DossierRecord), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn submit_dossier(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> AppResult<Json<DossierRecord>> {
    let record = load(&state, &caller, &number).await?;
    check_submittable(&record)?;
    if let Err(error) = move_state(&state, &caller, &record, DossierState::Pending, "dossier_submitted", "").await {
        // Changed meanwhile (the move is guarded in SQL): say what stands now.
        check_submittable(&load(&state, &caller, &number).await?)?;
        return Err(error);
    }
    Ok(Json(load(&state, &caller, &number).await?))
}

/// A draft with every field the OPCO needs can be sent.
fn check_submittable(record: &DossierRecord) -> AppResult<()> {
    if record.state != DossierState::Draft {
        return Err(invalid_transition(record.state, DossierState::Pending));
    }
    let missing = record.fields.missing_for_submission();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(", ");
    let mut error = AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "dossier_incomplete",
        format!("Fill in these fields before sending the dossier: {list}."),
        format!("Renseignez ces champs avant d'envoyer le dossier : {list}."),
    );
    error.field = missing.first().map(|f| f.to_string());
    Err(error)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    /// `granted`, `refused` or `closed`.
    pub state: DossierState,
    /// Why, kept in the history.
    pub comment: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/dossiers/{number}/state", request_body = StateChange, tag = "dossiers",
    params(("number" = String, Path)),
    responses((status = 200, body = DossierRecord), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn change_dossier_state(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Json(change): Json<StateChange>,
) -> AppResult<Json<DossierRecord>> {
    caller.require_staff()?;
    let record = load(&state, &caller, &number).await?;
    if !record.state.staff_can_move_to(change.state) {
        return Err(invalid_transition(record.state, change.state));
    }
    let comment = change.comment.unwrap_or_default().trim().to_string();
    if comment.chars().count() > 2000 {
        return Err(AppError::invalid("comment", "At most 2000 characters.", "2000 caractères au plus."));
    }
    crate::domain::text::check("comment", &comment, 2000, true)?;
    if change.state == DossierState::Refused && comment.is_empty() {
        return Err(AppError::invalid(
            "comment",
            "A refusal gives its reason: the employer reads it.",
            "Un refus donne son motif : l'employeur le lit.",
        ));
    }
    move_state(&state, &caller, &record, change.state, "state_changed", &comment).await?;
    Ok(Json(load(&state, &caller, &number).await?))
}

#[utoipa::path(get, path = "/api/v1/dossiers/{number}/history", tag = "dossiers",
    params(("number" = String, Path)),
    responses((status = 200, body = [Event]), (status = 404, body = crate::error::Problem)))]
pub async fn dossier_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> AppResult<Json<Vec<Event>>> {
    let record = load(&state, &caller, &number).await?;
    Ok(Json(history::list(&state.db, &record.id).await?))
}

/// The dossier, or 404 when it does not exist or lies outside the caller's périmètre.
pub async fn load(state: &AppState, caller: &Caller, number: &str) -> AppResult<DossierRecord> {
    sql::find_visible(&state.db, caller, number).await?.ok_or_else(AppError::dossier_not_found)
}

/// The same, without the trainees: enough to check access and state.
pub async fn load_header(state: &AppState, caller: &Caller, number: &str) -> AppResult<DossierRecord> {
    sql::find_visible_header(&state.db, caller, number).await?.ok_or_else(AppError::dossier_not_found)
}

async fn move_state(
    state: &AppState,
    caller: &Caller,
    record: &DossierRecord,
    to: DossierState,
    action: &str,
    comment: &str,
) -> AppResult<()> {
    let mut tx = crate::db::begin(&state.db).await?;
    if !sql::set_state(&mut tx, &record.id, record.state, to).await? {
        return Err(invalid_transition(record.state, to));
    }
    let mut detail = json!({ "from": record.state.as_str(), "to": to.as_str() });
    if !comment.is_empty() {
        detail["comment"] = json!(comment);
    }
    history::record(&mut tx, &record.id, Some(&caller.user_id), action, detail).await?;
    tx.commit().await?;
    Ok(())
}

pub fn not_editable() -> AppError {
    AppError::conflict(
        "dossier_not_editable",
        "Only a draft dossier can be edited.",
        "Seul un dossier en brouillon peut être modifié.",
    )
}

fn invalid_transition(from: DossierState, to: DossierState) -> AppError {
    AppError::conflict(
        "invalid_transition",
        format!("A dossier cannot go from {} to {}.", from.as_str(), to.as_str()),
        format!("Un dossier ne peut pas passer de « {} » à « {} ».", from.label_fr(), to.label_fr()),
    )
}

async fn company_for_new_dossier(state: &AppState, caller: &Caller, adherent: Option<&str>) -> AppResult<String> {
    let companies = sql::visible_companies(&state.db, caller).await?;
    let chosen = match adherent {
        Some(adherent) => companies.into_iter().find(|(_, a)| a == adherent),
        None if companies.len() == 1 => companies.into_iter().next(),
        None => {
            return Err(AppError::invalid(
                "adherent",
                "Say for which company (n° adhérent) this dossier is.",
                "Précisez pour quelle entreprise (n° adhérent) est ce dossier.",
            ))
        }
    };
    chosen.map(|(id, _)| id).ok_or_else(|| {
        AppError::invalid(
            "adherent",
            "No such company in your périmètre.",
            "Aucune entreprise de ce numéro dans votre périmètre.",
        )
    })
}

async fn check_establishment(state: &AppState, company_id: &str, fields: &DossierFields) -> AppResult<()> {
    match &fields.siret {
        Some(siret) if !sql::establishment_belongs(&state.db, company_id, siret).await? => Err(AppError::invalid(
            "siret",
            "This SIRET is not an establishment of the dossier's company.",
            "Ce SIRET n'est pas un établissement de l'entreprise du dossier.",
        )),
        _ => Ok(()),
    }
}
