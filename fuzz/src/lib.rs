//! The service's parsers of untrusted input, as they are in `../src` (included by path, so that
//! what is fuzzed is the shipped code), with nothing else of the service. They sit side by side
//! here, as their `super::` paths expect: `pdf_text` reads with `cmap`, `bounds` counts words
//! with `analysis`.

/// The ToUnicode CMaps of PDF fonts.
#[path = "../../src/extract/cmap.rs"]
pub mod cmap;
/// The Factur-X (CII) data of an electronic invoice.
#[path = "../../src/extract/facturx.rs"]
pub mod facturx;
/// The text layer of PDF pages.
#[path = "../../src/extract/pdf_text.rs"]
pub mod pdf_text;

/// The French analysis of the search.
#[path = "../../src/search/analysis.rs"]
pub mod analysis;
/// The bounds of a search's words, before tantivy's query parser.
#[path = "../../src/search/bounds.rs"]
pub mod bounds;

/// The invoice request as it arrives, before validation.
#[path = "../../src/invoice/request.rs"]
pub mod request;
