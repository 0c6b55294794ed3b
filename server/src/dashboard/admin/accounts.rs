//! Key accounts and their account teams: the list (searchable), a form to create an
//! account, and one account's team with people to put on it or take off.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use rapport_client_core::protocol::Role;
use serde::Deserialize;

use super::{
    AdminForm, Done, Part, QueryResult, answer, finish, given, require_admin, role_name, shell,
};
use crate::admin::{self, AccountView, NewAccount, UserView};
use crate::app::AppState;
use crate::dashboard::enc;
use crate::dashboard::session::Viewer;
use crate::error::{ApiError, ApiResult};

/// Most accounts the list shows at once; a search narrows it.
const LIST_LIMIT: usize = 300;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Part of a name, city or industry.
    #[serde(default)]
    q: String,
    /// `1`: only accounts with nobody on their team.
    #[serde(default)]
    unstaffed: Option<String>,
    done: Option<Done>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

/// `GET /dashboard/admin/accounts?q=&unstaffed=1`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    q: QueryResult<ListQuery>,
) -> Response {
    let query = q.map(|q| q.0).unwrap_or_default();
    let result = list_page(&state, &viewer, &query, None, &NewAccountForm::default()).await;
    finish(&viewer, result)
}

/// `POST /dashboard/admin/accounts`: creates a key account.
pub async fn create(
    State(state): State<AppState>,
    AdminForm(viewer, submitted): AdminForm<NewAccountForm>,
) -> Response {
    let result = create_account(&state, &viewer, &submitted).await.map(|a| {
        (
            format!("/dashboard/admin/accounts/{}", enc(&a.id)),
            Done::AccountCreated,
        )
    });
    let (state, v, draft) = (&state, &viewer, &submitted);
    answer(v, result, |reason| async move {
        list_page(state, v, &ListQuery::default(), Some(&reason), draft).await
    })
    .await
}

async fn create_account(
    state: &AppState,
    viewer: &Viewer,
    form: &NewAccountForm,
) -> ApiResult<AccountView> {
    let coordinate = |field: &str, s: &str| -> ApiResult<Option<f64>> {
        given(s)
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| ApiError::Unprocessable(format!("{field}: '{v}' is not a number")))
            })
            .transpose()
    };
    let input = NewAccount {
        name: form.name.trim().to_owned(),
        industry: given(&form.industry),
        city: given(&form.city),
        lat: coordinate("lat", &form.lat)?,
        lon: coordinate("lon", &form.lon)?,
    };
    admin::create_account(state, viewer.tenant_id(), viewer.id(), input).await
}

fn matches(a: &AccountView, needle: &str) -> bool {
    let needle = needle.to_lowercase();
    [Some(&a.name), a.city.as_ref(), a.industry.as_ref()]
        .into_iter()
        .flatten()
        .any(|s| s.to_lowercase().contains(&needle))
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    query: &ListQuery,
    error: Option<&str>,
    draft: &NewAccountForm,
) -> ApiResult<Markup> {
    require_admin(viewer)?;
    let (accounts, users) = tokio::try_join!(
        admin::list_accounts(state, viewer.tenant_id()),
        admin::list_users(state, viewer.tenant_id()),
    )?;
    let l = viewer.lang();
    let names: HashMap<&str, &str> = users
        .iter()
        .map(|u| (u.id.as_str(), u.display_name.as_str()))
        .collect();
    let unstaffed = query.unstaffed.as_deref() == Some("1");
    let needle = query.q.trim();
    let found: Vec<&AccountView> = accounts
        .iter()
        .filter(|a| !unstaffed || a.team.is_empty())
        .filter(|a| needle.is_empty() || matches(a, needle))
        .collect();
    let body = html! {
        section.card {
            form.toolbar method="get" action="/dashboard/admin/accounts" data-testid="account-search" {
                input name="q" value=(needle) placeholder=(l.t("Name, city or industry", "名称、城市或行业"));
                label.small { input type="checkbox" name="unstaffed" value="1" checked[unstaffed];
                    " " (l.t("nobody on the team", "无人负责")) }
                button type="submit" { (l.t("Search", "搜索")) }
            }
            p.muted.small data-testid="account-count" {
                (found.len()) " / " (accounts.len()) " " (l.t("accounts", "个大客户"))
                @if found.len() > LIST_LIMIT {
                    " · " (l.t("showing the first ", "仅显示前 ")) (LIST_LIMIT)
                    (l.t(": search to narrow", " 个，请搜索缩小范围"))
                }
            }
            div.scroll { table data-testid="accounts" {
                thead { tr {
                    th { (l.t("Account", "大客户")) }
                    th { (l.t("City", "城市")) }
                    th { (l.t("Industry", "行业")) }
                    th { (l.t("Account team", "客户团队")) }
                } }
                tbody { @for a in found.iter().take(LIST_LIMIT) {
                    tr {
                        td { a href=(format!("/dashboard/admin/accounts/{}", enc(&a.id))) { (a.name) } }
                        td { (a.city.as_deref().unwrap_or("")) }
                        td { (a.industry.as_deref().unwrap_or("")) }
                        td.wrap {
                            @if a.team.is_empty() {
                                span.badge.bad { (l.t("nobody", "无人负责")) }
                            } @else {
                                (a.team.iter().map(|id| names.get(id.as_str()).copied().unwrap_or("?")).collect::<Vec<_>>().join(", "))
                            }
                        }
                    }
                } }
            } }
        }
        section.card {
            h2 { (l.t("New key account", "新建大客户")) }
            form.stack method="post" action="/dashboard/admin/accounts" data-testid="new-account" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label { (l.t("Name", "名称")) input name="name" required value=(draft.name); }
                label { (l.t("Industry", "行业")) input name="industry" value=(draft.industry); }
                label { (l.t("City", "城市")) input name="city" value=(draft.city); }
                label { (l.t("Latitude (for check-in)", "纬度（签到用）"))
                    input name="lat" inputmode="decimal" value=(draft.lat); }
                label { (l.t("Longitude", "经度")) input name="lon" inputmode="decimal" value=(draft.lon); }
                button.button type="submit" { (l.t("Create account", "创建大客户")) }
            }
        }
    };
    Ok(shell(
        viewer,
        Part::Accounts,
        l.t("Key accounts", "大客户"),
        query.done,
        error,
        &body,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    done: Option<Done>,
}

/// `GET /dashboard/admin/accounts/{id}`: the account's team.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    q: QueryResult<ShowQuery>,
) -> Response {
    let notice = q.ok().and_then(|q| q.0.done);
    let result = account_page(&state, &viewer, &id, notice, None).await;
    finish(&viewer, result)
}

