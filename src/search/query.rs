//! The search engine: words, "phrases", `-exclusions` and `field:value` in `q`; filters; sort by
//! relevance (BM25, title boosted) or date; pagination with the total; facets per kind, state and
//! company; a highlighted snippet per hit. The caller's périmètre (`auth::companies_of`) is a
//! clause of the query itself, so hits, totals and facets never include another company's piece.
//! Every question goes through [`run`], the engine: the words of `q`, or the pieces `like` one
//! piece (more like this, `similar.rs`). [`search`] runs it for a caller, within their périmètre
//! and off the async executor: the search route, the "similar" route and the pages call it; the
//! benchmark calls [`run`] in process and [`search`] through HTTP.

use std::collections::BTreeMap;
use std::ops::Bound;

use std::sync::Arc;

use axum::http::StatusCode;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryParser};
use tantivy::schema::{Field, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DateTime, Order, TantivyDocument, Term};
use utoipa::{IntoParams, ToSchema};

use super::plan::{Found, Part, Plan};
use super::SearchIndex;
use crate::auth::Caller;
use crate::db::Db;
use crate::error::{AppError, AppResult};

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
pub struct SearchParams {
    /// Words, "phrases", -exclusions, field:value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The pieces most alike this piece (its id) by what they say, instead of words: not with `q`;
    /// no facets, no snippets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub like: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Dossier number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dossier: Option<String>,
    /// Company (n° adhérent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Establishment SIRET (spaces allowed) or SIREN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub siret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Uploaded on or after this day (YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Uploaded on or before this day (YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `relevance` (default) or `date` (newest first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// `false`: no snippet per hit (default `true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippets: Option<bool>,
    /// `false`: no facets (default `true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    pub hits: Vec<Hit>,
    /// Counts among all matches: per kind, per state, per company (absent with `facets=false`).
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub kind: Option<String>,
    pub dossier: String,
    pub company: String,
    pub uploaded_at: Option<String>,
    pub score: f32,
    /// HTML-escaped text around the matches, marked with `<mark>`.
    pub snippet: String,
}

/// Searches as `caller` may: within their périmètre, off the async executor; a 503 while the
/// index is rebuilt.
pub async fn search(
    index: &Arc<SearchIndex>,
    db: &Db,
    caller: &Caller,
    params: SearchParams,
) -> AppResult<SearchResults> {
    if index.is_rebuilding() {
        return Err(rebuilding());
    }
    let companies = crate::auth::companies_of(db, caller).await?;
    let index = index.clone();
    tokio::task::spawn_blocking(move || run(&index, &params, companies))
        .await
        .map_err(|e| AppError::internal(e.into()))?
}

/// The search itself, within `companies` (`None`: all).
pub fn run(
    index: &super::SearchIndex,
    params: &SearchParams,
    companies: Option<Vec<String>>,
) -> AppResult<SearchResults> {
    let f = index.fields;
    let limit = params.limit.unwrap_or(20);
    let offset = params.offset.unwrap_or(0);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "limit must be between 1 and 100.", "limit doit être entre 1 et 100."));
    }
    if offset > 10_000 {
        return Err(AppError::invalid("offset", "offset must be at most 10000.", "offset ne peut dépasser 10000."));
    }
    let by_date = match params.sort.as_deref() {
        None | Some("relevance") => false,
        Some("date") => true,
        Some(_) => {
            return Err(AppError::invalid("sort", "sort is `relevance` or `date`.", "sort vaut `relevance` ou `date`."))
        }
    };
    if let Some(id) = params.like.as_deref() {
        if params.q.as_deref().is_some_and(|q| !q.trim().is_empty()) {
            return Err(AppError::invalid("like", "like and q do not go together.", "like et q ne vont pas ensemble."));
        }
        let hits = super::similar::more_like(index, id.trim(), companies, offset + limit)?;
        let hits: Vec<Hit> = hits.into_iter().skip(offset).collect();
        return Ok(SearchResults { total: hits.len(), limit, offset, hits, facets: None });
    }
    let searcher = index.reader.searcher();
    let uploaded_at = (f.uploaded_at, day("from", &params.from, false)?, day("to", &params.to, true)?);
    let mut plan = Plan { words: None, filters: filters(f, params, companies)?, uploaded_at, by_date };
    let facets = params.facets.unwrap_or(true);
    let words = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if let Some(q) = words {
        super::bounds::check(q).map_err(refused)?;
    }
    let (found, text_query) = match words {
        Some(q) if !is_plain(q) => {
            let mut parser = QueryParser::for_index(
                &index.index,
                vec![f.title, f.text, f.comment, f.original_name, f.provider_name, f.seller_name],
            );
            parser.set_conjunction_by_default();
            parser.set_field_boost(f.title, 2.0);
            let parsed = super::bounds::parse(&parser, q).map_err(refused)?;
            let mut clauses = vec![(Occur::Must, parsed.box_clone())];
            clauses.extend(plan.filter_queries().into_iter().map(|query| (Occur::Must, query)));
            let query = BooleanQuery::new(clauses);
            (collect(&searcher, &index.cache, &query, by_date, limit, offset, facets)?, Some(parsed))
        }
        words => {
            plan.words = words.map(|q| plain_words(index, &searcher, q));
            let found = plan.run(&searcher, &index.cache, limit, offset, facets).map_err(search_failed)?;
            (found, plan.words_query())
        }
    };
    let snippets = match &text_query {
        Some(q) if params.snippets.unwrap_or(true) => Some(snippet_generator(&searcher, &index.cache, &**q, f.text)?),
        _ => None,
    };
    let one = |&(score, address): &(f32, tantivy::DocAddress)| {
        let doc: TantivyDocument = searcher.doc(address).map_err(search_failed)?;
        let snippet = match &snippets {
            Some(generator) => {
                let mut snippet = generator.snippet_from_doc(&doc);
                snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
                snippet.to_html()
            }
            None => String::new(),
        };
        Ok(hit(index, &doc, score, snippet))
    };
    // A snippet analyses its hit's text again: with snippets, the hits are shared out over the
    // cores (without, reading a hit costs less than waking another core).
    let hits = match snippets {
        Some(_) => found.hits.par_iter().map(one).collect::<AppResult<Vec<Hit>>>()?,
        None => found.hits.iter().map(one).collect::<AppResult<Vec<Hit>>>()?,
    };
    let facets = found.facets.as_ref().map(super::facets::to_json);
    Ok(SearchResults { total: found.total, limit, offset, hits, facets })
}

