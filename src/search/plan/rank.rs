//! Relevance ranking of one segment's matches: groups of 64 documents by best possible score,
//! then, within a group, the documents whose own best possible score may enter the top (see `rank`).

use std::borrow::Cow;
use std::cmp::Reverse;
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
/// neither can any group after it. Within a group, only the documents whose own best possible
/// score (the parts they have) reaches the worst kept score are scored (`reaching`). Once no
/// document without some part can reach it (the other parts' best scores fall short), only the
/// matches with that part are left to rank: two words found in every piece, whose titles decide
/// the top, no longer mean bounding every piece that has either title. Without words every
/// document scores 1 (as tantivy's `AllQuery`): the earliest are kept.
///
/// A bound is never below a real score: both are sums of the same BM25 terms, and a term's score
/// grows with its frequency and falls with its field length, rounding included (tested). Sums in
/// another order than the scores' are compared with a margin for rounding (`MARGIN`).
pub(super) fn rank(matches: &Bits, clauses: &[Vec<InSegment>], ord: u32, top: &mut Top<Score>) {
    if clauses.is_empty() {
        for (at, &word) in matches.as_words().iter().enumerate().filter(|(_, word)| **word != 0) {
            if top.worst().is_some() {
                return;
            }
            each_in_word(at, word, |doc| top.push(1.0, DocAddress::new(ord, doc)));
        }
        return;
    }
    let parts: Vec<&InSegment> = clauses.iter().flatten().collect();
    // Each part's best score among the matches: what a document without it misses at most.
    let mut best = vec![0.0; parts.len()];
    let mut groups = bounded_groups(matches, clauses, &[], Some(&mut best));
    let mut required = vec![false; parts.len()];
    let mut checked: Score = 0.0;
    // The matches left to rank.
    let mut within = Cow::Borrowed(matches);
    let mut done = Vec::new();
    while let Some((bound, Reverse(at))) = groups.pop() {
        let worst = top.worst_entry();
        // Groups come by bound, then in document order: a document that ties with the worst
        // kept one enters only when it comes earlier.
        if let Some((worst, address)) = worst {
            let bound = Score::from_bits(bound);
            if bound < worst || (bound == worst && DocAddress::new(ord, at as u32 * 64) > address) {
                break;
            }
        }
        let worst = worst.map(|(worst, _)| worst);
        // A higher worst kept score may make more parts necessary: then only the matches with
        // them are left to rank (afresh, but the groups done, when that leaves much fewer).
        if let Some(worst) = worst.filter(|worst| *worst > checked) {
            checked = worst;
            if needs_more(&best, &mut required, worst) {
                within = Cow::Owned(with_all(matches, &parts, &required));
                if within.as_words().iter().filter(|word| **word != 0).count() * 2 < groups.len() {
                    done.sort_unstable();
                    groups = bounded_groups(&within, clauses, &done, None);
                    continue;
                }
            }
        }
        let word = within.word(at);
        done.push(at);
        let candidates = match worst {
            Some(worst) => candidates(&parts, at, word, worst),
            None => word,
        };
        each_in_word(at, candidates, |doc| top.push(total(clauses, |part| part.score(doc)), DocAddress::new(ord, doc)));
    }
}

/// The matches that have every `required` part.
fn with_all(matches: &Bits, parts: &[&InSegment], required: &[bool]) -> Bits {
    let mut left = matches.clone();
    for (part, _) in parts.iter().zip(required).filter(|(_, required)| **required) {
        left.intersect(part.bits());
    }
    left
}

/// The documents of the `at`-th group (`word`: its matches) whose parts' bounds may reach `worst`.
fn candidates(parts: &[&InSegment], at: usize, word: u64, worst: Score) -> u64 {
    let mut group: Vec<(u64, Score)> =
        parts.iter().map(|part| (part.bits().word(at) & word, part.bound(at, word))).collect();
    group.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
    reaching(&group, word, 0.0, worst * (1.0 - MARGIN))
}

/// Relative margin between sums of the same bounds added in different orders (a float's
/// rounding is 6e-8 of it per addition: ample for a hundred parts).
const MARGIN: Score = 1e-5;

