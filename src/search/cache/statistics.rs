//! Each term's number of documents in the whole index, kept for the searcher it was counted for,
//! and BM25's statistics read through it.

use std::collections::HashMap;

use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::SegmentCache;

/// Documents per term in the whole index, as the searcher of `generation` sees it.
#[derive(Default)]
pub(super) struct DocFreqs {
    pub(super) generation: u64,
    pub(super) by_term: HashMap<Term, u64>,
}

/// Terms whose document counts are kept at most (then they are counted afresh).
pub(super) const DOC_FREQS: usize = 100_000;

/// BM25's statistics for a searcher, with its terms' document counts from the cache.
pub struct Statistics<'a> {
    pub searcher: &'a Searcher,
    pub cache: &'a SegmentCache,
}

impl Bm25StatisticsProvider for Statistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        self.searcher.total_num_tokens(field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.cache.doc_freq(self.searcher, term)
    }
}