/// The keyword filters of the request, and the caller's périmètre (one of its companies).
fn filters(f: super::Fields, params: &SearchParams, companies: Option<Vec<String>>) -> AppResult<Vec<Vec<Term>>> {
    let mut filters = Vec::new();
    if let Some(companies) = companies {
        filters.push(companies.iter().map(|c| Term::from_field_text(f.company_id, c)).collect());
    }
    let mut term = |field, value: &str| filters.push(vec![Term::from_field_text(field, value)]);
    if let Some(kind) = &params.kind {
        term(f.kind, kind.trim());
    }
    if let Some(dossier) = &params.dossier {
        term(f.dossier, dossier.trim());
    }
    if let Some(company) = &params.company {
        term(f.company, company.trim());
    }
    if let Some(state) = &params.state {
        term(f.state, state.trim());
    }
    if let Some(siret) = &params.siret {
        let digits: String = siret.chars().filter(char::is_ascii_digit).collect();
        match digits.len() {
            14 => term(f.siret, &digits),
            9 => term(f.siren, &digits),
            _ => {
                return Err(AppError::invalid(
                    "siret",
                    "A SIRET has 14 digits, a SIREN 9.",
                    "Un SIRET compte 14 chiffres, un SIREN 9.",
                ))
            }
        }
    }
    Ok(filters)
}

/// A day of `from`/`to` as a bound in microseconds: from its midnight, or until the next one.
fn day(field: &str, value: &Option<String>, end: bool) -> AppResult<Bound<i64>> {
    let Some(value) = value else { return Ok(Bound::Unbounded) };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(value.trim(), &format)
        .map_err(|_| AppError::invalid(field, "A day is written YYYY-MM-DD.", "Une date s'écrit AAAA-MM-JJ."))?;
    let at = if end { date.next_day().unwrap_or(date).midnight() } else { date.midnight() }.assume_utc();
    let micros = at.unix_timestamp() * 1_000_000;
    Ok(if end { Bound::Excluded(micros) } else { Bound::Included(micros) })
}

/// Runs a tantivy query with tantivy's collectors: the `limit` best hits after `offset` (by
/// relevance or newest first), the total, and the facets when asked.
pub(super) fn collect(
    searcher: &tantivy::Searcher,
    cache: &std::sync::Arc<super::cache::SegmentCache>,
    query: &dyn Query,
    by_date: bool,
    limit: usize,
    offset: usize,
    facets: bool,
) -> AppResult<Found> {
    let facets = facets.then(|| super::facets::Facets(cache.clone()));
    let (hits, total, facets) = if by_date {
        let top =
            TopDocs::with_limit(limit).and_offset(offset).order_by_fast_field::<DateTime>("uploaded_at", Order::Desc);
        let (top, total, facets) = searcher.search(query, &(top, Count, facets)).map_err(search_failed)?;
        (top.into_iter().map(|(_, address)| (0.0, address)).collect(), total, facets)
    } else {
        let top = TopDocs::with_limit(limit).and_offset(offset);
        searcher.search(query, &(top, Count, facets)).map_err(search_failed)?
    };
    Ok(Found { hits, total, facets })
}

