//! The static files of the pages (stylesheet, script, icon), compiled into the binary and served
//! under a name that carries a hash of their content (`/static/pieces-3f2a9c1d.css`): a browser
//! keeps them a year, and a new version is a new name. No CDN, no build step.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    /// `pieces-<8 hex digits>.css`
    name: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

fn asset(stem: &str, extension: &str, bytes: &'static [u8], content_type: &'static str) -> Asset {
    let hash = hex::encode(&Sha256::digest(bytes)[..4]);
    Asset { name: format!("{stem}-{hash}.{extension}"), bytes, content_type }
}

static ASSETS: LazyLock<[Asset; 4]> = LazyLock::new(|| {
    [
        asset("pieces", "css", include_bytes!("../../static/pieces.css"), "text/css; charset=utf-8"),
        asset("pieces", "js", include_bytes!("../../static/pieces.js"), "text/javascript; charset=utf-8"),
        asset("icone", "svg", include_bytes!("../../static/icone.svg"), "image/svg+xml"),
        asset("piece", "svg", include_bytes!("../../static/piece.svg"), "image/svg+xml"),
    ]
});

static URLS: LazyLock<[String; 4]> = LazyLock::new(|| ASSETS.each_ref().map(|a| format!("/static/{}", a.name)));

pub fn css() -> &'static str {
    &URLS[0]
}

pub fn js() -> &'static str {
    &URLS[1]
}

pub fn icon() -> &'static str {
    &URLS[2]
}

/// The picture of a piece that has no thumbnail (yet): its bytes, and their type.
pub fn piece_icon() -> (&'static [u8], &'static str) {
    (ASSETS[3].bytes, ASSETS[3].content_type)
}

/// `GET /static/{name}`: the file, cached for a year; a name of an older version is a 404.
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "Fichier introuvable.").into_response();
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
