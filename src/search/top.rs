//! The best documents of a search by a key (a score, a date), as tantivy's `TopDocs` keeps them.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::DocAddress;

/// The best `keep` documents by key (higher first; on a tie, the earlier document first, as
/// tantivy's `TopDocs`).
pub struct Top<K> {
    keep: usize,
    heap: BinaryHeap<Ranked<K>>,
}

/// Ordered so that the heap's greatest is the worst kept document.
struct Ranked<K>(K, DocAddress);

impl<K: PartialOrd> Ord for Ranked<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.partial_cmp(&self.0).unwrap_or(Ordering::Equal).then_with(|| self.1.cmp(&other.1))
    }
}
impl<K: PartialOrd> PartialOrd for Ranked<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: PartialOrd> PartialEq for Ranked<K> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<K: PartialOrd> Eq for Ranked<K> {}

impl<K: PartialOrd + Copy> Top<K> {
    pub fn new(keep: usize) -> Top<K> {
        Top { keep, heap: BinaryHeap::with_capacity(keep + 1) }
    }

    /// The worst kept key once the top is full.
    pub fn worst(&self) -> Option<K> {
        if self.heap.len() < self.keep {
            return None;
        }
        self.heap.peek().map(|ranked| ranked.0)
    }

    /// The worst kept key and its document once the top is full.
    pub fn worst_entry(&self) -> Option<(K, DocAddress)> {
        if self.heap.len() < self.keep {
            return None;
        }
        self.heap.peek().map(|ranked| (ranked.0, ranked.1))
    }

    pub fn push(&mut self, key: K, address: DocAddress) {
        let ranked = Ranked(key, address);
        if self.heap.len() < self.keep {
            self.heap.push(ranked);
        } else if self.heap.peek().is_some_and(|worst| ranked < *worst) {
            self.heap.pop();
            self.heap.push(ranked);
        }
    }

    /// Best first.
    pub fn best(self) -> Vec<(K, DocAddress)> {
        self.heap.into_sorted_vec().into_iter().map(|Ranked(key, address)| (key, address)).collect()
    }
}