/// Plain words only: no "phrase", -exclusion, field:value, grouping or operator.
fn is_plain(q: &str) -> bool {
    !q.chars().any(|c| matches!(c, '"' | ':' | '(' | ')' | '[' | ']' | '{' | '}' | '^' | '*' | '+' | '~'))
        && !q.split_whitespace().any(|w| w.starts_with('-') || matches!(w, "AND" | "OR" | "NOT" | "IN"))
}

/// Every word must match, in any searched field (the title counts double); a word of five letters
/// or more also matches with one typing error (a letter missed, added, changed, or two swapped),
/// unless it is common as typed (then it is surely what the user meant, and the alternatives
/// would only cost time: the words within one edit of a common word are often common too).
/// Only stop words: one clause that matches nothing.
pub(super) fn plain_words(index: &super::SearchIndex, searcher: &tantivy::Searcher, q: &str) -> Vec<Vec<Part>> {
    let f = index.fields;
    let fields = [f.title, f.text, f.comment, f.original_name, f.provider_name, f.seller_name];
    let mut clauses = Vec::new();
    for word in q.split_whitespace() {
        let stems = super::analysis::terms(word);
        let whole = super::analysis::whole_words(word);
        for stem in &stems {
            // Only the fields that hold the word: a union of few costs less than a union of all.
            let mut parts = Vec::new();
            for field in fields {
                let term = Term::from_field_text(field, stem);
                if index.cache.doc_freq(searcher, &term).unwrap_or(0) > 0 {
                    parts.push(Part::Term { term, boost: if field == f.title { 2.0 } else { 1.0 } });
                }
            }
            // One word of five letters or more: also the words within one edit of it, ranked
            // below exact matches.
            if let ([_], [whole]) = (stems.as_slice(), whole.as_slice()) {
                if whole.chars().count() >= 5 && !is_common(index, searcher, f.text, stem) {
                    let fuzzy = FuzzyTermQuery::new(Term::from_field_text(f.words, whole), 1, true);
                    parts.push(Part::Constant(Box::new(BoostQuery::new(Box::new(fuzzy), 0.5))));
                }
            }
            clauses.push(parts);
        }
    }
    if clauses.is_empty() {
        clauses.push(Vec::new());
    }
    clauses
}

/// Found as is in at least one piece in a thousand, and in at least 20 pieces.
fn is_common(index: &super::SearchIndex, searcher: &tantivy::Searcher, field: Field, stem: &str) -> bool {
    let found = index.cache.doc_freq(searcher, &Term::from_field_text(field, stem)).unwrap_or(0);
    found >= 20 && found >= searcher.num_docs() / 1000
}

/// A 400 naming `q`.
fn refused(why: super::bounds::Refused) -> AppError {
    let (en, fr) = why.sentences();
    let mut error = AppError::bad_request(why.code(), en, fr);
    error.field = Some("q".into());
    error
}

pub(super) fn rebuilding() -> AppError {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "index_rebuilding",
        "The search index is being rebuilt; try again in a moment.",
        "L'index de recherche est en cours de reconstruction ; réessayez dans un instant.",
    )
}

pub(super) fn hit(index: &super::SearchIndex, doc: &TantivyDocument, score: f32, snippet: String) -> Hit {
    let f = index.fields;
    let text = |field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
    let uploaded_at = doc.get_first(f.uploaded_at).and_then(|v| v.as_datetime()).map(|d| {
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(d.into_timestamp_micros()) * 1000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        crate::db::format_time(at)
    });
    Hit {
        id: text(f.id).unwrap_or_default(),
        title: text(f.title).unwrap_or_default(),
        kind: text(f.kind),
        dossier: text(f.dossier).unwrap_or_default(),
        company: text(f.company).unwrap_or_default(),
        uploaded_at,
        score,
        snippet,
    }
}

/// Highlights `query`'s terms of `field` as tantivy's `SnippetGenerator::create` does (the rarer
/// a term, the more its fragment counts), with an analysis that stems only the words that may be
/// one of them.
fn snippet_generator(
    searcher: &tantivy::Searcher,
    cache: &super::cache::SegmentCache,
    query: &dyn Query,
    field: Field,
) -> AppResult<SnippetGenerator> {
    let mut terms = BTreeMap::new();
    query.query_terms(&mut |term, _| {
        if let (true, Some(text)) = (term.field() == field, term.value().as_str()) {
            terms.insert(text.to_string(), term.clone());
        }
    });
    let mut weights = BTreeMap::new();
    for (text, term) in terms {
        let found = cache.doc_freq(searcher, &term).map_err(search_failed)?;
        if found > 0 {
            weights.insert(text, 1.0 / (1.0 + found as f32));
        }
    }
    let analyzer = super::analysis::french_highlighting(weights.keys().map(String::as_str));
    Ok(SnippetGenerator::new(weights, analyzer, field, 240))
}

pub(super) fn search_failed(error: tantivy::TantivyError) -> AppError {
    AppError::internal(anyhow::Error::new(error).context("search"))
}
