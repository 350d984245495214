//! The VAT regime of an invoice: one per invoice, as on the AKTO form. Either outside the scope of
//! VAT (`hors_champ`, the default: an employer's claim for salaries and training costs is not a
//! sale) or one of the French rates 20 %, 10 %, 5,5 % and 2,1 %. Each regime knows its request
//! code, its rate, its printed label and its Factur-X (EN 16931) VAT category.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VatRegime {
    /// Outside the scope of VAT: rate 0, mention "TVA non applicable".
    #[default]
    HorsChamp,
    /// 20 %.
    Normal,
    /// 10 %.
    Intermediate,
    /// 5,5 %.
    Reduced,
    /// 2,1 %.
    SuperReduced,
}

impl VatRegime {
    pub const ALL: [VatRegime; 5] =
        [VatRegime::HorsChamp, VatRegime::Normal, VatRegime::Intermediate, VatRegime::Reduced, VatRegime::SuperReduced];

    /// The regime from its request code (`hors_champ`, `20`, `10`, `5.5`, `2.1`), trimmed.
    pub fn from_code(code: &str) -> Option<VatRegime> {
        let code = code.trim();
        VatRegime::ALL.into_iter().find(|regime| regime.code() == code)
    }

    /// The code used in requests and responses.
    pub fn code(self) -> &'static str {
        match self {
            VatRegime::HorsChamp => "hors_champ",
            VatRegime::Normal => "20",
            VatRegime::Intermediate => "10",
            VatRegime::Reduced => "5.5",
            VatRegime::SuperReduced => "2.1",
        }
    }

    /// The rate in percent: 0 for `hors_champ`, else 20, 10, 5.5 or 2.1 (Factur-X
    /// `RateApplicablePercent`).
    pub fn percent(self) -> Decimal {
        match self {
            VatRegime::HorsChamp => Decimal::ZERO,
            VatRegime::Normal => Decimal::new(20, 0),
            VatRegime::Intermediate => Decimal::new(10, 0),
            VatRegime::Reduced => Decimal::new(55, 1),
            VatRegime::SuperReduced => Decimal::new(21, 1),
        }
    }

    /// The rate as a fraction to multiply by: 0.20, 0.055…
    pub fn rate(self) -> Decimal {
        self.percent() / Decimal::ONE_HUNDRED
    }

    /// Whether VAT is charged, which requires the employer's VAT number.
    pub fn is_charged(self) -> bool {
        self != VatRegime::HorsChamp
    }

    /// As printed in "Taux de TVA": `TVA non applicable`, `20 %`, `5,5 %` (U+202F before `%`).
    pub fn label_fr(self) -> &'static str {
        match self {
            VatRegime::HorsChamp => "TVA non applicable",
            VatRegime::Normal => "20\u{202F}%",
            VatRegime::Intermediate => "10\u{202F}%",
            VatRegime::Reduced => "5,5\u{202F}%",
            VatRegime::SuperReduced => "2,1\u{202F}%",
        }
    }

    /// The mention the form must carry, if any: `TVA non applicable` for `hors_champ`.
    pub fn mention(self) -> Option<&'static str> {
        (self == VatRegime::HorsChamp).then_some("TVA non applicable")
    }

    /// The Factur-X VAT category (UNTDID 5305): `O` (outside the scope) or `S` (standard).
    pub fn category_code(self) -> &'static str {
        match self {
            VatRegime::HorsChamp => "O",
            _ => "S",
        }
    }

    /// The exemption reason code (VATEX) Factur-X wants with category `O`.
    pub fn exemption_reason_code(self) -> Option<&'static str> {
        (self == VatRegime::HorsChamp).then_some("VATEX-EU-O")
    }

    /// The exemption reason text Factur-X wants with category `O`, in French.
    pub fn exemption_reason(self) -> Option<&'static str> {
        (self == VatRegime::HorsChamp)
            .then_some("Hors champ d'application de la TVA : remboursement de rémunérations et de frais de formation")
    }
}

impl fmt::Display for VatRegime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for VatRegime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for VatRegime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<VatRegime, D::Error> {
        let code = String::deserialize(deserializer)?;
        VatRegime::from_code(&code).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown VAT rate {code:?}: expected hors_champ, 20, 10, 5.5 or 2.1"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_rates_are_refused() {
        for regime in VatRegime::ALL {
            assert_eq!(VatRegime::from_code(regime.code()), Some(regime));
            let json = serde_json::to_string(&regime).unwrap();
            assert_eq!(serde_json::from_str::<VatRegime>(&json).unwrap(), regime);
        }
        for bad in ["19.6", "5,5", "20 %", "", "HORS_CHAMP", "0"] {
            assert_eq!(VatRegime::from_code(bad), None, "{bad}");
        }
        assert_eq!(VatRegime::default(), VatRegime::HorsChamp);
    }

    #[test]
    fn rates_and_factur_x_categories() {
        assert_eq!(VatRegime::Reduced.rate().to_string(), "0.055");
        assert_eq!(VatRegime::SuperReduced.rate().to_string(), "0.021");
        assert_eq!(VatRegime::Normal.rate(), Decimal::new(2, 1));
        assert_eq!(VatRegime::HorsChamp.rate(), Decimal::ZERO);
        assert_eq!(VatRegime::HorsChamp.category_code(), "O");
        assert!(VatRegime::HorsChamp.exemption_reason().is_some());
        assert_eq!(VatRegime::HorsChamp.mention(), Some("TVA non applicable"));
        assert_eq!(VatRegime::Reduced.category_code(), "S");
        assert_eq!(VatRegime::Reduced.exemption_reason(), None);
        assert_eq!(VatRegime::Reduced.label_fr(), "5,5\u{202F}%");
    }
}
