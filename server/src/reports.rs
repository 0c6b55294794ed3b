//! Reports for managers, read from the read model.
//!
//! Weeks are ISO weeks in the company's time zone: a visit at 23:30 on Sunday local time
//! counts in the week that Sunday ends, wherever the server runs.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rapport_client_core::protocol::{ErrorBody, RepRef, RepVisits, Role, Scorecard, WeeklyVisits};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::access::{self, TeamRefused};
use crate::app::{App, AppState};
use crate::auth::AuthUser;
use crate::db::{teams, tenants, users, visits};
use crate::error::{ApiError, ApiResult, QueryParams};
use crate::periods;
use crate::scorecard;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/reports/visits/weekly", get(http_weekly))
        .route("/v1/reports/visits/trend", get(http_trend))
        .route("/v1/reports/scorecard", get(http_scorecard))
        .route("/v1/reports/team", get(http_team))
        .route("/v1/reports/overdue", get(http_overdue))
        .route("/v1/reports/danger-zone", get(http_danger_zone))
        .route("/v1/reports/favours-over-limit", get(http_over_limit))
        .route("/v1/reports/upcoming", get(http_upcoming))
}

/// The team a manager or admin asks about, by id or name ([`access::team_in_scope`]): an
/// admin must name one (the refusal lists the company's teams); a team of another company
/// is answered as if it did not exist.
async fn team_in_scope(app: &App, user: &AuthUser, team: Option<&str>) -> ApiResult<String> {
    match access::team_in_scope(&app.db, &user.user, team).await? {
        Ok(Some(found)) => Ok(found.id),
        Ok(None) => {
            let names: Vec<String> = access::company_teams(&app.db, user.tenant_id())
                .await?
                .into_iter()
                .map(|t| t.name)
                .collect();
            Err(ApiError::Unprocessable(if names.is_empty() {
                "name a team: this company has none yet".into()
            } else {
                format!("name a team, one of: {}", names.join(", "))
            }))
        }
        Err(TeamRefused::Rep) => Err(ApiError::Forbidden("team reports are for managers".into())),
        Err(TeamRefused::NoTeam) => Err(ApiError::Forbidden("you manage no team".into())),
        Err(TeamRefused::NotTheirs) => Err(ApiError::Forbidden("not your team".into())),
        Err(TeamRefused::Unknown) => Err(ApiError::NotFound(format!(
            "no team '{}'",
            team.unwrap_or_default()
        ))),
    }
}

