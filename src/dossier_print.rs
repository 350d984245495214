//! "Imprimer le dossier": `GET /api/v1/dossiers/{number}/print` renders the dossier page (état,
//! company, organisme, action, the nine cost lines, stagiaires, the list of pieces, the invoices
//! and credit notes, the history) as a PDF with Typst. A feature of its own, above `dossiers`,
//! `documents` and `invoice`, since it shows all three. With `?with_pieces=true` the PDF pieces
//! follow, each behind a separator page naming it.
//! Pieces are joined in a sandboxed child process (they are uploaded files), and only those the
//! reader has read whole and without trouble; the others' separator says why they are not joined.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::documents::{sql as documents_sql, Document};
use crate::domain::french::{format_date, format_eur, format_siret};
use crate::domain::Amount;
use crate::dossiers::sql::DossierRecord;
use crate::error::{AppError, AppResult};
use crate::input::{Path, Query};
use crate::slots::Busy;
use crate::state::AppState;

use crate::render::{self, or_dash as text, PdfIdentity, Template};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/api/v1/dossiers/{number}/print", axum::routing::get(print_dossier))
}

const DOSSIER: Template = Template { name: "dossier", source: include_str!("../templates/dossier.typ") };
const SEPARATOR: Template = Template { name: "separator", source: include_str!("../templates/separator.typ") };

/// The most bytes of pieces joined into one printed dossier.
const MAX_JOINED_BYTES: u64 = 200 * 1024 * 1024;

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
        with_pieces(&state, dossier, documents, history, invoices, today).await?
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

/// The dossier page, then each piece behind its separator, joined in a sandboxed child process
/// (`pieces merge-pdf`, under the PDF reader's limits), one print per company at a time and
/// `state::PRINTS` in all; the joined file is streamed from disk, never held in memory.
async fn with_pieces(
    state: &AppState,
    dossier: DossierRecord,
    documents: Vec<Document>,
    history: Vec<HistoryRow>,
    invoices: Vec<InvoiceRow>,
    today: time::Date,
) -> AppResult<Body> {
    let total: u64 = documents.iter().filter(|d| joinable(d)).map(|d| d.size as u64).sum();
    if total > MAX_JOINED_BYTES {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large_to_print",
            "The dossier's pieces are too large to print in one PDF: print them one by one.",
            "Les pièces du dossier sont trop volumineuses pour un seul PDF : imprimez-les une à une.",
        ));
    }
    let _turn = state.prints.take(&dossier.company_id).map_err(|busy| {
        let (en, fr) = match busy {
            Busy::Yours => (
                "A dossier of this company is being printed with its pieces: try again when it is done.",
                "Un dossier de cette entreprise est en cours d'impression avec ses pièces : réessayez ensuite.",
            ),
            Busy::Everyone => (
                "Dossiers are being printed with their pieces: try again in a moment.",
                "Des dossiers sont en cours d'impression avec leurs pièces : réessayez dans un instant.",
            ),
        };
        AppError::new(StatusCode::TOO_MANY_REQUESTS, "print_busy", en, fr)
    })?;
    let work =
        tempfile::tempdir_in(state.config.storage_dir().join("tmp")).map_err(|e| AppError::internal(e.into()))?;
    let failed = |e: std::io::Error| AppError::internal(e.into());
    let listed = documents.clone();
    let pages = blocking(move || render_pages(&dossier, &listed, &history, &invoices, today, true)).await?;
    // The dossier page, then per piece its separator and, when joinable, the piece itself.
    let mut inputs = Vec::new();
    for (n, page) in pages.iter().enumerate() {
        let path = work.path().join(format!("{n}-page.pdf"));
        tokio::fs::write(&path, page).await.map_err(failed)?;
        inputs.push(path);
        if let Some(document) = n.checked_sub(1).map(|i| &documents[i]).filter(|d| joinable(d)) {
            let path = work.path().join(format!("{n}-piece.pdf"));
            write_blob(state, document, &path).await?;
            inputs.push(path);
        }
    }
    let output = work.path().join("dossier.pdf");
    let exe = state.config.helper_exe.clone().map_or_else(std::env::current_exe, Ok).map_err(failed)?;
    if !crate::render::merge::merge_pdfs(&exe, &inputs, &output).await {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pieces_not_joinable",
            "The pieces could not be joined: print the dossier without them, or the pieces one by one.",
            "Les pièces n'ont pas pu être jointes : imprimez le dossier sans elles, ou les pièces une à une.",
        ));
    }
    let file = tokio::fs::File::open(&output).await.map_err(failed)?;
    // The work folder goes when the stream ends (or the client leaves).
    let chunks = tokio_util::io::ReaderStream::new(file).map(move |chunk| {
        let _kept = (&work, &_turn);
        chunk
    });
    Ok(Body::from_stream(chunks))
}

