//! Money and hours as exact decimals, exchanged as strings (`"2020.00"`), never floats.

use std::str::FromStr;

use rust_decimal::Decimal;

/// A non-negative amount in euros with at most two decimals, below one thousand billion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(Decimal);

/// A non-negative number of hours with at most two decimals, below one million.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hours(Decimal);

/// Why a decimal string was refused. `Display` gives the English reason, [`DecimalError::fr`] the
/// French one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("expected a decimal string such as \"2020.00\"")]
    NotADecimal,
    #[error("must not be negative")]
    Negative,
    #[error("at most two decimals")]
    TooManyDecimals,
    #[error("too large")]
    TooLarge,
}

impl DecimalError {
    /// A stable machine code: `not_a_decimal`, `negative`, `too_many_decimals`, `too_large`.
    pub fn code(self) -> &'static str {
        match self {
            DecimalError::NotADecimal => "not_a_decimal",
            DecimalError::Negative => "negative",
            DecimalError::TooManyDecimals => "too_many_decimals",
            DecimalError::TooLarge => "too_large",
        }
    }

    pub fn fr(self) -> &'static str {
        match self {
            DecimalError::NotADecimal => "une chaîne décimale est attendue, par exemple \"2020.00\"",
            DecimalError::Negative => "ne doit pas être négatif",
            DecimalError::TooManyDecimals => "deux décimales au plus",
            DecimalError::TooLarge => "trop grand",
        }
    }
}

/// Parses a non-negative decimal below `limit` with at most two decimals.
fn parse_decimal(text: &str, limit: Decimal) -> Result<Decimal, DecimalError> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(DecimalError::NotADecimal);
    }
    let value = Decimal::from_str(digits).map_err(|_| DecimalError::NotADecimal)?;
    if negative {
        return Err(DecimalError::Negative);
    }
    if value.scale() > 2 {
        return Err(DecimalError::TooManyDecimals);
    }
    if value >= limit {
        return Err(DecimalError::TooLarge);
    }
    Ok(value)
}

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);
    /// Amounts stay below 10¹² € so that every product and sum of an invoice fits a `Decimal`.
    const LIMIT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

    pub fn parse(text: &str) -> Result<Amount, DecimalError> {
        parse_decimal(text, Amount::LIMIT).map(Amount)
    }

    /// Stored and shown with exactly two decimals: `2020.00`.
    pub fn to_text(self) -> String {
        format!("{:.2}", self.0)
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl Hours {
    /// Hours stay below one million (a training lasts far less).
    const LIMIT: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

    pub fn parse(text: &str) -> Result<Hours, DecimalError> {
        parse_decimal(text, Hours::LIMIT).map(Hours)
    }

    pub fn to_text(self) -> String {
        self.0.normalize().to_string()
    }

    pub fn value(self) -> Decimal {
        self.0
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
        for bad in ["-1", "1.234", "1e3", "abc", "", "1,5", "-", "+1"] {
            assert!(Amount::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(Amount::parse("-1.50"), Err(DecimalError::Negative));
        assert_eq!(Amount::parse("12.345"), Err(DecimalError::TooManyDecimals));
        assert_eq!(Amount::parse("1e3"), Err(DecimalError::NotADecimal));
        assert_eq!(Amount::parse("--1"), Err(DecimalError::NotADecimal));
        assert_eq!(Amount::parse("999999999999.99").unwrap().to_text(), "999999999999.99");
        assert_eq!(Amount::parse("1000000000000"), Err(DecimalError::TooLarge));
        assert_eq!(Hours::parse("1000000"), Err(DecimalError::TooLarge));
        assert_eq!(Hours::parse("999999.99").unwrap().to_text(), "999999.99");
    }
}
