//! Plain searches — words, keyword filters, an upload date range; by relevance or by date — run
//! segment by segment over bitsets rather than tantivy's document-at-a-time scorers:
//! - every clause and filter is a bitset (frequent terms' are kept in memory, `cache`), and the
//!   matches are their intersection: the total is a count of bits;
//! - facets count the matches, or, when they are most of the live documents, the non-matches,
//!   taken away from the live documents' counts;
//! - relevance ranking skips every 64 documents whose best possible score (each term's highest
//!   frequency and shortest field there) cannot enter the top: two common words no longer mean
//!   scoring every document that has both.
//!
//! Scores are tantivy's BM25, computed with the same weights, so that a plan finds what its
//! tantivy query (`Plan::query`) finds, in the same order (tested).

use std::collections::BinaryHeap;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::{
    AllQuery, Bm25Weight, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur, Query,
    RangeQuery, TermQuery, TermSetQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DateTime, DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, Term, TERMINATED};

use super::bits::{each_in_word, Bits};
use super::cache::{add_counts, Alive, Columns, SegmentCache, FACETS};
use super::facets::FacetCounts;
use super::top::Top;

/// What a plain search asks.
pub struct Plan {
    /// `None`: every document. Otherwise every clause must match; a clause matches when one of
    /// its parts does, and scores the sum of theirs (a clause without parts matches nothing).
    pub words: Option<Vec<Vec<Part>>>,
    /// Every filter must match: one of its keyword terms (they do not score).
    pub filters: Vec<Vec<Term>>,
    /// The upload date range, in microseconds, and the field that holds it.
    pub uploaded_at: (Field, Bound<i64>, Bound<i64>),
    pub by_date: bool,
}

pub enum Part {
    /// The term's BM25 score in its field, times `boost`.
    Term { term: Term, boost: Score },
    /// Matches with its query's constant score (typo alternatives).
    Constant(Box<dyn Query>),
}

/// The hits (score or 0 when by date, and address), best first, after `offset`; the total; the
/// facets when asked.
pub struct Found {
    pub hits: Vec<(Score, DocAddress)>,
    pub total: usize,
    pub facets: Option<FacetCounts>,
}

