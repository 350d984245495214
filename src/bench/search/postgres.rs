//! The PostgreSQL side of `pieces bench search`: the same corpus in a table with a French
//! `tsvector` and a GIN index, and the same four queries, timed.

use std::time::Instant;

use anyhow::Context;

use super::super::stats;
use super::{Case, Doc, Params};

pub(super) async fn times(url: &str, docs: &[Doc], cases: &[(Case, Vec<Params>)]) -> anyhow::Result<Vec<(f64, f64)>> {
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
