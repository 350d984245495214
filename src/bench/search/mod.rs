//! `pieces bench search`: a corpus of French documents (~300 words from a Zipf-distributed
//! vocabulary, with metadata: kind, state, company, SIRET, upload date), indexed the way the
//! service's indexer does it (`SearchIndex::apply`, in batches), then four queries timed (median,
//! p99) through the service's own search function in process, then through HTTP against a child
//! `pieces serve` on that index, next to the same corpus and queries in PostgreSQL full-text
//! search (`to_tsvector('french', …)`, GIN index). It prints figures; it asserts nothing.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::SeedableRng;

mod cases;
mod corpus;
mod postgres;

use cases::{cases, search_params, Case, Params};
use corpus::{corpus, entry, Doc};

use super::stats;
use crate::config::Config;

#[derive(clap::Args)]
pub struct SearchBench {
    /// Documents in the corpus.
    #[arg(long, default_value_t = 200_000)]
    docs: usize,
    /// Words per document.
    #[arg(long, default_value_t = 300)]
    words: usize,
    /// Runs of each query in tantivy (a p99 of 300 runs is their 4th slowest: one pause of the
    /// machine decides it; of 1,000, the 11th).
    #[arg(long, default_value_t = 1000)]
    runs: usize,
    /// Runs of each query in PostgreSQL (slower: fewer runs).
    #[arg(long, default_value_t = 30)]
    pg_runs: usize,
    /// PostgreSQL for the comparison (`none` to skip it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
    /// Documents per indexing batch at most (one commit each); a batch also stops at 8 MiB of
    /// text, as the service's indexer takes them.
    #[arg(long, default_value_t = crate::search::outbox::BATCH)]
    batch: usize,
    /// Also print the slowest searches of each case in process, and their time when run again
    /// at once (a slow first run that is fast again was reading from disk).
    #[arg(long, default_value_t = 0)]
    slowest: usize,
    /// The service's data folder is a fresh folder under `--data-dir`.
    #[command(flatten)]
    config: Config,
}

