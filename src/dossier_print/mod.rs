//! "Imprimer le dossier": `GET /api/v1/dossiers/{number}/print` renders the dossier page (état,
//! company, organisme, action, the nine cost lines, stagiaires, the list of pieces, the invoices
//! and credit notes, the history) as a PDF with Typst. A feature of its own, above `dossiers`,
//! `documents` and `invoice`, since it shows all three. With `?with_pieces=true` the PDF pieces
//! follow, each behind a separator page naming it (`pieces`).

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::documents::{sql as documents_sql, Document};
use crate::domain::french::{format_date, format_eur, format_siret};
use crate::domain::Amount;
use crate::dossiers::sql::DossierRecord;
use crate::error::{AppError, AppResult};
use crate::input::{Path, Query};
use crate::state::AppState;

use crate::render::{self, or_dash as text, PdfIdentity, Template};

mod pieces;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/api/v1/dossiers/{number}/print", axum::routing::get(print_dossier))
}

const DOSSIER: Template = Template { name: "dossier", source: include_str!("../../templates/dossier.typ") };

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PrintParams {
    /// Append the PDF pieces, each behind a separator page.
    #[serde(default)]
    pub with_pieces: bool,
}

#[utoipa::path(get, path = "/api/v1/dossiers/{number}/print", tag = "dossiers",
    params(("number" = String, Path), PrintParams),
    responses((status = 200, description = "The printable dossier", content_type = "application/pdf"),
        (status = 404, body = crate::error::Problem), (status = 413, body = crate::error::Problem)))]
pub async fn print_dossier(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    Query(params): Query<PrintParams>,
) -> AppResult<Response> {
    let dossier = crate::dossiers::sql::find_visible(&state.db, &caller, &number)
        .await?
        .ok_or_else(AppError::dossier_not_found)?;
    let documents = documents_sql::list_for_dossier(&state.db, &dossier.id).await?;
    let history = history_rows(&state, &dossier).await?;
    let invoices = invoice_rows(&state, &dossier).await?;
    let today = render::today();
    let number = dossier.number.clone();
    let pdf = if params.with_pieces {
        pieces::with_pieces(&state, dossier, documents, history, invoices, today).await?
    } else {
        let pages = move || render_pages(&dossier, &documents, &history, &invoices, today, false);
        let mut pages = blocking(pages).await?;
        Body::from(pages.swap_remove(0))
    };
    let mut response = pdf.into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    let name = format!("inline; filename=\"dossier-{number}.pdf\"");
    out.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&name).unwrap_or(HeaderValue::from_static("inline")));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(response)
}

/// Runs `work` (Typst, CPU-heavy) off the async executor.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> AppResult<T> + Send + 'static) -> AppResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("the dossier print panicked: {e}")))?
}

/// The dossier page and, `with_separators`, one separator page per piece.
fn render_pages(
    dossier: &DossierRecord,
    documents: &[Document],
    history: &[HistoryRow],
    invoices: &[InvoiceRow],
    today: time::Date,
    with_separators: bool,
) -> AppResult<Vec<Vec<u8>>> {
    let failed = |e: render::RenderError| AppError::internal(e.into());
    let identity = PdfIdentity { ident: &format!("dossier:{}", dossier.number), date: today };
    let mut pages =
        vec![render::render_pdf(&DOSSIER, &form(dossier, documents, history, invoices, today), &[], &identity)
            .map_err(failed)?];
    if with_separators {
        for (n, document) in documents.iter().enumerate() {
            pages.push(pieces::separator_page(dossier, document, (n + 1, documents.len()), &identity).map_err(failed)?);
        }
    }
    Ok(pages)
}

#[derive(Serialize)]
struct Form {
    number: String,
    state: &'static str,
    /// "Créé le … · mis à jour le …".
    dates: String,
    company: String,
    company_lines: Vec<(String, String)>,
    provider: Vec<(String, String)>,
    action: Vec<(String, String)>,
    costs: Vec<(String, String)>,
    costs_total: String,
    trainees: Vec<String>,
    comment: String,
    pieces: Vec<PieceRow>,
    invoices: Vec<InvoiceRow>,
    history: Vec<HistoryRow>,
    printed_on: String,
}

#[derive(Serialize)]
struct PieceRow {
    n: String,
    title: String,
    file: String,
    kind: &'static str,
    size: String,
    pages: String,
    date: String,
}

fn day(value: &Option<String>) -> String {
    let date = value.as_deref().and_then(crate::domain::iso_date::parse);
    date.map_or_else(|| text(value), format_date)
}

fn piece_row(n: usize, document: &Document) -> PieceRow {
    let kind = document.kind.or(document.classification.as_ref().map(|c| c.kind));
    PieceRow {
        n: n.to_string(),
        title: document.title.clone(),
        file: document.original_name.clone(),
        kind: kind.map_or("Non précisée", |k| k.label_fr()),
        size: format_size(document.size),
        pages: document.page_count.map_or("—".into(), |p| p.to_string()),
        date: day(&Some(document.uploaded_at.chars().take(10).collect())),
    }
}

