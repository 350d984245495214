//! Operator actions behind `pieces admin` (and the demo seed): companies, establishments, users
//! with their périmètre, API tokens. Each is an upsert by its natural key (n° adhérent, SIRET,
//! login), so running a command twice changes nothing.

use anyhow::{bail, Context};
use sqlx::Row;

use crate::auth::links::{self, Purpose};
use crate::auth::Role;
use crate::db::{new_id, now, Db};
use crate::domain::Siret;

/// A company as `pieces admin company` takes it (and the demo seeds it).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct NewCompany {
    /// N° adhérent.
    #[arg(long = "adherent")]
    pub adherent_number: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub legal_form: Option<String>,
    #[arg(long)]
    pub vat_number: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub postcode: Option<String>,
    #[arg(long)]
    pub city: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// The company's conseiller at the OPCO ("Vos interlocuteurs"): name, phone, e-mail.
    #[arg(long)]
    pub advisor_name: Option<String>,
    #[arg(long)]
    pub advisor_phone: Option<String>,
    #[arg(long)]
    pub advisor_email: Option<String>,
}

/// Creates or updates a company; returns its id.
pub async fn upsert_company(db: &Db, company: &NewCompany) -> anyhow::Result<String> {
    if company.adherent_number.trim().is_empty() || company.name.trim().is_empty() {
        bail!("a company needs an adherent number and a name");
    }
    sqlx::query(
        "insert into companies (id, adherent_number, name, legal_form, vat_number, address, postcode, city, created_at, \
         phone, email, advisor_name, advisor_phone, advisor_email) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         on conflict (adherent_number) do update set name = excluded.name, legal_form = excluded.legal_form, \
         vat_number = excluded.vat_number, address = excluded.address, postcode = excluded.postcode, city = excluded.city, \
         phone = excluded.phone, email = excluded.email, advisor_name = excluded.advisor_name, \
         advisor_phone = excluded.advisor_phone, advisor_email = excluded.advisor_email",
    )
    .bind(new_id())
    .bind(&company.adherent_number)
    .bind(&company.name)
    .bind(&company.legal_form)
    .bind(&company.vat_number)
    .bind(&company.address)
    .bind(&company.postcode)
    .bind(&company.city)
    .bind(now())
    .bind(&company.phone)
    .bind(&company.email)
    .bind(&company.advisor_name)
    .bind(&company.advisor_phone)
    .bind(&company.advisor_email)
    .execute(db)
    .await
    .context("cannot save the company")?;
    company_id(db, &company.adherent_number).await
}

pub async fn company_id(db: &Db, adherent_number: &str) -> anyhow::Result<String> {
    let row = sqlx::query("select id from companies where adherent_number = $1")
        .bind(adherent_number)
        .fetch_optional(db)
        .await?
        .with_context(|| format!("no company with adherent number {adherent_number}"))?;
    Ok(row.try_get("id")?)
}

pub async fn user_id(db: &Db, login: &str) -> anyhow::Result<String> {
    let row = sqlx::query("select id from users where login = $1")
        .bind(login)
        .fetch_optional(db)
        .await?
        .with_context(|| format!("no user with login {login}"))?;
    Ok(row.try_get("id")?)
}

/// Creates or updates an establishment of a company.
pub async fn upsert_establishment(
    db: &Db,
    adherent_number: &str,
    siret: &str,
    name: &str,
    postcode: Option<&str>,
    city: Option<&str>,
) -> anyhow::Result<Siret> {
    let siret = Siret::parse(siret).map_err(|why| anyhow::anyhow!("invalid SIRET {siret:?}: {why}"))?;
    let company = company_id(db, adherent_number).await?;
    sqlx::query(
        "insert into establishments (id, company_id, siret, name, postcode, city, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict (siret) do update set name = excluded.name, postcode = excluded.postcode, city = excluded.city",
    )
    .bind(new_id())
    .bind(&company)
    .bind(siret.as_str())
    .bind(name)
    .bind(postcode)
    .bind(city)
    .bind(now())
    .execute(db)
    .await
    .context("cannot save the establishment")?;
    let owner: String = sqlx::query("select company_id from establishments where siret = $1")
        .bind(siret.as_str())
        .fetch_one(db)
        .await?
        .try_get("company_id")?;
    if owner != company {
        bail!("SIRET {siret} already belongs to another company");
    }
    Ok(siret)
}

