//! The PDF reader runs as a child process (`pieces extract-pdf FILE`) under `prlimit`, with a
//! memory cap, a CPU-time cap and a wall-clock deadline. A PDF that exhausts memory, overflows the
//! parser's stack or loops forever kills only the child; the piece is then marked unreadable,
//! with the reason. The child prints one JSON `PdfReading` on stdout.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;

use super::{PdfReading, Problem};

/// Address space the reader may map.
const MEMORY_LIMIT: u64 = 2 * 1024 * 1024 * 1024;
/// CPU seconds the reader may use.
const CPU_LIMIT_SECS: u64 = 30;
/// Wall-clock time before the reader is killed.
const DEADLINE: Duration = Duration::from_secs(60);
/// Largest report read from the child.
const MAX_REPORT: u64 = (super::MAX_PAGES * super::MAX_PAGE_CHARS * 4) as u64;

/// Reads the PDF at `path` in a sandboxed child of `exe`.
pub async fn read_pdf(exe: &Path, path: &Path) -> PdfReading {
    match run(exe, path).await {
        Ok(reading) => reading,
        Err(problem) => PdfReading { problem: Some(problem), ..PdfReading::default() },
    }
}

/// `exe` under the memory and CPU caps (when `prlimit` is installed), quiet, with no input,
/// killed when dropped; its stdout is the caller's to set.
fn limited(exe: &Path) -> Command {
    let mut command = if prlimit_available() {
        let mut command = Command::new("prlimit");
        command.arg(format!("--as={MEMORY_LIMIT}")).arg(format!("--cpu={CPU_LIMIT_SECS}")).arg("--").arg(exe);
        command
    } else {
        tracing::warn!("prlimit is not installed: the PDF child process runs without a memory cap");
        Command::new(exe)
    };
    command
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LOG", "off")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Joins the PDFs `inputs`, in order, into `output`, in a child process (`pieces merge-pdf`)
/// under the reader's limits: the inputs may be uploaded pieces. False when it could not.
pub async fn merge_pdfs(exe: &Path, inputs: &[std::path::PathBuf], output: &Path) -> bool {
    let mut command = limited(exe);
    command.arg("merge-pdf").arg(output).args(inputs).stdout(Stdio::null());
    let Ok(mut child) = command.spawn() else { return false };
    match tokio::time::timeout(DEADLINE, child.wait()).await {
        Ok(Ok(status)) => status.success(),
        _ => {
            let _ = child.kill().await;
            false
        }
    }
}

/// The child's side of [`merge_pdfs`]: `pieces merge-pdf OUTPUT INPUT…`.
pub fn merge_main(output: &Path, inputs: &[std::path::PathBuf]) -> std::process::ExitCode {
    let parts: Result<Vec<lopdf::Document>, _> = inputs.iter().map(lopdf::Document::load).collect();
    let merged = parts.ok().and_then(|parts| crate::render::merge::merge(parts).ok());
    match merged.map(|bytes| std::fs::write(output, bytes)) {
        Some(Ok(())) => std::process::ExitCode::SUCCESS,
        _ => std::process::ExitCode::from(2),
    }
}

async fn run(exe: &Path, path: &Path) -> Result<PdfReading, Problem> {
    let mut command = limited(exe);
    command.arg("extract-pdf").arg(path).stdout(Stdio::piped());
    let mut child = command.spawn().map_err(|e| {
        tracing::error!("cannot start the PDF reader {}: {e}", exe.display());
        Problem::new("reader_unavailable", "Le lecteur de PDF n'a pas pu être lancé.")
    })?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let outcome = tokio::time::timeout(DEADLINE, async {
        let mut report = Vec::new();
        (&mut stdout).take(MAX_REPORT).read_to_end(&mut report).await?;
        let status = child.wait().await?;
        std::io::Result::Ok((status, report))
    })
    .await;
    let (status, report) = match outcome {
        Err(_elapsed) => {
            let _ = child.kill().await;
            return Err(Problem::new("too_slow", "La lecture du PDF a dépassé le temps permis."));
        }
        Ok(Err(e)) => {
            tracing::error!("the PDF reader failed: {e}");
            return Err(Problem::new("reader_unavailable", "Le lecteur de PDF a échoué."));
        }
        Ok(Ok(done)) => done,
    };
    if !status.success() {
        tracing::warn!(file = %path.display(), "the PDF reader stopped: {status}");
        return Err(Problem::new(
            "too_complex",
            "La lecture du PDF a dépassé la mémoire ou le temps permis, ou l'a fait échouer.",
        ));
    }
    serde_json::from_slice(&report).map_err(|e| {
        tracing::error!("the PDF reader's report is not valid: {e}");
        Problem::new("reader_unavailable", "Le lecteur de PDF a rendu un résultat illisible.")
    })
}

fn prlimit_available() -> bool {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| {
        std::process::Command::new("prlimit")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
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
