//! The admin console: a company's admin runs the company from the dashboard — users and
//! their devices, teams, key accounts and their account teams, the rules, and bulk import.
//!
//! | route | what |
//! |---|---|
//! | `GET /dashboard/admin` | the company at a glance, with a link to each part |
//! | `GET, POST /dashboard/admin/users` | users; create one |
//! | `GET, POST /dashboard/admin/users/{id}` | one user: team, password, (de)activation, devices |
//! | `POST /dashboard/admin/devices/{id}/deactivate` | a lost phone: its tokens stop at once |
//! | `GET, POST /dashboard/admin/teams` | teams; create one |
//! | `GET, POST /dashboard/admin/accounts` | key accounts; create one |
//! | `GET /dashboard/admin/accounts/{id}` | an account's team |
//! | `POST /dashboard/admin/accounts/{id}/team` | put someone on it, or take them off |
//! | `GET, POST /dashboard/admin/rules` | the company's rules, each within its range |
//! | `GET, POST /dashboard/admin/import` | bulk import from CSV or Excel, checked first |
//!
//! Every page and form is for the company's admins only (anyone else: 403), and finds
//! ids only within the admin's own company (another company's: 404, as if absent). Every
//! POST carries the session's CSRF token; a refused one changes nothing. The work is done
//! by the same functions as the `/v1/admin/...` API and `rapport-server admin ...`
//! ([`crate::admin`], [`crate::import`]), so the three faces behave alike.

mod accounts;
mod import;
mod rules;
mod teams;
mod users;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use rapport_client_core::protocol::Role;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::{Viewer, redirect, same_token};
use super::{error_response, page, respond};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/{id}", get(users::show).post(users::update))
        .route(
            "/admin/devices/{id}/deactivate",
            post(users::deactivate_device),
        )
        .route("/admin/teams", get(teams::list).post(teams::create))
        .route(
            "/admin/accounts",
            get(accounts::list).post(accounts::create),
        )
        .route("/admin/accounts/{id}", get(accounts::show))
        .route("/admin/accounts/{id}/team", post(accounts::change_team))
        .route("/admin/rules", get(rules::show).post(rules::save))
        .route("/admin/import", get(import::form).post(import::upload))
}

/// The part of the console a page belongs to, for its tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Overview,
    Users,
    Teams,
    Accounts,
    Rules,
    Import,
}

impl Part {
    const ALL: [Part; 6] = [
        Part::Overview,
        Part::Users,
        Part::Teams,
        Part::Accounts,
        Part::Rules,
        Part::Import,
    ];

    fn href(self) -> &'static str {
        match self {
            Part::Overview => "/dashboard/admin",
            Part::Users => "/dashboard/admin/users",
            Part::Teams => "/dashboard/admin/teams",
            Part::Accounts => "/dashboard/admin/accounts",
            Part::Rules => "/dashboard/admin/rules",
            Part::Import => "/dashboard/admin/import",
        }
    }

    fn name(self, l: Lang) -> &'static str {
        match self {
            Part::Overview => l.t("Company", "公司"),
            Part::Users => l.t("Users", "用户"),
            Part::Teams => l.t("Teams", "团队"),
            Part::Accounts => l.t("Key accounts", "大客户"),
            Part::Rules => l.t("Rules", "规则"),
            Part::Import => l.t("Import", "批量导入"),
        }
    }
}

/// The viewer, if they are an admin of their company; anyone else is refused.
fn require_admin(viewer: &Viewer) -> ApiResult<()> {
    if viewer.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the admin console is for admins".into(),
        ))
    }
}

type QueryResult<T> = Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>;

/// A console form as posted: the session's CSRF token beside its fields.
#[derive(Debug, Deserialize)]
struct Posted<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: T,
}

/// A console form, extracted: the signed-in viewer, known to be an admin, and the form's
/// fields, known to carry the session's CSRF token. Anything else is answered with the
/// error's page (sign-in, 403, a body that is not the form) before the handler runs.
pub struct AdminForm<T>(Viewer, T);

impl<T> axum::extract::FromRequest<AppState> for AdminForm<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let req = axum::extract::Request::from_parts(parts, body);
        let fields = async {
            require_admin(&viewer)?;
            let posted: Posted<T> = axum::Form::from_request(req, state)
                .await
                .map(|f| f.0)
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
            check_csrf(&viewer, &posted.csrf)?;
            Ok(posted.fields)
        }
        .await;
        match fields {
            Ok(fields) => Ok(AdminForm(viewer, fields)),
            Err(e) => Err(error_page(&viewer, e)),
        }
    }
}

/// The page of an error, in the console's frame.
fn error_page(viewer: &Viewer, err: ApiError) -> Response {
    error_response(&viewer.prefs, Some(viewer), err)
}

