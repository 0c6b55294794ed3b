//! `GET /dashboard?team=&week=2026-W48`: a team's week — visits per rep against the
//! target, the 12-week trend, accounts overdue for a visit, opportunities in the danger
//! zone, favours over the value limit, birthdays and holidays ahead.
//!
//! Every list is the [`TeamList`] the API and the CSV exports compute, for the very query
//! its CSV link names: the page, `/v1/reports/...` and the download cannot disagree.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use chrono_tz::Tz;
use maud::{Markup, html};
use rapport_client_core::protocol::{Role, WeeklyVisits};
use serde::Deserialize;

use super::super::i18n::{self, Lang, term};
use super::super::session::Viewer;
use super::super::svg::{self, Series};
use super::super::{enc, page, scope};
use super::format::{
    self, NONE, account_link, csv_link, empty, list_head, money, pct, rep_href, weekday,
};
use super::{finish, names, plausible, query};
use crate::app::{App, AppState};
use crate::db::teams;
use crate::error::{ApiError, ApiResult};
use crate::periods::{format_iso_week, monday_of, month_of_week, parse_iso_week};
use crate::reports::{OverLimit, TeamList, TeamQuery, Trend};
use crate::scorecard::{self, OpportunityRisk, Overdue, Upcoming};

/// Weeks the overview's trend chart spans.
const TREND_WEEKS: i64 = 12;
/// Days ahead the overview lists birthdays and holidays for.
const UPCOMING_DAYS: i64 = 14;

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    team: Option<String>,
    week: Option<String>,
}

/// `GET /dashboard`.
pub async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    q: Result<Query<OverviewQuery>, QueryRejection>,
) -> Response {
    let result = overview_page(&state, &viewer, q).await;
    finish(&viewer, result)
}

async fn overview_page(
    app: &App,
    viewer: &Viewer,
    q: Result<Query<OverviewQuery>, QueryRejection>,
) -> ApiResult<Markup> {
    let q = query(q)?;
    let l = viewer.lang();
    let team = scope::team_for(app, viewer, q.team.as_deref()).await?;
    let week = q.week.filter(|w| !w.is_empty());
    let view = load(app, viewer, team, week).await?;
    Ok(page(
        &viewer.prefs,
        Some(viewer),
        &format!(
            "{} {}",
            l.t("Team overview", "团队概览"),
            view.lists.weekly.rows.week
        ),
        &render(l, &view),
    ))
}

/// One of the team lists, asked for as the API and the CSV export are asked.
#[derive(Debug)]
struct Request {
    /// One of [`crate::reports::TEAM_LISTS`].
    name: &'static str,
    q: TeamQuery,
}

impl Request {
    fn new(name: &'static str) -> Request {
        Request {
            name,
            q: TeamQuery::default(),
        }
    }

    /// The dashboard's CSV export of this list for `team`: the same query, so the same
    /// rows.
    fn csv(&self, team_id: &str) -> String {
        let q = &self.q;
        let mut href = format!("/dashboard/export/{}.csv?team={}", self.name, enc(team_id));
        let params = [
            ("week", q.week.clone()),
            ("period", q.period.clone()),
            ("weeks", q.weeks.map(|w| w.to_string())),
            ("days", q.days.map(|d| d.to_string())),
        ];
        for (key, value) in params {
            if let Some(value) = value {
                href.push_str(&format!("&{key}={}", enc(&value)));
            }
        }
        href
    }

    /// The rows computed for this request, with its CSV link.
    fn listed<T>(&self, team_id: &str, rows: T) -> Listed<T> {
        Listed {
            rows,
            csv: self.csv(team_id),
        }
    }

    async fn compute(&self, app: &App, tenant_id: &str, team_id: &str) -> ApiResult<TeamList> {
        TeamList::compute(app, tenant_id, team_id, self.name, &self.q).await
    }
}

