//! What every page shows the same way: dates and times in the company's zone, money,
//! percentages, "n days ago", links to an account or a rep, the heading of a list and the
//! line shown for an empty one.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use maud::{Markup, html};

use super::super::enc;
use super::super::i18n::Lang;

/// The dash shown where a value is missing.
pub const NONE: &str = "—";

fn local(ms: i64, tz: Tz) -> Option<chrono::DateTime<Tz>> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&tz))
}

/// `2026-11-27`, the company's calendar day of an instant.
pub fn day(ms: i64, tz: Tz) -> String {
    local(ms, tz).map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

/// `2026-11-27 10:30`, an instant on the company's clock.
pub fn time(ms: i64, tz: Tz) -> String {
    local(ms, tz).map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M").to_string())
}

/// A share as a whole percentage: `0.75` → `75%`.
pub fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Yuan, with cents only when there are some.
pub fn money(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("¥{v:.0}")
    } else {
        format!("¥{v:.2}")
    }
}

/// "(n days ago)" from `now`; nothing for a moment in the future.
pub fn ago(l: Lang, ms: i64, now: i64) -> String {
    let days = (now - ms).div_euclid(86_400_000);
    match (l, days) {
        (_, d) if d < 0 => String::new(),
        (Lang::En, 0) => "today".into(),
        (Lang::Zh, 0) => "今天".into(),
        (Lang::En, 1) => "yesterday".into(),
        (Lang::Zh, 1) => "昨天".into(),
        (Lang::En, d) => format!("{d} days ago"),
        (Lang::Zh, d) => format!("{d} 天前"),
    }
}

/// The short name of a day of the week.
pub fn weekday(l: Lang, d: NaiveDate) -> &'static str {
    let i = d.weekday().num_days_from_monday() as usize;
    match l {
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i % 7],
        Lang::Zh => ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][i % 7],
    }
}

/// At most `max` characters of `s`, with an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// The page of an account.
pub fn account_href(id: &str) -> String {
    format!("/dashboard/accounts/{}", enc(id))
}

/// The scorecard of a rep for a period (`2026-W48` or `2026-11`).
pub fn rep_href(id: &str, period: &str) -> String {
    format!("/dashboard/reps/{}?period={}", enc(id), enc(period))
}

/// A link to an account under its name.
pub fn account_link(id: &str, name: &str) -> Markup {
    html! { a href=(account_href(id)) { (name) } }
}

/// The heading of a list: title, how many, and its CSV export.
pub fn list_head(l: Lang, title: &str, count: usize, csv: Option<&str>) -> Markup {
    html! {
        h2 {
            span { (title) " " span.count { "(" (count) ")" } }
            @if let Some(href) = csv {
                (csv_link(l, href))
            }
        }
    }
}

/// The download link of a list's CSV export.
pub fn csv_link(l: Lang, href: &str) -> Markup {
    html! { a.csv href=(href) download { (l.t("CSV", "导出 CSV")) } }
}

/// The line an empty list shows instead of its table.
pub fn empty(l: Lang, en: &str, zh: &str) -> Markup {
    html! { p.empty { (l.t(en, zh)) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_shows_cents_only_when_there_are_some() {
        assert_eq!(money(1200.0), "¥1200");
        assert_eq!(money(99.5), "¥99.50");
    }

    #[test]
    fn days_ago_read_in_both_languages() {
        let day = 86_400_000;
        let now = 10 * day;
        assert_eq!(ago(Lang::En, now, now), "today");
        assert_eq!(ago(Lang::Zh, now - day, now), "昨天");
        assert_eq!(ago(Lang::En, now - 3 * day, now), "3 days ago");
        assert_eq!(ago(Lang::En, now + day, now), "");
    }

    #[test]
    fn long_texts_are_cut_by_characters() {
        assert_eq!(shorten("拜访客户", 2), "拜访…");
        assert_eq!(shorten("short", 80), "short");
    }

    #[test]
    fn list_heads_count_and_link_their_export() {
        let head = list_head(Lang::En, "Overdue", 3, Some("/x.csv")).into_string();
        assert!(head.contains("(3)"), "{head}");
        assert!(
            head.contains(r#"<a class="csv" href="/x.csv" download>CSV</a>"#),
            "{head}"
        );
        let head = list_head(Lang::Zh, "超期", 0, None).into_string();
        assert!(!head.contains("csv"), "{head}");
    }

    #[test]
    fn account_links_escape_names_and_encode_ids() {
        let link = account_link("a b", "<Acme & Co>").into_string();
        assert_eq!(
            link,
            r#"<a href="/dashboard/accounts/a%20b">&lt;Acme &amp; Co&gt;</a>"#
        );
    }
}
