//! `rapport due`: what needs the rep soon, grouped the way a rep plans the week: visits
//! (overdue ones first and highlighted), next steps promised in visits, key people's
//! birthdays, and the traditional holidays to greet them on.
//!
//! The list is `Client::due`, with two workarounds for the library as it stands:
//! - it dates an account's last visit by its UTC day, which for an early-morning visit
//!   east of Greenwich is the day before; visits are re-dated by the day they happened
//!   where they happened ([`redate_visits`]);
//! - it keeps the store locked while it reads each visit whose next step falls in the
//!   window, and so never returns when there is one; then the same list is assembled here
//!   from the records ([`assemble`]).

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use rapport_client_core::model::{Account, Contact, Rules, Visit, calendar};
use rapport_client_core::{Due, DueItem, Item};

use super::{Ctx, abbr, days_from_today, out_table, relative_day, today};
use crate::i18n::{Lang, M, paren, t, tf};
use crate::ids;
use crate::table::{self, one_line, render};
use crate::terms::Term;
use crate::when;

/// Replaces the library's last-visit dates by the local dates in `local_last` (account id
/// → the day of its latest visit where it happened), moves each visit's due date with it,
/// drops what now falls after `horizon`, and sorts by date again.
fn redate_visits(
    items: Vec<DueItem>,
    local_last: &HashMap<String, NaiveDate>,
    horizon: NaiveDate,
) -> Vec<DueItem> {
    let mut out: Vec<DueItem> = items
        .into_iter()
        .filter_map(|mut item| {
            if let Due::Visit {
                last_visit: Some(last),
                cadence_days,
            } = &mut item.what
                && let Some(local) = item.account_id.as_ref().and_then(|a| local_last.get(a))
            {
                *last = *local;
                item.date = *local + chrono::Duration::days(*cadence_days);
                if item.date > horizon {
                    return None;
                }
            }
            Some(item)
        })
        .collect();
    out.sort_by_key(|i| i.date);
    out
}

/// The due list made from the records, as `Client::due` makes it: accounts whose visit
/// cadence runs out by the horizon (never visited: due today), next steps due from 30
/// days ago to the horizon, birthdays on VIP cards, and holidays; by date.
fn assemble(
    today: NaiveDate,
    days: i64,
    rules: &Rules,
    accounts: &[Item<Account>],
    visits: &[Item<Visit>],
    contacts: &[Item<Contact>],
) -> Vec<DueItem> {
    let horizon = today + chrono::Duration::days(days);
    let name_of = |id: &str| {
        accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.record.name.clone())
    };
    let mut out = Vec::new();
    let last = last_visit_days(visits);
    for a in accounts {
        let cadence = rules.cadence_days(&a.record);
        let last = last.get(&a.id).copied();
        let date = last.map_or(today, |d| d + chrono::Duration::days(cadence));
        if date <= horizon {
            out.push(DueItem {
                date,
                what: Due::Visit {
                    last_visit: last,
                    cadence_days: cadence,
                },
                account_id: Some(a.id.clone()),
                account_name: Some(a.record.name.clone()),
            });
        }
    }
    let from = today - chrono::Duration::days(30);
    let mut steps: Vec<DueItem> = visits
        .iter()
        .filter_map(|v| {
            let step = v.record.next_step.as_ref()?;
            let due = v.record.next_step_due.as_deref()?;
            let date = NaiveDate::parse_from_str(due, "%Y-%m-%d").ok()?;
            (from..=horizon).contains(&date).then(|| DueItem {
                date,
                what: Due::NextStep {
                    visit_id: v.id.clone(),
                    step: step.clone(),
                },
                account_id: Some(v.record.account_id.clone()),
                account_name: name_of(&v.record.account_id),
            })
        })
        .collect();
    steps.sort_by_key(|i| i.date);
    out.extend(steps);
    for c in contacts {
        let Some(birthday) = c.record.vip_card.as_ref().and_then(|card| card.birthday) else {
            continue;
        };
        if let Some(date) = calendar::next_birthday(birthday, today, days) {
            out.push(DueItem {
                date,
                what: Due::Birthday {
                    contact_id: c.id.clone(),
                    contact_name: c.record.name.clone(),
                },
                account_id: Some(c.record.account_id.clone()),
                account_name: name_of(&c.record.account_id),
            });
        }
    }
    for (occasion, date) in calendar::holidays_between(today, days) {
        out.push(DueItem {
            date,
            what: Due::Holiday(occasion),
            account_id: None,
            account_name: None,
        });
    }
    out.sort_by_key(|i| i.date);
    out
}

/// The day of each account's latest visit, where it happened.
fn last_visit_days(visits: &[Item<Visit>]) -> HashMap<String, NaiveDate> {
    let mut latest: HashMap<&str, (i64, NaiveDate)> = HashMap::new();
    for v in visits {
        let at = v.record.occurred_at;
        let Some(date) = when::local_date(at) else {
            continue;
        };
        let e = latest
            .entry(v.record.account_id.as_str())
            .or_insert((at.utc_ms, date));
        if at.utc_ms > e.0 {
            *e = (at.utc_ms, date);
        }
    }
    latest
        .into_iter()
        .map(|(k, (_, d))| (k.to_owned(), d))
        .collect()
}

