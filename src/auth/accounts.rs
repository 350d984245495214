//! Accounts managed by people rather than by the operator: the users of a company ("Utilisateurs"
//! in the guide: an employer who administers the company invites them and withdraws their
//! access) and each person's own API tokens (created, named, shown once, revoked).
//!
//! Withdrawing a user's access to a company takes the company out of their périmètre; a person
//! left without any company is switched off (sessions ended, tokens revoked), since an employer
//! account acts for nothing else.

use sqlx::Row;

use super::{hash_token, new_token, Role};
use crate::db::{new_id, now, Db};

/// A user of a company, as its Utilisateurs page lists them.
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub administers: bool,
    /// Has chosen a password (an invited person who has not yet done so is "invité(e)").
    pub activated: bool,
    /// The last time one of their browser sessions was seen.
    pub last_seen: Option<String>,
}

/// The people whose périmètre holds `company_id`: the company's own users, then the OPCO's staff
/// who handle it, each by name.
pub async fn members(db: &Db, company_id: &str) -> sqlx::Result<Vec<Member>> {
    let rows = sqlx::query(
        "select u.id, u.display_name, u.email, u.role, uc.administers, case when u.password_hash is null then 0 else 1 end as activated, \
                (select max(s.last_seen_at) from sessions s where s.user_id = u.id) as last_seen \
         from user_companies uc join users u on u.id = uc.user_id \
         where uc.company_id = $1 and u.disabled_at is null \
         order by case when u.role = 'employer' then 0 else 1 end, u.display_name, u.id",
    )
    .bind(company_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            Ok(Member {
                user_id: row.try_get("id")?,
                name: row.try_get("display_name")?,
                email: row.try_get("email")?,
                role: Role::parse(&role).ok_or_else(|| crate::db::unexpected("users.role", &role))?,
                administers: row.try_get::<i64, _>("administers")? != 0,
                activated: row.try_get::<i64, _>("activated")? != 0,
                last_seen: row.try_get("last_seen")?,
            })
        })
        .collect()
}

/// Why an invitation or a withdrawal is refused; each says so in French to the administrator.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The address belongs to a person of the OPCO's staff.
    StaffAddress,
    /// The person already acts for the company.
    AlreadyMember,
    /// An administrator does not withdraw or lower their own access (the company would lose its
    /// last).
    Oneself,
    /// Not a user of this company.
    NotMember,
}

impl Refusal {
    pub fn message_fr(&self) -> &'static str {
        match self {
            Refusal::StaffAddress => {
                "Cette adresse est celle d'un compte de l'OPCO : elle ne peut pas être invitée pour l'entreprise."
            }
            Refusal::AlreadyMember => "Cette personne a déjà accès à Mon Compte pour l'entreprise.",
            Refusal::Oneself => {
                "Vous ne pouvez pas changer votre propre accès : un autre administrateur de l'entreprise peut le faire."
            }
            Refusal::NotMember => "Cette personne n'a pas d'accès pour l'entreprise.",
        }
    }
}

/// Who was invited: a new account (its activation link is to be sent), or a person who already
/// had an account and now acts for this company too (they sign in as before).
pub enum Invited {
    NewAccount { user_id: String },
    ExistingAccount { user_id: String },
}

