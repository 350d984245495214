//! `pieces bench invoice`: the time to render one invoice in process (Typst, PDF/A-3b, Factur-X
//! XML and XMP included; median and p99, warm), memory over many renders, invoices issued per
//! second through HTTP by concurrent clients (each issue renders and stores its PDF), and, in the
//! same run, what a user would otherwise script: the same template compiled per invoice in a
//! fresh process with the PyPI `typst` package, and an equivalent HTML form rendered by
//! WeasyPrint.

use std::path::PathBuf;
use std::time::Instant;

use super::stats;
use crate::config::Config;
use crate::domain::opco::Opco;
use crate::invoice::document::Printable;
use crate::invoice::print;

#[derive(clap::Args)]
pub struct InvoiceBench {
    /// Renders timed in process, after 20 to warm up.
    #[arg(long, default_value_t = 500)]
    renders: usize,
    /// Renders over which the process's memory is watched.
    #[arg(long, default_value_t = 10_000)]
    memory_renders: usize,
    /// Invoices issued through HTTP.
    #[arg(long, default_value_t = 200)]
    http_invoices: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Invoices rendered by each alternative.
    #[arg(long, default_value_t = 30)]
    alternatives: usize,
    /// A Python with the PyPI packages `typst` and `weasyprint`, for the alternatives
    /// (`scripts/bench-invoice.sh` makes one).
    #[arg(long, env = "PIECES_BENCH_PYTHON")]
    python: Option<PathBuf>,
}

const DEMO: &str = include_str!("../../samples/invoice/demo.json");

pub async fn run(bench: InvoiceBench) -> anyhow::Result<()> {
    let frozen = crate::invoice::specimen::specimen(DEMO.as_bytes(), &Opco::default())?;
    let number = "FE2026-00001";
    let printable = Printable {
        number: Some(number),
        type_code: crate::invoice::document::TypeCode::Invoice,
        credits: None,
        issue_date: frozen.signed.date,
        frozen: &frozen,
    };
    println!("== invoice rendering: the demo invoice (3 trainees), PDF/A-3b + Factur-X BASIC, release build expected");

    // In process, warm.
    for _ in 0..20 {
        print::invoice_pdf(&printable, "bench")?;
    }
    let mut times = Vec::with_capacity(bench.renders);
    let mut size = 0;
    for _ in 0..bench.renders {
        let began = Instant::now();
        size = std::hint::black_box(print::invoice_pdf(&printable, "bench")?).len();
        times.push(began.elapsed().as_secs_f64() * 1000.0);
    }
    let (median, p99) = stats(&mut times);
    println!("  in process, {} renders: median {median:.2} ms, p99 {p99:.2} ms ({size} bytes each)", bench.renders);

    // Memory over many renders.
    let start = rss_kib();
    let mut marks = Vec::new();
    for i in 1..=bench.memory_renders {
        std::hint::black_box(print::invoice_pdf(&printable, "bench")?);
        if i % (bench.memory_renders / 10).max(1) == 0 {
            marks.push((i, rss_kib()));
        }
    }
    let marks_text: Vec<String> = marks.iter().map(|(i, kib)| format!("{i}: {} MiB", kib / 1024)).collect();
    println!(
        "  memory (RSS) over {} renders, from {} MiB: {}",
        bench.memory_renders,
        start / 1024,
        marks_text.join(", ")
    );
    if let (Some((_, first)), Some((_, last))) = (marks.first(), marks.last()) {
        println!("  growth from the first tenth to the end: {:+} MiB", (*last as i64 - *first as i64) / 1024);
    }

    let http = http_rate(&bench).await?;
    println!(
        "  through HTTP, {} clients issuing {} invoices (number, render, stored piece): {http:.1} invoices/s",
        bench.clients, bench.http_invoices
    );

    match &bench.python {
        None => println!("  alternatives skipped: give --python (scripts/bench-invoice.sh sets it up)"),
        Some(python) => alternatives(python, &printable, bench.alternatives, median)?,
    }
    Ok(())
}

/// Invoices per second issued through HTTP by `clients` concurrent clients, against a child
/// `pieces serve` on the demo data.
async fn http_rate(bench: &InvoiceBench) -> anyhow::Result<f64> {
    let work = tempfile::tempdir()?;
    let mut config = Config::embedded(work.path());
    config.workers = Some(1);
    let state = crate::state::AppState::open(config.clone()).await?;
    let login = crate::demo::seed(&state).await?;
    state.db.close().await;
    drop(state);
    let token = login.employers.first().map(|e| e.token.clone()).ok_or_else(|| anyhow::anyhow!("no demo employer"))?;

    let (mut child, base) = super::server::start_server(&config, Some(1)).await?;
    let http = reqwest::Client::new();
    let result = async {
        let body = serde_json::json!({
            "date": "2026-11-27", "place": "Paris", "signatory": {"name": "Claire Martin", "function": "DRH"},
            "trainees": [{"name": "Julie DURAND", "hourly_cost": "28.50", "hours": "14"}],
            "meals_lodging": "120.00", "travel": "45.60", "vat": "hors_champ"
        });
        let url = format!("{base}/api/v1/dossiers/25.A.90103.1/invoices");
        let began = Instant::now();
        let mut clients = Vec::new();
        for client in 0..bench.clients {
            let (http, url, body, token) = (http.clone(), url.clone(), body.clone(), token.clone());
            let count = bench.http_invoices / bench.clients + usize::from(client < bench.http_invoices % bench.clients);
            clients.push(tokio::spawn(async move {
                for _ in 0..count {
                    let response = http.post(&url).bearer_auth(&token).json(&body).send().await?;
                    anyhow::ensure!(response.status().as_u16() == 201, "issue answered {}", response.status());
                    let invoice: serde_json::Value = response.json().await?;
                    anyhow::ensure!(invoice["document_id"].is_string(), "an invoice without its PDF");
                }
                Ok(())
            }));
        }
        for client in clients {
            client.await??;
        }
        Ok(bench.http_invoices as f64 / began.elapsed().as_secs_f64())
    }
    .await;
    let _ = child.kill().await;
    result
}

/// The same invoice with the PyPI `typst` package (one fresh process per invoice, as a script
/// run per invoice would) and with WeasyPrint (an equivalent HTML form, one process, warm).
fn alternatives(python: &std::path::Path, printable: &Printable, count: usize, ours: f64) -> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let dir = work.path();
    std::fs::write(dir.join("invoice.typ"), print::INVOICE_TEMPLATE.source)?;
    std::fs::write(dir.join("data.json"), serde_json::to_vec(&print::form_data(printable))?)?;
    std::fs::write(dir.join("factur-x.xml"), crate::invoice::facturx::cii_xml(printable))?;
    let fonts = std::env::current_dir()?.join("templates/fonts");
    let script = std::env::current_dir()?.join("scripts/bench_invoice_alternatives.py");
    let output =
        std::process::Command::new(python).arg(&script).arg(dir).arg(&fonts).arg(count.to_string()).output()?;
    anyhow::ensure!(output.status.success(), "the alternatives failed: {}", String::from_utf8_lossy(&output.stderr));
    // The script prints `name median_ms p99_ms` per alternative.
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [name, median, p99] = parts[..] {
            let (median, p99): (f64, f64) = (median.parse()?, p99.parse()?);
            println!(
                "  {:<44} median {median:.1} ms, p99 {p99:.1} ms: {:.0}× the in-process median",
                name.replace('_', " "),
                median / ours
            );
        } else {
            println!("  {line}");
        }
    }
    Ok(())
}

/// The process's resident memory, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0)
}
