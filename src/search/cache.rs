//! What searches keep in memory per index segment. A segment never changes once written (only its
//! deleted documents grow), so what is read from it once serves every later search:
//! - the faceted fields' values per document, as numbers shared by all segments (`Values`), so
//!   that adding up facets is adding up vectors, and the upload dates (`Columns`), read from the
//!   fast fields;
//! - the documents still alive and the facet counts over them (`Alive`), per deletion state;
//! - the postings of frequent terms as bitsets with their term frequencies (`TermDocs`), bounded
//!   in memory, least recently used dropped first. A rare term is read afresh by each search:
//!   that costs little, as it is in few documents.
//!
//! Entries of segments merged away are dropped when the reader reloads (`keep_only`). The
//! commonest words of a new segment are read right then (`warm`, off the searches' path): the
//! first search of such a word would otherwise read tens of thousands of postings.
//!
//! Each term's number of documents in the whole index is also kept, for the searcher it was
//! counted for (`doc_freq`): a search looks a word up in every field of every segment, and
//! that costs more than the rest of a common search when done afresh each time.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::index::SegmentId;
use tantivy::schema::Field;
use tantivy::{DocId, Searcher, SegmentReader, Term};

use super::bits::Bits;
pub use statistics::Statistics;
use statistics::{DocFreqs, DOC_FREQS};
pub use term_docs::TermDocs;

mod statistics;
mod term_docs;

/// The faceted fields (fast string fields of the schema) and how many values each keeps.
pub const FACETS: [(&str, usize); 3] = [("kind", 50), ("state", 10), ("company", 100)];
/// A document without a value in a faceted field.
pub const NO_VALUE: u32 = u32::MAX;
/// A term in at least one document in this many of a segment is kept in memory.
const FREQUENT: u32 = 256;
/// A term in at least this many documents of a segment, and in one in `WARM_SHARE`, is read as
/// soon as the segment is searched: a search would spend 10 µs or more reading it.
const WARM: u32 = 4096;
const WARM_SHARE: u32 = 16;
/// Memory for the kept terms (bitsets and frequencies), all segments together. A word of every
/// piece takes about 1.2 bytes per piece; the benchmark's 2,400 searches of 200,000 pieces keep
/// about 70 MB (64 MiB had to drop common words that the next searches read again).
const TERMS_BUDGET: usize = 256 * 1024 * 1024;

#[derive(Default)]
pub struct SegmentCache {
    /// Per faceted field, in the order of `FACETS`.
    values: Mutex<[Values; FACETS.len()]>,
    columns: Mutex<HashMap<SegmentId, Arc<Columns>>>,
    alive: Mutex<HashMap<SegmentId, (u32, Arc<Alive>)>>,
    terms: Mutex<Terms>,
    doc_freqs: Mutex<DocFreqs>,
    /// The segments whose common terms were read (`warm`).
    warmed: Mutex<HashSet<SegmentId>>,
}

/// A faceted field's values, numbered in the order first read. Numbers are never reused: the
/// list only grows with the values ever indexed (kinds, states, companies: a few thousand).
#[derive(Default)]
struct Values {
    numbers: HashMap<String, u32>,
    words: Vec<String>,
    /// Each number's place in the alphabetical order of the words (to break ties between
    /// counts without comparing words); empty when words were added since.
    alphabetical: Vec<u32>,
}

impl Values {
    fn alphabetical(&mut self) -> &[u32] {
        if self.alphabetical.len() != self.words.len() {
            let mut order: Vec<u32> = (0..self.words.len() as u32).collect();
            order.sort_unstable_by(|a, b| self.words[*a as usize].cmp(&self.words[*b as usize]));
            self.alphabetical = vec![0; order.len()];
            for (place, number) in order.into_iter().enumerate() {
                self.alphabetical[number as usize] = place as u32;
            }
        }
        &self.alphabetical
    }
}

