//! The admin console (`/dashboard/admin/...`), black-box: a real server, a browser-like
//! HTTP client, and a real headless Chromium for the browser test.
//!
//! What an admin does there reaches everyone else: a user created there signs in, an
//! account put on a rep's team reaches the rep's device at its next sync, a deactivated
//! phone stops syncing, a rule changed there is the API's rule. Everyone else is refused
//! (403), another company's ids are answered as if absent (404), every form needs the
//! session's CSRF token, and what users typed is shown escaped.

use rapport_client_core::model::Account;
use rapport_tests::web::{Browser, Chromedriver, Reply, Web, browser_or_skip};
use rapport_tests::{Company, PASSWORD, TestServer, call};
use serde_json::json;

const PAGES: [&str; 5] = [
    "/dashboard/admin",
    "/dashboard/admin/users",
    "/dashboard/admin/teams",
    "/dashboard/admin/accounts",
    "/dashboard/admin/rules",
];

/// Everything the console can change, to assert that a refused form changed nothing.
fn fingerprint(server: &TestServer) -> Vec<i64> {
    let mut all = server.fingerprint();
    all.extend(
        [
            "SELECT COUNT(*) FROM users",
            "SELECT COUNT(*) FROM users WHERE active = TRUE",
            "SELECT CAST(COALESCE(SUM(session_epoch), 0) AS BIGINT) FROM users",
            "SELECT COUNT(*) FROM teams",
            "SELECT COUNT(*) FROM account_teams WHERE active = TRUE",
            "SELECT COUNT(*) FROM devices WHERE active = TRUE",
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM tenant_rules",
        ]
        .iter()
        .map(|q| server.count(q)),
    );
    all
}

fn admin_of(server: &TestServer, co: &Company) -> Web {
    Web::signed_in(&server.url, &co.slug, "admin", PASSWORD)
}

/// The id a console form led to (`/dashboard/admin/users/{id}?done=…`).
fn id_in(location: &str, prefix: &str) -> String {
    let rest = location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} is not under {prefix}"));
    rest.split('?').next().unwrap_or("").to_owned()
}

#[track_caller]
fn refused_page(r: &Reply, status: u16) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.body.contains("data-testid=\"notice\""), "{}", r.body);
}

#[test]
fn only_the_companys_admins_open_the_console() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");
    let before = fingerprint(&server);

    // Nobody signed in: to the sign-in page.
    let mut anonymous = Web::new(&server.url);
    for path in PAGES {
        let r = anonymous.get(path);
        assert_eq!(r.status, 303, "{path}");
        assert!(r.location().starts_with("/dashboard/login"), "{path}");
    }
    // A manager and a rep: every page and every form refused, with their own valid token.
    for user in ["manager", "a"] {
        let mut web = Web::signed_in(&server.url, "acme", user, PASSWORD);
        let csrf = web.session_csrf(if user == "a" {
            "/dashboard/reps/a"
        } else {
            "/dashboard"
        });
        for path in PAGES {
            refused_page(&web.get(path), 403);
        }
        let user_page = format!("/dashboard/admin/users/{}", co.user_id("b"));
        refused_page(&web.get(&user_page), 403);
        for (path, fields) in [
            ("/dashboard/admin/teams", vec![("name", "Shadow team")]),
            (
                "/dashboard/admin/users",
                vec![
                    ("username", "mole"),
                    ("role", "admin"),
                    ("password", "secret-password"),
                ],
            ),
            ("/dashboard/admin/rules", vec![("favour_limit", "1")]),
            (user_page.as_str(), vec![("action", "deactivate")]),
            (
                &format!("/dashboard/admin/accounts/{}/team", co.account_b),
                vec![("action", "add"), ("user", co.user_id("a"))],
            ),
        ] {
            let mut fields = fields.clone();
            fields.push(("csrf", &csrf));
            refused_page(&web.post(path, &fields), 403);
        }
        // The header offers no console to them.
        assert!(
            !web.get("/dashboard/admin")
                .body
                .contains("data-testid=\"admin-link\"")
        );
    }
    assert_eq!(fingerprint(&server), before, "nothing changed");

    // The company's admin: every page opens, and the header links to it.
    let mut admin = admin_of(&server, &co);
    for path in PAGES {
        let r = admin.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(r.body.contains("data-testid=\"admin-tabs\""), "{path}");
        assert!(r.body.contains("data-testid=\"admin-link\""), "{path}");
    }
    let users = admin.get("/dashboard/admin/users").body;
    assert!(users.contains("data-testid=\"user-manager\""));

    // Another company's admin: their own company only; acme's ids as if absent.
    let mut theirs = admin_of(&server, &other);
    let listed = theirs.get("/dashboard/admin/accounts").body;
    assert!(
        listed.contains("Huadong Steel"),
        "their own account of that name"
    );
    assert!(!listed.contains(&co.account_a), "none of acme's ids");
    let csrf = theirs.session_csrf("/dashboard/admin");
    for path in [
        format!("/dashboard/admin/users/{}", co.user_id("a")),
        format!("/dashboard/admin/accounts/{}", co.account_a),
        format!("/dashboard/admin/users/{}", uuid::Uuid::new_v4()),
    ] {
        refused_page(&theirs.get(&path), 404);
    }
    for (path, fields) in [
        (
            format!("/dashboard/admin/users/{}", co.user_id("a")),
            vec![("action", "deactivate")],
        ),
        (
            format!("/dashboard/admin/accounts/{}/team", co.account_a),
            vec![("action", "remove"), ("user", co.user_id("a"))],
        ),
        (
            // Their own account, acme's user.
            format!("/dashboard/admin/accounts/{}/team", other.account_a),
            vec![("action", "add"), ("user", co.user_id("b"))],
        ),
    ] {
        let mut fields = fields.clone();
        fields.push(("csrf", &csrf));
        refused_page(&theirs.post(&path, &fields), 404);
    }
    assert_eq!(fingerprint(&server), before, "nothing changed");
}

