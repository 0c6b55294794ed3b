//! `GET /dashboard/reps/{rep}?period=2026-W48|2026-11`: a rep's relationship-maintenance
//! scorecard for a week or a month — the figures with a target as headline facts, then
//! every figure by group, each opening onto the records it is made of.

use std::collections::HashMap;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use chrono_tz::Tz;
use maud::{Markup, html};
use rapport_client_core::protocol::{Metric, MetricShape, RecordRef, Role, Scorecard};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::Deserialize;

use super::super::i18n::{self, Lang, term};
use super::super::session::Viewer;
use super::super::svg;
use super::super::{enc, page, scope};
use super::describe::{Descriptions, describe};
use super::format::{self, NONE, account_href, pct, rep_href};
use super::{finish, names, path, plausible, query};
use crate::app::{App, AppState};
use crate::db::{teams, users};
use crate::error::ApiResult;
use crate::periods::{Window, format_iso_week, monday_of, month_of_week};
use crate::scorecard;

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
}

/// `GET /dashboard/reps/{rep}`.
pub async fn scorecard(
    State(state): State<AppState>,
    viewer: Viewer,
    rep: Result<Path<String>, PathRejection>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    let result = scorecard_page(&state, &viewer, rep, q).await;
    finish(&viewer, result)
}

async fn scorecard_page(
    app: &App,
    viewer: &Viewer,
    rep: Result<Path<String>, PathRejection>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Markup> {
    let rep = path(rep)?;
    let q = query(q)?;
    let rep = scope::rep_for(app, viewer, &rep).await?;
    let view = load(
        app,
        viewer,
        rep,
        q.period.as_deref().filter(|p| !p.is_empty()),
    )
    .await?;
    Ok(page(
        &viewer.prefs,
        Some(viewer),
        &format!("{} {}", view.rep.display_name, view.period),
        &render(viewer.lang(), &view),
    ))
}

/// One record behind a figure, as its drill-down lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordLine {
    /// The record's kind, as `RecordRef` names it.
    pub kind: String,
    pub account_id: String,
    pub account_name: String,
    /// When it happened, on the company's clock.
    pub when: String,
    /// What it was (see [`describe`]); empty when it cannot be read any more.
    pub title: String,
}

/// One figure as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricView {
    pub key: String,
    pub value: String,
    /// `part / total` of a share.
    pub part: String,
    pub target: String,
    /// The value with its target, as the headline facts show a count.
    pub fact: String,
    pub attainment: Option<f64>,
    /// The records behind the figure, newest first.
    pub records: Vec<RecordLine>,
}

/// The links from one period to the ones around it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodNav {
    pub prev: String,
    /// The next period; `None` when this one is not over yet.
    pub next: Option<String>,
    /// The same time seen by month (from a week) or by week (from a month).
    pub other: String,
    pub other_is_month: bool,
    /// The team overview of the same week, for managers and admins.
    pub back: Option<String>,
}

/// Everything the scorecard page shows.
#[derive(Debug)]
pub struct RepView {
    pub rep: users::Model,
    pub team_name: Option<String>,
    pub period: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub nav: PeriodNav,
    /// The figures with a target.
    pub headline: Vec<MetricView>,
    /// The figures by group, in the page's order, groups without figures left out.
    pub groups: Vec<(String, Vec<MetricView>)>,
}

/// The name of the rep's team (of the company only).
async fn team_name(
    db: &DatabaseConnection,
    tenant_id: &str,
    team: Option<&str>,
) -> ApiResult<Option<String>> {
    let Some(team) = team else {
        return Ok(None);
    };
    Ok(teams::Entity::find_by_id(team)
        .one(db)
        .await?
        .filter(|t| t.tenant_id == tenant_id)
        .map(|t| t.name))
}

