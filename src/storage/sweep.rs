//! Leftovers of work that a crash (or a kill) interrupted, under the storage folder: spool files
//! of uploads cut short and the scratch folders of dossier prints (`tmp/`), the scratch folders of
//! readings (`work/understand-*`). They are swept at start and every ten minutes, off the async
//! executor: an entry of `tmp/` or `work/` goes once nothing in it has changed for an hour. That
//! is far above the longest legitimate use: an upload writes its spool file as bytes arrive and
//! stores it at once, a print lasts its one-minute sandbox, and a reading writes into its folder
//! at least every six minutes (each OCR tool has a three-minute deadline).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// An entry unchanged for this long is a leftover.
pub const MAX_AGE: Duration = Duration::from_secs(3600);
/// How often a serving process sweeps.
pub const EVERY: Duration = Duration::from_secs(600);

/// The folders swept under the storage folder.
const FOLDERS: [&str; 2] = ["tmp", "work"];

/// Sweeps the leftovers under `storage_dir` once, off the async executor; returns how many
/// entries went.
pub async fn sweep_leftovers(storage_dir: &Path) -> usize {
    let dirs: Vec<PathBuf> = FOLDERS.iter().map(|name| storage_dir.join(name)).collect();
    let swept = tokio::task::spawn_blocking(move || dirs.iter().map(|dir| sweep(dir, MAX_AGE)).sum());
    swept.await.unwrap_or_else(|panic| {
        tracing::error!("the sweep of leftovers panicked: {panic}");
        0
    })
}

/// Sweeps the leftovers under `storage_dir` every `every`, for as long as the process runs (the
/// first sweep is the start-up one, done before).
pub fn start_sweeper(storage_dir: PathBuf, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            sweep_leftovers(&storage_dir).await;
        }
    });
}

/// Removes the entries of `dir` (files or folders) in which nothing changed for `max_age`.
fn sweep(dir: &Path, max_age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let Some(before) = SystemTime::now().checked_sub(max_age) else { return 0 };
    let mut swept = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if last_change(&path).is_none_or(|at| at >= before) {
            continue; // changed lately, or unreadable: kept
        }
        let removed = match entry.file_type() {
            Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        match removed {
            Ok(()) => {
                swept += 1;
                tracing::info!(path = %path.display(), "removed a leftover of interrupted work");
            }
            Err(error) => tracing::warn!(path = %path.display(), "cannot remove a leftover: {error}"),
        }
    }
    swept
}

/// The last time anything at or under `path` changed (links are not followed); `None` when it
/// cannot be read.
fn last_change(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let mut latest = meta.modified().ok()?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).ok()?.flatten() {
            latest = latest.max(last_change(&entry.path())?);
        }
    }
    Some(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn age(path: &Path, by: Duration) {
        let at = SystemTime::now() - by;
        std::fs::File::open(path).unwrap().set_modified(at).unwrap();
    }

    /// Leftovers as a crash leaves them, two hours old, and the same things in use.
    fn leftovers(storage: &Path) -> [PathBuf; 5] {
        let (tmp, work) = (storage.join("tmp"), storage.join("work"));
        let spool = tmp.join(".tmpSPOOL");
        let print = tmp.join(".tmpPRINT");
        let reading = work.join("understand-old");
        let busy = work.join("understand-busy");
        let fresh = tmp.join(".tmpFRESH");
        for dir in [&print, &reading, &busy] {
            std::fs::create_dir_all(dir).unwrap();
        }
        for file in [&spool, &print.join("1-page.pdf"), &reading.join("piece"), &busy.join("piece")] {
            std::fs::write(file, b"%PDF").unwrap();
            age(file, 2 * MAX_AGE);
        }
        std::fs::write(busy.join("page-7.png"), b"png").unwrap(); // a reading under way writes a page
        std::fs::write(&fresh, b"%PDF-1.4 still arriving").unwrap(); // an upload under way
        for dir in [&print, &reading, &busy] {
            age(dir, 2 * MAX_AGE);
        }
        [spool, print, reading, busy, fresh]
    }

    #[tokio::test]
    async fn leftovers_older_than_the_bound_go_and_work_under_way_stays() {
        let dir = tempfile::tempdir().unwrap();
        let [spool, print, reading, busy, fresh] = leftovers(dir.path());
        assert_eq!(sweep_leftovers(dir.path()).await, 3);
        for gone in [&spool, &print, &reading] {
            assert!(!gone.exists(), "{} was left", gone.display());
        }
        assert!(busy.join("piece").exists(), "a reading that wrote lately is kept whole");
        assert!(fresh.exists(), "an upload under way is kept");
    }

    #[tokio::test]
    async fn the_sweeper_comes_back_periodically() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        start_sweeper(dir.path().to_path_buf(), Duration::from_millis(20));
        // Left after the start-up sweep: the next round takes it.
        let late = dir.path().join("work/understand-late");
        std::fs::create_dir(&late).unwrap();
        age(&late, DAY);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while late.exists() {
            assert!(std::time::Instant::now() < deadline, "the sweeper did not come back");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
