//! Document SQL. Reads join the dossier and filter by the caller's périmètre.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use super::DocKind;
use crate::auth::{perimetre_sql, Caller};
use crate::classify::Classification;
use crate::db::Db;
use crate::domain::Sha256Hex;
use crate::error::UniqueConstraint;
use crate::extract::{FacturX, Problem};

/// Where the reading of a piece's text stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TextStatus {
    /// Queued or being read in the background.
    Pending,
    /// Read (perhaps with a soft problem: a cap, scans left unread).
    Done,
    /// Not readable (see the problem).
    Failed,
}

impl TextStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TextStatus::Pending => "pending",
            TextStatus::Done => "done",
            TextStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<TextStatus> {
        [TextStatus::Pending, TextStatus::Done, TextStatus::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// A piece, as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Document {
    pub id: String,
    /// The dossier number.
    pub dossier: String,
    /// The kind given by the uploader, if any.
    pub kind: Option<DocKind>,
    pub title: String,
    pub comment: Option<String>,
    /// The file name as sent, kept as data only.
    pub original_name: String,
    /// The type sniffed from the bytes.
    pub mime_type: String,
    pub size: i64,
    pub sha256: Sha256Hex,
    /// Login of the uploader.
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// On upload only: true when these bytes were already attached to this dossier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<bool>,
    /// `pending` (being read in the background), `done`, or `failed` (see `text_problem`).
    pub text_status: TextStatus,
    /// Why the text could not be read, or only in part (`encrypted`, `unreadable`,
    /// `too_complex`, `too_slow`, `ocr_off`, …).
    pub text_problem: Option<Problem>,
    pub page_count: Option<i64>,
    /// 1-based pages that had no text layer (scans).
    pub pages_without_text: Vec<i64>,
    /// The classifier's view, once the text is read.
    pub classification: Option<Classification>,
    /// The uploader's kind and a confident classifier disagree; an assistant can clear it.
    pub kind_mismatch: bool,
    /// The invoice data of an electronic invoice (Factur-X, ZUGFeRD, XRechnung).
    pub facturx: Option<FacturX>,
    /// The blob and size of the first page's thumbnail, once made (pages show it; the API
    /// does not).
    #[serde(skip)]
    #[schema(ignore)]
    pub thumbnail: Option<(Sha256Hex, i64)>,
}

impl Document {
    /// The understanding fields of a piece just uploaded.
    pub fn pending() -> Document {
        Document {
            id: String::new(),
            dossier: String::new(),
            kind: None,
            title: String::new(),
            comment: None,
            original_name: String::new(),
            mime_type: String::new(),
            size: 0,
            sha256: Sha256Hex::from_digest(&[0; 32]),
            uploaded_by: String::new(),
            uploaded_at: String::new(),
            duplicate: None,
            text_status: TextStatus::Pending,
            text_problem: None,
            page_count: None,
            pages_without_text: Vec::new(),
            classification: None,
            kind_mismatch: false,
            facturx: None,
            thumbnail: None,
        }
    }
}

pub(super) const SELECT: &str = "select doc.*, d.number as dossier_number, u.login as uploader_login \
                      from documents doc join dossiers d on d.id = doc.dossier_id \
                      join users u on u.id = doc.uploaded_by";

pub async fn find_visible(db: &Db, caller: &Caller, id: &str) -> sqlx::Result<Option<Document>> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(None);
    }
    let sql = format!("{SELECT} where doc.id = $1 and {}", perimetre_sql("d.company_id", 2, 3));
    let row = sqlx::query(&sql).bind(id).bind(caller.role.as_str()).bind(&caller.user_id).fetch_optional(db).await?;
    row.as_ref().map(from_row).transpose()
}

