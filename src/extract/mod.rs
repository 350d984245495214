//! Reading what a piece says: the text layer of PDFs (`pdf_text`), the structured data of
//! electronic invoices (`facturx`: Factur-X, ZUGFeRD, XRechnung in CII syntax), and OCR of scans
//! (`ocr`, with Tesseract). Parsing untrusted PDFs happens in a child process under a memory and
//! time budget (`crate::sandbox`, the reader in `child`), so a hostile file can only fail its own reading.

pub mod child;
pub mod cmap;
pub mod facturx;
pub mod ocr;
pub mod pdf_text;
pub mod reader;
#[cfg(test)]
mod sample_tests;
pub mod thumbnail;
pub mod tiff;

pub use facturx::{read_cii, read_pdf, FacturX};
use serde::{Deserialize, Serialize};

/// At most this many pages of a PDF are read.
pub const MAX_PAGES: usize = 500;
/// At most this many characters are kept per page: four times a dense page of small print.
pub const MAX_PAGE_CHARS: usize = 20_000;
/// At most this many characters are kept per piece, all pages together: about a hundred dense
/// pages. A 137 KB PDF whose 500 pages each drew 100,000 characters stored 50 MB of text and
/// 58 MB of index, and every search that found it took more than a second.
pub const MAX_TEXT_CHARS: usize = 500_000;

/// Cuts `pages` to the caps: each page to [`MAX_PAGE_CHARS`], then the pages past
/// [`MAX_TEXT_CHARS`] in all (the page that crosses it is cut, those after it emptied, so page
/// numbers stay right). True when something was cut.
pub fn cap_text<'a>(pages: impl IntoIterator<Item = &'a mut String>) -> bool {
    let mut left = MAX_TEXT_CHARS;
    let mut cut = false;
    for page in pages {
        let keep = left.min(MAX_PAGE_CHARS);
        if let Some((end, _)) = page.char_indices().nth(keep) {
            page.truncate(end);
            cut = true;
        }
        left -= page.chars().count().min(left);
    }
    cut
}

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
    let (page_count, pages) = pdf_text::read_text_within(&doc, MAX_PAGES, MAX_PAGE_CHARS, MAX_TEXT_CHARS);
    let facturx = facturx::read_document(&doc).ok().flatten();
    PdfReading { page_count, pages, problem: None, facturx }
}
