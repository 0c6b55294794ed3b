//! Bulk import and company export, against the real server binary: CSV files and Excel
//! workbooks with Chinese or English headers, dry runs, all-or-nothing refusals, re-runs
//! that change nothing, what reps' devices receive, who may import, files that cannot be
//! read, and an export that imports back into an empty company.

use std::path::{Path, PathBuf};

use rapport_client_core::model::{Account, Contact};
use rapport_tests::{Company, Device, PASSWORD, TestServer, call, login, post_bytes};
use serde_json::{Value, json};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

/// The files of a small company, with Chinese headers and values.
fn chinese_files(dir: &Path) -> Vec<PathBuf> {
    vec![
        write(
            dir,
            "用户.csv",
            &format!(
                "\u{feff}用户名,姓名,角色,团队,密码\nzhang,张三,销售,华东团队,{PASSWORD}\n\
                 wang,王经理,经理,华东团队,{PASSWORD}\nli,李四,销售,华东团队,\n"
            ),
        ),
        write(
            dir,
            "accounts.csv",
            "客户名称,行业,城市,级别,位置\n华东机械,制造,上海,A类,\"31.23,121.47\"\n\
             江南化工,化工,杭州,b,\n",
        ),
        write(
            dir,
            "contacts.csv",
            "客户名称,姓名,职务,电话,关键人,角色\n华东机械,张总,总经理,13800000000,是,决策者、教练\n\
             江南化工,李工,技术总监,,否,technical gatekeeper\n",
        ),
        write(
            dir,
            "assignments.csv",
            "客户,用户名\n华东机械,zhang\n江南化工,zhang\n",
        ),
    ]
}

fn import_cli(
    server: &TestServer,
    company: &str,
    files: &[PathBuf],
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["import", "--company", company];
    args.extend_from_slice(extra);
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    server.admin_cli(&args)
}

