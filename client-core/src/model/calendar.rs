//! Dates people keep: birthdays on the solar or the lunar calendar, and the traditional
//! holidays a rep greets key contacts on. Lunar dates are resolved with tyme4rs.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use chrono::{Datelike, NaiveDate};
use tyme4rs::tyme::lunar::{LunarDay, LunarMonth};

use super::records::Birthday;
use super::vocab::{Calendar, Occasion};

/// The years the lunar calendar is resolved for; tyme4rs panics far outside them.
pub const LUNAR_YEARS: std::ops::RangeInclusive<i32> = 1901..=2199;

/// A lunar date: year, month, day and whether in the leap month.
type LunarDate = (i32, u32, u32, bool);

/// The solar date of a lunar date. A leap month the year lacks falls back to the plain
/// month, and a 30th in a 29-day month to the 29th, as people celebrate them. `None`
/// outside [`LUNAR_YEARS`].
pub fn lunar_to_solar(year: i32, month: u32, day: u32, leap: bool) -> Option<NaiveDate> {
    if !LUNAR_YEARS.contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    // A lunar month has at most 30 days: later days resolve like the 30th.
    let key = (year, month, day.min(30), leap);
    // tyme4rs computes each date from astronomy, and a report resolves the same birthdays
    // and holidays again and again: each is worked out once per process. The keys are
    // bounded (LUNAR_YEARS × 12 months × 31 days × leap or not).
    static RESOLVED: LazyLock<Mutex<HashMap<LunarDate, Option<NaiveDate>>>> =
        LazyLock::new(Mutex::default);
    if let Some(known) = lock(&RESOLVED).get(&key) {
        return *known;
    }
    let resolved = resolve_lunar(key.0, key.1, key.2, key.3);
    lock(&RESOLVED).insert(key, resolved);
    resolved
}

/// The cache's map, also after a panic elsewhere while it was held (the map is only
/// ever inserted into whole entries, so it is never left half-written).
fn lock<K, V>(cache: &Mutex<HashMap<K, V>>) -> std::sync::MutexGuard<'_, HashMap<K, V>> {
    cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn resolve_lunar(year: i32, month: u32, day: u32, leap: bool) -> Option<NaiveDate> {
    let year = isize::try_from(year).ok()?;
    let plain = isize::try_from(month).ok()?;
    let month = if leap && LunarMonth::new(year, -plain).is_ok() {
        -plain
    } else {
        plain
    };
    let days = LunarMonth::new(year, month).ok()?.get_day_count();
    let day = usize::try_from(day).ok()?.min(days);
    let solar = LunarDay::new(year, month, day).ok()?.get_solar_day();
    NaiveDate::from_ymd_opt(
        i32::try_from(solar.get_year()).ok()?,
        u32::try_from(solar.get_month()).ok()?,
        u32::try_from(solar.get_day()).ok()?,
    )
}

/// The lunar year a solar date falls in.
fn lunar_year_of(date: NaiveDate) -> Option<i32> {
    if !LUNAR_YEARS.contains(&date.year()) {
        return None;
    }
    // Once per process and day, as above (bounded by the days of LUNAR_YEARS).
    static RESOLVED: LazyLock<Mutex<HashMap<NaiveDate, Option<i32>>>> =
        LazyLock::new(Mutex::default);
    if let Some(known) = lock(&RESOLVED).get(&date) {
        return *known;
    }
    let resolved = resolve_lunar_year(date);
    lock(&RESOLVED).insert(date, resolved);
    resolved
}

fn resolve_lunar_year(date: NaiveDate) -> Option<i32> {
    let solar = tyme4rs::tyme::solar::SolarDay::new(
        isize::try_from(date.year()).ok()?,
        usize::try_from(date.month()).ok()?,
        usize::try_from(date.day()).ok()?,
    )
    .ok()?;
    i32::try_from(solar.get_lunar_day().get_year()).ok()
}

/// The date of a traditional holiday in a (solar) year; `None` for a birthday.
pub fn holiday_date(occasion: Occasion, year: i32) -> Option<NaiveDate> {
    let lunar = |m, d| lunar_to_solar(year, m, d, false);
    match occasion {
        Occasion::SpringFestival => lunar(1, 1),
        Occasion::LanternFestival => lunar(1, 15),
        Occasion::DragonBoat => lunar(5, 5),
        Occasion::MidAutumn => lunar(8, 15),
        Occasion::DoubleNinth => lunar(9, 9),
        Occasion::NewYear => NaiveDate::from_ymd_opt(year, 1, 1),
        Occasion::NationalDay => NaiveDate::from_ymd_opt(year, 10, 1),
        Occasion::Birthday => None,
    }
}

