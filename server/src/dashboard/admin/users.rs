//! Users and their devices: the list with a form to create one, and one user's page (team,
//! password, deactivation, the devices they signed in on).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use rapport_client_core::protocol::Role;
use serde::Deserialize;

use super::{
    AdminForm, Done, DoneQuery, Part, QueryResult, answer, done, done_of, error_page, finish,
    given, require_admin, role_name, shell,
};
use crate::admin::{self, DeviceUpdate, NewUser, TeamView, UserUpdate, UserView};
use crate::app::AppState;
use crate::dashboard::enc;
use crate::dashboard::session::Viewer;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    password: String,
}

/// `GET /dashboard/admin/users`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    q: QueryResult<DoneQuery>,
) -> Response {
    let result = list_page(&state, &viewer, done_of(q), None, &NewUserForm::default()).await;
    finish(&viewer, result)
}

/// `POST /dashboard/admin/users`: creates a user.
pub async fn create(
    State(state): State<AppState>,
    AdminForm(viewer, submitted): AdminForm<NewUserForm>,
) -> Response {
    let result = create_user(&state, &viewer, &submitted).await.map(|u| {
        (
            format!("/dashboard/admin/users/{}", enc(&u.id)),
            Done::UserCreated,
        )
    });
    let (state, v, draft) = (&state, &viewer, &submitted);
    answer(v, result, |reason| async move {
        list_page(state, v, None, Some(&reason), draft).await
    })
    .await
}

async fn create_user(state: &AppState, viewer: &Viewer, form: &NewUserForm) -> ApiResult<UserView> {
    let role =
        Role::parse(&form.role).ok_or_else(|| ApiError::Unprocessable("choose a role".into()))?;
    let input = NewUser {
        username: form.username.trim().to_owned(),
        display_name: given(&form.display_name),
        password: form.password.clone(),
        role,
        team_id: given(&form.team),
    };
    admin::create_user(state, viewer.tenant_id(), input).await
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Done>,
    error: Option<&str>,
    draft: &NewUserForm,
) -> ApiResult<Markup> {
    require_admin(viewer)?;
    let (users, teams) = tokio::try_join!(
        admin::list_users(state, viewer.tenant_id()),
        admin::list_teams(state, viewer.tenant_id()),
    )?;
    let l = viewer.lang();
    let team_names: HashMap<&str, &str> = teams
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let body = html! {
        section.card {
            h2 { (l.t("Users", "用户")) " · " (users.len()) }
            div.scroll {
                table data-testid="users" {
                    thead { tr {
                        th { (l.t("User name", "用户名")) }
                        th { (l.t("Name", "姓名")) }
                        th { (l.t("Role", "角色")) }
                        th { (l.t("Team", "团队")) }
                        th { (l.t("Status", "状态")) }
                    } }
                    tbody {
                        @for u in &users {
                            tr data-testid=(format!("user-{}", u.username)) {
                                td { a href=(format!("/dashboard/admin/users/{}", enc(&u.id))) { (u.username) } }
                                td { (u.display_name) }
                                td { (role_name(l, &u.role)) }
                                td { (u.team_id.as_deref().and_then(|t| team_names.get(t)).copied().unwrap_or("—")) }
                                td { (status_badge(viewer, u.active)) }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (l.t("New user", "新建用户")) }
            (new_user_form(viewer, &teams, draft))
        }
    };
    Ok(shell(
        viewer,
        Part::Users,
        l.t("Users", "用户"),
        notice,
        error,
        &body,
    ))
}

fn status_badge(viewer: &Viewer, active: bool) -> Markup {
    let l = viewer.lang();
    html! {
        @if active {
            span.badge.good { (l.t("active", "在用")) }
        } @else {
            span.badge.muted { (l.t("deactivated", "已停用")) }
        }
    }
}

fn new_user_form(viewer: &Viewer, teams: &[TeamView], draft: &NewUserForm) -> Markup {
    let l = viewer.lang();
    html! {
        form.stack method="post" action="/dashboard/admin/users" data-testid="new-user" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            label { (l.t("User name (to sign in)", "用户名（登录用）"))
                input name="username" required value=(draft.username) autocomplete="off"; }
            label { (l.t("Name shown", "显示姓名"))
                input name="display_name" value=(draft.display_name); }
            label { (l.t("Role", "角色"))
                select name="role" {
                    @for r in [Role::Rep, Role::Manager, Role::Admin] {
                        option value=(r.as_str()) selected[draft.role == r.as_str()] {
                            (role_name(l, r.as_str()))
                        }
                    }
                }
            }
            label { (l.t("Team (required for a manager)", "团队（销售经理必填）"))
                (team_select(l, teams, &draft.team, true)) }
            label { (l.t("First password (at least 8 characters)", "初始密码（至少 8 位）"))
                input name="password" type="password" required autocomplete="new-password"; }
            button.button type="submit" { (l.t("Create user", "创建用户")) }
        }
    }
}

/// A choice of team; `none` offers "no team" first.
fn team_select(l: super::Lang, teams: &[TeamView], chosen: &str, none: bool) -> Markup {
    html! {
        select name="team" {
            @if none {
                option value="" selected[chosen.is_empty()] { (l.t("(no team)", "（无团队）")) }
            }
            @for t in teams {
                option value=(t.id) selected[chosen == t.id] { (t.name) }
            }
        }
    }
}

/// `GET /dashboard/admin/users/{id}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    q: QueryResult<DoneQuery>,
) -> Response {
    let result = user_page(&state, &viewer, &id, done_of(q), None).await;
    finish(&viewer, result)
}

async fn user_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    notice: Option<Done>,
    error: Option<&str>,
) -> ApiResult<Markup> {
    require_admin(viewer)?;
    let tenant = viewer.tenant_id();
    let user: UserView = admin::find_user(state, tenant, id).await?.into();
    let (devices, teams) = tokio::try_join!(
        admin::list_devices(state, tenant, &user.id),
        admin::list_teams(state, tenant),
    )?;
    let l = viewer.lang();
    let tz: chrono_tz::Tz = viewer.tenant.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let action = format!("/dashboard/admin/users/{}", enc(&user.id));
    let body = html! {
        p.muted data-testid="user-facts" {
            (user.display_name) " · " (user.username) " · " (role_name(l, &user.role)) " · "
            (status_badge(viewer, user.active))
        }
        div.grid {
            section.card {
                h2 { (l.t("Team", "团队")) }
                form.stack method="post" action=(action) data-testid="user-team" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="action" value="team";
                    (team_select(l, &teams, user.team_id.as_deref().unwrap_or(""), user.team_id.is_none()))
                    button.button type="submit" { (l.t("Save", "保存")) }
                }
            }
            section.card {
                h2 { (l.t("Reset the password", "重置密码")) }
                p.muted.small { (l.t(
                    "The user's sessions end on every device; they sign in again with the new password.",
                    "该用户在所有设备上的登录都会结束，需用新密码重新登录。",
                )) }
                form.stack method="post" action=(action) data-testid="user-password" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="action" value="password";
                    input name="password" type="password" required autocomplete="new-password";
                    button.button type="submit" { (l.t("Reset password", "重置密码")) }
                }
            }
            section.card {
                h2 { (l.t("Access", "账号状态")) }
                form.stack method="post" action=(action) data-testid="user-active" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    @if user.active {
                        input type="hidden" name="action" value="deactivate";
                        p.muted.small { (l.t(
                            "Someone who left: their sessions end at once, for good. What they logged stays.",
                            "人员离职时使用：其登录立即永久结束，已记录的内容保留。",
                        )) }
                        button.button.danger type="submit" { (l.t("Deactivate", "停用")) }
                    } @else {
                        input type="hidden" name="action" value="reactivate";
                        button.button type="submit" { (l.t("Reactivate", "重新启用")) }
                    }
                }
            }
        }
        section.card {
            h2 { (l.t("Devices", "设备")) }
            @if devices.is_empty() {
                p.empty { (l.t("Not signed in on any device yet.", "尚未在任何设备上登录。")) }
            } @else {
                div.scroll { table data-testid="devices" {
                    thead { tr {
                        th { (l.t("Device", "设备")) }
                        th { (l.t("First signed in", "首次登录")) }
                        th { (l.t("Status", "状态")) }
                        th {}
                    } }
                    tbody { @for d in &devices {
                        tr data-testid=(format!("device-{}", d.id)) {
                            td { (d.name) br; span.muted.small { (d.id) } }
                            td { (when(d.created_at, tz)) }
                            td { (status_badge(viewer, d.active)) }
                            td { @if d.active {
                                form method="post" action=(format!("/dashboard/admin/devices/{}/deactivate", enc(&d.id))) {
                                    input type="hidden" name="csrf" value=(viewer.csrf);
                                    button.button.danger type="submit" { (l.t("Deactivate (lost phone)", "停用（手机丢失）")) }
                                }
                            } }
                        }
                    } }
                } }
            }
        }
    };
    Ok(shell(
        viewer,
        Part::Users,
        &format!("{} ({})", user.display_name, user.username),
        notice,
        error,
        &body,
    ))
}

