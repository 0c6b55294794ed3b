//! Times as reps type and read them.
//!
//! A visit keeps the UTC offset of the place it happened, so a visit logged in Shanghai
//! reads 10:30 +08:00 wherever it is later viewed. Typed times must therefore carry their
//! offset: a bare `10:30` is refused rather than silently read in whatever zone the laptop
//! happens to be set to.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Weekday};
use rapport_client_core::model::LocalTime;

/// Why a typed `--at` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtError {
    /// A date and time without a UTC offset.
    NoOffset,
    Unreadable,
}

/// Parses an RFC 3339 time with its offset (`2026-11-27T10:30:00+08:00`). A space instead
/// of `T`, and leaving out the seconds, are accepted because that is how people type.
pub fn parse_at(s: &str) -> Result<DateTime<FixedOffset>, AtError> {
    let s = s.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        return Ok(at);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%d %H:%M%#z",
        "%Y-%m-%d %H:%M:%S%#z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(s, fmt) {
            return Ok(at);
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if NaiveDateTime::parse_from_str(s, fmt).is_ok() {
            return Err(AtError::NoOffset);
        }
    }
    Err(AtError::Unreadable)
}

/// `2026-11-27 10:30 +08:00`: the local time where it happened, with its offset.
pub fn format_local(at: LocalTime) -> String {
    match at.to_datetime() {
        Some(dt) => dt.format("%Y-%m-%d %H:%M %:z").to_string(),
        None => format!("@{} ms", at.utc_ms),
    }
}

/// The calendar date where it happened, `2026-11-27`.
pub fn format_date(at: LocalTime) -> String {
    match at.to_datetime() {
        Some(dt) => dt.date_naive().to_string(),
        None => format!("@{} ms", at.utc_ms),
    }
}

/// The calendar date where it happened.
pub fn local_date(at: LocalTime) -> Option<NaiveDate> {
    at.to_datetime().map(|dt| dt.date_naive())
}

/// A device-side instant (Unix milliseconds) in this computer's time zone.
pub fn format_device_ms(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(utc) => utc
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string(),
        None => format!("@{ms} ms"),
    }
}

/// Checks and normalises an ISO week (`2026-W48`, also typed `2026-w48`), so a typo is
/// caught before going to the server.
pub fn parse_week(s: &str) -> Option<String> {
    let upper = s.trim().to_ascii_uppercase();
    let (year, week) = upper.split_once("-W")?;
    if year.len() != 4 || week.is_empty() || week.len() > 2 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let week: u32 = week.parse().ok()?;
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)?;
    Some(format!("{year}-W{week:02}"))
}

/// The calendar date of an RFC 3339 time as written (in its own offset), or the text as
/// given when it does not parse. `minus_days` steps back, to show a week's last day from
/// the following Monday.
pub fn date_of(rfc3339: &str, minus_days: i64) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(dt) => (dt.date_naive() - chrono::Duration::days(minus_days)).to_string(),
        Err(_) => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_keep_their_offset() {
        let at = parse_at("2026-11-27T10:30:00+08:00").expect("valid");
        assert_eq!(at.offset().local_minus_utc(), 8 * 3600);
        let lt = LocalTime::from_datetime(&at);
        assert_eq!(lt.offset_min, 480);
        assert_eq!(format_local(lt), "2026-11-27 10:30 +08:00");
        // Early morning in Shanghai is still the previous day in UTC.
        let early = LocalTime::from_datetime(&parse_at("2026-11-27T07:00+08:00").expect("valid"));
        assert_eq!(format_date(early), "2026-11-27");
        assert_eq!(local_date(early), NaiveDate::from_ymd_opt(2026, 11, 27));
        assert_eq!(
            parse_at("2026-11-27T02:30:00Z").map(|a| a.timestamp()),
            Ok(at.timestamp())
        );
        assert_eq!(
            parse_at("2026-11-26T21:00:00-05:30").map(|a| a.offset().local_minus_utc()),
            Ok(-(5 * 3600 + 1800))
        );
    }

    #[test]
    fn typed_shortcuts_are_accepted() {
        let full = parse_at("2026-11-27T10:30:00+08:00").expect("valid");
        assert_eq!(parse_at("2026-11-27 10:30:00+08:00"), Ok(full));
        assert_eq!(parse_at("2026-11-27T10:30+08:00"), Ok(full));
        assert_eq!(parse_at("2026-11-27 10:30+08:00"), Ok(full));
        assert_eq!(parse_at(" 2026-11-27T10:30+0800 "), Ok(full));
    }

    #[test]
    fn times_without_offset_or_nonsense_are_refused() {
        assert_eq!(parse_at("2026-11-27T10:30:00"), Err(AtError::NoOffset));
        assert_eq!(parse_at("2026-11-27 10:30"), Err(AtError::NoOffset));
        assert_eq!(parse_at("yesterday"), Err(AtError::Unreadable));
        assert_eq!(
            parse_at("2026-13-27T10:30:00+08:00"),
            Err(AtError::Unreadable)
        );
        assert_eq!(parse_at(""), Err(AtError::Unreadable));
    }

    #[test]
    fn weeks_are_checked_and_normalised() {
        assert_eq!(parse_week("2026-W48").as_deref(), Some("2026-W48"));
        assert_eq!(parse_week("2026-w48").as_deref(), Some("2026-W48"));
        assert_eq!(parse_week("2026-W5").as_deref(), Some("2026-W05"));
        assert_eq!(parse_week("2026-W53").as_deref(), Some("2026-W53"));
        for bad in [
            "2025-W53", "2026-W00", "2026-W54", "2026W48", "26-W48", "2026-W", "x",
        ] {
            assert_eq!(parse_week(bad), None, "{bad}");
        }
    }

    #[test]
    fn report_dates_read_in_their_own_offset() {
        assert_eq!(date_of("2026-11-23T00:00:00+08:00", 0), "2026-11-23");
        assert_eq!(date_of("2026-11-30T00:00:00+08:00", 1), "2026-11-29");
        assert_eq!(date_of("garbage", 1), "garbage");
    }
}
