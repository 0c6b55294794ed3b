//! The dashboard's pages: the team overview, a rep's scorecard, an account.
//!
//! Every figure comes from the functions the JSON reports use (`reports`, `scorecard`),
//! so a page and its `/v1/reports/...` twin always agree. Each handler is a thin shell
//! around a `*_page` function returning `ApiResult<Markup>`; errors become pages in one
//! place ([`super::error_response`]).

use std::collections::{HashMap, HashSet};

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use maud::{Markup, html};
use rapport_client_core::protocol::{Metric, MetricShape, RecordRef, Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use super::i18n::{self, Lang, term};
use super::session::Viewer;
use super::svg::{self, Series};
use super::{enc, error_response, page, respond, scope};
use crate::app::App;
use crate::db::{
    account_teams, accounts, contacts, favours, greetings, info_reports, intel, opportunities,
    opportunity_roles, relationship_events, stage_events, teams, users, visit_contacts,
    visit_marks, visits,
};
use crate::error::{ApiError, ApiResult};
use crate::periods::{Window, format_iso_week, parse_iso_week};
use crate::scorecard;

/// Weeks the overview's trend chart spans.
const TREND_WEEKS: i64 = 12;
/// Days ahead the overview lists birthdays and holidays for.
const UPCOMING_DAYS: i64 = 14;
/// Most entries an account's timeline shows.
const TIMELINE_LIMIT: usize = 200;

type Q<T> = Result<Query<T>, QueryRejection>;

fn query<T>(q: Q<T>) -> ApiResult<T> {
    q.map(|q| q.0)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

fn path(p: Result<Path<String>, PathRejection>) -> ApiResult<String> {
    p.map(|p| p.0)
        .map_err(|_| ApiError::NotFound("no such page".into()))
}

/// Renders a page, or the page of its error.
fn finish(viewer: &Viewer, result: ApiResult<Markup>) -> Response {
    match result {
        Ok(markup) => respond(&viewer.prefs, StatusCode::OK, markup),
        Err(e) => error_response(&viewer.prefs, Some(viewer), e),
    }
}

// ---------------------------------------------------------------------------------------
// Formatting

fn local(ms: i64, tz: Tz) -> Option<chrono::DateTime<Tz>> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&tz))
}