fn when(ms: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    password: String,
}

/// `POST /dashboard/admin/users/{id}`: one change of a user (`action`: `team`,
/// `password`, `deactivate` or `reactivate`).
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminForm(viewer, submitted): AdminForm<UserForm>,
) -> Response {
    let result = change_user(&state, &viewer, &id, submitted).await;
    let (state, v, id) = (&state, &viewer, &id);
    answer(v, result, |reason| async move {
        user_page(state, v, id, None, Some(&reason)).await
    })
    .await
}

async fn change_user(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: UserForm,
) -> ApiResult<(String, Done)> {
    let (update, what) = match form.action.as_str() {
        "team" => {
            let team =
                given(&form.team).ok_or_else(|| ApiError::Unprocessable("choose a team".into()))?;
            (user_update(None, Some(team), None), Done::UserSaved)
        }
        "password" => (
            user_update(None, None, Some(form.password)),
            Done::PasswordReset,
        ),
        "deactivate" => (user_update(Some(false), None, None), Done::UserDeactivated),
        "reactivate" => (user_update(Some(true), None, None), Done::UserReactivated),
        _ => return Err(ApiError::BadRequest("unknown action".into())),
    };
    let user = admin::update_user(state, viewer.tenant_id(), id, update).await?;
    Ok((format!("/dashboard/admin/users/{}", enc(&user.id)), what))
}

fn user_update(
    active: Option<bool>,
    team_id: Option<String>,
    password: Option<String>,
) -> UserUpdate {
    UserUpdate {
        active,
        team_id,
        password,
    }
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /dashboard/admin/devices/{id}/deactivate`: a lost phone.
pub async fn deactivate_device(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminForm(viewer, NoFields {}): AdminForm<NoFields>,
) -> Response {
    let deactivated = admin::update_device(
        &state,
        viewer.tenant_id(),
        &id,
        DeviceUpdate { active: false },
    )
    .await;
    match deactivated {
        Ok(d) => done(
            &format!("/dashboard/admin/users/{}", enc(&d.user_id)),
            Done::DeviceDeactivated,
        ),
        Err(e) => error_page(&viewer, e),
    }
}
