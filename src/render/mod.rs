//! Printable documents with Typst, in process: the invoice form and the printable dossier.
//!
//! A template (`templates/*.typ`, compiled into the binary) reads its data from the virtual file
//! `/data.json` with `json()`: data are values, never Typst code, so a name cannot inject markup.
//! Every string is formatted in Rust beforehand (Typst has no French number formatting). Fonts
//! are embedded too (DejaVu Sans for the forms, typst-assets' fonts as fallbacks): no system font,
//! no network, the same bytes on every machine. The output is PDF/A-3b; files attached with
//! `#pdf.attach` (the Factur-X XML) are given as further virtual files.

pub mod merge;
mod world;
pub mod xmp;

use serde::Serialize;
use time::{Date, OffsetDateTime};
use typst::diag::SourceDiagnostic;
use typst::foundations::{Bytes, Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

pub use world::{is_printable, Template};

/// Why a document could not be rendered. A template is part of the binary and is tested, so this
/// means a bug, or a character no embedded font has (see [`is_printable`]).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the {template} template failed: {message}")]
    Template { template: &'static str, message: String },
    #[error("the PDF could not be completed: {0}")]
    Pdf(String),
}

/// What the PDF says of itself: a stable identifier (the same document renders to the same bytes)
/// and its date.
pub struct PdfIdentity<'a> {
    /// e.g. `invoice:<company>:FE2026-00001`.
    pub ident: &'a str,
    pub date: Date,
}

/// Compiles `template` with `data` and the `attachments` (virtual path → bytes) and exports PDF/A-3b.
pub fn render_pdf(
    template: &Template,
    data: &impl Serialize,
    attachments: &[(&str, Vec<u8>)],
    identity: &PdfIdentity,
) -> Result<Vec<u8>, RenderError> {
    let mut data = serde_json::to_value(data).map_err(|e| RenderError::Pdf(e.to_string()))?;
    printable(&mut data);
    let data = serde_json::to_vec(&data).map_err(|e| RenderError::Pdf(e.to_string()))?;
    let mut files = vec![("/data.json", Bytes::new(data))];
    files.extend(attachments.iter().map(|(path, bytes)| (*path, Bytes::new(bytes.clone()))));
    let world = world::RenderWorld::new(template, files);

    let compiled = typst::compile::<PagedDocument>(&world).output;
    let pdf = compiled
        .map_err(|e| failed(template, &e))
        .and_then(|document| typst_pdf::pdf(&document, &pdf_options(identity)?).map_err(|e| failed(template, &e)));
    // Typst memoises between compilations; without eviction its caches grow with every render.
    // Entries unused for 10 renders go (what every render shares, fonts and the standard
    // library's layout, stays warm).
    comemo::evict(10);
    pdf
}

fn failed(template: &Template, diagnostics: &[SourceDiagnostic]) -> RenderError {
    let message = diagnostics.iter().map(|d| d.message.as_str()).collect::<Vec<_>>().join("; ");
    RenderError::Template { template: template.name, message }
}

/// Replaces, in every string of `value`, each character no embedded font has by U+FFFD: a
/// request's texts are checked beforehand, but data from elsewhere (a company's name) must never
/// make a render fail.
fn printable(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) if !text.chars().all(is_printable) => {
            *text = text.chars().map(|c| if is_printable(c) { c } else { '\u{FFFD}' }).collect();
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(printable),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(printable),
        _ => {}
    }
}

fn pdf_options(identity: &PdfIdentity) -> Result<PdfOptions, RenderError> {
    let standards = PdfStandards::new(&[PdfStandard::A_3b]).map_err(|e| RenderError::Pdf(e.message().to_string()))?;
    // A PDF date has a four-digit year, and PDF/A needs one: a date before year 0 (bad data stored
    // before invoice dates were checked) is stated as 0000-01-01 rather than failing every render.
    let date = identity.date.max(time::macros::date!(0000 - 01 - 01));
    let datetime = Datetime::from_ymd_hms(date.year(), date.month().into(), date.day(), 12, 0, 0);
    Ok(PdfOptions {
        ident: Smart::Custom(identity.ident.to_string()),
        timestamp: datetime.map(Timestamp::new_utc),
        standards,
        ..PdfOptions::default()
    })
}

/// A value as a form prints it: trimmed, or "—" when absent or blank.
pub fn or_dash(value: &Option<String>) -> String {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).unwrap_or("—").to_string()
}

/// Today, for documents that are not dated by their data.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}
