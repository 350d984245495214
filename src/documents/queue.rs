//! The pieces an assistant works through: those to check (the kind found contradicts the type
//! chosen, the reading failed, or the classifier is unsure and nobody gave a kind), and those
//! attached since a moment (the last visit). Within the caller's périmètre, as every read.
//! `GET /api/v1/documents?to_check=true&since=…` lists them for scripts.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::sql::{from_row, Document, SELECT};
use crate::auth::{perimetre_sql, Caller};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::input::{Json, Query};
use crate::state::AppState;

/// Below this confidence, a kind found without a kind given is a guess worth a look.
pub const UNSURE_BELOW: f64 = 0.5;

/// Why a piece is to check, in SQL: until OPCO staff has set or confirmed its kind.
/// (The literal is `UNSURE_BELOW`.)
const TO_CHECK: &str = "(doc.kind_mismatch = 1 or (doc.kind_by_staff = 0 and (doc.text_status = 'failed' \
     or (doc.text_status = 'done' and doc.kind is null and coalesce(doc.kind_confidence, 0) < 0.5))))";

/// What a queue of pieces holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue<'a> {
    /// The pieces to check, oldest first.
    ToCheck,
    /// The pieces attached after this moment (RFC 3339), newest first.
    Since(&'a str),
}

/// The queue's condition and order, and its moment (`$3`: bound in both cases; for the pieces
/// to check it is only compared with itself).
fn filter(queue: Queue<'_>) -> (String, &'static str, &str) {
    let (condition, order, since) = match queue {
        Queue::ToCheck => (TO_CHECK, "doc.uploaded_at, doc.id", ""),
        Queue::Since(at) => ("doc.uploaded_at > $3", "doc.uploaded_at desc, doc.id", at),
    };
    (format!("where {} and {condition} and $3 = $3", perimetre_sql("d.company_id", 1, 2)), order, since)
}

/// How many pieces the queue holds.
pub async fn count(db: &Db, caller: &Caller, queue: Queue<'_>) -> sqlx::Result<i64> {
    let (filter, _, since) = filter(queue);
    let sql = format!("select count(*) from documents doc join dossiers d on d.id = doc.dossier_id {filter}");
    sqlx::query_scalar(&sql).bind(caller.role.as_str()).bind(&caller.user_id).bind(since).fetch_one(db).await
}

/// One page of a queue, and how many pieces it holds in all.
pub async fn list(
    db: &Db,
    caller: &Caller,
    queue: Queue<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(i64, Vec<Document>)> {
    let total = count(db, caller, queue).await?;
    let (filter, order, since) = filter(queue);
    let sql = format!("{SELECT} {filter} order by {order} limit {} offset {}", limit.clamp(0, 500), offset.max(0));
    let rows = sqlx::query(&sql).bind(caller.role.as_str()).bind(&caller.user_id).bind(since).fetch_all(db).await?;
    Ok((total, rows.iter().map(from_row).collect::<sqlx::Result<_>>()?))
}

/// Why a piece is in the queue of pieces to check, as the pages say it.
pub fn reason_fr(document: &Document) -> &'static str {
    use super::sql::TextStatus;
    if document.kind_mismatch {
        "Le contenu contredit le type choisi"
    } else if document.text_status == TextStatus::Failed {
        "Lecture impossible"
    } else {
        "Type incertain"
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// `true`: the pieces to check (the kind found contradicts the type chosen, the reading
    /// failed, or the classifier is unsure), oldest first.
    pub to_check: Option<bool>,
    /// RFC 3339: the pieces attached after this moment, newest first.
    pub since: Option<String>,
    /// At most 500; 50 by default.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A page of a queue of pieces.
#[derive(Serialize, ToSchema)]
pub struct QueuePage {
    pub total: i64,
    pub documents: Vec<Document>,
}

#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", params(QueueParams),
    responses((status = 200, body = QueuePage), (status = 400, body = crate::error::Problem)))]
pub async fn list_queue(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<QueueParams>,
) -> AppResult<Json<QueuePage>> {
    let since = params
        .since
        .as_deref()
        .map(|text| time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339))
        .transpose()
        .map_err(|_| {
            AppError::invalid(
                "since",
                "Expected an RFC 3339 moment, e.g. 2026-12-01T08:00:00Z.",
                "Moment attendu au format RFC 3339, par exemple 2026-12-01T08:00:00Z.",
            )
        })?
        .map(crate::db::format_time);
    let queue = match (params.to_check, since.as_deref()) {
        (Some(true), None) => Queue::ToCheck,
        (None | Some(false), Some(at)) => Queue::Since(at),
        _ => {
            return Err(AppError::bad_request(
                "queue_expected",
                "Give one of `to_check=true` or `since`.",
                "Indiquez `to_check=true` ou `since`, l'un des deux.",
            ))
        }
    };
    let limit = params.limit.unwrap_or(50).clamp(1, 500);
    let (total, documents) = list(&state.db, &caller, queue, limit, params.offset.unwrap_or(0)).await?;
    Ok(Json(QueuePage { total, documents }))
}
