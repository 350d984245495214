//! The four searches the benchmark times, and their random parameters: (a) two words of one
//! document, (b) the same with its SIRET and a two-year upload range, (c) two words with snippets,
//! (d) a kind and a state alone.

use rand::rngs::StdRng;
use rand::Rng;

use super::corpus::Doc;
use crate::search::query::SearchParams;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Case {
    TwoWords,
    Filtered,
    Snippets,
    Count,
}

impl Case {
    pub(super) fn label(self) -> &'static str {
        match self {
            Case::TwoWords => "(a) two words",
            Case::Filtered => "(b) two words + SIRET + date range",
            Case::Snippets => "(c) top 20 by relevance, with snippets",
            Case::Count => "(d) filter-only count (kind + state)",
        }
    }
}

/// One run's parameters.
#[derive(Clone)]
pub(super) struct Params {
    pub(super) words: [String; 2],
    pub(super) siret: Option<String>,
    pub(super) range: Option<(i64, i64)>,
    pub(super) kind: &'static str,
    pub(super) state: &'static str,
}

pub(super) fn cases(docs: &[Doc], runs: usize, rng: &mut StdRng) -> Vec<(Case, Vec<Params>)> {
    // Two words of the same document, so that queries match something.
    let pick = |rng: &mut StdRng, filtered: bool| {
        let doc = &docs[rng.random_range(0..docs.len())];
        let words: Vec<&str> = doc.body.split_whitespace().collect();
        let a = words[rng.random_range(0..words.len())].to_string();
        let b = words[rng.random_range(0..words.len())].to_string();
        let year = 365 * 24 * 3600;
        Params {
            words: [a, b],
            siret: filtered.then(|| doc.siret.clone()),
            range: filtered.then(|| (doc.uploaded_at - year, doc.uploaded_at + year)),
            kind: doc.kind,
            state: doc.state,
        }
    };
    [Case::TwoWords, Case::Filtered, Case::Snippets, Case::Count]
        .into_iter()
        .map(|case| (case, (0..runs).map(|_| pick(rng, case == Case::Filtered)).collect()))
        .collect()
}

/// The search request of a case, as a user of the API sends it.
pub(super) fn search_params(case: Case, p: &Params) -> SearchParams {
    let day = |at: i64| time::OffsetDateTime::from_unix_timestamp(at).map(|t| t.date().to_string()).unwrap_or_default();
    let words = Some(format!("{} {}", p.words[0], p.words[1]));
    match case {
        Case::TwoWords => SearchParams { q: words, limit: Some(10), snippets: Some(false), ..Default::default() },
        Case::Filtered => SearchParams {
            q: words,
            siret: p.siret.clone(),
            from: p.range.map(|r| day(r.0)),
            to: p.range.map(|r| day(r.1)),
            limit: Some(10),
            snippets: Some(false),
            ..Default::default()
        },
        Case::Snippets => SearchParams { q: words, limit: Some(20), ..Default::default() },
        Case::Count => SearchParams {
            kind: Some(p.kind.to_string()),
            state: Some(p.state.to_string()),
            limit: Some(10),
            ..Default::default()
        },
    }
}