pub async fn run(bench: SearchBench) -> anyhow::Result<()> {
    println!("pieces bench search: {} documents of {} words", bench.docs, bench.words);
    let started = Instant::now();
    let docs = corpus(bench.docs, bench.words);
    println!("  corpus generated in {:.1} s", started.elapsed().as_secs_f64());

    // The service's state on a fresh data folder: its database (for the HTTP caller's token) and
    // its index, filled the way its indexer fills it.
    let work = tempfile::Builder::new().prefix("bench-search-").tempdir_in(&bench.config.data_dir)?;
    let mut config = bench.config.clone();
    config.data_dir = work.path().join("server");
    config.workers = Some(0);
    let state = crate::state::AppState::open(config.clone()).await?;
    let index = state.search.clone();
    let f = index.fields;
    let started = Instant::now();
    let (mut done, mut batches) = (0, 0);
    while done < docs.len() {
        let take = crate::search::outbox::batch_len(docs[done..].iter().map(|doc| doc.body.len()), bench.batch.max(1));
        let chunk = &docs[done..done + take];
        let ids: Vec<String> = chunk.iter().map(|doc| doc.id.clone()).collect();
        let entries = chunk.iter().map(|doc| entry(f, doc)).collect();
        let index = index.clone();
        tokio::task::spawn_blocking(move || index.apply(&ids, entries)).await??;
        if (done + take) / 20_000 > done / 20_000 {
            eprint!("\r  indexed {} of {}", done + take, docs.len());
        }
        done += take;
        batches += 1;
    }
    eprintln!();
    let seconds = started.elapsed().as_secs_f64();
    index.rebuilt();
    // The merges that the last commits started, before timing searches: in a service, they end
    // some seconds after a burst of uploads.
    let started = Instant::now();
    let settling = index.clone();
    tokio::task::spawn_blocking(move || settling.settle()).await??;
    let settled = started.elapsed().as_secs_f64();
    let segments = index.reader.searcher().segment_readers().len();
    let size = folder_size(&config.index_dir())?;
    println!(
        "  tantivy: indexed {} documents in {seconds:.1} s ({batches} batches, a commit each): {:.0} docs/s; \
         index {:.1} MB, {:.0} bytes per document, {segments} segments once its merges ended ({settled:.1} s later)",
        docs.len(),
        docs.len() as f64 / seconds,
        size as f64 / 1e6,
        size as f64 / docs.len() as f64
    );
    let mut rng = StdRng::seed_from_u64(7);
    let warm_up = cases(&docs, bench.runs, &mut StdRng::seed_from_u64(8));
    let cases = cases(&docs, bench.runs, &mut rng);
    // A running service has searched before: other random searches of each case first, untimed
    // (the timed ones are not among them, so a word timed may or may not be in memory yet).
    for (case, runs) in &warm_up {
        for p in runs {
            std::hint::black_box(
                crate::search::query::run(&index, &search_params(*case, p), None)
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?,
            );
        }
    }

    let mut in_process = Vec::new();
    for (case, runs) in &cases {
        let mut times = Vec::with_capacity(runs.len());
        let steal = Steal::now();
        for p in runs {
            let params = search_params(*case, p);
            let began = Instant::now();
            std::hint::black_box(
                crate::search::query::run(&index, &params, None).map_err(|e| anyhow::anyhow!("{e:?}"))?,
            );
            times.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        if bench.slowest > 0 {
            print_slowest(&index, *case, runs, &times, bench.slowest)?;
        }
        let (median, p99) = stats(&mut times);
        println!("  tantivy in process {:<42} median {median:.3} ms, p99 {p99:.3} ms{}", case.label(), steal.since());
        in_process.push((median, p99));
    }

    // Through HTTP: an administrator's token (the whole index is in its périmètre), one client.
    // The page `/recherche` the same way, with a browser session of that administrator.
    let admin = crate::admin::upsert_user(&state.db, "bench-admin", "Bench", crate::auth::Role::Admin, &[]).await?;
    let token = crate::admin::issue_token(&state.db, "bench-admin", "bench", true).await?;
    let session = crate::auth::session::open(&state.db, &admin, None).await?;
    state.db.close().await;
    drop((state, index));
    let (http, page) = http_times(&config, &token, &session, &warm_up, &cases).await?;

    let pg_cases: Vec<(Case, Vec<Params>)> =
        cases.iter().map(|(case, runs)| (*case, runs.iter().take(bench.pg_runs).cloned().collect())).collect();
    let pg_times = if bench.postgres == "none" {
        None
    } else {
        postgres::times(&bench.postgres, &docs, &pg_cases)
            .await
            .map_err(|e| eprintln!("  PostgreSQL skipped: {e:#}"))
            .ok()
    };
    println!(
        "\n  p99 target: (a), (b), (d) under 1 ms in process, (c) under 4 ms; all under 5 ms through HTTP; \
         the page /recherche under 50 ms"
    );
    println!(
        "  query (median / p99 in ms)                 tantivy in process    tantivy through HTTP   page /recherche        PostgreSQL FTS        PostgreSQL / tantivy (p99)"
    );
    for (i, (case, _)) in cases.iter().enumerate() {
        let (median, p99) = in_process[i];
        let (http_median, http_p99) = http[i];
        let (page_median, page_p99) = page[i];
        let pg = match &pg_times {
            Some(pg) => format!("{:>7.2} / {:>8.2}   {:>6.0}×", pg[i].0, pg[i].1, pg[i].1 / p99),
            None => "-".into(),
        };
        println!(
            "  {:<42} {median:>7.3} / {p99:>7.3}   {http_median:>7.3} / {http_p99:>7.3}    {page_median:>7.3} / {page_p99:>7.3}    {pg}",
            case.label()
        );
    }
    Ok(())
}

fn folder_size(dir: &std::path::Path) -> anyhow::Result<u64> {
    Ok(std::fs::read_dir(dir)?.flatten().map(|e| e.metadata().map(|m| m.len()).unwrap_or(0)).sum())
}

/// Median and p99 of each case through HTTP, against a child `pieces serve` on the data folder
/// just filled, after the warm-up searches: the API's `/api/v1/search` (with `token`), then the
/// page `/recherche` as a browser gets it (with the `session` cookie): the same search, twenty
/// hits with their snippets and the facets, rendered in the page.
async fn http_times(
    config: &Config,
    token: &str,
    session: &str,
    warm_up: &[(Case, Vec<Params>)],
    cases: &[(Case, Vec<Params>)],
) -> anyhow::Result<(Vec<(f64, f64)>, Vec<(f64, f64)>)> {
    let (mut child, base) = super::server::start_server(config, Some(0)).await?;
    let http = reqwest::Client::new();
    let result = async {
        let api = time_requests("tantivy through HTTP", warm_up, cases, |params| {
            http.get(format!("{base}/api/v1/search")).bearer_auth(token).query(params)
        })
        .await?;
        let cookie = format!("{}={session}", crate::web::SESSION_COOKIE);
        let pages = time_requests("page /recherche through HTTP", warm_up, cases, |params| {
            let request = http.get(format!("{base}/recherche")).header(reqwest::header::COOKIE, &cookie);
            request.query(&page_query(params))
        })
        .await?;
        Ok((api, pages))
    }
    .await;
    let _ = child.kill().await;
    result
}

/// Median and p99 of each case, one request made by `request` per run, after the warm-up runs.
async fn time_requests(
    what: &str,
    warm_up: &[(Case, Vec<Params>)],
    cases: &[(Case, Vec<Params>)],
    request: impl Fn(&crate::search::query::SearchParams) -> reqwest::RequestBuilder,
) -> anyhow::Result<Vec<(f64, f64)>> {
    for (case, runs) in warm_up {
        for p in runs {
            let response = request(&search_params(*case, p)).send().await?;
            anyhow::ensure!(response.status().is_success(), "{what}: answered {}", response.status());
            response.bytes().await?;
        }
    }
    let mut results = Vec::new();
    for (case, runs) in cases {
        let mut times = Vec::with_capacity(runs.len());
        let steal = Steal::now();
        for p in runs {
            let request = request(&search_params(*case, p));
            let began = Instant::now();
            let response = request.send().await?;
            anyhow::ensure!(response.status().is_success(), "{what}: answered {}", response.status());
            std::hint::black_box(response.bytes().await?);
            times.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        let (median, p99) = stats(&mut times);
        println!("  {what:<28} {:<40} median {median:.3} ms, p99 {p99:.3} ms{}", case.label(), steal.since());
        results.push((median, p99));
    }
    Ok(results)
}

/// The page's query string for the API's parameters (its filters have the same names).
fn page_query(params: &crate::search::query::SearchParams) -> Vec<(&'static str, String)> {
    [
        ("q", &params.q),
        ("kind", &params.kind),
        ("state", &params.state),
        ("company", &params.company),
        ("siret", &params.siret),
        ("from", &params.from),
        ("to", &params.to),
        ("sort", &params.sort),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
    .collect()
}

/// The `count` slowest runs of a case (`times` in the order of `runs`), each with its time when
/// run again at once.
fn print_slowest(
    index: &crate::search::SearchIndex,
    case: Case,
    runs: &[Params],
    times: &[f64],
    count: usize,
) -> anyhow::Result<()> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|a, b| times[*b].total_cmp(&times[*a]));
    for i in order.into_iter().take(count) {
        let params = search_params(case, &runs[i]);
        let began = Instant::now();
        std::hint::black_box(crate::search::query::run(index, &params, None).map_err(|e| anyhow::anyhow!("{e:?}"))?);
        let again = began.elapsed().as_secs_f64() * 1000.0;
        println!("    {:.3} ms, again {again:.3} ms: {:?}", times[i], params.q.unwrap_or_default());
    }
    Ok(())
}

/// The machine's CPU time taken by the hypervisor for other guests ("steal", from /proc/stat): on
/// a shared virtual machine, latencies measured while it is high are the machine's, not the
/// code's.
struct Steal(Option<(u64, u64)>);

impl Steal {
    fn now() -> Steal {
        let read = || -> Option<(u64, u64)> {
            let stat = std::fs::read_to_string("/proc/stat").ok()?;
            let ticks: Vec<u64> =
                stat.lines().next()?.split_whitespace().skip(1).map(|n| n.parse().unwrap_or(0)).collect();
            // user nice system idle iowait irq softirq steal (guest time is within user).
            Some((*ticks.get(7)?, ticks.iter().take(8).sum()))
        };
        Steal(read())
    }

    /// " (hypervisor N %)" since `self`, or nothing when /proc/stat cannot be read.
    fn since(&self) -> String {
        match (self.0, Steal::now().0) {
            (Some((steal, all)), Some((steal_now, all_now))) if all_now > all => {
                format!(" (hypervisor {:.0} %)", 100.0 * (steal_now - steal) as f64 / (all_now - all) as f64)
            }
            _ => String::new(),
        }
    }
}