fn fmt_day(ms: i64, tz: Tz) -> String {
    local(ms, tz).map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

fn fmt_time(ms: i64, tz: Tz) -> String {
    local(ms, tz).map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M").to_string())
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn money(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("¥{v:.0}")
    } else {
        format!("¥{v:.2}")
    }
}

fn account_href(id: &str) -> String {
    format!("/dashboard/accounts/{}", enc(id))
}

fn rep_href(id: &str, period: &str) -> String {
    format!("/dashboard/reps/{}?period={}", enc(id), enc(period))
}

/// "(n days ago)" from `now`.
fn ago(l: Lang, ms: i64, now: i64) -> String {
    let days = (now - ms).div_euclid(86_400_000);
    match (l, days) {
        (_, d) if d < 0 => String::new(),
        (Lang::En, 0) => "today".into(),
        (Lang::Zh, 0) => "今天".into(),
        (Lang::En, 1) => "yesterday".into(),
        (Lang::Zh, 1) => "昨天".into(),
        (Lang::En, d) => format!("{d} days ago"),
        (Lang::Zh, d) => format!("{d} 天前"),
    }
}

/// The heading of a list: title, how many, and its CSV export.
fn list_head(l: Lang, title: &str, count: usize, csv: Option<&str>) -> Markup {
    html! {
        h2 {
            span { (title) " " span.count { "(" (count) ")" } }
            @if let Some(href) = csv {
                a.csv href=(href) download { (l.t("CSV", "导出 CSV")) }
            }
        }
    }
}

fn empty(l: Lang, en: &str, zh: &str) -> Markup {
    html! { p.empty { (l.t(en, zh)) } }
}

/// Names of accounts by id (the company's only).
async fn account_names(
    app: &App,
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<HashMap<String, String>> {
    let ids: HashSet<String> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(accounts::Entity::find()
        .filter(accounts::Column::TenantId.eq(tenant_id))
        .filter(accounts::Column::Id.is_in(ids))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

/// Display names of users by id (the company's only).
async fn user_names(
    app: &App,
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<HashMap<String, String>> {
    let ids: HashSet<String> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant_id))
        .filter(users::Column::Id.is_in(ids))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// Names of contacts by id (the company's only).
async fn contact_names(
    app: &App,
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<HashMap<String, String>> {
    let ids: HashSet<String> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(contacts::Entity::find()
        .filter(contacts::Column::TenantId.eq(tenant_id))
        .filter(contacts::Column::Id.is_in(ids))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// Years the pages accept: those the reports cover (records are dated 2000–2099), so a
/// mistyped year gets a clear answer before anything is read.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

fn plausible(day: NaiveDate) -> ApiResult<()> {
    if YEARS.contains(&day.year()) {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(format!(
            "choose a period between {} and {}",
            YEARS.start(),
            YEARS.end()
        )))
    }
}

/// The month (`2026-11`) an ISO week belongs to: its Thursday's.
fn month_of_week(monday: NaiveDate) -> String {
    (monday + chrono::Duration::days(3))
        .format("%Y-%m")
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Team overview

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    team: Option<String>,
    week: Option<String>,
}

/// `GET /dashboard`.
pub async fn overview(
    State(state): State<crate::app::AppState>,
    viewer: Viewer,
    q: Q<OverviewQuery>,
) -> Response {
    let result = overview_page(&state, &viewer, q).await;
    finish(&viewer, result)
}

async fn overview_page(app: &App, viewer: &Viewer, q: Q<OverviewQuery>) -> ApiResult<Markup> {
    let q = query(q)?;
    let l = viewer.lang();
    let tenant_id = viewer.tenant_id();
    let team = scope::team_for(app, viewer, q.team.as_deref()).await?;
    let teams = if viewer.role == Role::Admin {
        scope::company_teams(app, viewer).await?
    } else {
        Vec::new()
    };
    let week = crate::reports::weekly_visits(
        app,
        tenant_id,
        &team.id,
        q.week.as_deref().filter(|w| !w.is_empty()),
    )
    .await?;
    let monday = parse_iso_week(&week.week)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("week {} unreadable", week.week)))?;
    plausible(monday)?;
    let (_, tz) = scorecard::tenant_zone(&app.db, tenant_id).await?;
    let (_, rules) = crate::rules::load(&app.db, tenant_id).await?;
    let reps = crate::access::team_reps(&app.db, tenant_id, &team.id).await?;
    let (weeks, trend) =
        scorecard::visit_trend(&app.db, tenant_id, &reps, tz, monday, TREND_WEEKS).await?;
    let accounts = scorecard::team_accounts(&app.db, tenant_id, &reps).await?;
    let account_ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    let now = crate::clock::now_ms();
    let overdue = scorecard::overdue_accounts(&app.db, tenant_id, &accounts, &rules, now).await?;
    let danger: Vec<scorecard::OpportunityRisk> =
        scorecard::opportunity_risks(&app.db, tenant_id, &account_ids, now)
            .await?
            .into_iter()
            .filter(scorecard::OpportunityRisk::in_danger_zone)
            .collect();
    let month = month_of_week(monday);
    let month_window = Window::parse(Some(&month), tz, crate::clock::now())?;
    let over_limit =
        scorecard::favours_over_limit(&app.db, tenant_id, &reps, &month_window).await?;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let upcoming =
        scorecard::upcoming(&app.db, tenant_id, &account_ids, today, UPCOMING_DAYS).await?;
    let mut names: HashMap<String, String> = accounts
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let missing: Vec<String> = over_limit
        .iter()
        .map(|f| f.account_id.clone())
        .filter(|id| !names.contains_key(id))
        .collect();
    names.extend(account_names(app, tenant_id, missing).await?);
    let rep_names: HashMap<&str, &str> = reps
        .iter()
        .map(|r| (r.id.as_str(), r.display_name.as_str()))
        .collect();
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_else(|| "—".to_owned());

    let this_monday =
        today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let week_link = |m: NaiveDate| {
        let mut href = format!("/dashboard?week={}", enc(&format_iso_week(m)));
        if viewer.role == Role::Admin {
            href.push_str(&format!("&team={}", enc(&team.id)));
        }
        href
    };
    let csv =
        |file: &str, extra: &str| format!("/dashboard/export/{file}?team={}{extra}", enc(&team.id));
    let week_param = format!("&week={}", enc(&week.week));
    let trend_param = format!("&period={}&weeks={TREND_WEEKS}", enc(&week.week));
    let month_param = format!("&period={}", enc(&month));
    let team_target = week.target * i64::try_from(week.reps.len()).unwrap_or(0);
    let sunday = monday + chrono::Duration::days(6);
    let selected = weeks.iter().position(|w| *w == week.week);
    let series_values: Vec<(&str, Vec<u64>)> = reps
        .iter()
        .map(|r| {
            (
                r.display_name.as_str(),
                trend.get(&r.id).cloned().unwrap_or_default(),
            )
        })
        .collect();
    let series: Vec<Series<'_>> = series_values
        .iter()
        .map(|(name, values)| Series {
            name,
            values: values.as_slice(),
        })
        .collect();

    let body = html! {
        main {
            h1 {
                (l.t("Weekly visits", "每周拜访")) " · " (week.team_name)
            }
            div.toolbar {
                a.step href=(week_link(monday - chrono::Duration::weeks(1))) rel="prev"
                    data-testid="prev-week" { "← " (format_iso_week(monday - chrono::Duration::weeks(1))) }
                span.current data-testid="week" { (week.week) }
                @if monday < this_monday {
                    a.step href=(week_link(monday + chrono::Duration::weeks(1))) rel="next"
                        data-testid="next-week" { (format_iso_week(monday + chrono::Duration::weeks(1))) " →" }
                }
                @if monday != this_monday {
                    a.step href=(week_link(this_monday)) { (l.t("This week", "本周")) }
                }
                @if !teams.is_empty() {
                    form method="get" action="/dashboard" {
                        input type="hidden" name="week" value=(week.week);
                        select name="team" aria-label=(l.t("Team", "团队")) data-testid="team-picker" {
                            @for t in &teams {
                                option value=(t.id) selected[t.id == team.id] { (t.name) }
                            }
                        }
                        button type="submit" { (l.t("Show", "查看")) }
                    }
                }
            }
            section.card.first {
                h2 {
                    span {
                        (l.t("Visits per rep", "销售拜访次数")) " "
                        span.count {
                            (monday.format("%m-%d")) " – " (sunday.format("%m-%d"))
                        }
                    }
                    a.csv href=(csv("visits-weekly.csv", &week_param)) download { (l.t("CSV", "导出 CSV")) }
                }
                @if week.reps.is_empty() {
                    (empty(l, "This team has no reps yet.", "该团队还没有销售人员。"))
                } @else {
                    div.scroll {
                        table.weekly data-testid="weekly-visits" {
                            thead { tr {
                                th { (l.t("Rep", "销售")) }
                                th.num { (l.t("Visits", "拜访次数")) }
                                th.num { (l.t("Accounts", "客户数")) }
                                th.num { (l.t("Target", "目标")) }
                                th.num { (l.t("Attainment", "达成率")) }
                            } }
                            tbody {
                                @for r in &week.reps {
                                    @let att = (week.target > 0).then(|| r.visits as f64 / week.target as f64);
                                    tr data-testid="weekly-row" data-rep=(r.username) {
                                        td {
                                            a href=(rep_href(&r.user_id, &week.week)) data-testid=(format!("rep-{}", r.username)) {
                                                (r.display_name)
                                            }
                                            " " span.muted.small { (r.username) }
                                        }
                                        td.num.visits data-testid=(format!("visits-{}", r.username)) { (r.visits) }
                                        td.num data-testid=(format!("accounts-{}", r.username)) { (r.accounts) }
                                        td.num data-testid=(format!("target-{}", r.username)) { (week.target) }
                                        td.num data-testid=(format!("attainment-{}", r.username)) {
                                            div.att {
                                                (svg::attainment_bar(att))
                                                span { (att.map_or_else(|| "—".to_owned(), pct)) }
                                            }
                                        }
                                    }
                                }
                            }
                            tfoot { tr {
                                td { (l.t("Team", "团队合计")) }
                                td.num data-testid="visits-total" { (week.total) }
                                td.num {}
                                td.num data-testid="target-total" { (team_target) }
                                td.num {
                                    @if team_target > 0 {
                                        (pct(week.total as f64 / team_target as f64))
                                    }
                                }
                            } }
                        }
                    }
                }
                p.muted.small {
                    (l.t("Visits logged in the week, counted in the company's time zone (", "按公司时区统计本周记录的拜访（"))
                    (week.time_zone)
                    (l.t("). Click a name for the rep's scorecard.", "）。点击姓名查看该销售的客情关系计分卡。"))
                }
            }
            section.card {
                h2 {
                    span { (l.t("Visit trend, 12 weeks", "近 12 周拜访趋势")) }
                    a.csv href=(csv("visit-trend.csv", &trend_param)) download { (l.t("CSV", "导出 CSV")) }
                }
                div.chart-scroll {
                    (svg::trend_chart(l, &weeks, &series, week.target, selected))
                }
                div.legend {
                    @for (i, s) in series.iter().enumerate() {
                        span { span.swatch style=(format!("background:{}", svg::colour(i))) {} (s.name) }
                    }
                    span.muted { "- - " (l.t("weekly target per rep", "每人每周目标")) }
                }
            }
            div.grid {
                section.card data-testid="overdue" {
                    (list_head(l, l.t("Accounts overdue for a visit", "超期未拜访的大客户"), overdue.len(), Some(&csv("overdue.csv", ""))))
                    @if overdue.is_empty() {
                        (empty(l, "Every account was visited within its cadence.", "所有大客户都在拜访周期内。"))
                    } @else {
                        div.scroll { table {
                            thead { tr {
                                th { (l.t("Account", "大客户")) }
                                th { (l.t("Tier", "分级")) }
                                th.num { (l.t("Cadence", "拜访周期")) }
                                th { (l.t("Last visit", "上次拜访")) }
                                th.num { (l.t("Overdue", "超期")) }
                            } }
                            tbody {
                                @for o in &overdue {
                                    tr {
                                        td { a href=(account_href(&o.account_id)) { (o.account_name) } }
                                        td { (o.tier.as_deref().map_or("—", |t| term(l, i18n::TIERS, t))) }
                                        td.num { (o.cadence_days) (l.t(" d", " 天")) }
                                        td { (o.last_visit_ms.map_or_else(|| l.t("never", "从未拜访").to_owned(), |ms| fmt_day(ms, tz))) }
                                        td.num {
                                            @match o.days_overdue {
                                                Some(d) => span.badge.warn { (d) (l.t(" d", " 天")) },
                                                None => span.badge.bad { (l.t("no visit", "无拜访")) },
                                            }
                                        }
                                    }
                                }
                            }
                        } }
                    }
                }
                section.card data-testid="danger-zone" {
                    (list_head(l, l.t("Opportunities in the danger zone", "处于销售雷区的机会"), danger.len(), Some(&csv("danger-zone.csv", ""))))
                    @if danger.is_empty() {
                        (empty(l, "Every open opportunity has all four buying influences known and met.", "所有跟进中的机会，四种购买影响者都已识别并在 30 天内拜访。"))
                    } @else {
                        div.scroll { table {
                            thead { tr {
                                th { (l.t("Account", "大客户")) }
                                th { (l.t("Opportunity", "机会")) }
                                th { (l.t("Buying influences at risk", "有风险的购买影响者")) }
                            } }
                            tbody {
                                @for o in &danger {
                                    tr {
                                        td { a href=(account_href(&o.account_id)) { (name_of(&o.account_id)) } }
                                        td.wrap { (o.name) }
                                        td.wrap {
                                            @for r in &o.unknown_roles {
                                                span.badge.bad { (term(l, i18n::BUYING_ROLES, r)) " · " (l.t("unknown", "未识别")) }
                                            }
                                            @for r in &o.unmet_roles {
                                                span.badge.warn { (term(l, i18n::BUYING_ROLES, r)) " · " (l.t("not met in 30 d", "30 天未见")) }
                                            }
                                        }
                                    }
                                }
                            }
                        } }
                    }
                }
                section.card data-testid="over-limit" {
                    (list_head(l, &format!("{} · {}", l.t("Favours over the value limit", "超出金额上限的礼尚往来"), month), over_limit.len(), Some(&csv("favours-over-limit.csv", &month_param))))
                    @if over_limit.is_empty() {
                        (empty(l, "No favour this month was worth more than the limit.", "本月没有超出金额上限的事项。"))
                    } @else {
                        div.scroll { table {
                            thead { tr {
                                th { (l.t("Date", "日期")) }
                                th { (l.t("Rep", "销售")) }
                                th { (l.t("Account", "大客户")) }
                                th { (l.t("What", "事项")) }
                                th.num { (l.t("Value", "金额")) }
                            } }
                            tbody {
                                @for f in &over_limit {
                                    tr {
                                        td { (fmt_day(f.occurred_at, tz)) }
                                        td { (rep_names.get(f.author_id.as_str()).copied().unwrap_or("—")) }
                                        td { a href=(account_href(&f.account_id)) { (name_of(&f.account_id)) } }
                                        td.wrap { span.badge.plain { (term(l, i18n::FAVOUR_KINDS, &f.kind)) } " " (f.description) }
                                        td.num { span.badge.bad { (f.value.map_or_else(String::new, money)) } }
                                    }
                                }
                            }
                        } }
                    }
                    p.muted.small {
                        (l.t("Limit: ", "上限：")) (money(rules.favour_limit))
                    }
                }
                section.card data-testid="upcoming" {
                    (list_head(l, l.t("Birthdays and holidays, next 14 days", "未来 14 天的生日和节日"), upcoming.len(), Some(&csv("upcoming.csv", &format!("&days={UPCOMING_DAYS}")))))
                    @if upcoming.is_empty() {
                        (empty(l, "Nothing in the next 14 days.", "未来 14 天没有生日或节日。"))
                    } @else {
                        div.scroll { table {
                            thead { tr {
                                th { (l.t("Date", "日期")) }
                                th { (l.t("Occasion", "事由")) }
                                th { (l.t("Contact", "客户关系人")) }
                                th { (l.t("Account", "大客户")) }
                            } }
                            tbody {
                                @for u in &upcoming {
                                    tr {
                                        td { (u.date.format("%Y-%m-%d")) " " span.muted.small { (weekday(l, u.date)) } }
                                        td {
                                            @if u.occasion == "birthday" {
                                                span.badge { (term(l, i18n::OCCASIONS, u.occasion)) }
                                            } @else {
                                                span.badge.good { (term(l, i18n::OCCASIONS, u.occasion)) }
                                            }
                                        }
                                        td { (u.contact_name.as_deref().unwrap_or("—")) }
                                        td {
                                            @match &u.account_id {
                                                Some(a) => a href=(account_href(a)) { (name_of(a)) },
                                                None => span.muted { (l.t("all key contacts", "所有关键联系人")) },
                                            }
                                        }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
        }
    };
    Ok(page(
        &viewer.prefs,
        Some(viewer),
        &format!("{} {}", l.t("Team overview", "团队概览"), week.week),
        &body,
    ))
}

fn weekday(l: Lang, d: NaiveDate) -> &'static str {
    let i = d.weekday().num_days_from_monday() as usize;
    match l {
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i % 7],
        Lang::Zh => ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][i % 7],
    }
}

// ---------------------------------------------------------------------------------------
// Rep scorecard

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
}

/// `GET /dashboard/reps/{rep}`.
pub async fn scorecard(
    State(state): State<crate::app::AppState>,
    viewer: Viewer,
    rep: Result<Path<String>, PathRejection>,
    q: Q<PeriodQuery>,
) -> Response {
    let result = scorecard_page(&state, &viewer, rep, q).await;
    finish(&viewer, result)
}

/// What the drill-down shows of one record.
struct Described {
    title: String,
}

async fn scorecard_page(
    app: &App,
    viewer: &Viewer,
    rep: Result<Path<String>, PathRejection>,
    q: Q<PeriodQuery>,
) -> ApiResult<Markup> {
    let rep = path(rep)?;
    let q = query(q)?;
    let l = viewer.lang();
    let tenant_id = viewer.tenant_id();
    let rep = scope::rep_for(app, viewer, &rep).await?;
    let (_, tz) = scorecard::tenant_zone(&app.db, tenant_id).await?;
    let window = Window::parse(
        q.period.as_deref().filter(|p| !p.is_empty()),
        tz,
        crate::clock::now(),
    )?;
    plausible(window.first_day)?;
    let (_, rules) = crate::rules::load(&app.db, tenant_id).await?;
    let card = scorecard::scorecard(&app.db, tenant_id, &rep, &window, &rules).await?;
    let records: Vec<&RecordRef> = card.metrics.iter().flat_map(|m| &m.records).collect();
    let described = describe(app, l, tenant_id, &records).await?;
    let names = account_names(app, tenant_id, records.iter().map(|r| r.account_id.clone())).await?;
    let team_name = match &rep.team_id {
        Some(t) => teams::Entity::find_by_id(t)
            .one(&app.db)
            .await?
            .filter(|t| t.tenant_id == tenant_id)
            .map(|t| t.name),
        None => None,
    };

    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let period_href = |p: &str| rep_href(&rep.id, p);
    let (prev, next, other, other_label) = if window.weekly {
        (
            format_iso_week(window.first_day - chrono::Duration::weeks(1)),
            format_iso_week(window.end_day),
            month_of_week(window.first_day),
            l.t("Month", "按月"),
        )
    } else {
        let last = (window.end_day - chrono::Duration::days(1)).min(today);
        let monday =
            last - chrono::Duration::days(i64::from(last.weekday().num_days_from_monday()));
        (
            (window.first_day - chrono::Duration::days(1))
                .format("%Y-%m")
                .to_string(),
            window.end_day.format("%Y-%m").to_string(),
            format_iso_week(monday),
            l.t("Week", "按周"),
        )
    };
    let future = window.end_day > today;
    let back = if matches!(viewer.role, Role::Manager | Role::Admin) {
        let week = if window.weekly {
            window.label.clone()
        } else {
            format_iso_week(
                today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday())),
            )
        };
        let mut href = format!("/dashboard?week={}", enc(&week));
        if viewer.role == Role::Admin
            && let Some(t) = &rep.team_id
        {
            href.push_str(&format!("&team={}", enc(t)));
        }
        Some(href)
    } else {
        None
    };
    let headline: Vec<&Metric> = card.metrics.iter().filter(|m| m.target.is_some()).collect();
    let groups: Vec<(&str, Vec<&Metric>)> = i18n::GROUPS
        .iter()
        .map(|(g, _, _)| {
            (
                *g,
                card.metrics
                    .iter()
                    .filter(|m| m.group.as_str() == *g)
                    .collect(),
            )
        })
        .chain(std::iter::once((
            "other",
            card.metrics
                .iter()
                .filter(|m| !i18n::GROUPS.iter().any(|(g, _, _)| *g == m.group.as_str()))
                .collect(),
        )))
        .filter(|(_, ms): &(&str, Vec<&Metric>)| !ms.is_empty())
        .collect();

    let body = html! {
        main {
            h1 data-testid="rep-name" {
                (rep.display_name) " "
                small { (rep.username) @if let Some(t) = &team_name { " · " (t) } }
            }
            p.muted {
                (l.t("Relationship-maintenance scorecard", "客情关系维护计分卡")) " · "
                (window.first_day.format("%Y-%m-%d")) " – "
                ((window.end_day - chrono::Duration::days(1)).format("%Y-%m-%d"))
            }
            div.toolbar {
                a.step href=(period_href(&prev)) rel="prev" { "← " (prev) }
                span.current data-testid="period" { (card.period) }
                @if !future {
                    a.step href=(period_href(&next)) rel="next" { (next) " →" }
                }
                a.step href=(period_href(&other)) { (other_label) }
                @if let Some(href) = &back {
                    a.step href=(href) { (l.t("← Team overview", "← 返回团队概览")) }
                }
            }
            div.facts {
                @for m in &headline {
                    @let (value, _, target) = shown(m);
                    @let value = if m.part.is_none() && !target.is_empty() { format!("{value} / {target}") } else { value };
                    @let att = attainment(m);
                    div.fact data-testid=(format!("fact-{}", m.key)) {
                        div.label { (term(l, i18n::METRICS, &m.key)) }
                        div.fig.good[att.is_some_and(|a| a >= 1.0)].bad[att.is_some_and(|a| a < 0.7)] { (value) }
                        (svg::attainment_bar(att))
                    }
                }
            }
            @for (group, metrics) in &groups {
                section.card data-testid=(format!("group-{group}")) {
                    h2 { (term(l, i18n::GROUPS, group)) }
                    div.metric-head {
                        span { (l.t("Figure", "指标")) }
                        span.value { (l.t("Value", "数值")) }
                        span.part { (l.t("Part / total", "达成 / 总数")) }
                        span.target { (l.t("Target", "目标")) }
                        span { (l.t("Attainment", "达成率")) }
                    }
                    @for m in metrics {
                        (metric_row(l, m, &described, &names, tz))
                    }
                }
            }
            p.muted.small {
                (l.t("Click a figure to see the records behind it. Targets are the company's rules.", "点击指标查看其背后的记录。目标来自公司规则设置。"))
            }
        }
    };
    Ok(page(
        &viewer.prefs,
        Some(viewer),
        &format!("{} {}", rep.display_name, card.period),
        &body,
    ))
}

/// A metric's attainment, when there is something to attain (a share of nothing has none).
fn attainment(m: &Metric) -> Option<f64> {
    m.attainment
        .filter(|a| a.is_finite())
        .filter(|_| m.total != Some(0))
}

/// A metric's value, part/total and target as shown.
fn shown(m: &Metric) -> (String, String, String) {
    let share = m.shape == MetricShape::Share;
    let part = match (m.part, m.total) {
        (Some(p), Some(t)) => format!("{p} / {t}"),
        _ => String::new(),
    };
    let value = if share {
        if m.total == Some(0) {
            "—".to_owned()
        } else {
            pct(m.value)
        }
    } else if m.value.fract() == 0.0 {
        format!("{:.0}", m.value)
    } else {
        format!("{:.2}", m.value)
    };
    let target = match m.target {
        Some(t) if share => pct(t),
        Some(t) => format!("{t:.0}"),
        None => String::new(),
    };
    (value, part, target)
}

fn metric_row(
    l: Lang,
    m: &Metric,
    described: &HashMap<(String, String), Described>,
    names: &HashMap<String, String>,
    tz: Tz,
) -> Markup {
    let (value, part, target) = shown(m);
    let att = attainment(m);
    let cells = html! {
        span.value data-testid=(format!("value-{}", m.key)) { (value) }
        span.part { (part) }
        span.target { (target) }
        span.att {
            @if att.is_some() {
                (svg::attainment_bar(att))
                span { (att.map_or_else(String::new, pct)) }
            }
        }
    };
    if m.records.is_empty() {
        return html! {
            div.metric-row data-testid=(format!("metric-{}", m.key)) {
                span.name { (term(l, i18n::METRICS, &m.key)) }
                (cells)
            }
        };
    }
    let mut records: Vec<&RecordRef> = m.records.iter().collect();
    records.sort_by_key(|r| std::cmp::Reverse(r.at_ms));
    html! {
        details.metric data-testid=(format!("metric-{}", m.key)) {
            summary {
                span.name { span.caret { "▸" } (term(l, i18n::METRICS, &m.key)) }
                (cells)
            }
            div.drill.scroll {
                table data-testid=(format!("records-{}", m.key)) {
                    thead { tr {
                        th { (l.t("Kind", "类型")) }
                        th { (l.t("Account", "大客户")) }
                        th { (l.t("Date", "日期")) }
                        th { (l.t("Title", "内容")) }
                    } }
                    tbody {
                        @for r in &records {
                            tr {
                                td { (term(l, i18n::RECORD_KINDS, r.kind.as_str())) }
                                td {
                                    a href=(account_href(&r.account_id)) {
                                        (names.get(&r.account_id).map_or("—", String::as_str))
                                    }
                                }
                                td { (r.at_ms.map_or_else(|| "—".to_owned(), |ms| fmt_time(ms, tz))) }
                                td.wrap {
                                    (described.get(&(r.kind.as_str().to_owned(), r.id.clone())).map_or("", |d| d.title.as_str()))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Titles of the records figures are made of, read per kind in one query each.
async fn describe(
    app: &App,
    l: Lang,
    tenant_id: &str,
    records: &[&RecordRef],
) -> ApiResult<HashMap<(String, String), Described>> {
    let ids = |kind: &str| -> Vec<String> {
        records
            .iter()
            .filter(|r| r.kind.as_str() == kind)
            .map(|r| r.id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect()
    };
    let mut out = HashMap::new();
    let mut put = |kind: &str, id: String, title: String| {
        out.insert((kind.to_owned(), id), Described { title });
    };
    let v = ids("visit");
    if !v.is_empty() {
        for r in visits::Entity::find()
            .filter(visits::Column::TenantId.eq(tenant_id))
            .filter(visits::Column::Id.is_in(v))
            .all(&app.db)
            .await?
        {
            put("visit", r.id, shorten(&r.purpose, 80));
        }
    }
    let v = ids("favour");
    if !v.is_empty() {
        for r in favours::Entity::find()
            .filter(favours::Column::TenantId.eq(tenant_id))
            .filter(favours::Column::Id.is_in(v))
            .all(&app.db)
            .await?
        {
            let value = r
                .value
                .map(|v| format!(" · {}", money(v)))
                .unwrap_or_default();
            put(
                "favour",
                r.id,
                format!(
                    "[{}] {}{value}",
                    term(l, i18n::FAVOUR_KINDS, &r.kind),
                    shorten(&r.description, 80)
                ),
            );
        }
    }
    let v = ids("contact");
    if !v.is_empty() {
        for r in contacts::Entity::find()
            .filter(contacts::Column::TenantId.eq(tenant_id))
            .filter(contacts::Column::Id.is_in(v))
            .all(&app.db)
            .await?
        {
            let title = r.title.map(|t| format!(" · {t}")).unwrap_or_default();
            put("contact", r.id, format!("{}{title}", r.name));
        }
    }
    let v = ids("opportunity");
    if !v.is_empty() {
        for r in opportunities::Entity::find()
            .filter(opportunities::Column::TenantId.eq(tenant_id))
            .filter(opportunities::Column::Id.is_in(v))
            .all(&app.db)
            .await?
        {
            put("opportunity", r.id, r.name);
        }
    }
    let v = ids("account");
    if !v.is_empty() {
        for r in accounts::Entity::find()
            .filter(accounts::Column::TenantId.eq(tenant_id))
            .filter(accounts::Column::Id.is_in(v))
            .all(&app.db)
            .await?
        {
            let stage = r
                .stage
                .as_deref()
                .map(|s| term(l, i18n::STAGES, s).to_owned())
                .unwrap_or_default();
            put("account", r.id, stage);
        }
    }
    let v = ids("relationship_event");
    if !v.is_empty() {
        for r in relationship_events::Entity::find()
            .filter(relationship_events::Column::TenantId.eq(tenant_id))
            .filter(relationship_events::Column::Id.is_in(v))
            .all(&app.db)
            .await?
        {
            put(
                "relationship_event",
                r.id,
                term(l, i18n::EVENT_KINDS, &r.kind).to_owned(),
            );
        }
    }
    let v = ids("info_report");
    if !v.is_empty() {
        for r in info_reports::Entity::find()
            .filter(info_reports::Column::TenantId.eq(tenant_id))
            .filter(info_reports::Column::Id.is_in(v))
            .all(&app.db)
            .await?
        {
            let title = info_title(l, &r);
            put("info_report", r.id, title);
        }
    }
    let v = ids("competitor_intel");
    if !v.is_empty() {
        for r in intel::Entity::find()
            .filter(intel::Column::TenantId.eq(tenant_id))
            .filter(intel::Column::Id.is_in(v))
            .all(&app.db)
            .await?
        {
            let title = intel_title(&r);
            put("competitor_intel", r.id, title);
        }
    }
    let v = ids("greeting");
    if !v.is_empty() {
        for r in greetings::Entity::find()
            .filter(greetings::Column::TenantId.eq(tenant_id))
            .filter(greetings::Column::Id.is_in(v))
            .all(&app.db)
            .await?
        {
            put(
                "greeting",
                r.id,
                format!(
                    "{} · {}",
                    term(l, i18n::OCCASIONS, &r.occasion),
                    term(l, i18n::CHANNELS, &r.channel)
                ),
            );
        }
    }
    Ok(out)
}

fn info_title(l: Lang, r: &info_reports::Model) -> String {
    let figure = match (r.figure, &r.unit) {
        (Some(f), Some(u)) => format!(": {f} {u}"),
        (Some(f), None) => format!(": {f}"),
        _ => String::new(),
    };
    format!("{}{figure}", term(l, i18n::INFO_KINDS, &r.kind))
}

fn intel_title(r: &intel::Model) -> String {
    let mut s = r.competitor.clone();
    if let Some(p) = &r.product {
        s.push_str(" · ");
        s.push_str(p);
    }
    if let Some(price) = r.price {
        s.push_str(" · ");
        s.push_str(&money(price));
    }
    s
}

// ---------------------------------------------------------------------------------------
// Account

/// `GET /dashboard/accounts/{id}`.
pub async fn account(
    State(state): State<crate::app::AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let result = account_page(&state, &viewer, id).await;
    finish(&viewer, result)
}

/// One line of an account's timeline.
struct Entry {
    at_ms: i64,
    kind: &'static str,
    author_id: String,
    text: String,
    /// (text, class) of small labels after the text.
    badges: Vec<(String, &'static str)>,
}

async fn account_page(
    app: &App,
    viewer: &Viewer,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Markup> {
    let id = path(id)?;
    let l = viewer.lang();
    let tenant_id = viewer.tenant_id();
    let account = scope::account_for(app, viewer, &id).await?;
    let id = account.id.clone();
    let (_, tz) = scorecard::tenant_zone(&app.db, tenant_id).await?;
    let (_, rules) = crate::rules::load(&app.db, tenant_id).await?;
    let now = crate::clock::now_ms();

    let people = contacts::Entity::find()
        .filter(contacts::Column::TenantId.eq(tenant_id))
        .filter(contacts::Column::AccountId.eq(&id))
        .filter(contacts::Column::Deleted.eq(false))
        .order_by_desc(contacts::Column::KeyContact)
        .order_by_asc(contacts::Column::Name)
        .all(&app.db)
        .await?;
    let mut contact_name: HashMap<String, String> = people
        .iter()
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    let open = opportunities::Entity::find()
        .filter(opportunities::Column::TenantId.eq(tenant_id))
        .filter(opportunities::Column::AccountId.eq(&id))
        .filter(opportunities::Column::Deleted.eq(false))
        .filter(opportunities::Column::Status.eq("open"))
        .order_by_asc(opportunities::Column::Name)
        .all(&app.db)
        .await?;
    let roles = opportunity_roles::Entity::find()
        .filter(opportunity_roles::Column::TenantId.eq(tenant_id))
        .filter(
            opportunity_roles::Column::OpportunityId
                .is_in(open.iter().map(|o| o.id.clone()).collect::<Vec<_>>()),
        )
        .all(&app.db)
        .await?;
    let risks: HashMap<String, scorecard::OpportunityRisk> =
        scorecard::opportunity_risks(&app.db, tenant_id, std::slice::from_ref(&id), now)
            .await?
            .into_iter()
            .map(|r| (r.opportunity_id.clone(), r))
            .collect();
    let served_by: Vec<String> = account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(tenant_id))
        .filter(account_teams::Column::AccountId.eq(&id))
        .filter(account_teams::Column::Active.eq(true))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|t| t.user_id)
        .collect();

    // The timeline: every kind of record on the account, newest first.
    let mut entries: Vec<Entry> = Vec::new();
    let limit = u64::try_from(TIMELINE_LIMIT).unwrap_or(200);
    let account_visits = visits::Entity::find()
        .filter(visits::Column::TenantId.eq(tenant_id))
        .filter(visits::Column::AccountId.eq(&id))
        .filter(visits::Column::Deleted.eq(false))
        .order_by_desc(visits::Column::OccurredAt)
        .limit(limit)
        .all(&app.db)
        .await?;
    let last_visit = account_visits.first().map(|v| v.occurred_at);
    let visit_ids: Vec<String> = account_visits.iter().map(|v| v.id.clone()).collect();
    let met = visit_contacts::Entity::find()
        .filter(visit_contacts::Column::TenantId.eq(tenant_id))
        .filter(visit_contacts::Column::VisitId.is_in(visit_ids.clone()))
        .all(&app.db)
        .await?;
    let marks = visit_marks::Entity::find()
        .filter(visit_marks::Column::TenantId.eq(tenant_id))
        .filter(visit_marks::Column::VisitId.is_in(visit_ids))
        .all(&app.db)
        .await?;
    let favour_rows = favours::Entity::find()
        .filter(favours::Column::TenantId.eq(tenant_id))
        .filter(favours::Column::AccountId.eq(&id))
        .filter(favours::Column::Deleted.eq(false))
        .order_by_desc(favours::Column::OccurredAt)
        .limit(limit)
        .all(&app.db)
        .await?;
    let intel_rows = intel::Entity::find()
        .filter(intel::Column::TenantId.eq(tenant_id))
        .filter(intel::Column::AccountId.eq(&id))
        .filter(intel::Column::Deleted.eq(false))
        .order_by_desc(intel::Column::OccurredAt)
        .limit(limit)
        .all(&app.db)
        .await?;
    let info_rows = info_reports::Entity::find()
        .filter(info_reports::Column::TenantId.eq(tenant_id))
        .filter(info_reports::Column::AccountId.eq(&id))
        .filter(info_reports::Column::Deleted.eq(false))
        .order_by_desc(info_reports::Column::OccurredAt)
        .limit(limit)
        .all(&app.db)
        .await?;
    let greeting_rows = greetings::Entity::find()
        .filter(greetings::Column::TenantId.eq(tenant_id))
        .filter(greetings::Column::AccountId.eq(&id))
        .filter(greetings::Column::Deleted.eq(false))
        .order_by_desc(greetings::Column::OccurredAt)
        .limit(limit)
        .all(&app.db)
        .await?;
    let event_rows = relationship_events::Entity::find()
        .filter(relationship_events::Column::TenantId.eq(tenant_id))
        .filter(relationship_events::Column::AccountId.eq(&id))
        .filter(relationship_events::Column::Deleted.eq(false))
        .order_by_desc(relationship_events::Column::OccurredAt)
        .limit(limit)
        .all(&app.db)
        .await?;
    let stage_rows = stage_events::Entity::find()
        .filter(stage_events::Column::TenantId.eq(tenant_id))
        .filter(stage_events::Column::AccountId.eq(&id))
        .order_by_desc(stage_events::Column::AtMs)
        .limit(limit)
        .all(&app.db)
        .await?;
    // Contacts named by records but no longer on the account (moved or removed).
    let referenced: Vec<String> = met
        .iter()
        .map(|m| m.contact_id.clone())
        .chain(favour_rows.iter().filter_map(|f| f.contact_id.clone()))
        .chain(greeting_rows.iter().filter_map(|g| g.contact_id.clone()))
        .chain(event_rows.iter().filter_map(|e| e.contact_id.clone()))
        .filter(|c| !contact_name.contains_key(c))
        .collect();
    contact_name.extend(contact_names(app, tenant_id, referenced).await?);
    let who = |c: &Option<String>| -> Option<String> {
        c.as_ref().and_then(|c| contact_name.get(c).cloned())
    };

    for v in &account_visits {
        let mut badges = vec![(
            format!("{} {}", v.duration_min, l.t("min", "分钟")),
            "plain",
        )];
        for m in met.iter().filter(|m| m.visit_id == v.id) {
            if let Some(n) = contact_name.get(&m.contact_id) {
                badges.push((format!("{}{n}", l.t("met ", "见：")), "plain"));
            }
        }
        if v.verified {
            badges.push((l.t("check-in verified", "签到已核实").to_owned(), "good"));
        }
        if v.late {
            badges.push((l.t("logged late", "补录").to_owned(), "warn"));
        }
        for m in marks.iter().filter(|m| m.visit_id == v.id) {
            let Some((prefix, code)) = m.mark.split_once(':') else {
                continue;
            };
            let (list, class) = match prefix {
                "spin" => (i18n::SPIN, "plain"),
                "objection" => (i18n::OBJECTIONS, "warn"),
                "signal" => (i18n::SIGNALS, "good"),
                _ => continue,
            };
            badges.push((term(l, list, code).to_owned(), class));
        }
        if let Some(step) = &v.next_step {
            let due = v
                .next_step_due
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            badges.push((format!("{}{step}{due}", l.t("next: ", "下一步：")), ""));
        }
        entries.push(Entry {
            at_ms: v.occurred_at,
            kind: "visit",
            author_id: v.author_id.clone(),
            text: v.purpose.clone(),
            badges,
        });
    }
    for f in &favour_rows {
        let mut badges = vec![(term(l, i18n::FAVOUR_KINDS, &f.kind).to_owned(), "plain")];
        if let Some(c) = who(&f.contact_id) {
            badges.push((c, "plain"));
        }
        if let Some(v) = f.value {
            badges.push((money(v), if f.over_limit { "bad" } else { "plain" }));
        }
        if f.over_limit {
            badges.push((l.t("over the limit", "超出上限").to_owned(), "bad"));
        }
        entries.push(Entry {
            at_ms: f.occurred_at,
            kind: "favour",
            author_id: f.author_id.clone(),
            text: f.description.clone(),
            badges,
        });
    }
    for r in &intel_rows {
        entries.push(Entry {
            at_ms: r.occurred_at,
            kind: "competitor_intel",
            author_id: r.author_id.clone(),
            text: intel_title(r),
            badges: vec![(
                format!(
                    "{}{}",
                    l.t("confidence: ", "可信度："),
                    term(l, i18n::CONFIDENCE, &r.confidence)
                ),
                "plain",
            )],
        });
    }
    for r in &info_rows {
        entries.push(Entry {
            at_ms: r.occurred_at,
            kind: "info_report",
            author_id: r.author_id.clone(),
            text: info_title(l, r),
            badges: Vec::new(),
        });
    }
    for g in &greeting_rows {
        let mut badges = vec![(term(l, i18n::CHANNELS, &g.channel).to_owned(), "plain")];
        if let Some(c) = who(&g.contact_id) {
            badges.push((c, "plain"));
        }
        entries.push(Entry {
            at_ms: g.occurred_at,
            kind: "greeting",
            author_id: g.author_id.clone(),
            text: term(l, i18n::OCCASIONS, &g.occasion).to_owned(),
            badges,
        });
    }
    for e in &event_rows {
        entries.push(Entry {
            at_ms: e.occurred_at,
            kind: "relationship_event",
            author_id: e.author_id.clone(),
            text: term(l, i18n::EVENT_KINDS, &e.kind).to_owned(),
            badges: who(&e.contact_id)
                .map(|c| vec![(c, "plain")])
                .unwrap_or_default(),
        });
    }
    for s in &stage_rows {
        let name = |s: &Option<String>| {
            s.as_deref()
                .map_or("—".to_owned(), |s| term(l, i18n::STAGES, s).to_owned())
        };
        entries.push(Entry {
            at_ms: s.at_ms,
            kind: "stage_event",
            author_id: s.by_user.clone(),
            text: format!("{} → {}", name(&s.from_stage), name(&s.to_stage)),
            badges: Vec::new(),
        });
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.at_ms));
    entries.truncate(TIMELINE_LIMIT);
    let authors = user_names(
        app,
        tenant_id,
        entries
            .iter()
            .map(|e| e.author_id.clone())
            .chain(served_by.iter().cloned()),
    )
    .await?;

    let cadence = scorecard::cadence_of(&account, &rules);
    let overdue = last_visit.is_none_or(|t| t < now - cadence * 86_400_000);
    let role_holders = |opp: &str, role: &str| -> Vec<String> {
        roles
            .iter()
            .filter(|r| r.opportunity_id == opp && r.role == role)
            .filter_map(|r| contact_name.get(&r.contact_id).cloned())
            .collect()
    };
    let judgement = |j: &Option<String>| {
        j.as_deref().map_or("—".to_owned(), |j| {
            term(l, i18n::JUDGEMENTS, j).to_owned()
        })
    };
    let place = [account.city.as_deref(), account.industry.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");

    let body = html! {
        main {
            h1 data-testid="account-name" {
                (account.name) " "
                @if !place.is_empty() { small { (place) } }
            }
            div.facts {
                div.fact {
                    div.label { (l.t("Value tier", "价值分级")) }
                    div.fig data-testid="tier" { (account.tier.as_deref().map_or("—", |t| term(l, i18n::TIERS, t))) }
                }
                div.fact {
                    div.label { (l.t("Relationship stage", "关系阶段")) }
                    div.fig data-testid="stage" { (account.stage.as_deref().map_or("—", |s| term(l, i18n::STAGES, s))) }
                }
                div.fact {
                    div.label { (l.t("Visit cadence", "拜访周期")) }
                    div.fig { (cadence) (l.t(" days", " 天")) }
                }
                div.fact {
                    div.label { (l.t("Last visit", "上次拜访")) }
                    div.fig.bad[overdue] data-testid="last-visit" {
                        (last_visit.map_or_else(|| l.t("never", "从未").to_owned(), |ms| fmt_day(ms, tz)))
                    }
                    @if let Some(ms) = last_visit { div.label { (ago(l, ms, now)) } }
                }
                div.fact {
                    div.label { (l.t("Account team", "客户服务团队")) }
                    div {
                        @for u in &served_by {
                            span.badge.plain { (authors.get(u).map_or("—", String::as_str)) }
                        }
                    }
                }
            }
            section.card data-testid="contacts" {
                (list_head(l, l.t("Contacts", "客户关系人"), people.len(), None))
                @if people.is_empty() {
                    (empty(l, "No contacts yet.", "还没有联系人。"))
                } @else {
                    div.scroll { table {
                        thead { tr {
                            th { (l.t("Name", "姓名")) }
                            th { (l.t("Title", "职务")) }
                            th { (l.t("Level", "行政分级")) }
                            th { (l.t("Relationship", "关系层次")) }
                            th { (l.t("Buying roles", "购买角色")) }
                            th { (l.t("VIP card", "客情关系卡")) }
                        } }
                        tbody {
                            @for c in &people {
                                tr {
                                    td {
                                        @if c.key_contact { span title=(l.t("key contact", "关键人")) { "★ " } }
                                        (c.name)
                                    }
                                    td { (c.title.as_deref().unwrap_or("")) }
                                    td { (c.admin_level.as_deref().map_or("", |a| term(l, i18n::ADMIN_LEVELS, a))) }
                                    td { (c.relationship_level.as_deref().map_or("", |a| term(l, i18n::RELATIONSHIP_LEVELS, a))) }
                                    td {
                                        @for r in c.roles.split(',').filter(|r| !r.is_empty()) {
                                            span.badge { (term(l, i18n::BUYING_ROLES, r)) }
                                        }
                                    }
                                    td {
                                        @if c.has_card {
                                            span.badge.good[c.card_depth >= 4].warn[c.card_depth < 4] {
                                                (c.card_depth) "/4"
                                            }
                                            " "
                                            @for (known, en, zh) in [
                                                (c.card_knows_name, "name", "名字"),
                                                (c.card_interests, "interests", "爱好"),
                                                (c.card_birthday, "birthday", "生日"),
                                                (c.card_concern, "concern", "私事"),
                                            ] {
                                                span.badge.plain[known].muted[!known] {
                                                    @if known { "✓ " } @else { "✗ " }
                                                    (l.t(en, zh))
                                                }
                                            }
                                        } @else if c.key_contact {
                                            span.badge.bad { (l.t("no card", "未建卡")) }
                                        } @else {
                                            span.muted { "—" }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                }
            }
            section.card data-testid="opportunities" {
                (list_head(l, l.t("Open opportunities", "跟进中的机会"), open.len(), None))
                @if open.is_empty() {
                    (empty(l, "No open opportunity.", "没有跟进中的机会。"))
                } @else {
                    div.scroll { table {
                        thead { tr {
                            th { (l.t("Opportunity", "机会")) }
                            th.num { (l.t("Value", "金额")) }
                            th { (l.t("Expected close", "预计成交")) }
                            th { (l.t("Real / competition / can win / worth it", "是机会 / 有竞争 / 能赢 / 值得赢")) }
                            th { (l.t("Buying influences", "购买影响者")) }
                        } }
                        tbody {
                            @for o in &open {
                                @let risk = risks.get(&o.id);
                                tr {
                                    td.wrap {
                                        (o.name)
                                        @if risk.is_some_and(scorecard::OpportunityRisk::in_danger_zone) {
                                            " " span.badge.bad { (l.t("danger zone", "销售雷区")) }
                                        }
                                    }
                                    td.num { (o.value.map_or_else(String::new, money)) }
                                    td { (o.expected_close.as_deref().unwrap_or("")) }
                                    td {
                                        (judgement(&o.real)) " / " (judgement(&o.competition)) " / "
                                        (judgement(&o.can_win)) " / " (judgement(&o.worth_winning))
                                    }
                                    td.wrap {
                                        @for (code, _, _) in i18n::BUYING_ROLES {
                                            @let holders = role_holders(&o.id, code);
                                            @let unknown = risk.is_some_and(|r| r.unknown_roles.contains(code));
                                            @let unmet = risk.is_some_and(|r| r.unmet_roles.contains(code));
                                            span.badge.bad[unknown].warn[unmet].good[!unknown && !unmet] {
                                                (term(l, i18n::BUYING_ROLES, code)) "："
                                                @if holders.is_empty() { (l.t("unknown", "未识别")) } @else { (holders.join("、")) }
                                                @if unmet { " · " (l.t("not met in 30 d", "30 天未见")) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                }
            }
            section.card data-testid="timeline" {
                (list_head(l, l.t("Timeline", "客户时间线"), entries.len(), None))
                @if entries.is_empty() {
                    (empty(l, "Nothing logged yet.", "还没有记录。"))
                } @else {
                    div.scroll { table {
                        thead { tr {
                            th { (l.t("When", "时间")) }
                            th { (l.t("Kind", "类型")) }
                            th { (l.t("By", "记录人")) }
                            th { (l.t("What", "内容")) }
                        } }
                        tbody {
                            @for e in &entries {
                                tr data-kind=(e.kind) {
                                    td { (fmt_time(e.at_ms, tz)) }
                                    td { (term(l, i18n::RECORD_KINDS, e.kind)) }
                                    td { (authors.get(&e.author_id).map_or("—", String::as_str)) }
                                    td.wrap {
                                        (e.text)
                                        @for (text, class) in &e.badges {
                                            " " span class=(format!("badge {class}")) { (text) }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                }
            }
        }
    };
    Ok(page(&viewer.prefs, Some(viewer), &account.name, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(key: &str, value: f64, part: Option<u64>, total: Option<u64>) -> Metric {
        Metric {
            key: key.into(),
            group: rapport_client_core::protocol::MetricGroup::Building,
            shape: if part.is_some() {
                MetricShape::Share
            } else {
                MetricShape::Count
            },
            value,
            part,
            total,
            target: None,
            attainment: None,
            records: Vec::new(),
        }
    }

    #[test]
    fn figures_read_as_counts_shares_and_ratios() {
        assert_eq!(shown(&metric("visits", 7.0, None, None)).0, "7");
        assert_eq!(
            shown(&metric("cadence_kept", 0.75, Some(3), Some(4))),
            ("75%".into(), "3 / 4".into(), String::new())
        );
        assert_eq!(shown(&metric("cadence_kept", 0.0, Some(0), Some(0))).0, "—");
        assert_eq!(
            shown(&Metric {
                shape: MetricShape::Ratio,
                ..metric("signals_per_visit", 0.8, Some(8), Some(10))
            })
            .0,
            "0.80"
        );
    }

    #[test]
    fn weeks_belong_to_their_thursdays_month() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        assert_eq!(month_of_week(monday), "2026-12");
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        assert_eq!(month_of_week(monday), "2026-11");
    }
}