fn iso_ms(ms: Option<i64>, tz: chrono_tz::Tz) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.with_timezone(&tz).to_rfc3339())
        .unwrap_or_default()
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct TeamQuery {
    /// Team name or id (admins must name one; managers see their own team).
    pub team: Option<String>,
    /// ISO week, for the weekly visits (default: this week).
    pub week: Option<String>,
    /// ISO week or month (default: this week).
    pub period: Option<String>,
    /// Weeks of the trend (default 12).
    pub weeks: Option<i64>,
    /// Days ahead for birthdays and holidays (default 14).
    pub days: Option<i64>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Trend {
    pub team_id: String,
    pub weeks: Vec<String>,
    pub target: i64,
    pub reps: Vec<TrendRow>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrendRow {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub visits: Vec<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OverLimit {
    pub id: String,
    pub account_id: String,
    pub author_id: String,
    pub contact_id: Option<String>,
    pub kind: String,
    pub description: String,
    pub value: Option<f64>,
    pub occurred_at_ms: i64,
}

/// A team list managers read (and export), computed the same way for the API and the
/// dashboard.
#[derive(Debug)]
pub enum TeamList {
    Weekly(WeeklyVisits),
    Trend(Trend),
    Overdue(Vec<scorecard::Overdue>, chrono_tz::Tz),
    DangerZone(Vec<scorecard::OpportunityRisk>),
    OverLimit(Vec<OverLimit>, chrono_tz::Tz),
    Upcoming(Vec<scorecard::Upcoming>),
}

/// The names of the team lists (`/v1/reports/...` paths, export file names).
pub const TEAM_LISTS: [&str; 6] = [
    "visits-weekly",
    "visit-trend",
    "overdue",
    "danger-zone",
    "favours-over-limit",
    "upcoming",
];

impl TeamList {
    /// Computes the list `name` (one of [`TEAM_LISTS`]) for a team the caller has already
    /// been authorised for.
    pub async fn compute(
        app: &App,
        tenant_id: &str,
        team_id: &str,
        name: &str,
        q: &TeamQuery,
    ) -> ApiResult<TeamList> {
        let (_, tz) = scorecard::tenant_zone(&app.db, tenant_id).await?;
        let reps = access::team_reps(&app.db, tenant_id, team_id).await?;
        let now = app.clock.now_ms();
        let account_ids = |accounts: Vec<crate::db::accounts::Model>| -> Vec<String> {
            accounts.into_iter().map(|a| a.id).collect()
        };
        Ok(match name {
            "visits-weekly" => {
                TeamList::Weekly(weekly_visits(app, tenant_id, team_id, q.week.as_deref()).await?)
            }
            "visit-trend" => {
                let weeks = q.weeks.unwrap_or(12);
                if !(1..=104).contains(&weeks) {
                    return Err(ApiError::Unprocessable("weeks: 1 to 104".into()));
                }
                let window = periods::Window::parse(q.period.as_deref(), tz, app.clock.now())?;
                let (labels, counts) = scorecard::visit_trend(
                    &app.db,
                    tenant_id,
                    &reps,
                    tz,
                    window.last_monday(),
                    weeks,
                )
                .await?;
                let (_, rules) = crate::rules::load(&app.db, tenant_id).await?;
                TeamList::Trend(Trend {
                    team_id: team_id.to_owned(),
                    weeks: labels,
                    target: rules.weekly_visit_target,
                    reps: reps
                        .into_iter()
                        .map(|r| TrendRow {
                            visits: counts.get(&r.id).cloned().unwrap_or_default(),
                            user_id: r.id,
                            username: r.username,
                            display_name: r.display_name,
                        })
                        .collect(),
                })
            }
            "overdue" => {
                let (_, rules) = crate::rules::load(&app.db, tenant_id).await?;
                let accounts = scorecard::team_accounts(&app.db, tenant_id, &reps).await?;
                let list =
                    scorecard::overdue_accounts(&app.db, tenant_id, &accounts, &rules, now).await?;
                TeamList::Overdue(list, tz)
            }
            "danger-zone" => {
                let accounts =
                    account_ids(scorecard::team_accounts(&app.db, tenant_id, &reps).await?);
                TeamList::DangerZone(
                    scorecard::opportunity_risks(&app.db, tenant_id, &accounts, now)
                        .await?
                        .into_iter()
                        .filter(scorecard::OpportunityRisk::in_danger_zone)
                        .collect(),
                )
            }
            "favours-over-limit" => {
                let window = periods::Window::parse(q.period.as_deref(), tz, app.clock.now())?;
                let list = scorecard::favours_over_limit(&app.db, tenant_id, &reps, &window)
                    .await?
                    .into_iter()
                    .map(|f| OverLimit {
                        id: f.id,
                        account_id: f.account_id,
                        author_id: f.author_id,
                        contact_id: f.contact_id,
                        kind: f.kind,
                        description: f.description,
                        value: f.value,
                        occurred_at_ms: f.occurred_at,
                    })
                    .collect();
                TeamList::OverLimit(list, tz)
            }
            "upcoming" => {
                let days = q.days.unwrap_or(14);
                if !(1..=366).contains(&days) {
                    return Err(ApiError::Unprocessable("days: 1 to 366".into()));
                }
                let accounts =
                    account_ids(scorecard::team_accounts(&app.db, tenant_id, &reps).await?);
                let today = app.clock.now().with_timezone(&tz).date_naive();
                TeamList::Upcoming(
                    scorecard::upcoming(&app.db, tenant_id, &accounts, today, days).await?,
                )
            }
            other => return Err(ApiError::NotFound(format!("no list '{other}'"))),
        })
    }

    /// The file name of its CSV export, without `.csv`.
    pub fn file_name(&self) -> String {
        match self {
            TeamList::Weekly(r) => format!("visits-{}", r.week),
            TeamList::Trend(_) => "visit-trend".into(),
            TeamList::Overdue(..) => "overdue-accounts".into(),
            TeamList::DangerZone(_) => "danger-zone".into(),
            TeamList::OverLimit(..) => "favours-over-limit".into(),
            TeamList::Upcoming(_) => "upcoming".into(),
        }
    }

    pub fn csv(&self) -> crate::csv::Csv {
        match self {
            TeamList::Weekly(r) => crate::csv::rows(
                &[
                    "week",
                    "team",
                    "username",
                    "display_name",
                    "visits",
                    "accounts",
                    "target",
                ],
                r.reps.iter().map(|rep| {
                    vec![
                        r.week.clone(),
                        r.team_name.clone(),
                        rep.username.clone(),
                        rep.display_name.clone(),
                        rep.visits.to_string(),
                        rep.accounts.to_string(),
                        r.target.to_string(),
                    ]
                }),
            ),
            TeamList::Trend(t) => {
                let mut header = vec!["username", "display_name"];
                header.extend(t.weeks.iter().map(String::as_str));
                crate::csv::rows(
                    &header,
                    t.reps.iter().map(|r| {
                        let mut row = vec![r.username.clone(), r.display_name.clone()];
                        row.extend(r.visits.iter().map(u64::to_string));
                        row
                    }),
                )
            }
            TeamList::Overdue(list, tz) => crate::csv::rows(
                &[
                    "account_id",
                    "account",
                    "tier",
                    "cadence_days",
                    "last_visit",
                    "days_overdue",
                ],
                list.iter().map(|o| {
                    vec![
                        o.account_id.clone(),
                        o.account_name.clone(),
                        o.tier.clone().unwrap_or_default(),
                        o.cadence_days.to_string(),
                        iso_ms(o.last_visit_ms, *tz),
                        o.days_overdue.map(|d| d.to_string()).unwrap_or_default(),
                    ]
                }),
            ),
            TeamList::DangerZone(list) => crate::csv::rows(
                &[
                    "opportunity_id",
                    "account_id",
                    "opportunity",
                    "unknown_roles",
                    "unmet_roles",
                ],
                list.iter().map(|o| {
                    vec![
                        o.opportunity_id.clone(),
                        o.account_id.clone(),
                        o.name.clone(),
                        o.unknown_roles.join(" "),
                        o.unmet_roles.join(" "),
                    ]
                }),
            ),
            TeamList::OverLimit(list, tz) => crate::csv::rows(
                &[
                    "favour_id",
                    "account_id",
                    "author_id",
                    "kind",
                    "description",
                    "value",
                    "occurred_at",
                ],
                list.iter().map(|f| {
                    vec![
                        f.id.clone(),
                        f.account_id.clone(),
                        f.author_id.clone(),
                        f.kind.clone(),
                        f.description.clone(),
                        f.value.map(|v| v.to_string()).unwrap_or_default(),
                        iso_ms(Some(f.occurred_at_ms), *tz),
                    ]
                }),
            ),
            TeamList::Upcoming(list) => crate::csv::rows(
                &["date", "occasion", "contact_id", "contact", "account_id"],
                list.iter().map(|u| {
                    vec![
                        u.date.to_string(),
                        u.occasion.to_owned(),
                        u.contact_id.clone().unwrap_or_default(),
                        u.contact_name.clone().unwrap_or_default(),
                        u.account_id.clone().unwrap_or_default(),
                    ]
                }),
            ),
        }
    }

    fn json(self) -> Response {
        match self {
            TeamList::Weekly(r) => axum::Json(r).into_response(),
            TeamList::Trend(t) => axum::Json(t).into_response(),
            TeamList::Overdue(l, _) => axum::Json(l).into_response(),
            TeamList::DangerZone(l) => axum::Json(l).into_response(),
            TeamList::OverLimit(l, _) => axum::Json(l).into_response(),
            TeamList::Upcoming(l) => axum::Json(l).into_response(),
        }
    }

    /// JSON, or CSV when `format=csv`.
    pub fn respond(self, format: Option<&str>) -> ApiResult<Response> {
        match format {
            None | Some("json") => Ok(self.json()),
            Some("csv") => Ok(crate::csv::attachment(&self.file_name(), self.csv())),
            Some(other) => Err(ApiError::Unprocessable(format!(
                "format '{other}': json or csv"
            ))),
        }
    }
}

/// The `/v1/reports/<list>` handlers: authorise the team, compute, answer.
async fn team_list(
    state: &AppState,
    user: &AuthUser,
    name: &str,
    q: TeamQuery,
) -> ApiResult<Response> {
    let team_id = team_in_scope(state, user, q.team.as_deref()).await?;
    TeamList::compute(state, user.tenant_id(), &team_id, name, &q)
        .await?
        .respond(q.format.as_deref())
}

#[utoipa::path(get, path = "/v1/reports/visits/weekly", tag = "reports", params(TeamQuery), responses((status = 200, description = "Visits per rep of a team in an ISO week (JSON, or CSV with format=csv)", body = WeeklyVisits), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn http_weekly(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<TeamQuery>,
) -> ApiResult<Response> {
    team_list(&state, &user, "visits-weekly", q).await
}

#[utoipa::path(get, path = "/v1/reports/visits/trend", tag = "reports", params(TeamQuery), responses((status = 200, description = "Visits per rep per week over the weeks ending with the period", body = Trend), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_trend(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<TeamQuery>,
) -> ApiResult<Response> {
    team_list(&state, &user, "visit-trend", q).await
}

#[utoipa::path(get, path = "/v1/reports/overdue", tag = "reports", params(TeamQuery), responses((status = 200, body = Vec<scorecard::Overdue>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_overdue(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<TeamQuery>,
) -> ApiResult<Response> {
    team_list(&state, &user, "overdue", q).await
}

