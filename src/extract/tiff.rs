//! The number of pages of a TIFF file: its chain of image file directories (IFDs), walked from
//! the header without decoding anything. The walk is bounded (a hostile file may loop its chain
//! or claim offsets past its end): at most `MAX_WALK` directories, each visited once. Tested in
//! `tests/api/hostile.rs`, beside the TIFFs it builds.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Directories walked at most; a TIFF with more pages counts as this many.
const MAX_WALK: usize = 1000;

/// The pages of the TIFF at `path`; `None` when it is not a classic TIFF (BigTIFF, another
/// type) or its chain cannot be read.
pub fn page_count(path: &Path) -> Option<usize> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut header = [0u8; 8];
    file.read_exact(&mut header).ok()?;
    let big_endian = match &header[..4] {
        b"II*\0" => false,
        b"MM\0*" => true,
        _ => return None,
    };
    let u16_at = |b: [u8; 2]| if big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) };
    let u32_at = |b: [u8; 4]| if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) };
    let length = file.metadata().ok()?.len();
    let mut offset = u32_at(header[4..8].try_into().ok()?);
    let mut seen = std::collections::HashSet::new();
    let mut pages = 0;
    while offset != 0 && pages < MAX_WALK {
        if u64::from(offset) + 2 > length || !seen.insert(offset) {
            break;
        }
        file.seek(SeekFrom::Start(u64::from(offset))).ok()?;
        let mut count = [0u8; 2];
        file.read_exact(&mut count).ok()?;
        pages += 1;
        let next_at = u64::from(offset) + 2 + 12 * u64::from(u16_at(count));
        let mut next = [0u8; 4];
        if next_at + 4 > length || file.seek(SeekFrom::Start(next_at)).is_err() || file.read_exact(&mut next).is_err() {
            break;
        }
        offset = u32_at(next);
    }
    (pages > 0).then_some(pages)
}
