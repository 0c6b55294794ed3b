//! The team views managers start from: a team's figures, the danger zone (销售雷区),
//! overdue accounts, birthdays and holidays ahead, the weekly visit trend, the accounts a
//! team serves and the favours over the company's limit.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rapport_client_core::model::{BuyingRole, Occasion, Rules, calendar};
use rapport_client_core::protocol::{Metric, RepRef, Scorecard};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::Serialize;

use super::figures::MetricExt;
use super::{birthday_of, cadence_of, longest_cadence};
use crate::db::{
    account_teams, accounts, contacts, favours, opportunities, opportunity_roles, users,
    visit_contacts, visits,
};
use crate::error::{ApiError, ApiResult};
use crate::periods::{self, Window};

/// The team's figures: each the sum of its reps' (parts and totals of shares summed, so a
/// share is the team's share of everything its reps answer for), targets scaled to the
/// number of reps for counts, and the records behind each rep's figure listed together.
pub fn team_total(team: RepRef, cards: &[Scorecard]) -> Option<Scorecard> {
    let first = cards.first()?;
    let reps = cards.len() as f64;
    let metrics = first
        .metrics
        .iter()
        .map(|template| {
            let same: Vec<&Metric> = cards
                .iter()
                .filter_map(|c| c.metric(&template.key))
                .collect();
            let sum = |f: &dyn Fn(&Metric) -> Option<u64>| -> Option<u64> {
                same.iter().map(|m| f(m)).sum::<Option<u64>>()
            };
            let (part, total) = (sum(&|m| m.part), sum(&|m| m.total));
            let value = match (part, total) {
                (Some(p), Some(t)) if t > 0 => p as f64 / t as f64,
                (Some(_), Some(_)) => 0.0,
                _ => same.iter().map(|m| m.value).sum(),
            };
            let target = template
                .target
                .map(|t| if part.is_some() { t } else { t * reps });
            let metric = Metric {
                key: template.key.clone(),
                group: template.group,
                shape: template.shape,
                value,
                part,
                total,
                target: None,
                attainment: None,
                records: same
                    .iter()
                    .flat_map(|m| m.records.iter().cloned())
                    .collect(),
            };
            match target {
                Some(t) => metric.against(t),
                None => metric,
            }
        })
        .collect();
    Some(Scorecard {
        rep: team,
        period: first.period.clone(),
        time_zone: first.time_zone.clone(),
        starts_ms: first.starts_ms,
        ends_ms: first.ends_ms,
        metrics,
    })
}

/// An open opportunity and why it is (or is not) in the danger zone (销售雷区).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpportunityRisk {
    pub opportunity_id: String,
    pub account_id: String,
    pub name: String,
    /// Roles nobody is known to fill.
    pub unknown_roles: Vec<&'static str>,
    /// Roles whose holders none of whom was met in a visit in the last 30 days.
    pub unmet_roles: Vec<&'static str>,
}

impl OpportunityRisk {
    pub fn in_danger_zone(&self) -> bool {
        !self.unknown_roles.is_empty() || !self.unmet_roles.is_empty()
    }
}

/// Open opportunities on `accounts` with their buying-influence coverage as of `at_ms`:
/// every role must be known and one of its holders met in the 30 days before.
pub async fn opportunity_risks(
    db: &DatabaseConnection,
    tenant_id: &str,
    accounts: &[String],
    at_ms: i64,
) -> ApiResult<Vec<OpportunityRisk>> {
    // Three independent queries, side by side (the roles and the contacts met are read
    // through subqueries rather than after the opportunities and visits they belong to).
    let open_query = || {
        opportunities::Entity::find()
            .filter(opportunities::Column::TenantId.eq(tenant_id))
            .filter(opportunities::Column::AccountId.is_in(accounts.to_vec()))
            .filter(opportunities::Column::Status.eq("open"))
            .filter(opportunities::Column::Deleted.eq(false))
    };
    let (open, roles, met) = tokio::try_join!(
        open_query()
            .order_by_asc(opportunities::Column::Name)
            .all(db),
        opportunity_roles::Entity::find()
            .filter(opportunity_roles::Column::TenantId.eq(tenant_id))
            .filter(
                opportunity_roles::Column::OpportunityId.in_subquery(
                    open_query()
                        .select_only()
                        .column(opportunities::Column::Id)
                        .into_query(),
                ),
            )
            .all(db),
        // The contacts met on those accounts in the last 30 days. (Not `DISTINCT`: SQLite
        // would then walk the company's whole contact index to sort them.)
        visit_contacts::Entity::find()
            .select_only()
            .column(visit_contacts::Column::ContactId)
            .filter(visit_contacts::Column::TenantId.eq(tenant_id))
            .filter(
                visit_contacts::Column::VisitId.in_subquery(
                    visits::Entity::find()
                        .filter(visits::Column::TenantId.eq(tenant_id))
                        .filter(visits::Column::AccountId.is_in(accounts.to_vec()))
                        .filter(visits::Column::Deleted.eq(false))
                        .filter(visits::Column::OccurredAt.gte(at_ms - 30 * 86_400_000))
                        .filter(visits::Column::OccurredAt.lt(at_ms))
                        .select_only()
                        .column(visits::Column::Id)
                        .into_query(),
                ),
            )
            .into_tuple::<String>()
            .all(db),
    )?;
    let met: HashSet<String> = met.into_iter().collect();
    Ok(open
        .into_iter()
        .map(|o| {
            let mut unknown_roles = Vec::new();
            let mut unmet_roles = Vec::new();
            for role in BuyingRole::ALL {
                let holders: Vec<&String> = roles
                    .iter()
                    .filter(|r| r.opportunity_id == o.id && r.role == role.code())
                    .map(|r| &r.contact_id)
                    .collect();
                if holders.is_empty() {
                    unknown_roles.push(role.code());
                } else if !holders.iter().any(|h| met.contains(*h)) {
                    unmet_roles.push(role.code());
                }
            }
            OpportunityRisk {
                opportunity_id: o.id,
                account_id: o.account_id,
                name: o.name,
                unknown_roles,
                unmet_roles,
            }
        })
        .collect())
}

