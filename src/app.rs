//! The composition root: `App` builds the shared state (`state::AppState`), starts the
//! background work (job workers with each job kind's handler, the indexer with the rows the
//! documents supply, the sweeper), merges each concern's routes, and serves them on an address
//! (port 0 in tests) until a shutdown signal, finishing the requests under way. Nothing below
//! imports this module.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use axum::http::StatusCode;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::error::AppError;
pub use crate::state::AppState;

/// The kinds of background job, each run by its concern.
pub const JOB_KINDS: &[crate::jobs::Kind] = &[crate::documents::understand::JOB];

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::health::router())
        .merge(crate::dossiers::router())
        .merge(crate::documents::router())
        .merge(crate::dossier_print::router())
        .merge(crate::search::router())
        .merge(crate::invoice::router())
        .merge(crate::companies::router())
        .merge(crate::web::router())
        .merge(crate::openapi::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A JSON problem under `/api/`, a page elsewhere (people type addresses).
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        AppError::new(StatusCode::NOT_FOUND, "route_not_found", "No such route.", "Cette adresse n'existe pas.")
            .into_response()
    } else {
        crate::web::not_found().into_response()
    }
}

async fn method_not_allowed() -> AppError {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This route does not take this method.",
        "Cette adresse n'accepte pas cette méthode.",
    )
}

pub struct App {
    listener: TcpListener,
    state: AppState,
}

impl App {
    pub async fn build(config: Config, listen: &str) -> anyhow::Result<App> {
        crate::search::bounds::quiet_parser_panics();
        let state = AppState::open(config).await?;
        // Before the first request: the lists' filter reads it (once, after migration 0017).
        let filled = crate::dossiers::sql::fill_search_text(&state.db).await?;
        if filled > 0 {
            tracing::info!(dossiers = filled, "the dossier lists' search text is filled in");
        }
        if let Err(error) = state.storage.check().await {
            tracing::warn!("the object store does not answer yet: {error:?}");
        }
        state.learner.retrain_later(state.db.clone());
        crate::storage::sweep::start_sweeper(state.config.storage_dir(), crate::storage::sweep::EVERY);
        crate::jobs::start_workers(state.clone(), JOB_KINDS, state.config.worker_count(), state.jobs_wake.clone());
        // The processes that do background work also index; the others only follow the index.
        if state.config.worker_count() > 0 {
            let rows = crate::documents::index::rows;
            crate::search::outbox::start_indexer(
                state.db.clone(),
                state.search.clone(),
                rows,
                state.search_wake.clone(),
            );
            // Invoices whose PDF a stop left unmade get it now, in the background; so do the
            // thumbnails of pieces read before thumbnails existed.
            let background = state.clone();
            tokio::spawn(async move {
                if let Err(error) = crate::invoice::pdf::render_missing(&background).await {
                    tracing::error!("cannot look for invoices without a PDF: {error:#}");
                }
                match crate::documents::understand::backfill_thumbnails(&background).await {
                    Ok(0) => {}
                    Ok(made) => tracing::info!(made, "thumbnails made for pieces read before they existed"),
                    Err(error) => tracing::warn!("thumbnails of earlier pieces: {error:#}"),
                }
            });
        } else {
            crate::search::outbox::start_reloader(state.search.clone());
        }
        let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        Ok(App { listener, state })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then lets the requests under way finish.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(
            address = %self.address(),
            storage = %self.state.storage.describe(),
            "pieces is listening"
        );
        let timeouts = self.state.config.timeouts;
        crate::serve::serve(self.listener, router(self.state), timeouts, shutdown)
            .await
            .context("the server stopped on an error")
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing the requests under way");
}
