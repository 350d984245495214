//! The metadata database: one `sqlx::AnyPool` over SQLite (embedded default) or PostgreSQL,
//! the embedded migrations, and the two value conventions every table follows: identifiers are
//! UUIDv7 text (time-ordered), timestamps are RFC 3339 UTC text with microseconds (they sort as
//! text on both engines).

use std::time::Duration;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::Executor;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::config::redact_url;

pub type Db = sqlx::AnyPool;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects, creating the SQLite file if needed, and applies pending migrations.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    if sqlite {
        create_sqlite_parent(url)?;
    }
    // SQLite takes one writer at a time, and writers that wait on its lock sleep in growing steps
    // (up to 100 ms): one connection, queued fairly by the pool, is faster and never stalls.
    let pool = AnyPoolOptions::new()
        .max_connections(if sqlite { 1 } else { 16 })
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if sqlite {
                    conn.execute(
                        "pragma journal_mode = wal; pragma synchronous = full; \
                         pragma foreign_keys = on; pragma busy_timeout = 10000;",
                    )
                    .await?;
                } else {
                    // Reading an index page out of order costs about what reading the table in
                    // order does: the database is on SSD or in memory (PostgreSQL's advice there
                    // is 1.1; its default, 4, is for spinning disks). With 4, a dossier list
                    // filtered by words, at 10,000 dossiers whose indexes have grown with their
                    // edits, reads the whole table (10 ms) instead of one narrow index (2.4 ms).
                    conn.execute("set random_page_cost = 1.1").await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to the database {}", redact_url(url)))?;
    MIGRATOR.run(&pool).await.context("cannot apply the database migrations")?;
    if !sqlite {
        create_trigram_index(&pool).await;
    }
    Ok(pool)
}

/// On PostgreSQL, a trigram index on the dossiers' `search_text` (extension `pg_trgm`, trusted
/// since PostgreSQL 13): a dossier list filtered by a rare word, or by one found nowhere, reads it
/// in well under a millisecond, instead of the company's whole list (8 ms at 10,000 dossiers).
/// It is made here, not in a migration, because the migrations are shared with SQLite, which has
/// no such index. Without the right to create the extension the lists still work, slower, and a
/// warning says so; two nodes starting at once may race here, and the loser warns.
async fn create_trigram_index(pool: &Db) {
    for sql in [
        "create extension if not exists pg_trgm",
        "create index if not exists dossiers_search_trigrams on dossiers using gin (search_text gin_trgm_ops)",
    ] {
        if let Err(error) = sqlx::query(sql).execute(pool).await {
            tracing::warn!(%error, sql, "no trigram index: dossier lists filtered by words will read more rows");
            return;
        }
    }
}

fn create_sqlite_parent(url: &str) -> anyhow::Result<()> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
    }
    Ok(())
}

/// Begins a transaction that may write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`): a plain `BEGIN` that reads, then writes after another process (a second server on
/// the same file, a `pieces admin` command) committed, fails at once with "database is locked",
/// whatever the busy timeout; waiting at the start is what the busy timeout is for.
pub async fn begin(db: &Db) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
    if db.connect_options().database_url.scheme().starts_with("sqlite") {
        db.begin_with("BEGIN IMMEDIATE").await
    } else {
        db.begin().await
    }
}

/// The next value of the counter `name` (1 for a new one): atomic on both engines, and undone
/// with the transaction (so numbers taken from it have no gap).
pub async fn next_counter(tx: &mut sqlx::Transaction<'_, sqlx::Any>, name: &str) -> sqlx::Result<i64> {
    use sqlx::Row;
    let row = sqlx::query(
        "insert into counters (name, value) values ($1, 1) \
         on conflict (name) do update set value = counters.value + 1 returning value",
    )
    .bind(name)
    .fetch_one(&mut **tx)
    .await?;
    row.try_get("value")
}

/// A new time-ordered identifier.
/// The error of a column whose stored value is not one the service writes (a row's text that
/// does not parse into its type).
pub fn unexpected(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode { index: column.to_string(), source: format!("unexpected value {value:?}").into() }
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, as stored: `2026-11-27T16:49:40.123456Z`.
pub fn now() -> String {
    format_time(OffsetDateTime::now_utc())
}

pub fn format_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let micros = at.microsecond();
    let at = at.replace_nanosecond(micros * 1000).unwrap_or(at);
    let text = at.format(&Rfc3339).unwrap_or_default();
    // Rfc3339 drops trailing zeros of the fraction; pad so that text order is time order.
    match text.split_once('.') {
        Some((head, frac)) => format!("{head}.{:0<6}Z", frac.trim_end_matches('Z')),
        None => format!("{}.000000Z", text.trim_end_matches('Z')),
    }
}

/// Checks the database answers (readiness).
pub async fn ping(db: &Db) -> anyhow::Result<()> {
    sqlx::query("select 1").execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_as_text() {
        let a = format_time(time::macros::datetime!(2026-11-27 10:00:00.5 UTC));
        let b = format_time(time::macros::datetime!(2026-11-27 10:00:00.25 UTC));
        let c = format_time(time::macros::datetime!(2026-11-27 10:00:01 UTC));
        assert_eq!(a, "2026-11-27T10:00:00.500000Z");
        assert!(b < a && a < c, "{b} {a} {c}");
        assert_eq!(OffsetDateTime::parse(&c, &Rfc3339).unwrap().second(), 1);
    }

    /// Two processes on one SQLite file: while one reads then writes in a transaction, the other
    /// commits a write. The first must not fail with "database is locked" (it did with a plain
    /// `BEGIN`: its read snapshot was stale when it came to write); the second waits its turn.
    #[tokio::test]
    async fn a_transaction_that_reads_then_writes_survives_another_process_writing() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("pieces.db").display());
        let (first, second) = (connect(&url).await.unwrap(), connect(&url).await.unwrap());

        let mut tx = begin(&first).await.unwrap();
        sqlx::query("select count(*) from counters").execute(&mut *tx).await.unwrap();
        let mut other = tokio::spawn(async move {
            let mut tx = begin(&second).await?;
            let value = next_counter(&mut tx, "c").await?;
            tx.commit().await?;
            Ok::<i64, sqlx::Error>(value)
        });
        // Give the other process the time to write, had it the lock (it has not, and waits).
        let early = tokio::time::timeout(Duration::from_millis(500), &mut other).await;
        assert!(early.is_err(), "the other process wrote inside this one's transaction: {early:?}");
        let mine = next_counter(&mut tx, "c").await.expect("the write after the read");
        tx.commit().await.unwrap();
        let theirs = other.await.unwrap().expect("the other process, after the commit");
        assert_eq!((mine, theirs), (1, 2));
    }
}
