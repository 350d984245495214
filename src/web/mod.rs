//! The pages people use in a browser, in French, rendered on the server (askama templates in
//! `templates/web/`, checked when the service compiles), on the model of AKTO's "Mon Compte".
//! Every core flow is a plain form and a full page; the little script of `static/` only adds to
//! it. Pages call the same functions as the API (`dossiers::sql`, `companies`, `auth`), so the
//! périmètre rule and the validation are the API's.
//!
//! - `person.rs`: the session cookie and the CSRF token of forms;
//! - `sign_in.rs`: connexion, déconnexion, périmètre, passwords through one-time links;
//! - `dossiers.rs`: accueil, dossier lists; `dossier.rs`: a dossier's page with its tabs and the
//!   pièces requises; `dossier_actions.rs`: print, a draft's deletion, staff's decision;
//! - `pieces.rs`: Joindre des fichiers, a piece's reading for the script, its removal;
//! - `viewer.rs`: a piece's page (shown inline, text, classification, similar pieces, the
//!   correction of its kind by staff) and its file;
//! - `desk.rs`: OPCO staff's accueil and the pieces to check; `search.rs`: Recherche;
//! - `accounts.rs`: Utilisateurs (a company's users, invited and withdrawn by its administrators)
//!   and a person's API tokens;
//! - `request/`: Nouvelle demande, the guide's four steps (`fields.rs`: the fields, French input);
//! - `frame.rs` (header and menu), `format.rs` (French display), `assets.rs`, `error.rs`.

mod accounts;
mod assets;
mod desk;
mod dossier;
mod dossier_actions;
mod dossiers;
mod error;
mod format;
mod frame;
mod invoice;
mod person;
mod pieces;
mod request;
mod search;
mod sign_in;
mod viewer;

use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

/// The name of the cookie of a browser session (a benchmark signs in with it).
pub use person::SESSION_COOKIE;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(desk::home))
        .route("/entreprise", get(dossiers::home))
        .route("/a-verifier", get(desk::to_check))
        .route("/recherche", get(search::search))
        .route("/connexion", get(sign_in::show).post(sign_in::submit))
        .route("/deconnexion", axum::routing::post(sign_in::sign_out))
        .route("/perimetre", get(sign_in::perimetre).post(sign_in::choose))
        .route("/mot-de-passe/{lien}", get(sign_in::password_form).post(sign_in::password_submit))
        .route("/mot-de-passe-oublie", get(sign_in::forgotten).post(sign_in::forgotten_submit))
        .route("/dossiers", get(dossiers::list))
        .route("/demandes/nouvelle", get(request::start).post(request::create))
        .route("/dossiers/{number}/etape/{step}", get(request::show).post(request::save))
        .route("/dossiers/{number}", get(dossier::show))
        .route("/dossiers/{number}/impression", get(dossier_actions::print))
        .route("/dossiers/{number}/pieces", axum::routing::post(pieces::attach))
        .route("/dossiers/{number}/supprimer", get(dossier_actions::delete_form).post(dossier_actions::delete))
        .route("/dossiers/{number}/decision", axum::routing::post(dossier_actions::decide))
        .route("/dossiers/{number}/facture", get(invoice::form).post(invoice::submit))
        .route("/dossiers/{number}/facture/apercu", axum::routing::post(invoice::preview))
        .route("/factures/{number}/pdf", get(invoice::pdf))
        .route("/factures/{number}/avoir", axum::routing::post(invoice::credit))
        .route("/pieces/{id}", get(viewer::show))
        .route("/pieces/{id}/fichier", get(viewer::file))
        .route("/pieces/{id}/vignette", get(viewer::thumbnail))
        .route("/pieces/{id}/type", axum::routing::post(viewer::correct))
        .route("/pieces/{id}/lecture", get(pieces::reading_status))
        .route("/pieces/{id}/retirer", axum::routing::post(pieces::remove))
        .route("/utilisateurs", get(accounts::users).post(accounts::invite))
        .route("/utilisateurs/{id}/retirer", axum::routing::post(accounts::withdraw))
        .route("/utilisateurs/{id}/droits", axum::routing::post(accounts::set_right))
        .route("/jetons", get(accounts::tokens).post(accounts::create_token))
        .route("/jetons/{id}/revoquer", axum::routing::post(accounts::revoke_token))
        .route("/static/{name}", get(assets::serve))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                 form-action 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

/// The page of an address that does not exist.
pub fn not_found() -> error::PageError {
    error::PageError::not_found()
}
