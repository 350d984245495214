//! The invoice's lines and totals to the cent, from a valid [`Invoice`]. Money is
//! `rust_decimal::Decimal` and is rounded half-up (away from zero at .5) to the cent at exactly two
//! points: each trainee's remuneration (hourly cost × hours) and the VAT (TOTAL HT × rate).
//! Everything else is an exact sum of amounts that already have two decimals.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::model::{Invoice, Trainee};
use super::vat::VatRegime;

/// The computed invoice. In JSON every amount is a string with exactly two decimals (`"2020.00"`)
/// and hours a string without trailing zeros (`"7.5"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Computed {
    /// The remuneration table, one line per trainee, in the request's order.
    pub trainees: Vec<TraineeLine>,
    /// "Nombre total de stagiaires".
    pub trainee_count: usize,
    /// "Rémunération des stagiaires": the sum of the trainees' lines.
    #[serde(with = "money")]
    pub remuneration: Decimal,
    /// "Frais de restauration et d'hébergement".
    #[serde(with = "money")]
    pub meals_lodging: Decimal,
    /// "Frais de déplacement".
    #[serde(with = "money")]
    pub travel: Decimal,
    /// "Autres frais (préciser)".
    pub other: OtherLine,
    /// "Taux de TVA", as its code: `hors_champ`, `20`, `10`, `5.5`, `2.1`.
    pub vat: VatRegime,
    /// TOTAL HT = remuneration + meals and lodging + travel + other.
    #[serde(with = "money")]
    pub total_ht: Decimal,
    /// TOTAL TVA = TOTAL HT × rate, rounded half-up to the cent.
    #[serde(with = "money")]
    pub total_tva: Decimal,
    /// TOTAL TTC = TOTAL HT + TOTAL TVA.
    #[serde(with = "money")]
    pub total_ttc: Decimal,
}

/// One row of the remuneration table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraineeLine {
    pub name: String,
    /// Loaded hourly salary.
    #[serde(with = "money")]
    pub hourly_cost: Decimal,
    /// Hours of effective presence.
    #[serde(with = "hours")]
    pub hours: Decimal,
    /// Imputable remuneration: hourly cost × hours, rounded half-up to the cent.
    #[serde(with = "money")]
    pub remuneration: Decimal,
}

/// "Autres frais" and what they are ("préciser"); the label is empty when the amount is zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherLine {
    pub label: String,
    #[serde(with = "money")]
    pub amount: Decimal,
}

/// Computes the lines and totals. Cannot fail: amounts below 10¹² € and hours below 10⁶ (see
/// [`Amount`](crate::domain::Amount)) keep every product and sum far inside `Decimal`'s range.
pub fn compute(invoice: &Invoice) -> Computed {
    let trainees: Vec<TraineeLine> = invoice.trainees.iter().map(TraineeLine::new).collect();
    let remuneration: Decimal = trainees.iter().map(|line| line.remuneration).sum();
    let other = OtherLine { label: invoice.other.label.clone(), amount: invoice.other.amount.value() };
    let meals_lodging = invoice.meals_lodging.value();
    let travel = invoice.travel.value();
    let total_ht = remuneration + meals_lodging + travel + other.amount;
    let total_tva = vat_of(total_ht, invoice.vat);
    Computed {
        trainee_count: trainees.len(),
        trainees,
        remuneration,
        meals_lodging,
        travel,
        other,
        vat: invoice.vat,
        total_ht,
        total_tva,
        total_ttc: total_ht + total_tva,
    }
}

impl TraineeLine {
    fn new(trainee: &Trainee) -> TraineeLine {
        let hourly_cost = trainee.hourly_cost.value();
        let hours = trainee.hours.value();
        TraineeLine { name: trainee.name.clone(), hourly_cost, hours, remuneration: round_cents(hourly_cost * hours) }
    }
}

/// The VAT on `total_ht`: 0 outside its scope, else rounded half-up to the cent.
pub fn vat_of(total_ht: Decimal, regime: VatRegime) -> Decimal {
    round_cents(total_ht * regime.rate())
}

