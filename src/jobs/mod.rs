//! The durable job queue: background work (reading and classifying pieces) as rows of the
//! `jobs` table, written in the same transaction as what asks for them, so that no work is lost
//! to a crash. A pool of workers claims due jobs with a lease that they renew while they work; a
//! worker that dies leaves its lease to run out and the job is claimed again. A failed attempt is
//! retried with a growing delay, up to `MAX_ATTEMPTS`. An attempt whose worker died counts too: a
//! job whose lease lapsed during its last attempt is given up, its piece saying why, so that a
//! piece that brings the process down at each reading does not loop forever.
//!
//! Each claim gets its own token: renewing the lease, finishing and failing touch the row only
//! while it still holds that token, so a worker whose lease lapsed (and whose job was claimed
//! again, or given up) can neither record its result nor undo the new owner's work.
//!
//! Claims are fair between companies: the oldest due job of the company with the fewest running
//! jobs, then of the one served longest ago, goes first, so that one company's flood of uploads
//! does not hold up the others, even with a single worker (the companies then take turns). Workers wake when a job is queued, and poll every few seconds for retries and lapsed
//! leases (or jobs queued by another process).
//!
//! The queue knows no feature: each [`Kind`] of job (its work, and what giving it up records on
//! its piece) is listed by the composition root (`app`) and handed to the workers.

mod worker;

use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::{Any, AnyConnection, Row, Transaction};
use time::OffsetDateTime;

use crate::db::{format_time, now, Db};
use crate::state::AppState;
pub use worker::start_workers;

/// One kind of job, as `jobs.kind` names it.
#[derive(Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    /// Does the job's work; an error is retried later, up to [`MAX_ATTEMPTS`].
    pub work: for<'a> fn(&'a AppState, &'a Job) -> BoxFuture<'a, anyhow::Result<()>>,
    /// Records on the job's piece why it was given up (`why`), in the transaction that gives it up.
    pub give_up: for<'a> fn(&'a mut AnyConnection, &'a str, &'a str) -> BoxFuture<'a, sqlx::Result<()>>,
}

/// How long a claimed job is reserved for its worker; the worker renews the lease while it works,
/// so a job of a crashed worker is taken again within this time.
const LEASE: Duration = Duration::from_secs(60);
pub const MAX_ATTEMPTS: i64 = 5;

/// A claimed job.
#[derive(Debug)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub document_id: String,
    pub attempts: i64,
    /// This claim's own token: the row is this worker's while it holds it.
    pub token: String,
}

/// The job is no longer this worker's: its lease lapsed and it was claimed again or given up.
#[derive(Debug, thiserror::Error)]
#[error("job {0} is no longer this worker's: its lease lapsed and it was claimed again or given up")]
pub struct Lost(pub String);

/// What became of a failed attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Failed {
    /// Queued again, to run after a growing delay.
    Retry,
    /// The last attempt: the job is given up and its piece says why.
    GaveUp,
    /// The job was no longer this worker's: nothing was recorded.
    Lost,
}

/// Queues a job in the caller's transaction, with the company of the document's dossier (for
/// fair claims).
pub async fn enqueue(tx: &mut Transaction<'_, Any>, kind: &str, document_id: &str) -> sqlx::Result<()> {
    let inserted = sqlx::query(
        "insert into jobs (id, kind, document_id, company_id, run_after, created_at, updated_at) \
         select $1, $2, doc.id, dossier.company_id, $4, $4, $4 \
         from documents doc join dossiers dossier on dossier.id = doc.dossier_id where doc.id = $3",
    )
    .bind(crate::db::new_id())
    .bind(kind)
    .bind(document_id)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() != 1 {
        return Err(sqlx::Error::RowNotFound);
    }
    Ok(())
}

/// Whether job `t` is due: queued and due, or running with a lapsed lease and attempts left
/// (`$1` the time, `$attempts` the placeholder of [`MAX_ATTEMPTS`]).
fn due(t: &str, attempts: &str) -> String {
    format!(
        "(({t}.state = 'queued' and {t}.run_after <= $1) \
         or ({t}.state = 'running' and {t}.lease_until < $1 and {t}.attempts < {attempts}))"
    )
}

/// Claims one due job, if any (a lapsed job without attempts left is given up first): the
/// oldest due job of the company to serve next (see [`next_company`]).
pub async fn claim(db: &Db, kinds: &[Kind]) -> sqlx::Result<Option<Job>> {
    let at = OffsetDateTime::now_utc();
    let (now, lease) = (format_time(at), format_time(at + LEASE));
    give_up_lapsed(db, &now, kinds).await?;
    // Another worker may take the company's last due job in between: then choose again.
    for _ in 0..3 {
        let Some(company) = next_company(db, &now).await? else { return Ok(None) };
        if let Some(job) = claim_of(db, &now, &lease, &company).await? {
            return Ok(Some(job));
        }
    }
    Ok(None)
}

/// Among the companies with a due job, the one with the fewest jobs under way, then the one
/// served longest ago (never served: first). With a single worker the companies take turns: a
/// company's flood of uploads delays another's piece by one reading at most.
async fn next_company(db: &Db, now: &str) -> sqlx::Result<Option<String>> {
    let running = "select count(*) from jobs r where coalesce(r.company_id, '') = c.company and r.state = 'running' \
                   and r.lease_until >= $1";
    let served = "select coalesce(max(r.updated_at), '') from jobs r where coalesce(r.company_id, '') = c.company \
                  and r.state <> 'queued'";
    sqlx::query_scalar(&format!(
        "select c.company from (select distinct coalesce(j.company_id, '') as company from jobs j where {}) c \
         order by ({running}), ({served}), c.company limit 1",
        due("j", "$2")
    ))
    .bind(now)
    .bind(MAX_ATTEMPTS)
    .fetch_optional(db)
    .await
}

