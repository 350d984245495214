//! The number of pages of a TIFF file: its chain of image file directories (IFDs), walked from
//! the header without decoding anything. The walk is bounded (a hostile file may loop its chain
//! or claim offsets past its end): at most `MAX_WALK` directories, each visited once.

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

/// A little-endian TIFF of `pages` blank 1-bit pages of `side`×`side` pixels (for tests).
#[cfg(test)]
pub fn blank_tiff(pages: usize, side: u32) -> Vec<u8> {
    let strip_len = (side as usize).div_ceil(8) * side as usize;
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    for page in 0..pages {
        let ifd_at = tiff.len() as u32;
        let entries: u16 = 8;
        let data_at = ifd_at + 2 + 12 * u32::from(entries) + 4;
        let next = if page + 1 < pages { data_at + strip_len as u32 } else { 0 };
        let entry = |tag: u16, kind: u16, value: u32| {
            let mut e = tag.to_le_bytes().to_vec();
            e.extend_from_slice(&kind.to_le_bytes());
            e.extend_from_slice(&1u32.to_le_bytes());
            e.extend_from_slice(&value.to_le_bytes());
            e
        };
        tiff.extend_from_slice(&entries.to_le_bytes());
        for e in [
            entry(256, 4, side),             // width
            entry(257, 4, side),             // height
            entry(258, 3, 1),                // 1 bit per sample
            entry(259, 3, 1),                // no compression
            entry(262, 3, 0),                // white is zero: the zeros below are white
            entry(273, 4, data_at),          // strip offset
            entry(278, 4, side),             // rows per strip
            entry(279, 4, strip_len as u32), // strip bytes
        ] {
            tiff.extend(e);
        }
        tiff.extend_from_slice(&next.to_le_bytes());
        tiff.extend_from_slice(&vec![0u8; strip_len]);
    }
    tiff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_of(bytes: &[u8]) -> Option<usize> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        page_count(file.path())
    }

    #[test]
    fn pages_are_counted_along_the_chain() {
        assert_eq!(count_of(&blank_tiff(1, 16)), Some(1));
        assert_eq!(count_of(&blank_tiff(60, 16)), Some(60));
        let sample = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/upload/emargement-scan.tif")).unwrap();
        assert_eq!(count_of(&sample), Some(1));
        assert_eq!(count_of(b"\x89PNG\r\n\x1a\n"), None);
    }

    #[test]
    fn a_looping_or_truncated_chain_ends() {
        // The first directory points back to itself.
        let mut looping = blank_tiff(1, 16);
        let next_at = 8 + 2 + 12 * 8;
        looping[next_at..next_at + 4].copy_from_slice(&8u32.to_le_bytes());
        assert_eq!(count_of(&looping), Some(1));
        let mut beyond = blank_tiff(1, 16);
        beyond[next_at..next_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(count_of(&beyond), Some(1));
        assert_eq!(count_of(&blank_tiff(3, 16)[..50]), Some(1), "cut in its first directory's entries");
    }
}