#[utoipa::path(get, path = "/v1/reports/danger-zone", tag = "reports", params(TeamQuery), responses((status = 200, body = Vec<scorecard::OpportunityRisk>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_danger_zone(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<TeamQuery>,
) -> ApiResult<Response> {
    team_list(&state, &user, "danger-zone", q).await
}

#[utoipa::path(get, path = "/v1/reports/favours-over-limit", tag = "reports", params(TeamQuery), responses((status = 200, body = Vec<OverLimit>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_over_limit(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<TeamQuery>,
) -> ApiResult<Response> {
    team_list(&state, &user, "favours-over-limit", q).await
}

#[utoipa::path(get, path = "/v1/reports/upcoming", tag = "reports", params(TeamQuery), responses((status = 200, body = Vec<scorecard::Upcoming>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_upcoming(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<TeamQuery>,
) -> ApiResult<Response> {
    team_list(&state, &user, "upcoming", q).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ScorecardQuery {
    /// The rep's id, user name or display name (default: oneself).
    rep: Option<String>,
    period: Option<String>,
}

#[utoipa::path(get, path = "/v1/reports/scorecard", tag = "reports", params(ScorecardQuery), responses((status = 200, body = Scorecard), (status = 403, description = "Not one of your reps", body = ErrorBody), (status = 404, description = "No such rep", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn http_scorecard(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<ScorecardQuery>,
) -> ApiResult<axum::Json<Scorecard>> {
    let rep = match q.rep.as_deref() {
        Some(asked) => access::rep_in_scope(&state.db, &user.user, asked).await?,
        None if user.role() == Role::Rep => user.user.clone(),
        None => {
            return Err(ApiError::Unprocessable(
                "name the rep: ?rep=<user id or name>".into(),
            ));
        }
    };
    let (_, tz) = scorecard::tenant_zone(&state.db, user.tenant_id()).await?;
    let window = periods::Window::parse(q.period.as_deref(), tz, state.clock.now())?;
    let (_, rules) = crate::rules::load(&state.db, user.tenant_id()).await?;
    Ok(axum::Json(
        scorecard::scorecard(&state.db, user.tenant_id(), &rep, &window, &rules).await?,
    ))
}