#[track_caller]
fn report_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn actions(report: &Value) -> Vec<String> {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["kind"].as_str().unwrap_or(""),
                r["key"].as_str().unwrap_or(""),
                r["action"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Every row unchanged (a team named by users is no row of its own once it exists).
#[track_caller]
fn all_unchanged(report: &Value, rows: usize) {
    let actions = actions(report);
    assert_eq!(actions.len(), rows, "{actions:#?}");
    assert!(
        actions.iter().all(|a| a.ends_with(" unchanged")),
        "{actions:#?}"
    );
}

fn seq(server: &TestServer, tenant: &str) -> i64 {
    server.count(&format!("SELECT seq FROM tenants WHERE id = '{tenant}'"))
}

#[test]
fn chinese_csv_dry_run_apply_rerun_and_sync() {
    let server = TestServer::start();
    let tenant = Company::create_bare(&server, "acme");
    let dir = tempfile::tempdir().expect("dir");
    let files = chinese_files(dir.path());

    let before = server.fingerprint();
    let dry = import_cli(&server, "acme", &files, &["--dry-run", "--json"]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let dry = report_of(&dry);
    assert_eq!(dry["applied"], false);
    assert_eq!(dry["counts"]["create"], 10, "{:#?}", actions(&dry));
    assert_eq!(server.fingerprint(), before, "a dry run writes nothing");
    assert_eq!(server.count("SELECT COUNT(*) FROM users"), 1);

    let applied = import_cli(&server, "acme", &files, &["--json"]);
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let applied = report_of(&applied);
    assert_eq!(applied["applied"], true);
    assert_eq!(actions(&applied), actions(&dry));
    let expected = [
        "team 华东团队 create",
        "user zhang create",
        "user wang create",
        "user li create",
        "account 华东机械 create",
        "account 江南化工 create",
        "contact 华东机械 / 张总 create",
        "contact 江南化工 / 李工 create",
        "assignment 华东机械 → zhang create",
        "assignment 江南化工 → zhang create",
    ];
    assert_eq!(actions(&applied), expected);
    // Only the user without a password gets one generated, and it signs in.
    let passwords = applied["passwords"].as_array().expect("passwords");
    assert_eq!(passwords.len(), 1);
    assert_eq!(passwords[0]["username"], "li");
    let generated = passwords[0]["password"].as_str().expect("password");
    assert!(generated.len() >= 16);
    let signed_in = call(
        "POST",
        &format!("{}/v1/auth/login", server.url),
        None,
        Some(&json!({"company": "acme", "username": "li", "password": generated})),
    );
    assert_eq!(signed_in.status, 200);

    // The values went through the method's vocabulary into the records and read model.
    assert_eq!(
        server.text("SELECT tier FROM accounts WHERE name = '华东机械'"),
        "a"
    );
    assert_eq!(
        server.text("SELECT tier FROM accounts WHERE name = '江南化工'"),
        "b"
    );
    assert_eq!(
        server.text("SELECT roles FROM contacts WHERE name = '张总'"),
        "decision_maker,coach"
    );
    assert_eq!(
        server.text("SELECT roles FROM contacts WHERE name = '李工'"),
        "technical_gatekeeper"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM contacts WHERE key_contact = TRUE"),
        1
    );
    assert_eq!(
        server.text("SELECT role FROM users WHERE username = 'wang'"),
        "manager"
    );

    // Re-running the same files changes nothing, not even the sequence.
    let seq_before = seq(&server, &tenant);
    let changes_before = server.count("SELECT COUNT(*) FROM changes");
    let hash_before = server.text("SELECT password_hash FROM users WHERE username = 'li'");
    let again = report_of(&import_cli(&server, "acme", &files, &["--json"]));
    all_unchanged(&again, 9);
    assert!(again["passwords"].as_array().expect("passwords").is_empty());
    assert_eq!(seq(&server, &tenant), seq_before);
    assert_eq!(server.count("SELECT COUNT(*) FROM changes"), changes_before);
    assert_eq!(
        server.text("SELECT password_hash FROM users WHERE username = 'li'"),
        hash_before
    );

    // The rep of the account team receives the imported accounts and contacts.
    let device = Device::new(&server.url, "acme", "zhang");
    device.sync().expect("sync");
    let mut names: Vec<String> = device
        .list::<Contact>(None)
        .expect("contacts")
        .into_iter()
        .map(|c| c.record.name)
        .collect();
    names.sort();
    assert_eq!(names, ["张总", "李工"]);
    let accounts = device.list::<Account>(None).expect("accounts");
    let huadong = accounts
        .iter()
        .find(|a| a.record.name == "华东机械")
        .expect("华东机械");
    assert_eq!(huadong.record.city.as_deref(), Some("上海"));
    assert!(
        huadong
            .record
            .location
            .is_some_and(|p| (p.lat - 31.23).abs() < 1e-9)
    );

    // An update is a new change on the document, and the device receives it.
    let update = write(dir.path(), "accounts.csv", "客户名称,城市\n华东机械,苏州\n");
    let updated = report_of(&import_cli(&server, "acme", &[update], &["--json"]));
    assert_eq!(actions(&updated), ["account 华东机械 update"]);
    assert_eq!(seq(&server, &tenant), seq_before + 1);
    device.sync().expect("sync");
    let accounts = device.list::<Account>(None).expect("accounts");
    let huadong = accounts
        .iter()
        .find(|a| a.record.name == "华东机械")
        .expect("华东机械");
    assert_eq!(huadong.record.city.as_deref(), Some("苏州"));
    assert_eq!(
        huadong.record.industry.as_deref(),
        Some("制造"),
        "empty columns keep values"
    );
}

fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheets: [(&str, &[&[&str]]); 4] = [
        (
            "Users",
            &[
                &["username", "display_name", "role", "team", "password"],
                &["rep1", "Rep One", "rep", "North", PASSWORD],
                &["boss", "The Boss", "manager", "North", PASSWORD],
            ],
        ),
        (
            "Accounts",
            &[
                &["name", "industry", "city", "tier"],
                &["Northwind", "Foods", "Beijing", "C"],
            ],
        ),
        (
            "Contacts",
            &[
                &["account", "name", "title", "key_contact", "roles"],
                &[
                    "Northwind",
                    "Ms Zhou",
                    "CFO",
                    "yes",
                    "decision maker, coach",
                ],
            ],
        ),
        // Told by its headers alone.
        (
            "Sheet4",
            &[&["account", "username"], &["Northwind", "rep1"]],
        ),
    ];
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet
                    .write_string(
                        u32::try_from(r).expect("row"),
                        u16::try_from(c).expect("col"),
                        *cell,
                    )
                    .expect("cell");
            }
        }
        if name == "Accounts" {
            // Numbers typed into a spreadsheet, as numbers.
            sheet.write_string(0, 4, "lat").expect("cell");
            sheet.write_string(0, 5, "lon").expect("cell");
            sheet.write_number(1, 4, 39.9).expect("cell");
            sheet.write_number(1, 5, 116.4).expect("cell");
            sheet.write_string(0, 6, "cadence_days").expect("cell");
            sheet.write_number(1, 6, 21.0).expect("cell");
        }
    }
    book.save_to_buffer().expect("workbook")
}

