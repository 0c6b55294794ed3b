//! What the people who run a Rapport server watch: logs (human text, or JSON lines with
//! `RAPPORT_LOG_FORMAT=json`), a request id on every request, and Prometheus metrics.
//!
//! **Request ids.** Every request gets an id, echoed in the `X-Request-Id` response
//! header, and runs inside a `request` span carrying it, so every log line written while
//! it is handled names it (a push's work in the writer task too: see `writer`). A
//! well-formed `X-Request-Id` sent by the client is kept only with `--trust-request-id`,
//! for a proxy in front that sets one; otherwise the server makes a fresh UUID.
//!
//! **Metrics.** `GET /metrics` answers in Prometheus's text format. On the main listener
//! it exists only when `--metrics-token` is set, and asks for that token as a bearer
//! token (compared in constant time); without a token it is 404 there, like any unknown
//! path. `--metrics-listen ADDR` serves `/metrics` on a separate address as well (for a
//! private network or a sidecar), which asks for the token too when one is set. The
//! series are listed in docs/operations.md.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::error::ApiError;

/// The command line's telemetry settings.
#[derive(Debug, Clone, clap::Args)]
pub struct TelemetryArgs {
    /// Bearer token for `GET /metrics` (unset: /metrics is 404 on the main listener).
    #[arg(long, env = "RAPPORT_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Also serve `GET /metrics` on this address (asks for the token too when one is set).
    #[arg(long, env = "RAPPORT_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Keep a well-formed `X-Request-Id` the client sends (set it behind a proxy you trust
    /// that sets one); otherwise each request gets a fresh id.
    #[arg(long, env = "RAPPORT_TRUST_REQUEST_ID")]
    pub trust_request_id: bool,
}

/// Installs the log subscriber: `RAPPORT_LOG` filters (default `info`, `warn` for the
/// admin commands, so their output is only what they print and any error), colours only
/// on a terminal, JSON lines with `RAPPORT_LOG_FORMAT=json`.
pub fn init_logging(admin: bool) {
    let default = if admin { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAPPORT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let format = std::env::var("RAPPORT_LOG_FORMAT").unwrap_or_default();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format.to_ascii_lowercase().as_str() {
        "json" => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
        "" | "text" => builder.init(),
        other => {
            builder.init();
            tracing::warn!("RAPPORT_LOG_FORMAT={other} is neither text nor json: logging text");
        }
    }
}

/// Histogram buckets of request and sync durations, in seconds.
const SECONDS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Histogram buckets of sync request and response sizes, in bytes.
const BYTES: [f64; 9] = [
    256.0,
    1024.0,
    4096.0,
    16384.0,
    65536.0,
    262_144.0,
    1_048_576.0,
    4_194_304.0,
    16_777_216.0,
];

/// What `/metrics` reads at scrape time, beyond the series recorded as things happen.
#[derive(Clone)]
pub struct Watched {
    /// The database pool, for its connections idle and in use.
    pub db: sea_orm::DatabaseConnection,
    /// The sign-in queue (see `App::sign_in_queue`) and its number of places.
    pub sign_in_queue: std::sync::Arc<tokio::sync::Semaphore>,
    pub sign_in_places: usize,
}

/// What `/metrics` needs.
#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    token: Option<[u8; 32]>,
    watched: Watched,
}

/// Adds request ids, request metrics and `/metrics` to the service; with
/// `--metrics-listen`, serves `/metrics` there too.
pub async fn instrument(
    router: Router,
    args: &TelemetryArgs,
    watched: Watched,
) -> anyhow::Result<Router> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)?
        .set_buckets_for_metric(Matcher::Suffix("_bytes".into()), &BYTES)?
        .install_recorder()?;
    // The series alerts are written on exist from the start, at zero.
    counter!("rapport_changes_accepted_total").absolute(0);
    counter!("rapport_sign_ins_failed_total").absolute(0);
    gauge!("rapport_writer_queue_depth").set(0.0);
    let scrape = Scrape {
        handle,
        token: args
            .metrics_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| Sha256::digest(t.as_bytes()).into()),
        watched,
    };
    let metrics = Router::new()
        .route("/metrics", get(metrics_page))
        .with_state(scrape.clone());
    if let Some(addr) = args.metrics_listen {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        // Tests and scripts read this line to find the port.
        println!("Metrics on http://{}/metrics", listener.local_addr()?);
        let only_metrics = metrics
            .clone()
            .fallback(|| async { ApiError::NotFound("only /metrics is served here".into()) });
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, only_metrics).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let router = if scrape.token.is_some() {
        router.merge(metrics)
    } else {
        router
    };
    let trust = args.trust_request_id;
    Ok(router
        .layer(axum::middleware::from_fn(count_request))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| request_id(trust, req, next),
        )))
}

