//! `GET /pieces/{id}`: a piece as a person reads it — shown in the page (a PDF in the browser's
//! own viewer, an image as an image; the bytes come from `GET /pieces/{id}/fichier`, shown
//! inline only for those types, under a policy that lets them run nothing), its text as read,
//! its classification with the reasons, its Factur-X data, the pieces most alike, and the
//! download. OPCO staff correct its kind there (`POST /pieces/{id}/type`): the API's correction,
//! which records who and when and teaches the classifier.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::Deserialize;

use super::dossier::reading;
use super::error::{html, PageError, PageResult};
use super::format;
use super::frame::Frame;
use super::person::{check_csrf, Person};
use crate::documents::routes::{shown_inline, DocumentCorrection};
use crate::documents::sql::{self, Document};
use crate::domain::DocKind;
use crate::search::query::{self, SearchParams};
use crate::state::AppState;

/// The text of a piece shown in its page, at most (the search has all of it).
const TEXT_SHOWN: usize = 20_000;

pub struct SimilarRow {
    pub id: String,
    pub title: String,
    pub dossier: String,
    pub kind: String,
}

#[derive(Template)]
#[template(path = "web/piece.html")]
struct ViewerPage {
    frame: Frame,
    csrf: String,
    d: Document,
    kind: String,
    status: String,
    warning: Option<String>,
    /// `pdf`, `image` or `` (shown by download only).
    shown: &'static str,
    found: Option<(String, String)>,
    reasons: Vec<String>,
    pages: Vec<(i64, String, String)>,
    cut: bool,
    facturx: Vec<(&'static str, String)>,
    similar: Vec<SimilarRow>,
    staff: bool,
    kinds: Vec<(&'static str, &'static str)>,
    size: String,
    uploaded: String,
    corrected: bool,
}

#[derive(Deserialize, Default)]
pub struct ViewerQuery {
    /// `1` after a correction.
    corrige: Option<String>,
}

/// `GET /pieces/{id}`
pub async fn show(
    State(state): State<AppState>,
    Person(session): Person,
    Path(id): Path<String>,
    Query(query): Query<ViewerQuery>,
) -> PageResult {
    let caller = &session.caller;
    let d = sql::find_visible(&state.db, caller, &id).await?.ok_or_else(PageError::not_found)?;
    let frame = Frame::of_person(&state, &session, &d.title, "piece").await?;
    let (status, warning) = reading(&d);
    let pages = sql::page_texts(&state.db, &d.id, TEXT_SHOWN + 1).await?;
    let cut = pages.iter().map(|(_, _, t)| t.chars().count()).sum::<usize>() > TEXT_SHOWN;
    let similar = match query::search(
        &state.search,
        &state.db,
        caller,
        SearchParams { like: Some(d.id.clone()), limit: Some(5), ..Default::default() },
    )
    .await
    {
        Ok(results) => results
            .hits
            .into_iter()
            .map(|h| SimilarRow {
                kind: h.kind.as_deref().and_then(DocKind::parse).map_or("Non précisé", |k| k.label_fr()).to_string(),
                id: h.id,
                title: h.title,
                dossier: h.dossier,
            })
            .collect(),
        // The index being rebuilt: no similar pieces for now, the rest of the page stands.
        Err(_) => Vec::new(),
    };
    let page = ViewerPage {
        frame,
        csrf: session.csrf.clone(),
        kind: d.kind.map_or_else(|| "Non précisé".to_string(), |k| k.label_fr().to_string()),
        status,
        warning,
        shown: match d.mime_type.as_str() {
            "application/pdf" => "pdf",
            m if shown_inline(m) => "image",
            _ => "",
        },
        found: d
            .classification
            .as_ref()
            .map(|c| (c.kind.label_fr().to_string(), format!("{} %", (c.confidence * 100.0).round()))),
        reasons: d.classification.as_ref().map(|c| c.reasons.clone()).unwrap_or_default(),
        pages,
        cut,
        facturx: facturx_lines(&d),
        similar,
        staff: caller.is_staff(),
        kinds: DocKind::ALL.iter().map(|k| (k.code(), k.label_fr())).collect(),
        size: format::size(d.size),
        uploaded: format::moment(&d.uploaded_at),
        corrected: query.corrige.is_some(),
        d,
    };
    html(page)
}

/// The Factur-X data worth reading, labelled in French.
fn facturx_lines(d: &Document) -> Vec<(&'static str, String)> {
    let Some(x) = &d.facturx else { return Vec::new() };
    let amount = |v: &Option<rust_decimal::Decimal>| v.map(|v| format::eur(&format!("{v:.2}")));
    [
        ("N° de facture", x.number.clone()),
        ("Date", x.issue_date.as_deref().map(format::day)),
        ("Vendeur", x.seller_name.clone()),
        ("SIRET du vendeur", x.seller_siret.as_deref().map(format::siret)),
        ("Acheteur", x.buyer_name.clone()),
        ("Total HT", amount(&x.total_ht)),
        ("Total TVA", amount(&x.total_tva)),
        ("Total TTC", amount(&x.total_ttc)),
        ("Profil", x.profile.clone()),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| (label, v)))
    .collect()
}

