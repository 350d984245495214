//! French analysis for the index: words are split, lower-cased, French stop words removed (their
//! list is accented, so before folding), accents folded, the `-ée(s)` ending reduced, then
//! stemmed. Folding before stemming makes a word typed without its accents find the accented one
//! (`remuneree` finds "rémunérée"): the stemmer then sees the same letters either way.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

/// The name the French analyzer is registered under.
pub const FRENCH: &str = "pieces_fr";
/// The name of the analyzer of whole words (folded, not stemmed), for typo tolerance.
pub const WORDS: &str = "pieces_words";

/// Whole words: lower-cased, French stop words out, accents folded; not stemmed, so that a word
/// with a typing error can be compared letter by letter with the words of the pieces.
pub fn words() -> TextAnalyzer {
    let builder =
        TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(40)).filter(LowerCaser);
    match stop_words() {
        Some(stop_words) => builder.filter(stop_words).filter(AsciiFoldingFilter).build(),
        None => builder.filter(AsciiFoldingFilter).build(),
    }
}

/// French stop words, read once: building their set costs more than analysing a query.
fn stop_words() -> Option<StopWordFilter> {
    static STOP_WORDS: LazyLock<Option<StopWordFilter>> = LazyLock::new(|| StopWordFilter::new(Language::French));
    STOP_WORDS.clone()
}

/// The whole words of `text`, as the typo-tolerant field holds them.
pub fn whole_words(text: &str) -> Vec<String> {
    tokens(words(), text)
}

pub fn french() -> TextAnalyzer {
    french_stemming(EachToken(stem, None))
}

/// The French analysis, for highlighting `terms` in a hit's text: the same words, except that a
/// word that cannot be one of `terms` once stemmed is left unstemmed (stemming is most of the
/// cost). The French stemmer only changes a word after its first two letters (its suffix regions
/// start there), so a word whose first two bytes start none of the terms cannot stem to one; nor
/// can it match one unstemmed. Terms shorter than two bytes turn this off.
pub fn french_highlighting<'a>(terms: impl IntoIterator<Item = &'a str>) -> TextAnalyzer {
    let mut starts = Vec::new();
    for term in terms {
        match term.as_bytes() {
            [a, b, ..] => starts.push([*a, *b]),
            _ => return french(),
        }
    }
    french_stemming(EachToken(stem, Some(Arc::new(starts))))
}

/// Words split, lower-cased, stop words out, accents folded, then `stemming`.
fn french_stemming(stemming: EachToken) -> TextAnalyzer {
    let builder =
        TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(40)).filter(LowerCaser);
    match stop_words() {
        Some(stop_words) => builder.filter(stop_words).filter(AsciiFoldingFilter).filter(stemming).build(),
        None => builder.filter(AsciiFoldingFilter).filter(stemming).build(),
    }
}

/// A filter that rewrites each token's text in place with a plain function; with first two
/// bytes, only the tokens that start with one of them.
#[derive(Clone)]
pub struct EachToken(fn(&mut String), Option<Arc<Vec<[u8; 2]>>>);

impl TokenFilter for EachToken {
    type Tokenizer<T: Tokenizer> = EachTokenFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> EachTokenFilter<T> {
        EachTokenFilter(tokenizer, self)
    }
}

#[derive(Clone)]
pub struct EachTokenFilter<T>(T, EachToken);

impl<T: Tokenizer> Tokenizer for EachTokenFilter<T> {
    type TokenStream<'a> = EachTokenStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        EachTokenStream(self.0.token_stream(text), &self.1)
    }
}

pub struct EachTokenStream<'a, T>(T, &'a EachToken);

impl<T: TokenStream> TokenStream for EachTokenStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let EachToken(rewrite, only) = self.1;
        let text = &mut self.0.token_mut().text;
        let wanted = match (only, text.as_bytes()) {
            (None, _) => true,
            (Some(starts), [a, b, ..]) => starts.contains(&[*a, *b]),
            (Some(_), _) => false,
        };
        if wanted {
            rewrite(text);
        }
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// A folded word's stem: its feminine ending reduced, then the French stemmer.
fn stem(text: &mut String) {
    feminine_ending(text);
    french_stemmer(text);
}

/// `financee(s)` → `finance`: once accents are folded, the stemmer no longer sees a past
/// participle's feminine `-ée(s)` and would keep an extra `e` that `financé` does not have.
fn feminine_ending(text: &mut String) {
    if text.len() > 4 {
        if text.ends_with("ees") {
            text.truncate(text.len() - 2);
        } else if text.ends_with("ee") {
            text.truncate(text.len() - 1);
        }
    }
}

/// The French Snowball stemmer (as tantivy's `Stemmer`), with a per-thread memory of the words
/// already stemmed: words repeat a lot (a few thousand make most of any French text), and a
/// look-up costs far less than the stemmer. The memory is emptied when it reaches its bound.
fn french_stemmer(text: &mut String) {
    STEMS.with_borrow_mut(|stems| {
        if let Some(stem) = stems.get(text.as_str()) {
            text.clone_from(stem);
            return;
        }
        let stem = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::French).stem(text).into_owned();
        if stems.len() >= STEMS_KEPT {
            stems.clear();
        }
        stems.insert(std::mem::replace(text, stem.clone()), stem);
    })
}

