//! `rapport due`: what needs the rep soon, grouped the way a rep plans the week: visits
//! (overdue ones first and highlighted), next steps promised in visits, key people's
//! birthdays, and the traditional holidays to greet them on.
//!
//! The list is `Client::due`.

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use rapport_client_core::model::Contact;
use rapport_client_core::{Due, DueItem};

use super::values::{days_from_today, relative_day, today};
use super::{Ctx, abbr, out_table};
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
    let view = View {
        ctx,
        lang,
        today,
        abbr: abbr(ctx)?,
    };
    let colour = colour();
    let sections = [
        visits(&view, &items),
        next_steps(&view, &items),
        birthdays(&view, &items),
    ];
    for section in sections.into_iter().flatten() {
        section.print(lang, colour)?;
    }
    if let Some(section) = holidays(&view, &items)? {
        section.print(lang, colour)?;
    }
    Ok(())
}

/// What the sections' rows are made with.
struct View<'a> {
    ctx: &'a Ctx,
    lang: Lang,
    today: NaiveDate,
    /// Short ids of the device's documents.
    abbr: HashMap<String, String>,
}

impl View<'_> {
    fn due(&self, date: NaiveDate) -> String {
        due_text(self.lang, date, self.today)
    }

    fn short(&self, id: &str) -> String {
        ids::short(&self.abbr, id).to_owned()
    }
}

/// The name of the account an item concerns.
fn account(i: &DueItem) -> String {
    i.account_name.as_deref().map(one_line).unwrap_or_default()
}

/// One section of the due list: a heading over a table whose overdue rows are
/// highlighted on a terminal.
struct Section {
    heading: String,
    columns: Vec<M>,
    rows: Vec<Vec<String>>,
    /// The overdue rows, by index.
    hot: Vec<usize>,
}

impl Section {
    /// The section of the items `row` takes (its cells, and whether it is overdue); `None`
    /// when it takes none. `heading` is given the number of rows and of overdue rows.
    fn of(
        items: &[DueItem],
        columns: Vec<M>,
        row: impl Fn(&DueItem) -> Option<(Vec<String>, bool)>,
        heading: impl FnOnce(usize, usize) -> String,
    ) -> Option<Section> {
        let mut rows = Vec::new();
        let mut hot = Vec::new();
        for (cells, overdue) in items.iter().filter_map(row) {
            if overdue {
                hot.push(rows.len());
            }
            rows.push(cells);
        }
        (!rows.is_empty()).then(|| Section {
            heading: heading(rows.len(), hot.len()),
            columns,
            rows,
            hot,
        })
    }

    fn print(&self, lang: Lang, colour: bool) -> Result<()> {
        out!("");
        out!("{}", self.heading);
        let headers: Vec<&str> = self.columns.iter().map(|c| t(lang, *c)).collect();
        let rendered = table::indent(&render(&headers, &self.rows, &[]));
        out_table(&if colour {
            table::highlight_rows(&rendered, &self.hot)
        } else {
            rendered
        })
    }
}

/// Accounts whose visit cadence runs out; never visited counts as overdue.
fn visits(view: &View<'_>, items: &[DueItem]) -> Option<Section> {
    let lang = view.lang;
    Section::of(
        items,
        vec![M::ColDue, M::ColAccount, M::ColLastVisit, M::ColCadence],
        |i| {
            let Due::Visit {
                last_visit,
                cadence_days,
            } = &i.what
            else {
                return None;
            };
            let (due, last) = match last_visit {
                Some(last) => (
                    view.due(i.date),
                    paren(lang, &last.to_string(), &days_from_today(lang, *last)),
                ),
                None => (
                    t(lang, M::DueNow).to_owned(),
                    t(lang, M::NeverVisited).to_owned(),
                ),
            };
            let cadence = if *cadence_days == 1 {
                t(lang, M::EveryDay).to_owned()
            } else {
                tf(lang, M::EveryDays, &[("n", cadence_days)])
            };
            let overdue = i.date < view.today || last_visit.is_none();
            Some((vec![due, account(i), last, cadence], overdue))
        },
        |n, overdue| {
            tf(
                lang,
                M::DueVisitsHeading,
                &[("n", &n), ("overdue", &overdue)],
            )
        },
    )
}

/// Visits' next steps falling due.
fn next_steps(view: &View<'_>, items: &[DueItem]) -> Option<Section> {
    Section::of(
        items,
        vec![M::ColDue, M::ColAccount, M::ColNextStep, M::ColVisit],
        |i| {
            let Due::NextStep { visit_id, step } = &i.what else {
                return None;
            };
            let cells = vec![
                view.due(i.date),
                account(i),
                one_line(step),
                view.short(visit_id),
            ];
            Some((cells, i.date < view.today))
        },
        |n, _| tf(view.lang, M::DueStepsHeading, &[("n", &n)]),
    )
}

/// Key contacts' birthdays, with the birthday their card keeps.
fn birthdays(view: &View<'_>, items: &[DueItem]) -> Option<Section> {
    let lang = view.lang;
    Section::of(
        items,
        vec![
            M::ColDue,
            M::ColContact,
            M::ColAccount,
            M::ColBirthday,
            M::ColId,
        ],
        |i| {
            let Due::Birthday {
                contact_id,
                contact_name,
            } = &i.what
            else {
                return None;
            };
            let kept = view
                .ctx
                .client
                .get::<Contact>(contact_id)
                .ok()
                .and_then(|c| c.vip_card.and_then(|card| card.birthday))
                .map(|b| {
                    let md = format!("{:02}-{:02}", b.month, b.day);
                    format!("{} {md}", b.calendar.name(lang))
                })
                .unwrap_or_default();
            let cells = vec![
                view.due(i.date),
                one_line(contact_name),
                account(i),
                kept,
                view.short(contact_id),
            ];
            Some((cells, false))
        },
        |n, _| tf(lang, M::DueBirthdaysHeading, &[("n", &n)]),
    )
}

/// Traditional holidays ahead; the heading says how many key contacts to greet.
fn holidays(view: &View<'_>, items: &[DueItem]) -> Result<Option<Section>> {
    let columns = vec![M::ColDue, M::ColOccasion];
    let row = |i: &DueItem| match &i.what {
        Due::Holiday(o) => Some((vec![view.due(i.date), o.name(view.lang).to_owned()], false)),
        _ => None,
    };
    // Counting key contacts reads every contact: only when a holiday is due.
    let Some(mut section) = Section::of(items, columns, row, |_, _| String::new()) else {
        return Ok(None);
    };
    let key = view
        .ctx
        .client
        .list::<Contact>(None)?
        .iter()
        .filter(|c| c.record.key_contact)
        .count();
    section.heading = tf(view.lang, M::DueHolidaysHeading, &[("key", &key)]);
    Ok(Some(section))
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