/// A segment's faceted fields and upload dates, by document.
pub struct Columns {
    /// Per faceted field (in the order of `FACETS`), the value number of each document
    /// (`NO_VALUE` when it has none).
    pub facets: Vec<Vec<u32>>,
    /// Per faceted field, how many values were numbered when the segment was read: every number
    /// of the segment is below it.
    pub known: Vec<usize>,
    /// Per faceted field with few values in the segment (kinds, states): the documents of each
    /// value, so that counting a value among matches is counting common bits.
    pub by_value: Vec<Option<Vec<(u32, Bits)>>>,
    /// Upload time in microseconds (`i64::MIN` when missing).
    pub uploaded_at: Vec<i64>,
}

/// A segment's live documents and, per faceted field, how many of them have each value.
pub struct Alive {
    pub bits: Bits,
    pub count: u64,
    pub facet_counts: Vec<Vec<u32>>,
}

/// A term in a segment, read with or without its frequencies.
type TermKey = (SegmentId, Term, bool);

#[derive(Default)]
struct Terms {
    entries: HashMap<TermKey, (Arc<TermDocs>, u64)>,
    bytes: usize,
    clock: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SegmentCache {
    pub fn columns(&self, segment: &SegmentReader) -> tantivy::Result<Arc<Columns>> {
        if let Some(columns) = lock(&self.columns).get(&segment.segment_id()) {
            return Ok(columns.clone());
        }
        let columns = Arc::new(self.read_columns(segment)?);
        lock(&self.columns).insert(segment.segment_id(), columns.clone());
        Ok(columns)
    }

    pub fn alive(&self, segment: &SegmentReader) -> tantivy::Result<Arc<Alive>> {
        let deleted = segment.num_deleted_docs();
        if let Some((at, alive)) = lock(&self.alive).get(&segment.segment_id()) {
            if *at == deleted {
                return Ok(alive.clone());
            }
        }
        let columns = self.columns(segment)?;
        let mut bits = Bits::empty(segment.max_doc());
        for doc in segment.doc_ids_alive() {
            bits.insert(doc);
        }
        let mut facet_counts = columns.no_counts();
        bits.for_each(|doc| columns.count(&mut facet_counts, doc));
        let alive = Arc::new(Alive { count: bits.count(), bits, facet_counts });
        lock(&self.alive).insert(segment.segment_id(), (deleted, alive.clone()));
        Ok(alive)
    }

    /// The documents of `term` in `segment`; `freqs`: with term frequencies (for ranking).
    pub fn term(&self, segment: &SegmentReader, term: &Term, freqs: bool) -> tantivy::Result<Arc<TermDocs>> {
        let key = (segment.segment_id(), term.clone(), freqs);
        {
            let mut terms = lock(&self.terms);
            terms.clock += 1;
            let now = terms.clock;
            if let Some((docs, used)) = terms.entries.get_mut(&key) {
                *used = now;
                return Ok(docs.clone());
            }
        }
        let docs = Arc::new(TermDocs::read(segment, term, freqs)?);
        let found = docs.bits.count();
        if found > 0 && found >= u64::from(segment.max_doc() / FREQUENT) {
            lock(&self.terms).insert(key, docs.clone());
        }
        Ok(docs)
    }

    /// How many documents of `searcher` have `term` (deleted ones included, as tantivy counts).
    pub fn doc_freq(&self, searcher: &Searcher, term: &Term) -> tantivy::Result<u64> {
        let generation = searcher.generation().generation_id();
        {
            let kept = lock(&self.doc_freqs);
            if let (true, Some(found)) = (kept.generation == generation, kept.by_term.get(term)) {
                return Ok(*found);
            }
        }
        let found = searcher.doc_freq(term)?;
        let mut kept = lock(&self.doc_freqs);
        // A newer searcher starts afresh; an older one (a search begun before a reload) keeps
        // nothing.
        if generation > kept.generation || kept.by_term.len() >= DOC_FREQS {
            *kept = DocFreqs { generation: generation.max(kept.generation), by_term: HashMap::new() };
        }
        if kept.generation == generation {
            kept.by_term.insert(term.clone(), found);
        }
        Ok(found)
    }

    /// Reads the common terms of `fields` (those of `WARM`) in the segments not warmed yet, most
    /// common first. Blocking: it reads all their postings once.
    pub fn warm(&self, searcher: &Searcher, fields: &[Field]) -> tantivy::Result<()> {
        for segment in searcher.segment_readers() {
            let least = WARM.max(segment.max_doc() / WARM_SHARE);
            if segment.max_doc() < least || !lock(&self.warmed).insert(segment.segment_id()) {
                continue;
            }
            let mut common = Vec::new();
            for field in fields {
                let inverted = segment.inverted_index(*field)?;
                let mut stream = inverted.terms().stream()?;
                while stream.advance() {
                    if let (true, Ok(text)) = (stream.value().doc_freq >= least, std::str::from_utf8(stream.key())) {
                        common.push((stream.value().doc_freq, Term::from_field_text(*field, text)));
                    }
                }
            }
            common.sort_unstable_by_key(|(found, _)| std::cmp::Reverse(*found));
            for (_, term) in common {
                self.term(segment, &term, true)?;
            }
        }
        Ok(())
    }

    /// Whether `term`'s documents and frequencies in `segment` are in memory.
    #[cfg(test)]
    pub fn is_kept(&self, segment: &SegmentReader, term: &Term) -> bool {
        lock(&self.terms).entries.contains_key(&(segment.segment_id(), term.clone(), true))
    }

    /// Forgets the segments no longer searched (merged away).
    pub fn keep_only(&self, searcher: &tantivy::Searcher) {
        let live: Vec<SegmentId> = searcher.segment_readers().iter().map(SegmentReader::segment_id).collect();
        lock(&self.columns).retain(|segment, _| live.contains(segment));
        lock(&self.alive).retain(|segment, _| live.contains(segment));
        lock(&self.warmed).retain(|segment| live.contains(segment));
        let mut terms = lock(&self.terms);
        terms.entries.retain(|(segment, _, _), _| live.contains(segment));
        terms.bytes = terms.entries.values().map(|(docs, _)| docs.bytes()).sum();
    }
}

impl Terms {
    fn insert(&mut self, key: TermKey, docs: Arc<TermDocs>) {
        self.bytes += docs.bytes();
        let now = self.clock;
        if let Some((old, _)) = self.entries.insert(key, (docs, now)) {
            self.bytes -= old.bytes();
        }
        if self.bytes > TERMS_BUDGET {
            // Drop the least recently used half of the budget at once (rarely: sorting is fine).
            let mut by_use: Vec<(u64, TermKey)> =
                self.entries.iter().map(|(key, (_, used))| (*used, key.clone())).collect();
            by_use.sort_unstable_by_key(|(used, _)| *used);
            for (_, key) in by_use {
                if self.bytes <= TERMS_BUDGET / 2 {
                    break;
                }
                if let Some((docs, _)) = self.entries.remove(&key) {
                    self.bytes -= docs.bytes();
                }
            }
        }
    }
}

impl SegmentCache {
    fn read_columns(&self, segment: &SegmentReader) -> tantivy::Result<Columns> {
        let max_doc = segment.max_doc();
        let mut facets = Vec::with_capacity(FACETS.len());
        let mut known = Vec::with_capacity(FACETS.len());
        let mut by_value = Vec::with_capacity(FACETS.len());
        for (field, (name, _)) in FACETS.iter().enumerate() {
            let mut numbers = vec![NO_VALUE; max_doc as usize];
            if let Some(column) = segment.fast_fields().str(name)? {
                // The segment's own value numbers (its dictionary's order), then the shared ones.
                let mut shared = Vec::new();
                let mut values = lock(&self.values);
                let values = &mut values[field];
                let mut stream = column.dictionary().stream()?;
                while stream.advance() {
                    let word = String::from_utf8_lossy(stream.key()).into_owned();
                    let next = values.words.len() as u32;
                    let number = *values.numbers.entry(word.clone()).or_insert(next);
                    if number == next {
                        values.words.push(word);
                    }
                    shared.push(number);
                }
                known.push(values.words.len());
                for (doc, number) in numbers.iter_mut().enumerate() {
                    if let Some(ord) = column.ords().first(doc as DocId) {
                        *number = shared.get(ord as usize).copied().unwrap_or(NO_VALUE);
                    }
                }
            } else {
                known.push(0);
            }
            by_value.push(few_values(&numbers, max_doc));
            facets.push(numbers);
        }
        let dates = segment.fast_fields().date("uploaded_at")?;
        let uploaded_at =
            (0..max_doc).map(|doc| dates.first(doc).map_or(i64::MIN, |d| d.into_timestamp_micros())).collect();
        Ok(Columns { facets, known, by_value, uploaded_at })
    }

