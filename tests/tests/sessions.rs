//! Sessions and scopes under attack (issue 12, "Hardening"): each test replays an attack
//! against the server and expects it refused with nothing changed.
//!
//! - one scorecard scope for the API and the dashboard;
//! - an admin's password reset ends every session of the user (access and refresh tokens,
//!   dashboard cookies); deactivating a user ends them for good, so reactivating does not
//!   revive them;
//! - signing out of the dashboard ends the session on the server, on every server process;
//! - two simultaneous refreshes of one token keep the device signed in, and a spent token
//!   retried again and again mints no new session;
//! - a company's only active admin cannot deactivate themselves.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use rapport_client_core::protocol::Session;
use rapport_tests::{Answer, Company, PASSWORD, TestServer, call, login};
use serde_json::{Value, json};

const WEEK: &str = "2026-W40";
const NEW_PASSWORD: &str = "a brand new passphrase";

// ---------------------------------------------------------------------------------------
// Helpers

fn refresh(url: &str, token: &str) -> Answer {
    call(
        "POST",
        &format!("{url}/v1/auth/refresh"),
        None,
        Some(&json!({"refresh_token": token})),
    )
}

fn session_of(a: &Answer) -> Session {
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    serde_json::from_slice(&a.body).expect("a session")
}

fn body(a: &Answer) -> String {
    String::from_utf8_lossy(&a.body).into_owned()
}

/// A request that needs a valid access token: a rep's own scorecard.
fn own_scorecard(url: &str, access_token: &str) -> u16 {
    call(
        "GET",
        &format!("{url}/v1/reports/scorecard?period={WEEK}"),
        Some(access_token),
        None,
    )
    .status
}

/// Whether an access token still opens the API (200) or is refused as signed out (401).
fn api_status(url: &str, s: &Session) -> u16 {
    call(
        "GET",
        &format!("{url}/v1/reports/scorecard?period={WEEK}&rep={}", s.user_id),
        Some(&s.access_token),
        None,
    )
    .status
}

fn admin_patch(server: &TestServer, admin_token: &str, user: &str, body: &Value) -> Answer {
    call(
        "PATCH",
        &format!("{}/v1/admin/users/{user}", server.url),
        Some(admin_token),
        Some(body),
    )
}

fn sql_bool(server: &TestServer, v: bool) -> &'static str {
    match (server.backend(), v) {
        (sea_orm::DbBackend::Postgres, true) => "TRUE",
        (sea_orm::DbBackend::Postgres, false) => "FALSE",
        (_, true) => "1",
        (_, false) => "0",
    }
}

/// Refresh tokens of the user that may still be presented: neither used nor revoked.
fn usable_refresh_tokens(server: &TestServer, user_id: &str) -> i64 {
    server.count(&format!(
        "SELECT COUNT(*) FROM refresh_tokens WHERE user_id = '{user_id}' AND revoked = {} \
         AND used_at IS NULL",
        sql_bool(server, false)
    ))
}

/// Refresh tokens of the user not revoked (used ones included).
/// Every device's refresh and access token, and the dashboard cookie (on the page at
/// `home`), are refused: the user's sessions have ended.
#[track_caller]
fn assert_sessions_ended(
    url: &str,
    devices: &[(&str, &Session)],
    (home, cookie): (&str, &Cookie),
    when: &str,
) {
    for (name, s) in devices {
        assert_eq!(
            refresh(url, &s.refresh_token).status,
            401,
            "{when}: {name}'s refresh token still mints sessions"
        );
        assert_eq!(
            api_status(url, s),
            401,
            "{when}: {name}'s access token still works"
        );
    }
    assert!(
        dashboard_get(url, home, cookie).signed_out(),
        "{when}: the dashboard cookie still works"
    );
}

fn live_refresh_tokens(server: &TestServer, user_id: &str) -> i64 {
    server.count(&format!(
        "SELECT COUNT(*) FROM refresh_tokens WHERE user_id = '{user_id}' AND revoked = {}",
        sql_bool(server, false)
    ))
}

