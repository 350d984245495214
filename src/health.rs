//! `GET /healthz` (the process answers) and `GET /readyz` (the database and the object store
//! answer; 503 otherwise). Both are open: load balancers call them without a token, so `/readyz`
//! probes at most once every `PROBE_EVERY` (the local store's probe writes a file) and answers
//! the last result in between.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// How often `/readyz` may probe the database and the store.
const PROBE_EVERY: Duration = Duration::from_secs(2);

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
    // One probe at a time; the callers meanwhile wait for it and share its result.
    let mut last = state.last_probe.0.lock().await;
    let (database_ok, storage_ok) = match *last {
        Some((at, database, storage)) if at.elapsed() < PROBE_EVERY => (database, storage),
        _ => {
            let (database, storage) = probe(&state).await;
            *last = Some((Instant::now(), database, storage));
            (database, storage)
        }
    };
    drop(last);
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let status = if database_ok && storage_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(Readiness { database: word(database_ok), storage: word(storage_ok) }))
}

/// Whether the database and the object store answer, each within 3 s.
async fn probe(state: &AppState) -> (bool, bool) {
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
    (database_ok, storage_ok)
}
