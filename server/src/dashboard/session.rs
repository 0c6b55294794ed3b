//! Signing in to the dashboard: the session cookie, CSRF tokens, and the [`Viewer`] every
//! page is rendered for.
//!
//! A session is an HS256 token signed with the server's key under its own audience
//! ([`AUDIENCE`]), carried in an `HttpOnly`, `SameSite=Strict` cookie scoped to
//! `/dashboard` (and `Secure` when the request came over https through a proxy). The token
//! names the user, their company and a random CSRF token; every POST form carries that
//! token and is refused without it. The sign-in form, which has no session yet, uses a
//! double-submit cookie instead. A valid token is not enough: [`Viewer`] reloads the user
//! from the tables on every request, so deactivating a user ends their sessions at once,
//! and their role is always the current one. Sessions end on the server, in the database
//! every server process shares: signing out records the cookie (its SHA-256) in
//! `ended_sessions` until it expires, and a password reset or a deactivation raises the
//! user's session epoch, which the cookie carries.

use axum::extract::{FromRequestParts, OriginalUri, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use cookie::{Cookie, SameSite};
use jsonwebtoken::Validation;
use maud::{Markup, html};
use rand::RngCore;
use rapport_client_core::protocol::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use super::i18n::Lang;
use super::{enc, page};
use crate::app::AppState;
use crate::db::{ended_sessions, tenants, users};

/// JWT audience of dashboard sessions (API tokens have `rapport-api`).
pub const AUDIENCE: &str = "rapport-dashboard";
pub const SESSION_COOKIE: &str = "rapport_session";
pub const LOGIN_CSRF_COOKIE: &str = "rapport_login_csrf";
pub const LANG_COOKIE: &str = "rapport_lang";
/// How long a dashboard session lasts: a working day.
const SESSION_SECS: i64 = 12 * 3600;
/// How long a sign-in form stays usable.
const LOGIN_FORM_SECS: i64 = 3600;

/// The claims of a session token.
#[derive(Debug, Serialize, Deserialize)]
struct SessionClaims {
    sub: String,
    iss: String,
    aud: String,
    exp: i64,
    iat: i64,
    /// Not before: never set here, but one present must be a whole number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::keys::strict_time"
    )]
    nbf: Option<i64>,
    /// Tenant id.
    tid: String,
    /// The CSRF token every POST form of this session must carry.
    csrf: String,
    /// The user's session epoch at sign-in (see `users.session_epoch`); absent: 0.
    #[serde(default)]
    sep: i64,
}

/// The API's token checks (algorithm, key, times, issuer), under the dashboard's audience.
fn validation(issuer: &str) -> Validation {
    crate::keys::validation_for(issuer, AUDIENCE)
}

/// 32 random bytes, base64url.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    !a.is_empty() && a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The value of the cookie `name`, if the request carries it.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|line| {
            Cookie::split_parse(line)
                .filter_map(Result::ok)
                .find(|c| c.name() == name)
                .map(|c| c.value().to_owned())
        })
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, on `path`; removed when `max_age`
/// is zero.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> HeaderValue {
    let c = Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    // Names and values are ours (base64url, JWTs, language codes): always valid.
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// What every dashboard request knows before anyone signs in: the language, whether it
/// came over https, and where it was going.
#[derive(Debug, Clone)]
pub struct Prefs {
    pub lang: Lang,
    /// `?lang=` chose a language the cookie does not hold yet: remember it.
    pub remember_lang: bool,
    /// The request came over https (per `X-Forwarded-Proto`): cookies get `Secure`.
    pub secure: bool,
    /// The path and query asked for.
    pub uri: Uri,
}

impl Prefs {
    /// The current page in the other language.
    pub fn lang_switch(&self) -> String {
        with_param(&self.uri, "lang", Some(self.lang.other().code()))
    }
}

/// `uri` with `name` set to `value` (or removed), other parameters kept as they came.
pub fn with_param(uri: &Uri, name: &str, value: Option<&str>) -> String {
    let mut pairs: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .map(str::to_owned)
        .collect();
    if let Some(v) = value {
        pairs.push(format!("{name}={}", enc(v)));
    }
    if pairs.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{}", uri.path(), pairs.join("&"))
    }
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

