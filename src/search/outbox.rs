//! Indexing that never loses a piece. A change to what the index shows of a piece writes an
//! outbox row in the same transaction as the change; one indexer task drains the outbox into the
//! index in batches: it writes and commits off the executor, reloads the reader, and deletes the
//! outbox rows only after the commit. A crash between the commit and the deletion re-indexes the
//! batch: entries are replaced by id, so nothing is lost and nothing is duplicated. A piece that
//! is removed leaves its id in `search_removals` instead (`removed`), and its entry goes the same
//! way.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::{Any, Row, Transaction};
use tokio::sync::Notify;

use super::{Entry, SearchIndex};
use crate::db::{new_id, now, Db};

/// Where the index's entries come from: the entries of the pieces of these ids (those that
/// still exist). The pieces' concern (`documents::index`) supplies it; the composition root
/// hands it to the indexer.
pub type Rows = for<'a> fn(&'a Db, &'a [String]) -> BoxFuture<'a, anyhow::Result<Vec<Entry>>>;

/// Outbox rows taken at once, at most.
pub const BATCH: usize = 5000;
/// Text taken at once, at most (in bytes; one piece at least): about half a second of indexing
/// on 2 cores, so that a batch commits well within a second however long its pieces are.
pub const TEXT_BUDGET: usize = 8 << 20;

/// The indexer looks at the outbox at least this often.
const POLL: Duration = Duration::from_millis(500);
/// A process that does not index looks this often for the indexing process's commits.
const FOLLOW: Duration = Duration::from_secs(1);

/// How many of the leading pieces, of these text sizes, make a batch: at most `max` and
/// `TEXT_BUDGET` bytes of text, at least one.
pub fn batch_len(sizes: impl IntoIterator<Item = usize>, max: usize) -> usize {
    let mut total = 0;
    let mut taken = 0;
    for size in sizes.into_iter().take(max) {
        total += size;
        if taken > 0 && total > TEXT_BUDGET {
            break;
        }
        taken += 1;
    }
    taken
}

