//! Signing in and out, choosing the company acted for, and choosing a password through a
//! one-time link. `GET /connexion` shows the form; `POST /connexion` checks the e-mail and the
//! password (an unknown address and a wrong password get the same answer; repeated failures wait,
//! `auth::throttle`), opens a session and goes on to the page asked for, or to the périmètre
//! screen when the person acts for several companies.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::error::{html, PageError, PageResult};
use super::frame::Frame;
use super::person::{self, check_csrf, cookie, Person, SESSION_COOKIE, SIGN_IN_COOKIE};
use crate::auth::{self, links, password, session, throttle};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "web/connexion.html")]
struct SignInPage {
    frame: Frame,
    csrf: String,
    email: String,
    suite: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    suite: Option<String>,
    /// `deconnecte`, `mot-de-passe`, `expire`: what the page says first.
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    suite: String,
}

/// The sign-in form's token: the one in the browser's cookie, or a fresh one it is given.
fn sign_in_token(headers: &HeaderMap) -> (String, Option<String>) {
    match cookie(headers, SIGN_IN_COOKIE).filter(|t| t.len() <= 100) {
        Some(token) => (token.to_string(), None),
        None => {
            let token = auth::new_token();
            (token.clone(), Some(token))
        }
    }
}

fn with_cookie(mut response: Response, value: &str) -> Response {
    if let Ok(value) = value.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Gives the browser the sign-in form's token when it had none (`fresh`).
fn offering(state: &AppState, response: Response, fresh: Option<String>) -> Response {
    match fresh {
        Some(token) => with_cookie(response, &person::set_cookie(SIGN_IN_COOKIE, &token, secure(state))),
        None => response,
    }
}

fn secure(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

/// `GET /connexion`
pub async fn show(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<SignInQuery>) -> PageResult {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        if session::find(&state.db, secret).await?.is_some() {
            return Ok(Redirect::to("/").into_response());
        }
    }
    let notice = match query.message.as_deref() {
        Some("deconnecte") => Some("Vous êtes déconnecté(e)."),
        Some("mot-de-passe") => Some("Votre mot de passe est enregistré : connectez-vous."),
        _ => None,
    };
    let suite = query.suite.filter(|s| person::is_local_path(s)).unwrap_or_default();
    render(&state, &headers, String::new(), suite, None, notice, StatusCode::OK)
}

fn render(
    state: &AppState,
    headers: &HeaderMap,
    email: String,
    suite: String,
    error: Option<String>,
    notice: Option<&'static str>,
    status: StatusCode,
) -> PageResult {
    let (csrf, fresh) = sign_in_token(headers);
    let frame = Frame::plain(state, "Connexion");
    let page = SignInPage { frame, csrf, email, suite, error, notice };
    let response = (status, Html(page.render()?)).into_response();
    Ok(offering(state, response, fresh))
}

/// `POST /connexion`
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> PageResult {
    check_csrf(cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default(), &form.csrf)?;
    let email = form.email.trim().to_lowercase();
    let suite = if person::is_local_path(&form.suite) { form.suite.clone() } else { String::new() };
    let ip = peer.ip().to_string();
    if email.len() > 254 {
        let error = "E-mail ou mot de passe incorrect.";
        return render(&state, &headers, String::new(), suite, Some(error.into()), None, StatusCode::OK);
    }
    if throttle::is_throttled(&state.db, &email, &ip).await? {
        let error = "Trop de tentatives de connexion. Patientez 15 minutes avant de réessayer, ou choisissez un \
                     nouveau mot de passe avec « Mot de passe oublié ? ».";
        return render(&state, &headers, email, suite, Some(error.into()), None, StatusCode::TOO_MANY_REQUESTS);
    }
    let Some(user_id) = auth::check_password(&state.db, &email, &form.password).await? else {
        throttle::failed(&state.db, &email, &ip).await?;
        let error = "E-mail ou mot de passe incorrect.";
        return render(&state, &headers, email, suite, Some(error.into()), None, StatusCode::OK);
    };
    throttle::succeeded(&state.db, &email).await?;
    let caller =
        auth::Caller { user_id: user_id.clone(), login: String::new(), role: role_of(&state, &user_id).await? };
    let companies = auth::perimetre(&state.db, &caller).await?;
    let company = match companies.as_slice() {
        [(id, _, _)] => Some(id.as_str()),
        _ => None,
    };
    let secret = session::open(&state.db, &user_id, company).await?;
    let next = match (company, suite.as_str()) {
        // OPCO staff start at their desk, whatever company they handle.
        (None, "") if caller.is_staff() => "/".to_string(),
        (None, suite) if caller.is_staff() => suite.to_string(),
        (None, "") => "/perimetre".to_string(),
        (None, suite) => format!("/perimetre?suite={}", super::format::url(suite)),
        (Some(_), "") => "/".to_string(),
        (Some(_), suite) => suite.to_string(),
    };
    let response = Redirect::to(&next).into_response();
    let response = with_cookie(response, &person::set_cookie(SESSION_COOKIE, &secret, secure(&state)));
    Ok(with_cookie(response, &person::clear_cookie(SIGN_IN_COOKIE)))
}

async fn role_of(state: &AppState, user_id: &str) -> PageResult<auth::Role> {
    let role: String =
        sqlx::query_scalar("select role from users where id = $1").bind(user_id).fetch_one(&state.db).await?;
    auth::Role::parse(&role).ok_or_else(|| PageError::from(crate::db::unexpected("users.role", &role)))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /deconnexion`: the session ends on the server, the cookie in the browser.
pub async fn sign_out(
    State(state): State<AppState>,
    Person(session): Person,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&session.csrf, &form.csrf)?;
    session::end(&state.db, &session).await?;
    let response = Redirect::to("/connexion?message=deconnecte").into_response();
    Ok(with_cookie(response, &person::clear_cookie(SESSION_COOKIE)))
}

#[derive(Template)]
#[template(path = "web/perimetre.html")]
struct PerimetrePage {
    frame: Frame,
    csrf: String,
    suite: String,
    person: String,
    current: String,
    companies: Vec<(String, String, String)>,
}

#[derive(Deserialize)]
pub struct SuiteQuery {
    suite: Option<String>,
}

/// `GET /perimetre`: the companies the person may act for, to choose one.
pub async fn perimetre(
    State(state): State<AppState>,
    Person(session): Person,
    Query(query): Query<SuiteQuery>,
) -> PageResult {
    let companies = auth::perimetre(&state.db, &session.caller).await?;
    if companies.is_empty() {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "Aucune entreprise",
            "Votre compte n'agit pour aucune entreprise. Demandez à votre assistant(e) formation de vous rattacher à la vôtre.",
        ));
    }
    let frame = Frame::plain(&state, "Choisir votre périmètre");
    let current = session.company.as_ref().map(|c| c.adherent.clone()).unwrap_or_default();
    let suite = query.suite.filter(|s| person::is_local_path(s)).unwrap_or_default();
    html(PerimetrePage { frame, csrf: session.csrf, suite, person: session.display_name, current, companies })
}

#[derive(Deserialize)]
pub struct PerimetreForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    suite: String,
}

/// `POST /perimetre`: acts for the company chosen, if it is in the périmètre.
pub async fn choose(
    State(state): State<AppState>,
    Person(session): Person,
    Form(form): Form<PerimetreForm>,
) -> PageResult {
    check_csrf(&session.csrf, &form.csrf)?;
    let companies = auth::perimetre(&state.db, &session.caller).await?;
    let Some((id, _, _)) = companies.iter().find(|(_, adherent, _)| *adherent == form.company) else {
        return Err(PageError::not_found());
    };
    session::act_for(&state.db, &session, id).await?;
    let next = if person::is_local_path(&form.suite) { form.suite.as_str() } else { "/" };
    Ok(Redirect::to(next).into_response())
}

#[derive(Template)]
#[template(path = "web/mot-de-passe.html")]
struct PasswordPage {
    frame: Frame,
    csrf: String,
    activation: bool,
    name: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

fn link_gone() -> PageError {
    PageError::new(
        StatusCode::NOT_FOUND,
        "Lien expiré",
        "Ce lien a déjà servi ou n'est plus valable (une invitation vaut 72 heures, un lien de mot de passe oublié \
         une heure). Demandez-en un nouveau avec « Mot de passe oublié ? » ou à votre assistant(e) formation.",
    )
}

/// `GET /mot-de-passe/{lien}`: the form to choose a password, from an invitation or a reset link.
pub async fn password_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> PageResult {
    let holder = links::holder(&state.db, &secret).await?.ok_or_else(link_gone)?;
    password_page(&state, &headers, holder, None, StatusCode::OK)
}

fn password_page(
    state: &AppState,
    headers: &HeaderMap,
    holder: links::LinkHolder,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let (csrf, fresh) = sign_in_token(headers);
    let activation = holder.purpose == links::Purpose::Activation;
    let frame =
        Frame::plain(state, if activation { "Activer votre compte" } else { "Choisir un nouveau mot de passe" });
    let page = PasswordPage { frame, csrf, activation, name: holder.display_name, email: holder.email, error };
    let response = (status, Html(page.render()?)).into_response();
    Ok(offering(state, response, fresh))
}

/// `POST /mot-de-passe/{lien}`: sets the password and spends the link.
pub async fn password_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(secret): Path<String>,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    check_csrf(cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default(), &form.csrf)?;
    let holder = links::holder(&state.db, &secret).await?.ok_or_else(link_gone)?;
    let problem = match password::weakness(&form.password, &holder.email) {
        Some((_, fr)) => Some(fr.to_string()),
        None if form.password != form.confirmation => Some("Les deux saisies diffèrent.".to_string()),
        None => None,
    };
    if let Some(problem) = problem {
        return password_page(&state, &headers, holder, Some(problem), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash = password::hash(form.password).await.map_err(|e| PageError::from(crate::error::AppError::internal(e)))?;
    if !links::redeem(&state.db, &secret, &holder.user_id, &hash).await? {
        return Err(link_gone());
    }
    Ok(Redirect::to("/connexion?message=mot-de-passe").into_response())
}

#[derive(Template)]
#[template(path = "web/mot-de-passe-oublie.html")]
struct ForgottenPage {
    frame: Frame,
    csrf: String,
    sent: bool,
}

/// `GET /mot-de-passe-oublie`
pub async fn forgotten(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let (csrf, fresh) = sign_in_token(&headers);
    let frame = Frame::plain(&state, "Mot de passe oublié");
    let response = html(ForgottenPage { frame, csrf, sent: false })?;
    Ok(offering(&state, response, fresh))
}

#[derive(Deserialize)]
pub struct ForgottenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// `POST /mot-de-passe-oublie`: the same answer, as fast, whether the address is known or not.
/// With `--smtp-url`, a known person gets a reset link by mail (made and sent after the answer,
/// at most one every two minutes); without it, the operator gives the link (`pieces admin
/// reset-link`) and the request is logged without it.
pub async fn forgotten_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ForgottenForm>,
) -> PageResult {
    check_csrf(cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default(), &form.csrf)?;
    let email = form.email.trim().to_lowercase();
    if email.len() <= 254 {
        let known: Option<(String, String, String)> =
            sqlx::query_as("select id, login, display_name from users where email = $1 and disabled_at is null")
                .bind(&email)
                .fetch_optional(&state.db)
                .await?;
        match (known, state.mailer.clone()) {
            (Some((user_id, login, name)), Some(mailer)) => {
                let (db, opco, base) =
                    (state.db.clone(), state.config.opco.name.clone(), state.config.public_base().to_string());
                tokio::spawn(async move {
                    let sent = mail_reset_link(&db, &mailer, &base, &opco, &user_id, &email, &name).await;
                    match sent {
                        Ok(true) => tracing::info!(%login, "a password reset link was sent by mail"),
                        Ok(false) => {
                            tracing::info!(%login, "a reset link was sent less than two minutes ago: none sent")
                        }
                        Err(error) => {
                            tracing::warn!(%login, error = format!("{error:#}"), "the reset link could not be sent")
                        }
                    }
                });
            }
            (Some((_, login, _)), None) => {
                tracing::info!(%login, "a password reset was asked for; `pieces admin reset-link` gives the link")
            }
            (None, _) => {}
        }
    }
    let frame = Frame::plain(&state, "Mot de passe oublié");
    html(ForgottenPage { frame, csrf: form.csrf, sent: true })
}

/// Makes a reset link for the person and mails it; `false` when one was made less than two
/// minutes ago (then nothing is sent, and the earlier link still works).
async fn mail_reset_link(
    db: &crate::db::Db,
    mailer: &crate::mail::Mailer,
    public_base: &str,
    opco: &str,
    user_id: &str,
    email: &str,
    name: &str,
) -> anyhow::Result<bool> {
    if links::made_within(db, user_id, links::Purpose::Reset, std::time::Duration::from_secs(120)).await? {
        return Ok(false);
    }
    let link = links::url(public_base, &links::create(db, user_id, links::Purpose::Reset).await?);
    let body = format!(
        "Bonjour {name},\n\n\
         Un nouveau mot de passe a été demandé pour votre compte Mon Compte ({email}).\n\
         Pour le choisir, ouvrez ce lien ; il vaut une heure et ne sert qu'une fois :\n\n\
         {link}\n\n\
         Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste le même.\n\n\
         -- \nMon Compte {opco}\n"
    );
    mailer.send(email, name, "Mon Compte : choisir un nouveau mot de passe", body).await?;
    Ok(true)
}
