//! Small readers for what reps type: dates, birthdays, amounts, ratings, periods, yes/no,
//! and "clear this field".
//!
//! Each is a pure function returning `None` (or an error naming the bad entry) for input
//! it cannot read, so the command that called it can say, in the user's language, what it
//! expected. They accept the spellings people use on a phone: `2026-11-27` or `+7` for a
//! date, `08-15` or `8/15` for a birthday, `12,800` or `1.5万` for an amount, `是` for yes.

use chrono::{Datelike, NaiveDate};

/// Words that clear an optional field in an edit: `none`, `-`, `无`, or an empty value.
pub fn is_clear(typed: &str) -> bool {
    let t = typed.trim();
    t.is_empty() || t.eq_ignore_ascii_case("none") || t == "-" || t == "无"
}

/// Reads a field that an edit may also clear: `Ok(None)` clears, `Ok(Some(v))` sets,
/// `Err(())` means the text is neither.
pub fn clearable<T>(typed: &str, read: impl FnOnce(&str) -> Option<T>) -> Result<Option<T>, ()> {
    if is_clear(typed) {
        Ok(None)
    } else {
        read(typed).map(Some).ok_or(())
    }
}

/// A calendar date: `2026-11-27` (also `2026/11/27`), `today`, `tomorrow`, or `+N` days
/// (`+3`, `+3d`), `+Nw` weeks, from `today`. Chinese `今天`, `明天`, `后天` too.
pub fn parse_date(typed: &str, today: NaiveDate) -> Option<NaiveDate> {
    let t = typed.trim().to_lowercase();
    match t.as_str() {
        "today" | "今天" => return Some(today),
        "tomorrow" | "明天" => return today.succ_opt(),
        "后天" => return today.succ_opt()?.succ_opt(),
        _ => {}
    }
    if let Some(rest) = t.strip_prefix('+') {
        let (n, unit) = match rest.strip_suffix('w') {
            Some(n) => (n, 7),
            None => (rest.strip_suffix('d').unwrap_or(rest), 1),
        };
        let n: i64 = n.parse().ok()?;
        if !(0..=3660).contains(&n) {
            return None;
        }
        return today.checked_add_signed(chrono::Duration::days(n * unit));
    }
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(&t, f).ok())
        .filter(|d| (2000..2100).contains(&d.year()))
}

/// A month and day as kept for a birthday: `08-15`, `8-15`, `8/15` or `8月15日`. A solar
/// day must exist in a leap year (29 February is fine); a lunar month has at most 30 days.
pub fn parse_month_day(typed: &str, lunar: bool) -> Option<(u32, u32)> {
    let t = typed.trim().trim_end_matches(['日', '号']);
    let (m, d) = t
        .split_once('-')
        .or_else(|| t.split_once('/'))
        .or_else(|| t.split_once('月'))?;
    let month: u32 = m.trim().parse().ok()?;
    let day: u32 = d.trim().parse().ok()?;
    let valid = if lunar {
        (1..=12).contains(&month) && (1..=30).contains(&day)
    } else {
        NaiveDate::from_ymd_opt(2000, month, day).is_some()
    };
    valid.then_some((month, day))
}

/// A number as people write it: `12800`, `12,800`, `1.5万` (×10 000), `2亿`, with an
/// optional `¥`. Only finite numbers.
pub fn parse_number(typed: &str) -> Option<f64> {
    let t: String = typed
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '，'))
        .collect();
    let (digits, scale) = if let Some(n) = t.strip_suffix('万') {
        (n, 1e4)
    } else if let Some(n) = t.strip_suffix('亿') {
        (n, 1e8)
    } else {
        (t.as_str(), 1.0)
    };
    let v: f64 = digits.parse().ok()?;
    let v = v * scale;
    v.is_finite().then_some(v)
}

/// An amount of money: a number of zero or more (below the library's 10^15 ceiling).
pub fn parse_amount(typed: &str) -> Option<f64> {
    parse_number(typed).filter(|v| (0.0..1e15).contains(v))
}

/// A whole count of zero or more.
pub fn parse_count(typed: &str) -> Option<i64> {
    let v = parse_number(typed)?;
    (v >= 0.0 && v.fract() == 0.0 && v < 1e15).then_some(v as i64)
}

/// A score on the value scorecard: 1 to 5.
pub fn parse_rating(typed: &str) -> Option<i64> {
    typed
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|v| (1..=5).contains(v))
}

/// Days between visits: 1 to 366.
pub fn parse_cadence(typed: &str) -> Option<i64> {
    typed
        .trim()
        .trim_end_matches(['d', '天'])
        .parse::<i64>()
        .ok()
        .filter(|v| (1..=366).contains(v))
}

