//! Blobs in an S3 bucket (SeaweedFS, Garage, MinIO, AWS…), path-style, at a custom endpoint.
//! Each PUT carries the SHA-256 computed while spooling the upload, in a signed header, so the
//! server verifies the bytes; the SDK therefore neither hashes the payload a second time for the
//! signature nor adds its own CRC checksums (some servers reject their aws-chunked trailers).
//! A blob already present is sent again all the same (see `Storage::put_file`); large blobs go up
//! in parts, each checksummed.

use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

use super::{BlobStream, Listed, Page, StorageError};
use crate::config::Config;
use crate::domain::Sha256Hex;

/// Blobs above this size are sent in parts of `PART_SIZE`.
pub const MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
const PART_SIZE: usize = 8 * 1024 * 1024;

pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
    endpoint: String,
}

impl S3Store {
    pub fn new(config: &Config, endpoint: &str) -> anyhow::Result<S3Store> {
        let credentials = config
            .s3_credentials
            .as_ref()
            .context("S3 needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")?;
        let credentials = Credentials::new(
            &credentials.access_key_id,
            credentials.secret_access_key.expose_secret(),
            None,
            None,
            "pieces-config",
        );
        let s3_config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.s3_region.clone()))
            .endpoint_url(endpoint)
            .force_path_style(true)
            .credentials_provider(credentials)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .read_timeout(Duration::from_secs(60))
                    .build(),
            )
            .build();
        Ok(S3Store {
            client: Client::from_conf(s3_config),
            bucket: config.s3_bucket.clone(),
            prefix: config.s3_prefix.clone(),
            endpoint: endpoint.to_string(),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn describe(&self) -> String {
        format!("S3 bucket {} at {}", self.bucket, self.endpoint)
    }

    /// The object key of a blob: the configured prefix, then `sha256/ab/cd/<hex>`.
    pub fn key(&self, sha256: &Sha256Hex) -> String {
        format!("{}{}", self.prefix, sha256.blob_key())
    }

    pub async fn put_file(&self, sha256: &Sha256Hex, path: &Path, size: u64) -> Result<(), StorageError> {
        let key = self.key(sha256);
        if size > MULTIPART_THRESHOLD {
            self.put_multipart(&key, path, sha256).await.map_err(StorageError::unavailable)?;
        } else {
            let body = ByteStream::from_path(path).await.map_err(StorageError::unavailable)?;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_length(size as i64)
                .checksum_sha256(sha256.base64())
                .body(body)
                .customize()
                .disable_payload_signing()
                .send()
                .await
                .map_err(|e| StorageError::unavailable(anyhow::Error::new(e).context(format!("PUT {key}"))))?;
        }
        Ok(())
    }

    async fn put_multipart(&self, key: &str, path: &Path, sha256: &Sha256Hex) -> anyhow::Result<()> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .send()
            .await
            .with_context(|| format!("cannot start the multipart upload of {key}"))?;
        let upload_id = created.upload_id().context("the server gave no upload id")?.to_string();
        let result = self.send_parts(key, &upload_id, path, sha256).await;
        if result.is_err() {
            let _ =
                self.client.abort_multipart_upload().bucket(&self.bucket).key(key).upload_id(&upload_id).send().await;
        }
        result
    }

    async fn send_parts(&self, key: &str, upload_id: &str, path: &Path, sha256: &Sha256Hex) -> anyhow::Result<()> {
        let mut file = tokio::fs::File::open(path).await?;
        let mut parts = Vec::new();
        // The parts are read back from the spool: check they are the bytes that were received.
        let mut whole = Sha256::new();
        for number in 1.. {
            let mut buffer = Vec::with_capacity(PART_SIZE);
            (&mut file).take(PART_SIZE as u64).read_to_end(&mut buffer).await?;
            if buffer.is_empty() {
                break;
            }
            whole.update(&buffer);
            let checksum = Sha256Hex::from_digest(&Sha256::digest(&buffer)).base64();
            let sent = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .content_length(buffer.len() as i64)
                .checksum_sha256(&checksum)
                .body(ByteStream::from(buffer))
                .customize()
                .disable_payload_signing()
                .send()
                .await
                .with_context(|| format!("cannot send part {number} of {key}"))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(sent.e_tag().map(str::to_string))
                    .checksum_sha256(checksum)
                    .build(),
            );
        }
        if Sha256Hex::from_digest(&whole.finalize()) != *sha256 {
            anyhow::bail!("the spooled file of {key} no longer hashes to its SHA-256");
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .with_context(|| format!("cannot complete the multipart upload of {key}"))?;
        Ok(())
    }

    pub async fn get(&self, sha256: &Sha256Hex) -> Result<BlobStream, StorageError> {
        let key = self.key(sha256);
        match self.client.get_object().bucket(&self.bucket).key(&key).send().await {
            Ok(object) => Ok(Box::pin(ReaderStream::with_capacity(object.body.into_async_read(), 64 * 1024))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                Err(StorageError::NotFound(sha256.to_string()))
            }
            Err(e) => Err(StorageError::unavailable(anyhow::Error::new(e).context(format!("GET {key}")))),
        }
    }

    /// One page of the listing (up to 1,000 keys under `sha256/`, without the configured prefix),
    /// from the continuation token `cursor`; the next page's token.
    pub async fn list_page(&self, cursor: Option<String>) -> Result<Page, StorageError> {
        let prefix = format!("{}sha256/", self.prefix);
        let page = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&prefix)
            .set_continuation_token(cursor)
            .send()
            .await
            .map_err(|e| StorageError::unavailable(anyhow::Error::new(e).context(format!("LIST {prefix}"))))?;
        let listed = page
            .contents()
            .iter()
            .filter_map(|object| {
                Some(Listed {
                    key: object.key()?.strip_prefix(self.prefix.as_str())?.to_string(),
                    size: object.size()?.max(0) as u64,
                    modified: SystemTime::try_from(*object.last_modified()?).ok()?,
                })
            })
            .collect();
        let next = page.is_truncated().unwrap_or(false).then(|| page.next_continuation_token().map(str::to_string));
        Ok(Page { listed, next: next.flatten() })
    }

    /// Removes the object of `key` (as listed, without the prefix).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let key = format!("{}{key}", self.prefix);
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StorageError::unavailable(anyhow::Error::new(e).context(format!("DELETE {key}"))))
    }

    pub async fn check(&self) -> Result<(), StorageError> {
        self.client.head_bucket().bucket(&self.bucket).send().await.map(|_| ()).map_err(|e| {
            StorageError::unavailable(anyhow::Error::new(e).context(format!("HEAD bucket {}", self.bucket)))
        })
    }
}
