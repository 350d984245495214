//! The sandboxed PDF reader: `pieces extract-pdf FILE` reads one PDF in a child process (under
//! `sandbox::READER`) and prints one JSON `PdfReading` on stdout; the service reads that report.

use std::path::Path;
use std::process::Stdio;

use tokio::io::AsyncReadExt;

use super::{PdfReading, Problem};
use crate::sandbox::{command, spawn, NotStarted, READER};

/// Largest report read from the child: its text (at most six bytes a character once escaped in
/// JSON), and 8 MiB for the rest (page count, Factur-X data).
const MAX_REPORT: u64 = (super::MAX_TEXT_CHARS * 6 + 8 * 1024 * 1024) as u64;

/// Reads the PDF at `path` in a sandboxed child of `exe`: what it found, or the problem that
/// stopped it; an error only when the child could not start.
pub async fn read_pdf(exe: &Path, path: &Path) -> Result<PdfReading, NotStarted> {
    match run(exe, path).await? {
        Ok(reading) => Ok(reading),
        Err(problem) => Ok(PdfReading { problem: Some(problem), ..PdfReading::default() }),
    }
}

async fn run(exe: &Path, path: &Path) -> Result<Result<PdfReading, Problem>, NotStarted> {
    let mut command = command(exe, &READER);
    command.arg("extract-pdf").arg(path).stdout(Stdio::piped());
    let child = spawn(&mut command, "the PDF reader").await?;
    report(child, path).await
}

/// The PDF reader's report, once it has ended; an error when the reader could not be run.
async fn report(mut child: tokio::process::Child, path: &Path) -> Result<Result<PdfReading, Problem>, NotStarted> {
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let outcome = tokio::time::timeout(READER.deadline, async {
        let mut report = Vec::new();
        (&mut stdout).take(MAX_REPORT).read_to_end(&mut report).await?;
        let status = child.wait().await?;
        std::io::Result::Ok((status, report))
    })
    .await;
    let (status, report) = match outcome {
        Err(_elapsed) => {
            let _ = child.kill().await;
            return Ok(Err(Problem::new("too_slow", "La lecture du PDF a dépassé le temps permis.")));
        }
        Ok(Err(e)) => {
            tracing::error!("the PDF reader failed: {e}");
            return Ok(Err(Problem::new("reader_unavailable", "Le lecteur de PDF a échoué.")));
        }
        Ok(Ok(done)) => done,
    };
    if let Some(not_started) = NotStarted::from_status("the PDF reader", status) {
        return Err(not_started);
    }
    if !status.success() {
        tracing::warn!(file = %path.display(), "the PDF reader stopped: {status}");
        return Ok(Err(Problem::new(
            "too_complex",
            "La lecture du PDF a dépassé la mémoire ou le temps permis, ou l'a fait échouer.",
        )));
    }
    // Several megabytes of JSON: parsed off the async executor.
    let parsed = tokio::task::spawn_blocking(move || serde_json::from_slice::<PdfReading>(&report)).await;
    Ok(parsed.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())).map_err(|e| {
        tracing::error!("the PDF reader's report is not valid: {e}");
        Problem::new("reader_unavailable", "Le lecteur de PDF a rendu un résultat illisible.")
    }))
}

/// The child's side: `pieces extract-pdf FILE`.
pub fn child_main(path: &Path) -> std::process::ExitCode {
    let reading = match std::fs::read(path) {
        Ok(bytes) => super::read_pdf_all(&bytes),
        Err(_) => return std::process::ExitCode::from(2),
    };
    match serde_json::to_writer(std::io::stdout().lock(), &reading) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::from(3),
    }
}
