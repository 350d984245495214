//! A company as its people see it: "Vos coordonnées" (n° adhérent, SIRET of its head office,
//! raison sociale, adresse, téléphone, e-mail) and "Vos interlocuteurs" (its conseiller and the
//! assistant(e)s formation who handle it), within the caller's périmètre
//! (`GET /api/v1/companies/{adherent}`; the accueil page shows the same).

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::auth::{perimetre_sql, Caller};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::input::{Json, Path};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyProfile {
    /// N° adhérent.
    pub adherent: String,
    /// SIRET of its first establishment (the head office), as stored (14 digits).
    pub siret: Option<String>,
    /// Raison sociale.
    pub name: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub interlocutors: Vec<Interlocutor>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Interlocutor {
    /// "Conseiller" or "Assistant(e) formation".
    pub role: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/companies/{adherent}", get(get_company))
}

#[utoipa::path(get, path = "/api/v1/companies/{adherent}", tag = "companies",
    params(("adherent" = String, Path, description = "N° adhérent")),
    responses((status = 200, body = CompanyProfile), (status = 404, body = crate::error::Problem)))]
pub async fn get_company(
    State(state): State<AppState>,
    caller: Caller,
    Path(adherent): Path<String>,
) -> AppResult<Json<CompanyProfile>> {
    let profile = profile(&state.db, &caller, &adherent).await?;
    profile.map(Json).ok_or_else(|| {
        AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "company_not_found",
            "No such company.",
            "Entreprise introuvable.",
        )
    })
}

/// The company `adherent` if it is in the caller's périmètre.
pub async fn profile(db: &Db, caller: &Caller, adherent: &str) -> sqlx::Result<Option<CompanyProfile>> {
    let sql = format!(
        "select c.*, (select e.siret from establishments e where e.company_id = c.id order by e.created_at, e.siret limit 1) \
         as head_siret from companies c where c.adherent_number = $3 and {}",
        perimetre_sql("c.id", 1, 2)
    );
    let row =
        sqlx::query(&sql).bind(caller.role.as_str()).bind(&caller.user_id).bind(adherent).fetch_optional(db).await?;
    let Some(row) = row else { return Ok(None) };
    let id: String = row.try_get("id")?;
    let mut interlocutors = Vec::new();
    if let Some(name) = row.try_get::<Option<String>, _>("advisor_name")? {
        interlocutors.push(Interlocutor {
            role: "Conseiller".into(),
            name,
            phone: row.try_get("advisor_phone")?,
            email: row.try_get("advisor_email")?,
        });
    }
    let assistants = sqlx::query(
        "select u.display_name, u.phone, u.email from users u join user_companies uc on uc.user_id = u.id \
         where uc.company_id = $1 and u.role = 'assistant' and u.disabled_at is null order by u.display_name",
    )
    .bind(&id)
    .fetch_all(db)
    .await?;
    for assistant in assistants {
        interlocutors.push(Interlocutor {
            role: "Assistant(e) formation".into(),
            name: assistant.try_get("display_name")?,
            phone: assistant.try_get("phone")?,
            email: assistant.try_get("email")?,
        });
    }
    Ok(Some(CompanyProfile {
        adherent: row.try_get("adherent_number")?,
        siret: row.try_get("head_siret")?,
        name: row.try_get("name")?,
        address: row.try_get("address")?,
        postcode: row.try_get("postcode")?,
        city: row.try_get("city")?,
        phone: row.try_get("phone")?,
        email: row.try_get("email")?,
        interlocutors,
    }))
}
