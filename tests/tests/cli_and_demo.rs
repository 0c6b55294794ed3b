//! The newcomer's path: the demo company and the `rapport` CLI tour of the README, run
//! as a person would, against a real server.

use std::path::Path;
use std::process::{Command, Output};

use chrono::Datelike;
use rapport_tests::{TestServer, call, cli_bin};

fn rapport(home: &Path, args: &[&str]) -> Output {
    Command::new(cli_bin())
        .arg("--home")
        .arg(home)
        .arg("--lang")
        .arg("en")
        .args(args)
        .output()
        .expect("run rapport")
}

#[track_caller]
fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Visits per week for the last eight weeks, as the demo's manager sees them.
fn demo_weeks(server: &TestServer) -> Vec<(String, u64)> {
    let token = login_demo(server, "wang");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    (0..8)
        .map(|back| {
            let day = today - chrono::Duration::weeks(back);
            let week = format!("{}-W{:02}", day.iso_week().year(), day.iso_week().week());
            let a = call(
                "GET",
                &format!("{}/v1/reports/visits/weekly?week={week}", server.url),
                Some(&token),
                None,
            );
            assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
            (week, a.json()["total"].as_u64().expect("total"))
        })
        .collect()
}

fn login_demo(server: &TestServer, user: &str) -> String {
    let a = call(
        "POST",
        &format!("{}/v1/auth/login", server.url),
        None,
        Some(&serde_json::json!({"company": "demo", "username": user, "password": "rapport-demo"})),
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()["access_token"].as_str().expect("token").to_owned()
}

#[test]
fn the_demo_company_is_deterministic_and_has_eight_weeks_of_visits() {
    let first = TestServer::start_with(&["--demo"]);
    let second = TestServer::start_with(&["--demo"]);
    let weeks = demo_weeks(&first);
    assert_eq!(
        weeks,
        demo_weeks(&second),
        "the same seed gives the same company"
    );
    // Every past week has visits from all three reps; this week may have fewer so far.
    for (week, total) in &weeks[1..] {
        assert!(*total >= 18, "{week}: {total} visits");
    }
    // Starting again on the same database does not seed twice.
    let before = first.count("SELECT COUNT(*) FROM visits");
    let mut first = first;
    first.restart();
    assert_eq!(first.count("SELECT COUNT(*) FROM visits"), before);
    assert_eq!(first.count("SELECT COUNT(*) FROM tenants"), 1);
}

#[test]
fn the_readme_tour_works_offline_and_online() {
    let mut server = TestServer::start_with(&["--demo"]);
    let li = tempfile::tempdir().expect("dir");
    let wang = tempfile::tempdir().expect("dir");
    let url = server.url.clone();
    let home = li.path();

    let out = ok(&rapport(
        home,
        &[
            "login",
            "--server",
            &url,
            "--company",
            "demo",
            "--user",
            "li",
            "--password",
            "rapport-demo",
        ],
    ));
    assert!(out.contains("li"), "{out}");
    ok(&rapport(home, &["sync"]));
    let accounts = ok(&rapport(home, &["accounts"]));
    assert!(accounts.contains("华东钢铁集团"), "{accounts}");
    assert!(
        !accounts.contains("太湖纺织"),
        "another rep's account: {accounts}"
    );

    ok(&rapport(home, &["due"]));

    // Offline from here: the README's commands, as a rep types them.
    server.kill();
    let line = |l: &str| ok(&rapport(home, &l.split_whitespace().collect::<Vec<_>>()));
    let contact = line(
        "contact add --account 华东钢铁集团 --name 马主任 --title 设备部主任 --key --roles coach",
    );
    assert!(!contact.trim().is_empty());
    line("contact card 马主任 --knows-name yes --interests 钓鱼 --lunar-birthday 08-15");
    line(
        "visit log --account 华东钢铁集团 --purpose 新品技术交流 --duration 90 \
         --at 2026-11-27T10:30:00+08:00 --contacts 马主任 --spin situation,problem \
         --signals next_step --next-step 发送技术方案 --next-step-due +3 --lat 31.23 --lon 121.47",
    );
    line("favour log --account 华东钢铁集团 --kind personal --description 帮忙联系医院专家");
    let status = ok(&rapport(home, &["status"]));
    assert!(status.contains("4 changes waiting"), "{status}");
    let offline = rapport(home, &["sync"]);
    assert_eq!(offline.status.code(), Some(2), "offline sync exits 2");
    let timeline = ok(&rapport(home, &["timeline", "--account", "华东钢铁集团"]));
    assert!(timeline.contains("新品技术交流"), "{timeline}");

    server.restart();
    let synced = ok(&rapport(home, &["sync"]));
    assert!(
        synced.contains("3 accepted") || synced.contains("accepted: 3"),
        "{synced}"
    );
    let status = ok(&rapport(home, &["status"]));
    assert!(
        status.contains("0 changes waiting") || status.contains("nothing waiting"),
        "{status}"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM visits WHERE purpose = '新品技术交流' AND occurred_at = 1795746600000"),
        1
    );

    ok(&rapport(
        wang.path(),
        &[
            "login",
            "--server",
            &url,
            "--company",
            "demo",
            "--user",
            "wang",
            "--password",
            "rapport-demo",
        ],
    ));
    let report = ok(&rapport(
        wang.path(),
        &["report", "weekly", "--week", "2026-W48"],
    ));
    for name in ["李娜", "赵强", "陈伟"] {
        assert!(report.contains(name), "{report}");
    }
    let scorecard = ok(&rapport(
        wang.path(),
        &[
            "report",
            "scorecard",
            "--rep",
            "li",
            "--period",
            "2026-W48",
            "--records",
        ],
    ));
    assert!(scorecard.contains("Visits"), "{scorecard}");
    // A rep cannot read the team report, but reads their own scorecard.
    let denied = rapport(home, &["report", "weekly"]);
    assert!(!denied.status.success());
    let mine = ok(&rapport(home, &["report", "me", "--period", "2026-W48"]));
    assert!(mine.contains("李娜"), "{mine}");
    assert!(
        !rapport(home, &["report", "scorecard", "--rep", "zhao"])
            .status
            .success()
    );
}

/// Teams and reps are named as people know them: a team by its name, a rep by their
/// display name; an admin who names no team is shown the company's teams, and a rep who
/// does not exist is "no such rep".
#[test]
fn reports_take_team_and_rep_names() {
    let server = TestServer::start_with(&["--demo"]);
    let admin = tempfile::tempdir().expect("dir");
    let wang = tempfile::tempdir().expect("dir");
    for (home, user) in [(admin.path(), "admin"), (wang.path(), "wang")] {
        ok(&rapport(
            home,
            &[
                "login",
                "--server",
                &server.url,
                "--company",
                "demo",
                "--user",
                user,
                "--password",
                "rapport-demo",
            ],
        ));
    }
    let stderr = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();

    // An admin without --team: refused, with the teams to choose from.
    let unnamed = rapport(admin.path(), &["report", "weekly"]);
    assert!(!unnamed.status.success());
    assert!(
        stderr(&unnamed).contains("华东大客户部"),
        "{}",
        stderr(&unnamed)
    );
    assert!(!stderr(&unnamed).contains("?team="), "{}", stderr(&unnamed));
    // By name, for an admin and for the team's own manager.
    for home in [admin.path(), wang.path()] {
        let report = ok(&rapport(
            home,
            &["report", "weekly", "--team", "华东大客户部"],
        ));
        for name in ["李娜", "赵强", "陈伟"] {
            assert!(report.contains(name), "{report}");
        }
    }
    let missing = rapport(admin.path(), &["report", "weekly", "--team", "华南部"]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("no team"), "{}", stderr(&missing));

    // A rep by display name; nobody by that name is "no such rep".
    for home in [admin.path(), wang.path()] {
        let card = ok(&rapport(home, &["report", "scorecard", "--rep", "李娜"]));
        assert!(card.contains("李娜 (li)"), "{card}");
        assert!(card.contains("Greetings logged"), "{card}");
        let ghost = rapport(home, &["report", "scorecard", "--rep", "无名氏"]);
        assert!(!ghost.status.success());
        assert!(stderr(&ghost).contains("no such rep"), "{}", stderr(&ghost));
    }
    // The manager himself is no rep of his: refused, not "no such rep".
    let own = rapport(admin.path(), &["report", "scorecard", "--rep", "wang"]);
    assert!(
        stderr(&own).contains("not one of your reps"),
        "{}",
        stderr(&own)
    );
}