/// An account whose visit cadence has run out.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overdue {
    pub account_id: String,
    pub account_name: String,
    pub tier: Option<String>,
    pub cadence_days: i64,
    /// The last visit by anyone on the team (Unix ms), if any.
    pub last_visit_ms: Option<i64>,
    /// Days since the cadence ran out (from the last visit; since ever when none).
    pub days_overdue: Option<i64>,
}

/// Accounts of `accounts` not visited within their cadence as of `now_ms`, most overdue
/// first.
pub async fn overdue_accounts(
    db: &DatabaseConnection,
    tenant_id: &str,
    accounts: &[accounts::Model],
    rules: &Rules,
    now_ms: i64,
) -> ApiResult<Vec<Overdue>> {
    let ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    let longest = longest_cadence(accounts, rules);
    // Only visits within the longest cadence matter: older ones make an account overdue
    // either way, and reading them would grow with history.
    let recent = visits::Entity::find()
        .filter(visits::Column::TenantId.eq(tenant_id))
        .filter(visits::Column::AccountId.is_in(ids))
        .filter(visits::Column::Deleted.eq(false))
        .filter(visits::Column::OccurredAt.gte(now_ms - longest * 86_400_000))
        .filter(visits::Column::OccurredAt.lte(now_ms))
        .all(db)
        .await?;
    let mut last: HashMap<&str, i64> = HashMap::new();
    for v in &recent {
        let e = last.entry(v.account_id.as_str()).or_insert(v.occurred_at);
        *e = (*e).max(v.occurred_at);
    }
    let mut out: Vec<Overdue> = accounts
        .iter()
        .filter_map(|a| {
            let cadence = cadence_of(a, rules);
            let last_visit = last.get(a.id.as_str()).copied();
            let overdue = last_visit.is_none_or(|t| t < now_ms - cadence * 86_400_000);
            overdue.then(|| Overdue {
                account_id: a.id.clone(),
                account_name: a.name.clone(),
                tier: a.tier.clone(),
                cadence_days: cadence,
                last_visit_ms: last_visit,
                days_overdue: last_visit.map(|t| (now_ms - t) / 86_400_000 - cadence),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.days_overdue
            .unwrap_or(i64::MAX)
            .cmp(&a.days_overdue.unwrap_or(i64::MAX))
            .then_with(|| a.account_name.cmp(&b.account_name))
    });
    Ok(out)
}

/// A birthday or holiday coming up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Upcoming {
    pub date: NaiveDate,
    /// `birthday` or a holiday code (`mid_autumn` …).
    pub occasion: &'static str,
    pub contact_id: Option<String>,
    pub contact_name: Option<String>,
    pub account_id: Option<String>,
}

/// Birthdays of the key contacts on `accounts` and traditional holidays, from `today`
/// for `days` days.
pub async fn upcoming(
    db: &DatabaseConnection,
    tenant_id: &str,
    accounts: &[String],
    today: NaiveDate,
    days: i64,
) -> ApiResult<Vec<Upcoming>> {
    let key_contacts = contacts::Entity::find()
        .filter(contacts::Column::TenantId.eq(tenant_id))
        .filter(contacts::Column::AccountId.is_in(accounts.to_vec()))
        .filter(contacts::Column::KeyContact.eq(true))
        .filter(contacts::Column::Deleted.eq(false))
        .filter(contacts::Column::CardBirthday.eq(true))
        .all(db)
        .await?;
    let mut out: Vec<Upcoming> = key_contacts
        .iter()
        .filter_map(|c| {
            let date = calendar::next_birthday(birthday_of(c)?, today, days)?;
            Some(Upcoming {
                date,
                occasion: Occasion::Birthday.code(),
                contact_id: Some(c.id.clone()),
                contact_name: Some(c.name.clone()),
                account_id: Some(c.account_id.clone()),
            })
        })
        .collect();
    out.extend(
        calendar::holidays_between(today, days)
            .into_iter()
            .map(|(occasion, date)| Upcoming {
                date,
                occasion: occasion.code(),
                contact_id: None,
                contact_name: None,
                account_id: None,
            }),
    );
    out.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.occasion.cmp(b.occasion)));
    Ok(out)
}

