//! `pieces bench extract`: pages per second of text extraction (through the sandboxed reader)
//! and of OCR, and the time from upload to `text_status: done` for a scan of three pages.

use std::path::PathBuf;
use std::time::Instant;

use super::server::Server;
use crate::config::Config;

#[derive(clap::Args)]
pub struct ExtractBench {
    /// Labelled manifest whose text PDFs and scans are read.
    #[arg(long, default_value = "samples/corpus/test/manifest.csv")]
    manifest: PathBuf,
    /// Scanned pages to OCR for the OCR rate.
    #[arg(long, default_value_t = 24)]
    ocr_pages: usize,
    /// The scan uploaded for the upload-to-done time.
    #[arg(long, default_value = "samples/corpus/test/emargement-15-scan.pdf")]
    scan: PathBuf,
    /// The server's data folder is a fresh folder under `--data-dir`.
    #[command(flatten)]
    config: Config,
}

pub async fn run(bench: ExtractBench) -> anyhow::Result<()> {
    use crate::extract::reader::{self, Reader};
    let files = crate::classify::manifest::read_manifest(&bench.manifest)?;
    let reader = Reader::new(None, "auto")?;
    let work = tempfile::tempdir()?;
    let texts: Vec<&PathBuf> =
        files.iter().map(|(p, _)| p).filter(|p| p.extension().is_some_and(|e| e == "pdf")).collect();

    // Text layers, through the sandboxed reader as the service runs it (one child per file).
    let (mut pages, mut text_files) = (0, 0);
    let started = Instant::now();
    for path in &texts {
        let reading = crate::extract::child::read_pdf(&reader.exe, path).await?;
        if reading.problem.is_none() && reading.pages.iter().all(|p| !crate::extract::pdf_text::is_textless(p)) {
            pages += reading.page_count;
            text_files += 1;
        }
    }
    let sandboxed = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for path in &texts {
        let bytes = std::fs::read(path)?;
        std::hint::black_box(crate::extract::read_pdf_all(&bytes));
    }
    let in_process = started.elapsed().as_secs_f64();
    println!("pieces bench extract");
    println!(
        "  text layers: {pages} pages of {text_files} text PDFs: {:.0} pages/s in the sandboxed reader (a child process per file), {:.0} pages/s in process",
        pages as f64 / sandboxed, pages as f64 / in_process
    );

    // OCR of scanned pages, one at a time (a worker's rate; the service runs cores − 1 workers).
    if !reader.ocr {
        println!("  OCR: skipped (Tesseract with `fra` is not installed)");
        return Ok(());
    }
    let scans: Vec<&PathBuf> =
        files.iter().map(|(p, _)| p).filter(|p| p.to_string_lossy().contains("-scan.")).collect();
    let (mut ocr_pages, started) = (0, Instant::now());
    for (index, path) in scans.iter().enumerate() {
        if ocr_pages >= bench.ocr_pages {
            break;
        }
        let scratch = work.path().join(index.to_string());
        ocr_pages += reader::read_file(&reader, path, &scratch).await?.page_count;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  OCR: {ocr_pages} scanned pages in {seconds:.1} s: {:.2} pages/s for one worker ({:.2} s a page)",
        ocr_pages as f64 / seconds,
        seconds / ocr_pages as f64
    );

    // Upload → text_status done, through a real server.
    let mut config = bench.config.clone().with_env_credentials();
    let folder = tempfile::Builder::new().prefix("bench-").tempdir_in(&config.data_dir)?;
    config.data_dir = folder.path().join("server");
    let mut server = Server::start(&config).await?;
    let result = server.upload_until_read(&bench.scan).await;
    server.stop().await;
    let (seconds, pages) = result?;
    println!("  upload → text_status done: {seconds:.1} s for a {pages}-page scan ({})", bench.scan.display());
    Ok(())
}