/// `GET /metrics`: the Prometheus text format, for the bearer of the metrics token.
async fn metrics_page(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(expected) = &scrape.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(|t| <[u8; 32]>::from(Sha256::digest(t.as_bytes())));
        // Digests of equal length, compared without stopping at the first difference.
        let same =
            given.is_some_and(|g| g.iter().zip(expected).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0);
        if !same {
            return ApiError::Unauthorized("scraping /metrics needs the metrics token".into())
                .into_response();
        }
    }
    observe(&scrape.watched);
    scrape.handle.run_upkeep();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        scrape.handle.render(),
    )
        .into_response()
}

/// Gauges read at scrape time: the database pool and the sign-in queue.
fn observe(watched: &Watched) {
    let (size, idle) = if crate::db::is_sqlite(&watched.db) {
        let pool = watched.db.get_sqlite_connection_pool();
        (pool.size(), pool.num_idle())
    } else {
        let pool = watched.db.get_postgres_connection_pool();
        (pool.size(), pool.num_idle())
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    gauge!("rapport_db_pool_connections", "state" => "idle").set(f64::from(idle));
    gauge!("rapport_db_pool_connections", "state" => "in_use").set(f64::from(size - idle));
    let places = watched.sign_in_places.max(1);
    let taken = places.saturating_sub(watched.sign_in_queue.available_permits());
    gauge!("rapport_sign_in_queue_taken").set(taken as f64);
    gauge!("rapport_sign_in_queue_places").set(places as f64);
}

/// The method as a label: the standard ones by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts every request by route template (never the raw path), method and status, and
/// times it; a 429 also counts as a rate-limit refusal.
async fn count_request(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(req.method());
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status();
    counter!(
        "rapport_http_requests_total",
        "route" => route.clone(),
        "method" => method,
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    histogram!("rapport_http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    if status == StatusCode::TOO_MANY_REQUESTS {
        counter!("rapport_rate_limited_total", "route" => route).increment(1);
    }
    resp
}

/// Whether a client's request id may be kept: 1 to 64 letters, digits, `-`, `_` or `.`.
fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Gives the request its id, runs it in a span naming the id, and echoes it.
async fn request_id(trust: bool, mut req: Request, next: Next) -> Response {
    const X_REQUEST_ID: &str = "x-request-id";
    let given = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| trust && well_formed(id))
        .map(str::to_owned);
    let id = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let Ok(value) = HeaderValue::from_str(&id) else {
        return next.run(req).await;
    };
    req.headers_mut().insert(X_REQUEST_ID, value.clone());
    // At error level so the span (and the id) is there whatever level the log shows.
    let span = tracing::error_span!("request", request_id = %id);
    let mut resp = next.run(req).instrument(span).await;
    resp.headers_mut().insert(X_REQUEST_ID, value);
    resp
}

/// What a sync request did, for the metrics: its duration, sizes, and per pushed
/// document the number of changes it carried and the outcome.
pub fn sync_done<'a>(
    started: Instant,
    request_bytes: usize,
    response_bytes: usize,
    pushed: impl IntoIterator<Item = (usize, &'a rapport_client_core::protocol::Outcome)>,
) {
    use rapport_client_core::protocol::Outcome;
    histogram!("rapport_sync_duration_seconds").record(started.elapsed().as_secs_f64());
    histogram!("rapport_sync_request_bytes").record(request_bytes as f64);
    histogram!("rapport_sync_response_bytes").record(response_bytes as f64);
    for (changes, outcome) in pushed {
        let n = u64::try_from(changes).unwrap_or(u64::MAX);
        match outcome {
            Outcome::Accepted => counter!("rapport_changes_accepted_total").increment(n),
            Outcome::Rejected { code, .. } => {
                counter!("rapport_changes_rejected_total", "code" => code.clone()).increment(n);
            }
        }
    }
}

/// A sign-in refused for a wrong user name or password (or an inactive user).
pub fn sign_in_failed() {
    counter!("rapport_sign_ins_failed_total").increment(1);
}

/// The writer's queue (SQLite): a push joined it (`+1`) or was taken from it (`-1`).
pub fn writer_queue(delta: f64) {
    gauge!("rapport_writer_queue_depth").increment(delta);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(well_formed("7f1c2a9e-3b4d-4c5e-8f60-1a2b3c4d5e6f"));
        assert!(well_formed("lb.abc_123"));
        assert!(!well_formed(""));
        assert!(!well_formed(&"a".repeat(65)));
        assert!(!well_formed("two words"));
        assert!(!well_formed("line\nbreak"));
        assert!(!well_formed("quote\"d"));
    }
}
