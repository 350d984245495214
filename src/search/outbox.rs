//! Indexing that never loses a piece. A change to what the index shows of a piece writes an
//! outbox row in the same transaction as the change; one indexer task drains the outbox into the
//! index in batches: it writes and commits off the executor, reloads the reader, and deletes the
//! outbox rows only after the commit. A crash between the commit and the deletion re-indexes the
//! batch: entries are replaced by id, so nothing is lost and nothing is duplicated.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Any, Row, Transaction};
use tantivy::{DateTime, TantivyDocument};
use tokio::sync::Notify;

use super::SearchIndex;
use crate::db::{new_id, now, Db};

/// Outbox rows taken at once, at most.
pub const BATCH: usize = 5000;
/// Text taken at once, at most (in bytes; one piece at least): about half a second of indexing
/// on 2 cores, so that a batch commits well within a second however long its pieces are.
pub const TEXT_BUDGET: usize = 8 << 20;

/// The indexer looks at the outbox at least this often.
const POLL: Duration = Duration::from_millis(500);

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
    sqlx::query_scalar("select count(*) from search_outbox").fetch_one(db).await
}

/// For a process that does not index: looks every second for other processes' commits, and
/// reloads its reader when there are.
pub fn start_reloader(index: Arc<SearchIndex>) {
    tokio::spawn(async move {
        reload(&index, false).await;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
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

/// The indexer task: drains the outbox until the process stops.
pub fn start_indexer(db: Db, index: Arc<SearchIndex>, wake: Arc<Notify>) {
    tokio::spawn(async move {
        // The commonest words in memory before the first searches.
        reload(&index, false).await;
        loop {
            match drain_once(&db, &index).await {
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

/// Indexes one batch; returns how many outbox rows it took.
pub async fn drain_once(db: &Db, index: &Arc<SearchIndex>) -> anyhow::Result<usize> {
    let mut rows = sqlx::query(
        "select o.id, o.document_id, (select coalesce(sum(length(p.text)), 0) from document_pages p \
         where p.document_id = o.document_id) as size from search_outbox o order by o.id limit $1",
    )
    .bind(BATCH as i64)
    .fetch_all(db)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let sizes: Vec<i64> = rows.iter().map(|r| r.try_get("size")).collect::<Result<_, _>>()?;
    rows.truncate(batch_len(sizes.into_iter().map(|size| size.max(0) as usize), BATCH));
    let outbox_ids: Vec<String> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
    let mut document_ids: Vec<String> = rows.iter().map(|r| r.try_get("document_id")).collect::<Result<_, _>>()?;
    document_ids.sort();
    document_ids.dedup();
    let entries = load_entries(db, index, &document_ids).await?;
    let index2 = index.clone();
    let ids = document_ids.clone();
    tokio::task::spawn_blocking(move || index2.apply(&ids, entries)).await??;
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
    tracing::debug!(documents = document_ids.len(), "indexed a batch");
    Ok(outbox_ids.len())
}

/// The index entries of the given pieces, from the database.
async fn load_entries(db: &Db, index: &SearchIndex, ids: &[String]) -> anyhow::Result<Vec<TantivyDocument>> {
    let f = index.fields;
    let mut entries = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let list = placeholders.join(", ");
        let sql = format!(
            "select doc.id, doc.title, doc.comment, doc.original_name, coalesce(doc.kind, doc.detected_kind) as kind, \
             doc.uploaded_at, doc.facturx, d.number, d.company_id, d.siret, d.state, d.provider_name, d.provider_siret, \
             c.adherent_number from documents doc join dossiers d on d.id = doc.dossier_id \
             join companies c on c.id = d.company_id where doc.id in ({list})"
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        let rows = query.fetch_all(db).await?;
        let mut texts: HashMap<String, String> = HashMap::new();
        let sql = format!(
            "select document_id, text from document_pages where document_id in ({list}) order by document_id, page"
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(db).await? {
            let text = texts.entry(row.try_get("document_id")?).or_default();
            text.push_str(&row.try_get::<String, _>("text")?);
            text.push('\n');
        }
        for row in rows {
            let id: String = row.try_get("id")?;
            let mut entry = TantivyDocument::default();
            entry.add_text(f.id, &id);
            entry.add_text(f.company_id, row.try_get::<String, _>("company_id")?);
            let title: String = row.try_get("title")?;
            entry.add_text(f.words, &title);
            entry.add_text(f.title, title);
            entry.add_text(f.original_name, row.try_get::<String, _>("original_name")?);
            entry.add_text(f.dossier, row.try_get::<String, _>("number")?);
            entry.add_text(f.company, row.try_get::<String, _>("adherent_number")?);
            entry.add_text(f.state, row.try_get::<String, _>("state")?);
            let optional =
                |column: &str| row.try_get::<Option<String>, _>(column).ok().flatten().filter(|v| !v.is_empty());
            if let Some(comment) = optional("comment") {
                entry.add_text(f.comment, comment);
            }
            if let Some(kind) = optional("kind") {
                entry.add_text(f.kind, kind);
            }
            if let Some(siret) = optional("siret") {
                let digits: String = siret.chars().filter(char::is_ascii_digit).collect();
                entry.add_text(f.siren, &digits[..digits.len().min(9)]);
                entry.add_text(f.siret, digits);
            }
            if let Some(name) = optional("provider_name") {
                entry.add_text(f.provider_name, name);
            }
            if let Some(siret) = optional("provider_siret") {
                entry.add_text(f.provider_siret, siret.chars().filter(char::is_ascii_digit).collect::<String>());
            }
            if let Some(invoice) =
                optional("facturx").and_then(|j| serde_json::from_str::<crate::extract::FacturX>(&j).ok())
            {
                if let Some(number) = invoice.number {
                    entry.add_text(f.invoice_number, number);
                }
                if let Some(seller) = invoice.seller_name {
                    entry.add_text(f.seller_name, seller);
                }
            }
            let uploaded: String = row.try_get("uploaded_at")?;
            if let Ok(at) = time::OffsetDateTime::parse(&uploaded, &time::format_description::well_known::Rfc3339) {
                entry.add_date(f.uploaded_at, DateTime::from_timestamp_micros(at.unix_timestamp_nanos() as i64 / 1000));
            }
            let text = texts.remove(&id).unwrap_or_default();
            entry.add_text(f.words, &text);
            entry.add_text(f.text, text);
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// `pieces reindex`: rebuilds the index from the database, with the service stopped (it holds
/// the index's writer), showing progress (pieces/s, time left) on standard error.
pub async fn reindex(state: &crate::app::AppState) -> anyhow::Result<()> {
    use std::io::Write;
    let index = state.search.clone();
    let queued = touch_all(&state.db).await?;
    let total = pending(&state.db).await?.max(1) as f64;
    let started = std::time::Instant::now();
    let mut done = 0usize;
    loop {
        let taken = drain_once(&state.db, &index).await?;
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
