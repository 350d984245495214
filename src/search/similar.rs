//! `GET /api/v1/documents/{id}/similar`: the pieces most alike by what they say ("more like
//! this" on the text), within the caller's périmètre, for assistants checking a dossier.

use axum::extract::State;
use serde::Deserialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};
use utoipa::IntoParams;

use super::routes::{hit, perimetre, rebuilding, search_failed, Hit};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::input::{Json, Query as QueryInput};

#[utoipa::path(get, path = "/api/v1/documents/{id}/similar", tag = "search",
    params(("id" = String, Path), ("limit" = Option<usize>, Query)),
    responses((status = 200, body = [Hit]), (status = 404, body = crate::error::Problem),
        (status = 503, body = crate::error::Problem)))]
pub async fn similar(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
    QueryInput(params): QueryInput<SimilarParams>,
) -> AppResult<Json<Vec<Hit>>> {
    let document =
        crate::documents::sql::find_visible(&state.db, &caller, &id).await?.ok_or_else(AppError::document_not_found)?;
    let index = state.search.clone();
    if index.is_rebuilding() {
        return Err(rebuilding());
    }
    let companies = perimetre(&state, &caller).await?;
    let limit = params.limit.unwrap_or(10).clamp(1, 50);
    let hits = tokio::task::spawn_blocking(move || more_like(&index, &document.id, companies, limit))
        .await
        .map_err(|e| AppError::internal(e.into()))??;
    Ok(Json(hits))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SimilarParams {
    limit: Option<usize>,
}

fn more_like(
    index: &super::SearchIndex,
    id: &str,
    companies: Option<Vec<String>>,
    limit: usize,
) -> AppResult<Vec<Hit>> {
    let f = index.fields;
    let searcher = index.reader.searcher();
    let itself = Term::from_field_text(f.id, id);
    let found = searcher
        .search(&TermQuery::new(itself.clone(), IndexRecordOption::Basic), &TopDocs::with_limit(1))
        .map_err(search_failed)?;
    let Some((_, address)) = found.first() else { return Ok(Vec::new()) };
    // Alike by what they say: the text only (not the file name, dossier or company they share).
    let doc: TantivyDocument = searcher.doc(*address).map_err(search_failed)?;
    let said: Vec<(tantivy::schema::Field, Vec<tantivy::schema::OwnedValue>)> = [f.text]
        .into_iter()
        .map(|field| {
            let values =
                doc.get_all(field).filter_map(|v| v.as_str()).map(|t| tantivy::schema::OwnedValue::Str(t.to_string()));
            (field, values.collect())
        })
        .collect();
    let like = MoreLikeThisQuery::builder()
        .with_min_doc_frequency(1)
        .with_min_term_frequency(1)
        .with_min_word_length(3)
        .with_max_query_terms(40)
        .with_document_fields(said);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
        (Occur::Must, Box::new(like)),
        (Occur::MustNot, Box::new(TermQuery::new(itself, IndexRecordOption::Basic))),
    ];
    if let Some(companies) = companies {
        let terms = companies.iter().map(|c| Term::from_field_text(f.company_id, c));
        clauses.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
    }
    let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit)).map_err(search_failed)?;
    top.into_iter()
        .map(|(score, address)| {
            let doc: TantivyDocument = searcher.doc(address).map_err(search_failed)?;
            Ok(hit(index, &doc, score, String::new()))
        })
        .collect()
}
