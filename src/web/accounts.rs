//! Utilisateurs (the guide: "créer un accès direct à Mon Compte et gérer les droits/habilitations
//! associés") and a person's own API tokens.
//!
//! - `/utilisateurs`: who acts for the company acted for. Everyone acting for it sees the list
//!   (OPCO staff included: who acts for a company they handle); an administrator of the company
//!   invites a person (a new account gets its activation link by mail with `--smtp-url`, else the
//!   page shows the link once, to pass on) and withdraws an access.
//! - `/jetons`: the person's API tokens: created with a name and shown once, listed with when they
//!   were last used, revoked.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::error::{html, PageError, PageResult};
use super::format;
use super::frame::Frame;
use super::person::{check_csrf, Acting, Person};
use crate::auth::accounts::{self, Invited, Member};
use crate::auth::{links, Role};
use crate::state::AppState;

pub struct MemberRow {
    pub user_id: String,
    /// Administers the company's users.
    pub administers: bool,
    pub name: String,
    pub email: String,
    pub what: &'static str,
    pub status: String,
    /// An administrator may withdraw this access (an employer's, not their own).
    pub removable: bool,
}

#[derive(Template)]
#[template(path = "web/utilisateurs.html")]
struct UsersPage {
    frame: Frame,
    csrf: String,
    company: String,
    employers: Vec<MemberRow>,
    staff: Vec<MemberRow>,
    /// The person may invite and withdraw.
    administers: bool,
    /// OPCO staff look at the list (they are not told to ask an administrator).
    staff_view: bool,
    notice: Option<String>,
    /// A new account's activation link, shown once when no mail can carry it.
    link: Option<(String, String)>,
    error: Option<String>,
    form: InviteForm,
}

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    #[serde(default)]
    message: String,
}

#[derive(Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub nom: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub administrateur: Option<String>,
}

/// `GET /utilisateurs`
pub async fn users(State(state): State<AppState>, acting: Acting, Query(query): Query<UsersQuery>) -> PageResult {
    let notice = match query.message.as_str() {
        "invite" => Some("L'invitation est envoyée par e-mail ; le lien d'activation vaut 72 heures."),
        "ajoute" => Some("Cette personne avait déjà un compte : elle a désormais accès à l'entreprise."),
        "retire" => Some("L'accès est retiré."),
        "droits" => Some("Les droits sont enregistrés."),
        _ => None,
    };
    let page = users_page(&state, &acting, InviteForm::default(), notice.map(String::from), None, None).await?;
    html(page)
}

async fn users_page(
    state: &AppState,
    acting: &Acting,
    form: InviteForm,
    notice: Option<String>,
    link: Option<(String, String)>,
    error: Option<String>,
) -> PageResult<UsersPage> {
    let frame = Frame::of(state, acting, "Utilisateurs", "utilisateurs").await?;
    let administers = require_administrator(acting).is_ok();
    let members = accounts::members(&state.db, &acting.company.id).await?;
    let row = |m: Member| MemberRow {
        removable: administers && m.role == Role::Employer && m.user_id != acting.session.caller.user_id,
        administers: m.administers,
        what: match (m.role, m.administers) {
            (Role::Employer, true) => "Administrateur de l'entreprise",
            (Role::Employer, false) => "Utilisateur",
            _ => "Assistant(e) formation",
        },
        status: match (m.activated, &m.last_seen) {
            (false, _) => "Invité(e) : compte pas encore activé".into(),
            (true, Some(at)) => format!("Dernière visite : {}", format::moment(at)),
            (true, None) => "Compte activé, jamais connecté(e)".into(),
        },
        user_id: m.user_id,
        name: m.name,
        email: m.email.unwrap_or_default(),
    };
    let (employers, staff): (Vec<Member>, Vec<Member>) = members.into_iter().partition(|m| m.role == Role::Employer);
    Ok(UsersPage {
        frame,
        csrf: acting.session.csrf.clone(),
        company: format!("{} {}", acting.company.adherent, acting.company.name),
        employers: employers.into_iter().map(row).collect(),
        staff: staff.into_iter().map(row).collect(),
        administers,
        staff_view: acting.session.caller.is_staff(),
        notice,
        link,
        error,
        form,
    })
}

/// A name typed on one line, trimmed: at most `max` characters, none the rule for typed texts
/// refuses; `missing` when empty.
fn one_line(text: &str, max: usize, missing: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(missing.to_string());
    }
    crate::domain::text::check("nom", text, max, false).map_err(|e| e.detail_fr)?;
    Ok(text.to_string())
}

/// The address as stored (lower case), if it looks like one: something before and after one `@`,
/// a dot in the domain, no space, at most 254 characters.
fn email_address(text: &str) -> Option<String> {
    let email = text.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let fine = email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    fine.then_some(email)
}

