//! Content-addressed blob storage: `enum Storage { Fs, S3 }`. A blob's key is derived from its
//! SHA-256 only (`sha256/ab/cd/abcd…`), never from user input; writes are idempotent (the same
//! bytes stored again replace the blob, repairing a damaged one) and reads are verified against
//! the digest. Operators list the store to remove orphans (`pieces gc`) and re-read it against the
//! database (`pieces verify`); leftovers of interrupted work are swept (`sweep`).

pub mod audit;
mod fs;
pub mod gc;
mod s3;
pub mod sweep;
mod verify;

use std::path::Path;
use std::pin::Pin;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::Stream;

pub use fs::{FsStore, TEMPORARY};
pub use s3::S3Store;
pub use verify::verified;

use crate::config::Config;
use crate::domain::Sha256Hex;

/// A blob's bytes, as they come.
pub type BlobStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("blob {0} is missing from the store")]
    NotFound(String),
    #[error("the store is unavailable")]
    Unavailable(#[source] anyhow::Error),
}

impl StorageError {
    pub fn unavailable(error: impl Into<anyhow::Error>) -> StorageError {
        StorageError::Unavailable(error.into())
    }
}

/// A stored object as listed: its key (`sha256/ab/cd/<hex>`, or a temporary file's name), its size
/// and when it was last written.
#[derive(Debug)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    pub modified: SystemTime,
}

/// A page of the store's listing, and where the next one starts.
#[derive(Debug, Default)]
pub struct Page {
    pub listed: Vec<Listed>,
    pub next: Option<String>,
}

pub enum Storage {
    Fs(FsStore),
    S3(S3Store),
}

impl Storage {
    /// Local files under `storage/blobs`, or S3 when an endpoint is configured.
    pub fn from_config(config: &Config) -> anyhow::Result<Storage> {
        match &config.s3_endpoint {
            Some(endpoint) => Ok(Storage::S3(S3Store::new(config, endpoint)?)),
            None => Ok(Storage::Fs(FsStore::new(config.storage_dir().join("blobs")))),
        }
    }

    /// Stores the complete, fsynced file at `path` as the blob `sha256`, replacing the blob when
    /// it is already there. A present blob is not trusted: it may be damaged (even at its right
    /// size), and storing the same bytes again must repair it. Always writing is the cheapest
    /// correct choice on both backends: on local files the upload is hard-linked and renamed over
    /// the blob (no byte copied), where checking the blob first would read and hash it whole; on
    /// S3 one PUT (its SHA-256 checked by the server) sends the bytes that a check would have had
    /// to download. It also renews the blob's last-modified time, which `pieces gc` relies on.
    pub async fn put_file(&self, sha256: &Sha256Hex, path: &Path, size: u64) -> Result<(), StorageError> {
        match self {
            Storage::Fs(store) => store.put_file(sha256, path).await,
            Storage::S3(store) => store.put_file(sha256, path, size).await,
        }
    }

    /// The blob's bytes, unverified; see [`Storage::get_verified`].
    pub async fn get(&self, sha256: &Sha256Hex) -> Result<BlobStream, StorageError> {
        match self {
            Storage::Fs(store) => store.get(sha256).await,
            Storage::S3(store) => store.get(sha256).await,
        }
    }

    /// The blob's bytes, checked on the way: the stream fails instead of ending when the bytes
    /// do not hash to `sha256` or do not count `size`.
    pub async fn get_verified(&self, sha256: &Sha256Hex, size: u64) -> Result<BlobStream, StorageError> {
        let stream = self.get(sha256).await?;
        Ok(Box::pin(verified(stream, sha256.clone(), size)))
    }

    /// One page of the store's objects under `sha256/`, from `cursor` (`None`: the first page).
    pub async fn list_page(&self, cursor: Option<String>) -> Result<Page, StorageError> {
        match self {
            Storage::Fs(store) => store.list_page(cursor).await,
            Storage::S3(store) => store.list_page(cursor).await,
        }
    }

    /// Removes the object `key`, as listed.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self {
            Storage::Fs(store) => store.delete(key).await,
            Storage::S3(store) => store.delete(key).await,
        }
    }

    /// Readiness: the store answers and accepts writes.
    pub async fn check(&self) -> Result<(), StorageError> {
        match self {
            Storage::Fs(store) => store.check().await,
            Storage::S3(store) => store.check().await,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Storage::Fs(store) => format!("local files in {}", store.root().display()),
            Storage::S3(store) => store.describe(),
        }
    }
}