#[test]
fn xlsx_over_http_authorised_and_isolated() {
    let server = TestServer::start();
    let tenant = Company::create_bare(&server, "north");
    let token = login(&server.url, "north", "admin").access_token;
    let url = |q: &str| format!("{}/v1/admin/import?{q}", server.url);
    let book = workbook();

    let before = server.fingerprint();
    let dry = post_bytes(&url("dry_run=true"), Some(&token), XLSX, &book);
    assert_eq!(dry.status, 200, "{}", String::from_utf8_lossy(&dry.body));
    let dry = dry.json();
    assert_eq!(dry["applied"], false);
    assert_eq!(dry["counts"]["create"], 6, "{:#?}", actions(&dry));
    assert_eq!(server.fingerprint(), before);
    let sheets: Vec<&str> = dry["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["sheet"].as_str())
        .collect();
    assert!(
        sheets.contains(&"Sheet4") && sheets.contains(&"Contacts"),
        "{sheets:?}"
    );

    let done = post_bytes(
        &url("dry_run=false&name=north.xlsx"),
        Some(&token),
        "application/octet-stream",
        &book,
    );
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    assert_eq!(done.json()["applied"], true);
    assert_eq!(
        server.text("SELECT tier FROM accounts WHERE name = 'Northwind'"),
        "c"
    );
    assert_eq!(
        server.count("SELECT CAST(cadence_days AS BIGINT) FROM accounts WHERE name = 'Northwind'"),
        21
    );
    assert_eq!(
        server.text("SELECT roles FROM contacts WHERE name = 'Ms Zhou'"),
        "decision_maker,coach"
    );
    let again = post_bytes(&url("name=north.xlsx"), Some(&token), XLSX, &book).json();
    all_unchanged(&again, 5);

    // A rep or a manager may neither import nor export.
    for user in ["rep1", "boss"] {
        let t = login(&server.url, "north", user).access_token;
        assert_eq!(
            post_bytes(&url("dry_run=true"), Some(&t), XLSX, &book).status,
            403
        );
        assert_eq!(
            call(
                "GET",
                &format!("{}/v1/admin/export", server.url),
                Some(&t),
                None
            )
            .status,
            403
        );
    }
    assert_eq!(
        post_bytes(&url("dry_run=true"), None, XLSX, &book).status,
        401
    );

    // Another company's admin imports into their own company only, and cannot reach
    // this company's records by id or name.
    Company::create_bare(&server, "south");
    let south = login(&server.url, "south", "admin").access_token;
    let northwind = server.text("SELECT id FROM accounts WHERE name = 'Northwind'");
    let csv = format!("account,username\n{northwind},admin\nNorthwind,admin\n");
    let before = server.fingerprint();
    let refused = post_bytes(
        &url("name=assignments.csv"),
        Some(&south),
        "text/csv",
        csv.as_bytes(),
    )
    .json();
    assert_eq!(refused["applied"], false);
    assert_eq!(refused["counts"]["refused"], 2);
    assert_eq!(server.fingerprint(), before);
    let export = call(
        "GET",
        &format!("{}/v1/admin/export", server.url),
        Some(&south),
        None,
    );
    assert_eq!(export.status, 200);
    let text = String::from_utf8_lossy(&export.body);
    assert!(!text.contains("Northwind") && !text.contains(&northwind) && !text.contains(&tenant));
    assert!(text.contains("\"username\":\"admin\""), "{text}");
    let own = call(
        "GET",
        &format!("{}/v1/admin/export", server.url),
        Some(&token),
        None,
    );
    assert!(String::from_utf8_lossy(&own.body).contains("Ms Zhou"));
}

#[test]
fn a_bad_row_refuses_the_whole_import() {
    let server = TestServer::start();
    Company::create_bare(&server, "acme");
    let dir = tempfile::tempdir().expect("dir");
    let files = vec![
        write(
            dir.path(),
            "accounts.csv",
            "name,tier\nGood Co,A\nBad Co,Z\n",
        ),
        write(
            dir.path(),
            "contacts.csv",
            "account,name,roles\nGood Co,Mr Li,coach\nNowhere Ltd,Ms Wu,\nGood Co,Mr Qian,juggler\n",
        ),
        write(
            dir.path(),
            "users.csv",
            "username,role,team\nok.rep,rep,\nboss,manager,\nbad name,rep,\n",
        ),
    ];
    let before = server.fingerprint();
    let out = import_cli(&server, "acme", &files, &[]);
    assert!(!out.status.success(), "refused rows make the command fail");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("line 3 of accounts.csv") && stdout.contains("tier: 'Z'"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was imported"));
    assert_eq!(server.fingerprint(), before);
    assert_eq!(server.count("SELECT COUNT(*) FROM users"), 1);
    assert_eq!(server.count("SELECT COUNT(*) FROM teams"), 0);

    let report = report_of(&import_cli(&server, "acme", &files, &["--json"]));
    assert_eq!(report["applied"], false);
    let refused: Vec<(u64, String)> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["action"] == "refused")
        .map(|r| {
            (
                r["line"].as_u64().unwrap_or(0),
                r["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let reason = |line: u64, needle: &str| {
        assert!(
            refused
                .iter()
                .any(|(l, r)| *l == line && r.contains(needle)),
            "line {line} '{needle}' in {refused:#?}"
        );
    };
    reason(3, "tier");
    reason(3, "no account 'Nowhere Ltd'");
    reason(4, "roles: 'juggler'");
    reason(3, "a manager needs a team");
    reason(4, "user name");
    assert_eq!(refused.len(), 5, "{refused:#?}");
    // The good rows say what they would have done.
    assert!(actions(&report).contains(&"account Good Co create".to_owned()));
    assert_eq!(server.fingerprint(), before);
}

#[test]
fn unreadable_files_are_errors_not_crashes() {
    let server = TestServer::start();
    Company::create_bare(&server, "acme");
    let token = login(&server.url, "acme", "admin").access_token;
    let url = |name: &str| format!("{}/v1/admin/import?name={name}", server.url);
    let before = server.fingerprint();
    // Two cells far apart: read cell by cell, refused without laying out the grid between.
    let far = {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "客户名称").expect("cell");
        sheet.write_string(1_048_575, 16_383, "远").expect("cell");
        book.save_to_buffer().expect("workbook")
    };
    for (name, content_type, body, needle) in [
        ("far.xlsx", XLSX, &far[..], "uses a cell past row"),
        (
            "a.xlsx",
            XLSX,
            &b"PK\x03\x04 this is no workbook"[..],
            "not a valid .xlsx",
        ),
        (
            "a.csv",
            "text/csv",
            b"\xd5\xcb\xbb\xa7,\xc3\xfb\n\xc1\xf5,1\n",
            "UTF-8",
        ),
        ("a.csv", "text/csv", b"", "no header row"),
        ("a.csv", "text/csv", b"colour,size\nred,9\n", "cannot tell"),
        (
            "a.xls",
            "application/vnd.ms-excel",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            ".xls",
        ),
        ("a.xlsx", XLSX, b"name\nx\n", "not an Excel"),
    ] {
        let a = post_bytes(&url(name), Some(&token), content_type, body);
        assert_eq!(
            a.status,
            422,
            "{name}: {}",
            String::from_utf8_lossy(&a.body)
        );
        let message = a.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(needle), "{name}: {message}");
    }
    assert!(server.is_healthy());
    assert_eq!(server.fingerprint(), before);
    let missing = server.admin_cli(&["import", "--company", "acme", "/nonexistent/accounts.csv"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}

#[test]
fn export_imports_back_into_an_empty_company() {
    let server = TestServer::start();
    let company = Company::setup(&server, "acme");
    let dir = tempfile::tempdir().expect("dir");
    // Chinese data, a formula-looking title, a removed contact and a visit.
    let mut files = chinese_files(dir.path());
    files.push(write(
        dir.path(),
        "more contacts.csv",
        "account,name,title\nHaorun Foods,Mr Formula,\"=HYPERLINK(\"\"x\"\")\"\nHaorun Foods,Gone Person,\n",
    ));
    let out = import_cli(&server, "acme", &files, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Removed by an import of its `deleted` column.
    let remove = write(
        dir.path(),
        "remove.csv",
        "account,name,deleted\nHaorun Foods,Gone Person,yes\n",
    );
    let removed = report_of(&import_cli(&server, "acme", &[remove], &["--json"]));
    assert_eq!(
        actions(&removed),
        ["contact Haorun Foods / Gone Person update"]
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM contacts WHERE name = 'Gone Person' AND deleted = TRUE"),
        1
    );
    let device = Device::new(&server.url, "acme", "a");
    device.sync().expect("sync");
    device
        .create(&rapport_tests::visit_in_week(
            &company.account_a,
            "export me",
        ))
        .expect("visit");
    device.sync().expect("sync");

    let out_dir = dir.path().join("export");
    let exported = server.admin_cli(&[
        "export",
        "--company",
        "acme",
        "--to",
        &out_dir.display().to_string(),
    ]);
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let read = |name: &str| {
        std::fs::read_to_string(out_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    assert_eq!(read("visits.jsonl").lines().count(), 1);
    assert!(read("visits.jsonl").contains("export me"));
    assert_eq!(read("accounts.jsonl").lines().count(), 5);
    let contacts_csv = read("contacts.csv");
    assert!(contacts_csv.starts_with('\u{feff}'));
    assert!(
        contacts_csv.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "{contacts_csv}"
    );
    let gone_line = read("contacts.jsonl")
        .lines()
        .find(|l| l.contains("Gone Person"))
        .expect("removed contact exported")
        .to_owned();
    assert!(gone_line.contains("\"deleted\":true"));
    assert!(read("users.csv").contains("zhang"));
    assert!(
        !read("users.jsonl").contains("argon2"),
        "no password hashes"
    );

    // Into an empty company: everything comes back.
    Company::create_bare(&server, "copy");
    let back: Vec<PathBuf> = [
        "users.csv",
        "accounts.csv",
        "contacts.csv",
        "assignments.csv",
    ]
    .iter()
    .map(|f| out_dir.join(f))
    .collect();
    let report = report_of(&import_cli(&server, "copy", &back, &["--json"]));
    assert_eq!(report["applied"], true, "{:#?}", actions(&report));
    assert_eq!(report["counts"]["refused"], 0);
    let snapshot = |slug: &str| {
        let tenant = server.text(&format!("SELECT id FROM tenants WHERE slug = '{slug}'"));
        let q = |sql: &str| {
            let mut v = server.strings(&sql.replace("$T", &tenant));
            v.sort();
            v
        };
        (
            q(
                "SELECT name || '|' || COALESCE(city, '') || '|' || COALESCE(tier, '') FROM accounts WHERE tenant_id = '$T'",
            ),
            q(
                "SELECT a.name || '|' || c.name || '|' || COALESCE(c.title, '') || '|' || c.roles || '|' || CASE WHEN c.deleted THEN 'x' ELSE '' END FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE c.tenant_id = '$T'",
            ),
            q(
                "SELECT u.username || '|' || u.role || '|' || u.display_name FROM users u WHERE u.tenant_id = '$T'",
            ),
            q(
                "SELECT a.name || '|' || u.username FROM account_teams t JOIN accounts a ON a.id = t.account_id JOIN users u ON u.id = t.user_id WHERE t.tenant_id = '$T' AND t.active = TRUE",
            ),
        )
    };
    let original = snapshot("acme");
    assert_eq!(snapshot("copy"), original);
    assert_eq!(original.1.len(), 4);
    // Once more: all unchanged.
    let again = report_of(&import_cli(&server, "copy", &back, &["--json"]));
    assert_eq!(again["counts"]["create"], 0, "{:#?}", actions(&again));
    assert_eq!(again["counts"]["update"], 0, "{:#?}", actions(&again));
}

/// Two people of one name at one account, told apart by the source's ids: both are
/// created; a later import whose rows would both land on one stored contact is refused,
/// never one person written over the other.
#[test]
fn two_rows_never_write_over_one_stored_contact() {
    let server = TestServer::start();
    Company::create_bare(&server, "acme");
    let dir = tempfile::tempdir().expect("dir");
    let files = vec![
        write(dir.path(), "accounts.csv", "客户名称\n华东机械\n"),
        write(
            dir.path(),
            "contacts.csv",
            "id,客户名称,姓名,职务\nsrc-1,华东机械,张总,总经理\nsrc-2,华东机械,张总,采购经理\n",
        ),
    ];
    let first = import_cli(&server, "acme", &files, &["--json"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let titles = "SELECT COUNT(DISTINCT title) FROM contacts WHERE name = '张总'";
    assert_eq!(server.count(titles), 2);
    let before = server.fingerprint();
    let again = import_cli(&server, "acme", &files, &["--json"]);
    assert!(!again.status.success(), "refused");
    let report = report_of(&again);
    let refused: Vec<&Value> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["action"] == "refused")
        .collect();
    assert_eq!(refused.len(), 1, "{report}");
    assert!(
        refused[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("same stored contact")),
        "{report}"
    );
    assert_eq!(server.fingerprint(), before, "nothing written");
    assert_eq!(server.count(titles), 2, "neither person written over");
}

/// Former staff in a file (an export's deactivated users) are created deactivated: no
/// password to hand over, no sign-in. Someone already here keeps their state.
#[test]
fn users_marked_inactive_are_created_deactivated() {
    let server = TestServer::start();
    Company::create_bare(&server, "acme");
    let dir = tempfile::tempdir().expect("dir");
    let files = vec![write(
        dir.path(),
        "users.csv",
        "用户名,姓名,在用\nformer,老员工,否\nfresh,新员工,是\nadmin,管理员,否\n",
    )];
    let out = import_cli(&server, "acme", &files, &["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = report_of(&out);
    let handed: Vec<&str> = report["passwords"]
        .as_array()
        .expect("passwords")
        .iter()
        .filter_map(|p| p["username"].as_str())
        .collect();
    assert_eq!(handed, vec!["fresh"], "{report}");
    let active = |name: &str| {
        server.count(&format!(
            "SELECT COUNT(*) FROM users WHERE username = '{name}' AND active = TRUE"
        ))
    };
    assert_eq!(active("former"), 0);
    assert_eq!(active("fresh"), 1);
    assert_eq!(
        active("admin"),
        1,
        "the admin already here is not deactivated"
    );
    let again = import_cli(&server, "acme", &files, &["--json"]);
    assert!(again.status.success());
    all_unchanged(&report_of(&again), 3);
}

/// An admin removing a rep's contact by import corrects the rep's record, recorded as
/// the admin's correction, as the same removal through sync would be.
#[test]
fn removing_someone_elses_contact_by_import_is_recorded_as_a_correction() {
    let server = TestServer::start();
    let company = Company::setup(&server, "acme");
    let device = Device::new(&server.url, "acme", "a");
    device.sync().expect("sync");
    device
        .create(&Contact {
            account_id: company.account_a.clone(),
            name: "钱经理".into(),
            ..Default::default()
        })
        .expect("contact");
    device.sync().expect("sync");
    let corrections = "SELECT COUNT(*) FROM corrections";
    assert_eq!(server.count(corrections), 0);
    let admin_id = server.text(&format!(
        "SELECT id FROM users WHERE username = 'admin' AND tenant_id = '{}'",
        company.tenant_id
    ));
    let removed = post_bytes(
        &format!("{}/v1/admin/import?name=contacts.csv", server.url),
        Some(&company.admin_token),
        "text/csv",
        "account,name,deleted\nHuadong Steel,钱经理,yes\n".as_bytes(),
    );
    assert_eq!(
        removed.status,
        200,
        "{}",
        String::from_utf8_lossy(&removed.body)
    );
    assert_eq!(removed.json()["applied"], true, "{}", removed.json());
    assert_eq!(
        server.count("SELECT COUNT(*) FROM contacts WHERE name = '钱经理' AND deleted = TRUE"),
        1
    );
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM corrections WHERE by_user = '{admin_id}' AND author_id = '{}' \
             AND kind = 'contact'",
            company.user_id("a")
        )),
        1
    );
}
