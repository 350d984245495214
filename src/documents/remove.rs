//! Taking back what was attached by mistake: a piece removed from a draft, and a draft deleted
//! with its pieces. Only a draft: once sent, the OPCO has seen it. The rows go in one transaction
//! (a piece's pages, jobs and index updates with it; the search index drops it through
//! `search::outbox::removed`), the removal of a piece is written in the dossier's history, and the
//! bytes stay in the store until `pieces gc` finds no row that needs them (another piece, here or
//! in another dossier, may hold the same bytes).

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use sqlx::{Any, Transaction};

use super::sql::{self, Document};
use crate::auth::Caller;
use crate::db::now;
use crate::dossiers::history;
use crate::dossiers::routes::{load_header, not_editable};
use crate::error::{AppError, AppResult};
use crate::input::Path;
use crate::state::AppState;

#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 204, description = "Removed from the draft"),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn delete_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    remove_piece(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/dossiers/{number}", tag = "dossiers",
    params(("number" = String, Path)),
    responses((status = 204, description = "The draft and its pieces are deleted"),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn delete_dossier(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> AppResult<StatusCode> {
    delete_draft(&state, &caller, &number).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the piece `id` of the caller's périmètre from its dossier, a draft; returns it as it
/// was.
pub async fn remove_piece(state: &AppState, caller: &Caller, id: &str) -> AppResult<Document> {
    let piece = sql::find_visible(&state.db, caller, id).await?.ok_or_else(AppError::document_not_found)?;
    let dossier = load_header(state, caller, &piece.dossier).await?;
    let mut tx = crate::db::begin(&state.db).await?;
    hold_draft(&mut tx, &dossier.id).await?;
    delete_rows(&mut tx, id).await?;
    let detail = json!({ "document_id": id, "title": piece.title, "original_name": piece.original_name });
    history::record(&mut tx, &dossier.id, Some(&caller.user_id), "document_removed", detail).await?;
    tx.commit().await?;
    state.search_wake.notify_one();
    tracing::info!(dossier = %dossier.number, document = %id, by = %caller.login, "piece removed from a draft");
    Ok(piece)
}

/// Deletes the draft `number` of the caller's périmètre, its pieces, salariés and history.
pub async fn delete_draft(state: &AppState, caller: &Caller, number: &str) -> AppResult<()> {
    let dossier = load_header(state, caller, number).await?;
    let mut tx = crate::db::begin(&state.db).await?;
    hold_draft(&mut tx, &dossier.id).await?;
    let pieces: Vec<String> = sqlx::query_scalar("select id from documents where dossier_id = $1")
        .bind(&dossier.id)
        .fetch_all(&mut *tx)
        .await?;
    for id in &pieces {
        delete_rows(&mut tx, id).await?;
    }
    for table in ["trainees", "dossier_events"] {
        sqlx::query(&format!("delete from {table} where dossier_id = $1")).bind(&dossier.id).execute(&mut *tx).await?;
    }
    sqlx::query("delete from dossiers where id = $1").bind(&dossier.id).execute(&mut *tx).await?;
    tx.commit().await?;
    state.search_wake.notify_one();
    tracing::info!(dossier = %dossier.number, pieces = pieces.len(), by = %caller.login, "draft deleted");
    Ok(())
}

/// Keeps the dossier a draft until the transaction ends (its row is written first: a dossier sent
/// meanwhile makes this a 409, and it cannot be sent before the commit).
async fn hold_draft(tx: &mut Transaction<'_, Any>, dossier_id: &str) -> AppResult<()> {
    let held = sqlx::query("update dossiers set updated_at = $1 where id = $2 and state = 'draft'")
        .bind(now())
        .bind(dossier_id)
        .execute(&mut **tx)
        .await?;
    if held.rows_affected() != 1 {
        return Err(not_editable());
    }
    Ok(())
}

/// The rows of one piece; a reading under way finds its job gone and drops its result. The job's
/// row first, as a reading records its result: one waits for the other, never both (PostgreSQL).
async fn delete_rows(tx: &mut Transaction<'_, Any>, id: &str) -> sqlx::Result<()> {
    for table in ["jobs", "document_pages"] {
        sqlx::query(&format!("delete from {table} where document_id = $1")).bind(id).execute(&mut **tx).await?;
    }
    crate::search::outbox::removed(tx, id).await?;
    sqlx::query("delete from documents where id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}
