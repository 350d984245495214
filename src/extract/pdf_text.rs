//! The text layer of a PDF, page by page, read with lopdf by a small content-stream interpreter.
//! (lopdf's own `extract_text` only reads `Tj` and `TJ`; real producers also draw text with `'`
//! and `"`, and separate words by moving the pen rather than by spaces.) Lines are broken where
//! the pen moves down; words are separated where it jumps to the right or where a `TJ` gap is
//! wider than a fifth of the font size. Text is decoded through each font's encoding or
//! ToUnicode CMap (read by [`super::cmap`] when lopdf cannot). Form XObjects are not entered.
//!
//! This parses untrusted bytes: call it in the `pieces extract` child process, under limits.

use std::collections::BTreeMap;

use lopdf::content::Content;
use lopdf::Encoding;
use lopdf::{Document, Object};

use super::cmap::ToUnicode;

/// A page with fewer letters or digits than this has no usable text layer (a scan).
pub const MIN_PAGE_CHARS: usize = 20;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PdfError {
    #[error("the PDF is encrypted")]
    Encrypted,
    #[error("the PDF cannot be parsed: {0}")]
    Unreadable(String),
}

/// The text of every page, in order, up to `max_pages`; also the page count of the document.
pub fn read_text(doc: &Document, max_pages: usize) -> (usize, Vec<String>) {
    read_text_within(doc, max_pages, usize::MAX, usize::MAX)
}

/// As [`read_text`], each page cut to `page_chars` characters, and no page read once
/// `max_chars` are: 500 pages drawing the same 100,000-character stream are not decoded 500
/// times. Fewer texts than pages then says the others were not read.
pub fn read_text_within(doc: &Document, max_pages: usize, page_chars: usize, max_chars: usize) -> (usize, Vec<String>) {
    let pages = doc.get_pages();
    let mut left = max_chars;
    let mut texts = Vec::new();
    for &page in pages.values().take(max_pages) {
        if left == 0 {
            break;
        }
        let mut text = page_text(doc, page).unwrap_or_default();
        if let Some((end, _)) = text.char_indices().nth(page_chars.min(left)) {
            text.truncate(end);
        }
        left -= text.chars().count();
        texts.push(text);
    }
    (pages.len(), texts)
}

/// Loads a PDF from memory; an encrypted one is refused (its text cannot be read).
pub fn load(bytes: &[u8]) -> Result<Document, PdfError> {
    let encrypted = || bytes.windows(8).any(|w| w == b"/Encrypt");
    let doc = Document::load_mem(bytes).map_err(|e| {
        if encrypted() {
            PdfError::Encrypted
        } else {
            PdfError::Unreadable(e.to_string())
        }
    })?;
    if doc.is_encrypted() || doc.trailer.get(b"Encrypt").is_ok() {
        return Err(PdfError::Encrypted);
    }
    Ok(doc)
}

/// Whether a page's text is too thin to be its real content.
pub fn is_textless(text: &str) -> bool {
    text.chars().filter(|c| c.is_alphanumeric()).count() < MIN_PAGE_CHARS
}

fn page_text(doc: &Document, page: lopdf::ObjectId) -> lopdf::Result<String> {
    let encodings: BTreeMap<Vec<u8>, FontText> = doc
        .get_page_fonts(page)?
        .into_iter()
        .filter_map(|(name, font)| FontText::of(doc, font).map(|text| (name, text)))
        .collect();
    let content = Content::decode(&doc.get_page_content(page)?)?;
    let mut pen = Pen::default();
    for op in &content.operations {
        let operands = &op.operands;
        match op.operator.as_str() {
            "Tf" => {
                pen.font = operands.first().and_then(|o| o.as_name().ok()).map(<[u8]>::to_vec);
                pen.size = operands.get(1).and_then(number).unwrap_or(pen.size).abs().max(1.0);
            }
            "BT" => pen.line_y = None,
            "ET" => {}
            "Td" | "TD" => pen.move_by(operands.first().and_then(number), operands.get(1).and_then(number)),
            "Tm" => pen.move_to(operands.get(4).and_then(number), operands.get(5).and_then(number)),
            "T*" => pen.new_line(),
            "Tj" => pen.show(&encodings, operands.first()),
            "'" => {
                pen.new_line();
                pen.show(&encodings, operands.first());
            }
            "\"" => {
                pen.new_line();
                pen.show(&encodings, operands.get(2));
            }
            "TJ" => {
                for item in operands.first().and_then(|o| o.as_array().ok()).into_iter().flatten() {
                    match number(item) {
                        // Gaps are in thousandths of the font size; a negative one moves right.
                        Some(gap) if gap < -200.0 => pen.space(),
                        Some(_) => {}
                        None => pen.show(&encodings, Some(item)),
                    }
                }
            }
            _ => {}
        }
    }
    Ok(pen.finish())
}

