//! The periods reports are counted in: ISO weeks (`2026-W48`) and calendar months
//! (`2026-11`), each resolved to instants in the company's time zone.
//!
//! A period starts at local midnight of its first day and ends at local midnight of the
//! day after its last, so a visit at 23:30 on Sunday local time counts in the week that
//! Sunday ends, wherever the server runs. Where a daylight-saving change skips midnight
//! (America/Sao_Paulo until 2019, America/Havana), a day starts at its first instant that
//! exists.
//!
//! This module is at the bottom of the server's layers: it knows dates, zones and the
//! error type, nothing else of the server.

use chrono::{Datelike, NaiveDate, TimeZone, Weekday};

use crate::error::{ApiError, ApiResult};

/// Parses `2026-W48` into the Monday of that ISO week.
pub fn parse_iso_week(s: &str) -> Option<NaiveDate> {
    let (year, week) = s.split_once("-W")?;
    let year: i32 = year.parse().ok()?;
    let week: u32 = week.parse().ok()?;
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
}

/// The ISO week holding `day`, as `2026-W48` (the ISO year, which around New Year may not
/// be the calendar year of `day`).
pub fn format_iso_week(day: NaiveDate) -> String {
    let w = day.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The Monday of the ISO week holding `day`.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// The month (`2026-11`) an ISO week belongs to: its Thursday's.
pub fn month_of_week(monday: NaiveDate) -> String {
    (monday + chrono::Duration::days(3))
        .format("%Y-%m")
        .to_string()
}

/// The start of `day` in `tz`: local midnight, or where a DST change skips midnight, the
/// first instant of the day that exists (a gap is never longer than three hours).
pub fn day_start(tz: chrono_tz::Tz, day: NaiveDate) -> Option<chrono::DateTime<chrono_tz::Tz>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    (0..=3)
        .filter_map(|h| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                .earliest()
        })
        .next()
}

/// [`day_start`] in Unix milliseconds.
pub fn day_start_ms(tz: chrono_tz::Tz, day: NaiveDate) -> Option<i64> {
    day_start(tz, day).map(|t| t.timestamp_millis())
}

/// The calendar month holding `day`: its first day and the first day of the next month.
pub fn month_bounds(day: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1)?;
    let next = if day.month() == 12 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)?
    };
    Some((first, next))
}

/// A reporting period (an ISO week or a calendar month), resolved to instants in the
/// company's time zone.
#[derive(Debug, Clone)]
pub struct Window {
    /// `2026-W48` or `2026-11`.
    pub label: String,
    pub first_day: NaiveDate,
    /// The day after the last.
    pub end_day: NaiveDate,
    pub start_ms: i64,
    pub end_ms: i64,
    /// The calendar month holding the period's last day ("this month" metrics).
    pub month_start_ms: i64,
    pub month_end_ms: i64,
    pub tz: chrono_tz::Tz,
    pub weekly: bool,
}

impl Window {
    /// Parses `2026-W48` or `2026-11`; when `None`, the week holding `now` (the server's
    /// clock) in `tz`.
    pub fn parse(
        period: Option<&str>,
        tz: chrono_tz::Tz,
        now: chrono::DateTime<chrono::Utc>,
    ) -> ApiResult<Window> {
        Window::parse_on(period, tz, now.with_timezone(&tz).date_naive())
    }

    /// [`Window::parse`] on the day `today` (the current week is the week holding it).
    /// Periods run from 2000 to 2099, the years records may carry (see the model's time
    /// check).
    pub fn parse_on(
        period: Option<&str>,
        tz: chrono_tz::Tz,
        today: NaiveDate,
    ) -> ApiResult<Window> {
        let bad = || {
            ApiError::Unprocessable(format!(
                "'{}' is not a period like 2026-W48 (ISO week) or 2026-11 (month)",
                period.unwrap_or("")
            ))
        };
        let (first_day, end_day, weekly) = match period {
            None => week_days(monday_of(today)),
            Some(p) if p.contains("-W") => week_days(parse_iso_week(p).ok_or_else(bad)?),
            Some(p) => {
                let day =
                    NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d").map_err(|_| bad())?;
                let (first, next) = month_bounds(day).ok_or_else(bad)?;
                (first, next, false)
            }
        };
        if !(2000..2100).contains(&first_day.year()) {
            return Err(ApiError::Unprocessable(
                "periods run from 2000 to 2099".into(),
            ));
        }
        let (month_first, month_next) =
            month_bounds(end_day - chrono::Duration::days(1)).ok_or_else(bad)?;
        let ms = |d: NaiveDate| day_start_ms(tz, d).ok_or_else(bad);
        Ok(Window {
            label: if weekly {
                format_iso_week(first_day)
            } else {
                first_day.format("%Y-%m").to_string()
            },
            first_day,
            end_day,
            start_ms: ms(first_day)?,
            end_ms: ms(end_day)?,
            month_start_ms: ms(month_first)?,
            month_end_ms: ms(month_next)?,
            tz,
            weekly,
        })
    }

    /// How many days the period has.
    pub fn days(&self) -> i64 {
        (self.end_day - self.first_day).num_days()
    }

    /// The Monday of the ISO week holding the period's last day: where a weekly trend
    /// that covers the period ends.
    pub fn last_monday(&self) -> NaiveDate {
        monday_of(self.end_day - chrono::Duration::days(1))
    }

    /// Whether the instant `ms` falls in the period.
    pub fn holds(&self, ms: i64) -> bool {
        ms >= self.start_ms && ms < self.end_ms
    }

    /// Whether the instant `ms` falls in the calendar month holding the period's last day.
    pub fn month_holds(&self, ms: i64) -> bool {
        ms >= self.month_start_ms && ms < self.month_end_ms
    }
}