/// `POST /utilisateurs`: an administrator of the company invites a person.
pub async fn invite(
    State(state): State<AppState>,
    acting: Acting,
    axum::Form(form): axum::Form<InviteForm>,
) -> PageResult {
    check_csrf(&acting.session.csrf, &form.csrf)?;
    require_administrator(&acting)?;
    let checked = one_line(&form.nom, 120, "Indiquez le prénom et le nom de la personne.").and_then(|name| {
        let email = email_address(&form.email)
            .ok_or_else(|| "Indiquez une adresse e-mail valide, par exemple prenom.nom@entreprise.fr.".to_string())?;
        Ok((name, email))
    });
    let (name, email) = match checked {
        Ok(both) => both,
        Err(error) => return unprocessable(users_page(&state, &acting, form, None, None, Some(error)).await?),
    };
    let invited = accounts::invite(&state.db, &acting.company.id, &name, &email, form.administrateur.is_some()).await?;
    let user_id = match invited {
        Err(refusal) => {
            let page = users_page(&state, &acting, form, None, None, Some(refusal.message_fr().into())).await?;
            return unprocessable(page);
        }
        Ok(Invited::ExistingAccount { .. }) => return Ok(Redirect::to("/utilisateurs?message=ajoute").into_response()),
        Ok(Invited::NewAccount { user_id }) => user_id,
    };
    tracing::info!(company = %acting.company.adherent, by = %acting.session.caller.login, "a user was invited");
    let link =
        links::url(state.config.public_base(), &links::create(&state.db, &user_id, links::Purpose::Activation).await?);
    let Some(mailer) = state.mailer.clone() else {
        let notice = format!("Le compte de {name} est créé. Aucun e-mail ne peut être envoyé d'ici : transmettez-lui ce lien d'activation, qui vaut 72 heures et ne sert qu'une fois.");
        let page = users_page(&state, &acting, InviteForm::default(), Some(notice), Some((name, link)), None).await?;
        return html(page);
    };
    let body = format!(
        "Bonjour {name},\n\n\
         {inviter} vous a ouvert un accès à Mon Compte {opco} pour l'entreprise {company} ({adherent}).\n\
         Votre identifiant est {email}. Pour activer votre compte et choisir votre mot de passe,\n\
         ouvrez ce lien ; il vaut 72 heures et ne sert qu'une fois :\n\n\
         {link}\n\n\
         -- \nMon Compte {opco}\n",
        inviter = acting.session.display_name,
        opco = state.config.opco.name,
        company = acting.company.name,
        adherent = acting.company.adherent,
    );
    let subject = format!("Mon Compte {} : votre accès pour {}", state.config.opco.name, acting.company.name);
    // The page does not wait for the relay; a failure is logged (the administrator can invite
    // again: a new link replaces the first).
    tokio::spawn(async move {
        if let Err(error) = mailer.send(&email, &name, &subject, body).await {
            tracing::warn!(error = format!("{error:#}"), "the invitation could not be sent");
        }
    });
    Ok(Redirect::to("/utilisateurs?message=invite").into_response())
}

