//! `GET /recherche`: the French search over the pieces of the person's périmètre, as a page. The
//! address holds the whole search (`q`, and the filters `kind`, `state`, `company`, `siret`,
//! `from`, `to`, `sort`, `page`: the API's names), so that it can be bookmarked and shared. Each
//! facet is a count that filters when clicked. The same engine as `GET /api/v1/search`
//! (`search::query::search`); without JavaScript the form is a plain GET, with it results follow
//! the typing (`static/pieces.js`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use serde::Deserialize;

use super::error::PageResult;
use super::format;
use super::frame::Frame;
use super::person::Person;
use crate::domain::DocKind;
use crate::dossiers::DossierState;
use crate::search::query::{self, SearchParams};
use crate::state::AppState;

const PAGE_SIZE: usize = 20;

#[derive(Deserialize, Default, Clone)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    siret: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    sort: String,
    page: Option<usize>,
}

impl SearchQuery {
    /// This search's address with `key` set to `value` (empty: removed), from its first page.
    fn with(&self, key: &str, value: &str) -> String {
        let pairs = [
            ("q", &self.q),
            ("kind", &self.kind),
            ("state", &self.state),
            ("company", &self.company),
            ("siret", &self.siret),
            ("from", &self.from),
            ("to", &self.to),
            ("sort", &self.sort),
        ];
        let mut parts = Vec::new();
        for (name, current) in pairs {
            let value = if name == key { value } else { current.as_str() };
            if !value.is_empty() {
                parts.push(format!("{name}={}", format::url(value)));
            }
        }
        format!("/recherche?{}", parts.join("&"))
    }

    fn is_empty(&self) -> bool {
        [&self.q, &self.kind, &self.state, &self.company, &self.siret, &self.from, &self.to]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

pub struct HitRow {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub dossier: String,
    pub company: String,
    pub uploaded: String,
    /// HTML: the engine's escaped text around the matches, with `<mark>`.
    pub snippet: String,
}

/// One facet: its values with their counts, each a link that filters (or, when it is the
/// filter, removes it).
pub struct Facet {
    pub title: &'static str,
    pub values: Vec<FacetValue>,
}

pub struct FacetValue {
    pub label: String,
    pub count: u64,
    pub link: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "web/recherche.html")]
struct SearchPage {
    frame: Frame,
    s: SearchQuery,
    kinds: Vec<(&'static str, &'static str)>,
    states: Vec<(&'static str, String)>,
    companies: Vec<(String, String)>,
    searched: bool,
    total: usize,
    hits: Vec<HitRow>,
    facets: Vec<Facet>,
    error: Option<String>,
    page: usize,
    pages: usize,
    previous: Option<String>,
    next: Option<String>,
}

/// `GET /recherche`
pub async fn search(
    State(state): State<AppState>,
    Person(session): Person,
    Query(s): Query<SearchQuery>,
) -> PageResult {
    let frame = Frame::of_person(&state, &session, "Recherche", "recherche").await?;
    let perimetre = crate::auth::perimetre(&state.db, &session.caller).await?;
    let page = s.page.unwrap_or(1).clamp(1, 500);
    let mut view = SearchPage {
        frame,
        kinds: DocKind::ALL.iter().map(|k| (k.code(), k.label_fr())).collect(),
        states: DossierState::ALL.iter().map(|st| (st.as_str(), capitalized(st.label_fr()))).collect(),
        companies: perimetre
            .iter()
            .map(|(_, adherent, name)| (adherent.clone(), format!("{adherent} {name}")))
            .collect(),
        searched: !s.is_empty(),
        total: 0,
        hits: Vec::new(),
        facets: Vec::new(),
        error: None,
        page,
        pages: 1,
        previous: None,
        next: None,
        s: s.clone(),
    };
    let mut status = StatusCode::OK;
    if view.searched {
        let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        let params = SearchParams {
            q: text(&s.q),
            kind: text(&s.kind),
            company: text(&s.company),
            siret: text(&s.siret),
            state: text(&s.state),
            from: text(&s.from),
            to: text(&s.to),
            sort: text(&s.sort),
            limit: Some(PAGE_SIZE),
            offset: Some((page - 1) * PAGE_SIZE),
            ..Default::default()
        };
        match query::search(&state.search, &state.db, &session.caller, params).await {
            Ok(results) => {
                view.total = results.total;
                view.pages = results.total.div_ceil(PAGE_SIZE).clamp(1, 500);
                view.previous = (page > 1).then(|| format!("{}&page={}", s.with("", ""), page - 1));
                view.next = (page < view.pages).then(|| format!("{}&page={}", s.with("", ""), page + 1));
                view.hits = results
                    .hits
                    .into_iter()
                    .map(|h| HitRow {
                        kind: h
                            .kind
                            .as_deref()
                            .and_then(DocKind::parse)
                            .map_or("Non précisé", |k| k.label_fr())
                            .to_string(),
                        uploaded: h.uploaded_at.as_deref().map(format::moment).unwrap_or_default(),
                        id: h.id,
                        title: h.title,
                        dossier: h.dossier,
                        company: h.company,
                        snippet: h.snippet,
                    })
                    .collect();
                view.facets = facets(&s, results.facets.as_ref());
            }
            Err(error) if error.status.is_client_error() || error.status == StatusCode::SERVICE_UNAVAILABLE => {
                status = if error.status.is_client_error() { StatusCode::UNPROCESSABLE_ENTITY } else { error.status };
                view.error = Some(error.detail_fr.clone());
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok((status, Html(view.render()?)).into_response())
}

/// The engine's counts (`{"kind": {"programme": 3}, "state": {…}, "company": {…}}`) as links.
fn facets(s: &SearchQuery, counts: Option<&serde_json::Value>) -> Vec<Facet> {
    let Some(counts) = counts else { return Vec::new() };
    let facet = |title: &'static str, key: &str, chosen: &str, label: &dyn Fn(&str) -> String| {
        let mut values: Vec<FacetValue> = counts
            .get(key)
            .and_then(|v| v.as_object())
            .map(|map| {
                map.iter()
                    .map(|(value, count)| FacetValue {
                        label: label(value),
                        count: count.as_u64().unwrap_or(0),
                        link: if chosen == value { s.with(key, "") } else { s.with(key, value) },
                        chosen: chosen == value,
                    })
                    .collect()
            })
            .unwrap_or_default();
        values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        Facet { title, values }
    };
    vec![
        facet("Type de pièce", "kind", &s.kind, &|v| {
            DocKind::parse(v).map_or(v.to_string(), |k| k.label_fr().to_string())
        }),
        facet("État du dossier", "state", &s.state, &|v| {
            capitalized(DossierState::ALL.iter().find(|st| st.as_str() == v).map_or(v, |st| st.label_fr()))
        }),
        facet("Entreprise", "company", &s.company, &|v| v.to_string()),
    ]
}

/// `en cours` → `En cours`.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}
