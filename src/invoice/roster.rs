//! The dossier's trainees as an invoice's lines name them: "Julie DURAND" or "DURAND Julie",
//! trimmed and case-insensitive. Each trainee has one line at most, so an invoice has no more
//! lines than its dossier has trainees, and never more than [`MAX_LINES`]. Two namesakes are two
//! trainees: the first line with their name is the first one's, the second line the second's.

use crate::dossiers::model::{Trainee as DossierTrainee, MAX_TRAINEES};

/// The most lines any invoice may have: as many as a dossier may have trainees.
pub const MAX_LINES: usize = MAX_TRAINEES;

/// Who a line is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// The dossier's trainee of this index.
    Listed(usize),
    /// This name, as compared, when there is no dossier (a specimen rendered offline).
    Named(String),
}

/// Why a line names nobody it may.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unknown {
    /// The name is none of the dossier's trainees.
    NotListed,
    /// Every trainee of that name already has a line: the first of them is this one.
    Taken(usize),
}

/// The trainees an invoice's lines may name: the dossier's, or anyone when there is no dossier.
pub struct Roster {
    names: Option<Vec<[String; 2]>>,
}

impl Roster {
    /// `None`: no dossier, any name. A dossier's list, even empty (then no line is anyone).
    pub fn new(trainees: Option<&[DossierTrainee]>) -> Roster {
        let names = trainees.map(|list| {
            let both = |t: &DossierTrainee| {
                [format!("{} {}", t.first_name, t.last_name), format!("{} {}", t.last_name, t.first_name)]
                    .map(|name| compared(&name))
            };
            list.iter().map(both).collect()
        });
        Roster { names }
    }

    /// True when the dossier lists no trainee at all, so that no line can be checked.
    pub fn is_empty_list(&self) -> bool {
        self.names.as_ref().is_some_and(Vec::is_empty)
    }

    /// How many lines an invoice may have: one per trainee, at most [`MAX_LINES`].
    pub fn max_lines(&self) -> usize {
        self.names.as_ref().map_or(MAX_LINES, Vec::len).min(MAX_LINES)
    }

    /// Who the line naming `name` is for, given `taken`, the lines already read (by whom, from
    /// which line).
    pub fn who(&self, name: &str, taken: &[(Who, usize)]) -> Result<Who, Unknown> {
        let name = compared(name);
        let is_taken = |who: &Who| taken.iter().find(|(known, _)| known == who).map(|&(_, line)| line);
        let Some(names) = &self.names else {
            let who = Who::Named(name);
            return match is_taken(&who) {
                Some(line) => Err(Unknown::Taken(line)),
                None => Ok(who),
            };
        };
        let mut first_line = None;
        for (i, _) in names.iter().enumerate().filter(|(_, both)| both.contains(&name)) {
            match is_taken(&Who::Listed(i)) {
                None => return Ok(Who::Listed(i)),
                Some(line) => first_line = first_line.or(Some(line)),
            }
        }
        Err(first_line.map_or(Unknown::NotListed, Unknown::Taken))
    }
}

/// A name as names are compared: trimmed, lowercase.
fn compared(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trainee(first_name: &str, last_name: &str) -> DossierTrainee {
        DossierTrainee { first_name: first_name.into(), last_name: last_name.into() }
    }

    #[test]
    fn a_line_names_a_trainee_either_way_round_in_any_case() {
        let list = [trainee("Julie", "DURAND"), trainee("Louis", "PETIT"), trainee("", "MADI")];
        let roster = Roster::new(Some(&list));
        assert_eq!(roster.max_lines(), 3);
        for name in ["Julie DURAND", "  durand julie ", "DURAND JULIE"] {
            assert_eq!(roster.who(name, &[]), Ok(Who::Listed(0)), "{name}");
        }
        assert_eq!(roster.who("louis petit", &[]), Ok(Who::Listed(1)));
        assert_eq!(roster.who("Madi", &[]), Ok(Who::Listed(2)), "a trainee without a first name");
        assert_eq!(roster.who("Julie PETIT", &[]), Err(Unknown::NotListed));
        assert_eq!(roster.who("Julie  DURAND", &[]), Err(Unknown::NotListed), "inner spaces count");
    }

    #[test]
    fn one_line_per_trainee_whichever_way_round_it_is_named() {
        let list = [trainee("Paul", "DURAND")];
        let roster = Roster::new(Some(&list));
        let taken = [(Who::Listed(0), 0)];
        assert_eq!(roster.who("Durand Paul", &taken), Err(Unknown::Taken(0)));
    }

    #[test]
    fn namesakes_are_two_trainees_with_a_line_each() {
        let list = [trainee("Julie", "DURAND"), trainee("Louis", "PETIT"), trainee("Julie", "DURAND")];
        let roster = Roster::new(Some(&list));
        assert_eq!(roster.who("Julie DURAND", &[]), Ok(Who::Listed(0)));
        assert_eq!(roster.who("durand julie", &[(Who::Listed(0), 3)]), Ok(Who::Listed(2)));
        let both = [(Who::Listed(0), 3), (Who::Listed(2), 5)];
        assert_eq!(roster.who("Julie DURAND", &both), Err(Unknown::Taken(3)));
    }

    #[test]
    fn a_dossier_without_trainees_names_nobody() {
        let roster = Roster::new(Some(&[]));
        assert!(roster.is_empty_list());
        assert_eq!(roster.max_lines(), 0);
        assert_eq!(roster.who("Léa Petit", &[]), Err(Unknown::NotListed));
    }

    #[test]
    fn without_a_dossier_any_name_once_and_up_to_the_cap() {
        let roster = Roster::new(None);
        assert!(!roster.is_empty_list());
        assert_eq!(roster.max_lines(), MAX_LINES);
        assert_eq!(roster.who(" Léa Petit ", &[]), Ok(Who::Named("léa petit".into())));
        let taken = [(Who::Named("léa petit".into()), 1)];
        assert_eq!(roster.who("LÉA PETIT", &taken), Err(Unknown::Taken(1)));
    }
}
