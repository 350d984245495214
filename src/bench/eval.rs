//! `pieces eval classify MANIFEST.csv [--json]`: runs the service's own reading (sandboxed PDF
//! reader, OCR) and classification on every file of a labelled manifest (`file,kind`, paths
//! relative to the manifest's folder) and prints accuracy, per-kind precision and recall,
//! macro-F1 and the confusion matrix, for all pieces, text PDFs and scans. No server needed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use futures_util::StreamExt;
use serde::Serialize;

use crate::classify::manifest::read_manifest;
use crate::classify::{classify, Model};
use crate::domain::DocKind;
use crate::extract::reader::{self, Reader};

#[derive(clap::Subcommand)]
pub enum EvalCommand {
    /// Accuracy of the classifier on a labelled manifest (`file,kind`).
    Classify(EvalClassify),
    /// Train the base model on a labelled manifest and write it as JSON
    /// (`pieces eval train samples/corpus/train/manifest.csv --out src/classify/base-model.json`).
    Train {
        manifest: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run_command(which: EvalCommand) -> anyhow::Result<()> {
    match which {
        EvalCommand::Classify(args) => run(args).await,
        EvalCommand::Train { manifest, out } => train(&manifest, &out).await,
    }
}

async fn train(manifest: &Path, out: &Path) -> anyhow::Result<()> {
    let samples = read_manifest(manifest)?;
    let reader = Reader::new(None, "auto")?;
    if !reader.ocr {
        bail!("training needs OCR (Tesseract with `fra`), so that scans are learned as the service reads them");
    }
    let work = tempfile::tempdir()?;
    let jobs = std::thread::available_parallelism().map_or(1, usize::from);
    let mut readings = futures_util::stream::iter(samples.into_iter().enumerate())
        .map(|(index, (path, kind))| {
            let (reader, work) = (reader.clone(), work.path().join(index.to_string()));
            async move { (path.clone(), kind, read_text(&reader, &path, &work).await) }
        })
        .buffer_unordered(jobs);
    let mut learned = Vec::new();
    while let Some((path, kind, text)) = readings.next().await {
        learned.push((path.display().to_string(), kind, text.with_context(|| format!("{}", path.display()))?));
        eprint!("\r[{}] learned", learned.len());
    }
    eprintln!();
    // The same model whatever the order the files were read in.
    learned.sort_by(|a, b| a.0.cmp(&b.0));
    let mut model = Model::default();
    for (_, kind, text) in &learned {
        model.learn(*kind, text);
    }
    std::fs::write(out, model.to_json()?)?;
    println!("model trained on {} pieces, written to {}", learned.len(), out.display());
    Ok(())
}

async fn read_text(reader: &Reader, path: &Path, work: &Path) -> anyhow::Result<String> {
    Ok(reader::read_file(reader, path, work).await?.texts().join("\n"))
}

#[derive(clap::Args)]
pub struct EvalClassify {
    /// CSV with the header `file,kind`; paths relative to its folder.
    manifest: PathBuf,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
    /// Pieces read at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// `auto` or `off`, as for `pieces serve`.
    #[arg(long, default_value = "auto")]
    ocr: String,
}

/// One piece: its true kind, the predicted one, whether it is a scan.
struct Outcome {
    file: String,
    truth: DocKind,
    predicted: Option<DocKind>,
    scan: bool,
}

pub async fn run(args: EvalClassify) -> anyhow::Result<()> {
    let samples = read_manifest(&args.manifest)?;
    let reader = Reader::new(None, &args.ocr)?;
    let model = Model::base();
    if !reader.ocr {
        eprintln!("warning: OCR is off (Tesseract with `fra` not found, or --ocr off): scans will not be read");
    }
    let work = tempfile::tempdir()?;
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)).max(1);
    let total = samples.len();
    let started = std::time::Instant::now();
    let mut outcomes = Vec::with_capacity(total);
    let mut readings = futures_util::stream::iter(samples.into_iter().enumerate())
        .map(|(index, (path, truth))| {
            let (reader, work) = (reader.clone(), work.path().join(index.to_string()));
            let model = &model;
            async move { (path.clone(), truth, read_one(&reader, model, &path, &work).await) }
        })
        .buffer_unordered(jobs);
    while let Some((path, truth, result)) = readings.next().await {
        let file = path.display().to_string();
        let outcome = match result {
            Ok((predicted, scan)) => Outcome { file, truth, predicted: Some(predicted), scan },
            Err(error) => {
                eprintln!("\n{file}: {error:#}");
                let image = [".jpg", ".jpeg", ".png", ".tif", ".tiff"].iter().any(|e| file.to_lowercase().ends_with(e));
                Outcome { file, truth, predicted: None, scan: image }
            }
        };
        outcomes.push(outcome);
        if !args.json || atty_stderr() {
            eprint!("\r[{}/{total}] {:.0} s", outcomes.len(), started.elapsed().as_secs_f64());
        }
    }
    eprintln!();
    outcomes.sort_by(|a, b| a.file.cmp(&b.file));
    let all = Report::of(outcomes.iter());
    let text = Report::of(outcomes.iter().filter(|o| !o.scan));
    let scans = Report::of(outcomes.iter().filter(|o| o.scan));
    if args.json {
        let misses: Vec<_> = outcomes
            .iter()
            .filter(|o| o.predicted != Some(o.truth))
            .map(|o| serde_json::json!({"file": o.file, "kind": o.truth, "predicted": o.predicted}))
            .collect();
        let mut value = serde_json::to_value(&all)?;
        value["text"] = serde_json::to_value(&text)?;
        value["scans"] = serde_json::to_value(&scans)?;
        value["misses"] = misses.into();
        println!("{value}");
        return Ok(());
    }
    println!(
        "pieces eval classify {}: {} pieces ({} text PDFs, {} scans) in {:.0} s",
        args.manifest.display(),
        all.samples,
        text.samples,
        scans.samples,
        started.elapsed().as_secs_f64()
    );
    println!("\n{:<12} {:>8} {:>9} {:>9}", "", "pieces", "accuracy", "macro-F1");
    for (name, report) in [("all", &all), ("text PDFs", &text), ("scans", &scans)] {
        println!("{name:<12} {:>8} {:>9.3} {:>9.3}", report.samples, report.accuracy, report.macro_f1);
    }
    println!("\nper kind (all)          precision   recall       F1  support");
    for (kind, m) in &all.per_kind {
        println!("{kind:<24} {:>9.3} {:>8.3} {:>8.3} {:>8}", m.precision, m.recall, m.f1, m.support);
    }
    println!("\nconfusion (rows: true kind; columns: predicted, in the order of the rows)");
    let kinds: Vec<&String> = all.per_kind.keys().collect();
    for truth in &kinds {
        let row = all.confusion.get(*truth);
        let cells: Vec<String> =
            kinds.iter().map(|k| format!("{:>3}", row.and_then(|r| r.get(*k)).copied().unwrap_or(0))).collect();
        println!("{truth:<24} {}", cells.join(" "));
    }
    let misses: Vec<&Outcome> = outcomes.iter().filter(|o| o.predicted != Some(o.truth)).collect();
    if !misses.is_empty() {
        println!("\nmisclassified:");
        for o in misses {
            let predicted = o.predicted.map_or("(unread)", DocKind::code);
            println!("  {} — {} read as {predicted}", o.file, o.truth.code());
        }
    }
    Ok(())
}

