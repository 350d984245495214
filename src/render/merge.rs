//! Joins PDFs into one, in order, with lopdf: each document's objects are renumbered apart, and
//! its page tree becomes a branch of one new page tree, so pages keep what they inherit from their
//! own tree (resources, media box, rotation). Catalog entries other than the pages (outlines,
//! forms, names) are not carried over: the result is for printing.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use lopdf::{dictionary, Document, Object, ObjectId};

use crate::sandbox::{command, spawn, READER};

/// The PDFs of `parts`, one after the other.
pub fn merge(parts: Vec<Document>) -> Result<Vec<u8>, lopdf::Error> {
    let mut merged = Document::with_version("1.7");
    let root_id: ObjectId = (1, 0);
    let mut next_id = 2;
    let mut kids = Vec::new();
    let mut count: i64 = 0;
    for mut part in parts {
        part.renumber_objects_with(next_id);
        next_id = part.max_id + 1;
        let pages_id = part.catalog()?.get(b"Pages")?.as_reference()?;
        let catalog_id = part.trailer.get(b"Root")?.as_reference()?;
        count += part.get_pages().len() as i64;
        for (id, object) in part.objects {
            if id != catalog_id {
                merged.objects.insert(id, object);
            }
        }
        // The part's own page tree hangs under the new root.
        if let Some(Object::Dictionary(pages)) = merged.objects.get_mut(&pages_id) {
            pages.set("Parent", root_id);
        }
        kids.push(Object::Reference(pages_id));
    }
    merged
        .objects
        .insert(root_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }));
    let catalog_id = (next_id, 0);
    merged.objects.insert(catalog_id, Object::Dictionary(dictionary! { "Type" => "Catalog", "Pages" => root_id }));
    merged.max_id = next_id;
    merged.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    merged.save_to(&mut out)?;
    Ok(out)
}

/// Joins the PDFs `inputs`, in order, into `output`, in a child process (`pieces merge-pdf`)
/// under the reader's limits: the inputs may be uploaded pieces. False when it could not.
pub async fn merge_pdfs(exe: &Path, inputs: &[PathBuf], output: &Path) -> bool {
    let mut command = command(exe, &READER);
    command.arg("merge-pdf").arg(output).args(inputs).stdout(Stdio::null());
    let Ok(mut child) = spawn(&mut command, "the PDF merger").await else { return false };
    match tokio::time::timeout(READER.deadline, child.wait()).await {
        Ok(Ok(status)) => status.success(),
        _ => {
            let _ = child.kill().await;
            false
        }
    }
}

/// The child's side of [`merge_pdfs`]: `pieces merge-pdf OUTPUT INPUT…`.
pub fn merge_main(output: &Path, inputs: &[PathBuf]) -> std::process::ExitCode {
    let parts: Result<Vec<lopdf::Document>, _> = inputs.iter().map(lopdf::Document::load).collect();
    let merged = parts.ok().and_then(|parts| merge(parts).ok());
    match merged.map(|bytes| std::fs::write(output, bytes)) {
        Some(Ok(())) => std::process::ExitCode::SUCCESS,
        _ => std::process::ExitCode::from(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF whose page says `text` (text layer), with its media box inherited from the tree.
    fn one_page(text: &str) -> Document {
        let mut doc = Document::with_version("1.7");
        let font = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
        let content = format!("BT /F1 24 Tf 72 700 Td ({text}) Tj ET");
        let stream = doc.add_object(lopdf::Stream::new(dictionary! {}, content.into_bytes()));
        let pages_id = doc.new_object_id();
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => stream,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        });
        let pages = dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] };
        doc.objects.insert(pages_id, Object::Dictionary(pages));
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        doc
    }

    #[test]
    fn pages_come_in_order_and_keep_what_they_inherit() {
        let merged = merge(vec![one_page("premier"), one_page("deuxieme"), one_page("troisieme")]).unwrap();
        let doc = crate::extract::pdf_text::load(&merged).unwrap();
        let (count, pages) = crate::extract::pdf_text::read_text(&doc, 10);
        assert_eq!(count, 3);
        let words: Vec<&str> = pages.iter().map(|p| p.trim()).collect();
        assert_eq!(words, ["premier", "deuxieme", "troisieme"]);
        for (_, id) in doc.get_pages() {
            let media_box = doc.get_dictionary(id).unwrap().get(b"Parent").and_then(Object::as_reference).unwrap();
            assert!(doc.get_dictionary(media_box).unwrap().has(b"MediaBox"), "the media box is still inherited");
        }
    }
}
