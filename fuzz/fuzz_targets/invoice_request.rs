//! The invoice request body: any bytes as JSON into `InvoiceRequest` (strings, numbers refused
//! with their path, unknown fields refused); it must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pieces_fuzz::request::InvoiceRequest;

fuzz_target!(|bytes: &[u8]| {
    let _ = serde_json::from_slice::<InvoiceRequest>(bytes);
});
