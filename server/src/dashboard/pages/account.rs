//! `GET /dashboard/accounts/{id}`: an account — its facts (tier, stage, cadence, last
//! visit, account team), contacts with their VIP cards, open opportunities with their
//! buying influences, and the timeline of everything logged on it.

use std::collections::HashMap;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono_tz::Tz;
use maud::{Markup, html};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::super::i18n::{self, Lang, term};
use super::super::session::Viewer;
use super::super::{page, scope};
use super::format::{self, NONE, ago, empty, list_head, money};
use super::timeline::{self, Entry};
use super::{finish, names, path};
use crate::app::{App, AppState};
use crate::db::{account_teams, accounts, contacts, opportunities, opportunity_roles};
use crate::error::ApiResult;
use crate::scorecard::{self, OpportunityRisk};

/// `GET /dashboard/accounts/{id}`.
pub async fn account(
    State(state): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let result = account_page(&state, &viewer, id).await;
    finish(&viewer, result)
}

async fn account_page(
    app: &App,
    viewer: &Viewer,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Markup> {
    let id = path(id)?;
    let account = scope::account_for(app, viewer, &id).await?;
    let view = load(app, viewer.lang(), viewer.tenant_id(), account).await?;
    Ok(page(
        &viewer.prefs,
        Some(viewer),
        &view.account.name,
        &render(viewer.lang(), &view),
    ))
}

/// An open opportunity with what the page shows of its buying influences.
#[derive(Debug)]
pub struct Opportunity {
    pub row: opportunities::Model,
    pub risk: Option<OpportunityRisk>,
    /// The names of the contacts holding each buying role, by role code.
    pub holders: HashMap<String, Vec<String>>,
}

/// Everything the account page shows.
#[derive(Debug)]
pub struct AccountView {
    pub account: accounts::Model,
    pub tz: Tz,
    pub now: i64,
    /// Days between visits the account asks for.
    pub cadence: i64,
    pub last_visit: Option<i64>,
    /// The names of the people serving the account.
    pub served_by: Vec<String>,
    pub contacts: Vec<contacts::Model>,
    pub open: Vec<Opportunity>,
    pub timeline: Vec<Entry>,
    /// Who logged each timeline entry, by user id.
    pub authors: HashMap<String, String>,
}

impl AccountView {
    /// City and industry, as one line.
    fn place(&self) -> String {
        [
            self.account.city.as_deref(),
            self.account.industry.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
    }

    /// Whether the account's cadence ran out since its last visit.
    fn overdue(&self) -> bool {
        self.last_visit
            .is_none_or(|t| t < self.now - self.cadence * 86_400_000)
    }
}

/// The open opportunities of an account by name, with their role holders.
async fn open_opportunities(
    db: &DatabaseConnection,
    tenant_id: &str,
    account_id: &str,
) -> ApiResult<(Vec<opportunities::Model>, Vec<opportunity_roles::Model>)> {
    let open = opportunities::Entity::find()
        .filter(opportunities::Column::TenantId.eq(tenant_id))
        .filter(opportunities::Column::AccountId.eq(account_id))
        .filter(opportunities::Column::Deleted.eq(false))
        .filter(opportunities::Column::Status.eq("open"))
        .order_by_asc(opportunities::Column::Name)
        .all(db)
        .await?;
    let roles = opportunity_roles::Entity::find()
        .filter(opportunity_roles::Column::TenantId.eq(tenant_id))
        .filter(
            opportunity_roles::Column::OpportunityId
                .is_in(open.iter().map(|o| o.id.clone()).collect::<Vec<_>>()),
        )
        .all(db)
        .await?;
    Ok((open, roles))
}

/// The account's contacts, key contacts first, by name.
async fn account_contacts(
    db: &DatabaseConnection,
    tenant_id: &str,
    account_id: &str,
) -> ApiResult<Vec<contacts::Model>> {
    Ok(contacts::Entity::find()
        .filter(contacts::Column::TenantId.eq(tenant_id))
        .filter(contacts::Column::AccountId.eq(account_id))
        .filter(contacts::Column::Deleted.eq(false))
        .order_by_desc(contacts::Column::KeyContact)
        .order_by_asc(contacts::Column::Name)
        .all(db)
        .await?)
}

/// The people on the account's team now.
async fn served_by(
    db: &DatabaseConnection,
    tenant_id: &str,
    account_id: &str,
) -> ApiResult<Vec<String>> {
    Ok(account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(tenant_id))
        .filter(account_teams::Column::AccountId.eq(account_id))
        .filter(account_teams::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.user_id)
        .collect())
}

/// Reads what the page shows of an account the viewer may see, the independent queries
/// side by side.
async fn load(
    app: &App,
    l: Lang,
    tenant_id: &str,
    account: accounts::Model,
) -> ApiResult<AccountView> {
    let db = &app.db;
    let id = account.id.as_str();
    let now = app.clock.now_ms();
    let ((_, tz), (_, rules), people, (open, roles), risks, served, rows) = tokio::try_join!(
        scorecard::tenant_zone(db, tenant_id),
        crate::rules::load(db, tenant_id),
        account_contacts(db, tenant_id, id),
        open_opportunities(db, tenant_id, id),
        scorecard::opportunity_risks(db, tenant_id, std::slice::from_ref(&account.id), now),
        served_by(db, tenant_id, id),
        timeline::Rows::load(db, tenant_id, id),
    )?;
    let mut contact_names: HashMap<String, String> = people
        .iter()
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    // Contacts named by records but no longer on the account (moved or removed).
    let referenced: Vec<String> = rows
        .contacts_named()
        .filter(|c| !contact_names.contains_key(*c))
        .cloned()
        .collect();
    contact_names.extend(names::contacts(db, tenant_id, referenced).await?);
    let entries = timeline::entries(l, &rows, &contact_names);
    let people_ids = entries.iter().map(|e| e.author_id.clone());
    let authors = names::users(db, tenant_id, people_ids.chain(served.iter().cloned())).await?;
    let open = opportunities_view(open, &roles, risks, &contact_names);
    Ok(AccountView {
        cadence: scorecard::cadence_of(&account, &rules),
        last_visit: rows.last_visit(),
        served_by: served
            .iter()
            .map(|u| authors.get(u).cloned().unwrap_or_else(|| NONE.to_owned()))
            .collect(),
        account,
        tz,
        now,
        contacts: people,
        open,
        timeline: entries,
        authors,
    })
}

/// Joins each open opportunity with its risk and the names of its role holders.
fn opportunities_view(
    open: Vec<opportunities::Model>,
    roles: &[opportunity_roles::Model],
    risks: Vec<OpportunityRisk>,
    contact_names: &HashMap<String, String>,
) -> Vec<Opportunity> {
    let mut risks: HashMap<String, OpportunityRisk> = risks
        .into_iter()
        .map(|r| (r.opportunity_id.clone(), r))
        .collect();
    open.into_iter()
        .map(|row| {
            let mut holders: HashMap<String, Vec<String>> = HashMap::new();
            for r in roles.iter().filter(|r| r.opportunity_id == row.id) {
                if let Some(name) = contact_names.get(&r.contact_id) {
                    holders
                        .entry(r.role.clone())
                        .or_default()
                        .push(name.clone());
                }
            }
            Opportunity {
                risk: risks.remove(&row.id),
                holders,
                row,
            }
        })
        .collect()
}

/// The whole page body.
fn render(l: Lang, v: &AccountView) -> Markup {
    let place = v.place();
    html! {
        main {
            h1 data-testid="account-name" {
                (v.account.name) " "
                @if !place.is_empty() { small { (place) } }
            }
            (facts(l, v))
            (contacts_section(l, &v.contacts))
            (opportunities_section(l, &v.open))
            (timeline::render(l, &v.timeline, &v.authors, v.tz))
        }
    }
}

/// The account's facts: tier, stage, cadence, last visit, account team.
fn facts(l: Lang, v: &AccountView) -> Markup {
    let a = &v.account;
    html! {
        div.facts {
            div.fact {
                div.label { (l.t("Value tier", "价值分级")) }
                div.fig data-testid="tier" { (a.tier.as_deref().map_or(NONE, |t| term(l, i18n::TIERS, t))) }
            }
            div.fact {
                div.label { (l.t("Relationship stage", "关系阶段")) }
                div.fig data-testid="stage" { (a.stage.as_deref().map_or(NONE, |s| term(l, i18n::STAGES, s))) }
            }
            div.fact {
                div.label { (l.t("Visit cadence", "拜访周期")) }
                div.fig { (v.cadence) (l.t(" days", " 天")) }
            }
            div.fact {
                div.label { (l.t("Last visit", "上次拜访")) }
                div.fig.bad[v.overdue()] data-testid="last-visit" {
                    (v.last_visit.map_or_else(|| l.t("never", "从未").to_owned(), |ms| format::day(ms, v.tz)))
                }
                @if let Some(ms) = v.last_visit { div.label { (ago(l, ms, v.now)) } }
            }
            div.fact {
                div.label { (l.t("Account team", "客户服务团队")) }
                div {
                    @for name in &v.served_by {
                        span.badge.plain { (name) }
                    }
                }
            }
        }
    }
}

/// The contacts table.
fn contacts_section(l: Lang, people: &[contacts::Model]) -> Markup {
    html! {
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
                        @for c in people { (contact_row(l, c)) }
                    }
                } }
            }
        }
    }
}

