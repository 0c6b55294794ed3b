//! Reports for managers, read from the read model.
//!
//! Weeks are ISO weeks in the company's time zone: a visit at 23:30 on Sunday local time
//! counts in the week that Sunday ends, wherever the server runs.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{Datelike, NaiveDate, TimeZone, Weekday};
use rapport_client_core::protocol::{RepVisits, Role, WeeklyVisits};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use crate::app::{App, AppState};
use crate::auth::AuthUser;
use crate::db::{teams, tenants, users, visits};
use crate::error::{ApiError, ApiResult, QueryParams};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/reports/visits/weekly", get(http_weekly))
}

#[derive(Debug, Deserialize)]
struct WeeklyQuery {
    week: Option<String>,
    team: Option<String>,
}

/// Parses `2026-W48` into the Monday of that ISO week.
pub fn parse_iso_week(s: &str) -> Option<NaiveDate> {
    let (year, week) = s.split_once("-W")?;
    let year: i32 = year.parse().ok()?;
    let week: u32 = week.parse().ok()?;
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
}

pub fn format_iso_week(monday: NaiveDate) -> String {
    let w = monday.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// Local midnight at the start of `day` in `tz`, as a UTC instant. Where a DST change
/// skips midnight, the first instant of the day that exists.
fn start_of_day(tz: chrono_tz::Tz, day: NaiveDate) -> Option<chrono::DateTime<chrono_tz::Tz>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight).earliest().or_else(|| {
        (1..=3)
            .filter_map(|h| {
                tz.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                    .earliest()
            })
            .next()
    })
}

async fn http_weekly(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<WeeklyQuery>,
) -> ApiResult<axum::Json<WeeklyVisits>> {
    let team_id = match user.role() {
        Role::Rep => {
            return Err(ApiError::Forbidden("team reports are for managers".into()));
        }
        Role::Manager => {
            let own = user
                .user
                .team_id
                .clone()
                .ok_or_else(|| ApiError::Forbidden("you manage no team".into()))?;
            if q.team.as_ref().is_some_and(|t| *t != own) {
                return Err(ApiError::Forbidden("not your team".into()));
            }
            own
        }
        Role::Admin => q
            .team
            .clone()
            .ok_or_else(|| ApiError::Unprocessable("name the team: ?team=<team id>".into()))?,
    };
    let report = weekly_visits(&state, user.tenant_id(), &team_id, q.week.as_deref()).await?;
    Ok(axum::Json(report))
}

/// Visits per rep of a team in one ISO week (the current week when `week` is `None`).
pub async fn weekly_visits(
    app: &App,
    tenant_id: &str,
    team_id: &str,
    week: Option<&str>,
) -> ApiResult<WeeklyVisits> {
    let tenant = tenants::Entity::find_by_id(tenant_id)
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such company".into()))?;
    let team = teams::Entity::find_by_id(team_id)
        .one(&app.db)
        .await?
        .filter(|t| t.tenant_id == tenant_id)
        .ok_or_else(|| ApiError::NotFound("no such team".into()))?;
    let tz: chrono_tz::Tz = tenant
        .time_zone
        .parse()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("bad time zone {}", tenant.time_zone)))?;
    let monday = match week {
        Some(w) => parse_iso_week(w).ok_or_else(|| {
            ApiError::Unprocessable(format!("'{w}' is not an ISO week like 2026-W48"))
        })?,
        None => {
            let today = chrono::Utc::now().with_timezone(&tz).date_naive();
            today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()))
        }
    };
    let next_monday = monday + chrono::Duration::days(7);
    let (Some(starts), Some(ends)) = (start_of_day(tz, monday), start_of_day(tz, next_monday))
    else {
        return Err(ApiError::Unprocessable("week out of range".into()));
    };

    let reps = users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant_id))
        .filter(users::Column::TeamId.eq(team_id))
        .filter(users::Column::Role.eq(Role::Rep.as_str()))
        .order_by_asc(users::Column::Username)
        .all(&app.db)
        .await?;
    let rep_ids: Vec<String> = reps.iter().map(|r| r.id.clone()).collect();
    let counts: Vec<(String, i64, i64)> = visits::Entity::find()
        .select_only()
        .column(visits::Column::AuthorId)
        .column_as(Expr::col(visits::Column::Id).count(), "visits")
        .column_as(
            Expr::col(visits::Column::AccountId).count_distinct(),
            "accounts",
        )
        .filter(visits::Column::TenantId.eq(tenant_id))
        .filter(visits::Column::AuthorId.is_in(rep_ids))
        .filter(visits::Column::Deleted.eq(false))
        .filter(visits::Column::OccurredAt.gte(starts.timestamp_millis()))
        .filter(visits::Column::OccurredAt.lt(ends.timestamp_millis()))
        .group_by(visits::Column::AuthorId)
        .into_tuple()
        .all(&app.db)
        .await?;
    let rows: Vec<RepVisits> = reps
        .into_iter()
        .map(|r| {
            let (v, a) = counts
                .iter()
                .find(|(id, _, _)| *id == r.id)
                .map_or((0, 0), |(_, v, a)| (*v, *a));
            RepVisits {
                user_id: r.id,
                username: r.username,
                display_name: r.display_name,
                visits: u64::try_from(v).unwrap_or(0),
                accounts: u64::try_from(a).unwrap_or(0),
            }
        })
        .collect();
    Ok(WeeklyVisits {
        team_id: team.id,
        team_name: team.name,
        week: format_iso_week(monday),
        time_zone: tenant.time_zone,
        starts: starts.to_rfc3339(),
        ends: ends.to_rfc3339(),
        total: rows.iter().map(|r| r.visits).sum(),
        reps: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_parse_and_format() {
        let monday = parse_iso_week("2026-W48").expect("valid week");
        assert_eq!(monday, NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"));
        assert_eq!(format_iso_week(monday), "2026-W48");
        // ISO week 1 of 2027 starts in 2027-01-04; week 53 of 2026 exists.
        assert_eq!(
            parse_iso_week("2026-W53"),
            NaiveDate::from_ymd_opt(2026, 12, 28)
        );
        for bad in ["2026-48", "2026-W0", "2026-W54", "x-W01", ""] {
            assert_eq!(parse_iso_week(bad), None, "{bad}");
        }
    }

    #[test]
    fn weeks_start_at_local_midnight() {
        let tz: chrono_tz::Tz = "Asia/Shanghai".parse().expect("tz");
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let start = start_of_day(tz, monday).expect("exists");
        assert_eq!(start.naive_utc().to_string(), "2026-11-22 16:00:00");
    }
}
