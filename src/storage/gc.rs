//! `pieces gc`: removes the blobs that no piece references (as its bytes or its thumbnail), such as the blob of an upload whose
//! row was never committed (a crash, a dossier closed meanwhile), and the temporary files of
//! blob writes cut short. It lists the store (local files or S3) page by page with each object's
//! last-modified time and keeps every blob written within the grace period.
//!
//! The grace period is what makes it safe while the service runs: an upload stores its blob,
//! then records its row within seconds; storing the same bytes again rewrites the blob and renews
//! its last-modified time (see `Storage::put_file`). So a blob that an upload under way is about to
//! record is recent, and is kept. A blob is checked against the database after it is listed, so
//! one recorded meanwhile is kept too. The window left is an upload that stores an old orphan's
//! bytes again between its listing and its removal (a fraction of a second) and records its row
//! after the check: `pieces verify` would report that piece, and sending it again repairs it.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use anyhow::Context;

use super::{Listed, Storage, TEMPORARY};
use crate::db::Db;
use crate::domain::Sha256Hex;

/// What a collection removed and kept.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Collected {
    pub removed: u64,
    pub removed_bytes: u64,
    /// Temporary files of writes that never finished (local files only).
    pub temporaries: u64,
    /// Old blobs that pieces reference.
    pub referenced: u64,
    /// Objects written within the grace period, referenced or not.
    pub recent: u64,
}

/// The command: collects with `grace` and prints what it removed.
pub async fn run_command(config: crate::config::Config, grace: Duration, dry_run: bool) -> anyhow::Result<()> {
    let config = config.with_env_credentials();
    let db = crate::db::connect(&config.database_url()).await?;
    let storage = Storage::from_config(&config)?;
    let before = SystemTime::now().checked_sub(grace).context("the grace period is too long")?;
    let collected = collect(&db, &storage, before, dry_run).await?;
    let (verb, note) =
        if dry_run { ("à supprimer", " (--dry-run : rien n'a été supprimé)") } else { ("supprimés", "") };
    println!(
        "pieces gc : blobs orphelins {verb} : {} ({} octets) ; fichiers temporaires {verb} : {} ; gardés : {} \
         blobs référencés, {} objets écrits depuis moins de {} s{note}",
        collected.removed,
        collected.removed_bytes,
        collected.temporaries,
        collected.referenced,
        collected.recent,
        grace.as_secs()
    );
    Ok(())
}

/// Removes the orphan blobs (and temporary files) last written before `before`.
pub async fn collect(db: &Db, storage: &Storage, before: SystemTime, dry_run: bool) -> anyhow::Result<Collected> {
    let mut collected = Collected::default();
    let mut cursor = None;
    let mut checked_database = false;
    loop {
        let page = storage.list_page(cursor).await.context("cannot list the store")?;
        if !checked_database && !page.listed.is_empty() {
            refuse_an_empty_database(db).await?;
            checked_database = true;
        }
        let removable = removable(db, page.listed, before, &mut collected).await?;
        for listed in removable {
            if !dry_run {
                storage.delete(&listed.key).await.with_context(|| format!("cannot remove {}", listed.key))?;
            }
            tracing::info!(key = %listed.key, size = listed.size, dry_run, "orphan removed");
            if blob_sha(&listed.key).is_some() {
                collected.removed += 1;
                collected.removed_bytes += listed.size;
            } else {
                collected.temporaries += 1;
            }
        }
        cursor = page.next;
        if cursor.is_none() {
            return Ok(collected);
        }
    }
}

/// The listed objects to remove: temporary files and unreferenced blobs written before `before`.
async fn removable(
    db: &Db,
    listed: Vec<Listed>,
    before: SystemTime,
    collected: &mut Collected,
) -> anyhow::Result<Vec<Listed>> {
    let old_blobs: Vec<String> = listed
        .iter()
        .filter(|l| l.modified < before)
        .filter_map(|l| blob_sha(&l.key).map(|sha| sha.to_string()))
        .collect();
    let referenced = referenced(db, &old_blobs).await?;
    let mut removable = Vec::new();
    for listed in listed {
        match blob_sha(&listed.key) {
            _ if listed.modified >= before => collected.recent += 1,
            Some(sha) if referenced.contains(sha.as_str()) => collected.referenced += 1,
            Some(_) => removable.push(listed),
            None if is_temporary(&listed.key) => removable.push(listed),
            None => tracing::warn!(key = %listed.key, "an object that is not a blob was left alone"),
        }
    }
    Ok(removable)
}

/// The digest of a blob key `sha256/ab/cd/abcd…`.
fn blob_sha(key: &str) -> Option<Sha256Hex> {
    let sha = Sha256Hex::parse(key.rsplit('/').next()?)?;
    (sha.blob_key() == key).then_some(sha)
}

fn is_temporary(key: &str) -> bool {
    key.rsplit('/').next().is_some_and(|name| name.starts_with(TEMPORARY))
}

/// Which of `shas` a piece references, as its bytes or its thumbnail (a query per 500).
async fn referenced(db: &Db, shas: &[String]) -> sqlx::Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in shas.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let marks = marks.join(", ");
        let sql = format!(
            "select sha256 from documents where sha256 in ({marks}) \
             union select thumbnail_sha256 from documents where thumbnail_sha256 in ({marks})"
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for sha in chunk {
            query = query.bind(sha);
        }
        found.extend(query.fetch_all(db).await?);
    }
    Ok(found)
}

/// A store with blobs and a database without a single piece is a wrong `--database-url` (the
/// default is a new SQLite file), not a store of orphans: nothing is removed.
async fn refuse_an_empty_database(db: &Db) -> anyhow::Result<()> {
    let pieces: i64 = sqlx::query_scalar("select count(*) from documents").fetch_one(db).await?;
    if pieces == 0 {
        anyhow::bail!(
            "la base de données ne référence aucune pièce alors que le stockage contient des blobs : \
             vérifiez --database-url ; rien n'a été supprimé (the database has no piece but the store has blobs)"
        );
    }
    Ok(())
}

/// Parses a duration: a number followed by `s`, `m`, `h` or `d` (`24h`, `90m`, `2d`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let wrong = || format!("{text:?} : une durée comme 24h, 90m, 2d ou 3600s (a duration such as 24h)");
    let (number, unit) = text.split_at(text.char_indices().last().ok_or_else(wrong)?.0);
    let seconds: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(wrong()),
    };
    let number: u64 = number.parse().map_err(|_| wrong())?;
    Ok(Duration::from_secs(number.checked_mul(seconds).ok_or_else(wrong)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_keys_and_durations_parse() {
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert!(blob_sha(&format!("sha256/ba/78/{sha}")).is_some());
        assert!(blob_sha(&format!("sha256/ab/78/{sha}")).is_none(), "in the wrong folder");
        assert!(blob_sha("sha256/ba/78/.tmp-1").is_none());
        assert!(is_temporary("sha256/ba/78/.tmp-1"));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        for wrong in ["24", "h", "1w", "", "2é", "99999999999999999999d"] {
            assert!(parse_duration(wrong).is_err(), "{wrong}");
        }
    }
}
