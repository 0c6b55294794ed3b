//! `rapport due`: what needs the rep soon, grouped the way a rep plans the week: visits
//! (overdue ones first and highlighted), next steps promised in visits, key people's
//! birthdays, and the traditional holidays to greet them on.
//!
//! The list is `Client::due`.

use anyhow::Result;
use chrono::NaiveDate;
use rapport_client_core::model::Contact;
use rapport_client_core::{Due, DueItem};

use super::{Ctx, abbr, days_from_today, out_table, relative_day, today};
use crate::i18n::{Lang, M, paren, t, tf};
use crate::ids;
use crate::table::{self, one_line, render};
use crate::terms::Term;

/// The due list of the library.
fn due_items(ctx: &Ctx, today: NaiveDate, days: i64) -> Result<Vec<DueItem>> {
    Ok(ctx.client.due(today, days)?)
}

/// "overdue since 2026-11-20 (7 days ago)", "today", "2026-12-01 (in 4 days)".
fn due_text(lang: Lang, date: NaiveDate, today: NaiveDate) -> String {
    if date < today {
        tf(
            lang,
            M::OverdueSinceAgo,
            &[("date", &date), ("ago", &relative_day(lang, date, today))],
        )
    } else if date == today {
        t(lang, M::Today).to_owned()
    } else {
        paren(lang, &date.to_string(), &relative_day(lang, date, today))
    }
}

