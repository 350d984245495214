//! `AppError`: every failure an HTTP caller can see, rendered as RFC 9457
//! `application/problem+json` with a stable machine `code`, an English `detail` and a French
//! `detail_fr`. Server errors (5xx) are logged once with their cause chain; their detail stays
//! internal.

use axum::extract::multipart::MultipartError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub detail_fr: String,
    pub field: Option<String>,
    /// Every input problem found, when there are several (each with its `field` and `code`).
    pub errors: Option<Box<serde_json::Value>>,
    source: Option<anyhow::Error>,
}

/// The problem+json body (also the OpenAPI schema of every error).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `about:blank`: the `code` carries the meaning.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    /// Stable machine code, e.g. `dossier_not_found`.
    pub code: &'static str,
    pub detail: String,
    pub detail_fr: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every input problem found, when there are several: `[{field, code, detail, detail_fr}]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub errors: Option<serde_json::Value>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, en: impl Into<String>, fr: impl Into<String>) -> Self {
        AppError { status, code, detail: en.into(), detail_fr: fr.into(), field: None, errors: None, source: None }
    }

    /// 422 on one input field.
    pub fn invalid(field: &str, en: impl Into<String>, fr: impl Into<String>) -> Self {
        let mut error = AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", en, fr);
        error.field = Some(field.to_string());
        error
    }

    /// Every problem of `problems` at once: `None` when there is none, the problem itself when
    /// there is one, else the first one's answer with all of them in `errors`.
    pub fn all(mut problems: Vec<AppError>) -> Option<AppError> {
        if problems.len() < 2 {
            return problems.pop();
        }
        let list: Vec<serde_json::Value> = problems
            .iter()
            .map(|p| {
                serde_json::json!({ "field": p.field, "code": p.code, "detail": p.detail, "detail_fr": p.detail_fr })
            })
            .collect();
        let mut first = problems.swap_remove(0);
        first.errors = Some(Box::new(serde_json::Value::Array(list)));
        Some(first)
    }

    /// Each input problem as (field, French detail): those of `errors` when there are several,
    /// else the one.
    pub fn field_problems(&self) -> Vec<(String, String)> {
        let listed = self.errors.as_deref().and_then(|e| e.as_array()).map(|list| {
            list.iter()
                .map(|p| {
                    let text = |key: &str| p.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                    (text("field"), text("detail_fr"))
                })
                .collect()
        });
        listed.unwrap_or_else(|| vec![(self.field.clone().unwrap_or_default(), self.detail_fr.clone())])
    }

    pub fn bad_request(code: &'static str, en: impl Into<String>, fr: impl Into<String>) -> Self {
        AppError::new(StatusCode::BAD_REQUEST, code, en, fr)
    }

    pub fn conflict(code: &'static str, en: impl Into<String>, fr: impl Into<String>) -> Self {
        AppError::new(StatusCode::CONFLICT, code, en, fr)
    }

    pub fn unauthenticated() -> Self {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "A valid API token is required: send `Authorization: Bearer <token>`.",
            "Un jeton d'API valide est requis : envoyez `Authorization: Bearer <jeton>`.",
        )
    }

    pub fn forbidden() -> Self {
        AppError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Your role does not allow this action.",
            "Votre rôle ne permet pas cette action.",
        )
    }

    pub fn dossier_not_found() -> Self {
        AppError::new(StatusCode::NOT_FOUND, "dossier_not_found", "No such dossier.", "Dossier introuvable.")
    }

    pub fn document_not_found() -> Self {
        AppError::new(StatusCode::NOT_FOUND, "document_not_found", "No such document.", "Pièce introuvable.")
    }

    pub fn storage_unavailable(cause: anyhow::Error) -> Self {
        let mut error = AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "The document store is unavailable; nothing was recorded. Try again later.",
            "Le stockage des pièces est indisponible ; rien n'a été enregistré. Réessayez plus tard.",
        );
        error.source = Some(cause);
        error
    }

    /// The whole request exceeds what an upload may be (the file limit plus room for the form).
    pub fn request_too_large() -> Self {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            "The request is larger than the upload limit allows.",
            "La requête dépasse la taille autorisée pour un envoi.",
        )
    }

    pub fn internal(cause: anyhow::Error) -> Self {
        let mut error = AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error; it has been logged.",
            "Erreur interne ; elle a été journalisée.",
        );
        error.source = Some(cause);
        error
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error").to_string(),
            status: self.status.as_u16(),
            code: self.code,
            detail: self.detail.clone(),
            detail_fr: self.detail_fr.clone(),
            field: self.field.clone(),
            errors: self.errors.as_deref().cloned(),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl AppError {
    /// Logs a server error with its cause (a client's error is not the service's to log).
    pub fn log_server_error(&self) {
        if self.status.is_server_error() {
            match &self.source {
                Some(cause) => tracing::error!(code = self.code, "{cause:#}"),
                None => tracing::error!(code = self.code, "{}", self.detail),
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_server_error();
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE && !headers.contains_key(header::RETRY_AFTER) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        // Every connection stayed busy past the pool's wait: the service is overloaded, the
        // request did nothing, and trying again later is the right answer.
        if matches!(error, sqlx::Error::PoolTimedOut) {
            let mut busy = AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_busy",
                "The service is very busy: nothing was done. Try again in a moment.",
                "Le service est très occupé : rien n'a été fait. Réessayez dans un instant.",
            );
            busy.source = Some(anyhow::Error::new(error).context("database"));
            return busy;
        }
        AppError::internal(anyhow::Error::new(error).context("database"))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        AppError::internal(error)
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                "The JSON body is too large.",
                "Le corps JSON est trop volumineux.",
            );
        }
        let text = rejection.body_text();
        match rejection {
            JsonRejection::JsonDataError(_) => AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_json_data",
                format!("The JSON body does not have the expected shape: {text}"),
                format!("Le corps JSON n'a pas la forme attendue : {text}"),
            ),
            JsonRejection::MissingJsonContentType(_) => AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "json_expected",
                "Send the body as `Content-Type: application/json`.",
                "Envoyez le corps en `Content-Type: application/json`.",
            ),
            _ => AppError::bad_request(
                "malformed_json",
                format!("The body is not valid JSON: {text}"),
                format!("Le corps n'est pas du JSON valide : {text}"),
            ),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        let text = rejection.body_text();
        AppError::bad_request("invalid_path", format!("Invalid path: {text}"), format!("Chemin invalide : {text}"))
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        let text = rejection.body_text();
        AppError::bad_request(
            "invalid_query_string",
            format!("Invalid query parameters: {text}"),
            format!("Paramètres de requête invalides : {text}"),
        )
    }
}

impl From<MultipartError> for AppError {
    fn from(error: MultipartError) -> Self {
        let text = error.body_text();
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::request_too_large();
        }
        AppError::bad_request(
            "malformed_multipart",
            format!("The multipart body could not be read: {text}"),
            format!("Le corps multipart est illisible : {text}"),
        )
    }
}

/// A unique constraint of the schema, as each database names it when it is violated: PostgreSQL
/// by the constraint's (or unique index's) name, SQLite by its columns. A violation of any other
/// constraint is not taken for this one.
pub struct UniqueConstraint {
    pub postgres: &'static str,
    pub sqlite: &'static str,
}

impl UniqueConstraint {
    pub fn is_violated_by(&self, error: &sqlx::Error) -> bool {
        let sqlx::Error::Database(db) = error else { return false };
        db.is_unique_violation() && (db.constraint() == Some(self.postgres) || db.message().ends_with(self.sqlite))
    }
}