/// The groups of 64 documents of `matches` with a match, but `done` (sorted), by their best
/// possible score (highest first: a non-negative float's bits order as the float does), then in
/// document order. `best`: also each part's highest bound over them.
fn bounded_groups(
    matches: &Bits,
    clauses: &[Vec<InSegment>],
    done: &[usize],
    mut best: Option<&mut [Score]>,
) -> BinaryHeap<(u32, Reverse<usize>)> {
    let key = |bound: Score| if bound > 0.0 { bound.to_bits() } else { 0 };
    let words =
        matches.as_words().iter().enumerate().filter(|(at, word)| **word != 0 && done.binary_search(at).is_err());
    words
        .map(|(at, &word)| {
            if let Some(best) = best.as_deref_mut() {
                for (best, part) in best.iter_mut().zip(clauses.iter().flatten()) {
                    *best = best.max(part.bound(at, word));
                }
            }
            (key(total(clauses, |part| part.bound(at, word))), Reverse(at))
        })
        .collect()
}

/// Marks the parts that a document must have to reach `worst` (the others' best scores add up to
/// less); true when a part was newly marked.
fn needs_more(best: &[Score], required: &mut [bool], worst: Score) -> bool {
    let mut more = false;
    for (part, required) in required.iter_mut().enumerate() {
        let others: Score = best.iter().enumerate().filter(|(other, _)| *other != part).map(|(_, best)| best).sum();
        if !*required && others * (1.0 + MARGIN) < worst {
            *required = true;
            more = true;
        }
    }
    more
}

/// The documents of `docs` whose parts' bounds add up to at least `threshold` with `sum` (`parts`:
/// each part's documents in the group and its bound there, largest first). Each call splits the
/// documents by the first part, those with it and those without: a branch without documents
/// ends at once, so there are at most as many branches as documents.
fn reaching(parts: &[(u64, Score)], docs: u64, sum: Score, threshold: Score) -> u64 {
    if docs == 0 || sum + parts.iter().map(|(_, bound)| bound).sum::<Score>() < threshold {
        return 0;
    }
    match parts.split_first() {
        _ if sum >= threshold => docs,
        None => 0,
        Some((&(with, bound), others)) => {
            reaching(others, docs & with, sum + bound, threshold) | reaching(others, docs & !with, sum, threshold)
        }
    }
}

/// A document's score, or a bound of it, as tantivy adds its parts up: per clause, then over the
/// clauses, in their order (the same order for bounds and scores, so that rounding cannot put a
/// bound below its score).
fn total(clauses: &[Vec<InSegment>], value: impl Fn(&InSegment) -> Score) -> Score {
    clauses.iter().map(|parts| parts.iter().map(&value).sum::<Score>()).sum()
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// `reaching` keeps exactly the documents whose parts' bounds add up to the threshold, as
    /// adding them up document by document does.
    #[test]
    fn the_documents_reaching_a_score_are_those_whose_parts_add_up_to_it() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..2_000 {
            let mut parts: Vec<(u64, Score)> = (0..rng.random_range(1..7))
                .map(|_| (rng.random::<u64>() & rng.random::<u64>(), rng.random_range(0.0..4.0)))
                .collect();
            parts.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
            let docs: u64 = rng.random();
            let threshold = rng.random_range(0.0..8.0);
            let mut expected = 0;
            for doc in 0..64 {
                let bit = 1u64 << doc;
                let sum: Score = parts.iter().filter(|(with, _)| with & bit != 0).map(|(_, bound)| bound).sum();
                if docs & bit != 0 && sum >= threshold {
                    expected |= bit;
                }
            }
            // Sums in another order may differ in their last bit: compare away from the threshold.
            let near = (0..64).filter(|doc| {
                let sum: Score = parts.iter().filter(|(with, _)| with & (1 << doc) != 0).map(|(_, b)| b).sum();
                (sum - threshold).abs() < 1e-4
            });
            let unsure = near.fold(0u64, |unsure, doc| unsure | (1 << doc));
            assert_eq!(reaching(&parts, docs, 0.0, threshold) & !unsure, expected & !unsure, "{parts:?} {threshold}");
        }
    }
}