impl<S: Send + Sync> FromRequestParts<S> for Prefs {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Prefs, Self::Rejection> {
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        let asked = query_param(&uri, "lang").and_then(|l| Lang::parse(&l));
        let remembered = read_cookie(&parts.headers, LANG_COOKIE).and_then(|l| Lang::parse(&l));
        let accepted = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .and_then(Lang::from_accept_language);
        // Rapport is made for Chinese sales teams: Chinese unless the browser asks for
        // English.
        let lang = asked.or(remembered).or(accepted).unwrap_or(Lang::Zh);
        let secure = parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Ok(Prefs {
            lang,
            remember_lang: asked.is_some() && asked != remembered,
            secure,
            uri,
        })
    }
}

/// The signed-in user a page is rendered for, checked against the tables.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: users::Model,
    pub tenant: tenants::Model,
    pub role: Role,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
    pub prefs: Prefs,
    /// The SHA-256 of the session cookie and its expiry (Unix ms), to end it on sign-out.
    session_hash: String,
    session_expires_ms: i64,
}

impl Viewer {
    pub fn lang(&self) -> Lang {
        self.prefs.lang
    }

    pub fn id(&self) -> &str {
        &self.user.id
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant.id
    }

    /// Where this user starts: the team overview, or a rep's own scorecard.
    pub fn home(&self) -> String {
        home_of(&self.user)
    }
}

fn home_of(user: &users::Model) -> String {
    match Role::parse(&user.role) {
        Some(Role::Manager | Role::Admin) => "/dashboard".to_owned(),
        _ => format!("/dashboard/reps/{}", enc(&user.id)),
    }
}

/// A session cookie that passed the checks of [`session_of`].
struct Live {
    user: users::Model,
    csrf: String,
    /// SHA-256 of the cookie, hex.
    hash: String,
    expires_ms: i64,
}

/// The session of a request, if its cookie holds a valid one for an active user: signed
/// by this server, of the user's current session epoch, and not signed out.
async fn session_of(headers: &HeaderMap, state: &AppState) -> Option<Live> {
    let token = read_cookie(headers, SESSION_COOKIE)?;
    let claims: SessionClaims = state
        .keys
        .verify(&token, &validation(&state.settings.issuer))?;
    let user = users::Entity::find_by_id(&claims.sub)
        .one(&state.db)
        .await
        .ok()
        .flatten()?;
    if !user.active || user.tenant_id != claims.tid || user.session_epoch != claims.sep {
        return None;
    }
    let hash = crate::auth::sha256_hex(&token);
    let ended = ended_sessions::Entity::find_by_id(&hash)
        .one(&state.db)
        .await
        .ok()?;
    if ended.is_some() {
        return None;
    }
    Some(Live {
        user,
        csrf: claims.csrf,
        hash,
        expires_ms: claims.exp.saturating_mul(1000),
    })
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, Response> {
        let Ok(prefs) = Prefs::from_request_parts(parts, state).await;
        let to_login = || {
            let next = prefs
                .uri
                .path_and_query()
                .map_or("/dashboard", |p| p.as_str());
            redirect(&format!("/dashboard/login?next={}", enc(next)))
        };
        let Some(Live {
            user,
            csrf,
            hash,
            expires_ms,
        }) = session_of(&parts.headers, state).await
        else {
            return Err(to_login());
        };
        // The same per-user allowance as the API's.
        if let Err(e) = state.check_rate(crate::limits::Limit::User, &user.id) {
            return Err(super::error_response(&prefs, None, e));
        }
        let tenant = match tenants::Entity::find_by_id(&user.tenant_id)
            .one(&state.db)
            .await
        {
            Ok(Some(t)) => t,
            Ok(None) => return Err(to_login()),
            Err(e) => {
                return Err(super::error_response(&prefs, None, e.into()));
            }
        };
        Ok(Viewer {
            role: Role::parse(&user.role).unwrap_or(Role::Rep),
            user,
            tenant,
            csrf,
            prefs,
            session_hash: hash,
            session_expires_ms: expires_ms,
        })
    }
}

