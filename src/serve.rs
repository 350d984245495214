//! The HTTP server's own bounds, so that no client can hold the service ([`Timeouts`]): a
//! connection must send a request's headers in time (also while it idles between requests), a
//! body must not pause too long between two chunks, and a request has a deadline (longer for an
//! upload); a stop waits 30 s at most for the requests under way. Before these, unauthenticated connections sending a header byte a second
//! were all still open after 75 s.
//!
//! `serve` accepts connections (HTTP/1.1) and serves `router` on each until `shutdown`
//! completes, then lets the requests under way finish.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::error::AppError;

/// How long a stop waits for the requests under way.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Time to send a request's headers, from the moment the connection waits for them.
    pub headers: Duration,
    /// The longest pause within a request's body.
    pub body_pause: Duration,
    /// The time to answer a request (a dossier printed with its pieces takes the longest).
    pub request: Duration,
    /// The time to send and store an upload.
    pub upload: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            headers: Duration::from_secs(15),
            body_pause: Duration::from_secs(30),
            request: Duration::from_secs(120),
            // 25 MiB at 350 kbit/s.
            upload: Duration::from_secs(600),
        }
    }
}

/// Adds the request bounds to `router`: the pause within a body, and the deadline.
pub fn bounded(router: Router, timeouts: Timeouts) -> Router {
    router
        .layer(axum::middleware::from_fn_with_state(timeouts, deadline))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(timeouts.body_pause))
}

/// Answers 503 `request_timeout` when the request is not answered in time.
async fn deadline(State(timeouts): State<Timeouts>, request: Request, next: Next) -> Response {
    // The route, not a header the client chooses, says whether this is an upload.
    let upload = request.method() == Method::POST && request.uri().path().ends_with("/documents");
    let limit = if upload { timeouts.upload } else { timeouts.request };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            format!("The request was not completed within {} s.", limit.as_secs()),
            format!("La requête n'a pas abouti en {} s.", limit.as_secs()),
        )
        .into_response(),
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then waits for the connections'
/// requests under way.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = bounded(router, timeouts);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(timeouts.headers);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a little rather than spin.
                    tracing::warn!("cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, "connection closed: {error}");
            }
        });
    }
    drop(listener);
    // A client that never reads its answer (or a slow upload) must not hold the stop for good.
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still under way after {} s: stopping anyway", SHUTDOWN_GRACE.as_secs());
    }
    Ok(())
}