#[test]
fn every_form_needs_the_sessions_token_and_a_refused_one_changes_nothing() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let mut admin = admin_of(&server, &co);
    let before = fingerprint(&server);
    let user_page = format!("/dashboard/admin/users/{}", co.user_id("a"));
    for token in ["", "forged-token"] {
        for (path, fields) in [
            ("/dashboard/admin/teams", vec![("name", "Team West")]),
            ("/dashboard/admin/rules", vec![("favour_limit", "900")]),
            (user_page.as_str(), vec![("action", "deactivate")]),
            (
                "/dashboard/admin/accounts",
                vec![("name", "Forged Account")],
            ),
        ] {
            let mut fields = fields.clone();
            if !token.is_empty() {
                fields.push(("csrf", token));
            }
            refused_page(&admin.post(path, &fields), 403);
        }
    }
    assert_eq!(fingerprint(&server), before);
    // The same form with the session's token goes through.
    let csrf = admin.session_csrf("/dashboard/admin/teams");
    let r = admin.post(
        "/dashboard/admin/teams",
        &[("name", "Team West"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/dashboard/admin/teams?done=team_created");
    let page = admin.get(r.location()).body;
    assert!(page.contains("data-testid=\"done\""));
    assert!(page.contains("data-testid=\"team-Team West\""));
}

/// The admin at the console, with the session's CSRF token every form carries.
struct Console<'a> {
    server: &'a TestServer,
    admin: Web,
    csrf: String,
}

/// A rep's phone: the device library over a store in its own directory.
type Phone = (rapport_client_core::Client, tempfile::TempDir);

impl Console<'_> {
    /// Posts the user form: `name`, with `role` on `team`.
    fn create_user(&mut self, name: &str, role: &str, team: &str) -> Reply {
        self.admin.post(
            "/dashboard/admin/users",
            &[
                ("username", name),
                ("display_name", &format!("{name} 先生")),
                ("role", role),
                ("team", team),
                ("password", "a-long-password"),
                ("csrf", &self.csrf),
            ],
        )
    }

    /// A team, its manager and a rep, who sign in. Returns the rep's (sun's) id.
    fn team_and_users(&mut self) -> String {
        let server = self.server;
        let r = self.admin.post(
            "/dashboard/admin/teams",
            &[("name", "华南大客户部"), ("csrf", &self.csrf)],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let team_id = server.text("SELECT id FROM teams WHERE name = '华南大客户部'");
        // A manager needs a team: the form comes back with the reason, nothing created.
        let refused = self.create_user("zhou", "manager", "");
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains("data-testid=\"form-error\""));
        assert!(
            refused.body.contains("a manager needs a team"),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"zhou\""),
            "what was typed is kept"
        );
        assert_eq!(
            server.count("SELECT COUNT(*) FROM users WHERE username = 'zhou'"),
            0
        );
        let r = self.create_user("zhou", "manager", &team_id);
        assert_eq!(r.status, 303, "{}", r.body);
        let r = self.create_user("sun", "rep", &team_id);
        assert_eq!(r.status, 303, "{}", r.body);
        let sun = id_in(r.location(), "/dashboard/admin/users/");
        // The same user name again: refused as taken.
        let again = self.create_user("sun", "rep", &team_id);
        assert_eq!(again.status, 409, "{}", again.body);
        assert_eq!(
            server.count("SELECT COUNT(*) FROM users WHERE username = 'sun'"),
            1
        );
        let signed_in = call(
            "POST",
            &format!("{}/v1/auth/login", server.url),
            None,
            Some(&json!({"company": "acme", "username": "zhou", "password": "a-long-password"})),
        );
        assert_eq!(signed_in.status, 200, "the new manager signs in");
        sun
    }

    /// An account, and sun on its team: sun's device receives it at its next sync; then
    /// sun is taken off it again. Returns sun's phone.
    fn an_account_reaches_the_rep(&mut self, sun: &str) -> Phone {
        let server = self.server;
        let r = self.admin.post(
            "/dashboard/admin/accounts",
            &[
                ("name", "岭南电力"),
                ("city", "广州"),
                ("lat", "23.13"),
                ("lon", "113.26"),
                ("csrf", &self.csrf),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let account = id_in(r.location(), "/dashboard/admin/accounts/");
        let bad = self.admin.post(
            "/dashboard/admin/accounts",
            &[("name", "半个坐标"), ("lat", "23.1"), ("csrf", &self.csrf)],
        );
        assert_eq!(bad.status, 422, "{}", bad.body);
        let device = {
            let dir = tempfile::tempdir().expect("dir");
            let client = rapport_client_core::Client::open(dir.path()).expect("open");
            client
                .login(&server.url, "acme", "sun", "a-long-password")
                .expect("sun signs in");
            (client, dir)
        };
        device.0.sync().expect("sync");
        assert!(device.0.list::<Account>(None).expect("list").is_empty());
        let team_form = format!("/dashboard/admin/accounts/{account}/team");
        let r = self.admin.post(
            &team_form,
            &[("action", "add"), ("user", sun), ("csrf", &self.csrf)],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let page = self.admin.get(r.location()).body;
        assert!(page.contains("data-testid=\"member-sun\""), "{page}");
        device.0.sync().expect("sync");
        let accounts = device.0.list::<Account>(None).expect("list");
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].record.name, "岭南电力");
        let r = self.admin.post(
            &team_form,
            &[("action", "remove"), ("user", sun), ("csrf", &self.csrf)],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(
            server.count(&format!(
                "SELECT COUNT(*) FROM account_teams WHERE account_id = '{account}' AND active = TRUE"
            )),
            0
        );
        device
    }

    /// A rule within its range is the API's rule; one out of range changes nothing.
    fn rules(&mut self, admin_token: &str) {
        let rules_url = format!("{}/v1/admin/rules", self.server.url);
        let r = self.admin.post(
            "/dashboard/admin/rules",
            &[
                ("favour_limit", "800"),
                ("weekly_visit_target", "12"),
                ("csrf", &self.csrf),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let rules = call("GET", &rules_url, Some(admin_token), None).json();
        assert_eq!(rules["rules"]["favour_limit"], json!(800.0));
        assert_eq!(rules["rules"]["weekly_visit_target"], json!(12));
        let version = rules["version"].clone();
        let r = self.admin.post(
            "/dashboard/admin/rules",
            &[("weekly_visit_target", "100000"), ("csrf", &self.csrf)],
        );
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("weekly_visit_target"), "the rule is named");
        assert!(
            r.body.contains("value=\"100000\""),
            "what was typed is kept"
        );
        let after = call("GET", &rules_url, Some(admin_token), None).json();
        assert_eq!(after["version"], version);
    }

    /// A lost phone: deactivated from the user's page, it can no longer sync.
    fn a_lost_phone(&mut self, sun: &str, device: &Phone) {
        let devices = self
            .admin
            .get(&format!("/dashboard/admin/users/{sun}"))
            .body;
        let device_id = self
            .server
            .text(&format!("SELECT id FROM devices WHERE user_id = '{sun}'"));
        assert!(devices.contains(&format!("data-testid=\"device-{device_id}\"")));
        let r = self.admin.post(
            &format!("/dashboard/admin/devices/{device_id}/deactivate"),
            &[("csrf", &self.csrf)],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(
            r.location(),
            format!("/dashboard/admin/users/{sun}?done=device_deactivated")
        );
        assert!(device.0.sync().is_err(), "the lost phone syncs no more");
    }

    /// A password reset: the old password no longer signs in.
    fn a_password_reset(&mut self, sun: &str) {
        let r = self.admin.post(
            &format!("/dashboard/admin/users/{sun}"),
            &[
                ("action", "password"),
                ("password", "another-long-one"),
                ("csrf", &self.csrf),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let old = call(
            "POST",
            &format!("{}/v1/auth/login", self.server.url),
            None,
            Some(&json!({"company": "acme", "username": "sun", "password": "a-long-password"})),
        );
        assert_eq!(old.status, 401);
    }

    /// The company's only admin cannot deactivate themselves: 409, with the reason.
    fn the_only_admin_stays(&mut self) {
        let me = self.server.text("SELECT id FROM users WHERE username = 'admin' AND tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')");
        let r = self.admin.post(
            &format!("/dashboard/admin/users/{me}"),
            &[("action", "deactivate"), ("csrf", &self.csrf)],
        );
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(r.body.contains("only active admin"), "{}", r.body);
    }
}

#[test]
fn the_admin_runs_the_company_from_the_console() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let mut admin = admin_of(&server, &co);
    let csrf = admin.session_csrf("/dashboard/admin");
    let mut console = Console {
        server: &server,
        admin,
        csrf,
    };
    let sun = console.team_and_users();
    let phone = console.an_account_reaches_the_rep(&sun);
    console.rules(&co.admin_token);
    console.a_lost_phone(&sun, &phone);
    console.a_password_reset(&sun);
    console.the_only_admin_stays();
}

#[test]
fn what_users_typed_is_shown_escaped_and_in_both_languages() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let mut admin = admin_of(&server, &co);
    let csrf = admin.session_csrf("/dashboard/admin");
    let nasty = "<script>alert(1)</script>\"'&";
    let r = admin.post(
        "/dashboard/admin/users",
        &[
            ("username", "xss"),
            ("display_name", nasty),
            ("role", "rep"),
            ("team", &co.team_id),
            ("password", "a-long-password"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = admin.post(
        "/dashboard/admin/teams",
        &[("name", nasty), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = admin.post(
        "/dashboard/admin/accounts",
        &[("name", nasty), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let account = id_in(r.location(), "/dashboard/admin/accounts/");
    let user = server.text("SELECT id FROM users WHERE username = 'xss'");
    for path in [
        "/dashboard/admin/users".to_owned(),
        format!("/dashboard/admin/users/{user}"),
        "/dashboard/admin/teams".to_owned(),
        "/dashboard/admin/accounts".to_owned(),
        format!("/dashboard/admin/accounts/{account}"),
    ] {
        let page = admin.get(&path).body;
        assert!(!page.contains("<script>"), "{path}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
    }
    // A search echoes what was typed, escaped.
    let page = admin.get("/dashboard/admin/accounts?q=%3Cscript%3E").body;
    assert!(!page.contains("<script>"));
    assert!(page.contains("value=\"&lt;script&gt;\""));

    let zh = admin.get("/dashboard/admin?lang=zh").body;
    assert!(zh.contains("管理后台") && zh.contains("大客户"), "{zh}");
    let en = admin.get("/dashboard/admin?lang=en").body;
    assert!(
        en.contains("Admin console") && en.contains("Key accounts"),
        "{en}"
    );
    let rules = admin.get("/dashboard/admin/rules?lang=zh").body;
    assert!(rules.contains("每人每周拜访目标"), "{rules}");
}

#[test]
fn an_admin_runs_the_console_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser_or_skip("the admin console's browser test") else {
        return;
    };
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let driver = Chromedriver::start(&chromedriver);
    let browser = Browser::open(&driver, &chromium);
    browser.window(1280, 900);
    browser.sign_in_as(&server.url, "acme", "admin", PASSWORD);
    browser.wait_for_path("/dashboard");
    browser.click("[data-testid=admin-link]");
    browser.wait_for_path("/dashboard/admin");
    assert_eq!(browser.text("[data-testid=fact-accounts] .fig"), "3");

    // A team through its form.
    browser.goto(&format!("{}/dashboard/admin/teams", server.url));
    browser.type_into("[data-testid=new-team] input[name=name]", "Team North");
    browser.click("[data-testid=new-team] button");
    browser.wait_for_path("/dashboard/admin/teams?done=team_created");
    assert!(
        !browser
            .find_all("[data-testid='team-Team North']")
            .is_empty()
    );

    // An account, then rep a on its team.
    browser.goto(&format!("{}/dashboard/admin/accounts", server.url));
    browser.type_into(
        "[data-testid=new-account] input[name=name]",
        "Northern Grid",
    );
    browser.type_into("[data-testid=new-account] input[name=city]", "Harbin");
    browser.click("[data-testid=new-account] button");
    browser.wait_for_path("?done=account_created");
    browser.script(&format!(
        "document.querySelector('[data-testid=assign] select').value = '{}';",
        co.user_id("a")
    ));
    browser.click("[data-testid=assign] button");
    browser.wait_for_path("?done=assigned");
    assert!(!browser.find_all("[data-testid=member-a]").is_empty());
    assert_eq!(
        server.count(
            "SELECT COUNT(*) FROM account_teams t JOIN accounts a ON a.id = t.account_id \
             WHERE a.name = 'Northern Grid'"
        ),
        1
    );
    browser.screenshot("admin-account-team.png");

    // The rules, in Chinese, with a change saved.
    browser.goto(&format!("{}/dashboard/admin/rules?lang=zh", server.url));
    browser.script("document.querySelector('input[name=favour_limit]').value = '650';");
    browser.click("[data-testid=rules] button[type=submit]");
    browser.wait_for_path("/dashboard/admin/rules?done=rules_saved");
    assert_eq!(
        browser.script("return document.querySelector('input[name=favour_limit]').value;"),
        json!("650")
    );
    browser.screenshot("admin-rules-zh.png");
    // An import through the file input: checked first, then applied.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("accounts.csv");
    std::fs::write(&file, ACCOUNTS_CSV).expect("write");
    let path = file.display().to_string();
    browser.goto(&format!("{}/dashboard/admin/import?lang=en", server.url));
    browser.type_into("[data-testid=import] input[type=file]", &path);
    browser.click("[data-testid=import-check]");
    browser.wait_for_path("/dashboard/admin/import");
    assert!(!browser.find_all("[data-testid=import-report]").is_empty());
    assert_eq!(
        server.count("SELECT COUNT(*) FROM accounts WHERE name = '闽江制药'"),
        0
    );
    browser.type_into("[data-testid=import] input[type=file]", &path);
    browser.click("[data-testid=import-apply]");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.count("SELECT COUNT(*) FROM accounts WHERE name = '闽江制药'") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the import never landed"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        browser
            .text("[data-testid=import-summary]")
            .starts_with("Imported"),
        "{}",
        browser.text("[data-testid=import-summary]")
    );
    browser.screenshot("admin-import.png");

    // Phone width: the console fits, its tables scroll inside themselves.
    browser.window(390, 844);
    browser.goto(&format!("{}/dashboard/admin/users", server.url));
    assert!(browser.fits_width(), "the users page fits a phone");
}

const ACCOUNTS_CSV: &str = "客户名称,城市,级别\n闽江制药,福州,A\n";
const CONTACTS_CSV: &str = "客户名称,姓名,职务,关键人\n闽江制药,林主任,设备科主任,是\n";
const USERS_CSV: &str = "用户名,姓名,角色,团队\nlin,林晓,销售,Key accounts East\n";

#[test]
fn the_console_checks_an_import_then_applies_it_all_or_nothing() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let mut admin = admin_of(&server, &co);
    let csrf = admin.session_csrf("/dashboard/admin/import");
    let upload = |web: &mut Web, csrf: &str, mode: &str, files: &[(&str, &str)]| {
        let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![
            ("csrf", None, csrf.as_bytes()),
            ("mode", None, mode.as_bytes()),
        ];
        for (name, text) in files {
            parts.push(("files", Some(*name), text.as_bytes()));
        }
        web.post_multipart("/dashboard/admin/import", &parts)
    };
    let good = [
        ("accounts.csv", ACCOUNTS_CSV),
        ("contacts.csv", CONTACTS_CSV),
        ("users.csv", USERS_CSV),
    ];
    let imported = "SELECT COUNT(*) FROM accounts WHERE name = '闽江制药'";

    // Check: every row reported, nothing written.
    let before = fingerprint(&server);
    let checked = upload(&mut admin, &csrf, "check", &good);
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert!(checked.body.contains("data-testid=\"import-report\""));
    for key in ["闽江制药", "林主任", "lin"] {
        assert!(checked.body.contains(key), "{key}: {}", checked.body);
    }
    assert!(!checked.body.contains("data-testid=\"import-passwords\""));
    assert_eq!(fingerprint(&server), before, "a check changes nothing");

    // One bad row refuses the whole import, with its reason.
    let bad = upload(
        &mut admin,
        &csrf,
        "apply",
        &[
            ("accounts.csv", ACCOUNTS_CSV),
            ("contacts.csv", "客户名称,姓名\n没有这个客户,赵主任\n"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("没有这个客户"), "{}", bad.body);
    assert_eq!(server.count(imported), 0, "all or nothing");
    // Files of what reps log, no file, no token: refused, nothing written.
    let visits = upload(
        &mut admin,
        &csrf,
        "apply",
        &[("visits.csv", "account,purpose\nx,y\n")],
    );
    assert_eq!(visits.status, 422, "{}", visits.body);
    assert!(visits.body.contains("reps log"), "{}", visits.body);
    let none = upload(&mut admin, &csrf, "apply", &[]);
    assert_eq!(none.status, 422, "{}", none.body);
    refused_page(&upload(&mut admin, "forged", "apply", &good), 403);
    let mut manager = Web::signed_in(&server.url, "acme", "manager", PASSWORD);
    let theirs = manager.session_csrf("/dashboard");
    refused_page(&manager.get("/dashboard/admin/import"), 403);
    refused_page(&upload(&mut manager, &theirs, "apply", &good), 403);
    assert_eq!(fingerprint(&server), before);

    // Import: written, the new user's first password shown once, and it signs in.
    let applied = upload(&mut admin, &csrf, "apply", &good);
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(server.count(imported), 1);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM contacts WHERE name = '林主任' AND key_contact = TRUE"),
        1
    );
    assert!(applied.body.contains("data-testid=\"import-passwords\""));
    let marker = "<td>lin</td><td><code>";
    let at = applied.body.find(marker).expect("lin's password") + marker.len();
    let password = &applied.body[at..at + applied.body[at..].find('<').expect("end")];
    let signed_in = call(
        "POST",
        &format!("{}/v1/auth/login", server.url),
        None,
        Some(&json!({"company": "acme", "username": "lin", "password": password})),
    );
    assert_eq!(signed_in.status, 200, "the first password signs in");

    // The same files again change nothing.
    let after = fingerprint(&server);
    let again = upload(&mut admin, &csrf, "apply", &good);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(fingerprint(&server), after);
    assert!(!again.body.contains("data-testid=\"import-passwords\""));
}
