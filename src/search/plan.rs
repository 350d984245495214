//! Plain searches — words, keyword filters, an upload date range; by relevance or by date — run
//! segment by segment over bitsets rather than tantivy's document-at-a-time scorers:
//! - every clause and filter is a bitset (frequent terms' are kept in memory, `cache`), and the
//!   matches are their intersection: the total is a count of bits;
//! - facets count the matches, or, when they are most of the live documents, the non-matches,
//!   taken away from the live documents' counts;
//! - relevance ranking skips every 64 documents whose best possible score (each term's highest
//!   frequency and shortest field there) cannot enter the top, and, once a term is one that every
//!   document that may still enter must have, every match without it: two common words no longer
//!   mean scoring every document that has both.
//!
//! Scores are tantivy's BM25, computed with the same weights, so that a plan finds what its
//! tantivy query (`Plan::query`) finds, in the same order (tested).

use std::ops::{Bound, RangeBounds};

use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::{
    AllQuery, Bm25Weight, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur, Query,
    RangeQuery, TermQuery, TermSetQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DateTime, DocAddress, DocSet, Score, Searcher, SegmentReader, Term, TERMINATED};

use super::bits::Bits;
use super::cache::{add_counts, Alive, Columns, SegmentCache, Statistics, FACETS};
use super::facets::FacetCounts;
use super::top::Top;
use rank::{rank, InSegment};

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
        let statistics = Statistics { searcher, cache };
        let words: Vec<Vec<Weighted>> = match &self.words {
            None => Vec::new(),
            Some(words) => words
                .iter()
                .map(|clause| clause.iter().map(|part| Weighted::new(part, &statistics, scoring)).collect())
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
    fn new(part: &Part, statistics: &Statistics, scoring: EnableScoring) -> tantivy::Result<Weighted> {
        Ok(match part {
            Part::Term { term, boost } => {
                let bm25 = Bm25Weight::for_terms(statistics, std::slice::from_ref(term))?.boost_by(*boost);
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

mod rank;
#[cfg(test)]
mod tests;
