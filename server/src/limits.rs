//! Rate limits (governor, in this process's memory: with several processes behind a load
//! balancer each counts its own share; they protect the server, not correctness): the
//! requests of each signed-in user, sign-in attempts per address, company and user name,
//! and failed sign-ins per address and per account ([`FailureLimiter`]). A refusal is
//! 429 with the seconds to wait.

use std::num::NonZeroU32;

use crate::error::{ApiError, ApiResult};

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

/// Keys a limiter keeps before it forgets those that are back to a full allowance.
const LIMITER_KEYS: usize = 10_000;

fn limiter(quota: Option<RateQuota>) -> Option<KeyedLimiter> {
    quota.map(|q| {
        governor::RateLimiter::keyed(governor::Quota::per_minute(q.per_minute).allow_burst(q.burst))
    })
}

/// The request rates of [`Limit`], each `None` when turned off.
pub struct RateLimits {
    user: Option<KeyedLimiter>,
    sign_in: Option<KeyedLimiter>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").finish_non_exhaustive()
    }
}

impl RateLimits {
    pub fn new(user: Option<RateQuota>, sign_in: Option<RateQuota>) -> RateLimits {
        RateLimits {
            user: limiter(user),
            sign_in: limiter(sign_in),
        }
    }

    /// Counts one request against `limit` for `key`; refused with 429 and the seconds to
    /// wait when the allowance is spent.
    pub fn check(&self, limit: Limit, key: &str) -> ApiResult<()> {
        use governor::clock::Clock;
        let limiter = match limit {
            Limit::User => &self.user,
            Limit::SignIn => &self.sign_in,
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
