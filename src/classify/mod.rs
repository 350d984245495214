//! The kind of a piece, from its text: cue rules scored page by page, then aggregated, because
//! uploads often merge pieces (a convention with its programme annexed, an invoice with its
//! certificate). Each page gets the kind whose cues weigh most on it; the piece's kind is the
//! kind of its first telling page, and the other kinds found are reported with their pages. The reasons are the cues that decided.
//!
//! The cues know the usual traps: programmes and conventions *mention* "feuilles d'émargement"
//! (a weak cue) while a real sheet has signature columns and half-days; invoices carry an IBAN
//! too (weak) while a RIB is titled as one; a "certificat de réussite" counts against the
//! certificat de réalisation; a devis and a facture share an HT/TVA/TTC table, so only their own
//! words ("validité", "bon pour accord" vs "échéance", "net à payer", "acquittée") decide.

mod cues;
pub mod learner;
pub mod manifest;
pub mod model;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::domain::text::fold;
use crate::domain::DocKind;
use crate::extract::FacturX;
pub use cues::words;
use cues::{score_page, PageScore};
pub use model::Model;

/// A page whose best kind weighs less than this says nothing definite.
const MIN_PAGE_SCORE: f64 = 3.0;

/// The classifier's answer for a piece.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Classification {
    pub kind: DocKind,
    /// In [0, 1].
    pub confidence: f64,
    /// The cues that decided, in French, most weighty first.
    pub reasons: Vec<String>,
    /// The other kinds found in the same file, with their (1-based) pages.
    pub other_kinds: Vec<OtherKind>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OtherKind {
    pub kind: DocKind,
    pub pages: Vec<usize>,
}

/// Classifies a piece from its pages' text and, for electronic invoices, its Factur-X data: the
/// cue rules decide when a page says what it is; the learned model decides when the rules
/// hesitate (typos, unusual wording) and it is sure.
pub fn classify(pages: &[String], facturx: Option<&FacturX>, model: Option<&Model>) -> Classification {
    let by_rules = classify_by_rules(pages, facturx);
    if facturx.is_some() {
        return by_rules;
    }
    let Some(guess) = model.and_then(|m| m.guess(&pages.join("\n"))) else { return by_rules };
    let learned = format!("modèle appris : « {} »", guess.cues.join(" », « "));
    let probability = (guess.probability * 100.0).round() / 100.0;
    if guess.kind == by_rules.kind {
        let mut agreed = by_rules;
        agreed.confidence = agreed.confidence.max(probability);
        agreed.reasons.push(learned);
        return agreed;
    }
    if probability > by_rules.confidence {
        let other_kinds = by_rules.other_kinds.into_iter().filter(|o| o.kind != guess.kind).collect();
        return Classification { kind: guess.kind, confidence: probability, reasons: vec![learned], other_kinds };
    }
    by_rules
}