/// `812 Ko`, `2,4 Mo`.
fn format_size(bytes: i64) -> String {
    if bytes < 1024 * 1024 {
        format!("{}\u{202F}Ko", (bytes + 1023) / 1024)
    } else {
        format!("{:.1}\u{202F}Mo", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    }
}

/// One line of the dossier's history, as its page says it: when, who, what.
#[derive(Clone, Serialize)]
struct HistoryRow {
    at: String,
    who: String,
    what: String,
}

async fn history_rows(state: &AppState, dossier: &DossierRecord) -> AppResult<Vec<HistoryRow>> {
    let events = crate::dossiers::history::list(&state.db, &dossier.id).await?;
    Ok(events
        .iter()
        .map(|e| HistoryRow {
            at: crate::domain::french::format_moment(&e.at),
            who: e.actor_name.clone().unwrap_or_else(|| "Le service".into()),
            what: e.describe_fr(),
        })
        .collect())
}

/// One of the dossier's invoices or credit notes, as its Factures tab lists it.
#[derive(Clone, Serialize)]
struct InvoiceRow {
    number: String,
    kind: &'static str,
    date: String,
    total_ttc: String,
    /// "Émise", "Annulée par un avoir", or the invoice a credit note cancels.
    status: String,
}

async fn invoice_rows(state: &AppState, dossier: &DossierRecord) -> AppResult<Vec<InvoiceRow>> {
    use crate::invoice::document::TypeCode;
    let invoices = crate::invoice::sql::list_for_dossier(&state.db, &dossier.id).await?;
    Ok(invoices
        .iter()
        .map(|i| InvoiceRow {
            number: i.number.clone(),
            kind: if i.type_code == TypeCode::CreditNote { "Avoir" } else { "Facture" },
            date: day(&Some(i.issue_date.clone())),
            total_ttc: rust_decimal::Decimal::from_str_exact(&i.total_ttc)
                .map_or_else(|_| i.total_ttc.clone(), format_eur),
            status: match (&i.credits, &i.credited_by) {
                (Some(credited), _) => format!("Annule la facture {credited}"),
                (None, Some(by)) => format!("Annulée par l'avoir {by}"),
                (None, None) => "Émise".into(),
            },
        })
        .collect())
}

fn form(
    dossier: &DossierRecord,
    documents: &[Document],
    history: &[HistoryRow],
    invoices: &[InvoiceRow],
    today: time::Date,
) -> Form {
    let f = &dossier.fields;
    let p = &f.provider;
    let a = &f.action;
    let c = &f.costs;
    // The guide's nine "(HT)" cells, in its order.
    let lines: Vec<(&str, &Option<String>)> = c.lines().into_iter().map(|(_, label, value)| (label, value)).collect();
    let amounts: Vec<Option<Amount>> =
        lines.iter().map(|(_, v)| v.as_deref().and_then(|v| Amount::parse(v).ok())).collect();
    let total = amounts.iter().flatten().map(|a| a.value()).sum();
    Form {
        number: dossier.number.clone(),
        state: dossier.state.label_fr(),
        dates: format!(
            "Créé le {} · mis à jour le {}",
            crate::domain::french::format_moment(&dossier.created_at),
            crate::domain::french::format_moment(&dossier.updated_at)
        ),
        company: dossier.company_name.clone(),
        company_lines: vec![
            ("Raison sociale".into(), dossier.company_name.clone()),
            ("N° adhérent".into(), dossier.adherent.clone()),
            ("Etablissement (N° de Siret)".into(), text(&f.siret.as_deref().map(format_siret))),
        ],
        provider: vec![
            ("Formation interne".into(), if p.internal { "Oui" } else { "Non" }.into()),
            ("Nom de l'organisme".into(), text(&p.name)),
            ("Type".into(), text(&p.kind)),
            ("N° de Siret".into(), text(&p.siret.as_deref().map(format_siret))),
            ("N° formateur".into(), text(&p.nda)),
            ("Adresse".into(), text(&p.address)),
            ("Code postal, ville".into(), format!("{} {}", text(&p.postcode), text(&p.city))),
            ("Contact".into(), text(&p.contact)),
            ("Téléphone".into(), text(&p.phone)),
            ("Email".into(), text(&p.email)),
            ("Paiement direct (subrogation)".into(), if p.direct_payment { "Oui" } else { "Non" }.into()),
        ],
        action: vec![
            ("Intitulé du stage".into(), text(&a.title)),
            ("Code formation éligible CPF".into(), text(&a.cpf_code)),
            (
                "Durée (Heures)".into(),
                a.hours
                    .as_deref()
                    .and_then(|h| h.parse::<rust_decimal::Decimal>().ok())
                    .map_or("—".into(), |h| format!("{:.2}", h).replace('.', ",")),
            ),
            ("Dates".into(), format!("du {} au {}", day(&a.start_date), day(&a.end_date))),
        ],
        costs: lines
            .iter()
            .zip(&amounts)
            .map(|((label, raw), amount)| {
                (label.to_string(), amount.map_or_else(|| text(raw), |a| format_eur(a.value())))
            })
            .collect(),
        costs_total: format_eur(total),
        trainees: f.trainees.iter().map(|t| format!("{} {}", t.last_name, t.first_name)).collect(),
        comment: f.comment.clone().unwrap_or_default(),
        pieces: documents.iter().enumerate().map(|(i, d)| piece_row(i + 1, d)).collect(),
        invoices: invoices.to_vec(),
        history: history.to_vec(),
        printed_on: format_date(today),
    }
}
