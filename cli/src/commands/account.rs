//! Accounts: the list, one account in full, and the rep's edits of value and stage.
//!
//! The tier, the value score and the visit cadence are the company's rules
//! (`Client::rules`) applied to the account's figures, so the device shows what the
//! manager's reports will. Reps may edit the stage, the value scorecard, the figures and
//! the cadence; the name, industry, city and location are an admin's, and the server
//! refuses a rep's change to them, so no option offers it.

use std::collections::HashMap;

use anyhow::Result;
use rapport_client_core::Item;
use rapport_client_core::model::{
    self, Account, Contact, DocKind, LocalTime, Opportunity, OpportunityStatus, PeriodMetrics,
    Rules, Stage, StageStep, Tier, Visit,
};

use super::{
    Ctx, abbr, clear_term, clear_value, days_from_today, done, fail, find_account, out_table, term,
    value,
};
use crate::AccountCommand;
use crate::AccountEdit;
use crate::i18n::{Lang, M, paren, semi, t, tf};
use crate::ids;
use crate::parse;
use crate::table::{self, amount, fields, one_line, render};
use crate::terms::Term;
use crate::when;

pub(super) fn run(ctx: &Ctx, cmd: AccountCommand) -> Result<()> {
    match cmd {
        AccountCommand::Show { account } => show(ctx, &account),
        AccountCommand::Edit(edit) => self::edit(ctx, edit),
    }
}

/// The latest visit per account, by when it happened.
fn last_visits(ctx: &Ctx) -> Result<HashMap<String, LocalTime>> {
    let mut out: HashMap<String, LocalTime> = HashMap::new();
    for v in ctx.client.list::<Visit>(None)? {
        let at = v.record.occurred_at;
        let e = out.entry(v.record.account_id).or_insert(at);
        if at.utc_ms > e.utc_ms {
            *e = at;
        }
    }
    Ok(out)
}

