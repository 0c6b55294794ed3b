//! The managers' web dashboard: server-rendered HTML pages (maud) over the same read model
//! and report functions as the `/v1/reports/...` JSON endpoints.
//!
//! | route | what |
//! |---|---|
//! | `GET /dashboard/login`, `POST /dashboard/login` | sign-in form; sets the session cookie |
//! | `POST /dashboard/logout` | ends the session |
//! | `GET /dashboard?team=&week=2026-W48` | team overview: visits per rep this week, 12-week trend, overdue accounts, danger zone, favours over the limit, birthdays and holidays |
//! | `GET /dashboard/reps/{user}?period=2026-W48\|2026-11` | a rep's scorecard, every figure with the records behind it |
//! | `GET /dashboard/accounts/{id}` | an account: contacts, open opportunities, timeline |
//! | `GET /dashboard/export/{list}.csv` | a team list as CSV, the same bytes as `/v1/reports/…?format=csv` |
//! | `/dashboard/admin/…` | the admin console (admins only): users, devices, teams, accounts, account teams, rules, import; see [`admin`] |
//!
//! Pages take `?lang=zh|en` (remembered in a cookie; the default follows
//! `Accept-Language`). Nothing is loaded from elsewhere: the CSS is inline and charts are
//! inline SVG, so the dashboard works offline on a LAN. Sessions, CSRF and authorisation
//! are in [`session`] and [`scope`].

mod admin;
mod export;
pub(crate) mod i18n;
mod pages;
mod scope;
mod session;
mod svg;

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use rapport_client_core::protocol::Role;

use crate::app::AppState;
use crate::error::ApiError;
use session::{Prefs, Viewer};

pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/reps/{rep}", get(pages::scorecard))
        .route("/accounts/{id}", get(pages::account))
        .route("/export/{file}", get(export::export))
        .merge(admin::router())
        .fallback(not_found);
    Router::new().nest("/dashboard", pages).route(
        "/dashboard/",
        get(|| async { session::redirect("/dashboard") }),
    )
}

const CSS: &str = include_str!("style.css");

/// Percent-encodes a query or path value (everything but unreserved characters).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The frame of every page: header (who is signed in, language switch, sign-out), the
/// body, the footer.
pub fn page(prefs: &Prefs, viewer: Option<&Viewer>, title: &str, body: &Markup) -> Markup {
    let l = prefs.lang;
    let path = prefs.uri.path();
    html! {
        (DOCTYPE)
        html lang=(l.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light";
                title { (title) " · Rapport" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header.top {
                    @match viewer {
                        Some(v) => {
                            a.brand href=(v.home()) { "Rapport" }
                            nav {
                                @if matches!(v.role, Role::Manager | Role::Admin) {
                                    a.here[path == "/dashboard"] href="/dashboard" {
                                        (l.t("Team overview", "团队概览"))
                                    }
                                    @if v.role == Role::Admin {
                                        a.here[path.starts_with("/dashboard/admin")]
                                            href="/dashboard/admin" data-testid="admin-link" {
                                            (l.t("Admin console", "管理后台"))
                                        }
                                    }
                                } @else {
                                    a.here[path == v.home()] href=(v.home()) {
                                        (l.t("My scorecard", "我的计分卡"))
                                    }
                                }
                            }
                            span.who data-testid="who" {
                                (v.tenant.name) " · " (v.user.display_name)
                            }
                        }
                        None => {
                            a.brand href="/dashboard/login" { "Rapport" }
                            span.who {}
                        }
                    }
                    a.lang href=(prefs.lang_switch()) hreflang=(l.other().code())
                        data-testid="lang-switch" {
                        (l.other().own_name())
                    }
                    @if let Some(v) = viewer {
                        (session::logout_button(v))
                    }
                }
                (body)
                footer {
                    "Rapport · "
                    @if let Some(v) = viewer {
                        (l.t("times in ", "时间按 ")) (v.tenant.time_zone)
                    } @else {
                        (l.t("key-account relationship maintenance", "大客户客情关系维护"))
                    }
                }
            }
        }
    }
}

