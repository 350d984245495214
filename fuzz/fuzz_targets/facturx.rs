//! The Factur-X reader: any bytes as CII XML, and as a PDF that may embed it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pieces_fuzz::facturx;

fuzz_target!(|bytes: &[u8]| {
    let _ = facturx::read_cii(bytes);
    let _ = facturx::read_pdf(bytes);
});
