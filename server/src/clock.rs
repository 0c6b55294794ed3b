//! The one place the server reads the time of day.
//!
//! Handlers read it through the state's [`Clock`] (`app.clock.now_ms()`); code with no
//! state at hand (a storage helper, a background sweep) calls [`now_ms`] here. Either
//! way the wall clock is read in this module alone, so what Rapport stamps on rows
//! (created, revoked, corrected at) and what it compares with stored times (token
//! expiry, "today" in a company's zone) come from one source. Measuring how long
//! something took uses `std::time::Instant`, which is not a time of day.

use chrono::{DateTime, Utc};

/// The time source of a running server: the system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock;

impl Clock {
    /// Now, in UTC.
    pub fn now(self) -> DateTime<Utc> {
        now()
    }

    /// Now, as Unix milliseconds (how rows store times).
    pub fn now_ms(self) -> i64 {
        now_ms()
    }
}

/// Now, in UTC, where no [`Clock`] is at hand.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Now, as Unix milliseconds, where no [`Clock`] is at hand.
pub fn now_ms() -> i64 {
    now().timestamp_millis()
}