/// The lists of the week `week` (`2026-W48`) that follow from it.
fn week_requests(week: &str, month: &str) -> [Request; 5] {
    [
        Request {
            q: TeamQuery {
                period: Some(week.to_owned()),
                weeks: Some(TREND_WEEKS),
                ..TeamQuery::default()
            },
            ..Request::new("visit-trend")
        },
        Request::new("overdue"),
        Request::new("danger-zone"),
        Request {
            q: TeamQuery {
                period: Some(month.to_owned()),
                ..TeamQuery::default()
            },
            ..Request::new("favours-over-limit")
        },
        Request {
            q: TeamQuery {
                days: Some(UPCOMING_DAYS),
                ..TeamQuery::default()
            },
            ..Request::new("upcoming")
        },
    ]
}

/// The weekly visits of `week` (`None`: this week).
fn weekly_request(week: Option<String>) -> Request {
    Request {
        q: TeamQuery {
            week,
            ..TeamQuery::default()
        },
        ..Request::new("visits-weekly")
    }
}

/// A team list's rows and the link to its CSV export.
#[derive(Debug)]
pub struct Listed<T> {
    pub rows: T,
    pub csv: String,
}

/// The team's lists, each as [`TeamList::compute`] gives it.
#[derive(Debug)]
pub struct TeamLists {
    pub weekly: Listed<WeeklyVisits>,
    pub trend: Listed<Trend>,
    pub overdue: Listed<Vec<Overdue>>,
    pub danger: Listed<Vec<OpportunityRisk>>,
    pub over_limit: Listed<Vec<OverLimit>>,
    pub upcoming: Listed<Vec<Upcoming>>,
}

/// Everything the overview shows.
#[derive(Debug)]
pub struct OverviewView {
    pub team_id: String,
    /// The week steps name the team (an admin's team is chosen, a manager's is theirs).
    pub admin: bool,
    /// The teams an admin may pick from; empty for a manager.
    pub teams: Vec<teams::Model>,
    pub monday: NaiveDate,
    /// The Monday of this week, in the company's zone.
    pub this_monday: NaiveDate,
    /// The month (`2026-11`) the week belongs to.
    pub month: String,
    pub tz: Tz,
    pub favour_limit: f64,
    pub lists: TeamLists,
    /// The names of the accounts the lists refer to.
    pub account_names: HashMap<String, String>,
}

impl OverviewView {
    fn account_name(&self, id: &str) -> &str {
        self.account_names.get(id).map_or(NONE, String::as_str)
    }

    /// The overview of the week of `monday`.
    fn week_href(&self, monday: NaiveDate) -> String {
        let mut href = format!("/dashboard?week={}", enc(&format_iso_week(monday)));
        if self.admin {
            href.push_str(&format!("&team={}", enc(&self.team_id)));
        }
        href
    }
}

fn unexpected_list() -> ApiError {
    ApiError::Internal(anyhow::anyhow!("a team list of another kind than asked"))
}