/// Gives `email` access to `company_id`: a new employer account named `name` when the address is
/// unknown, else the company is added to that employer's périmètre (an account that was switched
/// off is switched on again). `administers`: they may manage the company's users in turn.
pub async fn invite(
    db: &Db,
    company_id: &str,
    name: &str,
    email: &str,
    administers: bool,
) -> sqlx::Result<Result<Invited, Refusal>> {
    let email = email.trim().to_lowercase();
    let mut tx = crate::db::begin(db).await?;
    let existing = sqlx::query("select id, role from users where email = $1 or login = $1")
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
    let invited = match existing {
        Some(row) => {
            let user_id: String = row.try_get("id")?;
            if row.try_get::<String, _>("role")? != Role::Employer.as_str() {
                return Ok(Err(Refusal::StaffAddress));
            }
            let member: Option<i64> =
                sqlx::query_scalar("select 1 from user_companies where user_id = $1 and company_id = $2")
                    .bind(&user_id)
                    .bind(company_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if member.is_some() {
                return Ok(Err(Refusal::AlreadyMember));
            }
            sqlx::query("update users set disabled_at = null where id = $1").bind(&user_id).execute(&mut *tx).await?;
            Invited::ExistingAccount { user_id }
        }
        None => {
            let user_id = new_id();
            sqlx::query(
                "insert into users (id, login, display_name, role, email, created_at) values ($1, $2, $3, $4, $2, $5)",
            )
            .bind(&user_id)
            .bind(&email)
            .bind(name.trim())
            .bind(Role::Employer.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            Invited::NewAccount { user_id }
        }
    };
    let user_id = match &invited {
        Invited::NewAccount { user_id } | Invited::ExistingAccount { user_id } => user_id,
    };
    sqlx::query("insert into user_companies (user_id, company_id, administers) values ($1, $2, $3)")
        .bind(user_id)
        .bind(company_id)
        .bind(i64::from(administers))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Ok(invited))
}

/// Takes `company_id` out of the périmètre of `user_id`, an employer of it, at the request of
/// `by` (not themselves). A person left without any company is switched off: their sessions end
/// and their API tokens are revoked.
pub async fn withdraw(db: &Db, company_id: &str, user_id: &str, by: &str) -> sqlx::Result<Result<(), Refusal>> {
    if user_id == by {
        return Ok(Err(Refusal::Oneself));
    }
    let mut tx = crate::db::begin(db).await?;
    let gone = sqlx::query(
        "delete from user_companies where user_id = $1 and company_id = $2 \
           and user_id in (select id from users where role = 'employer')",
    )
    .bind(user_id)
    .bind(company_id)
    .execute(&mut *tx)
    .await?;
    if gone.rows_affected() == 0 {
        return Ok(Err(Refusal::NotMember));
    }
    let left: i64 = sqlx::query_scalar("select count(*) from user_companies where user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    if left == 0 {
        let at = now();
        sqlx::query("update users set disabled_at = $1 where id = $2")
            .bind(&at)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("update api_tokens set revoked_at = $1 where user_id = $2 and revoked_at is null")
            .bind(&at)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        super::session::end_all(&mut *tx, user_id).await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// Gives or takes the right to administer the users of `company_id` from `user_id`, an employer
/// of it, at the request of `by` (not themselves: an administrator does not demote themselves,
/// so a company keeps one).
pub async fn set_administers(
    db: &Db,
    company_id: &str,
    user_id: &str,
    administers: bool,
    by: &str,
) -> sqlx::Result<Result<(), Refusal>> {
    if user_id == by {
        return Ok(Err(Refusal::Oneself));
    }
    let done = sqlx::query(
        "update user_companies set administers = $1 where user_id = $2 and company_id = $3 \
           and user_id in (select id from users where role = 'employer' and disabled_at is null)",
    )
    .bind(i64::from(administers))
    .bind(user_id)
    .bind(company_id)
    .execute(db)
    .await?;
    Ok(if done.rows_affected() == 1 { Ok(()) } else { Err(Refusal::NotMember) })
}

/// Whether `user_id` administers the users of `company_id`.
pub async fn administers(db: &Db, user_id: &str, company_id: &str) -> sqlx::Result<bool> {
    let flag: Option<i64> =
        sqlx::query_scalar("select administers from user_companies where user_id = $1 and company_id = $2")
            .bind(user_id)
            .bind(company_id)
            .fetch_optional(db)
            .await?;
    Ok(flag == Some(1))
}

/// One of a person's API tokens, as their page lists it (never the token itself).
pub struct TokenRow {
    pub id: String,
    pub label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// The tokens of `user_id`: those in use first, newest first.
pub async fn tokens_of(db: &Db, user_id: &str) -> sqlx::Result<Vec<TokenRow>> {
    let rows = sqlx::query(
        "select id, label, created_at, last_used_at, revoked_at from api_tokens where user_id = $1 \
         order by case when revoked_at is null then 0 else 1 end, created_at desc limit 200",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TokenRow {
                id: row.try_get("id")?,
                label: row.try_get("label")?,
                created_at: row.try_get("created_at")?,
                last_used_at: row.try_get("last_used_at")?,
                revoked_at: row.try_get("revoked_at")?,
            })
        })
        .collect()
}

/// How many tokens a person may hold at once (a form posted in a loop must not fill the table).
pub const MAX_LIVE_TOKENS: i64 = 20;

/// A new token named `label` for `user_id`, returned to be shown once; `None` when they already
/// hold `MAX_LIVE_TOKENS`. With `replace`, their earlier tokens of the same name are revoked first
/// (the operator's `admin token --replace`).
pub async fn create_token(db: &Db, user_id: &str, label: &str, replace: bool) -> sqlx::Result<Option<String>> {
    let token = new_token();
    let mut tx = crate::db::begin(db).await?;
    if replace {
        sqlx::query("update api_tokens set revoked_at = $1 where user_id = $2 and label = $3 and revoked_at is null")
            .bind(now())
            .bind(user_id)
            .bind(label)
            .execute(&mut *tx)
            .await?;
    }
    let live: i64 = sqlx::query_scalar("select count(*) from api_tokens where user_id = $1 and revoked_at is null")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    if live >= MAX_LIVE_TOKENS {
        return Ok(None);
    }
    sqlx::query("insert into api_tokens (id, user_id, token_hash, label, created_at) values ($1, $2, $3, $4, $5)")
        .bind(new_id())
        .bind(user_id)
        .bind(hash_token(&token))
        .bind(label)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Revokes token `token_id` of `user_id` (someone else's token is not found: `false`).
pub async fn revoke_token(db: &Db, user_id: &str, token_id: &str) -> sqlx::Result<bool> {
    let done =
        sqlx::query("update api_tokens set revoked_at = $1 where id = $2 and user_id = $3 and revoked_at is null")
            .bind(now())
            .bind(token_id)
            .bind(user_id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}
