//! The service's current model: the base model plus the pieces whose kind is confirmed (given by
//! the uploader and not contradicted, or corrected by an assistant). It is derived data: rebuilt
//! in the background at start-up and whenever a kind is corrected; classification meanwhile uses
//! the model as it was.

use std::sync::{Arc, RwLock};

use sqlx::Row;

use super::Model;
use crate::db::Db;
use crate::domain::DocKind;

/// A kind staff set or confirmed weighs this many uploaders' kinds.
const STAFF_WEIGHT: usize = 3;
/// Of one company's pieces of one kind, only this many kinds given by its own users are learned:
/// a company cannot outweigh every other one, nor teach them a wrong kind by volume.
const UPLOADER_KINDS_PER_COMPANY: usize = 25;
/// The most text learned of one piece (its first pages): the model learns words, not volumes.
const LEARNED_BYTES: usize = 64 * 1024;

/// A piece whose kind is confirmed: given by its uploader and not contradicted, or set by staff.
struct Confirmed {
    id: String,
    kind: DocKind,
    by_staff: bool,
    company_id: String,
    text: String,
}

/// What is learned, and how many times: staff's kinds [`STAFF_WEIGHT`] times each; uploaders'
/// once each, the first [`UPLOADER_KINDS_PER_COMPANY`] of each company and kind only.
fn weighed(documents: Vec<Confirmed>) -> Vec<(DocKind, String, usize)> {
    let mut per_company = std::collections::HashMap::<(String, DocKind), usize>::new();
    let mut learned = Vec::new();
    for document in documents {
        let weight = if document.by_staff {
            STAFF_WEIGHT
        } else {
            let seen = per_company.entry((document.company_id.clone(), document.kind)).or_default();
            *seen += 1;
            usize::from(*seen <= UPLOADER_KINDS_PER_COMPANY)
        };
        if weight > 0 {
            let mut text = document.text;
            text.truncate(text.floor_char_boundary(LEARNED_BYTES));
            learned.push((document.kind, text, weight));
        }
    }
    learned
}

#[derive(Clone)]
pub struct Learner {
    current: Arc<RwLock<Arc<Model>>>,
    /// Serialises retraining; a retrain asked while one runs follows it.
    retraining: Arc<tokio::sync::Mutex<()>>,
}

impl Default for Learner {
    fn default() -> Learner {
        Learner { current: Arc::new(RwLock::new(Arc::new(Model::base()))), retraining: Arc::default() }
    }
}

impl Learner {
    pub fn current(&self) -> Arc<Model> {
        self.current.read().map(|m| m.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Retrains in the background.
    pub fn retrain_later(&self, db: Db) {
        let learner = self.clone();
        tokio::spawn(async move {
            if let Err(error) = learner.retrain(&db).await {
                tracing::warn!("cannot retrain the classifier: {error:#}");
            }
        });
    }

    /// Base model + every confirmed piece's text, weighed (see [`weighed`]).
    pub async fn retrain(&self, db: &Db) -> anyhow::Result<()> {
        let _one_at_a_time = self.retraining.lock().await;
        let rows = sqlx::query(
            "select d.id, d.kind, d.kind_by_staff, f.company_id, p.text from documents d \
             join dossiers f on f.id = d.dossier_id join document_pages p on p.document_id = d.id \
             where d.kind is not null and d.kind_mismatch = 0 and d.text_status = 'done' order by d.id, p.page",
        )
        .fetch_all(db)
        .await?;
        // Pages come in order, document by document: join each document's pages, learn it once.
        let mut documents: Vec<Confirmed> = Vec::new();
        for row in &rows {
            let (id, text): (String, String) = (row.try_get("id")?, row.try_get("text")?);
            let Some(kind) = DocKind::parse(&row.try_get::<String, _>("kind")?) else { continue };
            match documents.last_mut() {
                Some(last) if last.id == id => {
                    if last.text.len() < LEARNED_BYTES {
                        last.text.push('\n');
                        last.text.push_str(&text);
                    }
                }
                _ => documents.push(Confirmed {
                    id,
                    kind,
                    by_staff: row.try_get::<i64, _>("kind_by_staff")? != 0,
                    company_id: row.try_get("company_id")?,
                    text,
                }),
            }
        }
        let learned = documents.len();
        // Every confirmed piece's text: counted off the async executor.
        let model = tokio::task::spawn_blocking(move || {
            let mut model = Model::base();
            for (kind, text, weight) in weighed(documents) {
                for _ in 0..weight {
                    model.learn(kind, &text);
                }
            }
            model
        })
        .await?;
        tracing::info!(confirmed = learned, "classifier retrained");
        if let Ok(mut slot) = self.current.write() {
            *slot = Arc::new(model);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confirmed(n: usize, company: &str, kind: DocKind, by_staff: bool) -> Vec<Confirmed> {
        (0..n)
            .map(|i| Confirmed {
                id: format!("{company}-{i}"),
                kind,
                by_staff,
                company_id: company.into(),
                text: "é".repeat(40_000),
            })
            .collect()
    }

    #[test]
    fn one_company_cannot_teach_every_other_one_by_volume() {
        let mut documents = confirmed(100, "flood", DocKind::FactureOf, false);
        documents.extend(confirmed(3, "other", DocKind::FactureOf, false));
        documents.extend(confirmed(2, "flood", DocKind::FactureOf, true));
        let learned = weighed(documents);
        let weight = |staff: usize| learned.iter().filter(|(_, _, w)| *w == staff).count();
        assert_eq!(weight(1), UPLOADER_KINDS_PER_COMPANY + 3, "25 of the flood, 3 of the other company");
        assert_eq!(weight(STAFF_WEIGHT), 2, "staff's kinds always count, and more");
        assert!(learned.iter().all(|(_, text, _)| text.len() <= LEARNED_BYTES && text.ends_with('é')));
    }
}
