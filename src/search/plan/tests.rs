//! The plan against tantivy's own collectors, on a random index of several segments with
//! deletions.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tantivy::TantivyDocument;

use super::*;
use crate::search::query::{collect, plain_words};
use crate::search::SearchIndex;

const KINDS: [&str; 3] = ["programme", "facture", "convention"];
const STATES: [&str; 2] = ["draft", "granted"];

/// Made-up words of three syllables, ranked: rank r is drawn with weight 1/r, so that the
/// first are in most documents and the last in few.
fn vocabulary() -> Vec<String> {
    let syllables = ["ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vo"];
    let mut words = Vec::new();
    for a in syllables {
        for b in syllables {
            words.push(format!("{a}{b}{}", syllables[(a.len() * 7 + b.len() * 3 + words.len()) % 13]));
        }
    }
    words.truncate(150);
    words
}

/// Documents over several segments, some replaced (deleted, then added again) and some deleted.
fn index(dir: &std::path::Path) -> (SearchIndex, Vec<String>) {
    let (index, _) = SearchIndex::open(dir).unwrap();
    let f = index.fields;
    let words = vocabulary();
    let weights: Vec<f64> = (1..=words.len()).map(|r| 1.0 / r as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut rng = StdRng::seed_from_u64(42);
    let draw = |rng: &mut StdRng| {
        let mut x = rng.random::<f64>() * total;
        for (word, weight) in words.iter().zip(&weights) {
            x -= weight;
            if x <= 0.0 {
                return word.clone();
            }
        }
        words[0].clone()
    };
    for batch in 0..6 {
        let mut ids = Vec::new();
        let mut entries = Vec::new();
        for n in 0..400 {
            // Every fourth batch also replaces documents of the earlier ones.
            let number = if batch % 4 == 3 && n % 3 == 0 { rng.random_range(0..batch * 400) } else { batch * 400 + n };
            let mut entry = TantivyDocument::default();
            let id = format!("doc-{number}");
            let length = rng.random_range(5..80);
            let body: Vec<String> = (0..length).map(|_| draw(&mut rng)).collect();
            let title = format!("{} {}", KINDS[number % 3], draw(&mut rng));
            let company = format!("{}.001", 1000 + rng.random_range(0..6));
            entry.add_text(f.id, &id);
            entry.add_text(f.company_id, &company);
            entry.add_text(f.company, &company);
            entry.add_text(f.title, &title);
            entry.add_text(f.words, &title);
            entry.add_text(f.text, body.join(" "));
            entry.add_text(f.words, body.join(" "));
            entry.add_text(f.kind, KINDS[number % 3]);
            if number % 7 != 0 {
                entry.add_text(f.state, STATES[rng.random_range(0..2)]);
            }
            entry.add_date(
                f.uploaded_at,
                DateTime::from_timestamp_secs(1_600_000_000 + rng.random_range(0..10_000_000)),
            );
            ids.push(id);
            entries.push(entry);
        }
        index.apply(&ids, entries).unwrap();
    }
    index.apply(&(0..60).map(|n| format!("doc-{}", n * 37)).collect::<Vec<_>>(), Vec::new()).unwrap();
    (index, words)
}

#[test]
fn plans_find_what_their_tantivy_queries_find_in_the_same_order() {
    let dir = tempfile::tempdir().unwrap();
    let (index, words) = index(dir.path());
    let f = index.fields;
    let searcher = index.reader.searcher();
    assert!(searcher.segment_readers().len() > 1);
    assert!(searcher.segment_readers().iter().any(|s| s.num_deleted_docs() > 0));
    let mut rng = StdRng::seed_from_u64(7);
    let mut checked_hits = 0;
    for round in 0..300 {
        // One to three words, common or rare; now and then a rare word with a typing error.
        let mut q: Vec<String> = (0..rng.random_range(1..4))
            .map(|_| words[rng.random_range(0..words.len()) / rng.random_range(1..20)].clone())
            .collect();
        if round % 5 == 0 {
            let mut typo = words[rng.random_range(100..words.len())].clone();
            typo.insert(2, 'e');
            q.push(typo);
        }
        let mut filters = Vec::new();
        if rng.random_bool(0.3) {
            filters.push(vec![Term::from_field_text(f.kind, KINDS[rng.random_range(0..3)])]);
        }
        if rng.random_bool(0.3) {
            filters.push(vec![Term::from_field_text(f.state, STATES[rng.random_range(0..2)])]);
        }
        if rng.random_bool(0.3) {
            let companies = (0..rng.random_range(1..3)).map(|_| format!("{}.001", 1000 + rng.random_range(0..6)));
            filters.push(companies.map(|c| Term::from_field_text(f.company_id, &c)).collect());
        }
        let range = if rng.random_bool(0.3) {
            let from = (1_600_000_000 + rng.random_range(0..5_000_000i64)) * 1_000_000;
            (Bound::Included(from), Bound::Excluded(from + 4_000_000_000_000))
        } else {
            (Bound::Unbounded, Bound::Unbounded)
        };
        let plan = Plan {
            words: (round % 6 != 0).then(|| plain_words(&index, &searcher, &q.join(" "))),
            filters,
            uploaded_at: (f.uploaded_at, range.0, range.1),
            by_date: round % 4 == 0,
        };
        let (limit, offset) = (rng.random_range(1..25), [0, 0, 3, 17][round % 4]);
        let found = plan.run(&searcher, &index.cache, limit, offset, true).unwrap();
        let expected = collect(&searcher, &index.cache, &*plan.query(), plan.by_date, limit, offset, true).unwrap();
        let context = format!("round {round}: {q:?}");
        assert_eq!(found.total, expected.total, "{context}");
        assert_eq!(found.facets, expected.facets, "{context}");
        assert_eq!(found.hits.len(), expected.hits.len(), "{context}");
        let near = |a: Score, b: Score| (a - b).abs() <= 1e-4 * a.abs().max(1.0);
        for (at, ((score, address), (want_score, want_address))) in found.hits.iter().zip(&expected.hits).enumerate() {
            assert!(near(*score, *want_score), "{context}: hit {at} scores {score}, tantivy {want_score}");
            // The same document, unless another hit ties with it (rounding may then swap them).
            let tied = expected.hits.iter().filter(|(other, _)| near(*other, *want_score)).count() > 1;
            assert!(address == want_address || (tied && !plan.by_date), "{context}: hit {at} differs");
        }
        checked_hits += found.hits.len();
    }
    assert!(checked_hits > 1000, "the queries found too little to compare: {checked_hits}");
}

#[test]
fn frequent_terms_are_kept_and_their_frequencies_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let (index, words) = index(dir.path());
    let searcher = index.reader.searcher();
    let segment = &searcher.segment_readers()[0];
    let term = Term::from_field_text(index.fields.text, &crate::search::analysis::terms(&words[0])[0]);
    let docs = index.cache.term(segment, &term, true).unwrap();
    let again = index.cache.term(segment, &term, true).unwrap();
    assert!(Arc::ptr_eq(&docs, &again), "a frequent term is read once");
    let mut postings = segment
        .inverted_index(term.field())
        .unwrap()
        .read_postings(&term, IndexRecordOption::WithFreqs)
        .unwrap()
        .unwrap();
    use tantivy::postings::Postings;
    let mut seen = 0;
    while postings.doc() != TERMINATED {
        assert_eq!(docs.freq(postings.doc()), postings.term_freq());
        seen += 1;
        postings.advance();
    }
    assert_eq!(docs.bits.count(), seen);
    assert!(seen * 2 > u64::from(segment.max_doc()), "the commonest word is in most documents");
}

