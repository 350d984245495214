//! Money and hours as exact decimals, exchanged as strings (`"2020.00"`), never floats.

use std::str::FromStr;

use rust_decimal::Decimal;

/// A non-negative amount in euros with at most two decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(Decimal);

/// A non-negative number of hours with at most two decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hours(Decimal);

fn parse_decimal(text: &str) -> Result<Decimal, &'static str> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err("expected a decimal string such as \"2020.00\"");
    }
    let value = Decimal::from_str(text).map_err(|_| "expected a decimal string such as \"2020.00\"")?;
    if value.scale() > 2 {
        return Err("at most two decimals");
    }
    Ok(value)
}

impl Amount {
    pub fn parse(text: &str) -> Result<Amount, &'static str> {
        parse_decimal(text).map(Amount)
    }

    /// Stored and shown with exactly two decimals: `2020.00`.
    pub fn to_text(self) -> String {
        format!("{:.2}", self.0)
    }
}

impl Hours {
    pub fn parse(text: &str) -> Result<Hours, &'static str> {
        parse_decimal(text).map(Hours)
    }

    pub fn to_text(self) -> String {
        self.0.normalize().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_cents_exactly() {
        assert_eq!(Amount::parse("2020").unwrap().to_text(), "2020.00");
        assert_eq!(Amount::parse("557.13").unwrap().to_text(), "557.13");
        assert_eq!(Hours::parse("21.50").unwrap().to_text(), "21.5");
        for bad in ["-1", "1.234", "1e3", "abc", "", "1,5"] {
            assert!(Amount::parse(bad).is_err(), "{bad}");
        }
    }
}
