//! The pieces most alike a piece by what they say ("more like this" on the text), within the
//! caller's périmètre, for assistants checking a dossier (`GET /api/v1/documents/{id}/similar`).

use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::query::{hit, rebuilding, search_failed, Hit};
use super::SearchIndex;
use crate::auth::Caller;
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// At most `limit` (1 to 50) pieces like piece `id`, which the caller may see, off the executor.
pub async fn similar(
    index: &Arc<SearchIndex>,
    db: &Db,
    caller: &Caller,
    id: &str,
    limit: usize,
) -> AppResult<Vec<Hit>> {
    if index.is_rebuilding() {
        return Err(rebuilding());
    }
    let companies = crate::auth::companies_of(db, caller).await?;
    let (index, id) = (index.clone(), id.to_string());
    let limit = limit.clamp(1, 50);
    tokio::task::spawn_blocking(move || more_like(&index, &id, companies, limit))
        .await
        .map_err(|e| AppError::internal(e.into()))?
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
