//! Throttled sign-ins: after 5 failures for one e-mail address, or 30 from one network address,
//! within 15 minutes, sign-ins for it are refused until the oldest failure is 15 minutes old. The
//! counts live in the database, so every node sees the same.

use std::time::Duration;

use time::OffsetDateTime;

use crate::db::{format_time, new_id, Db};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const PER_ACCOUNT: i64 = 5;
pub const PER_ADDRESS: i64 = 30;

fn targets(email: &str, ip: &str) -> [String; 2] {
    [format!("email:{}", email.trim().to_lowercase()), format!("ip:{ip}")]
}

/// Whether sign-ins for `email` or from `ip` wait.
pub async fn is_throttled(db: &Db, email: &str, ip: &str) -> sqlx::Result<bool> {
    let since = format_time(OffsetDateTime::now_utc() - WINDOW);
    let [account, address] = targets(email, ip);
    let count = |target: String| {
        let since = since.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from sign_in_failures where target = $1 and at > $2")
                .bind(target)
                .bind(since)
                .fetch_one(db)
                .await
        }
    };
    Ok(count(account).await? >= PER_ACCOUNT || count(address).await? >= PER_ADDRESS)
}

/// Notes a failed sign-in (and forgets the failures older than the window).
pub async fn failed(db: &Db, email: &str, ip: &str) -> sqlx::Result<()> {
    let now = OffsetDateTime::now_utc();
    let mut tx = crate::db::begin(db).await?;
    sqlx::query("delete from sign_in_failures where at < $1").bind(format_time(now - WINDOW)).execute(&mut *tx).await?;
    for target in targets(email, ip) {
        sqlx::query("insert into sign_in_failures (id, target, at) values ($1, $2, $3)")
            .bind(new_id())
            .bind(target)
            .bind(format_time(now))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// A successful sign-in clears its account's failures.
pub async fn succeeded(db: &Db, email: &str) -> sqlx::Result<()> {
    let [account, _] = targets(email, "");
    sqlx::query("delete from sign_in_failures where target = $1").bind(account).execute(db).await?;
    Ok(())
}
