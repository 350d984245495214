//! Content-addressed blob storage: `enum Storage { Fs, S3 }`. A blob's key is derived from its
//! SHA-256 only (`sha256/ab/cd/abcd…`), never from user input; writes are idempotent (an
//! existing blob is not written again) and reads are verified against the digest.

mod fs;
mod s3;
mod verify;

use std::path::Path;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;

pub use fs::{sweep_spool, FsStore};
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

    /// Stores the complete, fsynced file at `path` as the blob `sha256`, unless already there.
    /// Returns whether bytes were written.
    pub async fn put_file(&self, sha256: &Sha256Hex, path: &Path, size: u64) -> Result<bool, StorageError> {
        match self {
            Storage::Fs(store) => store.put_file(sha256, path, size).await,
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