/// Creates or updates a user, and sets its périmètre to exactly `companies` (n° adhérent).
pub async fn upsert_user(
    db: &Db,
    login: &str,
    display_name: &str,
    role: Role,
    companies: &[&str],
) -> anyhow::Result<String> {
    if login.trim().is_empty() {
        bail!("a user needs a login");
    }
    let mut company_ids = Vec::new();
    for adherent in companies {
        company_ids.push(company_id(db, adherent).await?);
    }
    let mut tx = crate::db::begin(db).await?;
    sqlx::query(
        "insert into users (id, login, display_name, role, created_at) values ($1, $2, $3, $4, $5) \
         on conflict (login) do update set display_name = excluded.display_name, role = excluded.role",
    )
    .bind(new_id())
    .bind(login)
    .bind(display_name)
    .bind(role.as_str())
    .bind(now())
    .execute(&mut *tx)
    .await
    .context("cannot save the user")?;
    let user_id: String =
        sqlx::query("select id from users where login = $1").bind(login).fetch_one(&mut *tx).await?.try_get("id")?;
    // Exactly `companies`, keeping what the user had on those they keep (Utilisateurs' rights).
    let kept: Vec<String> = sqlx::query_scalar("select company_id from user_companies where user_id = $1")
        .bind(&user_id)
        .fetch_all(&mut *tx)
        .await?;
    for gone in kept.iter().filter(|c| !company_ids.contains(c)) {
        sqlx::query("delete from user_companies where user_id = $1 and company_id = $2")
            .bind(&user_id)
            .bind(gone)
            .execute(&mut *tx)
            .await?;
    }
    for company in company_ids.iter().filter(|c| !kept.contains(c)) {
        sqlx::query("insert into user_companies (user_id, company_id) values ($1, $2)")
            .bind(&user_id)
            .bind(company)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(user_id)
}

/// Whether `login` administers the users of every company of its périmètre (Utilisateurs).
pub async fn set_administers(db: &Db, login: &str, administers: bool) -> anyhow::Result<()> {
    let user_id = user_id(db, login).await?;
    sqlx::query("update user_companies set administers = $1 where user_id = $2")
        .bind(i64::from(administers))
        .bind(&user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Sets the direct phone line of `login` (an assistant's "ligne directe" on invoices).
pub async fn set_phone(db: &Db, login: &str, phone: Option<&str>) -> anyhow::Result<()> {
    let phone = phone.map(str::trim).filter(|p| !p.is_empty());
    let done = sqlx::query("update users set phone = $1 where login = $2").bind(phone).bind(login).execute(db).await?;
    if done.rows_affected() == 0 {
        bail!("no user {login:?}");
    }
    Ok(())
}

/// Sets the e-mail address `login` signs in with (stored in lower case, unique).
pub async fn set_email(db: &Db, login: &str, email: &str) -> anyhow::Result<()> {
    let email = email.trim().to_lowercase();
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        bail!("{email:?} is not an e-mail address");
    }
    let done = sqlx::query("update users set email = $1 where login = $2")
        .bind(&email)
        .bind(login)
        .execute(db)
        .await
        .with_context(|| format!("cannot give {login:?} the address {email}: is it another user's?"))?;
    if done.rows_affected() == 0 {
        bail!("no user {login:?}");
    }
    Ok(())
}

/// Sets the password of `login` directly (the demo's users); ends its sessions.
pub async fn set_password(db: &Db, login: &str, password: &str) -> anyhow::Result<()> {
    let user_id = user_id(db, login).await?;
    let hash = crate::auth::password::hash(password.to_string()).await?;
    sqlx::query("update users set password_hash = $1 where id = $2").bind(hash).bind(&user_id).execute(db).await?;
    crate::auth::session::end_all(db, &user_id).await?;
    Ok(())
}

/// A one-time link for `login` to choose a password: an invitation (72 h) or a reset (1 h).
pub async fn password_link(db: &Db, public_base: &str, login: &str, purpose: Purpose) -> anyhow::Result<String> {
    let row = sqlx::query("select id, email from users where login = $1 or email = $2")
        .bind(login)
        .bind(login.trim().to_lowercase())
        .fetch_optional(db)
        .await?
        .with_context(|| format!("no user {login:?}"))?;
    if row.try_get::<Option<String>, _>("email")?.is_none() {
        bail!("{login:?} has no e-mail address to sign in with: give it one with --email");
    }
    let secret = links::create(db, &row.try_get::<String, _>("id")?, purpose).await?;
    Ok(links::url(public_base, &secret))
}

/// Issues a new API token for `login`. With `replace`, earlier tokens of the same label are
/// revoked first (so a user holds one token per label). Returns the token, shown only now.
pub async fn issue_token(db: &Db, login: &str, label: &str, replace: bool) -> anyhow::Result<String> {
    let user_id = user_id(db, login).await?;
    crate::auth::accounts::create_token(db, &user_id, label, replace).await?.with_context(|| {
        format!("{login:?} holds {} tokens already: revoke some first", crate::auth::accounts::MAX_LIVE_TOKENS)
    })
}
