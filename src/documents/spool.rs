//! Spooling an upload: the file part streams into a temporary file under `storage/tmp` while it
//! is hashed (SHA-256) and counted, never held whole in memory. (Durability is the store's job:
//! the local store fsyncs what it keeps; S3 acknowledges what it has stored.) The size cap is enforced as bytes
//! arrive; the temporary file disappears when the `Spooled` value is dropped, whatever happens.
//! The real type is sniffed from the first bytes: only PDF, JPEG, PNG and TIFF are accepted.

use std::path::Path;

use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::domain::Sha256Hex;
use crate::error::{AppError, AppResult};

const HEAD_LEN: usize = 8 * 1024;
/// After the cap is passed, at most this much more is read (and dropped) so the client can
/// receive the 413 instead of a reset connection.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

pub struct Spooled {
    file: NamedTempFile,
    pub sha256: Sha256Hex,
    pub size: u64,
    /// The sniffed MIME type.
    pub mime_type: &'static str,
}

impl Spooled {
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Spools any byte source (the demo seed, tools) the way an upload is spooled.
    pub async fn from_bytes(dir: &Path, bytes: &[u8], max: u64) -> AppResult<Spooled> {
        let chunks = futures_util::stream::iter([Ok::<_, AppError>(bytes::Bytes::copy_from_slice(bytes))]);
        spool(dir, chunks, max).await
    }
}

/// Spools the multipart `file` field.
pub async fn spool_field(dir: &Path, field: multer::Field<'_>, max: u64) -> AppResult<Spooled> {
    let chunks = futures_util::stream::unfold(field, |mut field| async move {
        match field.chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), field)),
            Ok(None) => None,
            Err(error) => Some((Err(super::form::from_multer(error)), field)),
        }
    });
    spool(dir, chunks, max).await
}

async fn spool(
    dir: &Path,
    chunks: impl futures_util::Stream<Item = AppResult<bytes::Bytes>>,
    max: u64,
) -> AppResult<Spooled> {
    use futures_util::StreamExt;
    tokio::fs::create_dir_all(dir).await.map_err(|e| AppError::storage_unavailable(e.into()))?;
    let temp = NamedTempFile::new_in(dir).map_err(|e| AppError::storage_unavailable(e.into()))?;
    let file = temp.as_file().try_clone().map_err(|e| AppError::internal(e.into()))?;
    let mut writer = BatchWriter { file: Some((file, Sha256::new())), pending: Vec::new(), pending_len: 0 };
    let (mut size, mut head) = (0u64, Vec::with_capacity(HEAD_LEN));
    let mut chunks = std::pin::pin!(chunks);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > max {
            drain(&mut chunks, size).await;
            return Err(too_large(max));
        }
        if head.len() < HEAD_LEN {
            let take = (HEAD_LEN - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        writer.push(chunk).await?;
    }
    if size == 0 {
        return Err(AppError::bad_request("empty_file", "The file is empty.", "Le fichier est vide."));
    }
    let mime_type = crate::domain::sniff::sniff(&head)?;
    let digest = writer.finish().await?;
    Ok(Spooled { file: temp, sha256: Sha256Hex::from_digest(&digest), size, mime_type })
}

/// Writes and hashes the received chunks off the async executor, a batch (up to `BATCH` bytes)
/// at a time: the chunks are written as they came, without being copied into a buffer first.
struct BatchWriter {
    file: Option<(std::fs::File, Sha256)>,
    pending: Vec<bytes::Bytes>,
    pending_len: usize,
}

const BATCH: usize = 256 * 1024;

impl BatchWriter {
    async fn push(&mut self, chunk: bytes::Bytes) -> AppResult<()> {
        self.pending_len += chunk.len();
        self.pending.push(chunk);
        if self.pending_len >= BATCH {
            self.write_pending().await?;
        }
        Ok(())
    }

    async fn write_pending(&mut self) -> AppResult<()> {
        use std::io::Write;
        let (mut file, mut hasher) =
            self.file.take().ok_or_else(|| AppError::internal(anyhow::anyhow!("spool closed")))?;
        let chunks = std::mem::take(&mut self.pending);
        self.pending_len = 0;
        let (file, hasher) = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            for chunk in &chunks {
                hasher.update(chunk);
                file.write_all(chunk)?;
            }
            Ok((file, hasher))
        })
        .await
        .map_err(|e| AppError::internal(e.into()))?
        .map_err(|e| AppError::storage_unavailable(e.into()))?;
        self.file = Some((file, hasher));
        Ok(())
    }

    /// Writes what is left and returns the SHA-256 of everything.
    async fn finish(mut self) -> AppResult<sha2::digest::Output<Sha256>> {
        self.write_pending().await?;
        let (_, hasher) = self.file.take().ok_or_else(|| AppError::internal(anyhow::anyhow!("spool closed")))?;
        Ok(hasher.finalize())
    }
}

async fn drain(chunks: &mut (impl futures_util::Stream<Item = AppResult<bytes::Bytes>> + Unpin), mut read: u64) {
    use futures_util::StreamExt;
    let stop = read + DRAIN_LIMIT;
    while let Some(Ok(chunk)) = chunks.next().await {
        read += chunk.len() as u64;
        if read > stop {
            break;
        }
    }
}

fn too_large(max: u64) -> AppError {
    let mib = max as f64 / (1024.0 * 1024.0);
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!("The file is larger than the {mib:.1} MiB limit."),
        format!("Le fichier dépasse la taille maximale de {mib:.1} Mio."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spooling_hashes_counts_and_caps() {
        let dir = tempfile::tempdir().unwrap();
        let spooled = Spooled::from_bytes(dir.path(), b"%PDF-1.4 abc", 100).await.unwrap();
        assert_eq!(spooled.size, 12);
        assert_eq!(std::fs::read(spooled.path()).unwrap(), b"%PDF-1.4 abc");
        let path = spooled.path().to_path_buf();
        drop(spooled);
        assert!(!path.exists(), "the spool file goes with its value");

        let error = Spooled::from_bytes(dir.path(), &[b'%'; 101], 100).await.err().unwrap();
        assert_eq!(error.code, "file_too_large");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no partial file is kept");
    }
}