#[derive(Deserialize, Default)]
pub struct FileQuery {
    /// `1`: as a download, whatever the type.
    telecharger: Option<String>,
}

/// `GET /pieces/{id}/fichier`: the bytes (the API's verified download, as this person), shown
/// inline when the type allows it, else downloaded.
pub async fn file(
    State(state): State<AppState>,
    Person(session): Person,
    Path(id): Path<String>,
    Query(query): Query<FileQuery>,
    headers: HeaderMap,
) -> PageResult {
    let d = sql::find_visible(&state.db, &session.caller, &id).await?.ok_or_else(PageError::not_found)?;
    let inline = query.telecharger.is_none();
    Ok(crate::documents::routes::send_document_as(&state, d, &headers, inline).await?)
}

/// `GET /pieces/{id}/vignette`: the thumbnail of the piece's first page (PNG), or an icon while
/// it has none (not read yet, or not a picture that can be made); verified like every blob.
pub async fn thumbnail(State(state): State<AppState>, Person(session): Person, Path(id): Path<String>) -> PageResult {
    use axum::http::{header, HeaderValue};
    use futures_util::StreamExt;
    let d = sql::find_visible(&state.db, &session.caller, &id).await?.ok_or_else(PageError::not_found)?;
    let (bytes, content_type, cache): (Vec<u8>, &str, &str) = match d.thumbnail {
        Some((sha256, size)) => {
            let failed = |e: anyhow::Error| PageError::from(crate::error::AppError::internal(e));
            let mut stream = state.storage.get_verified(&sha256, size as u64).await.map_err(|e| failed(e.into()))?;
            let mut bytes = Vec::with_capacity(size as usize);
            while let Some(chunk) = stream.next().await {
                bytes.extend_from_slice(&chunk.map_err(|e| failed(e.into()))?);
            }
            (bytes, "image/png", "private, max-age=86400")
        }
        None => {
            let (bytes, content_type) = super::assets::piece_icon();
            (bytes.to_vec(), content_type, "private, max-age=60")
        }
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).expect("a static type"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_str(cache).expect("a static value"));
    Ok(response)
}

#[derive(Deserialize)]
pub struct KindForm {
    #[serde(default)]
    csrf: String,
    /// The right kind's code; empty: the type chosen is right (the alert is cleared).
    #[serde(default)]
    kind: String,
}

/// `POST /pieces/{id}/type`: staff correct the kind, or confirm the one chosen (the API's rule).
pub async fn correct(
    State(state): State<AppState>,
    Person(session): Person,
    Path(id): Path<String>,
    Form(form): Form<KindForm>,
) -> PageResult {
    check_csrf(&session.csrf, &form.csrf)?;
    if !session.caller.is_staff() {
        return Err(PageError::not_found());
    }
    let correction = if form.kind.is_empty() {
        DocumentCorrection { kind: None, kind_mismatch: Some(false) }
    } else {
        let kind = DocKind::parse(&form.kind).ok_or_else(PageError::not_found)?;
        DocumentCorrection { kind: Some(kind), kind_mismatch: None }
    };
    crate::documents::routes::correct_document(
        State(state),
        session.caller,
        crate::input::Path(id.clone()),
        crate::input::Json(correction),
    )
    .await?;
    // `id` is a piece's id: the correction found it.
    Ok(Redirect::to(&format!("/pieces/{id}?corrige=1")).into_response())
}
