//! One-time links: an invitation activates an account (valid 72 h), a reset replaces a forgotten
//! password (valid 1 h). The link carries a random secret; only its SHA-256 is kept. Using a link
//! sets the password, spends the link and every other link of the user, and ends the user's
//! sessions.

use std::time::Duration;

use sqlx::Row;
use time::OffsetDateTime;

use super::{hash_token, new_token};
use crate::db::{format_time, now, Db};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Activation,
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Activation => "activation",
            Purpose::Reset => "reset",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Purpose::Activation => Duration::from_secs(72 * 3600),
            Purpose::Reset => Duration::from_secs(3600),
        }
    }
}

/// The person a valid link is for.
pub struct LinkHolder {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub purpose: Purpose,
}

/// A fresh link's secret for `user_id`; earlier unused links of the user stop working.
pub async fn create(db: &Db, user_id: &str, purpose: Purpose) -> sqlx::Result<String> {
    let secret = new_token();
    let at = OffsetDateTime::now_utc();
    let mut tx = crate::db::begin(db).await?;
    sqlx::query("update one_time_links set used_at = $1 where user_id = $2 and used_at is null")
        .bind(format_time(at))
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into one_time_links (token_hash, user_id, purpose, created_at, expires_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(hash_token(&secret))
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(format_time(at))
    .bind(format_time(at + purpose.lifetime()))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// The address a person opens to use the link `secret`.
pub fn url(public_base: &str, secret: &str) -> String {
    format!("{public_base}/mot-de-passe/{secret}")
}

/// Whether a link for `purpose` was made for `user_id` less than `within` ago (a reset mail is
/// not sent again so soon: a form posted in a loop must not fill someone's mailbox).
pub async fn made_within(db: &Db, user_id: &str, purpose: Purpose, within: Duration) -> sqlx::Result<bool> {
    let since = format_time(OffsetDateTime::now_utc() - within);
    let made: i64 = sqlx::query_scalar(
        "select count(*) from one_time_links where user_id = $1 and purpose = $2 and created_at > $3",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok(made > 0)
}

/// Who a link is for, while it is unused and unexpired.
pub async fn holder(db: &Db, secret: &str) -> sqlx::Result<Option<LinkHolder>> {
    if secret.len() > 100 {
        return Ok(None);
    }
    let row = sqlx::query(
        "select l.purpose, u.id, u.email, u.display_name from one_time_links l join users u on u.id = l.user_id \
         where l.token_hash = $1 and l.used_at is null and l.expires_at > $2 and u.disabled_at is null",
    )
    .bind(hash_token(secret))
    .bind(now())
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let purpose: String = row.try_get("purpose")?;
    Ok(Some(LinkHolder {
        user_id: row.try_get("id")?,
        email: row.try_get::<Option<String>, _>("email")?.unwrap_or_default(),
        display_name: row.try_get("display_name")?,
        purpose: if purpose == "reset" { Purpose::Reset } else { Purpose::Activation },
    }))
}

/// Spends the link and sets the password it was for; `false` when the link was already spent
/// or has expired (a second tab, a double click).
pub async fn redeem(db: &Db, secret: &str, user_id: &str, password_hash: &str) -> sqlx::Result<bool> {
    let mut tx = crate::db::begin(db).await?;
    let spent = sqlx::query(
        "update one_time_links set used_at = $1 where token_hash = $2 and user_id = $3 \
         and used_at is null and expires_at > $1",
    )
    .bind(now())
    .bind(hash_token(secret))
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    if spent.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("update one_time_links set used_at = $1 where user_id = $2 and used_at is null")
        .bind(now())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("update users set password_hash = $1 where id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    super::session::end_all(&mut *tx, user_id).await?;
    tx.commit().await?;
    Ok(true)
}