/// The answer to a console form: done, back (303) to the page given, told what was done;
/// refused, the form again (see [`form_failed`]).
async fn answer<F>(
    viewer: &Viewer,
    result: ApiResult<(String, Done)>,
    again: impl FnOnce(String) -> F,
) -> Response
where
    F: std::future::Future<Output = ApiResult<Markup>>,
{
    match result {
        Ok((to, what)) => done(&to, what),
        Err(err) => form_failed(viewer, err, again).await,
    }
}

/// What the page was told was done, if anything (an unknown code is ignored).
fn done_of(q: QueryResult<DoneQuery>) -> Option<Done> {
    q.ok().and_then(|q| q.0.done)
}

/// An optional text field: empty or blank is none.
fn given(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Whether a form carried the session's CSRF token.
fn check_csrf(viewer: &Viewer, token: &str) -> ApiResult<()> {
    if same_token(&viewer.csrf, token) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the form did not carry this session's token".into(),
        ))
    }
}

/// The outcome of a form that went through, shown once on the page it leads back to
/// (`?done=`): a closed list, so nothing from the address is echoed as text.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Done {
    UserCreated,
    UserSaved,
    PasswordReset,
    UserDeactivated,
    UserReactivated,
    DeviceDeactivated,
    TeamCreated,
    AccountCreated,
    Assigned,
    Unassigned,
    RulesSaved,
}

impl Done {
    fn code(self) -> &'static str {
        match self {
            Done::UserCreated => "user_created",
            Done::UserSaved => "user_saved",
            Done::PasswordReset => "password_reset",
            Done::UserDeactivated => "user_deactivated",
            Done::UserReactivated => "user_reactivated",
            Done::DeviceDeactivated => "device_deactivated",
            Done::TeamCreated => "team_created",
            Done::AccountCreated => "account_created",
            Done::Assigned => "assigned",
            Done::Unassigned => "unassigned",
            Done::RulesSaved => "rules_saved",
        }
    }

    fn text(self, l: Lang) -> &'static str {
        match self {
            Done::UserCreated => l.t("The user was created.", "用户已创建。"),
            Done::UserSaved => l.t("Saved.", "已保存。"),
            Done::PasswordReset => l.t(
                "The password was reset: the user's sessions on every device have ended.",
                "密码已重置：该用户在所有设备上的登录均已结束。",
            ),
            Done::UserDeactivated => l.t(
                "The user was deactivated: their sessions ended at once.",
                "用户已停用：其登录已立即结束。",
            ),
            Done::UserReactivated => l.t(
                "The user was reactivated: they sign in again with their password.",
                "用户已重新启用：需用密码重新登录。",
            ),
            Done::DeviceDeactivated => l.t(
                "The device was deactivated: it can no longer sync.",
                "设备已停用：它已无法再同步。",
            ),
            Done::TeamCreated => l.t("The team was created.", "团队已创建。"),
            Done::AccountCreated => l.t(
                "The account was created; its team's devices receive it on their next sync.",
                "大客户已创建；客户团队的设备会在下次同步时收到。",
            ),
            Done::Assigned => l.t(
                "Put on the account team: their next sync brings the account's records.",
                "已加入客户团队：下次同步时会收到该客户的记录。",
            ),
            Done::Unassigned => l.t(
                "Taken off the account team: their next sync removes the account's other records.",
                "已移出客户团队：下次同步时会移除该客户的其他记录。",
            ),
            Done::RulesSaved => l.t(
                "The rules were saved; devices follow them from their next sync.",
                "规则已保存；设备在下次同步后按新规则执行。",
            ),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    done: Option<Done>,
}

/// `303` back to `to`, telling the page what was done.
fn done(to: &str, what: Done) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    redirect(&format!("{to}{sep}done={}", what.code()))
}

/// The frame of a console page: the tabs, then what was just done or what went wrong,
/// then the body.
fn shell(
    viewer: &Viewer,
    part: Part,
    title: &str,
    notice: Option<Done>,
    error: Option<&str>,
    body: &Markup,
) -> Markup {
    let l = viewer.lang();
    let inner = html! {
        main.admin {
            nav.tabs data-testid="admin-tabs" {
                @for p in Part::ALL {
                    a.here[p == part] href=(p.href()) { (p.name(l)) }
                }
            }
            h1 { (title) }
            @if let Some(d) = notice {
                p.ok data-testid="done" { (d.text(l)) }
            }
            @if let Some(e) = error {
                p.error data-testid="form-error" { (e) }
            }
            (body)
        }
    };
    page(&viewer.prefs, Some(viewer), title, &inner)
}

/// Renders a console page (200), or the page of its error.
fn finish(viewer: &Viewer, result: ApiResult<Markup>) -> Response {
    match result {
        Ok(markup) => respond(&viewer.prefs, StatusCode::OK, markup),
        Err(e) => error_response(&viewer.prefs, Some(viewer), e),
    }
}