/// Computes a rep's scorecard for `period` and reads what its records are.
async fn load(
    app: &App,
    viewer: &Viewer,
    rep: users::Model,
    period: Option<&str>,
) -> ApiResult<RepView> {
    let (db, tenant_id, l) = (&app.db, viewer.tenant_id(), viewer.lang());
    let ((_, tz), (_, rules), team_name) = tokio::try_join!(
        scorecard::tenant_zone(db, tenant_id),
        crate::rules::load(db, tenant_id),
        team_name(db, tenant_id, rep.team_id.as_deref()),
    )?;
    let window = Window::parse(period, tz, app.clock.now())?;
    plausible(window.first_day)?;
    let card = scorecard::scorecard(db, tenant_id, &rep, &window, &rules).await?;
    let records: Vec<&RecordRef> = card.metrics.iter().flat_map(|m| &m.records).collect();
    let wanted = records.iter().map(|r| (r.kind, r.id.clone()));
    let accounts = records.iter().map(|r| r.account_id.clone());
    let (described, account_names) = tokio::try_join!(
        describe(db, l, tenant_id, wanted),
        names::accounts(db, tenant_id, accounts),
    )?;
    let today = app.clock.now().with_timezone(&tz).date_naive();
    let nav = PeriodNav::new(viewer.role, rep.team_id.as_deref(), &window, today);
    let lines = Lines {
        described: &described,
        account_names: &account_names,
        tz,
    };
    Ok(RepView {
        team_name,
        period: card.period.clone(),
        first_day: window.first_day,
        last_day: window.end_day - chrono::Duration::days(1),
        nav,
        headline: lines.headline(&card),
        groups: lines.groups(&card),
        rep,
    })
}

impl PeriodNav {
    /// The links around `window` as seen on `today`; `role` and `team` decide the way back
    /// to the team overview.
    fn new(role: Role, team: Option<&str>, window: &Window, today: NaiveDate) -> PeriodNav {
        let (prev, next, other) = if window.weekly {
            (
                format_iso_week(window.first_day - chrono::Duration::weeks(1)),
                format_iso_week(window.end_day),
                month_of_week(window.first_day),
            )
        } else {
            let last = (window.end_day - chrono::Duration::days(1)).min(today);
            (
                (window.first_day - chrono::Duration::days(1))
                    .format("%Y-%m")
                    .to_string(),
                window.end_day.format("%Y-%m").to_string(),
                format_iso_week(monday_of(last)),
            )
        };
        let back = matches!(role, Role::Manager | Role::Admin).then(|| {
            let week = if window.weekly {
                window.label.clone()
            } else {
                format_iso_week(monday_of(today))
            };
            let mut href = format!("/dashboard?week={}", enc(&week));
            if let (Role::Admin, Some(t)) = (role, team) {
                href.push_str(&format!("&team={}", enc(t)));
            }
            href
        });
        PeriodNav {
            prev,
            next: (window.end_day <= today).then_some(next),
            other,
            other_is_month: window.weekly,
            back,
        }
    }
}

/// Builds the figures' views from the scorecard and what was read about its records.
struct Lines<'a> {
    described: &'a Descriptions,
    account_names: &'a HashMap<String, String>,
    tz: Tz,
}

impl Lines<'_> {
    fn headline(&self, card: &Scorecard) -> Vec<MetricView> {
        let with_target = card.metrics.iter().filter(|m| m.target.is_some());
        with_target.map(|m| self.metric(m)).collect()
    }

    fn groups(&self, card: &Scorecard) -> Vec<(String, Vec<MetricView>)> {
        let known = |g: &str| i18n::GROUPS.iter().any(|(k, _, _)| *k == g);
        let of = |keep: &dyn Fn(&Metric) -> bool| -> Vec<MetricView> {
            card.metrics
                .iter()
                .filter(|m| keep(m))
                .map(|m| self.metric(m))
                .collect()
        };
        i18n::GROUPS
            .iter()
            .map(|(g, _, _)| ((*g).to_owned(), of(&|m| m.group.as_str() == *g)))
            .chain(std::iter::once((
                "other".to_owned(),
                of(&|m| !known(m.group.as_str())),
            )))
            .filter(|(_, ms)| !ms.is_empty())
            .collect()
    }

    fn metric(&self, m: &Metric) -> MetricView {
        let (value, part, target) = shown(m);
        let fact = if m.part.is_none() && !target.is_empty() {
            format!("{value} / {target}")
        } else {
            value.clone()
        };
        let mut records: Vec<&RecordRef> = m.records.iter().collect();
        records.sort_by_key(|r| std::cmp::Reverse(r.at_ms));
        MetricView {
            key: m.key.clone(),
            value,
            part,
            target,
            fact,
            attainment: attainment(m),
            records: records.into_iter().map(|r| self.record(r)).collect(),
        }
    }

    fn record(&self, r: &RecordRef) -> RecordLine {
        let title = self.described.get(&(r.kind, r.id.clone()));
        RecordLine {
            kind: r.kind.as_str().to_owned(),
            account_id: r.account_id.clone(),
            account_name: self
                .account_names
                .get(&r.account_id)
                .map_or(NONE, String::as_str)
                .to_owned(),
            when: r
                .at_ms
                .map_or_else(|| NONE.to_owned(), |ms| format::time(ms, self.tz)),
            title: title.cloned().unwrap_or_default(),
        }
    }
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
            NONE.to_owned()
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

