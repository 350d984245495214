//! The workers: each claims a due job, runs it while a heartbeat renews its lease, and records
//! how it ended. A worker that finds its job is no longer its own (the lease lapsed, the job was
//! claimed again or given up) logs it and stops working on it, recording nothing.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{claim, fail, renew, Failed, Job, Kind, Lost, LEASE};
use crate::state::AppState;

const POLL: Duration = Duration::from_secs(3);

/// Starts `count` workers of the jobs of `kinds`; `wake` is notified when a job is queued.
pub fn start_workers(state: AppState, kinds: &'static [Kind], count: usize, wake: Arc<Notify>) {
    for worker in 0..count {
        let (state, wake) = (state.clone(), wake.clone());
        tokio::spawn(async move {
            loop {
                match claim(&state.db, kinds).await {
                    Ok(Some(job)) => run(&state, kinds, job, worker).await,
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

async fn run(state: &AppState, kinds: &[Kind], job: Job, worker: usize) {
    tracing::debug!(worker, job = %job.id, kind = %job.kind, attempt = job.attempts, "job started");
    let work = async {
        match kinds.iter().find(|kind| kind.name == job.kind) {
            Some(kind) => (kind.work)(state, &job).await,
            None => Err(anyhow::anyhow!("unknown job kind {:?}", job.kind)),
        }
    };
    // The work stops when the heartbeat finds the job taken away (its children are killed on drop).
    let outcome = tokio::select! {
        outcome = work => outcome,
        () = heartbeat(state, &job) => Err(Lost(job.id.clone()).into()),
    };
    let Err(error) = outcome else { return };
    if error.downcast_ref::<Lost>().is_some() {
        tracing::warn!(worker, job = %job.id, document = %job.document_id, "{error:#}; its result is dropped");
        return;
    }
    let error = format!("{error:#}");
    match fail(&state.db, kinds, &job, &error).await {
        Ok(Failed::GaveUp) => {
            tracing::error!(job = %job.id, document = %job.document_id, "job given up after {} attempts: {error}", job.attempts)
        }
        Ok(Failed::Retry) => tracing::warn!(job = %job.id, attempt = job.attempts, "job failed, will retry: {error}"),
        Ok(Failed::Lost) => {
            tracing::warn!(worker, job = %job.id, "job failed, but it is no longer this worker's: {error}")
        }
        Err(e) => tracing::error!(job = %job.id, "cannot record the job's failure: {e}"),
    }
}

/// Renews the job's lease every third of it; completes only when the job is no longer this
/// worker's. A renewal that fails (database unreachable) is tried again at the next beat.
async fn heartbeat(state: &AppState, job: &Job) {
    loop {
        tokio::time::sleep(LEASE / 3).await;
        match renew(&state.db, job).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => tracing::warn!(job = %job.id, "cannot renew the job's lease: {error}"),
        }
    }
}