/// A contact: name (starred when a key contact), title, levels, roles, VIP card.
fn contact_row(l: Lang, c: &contacts::Model) -> Markup {
    html! {
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
            td { (vip_card(l, c)) }
        }
    }
}

/// How deep a contact's VIP card goes and what it knows; a key contact without one is
/// flagged.
fn vip_card(l: Lang, c: &contacts::Model) -> Markup {
    html! {
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

/// The open opportunities table.
fn opportunities_section(l: Lang, open: &[Opportunity]) -> Markup {
    html! {
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
                        @for o in open { (opportunity_row(l, o)) }
                    }
                } }
            }
        }
    }
}

/// An opportunity: name (flagged in the danger zone), value, close, the four-step
/// assessment, and each buying role's holders.
fn opportunity_row(l: Lang, o: &Opportunity) -> Markup {
    let row = &o.row;
    let judgement = |j: &Option<String>| {
        j.as_deref()
            .map_or(NONE.to_owned(), |j| term(l, i18n::JUDGEMENTS, j).to_owned())
    };
    html! {
        tr {
            td.wrap {
                (row.name)
                @if o.risk.as_ref().is_some_and(OpportunityRisk::in_danger_zone) {
                    " " span.badge.bad { (l.t("danger zone", "销售雷区")) }
                }
            }
            td.num { (row.value.map_or_else(String::new, money)) }
            td { (row.expected_close.as_deref().unwrap_or("")) }
            td {
                (judgement(&row.real)) " / " (judgement(&row.competition)) " / "
                (judgement(&row.can_win)) " / " (judgement(&row.worth_winning))
            }
            td.wrap {
                @for (code, _, _) in i18n::BUYING_ROLES {
                    (role_badge(l, o, code))
                }
            }
        }
    }
}

