//! `pieces bench upload`: uploads per second and MB/s through the real server (a child
//! `pieces serve` on loopback) next to the raw rate of writing the same bytes straight to the
//! same backend with the same durability, and the server's peak memory during one large upload.
//! It prints figures; it asserts nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use bytes::Bytes;
use rand::RngCore;

use super::server::{cpu_seconds, Server};
use crate::config::{parse_size, Config};
use crate::storage::Storage;

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

pub async fn run(bench: UploadBench) -> anyhow::Result<()> {
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
