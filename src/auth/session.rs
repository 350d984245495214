//! Browser sessions, kept as rows (they survive a restart and work on several nodes): the cookie
//! holds a random secret, the row its SHA-256, the CSRF token of its forms and the company acted
//! for. A session ends when its user signs out, after 30 minutes without a request, 12 hours
//! after it began, when its user's password changes or the account is switched off.

use std::time::Duration;

use sqlx::Row;
use time::OffsetDateTime;

use super::{hash_token, new_token, Caller, Role};
use crate::db::{format_time, Db};

pub const IDLE: Duration = Duration::from_secs(30 * 60);
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 3600);
/// A session's `last_seen_at` is written at most this often (not on every request).
const TOUCH_EVERY: Duration = Duration::from_secs(60);

#[derive(Clone, Debug)]
pub struct Session {
    pub token_hash: String,
    pub caller: Caller,
    pub display_name: String,
    /// The token each of this session's forms carries.
    pub csrf: String,
    /// The company acted for, while it is in the user's périmètre.
    pub company: Option<ActingFor>,
}

#[derive(Clone, Debug)]
pub struct ActingFor {
    pub id: String,
    pub adherent: String,
    pub name: String,
    /// The person administers the company's users (Utilisateurs).
    pub administers: bool,
}

/// Opens a session for `user_id`, acting for `company_id` when given; returns the cookie's secret.
pub async fn open(db: &Db, user_id: &str, company_id: Option<&str>) -> sqlx::Result<String> {
    let secret = new_token();
    let now = crate::db::now();
    sqlx::query(
        "insert into sessions (token_hash, user_id, csrf, company_id, created_at, last_seen_at) \
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(hash_token(&secret))
    .bind(user_id)
    .bind(new_token())
    .bind(company_id)
    .bind(&now)
    .execute(db)
    .await?;
    Ok(secret)
}

/// The live session behind a cookie's secret, if any; notes that it was seen.
pub async fn find(db: &Db, secret: &str) -> sqlx::Result<Option<Session>> {
    if secret.len() > 100 {
        return Ok(None);
    }
    let now = OffsetDateTime::now_utc();
    let row = sqlx::query(
        "select s.token_hash, s.csrf, s.last_seen_at, u.id, u.login, u.role, u.display_name, \
                c.id as company_id, c.adherent_number, c.name as company_name, \
                uc.company_id as perimetre_company, uc.administers \
         from sessions s join users u on u.id = s.user_id \
         left join companies c on c.id = s.company_id \
         left join user_companies uc on uc.user_id = u.id and uc.company_id = s.company_id \
         where s.token_hash = $1 and s.ended_at is null and u.disabled_at is null \
           and s.last_seen_at > $2 and s.created_at > $3",
    )
    .bind(hash_token(secret))
    .bind(format_time(now - IDLE))
    .bind(format_time(now - ABSOLUTE))
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let role: String = row.try_get("role")?;
    let role = Role::parse(&role).ok_or_else(|| crate::db::unexpected("users.role", &role))?;
    let caller = Caller { user_id: row.try_get("id")?, login: row.try_get("login")?, role };
    let in_perimetre = row.try_get::<Option<String>, _>("perimetre_company")?.is_some();
    let company = match row.try_get::<Option<String>, _>("company_id")? {
        Some(id) if in_perimetre || role == Role::Admin => Some(ActingFor {
            id,
            adherent: row.try_get("adherent_number")?,
            name: row.try_get("company_name")?,
            administers: row.try_get::<Option<i64>, _>("administers")? == Some(1),
        }),
        _ => None,
    };
    let session = Session {
        token_hash: row.try_get("token_hash")?,
        caller,
        display_name: row.try_get("display_name")?,
        csrf: row.try_get("csrf")?,
        company,
    };
    let last_seen: String = row.try_get("last_seen_at")?;
    if last_seen < format_time(now - TOUCH_EVERY) {
        sqlx::query("update sessions set last_seen_at = $1 where token_hash = $2")
            .bind(format_time(now))
            .bind(&session.token_hash)
            .execute(db)
            .await?;
    }
    Ok(Some(session))
}

/// When the person's last visit ended: the last moment another session of theirs was seen.
pub async fn previous_visit(db: &Db, session: &Session) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select max(last_seen_at) from sessions where user_id = $1 and token_hash <> $2")
        .bind(&session.caller.user_id)
        .bind(&session.token_hash)
        .fetch_one(db)
        .await
}

/// The session acts for `company_id` from now on (the caller has checked the périmètre).
pub async fn act_for(db: &Db, session: &Session, company_id: &str) -> sqlx::Result<()> {
    sqlx::query("update sessions set company_id = $1 where token_hash = $2")
        .bind(company_id)
        .bind(&session.token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Signs out: the row ends, so the cookie opens nothing any more.
pub async fn end(db: &Db, session: &Session) -> sqlx::Result<()> {
    sqlx::query("update sessions set ended_at = $1 where token_hash = $2")
        .bind(crate::db::now())
        .bind(&session.token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of a user (password changed, account switched off).
pub async fn end_all(db: impl sqlx::Executor<'_, Database = sqlx::Any>, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("update sessions set ended_at = $1 where user_id = $2 and ended_at is null")
        .bind(crate::db::now())
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}