/// Rounds half-up to the cent: 5.075 → 5.08, 0.5555 → 0.56, -5.075 → -5.08.
pub fn round_cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Serde for amounts: `"2020.00"` out; in, any decimal string with at most two decimals.
pub(super) mod money {
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{value:.2}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(deserializer)?;
        let value = Decimal::from_str(&text).map_err(de::Error::custom)?;
        if value.scale() > 2 {
            return Err(de::Error::custom(format!("{text:?} has more than two decimals")));
        }
        Ok(value)
    }
}

/// Serde for hours: `"21"`, `"7.5"`.
mod hours {
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&value.normalize())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(deserializer)?;
        Decimal::from_str(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::invoice::test_support::{invoice, request};

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn the_issue_example_adds_up() {
        let computed = compute(&invoice(request()));
        assert_eq!(computed.trainees[0].remuneration, dec("598.50")); // 28.50 × 21
        assert_eq!(computed.remuneration, dec("598.50"));
        assert_eq!(computed.total_ht, dec("764.10")); // 598.50 + 120.00 + 45.60 + 0.00
        assert_eq!(computed.total_tva, Decimal::ZERO);
        assert_eq!(computed.total_ttc, dec("764.10"));
        assert_eq!(computed.trainee_count, 1);
        assert_eq!(computed.vat, VatRegime::HorsChamp);
    }

    #[test]
    fn a_remuneration_rounds_half_up_to_the_cent() {
        let mut body = request();
        body["trainees"] = json!([{"name": "Paul Durand", "hourly_cost": "10.15", "hours": "0.5"},
                                  {"name": "Léa Petit", "hourly_cost": "10.15", "hours": "0.7"}]);
        let computed = compute(&invoice(body));
        assert_eq!(computed.trainees[0].remuneration, dec("5.08")); // 5.075
        assert_eq!(computed.trainees[1].remuneration, dec("7.11")); // 7.105
        assert_eq!(computed.remuneration, dec("12.19"));
    }

    fn vat_on(total_ht: &str, vat: &str) -> Computed {
        let body = json!({"date": "2026-11-27", "place": "Paris", "signatory": {"name": "Anne Martin"},
            "trainees": [{"name": "Paul Durand", "hourly_cost": total_ht, "hours": "1"}], "vat": vat});
        compute(&invoice(body))
    }

    #[test]
    fn vat_rounds_half_up_to_the_cent() {
        let twenty = vat_on("1234.56", "20");
        assert_eq!((twenty.total_tva, twenty.total_ttc), (dec("246.91"), dec("1481.47"))); // 246.912
        let reduced = vat_on("10.10", "5.5");
        assert_eq!((reduced.total_tva, reduced.total_ttc), (dec("0.56"), dec("10.66"))); // 0.5555
        assert_eq!(vat_on("0.25", "10").total_tva, dec("0.03")); // 0.025: half-up, not half-even
        assert_eq!(vat_on("0.25", "2.1").total_tva, dec("0.01")); // 0.00525
        assert_eq!(vat_on("1234.56", "hors_champ").total_tva, Decimal::ZERO);
    }

    #[test]
    fn json_amounts_have_exactly_two_decimals() {
        let mut body = request();
        body["trainees"] = json!([{"name": "Paul Durand", "hourly_cost": "20.2", "hours": "100.00"}]);
        body["other"] = json!({"label": "Parking", "amount": "3"});
        let computed = serde_json::to_value(compute(&invoice(body))).unwrap();
        assert_eq!(computed["trainees"][0]["hourly_cost"], "20.20");
        assert_eq!(computed["trainees"][0]["hours"], "100");
        assert_eq!(computed["trainees"][0]["remuneration"], "2020.00");
        assert_eq!(computed["other"], json!({"label": "Parking", "amount": "3.00"}));
        assert_eq!(computed["meals_lodging"], "120.00");
        assert_eq!(computed["total_ht"], "2188.60");
        assert_eq!(computed["total_tva"], "0.00");
        assert_eq!(computed["vat"], "hors_champ");
        assert_eq!(computed["trainee_count"], 1);
    }

    #[test]
    fn serialized_output_reads_back_the_same() {
        let computed = vat_on("1234.56", "5.5");
        let json = serde_json::to_string(&computed).unwrap();
        assert_eq!(serde_json::from_str::<Computed>(&json).unwrap(), computed);
        assert!(serde_json::from_str::<Computed>(&json.replace("\"1234.56\"", "\"1234.567\"")).is_err());
    }
}
