//! `pieces bench upload`: uploads per second and MB/s through the real server (a child
//! `pieces serve` on loopback) next to the raw rate of writing the same bytes straight to the
//! same backend with the same durability, and the server's peak memory during one large upload.
//! It prints figures; it asserts nothing.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use rand::RngCore;
use tokio::process::{Child, Command};

use crate::config::{parse_size, Config};
use crate::storage::Storage;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Upload throughput against raw backend writes, and server memory during a large upload.
    Upload(UploadBench),
    /// Pages per second of text extraction and of OCR, and the time from upload to
    /// `text_status: done` for a scan of three pages.
    Extract(ExtractBench),
    /// Indexing rate, index size and query latency at 200,000 documents, against PostgreSQL
    /// full-text search.
    Search(crate::search::bench::SearchBench),
    /// Time to render one invoice (median, p99), memory over many renders, invoices per second
    /// through HTTP, against the PyPI `typst` package and WeasyPrint.
    Invoice(crate::invoice::bench::InvoiceBench),
}

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

#[derive(clap::Args)]
pub struct UploadBench {
    /// Number of PDFs to upload.
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Size of each PDF.
    #[arg(long, default_value = "200KB", value_parser = parse_size)]
    size: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Size of the single large upload whose server memory is measured.
    #[arg(long, default_value = "200MiB", value_parser = parse_size)]
    large: u64,
    /// The server's data folder is a fresh folder under `--data-dir`.
    #[command(flatten)]
    config: Config,
}

pub async fn run(which: BenchCommand) -> anyhow::Result<()> {
    match which {
        BenchCommand::Upload(bench) => upload(bench).await,
        BenchCommand::Extract(bench) => extract(bench).await,
        BenchCommand::Search(bench) => crate::search::bench::run(bench).await,
        BenchCommand::Invoice(bench) => crate::invoice::bench::run(bench).await,
    }
}

async fn extract(bench: ExtractBench) -> anyhow::Result<()> {
    use crate::extract::reader::{self, Reader};
    let files = crate::classify::eval::read_manifest(&bench.manifest)?;
    let reader = Reader::new(None, "auto")?;
    let work = tempfile::tempdir()?;
    let texts: Vec<&PathBuf> =
        files.iter().map(|(p, _)| p).filter(|p| p.extension().is_some_and(|e| e == "pdf")).collect();

    // Text layers, through the sandboxed reader as the service runs it (one child per file).
    let (mut pages, mut text_files) = (0, 0);
    let started = Instant::now();
    for path in &texts {
        let reading = crate::extract::sandbox::read_pdf(&reader.exe, path).await;
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

async fn upload(bench: UploadBench) -> anyhow::Result<()> {
    let work = tempfile::Builder::new().prefix("bench-").tempdir_in(&bench.config.data_dir)?;
    let mut config = bench.config.clone().with_env_credentials();
    config.data_dir = work.path().join("server");
    config.max_upload = bench.large + 1024 * 1024;
    let storage = Storage::from_config(&config)?;
    let files = random_pdfs(bench.count, bench.size as usize);
    let total_bytes: u64 = files.iter().map(|f| f.len() as u64).sum();

    let mut server = Server::start(&config).await?;
    let result = async {
        println!("pieces bench upload: {} PDFs of {} bytes, {} clients, backend: {}", bench.count, bench.size, bench.clients, storage.describe());
        let (server_cpu, client_cpu) = (cpu_seconds(server.pid()?)?, cpu_seconds(std::process::id())?);
        let seconds = server.upload_all(&files, bench.clients).await?;
        let server_cpu = cpu_seconds(server.pid()?)? - server_cpu;
        let client_cpu = cpu_seconds(std::process::id())? - client_cpu;
        let raw = raw_writes(&storage, &config, &files, bench.clients).await?;
        report("through pieces (HTTP, sha256, sniff, store, record)", bench.count, total_bytes, seconds);
        println!(
            "    CPU per upload: server {:.2} ms, benchmark client {:.2} ms (2 cores shared by both)",
            1000.0 * server_cpu / bench.count as f64,
            1000.0 * client_cpu / bench.count as f64
        );
        report(raw.1, bench.count, total_bytes, raw.0);
        println!("  ratio: {:.0} % of the raw rate (target: at least 70 %)", 100.0 * raw.0 / seconds);
        let (idle, peak) = server.large_upload_memory(work.path(), bench.large).await?;
        println!(
            "  server memory during one {:.0} MiB upload: idle {:.1} MiB, peak {:.1} MiB, +{:.1} MiB above idle (target: under 64 MiB)",
            mib(bench.large), mib(idle), mib(peak), mib(peak.saturating_sub(idle))
        );
        anyhow::Ok(())
    }
    .await;
    server.stop().await;
    result
}

fn report(what: &str, count: usize, bytes: u64, seconds: f64) {
    println!(
        "  {what}: {:.1} uploads/s, {:.1} MB/s ({count} in {seconds:.2} s)",
        count as f64 / seconds,
        bytes as f64 / 1e6 / seconds
    );
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Distinct PDF-looking files of `size` bytes.
fn random_pdfs(count: usize, size: usize) -> Vec<Bytes> {
    let mut rng = rand::rng();
    (0..count)
        .map(|_| {
            let mut bytes = vec![0u8; size.max(32)];
            rng.fill_bytes(&mut bytes);
            bytes[..10].copy_from_slice(b"%PDF-1.4\n%");
            let tail = bytes.len() - 7;
            bytes[tail..].copy_from_slice(b"\n%%EOF\n");
            Bytes::from(bytes)
        })
        .collect()
}

/// The same bytes written straight to the backend by `clients` workers: files written and
/// fsynced, or plain S3 PUTs. Returns (seconds, description).
async fn raw_writes(
    storage: &Storage,
    config: &Config,
    files: &[Bytes],
    clients: usize,
) -> anyhow::Result<(f64, &'static str)> {
    let files = Arc::new(files.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    let description = match storage {
        Storage::Fs(_) => {
            let dir = config.data_dir.join("raw");
            std::fs::create_dir_all(&dir)?;
            for _ in 0..clients {
                let (files, next, dir) = (files.clone(), next.clone(), dir.clone());
                workers.push(tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                    use std::io::Write;
                    while let Some(bytes) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let mut file = std::fs::File::create(dir.join(uuid::Uuid::new_v4().to_string()))?;
                        file.write_all(bytes)?;
                        file.sync_all()?;
                    }
                    Ok(())
                }));
            }
            "raw backend writes (write + fsync each file)"
        }
        Storage::S3(store) => {
            let prefix = format!("bench-raw/{}", uuid::Uuid::new_v4());
            for _ in 0..clients {
                let (files, next, client, bucket, prefix) =
                    (files.clone(), next.clone(), store.client().clone(), config.s3_bucket.clone(), prefix.clone());
                workers.push(tokio::spawn(async move {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(bytes) = files.get(index) else { return Ok(()) };
                        client
                            .put_object()
                            .bucket(&bucket)
                            .key(format!("{prefix}/{index}"))
                            .body(bytes.clone().into())
                            .send()
                            .await
                            .context("raw PUT")?;
                    }
                }));
            }
            "raw backend writes (plain S3 PUTs)"
        }
    };
    for worker in workers {
        worker.await??;
    }
    Ok((started.elapsed().as_secs_f64(), description))
}

