//! A dossier number such as `19.A.21056.1`: two-digit year, a letter for the scheme, a sequence
//! number, a version.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DossierNumber(String);

impl DossierNumber {
    pub fn parse(text: &str) -> Option<DossierNumber> {
        let parts: Vec<&str> = text.split('.').collect();
        let digits = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
        let ok = parts.len() == 4
            && parts[0].len() == 2
            && digits(parts[0], 2)
            && parts[1].len() == 1
            && parts[1].bytes().all(|b| b.is_ascii_uppercase())
            && digits(parts[2], 9)
            && digits(parts[3], 3);
        ok.then(|| DossierNumber(text.to_string()))
    }

    /// The number of year `yy` with the sequence part `sequence` (at least 5 digits; scheme `A`,
    /// version 1).
    pub fn new_in_year(yy: u8, sequence: u64) -> DossierNumber {
        DossierNumber(format!("{:02}.A.{:05}.1", yy % 100, sequence))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DossierNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_and_generate() {
        assert!(DossierNumber::parse("19.A.21056.1").is_some());
        assert_eq!(DossierNumber::new_in_year(26, 7).as_str(), "26.A.00007.1");
        let drawn = DossierNumber::new_in_year(26, 48_213_907);
        assert_eq!(DossierNumber::parse(drawn.as_str()), Some(drawn));
        for bad in ["19.a.21056.1", "19.A.21056", "1.A.2.1", "19.A..1", "../../x", "19.A.21056.1.2"] {
            assert!(DossierNumber::parse(bad).is_none(), "{bad}");
        }
    }
}
