//! The relationship-maintenance scorecard of DOMAIN.md (§四.4), per rep and period, and
//! the team views managers start from. Every figure comes with the records behind it.
//!
//! Periods are ISO weeks (`2026-W48`) or calendar months (`2026-11`) in the company's time
//! zone. Everything is read from the read model with queries bounded by tenant, author
//! and time (indexed), never by loading documents.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, TimeZone};
use futures_util::TryFutureExt;
use rapport_client_core::model::{
    Birthday, BuyingRole, Calendar, EventKind, Objection, Occasion, Rules, Signal, Stage, calendar,
};
use rapport_client_core::protocol::{Metric, RecordRef, RepRef, Scorecard};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::Serialize;

use crate::db::{
    account_teams, accounts, contacts, favours, greetings, info_reports, intel, opportunities,
    opportunity_roles, relationship_events, stage_events, tenants, users, visit_contacts,
    visit_marks, visits,
};
use crate::error::{ApiError, ApiResult};

/// A reporting period, resolved to instants in the company's time zone.
#[derive(Debug, Clone)]
pub struct Window {
    /// `2026-W48` or `2026-11`.
    pub label: String,
    pub first_day: NaiveDate,
    /// The day after the last.
    pub end_day: NaiveDate,
    pub start_ms: i64,
    pub end_ms: i64,
    /// The calendar month holding the period's last day ("this month" metrics).
    pub month_start_ms: i64,
    pub month_end_ms: i64,
    pub tz: chrono_tz::Tz,
    pub weekly: bool,
}

/// Local midnight of `day` in `tz`, in Unix ms (the first instant of the day where DST
/// skips midnight).
pub fn day_start_ms(tz: chrono_tz::Tz, day: NaiveDate) -> Option<i64> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    (0..=3)
        .filter_map(|h| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                .earliest()
        })
        .next()
        .map(|t| t.timestamp_millis())
}

fn month_bounds(day: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1)?;
    let next = if day.month() == 12 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)?
    };
    Some((first, next))
}

impl Window {
    /// Parses `2026-W48` or `2026-11`; the current week when `None`.
    pub fn parse(period: Option<&str>, tz: chrono_tz::Tz) -> ApiResult<Window> {
        let bad = |p: &str| {
            ApiError::Unprocessable(format!(
                "'{p}' is not a period like 2026-W48 (ISO week) or 2026-11 (month)"
            ))
        };
        let (first_day, end_day, weekly, label) = match period {
            None => {
                let today = chrono::Utc::now().with_timezone(&tz).date_naive();
                let monday = today
                    - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
                (
                    monday,
                    monday + chrono::Duration::days(7),
                    true,
                    crate::reports::format_iso_week(monday),
                )
            }
            Some(p) if p.contains("-W") => {
                let monday = crate::reports::parse_iso_week(p).ok_or_else(|| bad(p))?;
                (
                    monday,
                    monday + chrono::Duration::days(7),
                    true,
                    crate::reports::format_iso_week(monday),
                )
            }
            Some(p) => {
                let day = NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d")
                    .map_err(|_| bad(p))?;
                let (first, next) = month_bounds(day).ok_or_else(|| bad(p))?;
                (first, next, false, first.format("%Y-%m").to_string())
            }
        };
        // Reports cover the years records may carry (see the model's time check).
        if !(2000..2100).contains(&first_day.year()) {
            return Err(ApiError::Unprocessable(
                "periods run from 2000 to 2099".into(),
            ));
        }
        let last_day = end_day - chrono::Duration::days(1);
        let (month_first, month_next) =
            month_bounds(last_day).ok_or_else(|| bad(period.unwrap_or("")))?;
        let ms = |d: NaiveDate| day_start_ms(tz, d).ok_or_else(|| bad(period.unwrap_or("")));
        Ok(Window {
            label,
            first_day,
            end_day,
            start_ms: ms(first_day)?,
            end_ms: ms(end_day)?,
            month_start_ms: ms(month_first)?,
            month_end_ms: ms(month_next)?,
            tz,
            weekly,
        })
    }

    pub fn days(&self) -> i64 {
        (self.end_day - self.first_day).num_days()
    }

    /// The Monday of the ISO week holding the period's last day: where a weekly trend
    /// that covers the period ends.
    pub fn last_monday(&self) -> NaiveDate {
        let last = self.end_day - chrono::Duration::days(1);
        last - chrono::Duration::days(i64::from(last.weekday().num_days_from_monday()))
    }
}

