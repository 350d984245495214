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

    pub async fn put_file(&self, sha256: &Sha256Hex, source: &Path) -> Result<bool, StorageError> {
        let target = self.path(sha256);
        let source = source.to_path_buf();
        tokio::task::spawn_blocking(move || place(&source, &target))
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

    pub async fn exists(&self, sha256: &Sha256Hex) -> Result<bool, StorageError> {
        tokio::fs::try_exists(self.path(sha256)).await.map_err(StorageError::unavailable)
    }

    pub async fn check(&self) -> Result<(), StorageError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&root)?;
            let probe = root.join(".ready-probe");
            std::fs::write(&probe, b"ok")?;
            std::fs::remove_file(&probe)
        })
        .await
        .map_err(StorageError::unavailable)?
        .map_err(StorageError::unavailable)
    }
}

/// Puts `source` at `target` atomically and durably; false when `target` already existed.
fn place(source: &Path, target: &Path) -> anyhow::Result<bool> {
    use anyhow::Context;
    let dir = target.parent().context("a blob path has a parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if target.exists() {
        return Ok(false);
    }
    std::fs::File::open(source)?.sync_all().context("cannot fsync the upload")?;
    match std::fs::hard_link(source, target) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(false),
        Err(_) => {
            if target.exists() {
                return Ok(false);
            }
            let temporary = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
            std::fs::copy(source, &temporary).context("cannot copy the blob")?;
            std::fs::File::open(&temporary)?.sync_all()?;
            let renamed = std::fs::rename(&temporary, target);
            if renamed.is_err() {
                let _ = std::fs::remove_file(&temporary);
            }
            renamed.context("cannot move the blob into place")?;
        }
    }
    std::fs::File::open(dir)?.sync_all().context("cannot fsync the blob folder")?;
    Ok(true)
}