    /// The `keep` most frequent values of each faceted field, from counts by value number.
    pub fn top_values(&self, counts: &[Vec<u32>]) -> Vec<Vec<(String, u64)>> {
        let mut values = lock(&self.values);
        FACETS
            .iter()
            .zip(counts)
            .zip(values.iter_mut())
            .map(|(((_, keep), counts), values)| {
                let alphabetical = values.alphabetical();
                // (count, place in the alphabet, number): most frequent first, ties by value, so
                // that the answer is stable.
                let mut found: Vec<(u32, u32, u32)> = counts
                    .iter()
                    .enumerate()
                    .filter(|(_, count)| **count > 0)
                    .map(|(number, count)| (*count, alphabetical[number], number as u32))
                    .collect();
                let order = |a: &(u32, u32, u32), b: &(u32, u32, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
                if found.len() > *keep {
                    found.select_nth_unstable_by(*keep, order);
                    found.truncate(*keep);
                }
                found.sort_unstable_by(order);
                found
                    .into_iter()
                    .map(|(count, _, number)| (values.words[number as usize].clone(), u64::from(count)))
                    .collect()
            })
            .collect()
    }
}

impl Columns {
    /// Zero counts for every value number of this segment, per faceted field.
    pub fn no_counts(&self) -> Vec<Vec<u32>> {
        self.known.iter().map(|known| vec![0; *known]).collect()
    }