fn unprocessable(page: UsersPage) -> PageResult {
    let mut response = html(page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// Only an employer who administers the company acted for changes its users: a 403 page else.
fn require_administrator(acting: &Acting) -> Result<(), PageError> {
    if acting.company.administers && acting.session.caller.role == Role::Employer {
        return Ok(());
    }
    Err(PageError::new(
        StatusCode::FORBIDDEN,
        "Accès refusé",
        "Seul un administrateur de l'entreprise invite des utilisateurs, change leurs droits ou retire leur accès.",
    ))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct RightForm {
    #[serde(default)]
    csrf: String,
    /// `oui`: administers the company's users; anything else: does not.
    #[serde(default)]
    administrateur: String,
}

/// `POST /utilisateurs/{id}/droits`: an administrator gives or takes the right to administer.
pub async fn set_right(
    State(state): State<AppState>,
    acting: Acting,
    Path(user_id): Path<String>,
    axum::Form(form): axum::Form<RightForm>,
) -> PageResult {
    check_csrf(&acting.session.csrf, &form.csrf)?;
    require_administrator(&acting)?;
    let administers = form.administrateur == "oui";
    let by = &acting.session.caller.user_id;
    let outcome = accounts::set_administers(&state.db, &acting.company.id, &user_id, administers, by).await?;
    if outcome.is_ok() {
        tracing::info!(company = %acting.company.adherent, by = %acting.session.caller.login, administers, "a right was changed");
    }
    answered(&state, &acting, outcome, "droits").await
}

/// `POST /utilisateurs/{id}/retirer`: an administrator withdraws a person's access to the company.
pub async fn withdraw(
    State(state): State<AppState>,
    acting: Acting,
    Path(user_id): Path<String>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> PageResult {
    check_csrf(&acting.session.csrf, &form.csrf)?;
    require_administrator(&acting)?;
    let outcome = accounts::withdraw(&state.db, &acting.company.id, &user_id, &acting.session.caller.user_id).await?;
    if outcome.is_ok() {
        tracing::info!(company = %acting.company.adherent, by = %acting.session.caller.login, "an access was withdrawn");
    }
    answered(&state, &acting, outcome, "retire").await
}

/// After a change to a person's access: the list with `message`; a 404 for a person who does not
/// act for the company; else the list again, saying why the change was refused.
async fn answered(
    state: &AppState,
    acting: &Acting,
    outcome: Result<(), accounts::Refusal>,
    message: &str,
) -> PageResult {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/utilisateurs?message={message}")).into_response()),
        Err(accounts::Refusal::NotMember) => Err(PageError::not_found()),
        Err(refusal) => {
            let said = Some(refusal.message_fr().into());
            unprocessable(users_page(state, acting, InviteForm::default(), None, None, said).await?)
        }
    }
}

pub struct TokenLine {
    pub id: String,
    pub label: String,
    pub created: String,
    pub last_used: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "web/jetons.html")]
struct TokensPage {
    frame: Frame,
    csrf: String,
    tokens: Vec<TokenLine>,
    /// A token just made: (its name, the token), shown only now.
    fresh: Option<(String, String)>,
    notice: Option<&'static str>,
    error: Option<String>,
    label: String,
}

async fn tokens_page(state: &AppState, session: &crate::auth::session::Session) -> PageResult<TokensPage> {
    let frame = Frame::of_person(state, session, "Accès à l'API", "jetons").await?;
    let tokens = accounts::tokens_of(&state.db, &session.caller.user_id)
        .await?
        .into_iter()
        .map(|t| TokenLine {
            created: format::moment(&t.created_at),
            last_used: t.last_used_at.as_deref().map_or_else(|| "jamais".into(), format::moment),
            revoked: t.revoked_at.as_deref().map(format::moment),
            id: t.id,
            label: t.label,
        })
        .collect();
    Ok(TokensPage {
        frame,
        csrf: session.csrf.clone(),
        tokens,
        fresh: None,
        notice: None,
        error: None,
        label: String::new(),
    })
}

/// `GET /jetons`
pub async fn tokens(
    State(state): State<AppState>,
    Person(session): Person,
    Query(query): Query<UsersQuery>,
) -> PageResult {
    let mut page = tokens_page(&state, &session).await?;
    if query.message == "revoque" {
        page.notice = Some("Le jeton est révoqué : il n'ouvre plus l'API.");
    }
    html(page)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nom: String,
}

/// `POST /jetons`: a new token, shown on the answer only (the page says so).
pub async fn create_token(
    State(state): State<AppState>,
    Person(session): Person,
    axum::Form(form): axum::Form<TokenForm>,
) -> PageResult {
    check_csrf(&session.csrf, &form.csrf)?;
    let made = match one_line(&form.nom, 80, "Donnez un nom au jeton, par exemple « Logiciel de paie ».") {
        Ok(label) => match accounts::create_token(&state.db, &session.caller.user_id, &label, false).await? {
            Some(token) => Ok((label, token)),
            None => Err(format!(
                "Vous avez déjà {} jetons en service : révoquez ceux qui ne servent plus.",
                accounts::MAX_LIVE_TOKENS
            )),
        },
        Err(error) => Err(error),
    };
    let mut page = tokens_page(&state, &session).await?;
    match made {
        Ok(fresh) => {
            tracing::info!(login = %session.caller.login, "an API token was created");
            page.fresh = Some(fresh);
            html(page)
        }
        Err(error) => {
            page.error = Some(error);
            page.label = form.nom.chars().take(200).collect();
            let mut response = html(page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

/// `POST /jetons/{id}/revoquer`
pub async fn revoke_token(
    State(state): State<AppState>,
    Person(session): Person,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> PageResult {
    check_csrf(&session.csrf, &form.csrf)?;
    if !accounts::revoke_token(&state.db, &session.caller.user_id, &id).await? {
        return Err(PageError::not_found());
    }
    Ok(Redirect::to("/jetons?message=revoque").into_response())
}

#[cfg(test)]
mod tests {
    use super::email_address;

    #[test]
    fn addresses_are_checked_and_kept_in_lower_case() {
        assert_eq!(email_address(" Julie.Durand@Agence.FR ").as_deref(), Some("julie.durand@agence.fr"));
        for wrong in ["", "julie", "@agence.fr", "julie@", "julie@agence", "ju lie@agence.fr", "a@b@c.fr", "j@.fr"] {
            assert_eq!(email_address(wrong), None, "{wrong:?}");
        }
    }
}