async fn account_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    notice: Option<Done>,
    error: Option<&str>,
) -> ApiResult<Markup> {
    require_admin(viewer)?;
    let tenant = viewer.tenant_id();
    let account = admin::find_account(state, tenant, id).await?;
    let (accounts, users) = tokio::try_join!(
        admin::list_accounts(state, tenant),
        admin::list_users(state, tenant),
    )?;
    let team: Vec<String> = accounts
        .into_iter()
        .find(|a| a.id == account.id)
        .map(|a| a.team)
        .unwrap_or_default();
    let on: Vec<&UserView> = users.iter().filter(|u| team.contains(&u.id)).collect();
    let candidates: Vec<&UserView> = users
        .iter()
        .filter(|u| u.active && !team.contains(&u.id) && u.role != Role::Admin.as_str())
        .collect();
    let l = viewer.lang();
    let action = format!("/dashboard/admin/accounts/{}/team", enc(&account.id));
    let body = html! {
        p.muted {
            (account.city.as_deref().unwrap_or("")) " "
            (account.industry.as_deref().unwrap_or(""))
            " · " a href=(format!("/dashboard/accounts/{}", enc(&account.id))) {
                (l.t("account page", "客户页面"))
            }
        }
        section.card {
            h2 { (l.t("Account team", "客户团队")) }
            @if on.is_empty() {
                p.empty { (l.t("Nobody serves this account yet.", "尚无人负责此客户。")) }
            } @else {
                table data-testid="account-team" {
                    tbody { @for u in &on {
                        tr data-testid=(format!("member-{}", u.username)) {
                            td { (u.display_name) " " span.muted { "(" (u.username) ")" } }
                            td { (role_name(l, &u.role)) }
                            td {
                                form method="post" action=(action) {
                                    input type="hidden" name="csrf" value=(viewer.csrf);
                                    input type="hidden" name="user" value=(u.id);
                                    input type="hidden" name="action" value="remove";
                                    button.button.danger type="submit" { (l.t("Take off", "移出")) }
                                }
                            }
                        }
                    } }
                }
            }
            @if !candidates.is_empty() {
                form.toolbar method="post" action=(action) data-testid="assign" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="action" value="add";
                    select name="user" {
                        @for u in &candidates {
                            option value=(u.id) { (u.display_name) " (" (u.username) ")" }
                        }
                    }
                    button type="submit" { (l.t("Put on the team", "加入客户团队")) }
                }
            }
        }
    };
    Ok(shell(
        viewer,
        Part::Accounts,
        &account.name,
        notice,
        error,
        &body,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    user: String,
    /// `add` or `remove`.
    #[serde(default)]
    action: String,
}

/// `POST /dashboard/admin/accounts/{id}/team`: puts a user on the account's team, or
/// takes them off.
pub async fn change_team(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminForm(viewer, submitted): AdminForm<TeamForm>,
) -> Response {
    let result = staff(&state, &viewer, &id, &submitted).await;
    let (state, v, id) = (&state, &viewer, &id);
    answer(v, result, |reason| async move {
        account_page(state, v, id, None, Some(&reason)).await
    })
    .await
}

async fn staff(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: &TeamForm,
) -> ApiResult<(String, Done)> {
    let tenant = viewer.tenant_id();
    let account = admin::find_account(state, tenant, id).await?;
    let what = match form.action.as_str() {
        "add" => {
            admin::assign(state, tenant, &account.id, &form.user).await?;
            Done::Assigned
        }
        "remove" => {
            admin::unassign(state, tenant, &account.id, &form.user).await?;
            Done::Unassigned
        }
        _ => return Err(ApiError::BadRequest("unknown action".into())),
    };
    Ok((
        format!("/dashboard/admin/accounts/{}", enc(&account.id)),
        what,
    ))
}
