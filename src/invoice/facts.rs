//! What an invoice is checked against and frozen with, read from the database at issue: the
//! dossier's trainees, duration and start, the employer's identity and VAT number, and the OPCO
//! assistant who handles the company.

use axum::http::StatusCode;

use super::document::{Assistant, Employer};
use super::{dates, Computed, DossierFacts, InvalidInvoice, InvoiceRequest};
use crate::domain::iso_date;
use crate::domain::Hours;
use crate::dossiers::sql::DossierRecord;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Reads and computes the request against what the dossier says.
pub async fn read_request(
    state: &AppState,
    dossier: &DossierRecord,
    body: serde_json::Value,
) -> AppResult<(super::Invoice, Computed)> {
    let request: InvoiceRequest = serde_json::from_value(body).map_err(|error| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json_data",
            format!("The JSON body does not have the expected shape: {error}"),
            format!("Le corps JSON n'a pas la forme attendue : {error}"),
        )
    })?;
    let vat_number: Option<String> = sqlx::query_scalar("select vat_number from companies where id = $1")
        .bind(&dossier.company_id)
        .fetch_one(&state.db)
        .await?;
    let action = &dossier.fields.action;
    let facts = DossierFacts {
        total_hours: action.hours.as_deref().and_then(|h| Hours::parse(h).ok()),
        trainees: Some(&dossier.fields.trainees),
        employer_vat_number: vat_number.as_deref().filter(|v| !v.trim().is_empty()),
        start_date: action.start_date.as_deref().and_then(iso_date::parse),
        latest_date: Some(dates::latest(time::OffsetDateTime::now_utc())),
    };
    let invoice = super::validate(&request, &facts).map_err(InvalidInvoice::into_app_error)?;
    let computed = super::compute(&invoice);
    Ok((invoice, computed))
}

/// The issuing employer as the invoice's header shows it.
pub async fn employer_of(state: &AppState, dossier: &DossierRecord) -> AppResult<Employer> {
    use sqlx::Row;
    let row = sqlx::query(
        "select name, legal_form, adherent_number, vat_number, address, postcode, city from companies where id = $1",
    )
    .bind(&dossier.company_id)
    .fetch_one(&state.db)
    .await?;
    let text = |column: &str| row.try_get::<Option<String>, _>(column).ok().flatten();
    Ok(Employer {
        name: text("name"),
        legal_form: text("legal_form"),
        adherent: text("adherent_number"),
        siret: dossier.fields.siret.clone(),
        vat_number: text("vat_number"),
        address: text("address"),
        postcode: text("postcode"),
        city: text("city"),
    })
}

/// The OPCO assistant who handles the company (the first by login, when several do).
pub async fn assistant_of(state: &AppState, company_id: &str) -> AppResult<Option<Assistant>> {
    use sqlx::Row;
    let row = sqlx::query(
        "select u.display_name, u.phone from users u join user_companies uc on uc.user_id = u.id \
         where uc.company_id = $1 and u.role = 'assistant' order by u.login limit 1",
    )
    .bind(company_id)
    .fetch_optional(&state.db)
    .await?;
    Ok(row.map(|row| Assistant {
        name: row.try_get("display_name").unwrap_or_default(),
        phone: row.try_get("phone").ok().flatten(),
    }))
}
