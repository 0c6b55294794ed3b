//! The application state and the router that merges every area's routes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Keys;

/// Settings the running service needs (the command line's, parsed once).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Lifetime of access tokens.
    pub access_ttl: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_ttl: Duration,
    /// Issuer of access tokens (and required of them).
    pub issuer: String,
    /// Lets `POST /v1/admin/companies` create companies when set.
    pub operator_token: Option<String>,
    /// Most changes one sync response carries before it pages.
    pub pull_page_changes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_body_bytes: 16 * 1024 * 1024,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(60 * 24 * 3600),
            issuer: "rapport".into(),
            operator_token: None,
            pull_page_changes: 2000,
        }
    }
}

pub struct App {
    pub db: DatabaseConnection,
    pub keys: Keys,
    pub settings: Settings,
    /// SQLite allows one writer at a time; taking this lock before a write transaction
    /// queues writers in the process instead of failing them with "database is locked".
    /// PostgreSQL needs none (row locks order a tenant's writers).
    write_lock: Option<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

/// The cheap, cloneable handle every handler receives.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    pub async fn new(db: DatabaseConnection, settings: Settings) -> anyhow::Result<AppState> {
        let keys = Keys::load_or_create(&db).await?;
        let write_lock = crate::db::is_sqlite(&db).then(|| tokio::sync::Mutex::new(()));
        Ok(AppState(Arc::new(App {
            db,
            keys,
            settings,
            write_lock,
        })))
    }
}

impl App {
    /// Serialises write transactions on SQLite; a no-op on PostgreSQL.
    pub async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(l) => Some(l.lock().await),
            None => None,
        }
    }
}

/// The whole HTTP service.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::auth::router())
        .merge(crate::sync::router())
        .merge(crate::admin::router())
        .merge(crate::reports::router())
        .merge(crate::dashboard::router())
        .merge(crate::openapi::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> crate::error::ApiResult<&'static str> {
    use sea_orm::ConnectionTrait;
    state.db.execute_unprepared("SELECT 1").await?;
    Ok("ok")
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::NotFound("no such endpoint".into())
}
