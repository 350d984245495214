//! The accueil and the dossier lists: `GET /` (Vos coordonnées, Vos interlocuteurs, the counts)
//! and `GET /dossiers` (a list per state: sorted, paged, filtered by a text box). Each reads
//! through the same functions as the API, with the périmètre rule of `auth`. A dossier's own page
//! is `dossier.rs`; what changes a dossier from the pages (print, delete a draft, staff's
//! decision) is `dossier_actions.rs`.

use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::error::{html, PageError, PageResult};
use super::format;
use super::frame::{state_of_slug, state_slug, Frame};
use super::person::Acting;
use crate::companies::CompanyProfile;
use crate::dossiers::lists::{self, Count, DossierSummary, Listing, Sort};
use crate::dossiers::DossierState;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "web/accueil.html")]
struct HomePage {
    frame: Frame,
    company: CompanyProfile,
    /// `065501231 00040`: the SIREN, then the establishment's number, as the guide shows it.
    siret: String,
}

/// `GET /`: the accueil of the company acted for.
pub async fn home(State(state): State<AppState>, acting: Acting) -> PageResult {
    let frame = Frame::of(&state, &acting, "Accueil", "accueil").await?;
    let company = crate::companies::profile(&state.db, &acting.session.caller, &acting.company.adherent)
        .await?
        .ok_or_else(PageError::not_found)?;
    let siret = company.siret.as_deref().map(format::siret).unwrap_or_default();
    html(HomePage { frame, company, siret })
}

pub const PAGE_SIZE: i64 = 20;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// `brouillon`, `en-cours`, `accorde`, `refuse`, `cloture`; none: every dossier sent.
    etat: Option<String>,
    /// Words of the number, intitulé or organisme.
    q: Option<String>,
    /// `modification` (default), `numero`, `debut`, `intitule`.
    tri: Option<String>,
    page: Option<i64>,
    /// The number of the draft just deleted.
    supprime: Option<String>,
}

pub struct Row {
    pub number: String,
    pub state: &'static str,
    pub title: String,
    pub provider: String,
    pub dates: String,
    pub amount: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "web/dossiers.html")]
struct ListPage {
    frame: Frame,
    heading: String,
    etat: String,
    q: String,
    tri: String,
    rows: Vec<Row>,
    /// "12", or "plus de 500" past what a list filtered by words counts.
    total: String,
    /// `Some(COUNTED_UP_TO)` when more dossiers match the words: the page asks for more precise ones.
    too_many: Option<i64>,
    page: i64,
    /// `None` past what a list filtered by words counts.
    pages: Option<i64>,
    next: bool,
    /// `?etat=…&q=…&tri=…&` for the page links.
    base: String,
    deleted: Option<String>,
}

/// A list filtered by words counts its matches up to this many (25 pages); past it, it says
/// "plus de 500" and asks for more precise words, instead of counting every dossier a common word
/// matches (`lists::Count::UpTo`).
const COUNTED_UP_TO: i64 = 500;

const SORTS: [(&str, Sort); 4] =
    [("modification", Sort::Updated), ("numero", Sort::Number), ("debut", Sort::Start), ("intitule", Sort::Title)];

/// `GET /dossiers`
pub async fn list(State(state): State<AppState>, acting: Acting, Query(query): Query<ListQuery>) -> PageResult {
    let etat = query.etat.unwrap_or_default();
    let state_filter = match etat.as_str() {
        "" => None,
        slug => Some(state_of_slug(slug).ok_or_else(PageError::not_found)?),
    };
    let (tri, sort) = SORTS.iter().find(|(name, _)| Some(*name) == query.tri.as_deref()).copied().unwrap_or(SORTS[0]);
    let q: String = query.q.unwrap_or_default().chars().take(100).collect();
    let page = query.page.unwrap_or(1).clamp(1, 10_000);
    let mut listing = Listing {
        company: &acting.company.adherent,
        state: state_filter,
        sent_only: state_filter.is_none(),
        text: &q,
        sort,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        count: Count::UpTo(COUNTED_UP_TO),
    };
    let (here, heading) = match state_filter {
        None => ("envoyes".to_string(), "Dossiers AF".to_string()),
        Some(DossierState::Draft) => ("brouillon".to_string(), "Brouillons".to_string()),
        Some(s) => (state_slug(s).0.to_string(), format!("Dossiers AF {}", state_slug(s).1.to_lowercase())),
    };
    // With words, the list counts its matches beside the menu's counts (at once: on PostgreSQL,
    // on two connections). Without, the menu's counts per state are the list's total: they come
    // first, then the page and the rest of the menu.
    let db = &state.db;
    let caller = &acting.session.caller;
    let (listed, frame) = if !q.trim().is_empty() {
        tokio::join!(lists::list_visible(db, caller, &listing), Frame::of(&state, &acting, &heading, &here))
    } else {
        let counts = lists::count_by_state(db, caller, &acting.company.adherent).await?;
        listing.count = lists::known_total(&counts, &listing).map_or(listing.count, Count::Known);
        tokio::join!(
            lists::list_visible(db, caller, &listing),
            Frame::with_counts(&state, &acting, &counts, &heading, &here)
        )
    };
    let (total, dossiers) = listed?;
    let frame = frame?;
    let too_many = match listing.count {
        Count::UpTo(most) if total > most.max(listing.offset + listing.limit) => Some(most),
        _ => None,
    };
    let base = format!("?etat={}&q={}&tri={tri}&", format::url(&etat), format::url(&q));
    html(ListPage {
        frame,
        heading,
        etat,
        q,
        tri: tri.to_string(),
        rows: dossiers.into_iter().map(row).collect(),
        total: too_many.map_or_else(|| total.to_string(), |most| format!("plus de {most}")),
        too_many,
        page,
        pages: too_many.is_none().then(|| ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)),
        next: total > page * PAGE_SIZE,
        base,
        deleted: query.supprime.filter(|n| crate::domain::DossierNumber::parse(n).is_some()),
    })
}

fn row(d: DossierSummary) -> Row {
    Row {
        state: d.state.label_fr(),
        title: d.title.unwrap_or_default(),
        provider: d.provider_name.unwrap_or_default(),
        dates: format::period(d.start_date.as_deref(), d.end_date.as_deref()),
        amount: d.total_cost.as_deref().map(format::eur).unwrap_or_default(),
        updated: format::moment(&d.updated_at),
        number: d.number,
    }
}