    /// Counts `doc`'s values.
    #[inline]
    pub fn count(&self, counts: &mut [Vec<u32>], doc: DocId) {
        for (counts, numbers) in counts.iter_mut().zip(&self.facets) {
            if let Some(count) = counts.get_mut(numbers[doc as usize] as usize) {
                *count += 1;
            }
        }
    }
}

/// The documents of each value, when a segment has at most 64 values in the field.
fn few_values(numbers: &[u32], max_doc: DocId) -> Option<Vec<(u32, Bits)>> {
    let mut values: Vec<(u32, Bits)> = Vec::new();
    for (doc, number) in numbers.iter().enumerate().filter(|(_, number)| **number != NO_VALUE) {
        let at = match values.iter().position(|(value, _)| value == number) {
            Some(at) => at,
            None if values.len() < 64 => {
                values.push((*number, Bits::empty(max_doc)));
                values.len() - 1
            }
            None => return None,
        };
        values[at].1.insert(doc as DocId);
    }
    Some(values)
}

/// Adds counts by value number into `total` (grown as needed).
pub fn add_counts(total: &mut Vec<Vec<u32>>, counts: &[Vec<u32>]) {
    total.resize(counts.len().max(total.len()), Vec::new());
    for (total, counts) in total.iter_mut().zip(counts) {
        if total.len() < counts.len() {
            total.resize(counts.len(), 0);
        }
        for (total, count) in total.iter_mut().zip(counts) {
            *total += count;
        }
    }
}