/// Builders of the scorecard's figures.
trait MetricExt: Sized {
    fn count(key: &str, group: &str, records: Vec<RecordRef>) -> Self;
    fn share(key: &str, group: &str, records: Vec<RecordRef>, total: usize) -> Self;
    fn against(self, target: f64) -> Self;
}

impl MetricExt for Metric {
    fn count(key: &str, group: &str, records: Vec<RecordRef>) -> Metric {
        Metric {
            key: key.to_owned(),
            group: group.to_owned(),
            value: records.len() as f64,
            part: None,
            total: None,
            target: None,
            attainment: None,
            records,
        }
    }

    fn share(key: &str, group: &str, records: Vec<RecordRef>, total: usize) -> Metric {
        let part = records.len();
        Metric {
            key: key.to_owned(),
            group: group.to_owned(),
            value: if total == 0 {
                0.0
            } else {
                part as f64 / total as f64
            },
            part: Some(part as u64),
            total: Some(total as u64),
            target: None,
            attainment: None,
            records,
        }
    }

    /// Sets the target. A share of nothing (no birthdays in the period, no open
    /// opportunity) has no attainment: it is not applicable, not 0 %.
    fn against(mut self, target: f64) -> Metric {
        self.target = Some(target);
        self.attainment = (target > 0.0 && self.total != Some(0)).then(|| self.value / target);
        self
    }
}

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