/// How a font's codes become text: lopdf's encodings, or a ToUnicode CMap lopdf cannot parse.
enum FontText<'a> {
    Lopdf(Encoding<'a>),
    ToUnicode(ToUnicode),
}

impl<'a> FontText<'a> {
    fn of(doc: &Document, font: &'a lopdf::Dictionary) -> Option<FontText<'a>> {
        match font.get_font_encoding(doc) {
            Ok(encoding) => Some(FontText::Lopdf(encoding)),
            Err(_) => {
                let stream = font.get_deref(b"ToUnicode", doc).and_then(Object::as_stream).ok()?;
                let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
                ToUnicode::parse(&content).map(FontText::ToUnicode)
            }
        }
    }

    fn decode(&self, bytes: &[u8]) -> String {
        match self {
            FontText::Lopdf(encoding) => Document::decode_text(encoding, bytes).unwrap_or_default(),
            FontText::ToUnicode(cmap) => cmap.decode(bytes),
        }
    }
}

/// Where the text goes: the current font and line, and the text so far.
#[derive(Default)]
struct Pen {
    font: Option<Vec<u8>>,
    size: f32,
    line_y: Option<f32>,
    x: f32,
    text: String,
}

impl Pen {
    fn move_by(&mut self, dx: Option<f32>, dy: Option<f32>) {
        let (dx, dy) = (dx.unwrap_or(0.0), dy.unwrap_or(0.0));
        if dy.abs() > 0.1 {
            self.new_line();
        } else if dx > self.size.max(1.0) * 0.2 {
            self.space();
        }
        self.x += dx;
    }

    fn move_to(&mut self, x: Option<f32>, y: Option<f32>) {
        let (x, y) = (x.unwrap_or(0.0), y.unwrap_or(0.0));
        match self.line_y {
            Some(line) if (line - y).abs() <= 0.1 && x > self.x => self.space(),
            Some(line) if (line - y).abs() > 0.1 => self.new_line(),
            _ => {}
        }
        self.line_y = Some(y);
        self.x = x;
    }

    fn new_line(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    fn space(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with([' ', '\n']) {
            self.text.push(' ');
        }
    }

    fn show(&mut self, encodings: &BTreeMap<Vec<u8>, FontText>, operand: Option<&Object>) {
        let Some(Object::String(bytes, _)) = operand else { return };
        let decoded = match self.font.as_ref().and_then(|font| encodings.get(font)) {
            Some(text) => text.decode(bytes),
            None => bytes.iter().map(|&b| b as char).collect(),
        };
        self.text.extend(decoded.chars().filter(|c| !c.is_control() || *c == '\n'));
    }

    fn finish(self) -> String {
        self.text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_string()
    }
}

fn number(object: &Object) -> Option<f32> {
    match *object {
        Object::Integer(i) => Some(i as f32),
        Object::Real(r) => Some(r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_drawn_with_quote_operators_and_pen_moves_is_read_with_its_lines_and_spaces() {
        let pdf = include_bytes!("../../samples/demo/convention-agence-fictive.pdf");
        let doc = load(pdf).unwrap();
        let (count, pages) = read_text(&doc, 100);
        assert_eq!(count, pages.len());
        let text = pages.join("\n");
        assert!(text.contains("AGENCE FICTIVE"), "{text}");
        assert!(text.to_lowercase().contains("convention"), "{text}");
        assert!(!is_textless(&pages[0]));
    }

    #[test]
    fn broken_pdfs_are_refused_with_a_reason() {
        assert!(matches!(load(b"%PDF-1.4\n garbage"), Err(PdfError::Unreadable(_))));
    }
}