pub(super) fn list(ctx: &Ctx) -> Result<()> {
    let lang = ctx.lang;
    let list = ctx.client.list::<Account>(None)?;
    if list.is_empty() {
        out!("{}", t(lang, M::NoAccounts));
        return Ok(());
    }
    let rules = ctx.client.rules()?;
    let last = last_visits(ctx)?;
    let abbr = abbr(ctx)?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            let r = &a.record;
            vec![
                ids::short(&abbr, &a.id).to_owned(),
                one_line(&r.name),
                r.city.as_deref().map(one_line).unwrap_or_default(),
                r.industry.as_deref().map(one_line).unwrap_or_default(),
                rules.tier(r).name(Lang::En).to_owned(),
                r.stage.map(|s| s.name(lang).to_owned()).unwrap_or_default(),
                last.get(&a.id)
                    .map(|at| when::format_date(*at))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let headers = [
        t(lang, M::ColId),
        t(lang, M::ColName),
        t(lang, M::ColCity),
        t(lang, M::ColIndustry),
        t(lang, M::ColTier),
        t(lang, M::ColStage),
        t(lang, M::ColLastVisit),
    ];
    out_table(&render(&headers, &rows, &[]))
}

/// "B (value score 66, 2026-Q3)" or "A (set by hand; the figures give C)".
fn tier_line(lang: Lang, rules: &Rules, a: &Account) -> String {
    let tier = rules.tier(a);
    let by_figures = rules.tier(&Account {
        tier_override: None,
        ..a.clone()
    });
    let score = rules.value_score(&a.metrics);
    let latest = a
        .metrics
        .iter()
        .max_by(|x, y| x.period.cmp(&y.period))
        .map(|m| m.period.clone())
        .unwrap_or_default();
    let from_figures = match score {
        Some(s) => tf(
            lang,
            M::TierFromScore,
            &[("score", &amount(s)), ("period", &latest)],
        ),
        None => t(lang, M::TierNoFigures).to_owned(),
    };
    if a.tier_override.is_some() {
        tf(
            lang,
            M::TierByHand,
            &[
                ("tier", &tier.name(Lang::En)),
                ("figures", &by_figures.name(Lang::En)),
                ("why", &from_figures),
            ],
        )
    } else {
        paren(lang, tier.name(Lang::En), &from_figures)
    }
}

fn cadence_line(lang: Lang, rules: &Rules, a: &Account) -> String {
    let days = rules.cadence_days(a);
    match a.cadence_days {
        Some(_) => tf(lang, M::CadenceByHand, &[("n", &days)]),
        None => tf(
            lang,
            M::CadenceFromTier,
            &[("n", &days), ("tier", &rules.tier(a).name(Lang::En))],
        ),
    }
}

fn rating(lang: Lang, v: Option<i64>) -> String {
    match v {
        Some(v) => format!("{v} / 5"),
        None => t(lang, M::NotSet).to_owned(),
    }
}

fn opt_amount(v: Option<f64>) -> String {
    v.map(amount).unwrap_or_default()
}

fn show(ctx: &Ctx, typed: &str) -> Result<()> {
    let lang = ctx.lang;
    let Item { id, record: a } = find_account(ctx, typed)?;
    let rules = ctx.client.rules()?;
    let abbr = abbr(ctx)?;
    let last = last_visits(ctx)?.get(&id).copied();
    let cadence = rules.cadence_days(&a);
    let last_line = match last.and_then(|at| when::local_date(at).map(|d| (at, d))) {
        Some((at, date)) => {
            let next = date + chrono::Duration::days(cadence);
            let due = if next < super::today() {
                tf(lang, M::OverdueSince, &[("date", &next)])
            } else {
                tf(lang, M::NextVisitDue, &[("date", &next)])
            };
            format!(
                "{}{}{due}",
                paren(lang, &when::format_local(at), &days_from_today(lang, date)),
                semi(lang)
            )
        }
        None => t(lang, M::NeverVisited).to_owned(),
    };
    let contacts = ctx.client.list::<Contact>(Some(&id))?;
    let key = contacts.iter().filter(|c| c.record.key_contact).count();
    let open = ctx
        .client
        .list::<Opportunity>(Some(&id))?
        .into_iter()
        .filter(|o| o.record.status == OpportunityStatus::Open)
        .count();
    let text = |v: &Option<String>| v.as_deref().map(one_line).unwrap_or_default();
    let mut rows: Vec<(&str, String)> = vec![
        (t(lang, M::LabelId), ids::short(&abbr, &id).to_owned()),
        (t(lang, M::LabelCity), text(&a.city)),
        (t(lang, M::LabelIndustry), text(&a.industry)),
        (t(lang, M::LabelTier), tier_line(lang, &rules, &a)),
        (t(lang, M::LabelCadence), cadence_line(lang, &rules, &a)),
        (
            t(lang, M::LabelStage),
            a.stage.map_or_else(
                || t(lang, M::NotSet).to_owned(),
                |s| s.name(lang).to_owned(),
            ),
        ),
        (t(lang, M::LabelCurrentValue), rating(lang, a.current_value)),
        (
            t(lang, M::LabelPotentialValue),
            rating(lang, a.potential_value),
        ),
    ];
    if let Some(p) = a.location {
        rows.push((
            t(lang, M::LabelLocation),
            format!("{:.5}, {:.5}", p.lat, p.lon),
        ));
    }
    rows.push((t(lang, M::LabelLastVisit), last_line));
    rows.push((
        t(lang, M::LabelContacts),
        tf(
            lang,
            M::ContactsCount,
            &[("n", &contacts.len()), ("key", &key)],
        ),
    ));
    rows.push((t(lang, M::LabelOpenOpportunities), open.to_string()));
    out!("{}", one_line(&a.name));
    out_table(&fields(&rows))?;

    out!("");
    out!("{}", t(lang, M::MetricsHeading));
    if a.metrics.is_empty() {
        out!("  {}", t(lang, M::NoMetrics));
    } else {
        let mut metrics: Vec<&PeriodMetrics> = a.metrics.iter().collect();
        metrics.sort_by_key(|m| std::cmp::Reverse(period_order(&m.period)));
        let rows: Vec<Vec<String>> = metrics
            .iter()
            .map(|m| {
                vec![
                    m.period.clone(),
                    opt_amount(m.sales),
                    opt_amount(m.profit),
                    opt_amount(m.collections),
                    m.transactions.map(|n| n.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        let headers = [
            t(lang, M::ColPeriod),
            t(lang, M::ColSales),
            t(lang, M::ColProfit),
            t(lang, M::ColCollections),
            t(lang, M::ColTransactions),
        ];
        out_table(&table::indent(&render(&headers, &rows, &[1, 2, 3, 4])))?;
    }

    out!("");
    out!("{}", t(lang, M::StageHistoryHeading));
    if a.stage_history.is_empty() {
        out!("  {}", t(lang, M::NoStageHistory));
    } else {
        let rows: Vec<Vec<String>> = a
            .stage_history
            .iter()
            .map(|s| vec![when::format_local(s.at), s.stage.name(lang).to_owned()])
            .collect();
        let headers = [t(lang, M::ColWhen), t(lang, M::ColStage)];
        out_table(&table::indent(&render(&headers, &rows, &[])))?;
    }
    Ok(())
}

/// Orders periods by when they start, the shorter first among those starting together:
/// `2026-11` after `2026-Q4` after `2026-10` after `2026`.
fn period_order(p: &str) -> (String, u32, u32) {
    let year = p.get(..4).unwrap_or(p).to_owned();
    match p.get(5..) {
        Some(q) if q.starts_with('Q') => {
            let n: u32 = q.get(1..).and_then(|n| n.parse().ok()).unwrap_or(1);
            (year, n.saturating_sub(1) * 3 + 1, 1)
        }
        Some(m) => (year, m.parse().unwrap_or(1), 2),
        None => (year, 1, 0),
    }
}

/// A period's figures as an edit sets them: `None` leaves a figure alone, `Some(None)`
/// clears it.
struct Figures {
    period: String,
    sales: Option<Option<f64>>,
    profit: Option<Option<f64>>,
    collections: Option<Option<f64>>,
    transactions: Option<Option<i64>>,
}

fn edit(ctx: &Ctx, e: AccountEdit) -> Result<()> {
    let lang = ctx.lang;
    let nothing = e.stage.is_none()
        && e.current_value.is_none()
        && e.potential_value.is_none()
        && e.tier_override.is_none()
        && e.cadence_days.is_none()
        && e.metrics.is_none()
        && e.remove_metrics.is_none();
    if nothing {
        return Err(fail(t(lang, M::NothingToChange).to_owned()));
    }
    let account = find_account(ctx, &e.account)?;
    let stage = match &e.stage {
        Some(s) => Some(term::<Stage>(lang, "stage", s)?),
        None => None,
    };
    let current = match &e.current_value {
        Some(s) => Some(clear_value(
            lang,
            "current-value",
            s,
            parse::parse_rating,
            M::ExpectRating,
        )?),
        None => None,
    };
    let potential = match &e.potential_value {
        Some(s) => Some(clear_value(
            lang,
            "potential-value",
            s,
            parse::parse_rating,
            M::ExpectRating,
        )?),
        None => None,
    };
    let tier = match &e.tier_override {
        Some(s) => Some(clear_term::<Tier>(lang, "tier-override", s)?),
        None => None,
    };
    let cadence = match &e.cadence_days {
        Some(s) => Some(clear_value(
            lang,
            "cadence-days",
            s,
            parse::parse_cadence,
            M::ExpectCadence,
        )?),
        None => None,
    };
    let amount_of = |flag: &str, v: &Option<String>| -> Result<Option<Option<f64>>> {
        v.as_deref()
            .map(|s| clear_value(lang, flag, s, parse::parse_number, M::ExpectNumber))
            .transpose()
    };
    let figures = match &e.metrics {
        Some(p) => {
            let period = value(lang, "metrics", p, parse::parse_period, M::ExpectPeriod)?;
            let f = Figures {
                period,
                sales: amount_of("sales", &e.sales)?,
                profit: amount_of("profit", &e.profit)?,
                collections: amount_of("collections", &e.collections)?,
                transactions: e
                    .transactions
                    .as_deref()
                    .map(|s| {
                        clear_value(lang, "transactions", s, parse::parse_count, M::ExpectCount)
                    })
                    .transpose()?,
            };
            let none_given = f.sales.is_none()
                && f.profit.is_none()
                && f.collections.is_none()
                && f.transactions.is_none();
            if none_given {
                return Err(fail(t(lang, M::MetricsNeedFigure).to_owned()));
            }
            Some(f)
        }
        None => None,
    };
    let remove = match &e.remove_metrics {
        Some(p) => {
            let period = value(
                lang,
                "remove-metrics",
                p,
                parse::parse_period,
                M::ExpectPeriod,
            )?;
            if !account.record.metrics.iter().any(|m| m.period == period) {
                return Err(fail(tf(lang, M::NoSuchPeriod, &[("period", &period)])));
            }
            Some(period)
        }
        None => None,
    };
    let now = LocalTime::from_datetime(&chrono::Local::now().fixed_offset());
    let updated = ctx.client.update::<Account>(&account.id, |a| {
        if let Some(s) = stage
            && a.stage != Some(s)
        {
            a.stage = Some(s);
            a.stage_history.push(StageStep {
                id: model::new_id(),
                stage: s,
                at: now,
            });
        }
        if let Some(v) = current {
            a.current_value = v;
        }
        if let Some(v) = potential {
            a.potential_value = v;
        }
        if let Some(v) = tier {
            a.tier_override = v;
        }
        if let Some(v) = cadence {
            a.cadence_days = v;
        }
        if let Some(f) = figures {
            upsert_figures(&mut a.metrics, f);
        }
        if let Some(p) = remove {
            a.metrics.retain(|m| m.period != p);
        }
    })?;
    done(
        ctx,
        M::Updated,
        DocKind::Account,
        &account.id,
        &updated.name,
    )?;
    let rules = ctx.client.rules()?;
    out!(
        "{}",
        tf(
            lang,
            M::AccountNow,
            &[
                ("tier", &rules.tier(&updated).name(Lang::En)),
                ("n", &rules.cadence_days(&updated)),
                (
                    "stage",
                    &updated.stage.map_or_else(
                        || t(lang, M::NotSet).to_owned(),
                        |s| s.name(lang).to_owned()
                    ),
                ),
            ],
        )
    );
    Ok(())
}

/// Sets a period's figures, adding the period when it is new.
fn upsert_figures(metrics: &mut Vec<PeriodMetrics>, f: Figures) {
    let i = match metrics.iter().position(|m| m.period == f.period) {
        Some(i) => i,
        None => {
            metrics.push(PeriodMetrics {
                period: f.period.clone(),
                ..PeriodMetrics::default()
            });
            metrics.len() - 1
        }
    };
    if let Some(m) = metrics.get_mut(i) {
        if let Some(v) = f.sales {
            m.sales = v;
        }
        if let Some(v) = f.profit {
            m.profit = v;
        }
        if let Some(v) = f.collections {
            m.collections = v;
        }
        if let Some(v) = f.transactions {
            m.transactions = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_order_by_start_then_span() {
        let mut p = vec![
            "2026-Q4", "2026", "2026-11", "2025-12", "2026-10", "2026-Q1",
        ];
        p.sort_by_key(|p| period_order(p));
        assert_eq!(
            p,
            [
                "2025-12", "2026", "2026-Q1", "2026-Q4", "2026-10", "2026-11"
            ]
        );
    }

    #[test]
    fn figures_update_a_period_in_place_or_add_it() {
        let mut metrics = vec![PeriodMetrics {
            period: "2026-Q3".into(),
            sales: Some(100.0),
            profit: Some(10.0),
            ..PeriodMetrics::default()
        }];
        upsert_figures(
            &mut metrics,
            Figures {
                period: "2026-Q3".into(),
                sales: Some(Some(150.0)),
                profit: Some(None),
                collections: None,
                transactions: Some(Some(4)),
            },
        );
        assert_eq!(metrics.len(), 1);
        assert_eq!(metrics[0].sales, Some(150.0));
        assert_eq!(metrics[0].profit, None);
        assert_eq!(metrics[0].transactions, Some(4));
        upsert_figures(
            &mut metrics,
            Figures {
                period: "2026-Q4".into(),
                sales: Some(Some(1.0)),
                profit: None,
                collections: None,
                transactions: None,
            },
        );
        assert_eq!(metrics.len(), 2);
        assert_eq!(metrics[1].period, "2026-Q4");
        assert_eq!(metrics[1].sales, Some(1.0));
    }
}
