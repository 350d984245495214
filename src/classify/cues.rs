//! The cues that tell a piece's kind (each a folded phrase, its weight and the reason shown),
//! how a page is scored with them, and the matching of folded text: whole words, accents and case
//! folded, one typing error allowed in long words.

use crate::domain::DocKind;

/// A cue: a kind, the folded phrase that shows it, its weight (negative: counts against), and
/// the reason as shown.
pub(super) struct Cue {
    pub(super) kind: DocKind,
    phrase: &'static str,
    pub(super) weight: f64,
    pub(super) label: &'static str,
}

const fn cue(kind: DocKind, phrase: &'static str, weight: f64, label: &'static str) -> Cue {
    Cue { kind, phrase, weight, label }
}

use DocKind::*;

#[rustfmt::skip]
static CUES: &[Cue] = &[
    cue(Programme, "programme de formation", 5.0, "titre « programme de formation »"),
    cue(Programme, "programme detaille", 4.0, "« programme détaillé »"),
    cue(Programme, "objectifs pedagogiques", 3.0, "objectifs pédagogiques"),
    cue(Programme, "objectifs de la formation", 2.5, "objectifs de la formation"),
    cue(Programme, "public vise", 2.0, "public visé"),
    cue(Programme, "prerequis", 2.0, "prérequis"),
    cue(Programme, "pre-requis", 2.0, "prérequis"),
    cue(Programme, "contenu de la formation", 2.5, "contenu de la formation"),
    cue(Programme, "moyens pedagogiques", 2.0, "moyens pédagogiques"),
    cue(Programme, "modalites d'evaluation", 1.5, "modalités d'évaluation"),
    cue(Programme, "methodes pedagogiques", 2.0, "méthodes pédagogiques"),
    cue(Programme, "deroule", 1.0, "déroulé"),
    cue(Programme, "module 1", 1.5, "modules"),
    cue(Programme, "jour 1", 1.5, "séquencement par jour"),
    cue(Programme, "fiche programme", 4.0, "titre « fiche programme »"),
    cue(Programme, "sera capable de", 2.0, "« sera capable de »"),
    cue(Programme, "a l'issue de la formation", 1.0, "« à l'issue de la formation »"),
    cue(Convention, "convention de formation", 5.0, "titre « convention de formation »"),
    cue(Convention, "entre les soussignes", 4.0, "« entre les soussignés »"),
    cue(Convention, "l.6353-1", 1.0, "référence à l'article L.6353-1"),
    cue(Convention, "l. 6353-1", 1.0, "référence à l'article L.6353-1"),
    cue(Convention, "l.6353-2", 2.5, "référence à l'article L.6353-2"),
    cue(Convention, "objet de la convention", 3.0, "objet de la convention"),
    cue(Convention, "la presente convention", 3.0, "« la présente convention »"),
    cue(Convention, "fait en double exemplaire", 2.0, "« fait en double exemplaire »"),
    cue(Convention, "article 1", 1.0, "articles numérotés"),
    cue(Convention, "dispositions financieres", 2.0, "dispositions financières"),
    cue(Convention, "resiliation", 1.0, "clause de résiliation"),
    cue(Convention, "dedit", 1.5, "clause de dédit"),
    cue(Convention, "ci-apres denomme", 1.5, "parties « ci-après dénommées »"),
    cue(Convention, "en execution de la presente", 1.5, "« en exécution de la présente »"),
    cue(Devis, "devis", 3.0, "mot « devis »"),
    cue(Devis, "bon pour accord", 3.5, "« bon pour accord »"),
    cue(Devis, "validite", 2.0, "durée de validité"),
    cue(Devis, "proposition commerciale", 3.0, "proposition commerciale"),
    cue(Devis, "offre valable", 2.5, "« offre valable »"),
    cue(Devis, "proposition financiere", 2.5, "proposition financière"),
    cue(FactureOf, "facture", 2.5, "mot « facture »"),
    cue(FactureOf, "net a payer", 3.0, "« net à payer »"),
    cue(FactureOf, "echeance", 2.0, "date d'échéance"),
    cue(FactureOf, "acquittee", 2.5, "facture acquittée"),
    cue(FactureOf, "conditions de reglement", 1.5, "conditions de règlement"),
    cue(FactureOf, "penalites de retard", 2.0, "pénalités de retard"),
    cue(FactureOf, "indemnite forfaitaire", 2.0, "indemnité forfaitaire de recouvrement"),
    cue(FactureOf, "exoneration de tva", 1.0, "exonération de TVA (art. 261)"),
    cue(FactureOf, "261-4-4", 1.0, "exonération de TVA (art. 261)"),
    cue(FactureOf, "date de facturation", 2.0, "date de facturation"),
    cue(FactureEmployeur, "remuneration des stagiaires", 4.0, "rémunération des stagiaires"),
    cue(FactureEmployeur, "salaire horaire charge", 3.5, "salaire horaire chargé"),
    cue(FactureEmployeur, "heures de presence effective", 2.0, "heures de présence effective"),
    cue(FactureEmployeur, "frais de restauration", 2.0, "frais de restauration"),
    cue(FactureEmployeur, "cachet et signature", 1.5, "cachet et signature"),
    cue(FactureEmployeur, "certifie exact", 1.0, "certification de l'employeur"),
    cue(FactureEmployeur, "certifie sinceres et exactes", 1.0, "certification de l'employeur"),
    cue(FactureEmployeur, "n° adherent", 1.0, "n° adhérent de l'employeur"),
    cue(Emargement, "feuille d'emargement", 3.0, "titre « feuille d'émargement »"),
    cue(Emargement, "feuilles d'emargement", 0.5, "mention de feuilles d'émargement"),
    cue(Emargement, "emargement", 1.0, "mot « émargement »"),
    cue(Emargement, "signature du stagiaire", 3.0, "colonne « signature du stagiaire »"),
    cue(Emargement, "signature du formateur", 2.5, "colonne « signature du formateur »"),
    cue(Emargement, "signature des stagiaires", 2.5, "signatures des stagiaires"),
    cue(Emargement, "apres-midi", 2.0, "demi-journées (matin / après-midi)"),
    cue(Emargement, "apres midi", 2.0, "demi-journées (matin / après-midi)"),
    cue(Emargement, "demi-journee", 0.5, "demi-journées"),
    cue(Emargement, "feuille de presence", 3.0, "titre « feuille de présence »"),
    cue(Emargement, "visa du formateur", 2.5, "visa du formateur"),
    cue(Emargement, "par demi-journee", 0.5, "signature par demi-journée"),
    cue(Emargement, "matin", 1.0, "demi-journées (matin / après-midi)"),
    cue(CertificatRealisation, "certificat de realisation", 6.0, "titre « certificat de réalisation »"),
    cue(CertificatRealisation, "realisation de l'action", 2.5, "réalisation de l'action"),
    cue(CertificatRealisation, "nature de l'action", 1.5, "nature de l'action"),
    cue(CertificatRealisation, "a ete realisee", 1.5, "« a été réalisée »"),
    cue(CertificatRealisation, "dispensateur de l'action", 3.0, "« dispensateur de l'action »"),
    cue(CertificatRealisation, "concourant au developpement des competences", 2.5, "action concourant au développement des compétences"),
    cue(CertificatRealisation, "pieces justificatives", 1.5, "conservation des pièces justificatives"),
    cue(CertificatRealisation, "certificat de reussite", -6.0, "« certificat de réussite » (ce n'en est pas un)"),
    cue(Attestation, "attestation de fin de formation", 5.0, "titre « attestation de fin de formation »"),
    cue(Attestation, "attestation d'assiduite", 5.0, "titre « attestation d'assiduité »"),
    cue(Attestation, "attestation de presence", 5.0, "titre « attestation de présence »"),
    cue(Attestation, "attestation de formation", 4.0, "titre « attestation de formation »"),
    cue(Attestation, "certificat de reussite", 4.0, "certificat de réussite"),
    cue(Attestation, "atteste que", 2.0, "« atteste que »"),
    cue(Attestation, "attestons que", 2.5, "« attestons que »"),
    cue(Attestation, "servir et valoir", 2.0, "« pour servir et valoir ce que de droit »"),
    cue(Attestation, "a participe a la formation", 2.0, "« a participé à la formation »"),
    cue(Attestation, "a suivi", 1.5, "« a suivi »"),
    cue(Attestation, "resultats de l'evaluation", 1.5, "résultats de l'évaluation des acquis"),
    cue(BulletinPaie, "bulletin de paie", 5.0, "titre « bulletin de paie »"),
    cue(BulletinPaie, "bulletin de salaire", 5.0, "titre « bulletin de salaire »"),
    cue(BulletinPaie, "salaire de base", 2.5, "salaire de base"),
    cue(BulletinPaie, "net imposable", 2.5, "net imposable"),
    cue(BulletinPaie, "net a payer avant impot", 3.0, "net à payer avant impôt"),
    cue(BulletinPaie, "cotisations", 1.5, "cotisations"),
    cue(BulletinPaie, "salaire brut", 2.0, "salaire brut"),
    cue(BulletinPaie, "urssaf", 1.0, "URSSAF"),
    cue(BulletinPaie, "convention collective", 1.0, "convention collective"),
    cue(Rib, "releve d'identite bancaire", 6.0, "titre « relevé d'identité bancaire »"),
    cue(Rib, "titulaire du compte", 3.0, "titulaire du compte"),
    cue(Rib, "domiciliation", 2.0, "domiciliation"),
    cue(Rib, "code banque", 2.0, "code banque / code guichet"),
    cue(Rib, "code guichet", 1.5, "code banque / code guichet"),
    cue(Rib, "cle rib", 2.5, "clé RIB"),
    cue(Rib, "iban", 1.0, "IBAN"),
    cue(Rib, "bic", 0.5, "BIC"),
    cue(Kbis, "extrait kbis", 6.0, "titre « extrait Kbis »"),
    cue(Kbis, "extrait k bis", 6.0, "titre « extrait Kbis »"),
    cue(Kbis, "registre du commerce", 3.0, "registre du commerce et des sociétés"),
    cue(Kbis, "greffe du tribunal", 3.0, "greffe du tribunal de commerce"),
    cue(Kbis, "immatriculation", 2.0, "immatriculation"),
    cue(Kbis, "date de commencement d'activite", 2.5, "date de commencement d'activité"),
    cue(Kbis, "gestion et direction", 2.0, "gestion et direction"),
];

