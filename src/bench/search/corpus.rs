//! The benchmark's corpus: French documents of ~300 words drawn from a Zipf-distributed
//! vocabulary (trade words first, then made-up ones), with metadata (kind, state, company, SIRET,
//! upload date) drawn at random, and their index entries as the service fills them.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tantivy::{DateTime, TantivyDocument};

use crate::domain::DocKind;

pub(super) const STATES: [&str; 5] = ["draft", "pending", "granted", "refused", "closed"];

/// A document of the corpus.
pub(super) struct Doc {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) body: String,
    pub(super) kind: &'static str,
    pub(super) state: &'static str,
    pub(super) company: String,
    pub(super) siret: String,
    pub(super) uploaded_at: i64,
}

/// French words of the trade, then made-up ones, ranked: rank r is drawn with weight 1/r.
fn vocabulary(rng: &mut StdRng) -> Vec<String> {
    let base = "formation stagiaire convention programme facture devis attestation certificat réalisation \
        émargement présence entreprise organisme salarié heures durée objectifs pédagogiques évaluation \
        compétences employeur financement prise charge dossier montant total rémunération hébergement \
        repas transport tuteur apprentissage contrat professionnalisation sécurité habilitation électrique \
        management équipe bureautique anglais comptabilité gestion conflits prévention risques incendie \
        secourisme santé travail qualité hygiène alimentaire logistique conduite chariot élévateur soudure \
        maintenance industrielle numérique commerce vente relation client accueil paie social juridique \
        signature cachet date lieu session module séquence jour matin après-midi formateur intervenant \
        référent handicap accessibilité modalités accès délais tarif paiement échéance acompte règlement";
    let mut words: Vec<String> = base.split_whitespace().map(str::to_string).collect();
    let syllables = [
        "ma", "ri", "to", "que", "lan", "por", "ti", "on", "ement", "ure", "bel", "gra", "vi", "deu", "cha", "ssé",
        "fé", "ro",
    ];
    while words.len() < 20_000 {
        let n = rng.random_range(2..5);
        let word: String = (0..n).map(|_| syllables[rng.random_range(0..syllables.len())]).collect();
        words.push(word);
    }
    words
}

pub(super) fn corpus(count: usize, words_per_doc: usize) -> Vec<Doc> {
    let mut rng = StdRng::seed_from_u64(2026);
    let vocabulary = vocabulary(&mut rng);
    let weights: Vec<f64> = (1..=vocabulary.len()).map(|r| 1.0 / r as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut sum = 0.0;
    for w in weights {
        sum += w / total;
        cumulative.push(sum);
    }
    let companies: Vec<(String, String)> = (0..2000)
        .map(|i| {
            (
                format!("{}.001", 1000 + i),
                format!("{:09}{:05}", rng.random_range(100_000_000..999_999_999u64), rng.random_range(10..99_999)),
            )
        })
        .collect();
    let start = time::macros::datetime!(2019-01-01 0:00 UTC).unix_timestamp();
    let end = time::macros::datetime!(2026-11-01 0:00 UTC).unix_timestamp();
    (0..count)
        .map(|i| {
            let mut body = String::with_capacity(words_per_doc * 9);
            for n in 0..words_per_doc {
                let x: f64 = rng.random();
                let rank = cumulative.partition_point(|&c| c < x).min(vocabulary.len() - 1);
                if n > 0 {
                    body.push(if n % 14 == 0 { '\n' } else { ' ' });
                }
                body.push_str(&vocabulary[rank]);
            }
            let (company, siret) = companies[rng.random_range(0..companies.len())].clone();
            let kind = DocKind::ALL[rng.random_range(0..DocKind::ALL.len())].code();
            Doc {
                id: format!("doc-{i:07}"),
                title: format!("{} {}", kind, vocabulary[rng.random_range(0..200)]),
                body,
                kind,
                state: STATES[rng.random_range(0..STATES.len())],
                company,
                siret,
                uploaded_at: rng.random_range(start..end),
            }
        })
        .collect()
}

/// The index entry of a corpus document, with the fields the service fills.
pub(super) fn entry(f: crate::search::Fields, doc: &Doc) -> TantivyDocument {
    let mut entry = TantivyDocument::default();
    entry.add_text(f.id, &doc.id);
    entry.add_text(f.company_id, &doc.company);
    entry.add_text(f.company, &doc.company);
    entry.add_text(f.title, &doc.title);
    entry.add_text(f.words, &doc.title);
    entry.add_text(f.text, &doc.body);
    entry.add_text(f.words, &doc.body);
    entry.add_text(f.kind, doc.kind);
    entry.add_text(f.state, doc.state);
    entry.add_text(f.siret, &doc.siret);
    entry.add_text(f.siren, &doc.siret[..9]);
    entry.add_date(f.uploaded_at, DateTime::from_timestamp_secs(doc.uploaded_at));
    entry
}
