//! `pieces bench search`: a corpus of French documents (~300 words from a Zipf-distributed
//! vocabulary, with metadata: kind, state, company, SIRET, upload date), indexed in process with
//! the service's schema and analysis, then four queries timed (median, p99), next to the same
//! corpus and queries in PostgreSQL full-text search (`to_tsvector('french', …)`, GIN index).
//! It prints figures; it asserts nothing. (Through HTTP: not measured yet.)

use std::ops::Bound;
use std::time::Instant;

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::snippet::SnippetGenerator;
use tantivy::{DateTime, Index, TantivyDocument, Term};

use super::{analysis, schema};
use crate::documents::DocKind;

#[derive(clap::Args)]
pub struct SearchBench {
    /// Documents in the corpus.
    #[arg(long, default_value_t = 200_000)]
    docs: usize,
    /// Words per document.
    #[arg(long, default_value_t = 300)]
    words: usize,
    /// Runs of each query in tantivy.
    #[arg(long, default_value_t = 300)]
    runs: usize,
    /// Runs of each query in PostgreSQL (slower: fewer runs).
    #[arg(long, default_value_t = 30)]
    pg_runs: usize,
    /// PostgreSQL for the comparison (`none` to skip it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
}

const STATES: [&str; 5] = ["draft", "pending", "granted", "refused", "closed"];

/// A document of the corpus.
struct Doc {
    id: String,
    title: String,
    body: String,
    kind: &'static str,
    state: &'static str,
    company: String,
    siret: String,
    uploaded_at: i64,
}

/// French words of the trade, then made-up ones, ranked: rank r is drawn with weight 1/r.
fn vocabulary(rng: &mut StdRng) -> Vec<String> {
    let base = "formation stagiaire convention programme facture devis attestation certificat réalisation \
        émargement présence entreprise organisme salarié heures durée objectifs pédagogiques évaluation \
        compétences employeur financement prise charge dossier montant total rémunération hébergement \
        repas transport tuteur apprentissage contrat professionnalisation sécurité habilitation électrique \
        management équipe bureautique anglais comptabilité gestion conflits prévention risques incendie \
        secourisme santé travail qualité hygiène alimentaire logistique conduite chariot élévateur soudure \
        maintenance industrielle numérique commerce vente relation client accueil paie social juridique \
        signature cachet date lieu session module séquence jour matin après-midi formateur intervenant \
        référent handicap accessibilité modalités accès délais tarif paiement échéance acompte règlement";
    let mut words: Vec<String> = base.split_whitespace().map(str::to_string).collect();
    let syllables = [
        "ma", "ri", "to", "que", "lan", "por", "ti", "on", "ement", "ure", "bel", "gra", "vi", "deu", "cha", "ssé",
        "fé", "ro",
    ];
    while words.len() < 20_000 {
        let n = rng.random_range(2..5);
        let word: String = (0..n).map(|_| syllables[rng.random_range(0..syllables.len())]).collect();
        words.push(word);
    }
    words
}