fn atty_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

async fn read_one(reader: &Reader, model: &Model, path: &Path, work: &Path) -> anyhow::Result<(DocKind, bool)> {
    let reading = reader::read_file(reader, path, work).await?;
    if let Some(problem) = reading.problem.as_ref().filter(|_| !reading.is_read()) {
        bail!("unreadable: {} ({})", problem.code, problem.detail_fr);
    }
    Ok((classify(&reading.texts(), reading.facturx.as_ref(), Some(model)).kind, reading.is_scan()))
}

#[derive(Serialize)]
struct Report {
    samples: usize,
    accuracy: f64,
    macro_f1: f64,
    per_kind: BTreeMap<String, KindMetrics>,
    /// confusion[true kind][predicted kind] = count (`unread` when the file could not be read).
    confusion: BTreeMap<String, BTreeMap<String, usize>>,
}

#[derive(Serialize)]
struct KindMetrics {
    precision: f64,
    recall: f64,
    f1: f64,
    support: usize,
}

impl Report {
    fn of<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Report {
        let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let (mut samples, mut right) = (0, 0);
        for o in outcomes {
            samples += 1;
            right += usize::from(o.predicted == Some(o.truth));
            let predicted = o.predicted.map_or("unread", DocKind::code).to_string();
            *confusion.entry(o.truth.code().into()).or_default().entry(predicted).or_default() += 1;
        }
        let mut kinds: Vec<String> = confusion.keys().cloned().collect();
        for row in confusion.values() {
            kinds.extend(row.keys().filter(|k| *k != "unread").cloned());
        }
        kinds.sort();
        kinds.dedup();
        let count =
            |truth: &str, predicted: &str| confusion.get(truth).and_then(|r| r.get(predicted)).copied().unwrap_or(0);
        let per_kind: BTreeMap<String, KindMetrics> = kinds
            .iter()
            .map(|kind| {
                let tp = count(kind, kind);
                let support: usize = confusion.get(kind).map_or(0, |r| r.values().sum());
                let predicted: usize = confusion.keys().map(|t| count(t, kind)).sum();
                let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
                let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
                let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
                (kind.clone(), KindMetrics { precision, recall, f1, support })
            })
            .collect();
        let macro_f1 = if per_kind.is_empty() {
            0.0
        } else {
            per_kind.values().map(|m| m.f1).sum::<f64>() / per_kind.len() as f64
        };
        let accuracy = if samples == 0 { 0.0 } else { right as f64 / samples as f64 };
        Report { samples, accuracy, macro_f1, per_kind, confusion }
    }
}
