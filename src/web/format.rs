//! French display of stored values: amounts `2 020,00 €`, days `06/06/2019`, moments in Paris
//! time `01/02/2019 15:08`, sizes `1,2 Mo`, and query values escaped for links.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::domain::french;

/// `"2020.00"` → `2 020,00 €`; a value that is not a number is shown as stored.
pub fn eur(text: &str) -> String {
    Decimal::from_str(text).map(french::format_eur).unwrap_or_else(|_| text.to_string())
}

/// `"2020.00"` → `2 020,00` (the cost grid, whose labels say the unit); `"21"` → `21,00`.
pub fn number(text: &str) -> String {
    match Decimal::from_str(text) {
        Ok(value) => {
            let with_unit = french::format_eur(value);
            with_unit.trim_end_matches('€').trim_end_matches(french::NARROW_NBSP).to_string()
        }
        Err(_) => text.to_string(),
    }
}

/// `"2019-06-06"` → `06/06/2019`.
pub fn day(text: &str) -> String {
    match crate::domain::iso_date::parse(text) {
        Some(date) => french::format_date(date),
        None => text.to_string(),
    }
}

/// `du 06/06/2019 au 05/07/2019`, or what is known of it.
pub fn period(start: Option<&str>, end: Option<&str>) -> String {
    match (start, end) {
        (Some(start), Some(end)) => format!("du {} au {}", day(start), day(end)),
        (Some(start), None) => format!("à partir du {}", day(start)),
        (None, Some(end)) => format!("jusqu'au {}", day(end)),
        (None, None) => String::new(),
    }
}

/// A stored RFC 3339 UTC moment in Paris time: `01/02/2019 15:08`.
pub fn moment(text: &str) -> String {
    french::format_moment(text)
}

/// `532 octets`, `12 Ko`, `1,2 Mo`.
pub fn size(bytes: i64) -> String {
    if bytes < 1024 {
        format!("{bytes} octets")
    } else if bytes < 1024 * 1024 {
        format!("{} Ko", (bytes + 1023) / 1024)
    } else {
        format!("{:.1} Mo", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    }
}

/// `06550123100040` → `065501231 00040` (SIREN, then the establishment's NIC), as the guide
/// prints it; anything else as stored.
pub fn siret(text: &str) -> String {
    crate::domain::french::format_siret(text)
}

/// A value escaped for a query string.
pub fn url(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_read_the_french_way() {
        assert_eq!(eur("2020.00"), "2\u{202F}020,00\u{202F}€");
        assert_eq!(number("557.13"), "557,13");
        assert_eq!(number("21"), "21,00");
        assert_eq!(day("2019-06-06"), "06/06/2019");
        assert_eq!(period(Some("2019-06-06"), Some("2019-07-05")), "du 06/06/2019 au 05/07/2019");
        assert_eq!(size(1_300_000), "1,2 Mo");
        assert_eq!(siret("06550123100040"), "065501231 00040");
    }

    #[test]
    fn moments_are_in_paris_time_summer_and_winter() {
        assert_eq!(moment("2019-02-01T14:08:10.000000Z"), "01/02/2019 15:08", "winter: UTC+1");
        assert_eq!(moment("2026-07-14T10:00:00Z"), "14/07/2026 12:00", "summer: UTC+2");
        // 2026-03-29 is the last Sunday of March: summer time from 01:00 UTC.
        assert_eq!(moment("2026-03-29T00:59:00Z"), "29/03/2026 01:59");
        assert_eq!(moment("2026-03-29T01:00:00Z"), "29/03/2026 03:00");
        // 2026-10-25 is the last Sunday of October: winter time from 01:00 UTC.
        assert_eq!(moment("2026-10-25T00:59:00Z"), "25/10/2026 02:59");
        assert_eq!(moment("2026-10-25T01:00:00Z"), "25/10/2026 02:00");
    }
}
