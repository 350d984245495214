//! The service's current model: the base model plus the pieces whose kind is confirmed (given by
//! the uploader and not contradicted, or corrected by an assistant). It is derived data: rebuilt
//! in the background at start-up and whenever a kind is corrected; classification meanwhile uses
//! the model as it was.

use std::sync::{Arc, RwLock};

use sqlx::Row;

use super::Model;
use crate::db::Db;
use crate::documents::DocKind;

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

    /// Base model + every confirmed piece's text.
    pub async fn retrain(&self, db: &Db) -> anyhow::Result<()> {
        let _one_at_a_time = self.retraining.lock().await;
        let rows = sqlx::query(
            "select d.id, d.kind, p.text from documents d join document_pages p on p.document_id = d.id \
             where d.kind is not null and d.kind_mismatch = 0 and d.text_status = 'done' order by d.id, p.page",
        )
        .fetch_all(db)
        .await?;
        // Pages come in order, document by document: join each document's pages, learn it once.
        let mut documents: Vec<(String, DocKind, String)> = Vec::new();
        for row in &rows {
            let (id, kind, text): (String, String, String) =
                (row.try_get("id")?, row.try_get("kind")?, row.try_get("text")?);
            let Some(kind) = DocKind::parse(&kind) else { continue };
            match documents.last_mut() {
                Some((last, _, all)) if *last == id => {
                    all.push('\n');
                    all.push_str(&text);
                }
                _ => documents.push((id, kind, text)),
            }
        }
        let learned = documents.len();
        // Every confirmed piece's text: counted off the async executor.
        let model = tokio::task::spawn_blocking(move || {
            let mut model = Model::base();
            for (_, kind, text) in &documents {
                model.learn(*kind, text);
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
