//! Blobs as local files under `storage/blobs/sha256/ab/cd/<hex>`. A blob appears atomically and
//! durably: the uploader's spool file is fsynced and hard-linked into place (or copied to a
//! temporary name, fsynced and renamed when linking is impossible), then the folder is fsynced.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use tokio_util::io::ReaderStream;

use super::{BlobStream, Listed, Page, StorageError};
use crate::domain::Sha256Hex;

/// The name of a file that a write stopped half-way left behind: never a blob.
pub const TEMPORARY: &str = ".tmp-";

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

    pub async fn put_file(&self, sha256: &Sha256Hex, source: &Path) -> Result<(), StorageError> {
        let (root, target, source) = (self.root.clone(), self.path(sha256), source.to_path_buf());
        tokio::task::spawn_blocking(move || place(&root, &source, &target))
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

    /// One page of the listing: the files under one folder `sha256/ab`, the first at or after
    /// `cursor`; the next page's cursor is the next folder's name.
    pub async fn list_page(&self, cursor: Option<String>) -> Result<Page, StorageError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || list_from(&root, cursor.as_deref()))
            .await
            .map_err(StorageError::unavailable)?
            .map_err(StorageError::unavailable)
    }

    /// Removes the file of `key` (as listed); a file already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let relative = Path::new(key);
        let plain = relative.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain || !relative.starts_with("sha256") {
            return Err(StorageError::unavailable(anyhow::anyhow!("not a blob key: {key:?}")));
        }
        match tokio::fs::remove_file(self.root.join(relative)).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(StorageError::unavailable(e)),
            _ => Ok(()),
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

/// Puts `source` at `target` atomically and durably, replacing whatever is there: a blob already
/// present is not trusted, since it may be damaged (see `Storage::put_file`). The upload is
/// hard-linked under a temporary name and renamed over the target, so no byte is copied; only
/// when linking is impossible (another file system) is it copied.
fn place(root: &Path, source: &Path, target: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = target.parent().context("a blob path has a parent")?;
    // The folders this blob creates: each one's entry lives in its parent, which must be fsynced.
    let created: Vec<&Path> = dir.ancestors().take_while(|d| d.starts_with(root) && !d.exists()).collect();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::File::open(source)?.sync_all().context("cannot fsync the upload")?;
    let temporary = dir.join(format!("{TEMPORARY}{}", uuid::Uuid::new_v4()));
    let placed = std::fs::hard_link(source, &temporary)
        .or_else(|_| copy_durably(source, &temporary))
        .and_then(|()| std::fs::rename(&temporary, target));
    if placed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    placed.context("cannot put the blob in place")?;
    fsync_dir(dir)?;
    for folder in created.iter().filter_map(|d| d.parent()) {
        fsync_dir(folder)?;
    }
    Ok(())
}

fn list_from(root: &Path, cursor: Option<&str>) -> std::io::Result<Page> {
    let top = root.join("sha256");
    let mut names: Vec<String> = match std::fs::read_dir(&top) {
        Ok(entries) => entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect(),
        Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    names.sort();
    let mut rest = names.into_iter().filter(|name| cursor.is_none_or(|c| name.as_str() >= c));
    let mut listed = Vec::new();
    if let Some(current) = rest.next() {
        walk(&top.join(&current), &format!("sha256/{current}"), &mut listed)?;
    }
    Ok(Page { listed, next: rest.next() })
}

/// Lists the files at or under `path` (whose key is `key`), without following links.
fn walk(path: &Path, key: &str, listed: &mut Vec<Listed>) -> std::io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()), // removed meanwhile
        Err(e) => return Err(e),
    };
    if meta.is_file() {
        listed.push(Listed { key: key.to_string(), size: meta.len(), modified: meta.modified()? });
    } else if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            walk(&path.join(name), &format!("{key}/{name}"), listed)?;
        }
    }
    Ok(())
}

fn copy_durably(source: &Path, target: &Path) -> std::io::Result<()> {
    std::fs::copy(source, target)?;
    std::fs::File::open(target)?.sync_all()
}

fn fsync_dir(dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::File::open(dir)?.sync_all().with_context(|| format!("cannot fsync {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_is_placed_and_replaced_when_stored_again_even_if_damaged_at_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("blobs");
        let source = dir.path().join("upload");
        std::fs::write(&source, b"%PDF-1.4 whole").unwrap();
        let target = root.join("sha256/ab/cd/abcd");
        place(&root, &source, &target).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"%PDF-1.4 whole");
        std::fs::remove_file(&target).unwrap(); // the blob shares the upload's inode: damage a copy
        std::fs::write(&target, b"%PDF-1.4 WHOLE").unwrap();
        place(&root, &source, &target).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"%PDF-1.4 whole", "a blob damaged at its size is replaced");
        assert_eq!(std::fs::read_dir(target.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
    }

    #[tokio::test]
    async fn the_listing_goes_folder_by_folder_and_deletes_only_blob_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::new(dir.path().to_path_buf());
        for key in ["sha256/ab/cd/abcd1", "sha256/ab/ce/abce2", "sha256/f0/0d/f00d3", "sha256/f0/0d/.tmp-x"] {
            std::fs::create_dir_all(dir.path().join(key).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(key), key).unwrap();
        }
        let first = store.list_page(None).await.unwrap();
        let mut keys: Vec<_> = first.listed.iter().map(|l| l.key.as_str()).collect();
        keys.sort();
        assert_eq!(keys, ["sha256/ab/cd/abcd1", "sha256/ab/ce/abce2"]);
        assert_eq!(first.next.as_deref(), Some("f0"));
        let second = store.list_page(first.next).await.unwrap();
        assert_eq!(second.listed.len(), 2);
        assert_eq!(second.next, None);
        assert!(store.delete("sha256/../../outside").await.is_err());
        store.delete("sha256/f0/0d/.tmp-x").await.unwrap();
        store.delete("sha256/f0/0d/.tmp-x").await.unwrap(); // already gone: fine
        assert!(!dir.path().join("sha256/f0/0d/.tmp-x").exists());
    }
}
