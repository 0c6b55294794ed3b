//! The relationship-maintenance scorecard of DOMAIN.md (§四.4), per rep and period, and
//! the team views managers start from. Every figure comes with the records behind it.
//!
//! A scorecard is computed in two steps: [`Facts::load`] reads every row it needs from
//! the read model at once, with queries bounded by tenant, author and time (indexed),
//! never by loading documents; then one pure function per group of figures —
//! [`closeness()`], [`building()`], [`information()`], [`method()`], [`compliance()`] —
//! turns the facts into that group's metrics. Periods are [`Window`]s: ISO weeks or
//! calendar months in the company's time zone. The team views (a team's figures, the
//! danger zone, overdue accounts, the trend, what is coming up) are in `team`.

mod building;
mod closeness;
mod compliance;
mod facts;
mod figures;
#[cfg(test)]
mod fixtures;
mod information;
mod method;
mod team;

use rapport_client_core::model::{Birthday, Calendar, Rules};
use rapport_client_core::protocol::{RepRef, Scorecard};
use sea_orm::{DatabaseConnection, EntityTrait};

use building::building;
use closeness::closeness;
use compliance::compliance;
use facts::Facts;
use information::information;
use method::method;
pub use team::{
    OpportunityRisk, Overdue, Upcoming, favours_over_limit, opportunity_risks, overdue_accounts,
    team_accounts, team_total, upcoming, visit_trend,
};

use crate::db::{accounts, contacts, tenants, users};
use crate::error::{ApiError, ApiResult};
use crate::periods::Window;

/// The whole scorecard of one rep for one period: the facts, then each group's figures
/// in the order they are shown.
pub async fn scorecard(
    db: &DatabaseConnection,
    tenant_id: &str,
    rep: &users::Model,
    window: &Window,
    rules: &Rules,
) -> ApiResult<Scorecard> {
    let facts = Facts::load(db, tenant_id, rep, window, rules).await?;
    let mut metrics = closeness(&facts, rules);
    metrics.extend(building(&facts, window, rules));
    metrics.extend(information(&facts, window, rules));
    metrics.extend(method(&facts, rules));
    metrics.extend(compliance(&facts, window));
    Ok(Scorecard {
        rep: RepRef {
            user_id: rep.id.clone(),
            username: rep.username.clone(),
            display_name: rep.display_name.clone(),
        },
        period: window.label.clone(),
        time_zone: window.tz.name().to_owned(),
        starts_ms: window.start_ms,
        ends_ms: window.end_ms,
        metrics,
    })
}

/// A company and its time zone.
pub async fn tenant_zone(
    db: &DatabaseConnection,
    tenant_id: &str,
) -> ApiResult<(tenants::Model, chrono_tz::Tz)> {
    let tenant = tenants::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such company".into()))?;
    let tz = tenant
        .time_zone
        .parse()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("bad time zone {}", tenant.time_zone)))?;
    Ok((tenant, tz))
}

/// The birthday a contact row records, if any.
pub fn birthday_of(c: &contacts::Model) -> Option<Birthday> {
    Some(Birthday {
        calendar: Calendar::parse(c.birthday_calendar.as_deref()?)?,
        month: i64::from(c.birthday_month?),
        day: i64::from(c.birthday_day?),
        leap_month: c.birthday_leap,
    })
}

/// The longest cadence of `accounts` under the rules, in days (0 for no account): how far
/// back a visit can still keep one of them within its cadence.
pub fn longest_cadence(accounts: &[accounts::Model], rules: &Rules) -> i64 {
    accounts
        .iter()
        .map(|a| cadence_of(a, rules))
        .max()
        .unwrap_or(0)
}

/// Cadence of an account row under the rules (override, else its tier's).
pub fn cadence_of(a: &accounts::Model, rules: &Rules) -> i64 {
    if let Some(d) = a.cadence_days {
        return i64::from(d);
    }
    match a.tier.as_deref() {
        Some("a") => rules.cadence_a_days,
        Some("b") => rules.cadence_b_days,
        Some("c") => rules.cadence_c_days,
        _ => rules.cadence_d_days,
    }
}