/// `303 See Other` to `to`.
pub fn redirect(to: &str) -> Response {
    let location = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// A `next` that stays inside the dashboard (no open redirect to another site).
fn safe_next(next: Option<&str>) -> Option<&str> {
    let n = next?;
    let inside = n == "/dashboard" || n.starts_with("/dashboard/") || n.starts_with("/dashboard?");
    let plain = !n.contains(['\\', '\r', '\n']) && !n.starts_with("//");
    (inside && plain && !n.starts_with("/dashboard/login")).then_some(n)
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /dashboard/login`: the sign-in form (or home, when signed in already).
pub async fn login_form(
    State(state): State<AppState>,
    prefs: Prefs,
    headers: HeaderMap,
    query: Result<axum::extract::Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Some(live) = session_of(&headers, &state).await {
        return redirect(&home_of(&live.user));
    }
    let next = query.map(|q| q.0.next).unwrap_or_default();
    login_page(&prefs, StatusCode::OK, &LoginForm::empty(next), None)
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    company: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

impl LoginForm {
    fn empty(next: Option<String>) -> LoginForm {
        LoginForm {
            next,
            ..LoginForm::default()
        }
    }
}

/// The sign-in page with a fresh double-submit token (cookie and hidden field).
fn login_page(
    prefs: &Prefs,
    status: StatusCode,
    form: &LoginForm,
    error: Option<&str>,
) -> Response {
    let l = prefs.lang;
    let token = random_token();
    let body = html! {
        main.login {
            h1 { "Rapport" }
            p.muted { (l.t("Key-account relationship dashboard", "大客户客情关系看板")) }
            @if let Some(e) = error {
                p.error role="alert" data-testid="login-error" { (e) }
            }
            form method="post" action="/dashboard/login" {
                input type="hidden" name="csrf" value=(token);
                @if let Some(next) = safe_next(form.next.as_deref()) {
                    input type="hidden" name="next" value=(next);
                }
                label {
                    (l.t("Company", "公司代码"))
                    input type="text" name="company" value=(form.company) required
                        autocomplete="organization" autocapitalize="off" data-testid="company";
                }
                label {
                    (l.t("User name", "用户名"))
                    input type="text" name="username" value=(form.username) required
                        autocomplete="username" autocapitalize="off" data-testid="username";
                }
                label {
                    (l.t("Password", "密码"))
                    input type="password" name="password" required
                        autocomplete="current-password" data-testid="password";
                }
                button type="submit" data-testid="sign-in" { (l.t("Sign in", "登录")) }
            }
        }
    };
    let mut resp = super::respond(
        prefs,
        status,
        page(prefs, None, l.t("Sign in", "登录"), &body),
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LOGIN_CSRF_COOKIE,
            &token,
            "/dashboard/login",
            LOGIN_FORM_SECS,
            prefs.secure,
        ),
    );
    resp
}

/// `POST /dashboard/login`.
pub async fn login(
    State(state): State<AppState>,
    ip: crate::auth::ClientIp,
    prefs: Prefs,
    headers: HeaderMap,
    form: Result<axum::Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = prefs.lang;
    let Ok(axum::Form(mut form)) = form else {
        return login_page(
            &prefs,
            StatusCode::BAD_REQUEST,
            &LoginForm::default(),
            Some(l.t(
                "The form could not be read; try again.",
                "无法读取表单，请重试。",
            )),
        );
    };
    let cookie_token = read_cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !same_token(&cookie_token, &form.csrf) {
        form.password.clear();
        return login_page(
            &prefs,
            StatusCode::FORBIDDEN,
            &form,
            Some(l.t(
                "This form has expired or did not come from this page; sign in again.",
                "表单已过期或来源不明，请重新登录。",
            )),
        );
    }
    let password = std::mem::take(&mut form.password);
    let checked = crate::auth::sign_in(
        &state,
        ip,
        form.company.trim(),
        form.username.trim(),
        &password,
    )
    .await;
    let (tenant, user) = match checked {
        Ok(Some(found)) => found,
        Ok(None) => {
            return login_page(
                &prefs,
                StatusCode::UNAUTHORIZED,
                &form,
                Some(l.t(
                    "Wrong company, user name or password.",
                    "公司代码、用户名或密码错误。",
                )),
            );
        }
        Err(e) => return super::error_response(&prefs, None, e),
    };
    let now = state.clock.now().timestamp();
    let claims = SessionClaims {
        sub: user.id.clone(),
        iss: state.settings.issuer.clone(),
        aud: AUDIENCE.into(),
        exp: now + SESSION_SECS,
        iat: now,
        nbf: None,
        tid: tenant.id.clone(),
        csrf: random_token(),
        // Read with the password: a reset committed meanwhile refuses this session.
        sep: user.session_epoch,
    };
    let token = match state.keys.sign(&claims) {
        Ok(t) => t,
        Err(e) => return super::error_response(&prefs, None, e.into()),
    };
    let to = safe_next(form.next.as_deref()).map_or_else(|| home_of(&user), str::to_owned);
    let mut resp = redirect(&to);
    let headers = resp.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &token,
            "/dashboard",
            SESSION_SECS,
            prefs.secure,
        ),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, "", "/dashboard/login", 0, prefs.secure),
    );
    tracing::info!(user = %user.id, "dashboard sign-in");
    resp
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Whether a POST form carries the session's CSRF token.
pub fn csrf_ok(
    viewer: &Viewer,
    form: &Result<axum::Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> bool {
    form.as_ref()
        .is_ok_and(|f| same_token(&viewer.csrf, &f.0.csrf))
}

/// `POST /dashboard/logout`: ends the session on the server (every process refuses its
/// cookie from now on), then clears the cookie in the browser.
pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<axum::Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if !csrf_ok(&viewer, &form) {
        return super::error_response(
            &viewer.prefs,
            Some(&viewer),
            crate::error::ApiError::Forbidden("the form did not carry this session's token".into()),
        );
    }
    if let Err(e) = end_session(&state, &viewer).await {
        return super::error_response(&viewer.prefs, Some(&viewer), e);
    }
    let mut resp = redirect("/dashboard/login");
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", "/dashboard", 0, viewer.prefs.secure),
    );
    resp
}

/// Records the viewer's session cookie as ended, until it would have expired anyway, and
/// forgets the company's ended sessions that have expired since.
async fn end_session(state: &AppState, viewer: &Viewer) -> crate::error::ApiResult<()> {
    let _writer = state.write_guard().await;
    ended_sessions::Entity::delete_many()
        .filter(ended_sessions::Column::TenantId.eq(viewer.tenant_id()))
        .filter(ended_sessions::Column::ExpiresAt.lt(state.clock.now_ms()))
        .exec(&state.db)
        .await?;
    let row = ended_sessions::ActiveModel {
        token_hash: Set(viewer.session_hash.clone()),
        tenant_id: Set(viewer.tenant_id().to_owned()),
        user_id: Set(viewer.id().to_owned()),
        expires_at: Set(viewer.session_expires_ms),
    };
    match ended_sessions::Entity::insert(row).exec(&state.db).await {
        Ok(_) => Ok(()),
        // Signed out twice at once: it is ended either way.
        Err(e) if crate::db::is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The sign-out button of the page header.
pub fn logout_button(viewer: &Viewer) -> Markup {
    let l = viewer.lang();
    html! {
        form.logout method="post" action="/dashboard/logout" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            button type="submit" data-testid="sign-out" { (l.t("Sign out", "退出")) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_inside_the_dashboard() {
        assert_eq!(safe_next(Some("/dashboard")), Some("/dashboard"));
        assert_eq!(
            safe_next(Some("/dashboard/reps/x?period=2026-W48")),
            Some("/dashboard/reps/x?period=2026-W48")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/dashboard",
            "/dashboardx",
            "/dashboard/login",
            "/dashboard/\r\nSet-Cookie: x",
            "/v1/reports/overdue",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", ""));
    }

    #[test]
    fn parameters_are_replaced_not_repeated() {
        let uri: Uri = "/dashboard?week=2026-W48&lang=en&team=t"
            .parse()
            .expect("uri");
        assert_eq!(
            with_param(&uri, "lang", Some("zh")),
            "/dashboard?week=2026-W48&team=t&lang=zh"
        );
        let bare: Uri = "/dashboard".parse().expect("uri");
        assert_eq!(with_param(&bare, "week", None), "/dashboard");
    }
}
