//! Who is calling: API tokens (only their SHA-256 is stored), people with a password and their
//! browser sessions, roles, and the périmètre — the companies a user may act for. Every API route
//! takes a `Caller`, every page a session that holds one; périmètre checks are part of the SQL
//! that loads dossiers and documents, so a foreign one is simply "not found".

pub mod accounts;
mod caller;
pub mod links;
pub mod password;
pub mod session;
pub mod throttle;
mod tokens;

pub use caller::Caller;
pub use tokens::{hash_token, new_token};

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An employer (entreprise adhérente): its own companies only.
    Employer,
    /// An OPCO assistant: the companies it handles.
    Assistant,
    /// An operator: every company.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employer => "employer",
            Role::Assistant => "assistant",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "employer" => Some(Role::Employer),
            "assistant" => Some(Role::Assistant),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Role, String> {
        Role::parse(text).ok_or_else(|| format!("unknown role {text:?} (employer, assistant, admin)"))
    }
}

/// The user whose e-mail and password these are, if the account is active; an unknown address
/// and a wrong password take the same time and give the same `None`.
pub async fn check_password(db: &crate::db::Db, email: &str, password: &str) -> sqlx::Result<Option<String>> {
    use sqlx::Row;
    let email = email.trim().to_lowercase();
    let row = sqlx::query("select id, password_hash from users where email = $1 and disabled_at is null")
        .bind(&email)
        .fetch_optional(db)
        .await?;
    let (id, stored) = match row {
        Some(row) => (Some(row.try_get::<String, _>("id")?), row.try_get::<Option<String>, _>("password_hash")?),
        None => (None, None),
    };
    let matches = password::verify(password.to_string(), stored).await;
    Ok(id.filter(|_| matches))
}

/// The companies of a user's périmètre, (id, n° adhérent, raison sociale), by n° adhérent; every
/// company for an admin.
pub async fn perimetre(db: &crate::db::Db, caller: &Caller) -> sqlx::Result<Vec<(String, String, String)>> {
    let sql = format!(
        "select c.id, c.adherent_number, c.name from companies c where {} order by c.adherent_number",
        perimetre_sql("c.id", 1, 2)
    );
    sqlx::query_as(&sql).bind(caller.role.as_str()).bind(&caller.user_id).fetch_all(db).await
}

/// The companies in the caller's périmètre; `None` for admins (every company). The same rule as
/// [`perimetre_sql`], for what is not SQL (the search index).
pub async fn companies_of(db: &crate::db::Db, caller: &Caller) -> sqlx::Result<Option<Vec<String>>> {
    if caller.role == Role::Admin {
        return Ok(None);
    }
    let companies = sqlx::query_scalar("select company_id from user_companies where user_id = $1")
        .bind(&caller.user_id)
        .fetch_all(db)
        .await?;
    Ok(Some(companies))
}

/// The SQL condition "company `$col` is in the périmètre of the caller bound as `$role`, `$user`".
/// Admins see every company.
pub fn perimetre_sql(col: &str, role_param: u8, user_param: u8) -> String {
    format!(
        "(${role_param} = 'admin' or {col} in \
         (select company_id from user_companies where user_id = ${user_param}))"
    )
}
