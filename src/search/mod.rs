//! Search for assistants and employers: a tantivy index under `index/`, one entry per piece, fed
//! from the database's outbox (`outbox`), queried within the caller's périmètre (`routes`). The
//! index is derived data: it records its schema version, and a missing, corrupt or outdated index
//! is rebuilt from the database while searches answer `503 index_rebuilding`.

pub mod analysis;
mod bits;
pub mod bounds;
pub mod cache;
mod entry;
pub mod facets;
pub mod outbox;
pub mod plan;
pub mod query;
pub mod routes;
mod similar;
mod top;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tantivy::directory::error::LockError;
use tantivy::index::SegmentId;
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
    STORED, STRING,
};
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};

pub use entry::Entry;
pub use routes::router;

/// Bump when the schema, the analysis or the index settings change: the index is then rebuilt.
/// 3: stored documents in blocks of `DOCSTORE_BLOCK`.
pub const SCHEMA_VERSION: u32 = 3;
const VERSION_FILE: &str = "pieces-schema-version";
/// Present while a rebuild is under way (it survives a crash, so the rebuild resumes).
const REBUILDING_FILE: &str = "pieces-rebuilding";
/// Stored documents are compressed in blocks of this size, and a hit decompresses its whole
/// block: tantivy's 16 KiB hold about six pieces of text, 4 KiB one or two.
const DOCSTORE_BLOCK: usize = 4096;
/// Memory the index writer may use before it flushes a segment.
const WRITER_MEMORY: usize = 50 * 1024 * 1024;

/// The fields of an index entry.
#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub company_id: Field,
    pub text: Field,
    pub title: Field,
    pub comment: Field,
    pub original_name: Field,
    pub kind: Field,
    pub dossier: Field,
    pub company: Field,
    pub siret: Field,
    pub siren: Field,
    pub provider_name: Field,
    pub provider_siret: Field,
    pub state: Field,
    pub uploaded_at: Field,
    pub invoice_number: Field,
    pub seller_name: Field,
    /// The whole words of the title and text (not stemmed), for typo tolerance.
    pub words: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let french = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analysis::FRENCH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let keyword = STRING | FAST | STORED;
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        company_id: builder.add_text_field("company_id", STRING),
        text: builder.add_text_field("text", french.clone() | STORED),
        title: builder.add_text_field("title", french.clone() | STORED),
        comment: builder.add_text_field("comment", french.clone()),
        original_name: builder.add_text_field("original_name", french.clone()),
        kind: builder.add_text_field("kind", keyword.clone()),
        dossier: builder.add_text_field("dossier", keyword.clone()),
        company: builder.add_text_field("company", keyword.clone()),
        siret: builder.add_text_field("siret", STRING),
        siren: builder.add_text_field("siren", STRING),
        provider_name: builder.add_text_field("provider_name", french.clone()),
        provider_siret: builder.add_text_field("provider_siret", STRING),
        state: builder.add_text_field("state", keyword),
        uploaded_at: builder.add_date_field(
            "uploaded_at",
            DateOptions::from(INDEXED | FAST | STORED).set_precision(DateTimePrecision::Microseconds),
        ),
        invoice_number: builder.add_text_field("invoice_number", STRING),
        seller_name: builder.add_text_field("seller_name", french),
        words: builder.add_text_field(
            "words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analysis::WORDS)
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
    };
    (builder.build(), fields)
}

/// The open index: its reader (reloaded right after each commit) and its one writer, opened by
/// the process that indexes (one at a time: tantivy locks it).
pub struct SearchIndex {
    pub index: Index,
    pub reader: IndexReader,
    writer: Mutex<Option<IndexWriter<TantivyDocument>>>,
    pub fields: Fields,
    /// What searches keep in memory per segment (facet values, dates, frequent terms).
    pub cache: Arc<cache::SegmentCache>,
    rebuilding: AtomicBool,
    dir: PathBuf,
}

