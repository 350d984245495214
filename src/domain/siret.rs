//! SIRET: the 14-digit identifier of an establishment (SIREN = its first 9 digits), with a Luhn
//! check key. Spaces and dots typed by people are accepted and dropped.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Siret(String);

impl Siret {
    pub fn parse(text: &str) -> Result<Siret, &'static str> {
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '.' | '\u{a0}' | '\u{202f}')).collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("a SIRET has 14 digits");
        }
        if !luhn_valid(&digits) && !la_poste_valid(&digits) {
            return Err("this SIRET's check key is wrong");
        }
        Ok(Siret(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// La Poste's establishments (SIREN 356 000 000) are too many for the Luhn key: INSEE numbers them
/// so that the sum of their fourteen digits is a multiple of 5.
fn la_poste_valid(digits: &str) -> bool {
    digits.starts_with("356000000") && digits.bytes().map(|b| u32::from(b - b'0')).sum::<u32>() % 5 == 0
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (i % 2 == 1, d * 2) {
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
                (false, _) => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_sirets_parse_with_or_without_spaces() {
        let siret = Siret::parse("065 501 231 00040").unwrap();
        assert_eq!(siret.as_str(), "06550123100040");
        assert_eq!(siret.siren(), "065501231");
        assert!(Siret::parse("48008130600130").is_ok());
    }

    #[test]
    fn wrong_length_letters_and_bad_keys_are_refused() {
        assert!(Siret::parse("4800813060013").is_err());
        assert!(Siret::parse("48008130600131").is_err());
        assert!(Siret::parse("4800813060013A").is_err());
        assert!(Siret::parse("").is_err());
    }

    #[test]
    fn la_poste_establishments_follow_their_own_rule() {
        // Its head office passes the usual key; a bureau, whose key fails it, passes La Poste's:
        // its digits add up to 30.
        assert!(Siret::parse("356 000 000 00048").is_ok());
        assert!(Siret::parse("35600000052135").is_ok());
        assert!(Siret::parse("35600000052136").is_err(), "neither rule");
        assert!(Siret::parse("48008130600131").is_err(), "the sum rule is La Poste's only");
    }
}