fn classify_by_rules(pages: &[String], facturx: Option<&FacturX>) -> Classification {
    let scored: Vec<PageScore> = pages.iter().map(|text| score_page(&fold(text))).collect();
    let mut totals: Vec<(DocKind, f64, Vec<usize>)> = Vec::new();
    for (index, page) in scored.iter().enumerate() {
        let Some((kind, score)) = page.best() else { continue };
        if score < MIN_PAGE_SCORE {
            continue;
        }
        match totals.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(total) => {
                total.1 += score;
                total.2.push(index + 1);
            }
            None => totals.push((kind, score, vec![index + 1])),
        }
    }
    // The first page that says what it is names the file: merged uploads put the main piece
    // first (a convention, then its programme annexed). The others follow, weightiest first.
    if totals.len() > 1 {
        totals[1..].sort_by(|a, b| b.1.total_cmp(&a.1));
    }

    if let Some(invoice) = facturx {
        let mut reasons = vec![format!(
            "facture électronique Factur-X embarquée ({})",
            invoice.attachment.as_deref().unwrap_or("factur-x.xml")
        )];
        if let Some(number) = &invoice.number {
            reasons.push(format!("n° de facture {number}"));
        }
        let other_kinds = others(&totals, DocKind::FactureOf);
        return Classification { kind: DocKind::FactureOf, confidence: 1.0, reasons, other_kinds };
    }

    let Some((kind, _, pages_of_kind)) = totals.first().cloned() else {
        return Classification {
            kind: DocKind::Autre,
            confidence: if pages.iter().all(|p| p.trim().is_empty()) { 0.0 } else { 0.5 },
            reasons: vec!["aucun indice d'un type de pièce connu".into()],
            other_kinds: Vec::new(),
        };
    };
    // Confidence: how clearly the kind wins on its own pages, and how much evidence there is.
    let (mut own, mut rival) = (0.0, 0.0);
    let mut reasons: Vec<(f64, &'static str)> = Vec::new();
    for &page in &pages_of_kind {
        let page = &scored[page - 1];
        own += page.score(kind);
        rival += page.runner_up(kind);
        for cue in page.cues.iter().filter(|c| c.kind == kind) {
            if !reasons.iter().any(|(_, r)| *r == cue.label) {
                reasons.push((cue.weight, cue.label));
            }
        }
    }
    reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
    let margin = ((own - rival) / own).clamp(0.0, 1.0);
    let evidence = 1.0 - (-own / 4.0).exp();
    let confidence = (margin * evidence * 100.0).round() / 100.0;
    Classification {
        kind,
        confidence,
        reasons: reasons.into_iter().take(6).map(|(_, r)| r.to_string()).collect(),
        other_kinds: others(&totals, kind),
    }
}

fn others(totals: &[(DocKind, f64, Vec<usize>)], main: DocKind) -> Vec<OtherKind> {
    totals
        .iter()
        .filter(|(k, _, _)| *k != main)
        .map(|(kind, _, pages)| OtherKind { kind: *kind, pages: pages.clone() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use DocKind::*;

    fn kind_of(text: &str) -> Classification {
        classify(&[text.to_string()], None, None)
    }

    #[test]
    fn titles_and_their_vocabulary_decide() {
        let c = kind_of("CONVENTION DE FORMATION PROFESSIONNELLE\nEntre les soussignés : ...\nArticle 1 - Objet de la convention\nLes feuilles d'émargement seront signées par demi-journée.");
        assert_eq!(c.kind, Convention);
        assert!(c.confidence > 0.7, "{c:?}");
        assert!(c.reasons[0].contains("convention de formation"), "{c:?}");
    }

    #[test]
    fn the_traps_do_not_catch_it() {
        let success = kind_of(
            "CERTIFICAT DE RÉUSSITE\nNous attestons que M. Martin a suivi la formation et réussi l'évaluation.",
        );
        assert_eq!(success.kind, Attestation, "{success:?}");
        let invoice = kind_of("FACTURE N° 2026-114\nDate d'échéance : 30/06/2026\nTotal HT 1 000,00 TVA 200,00 TTC 1 200,00\nNet à payer 1 200,00\nIBAN FR76 3000 4000 0500 0012 3456 789");
        assert_eq!(invoice.kind, FactureOf, "{invoice:?}");
        let quote = kind_of("DEVIS n° D-77\nTotal HT 1 000,00 TVA 200,00 TTC 1 200,00\nValidité : 3 mois\nBon pour accord, date et signature");
        assert_eq!(quote.kind, Devis, "{quote:?}");
    }

    #[test]
    fn merged_pieces_report_each_kind_with_its_pages() {
        let pages = vec![
            "CONVENTION DE FORMATION\nEntre les soussignés\nObjet de la convention".to_string(),
            "PROGRAMME DE FORMATION\nObjectifs pédagogiques\nPublic visé\nPrérequis".to_string(),
        ];
        let c = classify(&pages, None, None);
        assert_eq!(c.kind, Convention);
        assert_eq!(c.other_kinds, vec![OtherKind { kind: Programme, pages: vec![2] }]);
    }
}
