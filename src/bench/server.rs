//! The benchmarks' child server: a `pieces serve` on a free loopback port, started as a
//! newcomer would start it, and what is read of it from /proc (CPU time, resident memory).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use rand::RngCore;
use tokio::process::{Child, Command};

use crate::config::Config;

/// A child `pieces serve` on a free loopback port, with the demo data.
pub(super) struct Server {
    child: Child,
    base: String,
    token: String,
    dossier: String,
    http: reqwest::Client,
}

impl Server {
    pub(super) async fn start(config: &Config) -> anyhow::Result<Server> {
        let demo = child_command(&std::env::current_exe()?, config).args(["demo", "--json"]).output().await?;
        if !demo.status.success() {
            bail!("pieces demo failed: {}", String::from_utf8_lossy(&demo.stderr));
        }
        let login: serde_json::Value = serde_json::from_slice(&demo.stdout).context("pieces demo --json")?;
        let token = login["employers"][0]["token"].as_str().context("a demo token")?.to_string();
        let (child, base) = start_server(config, None).await?;
        let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
        Ok(Server { child, base, token, dossier: "26.A.90101.1".into(), http })
    }

    pub(super) fn pid(&self) -> anyhow::Result<u32> {
        self.child.id().context("the server runs")
    }

    fn upload_url(&self) -> String {
        format!("{}/api/v1/dossiers/{}/documents", self.base, self.dossier)
    }

    /// Uploads every file with `clients` concurrent clients; returns the seconds taken.
    pub(super) async fn upload_all(&self, files: &[Bytes], clients: usize) -> anyhow::Result<f64> {
        let files = Arc::new(files.to_vec());
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..clients {
            let (files, next, http, url, token) =
                (files.clone(), next.clone(), self.http.clone(), self.upload_url(), self.token.clone());
            workers.push(tokio::spawn(async move {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(bytes) = files.get(index) else { return anyhow::Ok(()) };
                    let part = reqwest::multipart::Part::stream(bytes.clone()).file_name(format!("piece-{index}.pdf"));
                    let form = reqwest::multipart::Form::new().part("file", part);
                    let response = http.post(&url).bearer_auth(&token).multipart(form).send().await?;
                    if response.status() != reqwest::StatusCode::CREATED {
                        bail!("upload {index}: {} {}", response.status(), response.text().await.unwrap_or_default());
                    }
                }
            }));
        }
        for worker in workers {
            worker.await??;
        }
        Ok(started.elapsed().as_secs_f64())
    }

    /// Uploads a file and waits until its text is read; returns (seconds, page count).
    pub(super) async fn upload_until_read(&self, path: &Path) -> anyhow::Result<(f64, u64)> {
        let bytes = tokio::fs::read(path).await?;
        let started = Instant::now();
        let part = reqwest::multipart::Part::bytes(bytes).file_name("scan.pdf");
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = self.http.post(self.upload_url()).bearer_auth(&self.token).multipart(form).send().await?;
        if response.status() != reqwest::StatusCode::CREATED {
            bail!("upload: {} {}", response.status(), response.text().await.unwrap_or_default());
        }
        let id = response.json::<serde_json::Value>().await?["id"].as_str().context("a document id")?.to_string();
        loop {
            let document: serde_json::Value = self
                .http
                .get(format!("{}/api/v1/documents/{id}", self.base))
                .bearer_auth(&self.token)
                .send()
                .await?
                .json()
                .await?;
            match document["text_status"].as_str() {
                Some("pending") if started.elapsed() < Duration::from_secs(600) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                Some("done") => {
                    return Ok((started.elapsed().as_secs_f64(), document["page_count"].as_u64().unwrap_or(0)))
                }
                _ => bail!("the scan was not read: {document}"),
            }
        }
    }

    /// (idle RSS, peak RSS) of the server around one streamed upload of `size` bytes.
    pub(super) async fn large_upload_memory(&self, work: &Path, size: u64) -> anyhow::Result<(u64, u64)> {
        let path = write_large_file(work, size).await?;
        let pid = self.child.id().context("the server runs")?;
        let idle = rss(pid)?;
        let peak = Arc::new(std::sync::atomic::AtomicU64::new(idle));
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = {
            let (peak, done) = (peak.clone(), done.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    if let Ok(now) = rss(pid) {
                        peak.fetch_max(now, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        };
        let file = tokio::fs::File::open(&path).await?;
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024));
        let part = reqwest::multipart::Part::stream_with_length(body, size).file_name("large.pdf");
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = self.http.post(self.upload_url()).bearer_auth(&self.token).multipart(form).send().await?;
        done.store(true, Ordering::Relaxed);
        sampler.await?;
        if response.status() != reqwest::StatusCode::CREATED {
            bail!("large upload: {} {}", response.status(), response.text().await.unwrap_or_default());
        }
        Ok((idle, peak.load(Ordering::Relaxed)))
    }

    pub(super) async fn stop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        let _ = self.child.kill().await;
    }
}

/// A child `pieces serve` on `config`'s data with `workers` background workers (the default
/// without), on a free loopback port, once it answers `/readyz` (killed when dropped); and its
/// base URL.
pub(crate) async fn start_server(config: &Config, workers: Option<usize>) -> anyhow::Result<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = child_command(&std::env::current_exe()?, config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(workers.map(|workers| ["--workers".to_string(), workers.to_string()]).into_iter().flatten())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{base}/readyz")).send().await.map(|r| r.status().is_success()).ok() != Some(true) {
        if Instant::now() > deadline {
            let _ = child.kill().await;
            bail!("the server did not become ready within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((child, base))
}

fn child_command(exe: &Path, config: &Config) -> Command {
    let mut command = Command::new(exe);
    command.env("PIECES_DATA_DIR", &config.data_dir).env("PIECES_MAX_UPLOAD", config.max_upload.to_string());
    if let Some(url) = &config.database_url {
        command.env("PIECES_DATABASE_URL", url);
    }
    if let Some(endpoint) = &config.s3_endpoint {
        command
            .env("PIECES_S3_ENDPOINT", endpoint)
            .env("PIECES_S3_BUCKET", &config.s3_bucket)
            .env("PIECES_S3_REGION", &config.s3_region)
            .env("PIECES_S3_PREFIX", &config.s3_prefix);
    }
    command
}

async fn write_large_file(work: &Path, size: u64) -> anyhow::Result<PathBuf> {
    use tokio::io::AsyncWriteExt;
    let path = work.join("large.pdf");
    let mut file = tokio::io::BufWriter::new(tokio::fs::File::create(&path).await?);
    file.write_all(b"%PDF-1.4\n%").await?;
    let mut chunk = vec![0u8; 1024 * 1024];
    let mut written = 10u64;
    while written < size {
        rand::rng().fill_bytes(&mut chunk);
        let take = (size - written).min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..take]).await?;
        written += take as u64;
    }
    file.flush().await?;
    Ok(path)
}

/// User + system CPU seconds of a process so far, from /proc (Linux; 100 ticks a second).
pub(super) fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after_name = stat.rsplit_once(')').context("/proc stat format")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}

/// Resident memory of a process, from /proc (Linux).
fn rss(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("VmRSS in /proc status")?;
    let kib: u64 = line.split_whitespace().nth(1).context("VmRSS value")?.parse()?;
    Ok(kib * 1024)
}
