//! `DocKind`: the kinds of pieces, with the stable snake_case codes used by the API, the index
//! and the UI.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Programme,
    Convention,
    Devis,
    /// The training provider's invoice.
    FactureOf,
    /// The employer's claim to the OPCO.
    FactureEmployeur,
    /// Feuille d'émargement.
    Emargement,
    CertificatRealisation,
    /// Attestation de fin de formation, d'assiduité, de présence.
    Attestation,
    BulletinPaie,
    Rib,
    Kbis,
    Autre,
}

impl DocKind {
    pub const ALL: [DocKind; 12] = [
        Self::Programme,
        Self::Convention,
        Self::Devis,
        Self::FactureOf,
        Self::FactureEmployeur,
        Self::Emargement,
        Self::CertificatRealisation,
        Self::Attestation,
        Self::BulletinPaie,
        Self::Rib,
        Self::Kbis,
        Self::Autre,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Programme => "programme",
            Self::Convention => "convention",
            Self::Devis => "devis",
            Self::FactureOf => "facture_of",
            Self::FactureEmployeur => "facture_employeur",
            Self::Emargement => "emargement",
            Self::CertificatRealisation => "certificat_realisation",
            Self::Attestation => "attestation",
            Self::BulletinPaie => "bulletin_paie",
            Self::Rib => "rib",
            Self::Kbis => "kbis",
            Self::Autre => "autre",
        }
    }

    /// As printed for a French reader.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Programme => "Programme de formation",
            Self::Convention => "Convention de formation",
            Self::Devis => "Devis",
            Self::FactureOf => "Facture de l'organisme",
            Self::FactureEmployeur => "Facture de l'employeur",
            Self::Emargement => "Feuille d'émargement",
            Self::CertificatRealisation => "Certificat de réalisation",
            Self::Attestation => "Attestation",
            Self::BulletinPaie => "Bulletin de paie",
            Self::Rib => "RIB",
            Self::Kbis => "Extrait Kbis",
            Self::Autre => "Autre pièce",
        }
    }

    pub fn parse(code: &str) -> Option<DocKind> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for kind in DocKind::ALL {
            assert_eq!(DocKind::parse(kind.code()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.code());
        }
        assert_eq!(DocKind::parse("facture"), None);
    }
}
