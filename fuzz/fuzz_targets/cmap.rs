//! The ToUnicode CMap reader: any bytes as a CMap, then any bytes decoded with it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pieces_fuzz::cmap::ToUnicode;

fuzz_target!(|bytes: &[u8]| {
    let (cmap, text) = bytes.split_at(bytes.len() / 2);
    if let Some(map) = ToUnicode::parse(cmap) {
        let _ = map.decode(text);
    }
});