impl Plan {
    /// The same search as a tantivy query (for snippets, and the reference the plan is tested
    /// against).
    pub fn query(&self) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match &self.words {
            None => clauses.push((Occur::Must, Box::new(AllQuery))),
            Some(words) => clauses.extend(words.iter().map(|clause| (Occur::Must, clause_query(clause)))),
        }
        clauses.extend(self.filter_queries().into_iter().map(|query| (Occur::Must, query)));
        Box::new(BooleanQuery::new(clauses))
    }

    /// The filters and the date range as tantivy queries that do not score.
    pub fn filter_queries(&self) -> Vec<Box<dyn Query>> {
        let mut queries: Vec<Box<dyn Query>> = Vec::new();
        for filter in &self.filters {
            let query: Box<dyn Query> = match filter.as_slice() {
                [term] => Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic)),
                terms => Box::new(TermSetQuery::new(terms.iter().cloned())),
            };
            queries.push(Box::new(ConstScoreQuery::new(query, 0.0)));
        }
        let (field, from, to) = &self.uploaded_at;
        if !matches!((from, to), (Bound::Unbounded, Bound::Unbounded)) {
            let term = |micros: &i64| Term::from_field_date(*field, DateTime::from_timestamp_micros(*micros));
            let range = RangeQuery::new(from.as_ref().map(term), to.as_ref().map(term));
            queries.push(Box::new(ConstScoreQuery::new(Box::new(range), 0.0)));
        }
        queries
    }

    /// The words alone as a tantivy query (for snippets); `None` without words.
    pub fn words_query(&self) -> Option<Box<dyn Query>> {
        let words = self.words.as_ref()?;
        Some(Box::new(BooleanQuery::new(words.iter().map(|clause| (Occur::Must, clause_query(clause))).collect())))
    }

    fn in_range(&self, micros: i64) -> bool {
        let (_, from, to) = self.uploaded_at;
        (from, to).contains(&micros)
    }

    fn has_range(&self) -> bool {
        !matches!(self.uploaded_at, (_, Bound::Unbounded, Bound::Unbounded))
    }

    /// Runs the plan: the `limit` best hits after `offset`, the total, and the facets when asked.
    pub fn run(
        &self,
        searcher: &Searcher,
        cache: &SegmentCache,
        limit: usize,
        offset: usize,
        facets: bool,
    ) -> tantivy::Result<Found> {
        let scoring = EnableScoring::enabled_from_searcher(searcher);
        let words: Vec<Vec<Weighted>> = match &self.words {
            None => Vec::new(),
            Some(words) => words
                .iter()
                .map(|clause| clause.iter().map(|part| Weighted::new(part, searcher, scoring)).collect())
                .collect::<tantivy::Result<_>>()?,
        };
        let mut by_score = Top::new(limit + offset);
        let mut by_date = Top::new(limit + offset);
        let mut total = 0u64;
        // Every faceted field, even when nothing matches.
        let mut counts: Vec<Vec<u32>> = vec![Vec::new(); FACETS.len()];
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let ord = ord as u32;
            let alive = cache.alive(segment)?;
            let mut matches = alive.bits.clone();
            for filter in &self.filters {
                let mut either = Bits::empty(segment.max_doc());
                for term in filter {
                    either.unite(&cache.term(segment, term, false)?.bits);
                }
                matches.intersect(&either);
            }
            let mut clauses = Vec::with_capacity(words.len());
            for clause in &words {
                let parts =
                    clause.iter().map(|part| part.in_segment(segment, cache)).collect::<tantivy::Result<Vec<_>>>()?;
                let mut either = Bits::empty(segment.max_doc());
                for part in &parts {
                    either.unite(part.bits());
                }
                matches.intersect(&either);
                clauses.push(parts);
            }
            let columns = if self.has_range() || self.by_date || facets { Some(cache.columns(segment)?) } else { None };
            if let (true, Some(columns)) = (self.has_range(), &columns) {
                matches.retain(|doc| self.in_range(columns.uploaded_at[doc as usize]));
            }
            let found = matches.count();
            total += found;
            if found == 0 {
                continue;
            }
            if let (true, Some(columns)) = (facets, &columns) {
                add_counts(&mut counts, &facet_counts(columns, &alive, &matches, found));
            }
            match (&columns, self.by_date) {
                (Some(columns), true) => matches.for_each(|doc| {
                    by_date.push(columns.uploaded_at[doc as usize], DocAddress::new(ord, doc));
                }),
                _ => rank(&matches, &clauses, ord, &mut by_score),
            }
        }
        let hits = if self.by_date {
            by_date.best().into_iter().map(|(_, address)| (0.0, address)).collect()
        } else {
            by_score.best()
        };
        Ok(Found {
            hits: hits.into_iter().skip(offset).collect(),
            total: total as usize,
            facets: facets.then(|| cache.top_values(&counts)),
        })
    }
}

/// A clause as a tantivy query: the union of its parts (scores added), nothing without parts.
fn clause_query(clause: &[Part]) -> Box<dyn Query> {
    let parts: Vec<Box<dyn Query>> = clause
        .iter()
        .map(|part| match part {
            Part::Term { term, boost } => {
                Box::new(BoostQuery::new(Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)), *boost))
                    as Box<dyn Query>
            }
            Part::Constant(query) => query.box_clone(),
        })
        .collect();
    match parts.len() {
        0 => Box::new(EmptyQuery),
        1 => parts.into_iter().next().expect("one part"),
        _ => Box::new(BooleanQuery::new(parts.into_iter().map(|q| (Occur::Should, q)).collect())),
    }
}

/// A part with its weight for this searcher (BM25 statistics over every segment).
enum Weighted {
    Term { term: Term, bm25: Box<Bm25Weight> },
    Constant(Box<dyn Weight>),
}