/// Asks for `document_id`'s index entry to be rewritten, in the caller's transaction.
pub async fn touch(tx: &mut Transaction<'_, Any>, document_id: &str) -> sqlx::Result<()> {
    sqlx::query("insert into search_outbox (id, document_id, created_at) values ($1, $2, $3)")
        .bind(new_id())
        .bind(document_id)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Asks for the entry of `document_id`, whose row is being deleted in the caller's transaction,
/// to be dropped from the index (its outbox rows go with the row).
pub async fn removed(tx: &mut Transaction<'_, Any>, document_id: &str) -> sqlx::Result<()> {
    sqlx::query("delete from search_outbox where document_id = $1").bind(document_id).execute(&mut **tx).await?;
    sqlx::query("insert into search_removals (document_id, created_at) values ($1, $2)")
        .bind(document_id)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The same for every piece of a dossier (its state or provider changed).
pub async fn touch_dossier(tx: &mut Transaction<'_, Any>, dossier_id: &str) -> sqlx::Result<()> {
    let ids: Vec<String> = sqlx::query_scalar("select id from documents where dossier_id = $1")
        .bind(dossier_id)
        .fetch_all(&mut **tx)
        .await?;
    for id in ids {
        touch(tx, &id).await?;
    }
    Ok(())
}

/// Queues every piece, for a rebuild.
pub async fn touch_all(db: &Db) -> sqlx::Result<u64> {
    let done =
        sqlx::query("insert into search_outbox (id, document_id, created_at) select $1 || id, id, $2 from documents")
            .bind(format!("rebuild-{}-", new_id()))
            .bind(now())
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}

/// Rows still to index.
pub async fn pending(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar("select (select count(*) from search_outbox) + (select count(*) from search_removals)")
        .fetch_one(db)
        .await
}

/// For a process that does not index: looks every second for other processes' commits, and
/// reloads its reader when there are.
pub fn start_reloader(index: Arc<SearchIndex>) {
    tokio::spawn(async move {
        reload(&index, false).await;
        loop {
            tokio::time::sleep(FOLLOW).await;
            reload(&index, true).await;
        }
    });
}

/// Reloads the reader off the executor (a reload reads the commonest words of new segments), or
/// only when another process committed.
async fn reload(index: &Arc<SearchIndex>, only_if_changed: bool) {
    let index = index.clone();
    let reloaded = tokio::task::spawn_blocking(move || match only_if_changed {
        true => index.reload_if_changed().map(|_| ()),
        false => index.reload(),
    })
    .await;
    match reloaded {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!("cannot reload the search index: {error}"),
        Err(error) => tracing::warn!("cannot reload the search index: {error}"),
    }
}

/// The indexer task: drains the outbox until the process stops. While another process on the
/// same index holds its writer, this one follows that one's commits, and takes over when it stops.
pub fn start_indexer(db: Db, index: Arc<SearchIndex>, source: Rows, wake: Arc<Notify>) {
    tokio::spawn(async move {
        // The commonest words in memory before the first searches.
        reload(&index, false).await;
        let mut following = false;
        loop {
            if !holds_writer(&index, &mut following).await {
                reload(&index, true).await;
                tokio::time::sleep(FOLLOW).await;
                continue;
            }
            match drain_once(&db, &index, source).await {
                Ok(0) => {
                    if index.is_rebuilding() {
                        index.rebuilt();
                        tracing::info!("the search index is rebuilt");
                    }
                    let _ = tokio::time::timeout(POLL, wake.notified()).await;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!("indexing failed, retrying: {error:#}");
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    });
}

/// Whether this process holds the index's writer, taking it when it is free; says so when that
/// changes (`following`: another process holds it).
async fn holds_writer(index: &Arc<SearchIndex>, following: &mut bool) -> bool {
    let index = index.clone();
    let held = match tokio::task::spawn_blocking(move || index.take_writer()).await {
        Ok(Ok(held)) => held,
        Ok(Err(error)) => {
            tracing::error!("cannot open the search index's writer, retrying: {error}");
            return false;
        }
        Err(error) => {
            tracing::error!("cannot open the search index's writer, retrying: {error}");
            return false;
        }
    };
    if held == *following {
        *following = !held;
        match held {
            true => tracing::info!("the search index's writer is free again: this process indexes"),
            false => tracing::info!(
                "another process indexes the search index: this one follows its commits, and takes over if it stops"
            ),
        }
    }
    held
}

/// Indexes one batch; returns how many outbox rows it took.
pub async fn drain_once(db: &Db, index: &Arc<SearchIndex>, source: Rows) -> anyhow::Result<usize> {
    let mut rows = sqlx::query(
        "select o.id, o.document_id, (select coalesce(sum(length(p.text)), 0) from document_pages p \
         where p.document_id = o.document_id) as size from search_outbox o order by o.id limit $1",
    )
    .bind(BATCH as i64)
    .fetch_all(db)
    .await?;
    let removed: Vec<String> =
        sqlx::query_scalar("select document_id from search_removals order by created_at, document_id limit $1")
            .bind(BATCH as i64)
            .fetch_all(db)
            .await?;
    if rows.is_empty() && removed.is_empty() {
        return Ok(0);
    }
    let sizes: Vec<i64> = rows.iter().map(|r| r.try_get("size")).collect::<Result<_, _>>()?;
    rows.truncate(batch_len(sizes.into_iter().map(|size| size.max(0) as usize), BATCH));
    let outbox_ids: Vec<String> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
    let mut document_ids: Vec<String> = rows.iter().map(|r| r.try_get("document_id")).collect::<Result<_, _>>()?;
    document_ids.sort();
    document_ids.dedup();
    let entries = source(db, &document_ids).await?;
    let (index2, mut ids) = (index.clone(), document_ids.clone());
    ids.extend(removed.iter().cloned());
    tokio::task::spawn_blocking(move || {
        let f = index2.fields;
        index2.apply(&ids, entries.into_iter().map(|entry| entry.document(f)).collect())
    })
    .await??;
    // Only now, after the commit: a crash before this line indexes the batch again.
    for chunk in outbox_ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("delete from search_outbox where id in ({})", placeholders.join(", "));
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(db).await?;
    }
    for id in &removed {
        sqlx::query("delete from search_removals where document_id = $1").bind(id).execute(db).await?;
    }
    tracing::debug!(documents = document_ids.len(), removed = removed.len(), "indexed a batch");
    Ok(outbox_ids.len() + removed.len())
}

/// `pieces reindex`: rebuilds the index from the database, with the service stopped (it holds
/// the index's writer), showing progress (pieces/s, time left) on standard error.
pub async fn reindex(db: &Db, index: &Arc<SearchIndex>, source: Rows) -> anyhow::Result<()> {
    use std::io::Write;
    let queued = touch_all(db).await?;
    let total = pending(db).await?.max(1) as f64;
    let started = std::time::Instant::now();
    let mut done = 0usize;
    loop {
        let taken = drain_once(db, index, source).await?;
        if taken == 0 {
            break;
        }
        done += taken;
        let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
        let left = (total - done as f64).max(0.0) / rate;
        let bar = "#".repeat((30.0 * done as f64 / total) as usize);
        eprint!("\r[{bar:<30}] {done}/{total} entries, {rate:.0}/s, {left:.0} s left   ");
        let _ = std::io::stderr().flush();
    }
    index.rebuilt();
    eprintln!();
    println!("{queued} pieces indexed in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_stops_at_its_row_count_or_its_text_budget_and_takes_one_piece_at_least() {
        assert_eq!(batch_len([10; 9000], BATCH), BATCH);
        assert_eq!(batch_len([10; 30], 20), 20);
        assert_eq!(batch_len([10; 3], BATCH), 3);
        assert_eq!(batch_len([], BATCH), 0);
        // 3 MiB pieces: two fit in 8 MiB, not three.
        assert_eq!(batch_len([3 << 20; 5], BATCH), 2);
        // A piece larger than the budget goes alone.
        assert_eq!(batch_len([20 << 20, 10], BATCH), 1);
        assert_eq!(batch_len([10, 20 << 20], BATCH), 1);
    }
}