impl SearchIndex {
    /// Opens the index under `dir`, or creates it anew when it is missing, unreadable or of
    /// another schema version. The boolean says a rebuild is needed (or was cut short): the
    /// database must queue every piece again.
    pub fn open(dir: &Path) -> anyhow::Result<(SearchIndex, bool)> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let current = std::fs::read_to_string(dir.join(VERSION_FILE)).ok().and_then(|v| v.trim().parse::<u32>().ok());
        let existing = match current {
            Some(SCHEMA_VERSION) => Index::open_in_dir(dir)
                .map_err(|e| tracing::warn!("the search index cannot be opened ({e}): rebuilding it"))
                .ok(),
            Some(other) => {
                tracing::info!(
                    "the search index has schema version {other}, this build wants {SCHEMA_VERSION}: rebuilding it"
                );
                None
            }
            None => None,
        };
        let (schema, fields) = schema();
        let (index, rebuild) = match existing {
            Some(index) if index.schema() == schema => (index, false),
            _ => {
                wipe(dir)?;
                let index = Index::builder()
                    .schema(schema)
                    .settings(IndexSettings { docstore_blocksize: DOCSTORE_BLOCK, ..IndexSettings::default() })
                    .create_in_dir(dir)
                    .context("cannot create the search index")?;
                (index, true)
            }
        };
        index.tokenizers().register(analysis::FRENCH, analysis::french());
        index.tokenizers().register(analysis::WORDS, analysis::words());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        if rebuild {
            std::fs::write(dir.join(REBUILDING_FILE), b"")?;
            std::fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION.to_string())?;
        }
        let rebuild = dir.join(REBUILDING_FILE).exists();
        let search = SearchIndex {
            index,
            reader,
            writer: Mutex::new(None),
            fields,
            cache: Arc::default(),
            rebuilding: AtomicBool::new(rebuild),
            dir: dir.to_path_buf(),
        };
        Ok((search, rebuild))
    }

    pub fn is_rebuilding(&self) -> bool {
        self.rebuilding.load(Ordering::Acquire)
    }

    /// The rebuild is over: every piece queued for it is indexed.
    pub fn rebuilt(&self) {
        let _ = std::fs::remove_file(self.dir.join(REBUILDING_FILE));
        self.rebuilding.store(false, Ordering::Release);
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the index's writer unless another process holds it (tantivy's lock file): false
    /// while one does. Blocking.
    pub fn take_writer(&self) -> tantivy::Result<bool> {
        let mut slot = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_some() {
            return Ok(true);
        }
        match self.index.writer(WRITER_MEMORY) {
            Ok(writer) => {
                *slot = Some(writer);
                Ok(true)
            }
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Replaces the entries of `ids` by `entries` (an id without an entry is deleted), commits,
    /// and reloads the reader so that the next search sees them. Blocking: call off the executor.
    pub fn apply(&self, ids: &[String], entries: Vec<TantivyDocument>) -> tantivy::Result<()> {
        let mut slot = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() {
            *slot = Some(self.index.writer(WRITER_MEMORY)?);
        }
        let writer = slot.as_mut().expect("just opened");
        for id in ids {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
        }
        for entry in entries {
            writer.add_document(entry)?;
        }
        writer.commit()?;
        self.reload()
    }

    /// Lets the merges that the last commits started finish, then searches the merged segments:
    /// the state of a service some seconds after a burst of uploads (for benchmarks). The writer
    /// opens again at the next `apply`. Blocking.
    pub fn settle(&self) -> tantivy::Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(writer) = writer {
            writer.wait_merging_threads()?;
        }
        self.reload()
    }

    /// Reloads when another process committed since the last reload (for a process that does not
    /// index). A reload opens every segment afresh, dropping what tantivy keeps per segment: a
    /// reload each second would make searches read it again each second.
    pub fn reload_if_changed(&self) -> tantivy::Result<bool> {
        // A rebuild that the indexing process finished is over here too.
        if self.is_rebuilding() && !self.dir.join(REBUILDING_FILE).exists() {
            self.rebuilding.store(false, Ordering::Release);
        }
        let mut committed: Vec<(SegmentId, u32)> =
            self.index.searchable_segment_metas()?.iter().map(|meta| (meta.id(), meta.num_deleted_docs())).collect();
        let mut searched: Vec<(SegmentId, u32)> = self
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|segment| (segment.segment_id(), segment.num_deleted_docs()))
            .collect();
        committed.sort_unstable();
        searched.sort_unstable();
        if committed == searched {
            return Ok(false);
        }
        self.reload()?;
        Ok(true)
    }

    /// Makes the next search see the last commit, forgets what belonged to merged segments, and
    /// reads the commonest words of new segments (in the text and titles; not while rebuilding:
    /// most segments of a rebuild are soon merged away). Blocking.
    pub fn reload(&self) -> tantivy::Result<()> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        self.cache.keep_only(&searcher);
        if self.is_rebuilding() {
            return Ok(());
        }
        self.cache.warm(&searcher, &[self.fields.text, self.fields.title])
    }
}

/// Empties the index folder (a fixed folder of the configuration, never a path from a request).
fn wipe(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
