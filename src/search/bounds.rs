//! The bounds of a search's words, checked before anything parses them. tantivy's query parser
//! recurses once per parenthesis (5,000 of them overflowed a worker's stack and aborted the
//! process) and backtracks at each level (its time doubles with every level: 5 s at depth 22);
//! each word becomes a clause per searched field and, from five letters, an automaton for its
//! typing errors (5,000 words held 200–490 MB). A person's search is a few words: these bounds
//! are far above what one types and far below what costs. The parser also panics on some inputs
//! (`- *)`, a field-less "exists" leaf): [`parse`] refuses it as unreadable.

use tantivy::query::{Query, QueryParser};

/// The most characters of `q`.
pub const MAX_CHARS: usize = 500;
/// The most words of `q` once analysed (stop words such as « le », « de » do not count).
pub const MAX_WORDS: usize = 32;
/// The most parentheses open at once.
pub const MAX_DEPTH: usize = 4;

/// Why `q` is refused (a 400 naming `q`, see `routes`). This file depends on nothing of the
/// service but the analysis, so that the fuzz target `query` runs it as it is.
#[derive(Debug)]
pub enum Refused {
    TooLong(usize),
    TooDeep(usize),
    TooManyWords(usize),
    /// A range or a set (`[a TO z]`, `{…}`, `IN […]`): over text fields they walk the whole
    /// dictionary of terms, at a cost that grows with the index, not with the query.
    Range,
    /// The parser's own message, or that it panicked.
    Unreadable(String),
}

impl Refused {
    pub fn code(&self) -> &'static str {
        match self {
            Refused::TooLong(_) => "query_too_long",
            Refused::TooDeep(_) => "query_too_deep",
            Refused::TooManyWords(_) => "query_too_many_words",
            Refused::Range => "query_range",
            Refused::Unreadable(_) => "invalid_query",
        }
    }

    /// The English and French sentences.
    pub fn sentences(&self) -> (String, String) {
        match self {
            Refused::TooLong(count) => (
                format!("A search has at most {MAX_CHARS} characters (this one has {count})."),
                format!("Une recherche compte au plus {MAX_CHARS} caractères (celle-ci en compte {count})."),
            ),
            Refused::TooDeep(depth) => (
                format!("A search nests at most {MAX_DEPTH} levels of parentheses (this one {depth})."),
                format!("Une recherche imbrique au plus {MAX_DEPTH} niveaux de parenthèses (celle-ci {depth})."),
            ),
            Refused::TooManyWords(words) => (
                format!("A search has at most {MAX_WORDS} words (this one has {words})."),
                format!("Une recherche compte au plus {MAX_WORDS} mots (celle-ci en compte {words})."),
            ),
            Refused::Range => (
                "Ranges and sets ([…], {…}) are not searched: filter the dates with from and to.".into(),
                "Les intervalles et ensembles ([…], {…}) ne sont pas cherchés : filtrez les dates avec from et to."
                    .into(),
            ),
            Refused::Unreadable(why) => {
                (format!("The query cannot be read: {why}."), format!("La recherche ne peut pas être lue : {why}."))
            }
        }
    }
}

/// Checks `q` against the bounds.
pub fn check(q: &str) -> Result<(), Refused> {
    let count = q.chars().count();
    if count > MAX_CHARS {
        return Err(Refused::TooLong(count));
    }
    if q.contains(['[', ']', '{', '}']) {
        return Err(Refused::Range);
    }
    let depth = depth(q);
    if depth > MAX_DEPTH {
        return Err(Refused::TooDeep(depth));
    }
    let words = super::analysis::terms(q).len();
    if words > MAX_WORDS {
        return Err(Refused::TooManyWords(words));
    }
    Ok(())
}

/// Has the panics of tantivy's query grammar logged in one line rather than by the default hook,
/// which, with `RUST_BACKTRACE` set, takes 0.6 s to resolve a backtrace: a query known to panic,
/// sent again and again, would cost that each time. Other panics keep the default hook. Once per
/// process.
pub fn quiet_parser_panics() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.location().is_some_and(|at| at.file().contains("tantivy-query-grammar")) {
                tracing::warn!(at = ?info.location(), "the query parser panicked");
            } else {
                default(info);
            }
        }));
    });
}

/// `q`, checked against the bounds, parsed by `parser`; refused when it cannot be read, whether
/// the parser says so or panics.
pub fn parse(parser: &QueryParser, q: &str) -> Result<Box<dyn Query>, Refused> {
    check(q)?;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse_query(q))) {
        Ok(Ok(query)) => Ok(query),
        Ok(Err(error)) => Err(Refused::Unreadable(error.to_string())),
        Err(_panic) => {
            // Not the words themselves: they may name people, and may hold line breaks.
            tracing::warn!(chars = q.chars().count(), "the query parser panicked");
            Err(Refused::Unreadable("unexpected syntax".into()))
        }
    }
}

