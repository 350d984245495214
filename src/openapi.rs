//! The OpenAPI 3.1 description of the API, generated from the handlers' annotations and served
//! at `GET /api/v1/openapi.json`.

use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::AppState;
use crate::auth::Caller;
use crate::input::Json;

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
        crate::documents::routes::upload_document,
        crate::documents::routes::list_documents,
        crate::documents::routes::get_document,
        crate::documents::routes::download_document,
        openapi_json,
    ),
    modifiers(&BearerToken),
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

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "This description")))]
pub async fn openapi_json(_caller: Caller) -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