fn corpus(count: usize, words_per_doc: usize) -> Vec<Doc> {
    let mut rng = StdRng::seed_from_u64(2026);
    let vocabulary = vocabulary(&mut rng);
    let weights: Vec<f64> = (1..=vocabulary.len()).map(|r| 1.0 / r as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut sum = 0.0;
    for w in weights {
        sum += w / total;
        cumulative.push(sum);
    }
    let companies: Vec<(String, String)> = (0..2000)
        .map(|i| {
            (
                format!("{}.001", 1000 + i),
                format!("{:09}{:05}", rng.random_range(100_000_000..999_999_999u64), rng.random_range(10..99_999)),
            )
        })
        .collect();
    let start = time::macros::datetime!(2019-01-01 0:00 UTC).unix_timestamp();
    let end = time::macros::datetime!(2026-11-01 0:00 UTC).unix_timestamp();
    (0..count)
        .map(|i| {
            let mut body = String::with_capacity(words_per_doc * 9);
            for n in 0..words_per_doc {
                let x: f64 = rng.random();
                let rank = cumulative.partition_point(|&c| c < x).min(vocabulary.len() - 1);
                if n > 0 {
                    body.push(if n % 14 == 0 { '\n' } else { ' ' });
                }
                body.push_str(&vocabulary[rank]);
            }
            let (company, siret) = companies[rng.random_range(0..companies.len())].clone();
            let kind = DocKind::ALL[rng.random_range(0..DocKind::ALL.len())].code();
            Doc {
                id: format!("doc-{i:07}"),
                title: format!("{} {}", kind, vocabulary[rng.random_range(0..200)]),
                body,
                kind,
                state: STATES[rng.random_range(0..STATES.len())],
                company,
                siret,
                uploaded_at: rng.random_range(start..end),
            }
        })
        .collect()
}

pub async fn run(bench: SearchBench) -> anyhow::Result<()> {
    println!("pieces bench search: {} documents of {} words", bench.docs, bench.words);
    let started = Instant::now();
    let docs = corpus(bench.docs, bench.words);
    println!("  corpus generated in {:.1} s", started.elapsed().as_secs_f64());

    let dir = tempfile::tempdir()?;
    let (schema, f) = schema();
    let index = Index::create_in_dir(dir.path(), schema)?;
    index.tokenizers().register(analysis::FRENCH, analysis::french());
    index.tokenizers().register(analysis::WORDS, analysis::words());
    let started = Instant::now();
    {
        let mut writer = index.writer::<TantivyDocument>(400 * 1024 * 1024)?;
        for doc in &docs {
            let mut entry = TantivyDocument::default();
            entry.add_text(f.id, &doc.id);
            entry.add_text(f.company_id, &doc.company);
            entry.add_text(f.company, &doc.company);
            entry.add_text(f.title, &doc.title);
            entry.add_text(f.words, &doc.title);
            entry.add_text(f.text, &doc.body);
            entry.add_text(f.words, &doc.body);
            entry.add_text(f.kind, doc.kind);
            entry.add_text(f.state, doc.state);
            entry.add_text(f.siret, &doc.siret);
            entry.add_text(f.siren, &doc.siret[..9]);
            entry.add_date(f.uploaded_at, DateTime::from_timestamp_secs(doc.uploaded_at));
            writer.add_document(entry)?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let size: u64 = std::fs::read_dir(dir.path())?.flatten().map(|e| e.metadata().map(|m| m.len()).unwrap_or(0)).sum();
    println!(
        "  tantivy: indexed {} documents in {seconds:.1} s: {:.0} docs/s; index {:.1} MB, {:.0} bytes per document",
        docs.len(),
        docs.len() as f64 / seconds,
        size as f64 / 1e6,
        size as f64 / docs.len() as f64
    );
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let mut rng = StdRng::seed_from_u64(7);
    let cases = cases(&docs, bench.runs, &mut rng);

    let mut pieces_times = Vec::new();
    for (name, runs) in &cases {
        let mut times = Vec::with_capacity(runs.len());
        for case in runs {
            let began = Instant::now();
            match name {
                Case::TwoWords | Case::Filtered => {
                    let query = tantivy_query(&index, case, f);
                    searcher.search(&query, &(TopDocs::with_limit(10), Count))?;
                }
                Case::Snippets => {
                    let query = tantivy_query(&index, case, f);
                    let (top, _) = searcher.search(&query, &(TopDocs::with_limit(20), Count))?;
                    let generator = SnippetGenerator::create(&searcher, &query, f.text)?;
                    for (_, address) in top {
                        let doc: TantivyDocument = searcher.doc(address)?;
                        std::hint::black_box(generator.snippet_from_doc(&doc).to_html());
                    }
                }
                Case::Count => {
                    let query = BooleanQuery::new(vec![
                        (Occur::Must, term(f.kind, case.kind)),
                        (Occur::Must, term(f.state, case.state)),
                    ]);
                    searcher.search(&query, &Count)?;
                }
            }
            times.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        let (median, p99) = stats(&mut times);
        println!("  tantivy {:<42} median {median:.3} ms, p99 {p99:.3} ms", name.label());
        pieces_times.push((median, p99));
    }

    let pg_cases: Vec<(Case, Vec<Params>)> =
        cases.iter().map(|(case, runs)| (*case, runs.iter().take(bench.pg_runs).cloned().collect())).collect();
    let pg_times = if bench.postgres == "none" {
        None
    } else {
        postgres(&bench.postgres, &docs, &pg_cases).await.map_err(|e| eprintln!("  PostgreSQL skipped: {e:#}")).ok()
    };
    println!("\n  query (median / p99 in ms)                 tantivy in process    PostgreSQL FTS        PostgreSQL / tantivy (p99)");
    for (i, (name, _)) in cases.iter().enumerate() {
        let (median, p99) = pieces_times[i];
        match &pg_times {
            Some(pg) => println!(
                "  {:<42} {median:>7.3} / {p99:>7.3}   {:>7.2} / {:>8.2}   {:>6.0}×",
                name.label(),
                pg[i].0,
                pg[i].1,
                pg[i].1 / p99
            ),
            None => println!("  {:<42} {median:>7.3} / {p99:>7.3}", name.label()),
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Case {
    TwoWords,
    Filtered,
    Snippets,
    Count,
}

impl Case {
    fn label(self) -> &'static str {
        match self {
            Case::TwoWords => "(a) two words",
            Case::Filtered => "(b) two words + SIRET + date range",
            Case::Snippets => "(c) top 20 by relevance, with snippets",
            Case::Count => "(d) filter-only count (kind + state)",
        }
    }
}

/// One run's parameters.
#[derive(Clone)]
struct Params {
    words: [String; 2],
    siret: Option<String>,
    range: Option<(i64, i64)>,
    kind: &'static str,
    state: &'static str,
}

fn cases(docs: &[Doc], runs: usize, rng: &mut StdRng) -> Vec<(Case, Vec<Params>)> {
    // Two words of the same document, so that queries match something.
    let pick = |rng: &mut StdRng, filtered: bool| {
        let doc = &docs[rng.random_range(0..docs.len())];
        let words: Vec<&str> = doc.body.split_whitespace().collect();
        let a = words[rng.random_range(0..words.len())].to_string();
        let b = words[rng.random_range(0..words.len())].to_string();
        let year = 365 * 24 * 3600;
        Params {
            words: [a, b],
            siret: filtered.then(|| doc.siret.clone()),
            range: filtered.then(|| (doc.uploaded_at - year, doc.uploaded_at + year)),
            kind: doc.kind,
            state: doc.state,
        }
    };
    [Case::TwoWords, Case::Filtered, Case::Snippets, Case::Count]
        .into_iter()
        .map(|case| (case, (0..runs).map(|_| pick(rng, case == Case::Filtered)).collect()))
        .collect()
}

fn term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
}

fn tantivy_query(_index: &Index, p: &Params, f: super::Fields) -> BooleanQuery {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in &p.words {
        for stem in analysis::terms(word) {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_text(f.text, &stem), IndexRecordOption::WithFreqs)),
            ));
        }
    }
    if let Some(siret) = &p.siret {
        clauses.push((Occur::Must, term(f.siret, siret)));
    }
    if let Some((from, to)) = p.range {
        let from = Term::from_field_date(f.uploaded_at, DateTime::from_timestamp_secs(from));
        let to = Term::from_field_date(f.uploaded_at, DateTime::from_timestamp_secs(to));
        clauses.push((Occur::Must, Box::new(RangeQuery::new(Bound::Included(from), Bound::Excluded(to)))));
    }
    BooleanQuery::new(clauses)
}

/// (median, p99) in ms.
fn stats(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

async fn postgres(url: &str, docs: &[Doc], cases: &[(Case, Vec<Params>)]) -> anyhow::Result<Vec<(f64, f64)>> {
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sqlx::ConnectOptions;
    let options: PgConnectOptions = url.parse().context("the PostgreSQL URL")?;
    let options = options.log_slow_statements(log::LevelFilter::Off, std::time::Duration::from_secs(3600));
    let pool = PgPoolOptions::new().max_connections(2).connect_with(options).await.context("PostgreSQL")?;
    sqlx::query("drop table if exists pieces_bench_docs").execute(&pool).await?;
    sqlx::query(
        "create unlogged table pieces_bench_docs (id text primary key, title text, body text, kind text, state text, \
         company text, siret text, uploaded_at timestamptz, tsv tsvector)",
    )
    .execute(&pool)
    .await?;
    let started = Instant::now();
    for chunk in docs.chunks(1000) {
        let mut builder = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "insert into pieces_bench_docs (id, title, body, kind, state, company, siret, uploaded_at, tsv) ",
        );
        builder.push_values(chunk, |mut row, doc| {
            row.push_bind(&doc.id)
                .push_bind(&doc.title)
                .push_bind(&doc.body)
                .push_bind(doc.kind)
                .push_bind(doc.state)
                .push_bind(&doc.company)
                .push_bind(&doc.siret)
                .push("to_timestamp(")
                .push_bind_unseparated(doc.uploaded_at as f64)
                .push_unseparated(")")
                .push("to_tsvector('french', ")
                .push_bind_unseparated(format!("{} {}", doc.title, doc.body))
                .push_unseparated(")");
        });
        builder.build().execute(&pool).await?;
    }
    for sql in [
        "create index on pieces_bench_docs using gin (tsv)",
        "create index on pieces_bench_docs (siret)",
        "create index on pieces_bench_docs (uploaded_at)",
        "create index on pieces_bench_docs (kind, state)",
        "analyze pieces_bench_docs",
    ] {
        sqlx::query(sql).execute(&pool).await?;
    }
    println!(
        "  PostgreSQL: loaded and indexed in {:.1} s ({:.0} docs/s)",
        started.elapsed().as_secs_f64(),
        docs.len() as f64 / started.elapsed().as_secs_f64()
    );
    let mut results = Vec::new();
    for (case, runs) in cases {
        let mut times = Vec::with_capacity(runs.len());
        for p in runs {
            let words = format!("{} {}", p.words[0], p.words[1]);
            let began = Instant::now();
            match case {
                Case::TwoWords => {
                    sqlx::query("select id, count(*) over () from pieces_bench_docs, plainto_tsquery('french', $1) q where tsv @@ q order by ts_rank(tsv, q) desc limit 10")
                        .bind(&words).fetch_all(&pool).await?;
                }
                Case::Filtered => {
                    let (from, to) = p.range.unwrap_or_default();
                    sqlx::query("select id, count(*) over () from pieces_bench_docs, plainto_tsquery('french', $1) q where tsv @@ q and siret = $2 \
                                 and uploaded_at >= to_timestamp($3) and uploaded_at < to_timestamp($4) order by ts_rank(tsv, q) desc limit 10")
                        .bind(&words).bind(&p.siret).bind(from as f64).bind(to as f64).fetch_all(&pool).await?;
                }
                Case::Snippets => {
                    sqlx::query("select id, ts_headline('french', body, q), total from (select id, body, q, count(*) over () as total, ts_rank(tsv, q) as r \
                                 from pieces_bench_docs, plainto_tsquery('french', $1) q where tsv @@ q order by r desc limit 20) top")
                        .bind(&words).fetch_all(&pool).await?;
                }
                Case::Count => {
                    sqlx::query("select count(*) from pieces_bench_docs where kind = $1 and state = $2")
                        .bind(p.kind)
                        .bind(p.state)
                        .fetch_one(&pool)
                        .await?;
                }
            }
            times.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        let (median, p99) = stats(&mut times);
        println!("  PostgreSQL {:<39} median {median:.2} ms, p99 {p99:.2} ms ({} runs)", case.label(), runs.len());
        results.push((median, p99));
    }
    sqlx::query("drop table pieces_bench_docs").execute(&pool).await?;
    Ok(results)
}
