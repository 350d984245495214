//! An invoice's number, `FE2026-00001`: the year of its date, then the issuing company's one
//! sequence (at least five digits). The company's numbers are chronological and without gaps.
//! (Numbers stored before dates were checked may have another year part: `FE-000-00001`.)

use std::fmt;

use time::Date;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceNumber(String);

impl InvoiceNumber {
    /// The number of the company's `sequence`-th invoice, dated `date`.
    pub fn new(date: Date, sequence: i64) -> InvoiceNumber {
        InvoiceNumber(format!("FE{:04}-{sequence:05}", date.year()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_number_is_the_year_of_its_date_then_its_sequence() {
        assert_eq!(InvoiceNumber::new(date!(2026 - 11 - 27), 1).as_str(), "FE2026-00001");
        assert_eq!(InvoiceNumber::new(date!(2000 - 01 - 01), 123_456).as_str(), "FE2000-123456");
    }
}
