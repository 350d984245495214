//! `GET /api/v1/documents/{id}/similar`: the pieces most alike a piece the caller may see, by what
//! they say (the search engine's `search::query::search` with `like`), for assistants checking a
//! dossier.

use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::input::{Json, Query};
use crate::search::query::{Hit, SearchParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SimilarParams {
    /// 1 to 50 (default 10).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/similar", tag = "search",
    params(("id" = String, Path), SimilarParams),
    responses((status = 200, body = [Hit]), (status = 404, body = crate::error::Problem),
        (status = 503, body = crate::error::Problem)))]
pub async fn similar(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<SimilarParams>,
) -> AppResult<Json<Vec<Hit>>> {
    let document = super::sql::find_visible(&state.db, &caller, &id).await?.ok_or_else(AppError::document_not_found)?;
    let question = SearchParams {
        like: Some(document.id),
        limit: Some(params.limit.unwrap_or(10).clamp(1, 50)),
        ..SearchParams::default()
    };
    let found = crate::search::query::search(&state.search, &state.db, &caller, question).await?;
    Ok(Json(found.hits))
}
