//! The engine's "like" question (`query::run` with `like`): the pieces most alike a piece by what
//! they say ("more like this" on the text), for assistants checking a dossier.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::query::{hit, search_failed, Hit};
use crate::error::AppResult;

/// At most `limit` pieces like piece `id`, best first, within `companies` (`None`: all). A piece
/// outside `companies` has no similar pieces: its words stay hidden too.
pub(super) fn more_like(
    index: &super::SearchIndex,
    id: &str,
    companies: Option<Vec<String>>,
    limit: usize,
) -> AppResult<Vec<Hit>> {
    let f = index.fields;
    let searcher = index.reader.searcher();
    let itself = Term::from_field_text(f.id, id);
    let within = |companies: &Option<Vec<String>>| -> Option<(Occur, Box<dyn Query>)> {
        let terms = companies.as_ref()?.iter().map(|c| Term::from_field_text(f.company_id, c));
        Some((Occur::Must, Box::new(TermSetQuery::new(terms))))
    };
    let mut lookup: Vec<(Occur, Box<dyn Query>)> =
        vec![(Occur::Must, Box::new(TermQuery::new(itself.clone(), IndexRecordOption::Basic)))];
    lookup.extend(within(&companies));
    let found = searcher.search(&BooleanQuery::new(lookup), &TopDocs::with_limit(1)).map_err(search_failed)?;
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
    clauses.extend(within(&companies));
    let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit)).map_err(search_failed)?;
    top.into_iter()
        .map(|(score, address)| {
            let doc: TantivyDocument = searcher.doc(address).map_err(search_failed)?;
            Ok(hit(index, &doc, score, String::new()))
        })
        .collect()
}
