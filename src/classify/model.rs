//! The learned part of the classifier: a multinomial naive Bayes model over the words and word
//! pairs of a piece's folded text. It starts from a base model trained on the labelled corpus
//! (`samples/corpus/train`, built by `pieces eval train`, embedded in the binary) and adds the
//! pieces whose kind this OPCO has confirmed, so it adapts to what it actually receives. Word
//! counts add up, so learning more is adding counts; retraining is recounting.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{fold, words};
use crate::domain::DocKind;

/// The base model, trained on `samples/corpus/train` (see the README to rebuild it).
const BASE: &str = include_str!("base-model.json");

/// Fewer known words than this are too little to go on.
const MIN_FEATURES: usize = 6;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Model {
    /// Documents learned, per kind.
    docs: BTreeMap<DocKind, u32>,
    /// Feature counts, per kind.
    counts: BTreeMap<DocKind, HashMap<String, u32>>,
    #[serde(skip)]
    totals: BTreeMap<DocKind, u64>,
    #[serde(skip)]
    vocabulary: usize,
}

/// The model's guess: a kind, its probability, and the words that weighed most for it.
#[derive(Debug, PartialEq)]
pub struct Guess {
    pub kind: DocKind,
    pub probability: f64,
    pub cues: Vec<String>,
}

impl Model {
    /// The base model shipped with the service.
    pub fn base() -> Model {
        let mut model: Model = serde_json::from_str(BASE).unwrap_or_default();
        model.refresh();
        model
    }

    pub fn learn(&mut self, kind: DocKind, text: &str) {
        *self.docs.entry(kind).or_default() += 1;
        for feature in features(text) {
            if !self.known(&feature) {
                self.vocabulary += 1;
            }
            *self.counts.entry(kind).or_default().entry(feature).or_default() += 1;
            *self.totals.entry(kind).or_default() += 1;
        }
    }

    /// Stable JSON (sorted keys), as committed in `base-model.json`.
    pub fn to_json(&self) -> serde_json::Result<String> {
        let sorted: BTreeMap<&DocKind, BTreeMap<&String, &u32>> =
            self.counts.iter().map(|(kind, counts)| (kind, counts.iter().collect())).collect();
        serde_json::to_string(&serde_json::json!({ "docs": self.docs, "counts": sorted }))
    }

    pub fn documents(&self) -> u32 {
        self.docs.values().sum()
    }

    fn refresh(&mut self) {
        self.totals = self.counts.iter().map(|(k, c)| (*k, c.values().map(|&n| u64::from(n)).sum())).collect();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for counts in self.counts.values() {
            seen.extend(counts.keys().map(String::as_str));
        }
        self.vocabulary = seen.len();
    }

    /// The most likely kind of `text`, if the model knows any kind and the text has known words.
    pub fn guess(&self, text: &str) -> Option<Guess> {
        let features: Vec<String> = features(text).into_iter().filter(|f| self.known(f)).collect();
        if features.len() < MIN_FEATURES || self.docs.len() < 2 {
            return None;
        }
        let all_docs = f64::from(self.documents());
        let scores: Vec<(DocKind, f64)> = self
            .docs
            .iter()
            .map(|(&kind, &docs)| {
                let prior = (f64::from(docs) / all_docs).ln();
                let likelihood: f64 = features.iter().map(|f| self.log_p(kind, f)).sum();
                (kind, prior + likelihood)
            })
            .collect();
        let (kind, best) = scores.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
        // Naive Bayes is overconfident: temper the log-odds by the square root of the evidence.
        let temper = (features.len() as f64).sqrt();
        let sum: f64 = scores.iter().map(|(_, s)| ((s - best) / temper).exp()).sum();
        let probability = 1.0 / sum;
        let mut telling: Vec<(f64, &String)> = features
            .iter()
            .map(|f| {
                let others =
                    self.docs.keys().filter(|&&k| k != kind).map(|&k| self.log_p(k, f)).fold(f64::MIN, f64::max);
                (self.log_p(kind, f) - others, f)
            })
            .collect();
        telling.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut cues: Vec<String> = Vec::new();
        for (_, feature) in telling {
            if cues.len() == 5 {
                break;
            }
            if !cues.contains(feature) {
                cues.push(feature.clone());
            }
        }
        Some(Guess { kind, probability, cues })
    }

    fn known(&self, feature: &str) -> bool {
        self.counts.values().any(|c| c.contains_key(feature))
    }

    fn log_p(&self, kind: DocKind, feature: &str) -> f64 {
        const ALPHA: f64 = 0.1;
        let count = self.counts.get(&kind).and_then(|c| c.get(feature)).copied().unwrap_or(0);
        let total = self.totals.get(&kind).copied().unwrap_or(0);
        ((f64::from(count) + ALPHA) / (total as f64 + ALPHA * self.vocabulary.max(1) as f64)).ln()
    }
}

/// Words of three letters or more (no numbers: they are amounts and dates) and word pairs.
fn features(text: &str) -> Vec<String> {
    let folded = fold(text);
    let words: Vec<&str> = words(&folded)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    let mut features: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    features.extend(words.windows(2).map(|pair| format!("{} {}", pair[0], pair[1])));
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_learns_kinds_from_examples_and_says_which_words_decided() {
        let mut model = Model::default();
        model.learn(DocKind::Rib, "relevé d'identité bancaire titulaire du compte domiciliation");
        model.learn(DocKind::Kbis, "extrait kbis greffe du tribunal immatriculation");
        model.learn(DocKind::Autre, "madame monsieur veuillez agréer nos salutations");
        let guess = model.guess("Greffe du tribunal : immatriculation de la société, extrait kbis").unwrap();
        assert_eq!(guess.kind, DocKind::Kbis);
        assert!(guess.probability > 0.5, "{guess:?}");
        assert!(guess.cues.contains(&"immatriculation".to_string()), "{guess:?}");
        assert_eq!(model.guess("12 345,00"), None, "no known word: no guess");
    }

    #[test]
    fn the_base_model_is_shipped_and_knows_every_kind() {
        let model = Model::base();
        assert!(model.documents() >= 12 * 20, "{} documents", model.documents());
        assert_eq!(model.docs.len(), DocKind::ALL.len());
    }
}