/// The week starting on `monday`: its first day, the day after its last, and `weekly`.
fn week_days(monday: NaiveDate) -> (NaiveDate, NaiveDate, bool) {
    (monday, monday + chrono::Duration::days(7), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn weeks_belong_to_their_thursdays_month() {
        assert_eq!(month_of_week(date(2026, 11, 30)), "2026-12");
        assert_eq!(month_of_week(date(2026, 11, 23)), "2026-11");
    }

    fn zone(name: &str) -> chrono_tz::Tz {
        name.parse().expect("zone")
    }

    /// An instant in UTC, as `2026-11-22 16:00:00`.
    fn utc(ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms)
            .expect("instant")
            .naive_utc()
            .to_string()
    }

    #[test]
    fn iso_weeks_parse_and_format() {
        let monday = parse_iso_week("2026-W48").expect("valid week");
        assert_eq!(monday, date(2026, 11, 23));
        assert_eq!(format_iso_week(monday), "2026-W48");
        // ISO week 1 of 2027 starts on 2027-01-04; week 53 of 2026 exists.
        assert_eq!(parse_iso_week("2026-W53"), Some(date(2026, 12, 28)));
        for bad in ["2026-48", "2026-W0", "2026-W54", "x-W01", ""] {
            assert_eq!(parse_iso_week(bad), None, "{bad}");
        }
    }

    #[test]
    fn week_53_and_new_year_belong_to_the_iso_year() {
        // 2026 has 53 ISO weeks, 2025 only 52.
        assert_eq!(parse_iso_week("2025-W53"), None);
        assert_eq!(format_iso_week(date(2027, 1, 3)), "2026-W53");
        assert_eq!(format_iso_week(date(2027, 1, 4)), "2027-W01");
        // 2024-12-30 is in week 1 of 2025.
        assert_eq!(format_iso_week(date(2024, 12, 31)), "2025-W01");
        assert_eq!(monday_of(date(2027, 1, 3)), date(2026, 12, 28));
        let w = Window::parse_on(Some("2026-W53"), zone("UTC"), date(2026, 1, 1)).expect("week");
        assert_eq!(
            (w.first_day, w.end_day),
            (date(2026, 12, 28), date(2027, 1, 4))
        );
        // "This month" is the month of the week's last day.
        assert_eq!(utc(w.month_start_ms), "2027-01-01 00:00:00");
        assert_eq!(utc(w.month_end_ms), "2027-02-01 00:00:00");
        assert_eq!(w.last_monday(), date(2026, 12, 28));
    }

    #[test]
    fn months_end_where_the_calendar_says() {
        assert_eq!(
            month_bounds(date(2026, 12, 31)),
            Some((date(2026, 12, 1), date(2027, 1, 1)))
        );
        assert_eq!(
            month_bounds(date(2028, 2, 29)),
            Some((date(2028, 2, 1), date(2028, 3, 1)))
        );
        let feb = Window::parse_on(Some("2027-02"), zone("UTC"), date(2026, 1, 1)).expect("month");
        assert_eq!(
            (feb.label.as_str(), feb.days(), feb.weekly),
            ("2027-02", 28, false)
        );
        assert_eq!(
            (feb.start_ms, feb.end_ms),
            (feb.month_start_ms, feb.month_end_ms)
        );
        // A month's trend ends with the week of its last day.
        assert_eq!(feb.last_monday(), date(2027, 2, 22));
    }

    #[test]
    fn weeks_start_at_local_midnight() {
        let start = day_start(zone("Asia/Shanghai"), date(2026, 11, 23)).expect("exists");
        assert_eq!(start.naive_utc().to_string(), "2026-11-22 16:00:00");
    }

    #[test]
    fn a_day_whose_midnight_dst_skips_starts_at_its_first_instant() {
        // São Paulo moved its clocks from 00:00 to 01:00 on 2018-11-04 (UTC−3 to UTC−2).
        let sao_paulo = zone("America/Sao_Paulo");
        let start = day_start_ms(sao_paulo, date(2018, 11, 4)).expect("exists");
        assert_eq!(utc(start), "2018-11-04 03:00:00");
        // Havana, 2019-03-10: 00:00 became 01:00 (UTC−5 to UTC−4).
        let havana = day_start_ms(zone("America/Havana"), date(2019, 3, 10)).expect("exists");
        assert_eq!(utc(havana), "2019-03-10 05:00:00");
        // The week holding that day is seven local days long, less the hour skipped.
        let w = Window::parse_on(Some("2018-W44"), sao_paulo, date(2018, 1, 1)).expect("week");
        assert_eq!(w.first_day, date(2018, 10, 29));
        assert_eq!(w.end_ms - w.start_ms, (7 * 24 - 1) * 3_600_000);
    }

    #[test]
    fn the_current_week_is_the_week_of_today() {
        let w = Window::parse_on(None, zone("Asia/Shanghai"), date(2026, 11, 29)).expect("week");
        assert_eq!((w.label.as_str(), w.weekly), ("2026-W48", true));
        assert_eq!(utc(w.start_ms), "2026-11-22 16:00:00");
        assert!(w.holds(w.start_ms) && !w.holds(w.end_ms));
    }

    #[test]
    fn periods_outside_2000_to_2099_or_malformed_are_refused() {
        let tz = zone("UTC");
        let today = date(2026, 1, 1);
        for bad in [
            "1999-12",
            "2100-W01",
            "2026-13",
            "2026-W54",
            "last week",
            "",
        ] {
            assert!(Window::parse_on(Some(bad), tz, today).is_err(), "{bad}");
        }
    }
}
