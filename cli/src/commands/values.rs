//! Reading option values: the method's closed lists, amounts, dates and `--at` times,
//! each refused with the accepted values in the user's language; and the relative days
//! ("in 2 days") output shows.

use anyhow::Result;
use rapport_client_core::model::LocalTime;

use super::fail;
use crate::i18n::{Lang, M, t, tf};
use crate::parse;
use crate::terms::{self, Term};
use crate::when::{self, AtError};

/// The error for a value an option cannot take, saying what it takes.
fn bad_value(lang: Lang, flag: &str, typed: &str, expected: &str) -> anyhow::Error {
    fail(tf(
        lang,
        M::BadValue,
        &[
            ("flag", &format!("--{flag}")),
            ("value", &typed),
            ("expected", &expected),
        ],
    ))
}

/// Reads one value of a closed list.
pub(super) fn term<T: Term>(lang: Lang, flag: &str, typed: &str) -> Result<T> {
    terms::parse_term::<T>(typed).ok_or_else(|| {
        let expected = tf(lang, M::OneOf, &[("choices", &terms::choices::<T>(lang))]);
        bad_value(lang, flag, typed, &expected)
    })
}

/// Reads one value of a closed list, or `none` to clear.
pub(super) fn clear_term<T: Term>(lang: Lang, flag: &str, typed: &str) -> Result<Option<T>> {
    if parse::is_clear(typed) {
        Ok(None)
    } else {
        term(lang, flag, typed).map(Some)
    }
}

/// Reads a comma-separated list of values of a closed list.
pub(super) fn term_list<T: Term>(lang: Lang, flag: &str, typed: &str) -> Result<Vec<T>> {
    terms::parse_terms::<T>(typed).map_err(|bad| {
        let expected = tf(lang, M::OneOf, &[("choices", &terms::choices::<T>(lang))]);
        bad_value(lang, flag, &bad, &expected)
    })
}

/// Reads a value with `read`; `expected` says what it should have been.
pub(super) fn value<T>(
    lang: Lang,
    flag: &str,
    typed: &str,
    read: impl FnOnce(&str) -> Option<T>,
    expected: M,
) -> Result<T> {
    read(typed).ok_or_else(|| bad_value(lang, flag, typed, t(lang, expected)))
}

/// Reads a value with `read`, or `none` to clear.
pub(super) fn clear_value<T>(
    lang: Lang,
    flag: &str,
    typed: &str,
    read: impl FnOnce(&str) -> Option<T>,
    expected: M,
) -> Result<Option<T>> {
    parse::clearable(typed, read).map_err(|()| bad_value(lang, flag, typed, t(lang, expected)))
}

/// `Some("")` clears an optional text field; `Some(text)` sets it.
pub(super) fn optional_text(value: String) -> Option<String> {
    if value.trim().is_empty() {
        None
    } else {
        Some(value)
    }
}

/// The device's calendar date today.
pub(super) fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Reads a `YYYY-MM-DD` (or `+7`, `tomorrow`) date option as the text records keep.
pub(super) fn date_text(lang: Lang, flag: &str, typed: &str) -> Result<String> {
    let today = today();
    value(
        lang,
        flag,
        typed,
        |s| parse::parse_date(s, today),
        M::ExpectDate,
    )
    .map(|d| d.format("%Y-%m-%d").to_string())
}

/// When a record happened: `--at` as typed, or now. Warns when it is in the future.
pub(super) fn occurred(lang: Lang, at: Option<&str>) -> Result<LocalTime> {
    let at = match at {
        Some(s) => parse_at(lang, s)?,
        None => chrono::Local::now().fixed_offset(),
    };
    if at > chrono::Utc::now() + chrono::Duration::hours(1) {
        crate::warn(
            lang,
            M::FutureTime,
            &[("at", &when::format_local(LocalTime::from_datetime(&at)))],
        );
    }
    Ok(LocalTime::from_datetime(&at))
}

pub(super) fn parse_at(lang: Lang, typed: &str) -> Result<chrono::DateTime<chrono::FixedOffset>> {
    when::parse_at(typed).map_err(|e| {
        let key = match e {
            AtError::NoOffset => M::AtNoOffset,
            AtError::Unreadable => M::BadAt,
        };
        fail(tf(lang, key, &[("at", &typed)]))
    })
}

/// "3 days ago", "today", "in 2 days", counted from the device's today.
pub(super) fn days_from_today(lang: Lang, date: chrono::NaiveDate) -> String {
    relative_day(lang, date, today())
}

/// "3 days ago", "today", "in 2 days", counted from `today`.
pub(super) fn relative_day(
    lang: Lang,
    date: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> String {
    let n = (date - today).num_days();
    match n {
        0 => t(lang, M::Today).to_owned(),
        1 => t(lang, M::Tomorrow).to_owned(),
        -1 => t(lang, M::Yesterday).to_owned(),
        n if n < 0 => tf(lang, M::DaysAgo, &[("n", &-n)]),
        n => tf(lang, M::InDays, &[("n", &n)]),
    }
}

/// Yes or no in the user's language.
pub(super) fn yes_no(lang: Lang, b: bool) -> &'static str {
    t(lang, if b { M::Yes } else { M::No })
}
