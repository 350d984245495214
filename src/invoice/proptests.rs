//! Property tests of the invoice computation over generated valid requests: the totals add up
//! exactly, every amount has at most two decimals, rounding stays within half a cent and is
//! half-up, and computing again (or from the serialized output) changes nothing.

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::compute::{compute, round_cents, Computed};
use super::test_support::invoice;
use super::vat::VatRegime;
use crate::domain::french::{format_eur, NARROW_NBSP};

/// A decimal string with 0 to 2 decimals: `"1234"`, `"12.3"`, `"0.05"`; now and then a huge one.
fn decimal_text(everyday_units: i64) -> impl Strategy<Value = String> {
    let everyday = (0..=everyday_units, 0u32..=2);
    let huge = (0..1_000_000_000_000i64, 0u32..=2);
    prop_oneof![9 => everyday, 1 => huge].prop_map(|(units, scale)| Decimal::new(units, scale).to_string())
}

fn hours_text() -> impl Strategy<Value = String> {
    (0..=100_000i64, 0u32..=2).prop_map(|(units, scale)| Decimal::new(units, scale).to_string())
}

/// 1 to 15 trainee lines, each a different trainee (an invoice has one line per trainee).
fn trainees() -> impl Strategy<Value = Vec<Value>> {
    let lines =
        prop::collection::btree_map("[A-Z][a-zé]{1,10} [A-Z][a-z]{1,10}", (decimal_text(10_000), hours_text()), 1..=15);
    lines.prop_map(|lines| {
        lines
            .into_iter()
            .map(|(name, (hourly_cost, hours))| json!({"name": name, "hourly_cost": hourly_cost, "hours": hours}))
            .collect()
    })
}

fn request() -> impl Strategy<Value = Value> {
    let trainees = trainees();
    let costs = (decimal_text(1_000_000), decimal_text(1_000_000), decimal_text(1_000_000));
    (trainees, costs, prop::sample::select(VatRegime::ALL.to_vec())).prop_map(
        |(trainees, (meals, travel, other), vat)| {
            json!({"date": "2026-11-27", "place": "Paris", "signatory": {"name": "Anne Martin", "function": "Gérante"},
               "trainees": trainees, "meals_lodging": meals, "travel": travel,
               "other": {"label": "Location de salle", "amount": other}, "vat": vat.code()})
        },
    )
}

/// A request made from a computed invoice's own JSON output.
fn request_from(output: &Value) -> Value {
    let trainees: Vec<Value> = output["trainees"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|line| json!({"name": line["name"], "hourly_cost": line["hourly_cost"], "hours": line["hours"]}))
        .collect();
    json!({"date": "2026-11-27", "place": "Paris", "signatory": {"name": "Anne Martin"}, "trainees": trainees,
           "meals_lodging": output["meals_lodging"], "travel": output["travel"], "other": output["other"],
           "vat": output["vat"]})
}

fn amounts(computed: &Computed) -> Vec<Decimal> {
    let totals = [computed.remuneration, computed.meals_lodging, computed.travel, computed.other.amount];
    let lines = computed.trainees.iter().flat_map(|line| [line.hourly_cost, line.remuneration]);
    totals.into_iter().chain(lines).chain([computed.total_ht, computed.total_tva, computed.total_ttc]).collect()
}

/// Whether `text` reads like `"2020.00"`.
fn two_decimals(text: &str) -> bool {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    text.split_once('.').is_some_and(|(units, cents)| digits(units) && digits(cents) && cents.len() == 2)
}

/// Rounded to the cent, within half a cent of `exact`, and away from zero at exactly half.
fn rounded_half_up(rounded: Decimal, exact: Decimal) -> bool {
    let half_cent = Decimal::new(5, 3);
    let gap = (rounded - exact).abs();
    rounded.scale() <= 2 && gap <= half_cent && (gap < half_cent || rounded > exact)
}

proptest! {
    #[test]
    fn totals_add_up_exactly(body in request()) {
        let computed = compute(&invoice(body));
        prop_assert_eq!(computed.total_ttc, computed.total_ht + computed.total_tva);
        let lines: Decimal = computed.trainees.iter().map(|line| line.remuneration).sum();
        prop_assert_eq!(computed.remuneration, lines);
        let costs = computed.meals_lodging + computed.travel + computed.other.amount;
        prop_assert_eq!(computed.total_ht, computed.remuneration + costs);
        prop_assert_eq!(computed.trainee_count, computed.trainees.len());
    }

    #[test]
    fn every_amount_has_at_most_two_decimals(body in request()) {
        let computed = compute(&invoice(body));
        for amount in amounts(&computed) {
            prop_assert!(amount.scale() <= 2, "{}", amount);
        }
        let output = serde_json::to_value(&computed).unwrap();
        let mut texts = vec![&output["remuneration"], &output["total_ht"], &output["total_tva"], &output["total_ttc"]];
        texts.extend([&output["meals_lodging"], &output["travel"], &output["other"]["amount"]]);
        for line in output["trainees"].as_array().into_iter().flatten() {
            texts.extend([&line["hourly_cost"], &line["remuneration"]]);
        }
        for text in texts {
            prop_assert!(text.as_str().is_some_and(two_decimals), "{}", text);
        }
    }

    #[test]
    fn rounding_is_half_up_within_half_a_cent(body in request()) {
        let computed = compute(&invoice(body));
        for line in &computed.trainees {
            prop_assert!(rounded_half_up(line.remuneration, line.hourly_cost * line.hours), "{:?}", line);
        }
        let exact_tva = computed.total_ht * computed.vat.rate();
        prop_assert!(rounded_half_up(computed.total_tva, exact_tva), "{} for {}", computed.total_tva, exact_tva);
    }

    #[test]
    fn computing_again_or_from_the_output_changes_nothing(body in request()) {
        let first = compute(&invoice(body.clone()));
        prop_assert_eq!(&compute(&invoice(body)), &first);
        let output = serde_json::to_value(&first).unwrap();
        prop_assert_eq!(&serde_json::from_value::<Computed>(output.clone()).unwrap(), &first);
        prop_assert_eq!(&compute(&invoice(request_from(&output))), &first);
    }

    #[test]
    fn french_amounts_read_back_as_the_rounded_value(units in any::<i64>(), scale in 0u32..=4) {
        let amount = Decimal::new(units, scale);
        let printed = format_eur(amount);
        let plain: String = printed.trim_end_matches('€').replace(NARROW_NBSP, "").replace(',', ".");
        prop_assert_eq!(plain.parse::<Decimal>().unwrap(), round_cents(amount), "{}", printed);
        prop_assert!(round_cents(round_cents(amount)) == round_cents(amount));
    }
}
