//! `GET /healthz` (the process answers) and `GET /readyz` (the database and the object store
//! answer; 503 otherwise). Both are open: load balancers call them without a token.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` or `unavailable`
    pub database: &'static str,
    pub storage: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "health", security(()), responses((status = 200, description = "Alive")))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let limit = Duration::from_secs(3);
    let database = tokio::time::timeout(limit, crate::db::ping(&state.db)).await;
    let storage = tokio::time::timeout(limit, state.storage.check()).await;
    let database_ok = matches!(database, Ok(Ok(())));
    let storage_ok = matches!(storage, Ok(Ok(())));
    if let Ok(Err(error)) = &database {
        tracing::warn!("readiness: database: {error:#}");
    }
    if let Ok(Err(error)) = &storage {
        tracing::warn!("readiness: storage: {error:?}");
    }
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let status = if database_ok && storage_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(Readiness { database: word(database_ok), storage: word(storage_ok) }))
}