/// Runs `work` (Typst, CPU-heavy) off the async executor.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> AppResult<T> + Send + 'static) -> AppResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("the dossier print panicked: {e}")))?
}

/// A piece joined to the printout: a PDF that the sandboxed reader read without trouble (a text
/// cut at its cap, or scans left unread, are no trouble: the file is whole).
fn joinable(document: &Document) -> bool {
    let soft = |code: &str| ["page_cap", "text_cap", "ocr_off", "ocr_failed", "render_failed"].contains(&code);
    document.mime_type == "application/pdf"
        && document.text_status == documents_sql::TextStatus::Done
        && document.text_problem.as_ref().is_none_or(|p| soft(&p.code))
}

/// Streams the piece's verified bytes into `path`.
async fn write_blob(state: &AppState, document: &Document, path: &std::path::Path) -> AppResult<()> {
    use tokio::io::AsyncWriteExt;
    let context = || format!("document {}", document.id);
    let mut stream = state
        .storage
        .get_verified(&document.sha256, document.size as u64)
        .await
        .map_err(|error| AppError::internal(anyhow::Error::new(error).context(context())))?;
    let mut file = tokio::fs::File::create(path).await.map_err(|e| AppError::internal(e.into()))?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| AppError::internal(anyhow::Error::new(e).context(context())))?;
        file.write_all(&chunk).await.map_err(|e| AppError::internal(e.into()))?;
    }
    file.flush().await.map_err(|e| AppError::internal(e.into()))
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
            let separator = Separator::new(dossier, document, n + 1, documents.len(), joinable(document));
            pages.push(render::render_pdf(&SEPARATOR, &separator, &[], &identity).map_err(failed)?);
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

#[derive(Serialize)]
struct Separator {
    dossier: String,
    n: String,
    total: String,
    title: String,
    file: String,
    kind: String,
    pages: String,
    date: String,
    sha256: String,
}

impl Separator {
    fn new(dossier: &DossierRecord, document: &Document, n: usize, total: usize, joined: bool) -> Separator {
        let row = piece_row(n, document);
        let kind = if joined {
            row.kind.to_string()
        } else if document.mime_type != "application/pdf" {
            format!("{} (image non jointe : téléchargez-la depuis le dossier)", row.kind)
        } else {
            format!("{} (non jointe : pièce en cours de lecture ou illisible)", row.kind)
        };
        Separator {
            dossier: dossier.number.clone(),
            n: n.to_string(),
            total: total.to_string(),
            title: row.title,
            file: row.file,
            kind,
            pages: row.pages,
            date: row.date,
            sha256: document.sha256.to_string(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A title stored before texts were checked (a NUL, an escape, a bidi override) must not make
    /// the dossier unprintable for good: such characters print as U+FFFD.
    #[test]
    fn stored_control_characters_do_not_break_printing() {
        let separator = Separator {
            dossier: "26.A.90101.1".into(),
            n: "1".into(),
            total: "1".into(),
            title: "facture\0 \u{1b}[2J \u{202E}fdp.exe".into(),
            file: "facture\0.pdf".into(),
            kind: "Facture".into(),
            pages: "1".into(),
            date: "1 décembre 2026".into(),
            sha256: "0".repeat(64),
        };
        let identity = PdfIdentity { ident: "test", date: time::macros::date!(2026 - 12 - 01) };
        let pdf = render::render_pdf(&SEPARATOR, &separator, &[], &identity).expect("printed");
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
