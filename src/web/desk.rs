//! OPCO staff's desk: `GET /` for an assistant(e) formation is the accueil of their work (the
//! companies they handle, the dossiers waiting for a decision, oldest first, the pieces to
//! check, the pieces attached since their last visit), and `GET /a-verifier` the whole queue of
//! pieces to check. An employer's `GET /` is their company's accueil; the desk's pages are not
//! found for them.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::dossiers::PAGE_SIZE;
use super::error::{html, PageError, PageResult};
use super::format;
use super::frame::Frame;
use super::person::{Acting, Person};
use crate::auth::session::{self, Session};
use crate::documents::queue::{self, Queue};
use crate::documents::sql::Document;
use crate::dossiers::lists::{self, Listing, Sort};
use crate::dossiers::DossierState;
use crate::state::AppState;

/// A piece in a queue, as the desk lists it.
pub struct PieceRow {
    pub id: String,
    pub dossier: String,
    pub title: String,
    pub kind: String,
    pub found: String,
    pub reason: &'static str,
    pub uploaded: String,
}

fn piece_row(document: &Document) -> PieceRow {
    let found = document
        .classification
        .as_ref()
        .map_or_else(String::new, |c| format!("{} ({} %)", c.kind.label_fr(), (c.confidence * 100.0).round()));
    PieceRow {
        id: document.id.clone(),
        dossier: document.dossier.clone(),
        title: document.title.clone(),
        kind: document.kind.map_or_else(|| "Non précisé".to_string(), |k| k.label_fr().to_string()),
        found,
        reason: queue::reason_fr(document),
        uploaded: format::moment(&document.uploaded_at),
    }
}

pub struct CompanyRow {
    pub adherent: String,
    pub name: String,
    pub pending: i64,
}

pub struct WaitingRow {
    pub number: String,
    pub company: String,
    pub title: String,
    pub provider: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "web/bureau.html")]
struct DeskPage {
    frame: Frame,
    csrf: String,
    companies: Vec<CompanyRow>,
    waiting_total: i64,
    waiting: Vec<WaitingRow>,
    to_check_total: i64,
    to_check: Vec<PieceRow>,
    /// The end of the last visit, as the page says it (`le 05/12/2026 à 17:02`), or `None`
    /// (the first visit: the last 7 days).
    last_visit: Option<String>,
    recent_total: i64,
    recent: Vec<PieceRow>,
}

/// How many rows each of the desk's lists shows.
const SHOWN: i64 = 10;

/// `GET /`: staff's desk, or the accueil of the company an employer acts for.
pub async fn home(State(state): State<AppState>, Person(session): Person) -> PageResult {
    if !session.caller.is_staff() {
        let Some(company) = session.company.clone() else {
            return Ok(Redirect::to("/perimetre").into_response());
        };
        return super::dossiers::home(State(state), Acting { session, company }).await;
    }
    let caller = &session.caller;
    let frame = Frame::desk(&state, &session, "Accueil", "bureau").await?;
    let perimetre = crate::auth::perimetre(&state.db, caller).await?;
    let mut companies = Vec::with_capacity(perimetre.len());
    for (_, adherent, name) in perimetre {
        let counts = lists::count_by_state(&state.db, caller, &adherent).await?;
        let pending = counts.iter().find(|(s, _)| *s == DossierState::Pending).map_or(0, |(_, n)| *n);
        companies.push(CompanyRow { adherent, name, pending });
    }
    let listing =
        Listing { state: Some(DossierState::Pending), sort: Sort::Waiting, limit: SHOWN, ..Default::default() };
    let (waiting_total, waiting) = lists::list_visible(&state.db, caller, &listing).await?;
    let waiting = waiting
        .into_iter()
        .map(|d| WaitingRow {
            since: format::moment(&d.updated_at),
            company: format!("{} {}", d.adherent, d.company_name),
            title: d.title.unwrap_or_default(),
            provider: d.provider_name.unwrap_or_default(),
            number: d.number,
        })
        .collect();
    let (to_check_total, to_check) = queue::list(&state.db, caller, Queue::ToCheck, SHOWN, 0).await?;
    let previous = session::previous_visit(&state.db, &session).await?;
    let since = previous
        .clone()
        .unwrap_or_else(|| crate::db::format_time(time::OffsetDateTime::now_utc() - time::Duration::days(7)));
    let (recent_total, recent) = queue::list(&state.db, caller, Queue::Since(&since), SHOWN, 0).await?;
    html(DeskPage {
        frame,
        csrf: session.csrf.clone(),
        companies,
        waiting_total,
        waiting,
        to_check_total,
        to_check: to_check.iter().map(piece_row).collect(),
        last_visit: previous.as_deref().map(format::moment),
        recent_total,
        recent: recent.iter().map(piece_row).collect(),
    })
}

#[derive(Template)]
#[template(path = "web/a-verifier.html")]
struct ToCheckPage {
    frame: Frame,
    total: i64,
    rows: Vec<PieceRow>,
    page: i64,
    pages: i64,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<i64>,
}

/// `GET /a-verifier`: the pieces to check, oldest first (staff only).
pub async fn to_check(
    State(state): State<AppState>,
    Person(session): Person,
    Query(query): Query<PageQuery>,
) -> PageResult {
    staff_only(&session)?;
    let page = query.page.unwrap_or(1).clamp(1, 10_000);
    let frame = Frame::desk(&state, &session, "Pièces à vérifier", "a-verifier").await?;
    let (total, documents) =
        queue::list(&state.db, &session.caller, Queue::ToCheck, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    html(ToCheckPage {
        frame,
        total,
        rows: documents.iter().map(piece_row).collect(),
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
    })
}

/// The desk's pages do not exist for an employer.
fn staff_only(session: &Session) -> Result<(), PageError> {
    if session.caller.is_staff() {
        Ok(())
    } else {
        Err(PageError::not_found())
    }
}
