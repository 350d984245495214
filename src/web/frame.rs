//! What every page has around its content: the title, the stylesheet, and for a signed-in person
//! the header (the company acted for, who is signed in, sign out) and the menu: the guide's for
//! the company acted for, with its counts (Brouillons (n), Dossiers AF (n): en cours, accordés,
//! refusés, clôturés), and for OPCO staff their desk and its queues (À vérifier (n)).

use super::assets;
use super::error::PageResult;
use super::person::Acting;
use crate::auth::session::Session;
use crate::documents::queue::Queue;
use crate::dossiers::{lists, DossierState};
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
    /// The menu entry of this page (`accueil`, `brouillon`, `envoyes`, `en-cours`, `bureau`, …).
    pub here: String,
    /// The company acted for, and its menu (an employer's always; staff's once they open one).
    pub company: Option<CompanyNav>,
    /// OPCO staff's desk: its queues' counts.
    pub desk: Option<DeskNav>,
}

pub struct CompanyNav {
    pub adherent: String,
    pub name: String,
    /// The person acts for several companies: the header offers to change.
    pub can_switch: bool,
    pub drafts: i64,
    pub sent: i64,
    pub states: Vec<MenuState>,
}

pub struct DeskNav {
    /// Dossiers sent, waiting for a decision.
    pub to_decide: i64,
    /// Pieces to check.
    pub to_check: i64,
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
        let counts = lists::count_by_state(&state.db, &acting.session.caller, &acting.company.adherent).await?;
        Frame::with_counts(state, acting, &counts, title, here).await
    }

    /// The same, with the company's dossiers per state already counted (`lists::count_by_state`).
    pub async fn with_counts(
        state: &AppState,
        acting: &Acting,
        counts: &[(DossierState, i64)],
        title: &str,
        here: &str,
    ) -> PageResult<Frame> {
        let caller = &acting.session.caller;
        let companies = crate::auth::perimetre(&state.db, caller).await?;
        let count = |state| counts.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
        let states = [DossierState::Pending, DossierState::Granted, DossierState::Refused, DossierState::Closed]
            .into_iter()
            .map(|s| MenuState { slug: state_slug(s).0, label: state_slug(s).1, count: count(s) })
            .collect::<Vec<_>>();
        let company = CompanyNav {
            adherent: acting.company.adherent.clone(),
            name: acting.company.name.clone(),
            can_switch: companies.len() > 1,
            drafts: count(DossierState::Draft),
            sent: states.iter().map(|s| s.count).sum(),
            states,
        };
        let mut frame = Frame::desk(state, &acting.session, title, here).await?;
        if let Some(nav) = frame.nav.as_mut() {
            nav.company = Some(company);
        }
        Ok(frame)
    }

    /// A page of any signed-in person: with the menu of the company they act for when there is
    /// one (an employer's always), and staff's desk menu for staff.
    pub async fn of_person(state: &AppState, session: &Session, title: &str, here: &str) -> PageResult<Frame> {
        match session.company.clone() {
            Some(company) => {
                let acting = Acting { session: session.clone(), company };
                Frame::of(state, &acting, title, here).await
            }
            None => Frame::desk(state, session, title, here).await,
        }
    }

    /// A page of a signed-in person without a company's menu (OPCO staff's desk); staff get the
    /// desk's menu.
    pub async fn desk(state: &AppState, session: &Session, title: &str, here: &str) -> PageResult<Frame> {
        let caller = &session.caller;
        let desk = if caller.is_staff() {
            let counts = lists::count_by_state(&state.db, caller, "").await?;
            let to_decide = counts.iter().find(|(s, _)| *s == DossierState::Pending).map_or(0, |(_, n)| *n);
            let to_check = crate::documents::queue::count(&state.db, caller, Queue::ToCheck).await?;
            Some(DeskNav { to_decide, to_check })
        } else {
            None
        };
        Ok(Frame {
            opco: state.config.opco.name.clone(),
            nav: Some(Nav {
                person: session.display_name.clone(),
                csrf: session.csrf.clone(),
                here: here.to_string(),
                company: None,
                desk,
            }),
            ..Frame::bare(title)
        })
    }
}
