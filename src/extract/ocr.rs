//! OCR of scans with Tesseract and its French model (`tesseract-ocr`, `tesseract-ocr-fra`).
//! Images are read as they are (a multi-page TIFF gives one text per page) when their size in
//! pixels is sane; PDF pages without a text layer are first rendered to greyscale PNG with
//! poppler's `pdftoppm`, within a box of pixels whatever the page's size. Each tool runs in the
//! sandbox (`crate::sandbox`): memory, CPU, file size and a deadline.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;

use super::Problem;
use crate::sandbox::{self, Limits, NotStarted};

/// Why a tool gave no text: the piece (its problem is recorded), or the machine (the tool could
/// not start: the reading is tried again later).
#[derive(Debug)]
pub enum Failure {
    Piece(Problem),
    NotStarted(NotStarted),
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Failure {
        Failure::Piece(problem)
    }
}

/// One OCR tool's run. Tesseract reads an A4 page at 300 dpi in a few seconds and under 500 MiB;
/// a 671-byte PDF of three blank 5500×5500 pt pages drove it to 5.5 GiB for 267 s before these.
const LIMITS: Limits = Limits {
    memory: 2 * 1024 * 1024 * 1024,
    cpu_secs: 120,
    file_size: 256 * 1024 * 1024,
    deadline: Duration::from_secs(180),
};
/// PDF pages are rendered within a square of this many pixels a side: an A4 page at 300 dpi
/// (2480×3508), whatever size the page claims.
const RENDER_BOX: &str = "3508";
/// The most pixels of an image given to OCR: an A4 page scanned at 600 dpi is 35 million.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The most text read from one tool's output.
const MAX_OUTPUT: u64 = 16 * 1024 * 1024;

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

/// How many pages an image file (JPEG, PNG, TIFF) has, and the text of its first pages: at
/// most `max_pages`, and none begun after `budget` (a multi-page TIFF is read page by page),
/// unless it is too large to read.
pub async fn image_pages(path: &Path, max_pages: usize, budget: Duration) -> Result<(usize, Vec<String>), Failure> {
    check_pixels(path)?;
    let count = super::tiff::page_count(path).unwrap_or(1);
    if count == 1 {
        return Ok((1, vec![tesseract(path, None).await?.trim().to_string()]));
    }
    let started = std::time::Instant::now();
    let mut pages = Vec::new();
    for page in 0..count.min(max_pages) {
        if started.elapsed() > budget {
            break;
        }
        pages.push(tesseract(path, Some(page)).await?.trim().to_string());
    }
    Ok((count, pages))
}

/// The text of page `page` (1-based) of a PDF, rendered then read.
pub async fn pdf_page(pdf: &Path, page: usize, work: &Path) -> Result<String, Failure> {
    let prefix = work.join(format!("page-{page}"));
    let number = page.to_string();
    let mut command = sandbox::command("pdftoppm", &LIMITS);
    command
        .args(["-scale-to", RENDER_BOX, "-gray", "-png", "-singlefile", "-f", &number, "-l", &number])
        .arg(pdf)
        .arg(&prefix);
    run(&mut command, "pdftoppm").await?.map_err(|why| {
        tracing::warn!("pdftoppm failed on page {page}: {why}");
        Problem::new("render_failed", format!("La page {page} n'a pas pu être convertie en image pour l'OCR."))
    })?;
    let image = prefix.with_extension("png");
    let text = tesseract(&image, None).await;
    let _ = tokio::fs::remove_file(&image).await;
    Ok(text?.trim().to_string())
}

/// The text of `image`, or of its page `page` (0-based) only.
async fn tesseract(image: &Path, page: Option<usize>) -> Result<String, Failure> {
    let mut command = sandbox::command("tesseract", &LIMITS);
    command.arg(image).args(["stdout", "-l", "fra", "--psm", "3"]);
    if let Some(page) = page {
        command.arg("-c").arg(format!("tessedit_page_number={page}"));
    }
    let output = run(&mut command, "tesseract").await?.map_err(|why| {
        tracing::warn!("tesseract failed: {why}");
        Problem::new("ocr_failed", "La reconnaissance de texte (OCR) a échoué sur cette image.")
    })?;
    Ok(String::from_utf8_lossy(&output).into_owned())
}

/// Refuses an image whose header claims more than [`MAX_PIXELS`] (a valid 30000×30000 PNG took
/// Tesseract to 3.2 GiB), or that has no readable size.
fn check_pixels(path: &Path) -> Result<(), Problem> {
    let size = imagesize::size(path).map_err(|e| {
        tracing::warn!("an image's size cannot be read: {e}");
        Problem::new("unreadable", "L'image est endommagée : sa taille ne peut pas être lue.")
    })?;
    let pixels = (size.width as u64).saturating_mul(size.height as u64);
    if pixels > MAX_PIXELS {
        return Err(Problem::new(
            "image_too_large",
            format!(
                "L'image fait {} × {} pixels : au-delà de {} millions de pixels, son texte n'est pas lu.",
                size.width,
                size.height,
                MAX_PIXELS / 1_000_000
            ),
        ));
    }
    Ok(())
}

/// Runs a sandboxed tool to its end within the deadline; its stdout (at most [`MAX_OUTPUT`]
/// bytes), or why it failed; an error when it could not start.
async fn run(command: &mut Command, program: &str) -> Result<Result<Vec<u8>, String>, Failure> {
    command.stdout(Stdio::piped());
    let mut child = sandbox::spawn(command, program).await.map_err(Failure::NotStarted)?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let outcome = tokio::time::timeout(LIMITS.deadline, async {
        let mut output = Vec::new();
        (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut output).await?;
        std::io::Result::Ok((child.wait().await?, output))
    })
    .await;
    let (status, output) = match outcome {
        Err(_) => {
            let _ = child.kill().await;
            return Ok(Err(format!("no answer within {} s", LIMITS.deadline.as_secs())));
        }
        Ok(Err(e)) => return Ok(Err(e.to_string())),
        Ok(Ok(done)) => done,
    };
    if let Some(not_started) = NotStarted::from_status(program, status) {
        return Err(Failure::NotStarted(not_started));
    }
    Ok(if status.success() { Ok(output) } else { Err(format!("stopped: {status}")) })
}
