//! The bulk import of a company moving to Rapport (docs/import.md): 200 users in 10
//! teams, 2,000 accounts, 20,000 contacts (10 per account) and account teams (2 reps per
//! account), as CSV files with Chinese headers, imported with `rapport-server admin
//! import` into a fresh database, then imported again (every row unchanged). Wall time of
//! the whole command, Argon2 hashing of the 200 passwords included.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::db::{Backend, execute};
use crate::stats;

/// How big a company to import, and how often.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub teams: usize,
    pub users: usize,
    pub accounts: usize,
    pub contacts_per_account: usize,
    pub repeats: usize,
}

impl Size {
    pub fn full() -> Size {
        Size {
            teams: 10,
            users: 200,
            accounts: 2000,
            contacts_per_account: 10,
            repeats: 3,
        }
    }

    pub fn smoke() -> Size {
        Size {
            teams: 2,
            users: 4,
            accounts: 6,
            contacts_per_account: 2,
            repeats: 1,
        }
    }
}

/// Writes the company's files into `dir`.
fn write_files(dir: &Path, s: Size) -> Result<Vec<PathBuf>> {
    let mut users = String::from("用户名,姓名,角色,团队,密码\n");
    for u in 0..s.users {
        let role = if u < s.teams { "经理" } else { "销售" };
        writeln!(
            users,
            "user{u:03},员工{u},{role},团队{},{}",
            u % s.teams,
            crate::net::PASSWORD
        )?;
    }
    let mut accounts = String::from("客户名称,行业,城市,级别,位置\n");
    let mut contacts = String::from("客户名称,姓名,职务,电话,关键人,角色\n");
    let mut teams = String::from("客户名称,用户名\n");
    let tiers = ["A", "B", "C", "D"];
    let roles = ["决策者", "教练", "技术把关者", "实际使用者"];
    for a in 0..s.accounts {
        let name = format!("客户{a:05}");
        writeln!(
            accounts,
            "{name},制造,上海,{},\"31.{a:05},121.4\"",
            tiers[a % tiers.len()]
        )?;
        for c in 0..s.contacts_per_account {
            writeln!(
                contacts,
                "{name},联系人{c},经理,1380000{c:04},{},{}",
                if c == 0 { "是" } else { "否" },
                roles[c % roles.len()]
            )?;
        }
        let reps = s.users - s.teams;
        for k in 0..2 {
            writeln!(teams, "{name},user{:03}", s.teams + (a * 2 + k) % reps)?;
        }
    }
    let mut paths = Vec::new();
    for (name, text) in [
        ("users.csv", users),
        ("accounts.csv", accounts),
        ("contacts.csv", contacts),
        ("assignments.csv", teams),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        paths.push(path);
    }
    Ok(paths)
}

fn admin(server_bin: &Path, url: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(server_bin)
        .args(["--database-url", url, "admin"])
        .args(args)
        .env("RAPPORT_LOG", "warn")
        .env("RAPPORT_ADMIN_PASSWORD", crate::net::PASSWORD)
        .output()
        .with_context(|| format!("running {}", server_bin.display()))?;
    if !out.status.success() {
        bail!(
            "rapport-server admin {}: {}{}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A fresh, empty database for one run, and what to drop afterwards.
fn fresh_db(backend: &Backend, dir: &Path) -> Result<(String, Option<(String, String)>)> {
    match backend {
        Backend::Sqlite => {
            let file = dir.join(format!("import-{}.db", uuid::Uuid::new_v4()));
            Ok((format!("sqlite://{}?mode=rwc", file.display()), None))
        }
        Backend::Postgres { admin_url } => {
            let name = "rb_import_run".to_owned();
            execute(
                admin_url,
                &[
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    format!("CREATE DATABASE {name}"),
                ],
            )?;
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            Ok((format!("{base}/{name}"), Some((admin_url.clone(), name))))
        }
    }
}

/// Imports the company `s.repeats` times, each into a fresh database, and once more on
/// top of the last; the figures in milliseconds.
pub fn run(server_bin: &Path, backend: &Backend, s: Size, log: &dyn Fn(&str)) -> Result<Value> {
    let dir = tempfile::tempdir()?;
    let files = write_files(dir.path(), s)?;
    let mut args = vec!["import", "--company", "imported"];
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let (mut first, mut again) = (Vec::new(), Vec::new());
    for round in 0..s.repeats {
        let (url, drop) = fresh_db(backend, dir.path())?;
        admin(
            server_bin,
            &url,
            &[
                "create-company",
                "--slug",
                "imported",
                "--name",
                "Imported",
                "--admin-username",
                "admin",
            ],
        )?;
        let started = Instant::now();
        admin(server_bin, &url, &args)?;
        first.push(stats::ms(started.elapsed()));
        let started = Instant::now();
        admin(server_bin, &url, &args)?;
        again.push(stats::ms(started.elapsed()));
        log(&format!(
            "import round {}: {:.0} ms, again (unchanged) {:.0} ms",
            round + 1,
            first[round],
            again[round]
        ));
        if let Some((admin_url, name)) = drop {
            execute(
                &admin_url,
                &[format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")],
            )?;
        }
    }
    Ok(json!({
        "users": s.users,
        "accounts": s.accounts,
        "contacts": s.accounts * s.contacts_per_account,
        "assignments": s.accounts * 2,
        "import_ms": stats::summary(&first),
        "reimport_unchanged_ms": stats::summary(&again),
    }))
}
