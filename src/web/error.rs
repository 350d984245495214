//! The pages of what went wrong: not found (a foreign dossier is simply not found), a form
//! refused (CSRF), too many attempts, an unexpected error. Each is a full page in French with a
//! way back; the detail of an unexpected error goes to the log, never to the page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::frame::Frame;
use crate::error::AppError;

#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "web/erreur.html")]
struct ErrorPage<'a> {
    frame: Frame,
    error: &'a PageError,
}

impl PageError {
    pub fn new(status: StatusCode, title: impl Into<String>, message: impl Into<String>) -> PageError {
        PageError { status, title: title.into(), message: message.into() }
    }

    pub fn not_found() -> PageError {
        PageError::new(
            StatusCode::NOT_FOUND,
            "Page introuvable",
            "Cette page n'existe pas, ou elle concerne une entreprise pour laquelle vous n'agissez pas.",
        )
    }

    pub fn csrf() -> PageError {
        PageError::new(
            StatusCode::FORBIDDEN,
            "Formulaire refusé",
            "Ce formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez : rien n'a été modifié.",
        )
    }
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> PageError {
        if error.status.is_server_error() {
            error.log_server_error();
            return PageError::new(
                error.status,
                "Une erreur est survenue",
                "Le service n'a pas pu répondre. Réessayez dans un instant ; si cela persiste, prévenez votre assistant(e) formation.",
            );
        }
        let title = match error.status {
            StatusCode::NOT_FOUND => return PageError::not_found(),
            StatusCode::FORBIDDEN => "Accès refusé",
            StatusCode::TOO_MANY_REQUESTS => "Trop de demandes",
            _ => "Demande refusée",
        };
        PageError::new(error.status, title, error.detail_fr.clone())
    }
}

impl From<sqlx::Error> for PageError {
    fn from(error: sqlx::Error) -> PageError {
        PageError::from(AppError::from(error))
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> PageError {
        PageError::from(AppError::internal(anyhow::anyhow!("template: {error}")))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage { frame: Frame::bare(&self.title), error: &self };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

/// A page, or the page of what went wrong.
pub type PageResult<T = Response> = Result<T, PageError>;

/// Renders a page's template as a 200 HTML answer.
pub fn html(page: impl Template) -> PageResult {
    Ok(Html(page.render()?).into_response())
}