/// Computes the team's lists for `week` (`None`: this week), side by side.
async fn load(
    app: &App,
    viewer: &Viewer,
    team: teams::Model,
    week: Option<String>,
) -> ApiResult<OverviewView> {
    let (db, tenant_id) = (&app.db, viewer.tenant_id());
    let admin = viewer.role == Role::Admin;
    let TeamList::Weekly(weekly) = weekly_request(week)
        .compute(app, tenant_id, &team.id)
        .await?
    else {
        return Err(unexpected_list());
    };
    let monday = parse_iso_week(&weekly.week)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("week {} unreadable", weekly.week)))?;
    plausible(monday)?;
    let month = month_of_week(monday);
    let [trend, overdue, danger, over_limit, upcoming] = week_requests(&weekly.week, &month);
    let company_teams = async {
        if admin {
            scope::company_teams(app, viewer).await
        } else {
            Ok(Vec::new())
        }
    };
    let (teams, (_, tz), (_, rules), lists) = tokio::try_join!(
        company_teams,
        scorecard::tenant_zone(db, tenant_id),
        crate::rules::load(db, tenant_id),
        async {
            tokio::try_join!(
                trend.compute(app, tenant_id, &team.id),
                overdue.compute(app, tenant_id, &team.id),
                danger.compute(app, tenant_id, &team.id),
                over_limit.compute(app, tenant_id, &team.id),
                upcoming.compute(app, tenant_id, &team.id),
            )
        },
    )?;
    let team_id = team.id.as_str();
    let lists = match lists {
        (
            TeamList::Trend(t),
            TeamList::Overdue(o, _),
            TeamList::DangerZone(d),
            TeamList::OverLimit(f, _),
            TeamList::Upcoming(u),
        ) => TeamLists {
            weekly: weekly_request(Some(weekly.week.clone())).listed(team_id, weekly),
            trend: trend.listed(team_id, t),
            overdue: overdue.listed(team_id, o),
            danger: danger.listed(team_id, d),
            over_limit: over_limit.listed(team_id, f),
            upcoming: upcoming.listed(team_id, u),
        },
        _ => return Err(unexpected_list()),
    };
    let account_names = names::accounts(db, tenant_id, lists.account_ids()).await?;
    Ok(OverviewView {
        team_id: team.id,
        admin,
        teams,
        monday,
        this_monday: monday_of(app.clock.now().with_timezone(&tz).date_naive()),
        month,
        tz,
        favour_limit: rules.favour_limit,
        lists,
        account_names,
    })
}

impl TeamLists {
    /// The accounts the lists name by id only.
    fn account_ids(&self) -> Vec<String> {
        let danger = self.danger.rows.iter().map(|o| &o.account_id);
        let over_limit = self.over_limit.rows.iter().map(|f| &f.account_id);
        let upcoming = self
            .upcoming
            .rows
            .iter()
            .filter_map(|u| u.account_id.as_ref());
        danger.chain(over_limit).chain(upcoming).cloned().collect()
    }
}

/// The whole page body.
fn render(l: Lang, v: &OverviewView) -> Markup {
    html! {
        main {
            h1 {
                (l.t("Weekly visits", "每周拜访")) " · " (v.lists.weekly.rows.team_name)
            }
            (toolbar(l, v))
            (weekly_section(l, v))
            (trend_section(l, v))
            div.grid {
                (overdue_section(l, &v.lists.overdue, v.tz))
                (danger_section(l, v))
                (over_limit_section(l, v))
                (upcoming_section(l, v))
            }
        }
    }
}

/// Steps between weeks, and an admin's team picker.
fn toolbar(l: Lang, v: &OverviewView) -> Markup {
    let week = &v.lists.weekly.rows.week;
    let prev = v.monday - chrono::Duration::weeks(1);
    let next = v.monday + chrono::Duration::weeks(1);
    html! {
        div.toolbar {
            a.step href=(v.week_href(prev)) rel="prev"
                data-testid="prev-week" { "← " (format_iso_week(prev)) }
            span.current data-testid="week" { (week) }
            @if v.monday < v.this_monday {
                a.step href=(v.week_href(next)) rel="next"
                    data-testid="next-week" { (format_iso_week(next)) " →" }
            }
            @if v.monday != v.this_monday {
                a.step href=(v.week_href(v.this_monday)) { (l.t("This week", "本周")) }
            }
            @if !v.teams.is_empty() {
                form method="get" action="/dashboard" {
                    input type="hidden" name="week" value=(week);
                    select name="team" aria-label=(l.t("Team", "团队")) data-testid="team-picker" {
                        @for t in &v.teams {
                            option value=(t.id) selected[t.id == v.team_id] { (t.name) }
                        }
                    }
                    button type="submit" { (l.t("Show", "查看")) }
                }
            }
        }
    }
}

