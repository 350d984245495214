//! A font's ToUnicode CMap, read leniently: codes (of the length its code space gives) to text.
//! lopdf's own CMap parser refuses CMaps with entries it does not expect (`/CMapVersion`,
//! `/WMode`, as Typst, Skia and others write them), and then a font's text cannot be read; this
//! reads only what matters (`bfchar`, `bfrange`, the code space) and skips the rest.
//!
//! This parses untrusted bytes: it runs in the `pieces extract-pdf` child process, and caps the
//! entries it keeps.

use std::collections::HashMap;

/// The most codes kept from one CMap (a 2-byte code space has 65,536).
const MAX_ENTRIES: usize = 65_536;

#[derive(Debug, Default)]
pub struct ToUnicode {
    /// Bytes per code: 1 or 2.
    code_len: usize,
    map: HashMap<u32, String>,
}

impl ToUnicode {
    /// The CMap of a ToUnicode stream's (decompressed) content; `None` when it maps nothing.
    pub fn parse(content: &[u8]) -> Option<ToUnicode> {
        let tokens = tokens(content);
        let mut cmap = ToUnicode { code_len: 2, map: HashMap::new() };
        let mut i = 0;
        while i < tokens.len() {
            match tokens[i] {
                Token::Word(b"begincodespacerange") => {
                    if let Some(Token::Hex(lo)) = tokens.get(i + 1) {
                        cmap.code_len = lo.len().div_ceil(2);
                    }
                }
                Token::Word(b"beginbfchar") => {
                    i += 1;
                    while let (Some(Token::Hex(code)), Some(Token::Hex(text))) = (tokens.get(i), tokens.get(i + 1)) {
                        cmap.insert(number(code), utf16(text));
                        i += 2;
                    }
                    continue;
                }
                Token::Word(b"beginbfrange") => {
                    i += 1;
                    while let (Some(Token::Hex(lo)), Some(Token::Hex(hi))) = (tokens.get(i), tokens.get(i + 1)) {
                        let (lo, hi) = (number(lo), number(hi).min(number(lo).saturating_add(MAX_ENTRIES as u32)));
                        match tokens.get(i + 2) {
                            Some(Token::Hex(first)) => {
                                let first = units(first);
                                // A full map stops the work too: hostile CMaps repeat huge ranges.
                                let room = MAX_ENTRIES.saturating_sub(cmap.map.len());
                                for (offset, code) in (lo..=hi).enumerate().take(room) {
                                    let mut text = first.clone();
                                    if let Some(last) = text.last_mut() {
                                        *last = last.wrapping_add(offset as u16);
                                    }
                                    cmap.insert(code, String::from_utf16_lossy(&text));
                                }
                                i += 3;
                            }
                            Some(Token::Open) => {
                                i += 3;
                                let mut code = lo;
                                while let Some(Token::Hex(text)) = tokens.get(i) {
                                    cmap.insert(code, utf16(text));
                                    code = code.saturating_add(1);
                                    i += 1;
                                }
                                i += 1; // the closing bracket
                            }
                            _ => break,
                        }
                    }
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        (!cmap.map.is_empty()).then_some(cmap)
    }

    fn insert(&mut self, code: u32, text: String) {
        if self.map.len() < MAX_ENTRIES {
            self.map.insert(code, text);
        }
    }

    /// The text of a string shown with this font: unknown codes are skipped.
    pub fn decode(&self, bytes: &[u8]) -> String {
        bytes
            .chunks(self.code_len.max(1))
            .filter_map(|code| self.map.get(&number_of(code)))
            .map(String::as_str)
            .collect()
    }
}

enum Token<'a> {
    Word(&'a [u8]),
    /// The hex digits between `<` and `>`.
    Hex(Vec<u8>),
    Open,
    Close,
}

fn tokens(content: &[u8]) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'%' => {
                while i < content.len() && content[i] != b'\n' && content[i] != b'\r' {
                    i += 1;
                }
            }
            b'<' if content.get(i + 1) != Some(&b'<') => {
                let end = content[i..].iter().position(|&b| b == b'>').map_or(content.len(), |p| i + p);
                tokens.push(Token::Hex(content[i + 1..end].iter().copied().filter(u8::is_ascii_hexdigit).collect()));
                i = end + 1;
            }
            b'[' => {
                tokens.push(Token::Open);
                i += 1;
            }
            b']' => {
                tokens.push(Token::Close);
                i += 1;
            }
            b if b.is_ascii_alphanumeric() => {
                let end = content[i..].iter().position(|b| !b.is_ascii_alphanumeric()).map_or(content.len(), |p| i + p);
                tokens.push(Token::Word(&content[i..end]));
                i = end;
            }
            _ => i += 1,
        }
    }
    tokens
}

/// The value of hex digits (at most 8 are read).
fn number(hex: &[u8]) -> u32 {
    hex.iter().take(8).fold(0, |n, &d| (n << 4) | (d as char).to_digit(16).unwrap_or(0))
}

/// The value of a code's bytes.
fn number_of(bytes: &[u8]) -> u32 {
    bytes.iter().take(4).fold(0, |n, &b| (n << 8) | u32::from(b))
}

/// UTF-16BE code units from hex digits (at most 16: a ligature, never a paragraph).
fn units(hex: &[u8]) -> Vec<u16> {
    hex.chunks(4).take(16).map(|unit| number(unit) as u16).collect()
}

fn utf16(hex: &[u8]) -> String {
    String::from_utf16_lossy(&units(hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Typst (krilla) writes it: comments, `/CMapVersion` and `/WMode`, which lopdf refuses.
    const TYPST_CMAP: &str = "%!PS-Adobe-3.0 Resource-CMap\n%%BeginResource: CMap Custom\n\
        /CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /Custom def\n\
        /CMapVersion 1 def\n/CMapType 0 def\n/WMode 0 def\n1 begincodespacerange\n<0000> <FFFF>\n\
        endcodespacerange\n3 beginbfchar\n<0001> <0053>\n<0003> <00C9>\n<0013> <0020>\nendbfchar\n\
        2 beginbfrange\n<0020> <0022> <0061>\n<0030> <0031> [<0066 0069> <20AC>]\nendbfrange\nendcmap\n";

    #[test]
    fn a_typst_cmap_reads_its_chars_ranges_and_ligatures() {
        let cmap = ToUnicode::parse(TYPST_CMAP.as_bytes()).unwrap();
        let shown = [0, 1, 0, 3, 0, 0x13, 0, 0x20, 0, 0x22, 0, 0x30, 0, 0x31, 0, 0x99];
        assert_eq!(cmap.decode(&shown), "SÉ acfi€");
    }

    #[test]
    fn repeated_huge_ranges_stop_at_the_cap() {
        let ranges = "<0000> <FFFFFFFF> <0041>\n".repeat(2000);
        let content = format!("begincodespacerange <0000> <FFFF> endcodespacerange beginbfrange\n{ranges}endbfrange");
        let cmap = ToUnicode::parse(content.as_bytes()).unwrap();
        assert_eq!(cmap.map.len(), MAX_ENTRIES);
        assert_eq!(cmap.decode(&[0, 1]), "B");
    }

    #[test]
    fn garbage_maps_nothing_and_does_not_panic() {
        assert!(ToUnicode::parse(b"<<<< [ ] begincodespacerange beginbfrange <00> beginbfchar <").is_none());
        assert!(ToUnicode::parse(b"").is_none());
    }
}
