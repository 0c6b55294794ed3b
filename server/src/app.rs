//! The application state every handler receives: the database, the signing key, the
//! settings, the clock, the writer and the limits that guard the server.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::error::ApiResult;
use crate::keys::Keys;
use crate::limits::{
    DEFAULT_SIGN_IN_ACCOUNT_RATE, DEFAULT_SIGN_IN_ADDRESS_RATE, DEFAULT_SIGN_IN_RATE,
    DEFAULT_USER_RATE, FailureLimiter, Limit, RateLimits, RateQuota,
};

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

/// Stripes of the sign-in turns (see [`App::sign_in_turn`]).
const SIGN_IN_TURNS: usize = 64;

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
    /// The time of day, read here by whatever has the state (see [`crate::clock`]).
    pub clock: Clock,
    /// SQLite allows one writer at a time; taking this lock before a write transaction
    /// queues writers in the process instead of failing them with "database is locked".
    /// PostgreSQL needs none (row locks order a tenant's writers).
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
    /// Runs pushes' transactions, grouping their commits on SQLite.
    pub writer: crate::writer::Writer,
    /// Rate limits, in this process's memory: with several processes behind a load
    /// balancer each counts its own share (they guard the server, not correctness).
    rate_limits: RateLimits,
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
        let rate_limits = RateLimits::new(settings.user_rate, settings.sign_in_rate);
        let sign_in_address_failures = settings.sign_in_address_rate.map(FailureLimiter::new);
        let sign_in_account_failures = settings.sign_in_account_rate.map(FailureLimiter::new);
        let sign_in_queue = Arc::new(tokio::sync::Semaphore::new(settings.sign_in_queue.max(1)));
        Ok(AppState(Arc::new(App {
            db,
            keys,
            settings,
            clock: Clock,
            write_lock,
            writer,
            rate_limits,
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

    /// Counts one request against `limit` for `key` (see [`RateLimits::check`]).
    pub fn check_rate(&self, limit: Limit, key: &str) -> ApiResult<()> {
        self.rate_limits.check(limit, key)
    }
}
