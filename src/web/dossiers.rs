//! The accueil and the dossier pages: `GET /` (Vos coordonnées, Vos interlocuteurs, the counts),
//! `GET /dossiers` (a list per state: sorted, paged, filtered by a text box) and
//! `GET /dossiers/{number}` (état, créé le, organisme, action, the cost grid, and the tabs
//! Stagiaires, Documents, Factures, Historique). Each reads through the same functions as the
//! API, with the périmètre rule of `auth`: a dossier of another company is not found.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::error::{html, PageError, PageResult};
use super::format;
use super::frame::{state_of_slug, state_slug, Frame};
use super::person::Acting;
use crate::auth::session;
use crate::companies::CompanyProfile;
use crate::dossiers::sql::{self, DossierSummary, Listing, Sort};
use crate::dossiers::{history, DossierRecord, DossierState};
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
    total: i64,
    page: i64,
    pages: i64,
    /// `?etat=…&q=…&tri=…&` for the page links.
    base: String,
}

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
    let listing = Listing {
        company: &acting.company.adherent,
        state: state_filter,
        sent_only: state_filter.is_none(),
        text: &q,
        sort,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
    };
    let (total, dossiers) = sql::list_visible(&state.db, &acting.session.caller, &listing).await?;
    let (here, heading) = match state_filter {
        None => ("envoyes".to_string(), "Dossiers AF".to_string()),
        Some(DossierState::Draft) => ("brouillon".to_string(), "Brouillons".to_string()),
        Some(s) => (state_slug(s).0.to_string(), format!("Dossiers AF {}", state_slug(s).1.to_lowercase())),
    };
    let frame = Frame::of(&state, &acting, &heading, &here).await?;
    let base = format!("?etat={}&q={}&tri={tri}&", format::url(&etat), format::url(&q));
    html(ListPage {
        frame,
        heading,
        etat,
        q,
        tri: tri.to_string(),
        rows: dossiers.into_iter().map(row).collect(),
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        base,
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

#[derive(Deserialize, Default)]
pub struct DossierQuery {
    onglet: Option<String>,
    /// `joint`, `deja-joint`: what became of the file just sent (`piece`).
    message: Option<String>,
    piece: Option<String>,
    /// `1` after the request was sent.
    envoye: Option<String>,
}

pub struct Piece {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub warning: Option<String>,
    pub size: String,
    pub uploaded: String,
}

pub struct InvoiceRow {
    pub number: String,
    pub kind: &'static str,
    pub date: String,
    pub total_ttc: String,
    pub cancelled: bool,
}

pub struct EventRow {
    pub at: String,
    pub who: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "web/dossier.html")]
struct DossierPage {
    frame: Frame,
    d: DossierRecord,
    state: &'static str,
    created: String,
    hours: String,
    dates: String,
    costs: Vec<(&'static str, String)>,
    tab: String,
    pieces: Vec<Piece>,
    invoices: Vec<InvoiceRow>,
    events: Vec<EventRow>,
    /// Pieces may be attached (the dossier is not closed).
    can_attach: bool,
    csrf: String,
    kinds: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    /// The notice is about a file just sent: shown in the Documents tab, where the page lands.
    notice_in_tab: bool,
}

const TABS: [&str; 4] = ["stagiaires", "documents", "factures", "historique"];

/// `GET /dossiers/{number}`: a dossier of the périmètre; acting for its company from now on.
pub async fn show(
    State(state): State<AppState>,
    mut acting: Acting,
    Path(number): Path<String>,
    Query(query): Query<DossierQuery>,
) -> PageResult {
    let caller = &acting.session.caller;
    let dossier = sql::find_visible(&state.db, caller, &number).await?.ok_or_else(PageError::not_found)?;
    if dossier.company_id != acting.company.id {
        session::act_for(&state.db, &acting.session, &dossier.company_id).await?;
        acting.company = session::ActingFor {
            id: dossier.company_id.clone(),
            adherent: dossier.adherent.clone(),
            name: dossier.company_name.clone(),
        };
    }
    let tab = query.onglet.filter(|t| TABS.contains(&t.as_str())).unwrap_or_else(|| TABS[0].to_string());
    let here = if dossier.state == DossierState::Draft { "brouillon" } else { state_slug(dossier.state).0 };
    let title = format!("Dossier {}", dossier.number);
    let frame = Frame::of(&state, &acting, &title, here).await?;
    let documents = crate::documents::sql::list_for_dossier(&state.db, &dossier.id).await?;
    let notice = match (query.message.as_deref(), query.piece.as_deref()) {
        (Some(said), Some(id)) => documents.iter().find(|d| d.id == id).map(|d| match said {
            "deja-joint" => format!("Déjà joint : « {} » était déjà dans ce dossier.", d.title),
            _ => format!("Pièce jointe : « {} ». Sa lecture est en cours.", d.title),
        }),
        _ if query.envoye.is_some() => Some("Votre demande est envoyée.".to_string()),
        _ => None,
    };
    let pieces = documents.into_iter().map(piece).collect();
    let invoices = crate::invoice::sql::list_for_dossier(&state.db, &dossier.id)
        .await?
        .into_iter()
        .map(|i| InvoiceRow {
            kind: if i.type_code == crate::invoice::document::TypeCode::CreditNote { "Avoir" } else { "Facture" },
            date: format::day(&i.issue_date),
            total_ttc: format::eur(&i.total_ttc),
            cancelled: i.credited_by.is_some(),
            number: i.number,
        })
        .collect();
    let events = history::list(&state.db, &dossier.id)
        .await?
        .iter()
        .rev()
        .map(|e| EventRow {
            at: format::moment(&e.at),
            who: e.actor_name.clone().unwrap_or_else(|| "Le service".into()),
            what: e.describe_fr(),
        })
        .collect();
    let costs = dossier
        .fields
        .costs
        .lines()
        .iter()
        .map(|(_, label, value)| (*label, value.as_deref().map(format::number).unwrap_or_else(|| "0,00".into())))
        .collect();
    html(DossierPage {
        frame,
        state: dossier.state.label_fr(),
        created: format::moment(&dossier.created_at),
        hours: dossier.fields.action.hours.as_deref().map(format::number).unwrap_or_default(),
        dates: format::period(dossier.fields.action.start_date.as_deref(), dossier.fields.action.end_date.as_deref()),
        costs,
        tab,
        pieces,
        invoices,
        events,
        can_attach: dossier.state != DossierState::Closed,
        csrf: acting.session.csrf.clone(),
        kinds: crate::domain::DocKind::ALL.iter().map(|k| (k.code(), k.label_fr())).collect(),
        notice_in_tab: query.piece.is_some(),
        notice,
        d: dossier,
    })
}

fn piece(doc: crate::documents::sql::Document) -> Piece {
    use crate::documents::sql::TextStatus;
    let found = doc.classification.as_ref().map(|c| c.kind);
    let status = match doc.text_status {
        TextStatus::Pending => "En attente de lecture".to_string(),
        TextStatus::Failed => "Illisible".to_string(),
        TextStatus::Done => match found {
            Some(kind) => format!("Lu : {}", kind.label_fr()),
            None => "Lu".to_string(),
        },
    };
    let warning = doc
        .kind_mismatch
        .then(|| format!("Le contenu ressemble plutôt à : {}", found.map_or("un autre type", |k| k.label_fr())));
    Piece {
        kind: doc.kind.map_or_else(|| "Non précisé".to_string(), |k| k.label_fr().to_string()),
        size: format::size(doc.size),
        uploaded: format::moment(&doc.uploaded_at),
        title: doc.title,
        status,
        warning,
        id: doc.id,
    }
}

#[derive(Deserialize, Default)]
pub struct PrintQuery {
    /// `oui`: the PDF pieces follow the dossier.
    pieces: Option<String>,
}

/// `GET /dossiers/{number}/impression`: the printed dossier (the API's print, as this person).
pub async fn print(
    State(state): State<AppState>,
    acting: Acting,
    Path(number): Path<String>,
    Query(query): Query<PrintQuery>,
) -> PageResult {
    let with_pieces = query.pieces.as_deref() == Some("oui");
    let params = crate::documents::print::PrintParams { with_pieces };
    let printed = crate::documents::print::print_dossier(
        State(state),
        acting.session.caller,
        crate::input::Path(number),
        crate::input::Query(params),
    )
    .await?;
    Ok(printed)
}

/// `GET /pieces/{id}`: a piece's file (the API's download, as this person).
pub async fn download(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    let file = crate::documents::routes::download_document(
        State(state),
        acting.session.caller,
        crate::input::Path(id),
        headers,
    )
    .await?;
    Ok(file)
}

/// `POST /dossiers/{number}/pieces`: "Joindre des fichiers", a plain multipart form (its first
/// part is the CSRF token), through the API's one upload path; back to the Documents tab, which
/// says what became of the file.
pub async fn attach(
    State(state): State<AppState>,
    acting: Acting,
    Path(number): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> PageResult {
    let caller = &acting.session.caller;
    let csrf = Some(acting.session.csrf.as_str());
    let (document, duplicate) =
        match crate::documents::routes::receive(&state, caller, &number, &headers, body, csrf).await {
            Ok(received) => received,
            Err(error) if error.code == "csrf_refused" => return Err(PageError::csrf()),
            Err(error) => return Err(error.into()),
        };
    let said = if duplicate { "deja-joint" } else { "joint" };
    let to =
        format!("/dossiers/{}?onglet=documents&piece={}&message={said}#onglets", format::url(&number), document.id);
    Ok(axum::response::Redirect::to(&to).into_response())
}
