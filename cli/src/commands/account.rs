//! Accounts: the list, one account in full, and the rep's edits of value and stage.
//!
//! The tier, the value score and the visit cadence are the company's rules
//! (`Client::rules`) applied to the account's figures, so the device shows what the
//! manager's reports will. Reps may edit the stage, the value scorecard, the figures and
//! the cadence; the name, industry, city and location are an admin's, and the server
//! refuses a rep's change to them, so no option offers it.

use std::collections::HashMap;

use anyhow::Result;
use clap::{Args, Subcommand};
use rapport_client_core::Item;
use rapport_client_core::model::{
    self, Account, Contact, DocKind, LocalTime, Opportunity, OpportunityStatus, PeriodMetrics,
    Rules, Stage, StageStep, Tier, Visit,
};

use super::lookup::find_account;
use super::timeline::Summary;
use super::values::{clear_term, clear_value, days_from_today, term, today, value};
use super::{Ctx, abbr, done, fail, out_table};
use crate::i18n::{Lang, M, paren, semi, t, tf};
use crate::ids;
use crate::parse;
use crate::table::{self, amount, fields, one_line, render};
use crate::terms::Term;
use crate::when;

// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Everything this device knows of an account: tier, value, cadence, stage, figures,
    /// stage history, last visit.
    Show {
        /// Account id, id prefix or name.
        account: String,
    },
    /// Edit what reps keep of an account. Name, industry, city and location are an admin's.
    Edit(AccountEdit),
}

#[derive(Debug, Args)]
pub struct AccountEdit {
    /// Account id, id prefix or name.
    pub account: String,
    /// Relationship stage: gestation (孕育), initial (初级), intermediate (中级), advanced
    /// (高级) or strategic_alliance (战略联盟). A change is kept in the stage history.
    #[arg(long)]
    pub stage: Option<String>,
    /// Current value (现实价值) on the scorecard, 1 to 5, or none.
    #[arg(long, value_name = "1-5")]
    pub current_value: Option<String>,
    /// Potential value (潜在价值) on the scorecard, 1 to 5, or none.
    #[arg(long, value_name = "1-5")]
    pub potential_value: Option<String>,
    /// Set the tier by hand: a, b, c or d; none goes back to the tier the figures give.
    #[arg(long, visible_alias = "tier", value_name = "TIER")]
    pub tier_override: Option<String>,
    /// Days between visits, over the tier's cadence; none goes back to the tier's.
    #[arg(long, visible_alias = "cadence", value_name = "DAYS")]
    pub cadence_days: Option<String>,
    /// The period whose figures --sales, --profit, --collections and --transactions set:
    /// 2026, 2026-Q3 or 2026-11 (added when new).
    #[arg(long, value_name = "PERIOD")]
    pub metrics: Option<String>,
    /// Sales (销售额) of the period; none clears.
    #[arg(long, requires = "metrics", value_name = "AMOUNT")]
    pub sales: Option<String>,
    /// Profit (利润) of the period; none clears.
    #[arg(
        long,
        requires = "metrics",
        value_name = "AMOUNT",
        allow_negative_numbers = true
    )]
    pub profit: Option<String>,
    /// Collections (回款) of the period; none clears.
    #[arg(long, requires = "metrics", value_name = "AMOUNT")]
    pub collections: Option<String>,
    /// Number of transactions (交易次数) in the period; none clears.
    #[arg(long, requires = "metrics", value_name = "N")]
    pub transactions: Option<String>,
    /// Remove a period's figures.
    #[arg(long, value_name = "PERIOD", conflicts_with = "metrics")]
    pub remove_metrics: Option<String>,
}

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
            let due = if next < today() {
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
    let edits = Edits::read(lang, &e, &account.record)?;
    let now = LocalTime::from_datetime(&chrono::Local::now().fixed_offset());
    let updated = ctx
        .client
        .update::<Account>(&account.id, |a| edits.apply(a, now))?;
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

/// What `account edit` changes, read from its options: `None` leaves a value alone,
/// `Some(None)` clears it.
struct Edits {
    stage: Option<Stage>,
    current: Option<Option<i64>>,
    potential: Option<Option<i64>>,
    tier: Option<Option<Tier>>,
    cadence: Option<Option<i64>>,
    figures: Option<Figures>,
    /// The period whose figures go.
    remove: Option<String>,
}

impl Edits {
    /// Reads the options; a period to remove must be one `account` has.
    fn read(lang: Lang, e: &AccountEdit, account: &Account) -> Result<Edits> {
        let rating = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|s| clear_value(lang, flag, s, parse::parse_rating, M::ExpectRating))
                .transpose()
        };
        Ok(Edits {
            stage: e
                .stage
                .as_deref()
                .map(|s| term::<Stage>(lang, "stage", s))
                .transpose()?,
            current: rating("current-value", &e.current_value)?,
            potential: rating("potential-value", &e.potential_value)?,
            tier: e
                .tier_override
                .as_deref()
                .map(|s| clear_term::<Tier>(lang, "tier-override", s))
                .transpose()?,
            cadence: e
                .cadence_days
                .as_deref()
                .map(|s| {
                    clear_value(
                        lang,
                        "cadence-days",
                        s,
                        parse::parse_cadence,
                        M::ExpectCadence,
                    )
                })
                .transpose()?,
            figures: read_figures(lang, e)?,
            remove: read_removal(lang, e, account)?,
        })
    }

    /// Makes the changes; a new stage is kept in the stage history, dated `now`.
    fn apply(self, a: &mut Account, now: LocalTime) {
        if let Some(s) = self.stage
            && a.stage != Some(s)
        {
            a.stage = Some(s);
            a.stage_history.push(StageStep {
                id: model::new_id(),
                stage: s,
                at: now,
            });
        }
        if let Some(v) = self.current {
            a.current_value = v;
        }
        if let Some(v) = self.potential {
            a.potential_value = v;
        }
        if let Some(v) = self.tier {
            a.tier_override = v;
        }
        if let Some(v) = self.cadence {
            a.cadence_days = v;
        }
        if let Some(f) = self.figures {
            upsert_figures(&mut a.metrics, f);
        }
        if let Some(p) = self.remove {
            a.metrics.retain(|m| m.period != p);
        }
    }
}