/// Whether an error refuses what a form asked (a value out of range, a name taken, the
/// last admin): the form is then shown again with the reason. Its status and reason.
fn refusal(err: &ApiError) -> Option<(StatusCode, String)> {
    match err {
        ApiError::Unprocessable(_) => {
            Some((StatusCode::UNPROCESSABLE_ENTITY, err.public_message()))
        }
        ApiError::Conflict(_) => Some((StatusCode::CONFLICT, err.public_message())),
        ApiError::Database(e) if crate::db::is_unique_violation(e) => {
            Some((StatusCode::CONFLICT, err.public_message()))
        }
        _ => None,
    }
}

/// A form's answer when it failed: a refusal shows the form again (`again`, rendered with
/// the reason) under the refusal's status; anything else (not an admin, CSRF, a missing
/// id) is the error's page.
async fn form_failed<F>(viewer: &Viewer, err: ApiError, again: impl FnOnce(String) -> F) -> Response
where
    F: std::future::Future<Output = ApiResult<Markup>>,
{
    let Some((status, reason)) = refusal(&err) else {
        return error_response(&viewer.prefs, Some(viewer), err);
    };
    match again(reason).await {
        Ok(markup) => respond(&viewer.prefs, status, markup),
        Err(e) => error_response(&viewer.prefs, Some(viewer), e),
    }
}

/// The name of a role.
fn role_name(l: Lang, role: &str) -> &str {
    match Role::parse(role) {
        Some(Role::Rep) => l.t("Rep", "销售代表"),
        Some(Role::Manager) => l.t("Manager", "销售经理"),
        Some(Role::Admin) => l.t("Admin", "管理员"),
        None => role,
    }
}

/// `GET /dashboard/admin`: the company at a glance.
async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    q: QueryResult<DoneQuery>,
) -> Response {
    let result = async {
        require_admin(&viewer)?;
        let tenant = viewer.tenant_id();
        let (teams, users, accounts, rules) = tokio::try_join!(
            crate::admin::list_teams(&state, tenant),
            crate::admin::list_users(&state, tenant),
            crate::admin::list_accounts(&state, tenant),
            crate::admin::get_rules(&state, tenant),
        )?;
        let l = viewer.lang();
        let active = users.iter().filter(|u| u.active).count();
        let unstaffed = accounts.iter().filter(|a| a.team.is_empty()).count();
        let body = html! {
            p.muted {
                (viewer.tenant.name) " · " (viewer.tenant.slug) " · "
                (l.t("time zone ", "时区 ")) (viewer.tenant.time_zone)
            }
            div.facts {
                a.fact href=(Part::Users.href()) data-testid="fact-users" {
                    div.label { (l.t("Active users", "在用用户")) }
                    div.fig { (active) " / " (users.len()) }
                }
                a.fact href=(Part::Teams.href()) data-testid="fact-teams" {
                    div.label { (l.t("Teams", "团队")) }
                    div.fig { (teams.len()) }
                }
                a.fact href=(Part::Accounts.href()) data-testid="fact-accounts" {
                    div.label { (l.t("Key accounts", "大客户")) }
                    div.fig { (accounts.len()) }
                }
                a.fact href=(format!("{}?unstaffed=1", Part::Accounts.href())) data-testid="fact-unstaffed" {
                    div.label { (l.t("Accounts with nobody on their team", "无人负责的大客户")) }
                    div.fig.bad[unstaffed > 0] { (unstaffed) }
                }
                a.fact href=(Part::Rules.href()) data-testid="fact-rules" {
                    div.label { (l.t("Rules version", "规则版本")) }
                    div.fig { (rules.version) }
                }
            }
            section.card {
                h2 { (l.t("Bringing a company in", "导入公司资料")) }
                p {
                    (l.t(
                        "Accounts, contacts, users and account teams can be imported at once from CSV or Excel files: ",
                        "大客户、联系人、用户与客户团队可从 CSV 或 Excel 文件一次导入：",
                    ))
                    a href=(Part::Import.href()) { (Part::Import.name(l)) }
                }
            }
        };
        Ok(shell(
            &viewer,
            Part::Overview,
            l.t("Admin console", "管理后台"),
            done_of(q),
            None,
            &body,
        ))
    }
    .await;
    finish(&viewer, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_reads_back_from_its_code() {
        for d in [
            Done::UserCreated,
            Done::UserSaved,
            Done::PasswordReset,
            Done::UserDeactivated,
            Done::UserReactivated,
            Done::DeviceDeactivated,
            Done::TeamCreated,
            Done::AccountCreated,
            Done::Assigned,
            Done::Unassigned,
            Done::RulesSaved,
        ] {
            let uri: axum::http::Uri = format!("/dashboard/admin?done={}", d.code())
                .parse()
                .expect("a URI");
            let q = axum::extract::Query::<DoneQuery>::try_from_uri(&uri).expect("parses");
            assert_eq!(q.0.done.map(Done::code), Some(d.code()));
            assert!(!d.text(Lang::En).is_empty() && !d.text(Lang::Zh).is_empty());
        }
    }
}
