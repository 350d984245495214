//! The `Caller` extractor: `Authorization: Bearer <token>` → the user behind an unrevoked token.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::{header, request::Parts};
use sqlx::Row;

use super::{hash_token, Role};
use crate::db::{format_time, Db};
use crate::error::AppError;

/// How stale a token's "last used" may get before a request writes it again.
const LAST_USED_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: String,
    pub login: String,
    pub role: Role,
}

impl Caller {
    /// Assistants and admins: the OPCO's staff.
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Assistant | Role::Admin)
    }

    pub fn require_staff(&self) -> Result<(), AppError> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
}

/// From any state that holds the database (the service's `AppState`), so that `auth` stays
/// below it.
impl<S> FromRequestParts<S> for Caller
where
    Db: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Caller, AppError> {
        let db = Db::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty())
            .ok_or_else(AppError::unauthenticated)?;
        let row = sqlx::query(
            "select t.id as token_id, t.last_used_at, u.id, u.login, u.role from api_tokens t \
             join users u on u.id = t.user_id where t.token_hash = $1 and t.revoked_at is null",
        )
        .bind(hash_token(token))
        .fetch_optional(&db)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
        let role: String = row.try_get("role")?;
        // "Last used" on the person's tokens page: written at most once a minute per token.
        let now = time::OffsetDateTime::now_utc();
        let last_used: Option<String> = row.try_get("last_used_at")?;
        if last_used.is_none_or(|at| at < format_time(now - LAST_USED_EVERY)) {
            sqlx::query("update api_tokens set last_used_at = $1 where id = $2")
                .bind(format_time(now))
                .bind(row.try_get::<String, _>("token_id")?)
                .execute(&db)
                .await?;
        }
        Ok(Caller {
            user_id: row.try_get("id")?,
            login: row.try_get("login")?,
            role: Role::parse(&role).ok_or_else(AppError::unauthenticated)?,
        })
    }
}