impl Weighted {
    fn new(part: &Part, searcher: &Searcher, scoring: EnableScoring) -> tantivy::Result<Weighted> {
        Ok(match part {
            Part::Term { term, boost } => {
                let bm25 = Bm25Weight::for_terms(searcher, std::slice::from_ref(term))?.boost_by(*boost);
                Weighted::Term { term: term.clone(), bm25: Box::new(bm25) }
            }
            Part::Constant(query) => Weighted::Constant(query.weight(scoring)?),
        })
    }

    fn in_segment<'a>(&'a self, segment: &SegmentReader, cache: &SegmentCache) -> tantivy::Result<InSegment<'a>> {
        Ok(match self {
            Weighted::Term { term, bm25 } => InSegment::Term {
                docs: cache.term(segment, term, true)?,
                // As tantivy's term scorer: a field without lengths counts one word per document.
                norms: segment
                    .fieldnorms_readers()
                    .get_field(term.field())?
                    .unwrap_or_else(|| FieldNormReader::constant(segment.max_doc(), 1)),
                bm25,
            },
            Weighted::Constant(weight) => {
                let mut bits = Bits::empty(segment.max_doc());
                let mut scorer = weight.scorer(segment, 1.0)?;
                let mut score: Score = 0.0;
                let mut doc = scorer.doc();
                while doc != TERMINATED {
                    bits.insert(doc);
                    score = score.max(scorer.score());
                    doc = scorer.advance();
                }
                InSegment::Constant { bits, score }
            }
        })
    }
}

/// A part in one segment.
enum InSegment<'a> {
    Term { docs: Arc<super::cache::TermDocs>, norms: FieldNormReader, bm25: &'a Bm25Weight },
    Constant { bits: Bits, score: Score },
}

impl InSegment<'_> {
    fn bits(&self) -> &Bits {
        match self {
            InSegment::Term { docs, .. } => &docs.bits,
            InSegment::Constant { bits, .. } => bits,
        }
    }

    /// The best score this part can give a document of the `at`-th word among `matches`.
    fn bound(&self, at: usize, matches: u64) -> Score {
        if self.bits().word(at) & matches == 0 {
            return 0.0;
        }
        match self {
            InSegment::Term { docs, bm25, .. } => {
                let (freq, norm) = docs.block_max[at];
                // 255 stands for "255 or more": bound it by tantivy's own highest frequency.
                let freq = if freq == u8::MAX { 2_013_265_944 } else { u32::from(freq) };
                bm25.score(norm, freq)
            }
            InSegment::Constant { score, .. } => *score,
        }
    }

    fn score(&self, doc: DocId) -> Score {
        match self {
            InSegment::Term { docs, norms, bm25 } => match docs.freq(doc) {
                0 => 0.0,
                freq => bm25.score(norms.fieldnorm_id(doc), freq),
            },
            InSegment::Constant { bits, score } => {
                if bits.contains(doc) {
                    *score
                } else {
                    0.0
                }
            }
        }
    }
}

