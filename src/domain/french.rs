//! French formatting for the printed forms, invoice and dossier (Typst has no locale number formatting): amounts as
//! `2 020,00 €`, hours as `7,5`, dates as `27/11/2026`. Thousands are separated by U+202F (narrow
//! no-break space, as the French national printing office recommends), and the same U+202F joins
//! an amount to its `€`, so neither ever wraps onto its own line.

use rust_decimal::{Decimal, RoundingStrategy};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

/// U+202F NARROW NO-BREAK SPACE.
pub const NARROW_NBSP: char = '\u{202F}';

/// `2 020,00 €`: rounded half-up to the cent, a leading `-` when negative (credit notes).
pub fn format_eur(amount: Decimal) -> String {
    let amount = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.2}", amount.abs());
    let (units, cents) = text.split_once('.').unwrap_or((text.as_str(), "00"));
    let sign = if amount.is_sign_negative() && !amount.is_zero() { "-" } else { "" };
    format!("{sign}{},{cents}{NARROW_NBSP}€", group_thousands(units))
}

/// `21`, `7,5`, `1 200`: no trailing zeros, a decimal comma.
pub fn format_hours(hours: Decimal) -> String {
    let text = hours.normalize().abs().to_string();
    let (units, decimals) = match text.split_once('.') {
        Some((units, decimals)) => (units, format!(",{decimals}")),
        None => (text.as_str(), String::new()),
    };
    let sign = if hours.is_sign_negative() && !hours.is_zero() { "-" } else { "" };
    format!("{sign}{}{decimals}", group_thousands(units))
}

/// `27/11/2026`.
/// A SIRET as the guide prints it: the SIREN, then the establishment's number (`065501231
/// 00040`); anything else as it is.
pub fn format_siret(text: &str) -> String {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match (digits.len(), digits.chars().all(|c| c.is_ascii_digit())) {
        (14, true) => format!("{} {}", &digits[..9], &digits[9..]),
        _ => text.to_string(),
    }
}

pub fn format_date(date: Date) -> String {
    // Only numeric components: formatting a `Date` with them cannot fail.
    date.format(format_description!("[day]/[month]/[year]")).unwrap_or_default()
}

/// `2020` → `2 020`, with U+202F between groups of three digits.
fn group_thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() * 2);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(NARROW_NBSP);
        }
        grouped.push(digit);
    }
    grouped
}

/// A stored RFC 3339 UTC moment in Paris time: `01/02/2019 15:08`.
pub fn format_moment(text: &str) -> String {
    let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) else { return text.to_string() };
    let at = at.to_offset(paris_offset(at));
    format!("{} {:02}:{:02}", format_date(at.date()), at.hour(), at.minute())
}

/// Central European Time: UTC+2 from the last Sunday of March, 01:00 UTC, to the last Sunday of
/// October, 01:00 UTC (the European rule since 1996); UTC+1 otherwise.
fn paris_offset(at: OffsetDateTime) -> UtcOffset {
    let at = at.to_offset(UtcOffset::UTC);
    let last_sunday = |month: Month| {
        let next = if month == Month::December { Month::January } else { month.next() };
        let mut day = time::Date::from_calendar_date(at.year(), next, 1).expect("the 1st exists").previous_day();
        while let Some(d) = day.filter(|d| d.weekday() != Weekday::Sunday) {
            day = d.previous_day();
        }
        day.expect("a month has a Sunday").with_hms(1, 0, 0).expect("01:00 exists").assume_utc()
    };
    let summer = at >= last_sunday(Month::March) && at < last_sunday(Month::October);
    UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).expect("a valid offset")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use time::macros::date;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn euros_in_french() {
        assert_eq!(format_eur(dec("2020")), "2\u{202F}020,00\u{202F}€");
        assert_eq!(format_eur(dec("0")), "0,00\u{202F}€");
        assert_eq!(format_eur(dec("5.5")), "5,50\u{202F}€");
        assert_eq!(format_eur(dec("598.50")), "598,50\u{202F}€");
        assert_eq!(format_eur(dec("1234567.89")), "1\u{202F}234\u{202F}567,89\u{202F}€");
        assert_eq!(format_eur(dec("100000")), "100\u{202F}000,00\u{202F}€");
    }

    #[test]
    fn negative_euros_for_credit_notes() {
        assert_eq!(format_eur(dec("-2020.5")), "-2\u{202F}020,50\u{202F}€");
        assert_eq!(format_eur(dec("-0.001")), "0,00\u{202F}€");
    }

    #[test]
    fn euros_round_half_up_to_the_cent() {
        assert_eq!(format_eur(dec("5.075")), "5,08\u{202F}€");
        assert_eq!(format_eur(dec("0.5555")), "0,56\u{202F}€");
        assert_eq!(format_eur(dec("-5.075")), "-5,08\u{202F}€");
        assert_eq!(format_eur(dec("999.995")), "1\u{202F}000,00\u{202F}€");
    }

    #[test]
    fn hours_in_french() {
        assert_eq!(format_hours(dec("21")), "21");
        assert_eq!(format_hours(dec("21.00")), "21");
        assert_eq!(format_hours(dec("7.50")), "7,5");
        assert_eq!(format_hours(dec("7.25")), "7,25");
        assert_eq!(format_hours(dec("0")), "0");
        assert_eq!(format_hours(dec("1200")), "1\u{202F}200");
    }

    #[test]
    fn dates_in_french() {
        assert_eq!(format_date(date!(2026 - 11 - 27)), "27/11/2026");
        assert_eq!(format_date(date!(2027 - 01 - 05)), "05/01/2027");
    }
}
