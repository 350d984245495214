//! `GET /api/v1/search`: HTTP in and out of the engine (`query::search`). The routes take the
//! index and the database from any state that holds them, so `search` stays below the state.

use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::routing::get;
use axum::Router;

use super::query::{SearchParams, SearchResults};
use super::SearchIndex;
use crate::auth::Caller;
use crate::db::Db;
use crate::error::AppResult;
use crate::input::{Json, Query as QueryInput};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Db: FromRef<S>,
    Arc<SearchIndex>: FromRef<S>,
{
    Router::new().route("/api/v1/search", get(search))
}

#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 400, body = crate::error::Problem),
        (status = 503, body = crate::error::Problem)))]
pub async fn search(
    State(index): State<Arc<SearchIndex>>,
    State(db): State<Db>,
    caller: Caller,
    QueryInput(params): QueryInput<SearchParams>,
) -> AppResult<Json<SearchResults>> {
    Ok(Json(super::query::search(&index, &db, &caller, params).await?))
}
