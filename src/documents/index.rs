//! What the search index holds of each piece (`search::Entry`), read from the pieces, their
//! dossiers and companies, and their pages' text: the rows the indexer asks for.

use std::collections::HashMap;

use futures_util::future::BoxFuture;
use sqlx::Row;

use crate::db::Db;
use crate::search::Entry;

/// The indexer's source of entries (`search::outbox::Rows`).
pub fn rows<'a>(db: &'a Db, ids: &'a [String]) -> BoxFuture<'a, anyhow::Result<Vec<Entry>>> {
    Box::pin(entries(db, ids))
}

/// The index entries of the pieces `ids` that exist.
pub async fn entries(db: &Db, ids: &[String]) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let list = placeholders.join(", ");
        let sql = format!(
            "select doc.id, doc.title, doc.comment, doc.original_name, coalesce(doc.kind, doc.detected_kind) as kind, \
             doc.uploaded_at, doc.facturx, d.number, d.company_id, d.siret, d.state, d.provider_name, d.provider_siret, \
             c.adherent_number from documents doc join dossiers d on d.id = doc.dossier_id \
             join companies c on c.id = d.company_id where doc.id in ({list})"
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        let rows = query.fetch_all(db).await?;
        let mut texts: HashMap<String, String> = HashMap::new();
        let sql = format!(
            "select document_id, text from document_pages where document_id in ({list}) order by document_id, page"
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(db).await? {
            let text = texts.entry(row.try_get("document_id")?).or_default();
            text.push_str(&row.try_get::<String, _>("text")?);
            text.push('\n');
        }
        for row in rows {
            let optional = |column: &str| row.try_get::<Option<String>, _>(column).ok().flatten();
            let invoice = optional("facturx").and_then(|j| serde_json::from_str::<crate::extract::FacturX>(&j).ok());
            let (invoice_number, seller_name) = invoice.map_or((None, None), |i| (i.number, i.seller_name));
            let uploaded: String = row.try_get("uploaded_at")?;
            let id: String = row.try_get("id")?;
            entries.push(Entry {
                text: texts.remove(&id).unwrap_or_default(),
                id,
                company_id: row.try_get("company_id")?,
                title: row.try_get("title")?,
                comment: optional("comment"),
                original_name: row.try_get("original_name")?,
                kind: optional("kind"),
                dossier: row.try_get("number")?,
                company: row.try_get("adherent_number")?,
                state: row.try_get("state")?,
                siret: optional("siret"),
                provider_name: optional("provider_name"),
                provider_siret: optional("provider_siret"),
                invoice_number,
                seller_name,
                uploaded_at: time::OffsetDateTime::parse(&uploaded, &time::format_description::well_known::Rfc3339)
                    .ok(),
            });
        }
    }
    Ok(entries)
}
