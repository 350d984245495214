//! A small picture of a piece's first page, for lists: a PDF's first page rendered by poppler's
//! `pdftoppm`, an image (PNG, JPEG, TIFF) scaled by the service's own child (`pieces thumbnail
//! IN OUT`, the `image` crate); each in the sandbox, with small limits and a deadline, since the
//! piece is an uploaded file. The result is a PNG within `BOX` pixels a side. `None` when the tool
//! is missing or the piece will not render: lists then show an icon instead.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::sandbox::{command, spawn, Limits};

/// The side of the square a thumbnail fits in, in pixels (shown at half that: sharp on a
/// high-density screen).
pub const BOX: u32 = 160;

/// A thumbnail is a first page at a small size: much less than reading the piece needs.
const LIMITS: Limits =
    Limits { memory: 1024 * 1024 * 1024, cpu_secs: 20, file_size: 4 * 1024 * 1024, deadline: Duration::from_secs(30) };

/// The largest thumbnail kept (a PNG of 160×160 pixels is a few tens of kilobytes).
const MAX_BYTES: u64 = 512 * 1024;

/// Makes the thumbnail of `piece` (of type `mime`) in `work`; its path, or `None`.
pub async fn make(exe: &Path, piece: &Path, mime: &str, work: &Path) -> Option<PathBuf> {
    let out = work.join("vignette.png");
    let mut tool = match mime {
        "application/pdf" => {
            let mut tool = command("pdftoppm", &LIMITS);
            let side = BOX.to_string();
            tool.args(["-f", "1", "-l", "1", "-scale-to", &side, "-png", "-singlefile"])
                .arg(piece)
                .arg(work.join("vignette"));
            tool
        }
        "image/png" | "image/jpeg" | "image/tiff" => {
            let mut tool = command(exe, &LIMITS);
            tool.arg("thumbnail").arg(piece).arg(&out);
            tool
        }
        _ => return None,
    };
    tool.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = spawn(&mut tool, "the thumbnail maker").await.ok()?;
    let done = match tokio::time::timeout(LIMITS.deadline, child.wait()).await {
        Ok(Ok(status)) => status.success(),
        _ => {
            let _ = child.kill().await;
            false
        }
    };
    let size = tokio::fs::metadata(&out).await.map(|m| m.len()).unwrap_or(0);
    (done && size > 0 && size <= MAX_BYTES).then_some(out)
}

/// The child's side for images: `pieces thumbnail IN OUT`. Refuses an image whose header claims
/// more pixels than OCR reads (the decoder would need gigabytes), decodes within a memory budget,
/// scales to `BOX`, writes a PNG.
pub fn thumbnail_main(input: &Path, output: &Path) -> std::process::ExitCode {
    match scale(input, output) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::from(2),
    }
}

fn scale(input: &Path, output: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let size = imagesize::size(input)?;
    if (size.width as u64).saturating_mul(size.height as u64) > super::ocr::MAX_PIXELS {
        return Err("too many pixels".into());
    }
    let mut reader = image::ImageReader::open(input)?.with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let picture = reader.decode()?.thumbnail(BOX, BOX);
    picture.save_with_format(output, image::ImageFormat::Png)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_is_scaled_within_the_box_keeping_its_proportions() {
        let dir = tempfile::tempdir().unwrap();
        let (input, output) = (dir.path().join("scan.png"), dir.path().join("vignette.png"));
        image::RgbImage::from_pixel(1240, 1754, image::Rgb([250, 250, 250])).save(&input).unwrap();
        scale(&input, &output).unwrap();
        let made = image::open(&output).unwrap();
        assert_eq!((made.width(), made.height()), (113, 160), "A4 proportions within 160 pixels");
    }

    #[test]
    fn a_damaged_image_makes_no_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let (input, output) = (dir.path().join("scan.png"), dir.path().join("vignette.png"));
        let mut png = Vec::new();
        image::RgbImage::new(50, 50).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        png.truncate(png.len() / 2);
        std::fs::write(&input, png).unwrap();
        assert!(scale(&input, &output).is_err());
        assert!(!output.exists());
    }
}
