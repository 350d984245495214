//! Blobs as local files under `storage/blobs/sha256/ab/cd/<hex>`. A blob appears atomically and
//! durably: the uploader's spool file is fsynced and hard-linked into place (or copied to a
//! temporary name, fsynced and renamed when linking is impossible), then the folder is fsynced.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use tokio_util::io::ReaderStream;

use super::{BlobStream, StorageError};
use crate::domain::Sha256Hex;

pub struct FsStore {
    root: PathBuf,
}

impl FsStore {
    pub fn new(root: PathBuf) -> FsStore {
        FsStore { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, sha256: &Sha256Hex) -> PathBuf {
        self.root.join(sha256.blob_key())
    }

    pub async fn put_file(&self, sha256: &Sha256Hex, source: &Path, size: u64) -> Result<bool, StorageError> {
        let (root, target, source) = (self.root.clone(), self.path(sha256), source.to_path_buf());
        tokio::task::spawn_blocking(move || place(&root, &source, &target, size))
            .await
            .map_err(StorageError::unavailable)?
            .map_err(StorageError::unavailable)
    }

    pub async fn get(&self, sha256: &Sha256Hex) -> Result<BlobStream, StorageError> {
        match tokio::fs::File::open(self.path(sha256)).await {
            Ok(file) => Ok(Box::pin(ReaderStream::with_capacity(file, 64 * 1024))),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(StorageError::NotFound(sha256.to_string())),
            Err(e) => Err(StorageError::unavailable(e)),
        }
    }

    pub async fn check(&self) -> Result<(), StorageError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&root)?;
            let probe = root.join(format!(".ready-probe-{}", uuid::Uuid::new_v4()));
            std::fs::write(&probe, b"ok")?;
            std::fs::remove_file(&probe)
        })
        .await
        .map_err(StorageError::unavailable)?
        .map_err(StorageError::unavailable)
    }
}

/// Puts `source` at `target` atomically and durably; false when a sound blob was already there.
fn place(root: &Path, source: &Path, target: &Path, size: u64) -> anyhow::Result<bool> {
    use anyhow::Context;
    let dir = target.parent().context("a blob path has a parent")?;
    // The folders this blob creates: each one's entry lives in its parent, which must be fsynced.
    let created: Vec<&Path> = dir.ancestors().take_while(|d| d.starts_with(root) && !d.exists()).collect();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let existing = match std::fs::metadata(target) {
        Ok(meta) if meta.len() == size => {
            // Present and whole; it may have been linked an instant ago: make sure it is durable.
            fsync_dir(dir)?;
            return Ok(false);
        }
        Ok(meta) => {
            tracing::error!(blob = %target.display(), found = meta.len(), expected = size, "corruption: a stored blob has the wrong size; replacing it");
            true
        }
        Err(_) => false,
    };
    std::fs::File::open(source)?.sync_all().context("cannot fsync the upload")?;
    let linked = !existing && std::fs::hard_link(source, target).is_ok();
    if !linked {
        let temporary = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
        let copied = copy_durably(source, &temporary).and_then(|()| Ok(std::fs::rename(&temporary, target)?));
        if copied.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        copied.context("cannot put the blob in place")?;
    }
    fsync_dir(dir)?;
    for folder in created.iter().filter_map(|d| d.parent()) {
        fsync_dir(folder)?;
    }
    Ok(true)
}

fn copy_durably(source: &Path, target: &Path) -> anyhow::Result<()> {
    std::fs::copy(source, target)?;
    std::fs::File::open(target)?.sync_all()?;
    Ok(())
}

fn fsync_dir(dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::File::open(dir)?.sync_all().with_context(|| format!("cannot fsync {}", dir.display()))
}

/// Removes spool files older than an hour under `dir`: uploads cut short by a crash.
pub fn sweep_spool(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in entries.flatten() {
        let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < hour_ago);
        if old && std::fs::remove_file(entry.path()).is_ok() {
            tracing::info!(file = %entry.path().display(), "removed a spool file left by an interrupted upload");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_placed_once_and_a_damaged_one_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("blobs");
        let source = dir.path().join("upload");
        std::fs::write(&source, b"%PDF-1.4 whole").unwrap();
        let target = root.join("sha256/ab/cd/abcd");
        assert!(place(&root, &source, &target, 14).unwrap());
        assert!(!place(&root, &source, &target, 14).unwrap(), "already there");
        std::fs::remove_file(&target).unwrap(); // the blob shares the upload's inode: damage a copy
        std::fs::write(&target, b"%PDF-1").unwrap();
        assert!(place(&root, &source, &target, 14).unwrap(), "a truncated blob is replaced");
        assert_eq!(std::fs::read(&target).unwrap(), b"%PDF-1.4 whole");
        assert_eq!(std::fs::read_dir(target.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
    }
}
