//! A dossier's page, `GET /dossiers/{number}`: état, créé le, organisme, action, the cost grid,
//! the pièces requises, and the tabs Stagiaires, Documents (Joindre des fichiers), Factures,
//! Historique. It reads through the same functions as the API, with the périmètre rule of `auth`:
//! a dossier of another company is not found.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::error::{PageError, PageResult};
use super::format;
use super::frame::{state_slug, Frame};
use super::person::{Acting, Person};
use crate::auth::session;
use crate::dossiers::sql;
use crate::dossiers::{history, DossierRecord, DossierState};
use crate::state::AppState;
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
    let administers = match &session.company {
        Some(company) if company.id == dossier.company_id => company.administers,
        _ => {
            session::act_for(&state.db, &session, &dossier.company_id).await?;
            crate::auth::accounts::administers(&state.db, &session.caller.user_id, &dossier.company_id).await?
        }
    };
    let company = session::ActingFor {
        id: dossier.company_id.clone(),
        adherent: dossier.adherent.clone(),
        name: dossier.company_name.clone(),
        administers,
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
