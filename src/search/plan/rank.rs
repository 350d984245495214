//! Relevance ranking of one segment's matches: groups of 64 documents by best possible score,
//! then documents one by one within a group (see `rank`).

use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::Bm25Weight;
use tantivy::{DocAddress, DocId, Score};

use crate::search::bits::{each_in_word, Bits};
use crate::search::cache::TermDocs;
use crate::search::top::Top;

/// A part in one segment.
pub(super) enum InSegment<'a> {
    Term { docs: Arc<TermDocs>, norms: FieldNormReader, bm25: &'a Bm25Weight },
    Constant { bits: Bits, score: Score },
}

impl InSegment<'_> {
    pub(super) fn bits(&self) -> &Bits {
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
pub(super) fn rank(matches: &Bits, clauses: &[Vec<InSegment>], ord: u32, top: &mut Top<Score>) {
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
