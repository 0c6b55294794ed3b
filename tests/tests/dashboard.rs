//! The managers' web dashboard, black-box: a real server with the demo company.
//!
//! The session tests speak plain HTTP (cookies by hand, redirects not followed), so what
//! a browser would be told is visible: statuses, `Set-Cookie` flags, CSRF refusals,
//! languages, who may open what, and that each CSV export has the bytes of its
//! `/v1/reports/...?format=csv` twin.
//!
//! The browser test drives a real headless Chromium through chromedriver's W3C WebDriver
//! HTTP API: it signs in as the demo manager, reads the weekly visit table and compares it
//! with `GET /v1/reports/visits/weekly`, saves screenshots under `tests/output/` (desktop
//! and phone sized), and checks that a rep is kept to their own scorecard. Without
//! Chromium and chromedriver (`/usr/bin/chromium`, `/usr/bin/chromedriver`, or
//! `RAPPORT_CHROMIUM` / `RAPPORT_CHROMEDRIVER`) the browser part is skipped and says so,
//! unless `RAPPORT_REQUIRE_BROWSER=1` (CI), which makes it a failure.

use std::collections::BTreeMap;

use rapport_tests::web::{
    Browser, Chromedriver, DEMO_PASSWORD, Web, browser_or_skip, output_dir, say,
};
use rapport_tests::{Company, TestServer, call};
use serde_json::{Value, json};