/// Whether to colour overdue lines: on a terminal, unless `NO_COLOR` is set.
fn colour() -> bool {
    use std::io::IsTerminal as _;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub(super) fn run(ctx: &Ctx, days: i64) -> Result<()> {
    let lang = ctx.lang;
    let today = today();
    let horizon = today + chrono::Duration::days(days);
    let items = due_items(ctx, today, days)?;

    out!(
        "{}",
        tf(
            lang,
            M::DueHeading,
            &[("from", &today), ("to", &horizon), ("days", &days)]
        )
    );
    if items.is_empty() {
        out!("{}", t(lang, M::NothingDue));
        return Ok(());
    }
    let abbr = abbr(ctx)?;
    let colour = colour();
    let account = |i: &DueItem| i.account_name.as_deref().map(one_line).unwrap_or_default();

    // Visits.
    let visits: Vec<&DueItem> = items
        .iter()
        .filter(|i| matches!(i.what, Due::Visit { .. }))
        .collect();
    let overdue = visits
        .iter()
        .filter(|i| {
            i.date < today
                || matches!(
                    i.what,
                    Due::Visit {
                        last_visit: None,
                        ..
                    }
                )
        })
        .count();
    if !visits.is_empty() {
        out!("");
        out!(
            "{}",
            tf(
                lang,
                M::DueVisitsHeading,
                &[("n", &visits.len()), ("overdue", &overdue)]
            )
        );
        let mut hot = Vec::new();
        let rows: Vec<Vec<String>> = visits
            .iter()
            .enumerate()
            .map(|(row, i)| {
                let Due::Visit {
                    last_visit,
                    cadence_days,
                } = &i.what
                else {
                    return Vec::new();
                };
                let (due, last) = match last_visit {
                    Some(last) => (
                        due_text(lang, i.date, today),
                        paren(lang, &last.to_string(), &days_from_today(lang, *last)),
                    ),
                    None => (
                        t(lang, M::DueNow).to_owned(),
                        t(lang, M::NeverVisited).to_owned(),
                    ),
                };
                if i.date < today || last_visit.is_none() {
                    hot.push(row);
                }
                vec![
                    due,
                    account(i),
                    last,
                    if *cadence_days == 1 {
                        t(lang, M::EveryDay).to_owned()
                    } else {
                        tf(lang, M::EveryDays, &[("n", cadence_days)])
                    },
                ]
            })
            .collect();
        let headers = [
            t(lang, M::ColDue),
            t(lang, M::ColAccount),
            t(lang, M::ColLastVisit),
            t(lang, M::ColCadence),
        ];
        let rendered = table::indent(&render(&headers, &rows, &[]));
        out_table(&if colour {
            table::highlight_rows(&rendered, &hot)
        } else {
            rendered
        })?;
    }

    // Next steps.
    let steps: Vec<&DueItem> = items
        .iter()
        .filter(|i| matches!(i.what, Due::NextStep { .. }))
        .collect();
    if !steps.is_empty() {
        out!("");
        out!("{}", tf(lang, M::DueStepsHeading, &[("n", &steps.len())]));
        let mut hot = Vec::new();
        let rows: Vec<Vec<String>> = steps
            .iter()
            .enumerate()
            .map(|(row, i)| {
                let Due::NextStep { visit_id, step } = &i.what else {
                    return Vec::new();
                };
                if i.date < today {
                    hot.push(row);
                }
                vec![
                    due_text(lang, i.date, today),
                    account(i),
                    one_line(step),
                    ids::short(&abbr, visit_id).to_owned(),
                ]
            })
            .collect();
        let headers = [
            t(lang, M::ColDue),
            t(lang, M::ColAccount),
            t(lang, M::ColNextStep),
            t(lang, M::ColVisit),
        ];
        let rendered = table::indent(&render(&headers, &rows, &[]));
        out_table(&if colour {
            table::highlight_rows(&rendered, &hot)
        } else {
            rendered
        })?;
    }

    // Birthdays.
    let birthdays: Vec<&DueItem> = items
        .iter()
        .filter(|i| matches!(i.what, Due::Birthday { .. }))
        .collect();
    if !birthdays.is_empty() {
        out!("");
        out!(
            "{}",
            tf(lang, M::DueBirthdaysHeading, &[("n", &birthdays.len())])
        );
        let rows: Vec<Vec<String>> = birthdays
            .iter()
            .map(|i| {
                let Due::Birthday {
                    contact_id,
                    contact_name,
                } = &i.what
                else {
                    return Vec::new();
                };
                let kept = ctx
                    .client
                    .get::<Contact>(contact_id)
                    .ok()
                    .and_then(|c| c.vip_card.and_then(|card| card.birthday))
                    .map(|b| {
                        let md = format!("{:02}-{:02}", b.month, b.day);
                        format!("{} {md}", b.calendar.name(lang))
                    })
                    .unwrap_or_default();
                vec![
                    due_text(lang, i.date, today),
                    one_line(contact_name),
                    account(i),
                    kept,
                    ids::short(&abbr, contact_id).to_owned(),
                ]
            })
            .collect();
        let headers = [
            t(lang, M::ColDue),
            t(lang, M::ColContact),
            t(lang, M::ColAccount),
            t(lang, M::ColBirthday),
            t(lang, M::ColId),
        ];
        out_table(&table::indent(&render(&headers, &rows, &[])))?;
    }

    // Holidays.
    let holidays: Vec<&DueItem> = items
        .iter()
        .filter(|i| matches!(i.what, Due::Holiday(_)))
        .collect();
    if !holidays.is_empty() {
        out!("");
        let key = ctx
            .client
            .list::<Contact>(None)?
            .iter()
            .filter(|c| c.record.key_contact)
            .count();
        out!("{}", tf(lang, M::DueHolidaysHeading, &[("key", &key)]));
        let rows: Vec<Vec<String>> = holidays
            .iter()
            .map(|i| match &i.what {
                Due::Holiday(o) => vec![due_text(lang, i.date, today), o.name(lang).to_owned()],
                _ => Vec::new(),
            })
            .collect();
        let headers = [t(lang, M::ColDue), t(lang, M::ColOccasion)];
        out_table(&table::indent(&render(&headers, &rows, &[])))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn due_dates_read_as_overdue_today_or_ahead() {
        let today = d(2026, 11, 27);
        assert!(due_text(Lang::En, d(2026, 11, 20), today).starts_with("OVERDUE since 2026-11-20"));
        assert!(due_text(Lang::Zh, d(2026, 11, 20), today).starts_with("已逾期"));
        assert_eq!(
            due_text(Lang::En, d(2026, 11, 20), today),
            "OVERDUE since 2026-11-20 (7 days ago)"
        );
        assert_eq!(due_text(Lang::En, today, today), "today");
        assert_eq!(
            due_text(Lang::Zh, d(2026, 11, 29), today),
            "2026-11-29（2 天后）"
        );
    }
}