/// The pieces of a dossier the caller has already been allowed to see, oldest first.
pub async fn list_for_dossier(db: &Db, dossier_id: &str) -> sqlx::Result<Vec<Document>> {
    let rows = sqlx::query(&format!("{SELECT} where doc.dossier_id = $1 order by doc.uploaded_at, doc.id"))
        .bind(dossier_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find_in_dossier_by_sha256(db: &Db, dossier_id: &str, sha256: &str) -> sqlx::Result<Option<Document>> {
    let row = sqlx::query(&format!("{SELECT} where doc.dossier_id = $1 and doc.sha256 = $2"))
        .bind(dossier_id)
        .bind(sha256)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The same bytes once per dossier (`unique (dossier_id, sha256)`).
pub const SAME_BYTES: UniqueConstraint =
    UniqueConstraint { postgres: "documents_dossier_id_sha256_key", sqlite: "documents.dossier_id, documents.sha256" };

pub struct NewRow<'a> {
    pub id: &'a str,
    pub dossier_id: &'a str,
    pub kind: Option<DocKind>,
    pub title: &'a str,
    pub comment: Option<&'a str>,
    pub original_name: &'a str,
    pub mime_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub uploaded_by: &'a str,
    pub uploaded_at: &'a str,
}

/// Inserts the row; with `only_if_open`, only while its dossier is not closed (checked in the
/// same statement, so a dossier closed during a long upload takes no piece). Returns whether the
/// row was inserted.
pub async fn insert(tx: &mut Transaction<'_, Any>, row: &NewRow<'_>, only_if_open: bool) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into documents (id, dossier_id, kind, title, comment, original_name, mime_type, size, sha256, \
         uploaded_by, uploaded_at) select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 \
         where $12 = 0 or exists (select 1 from dossiers where id = $2 and state <> 'closed')",
    )
    .bind(row.id)
    .bind(row.dossier_id)
    .bind(row.kind.map(DocKind::code))
    .bind(row.title)
    .bind(row.comment)
    .bind(row.original_name)
    .bind(row.mime_type)
    .bind(row.size)
    .bind(row.sha256)
    .bind(row.uploaded_by)
    .bind(row.uploaded_at)
    .bind(i64::from(only_if_open))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the kind of a piece and clears its mismatch flag, with a history event, in one transaction
/// (only staff do: the kind is then the classifier's to learn with staff's weight).
pub async fn correct_kind(db: &Db, document: &Document, kind: Option<DocKind>, by_user: &str) -> sqlx::Result<()> {
    let mut tx = crate::db::begin(db).await?;
    let dossier_id: String = sqlx::query_scalar("select dossier_id from documents where id = $1")
        .bind(&document.id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("update documents set kind = $2, kind_mismatch = 0, kind_by_staff = 1 where id = $1")
        .bind(&document.id)
        .bind(kind.map(DocKind::code))
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({
        "document": document.id,
        "title": document.title,
        "from": document.kind,
        "to": kind,
        "detected": document.classification.as_ref().map(|c| c.kind),
    });
    crate::dossiers::history::record(&mut tx, &dossier_id, Some(by_user), "document_kind_corrected", detail).await?;
    crate::search::outbox::touch(&mut tx, &document.id).await?;
    tx.commit().await
}

pub(super) fn from_row(row: &AnyRow) -> sqlx::Result<Document> {
    let kind: Option<String> = row.try_get("kind")?;
    Ok(Document {
        id: row.try_get("id")?,
        dossier: row.try_get("dossier_number")?,
        kind: kind.as_deref().and_then(DocKind::parse),
        title: row.try_get("title")?,
        comment: row.try_get("comment")?,
        original_name: row.try_get("original_name")?,
        mime_type: row.try_get("mime_type")?,
        size: row.try_get("size")?,
        sha256: {
            let text: String = row.try_get("sha256")?;
            Sha256Hex::parse(&text).ok_or_else(|| crate::db::unexpected("sha256", &text))?
        },
        uploaded_by: row.try_get("uploader_login")?,
        uploaded_at: row.try_get("uploaded_at")?,
        duplicate: None,
        text_status: {
            let text: String = row.try_get("text_status")?;
            TextStatus::parse(&text).ok_or_else(|| crate::db::unexpected("text_status", &text))?
        },
        text_problem: json_column(row, "text_reason")?,
        page_count: row.try_get("page_count")?,
        pages_without_text: json_column(row, "pages_without_text")?.unwrap_or_default(),
        classification: classification(row)?,
        kind_mismatch: row.try_get::<i64, _>("kind_mismatch")? != 0,
        facturx: json_column(row, "facturx")?,
        thumbnail: match row.try_get::<Option<String>, _>("thumbnail_sha256")?.as_deref().map(Sha256Hex::parse) {
            Some(Some(sha)) => Some((sha, row.try_get::<Option<i64>, _>("thumbnail_size")?.unwrap_or(0))),
            _ => None,
        },
    })
}

fn classification(row: &AnyRow) -> sqlx::Result<Option<Classification>> {
    let Some(kind) = row.try_get::<Option<String>, _>("detected_kind")?.as_deref().and_then(DocKind::parse) else {
        return Ok(None);
    };
    Ok(Some(Classification {
        kind,
        confidence: row.try_get::<Option<f64>, _>("kind_confidence")?.unwrap_or(0.0),
        reasons: json_column(row, "kind_reasons")?.unwrap_or_default(),
        other_kinds: json_column(row, "other_kinds")?.unwrap_or_default(),
    }))
}

/// A JSON text column; an unreadable value reads as absent.
fn json_column<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> sqlx::Result<Option<T>> {
    let text: Option<String> = row.try_get(column)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// The text read of a piece, page by page (1-based page, `layer` or `ocr`, text), at most
/// `max_chars` characters in all (the rest is cut).
pub async fn page_texts(db: &Db, document_id: &str, max_chars: usize) -> sqlx::Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query("select page, source, text from document_pages where document_id = $1 order by page")
        .bind(document_id)
        .fetch_all(db)
        .await?;
    let mut left = max_chars;
    let mut pages = Vec::new();
    for row in rows {
        if left == 0 {
            break;
        }
        let text: String = row.try_get("text")?;
        let kept: String = text.chars().take(left).collect();
        left -= kept.chars().count();
        pages.push((row.try_get::<i64, _>("page")?, row.try_get("source")?, kept));
    }
    Ok(pages)
}
