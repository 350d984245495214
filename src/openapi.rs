//! The OpenAPI 3.1 description of the API, generated from the handlers' annotations and served
//! at `GET /api/v1/openapi.json`.

use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::Caller;
use crate::input::Json;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "pieces", description = "Document back office of an OPCO: dossiers and their pieces."),
    paths(
        crate::health::healthz,
        crate::health::readyz,
        crate::dossiers::routes::list_dossiers,
        crate::dossiers::routes::create_dossier,
        crate::dossiers::routes::get_dossier,
        crate::dossiers::routes::update_dossier,
        crate::dossiers::routes::submit_dossier,
        crate::dossiers::routes::change_dossier_state,
        crate::dossiers::routes::dossier_history,
        crate::documents::upload::upload_document,
        crate::documents::routes::list_documents,
        crate::documents::routes::get_document,
        crate::documents::routes::correct_document,
        crate::documents::remove::delete_document,
        crate::documents::queue::list_queue,
        crate::documents::remove::delete_dossier,
        crate::search::routes::search,
        crate::documents::similar::similar,
        crate::documents::routes::download_document,
        crate::invoice::routes::preview_invoice,
        crate::invoice::routes::issue_invoice,
        crate::invoice::routes::get_invoice,
        crate::invoice::routes::get_invoice_pdf,
        crate::dossier_print::print_dossier,
        crate::invoice::routes::credit_invoice,
        crate::companies::get_company,
        openapi_json,
    ),
    modifiers(&BearerToken, &ProblemJson),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Errors are served as `application/problem+json`: say so wherever a response is a `Problem`.
struct ProblemJson;

impl Modify for ProblemJson {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                for response in operation.responses.responses.values_mut() {
                    let RefOr::T(response) = response else { continue };
                    let is_problem = response.content.get("application/json").is_some_and(|content| {
                        matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"))
                    });
                    if is_problem {
                        if let Some(content) = response.content.shift_remove("application/json") {
                            response.content.insert("application/problem+json".to_string(), content);
                        }
                    }
                }
            }
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "This description")))]
pub async fn openapi_json(_caller: Caller) -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
