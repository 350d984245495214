//! OCR of scans with Tesseract and its French model (`tesseract-ocr`, `tesseract-ocr-fra`).
//! Images are read as they are (a multi-page TIFF gives one text per page); PDF pages without a
//! text layer are first rendered to greyscale PNG with poppler's `pdftoppm`. Each tool runs as a
//! child process with a deadline.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::Problem;

const DEADLINE: Duration = Duration::from_secs(180);
/// Rendering resolution of PDF pages for OCR.
const DPI: &str = "300";

/// Whether OCR can run here: `tesseract` with the `fra` model, and `pdftoppm`.
pub fn available() -> bool {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| {
        let langs = std::process::Command::new("tesseract").arg("--list-langs").stderr(Stdio::null()).output();
        let french = langs
            .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == "fra"));
        if !french {
            tracing::warn!("OCR is off: `tesseract` with the French model (`fra`) is not installed");
        }
        french
    })
}

/// The text of each page of an image file (JPEG, PNG, TIFF).
pub async fn image_pages(path: &Path) -> Result<Vec<String>, Problem> {
    let text = tesseract(path).await?;
    // Tesseract separates the pages of a multi-page image with a form feed.
    let mut pages: Vec<String> = text.split('\u{c}').map(|p| p.trim().to_string()).collect();
    if pages.len() > 1 && pages.last().is_some_and(String::is_empty) {
        pages.pop();
    }
    Ok(pages)
}

/// The text of page `page` (1-based) of a PDF, rendered then read.
pub async fn pdf_page(pdf: &Path, page: usize, work: &Path) -> Result<String, Problem> {
    let prefix = work.join(format!("page-{page}"));
    let number = page.to_string();
    let rendered = run(Command::new("pdftoppm")
        .args(["-r", DPI, "-gray", "-png", "-singlefile", "-f", &number, "-l", &number])
        .arg(pdf)
        .arg(&prefix))
    .await
    .map_err(|why| {
        tracing::warn!("pdftoppm failed on page {page}: {why}");
        Problem::new("render_failed", format!("La page {page} n'a pas pu être convertie en image pour l'OCR."))
    })?;
    drop(rendered);
    let image = prefix.with_extension("png");
    let text = tesseract(&image).await;
    let _ = tokio::fs::remove_file(&image).await;
    Ok(text?.trim().to_string())
}

async fn tesseract(image: &Path) -> Result<String, Problem> {
    let output =
        run(Command::new("tesseract").arg(image).args(["stdout", "-l", "fra", "--psm", "3"])).await.map_err(|why| {
            tracing::warn!("tesseract failed: {why}");
            Problem::new("ocr_failed", "La reconnaissance de texte (OCR) a échoué sur cette image.")
        })?;
    Ok(String::from_utf8_lossy(&output).into_owned())
}

/// Runs a tool to its end within the deadline; its stdout, or why it failed.
async fn run(command: &mut Command) -> Result<Vec<u8>, String> {
    command
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().map_err(|e| e.to_string())?;
    match tokio::time::timeout(DEADLINE, child.wait_with_output()).await {
        Err(_) => Err(format!("no answer within {} s", DEADLINE.as_secs())),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(output)) if output.status.success() => Ok(output.stdout),
        Ok(Ok(output)) => Err(format!("{}: {}", output.status, String::from_utf8_lossy(&output.stderr).trim())),
    }
}
