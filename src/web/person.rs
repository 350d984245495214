//! The person behind a page: the session cookie, read into the session row (`auth::session`), and
//! the CSRF token every form that changes something carries. Without a live session a page
//! answers with the sign-in page (and comes back after it); a form whose token is missing or wrong
//! is a 403 page, and changes nothing.

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::{header, request::Parts, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::PageError;
use crate::auth::session::{self, Session};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "pieces_session";
/// The CSRF token of the sign-in form, before there is a session (double submit).
pub const SIGN_IN_COOKIE: &str = "pieces_connexion";

/// A signed-in person, whatever company they act for.
pub struct Person(pub Session);

/// A signed-in person acting for a company (the périmètre chosen): most pages need one.
pub struct Acting {
    pub session: Session,
    pub company: session::ActingFor,
}

impl FromRequestParts<AppState> for Person {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Person, Response> {
        let found = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(secret) => session::find(&state.db, secret).await.map_err(|e| PageError::from(e).into_response())?,
            None => None,
        };
        match found {
            Some(session) => Ok(Person(session)),
            None => {
                let uri = parts.extensions.get::<OriginalUri>().map_or_else(|| parts.uri.clone(), |o| o.0.clone());
                let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                Err(to_sign_in(back).into_response())
            }
        }
    }
}

impl FromRequestParts<AppState> for Acting {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Acting, Response> {
        let Person(session) = Person::from_request_parts(parts, state).await?;
        match session.company.clone() {
            Some(company) => Ok(Acting { session, company }),
            None => Err(Redirect::to("/perimetre").into_response()),
        }
    }
}

/// The sign-in page, then back to `back` (a path of this site only).
fn to_sign_in(back: &str) -> Redirect {
    if back == "/" || !is_local_path(back) {
        return Redirect::to("/connexion");
    }
    let back: String = percent_encoding::utf8_percent_encode(back, percent_encoding::NON_ALPHANUMERIC).collect();
    Redirect::to(&format!("/connexion?suite={back}"))
}

/// A path on this site (`/dossiers`), never another site (`//evil.example`, `/\\evil`).
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") && !path.contains(['\r', '\n'])
}

/// The value of cookie `name`, if the request has it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, for the whole site, `Secure` over https; no
/// expiry (the browser forgets it when it closes; the row ends it on the server).
pub fn set_cookie(name: &str, value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// A `Set-Cookie` value that removes cookie `name`.
pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Whether a form's token is the session's: a 403 page otherwise.
pub fn check_csrf(expected: &str, given: &str) -> Result<(), PageError> {
    if !expected.is_empty() && same(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(PageError::csrf())
    }
}

/// Equal bytes, compared in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed_after_sign_in() {
        assert!(is_local_path("/dossiers/19.A.21056.1"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/a\r\nSet-Cookie: x=y"));
    }

    #[test]
    fn csrf_tokens_must_match_whole() {
        assert!(check_csrf("abc", "abc").is_ok());
        assert!(check_csrf("abc", "abd").is_err());
        assert!(check_csrf("abc", "ab").is_err());
        assert!(check_csrf("", "").is_err(), "no token expected is never a match");
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; pieces_session=s3cr3t; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("s3cr3t"));
        assert_eq!(cookie(&headers, "c"), None);
    }
}