/// Visits per rep per ISO week, for the `weeks` weeks ending with the week of `last`.
pub async fn visit_trend(
    db: &DatabaseConnection,
    tenant_id: &str,
    reps: &[users::Model],
    tz: chrono_tz::Tz,
    last_monday: NaiveDate,
    weeks: i64,
) -> ApiResult<(Vec<String>, BTreeMap<String, Vec<u64>>)> {
    let first_monday = last_monday - chrono::Duration::weeks(weeks - 1);
    let starts: Vec<i64> = (0..=weeks)
        .map(|w| periods::day_start_ms(tz, first_monday + chrono::Duration::weeks(w)))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ApiError::Unprocessable("weeks out of range".into()))?;
    let labels = (0..weeks)
        .map(|w| periods::format_iso_week(first_monday + chrono::Duration::weeks(w)))
        .collect();
    let rep_ids: Vec<String> = reps.iter().map(|r| r.id.clone()).collect();
    let rows = visits::Entity::find()
        .filter(visits::Column::TenantId.eq(tenant_id))
        .filter(visits::Column::AuthorId.is_in(rep_ids))
        .filter(visits::Column::Deleted.eq(false))
        .filter(visits::Column::OccurredAt.gte(starts[0]))
        .filter(visits::Column::OccurredAt.lt(starts[starts.len() - 1]))
        .all(db)
        .await?;
    let mut trend: BTreeMap<String, Vec<u64>> = reps
        .iter()
        .map(|r| (r.id.clone(), vec![0; usize::try_from(weeks).unwrap_or(0)]))
        .collect();
    for v in rows {
        let week = starts
            .partition_point(|s| *s <= v.occurred_at)
            .saturating_sub(1);
        if let Some(counts) = trend.get_mut(&v.author_id)
            && let Some(c) = counts.get_mut(week)
        {
            *c += 1;
        }
    }
    Ok((labels, trend))
}

/// The accounts a set of reps (or one rep) serve now, each once, by name.
pub async fn team_accounts(
    db: &DatabaseConnection,
    tenant_id: &str,
    reps: &[users::Model],
) -> ApiResult<Vec<accounts::Model>> {
    let rep_ids: Vec<String> = reps.iter().map(|r| r.id.clone()).collect();
    let ids: HashSet<String> = account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(tenant_id))
        .filter(account_teams::Column::UserId.is_in(rep_ids))
        .filter(account_teams::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.account_id)
        .collect();
    Ok(accounts::Entity::find()
        .filter(accounts::Column::TenantId.eq(tenant_id))
        .filter(accounts::Column::Id.is_in(ids))
        .filter(accounts::Column::Deleted.eq(false))
        .order_by_asc(accounts::Column::Name)
        .all(db)
        .await?)
}

/// Favours over the company's limit by `reps` in the window, newest first.
pub async fn favours_over_limit(
    db: &DatabaseConnection,
    tenant_id: &str,
    reps: &[users::Model],
    window: &Window,
) -> ApiResult<Vec<favours::Model>> {
    let rep_ids: Vec<String> = reps.iter().map(|r| r.id.clone()).collect();
    Ok(favours::Entity::find()
        .filter(favours::Column::TenantId.eq(tenant_id))
        .filter(favours::Column::AuthorId.is_in(rep_ids))
        .filter(favours::Column::Deleted.eq(false))
        .filter(favours::Column::OverLimit.eq(true))
        .filter(favours::Column::OccurredAt.gte(window.start_ms))
        .filter(favours::Column::OccurredAt.lt(window.end_ms))
        .order_by_desc(favours::Column::OccurredAt)
        .all(db)
        .await?)
}