/// The most parentheses open at once (a `)` without its `(` closes nothing).
fn depth(q: &str) -> usize {
    let (mut open, mut most) = (0usize, 0usize);
    for c in q.chars() {
        match c {
            '(' => {
                open += 1;
                most = most.max(open);
            }
            ')' => open = open.saturating_sub(1),
            _ => {}
        }
    }
    most
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attacks_of_the_review_are_refused_before_parsing() {
        let nested = format!("{}a{}", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(check(&nested).unwrap_err().code(), "query_too_long");
        let deep = format!("{}a{}", "(".repeat(22), ")".repeat(22));
        assert_eq!(check(&deep).unwrap_err().code(), "query_too_deep");
        let unbalanced = format!("{}a", "(".repeat(5));
        assert_eq!(check(&unbalanced).unwrap_err().code(), "query_too_deep");
        let words = (0..40).map(|i| format!("mot{i}")).collect::<Vec<_>>().join(" ");
        assert_eq!(check(&words).unwrap_err().code(), "query_too_many_words");
        // One "word" that the analysis cuts into many.
        assert_eq!(check("title:[a TO z]").unwrap_err().code(), "query_range");
        assert_eq!(check("kind: IN {a b}").unwrap_err().code(), "query_range");
        let glued = (0..40).map(|i| format!("x{i}")).collect::<Vec<_>>().join(".");
        assert_eq!(check(&glued).unwrap_err().code(), "query_too_many_words");
    }

    #[test]
    fn what_people_type_passes() {
        for q in [
            "convention de formation",
            "\"feuille d'émargement\" -brouillon",
            "(facture OR devis) AND (signé OR signée)",
            "((a OR b) AND (c OR (d AND (e OR f))))",
            "title:programme sécurité incendie",
        ] {
            assert!(check(q).is_ok(), "{q}");
        }
        let stop_words = "le la les de des du un une et ou ".repeat(10);
        assert!(check(&stop_words).is_ok(), "stop words do not count");
    }

    #[test]
    fn a_query_the_parser_panics_on_is_a_400() {
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = crate::search::SearchIndex::open(dir.path()).unwrap();
        let parser = QueryParser::for_index(&index.index, vec![index.fields.text]);
        quiet_parser_panics();
        let Err(refused) = parse(&parser, "- *)") else { panic!("accepted") };
        assert_eq!(refused.code(), "invalid_query");
        assert!(parse(&parser, "convention -devis").is_ok());
    }

    /// Within the bounds, tantivy's parser neither overflows nor blows up, whatever the mix of
    /// its syntax: 3,000 random queries of the worst shapes (nesting to the bound, operators,
    /// ranges, phrases, fields), none parsed in more than a second (they take microseconds; a
    /// blow-up takes seconds to minutes).
    #[test]
    fn queries_within_the_bounds_parse_quickly() {
        quiet_parser_panics();
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = crate::search::SearchIndex::open(dir.path()).unwrap();
        let f = index.fields;
        let mut parser = tantivy::query::QueryParser::for_index(&index.index, vec![f.title, f.text, f.comment]);
        parser.set_conjunction_by_default();
        let pieces = [
            "(", "(", "(", ")", ")", "\"", "-", "+", ":", "[", "]", "{", "}", "^2", "~1", "*", " ", " ", " ", "a", "b",
            "AND", "OR", "NOT", "IN", "TO", "title:", "text:", "12", "é", "\\", "'", "*",
        ];
        let mut random = StdRng::seed_from_u64(15);
        let mut slowest = std::time::Duration::ZERO;
        let mut tried = 0;
        while tried < 3000 {
            let length = random.random_range(1..200);
            let q: String = (0..length).map(|_| pieces[random.random_range(0..pieces.len())]).collect();
            if check(&q).is_err() {
                continue;
            }
            tried += 1;
            let started = std::time::Instant::now();
            let _ = parse(&parser, &q);
            slowest = slowest.max(started.elapsed());
            assert!(started.elapsed() < std::time::Duration::from_secs(1), "{q:?} took {:?}", started.elapsed());
        }
        let shapes = [
            format!("{}a", "-".repeat(499)),
            format!("{}a", "+-".repeat(249)),
            format!("{}a", "NOT ".repeat(124)),
            "\"".repeat(500),
            "a^".repeat(250),
            "((((a OR b) AND c) OR d) AND e) ".repeat(15),
            format!("(((( a{}", ")".repeat(494)),
            "title:".repeat(83),
            "[a TO b] ".repeat(55),
            "a IN [".repeat(83),
        ];
        for q in shapes {
            let q: String = q.chars().take(MAX_CHARS).collect();
            if check(&q).is_err() {
                continue; // refused before parsing: safe
            }
            let started = std::time::Instant::now();
            let _ = parse(&parser, &q);
            assert!(started.elapsed() < std::time::Duration::from_secs(1), "{q:?} took {:?}", started.elapsed());
        }
        eprintln!("slowest parse of {tried} random queries within the bounds: {slowest:?}");
    }
}