// ----- the dashboard, as a browser speaks to it (cookies by hand, no redirects) -----

struct Page {
    status: u16,
    location: String,
    body: String,
    set_cookies: Vec<String>,
}

impl Page {
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies.iter().find_map(|line| {
            let pair = line.split(';').next()?;
            let (n, v) = pair.split_once('=')?;
            (n == name && !v.is_empty()).then(|| v.to_owned())
        })
    }

    fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in {}", self.body));
        let rest = &self.body[at + marker.len()..];
        rest[..rest.find('"').expect("closing quote")].to_owned()
    }

    fn signed_out(&self) -> bool {
        self.status == 303 && self.location.starts_with("/dashboard/login")
    }
}

fn web_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn page(resp: ureq::http::Response<ureq::Body>) -> Page {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let set_cookies = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let body = resp.into_body().read_to_string().expect("read body");
    Page {
        status,
        location,
        body,
        set_cookies,
    }
}

fn web_get(base: &str, path: &str, cookie: Option<&str>) -> Page {
    let mut r = web_agent().get(format!("{base}{path}"));
    if let Some(c) = cookie {
        r = r.header("Cookie", c);
    }
    page(r.call().expect("GET"))
}

fn web_post(base: &str, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Page {
    let mut r = web_agent()
        .post(format!("{base}{path}"))
        .content_type("application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header("Cookie", c);
    }
    page(r.send(rapport_tests::form_encode(fields)).expect("POST"))
}

/// A dashboard session: the `Cookie` header a browser would send with it.
#[derive(Clone)]
struct Cookie(String);

impl Cookie {
    fn header(&self) -> Option<&str> {
        Some(&self.0)
    }
}

/// Signs in through the dashboard's form, as a browser would.
fn dashboard_sign_in(base: &str, company: &str, user: &str, password: &str) -> Cookie {
    let form = web_get(base, "/dashboard/login", None);
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.hidden("csrf");
    let r = web_post(
        base,
        "/dashboard/login",
        Some(&format!("rapport_login_csrf={csrf}")),
        &[
            ("company", company),
            ("username", user),
            ("password", password),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(r.status, 303, "dashboard sign-in of {user}: {}", r.body);
    let session = r.cookie("rapport_session").expect("a session cookie");
    Cookie(format!("rapport_session={session}"))
}

/// `GET` a dashboard page with a session cookie.
fn dashboard_get(base: &str, path: &str, cookie: &Cookie) -> Page {
    web_get(base, path, cookie.header())
}

/// Signs the session out with its own CSRF token; the answer.
fn dashboard_sign_out(base: &str, home: &str, cookie: &Cookie) -> Page {
    let p = dashboard_get(base, home, cookie);
    assert_eq!(p.status, 200, "{}", p.body);
    let csrf = p.hidden("csrf");
    web_post(
        base,
        "/dashboard/logout",
        cookie.header(),
        &[("csrf", &csrf)],
    )
}

// ---------------------------------------------------------------------------------------
// Item 4: one scorecard scope for both faces

#[test]
fn the_api_and_the_dashboard_agree_on_whose_scorecard_each_caller_may_read() {
    let server = TestServer::start();
    let url = &server.url;
    let co = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");
    let post = |path: &str, json_body: Value| {
        let a = call(
            "POST",
            &format!("{url}{path}"),
            Some(&co.admin_token),
            Some(&json_body),
        );
        assert_eq!(a.status, 201, "{path}: {}", body(&a));
        a.json()["id"].as_str().expect("id").to_owned()
    };
    // A second manager of the same team, and another team with its manager and rep.
    let comanager = post(
        "/v1/admin/users",
        json!({"username": "comanager", "password": PASSWORD, "role": "manager", "team_id": co.team_id}),
    );
    let west = post("/v1/admin/teams", json!({"name": "West"}));
    let w = post(
        "/v1/admin/users",
        json!({"username": "w", "password": PASSWORD, "role": "manager", "team_id": west}),
    );
    let c = post(
        "/v1/admin/users",
        json!({"username": "c", "password": PASSWORD, "role": "rep", "team_id": west}),
    );
    let admin_id = server.text(&format!(
        "SELECT id FROM users WHERE tenant_id = '{}' AND username = 'admin'",
        co.tenant_id
    ));
    let ids: Vec<(&str, String)> = vec![
        ("a", co.user_id("a").to_owned()),
        ("b", co.user_id("b").to_owned()),
        ("manager", co.user_id("manager").to_owned()),
        ("comanager", comanager),
        ("w", w),
        ("c", c),
        ("admin", admin_id),
        ("other company's a", other.user_id("a").to_owned()),
    ];
    // The rule: oneself; a manager, the reps of their team; an admin, every rep of the
    // company. Never another manager or admin, nor anyone of another company: a manager
    // or an admin searches their own company only, where that person is nobody (404, as
    // an id that exists nowhere); a rep is refused anyone but themselves alike (403).
    let may_read = |viewer: &str, target: &str| -> bool {
        viewer == target
            || match viewer {
                "manager" | "comanager" => matches!(target, "a" | "b"),
                "w" => target == "c",
                "admin" => matches!(target, "a" | "b" | "c"),
                _ => false,
            }
    };
    let mut wrong = Vec::new();
    for viewer in ["a", "manager", "comanager", "w", "admin"] {
        let token = login(url, "acme", viewer).access_token;
        let cookie = dashboard_sign_in(url, "acme", viewer, PASSWORD);
        for (target, id) in &ids {
            let expected = if may_read(viewer, target) {
                200
            } else if target.contains("other company") && viewer != "a" {
                404
            } else {
                403
            };
            // By id and, for the people of this company, by user name.
            let mut asked = vec![id.clone()];
            if !target.contains(' ') {
                asked.push((*target).to_owned());
            }
            for rep in asked {
                let api = call(
                    "GET",
                    &format!("{url}/v1/reports/scorecard?rep={rep}&period={WEEK}"),
                    Some(&token),
                    None,
                )
                .status;
                let page = dashboard_get(
                    url,
                    &format!("/dashboard/reps/{rep}?period={WEEK}"),
                    &cookie,
                )
                .status;
                if (api, page) != (expected, expected) {
                    wrong.push(format!(
                        "{viewer} reading {target} ({rep}): API {api}, dashboard {page}, \
                         expected {expected}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "scopes disagree:\n{}", wrong.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Item 6: a password reset ends every session

#[test]
fn an_admins_password_reset_ends_every_session_of_the_user() {
    let server = TestServer::start();
    let url = &server.url;
    let co = Company::setup(&server, "acme");
    let a_id = co.user_id("a").to_owned();
    let a_home = format!("/dashboard/reps/{a_id}");
    // The attacker knows A's password: two phones, one already rotated, and a browser.
    let phone = login(url, "acme", "a");
    let phone = session_of(&refresh(url, &phone.refresh_token));
    let laptop = login(url, "acme", "a");
    let cookie = dashboard_sign_in(url, "acme", "a", PASSWORD);
    // B, who keeps working.
    let b = login(url, "acme", "b");
    let b_cookie = dashboard_sign_in(url, "acme", "b", PASSWORD);
    assert_eq!(dashboard_get(url, &a_home, &cookie).status, 200);

    let reset = admin_patch(
        &server,
        &co.admin_token,
        &a_id,
        &json!({"password": NEW_PASSWORD}),
    );
    assert_eq!(reset.status, 200, "{}", body(&reset));

    assert_sessions_ended(
        url,
        &[("phone", &phone), ("laptop", &laptop)],
        (&a_home, &cookie),
        "after the reset",
    );
    assert_eq!(live_refresh_tokens(&server, &a_id), 0);
    // The old password is refused; the new one signs in, on both faces.
    let old = call(
        "POST",
        &format!("{url}/v1/auth/login"),
        None,
        Some(&json!({"company": "acme", "username": "a", "password": PASSWORD})),
    );
    assert_eq!(old.status, 401);
    let fresh = call(
        "POST",
        &format!("{url}/v1/auth/login"),
        None,
        Some(&json!({"company": "acme", "username": "a", "password": NEW_PASSWORD})),
    );
    let fresh = session_of(&fresh);
    assert_eq!(api_status(url, &fresh), 200);
    let fresh_refresh = session_of(&refresh(url, &fresh.refresh_token));
    assert_eq!(api_status(url, &fresh_refresh), 200);
    let new_cookie = dashboard_sign_in(url, "acme", "a", NEW_PASSWORD);
    assert_eq!(dashboard_get(url, &a_home, &new_cookie).status, 200);
    // Nobody else was signed out.
    assert_eq!(api_status(url, &b), 200);
    assert_eq!(refresh(url, &b.refresh_token).status, 200);
    assert_eq!(
        dashboard_get(
            url,
            &format!("/dashboard/reps/{}", co.user_id("b")),
            &b_cookie
        )
        .status,
        200
    );
}

// ---------------------------------------------------------------------------------------
// Item 7: deactivation ends sessions for good

#[test]
fn reactivating_a_user_does_not_revive_their_earlier_sessions() {
    let server = TestServer::start();
    let url = &server.url;
    let co = Company::setup(&server, "acme");
    let a_id = co.user_id("a").to_owned();
    let a_home = format!("/dashboard/reps/{a_id}");
    let phone = login(url, "acme", "a");
    let tablet = login(url, "acme", "a");
    let cookie = dashboard_sign_in(url, "acme", "a", PASSWORD);

    // Deactivated over HTTP, reactivated; then deactivated with the CLI, reactivated.
    for round in ["http", "cli"] {
        if round == "http" {
            let off = admin_patch(&server, &co.admin_token, &a_id, &json!({"active": false}));
            assert_eq!(off.status, 200, "{}", body(&off));
        } else {
            let out = server.admin_cli(&["deactivate", "--company", "acme", "--user", "a"]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(
            live_refresh_tokens(&server, &a_id),
            0,
            "{round}: deactivation left refresh tokens alive"
        );
        let on = admin_patch(&server, &co.admin_token, &a_id, &json!({"active": true}));
        assert_eq!(on.status, 200, "{}", body(&on));
        assert_sessions_ended(
            url,
            &[("phone", &phone), ("tablet", &tablet)],
            (&a_home, &cookie),
            &format!("{round}: after reactivation"),
        );
    }
    // Signing in again works.
    let again = login(url, "acme", "a");
    assert_eq!(api_status(url, &again), 200);
    assert_eq!(refresh(url, &again.refresh_token).status, 200);
    let again_cookie = dashboard_sign_in(url, "acme", "a", PASSWORD);
    assert_eq!(dashboard_get(url, &a_home, &again_cookie).status, 200);
}

// ---------------------------------------------------------------------------------------
// Item 8: dashboard sign-out ends the session on the server

#[test]
fn a_signed_out_dashboard_cookie_is_refused_by_every_server_process() {
    let server = TestServer::start();
    let peer = server.peer();
    let url = &server.url;
    Company::setup(&server, "acme");
    for (signed_in_at, signed_out_at) in [(url, &peer.url), (&peer.url, url)] {
        let cookie = dashboard_sign_in(signed_in_at, "acme", "manager", PASSWORD);
        // A second browser of the same manager.
        let other = dashboard_sign_in(signed_in_at, "acme", "manager", PASSWORD);
        for base in [url, &peer.url] {
            assert_eq!(dashboard_get(base, "/dashboard", &cookie).status, 200);
        }
        let out = dashboard_sign_out(signed_out_at, "/dashboard", &cookie);
        assert_eq!(out.status, 303, "{}", out.body);
        assert_eq!(out.location, "/dashboard/login");
        // The attacker kept a copy of the cookie: it is dead on every process.
        for base in [url, &peer.url] {
            let replay = dashboard_get(base, "/dashboard", &cookie);
            assert!(
                replay.signed_out(),
                "a signed-out cookie still opens {base}/dashboard ({})",
                replay.status
            );
            let export = dashboard_get(base, "/dashboard/export/overdue.csv", &cookie);
            assert!(export.signed_out(), "export: {}", export.status);
            let login_page = dashboard_get(base, "/dashboard/login", &cookie);
            assert_eq!(
                login_page.status, 200,
                "the sign-in form, not a redirect home"
            );
        }
        // Signing out one browser leaves the other signed in.
        for base in [url, &peer.url] {
            assert_eq!(dashboard_get(base, "/dashboard", &other).status, 200);
        }
        let out = dashboard_sign_out(signed_in_at, "/dashboard", &other);
        assert_eq!(out.status, 303);
        assert!(dashboard_get(signed_out_at, "/dashboard", &other).signed_out());
    }
}

// ---------------------------------------------------------------------------------------
// Item 9: refresh rotation under concurrency and retries

/// Two refreshes of one token at the same instant (as a phone whose sync and a
/// background task both find the access token stale), twenty times in a row, on one
/// server process and across two: every round leaves the device signed in, whichever
/// answer it keeps.
#[test]
fn two_simultaneous_refreshes_never_sign_the_device_out() {
    let server = TestServer::start();
    let peer = server.peer();
    Company::setup(&server, "acme");
    let start = login(&server.url, "acme", "a");
    let mut current = start.refresh_token.clone();
    let mut failures = Vec::new();
    for round in 0..20 {
        let urls = if round % 2 == 0 {
            [server.url.clone(), server.url.clone()]
        } else {
            [server.url.clone(), peer.url.clone()]
        };
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = urls
            .into_iter()
            .map(|u| {
                let barrier = Arc::clone(&barrier);
                let token = current.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    refresh(&u, &token)
                })
            })
            .collect();
        let answers: Vec<Answer> = handles
            .into_iter()
            .map(|h| h.join().expect("refresh thread"))
            .collect();
        let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
        let sessions: Vec<Session> = answers
            .iter()
            .filter(|a| a.status == 200)
            .map(session_of)
            .collect();
        // A refusal (401) signs the device out; anything else but 200 must be an answer
        // the device can retry (not 5xx).
        let signed_out = answers.iter().any(|a| a.status == 401 || a.status >= 500);
        let successors: BTreeSet<&str> =
            sessions.iter().map(|s| s.refresh_token.as_str()).collect();
        if signed_out || sessions.is_empty() || successors.len() != 1 {
            failures.push(format!(
                "round {round}: statuses {statuses:?}, {} different successors",
                successors.len()
            ));
            break;
        }
        // Whichever answer the device keeps works.
        for s in &sessions {
            let status = own_scorecard(&server.url, &s.access_token);
            if status != 200 {
                failures.push(format!("round {round}: access token answered {status}"));
            }
        }
        current = sessions[0].refresh_token.clone();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // And the last successor still refreshes, once.
    let last = session_of(&refresh(&server.url, &current));
    assert_eq!(api_status(&server.url, &last), 200);
    assert_eq!(
        usable_refresh_tokens(&server, &start.user_id),
        1,
        "one usable refresh token for the one signed-in device"
    );
}

/// The answer of a rotation is lost and the phone retries with its spent token three
/// times: the retries are all served with the one successor, never a new session each;
/// once that successor is used, the spent token coming back ends the family.
#[test]
fn a_spent_refresh_token_retried_three_times_mints_no_new_session() {
    let server = TestServer::start();
    let url = &server.url;
    Company::setup(&server, "acme");
    let first = login(url, "acme", "a");
    let lost = session_of(&refresh(url, &first.refresh_token));
    let rows = |server: &TestServer| {
        server.count(&format!(
            "SELECT COUNT(*) FROM refresh_tokens WHERE device_id = '{}'",
            first.device_id
        ))
    };
    let rows_after_rotation = rows(&server);
    let live_after_rotation = usable_refresh_tokens(&server, &first.user_id);
    let mut successors = BTreeSet::new();
    for attempt in 1..=3 {
        let a = refresh(url, &first.refresh_token);
        assert_eq!(a.status, 200, "retry {attempt}: {}", body(&a));
        let s = session_of(&a);
        assert_eq!(api_status(url, &s), 200, "retry {attempt}'s access token");
        successors.insert(s.refresh_token);
        assert_eq!(
            (
                rows(&server),
                usable_refresh_tokens(&server, &first.user_id)
            ),
            (rows_after_rotation, live_after_rotation),
            "retry {attempt} minted another session"
        );
    }
    assert_eq!(
        successors,
        BTreeSet::from([lost.refresh_token.clone()]),
        "every retry is served the one successor"
    );
    // The device, with the successor, stays signed in.
    let next = session_of(&refresh(url, &lost.refresh_token));
    assert_eq!(api_status(url, &next), 200);
    // Now the spent token is a copy: refused, and the family with it.
    assert_eq!(refresh(url, &first.refresh_token).status, 401);
    assert_eq!(refresh(url, &next.refresh_token).status, 401);
    assert_eq!(live_refresh_tokens(&server, &first.user_id), 0);
}

// ---------------------------------------------------------------------------------------
// Item 10: the last admin

#[test]
fn the_only_active_admin_cannot_deactivate_themselves() {
    let server = TestServer::start();
    let url = &server.url;
    let co = Company::setup(&server, "acme");
    let admin_id = server.text(&format!(
        "SELECT id FROM users WHERE tenant_id = '{}' AND username = 'admin'",
        co.tenant_id
    ));
    let admin_refresh = login(url, "acme", "admin").refresh_token;
    let state = |server: &TestServer| {
        let mut f = server.fingerprint();
        f.push(server.count(&format!(
            "SELECT COUNT(*) FROM users WHERE active = {}",
            sql_bool(server, true)
        )));
        f.push(server.count(&format!(
            "SELECT COUNT(*) FROM refresh_tokens WHERE revoked = {}",
            sql_bool(server, false)
        )));
        f
    };
    let before = state(&server);
    // Over HTTP, by id and by name.
    for who in [admin_id.as_str(), "admin"] {
        let a = admin_patch(&server, &co.admin_token, who, &json!({"active": false}));
        assert_eq!(a.status, 409, "{}", body(&a));
        assert_eq!(a.error_code(), "conflict");
        let message = a.json()["error"]["message"]
            .as_str()
            .expect("message")
            .to_owned();
        assert!(message.contains("admin"), "a clear message: {message}");
        assert_eq!(
            state(&server),
            before,
            "a refused deactivation changed something"
        );
    }
    // With the command line.
    let out = server.admin_cli(&["deactivate", "--company", "acme", "--user", "admin"]);
    assert!(!out.status.success(), "the CLI deactivated the last admin");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("admin"), "{stderr}");
    assert_eq!(state(&server), before);
    // The admin still works.
    assert_eq!(
        call(
            "GET",
            &format!("{url}/v1/admin/users"),
            Some(&co.admin_token),
            None
        )
        .status,
        200
    );
    assert_eq!(refresh(url, &admin_refresh).status, 200);

    // With a second active admin, one may step down; then the other is the last one.
    let second = call(
        "POST",
        &format!("{url}/v1/admin/users"),
        Some(&co.admin_token),
        Some(&json!({"username": "admin2", "password": PASSWORD, "role": "admin"})),
    );
    assert_eq!(second.status, 201, "{}", body(&second));
    let admin2 = login(url, "acme", "admin2").access_token;
    let a = admin_patch(&server, &co.admin_token, "admin", &json!({"active": false}));
    assert_eq!(a.status, 200, "{}", body(&a));
    let before = state(&server);
    let a = admin_patch(&server, &admin2, "admin2", &json!({"active": false}));
    assert_eq!(a.status, 409, "{}", body(&a));
    let out = server.admin_cli(&["deactivate", "--company", "acme", "--user", "admin2"]);
    assert!(!out.status.success());
    assert_eq!(state(&server), before);
    // Other changes to the last admin still go through (a new password).
    let a = admin_patch(
        &server,
        &admin2,
        "admin2",
        &json!({"active": true, "password": NEW_PASSWORD}),
    );
    assert_eq!(a.status, 200, "{}", body(&a));
}
