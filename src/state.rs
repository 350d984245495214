//! The state every handler, job and command shares: the database, the object store, the
//! configuration, the classifier's model, the search index, the wake-up calls of the background
//! work, and the slots that bound uploads and prints. It sits below the features (`documents`,
//! `dossiers`, `invoice`…), which import it; it imports none of them.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use axum::extract::FromRef;

use crate::config::Config;
use crate::db::Db;
use crate::storage::Storage;

/// Uploads one user may send at once (a browser opens at most six connections to a server), and
/// uploads the process receives at once: an upload holds a spool file and a connection up to the
/// upload deadline, and a few slow clients must not hold them all.
pub const UPLOADS_PER_USER: usize = 6;
pub const UPLOADS: usize = 64;
/// Dossiers printed with their pieces at once in the process (one per company): joining is
/// CPU-heavy and holds up to 200 MiB on disk.
pub const PRINTS: usize = 2;

/// `/readyz`'s last probe: when, and whether the database and the store answered.
#[derive(Clone, Default)]
pub struct LastProbe(pub Arc<tokio::sync::Mutex<Option<(Instant, bool, bool)>>>);

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub storage: Arc<Storage>,
    pub config: Arc<Config>,
    /// Notified when a background job is queued.
    #[from_ref(skip)]
    pub jobs_wake: Arc<tokio::sync::Notify>,
    /// The classifier's learned model, retrained as kinds are confirmed.
    pub learner: crate::classify::learner::Learner,
    /// The search index, and the indexer's wake-up call.
    pub search: Arc<crate::search::SearchIndex>,
    #[from_ref(skip)]
    pub search_wake: Arc<tokio::sync::Notify>,
    /// The uploads under way, capped per user and in all.
    #[from_ref(skip)]
    pub uploads: crate::slots::Slots,
    /// The dossiers being printed with their pieces, capped per company and in all.
    #[from_ref(skip)]
    pub prints: crate::slots::Slots,
    /// `/readyz`'s last probe.
    #[from_ref(skip)]
    pub last_probe: LastProbe,
    /// The SMTP relay, when `--smtp-url` names one.
    #[from_ref(skip)]
    pub mailer: Option<Arc<crate::mail::Mailer>>,
}

impl AppState {
    /// Opens the database (applying migrations) and the object store the configuration names.
    pub async fn open(config: Config) -> anyhow::Result<AppState> {
        let config = config.with_env_credentials();
        std::fs::create_dir_all(config.storage_dir().join("tmp"))
            .with_context(|| format!("cannot create {}", config.storage_dir().display()))?;
        crate::storage::sweep::sweep_leftovers(&config.storage_dir()).await;
        let db = crate::db::connect(&config.database_url()).await?;
        let storage = Storage::from_config(&config)?;
        let jobs_wake = Arc::new(tokio::sync::Notify::new());
        let learner = crate::classify::learner::Learner::default();
        let (search, rebuild) = crate::search::SearchIndex::open(&config.index_dir())?;
        if rebuild {
            let queued = crate::search::outbox::touch_all(&db).await?;
            tracing::info!(pieces = queued, "the search index is being rebuilt from the database");
        }
        let search_wake = Arc::new(tokio::sync::Notify::new());
        let mailer = match &config.smtp_url {
            Some(url) => Some(Arc::new(crate::mail::Mailer::new(url, &config.mail_from)?)),
            None => None,
        };
        Ok(AppState {
            db,
            storage: Arc::new(storage),
            config: Arc::new(config),
            jobs_wake,
            learner,
            search: Arc::new(search),
            search_wake,
            uploads: crate::slots::Slots::new(UPLOADS_PER_USER, UPLOADS),
            prints: crate::slots::Slots::new(1, PRINTS),
            last_probe: Default::default(),
            mailer,
        })
    }
}
