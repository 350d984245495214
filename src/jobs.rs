//! The durable job queue: background work (reading and classifying pieces) as rows of the
//! `jobs` table, written in the same transaction as what asks for them, so that no work is lost
//! to a crash. A pool of workers claims due jobs with a lease that they renew while they work; a
//! worker that dies leaves its lease to run out and the job is claimed again. A failed attempt is retried with a growing
//! delay, up to `MAX_ATTEMPTS`. Workers wake when a job is queued, and poll every few seconds
//! for retries and lapsed leases (or jobs queued by another process).

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Any, Row, Transaction};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::app::AppState;
use crate::db::{format_time, now, Db};

/// How long a claimed job is reserved for its worker; the worker renews the lease while it works,
/// so a job of a crashed worker is taken again within this time.
const LEASE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_secs(3);
pub const MAX_ATTEMPTS: i64 = 5;

/// Reads the text of a document, OCRs its scans, reads its Factur-X data, classifies it.
pub const UNDERSTAND: &str = "understand";

/// A claimed job.
#[derive(Debug)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub document_id: String,
    pub attempts: i64,
}

/// Queues a job in the caller's transaction.
pub async fn enqueue(tx: &mut Transaction<'_, Any>, kind: &str, document_id: &str) -> sqlx::Result<()> {
    let at = now();
    sqlx::query(
        "insert into jobs (id, kind, document_id, run_after, created_at, updated_at) values ($1, $2, $3, $4, $4, $4)",
    )
    .bind(crate::db::new_id())
    .bind(kind)
    .bind(document_id)
    .bind(&at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims one due job, if any: queued and due, or running with a lapsed lease.
pub async fn claim(db: &Db) -> sqlx::Result<Option<Job>> {
    let at = OffsetDateTime::now_utc();
    let (now, lease) = (format_time(at), format_time(at + LEASE));
    // The outer condition is checked again on the row itself, so two workers (or two
    // processes on PostgreSQL) racing for the same job cannot both get it.
    let due = "(state = 'queued' and run_after <= $1) or (state = 'running' and lease_until < $1)";
    let row = sqlx::query(&format!(
        "update jobs set state = 'running', attempts = attempts + 1, lease_until = $2, updated_at = $1 \
         where id = (select id from jobs where {due} order by run_after limit 1) and ({due}) \
         returning id, kind, document_id, attempts"
    ))
    .bind(&now)
    .bind(&lease)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(Job {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            document_id: row.try_get("document_id")?,
            attempts: row.try_get("attempts")?,
        })
    })
    .transpose()
}

/// Marks a job done, in the transaction that records its result.
pub async fn finish(tx: &mut Transaction<'_, Any>, job: &Job) -> sqlx::Result<()> {
    sqlx::query("update jobs set state = 'done', lease_until = null, last_error = null, updated_at = $2 where id = $1")
        .bind(&job.id)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records a failed attempt: retried later with backoff, or given up. Returns whether it gave up.
pub async fn fail(db: &Db, job: &Job, error: &str) -> sqlx::Result<bool> {
    let give_up = job.attempts >= MAX_ATTEMPTS;
    let delay = Duration::from_secs(5 * (1 << job.attempts.clamp(0, 10)));
    let run_after = format_time(OffsetDateTime::now_utc() + delay);
    sqlx::query(
        "update jobs set state = $2, run_after = $3, lease_until = null, last_error = $4, updated_at = $5 where id = $1",
    )
    .bind(&job.id)
    .bind(if give_up { "failed" } else { "queued" })
    .bind(&run_after)
    .bind(error)
    .bind(now())
    .execute(db)
    .await?;
    Ok(give_up)
}

/// Number of jobs not yet done or given up.
pub async fn backlog(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from jobs where state in ('queued', 'running')").fetch_one(db).await
}

/// Starts `count` workers; `wake` is notified when a job is queued.
pub fn start_workers(state: AppState, count: usize, wake: Arc<Notify>) {
    for worker in 0..count {
        let (state, wake) = (state.clone(), wake.clone());
        tokio::spawn(async move {
            loop {
                match claim(&state.db).await {
                    Ok(Some(job)) => run(&state, job, worker).await,
                    Ok(None) => {
                        let _ = tokio::time::timeout(POLL, wake.notified()).await;
                    }
                    Err(error) => {
                        tracing::warn!(worker, "cannot claim a job: {error}");
                        tokio::time::sleep(POLL).await;
                    }
                }
            }
        });
    }
}

async fn run(state: &AppState, job: Job, worker: usize) {
    tracing::debug!(worker, job = %job.id, kind = %job.kind, attempt = job.attempts, "job started");
    let heartbeat = {
        let (db, id) = (state.db.clone(), job.id.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(LEASE / 3).await;
                let lease = format_time(OffsetDateTime::now_utc() + LEASE);
                let renewed = sqlx::query("update jobs set lease_until = $2 where id = $1 and state = 'running'")
                    .bind(&id)
                    .bind(lease)
                    .execute(&db)
                    .await;
                if let Err(error) = renewed {
                    tracing::warn!(job = %id, "cannot renew the job's lease: {error}");
                }
            }
        })
    };
    let outcome = match job.kind.as_str() {
        UNDERSTAND => crate::documents::understand::run(state, &job).await,
        other => Err(anyhow::anyhow!("unknown job kind {other:?}")),
    };
    heartbeat.abort();
    if let Err(error) = outcome {
        let error = format!("{error:#}");
        match fail(&state.db, &job, &error).await {
            Ok(true) => {
                tracing::error!(job = %job.id, document = %job.document_id, "job given up after {} attempts: {error}", job.attempts);
                if let Err(e) = crate::documents::understand::give_up(state, &job, &error).await {
                    tracing::error!(job = %job.id, "cannot record the failure: {e}");
                }
            }
            Ok(false) => tracing::warn!(job = %job.id, attempt = job.attempts, "job failed, will retry: {error}"),
            Err(e) => tracing::error!(job = %job.id, "cannot record the job's failure: {e}"),
        }
    }
}
