//! What every page has around its content: the title, the stylesheet, and for a signed-in person
//! the header (the company acted for, who is signed in, sign out) and the guide's menu with its
//! counts (Brouillons (n), Dossiers AF (n): en cours, accordés, refusés, clôturés).

use super::assets;
use super::error::PageResult;
use super::person::Acting;
use crate::dossiers::{sql, DossierState};
use crate::state::AppState;

pub struct Frame {
    pub title: String,
    pub css: &'static str,
    pub js: &'static str,
    pub icon: &'static str,
    pub opco: String,
    pub nav: Option<Nav>,
}

pub struct Nav {
    pub person: String,
    pub csrf: String,
    pub adherent: String,
    pub company: String,
    /// The person acts for several companies: the header offers to change.
    pub can_switch: bool,
    /// The menu entry of this page (`accueil`, `brouillon`, `envoyes`, `en-cours`, …).
    pub here: String,
    pub drafts: i64,
    pub sent: i64,
    pub states: Vec<MenuState>,
}

pub struct MenuState {
    pub slug: &'static str,
    pub label: &'static str,
    pub count: i64,
}

/// The slug of a state in page addresses (`/dossiers?etat=en-cours`) and its plural label.
pub fn state_slug(state: DossierState) -> (&'static str, &'static str) {
    match state {
        DossierState::Draft => ("brouillon", "Brouillons"),
        DossierState::Pending => ("en-cours", "En cours"),
        DossierState::Granted => ("accorde", "Accordés"),
        DossierState::Refused => ("refuse", "Refusés"),
        DossierState::Closed => ("cloture", "Clôturés"),
    }
}

pub fn state_of_slug(slug: &str) -> Option<DossierState> {
    DossierState::ALL.iter().copied().find(|s| state_slug(*s).0 == slug)
}

impl Frame {
    /// A page without the menu (sign-in, errors).
    pub fn bare(title: &str) -> Frame {
        Frame {
            title: title.to_string(),
            css: assets::css(),
            js: assets::js(),
            icon: assets::icon(),
            opco: "AKTO".into(),
            nav: None,
        }
    }

    /// A page without the menu, in the OPCO's name.
    pub fn plain(state: &AppState, title: &str) -> Frame {
        Frame { opco: state.config.opco.name.clone(), ..Frame::bare(title) }
    }

    /// A page of a person acting for a company, with its menu; `here` is its menu entry.
    pub async fn of(state: &AppState, acting: &Acting, title: &str, here: &str) -> PageResult<Frame> {
        let caller = &acting.session.caller;
        let counts = sql::count_by_state(&state.db, caller, &acting.company.adherent).await?;
        let companies = crate::auth::perimetre(&state.db, caller).await?;
        let count = |state| counts.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
        let states = [DossierState::Pending, DossierState::Granted, DossierState::Refused, DossierState::Closed]
            .into_iter()
            .map(|s| MenuState { slug: state_slug(s).0, label: state_slug(s).1, count: count(s) })
            .collect::<Vec<_>>();
        Ok(Frame {
            opco: state.config.opco.name.clone(),
            nav: Some(Nav {
                person: acting.session.display_name.clone(),
                csrf: acting.session.csrf.clone(),
                adherent: acting.company.adherent.clone(),
                company: acting.company.name.clone(),
                can_switch: companies.len() > 1,
                here: here.to_string(),
                drafts: count(DossierState::Draft),
                sent: states.iter().map(|s| s.count).sum(),
                states,
            }),
            ..Frame::bare(title)
        })
    }
}
