//! An issued invoice's PDF, stored as a `facture_employeur` piece of its dossier (checksummed,
//! read, indexed like any piece). It is made right after the issue commits; if that fails or the
//! process stops in between, the invoice stays without a PDF until the next start-up
//! ([`render_missing`]) or the next request for it ([`ensure_pdf`]). The PDF is a function of the
//! frozen data alone, byte for byte, so making it twice stores one piece.

use super::document::{Frozen, Printable};
use super::print;
use super::sql::{self, InvoiceRecord};
use crate::documents::{ingest, DocKind, NewPiece, Spooled};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The id of the invoice's PDF piece, making and storing it first if needed.
pub async fn ensure_pdf(state: &AppState, invoice: &InvoiceRecord) -> AppResult<String> {
    if let Some(id) = &invoice.document_id {
        return Ok(id.clone());
    }
    let mut data = sql::data(&state.db, &invoice.id).await?;
    complete_early_data(&mut data, &state.config.opco, &invoice.issue_date);
    let frozen: Frozen = serde_json::from_value(data)
        .map_err(|e| AppError::internal(anyhow::anyhow!("invoice {} has unreadable data: {e}", invoice.id)))?;
    let issue_date = crate::domain::iso_date::parse(&invoice.issue_date)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("invoice {} has a bad date", invoice.id)))?;
    let number = invoice.number.clone();
    let type_code = invoice.type_code;
    let credits = invoice.credits.clone();
    let ident = format!("invoice:{}:{}", invoice.company_id, invoice.number);
    let pdf = tokio::task::spawn_blocking(move || {
        let printable =
            Printable { number: Some(&number), type_code, credits: credits.as_deref(), issue_date, frozen: &frozen };
        print::invoice_pdf(&printable, &ident)
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("the invoice render panicked: {e}")))?
    .map_err(|e| AppError::internal(e.into()))?;

    let spool_dir = state.config.storage_dir().join("tmp");
    let spooled = Spooled::from_bytes(&spool_dir, &pdf, u64::MAX).await?;
    let dossier = crate::dossiers::sql::find_header_by_id(&state.db, &invoice.dossier_id).await?;
    let what = if invoice.type_code == super::document::TypeCode::CreditNote { "Avoir" } else { "Facture" };
    let piece = NewPiece {
        kind: Some(DocKind::FactureEmployeur),
        title: Some(format!("{what} {}", invoice.number)),
        comment: None,
        original_name: format!("{}.pdf", invoice.number.replace('/', "-")),
    };
    let (document, _) = ingest::record_piece(state, &dossier, &invoice.issued_by, spooled, piece, false).await?;
    sql::set_document(&state.db, &invoice.id, &document.id).await?;
    Ok(document.id)
}

/// Invoices issued before their PDF existed froze their request, lines, employer and dossier
/// only: the signature comes from their request (dated as issued), the OPCO from the
/// configuration, and no assistant is named.
pub(super) fn complete_early_data(data: &mut serde_json::Value, opco: &crate::domain::opco::Opco, issue_date: &str) {
    let Some(fields) = data.as_object_mut() else { return };
    if !fields.contains_key("signed") {
        let request = fields.get("request").cloned().unwrap_or_default();
        let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().trim().to_string();
        let signed = serde_json::json!({
            "date": issue_date,
            "place": text(&request["place"]),
            "name": text(&request["signatory"]["name"]),
            "function": text(&request["signatory"]["function"]),
        });
        fields.insert("signed".into(), signed);
    }
    if !fields.contains_key("opco") {
        fields.insert("opco".into(), serde_json::to_value(opco).unwrap_or_default());
    }
    fields.entry("assistant").or_insert(serde_json::Value::Null);
}

/// Makes the PDFs that a stop between an issue and its PDF left missing (at start-up).
pub async fn render_missing(state: &AppState) -> anyhow::Result<()> {
    for id in sql::without_pdf(&state.db).await? {
        let invoice = sql::find_by_id(&state.db, &id).await?;
        match ensure_pdf(state, &invoice).await {
            Ok(document) => tracing::info!(invoice = %invoice.number, %document, "invoice PDF made after a restart"),
            Err(error) => {
                tracing::error!(invoice = %invoice.number, error = %error.detail, "invoice PDF still missing")
            }
        }
    }
    Ok(())
}
