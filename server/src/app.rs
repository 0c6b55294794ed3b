//! The application state and the router that merges every area's routes.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Keys;
use crate::error::{ApiError, ApiResult};

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
    /// Requests one signed-in user may make (`None`: unlimited).
    pub user_rate: Option<RateQuota>,
    /// Sign-in attempts per address, company and user name (`None`: unlimited).
    pub sign_in_rate: Option<RateQuota>,
    /// Most bytes one user's pushes may add to stored records (document snapshots).
    pub user_storage_quota: u64,
    /// Failed sign-ins per address, across user names (`None`: unlimited).
    pub sign_in_address_rate: Option<RateQuota>,
    /// Failed sign-ins per company and user name, across addresses (`None`: unlimited).
    pub sign_in_account_rate: Option<RateQuota>,
    /// Password checks waiting or running at once; beyond, sign-ins are refused with 503.
    pub sign_in_queue: usize,
    /// Longest a request may take, body included, before it is answered 408.
    pub request_timeout: Duration,
}

/// The default storage quota per user: 64 MiB. A rep's year of records takes about
/// 2 MiB (docs/BENCHMARKS.md's one-year company), so this leaves decades of room while
/// keeping one account from filling the server's disk.
pub const DEFAULT_USER_STORAGE_QUOTA: u64 = 64 * 1024 * 1024;

/// A rate: so many a minute on average, with bursts of up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl RateQuota {
    /// `per_minute` a minute with bursts of `burst` (a minute's worth when `None`); `None`
    /// when `per_minute` is 0, which turns the limit off.
    pub fn new(per_minute: u32, burst: Option<u32>) -> Option<RateQuota> {
        let per_minute = NonZeroU32::new(per_minute)?;
        let burst = burst.and_then(NonZeroU32::new).unwrap_or(per_minute);
        Some(RateQuota { per_minute, burst })
    }
}

/// Which rate a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Every authenticated request, keyed by user id.
    User,
    /// `POST /v1/auth/login` and the dashboard's sign-in, keyed by address, company and
    /// user name.
    SignIn,
}

type KeyedLimiter = governor::DefaultKeyedRateLimiter<String>;

/// Stripes of the sign-in turns (see [`App::sign_in_turn`]).
const SIGN_IN_TURNS: usize = 64;

/// Keys a limiter keeps before it forgets those that are back to a full allowance.
const LIMITER_KEYS: usize = 10_000;

fn limiter(quota: Option<RateQuota>) -> Option<KeyedLimiter> {
    quota.map(|q| {
        governor::RateLimiter::keyed(governor::Quota::per_minute(q.per_minute).allow_burst(q.burst))
    })
}

