//! The append-only history of a dossier: who did what, when. Events are written in the same
//! transaction as the change they describe, and never updated or deleted.

use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use crate::db::{new_id, now, Db};

#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    pub at: String,
    /// Login of who did it (none for the system).
    pub actor: Option<String>,
    /// `dossier_created`, `dossier_updated`, `dossier_submitted`, `state_changed`, `document_added`,
    /// `document_kind_corrected`.
    pub action: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

pub async fn record(
    tx: &mut Transaction<'_, Any>,
    dossier_id: &str,
    actor_id: Option<&str>,
    action: &str,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into dossier_events (id, dossier_id, at, actor_id, action, detail) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(dossier_id)
    .bind(now())
    .bind(actor_id)
    .bind(action)
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Oldest first.
pub async fn list(db: &Db, dossier_id: &str) -> sqlx::Result<Vec<Event>> {
    let rows = sqlx::query(
        "select e.at, u.login, e.action, e.detail from dossier_events e left join users u on u.id = e.actor_id \
         where e.dossier_id = $1 order by e.id",
    )
    .bind(dossier_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let detail: Option<String> = row.try_get("detail")?;
            Ok(Event {
                at: row.try_get("at")?,
                actor: row.try_get("login")?,
                action: row.try_get("action")?,
                detail: detail.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}