/// An API access token of a demo user.
fn token(url: &str, company: &str, user: &str, password: &str) -> String {
    let a = call(
        "POST",
        &format!("{url}/v1/auth/login"),
        None,
        Some(&json!({"company": company, "username": user, "password": password})),
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

fn api(url: &str, token: &str, path: &str) -> Value {
    let a = call("GET", &format!("{url}{path}"), Some(token), None);
    assert_eq!(
        a.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&a.body)
    );
    a.json()
}

/// The demo's users by name: (id, team id).
fn demo_users(server: &TestServer) -> BTreeMap<String, String> {
    ["wang", "li", "zhao", "chen", "admin"]
        .into_iter()
        .map(|u| {
            (
                u.to_owned(),
                server.text(&format!(
                    "SELECT id FROM users WHERE username = '{u}' AND tenant_id = \
                     (SELECT id FROM tenants WHERE slug = 'demo')"
                )),
            )
        })
        .collect()
}

/// An account served only by `rep` (in the demo).
fn account_only_of(server: &TestServer, rep_id: &str) -> String {
    server.text(&format!(
        "SELECT account_id FROM account_teams t WHERE user_id = '{rep_id}' AND active \
         AND NOT EXISTS (SELECT 1 FROM account_teams o WHERE o.account_id = t.account_id \
         AND o.user_id <> t.user_id) ORDER BY account_id LIMIT 1"
    ))
}

fn demo() -> TestServer {
    TestServer::start_with(&["--demo"])
}

// ---------------------------------------------------------------------------------------
// Sessions

#[test]
fn sign_in_sets_a_strict_session_cookie_that_only_the_dashboard_accepts() {
    let server = demo();
    let mut web = Web::new(&server.url);

    // Pages without a session send the browser to sign in, and back afterwards.
    let r = web.get("/dashboard?week=2026-W48");
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location(),
        "/dashboard/login?next=%2Fdashboard%3Fweek%3D2026-W48"
    );

    let form = web.get("/dashboard/login");
    assert_eq!(form.status, 200);
    let login_cookie = form
        .set_cookie("rapport_login_csrf")
        .expect("double-submit cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/dashboard/login"] {
        assert!(login_cookie.contains(flag), "{flag} in {login_cookie}");
    }
    assert_eq!(
        form.header("x-frame-options"),
        Some("DENY"),
        "pages cannot be framed"
    );
    assert!(
        form.header("content-security-policy")
            .is_some_and(|c| c.contains("default-src 'none'")),
        "nothing is loaded from elsewhere"
    );

    let r = web.post(
        "/dashboard/login",
        &[
            ("company", "demo"),
            ("username", "wang"),
            ("password", DEMO_PASSWORD),
            ("csrf", &form.hidden("csrf")),
            ("next", "/dashboard?week=2026-W48"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/dashboard?week=2026-W48");
    let session = r.set_cookie("rapport_session").expect("session cookie");
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/dashboard",
        "Max-Age=43200",
    ] {
        assert!(session.contains(flag), "{flag} in {session}");
    }
    assert!(!session.contains("Secure"), "plain http: {session}");
    let page = web.get("/dashboard");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-testid=\"weekly-visits\""));
    assert_eq!(page.header("cache-control"), Some("no-store"));

    // Behind an https proxy the cookie is Secure.
    let mut tls = Web::new(&server.url);
    tls.extra.push(("X-Forwarded-Proto".into(), "https".into()));
    let r = tls.sign_in("demo", "wang", DEMO_PASSWORD);
    assert_eq!(r.status, 303);
    let session = r.set_cookie("rapport_session").expect("session cookie");
    assert!(session.contains("Secure"), "{session}");

    // A next outside the dashboard is ignored (no open redirect).
    let mut web2 = Web::new(&server.url);
    let form = web2.get("/dashboard/login");
    let r = web2.post(
        "/dashboard/login",
        &[
            ("company", "demo"),
            ("username", "wang"),
            ("password", DEMO_PASSWORD),
            ("csrf", &form.hidden("csrf")),
            ("next", "https://evil.example/dashboard"),
        ],
    );
    assert_eq!(r.location(), "/dashboard");

    // The session is not an API token, and an API token is not a session.
    let cookie = web.cookies["rapport_session"].clone();
    let a = call(
        "GET",
        &format!("{}/v1/reports/visits/weekly", server.url),
        Some(&cookie),
        None,
    );
    assert_eq!(a.status, 401);
    let api_token = token(&server.url, "demo", "wang", DEMO_PASSWORD);
    let mut forged = Web::new(&server.url);
    forged.cookies.insert("rapport_session".into(), api_token);
    assert_eq!(forged.get("/dashboard").status, 303);

    // A deactivated user's session ends at once.
    let ids = demo_users(&server);
    let mut zhao = Web::signed_in(&server.url, "demo", "zhao", DEMO_PASSWORD);
    let home = format!("/dashboard/reps/{}", ids["zhao"]);
    assert_eq!(zhao.get(&home).status, 200);
    let out = server.admin_cli(&["deactivate", "--company", "demo", "--user", "zhao"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(zhao.get(&home).status, 303);
}

#[test]
fn a_wrong_password_shows_the_form_again_with_401() {
    let server = demo();
    for (company, user, password) in [
        ("demo", "wang", "not-the-password"),
        ("demo", "nobody", DEMO_PASSWORD),
        ("elsewhere", "wang", DEMO_PASSWORD),
    ] {
        let mut web = Web::new(&server.url);
        let r = web.sign_in(company, user, password);
        assert_eq!(r.status, 401, "{company}/{user}: {}", r.body);
        assert!(r.set_cookie("rapport_session").is_none());
        assert!(r.body.contains("data-testid=\"login-error\""), "{}", r.body);
        assert!(
            r.body.contains("action=\"/dashboard/login\""),
            "the form again"
        );
        // The form comes back filled in (but for the password), with a fresh token.
        assert!(r.body.contains(&format!("value=\"{user}\"")));
        assert!(!r.body.contains(password) || password == DEMO_PASSWORD);
        assert_eq!(web.get("/dashboard").status, 303, "still signed out");
    }
}

#[test]
fn posts_without_the_csrf_token_are_refused() {
    let server = demo();
    // Sign-in: the double-submit token must be in both the cookie and the form.
    let mut web = Web::new(&server.url);
    let r = web.post(
        "/dashboard/login",
        &[
            ("company", "demo"),
            ("username", "wang"),
            ("password", DEMO_PASSWORD),
        ],
    );
    assert_eq!(r.status, 403, "no token at all: {}", r.body);
    assert!(r.set_cookie("rapport_session").is_none());
    let form = web.get("/dashboard/login");
    let r = web.post(
        "/dashboard/login",
        &[
            ("company", "demo"),
            ("username", "wang"),
            ("password", DEMO_PASSWORD),
            ("csrf", "guessed"),
        ],
    );
    assert_eq!(r.status, 403, "wrong token");
    let mut cookieless = Web::new(&server.url);
    let r = cookieless.post(
        "/dashboard/login",
        &[
            ("company", "demo"),
            ("username", "wang"),
            ("password", DEMO_PASSWORD),
            ("csrf", &form.hidden("csrf")),
        ],
    );
    assert_eq!(r.status, 403, "a token without its cookie");

    // Sign-out: the session's token must be in the form.
    let mut web = Web::signed_in(&server.url, "demo", "wang", DEMO_PASSWORD);
    let r = web.post("/dashboard/logout", &[]);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = web.post("/dashboard/logout", &[("csrf", "guessed")]);
    assert_eq!(r.status, 403);
    assert_eq!(web.get("/dashboard").status, 200, "still signed in");
    // Another session's token does not do either.
    let mut other = Web::signed_in(&server.url, "demo", "wang", DEMO_PASSWORD);
    let foreign = other.session_csrf("/dashboard");
    assert_eq!(
        web.post("/dashboard/logout", &[("csrf", &foreign)]).status,
        403
    );
    let csrf = web.session_csrf("/dashboard");
    let r = web.post("/dashboard/logout", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/dashboard/login");
    let cleared = r.set_cookie("rapport_session").expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(web.get("/dashboard").status, 303, "signed out");
}

#[test]
fn pages_speak_chinese_or_english() {
    let server = demo();
    let mut web = Web::signed_in(&server.url, "demo", "wang", DEMO_PASSWORD);
    let zh = web.get("/dashboard?lang=zh");
    assert_eq!(zh.status, 200);
    assert!(zh.body.contains("<html lang=\"zh-CN\">"));
    for text in [
        "每周拜访",
        "销售雷区",
        "超期未拜访的大客户",
        "未来 14 天的生日和节日",
        "礼尚往来",
    ] {
        assert!(zh.body.contains(text), "{text}");
    }
    let remembered = zh.set_cookie("rapport_lang").expect("language remembered");
    assert!(remembered.starts_with("rapport_lang=zh"), "{remembered}");
    // Remembered without asking again …
    assert!(web.get("/dashboard").body.contains("每周拜访"));
    // … until English is asked for.
    let en = web.get("/dashboard?lang=en");
    assert!(en.body.contains("<html lang=\"en\">"));
    assert!(en.body.contains("Weekly visits") && en.body.contains("danger zone"));
    assert!(web.get("/dashboard").body.contains("Weekly visits"));

    // Without a choice, the browser's Accept-Language decides.
    let mut english = Web::new(&server.url);
    english
        .extra
        .push(("Accept-Language".into(), "en-GB,en;q=0.9,zh;q=0.5".into()));
    assert!(english.get("/dashboard/login").body.contains("Sign in"));
    let mut chinese = Web::new(&server.url);
    chinese
        .extra
        .push(("Accept-Language".into(), "zh-CN,zh;q=0.9".into()));
    assert!(chinese.get("/dashboard/login").body.contains("登录"));

    // The scorecard names every figure in the method's words, never by its code.
    let ids = demo_users(&server);
    let wang = token(&server.url, "demo", "wang", DEMO_PASSWORD);
    let card = api(
        &server.url,
        &wang,
        &format!("/v1/reports/scorecard?rep={}", ids["li"]),
    );
    let page = web.get(&format!("/dashboard/reps/{}?lang=zh", ids["li"]));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("客情关系卡"));
    for m in card["metrics"].as_array().expect("metrics") {
        let key = m["key"].as_str().expect("key");
        assert!(
            !page.body.contains(&format!(">{key}<")),
            "{key} shown as a code"
        );
    }
}

// ---------------------------------------------------------------------------------------
// What each one sees

#[test]
fn reps_see_only_their_own_scorecard_and_nothing_crosses_companies() {
    let server = demo();
    let ids = demo_users(&server);
    let other = Company::setup(&server, "other");
    let nobody = "00000000-0000-4000-8000-000000000000";

    // A rep lands on their own scorecard and gets no further.
    let mut li = Web::new(&server.url);
    let r = li.sign_in("demo", "li", DEMO_PASSWORD);
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), format!("/dashboard/reps/{}", ids["li"]));
    assert_eq!(li.get(r.location()).status, 200);
    assert_eq!(li.get("/dashboard/reps/li").status, 200, "by user name too");
    for path in [
        "/dashboard".to_owned(),
        format!("/dashboard?team={}", other.team_id),
        format!("/dashboard/reps/{}", ids["zhao"]),
        format!("/dashboard/reps/{}", ids["wang"]),
        format!("/dashboard/reps/{nobody}"),
        format!("/dashboard/reps/{}", other.user_id("a")),
        "/dashboard/export/overdue.csv".to_owned(),
        "/dashboard/export/visits-weekly.csv".to_owned(),
    ] {
        let r = li.get(&path);
        assert_eq!(r.status, 403, "li: {path}");
        assert!(
            r.body.contains("data-testid=\"notice\""),
            "an HTML page: {path}"
        );
    }
    // Their own accounts open; others' are missing, whether they exist or not.
    let lis = account_only_of(&server, &ids["li"]);
    let zhaos = account_only_of(&server, &ids["zhao"]);
    assert_eq!(li.get(&format!("/dashboard/accounts/{lis}")).status, 200);
    for id in [zhaos.as_str(), nobody, other.account_a.as_str()] {
        assert_eq!(
            li.get(&format!("/dashboard/accounts/{id}")).status,
            404,
            "{id}"
        );
    }

    // The manager sees the team, its reps and accounts; nothing of another company.
    let mut wang = Web::signed_in(&server.url, "demo", "wang", DEMO_PASSWORD);
    for path in [
        format!("/dashboard/reps/{}", ids["li"]),
        format!("/dashboard/reps/{}", ids["chen"]),
        format!("/dashboard/accounts/{lis}"),
        format!("/dashboard/accounts/{zhaos}"),
    ] {
        assert_eq!(wang.get(&path).status, 200, "wang: {path}");
    }
    // Nobody of the company by that id: no such rep; of another company: the same.
    for path in [
        format!("/dashboard/reps/{}", other.user_id("a")),
        format!("/dashboard/reps/{nobody}"),
    ] {
        assert_eq!(wang.get(&path).status, 404, "wang: {path}");
    }
    for path in [
        format!("/dashboard?team={}", other.team_id),
        format!("/dashboard/reps/{}", ids["admin"]),
        format!("/dashboard/export/overdue.csv?team={}", other.team_id),
    ] {
        assert_eq!(wang.get(&path).status, 403, "wang: {path}");
    }
    for id in [other.account_a.as_str(), nobody] {
        assert_eq!(wang.get(&format!("/dashboard/accounts/{id}")).status, 404);
    }

    // The other company's manager: the demo's reps and accounts are as if absent.
    let mut theirs = Web::signed_in(&server.url, "other", "manager", rapport_tests::PASSWORD);
    assert_eq!(theirs.get("/dashboard").status, 200);
    assert_eq!(
        theirs.get(&format!("/dashboard/reps/{}", ids["li"])).status,
        theirs.get(&format!("/dashboard/reps/{nobody}")).status,
    );
    assert_eq!(
        theirs.get(&format!("/dashboard/reps/{}", ids["li"])).status,
        404
    );
    assert_eq!(
        theirs.get(&format!("/dashboard/accounts/{lis}")).status,
        404
    );

    // An admin picks any team of their company, and only of their company.
    let mut admin = Web::signed_in(&server.url, "demo", "admin", DEMO_PASSWORD);
    let page = admin.get("/dashboard");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-testid=\"team-picker\""));
    assert_eq!(
        admin
            .get(&format!("/dashboard?team={}", other.team_id))
            .status,
        403
    );
    assert_eq!(
        admin.get(&format!("/dashboard/accounts/{zhaos}")).status,
        200
    );
    // Unknown pages and bad parameters are pages too, never a panic.
    assert_eq!(admin.get("/dashboard/nope").status, 404);
    assert_eq!(admin.get("/dashboard?week=2026-W99").status, 422);
    assert_eq!(
        admin
            .get(&format!("/dashboard/reps/{}?period=soon", ids["li"]))
            .status,
        422
    );
    assert_eq!(admin.get("/dashboard/export/secrets.csv").status, 404);
    // Far-off periods are refused (the lunar calendar behind birthdays ends near 9999).
    for period in ["9999-12", "9998-W52", "0001-01"] {
        let path = format!("/dashboard/reps/{}?period={period}", ids["li"]);
        assert_eq!(admin.get(&path).status, 422, "{path}");
    }
    assert_eq!(admin.get("/dashboard?week=9999-W01").status, 422);
}

