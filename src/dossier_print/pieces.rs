//! The printed dossier with its pieces (`?with_pieces=true`): each PDF piece behind a separator
//! page naming it, joined in a sandboxed child process. Only the pieces the reader read whole and
//! without trouble are joined; the others' separator says why they are not.

use axum::body::Body;
use axum::http::StatusCode;
use futures_util::StreamExt;
use serde::Serialize;

use super::{blocking, piece_row, render_pages, HistoryRow, InvoiceRow};
use crate::documents::{sql as documents_sql, Document};
use crate::dossiers::sql::DossierRecord;
use crate::error::{AppError, AppResult};
use crate::render::{self, PdfIdentity, Template};
use crate::slots::Busy;
use crate::state::AppState;

const SEPARATOR: Template = Template { name: "separator", source: include_str!("../../templates/separator.typ") };

/// The most bytes of pieces joined into one printed dossier.
const MAX_JOINED_BYTES: u64 = 200 * 1024 * 1024;

/// The dossier page, then each piece behind its separator, joined in a sandboxed child process
/// (`pieces merge-pdf`, under the PDF reader's limits), one print per company at a time and
/// `state::PRINTS` in all; the joined file is streamed from disk, never held in memory.
pub(super) async fn with_pieces(
    state: &AppState,
    dossier: DossierRecord,
    documents: Vec<Document>,
    history: Vec<HistoryRow>,
    invoices: Vec<InvoiceRow>,
    today: time::Date,
) -> AppResult<Body> {
    let total: u64 = documents.iter().filter(|d| joinable(d)).map(|d| d.size as u64).sum();
    if total > MAX_JOINED_BYTES {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large_to_print",
            "The dossier's pieces are too large to print in one PDF: print them one by one.",
            "Les pièces du dossier sont trop volumineuses pour un seul PDF : imprimez-les une à une.",
        ));
    }
    let _turn = state.prints.take(&dossier.company_id).map_err(|busy| {
        let (en, fr) = match busy {
            Busy::Yours => (
                "A dossier of this company is being printed with its pieces: try again when it is done.",
                "Un dossier de cette entreprise est en cours d'impression avec ses pièces : réessayez ensuite.",
            ),
            Busy::Everyone => (
                "Dossiers are being printed with their pieces: try again in a moment.",
                "Des dossiers sont en cours d'impression avec leurs pièces : réessayez dans un instant.",
            ),
        };
        AppError::new(StatusCode::TOO_MANY_REQUESTS, "print_busy", en, fr)
    })?;
    let work =
        tempfile::tempdir_in(state.config.storage_dir().join("tmp")).map_err(|e| AppError::internal(e.into()))?;
    let failed = |e: std::io::Error| AppError::internal(e.into());
    let listed = documents.clone();
    let pages = blocking(move || render_pages(&dossier, &listed, &history, &invoices, today, true)).await?;
    // The dossier page, then per piece its separator and, when joinable, the piece itself.
    let mut inputs = Vec::new();
    for (n, page) in pages.iter().enumerate() {
        let path = work.path().join(format!("{n}-page.pdf"));
        tokio::fs::write(&path, page).await.map_err(failed)?;
        inputs.push(path);
        if let Some(document) = n.checked_sub(1).map(|i| &documents[i]).filter(|d| joinable(d)) {
            let path = work.path().join(format!("{n}-piece.pdf"));
            write_blob(state, document, &path).await?;
            inputs.push(path);
        }
    }
    let output = work.path().join("dossier.pdf");
    let exe = state.config.helper_exe.clone().map_or_else(std::env::current_exe, Ok).map_err(failed)?;
    if !crate::render::merge::merge_pdfs(&exe, &inputs, &output).await {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pieces_not_joinable",
            "The pieces could not be joined: print the dossier without them, or the pieces one by one.",
            "Les pièces n'ont pas pu être jointes : imprimez le dossier sans elles, ou les pièces une à une.",
        ));
    }
    let file = tokio::fs::File::open(&output).await.map_err(failed)?;
    // The work folder goes when the stream ends (or the client leaves).
    let chunks = tokio_util::io::ReaderStream::new(file).map(move |chunk| {
        let _kept = (&work, &_turn);
        chunk
    });
    Ok(Body::from_stream(chunks))
}

/// A piece joined to the printout: a PDF that the sandboxed reader read without trouble (a text
/// cut at its cap, or scans left unread, are no trouble: the file is whole).
fn joinable(document: &Document) -> bool {
    let soft = |code: &str| ["page_cap", "text_cap", "ocr_off", "ocr_failed", "render_failed"].contains(&code);
    document.mime_type == "application/pdf"
        && document.text_status == documents_sql::TextStatus::Done
        && document.text_problem.as_ref().is_none_or(|p| soft(&p.code))
}

/// Streams the piece's verified bytes into `path`.
async fn write_blob(state: &AppState, document: &Document, path: &std::path::Path) -> AppResult<()> {
    use tokio::io::AsyncWriteExt;
    let context = || format!("document {}", document.id);
    let mut stream = state
        .storage
        .get_verified(&document.sha256, document.size as u64)
        .await
        .map_err(|error| AppError::internal(anyhow::Error::new(error).context(context())))?;
    let mut file = tokio::fs::File::create(path).await.map_err(|e| AppError::internal(e.into()))?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| AppError::internal(anyhow::Error::new(e).context(context())))?;
        file.write_all(&chunk).await.map_err(|e| AppError::internal(e.into()))?;
    }
    file.flush().await.map_err(|e| AppError::internal(e.into()))
}

/// The separator page before the piece `n` of `total`.
pub(super) fn separator_page(
    dossier: &DossierRecord,
    document: &Document,
    (n, total): (usize, usize),
    identity: &PdfIdentity,
) -> Result<Vec<u8>, render::RenderError> {
    let separator = Separator::new(dossier, document, n, total, joinable(document));
    render::render_pdf(&SEPARATOR, &separator, &[], identity)
}

#[derive(Serialize)]
struct Separator {
    dossier: String,
    n: String,
    total: String,
    title: String,
    file: String,
    kind: String,
    pages: String,
    date: String,
    sha256: String,
}

impl Separator {
    fn new(dossier: &DossierRecord, document: &Document, n: usize, total: usize, joined: bool) -> Separator {
        let row = piece_row(n, document);
        let kind = if joined {
            row.kind.to_string()
        } else if document.mime_type != "application/pdf" {
            format!("{} (image non jointe : téléchargez-la depuis le dossier)", row.kind)
        } else {
            format!("{} (non jointe : pièce en cours de lecture ou illisible)", row.kind)
        };
        Separator {
            dossier: dossier.number.clone(),
            n: n.to_string(),
            total: total.to_string(),
            title: row.title,
            file: row.file,
            kind,
            pages: row.pages,
            date: row.date,
            sha256: document.sha256.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A title stored before texts were checked (a NUL, an escape, a bidi override) must not make
    /// the dossier unprintable for good: such characters print as U+FFFD.
    #[test]
    fn stored_control_characters_do_not_break_printing() {
        let separator = Separator {
            dossier: "26.A.90101.1".into(),
            n: "1".into(),
            total: "1".into(),
            title: "facture\0 \u{1b}[2J \u{202E}fdp.exe".into(),
            file: "facture\0.pdf".into(),
            kind: "Facture".into(),
            pages: "1".into(),
            date: "1 décembre 2026".into(),
            sha256: "0".repeat(64),
        };
        let identity = PdfIdentity { ident: "test", date: time::macros::date!(2026 - 12 - 01) };
        let pdf = render::render_pdf(&SEPARATOR, &separator, &[], &identity).expect("printed");
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