/// Claims the oldest due job of `company`, if it is still there.
async fn claim_of(db: &Db, now: &str, lease: &str, company: &str) -> sqlx::Result<Option<Job>> {
    // The outer condition is checked again on the row itself, so two workers (or two
    // processes on PostgreSQL) racing for the same job cannot both get it.
    let row = sqlx::query(&format!(
        "update jobs set state = 'running', attempts = attempts + 1, lease_until = $2, claim_token = $3, \
         updated_at = $1 \
         where id = (select j.id from jobs j where {} and coalesce(j.company_id, '') = $5 \
         order by j.run_after, j.id limit 1) and {} \
         returning id, kind, document_id, attempts, claim_token",
        due("j", "$4"),
        due("jobs", "$4"),
    ))
    .bind(now)
    .bind(lease)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(MAX_ATTEMPTS)
    .bind(company)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(Job {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            document_id: row.try_get("document_id")?,
            attempts: row.try_get("attempts")?,
            token: row.try_get("claim_token")?,
        })
    })
    .transpose()
}

/// Gives up the jobs whose lease lapsed during their last attempt: their worker died each time
/// (a piece whose reading brings the whole process down would otherwise be retaken forever).
async fn give_up_lapsed(db: &Db, now: &str, kinds: &[Kind]) -> sqlx::Result<()> {
    let mut tx = crate::db::begin(db).await?;
    let given_up = sqlx::query(
        "update jobs set state = 'failed', lease_until = null, claim_token = null, updated_at = $1, \
         last_error = 'the worker stopped during every attempt (its lease lapsed)' \
         where state = 'running' and lease_until < $1 and attempts >= $2 \
         returning kind, document_id, attempts",
    )
    .bind(now)
    .bind(MAX_ATTEMPTS)
    .fetch_all(&mut *tx)
    .await?;
    for row in &given_up {
        let (kind, document_id): (String, String) = (row.try_get("kind")?, row.try_get("document_id")?);
        let attempts: i64 = row.try_get("attempts")?;
        tracing::error!(document = %document_id, attempts, "job given up: its worker stopped during every attempt");
        let why = format!(
            "le traitement s'est interrompu à chacun des {attempts} essais (le service s'est arrêté pendant la \
             lecture) ; la pièce est gardée telle quelle."
        );
        gave_up(&mut tx, kinds, &kind, &document_id, &why).await?;
    }
    tx.commit().await
}

/// Records on the job's piece that its work was given up, in the transaction that gives it up.
async fn gave_up(
    tx: &mut Transaction<'_, Any>,
    kinds: &[Kind],
    kind: &str,
    document_id: &str,
    why: &str,
) -> sqlx::Result<()> {
    match kinds.iter().find(|k| k.name == kind) {
        Some(kind) => (kind.give_up)(tx, document_id, why).await,
        None => Ok(()),
    }
}

/// Renews the job's lease; false when the job is no longer this worker's.
pub async fn renew(db: &Db, job: &Job) -> sqlx::Result<bool> {
    let lease = format_time(OffsetDateTime::now_utc() + LEASE);
    let renewed =
        sqlx::query("update jobs set lease_until = $3 where id = $1 and claim_token = $2 and state = 'running'")
            .bind(&job.id)
            .bind(&job.token)
            .bind(lease)
            .execute(db)
            .await?;
    Ok(renewed.rows_affected() == 1)
}

/// Marks a job done, in the transaction that records its result; fails with [`Lost`] when the job
/// is no longer this worker's, so that the caller's transaction, and the result, are dropped.
pub async fn finish(tx: &mut Transaction<'_, Any>, job: &Job) -> anyhow::Result<()> {
    let done = sqlx::query(
        "update jobs set state = 'done', lease_until = null, claim_token = null, last_error = null, updated_at = $3 \
         where id = $1 and claim_token = $2 and state = 'running'",
    )
    .bind(&job.id)
    .bind(&job.token)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(Lost(job.id.clone()).into());
    }
    Ok(())
}

/// Records a failed attempt: retried later with backoff, or given up (and the piece says why).
/// Touches nothing when the job is no longer this worker's.
pub async fn fail(db: &Db, kinds: &[Kind], job: &Job, error: &str) -> sqlx::Result<Failed> {
    let give_up = job.attempts >= MAX_ATTEMPTS;
    let delay = Duration::from_secs(5 * (1 << job.attempts.clamp(0, 10)));
    let run_after = format_time(OffsetDateTime::now_utc() + delay);
    let mut tx = crate::db::begin(db).await?;
    let failed = sqlx::query(
        "update jobs set state = $3, run_after = $4, lease_until = null, claim_token = null, last_error = $5, \
         updated_at = $6 where id = $1 and claim_token = $2 and state = 'running'",
    )
    .bind(&job.id)
    .bind(&job.token)
    .bind(if give_up { "failed" } else { "queued" })
    .bind(&run_after)
    .bind(error)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    if failed.rows_affected() != 1 {
        return Ok(Failed::Lost);
    }
    if give_up {
        gave_up(&mut tx, kinds, &job.kind, &job.document_id, error).await?;
    }
    tx.commit().await?;
    Ok(if give_up { Failed::GaveUp } else { Failed::Retry })
}

/// Number of jobs not yet done or given up.
pub async fn backlog(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from jobs where state in ('queued', 'running')").fetch_one(db).await
}

#[cfg(test)]
mod tests;