/// `--metrics` and the figures it sets; at least one figure must be given.
fn read_figures(lang: Lang, e: &AccountEdit) -> Result<Option<Figures>> {
    let Some(p) = &e.metrics else {
        return Ok(None);
    };
    let amount_of = |flag: &str, v: &Option<String>| -> Result<Option<Option<f64>>> {
        v.as_deref()
            .map(|s| clear_value(lang, flag, s, parse::parse_number, M::ExpectNumber))
            .transpose()
    };
    let period = value(lang, "metrics", p, parse::parse_period, M::ExpectPeriod)?;
    let f = Figures {
        period,
        sales: amount_of("sales", &e.sales)?,
        profit: amount_of("profit", &e.profit)?,
        collections: amount_of("collections", &e.collections)?,
        transactions: e
            .transactions
            .as_deref()
            .map(|s| clear_value(lang, "transactions", s, parse::parse_count, M::ExpectCount))
            .transpose()?,
    };
    let none_given = f.sales.is_none()
        && f.profit.is_none()
        && f.collections.is_none()
        && f.transactions.is_none();
    if none_given {
        return Err(fail(t(lang, M::MetricsNeedFigure).to_owned()));
    }
    Ok(Some(f))
}

/// `--remove-metrics`: a period whose figures the account keeps.
fn read_removal(lang: Lang, e: &AccountEdit, account: &Account) -> Result<Option<String>> {
    let Some(p) = &e.remove_metrics else {
        return Ok(None);
    };
    let period = value(
        lang,
        "remove-metrics",
        p,
        parse::parse_period,
        M::ExpectPeriod,
    )?;
    if !account.metrics.iter().any(|m| m.period == period) {
        return Err(fail(tf(lang, M::NoSuchPeriod, &[("period", &period)])));
    }
    Ok(Some(period))
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

impl Summary for Account {
    fn summary(&self, _: Lang, _: &HashMap<String, String>) -> String {
        one_line(&self.name)
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