/// A child `pieces serve` on a free loopback port, with the demo data.
struct Server {
    child: Child,
    base: String,
    token: String,
    dossier: String,
    http: reqwest::Client,
}

impl Server {
    async fn start(config: &Config) -> anyhow::Result<Server> {
        let exe = std::env::current_exe()?;
        let demo = child_command(&exe, config).args(["demo", "--json"]).output().await?;
        if !demo.status.success() {
            bail!("pieces demo failed: {}", String::from_utf8_lossy(&demo.stderr));
        }
        let login: serde_json::Value = serde_json::from_slice(&demo.stdout).context("pieces demo --json")?;
        let token = login["employers"][0]["token"].as_str().context("a demo token")?.to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = child_command(&exe, config)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
        let server =
            Server { child, base: format!("http://127.0.0.1:{port}"), token, dossier: "26.A.90101.1".into(), http };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(response) = self.http.get(format!("{}/readyz", self.base)).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not become ready within 30 s")
    }

    fn pid(&self) -> anyhow::Result<u32> {
        self.child.id().context("the server runs")
    }

    fn upload_url(&self) -> String {
        format!("{}/api/v1/dossiers/{}/documents", self.base, self.dossier)
    }

    /// Uploads every file with `clients` concurrent clients; returns the seconds taken.
    async fn upload_all(&self, files: &[Bytes], clients: usize) -> anyhow::Result<f64> {
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
    async fn upload_until_read(&self, path: &Path) -> anyhow::Result<(f64, u64)> {
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
    async fn large_upload_memory(&self, work: &Path, size: u64) -> anyhow::Result<(u64, u64)> {
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

    async fn stop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        let _ = self.child.kill().await;
    }
}

/// A child `pieces serve` on `config`'s data with `workers` background workers, on a free
/// loopback port, once it answers `/readyz` (killed when dropped); and its base URL.
pub(crate) async fn start_server(config: &Config, workers: usize) -> anyhow::Result<(tokio::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = child_command(&std::env::current_exe()?, config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--workers", &workers.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let http = reqwest::Client::new();
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while http.get(format!("{base}/readyz")).send().await.map(|r| r.status().is_success()).ok() != Some(true) {
        if Instant::now() > deadline {
            let _ = child.kill().await;
            anyhow::bail!("the server did not become ready within 60 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok((child, base))
}

pub(crate) fn child_command(exe: &Path, config: &Config) -> Command {
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
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
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
