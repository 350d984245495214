//! Facets: how many matches per kind, per state and per company. Plain searches count them over
//! bitsets (`plan`); other searches use this collector, which bumps a counter per value of each
//! matching document. Both read each document's values as numbers shared by all segments, from
//! the search cache (read once per segment: reading a fast field's dictionary means a zstd
//! decompression, far too slow to do per search).

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::cache::{add_counts, Columns, SegmentCache, FACETS};

pub struct Facets(pub Arc<SegmentCache>);

/// Per faceted field, in the order of `FACETS`: its most frequent values with their counts, most
/// frequent first (ties by value, so that the answer is stable).
pub type FacetCounts = Vec<Vec<(String, u64)>>;

impl Collector for Facets {
    type Fruit = FacetCounts;
    type Child = SegmentFacets;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let columns = self.0.columns(segment)?;
        Ok(SegmentFacets { counts: columns.no_counts(), columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<Vec<u32>>>) -> tantivy::Result<FacetCounts> {
        let mut total = Vec::new();
        for counts in &segments {
            add_counts(&mut total, counts);
        }
        Ok(self.0.top_values(&total))
    }
}

pub struct SegmentFacets {
    counts: Vec<Vec<u32>>,
    columns: Arc<Columns>,
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Vec<Vec<u32>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.columns.count(&mut self.counts, doc);
    }

    fn harvest(self) -> Vec<Vec<u32>> {
        self.counts
    }
}

/// `{"kind": {"programme": 3, …}, "state": {…}, "company": {…}}`.
pub fn to_json(counts: &FacetCounts) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for ((name, _), values) in FACETS.iter().zip(counts) {
        let kept: serde_json::Map<String, serde_json::Value> =
            values.iter().map(|(value, count)| (value.clone(), (*count).into())).collect();
        out.insert(name.to_string(), kept.into());
    }
    out.into()
}