/// A period of figures, normalised: `2026`, `2026-Q3` (also typed `2026q3`), `2026-11`
/// (also `2026-1`, `2026/11`).
pub fn parse_period(typed: &str) -> Option<String> {
    let t = typed.trim().to_ascii_uppercase().replace('/', "-");
    let year = t.get(..4)?;
    if !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = t.get(4..)?;
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    if rest.is_empty() {
        return Some(year.to_owned());
    }
    if let Some(q) = rest.strip_prefix('Q') {
        return matches!(q, "1" | "2" | "3" | "4").then(|| format!("{year}-Q{q}"));
    }
    if rest.len() > 2 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month: u32 = rest.parse().ok()?;
    (1..=12)
        .contains(&month)
        .then(|| format!("{year}-{month:02}"))
}

/// Yes or no: `yes`/`no`, `y`/`n`, `true`/`false`, `1`/`0`, `是`/`否`.
pub fn parse_yes_no(typed: &str) -> Option<bool> {
    match typed.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "是" | "对" => Some(true),
        "no" | "n" | "false" | "0" | "否" | "不" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn dates_are_absolute_or_counted_from_today() {
        let today = d(2026, 11, 27);
        assert_eq!(parse_date("2026-12-03", today), Some(d(2026, 12, 3)));
        assert_eq!(parse_date(" 2026/12/03 ", today), Some(d(2026, 12, 3)));
        assert_eq!(parse_date("today", today), Some(today));
        assert_eq!(parse_date("明天", today), Some(d(2026, 11, 28)));
        assert_eq!(parse_date("后天", today), Some(d(2026, 11, 29)));
        assert_eq!(parse_date("+7", today), Some(d(2026, 12, 4)));
        assert_eq!(parse_date("+7d", today), Some(d(2026, 12, 4)));
        assert_eq!(parse_date("+2w", today), Some(d(2026, 12, 11)));
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "12-03",
            "+x",
            "-3",
            "1999-01-01",
            "",
        ] {
            assert_eq!(parse_date(bad, today), None, "{bad}");
        }
    }

    #[test]
    fn birthdays_read_as_month_and_day() {
        assert_eq!(parse_month_day("08-15", false), Some((8, 15)));
        assert_eq!(parse_month_day("8/5", false), Some((8, 5)));
        assert_eq!(parse_month_day("8月15日", true), Some((8, 15)));
        assert_eq!(parse_month_day("02-29", false), Some((2, 29)));
        assert_eq!(parse_month_day("02-30", false), None);
        assert_eq!(parse_month_day("02-30", true), Some((2, 30)));
        assert_eq!(parse_month_day("01-31", true), None);
        assert_eq!(parse_month_day("13-01", false), None);
        assert_eq!(parse_month_day("0815", false), None);
    }

    #[test]
    fn numbers_accept_separators_and_chinese_units() {
        assert_eq!(parse_number("12,800"), Some(12800.0));
        assert_eq!(parse_number("¥ 300.5"), Some(300.5));
        assert_eq!(parse_number("1.5万"), Some(15000.0));
        assert_eq!(parse_number("2亿"), Some(2e8));
        assert_eq!(parse_number("-4"), Some(-4.0));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_amount("-4"), None);
        assert_eq!(parse_amount("0"), Some(0.0));
        assert_eq!(parse_count("12"), Some(12));
        assert_eq!(parse_count("1.5"), None);
        assert_eq!(parse_count("-1"), None);
    }

    #[test]
    fn ratings_cadences_and_yes_no() {
        assert_eq!(parse_rating("3"), Some(3));
        assert_eq!(parse_rating("0"), None);
        assert_eq!(parse_rating("6"), None);
        assert_eq!(parse_cadence("14"), Some(14));
        assert_eq!(parse_cadence("14d"), Some(14));
        assert_eq!(parse_cadence("0"), None);
        assert_eq!(parse_cadence("367"), None);
        assert_eq!(parse_yes_no("Yes"), Some(true));
        assert_eq!(parse_yes_no("否"), Some(false));
        assert_eq!(parse_yes_no("maybe"), None);
    }

    #[test]
    fn periods_are_normalised() {
        assert_eq!(parse_period("2026").as_deref(), Some("2026"));
        assert_eq!(parse_period("2026-Q3").as_deref(), Some("2026-Q3"));
        assert_eq!(parse_period("2026q3").as_deref(), Some("2026-Q3"));
        assert_eq!(parse_period("2026-1").as_deref(), Some("2026-01"));
        assert_eq!(parse_period("2026/11").as_deref(), Some("2026-11"));
        for bad in [
            "2026-Q5", "2026-13", "2026-00", "26", "20x6", "2026-123", "",
        ] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
    }

    #[test]
    fn clearing_words_clear_and_others_are_read() {
        assert!(is_clear(""));
        assert!(is_clear(" none "));
        assert!(is_clear("无"));
        assert!(!is_clear("no"));
        assert_eq!(clearable("none", parse_rating), Ok(None));
        assert_eq!(clearable("4", parse_rating), Ok(Some(4)));
        assert_eq!(clearable("9", parse_rating), Err(()));
    }
}
