//! Reading what a piece says: the text layer of PDFs (`pdf_text`), the structured data of
//! electronic invoices (`facturx`: Factur-X, ZUGFeRD, XRechnung in CII syntax), and OCR of scans
//! (`ocr`, with Tesseract). Parsing untrusted PDFs happens in a child process under a memory and
//! time budget (`sandbox`), so a hostile file can only fail its own reading.

pub mod cmap;
pub mod facturx;
pub mod ocr;
pub mod pdf_text;
pub mod reader;
#[cfg(test)]
mod sample_tests;
pub mod sandbox;

pub use facturx::{read_cii, read_pdf, FacturX};
use serde::{Deserialize, Serialize};

/// At most this many pages of a PDF are read.
pub const MAX_PAGES: usize = 500;
/// At most this many characters are kept per page.
pub const MAX_PAGE_CHARS: usize = 100_000;

/// What the PDF reader found, as the child process reports it.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PdfReading {
    pub page_count: usize,
    /// The text layer of each page read (empty for a scanned page).
    pub pages: Vec<String>,
    /// Why the text could not be read at all (`encrypted`, `unreadable`), if so.
    pub problem: Option<Problem>,
    pub facturx: Option<FacturX>,
}

/// Why a piece's text could not be read: a stable code and a French sentence.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Problem {
    pub code: String,
    pub detail_fr: String,
}

impl Problem {
    pub fn new(code: &str, detail_fr: impl Into<String>) -> Problem {
        Problem { code: code.into(), detail_fr: detail_fr.into() }
    }
}

/// Reads a PDF's pages and invoice data. Never panics: a parser panic becomes a problem.
pub fn read_pdf_all(bytes: &[u8]) -> PdfReading {
    std::panic::catch_unwind(|| read_pdf_unguarded(bytes)).unwrap_or_else(|_| PdfReading {
        problem: Some(Problem::new("unreadable", "Le PDF est endommagé : son contenu ne peut pas être lu.")),
        ..PdfReading::default()
    })
}

fn read_pdf_unguarded(bytes: &[u8]) -> PdfReading {
    let doc = match pdf_text::load(bytes) {
        Ok(doc) => doc,
        Err(pdf_text::PdfError::Encrypted) => {
            return PdfReading {
                problem: Some(Problem::new("encrypted", "Le PDF est chiffré : son texte ne peut pas être lu.")),
                ..PdfReading::default()
            }
        }
        Err(pdf_text::PdfError::Unreadable(why)) => {
            tracing::debug!("unreadable PDF: {why}");
            return PdfReading {
                problem: Some(Problem::new("unreadable", "Le PDF est endommagé : son contenu ne peut pas être lu.")),
                ..PdfReading::default()
            };
        }
    };
    let (page_count, mut pages) = pdf_text::read_text(&doc, MAX_PAGES);
    for page in &mut pages {
        if let Some((cut, _)) = page.char_indices().nth(MAX_PAGE_CHARS) {
            page.truncate(cut);
        }
    }
    let facturx = facturx::read_document(&doc).ok().flatten();
    PdfReading { page_count, pages, problem: None, facturx }
}