/// Offers the matches of a segment to the top by relevance, 64 documents at a time, those whose
/// best possible score is highest first: once a group's best possible score cannot enter the top,
/// neither can any group after it. Within a group, a document's best possible score counts only
/// the parts it has: a document without the title's word is not scored when the title is what
/// puts the others in the top. Without words every document scores 1 (as tantivy's `AllQuery`):
/// the earliest are kept.
///
/// A bound is never below a real score: both are the same sums, in the same order, of the same
/// BM25 terms, and a term's score grows with its frequency and falls with its field length,
/// rounding included (tested). A score equal to the worst kept one enters only when its document
/// comes earlier.
fn rank(matches: &Bits, clauses: &[Vec<InSegment>], ord: u32, top: &mut Top<Score>) {
    let words = matches.as_words().iter().enumerate().filter(|(_, word)| **word != 0);
    if clauses.is_empty() {
        for (at, &word) in words {
            if top.worst().is_some() {
                return;
            }
            each_in_word(at, word, |doc| top.push(1.0, DocAddress::new(ord, doc)));
        }
        return;
    }
    // Groups by best possible score, highest first (a heap: most searches stop after a few).
    // A non-negative float's bits order as the float does.
    let key = |bound: Score| if bound > 0.0 { bound.to_bits() } else { 0 };
    let mut groups: BinaryHeap<(u32, usize)> = words
        .map(|(at, &word)| {
            let bound = total(clauses, |part| part.bound(at, word));
            (key(bound), at)
        })
        .collect();
    // Whether a document of `address` whose best possible score is `bound` can enter the top.
    let may_enter = |top: &Top<Score>, bound: Score, address: DocAddress| match top.worst_entry() {
        Some((worst, worst_address)) => bound > worst || (bound == worst && address < worst_address),
        None => true,
    };
    // Per part of the group: its documents there and its best score there, largest first.
    let mut parts: Vec<(u64, Score)> = Vec::new();
    while let Some((bound, at)) = groups.pop() {
        let bound = Score::from_bits(bound);
        if top.worst().is_some_and(|worst| bound < worst) {
            break;
        }
        if !may_enter(top, bound, DocAddress::new(ord, at as u32 * 64)) {
            continue;
        }
        let word = matches.word(at);
        parts.clear();
        parts.extend(clauses.iter().flatten().map(|part| (part.bits().word(at) & word, part.bound(at, word))));
        parts.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
        let candidates = match top.worst() {
            Some(worst) => candidates(word, &parts, worst),
            None => word,
        };
        each_in_word(at, candidates, |doc| {
            let bit = 1u64 << (doc % 64);
            let bound = total(clauses, |part| if part.bits().word(at) & bit != 0 { part.bound(at, word) } else { 0.0 });
            let address = DocAddress::new(ord, doc);
            if may_enter(top, bound, address) {
                top.push(total(clauses, |part| part.score(doc)), address);
            }
        });
    }
}

/// The documents of a group that may reach `worst`: those with at least one of the parts
/// without which the others cannot add up to it (`parts`: each part's documents in the group and
/// best score there, largest first). A little margin for rounding: this only spares documents
/// their exact bound.
fn candidates(word: u64, parts: &[(u64, Score)], worst: Score) -> u64 {
    let mut any = 0;
    for (at, (docs, _)) in parts.iter().enumerate() {
        let rest: Score = parts[at..].iter().map(|(_, bound)| bound).sum();
        if rest * 1.000_01 < worst {
            return any;
        }
        any |= docs;
    }
    word
}

/// A document's score, or a bound of it, as tantivy adds its parts up: per clause, then over the
/// clauses, in their order (the same order for bounds and scores, so that rounding cannot put a
/// bound below its score).
fn total(clauses: &[Vec<InSegment>], value: impl Fn(&InSegment) -> Score) -> Score {
    clauses.iter().map(|parts| parts.iter().map(&value).sum::<Score>()).sum()
}

/// Per faceted field, the matches' count per value number: common bits with each value's
/// documents for a field of few values; otherwise counted document by document, or, when the
/// matches are most of the live documents, as the live documents' counts less the non-matches'.
fn facet_counts(columns: &Columns, alive: &Alive, matches: &Bits, found: u64) -> Vec<Vec<u32>> {
    let mut counts = columns.no_counts();
    let dense = found * 2 > alive.count;
    let others = if dense { alive.bits.minus(matches) } else { Bits::empty(0) };
    for (field, counts) in counts.iter_mut().enumerate() {
        let numbers = &columns.facets[field];
        match &columns.by_value[field] {
            Some(values) => {
                for (number, docs) in values {
                    counts[*number as usize] = matches.count_common(docs) as u32;
                }
            }
            None if dense => {
                counts.iter_mut().zip(&alive.facet_counts[field]).for_each(|(count, all)| *count = *all);
                others.for_each(|doc| {
                    if let Some(count) = counts.get_mut(numbers[doc as usize] as usize) {
                        *count = count.saturating_sub(1);
                    }
                });
            }
            None => matches.for_each(|doc| {
                if let Some(count) = counts.get_mut(numbers[doc as usize] as usize) {
                    *count += 1;
                }
            }),
        }
    }
    counts
}

#[cfg(test)]
mod tests;