/// A new segment's commonest words are read when the reader reloads, before any search needs
/// them; the others are left to the searches.
#[test]
fn the_commonest_words_of_a_new_segment_are_read_when_the_reader_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path()).unwrap();
    index.rebuilt();
    let f = index.fields;
    let ids: Vec<String> = (0..20_000).map(|n| format!("doc-{n}")).collect();
    let entries = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            let mut entry = TantivyDocument::default();
            entry.add_text(f.id, id);
            // "formation" in every piece, "convention" in one in ten.
            entry.add_text(f.text, if n % 10 == 0 { "formation convention" } else { "formation" });
            entry
        })
        .collect();
    index.apply(&ids, entries).unwrap();
    let searcher = index.reader.searcher();
    let segment = searcher.segment_readers().iter().max_by_key(|s| s.max_doc()).unwrap();
    assert!(segment.max_doc() >= 10_000);
    let term = |word: &str| Term::from_field_text(f.text, &crate::search::analysis::terms(word)[0]);
    assert!(index.cache.is_kept(segment, &term("formation")), "a word of every piece is read at once");
    assert!(!index.cache.is_kept(segment, &term("convention")), "a word of 1 piece in 10 waits for a search");
}

/// A process that does not index reloads only when another one committed: a reload opens every
/// segment afresh.
#[test]
fn a_follower_reloads_only_after_another_process_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (leader, _) = SearchIndex::open(dir.path()).unwrap();
    let (follower, _) = SearchIndex::open(dir.path()).unwrap();
    let f = leader.fields;
    let mut entry = TantivyDocument::default();
    entry.add_text(f.id, "doc-1");
    leader.apply(&["doc-1".to_string()], vec![entry]).unwrap();
    assert!(follower.reload_if_changed().unwrap(), "a new segment");
    assert_eq!(follower.reader.searcher().num_docs(), 1);
    assert!(!follower.reload_if_changed().unwrap(), "nothing new");
    leader.apply(&["doc-1".to_string()], Vec::new()).unwrap();
    assert!(follower.reload_if_changed().unwrap(), "a deletion");
    assert_eq!(follower.reader.searcher().num_docs(), 0);
}

/// Ranking skips a group when its bound — each term's score at the group's highest frequency and
/// shortest field — is below the worst kept score, with no margin: that is only right if a
/// term's score, as tantivy rounds it, never falls when its frequency grows nor rises when its
/// field grows.
#[test]
fn a_term_score_grows_with_its_frequency_and_falls_with_its_field_length() {
    for (doc_freq, docs) in [(1, 10), (3, 200_000), (150_000, 200_000), (200_000, 200_000), (9_999_999, 10_000_000)] {
        for average in [1.0, 7.5, 150.0, 312.25, 4096.0] {
            for boost in [1.0, 2.0] {
                let bm25 = Bm25Weight::for_one_term(doc_freq, docs, average).boost_by(boost);
                for norm in 0..=255u8 {
                    let mut previous = 0.0;
                    for freq in (1..=300).chain([2_013_265_944]) {
                        let score = bm25.score(norm, freq);
                        assert!(score >= previous, "{doc_freq}/{docs} avg {average} norm {norm} freq {freq}");
                        if norm < 255 {
                            assert!(bm25.score(norm + 1, freq) <= score, "norm {norm} freq {freq}");
                        }
                        previous = score;
                    }
                }
            }
        }
    }
}
