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
    /// Their name, as people read it.
    pub actor_name: Option<String>,
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
        "select e.at, u.login, u.display_name, e.action, e.detail from dossier_events e left join users u on u.id = e.actor_id \
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
                actor_name: row.try_get("display_name")?,
                action: row.try_get("action")?,
                detail: detail.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}

impl Event {
    /// What happened, in French, as the dossier's Historique tab says it.
    pub fn describe_fr(&self) -> String {
        let text = |key: &str| self.detail.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let state = |key: &str| {
            let value = text(key);
            crate::dossiers::DossierState::parse(&value).map_or(value, |s| s.label_fr().to_string())
        };
        match self.action.as_str() {
            "dossier_created" => "Dossier créé".into(),
            "dossier_updated" => "Dossier modifié".into(),
            "dossier_submitted" => "Demande envoyée à l'OPCO".into(),
            "state_changed" if !text("comment").is_empty() => {
                format!("État : {} → {}. Motif : {}", state("from"), state("to"), text("comment"))
            }
            "state_changed" => format!("État : {} → {}", state("from"), state("to")),
            "dossier_corrected" => {
                let shown = |v: Option<&serde_json::Value>| match v {
                    Some(serde_json::Value::String(s)) => format!("« {s} »"),
                    None | Some(serde_json::Value::Null) => "(vide)".to_string(),
                    Some(other) => other.to_string(),
                };
                let after = self.detail.get("after").and_then(|v| v.as_object());
                let changes: Vec<String> = after
                    .map(|after| {
                        after
                            .iter()
                            .map(|(path, value)| {
                                let before = self.detail.get("before").and_then(|b| b.get(path));
                                format!("{} : {} → {}", super::model::label_fr(path), shown(before), shown(Some(value)))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                format!("Dossier corrigé par l'OPCO : {}", changes.join(" ; "))
            }
            "document_added" => format!("Pièce jointe : {}", text("title")),
            "document_removed" => format!("Pièce retirée : {}", text("title")),
            "document_kind_corrected" => "Type de pièce corrigé".into(),
            "invoice_issued" => format!("Facture {} émise", text("number")),
            "credit_note_issued" => format!("Avoir {} émis", text("number")),
            other => other.replace('_', " "),
        }
    }
}