/// The due list: the library's when it can answer, else [`assemble`]d here.
fn due_items(ctx: &Ctx, today: NaiveDate, days: i64) -> Result<Vec<DueItem>> {
    let horizon = today + chrono::Duration::days(days);
    let from = today - chrono::Duration::days(30);
    let visits = ctx.client.list::<Visit>(None)?;
    let step_in_window = visits.iter().any(|v| {
        v.record.next_step.is_some()
            && v.record
                .next_step_due
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .is_some_and(|d| (from..=horizon).contains(&d))
    });
    if step_in_window {
        // `Client::due` would never return (see the module's documentation).
        return Ok(assemble(
            today,
            days,
            &ctx.client.rules()?,
            &ctx.client.list::<Account>(None)?,
            &visits,
            &ctx.client.list::<Contact>(None)?,
        ));
    }
    let items = ctx.client.due(today, days)?;
    Ok(redate_visits(items, &last_visit_days(&visits), horizon))
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

    fn visit_due(account: &str, last: NaiveDate, cadence: i64) -> DueItem {
        DueItem {
            date: last + chrono::Duration::days(cadence),
            what: Due::Visit {
                last_visit: Some(last),
                cadence_days: cadence,
            },
            account_id: Some(account.to_owned()),
            account_name: Some(account.to_owned()),
        }
    }

    #[test]
    fn visits_are_redated_by_the_local_day_and_kept_in_order() {
        // The library saw a 07:00 +08:00 visit on the 19th (UTC); it was the 20th locally.
        let items = vec![
            visit_due("a", d(2026, 11, 19), 7),
            visit_due("b", d(2026, 11, 1), 30),
            DueItem {
                date: d(2026, 11, 28),
                what: Due::Holiday(rapport_client_core::model::Occasion::NationalDay),
                account_id: None,
                account_name: None,
            },
        ];
        let local: HashMap<String, NaiveDate> =
            [("a".to_owned(), d(2026, 11, 20))].into_iter().collect();
        let out = redate_visits(items, &local, d(2026, 12, 11));
        let dates: Vec<NaiveDate> = out.iter().map(|i| i.date).collect();
        assert_eq!(dates, [d(2026, 11, 27), d(2026, 11, 28), d(2026, 12, 1)]);
        assert_eq!(
            out[0].what,
            Due::Visit {
                last_visit: Some(d(2026, 11, 20)),
                cadence_days: 7
            }
        );
        // Moved past the horizon: dropped.
        let items = vec![visit_due("a", d(2026, 11, 19), 7)];
        assert!(redate_visits(items, &local, d(2026, 11, 26)).is_empty());
    }

    fn at(s: &str) -> rapport_client_core::model::LocalTime {
        rapport_client_core::model::LocalTime::from_datetime(
            &when::parse_at(s).expect("valid time"),
        )
    }

    #[test]
    fn the_list_is_assembled_like_the_librarys() {
        use rapport_client_core::model::{Birthday, Calendar, Occasion, VipCard};
        let today = d(2026, 9, 20);
        fn item<R>(id: &str, record: R) -> Item<R> {
            Item {
                id: id.to_owned(),
                record,
            }
        }
        let accounts = vec![
            item(
                "a",
                Account {
                    name: "华东".into(),
                    cadence_days: Some(7),
                    ..Account::default()
                },
            ),
            item(
                "b",
                Account {
                    name: "never".into(),
                    ..Account::default()
                },
            ),
            item(
                "c",
                Account {
                    name: "far".into(),
                    cadence_days: Some(60),
                    ..Account::default()
                },
            ),
        ];
        let visits = vec![
            // 07:30 in Shanghai on the 10th is the 9th in UTC; the local day counts.
            item(
                "v1",
                Visit {
                    account_id: "a".into(),
                    occurred_at: at("2026-09-10T07:30+08:00"),
                    next_step: Some("quote".into()),
                    next_step_due: Some("2026-09-15".into()),
                    ..Visit::default()
                },
            ),
            item(
                "v2",
                Visit {
                    account_id: "c".into(),
                    occurred_at: at("2026-09-01T10:00+08:00"),
                    // A due date without a step asks nothing.
                    next_step_due: Some("2026-09-21".into()),
                    ..Visit::default()
                },
            ),
        ];
        let contacts = vec![item(
            "k",
            Contact {
                account_id: "a".into(),
                name: "张总".into(),
                vip_card: Some(VipCard {
                    birthday: Some(Birthday {
                        calendar: Calendar::Lunar,
                        month: 8,
                        day: 15,
                        leap_month: false,
                    }),
                    ..VipCard::default()
                }),
                ..Contact::default()
            },
        )];
        let out = assemble(today, 14, &Rules::default(), &accounts, &visits, &contacts);
        let got: Vec<(NaiveDate, &str)> = out
            .iter()
            .map(|i| {
                let what = match &i.what {
                    Due::Visit { .. } => "visit",
                    Due::NextStep { .. } => "step",
                    Due::Birthday { .. } => "birthday",
                    Due::Holiday(Occasion::MidAutumn) => "mid-autumn",
                    Due::Holiday(_) => "holiday",
                };
                (i.date, what)
            })
            .collect();
        assert_eq!(
            got,
            [
                (d(2026, 9, 15), "step"),
                (d(2026, 9, 17), "visit"),
                (d(2026, 9, 20), "visit"),
                (d(2026, 9, 25), "birthday"),
                (d(2026, 9, 25), "mid-autumn"),
                (d(2026, 10, 1), "holiday"),
            ]
        );
        assert_eq!(
            out[1].what,
            Due::Visit {
                last_visit: Some(d(2026, 9, 10)),
                cadence_days: 7
            }
        );
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