/// Who holds a buying role of an opportunity: red when nobody is known, amber when none
/// was met in the last 30 days.
fn role_badge(l: Lang, o: &Opportunity, code: &'static str) -> Markup {
    let holders = o.holders.get(code).map_or(&[][..], Vec::as_slice);
    let unknown = o
        .risk
        .as_ref()
        .is_some_and(|r| r.unknown_roles.contains(&code));
    let unmet = o
        .risk
        .as_ref()
        .is_some_and(|r| r.unmet_roles.contains(&code));
    html! {
        span.badge.bad[unknown].warn[unmet].good[!unknown && !unmet] {
            (term(l, i18n::BUYING_ROLES, code)) "："
            @if holders.is_empty() { (l.t("unknown", "未识别")) } @else { (holders.join("、")) }
            @if unmet { " · " (l.t("not met in 30 d", "30 天未见")) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opportunity(id: &str) -> opportunities::Model {
        opportunities::Model {
            id: id.into(),
            tenant_id: "t".into(),
            account_id: "a".into(),
            author_id: "rep".into(),
            name: "Line 3 upgrade".into(),
            value: Some(250_000.0),
            status: "open".into(),
            expected_close: None,
            real: Some("yes".into()),
            competition: None,
            can_win: None,
            worth_winning: None,
            deleted: false,
        }
    }

    fn role(opportunity: &str, role: &str, contact: &str) -> opportunity_roles::Model {
        opportunity_roles::Model {
            tenant_id: "t".into(),
            opportunity_id: opportunity.into(),
            role: role.into(),
            contact_id: contact.into(),
        }
    }

    #[test]
    fn role_holders_are_named_and_risks_joined() {
        let roles = [
            role("o1", "coach", "c1"),
            role("o1", "coach", "c2"),
            role("o1", "user", "gone"),
        ];
        let names = HashMap::from([
            ("c1".to_owned(), "Wang".to_owned()),
            ("c2".to_owned(), "Li".to_owned()),
        ]);
        let risk = OpportunityRisk {
            opportunity_id: "o1".into(),
            account_id: "a".into(),
            name: "Line 3 upgrade".into(),
            unknown_roles: vec!["decision_maker"],
            unmet_roles: vec!["coach"],
        };
        let view = opportunities_view(vec![opportunity("o1")], &roles, vec![risk], &names);
        assert_eq!(view[0].holders["coach"], ["Wang", "Li"]);
        assert!(!view[0].holders.contains_key("user"));
        let html = opportunity_row(Lang::En, &view[0]).into_string();
        assert!(html.contains("danger zone"), "{html}");
        assert!(html.contains("coach：Wang、Li · not met in 30 d"), "{html}");
        assert!(html.contains("decision maker：unknown"), "{html}");
        assert!(html.contains("yes / — / — / —"), "{html}");
    }
}
