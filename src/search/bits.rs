//! A set of a segment's documents as a bitset: 64 documents per word, so that intersecting two
//! sets of 200,000 documents is a few thousand word operations.

use tantivy::DocId;

#[derive(Clone, Debug, PartialEq)]
pub struct Bits(Vec<u64>);

impl Bits {
    /// No document of a segment of `max_doc` documents.
    pub fn empty(max_doc: DocId) -> Bits {
        Bits(vec![0; (max_doc as usize).div_ceil(64)])
    }

    pub fn words(&self) -> usize {
        self.0.len()
    }

    pub fn as_words(&self) -> &[u64] {
        &self.0
    }

    pub fn word(&self, at: usize) -> u64 {
        self.0[at]
    }

    pub fn insert(&mut self, doc: DocId) {
        self.0[doc as usize / 64] |= 1 << (doc % 64);
    }

    pub fn remove(&mut self, doc: DocId) {
        self.0[doc as usize / 64] &= !(1 << (doc % 64));
    }

    pub fn contains(&self, doc: DocId) -> bool {
        self.0.get(doc as usize / 64).is_some_and(|word| word & (1 << (doc % 64)) != 0)
    }

    pub fn count(&self) -> u64 {
        self.0.iter().map(|word| u64::from(word.count_ones())).sum()
    }

    /// How many documents are in both.
    pub fn count_common(&self, other: &Bits) -> u64 {
        self.0.iter().zip(&other.0).map(|(a, b)| u64::from((a & b).count_ones())).sum()
    }

    pub fn intersect(&mut self, other: &Bits) {
        for (word, other) in self.0.iter_mut().zip(&other.0) {
            *word &= other;
        }
    }

    pub fn unite(&mut self, other: &Bits) {
        for (word, other) in self.0.iter_mut().zip(&other.0) {
            *word |= other;
        }
    }

    /// The documents of `self` not in `other`.
    pub fn minus(&self, other: &Bits) -> Bits {
        Bits(self.0.iter().zip(&other.0).map(|(word, other)| word & !other).collect())
    }

    /// Keeps the documents for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(DocId) -> bool) {
        for (at, word) in self.0.iter_mut().enumerate() {
            let mut dropped = 0;
            each_in_word(at, *word, |doc| {
                if !keep(doc) {
                    dropped |= 1 << (doc % 64);
                }
            });
            *word &= !dropped;
        }
    }

    /// Calls `f` with each document, in increasing order.
    pub fn for_each(&self, mut f: impl FnMut(DocId)) {
        for (at, word) in self.0.iter().enumerate() {
            each_in_word(at, *word, &mut f);
        }
    }
}

/// Calls `f` with each document of the `at`-th word whose bit is set in `word`, in increasing order.
#[inline]
pub fn each_in_word(at: usize, mut word: u64, mut f: impl FnMut(DocId)) {
    let base = (at * 64) as DocId;
    while word != 0 {
        f(base + word.trailing_zeros());
        word &= word - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_agree_with_plain_sets() {
        let (mut a, mut b) = (Bits::empty(200), Bits::empty(200));
        let in_a: Vec<DocId> = (0..200).filter(|d| d % 3 == 0).collect();
        let in_b: Vec<DocId> = (0..200).filter(|d| d % 5 == 0 || *d == 199).collect();
        in_a.iter().for_each(|d| a.insert(*d));
        in_b.iter().for_each(|d| b.insert(*d));
        let listed = |bits: &Bits| {
            let mut docs = Vec::new();
            bits.for_each(|d| docs.push(d));
            docs
        };
        assert_eq!(listed(&a), in_a);
        assert_eq!(a.minus(&b).count(), in_a.iter().filter(|d| *d % 5 != 0).count() as u64);
        let mut both = a.clone();
        both.intersect(&b);
        assert_eq!(a.count_common(&b), both.count());
        assert_eq!(listed(&both), (0..200).filter(|d| d % 15 == 0).collect::<Vec<_>>());
        let mut either = a.clone();
        either.unite(&b);
        assert_eq!(either.count(), (0..200).filter(|d| d % 3 == 0 || d % 5 == 0 || *d == 199).count() as u64);
        assert!(b.contains(199) && !b.contains(198) && !b.contains(10_000));
        b.remove(199);
        assert!(!b.contains(199));
        b.retain(|d| d >= 100);
        assert_eq!(listed(&b), (100..200).filter(|d| d % 5 == 0).collect::<Vec<_>>());
    }
}