/// The whole page body.
fn render(l: Lang, v: &RepView) -> Markup {
    html! {
        main {
            h1 data-testid="rep-name" {
                (v.rep.display_name) " "
                small { (v.rep.username) @if let Some(t) = &v.team_name { " · " (t) } }
            }
            p.muted {
                (l.t("Relationship-maintenance scorecard", "客情关系维护计分卡")) " · "
                (v.first_day.format("%Y-%m-%d")) " – " (v.last_day.format("%Y-%m-%d"))
            }
            (toolbar(l, &v.rep.id, &v.period, &v.nav))
            div.facts {
                @for m in &v.headline { (fact(l, m)) }
            }
            @for (group, metrics) in &v.groups {
                (group_section(l, group, metrics))
            }
            p.muted.small {
                (l.t("Click a figure to see the records behind it. Targets are the company's rules.", "点击指标查看其背后的记录。目标来自公司规则设置。"))
            }
        }
    }
}

/// The steps to the periods around, and back to the team.
fn toolbar(l: Lang, rep_id: &str, period: &str, nav: &PeriodNav) -> Markup {
    html! {
        div.toolbar {
            a.step href=(rep_href(rep_id, &nav.prev)) rel="prev" { "← " (nav.prev) }
            span.current data-testid="period" { (period) }
            @if let Some(next) = &nav.next {
                a.step href=(rep_href(rep_id, next)) rel="next" { (next) " →" }
            }
            a.step href=(rep_href(rep_id, &nav.other)) {
                @if nav.other_is_month { (l.t("Month", "按月")) } @else { (l.t("Week", "按周")) }
            }
            @if let Some(href) = &nav.back {
                a.step href=(href) { (l.t("← Team overview", "← 返回团队概览")) }
            }
        }
    }
}

/// A headline figure: its value against its target and an attainment bar.
fn fact(l: Lang, m: &MetricView) -> Markup {
    let att = m.attainment;
    html! {
        div.fact data-testid=(format!("fact-{}", m.key)) {
            div.label { (term(l, i18n::METRICS, &m.key)) }
            div.fig.good[att.is_some_and(|a| a >= 1.0)].bad[att.is_some_and(|a| a < 0.7)] { (m.fact) }
            (svg::attainment_bar(att))
        }
    }
}

/// A group of figures with its column heads.
fn group_section(l: Lang, group: &str, metrics: &[MetricView]) -> Markup {
    html! {
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
                (metric_row(l, m))
            }
        }
    }
}

