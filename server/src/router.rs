//! The whole HTTP service, assembled: every area's routes, `/healthz`, the answer for
//! unknown paths, and the layers around them (body limit, timeout, the one JSON error
//! shape, tracing; then request ids, request metrics and `/metrics`). The top of the
//! server's layers: nothing else imports it.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use sea_orm::ConnectionTrait;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::telemetry::{self, TelemetryArgs};

/// The service the listener serves: [`router`] with telemetry around it.
pub async fn service(state: AppState, telemetry: &TelemetryArgs) -> anyhow::Result<Router> {
    let watched = telemetry::Watched {
        db: state.db.clone(),
        sign_in_queue: state.sign_in_queue.clone(),
        sign_in_places: state.settings.sign_in_queue,
    };
    telemetry::instrument(router(state), telemetry, watched).await
}

/// Every route of the service, with the layers that shape its answers.
fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    let timeout = state.settings.request_timeout;
    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::auth::router())
        .merge(crate::sync::router())
        .merge(crate::admin::router())
        .merge(crate::import::router())
        .merge(crate::reports::router())
        .merge(crate::dashboard::router())
        .merge(crate::openapi::router())
        .merge(crate::webapp::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Outside the others, so the answers they make (408, 413, …) get a JSON body too.
        .layer(axum::middleware::map_response(crate::error::json_errors))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> ApiResult<&'static str> {
    state.db.execute_unprepared("SELECT 1").await?;
    Ok("ok")
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}