/// The cues found on a page.
pub(super) struct PageScore {
    pub(super) cues: Vec<&'static Cue>,
}

impl PageScore {
    pub(super) fn score(&self, kind: DocKind) -> f64 {
        self.cues.iter().filter(|c| c.kind == kind).map(|c| c.weight).sum()
    }

    pub(super) fn best(&self) -> Option<(DocKind, f64)> {
        let mut kinds: Vec<DocKind> = self.cues.iter().map(|c| c.kind).collect();
        kinds.dedup();
        kinds.into_iter().map(|k| (k, self.score(k))).max_by(|a, b| a.1.total_cmp(&b.1))
    }

    pub(super) fn runner_up(&self, kind: DocKind) -> f64 {
        DocKind::ALL.iter().filter(|&&k| k != kind).map(|&k| self.score(k)).fold(0.0, f64::max)
    }
}

pub(super) fn score_page(folded: &str) -> PageScore {
    let text = words(folded);
    PageScore { cues: CUES.iter().filter(|cue| contains_phrase(&text, &words(cue.phrase))).collect() }
}

/// The words of folded text: runs of letters and digits.
pub fn words(folded: &str) -> Vec<&str> {
    folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
}

/// Whether the words of `phrase` occur in a row in `text`, each word exactly or, for words of
/// eight letters or more, within one typing error (a letter missed, added, changed or two
/// swapped), as in scans and hurried typing.
fn contains_phrase(text: &[&str], phrase: &[&str]) -> bool {
    !phrase.is_empty()
        && text.windows(phrase.len()).any(|window| window.iter().zip(phrase).all(|(w, p)| same_word(w, p)))
}

fn same_word(word: &str, expected: &str) -> bool {
    word == expected
        || (expected.len() >= 8 && word.len().abs_diff(expected.len()) <= 1 && within_one_edit(word, expected))
}

/// Optimal-string-alignment distance ≤ 1 (one insertion, deletion, substitution or swap).
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match (a.len(), b.len()) {
        (0, 0) => true,
        (x, y) if x == y => a[1..] == b[1..] || (x >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..]),
        (x, y) if x + 1 == y => a == &b[1..],
        (x, y) if y + 1 == x => &a[1..] == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_within_one_typing_error() {
        let text = words("feuille d'emargment : bicyclette");
        assert!(contains_phrase(&text, &["feuille", "d", "emargement"]), "one letter missed");
        assert!(!contains_phrase(&text, &["bic"]), "whole words only");
        assert!(within_one_edit("attesttaion", "attestation") && within_one_edit("certficat", "certificat"));
        assert!(!within_one_edit("programme", "prgoramem"));
    }
}
