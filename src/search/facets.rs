//! Facets: how many matches per kind, per state and per company. A collector of its own rather
//! than tantivy's general aggregations: per matching document it reads three dictionary-encoded
//! fast fields and bumps a counter per term ordinal. The ordinals become words through each
//! segment's dictionary, read once and kept (segments never change; reading a dictionary block
//! means a zstd decompression, far too slow to do per query).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// The faceted fields (fast string fields of the schema) and how many values each keeps.
const FIELDS: [(&str, usize); 3] = [("kind", 50), ("state", 10), ("company", 100)];

/// Each segment's faceted columns, opened once, with their words by ordinal.
#[derive(Default)]
pub struct Dictionaries(Mutex<HashMap<(SegmentId, usize), Arc<Dictionary>>>);

pub struct Dictionary {
    column: Option<StrColumn>,
    words: Vec<String>,
}

impl Dictionaries {
    fn get(&self, segment: &SegmentReader, field: usize) -> tantivy::Result<Arc<Dictionary>> {
        let key = (segment.segment_id(), field);
        if let Some(dictionary) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(dictionary.clone());
        }
        let column = segment.fast_fields().str(FIELDS[field].0)?;
        let mut words = Vec::new();
        if let Some(column) = &column {
            let mut stream = column.dictionary().stream()?;
            while stream.advance() {
                words.push(String::from_utf8_lossy(stream.key()).into_owned());
            }
        }
        let dictionary = Arc::new(Dictionary { column, words });
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key, dictionary.clone());
        Ok(dictionary)
    }

    /// Forgets the segments no longer searched (merged away).
    pub fn keep_only(&self, searcher: &tantivy::Searcher) {
        let live: Vec<SegmentId> = searcher.segment_readers().iter().map(SegmentReader::segment_id).collect();
        self.0.lock().unwrap_or_else(|p| p.into_inner()).retain(|(segment, _), _| live.contains(segment));
    }
}

pub struct Facets(pub Arc<Dictionaries>);

/// Per faceted field, in the order of `FIELDS`: its most frequent values with their counts, most
/// frequent first (ties by value, so that the answer is stable).
pub type FacetCounts = Vec<Vec<(String, u64)>>;

impl Collector for Facets {
    type Fruit = FacetCounts;
    type Child = SegmentFacets;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let columns = (0..FIELDS.len())
            .map(|field| {
                let dictionary = self.0.get(segment, field)?;
                Ok((vec![0; dictionary.words.len()], dictionary))
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(SegmentFacets { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<SegmentCounts>) -> tantivy::Result<FacetCounts> {
        let mut merged = Vec::with_capacity(FIELDS.len());
        for (field, (_, keep)) in FIELDS.iter().enumerate() {
            let mut totals: HashMap<&str, u64> = HashMap::new();
            for (counts, dictionary) in segments.iter().map(|segment| &segment[field]) {
                for (count, word) in counts.iter().zip(&dictionary.words).filter(|(count, _)| **count > 0) {
                    *totals.entry(word).or_default() += u64::from(*count);
                }
            }
            let mut sorted: Vec<(&str, u64)> = totals.into_iter().collect();
            sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            merged.push(sorted.into_iter().take(*keep).map(|(word, count)| (word.to_string(), count)).collect());
        }
        Ok(merged)
    }
}

/// A segment's counts per ordinal, per faceted field, with the words of the ordinals.
pub type SegmentCounts = Vec<(Vec<u32>, Arc<Dictionary>)>;

pub struct SegmentFacets {
    columns: SegmentCounts,
}

impl SegmentCollector for SegmentFacets {
    type Fruit = SegmentCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (counts, dictionary) in &mut self.columns {
            if let Some(ord) = dictionary.column.as_ref().and_then(|c| c.ords().first(doc)) {
                if let Some(count) = counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> SegmentCounts {
        self.columns
    }
}

/// `{"kind": {"programme": 3, …}, "state": {…}, "company": {…}}`.
pub fn to_json(counts: &FacetCounts) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for ((name, _), values) in FIELDS.iter().zip(counts) {
        let kept: serde_json::Map<String, serde_json::Value> =
            values.iter().map(|(value, count)| (value.clone(), (*count).into())).collect();
        out.insert(name.to_string(), kept.into());
    }
    out.into()
}