/// Requests a minute one user may make by default: far above what a rep's phone, the
/// dashboard or a script syncing in a loop needs, well below what hurts the server.
pub const DEFAULT_USER_RATE: u32 = 1200;
/// Sign-in attempts a minute per address, company and user name by default.
pub const DEFAULT_SIGN_IN_RATE: u32 = 30;
/// Failed sign-ins a minute from one address, across user names, by default: enough for
/// an office behind one address (successful sign-ins do not count), too few to spray a
/// password over a company's user names.
pub const DEFAULT_SIGN_IN_ADDRESS_RATE: u32 = 30;
/// Failed sign-ins a minute on one user name, across addresses, by default.
pub const DEFAULT_SIGN_IN_ACCOUNT_RATE: u32 = 20;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_body_bytes: 16 * 1024 * 1024,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(60 * 24 * 3600),
            issuer: "rapport".into(),
            operator_token: None,
            pull_page_changes: 2000,
            user_rate: RateQuota::new(DEFAULT_USER_RATE, None),
            sign_in_rate: RateQuota::new(DEFAULT_SIGN_IN_RATE, None),
            user_storage_quota: DEFAULT_USER_STORAGE_QUOTA,
            sign_in_address_rate: RateQuota::new(DEFAULT_SIGN_IN_ADDRESS_RATE, None),
            sign_in_account_rate: RateQuota::new(DEFAULT_SIGN_IN_ACCOUNT_RATE, None),
            sign_in_queue: 32 * crate::cpu::cores(),
            request_timeout: Duration::from_secs(60),
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
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
    /// Runs pushes' transactions, grouping their commits on SQLite.
    pub writer: crate::writer::Writer,
    /// Rate limits, in this process's memory: with several processes behind a load
    /// balancer each counts its own share (they guard the server, not correctness).
    user_limiter: Option<KeyedLimiter>,
    sign_in_limiter: Option<KeyedLimiter>,
    /// Failed sign-ins per address and per account (see [`FailureLimiter`]).
    pub sign_in_address_failures: Option<FailureLimiter>,
    pub sign_in_account_failures: Option<FailureLimiter>,
    /// Sign-ins of one account take their turn (striped by account, with keys random
    /// per process): a flood on one account checks its passwords one at a time, and each
    /// waiting attempt sees the failures before it, so at most the account's allowance of
    /// wrong passwords is ever hashed.
    sign_in_turns: Box<[tokio::sync::Mutex<()>]>,
    sign_in_turn_keys: std::hash::RandomState,
    /// Places for password checks, waiting or running: a flood is refused when they are
    /// taken instead of queueing behind Argon2.
    pub sign_in_queue: Arc<tokio::sync::Semaphore>,
    /// How long a password check usually takes (µs, a moving average): a sign-in for a
    /// user that does not exist waits as long, without hashing anything.
    pub typical_password_check_us: std::sync::atomic::AtomicU64,
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
        let write_lock = crate::db::is_sqlite(&db).then(|| Arc::new(tokio::sync::Mutex::new(())));
        let writer = crate::writer::Writer::new(db.clone(), write_lock.clone());
        let user_limiter = limiter(settings.user_rate);
        let sign_in_limiter = limiter(settings.sign_in_rate);
        let sign_in_address_failures = settings.sign_in_address_rate.map(FailureLimiter::new);
        let sign_in_account_failures = settings.sign_in_account_rate.map(FailureLimiter::new);
        let sign_in_queue = Arc::new(tokio::sync::Semaphore::new(settings.sign_in_queue.max(1)));
        Ok(AppState(Arc::new(App {
            db,
            keys,
            settings,
            write_lock,
            writer,
            user_limiter,
            sign_in_limiter,
            sign_in_address_failures,
            sign_in_account_failures,
            sign_in_queue,
            sign_in_turns: (0..SIGN_IN_TURNS)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            sign_in_turn_keys: std::hash::RandomState::new(),
            typical_password_check_us: std::sync::atomic::AtomicU64::new(50_000),
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

    /// Waits for the turn of sign-ins to the account `key`.
    pub async fn sign_in_turn(&self, key: &str) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::BuildHasher;
        let n = self.sign_in_turns.len().max(1) as u64;
        let stripe = usize::try_from(self.sign_in_turn_keys.hash_one(key) % n).unwrap_or(0);
        self.sign_in_turns[stripe].lock().await
    }

    /// Counts one request against `limit` for `key`; refused with 429 and the seconds to
    /// wait when the allowance is spent.
    pub fn check_rate(&self, limit: Limit, key: &str) -> ApiResult<()> {
        use governor::clock::Clock;
        let limiter = match limit {
            Limit::User => &self.user_limiter,
            Limit::SignIn => &self.sign_in_limiter,
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        if limiter.len() > LIMITER_KEYS {
            limiter.retain_recent();
        }
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            ApiError::TooManyRequests {
                retry_after: wait
                    .as_secs()
                    .saturating_add(u64::from(wait.subsec_nanos() > 0))
                    .max(1),
            }
        })
    }
}

/// A limit on failures per key: a bucket that drains at `per_minute` and holds `burst`
/// failures. An attempt is checked before anything costly is done and refused while the
/// bucket is full; only a failed attempt fills it, so successful sign-ins (an office's
/// morning behind one address) never count. Attempts already under way when the bucket
/// fills still fail into it, up to twice its size, which bounds the wait that follows.
pub struct FailureLimiter {
    quota: RateQuota,
    buckets: std::sync::Mutex<std::collections::HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
    at: std::time::Instant,
}

impl std::fmt::Debug for FailureLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureLimiter")
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

impl FailureLimiter {
    pub fn new(quota: RateQuota) -> FailureLimiter {
        FailureLimiter {
            quota,
            buckets: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn per_sec(&self) -> f64 {
        f64::from(self.quota.per_minute.get()) / 60.0
    }

    fn burst(&self) -> f64 {
        f64::from(self.quota.burst.get())
    }

    fn level(&self, b: Option<&Bucket>, now: std::time::Instant) -> f64 {
        b.map_or(0.0, |b| {
            (b.level - now.duration_since(b.at).as_secs_f64() * self.per_sec()).max(0.0)
        })
    }

    fn buckets(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Bucket>> {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Refused, with the seconds to wait, while `key`'s bucket is full.
    pub fn check(&self, key: &str) -> ApiResult<()> {
        let now = std::time::Instant::now();
        let level = self.level(self.buckets().get(key), now);
        if level + 1.0 > self.burst() {
            let wait = (level + 1.0 - self.burst()) / self.per_sec();
            // Whole seconds, at least one (`wait` is small and positive here).
            let retry_after = (wait.ceil() as u64).max(1);
            return Err(ApiError::TooManyRequests { retry_after });
        }
        Ok(())
    }

    /// Counts a failure against `key`.
    pub fn failed(&self, key: &str) {
        let now = std::time::Instant::now();
        let mut buckets = self.buckets();
        if buckets.len() > LIMITER_KEYS {
            buckets.retain(|_, b| self.level(Some(b), now) > 0.0);
        }
        let level = (self.level(buckets.get(key), now) + 1.0).min(2.0 * self.burst());
        buckets.insert(key.to_owned(), Bucket { level, at: now });
    }
}

/// The whole HTTP service.
pub fn router(state: AppState) -> Router {
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
