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
use super::person::{Acting, Person};
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
    total: i64,
    page: i64,
    pages: i64,
    /// `?etat=…&q=…&tri=…&` for the page links.
    base: String,
    deleted: Option<String>,
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

#[derive(Deserialize, Default)]
pub struct DossierQuery {
    onglet: Option<String>,
    /// The pieces just attached, and those that were already there (ids, comma-separated).
    joints: Option<String>,
    deja: Option<String>,
    /// `1` after a piece was removed.
    retiree: Option<String>,
    /// `1` after the request was sent.
    envoye: Option<String>,
    /// `1` after staff corrected the form.
    corrige: Option<String>,
    /// The state staff just moved the dossier to.
    decision: Option<String>,
    /// The invoice or credit note just issued.
    facture: Option<String>,
}

/// A message at the top of the Documents tab (or of the page).
pub struct Notice {
    pub text: String,
    /// Something went wrong (shown as an error, announced at once).
    pub problem: bool,
}

impl Notice {
    pub fn said(text: impl Into<String>) -> Notice {
        Notice { text: text.into(), problem: false }
    }

    pub fn problem(text: impl Into<String>) -> Notice {
        Notice { text: text.into(), problem: true }
    }
}

/// What a dossier page shows besides the dossier: the tab, and what just happened.
#[derive(Default)]
pub struct DossierView {
    pub tab: String,
    pub joined: Vec<String>,
    pub already: Vec<String>,
    pub notices: Vec<Notice>,
    pub sent: bool,
    /// Said at the top of the page (a decision, a correction).
    pub top: Option<String>,
    /// The motif typed, shown again when the decision was refused.
    pub motif: String,
    pub decision_error: Option<String>,
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

/// A piece the guide asks for, and whether the dossier has one (from the pieces' kinds).
pub struct Required {
    pub label: &'static str,
    pub present: bool,
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
    /// The dossier is a draft: pieces may be removed, the draft deleted.
    draft: bool,
    /// Before sending, and after the training (once granted).
    required_before: Vec<Required>,
    required_after: Vec<Required>,
    csrf: String,
    kinds: Vec<(&'static str, &'static str)>,
    /// Said at the top of the page (`sent`) or of the Documents tab.
    top: Option<String>,
    notices: Vec<Notice>,
    /// OPCO staff: the instruction (accorder, refuser, clôturer, corriger).
    staff: bool,
    /// The employer may fill in the invoice (a granted or closed dossier).
    invoiceable: bool,
    /// Why the dossier was refused, as the employer reads it.
    refusal: Option<String>,
    motif: String,
    /// A decision's complaint (a refusal without its motif).
    decision_error: Option<String>,
}

const TABS: [&str; 4] = ["stagiaires", "documents", "factures", "historique"];

/// `GET /dossiers/{number}`: a dossier of the périmètre; acting for its company from now on.
pub async fn show(
    State(state): State<AppState>,
    Person(session): Person,
    Path(number): Path<String>,
    Query(query): Query<DossierQuery>,
) -> PageResult {
    let ids = |list: Option<String>| -> Vec<String> {
        list.unwrap_or_default().split(',').filter(|id| !id.is_empty()).take(50).map(str::to_string).collect()
    };
    let mut view = DossierView {
        tab: query.onglet.unwrap_or_default(),
        joined: ids(query.joints),
        already: ids(query.deja),
        sent: query.envoye.is_some(),
        top: match (query.corrige, query.decision.as_deref()) {
            (Some(_), _) => Some("Le dossier est corrigé ; l'historique garde les valeurs d'avant.".to_string()),
            (_, Some("granted")) => Some("Le dossier est accordé.".to_string()),
            (_, Some("refused")) => Some("Le dossier est refusé ; l'employeur lit le motif.".to_string()),
            (_, Some("closed")) => Some("Le dossier est clôturé.".to_string()),
            _ => query.facture.filter(|n| n.len() <= 40).map(|n| format!("{n} est émis ; son PDF est dans la liste.")),
        },
        ..Default::default()
    };
    if query.retiree.is_some() {
        view.notices.push(Notice::said("La pièce est retirée du dossier."));
    }
    page(&state, session, &number, view, axum::http::StatusCode::OK).await
}

/// The dossier page of `number` as the person of `session` sees it, with `view`'s tab and
/// messages; they act for the dossier's company from now on.
pub async fn page(
    state: &AppState,
    session: session::Session,
    number: &str,
    mut view: DossierView,
    status: axum::http::StatusCode,
) -> PageResult {
    let dossier = sql::find_visible(&state.db, &session.caller, number).await?.ok_or_else(PageError::not_found)?;
    if session.company.as_ref().map(|c| &c.id) != Some(&dossier.company_id) {
        session::act_for(&state.db, &session, &dossier.company_id).await?;
    }
    let company = session::ActingFor {
        id: dossier.company_id.clone(),
        adherent: dossier.adherent.clone(),
        name: dossier.company_name.clone(),
    };
    let acting = Acting { session, company };
    let tab = if TABS.contains(&view.tab.as_str()) { view.tab.clone() } else { TABS[0].to_string() };
    let here = if dossier.state == DossierState::Draft { "brouillon" } else { state_slug(dossier.state).0 };
    let title = format!("Dossier {}", dossier.number);
    let frame = Frame::of(state, &acting, &title, here).await?;
    let documents = crate::documents::sql::list_for_dossier(&state.db, &dossier.id).await?;
    for d in &documents {
        if view.joined.contains(&d.id) {
            view.notices.push(Notice::said(format!("Pièce jointe : « {} ». Sa lecture est en cours.", d.title)));
        }
        if view.already.contains(&d.id) {
            view.notices.push(Notice::said(format!("Déjà joint : « {} » était déjà dans ce dossier.", d.title)));
        }
    }
    let (required_before, required_after) = required_pieces(&dossier, &documents);
    let pieces = documents.iter().map(piece).collect();
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
    let history = history::list(&state.db, &dossier.id).await?;
    let refusal = (dossier.state == DossierState::Refused)
        .then(|| {
            history
                .iter()
                .rev()
                .find(|e| e.action == "state_changed" && e.detail.get("to").and_then(|v| v.as_str()) == Some("refused"))
        })
        .flatten()
        .and_then(|e| e.detail.get("comment").and_then(|v| v.as_str()).map(str::to_string))
        .filter(|c| !c.is_empty());
    let events = history
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
    let page = DossierPage {
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
        draft: dossier.state == DossierState::Draft,
        required_before,
        required_after,
        csrf: acting.session.csrf.clone(),
        kinds: crate::domain::DocKind::ALL.iter().map(|k| (k.code(), k.label_fr())).collect(),
        top: view.top.or_else(|| view.sent.then(|| "Votre demande est envoyée.".to_string())),
        notices: view.notices,
        staff: acting.session.caller.is_staff(),
        invoiceable: !acting.session.caller.is_staff()
            && matches!(dossier.state, DossierState::Granted | DossierState::Closed),
        refusal,
        decision_error: view.decision_error,
        motif: view.motif,
        d: dossier,
    };
    Ok((status, axum::response::Html(page.render()?)).into_response())
}

/// The pieces the guide asks for, from the kinds of the dossier's pieces (the kind given, else
/// the kind found): before sending, the programme and the convention or devis signé; after the
/// training (once the dossier is granted), the employer's invoice of salaries and costs and,
/// without subrogation, the organisme's invoice, paid. Empty lists when they are not due yet.
pub fn required_pieces(
    dossier: &DossierRecord,
    documents: &[crate::documents::sql::Document],
) -> (Vec<Required>, Vec<Required>) {
    use crate::domain::DocKind;
    let kinds: Vec<DocKind> =
        documents.iter().filter_map(|d| d.kind.or(d.classification.as_ref().map(|c| c.kind))).collect();
    let has = |wanted: &[DocKind]| wanted.iter().any(|k| kinds.contains(k));
    let before = vec![
        Required { label: "Programme détaillé de la formation", present: has(&[DocKind::Programme]) },
        Required {
            label: "Convention de formation ou devis signé",
            present: has(&[DocKind::Convention, DocKind::Devis]),
        },
    ];
    let mut after = Vec::new();
    if matches!(dossier.state, DossierState::Granted | DossierState::Closed) {
        after.push(Required {
            label: "Facture de l'employeur (salaires et frais)",
            present: has(&[DocKind::FactureEmployeur]),
        });
        if !dossier.fields.provider.direct_payment {
            after.push(Required { label: "Facture acquittée de l'organisme", present: has(&[DocKind::FactureOf]) });
        }
    }
    (before, after)
}

/// A piece's reading as the page says it, and the warning when the kind found contradicts the
/// type chosen.
pub fn reading(doc: &crate::documents::sql::Document) -> (String, Option<String>) {
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
    (status, warning)
}

fn piece(doc: &crate::documents::sql::Document) -> Piece {
    let (status, warning) = reading(doc);
    Piece {
        kind: doc.kind.map_or_else(|| "Non précisé".to_string(), |k| k.label_fr().to_string()),
        size: format::size(doc.size),
        uploaded: format::moment(&doc.uploaded_at),
        title: doc.title.clone(),
        status,
        warning,
        id: doc.id.clone(),
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

#[derive(Template)]
#[template(path = "web/supprimer.html")]
struct DeletePage {
    frame: Frame,
    csrf: String,
    d: DossierRecord,
    pieces: usize,
}

/// `GET /dossiers/{number}/supprimer`: asks to confirm that the draft is to be deleted.
pub async fn delete_form(State(state): State<AppState>, acting: Acting, Path(number): Path<String>) -> PageResult {
    let dossier =
        sql::find_visible(&state.db, &acting.session.caller, &number).await?.ok_or_else(PageError::not_found)?;
    if dossier.state != DossierState::Draft {
        return Ok(axum::response::Redirect::to(&format!("/dossiers/{}", dossier.number)).into_response());
    }
    let pieces = crate::documents::sql::list_for_dossier(&state.db, &dossier.id).await?.len();
    let frame = Frame::of(&state, &acting, "Supprimer le brouillon", "brouillon").await?;
    html(DeletePage { frame, csrf: acting.session.csrf.clone(), d: dossier, pieces })
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /dossiers/{number}/supprimer`: deletes the draft (the API's rule), back to Brouillons.
pub async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path(number): Path<String>,
    axum::Form(form): axum::Form<DeleteForm>,
) -> PageResult {
    super::person::check_csrf(&acting.session.csrf, &form.csrf)?;
    crate::documents::remove::delete_draft(&state, &acting.session.caller, &number).await?;
    let to = format!("/dossiers?etat=brouillon&supprime={}", format::url(&number));
    Ok(axum::response::Redirect::to(&to).into_response())
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    /// `granted`, `refused` or `closed`.
    #[serde(default)]
    etat: String,
    /// Why (required to refuse): the employer reads it in the history.
    #[serde(default)]
    motif: String,
}

/// `POST /dossiers/{number}/decision`: OPCO staff accorde, refuse (with its motif) or clôture a
/// dossier (the API's state change); back to the dossier, which says so.
pub async fn decide(
    State(state): State<AppState>,
    Person(session): Person,
    Path(number): Path<String>,
    axum::Form(form): axum::Form<DecisionForm>,
) -> PageResult {
    super::person::check_csrf(&session.csrf, &form.csrf)?;
    if !session.caller.is_staff() {
        return Err(PageError::not_found());
    }
    let to = DossierState::parse(&form.etat).ok_or_else(PageError::not_found)?;
    let change = crate::dossiers::routes::StateChange { state: to, comment: Some(form.motif.clone()) };
    let changed = crate::dossiers::routes::change_dossier_state(
        State(state.clone()),
        session.caller.clone(),
        crate::input::Path(number.clone()),
        crate::input::Json(change),
    )
    .await;
    match changed {
        Ok(crate::input::Json(record)) => {
            let to = format!("/dossiers/{}?decision={}", record.number, to.as_str());
            Ok(axum::response::Redirect::to(&to).into_response())
        }
        Err(error) if error.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            let view = DossierView { motif: form.motif, decision_error: Some(error.detail_fr), ..Default::default() };
            page(&state, session, &number, view, axum::http::StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => Err(error.into()),
    }
}
