//! The dossier's trainees as an invoice's lines name them: "Julie DURAND" or "DURAND Julie",
//! trimmed and case-insensitive. Each trainee has one line at most, so an invoice has no more
//! lines than its dossier has trainees, and never more than [`MAX_LINES`].

use crate::dossiers::model::{Trainee as DossierTrainee, MAX_TRAINEES};

/// The most lines any invoice may have: as many as a dossier may have trainees.
pub const MAX_LINES: usize = MAX_TRAINEES;

/// Who a line is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// The dossier's trainee of this index (the first, when two share a name).
    Listed(usize),
    /// This name, as compared, when the dossier lists no trainees.
    Named(String),
}

/// The dossier's trainees, each by the two ways a line may name them; `None` when it lists none.
pub struct Roster {
    names: Option<Vec<[String; 2]>>,
}

impl Roster {
    pub fn new(trainees: Option<&[DossierTrainee]>) -> Roster {
        let names = trainees.filter(|list| !list.is_empty()).map(|list| {
            let both = |t: &DossierTrainee| {
                [format!("{} {}", t.first_name, t.last_name), format!("{} {}", t.last_name, t.first_name)]
                    .map(|name| compared(&name))
            };
            list.iter().map(both).collect()
        });
        Roster { names }
    }

    /// How many lines an invoice may have: one per trainee, at most [`MAX_LINES`].
    pub fn max_lines(&self) -> usize {
        self.names.as_ref().map_or(MAX_LINES, Vec::len).min(MAX_LINES)
    }

    /// Who `name` is; `None` when it is none of the dossier's trainees.
    pub fn who(&self, name: &str) -> Option<Who> {
        let name = compared(name);
        match &self.names {
            None => Some(Who::Named(name)),
            Some(names) => names.iter().position(|both| both.contains(&name)).map(Who::Listed),
        }
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
            assert_eq!(roster.who(name), Some(Who::Listed(0)), "{name}");
        }
        assert_eq!(roster.who("louis petit"), Some(Who::Listed(1)));
        assert_eq!(roster.who("Madi"), Some(Who::Listed(2)), "a trainee without a first name");
        assert_eq!(roster.who("Julie PETIT"), None);
        assert_eq!(roster.who("Julie  DURAND"), None, "inner spaces count");
    }

    #[test]
    fn namesakes_are_one_trainee() {
        let list = [trainee("Julie", "DURAND"), trainee("Julie", "DURAND")];
        assert_eq!(Roster::new(Some(&list)).who("Julie DURAND"), Some(Who::Listed(0)));
    }

    #[test]
    fn without_a_list_any_name_and_up_to_the_cap() {
        for roster in [Roster::new(None), Roster::new(Some(&[]))] {
            assert_eq!(roster.max_lines(), MAX_LINES);
            assert_eq!(roster.who(" Léa Petit "), Some(Who::Named("léa petit".into())));
        }
    }
}