#[test]
fn exports_are_the_csv_of_the_reports_api() {
    let server = demo();
    let wang_token = token(&server.url, "demo", "wang", DEMO_PASSWORD);
    let weekly = api(&server.url, &wang_token, "/v1/reports/visits/weekly");
    let week = weekly["week"].as_str().expect("week").to_owned();
    let month = format!("{}", chrono::Utc::now().format("%Y-%m"));
    let mut web = Web::signed_in(&server.url, "demo", "wang", DEMO_PASSWORD);
    let page = web.get(&format!("/dashboard?week={week}"));
    for (export, report) in [
        (
            format!("visits-weekly.csv?week={week}"),
            format!("visits/weekly?week={week}"),
        ),
        (
            format!("visit-trend.csv?period={week}&weeks=12"),
            format!("visits/trend?period={week}&weeks=12"),
        ),
        ("overdue.csv".to_owned(), "overdue".to_owned()),
        ("danger-zone.csv".to_owned(), "danger-zone".to_owned()),
        (
            format!("favours-over-limit.csv?period={month}"),
            format!("favours-over-limit?period={month}"),
        ),
        (
            "upcoming.csv?days=60".to_owned(),
            "upcoming?days=60".to_owned(),
        ),
    ] {
        let list = export.split('.').next().expect("name");
        assert!(
            page.body.contains(&format!("/dashboard/export/{list}.csv")),
            "the overview links to {list}"
        );
        let ours = web.get(&format!("/dashboard/export/{export}"));
        assert_eq!(ours.status, 200, "{export}: {}", ours.body);
        let sep = if report.contains('?') { '&' } else { '?' };
        let theirs = call(
            "GET",
            &format!("{}/v1/reports/{report}{sep}format=csv", server.url),
            Some(&wang_token),
            None,
        );
        assert_eq!(theirs.status, 200, "{report}");
        assert_eq!(
            ours.body,
            String::from_utf8_lossy(&theirs.body),
            "{export} differs from /v1/reports/{report}"
        );
        assert!(ours.body.lines().count() >= 1);
        assert_eq!(ours.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(
            ours.header("content-disposition")
                .is_some_and(|d| d.starts_with("attachment; filename=")),
        );
    }
    // The weekly CSV has a row per rep with the API's numbers.
    let csv = web.get(&format!("/dashboard/export/visits-weekly.csv?week={week}"));
    for rep in weekly["reps"].as_array().expect("reps") {
        let line = format!(
            "{week},{},{},{},{},{},{}",
            weekly["team_name"].as_str().expect("team"),
            rep["username"].as_str().expect("username"),
            rep["display_name"].as_str().expect("name"),
            rep["visits"],
            rep["accounts"],
            weekly["target"],
        );
        assert!(csv.body.contains(&line), "{line} in {}", csv.body);
    }
}

#[test]
fn the_scorecard_lists_the_records_behind_every_figure() {
    let server = demo();
    let ids = demo_users(&server);
    let wang_token = token(&server.url, "demo", "wang", DEMO_PASSWORD);
    let month = format!("{}", chrono::Utc::now().format("%Y-%m"));
    let card = api(
        &server.url,
        &wang_token,
        &format!("/v1/reports/scorecard?rep={}&period={month}", ids["li"]),
    );
    let mut web = Web::signed_in(&server.url, "demo", "wang", DEMO_PASSWORD);
    let page = web.get(&format!("/dashboard/reps/{}?period={month}", ids["li"]));
    assert_eq!(page.status, 200, "{}", page.body);
    for group in [
        "closeness",
        "building",
        "information",
        "method",
        "compliance",
    ] {
        assert!(
            page.body
                .contains(&format!("data-testid=\"group-{group}\"")),
            "{group}"
        );
    }
    let mut drilled = 0;
    for m in card["metrics"].as_array().expect("metrics") {
        let key = m["key"].as_str().expect("key");
        assert!(
            page.body.contains(&format!("data-testid=\"metric-{key}\"")),
            "{key} on the page"
        );
        let records = m["records"].as_array().expect("records");
        let table = format!("data-testid=\"records-{key}\"");
        if records.is_empty() {
            assert!(!page.body.contains(&table), "{key} has nothing to expand");
            continue;
        }
        drilled += 1;
        let start = page.body.find(&table).expect("drill-down table");
        let end = start + page.body[start..].find("</table>").expect("end of table");
        let rows = page.body[start..end].matches("<tr").count() - 1;
        assert_eq!(rows, records.len(), "{key}: one row per record");
        for r in records {
            let account = r["account_id"].as_str().expect("account");
            assert!(
                page.body[start..end].contains(&format!("/dashboard/accounts/{account}")),
                "{key} links to its account"
            );
        }
    }
    assert!(drilled > 5, "the demo month has records behind its figures");

    // The account page shows the account's visits, newest first.
    let account = account_only_of(&server, &ids["li"]);
    let page = web.get(&format!("/dashboard/accounts/{account}"));
    assert_eq!(page.status, 200);
    let visits = server.count(&format!(
        "SELECT COUNT(*) FROM visits WHERE account_id = '{account}' AND NOT deleted"
    ));
    let shown = page.body.matches("data-kind=\"visit\"").count();
    assert_eq!(i64::try_from(shown).expect("count"), visits.min(200));
    for section in ["contacts", "opportunities", "timeline"] {
        assert!(page.body.contains(&format!("data-testid=\"{section}\"")));
    }
}

#[test]
fn a_manager_sees_the_weeks_visits_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser_or_skip(
        "the browser part of the dashboard test (the HTTP-level dashboard tests run without it)",
    ) else {
        return;
    };
    let server = demo();
    let ids = demo_users(&server);
    let wang_token = token(&server.url, "demo", "wang", DEMO_PASSWORD);
    let weekly = api(&server.url, &wang_token, "/v1/reports/visits/weekly");
    let week = weekly["week"].as_str().expect("week");
    let reps = weekly["reps"].as_array().expect("reps");
    assert!(!reps.is_empty());

    let driver = Chromedriver::start(&chromedriver);
    let browser = Browser::open(&driver, &chromium);
    browser.window(1280, 800);
    browser.goto(&format!("{}/dashboard/login?lang=zh", server.url));
    browser.screenshot("dashboard-login.png");
    browser.window(1280, 1000);
    browser.sign_in(&server.url, "wang");
    browser.wait_for_path("/dashboard");
    browser.goto(&format!("{}/dashboard?week={week}&lang=zh", server.url));

    // The first thing on the page: this week's visits per rep, as the API counts them.
    let first_table =
        browser.script("return document.querySelector('main table').getAttribute('data-testid');");
    assert_eq!(first_table, json!("weekly-visits"));
    assert_eq!(browser.text("[data-testid=week]"), week);
    assert_eq!(
        browser.find_all("[data-testid=weekly-row]").len(),
        reps.len()
    );
    for rep in reps {
        let name = rep["username"].as_str().expect("username");
        assert_eq!(
            browser.text(&format!("[data-testid=visits-{name}]")),
            rep["visits"].to_string(),
            "visits of {name}"
        );
        assert_eq!(
            browser.text(&format!("[data-testid=accounts-{name}]")),
            rep["accounts"].to_string(),
            "accounts of {name}"
        );
        assert_eq!(
            browser.text(&format!("[data-testid=target-{name}]")),
            weekly["target"].to_string()
        );
        assert_eq!(
            browser.text(&format!("[data-testid=rep-{name}]")),
            rep["display_name"].as_str().expect("name")
        );
    }
    assert_eq!(
        browser.text("[data-testid=visits-total]"),
        weekly["total"].to_string()
    );
    assert!(browser.find_all("[data-testid=trend-chart]").len() == 1);
    assert!(browser.fits_width(), "no sideways scrolling on a laptop");
    browser.window(1280, 2000);
    let desktop = browser.screenshot("dashboard-overview.png");

    // On a phone: the table first, nothing wider than the screen.
    browser.window(390, 844);
    browser.goto(&format!("{}/dashboard?week={week}&lang=zh", server.url));
    assert!(browser.fits_width(), "no sideways scrolling on a phone");
    let phone = browser.screenshot("dashboard-overview-phone.png");

    // A rep's scorecard, one figure opened to the records behind it.
    browser.window(1280, 1600);
    browser.click("[data-testid=rep-li]");
    browser.wait_for_path(&format!("/dashboard/reps/{}?period={week}", ids["li"]));
    let visits = browser.find_all("details[data-testid=metric-visits] summary");
    if !visits.is_empty() {
        browser.click("details[data-testid=metric-visits] summary");
        assert!(
            !browser
                .find_all("[data-testid=records-visits] tbody tr")
                .is_empty()
        );
    }
    browser.screenshot("dashboard-scorecard.png");
    browser.window(390, 844);
    assert!(browser.fits_width(), "the scorecard fits a phone");
    browser.screenshot("dashboard-scorecard-phone.png");

    // An account, from the overdue, danger-zone or drill-down links.
    browser.window(1280, 1400);
    let account = account_only_of(&server, &ids["li"]);
    browser.goto(&format!("{}/dashboard/accounts/{account}", server.url));
    assert!(!browser.text("[data-testid=account-name]").is_empty());
    browser.screenshot("dashboard-account.png");

    // A rep signs in: their own scorecard, and 403 for the team and other reps.
    browser.cmd("DELETE", "/cookie", None);
    browser.sign_in(&server.url, "li");
    browser.wait_for_path(&format!("/dashboard/reps/{}", ids["li"]));
    assert_eq!(
        browser
            .text("[data-testid=rep-name] small")
            .split(' ')
            .next(),
        Some("li")
    );
    for path in [
        "/dashboard".to_owned(),
        format!("/dashboard/reps/{}", ids["zhao"]),
    ] {
        browser.goto(&format!("{}{path}", server.url));
        assert_eq!(browser.text("[data-testid=notice] .code"), "403", "{path}");
    }
    browser.window(1280, 800);
    browser.screenshot("dashboard-rep-forbidden.png");

    drop(browser);
    drop(driver);
    say(&format!(
        "dashboard screenshots: {} and {} (and more in {})",
        desktop.display(),
        phone.display(),
        output_dir().display()
    ));
}
