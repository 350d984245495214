//! The benchmarks and the classifier's evaluation: commands that print figures and assert
//! nothing (`pieces bench …`, `pieces eval …`). Built only with the `bench` feature, so that the
//! service's own dependencies stay free of their HTTP client and logging: `scripts/bench-*.sh`
//! build it so.

pub mod eval;
mod extract;
mod invoice;
mod pages;
mod search;
mod server;
mod upload;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Upload throughput against raw backend writes, and server memory during a large upload.
    Upload(upload::UploadBench),
    /// Pages per second of text extraction and of OCR, and the time from upload to
    /// `text_status: done` for a scan of three pages.
    Extract(extract::ExtractBench),
    /// Indexing rate, index size and query latency at 200,000 documents, against PostgreSQL
    /// full-text search.
    Search(search::SearchBench),
    /// Time to render one invoice (median, p99), memory over many renders, invoices per second
    /// through HTTP, against the PyPI `typst` package and WeasyPrint.
    Invoice(invoice::InvoiceBench),
    /// Time of the accueil, the dossier lists and a dossier's page at 10,000 dossiers, and the
    /// bytes of a first visit.
    Pages(pages::PagesBench),
}

pub async fn run(which: BenchCommand) -> anyhow::Result<()> {
    match which {
        BenchCommand::Upload(bench) => upload::run(bench).await,
        BenchCommand::Extract(bench) => extract::run(bench).await,
        BenchCommand::Search(bench) => search::run(bench).await,
        BenchCommand::Invoice(bench) => invoice::run(bench).await,
        BenchCommand::Pages(bench) => pages::run(bench).await,
    }
}

/// (median, p99) in ms.
fn stats(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}