fn stage_rank(code: Option<&str>) -> Option<usize> {
    let code = code?;
    Stage::ALL.iter().position(|s| s.code() == code)
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

fn rec(kind: &str, id: &str, account: &str, at: Option<i64>) -> RecordRef {
    RecordRef {
        kind: kind.to_owned(),
        id: id.to_owned(),
        account_id: account.to_owned(),
        at_ms: at,
    }
}

/// A rep's own records of `$entity` (not deleted) that occurred in `[$from, $to)`.
macro_rules! rep_records {
    ($entity:ident, $tenant:expr, $rep:expr, $from:expr, $to:expr) => {
        $entity::Entity::find()
            .filter($entity::Column::TenantId.eq($tenant))
            .filter($entity::Column::AuthorId.eq($rep))
            .filter($entity::Column::Deleted.eq(false))
            .filter($entity::Column::OccurredAt.gte($from))
            .filter($entity::Column::OccurredAt.lt($to))
    };
}

/// The whole scorecard of one rep for one period.
pub async fn scorecard(
    db: &DatabaseConnection,
    tenant_id: &str,
    rep: &users::Model,
    window: &Window,
    rules: &Rules,
) -> ApiResult<Scorecard> {
    let accounts = team_accounts(db, tenant_id, std::slice::from_ref(rep)).await?;
    let account_ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    let mut metrics = Vec::new();
    // The scorecard's queries are independent of each other: they run side by side, each
    // on its own connection, so the scorecard takes about as long as its slowest query
    // rather than the sum of them (on PostgreSQL, one round trip instead of a dozen).
    let earliest = accounts
        .iter()
        .map(|a| cadence_of(a, rules))
        .max()
        .unwrap_or(0);
    // Favours and info reports are counted for the period and for its month.
    let month_from = window.month_start_ms.min(window.start_ms);
    let month_to = window.month_end_ms.max(window.end_ms);
    let (
        key_contacts,
        period_visits,
        recent,
        month_favours,
        events,
        infos,
        intel_rows,
        greeting_rows,
        moves,
        marks,
        (covered, open),
    ) = tokio::try_join!(
        contacts::Entity::find()
            .filter(contacts::Column::TenantId.eq(tenant_id))
            .filter(contacts::Column::AccountId.is_in(account_ids.clone()))
            .filter(contacts::Column::KeyContact.eq(true))
            .filter(contacts::Column::Deleted.eq(false))
            .all(db)
            .map_err(ApiError::from),
        rep_records!(visits, tenant_id, &rep.id, window.start_ms, window.end_ms)
            .order_by_asc(visits::Column::OccurredAt)
            .all(db)
            .map_err(ApiError::from),
        // The rep's last visit on each account (as of the period's end).
        rep_records!(
            visits,
            tenant_id,
            &rep.id,
            window.end_ms - earliest * 86_400_000,
            window.end_ms
        )
        .filter(visits::Column::AccountId.is_in(account_ids.clone()))
        .select_only()
        .column(visits::Column::AccountId)
        .column_as(
            Expr::from(Func::max(Expr::col(visits::Column::OccurredAt))),
            "last",
        )
        .group_by(visits::Column::AccountId)
        .into_tuple::<(String, i64)>()
        .all(db)
        .map_err(ApiError::from),
        rep_records!(favours, tenant_id, &rep.id, month_from, month_to)
            .order_by_asc(favours::Column::OccurredAt)
            .all(db)
            .map_err(ApiError::from),
        rep_records!(
            relationship_events,
            tenant_id,
            &rep.id,
            window.start_ms,
            window.end_ms
        )
        .all(db)
        .map_err(ApiError::from),
        rep_records!(info_reports, tenant_id, &rep.id, month_from, month_to)
            .all(db)
            .map_err(ApiError::from),
        rep_records!(intel, tenant_id, &rep.id, window.start_ms, window.end_ms)
            .all(db)
            .map_err(ApiError::from),
        // Greetings for a birthday may come up to three days before it.
        rep_records!(
            greetings,
            tenant_id,
            &rep.id,
            window.start_ms - 3 * 86_400_000,
            window.end_ms
        )
        .all(db)
        .map_err(ApiError::from),
        stage_events::Entity::find()
            .filter(stage_events::Column::TenantId.eq(tenant_id))
            .filter(stage_events::Column::ByUser.eq(&rep.id))
            .filter(stage_events::Column::AtMs.gte(window.start_ms))
            .filter(stage_events::Column::AtMs.lt(window.end_ms))
            .all(db)
            .map_err(ApiError::from),
        // The marks of the period's visits (the same visits as above, as a subquery).
        visit_marks::Entity::find()
            .filter(visit_marks::Column::TenantId.eq(tenant_id))
            .filter(
                visit_marks::Column::VisitId.in_subquery(
                    rep_records!(visits, tenant_id, &rep.id, window.start_ms, window.end_ms)
                        .select_only()
                        .column(visits::Column::Id)
                        .into_query(),
                ),
            )
            .all(db)
            .map_err(ApiError::from),
        influencer_coverage(db, tenant_id, &account_ids, window.end_ms),
    )?;

    // --- closeness §四.4.1: VIP cards of the key contacts on the rep's accounts (now).
    let contact_ref = |c: &contacts::Model| rec("contact", &c.id, &c.account_id, None);
    let with_card: Vec<RecordRef> = key_contacts
        .iter()
        .filter(|c| c.has_card)
        .map(contact_ref)
        .collect();
    metrics.push(
        Metric::share(
            "card_coverage",
            "closeness",
            with_card.clone(),
            key_contacts.len(),
        )
        .against(rules.card_coverage_target),
    );
    let cards: Vec<&contacts::Model> = key_contacts.iter().filter(|c| c.has_card).collect();
    for (key, known) in [
        (
            "card_knows_name",
            &(|c: &contacts::Model| c.card_knows_name) as &dyn Fn(&contacts::Model) -> bool,
        ),
        ("card_interests", &|c: &contacts::Model| c.card_interests),
        ("card_birthday", &|c: &contacts::Model| c.card_birthday),
        ("card_concern", &|c: &contacts::Model| c.card_concern),
        ("card_full_depth", &|c: &contacts::Model| c.card_depth >= 4),
    ] {
        let part = cards
            .iter()
            .filter(|c| known(c))
            .map(|c| contact_ref(c))
            .collect();
        metrics.push(Metric::share(key, "closeness", part, cards.len()));
    }

    // --- building §四.4.2: visits.
    let visit_ref = |v: &visits::Model| rec("visit", &v.id, &v.account_id, Some(v.occurred_at));
    let visit_target = if window.weekly {
        rules.weekly_visit_target as f64
    } else {
        (rules.weekly_visit_target as f64 * window.days() as f64 / 7.0).round()
    };
    metrics.push(
        Metric::count(
            "visits",
            "building",
            period_visits.iter().map(visit_ref).collect(),
        )
        .against(visit_target),
    );
    metrics.push(Metric::share(
        "verified_share",
        "building",
        period_visits
            .iter()
            .filter(|v| v.verified)
            .map(visit_ref)
            .collect(),
        period_visits.len(),
    ));
    metrics.push(Metric::count(
        "late_logged",
        "building",
        period_visits
            .iter()
            .filter(|v| v.late)
            .map(visit_ref)
            .collect(),
    ));
    let mut seen = HashSet::new();
    let distinct: Vec<RecordRef> = period_visits
        .iter()
        .filter(|v| seen.insert(v.account_id.clone()))
        .map(|v| rec("account", &v.account_id, &v.account_id, None))
        .collect();
    metrics.push(Metric::count("distinct_accounts", "building", distinct));

    // Cadence kept: the rep's accounts whose last visit by the rep, as of the period's
    // end, lies within the account's cadence.
    let last: HashMap<&str, i64> = recent.iter().map(|(a, t)| (a.as_str(), *t)).collect();
    let kept: Vec<RecordRef> = accounts
        .iter()
        .filter(|a| {
            last.get(a.id.as_str())
                .is_some_and(|t| *t >= window.end_ms - cadence_of(a, rules) * 86_400_000)
        })
        .map(|a| rec("account", &a.id, &a.id, None))
        .collect();
    metrics.push(
        Metric::share("cadence_kept", "building", kept, accounts.len())
            .against(rules.cadence_kept_target),
    );

    // Favours: in the period, and accounts with one this month.
    let favour_ref = |f: &favours::Model| rec("favour", &f.id, &f.account_id, Some(f.occurred_at));
    let in_period = |t: i64| t >= window.start_ms && t < window.end_ms;
    let in_month = |t: i64| t >= window.month_start_ms && t < window.month_end_ms;
    metrics.push(Metric::count(
        "favours",
        "building",
        month_favours
            .iter()
            .filter(|f| in_period(f.occurred_at))
            .map(favour_ref)
            .collect(),
    ));
    let favoured: HashSet<&str> = month_favours
        .iter()
        .filter(|f| in_month(f.occurred_at))
        .map(|f| f.account_id.as_str())
        .collect();
    metrics.push(
        Metric::share(
            "favour_accounts_month",
            "building",
            accounts
                .iter()
                .filter(|a| favoured.contains(a.id.as_str()))
                .map(|a| rec("account", &a.id, &a.id, None))
                .collect(),
            accounts.len(),
        )
        .against(rules.favour_accounts_target),
    );

    // Relationship events.
    for (key, kind) in [
        ("first_thought_events", EventKind::FirstThought),
        ("best_display_events", EventKind::BestDisplay),
        ("private_help_events", EventKind::PrivateHelp),
    ] {
        metrics.push(Metric::count(
            key,
            "building",
            events
                .iter()
                .filter(|e| e.kind == kind.code())
                .map(|e| {
                    rec(
                        "relationship_event",
                        &e.id,
                        &e.account_id,
                        Some(e.occurred_at),
                    )
                })
                .collect(),
        ));
    }

    // --- information §四.4.3.
    metrics.push(Metric::count(
        "info_reports",
        "information",
        infos
            .iter()
            .filter(|r| in_period(r.occurred_at))
            .map(|r| rec("info_report", &r.id, &r.account_id, Some(r.occurred_at)))
            .collect(),
    ));
    let informed: HashSet<&str> = infos
        .iter()
        .filter(|r| in_month(r.occurred_at))
        .map(|r| r.account_id.as_str())
        .collect();
    metrics.push(Metric::share(
        "info_accounts_month",
        "information",
        accounts
            .iter()
            .filter(|a| informed.contains(a.id.as_str()))
            .map(|a| rec("account", &a.id, &a.id, None))
            .collect(),
        accounts.len(),
    ));
    metrics.push(Metric::count(
        "competitor_intel",
        "information",
        intel_rows
            .iter()
            .map(|r| {
                rec(
                    "competitor_intel",
                    &r.id,
                    &r.account_id,
                    Some(r.occurred_at),
                )
            })
            .collect(),
    ));

    // Greetings logged in the period, whatever the occasion: the count beside the shares.
    metrics.push(Metric::count(
        "greetings",
        "information",
        greeting_rows
            .iter()
            .filter(|g| in_period(g.occurred_at))
            .map(|g| rec("greeting", &g.id, &g.account_id, Some(g.occurred_at)))
            .collect(),
    ));

    // Greetings: key contacts whose birthday falls in the period and who were greeted for
    // it (in the period, or up to three days before); holidays of the period greeted.
    let birthday_contacts: Vec<&contacts::Model> = key_contacts
        .iter()
        .filter(|c| {
            birthday_of(c).is_some_and(|b| {
                calendar::next_birthday(b, window.first_day, window.days() - 1).is_some()
            })
        })
        .collect();
    let greeted: Vec<RecordRef> = birthday_contacts
        .iter()
        .filter_map(|c| {
            greeting_rows
                .iter()
                .find(|g| {
                    g.occasion == Occasion::Birthday.code()
                        && g.contact_id.as_deref() == Some(c.id.as_str())
                })
                .map(|g| rec("greeting", &g.id, &g.account_id, Some(g.occurred_at)))
        })
        .collect();
    metrics.push(
        Metric::share(
            "birthday_greetings",
            "information",
            greeted,
            birthday_contacts.len(),
        )
        .against(rules.birthday_greeting_target),
    );
    let holidays = calendar::holidays_between(window.first_day, window.days() - 1);
    let holidays_greeted: Vec<RecordRef> = holidays
        .iter()
        .filter_map(|(occasion, _)| {
            greeting_rows
                .iter()
                .find(|g| g.occasion == occasion.code() && in_period(g.occurred_at))
                .map(|g| rec("greeting", &g.id, &g.account_id, Some(g.occurred_at)))
        })
        .collect();
    metrics.push(Metric::share(
        "holidays_greeted",
        "information",
        holidays_greeted,
        holidays.len(),
    ));

    // --- method §三.
    metrics.push(
        Metric::share("influencer_coverage", "method", covered, open)
            .against(rules.influencer_coverage_target),
    );
    let visit_by_id: HashMap<&str, &visits::Model> =
        period_visits.iter().map(|v| (v.id.as_str(), v)).collect();
    let marked = |prefix: &str, code: Option<&str>| -> Vec<RecordRef> {
        let mut ids: Vec<&str> = marks
            .iter()
            .filter(|m| {
                m.mark
                    .split_once(':')
                    .is_some_and(|(p, c)| p == prefix && code.is_none_or(|code| code == c))
            })
            .map(|m| m.visit_id.as_str())
            .collect();
        ids.sort_unstable();
        // One code: a visit counts once. Every signal (no code): a visit counts once per
        // signal it showed, so its duplicates stay.
        if code.is_some() {
            ids.dedup();
        }
        ids.into_iter()
            .filter_map(|id| visit_by_id.get(id).map(|v| visit_ref(v)))
            .collect()
    };
    let signals = marked("signal", None);
    let visits_n = period_visits.len();
    metrics.push(Metric {
        key: "signals_per_visit".into(),
        group: "method".into(),
        value: if visits_n == 0 {
            0.0
        } else {
            signals.len() as f64 / visits_n as f64
        },
        part: Some(signals.len() as u64),
        total: Some(visits_n as u64),
        target: None,
        attainment: None,
        records: signals,
    });
    for signal in Signal::ALL {
        metrics.push(Metric::count(
            signal_key(*signal),
            "method",
            marked("signal", Some(signal.code())),
        ));
    }
    for objection in Objection::ALL {
        metrics.push(Metric::count(
            objection_key(*objection),
            "method",
            marked("objection", Some(objection.code())),
        ));
    }
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for m in &moves {
        let r = rec("account", &m.account_id, &m.account_id, Some(m.at_ms));
        match (
            stage_rank(m.from_stage.as_deref()),
            stage_rank(m.to_stage.as_deref()),
        ) {
            (Some(f), Some(t)) if t > f => up.push(r),
            (None, Some(_)) => up.push(r),
            (Some(f), Some(t)) if t < f => down.push(r),
            (Some(_), None) => down.push(r),
            _ => {}
        }
    }
    metrics.push(Metric::count("stage_up", "method", up));
    metrics.push(Metric::count("stage_down", "method", down));

    // --- compliance.
    metrics.push(Metric::count(
        "favours_over_limit",
        "compliance",
        month_favours
            .iter()
            .filter(|f| in_period(f.occurred_at) && f.over_limit)
            .map(favour_ref)
            .collect(),
    ));

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

fn signal_key(s: Signal) -> &'static str {
    match s {
        Signal::AcceptedIdea => "signal_accepted_idea",
        Signal::NextStep => "signal_next_step",
        Signal::IntroducedSenior => "signal_introduced_senior",
        Signal::TechnicalExchange => "signal_technical_exchange",
    }
}

fn objection_key(o: Objection) -> &'static str {
    match o {
        Objection::NoNeed => "objection_no_need",
        Objection::NoTrust => "objection_no_trust",
        Objection::NoBudget => "objection_no_budget",
        Objection::NoHurry => "objection_no_hurry",
    }
}

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
                group: template.group.clone(),
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

async fn influencer_coverage(
    db: &DatabaseConnection,
    tenant_id: &str,
    accounts: &[String],
    at_ms: i64,
) -> ApiResult<(Vec<RecordRef>, usize)> {
    let risks = opportunity_risks(db, tenant_id, accounts, at_ms).await?;
    let covered = risks
        .iter()
        .filter(|r| !r.in_danger_zone())
        .map(|r| rec("opportunity", &r.opportunity_id, &r.account_id, None))
        .collect();
    Ok((covered, risks.len()))
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
    let longest = accounts
        .iter()
        .map(|a| cadence_of(a, rules))
        .max()
        .unwrap_or(0);
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
        .map(|w| day_start_ms(tz, first_monday + chrono::Duration::weeks(w)))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ApiError::Unprocessable("weeks out of range".into()))?;
    let labels = (0..weeks)
        .map(|w| crate::reports::format_iso_week(first_monday + chrono::Duration::weeks(w)))
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
