//! Every child process that reads an uploaded file (the PDF reader `pieces extract-pdf FILE`,
//! the merger of printed dossiers, `pdftoppm` and `tesseract` for OCR) runs in one sandbox:
//! - `prlimit` caps its memory (address space), CPU time and the size of any file it writes;
//! - `setpriv --pdeathsig KILL` has the kernel kill it when the service dies (a `kill -9` of
//!   the service left `pdftoppm` running, orphaned, with no deadline);
//! - it has a wall-clock deadline, no input, a quiet environment, and is killed when dropped.
//!
//! A file that exhausts memory, overflows a parser's stack or loops forever kills only its
//! child; the piece is then marked unreadable, with the reason. The children themselves live with
//! their concern: the reader in `extract::child`, the merger in `render::merge`, the OCR tools in
//! `extract::ocr`.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// What one child process may use.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Address space, in bytes.
    pub memory: u64,
    /// CPU seconds.
    pub cpu_secs: u64,
    /// The largest file it may write, in bytes.
    pub file_size: u64,
    /// Wall-clock time before it is killed.
    pub deadline: Duration,
}

const GIB: u64 = 1024 * 1024 * 1024;

/// The PDF reader and the merger of printed dossiers.
pub const READER: Limits = Limits { memory: 2 * GIB, cpu_secs: 30, file_size: GIB, deadline: Duration::from_secs(60) };

/// `program` in the sandbox under `limits` (when util-linux's `prlimit` and `setpriv` are here,
/// as on every Debian), quiet, with no input, killed when dropped; its stdout is the caller's to
/// set, and the deadline the caller's to enforce.
pub fn command(program: impl AsRef<OsStr>, limits: &Limits) -> Command {
    let (prlimit, setpriv) = tools();
    let mut command = if prlimit {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--as={}", limits.memory))
            .arg(format!("--cpu={}", limits.cpu_secs))
            .arg(format!("--fsize={}", limits.file_size))
            .arg("--");
        command
    } else {
        tracing::warn!("prlimit is not installed: child processes run without a memory or CPU cap");
        Command::new(program.as_ref())
    };
    if prlimit && setpriv {
        command.args(["setpriv", "--pdeathsig", "KILL", "--"]).arg(program);
    } else if prlimit {
        command.arg(program);
    }
    command
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LOG", "off")
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    command
}
/// A tool that could not be started (no process could be made, or the program is missing or
/// cannot be run): the machine's trouble, not the piece's, so the reading fails and its job is
/// tried again later.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {program}: {why}")]
pub struct NotStarted {
    pub program: String,
    pub why: String,
}

impl NotStarted {
    /// `None` when `status` is the program's own; the sandbox's tools (`prlimit`, `setpriv`) exit
    /// 126 when they cannot run the program and 127 when it is not found.
    pub fn from_status(program: &str, status: std::process::ExitStatus) -> Option<NotStarted> {
        matches!(status.code(), Some(126 | 127))
            .then(|| NotStarted { program: program.into(), why: status.to_string() })
    }
}

/// Starts `command` (running `program`): a fork refused for lack of resources (EAGAIN, ENOMEM)
/// is tried again twice, a second apart, before giving up.
pub async fn spawn(command: &mut Command, program: &str) -> Result<tokio::process::Child, NotStarted> {
    let mut attempt = 0;
    loop {
        match command.spawn() {
            Ok(child) => return Ok(child),
            Err(error)
                if attempt < 2
                    && matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::OutOfMemory) =>
            {
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(NotStarted { program: program.to_string(), why: error.to_string() }),
        }
    }
}

/// Whether `prlimit` and `setpriv` are installed.
fn tools() -> (bool, bool) {
    static FOUND: std::sync::OnceLock<(bool, bool)> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| {
        let runs = |tool: &str| {
            std::process::Command::new(tool)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        (runs("prlimit"), runs("setpriv"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits =
        Limits { memory: 256 * 1024 * 1024, cpu_secs: 1, file_size: 1024 * 1024, deadline: Duration::from_secs(30) };

    async fn status_of(mut command: Command) -> std::process::ExitStatus {
        let started = std::time::Instant::now();
        let status = command.status().await.expect("the sandbox starts");
        assert!(started.elapsed() < Duration::from_secs(20), "the limit stopped it late");
        status
    }

    #[tokio::test]
    async fn a_child_past_its_memory_or_cpu_is_stopped() {
        // `tail` keeps /dev/zero's endless line in memory: stopped at 256 MiB.
        let mut tail = command("tail", &SMALL);
        tail.arg("/dev/zero").stdout(Stdio::null());
        assert!(!status_of(tail).await.success());
        let mut spin = command("sh", &SMALL);
        spin.args(["-c", "while :; do :; done"]);
        assert!(!status_of(spin).await.success());
        let mut big = command("sh", &SMALL);
        let target = std::env::temp_dir().join(format!("pieces-fsize-{}", std::process::id()));
        big.arg("-c").arg(format!("head -c 4194304 /dev/zero > {}", target.display()));
        assert!(!status_of(big).await.success(), "a file past its cap cannot be written");
        let _ = std::fs::remove_file(target);
    }

    /// After a `kill -9` of the service, `pdftoppm` used to go on, orphaned, with no deadline.
    #[test]
    fn a_child_dies_with_its_parent() {
        let sandboxed = command("sleep", &SMALL);
        let std = sandboxed.as_std();
        let words: Vec<String> = std::iter::once(std.get_program())
            .chain(std.get_args())
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        // A parent shell starts the sandboxed `sleep 60`, prints its pid, then waits.
        let script = format!("{} 60 & echo $!; wait", words.join(" "));
        let mut parent =
            std::process::Command::new("sh").args(["-c", &script]).stdout(Stdio::piped()).spawn().expect("sh");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(parent.stdout.take().unwrap()), &mut line).unwrap();
        let child: u32 = line.trim().parse().expect("the child's pid");
        let alive = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        };
        let started = std::time::Instant::now();
        while !std::fs::read_to_string(format!("/proc/{child}/cmdline")).is_ok_and(|c| c.starts_with("sleep")) {
            assert!(started.elapsed() < Duration::from_secs(10), "the child never ran sleep");
            std::thread::sleep(Duration::from_millis(10));
        }
        parent.kill().expect("kill -9 the parent");
        parent.wait().unwrap();
        let killed = std::time::Instant::now();
        while alive(child) {
            assert!(killed.elapsed() < Duration::from_secs(10), "the child outlived its parent");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