/// A figure's line; with records behind it, a line that opens onto them.
fn metric_row(l: Lang, m: &MetricView) -> Markup {
    let cells = html! {
        span.value data-testid=(format!("value-{}", m.key)) { (m.value) }
        span.part { (m.part) }
        span.target { (m.target) }
        span.att {
            @if m.attainment.is_some() {
                (svg::attainment_bar(m.attainment))
                span { (m.attainment.map_or_else(String::new, pct)) }
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
    html! {
        details.metric data-testid=(format!("metric-{}", m.key)) {
            summary {
                span.name { span.caret { "▸" } (term(l, i18n::METRICS, &m.key)) }
                (cells)
            }
            div.drill.scroll {
                (records_table(l, &m.key, &m.records))
            }
        }
    }
}

/// The records behind a figure.
fn records_table(l: Lang, key: &str, records: &[RecordLine]) -> Markup {
    html! {
        table data-testid=(format!("records-{key}")) {
            thead { tr {
                th { (l.t("Kind", "类型")) }
                th { (l.t("Account", "大客户")) }
                th { (l.t("Date", "日期")) }
                th { (l.t("Title", "内容")) }
            } }
            tbody {
                @for r in records {
                    tr {
                        td { (term(l, i18n::RECORD_KINDS, &r.kind)) }
                        td { a href=(account_href(&r.account_id)) { (r.account_name) } }
                        td { (r.when) }
                        td.wrap { (r.title) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rapport_client_core::model::DocKind;
    use rapport_client_core::protocol::MetricGroup;

    use super::*;

    fn metric(key: &str, value: f64, part: Option<u64>, total: Option<u64>) -> Metric {
        Metric {
            key: key.into(),
            group: MetricGroup::Building,
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

    fn record(kind: DocKind, id: &str, at_ms: Option<i64>) -> RecordRef {
        RecordRef {
            kind,
            id: id.into(),
            account_id: "a1".into(),
            at_ms,
        }
    }

    fn lines<'a>(
        described: &'a Descriptions,
        account_names: &'a HashMap<String, String>,
    ) -> Lines<'a> {
        Lines {
            described,
            account_names,
            tz: chrono_tz::Asia::Shanghai,
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
    fn a_share_of_nothing_shows_no_value_and_no_attainment() {
        let mut m = metric("cadence_kept", 0.0, Some(0), Some(0));
        m.target = Some(0.8);
        m.attainment = Some(0.0);
        let view = lines(&HashMap::new(), &HashMap::new()).metric(&m);
        assert_eq!(view.value, "—");
        assert_eq!(view.attainment, None);
        let html = metric_row(Lang::En, &view).into_string();
        assert!(
            html.contains(r#"<span class="value" data-testid="value-cadence_kept">—</span>"#),
            "{html}"
        );
        assert!(html.contains(r#"<span class="att"></span>"#), "{html}");
        assert!(html.starts_with("<div class=\"metric-row\""), "{html}");
    }

    #[test]
    fn a_count_with_a_target_reads_against_it_in_the_headline() {
        let mut m = metric("visits", 7.0, None, None);
        m.target = Some(10.0);
        m.attainment = Some(0.7);
        let view = lines(&HashMap::new(), &HashMap::new()).metric(&m);
        assert_eq!(view.fact, "7 / 10");
        let html = fact(Lang::En, &view).into_string();
        assert!(html.contains(r#"<div class="fig">7 / 10</div>"#), "{html}");
    }

    #[test]
    fn records_behind_a_figure_are_newest_first_and_described() {
        let mut m = metric("visits", 2.0, None, None);
        m.records = vec![
            record(DocKind::Visit, "v1", Some(1_000)),
            record(DocKind::Visit, "v2", Some(86_400_000)),
            record(DocKind::Account, "s1", None),
        ];
        let described = HashMap::from([((DocKind::Visit, "v2".to_owned()), "<review>".to_owned())]);
        let names = HashMap::from([("a1".to_owned(), "Acme".to_owned())]);
        let view = lines(&described, &names).metric(&m);
        let ids: Vec<&str> = view.records.iter().map(|r| r.when.as_str()).collect();
        assert_eq!(ids, ["1970-01-02 08:00", "1970-01-01 08:00", "—"]);
        assert_eq!(view.records[0].title, "<review>");
        assert_eq!(view.records[1].title, "");
        let html = metric_row(Lang::Zh, &view).into_string();
        assert!(html.contains("&lt;review&gt;"), "{html}");
        assert!(html.contains("<td>拜访</td>"), "{html}");
        assert!(
            html.contains(r#"<a href="/dashboard/accounts/a1">Acme</a>"#),
            "{html}"
        );
    }

    #[test]
    fn a_week_links_to_its_neighbours_its_month_and_the_team() {
        let tz = chrono_tz::Asia::Shanghai;
        let window = Window::parse_on(
            Some("2026-W48"),
            tz,
            NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
        )
        .expect("window");
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        let nav = PeriodNav::new(Role::Admin, Some("t 1"), &window, today);
        assert_eq!(nav.prev, "2026-W47");
        assert_eq!(nav.next, None, "the week is not over");
        assert_eq!(nav.other, "2026-11");
        assert_eq!(
            nav.back.as_deref(),
            Some("/dashboard?week=2026-W48&team=t%201")
        );
        let later = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let nav = PeriodNav::new(Role::Rep, None, &window, later);
        assert_eq!(nav.next.as_deref(), Some("2026-W49"));
        assert_eq!(nav.back, None);
    }

    #[test]
    fn a_month_links_to_the_week_of_its_last_day_so_far() {
        let tz = chrono_tz::Asia::Shanghai;
        let window = Window::parse_on(
            Some("2026-11"),
            tz,
            NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
        )
        .expect("window");
        let today = NaiveDate::from_ymd_opt(2026, 11, 12).expect("date");
        let nav = PeriodNav::new(Role::Manager, None, &window, today);
        assert_eq!(
            (nav.prev.as_str(), nav.other.as_str()),
            ("2026-10", "2026-W46")
        );
        assert_eq!(nav.back.as_deref(), Some("/dashboard?week=2026-W46"));
    }
}