/// Words remembered per thread before the memory is emptied.
const STEMS_KEPT: usize = 100_000;

thread_local! {
    static STEMS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// The terms `text` is indexed under.
pub fn terms(text: &str) -> Vec<String> {
    tokens(french(), text)
}

fn tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().text.clone());
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accented words a French user types with or without accents, and inflections.
    const ACCENTED: &[(&str, &str)] = &[
        ("émargement", "emargement"),
        ("rémunérée", "remuneree"),
        ("rémunération", "remuneration"),
        ("financée", "financee"),
        ("financées", "financees"),
        ("réalisée", "realisee"),
        ("réalisation", "realisation"),
        ("hébergement", "hebergement"),
        ("pédagogique", "pedagogique"),
        ("pédagogiques", "pedagogiques"),
        ("déplacement", "deplacement"),
        ("Sécurité", "securite"),
        ("électrique", "electrique"),
        ("clôturé", "cloture"),
        ("société", "societe"),
        ("activité", "activite"),
        ("prérequis", "prerequis"),
        ("échéance", "echeance"),
        ("acquittée", "acquittee"),
        ("assiduité", "assiduite"),
        ("présence", "presence"),
        ("intérêt", "interet"),
        ("août", "aout"),
        ("créée", "creee"),
        ("reçue", "recue"),
        ("Garçon", "garcon"),
        ("Noël", "noel"),
        ("forêt", "foret"),
        ("bâtiment", "batiment"),
        ("déclarée", "declaree"),
    ];

    #[test]
    fn accented_words_typed_without_accents_find_the_same_terms() {
        let misses: Vec<_> = ACCENTED.iter().filter(|(with, without)| terms(with) != terms(without)).collect();
        assert!(misses.is_empty(), "missed: {misses:?}");
    }

    #[test]
    fn the_remembered_stems_are_the_stemmers_own() {
        let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::French);
        let text = "formations formation financement financements stagiaires stagiaire formations";
        // Twice: the second time every word comes from the memory.
        for _ in 0..2 {
            let expected: Vec<String> = text.split(' ').map(|w| stemmer.stem(w).into_owned()).collect();
            assert_eq!(terms(text), expected);
        }
    }

    /// Words of the trade, inflected, with accents, stop words, and words of one or two letters.
    const SAMPLE: &str = "La formation des stagiaires financée par l'OPCO : feuilles d'émargement signées, \
        attestations de présence, certificat de réalisation, factures acquittées et devis. Les \
        rémunérations, hébergements et déplacements sont pris en charge ; yeux, aïeul, œuvre, \
        quelques essayées, créées, reçues, Noël, août, bâtiments, clôturés, intérêts, échéances, \
        qualité, sécurité électrique, habilitations, apprentissage, professionnalisation, a, à, \
        y, es, ès, ut, ils, une, ai, eu, ouï, ayant, payer, fuyant, aujourd'hui, parmi, tapis, \
        colis, partie, pariant, rapidement, rationnellement, équipes, managements.";

    #[test]
    fn a_stem_keeps_the_first_two_letters_of_its_word() {
        for word in whole_words(SAMPLE) {
            for stem in terms(&word) {
                let keep = word.len().min(2).min(stem.len());
                assert_eq!(stem.as_bytes()[..keep], word.as_bytes()[..keep], "{word} → {stem}");
            }
        }
    }

    #[test]
    fn highlighting_finds_the_terms_the_full_analysis_finds() {
        let all = terms(SAMPLE);
        // Every term alone, every pair of neighbours, and terms of one letter.
        let mut queries: Vec<Vec<String>> = all.iter().map(|t| vec![t.clone()]).collect();
        queries.extend(all.windows(2).map(|w| w.to_vec()));
        queries.push(vec!["a".into(), "format".into()]);
        for query in queries {
            let wanted = |analyzer: TextAnalyzer| -> Vec<(usize, usize)> {
                let mut analyzer = analyzer;
                let mut stream = analyzer.token_stream(SAMPLE);
                let mut found = Vec::new();
                while stream.advance() {
                    let token = stream.token();
                    if query.contains(&token.text) {
                        found.push((token.offset_from, token.offset_to));
                    }
                }
                found
            };
            let full = wanted(french());
            assert!(!full.is_empty() || query.iter().any(|t| t.len() < 2), "{query:?} found nothing");
            assert_eq!(wanted(french_highlighting(query.iter().map(String::as_str))), full, "{query:?}");
        }
    }

    #[test]
    fn inflections_meet_on_one_stem() {
        for (a, b) in [
            ("formations", "formation"),
            ("financée", "financé"),
            ("financées", "financés"),
            ("réalisée", "réalisé"),
            ("stagiaires", "stagiaire"),
            ("factures", "facture"),
        ] {
            assert_eq!(terms(a), terms(b), "{a} / {b}");
        }
        assert!(terms("la feuille de présence").len() == 2, "stop words go: {:?}", terms("la feuille de présence"));
    }
}