/// `GET /v1/reports/team`: every rep's scorecard, and the team's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TeamScorecards {
    /// The team's figures (sums of the reps'); absent for a team without reps.
    team: Option<Scorecard>,
    reps: Vec<Scorecard>,
}

/// Every rep's scorecard of a team.
#[utoipa::path(get, path = "/v1/reports/team", tag = "reports", params(TeamQuery), responses((status = 200, description = "Every rep's scorecard of the team, and the team's", body = TeamScorecards), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_team(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<TeamQuery>,
) -> ApiResult<Response> {
    let team_id = team_in_scope(&state, &user, q.team.as_deref()).await?;
    let (_, tz) = scorecard::tenant_zone(&state.db, user.tenant_id()).await?;
    let window = periods::Window::parse(q.period.as_deref(), tz, state.clock.now())?;
    let (_, rules) = crate::rules::load(&state.db, user.tenant_id()).await?;
    // The reps' scorecards side by side (each runs its own queries concurrently too; the
    // connection pool bounds how many run at once).
    let reps = access::team_reps(&state.db, user.tenant_id(), &team_id).await?;
    let cards = futures_util::future::try_join_all(
        reps.iter()
            .map(|rep| scorecard::scorecard(&state.db, user.tenant_id(), rep, &window, &rules)),
    )
    .await?;
    let team_name = teams::Entity::find_by_id(&team_id)
        .one(&state.db)
        .await?
        .map(|t| t.name)
        .unwrap_or_default();
    let team = scorecard::team_total(
        RepRef {
            user_id: team_id.clone(),
            username: String::new(),
            display_name: team_name,
        },
        &cards,
    );
    let name = format!("scorecards-{}", window.label);
    let csv = |cards: &Vec<Scorecard>| {
        crate::csv::rows(
            &[
                "period",
                "username",
                "display_name",
                "group",
                "metric",
                "value",
                "part",
                "total",
                "target",
                "attainment",
            ],
            cards.iter().flat_map(|c| {
                c.metrics.iter().map(move |m| {
                    let opt = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
                    vec![
                        c.period.clone(),
                        c.rep.username.clone(),
                        c.rep.display_name.clone(),
                        m.group.as_str().to_owned(),
                        m.key.clone(),
                        format!("{:.4}", m.value),
                        m.part.map(|p| p.to_string()).unwrap_or_default(),
                        m.total.map(|p| p.to_string()).unwrap_or_default(),
                        opt(m.target),
                        opt(m.attainment),
                    ]
                })
            }),
        )
    };
    match q.format.as_deref() {
        None | Some("json") => Ok(axum::Json(TeamScorecards { team, reps: cards }).into_response()),
        Some("csv") => {
            // The team's rows last, with an empty user name.
            let mut all = cards;
            all.extend(team);
            Ok(crate::csv::attachment(&name, csv(&all)))
        }
        Some(other) => Err(ApiError::Unprocessable(format!(
            "format '{other}': json or csv"
        ))),
    }
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
        Some(w) => periods::parse_iso_week(w).ok_or_else(|| {
            ApiError::Unprocessable(format!("'{w}' is not an ISO week like 2026-W48"))
        })?,
        None => periods::monday_of(app.clock.now().with_timezone(&tz).date_naive()),
    };
    let next_monday = monday + chrono::Duration::days(7);
    let (Some(starts), Some(ends)) = (
        periods::day_start(tz, monday),
        periods::day_start(tz, next_monday),
    ) else {
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
        week: periods::format_iso_week(monday),
        time_zone: tenant.time_zone,
        starts: starts.to_rfc3339(),
        ends: ends.to_rfc3339(),
        total: rows.iter().map(|r| r.visits).sum(),
        target: crate::rules::load(&app.db, tenant_id)
            .await?
            .1
            .weekly_visit_target,
        reps: rows,
    })
}
