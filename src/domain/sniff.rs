//! The real type of an uploaded file, from its first bytes: what the upload records, and what
//! the reader is told.

use axum::http::StatusCode;

use crate::error::{AppError, AppResult};

/// The real type of a file from its first bytes; PDF, JPEG, PNG and TIFF only.
pub fn sniff(head: &[u8]) -> AppResult<&'static str> {
    // Readers tolerate junk before the PDF header; we do not, so that no other file (an
    // executable, an HTML page) can pass for a PDF by carrying `%PDF-` somewhere in its head.
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    if head[start..].starts_with(b"%PDF-") {
        return Ok("application/pdf");
    }
    match infer::get(head).map(|t| t.mime_type()) {
        Some(mime @ ("image/jpeg" | "image/png" | "image/tiff")) => Ok(mime),
        detected => {
            let seen = detected.unwrap_or("unknown");
            Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("Only PDF, JPEG, PNG and TIFF files are accepted (this file's content is {seen})."),
                format!(
                    "Seuls les fichiers PDF, JPEG, PNG et TIFF sont acceptés (le contenu de ce fichier est : {seen})."
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3").unwrap(), "application/pdf");
        assert_eq!(sniff(include_bytes!("../../samples/upload/emargement-scan.png")).unwrap(), "image/png");
        assert_eq!(sniff(include_bytes!("../../samples/upload/emargement-scan.jpg")).unwrap(), "image/jpeg");
        assert_eq!(sniff(include_bytes!("../../samples/upload/emargement-scan.tif")).unwrap(), "image/tiff");
        assert_eq!(sniff(b"\r\n%PDF-1.4").unwrap(), "application/pdf");
        let disguised: [&[u8]; 2] = [b"MZ\x90\0%PDF-1.4", b"<html><!--%PDF-1.4-->"];
        for bad in disguised {
            assert_eq!(sniff(bad).unwrap_err().code, "unsupported_media_type");
        }
        for bad in [&b"\x7fELF\x02\x01\x01\0"[..], b"<!DOCTYPE html><html>", b"hello, world\n", b"MZ\x90\0"] {
            assert_eq!(sniff(bad).unwrap_err().code, "unsupported_media_type");
        }
    }
}
