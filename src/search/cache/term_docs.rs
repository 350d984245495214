//! A term's documents in one segment as a bitset, with its frequencies and, per 64 documents,
//! what bounds their scores: read once from the postings, then kept by the cache.

use std::collections::HashMap;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, SegmentReader, Term};

use crate::search::bits::Bits;

/// A term's documents in one segment, with what relevance ranking needs.
pub struct TermDocs {
    pub bits: Bits,
    /// Number of documents before each 64-document word of `bits` (to find a document's frequency).
    ranks: Vec<u32>,
    /// The term's frequency in each of its documents, in document order (255: look in `overflow`).
    freqs: Vec<u8>,
    overflow: HashMap<DocId, u32>,
    /// Per 64-document word: the highest frequency (255: 255 or more) and the shortest field
    /// length (as tantivy's one-byte field norm id) among the term's documents there, to bound
    /// their scores.
    pub block_max: Vec<(u8, u8)>,
}

impl TermDocs {
    /// Reads the term's postings a block (128 documents) at a time.
    pub(super) fn read(segment: &SegmentReader, term: &Term, freqs: bool) -> tantivy::Result<TermDocs> {
        let mut docs = TermDocs {
            bits: Bits::empty(segment.max_doc()),
            ranks: Vec::new(),
            freqs: Vec::new(),
            overflow: HashMap::new(),
            block_max: Vec::new(),
        };
        let option = if freqs { IndexRecordOption::WithFreqs } else { IndexRecordOption::Basic };
        let Some(mut postings) = segment.inverted_index(term.field())?.read_block_postings(term, option)? else {
            return Ok(docs);
        };
        let norms = if freqs { segment.fieldnorms_readers().get_field(term.field())? } else { None };
        if freqs {
            docs.block_max = vec![(0, u8::MAX); docs.bits.words()];
            docs.freqs.reserve(postings.doc_freq() as usize);
        }
        while !postings.docs().is_empty() {
            for (at, &doc) in postings.docs().iter().enumerate() {
                docs.bits.insert(doc);
                if freqs {
                    // Without frequencies in the index, every document counts once (as tantivy).
                    let freq = postings.freqs().get(at).copied().unwrap_or(1);
                    let short = u8::try_from(freq).unwrap_or(u8::MAX);
                    if short == u8::MAX {
                        docs.overflow.insert(doc, freq);
                    }
                    docs.freqs.push(short);
                    let norm = norms.as_ref().map_or(FieldNormReader::fieldnorm_to_id(1), |n| n.fieldnorm_id(doc));
                    let block = &mut docs.block_max[doc as usize / 64];
                    *block = (block.0.max(short), block.1.min(norm));
                }
            }
            postings.advance();
        }
        if freqs {
            docs.ranks = ranks(&docs.bits);
        }
        Ok(docs)
    }

    /// The term's frequency in `doc` (0 when absent).
    pub fn freq(&self, doc: DocId) -> u32 {
        if !self.bits.contains(doc) {
            return 0;
        }
        let word = doc as usize / 64;
        let below = self.bits.as_words()[word] & ((1u64 << (doc % 64)) - 1);
        let at = self.ranks[word] as usize + below.count_ones() as usize;
        match self.freqs[at] {
            u8::MAX => self.overflow.get(&doc).copied().unwrap_or(u32::from(u8::MAX)),
            freq => u32::from(freq),
        }
    }

    pub(super) fn bytes(&self) -> usize {
        self.bits.words() * 8
            + self.ranks.len() * 4
            + self.freqs.len()
            + self.block_max.len() * 2
            + self.overflow.len() * 16
    }
}

/// Documents before each word of `bits`.
fn ranks(bits: &Bits) -> Vec<u32> {
    let mut before = 0u32;
    bits.as_words()
        .iter()
        .map(|word| {
            let at = before;
            before += word.count_ones();
            at
        })
        .collect()
}
