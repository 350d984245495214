//! The `understand` job of a piece: fetch its verified bytes, read its text (the PDF's text
//! layer in the sandboxed reader, OCR for images and for PDF pages without text), read its
//! Factur-X data, classify it, and record all of it with the job's completion in one
//! transaction. A piece whose text cannot be read is still kept: its `text_status` becomes
//! `failed` with the reason.

use anyhow::Context;
use futures_util::StreamExt;
use sqlx::Row;
use tokio::io::AsyncWriteExt;

use super::sql::TextStatus;
use crate::classify::{classify, Classification};
use crate::db::Db;
use crate::domain::DocKind;
use crate::domain::Sha256Hex;
use crate::extract::reader::{self, Reader, Reading};
use crate::extract::Problem;
use crate::jobs::{self, Job};
use crate::state::AppState;

/// A classifier at least this sure that the uploader's kind is wrong flags the piece.
const MISMATCH_CONFIDENCE: f64 = 0.7;

pub async fn run(state: &AppState, job: &Job) -> anyhow::Result<()> {
    let row = sqlx::query("select sha256, size, mime_type, kind from documents where id = $1")
        .bind(&job.document_id)
        .fetch_one(&state.db)
        .await
        .context("the document row")?;
    let sha256 = Sha256Hex::parse(&row.try_get::<String, _>("sha256")?).context("a stored sha256")?;
    let size: i64 = row.try_get("size")?;
    let mime_type: String = row.try_get("mime_type")?;
    let given: Option<DocKind> = row.try_get::<Option<String>, _>("kind")?.as_deref().and_then(DocKind::parse);

    let work_root = state.config.storage_dir().join("work");
    tokio::fs::create_dir_all(&work_root).await?;
    let work = tempfile::Builder::new().prefix("understand-").tempdir_in(work_root)?;
    let path = work.path().join("piece");
    fetch(state, &sha256, size as u64, &path).await?;
    let reader = Reader::new(state.config.helper_exe.as_deref(), &state.config.ocr)?;
    let understanding = reader::read(&reader, &path, &mime_type, work.path()).await?;
    let model = state.learner.current();
    // Up to half a million characters to weigh: off the async executor.
    let (understanding, classification) = tokio::task::spawn_blocking(move || {
        let classification = classify(&understanding.texts(), understanding.facturx.as_ref(), Some(&model));
        (understanding, classification)
    })
    .await?;
    let mismatch = given.is_some_and(|g| g != classification.kind && classification.confidence >= MISMATCH_CONFIDENCE);
    let thumbnail = thumbnail(state, &path, &mime_type, work.path()).await;
    record(&state.db, job, &understanding, &classification, mismatch, thumbnail).await?;
    state.search_wake.notify_one();
    tracing::info!(
        document = %job.document_id, pages = understanding.page_count, kind = classification.kind.code(),
        confidence = classification.confidence, problem = ?understanding.problem.as_ref().map(|p| &p.code),
        "piece understood"
    );
    Ok(())
}

/// The piece's thumbnail, made and stored as a blob; `None` when none can be made (or stored:
/// the piece's reading does not depend on its picture).
async fn thumbnail(
    state: &AppState,
    piece: &std::path::Path,
    mime: &str,
    work: &std::path::Path,
) -> Option<(Sha256Hex, u64)> {
    use sha2::Digest;
    let exe = state.config.helper_exe.clone().map_or_else(std::env::current_exe, Ok).ok()?;
    let file = crate::extract::thumbnail::make(&exe, piece, mime, work).await?;
    let bytes = tokio::fs::read(&file).await.ok()?;
    let sha256 = Sha256Hex::from_digest(&sha2::Sha256::digest(&bytes));
    match state.storage.put_file(&sha256, &file, bytes.len() as u64).await {
        Ok(()) => Some((sha256, bytes.len() as u64)),
        Err(error) => {
            tracing::warn!(error = %error, "a thumbnail could not be stored");
            None
        }
    }
}