/// Visits per rep this week, against the weekly target.
fn weekly_section(l: Lang, v: &OverviewView) -> Markup {
    let week = &v.lists.weekly.rows;
    let sunday = v.monday + chrono::Duration::days(6);
    html! {
        section.card.first {
            h2 {
                span {
                    (l.t("Visits per rep", "销售拜访次数")) " "
                    span.count {
                        (v.monday.format("%m-%d")) " – " (sunday.format("%m-%d"))
                    }
                }
                (csv_link(l, &v.lists.weekly.csv))
            }
            @if week.reps.is_empty() {
                (empty(l, "This team has no reps yet.", "该团队还没有销售人员。"))
            } @else {
                div.scroll {
                    (weekly_table(l, week))
                }
            }
            p.muted.small {
                (l.t("Visits logged in the week, counted in the company's time zone (", "按公司时区统计本周记录的拜访（"))
                (week.time_zone)
                (l.t("). Click a name for the rep's scorecard.", "）。点击姓名查看该销售的客情关系计分卡。"))
            }
        }
    }
}

/// The weekly visits table, a row per rep and the team's total.
fn weekly_table(l: Lang, week: &WeeklyVisits) -> Markup {
    let team_target = week.target * i64::try_from(week.reps.len()).unwrap_or(0);
    html! {
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
                                span { (att.map_or_else(|| NONE.to_owned(), pct)) }
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

/// The 12-week trend chart and its legend.
fn trend_section(l: Lang, v: &OverviewView) -> Markup {
    let trend = &v.lists.trend.rows;
    let week = &v.lists.weekly.rows;
    let series: Vec<Series<'_>> = trend
        .reps
        .iter()
        .map(|r| Series {
            name: &r.display_name,
            values: &r.visits,
        })
        .collect();
    let selected = trend.weeks.iter().position(|w| *w == week.week);
    html! {
        section.card {
            h2 {
                span { (l.t("Visit trend, 12 weeks", "近 12 周拜访趋势")) }
                (csv_link(l, &v.lists.trend.csv))
            }
            div.chart-scroll {
                (svg::trend_chart(l, &trend.weeks, &series, week.target, selected))
            }
            div.legend {
                @for (i, s) in series.iter().enumerate() {
                    span { span.swatch style=(format!("background:{}", svg::colour(i))) {} (s.name) }
                }
                span.muted { "- - " (l.t("weekly target per rep", "每人每周目标")) }
            }
        }
    }
}

/// Accounts whose visit cadence ran out.
fn overdue_section(l: Lang, overdue: &Listed<Vec<Overdue>>, tz: Tz) -> Markup {
    let rows = &overdue.rows;
    html! {
        section.card data-testid="overdue" {
            (list_head(l, l.t("Accounts overdue for a visit", "超期未拜访的大客户"), rows.len(), Some(&overdue.csv)))
            @if rows.is_empty() {
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
                        @for o in rows {
                            tr {
                                td { (account_link(&o.account_id, &o.account_name)) }
                                td { (o.tier.as_deref().map_or(NONE, |t| term(l, i18n::TIERS, t))) }
                                td.num { (o.cadence_days) (l.t(" d", " 天")) }
                                td { (o.last_visit_ms.map_or_else(|| l.t("never", "从未拜访").to_owned(), |ms| format::day(ms, tz))) }
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
    }
}

/// Open opportunities with a buying influence unknown or not met lately.
fn danger_section(l: Lang, v: &OverviewView) -> Markup {
    let danger = &v.lists.danger;
    html! {
        section.card data-testid="danger-zone" {
            (list_head(l, l.t("Opportunities in the danger zone", "处于销售雷区的机会"), danger.rows.len(), Some(&danger.csv)))
            @if danger.rows.is_empty() {
                (empty(l, "Every open opportunity has all four buying influences known and met.", "所有跟进中的机会，四种购买影响者都已识别并在 30 天内拜访。"))
            } @else {
                div.scroll { table {
                    thead { tr {
                        th { (l.t("Account", "大客户")) }
                        th { (l.t("Opportunity", "机会")) }
                        th { (l.t("Buying influences at risk", "有风险的购买影响者")) }
                    } }
                    tbody {
                        @for o in &danger.rows {
                            tr {
                                td { (account_link(&o.account_id, v.account_name(&o.account_id))) }
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
    }
}

/// The month's favours worth more than the company's limit.
fn over_limit_section(l: Lang, v: &OverviewView) -> Markup {
    let over = &v.lists.over_limit;
    let title = format!(
        "{} · {}",
        l.t("Favours over the value limit", "超出金额上限的礼尚往来"),
        v.month
    );
    let rep_names: HashMap<&str, &str> = v
        .lists
        .trend
        .rows
        .reps
        .iter()
        .map(|r| (r.user_id.as_str(), r.display_name.as_str()))
        .collect();
    html! {
        section.card data-testid="over-limit" {
            (list_head(l, &title, over.rows.len(), Some(&over.csv)))
            @if over.rows.is_empty() {
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
                        @for f in &over.rows {
                            tr {
                                td { (format::day(f.occurred_at_ms, v.tz)) }
                                td { (rep_names.get(f.author_id.as_str()).copied().unwrap_or(NONE)) }
                                td { (account_link(&f.account_id, v.account_name(&f.account_id))) }
                                td.wrap { span.badge.plain { (term(l, i18n::FAVOUR_KINDS, &f.kind)) } " " (f.description) }
                                td.num { span.badge.bad { (f.value.map_or_else(String::new, money)) } }
                            }
                        }
                    }
                } }
            }
            p.muted.small {
                (l.t("Limit: ", "上限：")) (money(v.favour_limit))
            }
        }
    }
}

/// Birthdays of key contacts and traditional holidays in the days ahead.
fn upcoming_section(l: Lang, v: &OverviewView) -> Markup {
    let upcoming = &v.lists.upcoming;
    html! {
        section.card data-testid="upcoming" {
            (list_head(l, l.t("Birthdays and holidays, next 14 days", "未来 14 天的生日和节日"), upcoming.rows.len(), Some(&upcoming.csv)))
            @if upcoming.rows.is_empty() {
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
                        @for u in &upcoming.rows {
                            tr {
                                td { (u.date.format("%Y-%m-%d")) " " span.muted.small { (weekday(l, u.date)) } }
                                td {
                                    @if u.occasion == "birthday" {
                                        span.badge { (term(l, i18n::OCCASIONS, u.occasion)) }
                                    } @else {
                                        span.badge.good { (term(l, i18n::OCCASIONS, u.occasion)) }
                                    }
                                }
                                td { (u.contact_name.as_deref().unwrap_or(NONE)) }
                                td {
                                    @match &u.account_id {
                                        Some(a) => (account_link(a, v.account_name(a))),
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

#[cfg(test)]
mod tests {
    use rapport_client_core::protocol::RepVisits;

    use super::*;

    fn listed<T>(rows: T, csv: &str) -> Listed<T> {
        Listed {
            rows,
            csv: csv.to_owned(),
        }
    }

    fn view() -> OverviewView {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let weekly = WeeklyVisits {
            team_id: "t1".into(),
            team_name: "East".into(),
            week: "2026-W48".into(),
            time_zone: "Asia/Shanghai".into(),
            starts: String::new(),
            ends: String::new(),
            reps: vec![RepVisits {
                user_id: "u1".into(),
                username: "wang".into(),
                display_name: "Wang".into(),
                visits: 3,
                accounts: 2,
            }],
            total: 3,
            target: 4,
        };
        let trend = Trend {
            team_id: "t1".into(),
            weeks: vec!["2026-W47".into(), "2026-W48".into()],
            target: 4,
            reps: vec![crate::reports::TrendRow {
                user_id: "u1".into(),
                username: "wang".into(),
                display_name: "Wang".into(),
                visits: vec![2, 3],
            }],
        };
        // Not in the danger zone: the page shows the list it is given, it does not
        // choose the rows again.
        let calm = OpportunityRisk {
            opportunity_id: "o1".into(),
            account_id: "a1".into(),
            name: "Calm deal".into(),
            unknown_roles: Vec::new(),
            unmet_roles: Vec::new(),
        };
        OverviewView {
            team_id: "t1".into(),
            admin: true,
            teams: Vec::new(),
            monday,
            this_monday: monday,
            month: "2026-11".into(),
            tz: chrono_tz::Asia::Shanghai,
            favour_limit: 500.0,
            lists: TeamLists {
                weekly: listed(weekly, "/weekly.csv"),
                trend: listed(trend, "/trend.csv"),
                overdue: listed(Vec::new(), "/overdue.csv"),
                danger: listed(vec![calm], "/danger.csv"),
                over_limit: listed(
                    vec![OverLimit {
                        id: "f1".into(),
                        account_id: "gone".into(),
                        author_id: "u1".into(),
                        contact_id: None,
                        kind: "personal".into(),
                        description: "<dinner>".into(),
                        value: Some(800.0),
                        occurred_at_ms: 1_764_000_000_000,
                    }],
                    "/over.csv",
                ),
                upcoming: listed(Vec::new(), "/upcoming.csv"),
            },
            account_names: HashMap::from([("a1".to_owned(), "Acme".to_owned())]),
        }
    }

    #[test]
    fn each_list_links_the_export_of_its_own_query() {
        let [trend, overdue, danger, over_limit, upcoming] = week_requests("2026-W48", "2026-11");
        let hrefs: Vec<String> = [
            weekly_request(Some("2026-W48".into())),
            trend,
            overdue,
            danger,
            over_limit,
            upcoming,
        ]
        .iter()
        .inspect(|r| assert!(crate::reports::TEAM_LISTS.contains(&r.name), "{}", r.name))
        .map(|r| r.csv("t 1"))
        .collect();
        assert_eq!(
            hrefs,
            [
                "/dashboard/export/visits-weekly.csv?team=t%201&week=2026-W48",
                "/dashboard/export/visit-trend.csv?team=t%201&period=2026-W48&weeks=12",
                "/dashboard/export/overdue.csv?team=t%201",
                "/dashboard/export/danger-zone.csv?team=t%201",
                "/dashboard/export/favours-over-limit.csv?team=t%201&period=2026-11",
                "/dashboard/export/upcoming.csv?team=t%201&days=14",
            ]
        );
    }

    #[test]
    fn the_overviews_lists_are_the_team_lists_as_given() {
        let v = view();
        let html = render(Lang::En, &v).into_string();
        assert!(html.contains("Calm deal"), "{html}");
        assert!(html.contains(r#"href="/danger.csv""#), "{html}");
        assert!(
            html.contains(r#"<a href="/dashboard/accounts/a1">Acme</a>"#),
            "{html}"
        );
        // An account no longer on the team is named by a dash, its link kept.
        assert!(
            html.contains(r#"<a href="/dashboard/accounts/gone">—</a>"#),
            "{html}"
        );
        assert!(html.contains("&lt;dinner&gt;"), "{html}");
        assert!(
            html.contains("<td>Wang</td>"),
            "the favour's rep is named: {html}"
        );
        assert!(
            html.contains("Every account was visited within its cadence."),
            "{html}"
        );
    }

    #[test]
    fn the_weekly_table_totals_against_the_team_target() {
        let html = weekly_table(Lang::En, &view().lists.weekly.rows).into_string();
        assert!(html.contains(r#"data-testid="target-total">4<"#), "{html}");
        assert!(html.contains("<span>75%</span>"), "{html}");
        assert!(
            html.contains(r#"href="/dashboard/reps/u1?period=2026-W48""#),
            "{html}"
        );
    }

    #[test]
    fn week_steps_name_an_admins_team() {
        let mut v = view();
        let next = v.monday + chrono::Duration::weeks(1);
        assert_eq!(v.week_href(next), "/dashboard?week=2026-W49&team=t1");
        v.admin = false;
        assert_eq!(v.week_href(next), "/dashboard?week=2026-W49");
        let html = toolbar(Lang::En, &v).into_string();
        assert!(!html.contains("next-week"), "this week has no next: {html}");
    }
}
