//! The one rule for the texts people type (titles, comments, the dossier's fields, the invoice
//! form), shared by the API and the pages: no control character (a NUL cannot be stored by
//! PostgreSQL, and breaks printing), no bidirectional override (it makes a name read as another),
//! no noncharacter. A line break or a tab is allowed only in a text of several lines.

use crate::error::AppError;

/// Whether a text of one line (`multiline` false) or of several may hold `c`.
pub fn is_allowed(c: char, multiline: bool) -> bool {
    if matches!(c, '\n' | '\t' | '\r') {
        return multiline;
    }
    !(c.is_control() || is_bidi_control(c) || is_noncharacter(c))
}

/// The first character of `text` the rule refuses, if any.
pub fn forbidden_char(text: &str, multiline: bool) -> Option<char> {
    text.chars().find(|&c| !is_allowed(c, multiline))
}

/// `text` as a field's value: at most `max` characters, every one allowed; else a 422
/// `validation_failed` naming the field (and the character).
pub fn check(field: &str, text: &str, max: usize, multiline: bool) -> Result<(), AppError> {
    if text.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("At most {max} characters."),
            format!("{max} caractères au plus."),
        ));
    }
    if let Some(c) = forbidden_char(text, multiline) {
        let code = format!("U+{:04X}", u32::from(c));
        return Err(AppError::invalid(
            field,
            format!("The character {code} is not allowed here (control or invisible character)."),
            format!("Le caractère {code} n'est pas accepté ici (caractère de contrôle ou invisible)."),
        ));
    }
    Ok(())
}

/// `text` with every refused character replaced by `_`: for names that are kept as data (a
/// file's name as sent) rather than refused.
pub fn cleaned(text: &str, multiline: bool) -> String {
    text.chars().map(|c| if is_allowed(c, multiline) { c } else { '_' }).collect()
}

/// The embeddings, overrides and isolates of the Unicode bidirectional algorithm.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Lower-cases, folds French accents and ligatures, straightens apostrophes, squeezes spaces.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'â' | 'ä' | 'á' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' => "i",
            'ô' | 'ö' | 'ó' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ÿ' => "y",
            'ç' => "c",
            'œ' => "oe",
            'æ' => "ae",
            '’' | '‘' | '`' | '´' => "'",
            c if c.is_whitespace() => {
                if !space && !out.is_empty() {
                    out.push(' ');
                }
                space = true;
                continue;
            }
            c => {
                out.push(c);
                space = false;
                continue;
            }
        };
        out.push_str(folded);
        space = false;
    }
    out
}

fn is_noncharacter(c: char) -> bool {
    let c = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&c) || c & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_invisible_characters_are_refused() {
        for bad in
            ["facture\0", "a\u{7}b", "\u{1b}[31m", "x\u{85}", "\u{202E}fdp.exe", "a\u{2066}b", "\u{FFFF}", "\u{FDD0}"]
        {
            assert!(forbidden_char(bad, true).is_some(), "{bad:?}");
        }
        for good in ["Facture n° 12 — été", "Émargement (2/3)", "Ça coûte 12 €", "日本", "👍🏽"] {
            assert_eq!(forbidden_char(good, false), None, "{good:?}");
        }
    }

    #[test]
    fn accents_and_case_fold() {
        assert_eq!(fold("Relevé  d’Identité\nBANCAIRE"), "releve d'identite bancaire");
        assert_eq!(fold("  ŒUVRE Æ  "), "oeuvre ae ");
    }

    #[test]
    fn line_breaks_and_tabs_only_in_texts_of_several_lines() {
        assert_eq!(forbidden_char("ligne 1\nligne 2\tfin\r\n", true), None);
        assert_eq!(forbidden_char("titre\n", false), Some('\n'));
        assert_eq!(forbidden_char("a\tb", false), Some('\t'));
    }

    #[test]
    fn the_error_names_the_field_and_the_character() {
        let error = check("title", "facture\0", 300, false).unwrap_err();
        assert_eq!((error.status.as_u16(), error.field.as_deref()), (422, Some("title")));
        assert!(error.detail_fr.contains("U+0000"), "{}", error.detail_fr);
        assert!(error.detail.contains("U+0000"), "{}", error.detail);
        assert!(check("title", &"é".repeat(301), 300, false).unwrap_err().detail.contains("300"));
        assert!(check("title", &"é".repeat(300), 300, false).is_ok());
        assert_eq!(cleaned("fac\0ture\u{202E}.pdf", false), "fac_ture_.pdf");
    }
}
