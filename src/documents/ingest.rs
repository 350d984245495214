//! Recording a spooled piece: store its blob (again when already stored, which repairs a damaged
//! one), then write the document row and its history event in one transaction. A row is written
//! only once its blob is durably stored; a storage failure leaves no row. The same bytes sent twice
//! to a dossier give back the first document, so a client may safely retry.

use serde_json::json;

use super::sql::{self, Document, NewRow};
use super::{DocKind, Spooled};
use crate::auth::Caller;
use crate::db::{new_id, now};
use crate::dossiers::{history, DossierRecord, DossierState};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::StorageError;

/// What the uploader says of a piece.
#[derive(Clone, Debug, Default)]
pub struct NewPiece {
    pub kind: Option<DocKind>,
    pub title: Option<String>,
    pub comment: Option<String>,
    pub original_name: String,
}

/// Stores `spooled` as a piece of `dossier`; returns the document and whether it was already there.
pub async fn store_piece(
    state: &AppState,
    dossier: &DossierRecord,
    uploader: &Caller,
    spooled: Spooled,
    piece: NewPiece,
) -> AppResult<(Document, bool)> {
    check_open(dossier, uploader)?;
    let (mut document, existed) =
        record_piece(state, dossier, &uploader.user_id, spooled, piece, !uploader.is_staff()).await?;
    if !existed {
        document.uploaded_by = uploader.login.clone();
    }
    Ok((document, existed))
}

/// Stores `spooled` as a piece of `dossier` added by `user_id`, also for pieces the service makes
/// itself (an invoice's PDF, in an open or closed dossier alike); `only_if_open` refuses a
/// dossier closed meanwhile. The returned document's `uploaded_by` is empty when it is new.
pub async fn record_piece(
    state: &AppState,
    dossier: &DossierRecord,
    user_id: &str,
    spooled: Spooled,
    piece: NewPiece,
    only_if_open: bool,
) -> AppResult<(Document, bool)> {
    let sha256 = spooled.sha256.as_str();
    // Stored even when the dossier already has these bytes: sending a piece again repairs its
    // blob if it was damaged or lost.
    state.storage.put_file(&spooled.sha256, spooled.path(), spooled.size).await.map_err(|error| match error {
        StorageError::Unavailable(cause) => AppError::storage_unavailable(cause),
        other => AppError::internal(other.into()),
    })?;
    if let Some(existing) = sql::find_in_dossier_by_sha256(&state.db, &dossier.id, sha256).await? {
        return Ok((existing, true));
    }
    let id = new_id();
    let original_name = piece.original_name;
    let title = piece.title.unwrap_or_else(|| original_name.clone());
    let row = NewRow {
        id: &id,
        dossier_id: &dossier.id,
        kind: piece.kind,
        title: &title,
        comment: piece.comment.as_deref(),
        original_name: &original_name,
        mime_type: spooled.mime_type,
        size: spooled.size as i64,
        sha256,
        uploaded_by: user_id,
        uploaded_at: &now(),
    };
    match insert_with_event(state, &row, only_if_open).await {
        Ok(true) => {}
        Ok(false) => return Err(dossier_closed()),
        Err(error) if sql::SAME_BYTES.is_violated_by(&error) => {
            // A concurrent upload of the same bytes won the race: answer as a retry would.
            if let Some(existing) = sql::find_in_dossier_by_sha256(&state.db, &dossier.id, sha256).await? {
                return Ok((existing, true));
            }
            return Err(error.into());
        }
        Err(error) => return Err(error.into()),
    }
    tracing::info!(document = %id, dossier = %dossier.number, size = spooled.size, "piece stored");
    let stored = Document {
        id: id.clone(),
        dossier: dossier.number.clone(),
        kind: row.kind,
        title: title.clone(),
        comment: row.comment.map(str::to_string),
        original_name: original_name.clone(),
        mime_type: spooled.mime_type.to_string(),
        size: row.size,
        sha256: spooled.sha256.clone(),
        uploaded_by: String::new(),
        uploaded_at: row.uploaded_at.to_string(),
        duplicate: None,
        ..Document::pending()
    };
    Ok((stored, false))
}

/// Records the row and its history event; false (and nothing written) when `only_if_open` and
/// the dossier was closed meanwhile.
async fn insert_with_event(state: &AppState, row: &NewRow<'_>, only_if_open: bool) -> sqlx::Result<bool> {
    let mut tx = crate::db::begin(&state.db).await?;
    if !sql::insert(&mut tx, row, only_if_open).await? {
        return Ok(false);
    }
    let detail = json!({ "document": row.id, "title": row.title, "sha256": row.sha256, "size": row.size });
    history::record(&mut tx, row.dossier_id, Some(row.uploaded_by), "document_added", detail).await?;
    crate::jobs::enqueue(&mut tx, super::understand::UNDERSTAND, row.id).await?;
    crate::search::outbox::touch(&mut tx, row.id).await?;
    tx.commit().await?;
    state.jobs_wake.notify_one();
    state.search_wake.notify_one();
    Ok(true)
}

/// Employers cannot add pieces to a closed dossier; OPCO staff still can.
pub fn check_open(dossier: &DossierRecord, uploader: &Caller) -> AppResult<()> {
    if dossier.state == DossierState::Closed && !uploader.is_staff() {
        return Err(dossier_closed());
    }
    Ok(())
}

fn dossier_closed() -> AppError {
    AppError::conflict(
        "dossier_closed",
        "This dossier is closed: no piece can be added to it.",
        "Ce dossier est clôturé : on ne peut plus y joindre de pièce.",
    )
}