/// A rendered page with the headers every dashboard answer carries: nothing cached,
/// nothing loaded from elsewhere, not framed; and the language cookie when `?lang=` chose
/// one.
pub fn respond(prefs: &Prefs, status: StatusCode, markup: Markup) -> Response {
    let mut resp = (status, markup.into_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(h);
    if prefs.remember_lang {
        h.append(
            header::SET_COOKIE,
            session::set_cookie(
                session::LANG_COOKIE,
                prefs.lang.code(),
                "/dashboard",
                365 * 86_400,
                prefs.secure,
            ),
        );
    }
    resp
}

fn secure_headers(h: &mut axum::http::HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// An error as a page: sign-in for a missing session, else a short explanation with the
/// status. Internal errors are logged and summarised, never shown.
pub fn error_response(prefs: &Prefs, viewer: Option<&Viewer>, err: ApiError) -> Response {
    let l = prefs.lang;
    let (status, heading, detail) = match &err {
        ApiError::Unauthorized(_) => return session::redirect("/dashboard/login"),
        ApiError::TooManyRequests { retry_after } => {
            let status = StatusCode::TOO_MANY_REQUESTS;
            let detail = l.t(
                "Too many attempts in a short time. Wait a moment and try again.",
                "短时间内尝试次数过多，请稍候再试。",
            );
            let mut resp = respond(
                prefs,
                status,
                notice(prefs, viewer, status, l.t("Too many attempts", "尝试次数过多"), detail),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            return resp;
        }
        ApiError::Forbidden(_) => (
            StatusCode::FORBIDDEN,
            l.t("Not for your account", "无权查看"),
            l.t(
                "This page is not open to your account. Managers see their team; reps see their own scorecard.",
                "此页面不对您的账号开放：销售经理查看本团队，销售人员查看自己的计分卡。",
            )
            .to_owned(),
        ),
        ApiError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            l.t("Not found", "找不到此页面"),
            l.t(
                "There is nothing here, or it is not yours to see.",
                "此处没有内容，或不在您的查看范围内。",
            )
            .to_owned(),
        ),
        ApiError::BadRequest(m) | ApiError::Unprocessable(m) => (
            if matches!(err, ApiError::BadRequest(_)) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            l.t("Check the address", "请检查地址参数"),
            m.clone(),
        ),
        _ => {
            let status = err.into_response().status();
            return respond(prefs, status, notice(prefs, viewer, status, "", ""));
        }
    };
    respond(
        prefs,
        status,
        notice(prefs, viewer, status, heading, &detail),
    )
}

fn notice(
    prefs: &Prefs,
    viewer: Option<&Viewer>,
    status: StatusCode,
    heading: &str,
    detail: &str,
) -> Markup {
    let l = prefs.lang;
    let (heading, detail) = if heading.is_empty() {
        (
            l.t("Something went wrong", "出错了"),
            l.t(
                "The server could not answer this time. Try again in a moment.",
                "服务器暂时无法响应，请稍后再试。",
            ),
        )
    } else {
        (heading, detail)
    };
    let home = viewer.map_or_else(|| "/dashboard/login".to_owned(), Viewer::home);
    let body = html! {
        main.notice data-testid="notice" {
            div.code { (status.as_u16()) }
            h1 data-testid="notice-heading" { (heading) }
            p.muted { (detail) }
            p { a.button href=(home) { (l.t("Back to my start page", "返回我的首页")) } }
        }
    };
    page(prefs, viewer, heading, &body)
}

async fn not_found(prefs: Prefs, viewer: Result<Viewer, Response>) -> Response {
    error_response(
        &prefs,
        viewer.as_ref().ok(),
        ApiError::NotFound("no such page".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(enc("2026-W48"), "2026-W48");
        assert_eq!(enc("/dashboard?a=b&c"), "%2Fdashboard%3Fa%3Db%26c");
        assert_eq!(enc("李"), "%E6%9D%8E");
    }
}
