//! The upload's multipart form, read with `multer` over a body whose bytes outside the parts'
//! data are bounded. `multer` looks for the end of a part's headers in everything buffered each
//! time a chunk arrives: a 24 MiB body whose part header never ended cost 6–7 s of CPU. Here,
//! while the next part is being looked for, at most `BETWEEN_PARTS` bytes in `CHUNKS_BETWEEN_PARTS`
//! chunks may arrive (a part's headers are a few hundred bytes; a client trickling them a byte at
//! a time would have each byte rescan the megabyte); past either the form is refused. Within a part's data, bytes
//! flow freely (the caller caps them: the file's size, a text's length).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::error::{AppError, AppResult};

/// The most bytes read while looking for the next part (boundary, headers, and the start of
/// the data that came in the same chunks).
const BETWEEN_PARTS: u64 = 1024 * 1024;
/// The most chunks read while looking for the next part: the buffer is scanned once per chunk.
const CHUNKS_BETWEEN_PARTS: u64 = 256;

pub struct Form {
    inner: multer::Multipart<'static>,
    /// Bytes, and chunks, the body may still yield; unbounded within a part's data.
    allowance: Arc<AtomicU64>,
    chunks: Arc<AtomicU64>,
    exceeded: Arc<AtomicBool>,
}

impl Form {
    /// The form of a request with these headers and body; `max` bounds the whole body.
    pub fn new(headers: &HeaderMap, body: Body, max: u64) -> AppResult<Form> {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let boundary = multer::parse_boundary(content_type).map_err(|_| multipart_expected())?;
        let allowance = Arc::new(AtomicU64::new(BETWEEN_PARTS));
        let chunks = Arc::new(AtomicU64::new(CHUNKS_BETWEEN_PARTS));
        let exceeded = Arc::new(AtomicBool::new(false));
        let stream = bounded(body.into_data_stream(), [allowance.clone(), chunks.clone()], exceeded.clone());
        let constraints = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(max));
        let inner = multer::Multipart::with_constraints(stream, boundary, constraints);
        Ok(Form { inner, allowance, chunks, exceeded })
    }

    /// The next part, found within [`BETWEEN_PARTS`] bytes.
    pub async fn next_field(&mut self) -> AppResult<Option<multer::Field<'static>>> {
        self.allowance.store(BETWEEN_PARTS, Ordering::SeqCst);
        self.chunks.store(CHUNKS_BETWEEN_PARTS, Ordering::SeqCst);
        let field = self.inner.next_field().await;
        self.allowance.store(u64::MAX, Ordering::SeqCst);
        self.chunks.store(u64::MAX, Ordering::SeqCst);
        field.map_err(|error| self.problem(error))
    }

    fn problem(&self, error: multer::Error) -> AppError {
        if self.exceeded.load(Ordering::SeqCst) {
            return AppError::bad_request(
                "malformed_multipart",
                format!(
                    "No next part within {} KiB or {CHUNKS_BETWEEN_PARTS} chunks: a part's headers never end, \
                     or an unknown part is that large.",
                    BETWEEN_PARTS / 1024
                ),
                format!(
                    "Pas de partie suivante en {} Kio ou {CHUNKS_BETWEEN_PARTS} paquets : des en-têtes qui ne \
                     finissent pas, ou une partie inconnue aussi grande.",
                    BETWEEN_PARTS / 1024
                ),
            );
        }
        from_multer(error)
    }
}

/// An error of a part's data (read by the caller).
pub fn from_multer(error: multer::Error) -> AppError {
    match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            AppError::request_too_large()
        }
        other => AppError::bad_request(
            "malformed_multipart",
            format!("The multipart body could not be read: {other}"),
            format!("Le corps multipart est illisible : {other}"),
        ),
    }
}

pub fn multipart_expected() -> AppError {
    AppError::bad_request(
        "multipart_expected",
        "Send the piece as multipart/form-data with a `file` part.",
        "Envoyez la pièce en multipart/form-data avec une partie `file`.",
    )
}

/// `chunks`, failing once more than the allowed bytes, or chunks, are asked for.
fn bounded(
    chunks: impl Stream<Item = Result<Bytes, axum::Error>> + Send + 'static,
    [bytes, count]: [Arc<AtomicU64>; 2],
    exceeded: Arc<AtomicBool>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    chunks.map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        let len = chunk.len() as u64;
        let take = |left: &AtomicU64, n: u64| {
            left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(n)).is_ok()
        };
        if !take(&bytes, len) || !take(&count, 1) {
            exceeded.store(true, Ordering::SeqCst);
            return Err(std::io::Error::other("no part found within the allowance"));
        }
        Ok(chunk)
    })
}
