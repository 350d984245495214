//! What an invoice claims against the dossier's accord, line by line: the form's remuneration
//! ("Remun."), meals and lodging ("Repas" + "Héberg."), travel ("Transp.") and other costs
//! ("Divers"), summed over the dossier's invoices that no credit note cancels, this one included.
//! A claim above the accord is not refused: the employer certifies its real costs on the form, and
//! a sent dossier is changed by the OPCO's gestionnaire only; the invoice is flagged, and the
//! assistant who handles the company sees it and pays within the accord.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::compute::{money, Computed};
use crate::domain::Amount;
use crate::dossiers::model::Costs;

/// One line of the form claimed above what the accord grants for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AboveAccord {
    /// `remuneration`, `meals_lodging`, `travel` or `other`, as in the computed invoice.
    pub line: String,
    /// What the dossier's invoices that no credit note cancels claim for it, this one included.
    #[serde(with = "money")]
    #[schema(value_type = String, example = "769.50")]
    pub claimed: Decimal,
    /// What the accord grants for it (0.00 when the dossier states nothing).
    #[serde(with = "money")]
    #[schema(value_type = String, example = "380.00")]
    pub granted: Decimal,
}

/// An amount for each of the four lines, in the order of [`LINES`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lines([Decimal; 4]);

const LINES: [&str; 4] = ["remuneration", "meals_lodging", "travel", "other"];

impl Lines {
    /// What the accord grants for each line; a cost the dossier does not state grants nothing.
    pub fn granted(costs: &Costs) -> Lines {
        let cost = |value: &Option<String>| {
            value.as_deref().and_then(|text| Amount::parse(text).ok()).map_or(Decimal::ZERO, Amount::value)
        };
        Lines([
            cost(&costs.remuneration),
            cost(&costs.meals) + cost(&costs.accommodation),
            cost(&costs.transport),
            cost(&costs.misc),
        ])
    }

    /// What one invoice claims for each line.
    pub fn claimed(computed: &Computed) -> Lines {
        Lines([computed.remuneration, computed.meals_lodging, computed.travel, computed.other.amount])
    }

    fn plus(self, other: Lines) -> Lines {
        let mut sum = self;
        for (line, more) in sum.0.iter_mut().zip(other.0) {
            *line += more;
        }
        sum
    }
}

/// The lines where the `claims` together exceed what is `granted`, in the form's order.
pub fn above(claims: impl IntoIterator<Item = Lines>, granted: Lines) -> Vec<AboveAccord> {
    let claimed = claims.into_iter().fold(Lines::default(), Lines::plus);
    LINES
        .iter()
        .zip(claimed.0.into_iter().zip(granted.0))
        .filter(|(_, (claimed, granted))| claimed > granted)
        .map(|(line, (claimed, granted))| AboveAccord { line: line.to_string(), claimed, granted })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoice::compute;
    use crate::invoice::test_support::{invoice, request};

    fn costs(remuneration: &str, meals: &str, accommodation: &str) -> Costs {
        Costs {
            remuneration: Some(remuneration.into()),
            meals: Some(meals.into()),
            accommodation: Some(accommodation.into()),
            transport: Some("45.60".into()),
            pedagogy: Some("99999.00".into()),
            ..Costs::default()
        }
    }

    #[test]
    fn each_line_of_the_form_is_compared_with_its_costs() {
        // The example: 598.50 remuneration, 120.00 meals, 45.60 travel, nothing else.
        let claim = Lines::claimed(&compute(&invoice(request())));
        assert_eq!(above([claim], Lines::granted(&costs("598.50", "100.00", "20.00"))), []);
        let above = above([claim], Lines::granted(&costs("598.49", "60.00", "59.99")));
        let found: Vec<(&str, String, String)> =
            above.iter().map(|a| (a.line.as_str(), a.claimed.to_string(), a.granted.to_string())).collect();
        let expected = [("remuneration", "598.50", "598.49"), ("meals_lodging", "120.00", "119.99")];
        assert_eq!(found, expected.map(|(l, c, g)| (l, c.to_string(), g.to_string())));
    }

    #[test]
    fn the_dossiers_invoices_add_up_and_an_absent_cost_grants_nothing() {
        let claim = Lines::claimed(&compute(&invoice(request())));
        let granted = Lines::granted(&Costs { remuneration: Some("1197.00".into()), ..Costs::default() });
        let above = above([claim, claim], granted);
        let lines: Vec<&str> = above.iter().map(|a| a.line.as_str()).collect();
        assert_eq!(lines, ["meals_lodging", "travel"], "1197.00 covers two remunerations of 598.50");
        assert_eq!(
            serde_json::to_value(&above[1]).unwrap(),
            serde_json::json!(
                {"line": "travel", "claimed": "91.20", "granted": "0.00"}
            )
        );
    }
}