/// Makes the thumbnails of the pieces read before thumbnails existed (migration 0016 left their
/// size null), a few at a time, once at start; a piece that cannot have one is marked (size 0)
/// and not tried again. The work is in sandboxed children; a failure leaves the rest for the
/// next start.
pub async fn backfill_thumbnails(state: &AppState) -> anyhow::Result<u64> {
    let mut made = 0;
    loop {
        let rows = sqlx::query(
            "select id, sha256, size, mime_type from documents \
             where thumbnail_size is null and text_status <> 'pending' order by id limit 20",
        )
        .fetch_all(&state.db)
        .await?;
        if rows.is_empty() {
            return Ok(made);
        }
        for row in rows {
            let id: String = row.try_get("id")?;
            let sha256 = Sha256Hex::parse(&row.try_get::<String, _>("sha256")?).context("a stored sha256")?;
            let size: i64 = row.try_get("size")?;
            let mime_type: String = row.try_get("mime_type")?;
            let work_root = state.config.storage_dir().join("work");
            tokio::fs::create_dir_all(&work_root).await?;
            let work = tempfile::Builder::new().prefix("thumbnail-").tempdir_in(work_root)?;
            let path = work.path().join("piece");
            // A blob that cannot be read is `pieces verify`'s business: no thumbnail, and on.
            let thumbnail = match fetch(state, &sha256, size as u64, &path).await {
                Ok(()) => thumbnail(state, &path, &mime_type, work.path()).await,
                Err(error) => {
                    tracing::warn!(document = %id, "no thumbnail: {error:#}");
                    None
                }
            };
            made += u64::from(thumbnail.is_some());
            sqlx::query(
                "update documents set thumbnail_sha256 = $2, thumbnail_size = $3 where id = $1 and thumbnail_size is null",
            )
            .bind(&id)
            .bind(thumbnail.as_ref().map(|(sha, _)| sha.to_string()))
            .bind(thumbnail.map_or(0, |(_, size)| size as i64))
            .execute(&state.db)
            .await?;
        }
    }
}

async fn fetch(state: &AppState, sha256: &Sha256Hex, size: u64, path: &std::path::Path) -> anyhow::Result<()> {
    let mut blob = state.storage.get_verified(sha256, size).await.context("the stored blob")?;
    let mut file = tokio::fs::File::create(path).await?;
    while let Some(chunk) = blob.next().await {
        file.write_all(&chunk.context("reading the stored blob")?).await?;
    }
    file.flush().await?;
    Ok(())
}

async fn record(
    db: &Db,
    job: &Job,
    understanding: &Reading,
    classification: &Classification,
    mismatch: bool,
    thumbnail: Option<(Sha256Hex, u64)>,
) -> anyhow::Result<()> {
    let json = |value: serde_json::Result<String>| value.unwrap_or_else(|_| "null".into());
    let mut tx = crate::db::begin(db).await?;
    // The job's row first, as a piece's removal takes it first: whichever comes second waits, and
    // a reading that finds its job gone writes nothing.
    jobs::finish(&mut tx, job).await?;
    sqlx::query("delete from document_pages where document_id = $1").bind(&job.document_id).execute(&mut *tx).await?;
    for (index, (text, source)) in understanding.pages.iter().enumerate() {
        sqlx::query("insert into document_pages (document_id, page, source, text) values ($1, $2, $3, $4)")
            .bind(&job.document_id)
            .bind(index as i64 + 1)
            .bind(*source)
            .bind(text)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "update documents set text_status = $2, text_reason = $3, page_count = $4, pages_without_text = $5, \
         detected_kind = $6, kind_confidence = $7, kind_reasons = $8, other_kinds = $9, kind_mismatch = $10, \
         facturx = $11, thumbnail_sha256 = $12, thumbnail_size = $13 where id = $1",
    )
    .bind(&job.document_id)
    .bind(if understanding.is_read() { TextStatus::Done } else { TextStatus::Failed }.as_str())
    .bind(understanding.problem.as_ref().map(|p| json(serde_json::to_string(p))))
    .bind(understanding.page_count as i64)
    .bind(json(serde_json::to_string(&understanding.pages_without_text)))
    .bind(classification.kind.code())
    .bind(classification.confidence)
    .bind(json(serde_json::to_string(&classification.reasons)))
    .bind(json(serde_json::to_string(&classification.other_kinds)))
    .bind(i64::from(mismatch))
    .bind(understanding.facturx.as_ref().map(|f| json(serde_json::to_string(f))))
    .bind(thumbnail.as_ref().map(|(sha, _)| sha.to_string()))
    // 0: none could be made (not tried again).
    .bind(thumbnail.map_or(0, |(_, size)| size as i64))
    .execute(&mut *tx)
    .await?;
    crate::search::outbox::touch(&mut tx, &job.document_id).await?;
    tx.commit().await?;
    Ok(())
}

/// After the last attempt failed, in the transaction that gives the job up: the piece's text is
/// marked failed with the reason.
pub async fn give_up(db: &mut sqlx::AnyConnection, document_id: &str, error: &str) -> sqlx::Result<()> {
    let problem = Problem::new("failed", format!("La lecture de la pièce a échoué : {error}"));
    sqlx::query("update documents set text_status = 'failed', text_reason = $2 where id = $1")
        .bind(document_id)
        .bind(serde_json::to_string(&problem).unwrap_or_default())
        .execute(db)
        .await?;
    Ok(())
}

/// The name of the job that reads a piece: its text, OCR of its scans, its Factur-X data, its kind.
pub const UNDERSTAND: &str = "understand";

/// The reading job, as the queue runs it.
pub const JOB: jobs::Kind = jobs::Kind {
    name: UNDERSTAND,
    work: |state, job| Box::pin(run(state, job)),
    give_up: |db, document_id, why| Box::pin(give_up(db, document_id, why)),
};
