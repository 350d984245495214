//! The PDF text reader: any bytes, loaded and read page by page (as the sandboxed child does,
//! with its page cap); it must return, never panic or loop.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pieces_fuzz::pdf_text;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(doc) = pdf_text::load(bytes) {
        let _ = pdf_text::read_text_within(&doc, 500, 20_000, 500_000);
    }
});
