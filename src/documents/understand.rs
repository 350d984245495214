//! The `understand` job of a piece: fetch its verified bytes, read its text (the PDF's text
//! layer in the sandboxed reader, OCR for images and for PDF pages without text), read its
//! Factur-X data, classify it, and record all of it with the job's completion in one
//! transaction. A piece whose text cannot be read is still kept: its `text_status` becomes
//! `failed` with the reason.

use anyhow::Context;
use futures_util::StreamExt;
use sqlx::Row;
use tokio::io::AsyncWriteExt;

use crate::app::AppState;
use crate::classify::{classify, Classification};
use crate::db::Db;
use crate::documents::DocKind;
use crate::domain::Sha256Hex;
use crate::extract::{ocr, pdf_text, sandbox, FacturX, Problem};
use crate::jobs::{self, Job};

/// At most this many scanned pages of one PDF are OCR'd.
const MAX_OCR_PAGES: usize = 50;
/// A classifier at least this sure that the uploader's kind is wrong flags the piece.
const MISMATCH_CONFIDENCE: f64 = 0.7;

/// What was understood of a piece.
#[derive(Debug, Default)]
struct Understanding {
    problem: Option<Problem>,
    page_count: usize,
    /// (text, source) per page.
    pages: Vec<(String, &'static str)>,
    pages_without_text: Vec<usize>,
    facturx: Option<FacturX>,
}

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
    let ocr_on = state.config.ocr != "off" && ocr::available();
    let understanding = if mime_type == "application/pdf" {
        read_pdf(state, &path, work.path(), ocr_on).await?
    } else if ocr_on {
        let pages = ocr::image_pages(&path).await.map_err(|p| anyhow::anyhow!("{}", p.detail_fr))?;
        // An image has no text layer: every page of it is a scan.
        let pages_without_text = (1..=pages.len()).collect();
        Understanding {
            page_count: pages.len(),
            pages: pages.into_iter().map(|t| (t, "ocr")).collect(),
            pages_without_text,
            ..Understanding::default()
        }
    } else {
        Understanding {
            problem: Some(Problem::new(
                "ocr_off",
                "L'OCR n'est pas disponible : le texte de cette image n'a pas été lu.",
            )),
            page_count: 1,
            pages_without_text: vec![1],
            ..Understanding::default()
        }
    };
    let texts: Vec<String> = understanding.pages.iter().map(|(t, _)| t.clone()).collect();
    let classification = classify(&texts, understanding.facturx.as_ref());
    let mismatch = given.is_some_and(|g| g != classification.kind && classification.confidence >= MISMATCH_CONFIDENCE);
    record(&state.db, job, &understanding, &classification, mismatch).await?;
    tracing::info!(
        document = %job.document_id, pages = understanding.page_count, kind = classification.kind.code(),
        confidence = classification.confidence, problem = ?understanding.problem.as_ref().map(|p| &p.code),
        "piece understood"
    );
    Ok(())
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

async fn read_pdf(
    state: &AppState,
    path: &std::path::Path,
    work: &std::path::Path,
    ocr_on: bool,
) -> anyhow::Result<Understanding> {
    let exe = match &state.config.helper_exe {
        Some(exe) => exe.clone(),
        None => std::env::current_exe().context("the path of this executable")?,
    };
    let reading = sandbox::read_pdf(&exe, path).await;
    if let Some(problem) = reading.problem {
        return Ok(Understanding { problem: Some(problem), ..Understanding::default() });
    }
    let mut pages: Vec<(String, &'static str)> = reading.pages.into_iter().map(|t| (t, "layer")).collect();
    let pages_without_text: Vec<usize> =
        pages.iter().enumerate().filter(|(_, (t, _))| pdf_text::is_textless(t)).map(|(i, _)| i + 1).collect();
    let mut problem = None;
    if !pages_without_text.is_empty() {
        if ocr_on {
            for &page in pages_without_text.iter().take(MAX_OCR_PAGES) {
                let text = ocr::pdf_page(path, page, work).await.map_err(|p| anyhow::anyhow!("{}", p.detail_fr))?;
                pages[page - 1] = (text, "ocr");
            }
        } else {
            problem = Some(Problem::new(
                "ocr_off",
                "Des pages sont scannées et l'OCR n'est pas disponible : leur texte n'a pas été lu.",
            ));
        }
    }
    Ok(Understanding { problem, page_count: reading.page_count, pages, pages_without_text, facturx: reading.facturx })
}

async fn record(
    db: &Db,
    job: &Job,
    understanding: &Understanding,
    classification: &Classification,
    mismatch: bool,
) -> sqlx::Result<()> {
    let json = |value: serde_json::Result<String>| value.unwrap_or_else(|_| "null".into());
    let mut tx = db.begin().await?;
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
         facturx = $11 where id = $1",
    )
    .bind(&job.document_id)
    .bind(if understanding.problem.as_ref().is_some_and(|p| p.code != "ocr_off" || understanding.pages.is_empty()) {
        "failed"
    } else {
        "done"
    })
    .bind(understanding.problem.as_ref().map(|p| json(serde_json::to_string(p))))
    .bind(understanding.page_count as i64)
    .bind(json(serde_json::to_string(&understanding.pages_without_text)))
    .bind(classification.kind.code())
    .bind(classification.confidence)
    .bind(json(serde_json::to_string(&classification.reasons)))
    .bind(json(serde_json::to_string(&classification.other_kinds)))
    .bind(i64::from(mismatch))
    .bind(understanding.facturx.as_ref().map(|f| json(serde_json::to_string(f))))
    .execute(&mut *tx)
    .await?;
    jobs::finish(&mut tx, job).await?;
    tx.commit().await
}

/// After the last attempt failed: the piece's text is marked failed with the error.
pub async fn give_up(state: &AppState, job: &Job, error: &str) -> sqlx::Result<()> {
    let problem = Problem::new("failed", format!("La lecture de la pièce a échoué : {error}"));
    sqlx::query("update documents set text_status = 'failed', text_reason = $2 where id = $1")
        .bind(&job.document_id)
        .bind(serde_json::to_string(&problem).unwrap_or_default())
        .execute(&state.db)
        .await?;
    Ok(())
}