/// Traditional holidays from `from` to `from + days` (inclusive), in date order.
pub fn holidays_between(from: NaiveDate, days: i64) -> Vec<(Occasion, NaiveDate)> {
    let to = from + chrono::Duration::days(days);
    let mut out: Vec<(Occasion, NaiveDate)> = Vec::new();
    for year in [from.year() - 1, from.year(), from.year() + 1] {
        for occasion in Occasion::ALL {
            if let Some(d) = holiday_date(*occasion, year)
                && d >= from
                && d <= to
                && !out.contains(&(*occasion, d))
            {
                out.push((*occasion, d));
            }
        }
    }
    out.sort_by_key(|(o, d)| (*d, *o));
    out
}

/// The next date on or after `from` (within `days`) that a birthday falls on.
pub fn next_birthday(birthday: Birthday, from: NaiveDate, days: i64) -> Option<NaiveDate> {
    let to = from + chrono::Duration::days(days);
    let month = u32::try_from(birthday.month).ok()?;
    let day = u32::try_from(birthday.day).ok()?;
    let candidates: Vec<NaiveDate> = match birthday.calendar {
        Calendar::Solar => [from.year(), from.year() + 1]
            .into_iter()
            .filter_map(|y| {
                // 29 February outside leap years is kept on the 28th.
                NaiveDate::from_ymd_opt(y, month, day)
                    .or_else(|| NaiveDate::from_ymd_opt(y, month, day.saturating_sub(1)))
            })
            .collect(),
        Calendar::Lunar => {
            let base = lunar_year_of(from)?;
            [base - 1, base, base + 1]
                .into_iter()
                .filter_map(|y| lunar_to_solar(y, month, day, birthday.leap_month))
                .collect()
        }
    };
    candidates
        .into_iter()
        .filter(|d| *d >= from && *d <= to)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn lunar_holidays_land_on_their_solar_dates() {
        assert_eq!(
            holiday_date(Occasion::MidAutumn, 2026),
            Some(date(2026, 9, 25))
        );
        assert_eq!(
            holiday_date(Occasion::SpringFestival, 2026),
            Some(date(2026, 2, 17))
        );
        assert_eq!(
            holiday_date(Occasion::DragonBoat, 2025),
            Some(date(2025, 5, 31))
        );
        assert_eq!(
            holiday_date(Occasion::NationalDay, 2026),
            Some(date(2026, 10, 1))
        );
    }

    #[test]
    fn the_next_fortnight_lists_each_holiday_once() {
        let found = holidays_between(date(2026, 9, 20), 14);
        assert_eq!(
            found,
            vec![
                (Occasion::MidAutumn, date(2026, 9, 25)),
                (Occasion::NationalDay, date(2026, 10, 1)),
            ]
        );
        // Spring Festival 2027 falls on 6 February.
        let found = holidays_between(date(2027, 1, 30), 14);
        assert!(
            found.contains(&(Occasion::SpringFestival, date(2027, 2, 6))),
            "{found:?}"
        );
    }

    #[test]
    fn lunar_birthdays_move_with_the_moon() {
        let b = Birthday {
            calendar: Calendar::Lunar,
            month: 8,
            day: 15,
            leap_month: false,
        };
        assert_eq!(
            next_birthday(b, date(2026, 9, 20), 14),
            Some(date(2026, 9, 25))
        );
        assert_eq!(next_birthday(b, date(2026, 9, 26), 14), None);
        // The 2025 leap sixth month exists; in 2026 the plain sixth month stands in.
        let leap = Birthday {
            calendar: Calendar::Lunar,
            month: 6,
            day: 1,
            leap_month: true,
        };
        assert!(lunar_to_solar(2025, 6, 1, true) != lunar_to_solar(2025, 6, 1, false));
        assert_eq!(
            lunar_to_solar(2026, 6, 1, true),
            lunar_to_solar(2026, 6, 1, false)
        );
        assert!(next_birthday(leap, date(2026, 1, 1), 366).is_some());
    }

    #[test]
    fn far_off_years_are_none_not_a_panic() {
        let b = Birthday {
            calendar: Calendar::Lunar,
            month: 8,
            day: 15,
            leap_month: false,
        };
        for year in [1, 1800, 2300, 9999] {
            let from = date(year, 6, 1);
            assert_eq!(next_birthday(b, from, 366), None, "{year}");
            assert!(
                holidays_between(from, 366)
                    .iter()
                    .all(|(o, _)| matches!(o, Occasion::NewYear | Occasion::NationalDay))
            );
        }
        assert_eq!(lunar_to_solar(2026, 13, 1, false), None);
    }

    #[test]
    fn solar_birthdays_wrap_the_year_end() {
        let b = Birthday {
            calendar: Calendar::Solar,
            month: 1,
            day: 3,
            leap_month: false,
        };
        assert_eq!(
            next_birthday(b, date(2026, 12, 25), 14),
            Some(date(2027, 1, 3))
        );
        let feb29 = Birthday {
            calendar: Calendar::Solar,
            month: 2,
            day: 29,
            leap_month: false,
        };
        assert_eq!(
            next_birthday(feb29, date(2026, 2, 20), 14),
            Some(date(2026, 2, 28))
        );
    }
}
