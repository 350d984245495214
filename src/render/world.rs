//! The Typst `World` of a render: the template as the main source, the data and attachments as
//! virtual files, the embedded fonts. Nothing is read from disk or the network.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// A Typst template compiled into the binary.
pub struct Template {
    /// e.g. `invoice`: the template is `templates/invoice.typ`.
    pub name: &'static str,
    pub source: &'static str,
}

/// The fonts of every render: DejaVu Sans (the forms' font, broad coverage of Latin, Greek and
/// Cyrillic names) first, then typst-assets' fonts.
const FORM_FONTS: [&[u8]; 3] = [
    include_bytes!("../../templates/fonts/DejaVuSans.ttf"),
    include_bytes!("../../templates/fonts/DejaVuSans-Bold.ttf"),
    include_bytes!("../../templates/fonts/DejaVuSans-Oblique.ttf"),
];

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let data = FORM_FONTS.into_iter().chain(typst_assets::fonts());
    let fonts: Vec<Font> = data.flat_map(|bytes| Font::iter(Bytes::new(bytes))).collect();
    Fonts { book: LazyHash::new(FontBook::from_fonts(&fonts)), fonts }
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// Whether the embedded fonts can print `c` (a character none has makes the PDF/A export fail),
/// and the rule of typed texts allows it (a control character, such as a NUL stored before the
/// rule existed, makes the export fail too, whatever the fonts).
pub fn is_printable(c: char) -> bool {
    crate::domain::text::is_allowed(c, true)
        && (c.is_whitespace() || FONTS.fonts.iter().any(|font| font.info().coverage.contains(c as u32)))
}

fn file_id(path: &str) -> FileId {
    // Every path given here is a constant of this crate, absolute and normal.
    let path = VirtualPath::new(path).unwrap_or_else(|_| panic!("bad virtual path {path}"));
    RootedPath::new(VirtualRoot::Project, path).intern()
}

pub(super) struct RenderWorld {
    main: Source,
    files: Vec<(FileId, Bytes)>,
}

impl RenderWorld {
    pub(super) fn new(template: &Template, files: Vec<(&str, Bytes)>) -> RenderWorld {
        let main = Source::new(file_id(&format!("/{}.typ", template.name)), template.source.to_string());
        let files = files.into_iter().map(|(path, bytes)| (file_id(path), bytes)).collect();
        RenderWorld { main, files }
    }
}

impl World for RenderWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let found = self.files.iter().find(|(file, _)| *file == id);
        found.map(|(_, bytes)| bytes.clone()).ok_or_else(|| FileError::NotFound(id.vpath().get_with_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    /// No clock: every date a document prints is in its data.
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}
