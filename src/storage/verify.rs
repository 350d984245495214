//! A stream that checks a blob while it is served. It holds back the last chunk until the whole
//! blob has hashed to the expected SHA-256 and counted the expected size, so a corrupt blob is
//! never delivered whole: the stream fails instead, and the corruption is logged.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::BlobStream;
use crate::domain::Sha256Hex;

struct Check {
    inner: BlobStream,
    hasher: Sha256,
    expected: Sha256Hex,
    size: u64,
    seen: u64,
    held: Option<Bytes>,
    done: bool,
}

pub fn verified(
    inner: BlobStream,
    expected: Sha256Hex,
    size: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    let check = Check { inner, hasher: Sha256::new(), expected, size, seen: 0, held: None, done: false };
    futures_util::stream::unfold(check, |mut check| async move {
        let item = check.next_item().await?;
        Some((item, check))
    })
}

impl Check {
    async fn next_item(&mut self) -> Option<std::io::Result<Bytes>> {
        while !self.done {
            match self.inner.next().await {
                Some(Ok(chunk)) => {
                    self.hasher.update(&chunk);
                    self.seen += chunk.len() as u64;
                    if self.seen > self.size {
                        return Some(Err(self.corrupt()));
                    }
                    if let Some(previous) = self.held.replace(chunk) {
                        return Some(Ok(previous));
                    }
                }
                Some(Err(error)) => {
                    self.done = true;
                    return Some(Err(error));
                }
                None => {
                    let actual = Sha256Hex::from_digest(&std::mem::take(&mut self.hasher).finalize());
                    if self.seen != self.size || actual != self.expected {
                        return Some(Err(self.corrupt()));
                    }
                    self.done = true;
                    return self.held.take().map(Ok);
                }
            }
        }
        None
    }

    fn corrupt(&mut self) -> std::io::Error {
        self.done = true;
        tracing::error!(
            blob = %self.expected,
            expected_size = self.size,
            read = self.seen,
            "corruption: the stored blob does not match its sha256; the download was aborted"
        );
        std::io::Error::new(std::io::ErrorKind::InvalidData, "blob does not match its sha256")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_of(chunks: &[&'static [u8]]) -> BlobStream {
        let items: Vec<std::io::Result<Bytes>> = chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        Box::pin(futures_util::stream::iter(items))
    }

    async fn collect(stream: impl Stream<Item = std::io::Result<Bytes>>) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            match item {
                Ok(chunk) => out.extend_from_slice(&chunk),
                Err(_) => return (out, false),
            }
        }
        (out, true)
    }

    #[tokio::test]
    async fn intact_blobs_pass_and_corrupt_ones_never_arrive_whole() {
        let sha = Sha256Hex::from_digest(&Sha256::digest(b"hello world"));
        let (bytes, ok) = collect(verified(stream_of(&[b"hello ", b"world"]), sha.clone(), 11)).await;
        assert!(ok);
        assert_eq!(bytes, b"hello world");

        let (bytes, ok) = collect(verified(stream_of(&[b"hello ", b"w0rld"]), sha.clone(), 11)).await;
        assert!(!ok);
        assert_eq!(bytes, b"hello ", "the last chunk is held back");

        let (_, ok) = collect(verified(stream_of(&[b"hello ", b"world", b"!"]), sha, 11)).await;
        assert!(!ok);
    }
}
