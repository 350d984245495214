//! The real `pieces serve` as a child process, for what only a whole process shows: its memory,
//! its children, a `kill -9`. Its data are its own folder and, in the PostgreSQL + S3 suite, a
//! fresh database and S3 key prefix; the demo data are seeded by `pieces demo --json`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

pub struct ChildServer {
    /// The data folder, removed when the server is dropped.
    _dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    child: Option<Child>,
    pub base: String,
    pub http: reqwest::Client,
    /// `pieces demo --json`: the tokens and the dossiers.
    pub demo: Value,
}

impl ChildServer {
    /// Seeds the demo data into a fresh data folder (and database, and S3 prefix), then serves.
    pub async fn start() -> ChildServer {
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![("PIECES_DATA_DIR".to_string(), dir.path().display().to_string())];
        if let Ok(base) = std::env::var("PIECES_TEST_DATABASE_URL") {
            env.push(("PIECES_DATABASE_URL".into(), crate::helpers::fresh_postgres_database(&base).await));
        }
        if let Ok(endpoint) = std::env::var("PIECES_TEST_S3_ENDPOINT") {
            env.push(("PIECES_S3_ENDPOINT".into(), endpoint));
            env.push(("PIECES_S3_PREFIX".into(), format!("child-{}/", uuid::Uuid::new_v4().simple())));
            if let Ok(region) = std::env::var("PIECES_TEST_S3_REGION") {
                env.push(("PIECES_S3_REGION".into(), region));
            }
        }
        let mut server = ChildServer {
            _dir: dir,
            env,
            child: None,
            base: String::new(),
            http: crate::helpers::client(),
            demo: Value::Null,
        };
        let output = server.command(&["demo", "--json"]).stderr(Stdio::inherit()).output().expect("pieces demo");
        assert!(output.status.success(), "pieces demo failed");
        server.demo = serde_json::from_slice(&output.stdout).expect("demo --json prints one object");
        server.serve().await;
        server
    }

    /// `pieces ARGS` on this server's data.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pieces"));
        command.args(args).env_remove("PIECES_DATABASE_URL").env_remove("PIECES_S3_ENDPOINT");
        command.envs(self.env.iter().map(|(k, v)| (k, v))).env("RUST_LOG", "warn");
        command
    }

    /// Starts `pieces serve` (again, on the same port) and waits until it is ready.
    pub async fn serve(&mut self) {
        let port = match self.base.rsplit_once(':') {
            Some((_, port)) => port.parse().unwrap(),
            None => std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port(),
        };
        let child = self
            .command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pieces serve");
        self.child = Some(child);
        self.base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.http.get(self.url("/readyz")).send().await {
                Ok(response) if response.status() == StatusCode::OK => return,
                _ if Instant::now() > deadline => panic!("pieces serve did not become ready"),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// `kill -9` of the server (its sandboxed children die with it).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            child.wait().unwrap();
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("serving").id()
    }

    /// The server's exit status, once it has stopped.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        let exit = self.child.as_mut().expect("serving").try_wait().unwrap();
        if exit.is_some() {
            self.child = None;
        }
        exit
    }

    /// Whether the server process still runs.
    pub fn is_alive(&mut self) -> bool {
        self.child.as_mut().is_some_and(|child| child.try_wait().unwrap().is_none())
    }

    /// The server's peak resident memory so far (VmHWM), in MiB.
    pub fn peak_rss_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib / 1024
    }

    /// `pieces ARGS` run to its end: its output, once it succeeded.
    pub fn run(&self, args: &[&str]) -> String {
        let output = self.command(args).output().expect("pieces runs");
        assert!(output.status.success(), "pieces {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// The server's database (SQLite file, or its PostgreSQL database).
    pub async fn database(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let url = match self.env.iter().find(|(k, _)| k == "PIECES_DATABASE_URL") {
            Some((_, url)) => url.clone(),
            None => format!("sqlite://{}/storage/pieces.db", self._dir.path().display()),
        };
        sqlx::AnyPool::connect(&url).await.expect("the server's database")
    }

    /// GET `path` as JSON; `None` when it is not found.
    pub async fn get_json(&self, token: &str, path: &str) -> Option<Value> {
        let response = self.http.get(self.url(path)).bearer_auth(token).send().await.expect("an answer");
        if response.status() == StatusCode::NOT_FOUND {
            return None;
        }
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        Some(response.json().await.unwrap())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn employer(&self, company: usize) -> String {
        self.demo["employers"][company]["token"].as_str().unwrap().to_string()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One process as `/proc/PID/stat` shows it: its parent, its command name, whether it is a zombie.
struct Stat {
    pid: u32,
    parent: u32,
    name: String,
    zombie: bool,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "PID (NAME) STATE PPID …": the name may hold spaces and parentheses.
    let (head, tail) = text.rsplit_once(')')?;
    let name = head.split_once('(')?.1.to_string();
    let mut rest = tail.split_whitespace();
    let zombie = rest.next()? == "Z";
    let parent = rest.next()?.parse().ok()?;
    Some(Stat { pid, parent, name, zombie })
}

/// The live processes descended from `root`: (pid, command name).
pub fn descendants(root: u32) -> Vec<(u32, String)> {
    let all: Vec<Stat> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(stat)
        .collect();
    let mut found = Vec::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for process in all.iter().filter(|p| p.parent == parent && !p.zombie) {
            parents.push(process.pid);
            found.push((process.pid, process.name.clone()));
        }
    }
    found
}

/// Whether process `pid` still runs (a zombie has stopped running).
pub fn is_running(pid: u32) -> bool {
    stat(pid).is_some_and(|s| !s.zombie)
}

/// The peaks of one program's processes under the server, as sampled.
#[derive(Debug, Default, Clone)]
pub struct Peak {
    /// Distinct processes seen.
    pub processes: usize,
    /// The largest resident memory (VmHWM) seen, in MiB.
    pub resident_mib: u64,
    /// The largest address space (VmPeak) seen, in MiB: what `prlimit --as` bounds.
    pub address_space_mib: u64,
}

/// Samples the server's child processes every 20 ms until stopped: their peaks by program.
pub struct ChildrenWatch {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<std::collections::BTreeMap<String, Peak>>,
}

impl ChildrenWatch {
    pub fn start(server: &ChildServer) -> ChildrenWatch {
        use std::sync::atomic::{AtomicBool, Ordering};
        let root = server.pid();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        // A child caught between its fork and its exec is still a copy of the server (its name,
        // its command line and its whole address space): not one of the sandboxed children yet.
        let server_command = std::fs::read(format!("/proc/{root}/cmdline")).unwrap_or_default();
        let thread = std::thread::spawn(move || {
            let mut peaks = std::collections::BTreeMap::<String, Peak>::new();
            let mut seen = std::collections::HashSet::new();
            while !stopped.load(Ordering::Relaxed) {
                for (pid, name) in descendants(root) {
                    if std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == server_command) {
                        continue;
                    }
                    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { continue };
                    let mib = |field: &str| {
                        let line = status.lines().find(|l| l.starts_with(field))?;
                        line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib / 1024)
                    };
                    let peak = peaks.entry(name).or_default();
                    if seen.insert(pid) {
                        peak.processes += 1;
                    }
                    peak.resident_mib = peak.resident_mib.max(mib("VmHWM:").unwrap_or(0));
                    peak.address_space_mib = peak.address_space_mib.max(mib("VmPeak:").unwrap_or(0));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            peaks
        });
        ChildrenWatch { stop, thread }
    }

    pub fn stop(self) -> std::collections::BTreeMap<String, Peak> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}
