//! A labelled corpus's manifest: `file,kind` lines after that header, paths relative to its
//! folder (`samples/corpus/*/manifest.csv`), for the evaluation and the classifier's test.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::domain::DocKind;

/// The labelled files of a manifest: `file,kind` lines after the header.
pub fn read_manifest(manifest: &Path) -> anyhow::Result<Vec<(PathBuf, DocKind)>> {
    let text = std::fs::read_to_string(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let folder = manifest.parent().unwrap_or(Path::new("."));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    if lines.next().map(|h| h.trim().trim_start_matches('\u{feff}')) != Some("file,kind") {
        bail!("{}: the first line must be the header `file,kind`", manifest.display());
    }
    lines
        .enumerate()
        .map(|(number, line)| {
            let (file, kind) =
                line.rsplit_once(',').with_context(|| format!("line {}: `file,kind` expected", number + 2))?;
            let kind = kind.trim().trim_matches('"');
            let kind = DocKind::parse(kind).with_context(|| format!("line {}: unknown kind {kind:?}", number + 2))?;
            Ok((folder.join(file.trim().trim_matches('"')), kind))
        })
        .collect()
}
