//! `rapport-bench`: Rapport's performance benchmark (docs/BENCHMARKS.md).
//!
//! It generates a company of 200 reps with a year of history and the same company at one
//! week, seeds each into the real `rapport-server` binary through its admin API and
//! `POST /v1/sync` (cached between runs), and measures the scenarios of docs/BENCHMARKS.md — incremental
//! sync, a reconnect storm, a new device, the weekly team report and monthly scorecard,
//! and the device's own operations — with Automerge's sync protocol and plain SQL inserts
//! as baselines. Figures go to JSON; `docs/BENCHMARKS.md` shows the latest run.
//!
//! `rapport-bench --smoke` runs every scenario on a tiny company in seconds (CI).

mod db;
mod import;
mod net;
mod scenarios;
mod seed;
mod stats;
mod workload;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};

use crate::db::Backend;
use crate::scenarios::Repeats;
use crate::workload::Params;

#[derive(Debug, Parser)]
#[command(
    name = "rapport-bench",
    about = "Rapport's performance benchmark",
    args_override_self = true
)]
struct Cli {
    /// A tiny company and few repetitions: every scenario in seconds, no targets.
    #[arg(long)]
    smoke: bool,
    /// Only the bulk import (2,000 accounts, 20,000 contacts, 200 users; see
    /// bench/src/import.rs), not the company's scenarios.
    #[arg(long)]
    import_only: bool,
    /// sqlite, postgres, or both.
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// A PostgreSQL database the benchmark may connect to, to create its own.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg_url: String,
    /// Days of history of the long company.
    #[arg(long, default_value_t = 365)]
    days: i64,
    /// Days of history of the short company.
    #[arg(long, default_value_t = 7)]
    short_days: i64,
    /// Where seeded databases are kept between runs (default ~/.cache/rapport-bench).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Where the JSON figures go (default bench/results; none for --smoke).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The server binary (default: rapport-server beside this binary).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// (internal) A new device's initial sync in its own process; prints JSON figures.
    DeviceSync {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        url: String,
        #[arg(long)]
        company: String,
        #[arg(long)]
        user: String,
    },
    /// Seeds one team of the generated company (the benchmark's own generator, admin API
    /// and `POST /v1/sync`) into a SQLite file and prints its manifest as JSON; the web
    /// app's benchmark (app/test/bench.mjs) serves it to time a rep's first sync. The
    /// default, 2 reps sharing 20 accounts for a year, gives each rep about 3,500
    /// documents, as the new-device scenario's rep of the full company reads.
    Seed {
        /// The SQLite file to create.
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 2)]
        reps: usize,
        #[arg(long, default_value_t = 20)]
        accounts: usize,
        #[arg(long, default_value_t = 365)]
        days: i64,
        #[arg(long, default_value = "bench")]
        slug: String,
    },
}

fn log(msg: &str) {
    eprintln!("[bench {}] {msg}", chrono::Utc::now().format("%H:%M:%S"));
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(Sub::DeviceSync {
        dir,
        url,
        company,
        user,
    }) = &cli.command
    {
        return scenarios::device_sync_child(dir, url, company, user);
    }
    let server_bin = match &cli.server_bin {
        Some(b) => b.clone(),
        None => net::default_server_bin()?,
    };
    if let Some(Sub::Seed {
        db,
        reps,
        accounts,
        days,
        slug,
    }) = &cli.command
    {
        let p = Params {
            teams: 1,
            reps_per_team: *reps,
            accounts_per_team: *accounts,
            days: *days,
            ..Params::company(*days)
        };
        let url = format!("sqlite://{}?mode=rwc", db.display());
        let manifest = db::seed_into(&server_bin, &url, &p, slug, &log)?;
        let out = json!({
            "manifest": manifest,
            "rep_usernames": (0..p.reps()).map(|r| p.rep_name(r)).collect::<Vec<_>>(),
            "password": net::PASSWORD,
            "rep_accounts": p.rep_accounts(0).len(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let backends: Vec<Backend> = match cli.backend.as_str() {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres {
            admin_url: cli.pg_url.clone(),
        }],
        "both" => vec![
            Backend::Sqlite,
            Backend::Postgres {
                admin_url: cli.pg_url.clone(),
            },
        ],
        other => anyhow::bail!("--backend {other}: sqlite, postgres or both"),
    };
    let (long, short, repeats, scale) = if cli.smoke {
        (
            Params::smoke(21),
            Params::smoke(7),
            Repeats::smoke(),
            "smoke",
        )
    } else {
        (
            Params::company(cli.days),
            Params::company(cli.short_days),
            Repeats::full(),
            "company",
        )
    };
    // An import-only run writes its own file, never over a full run's figures.
    let scale = if cli.import_only && !cli.smoke {
        "import"
    } else {
        scale
    };
    let cache = if cli.smoke {
        None
    } else {
        Some(match &cli.cache_dir {
            Some(c) => c.clone(),
            None => PathBuf::from(std::env::var("HOME").context("HOME")?)
                .join(".cache")
                .join("rapport-bench"),
        })
    };
    let out_dir = match (&cli.out, cli.smoke) {
        (Some(o), _) => Some(o.clone()),
        (None, true) => None,
        (None, false) => Some(PathBuf::from("bench/results")),
    };
    for backend in &backends {
        let started = Instant::now();
        let mut companies = serde_json::Map::new();
        let scenarios: &[(&str, &Params)] = if cli.import_only {
            &[]
        } else {
            &[("short", &short), ("long", &long)]
        };
        for &(label, p) in scenarios {
            log(&format!(
                "{} company ({} days) on {}",
                label,
                p.days,
                backend.name()
            ));
            let rundb = db::prepare(backend, p, &server_bin, cache.as_deref(), &log)?;
            let cx = scenarios::Ctx {
                server_bin: &server_bin,
                backend,
                db: &rundb,
                params: p,
                repeats: &repeats,
                log: &log,
            };
            let figures = scenarios::run(&cx)?;
            companies.insert(label.into(), figures);
            db::cleanup(backend, &rundb)?;
        }
        log(&format!("bulk import on {}", backend.name()));
        let size = if cli.smoke {
            import::Size::smoke()
        } else {
            import::Size::full()
        };
        companies.insert(
            "import".into(),
            import::run(&server_bin, backend, size, &log)?,
        );
        let companies = Value::Object(companies);
        let verdicts = verdicts(&companies);
        let result = json!({
            "date": chrono::Utc::now().to_rfc3339(),
            "scale": scale,
            "backend": backend.name(),
            "profile": if cfg!(debug_assertions) { "dev" } else { "release" },
            "machine": machine(),
            "repeats": format!("{repeats:?}"),
            "companies": companies,
            "verdicts": verdicts,
            "seconds": stats::round(started.elapsed().as_secs_f64()),
        });
        print_table(&result);
        if let Some(dir) = &out_dir {
            std::fs::create_dir_all(dir)?;
            let date = chrono::Utc::now().format("%Y-%m-%d");
            let body = serde_json::to_vec_pretty(&result)?;
            let name = format!("{date}-{scale}-{}.json", backend.name());
            std::fs::write(dir.join(&name), &body)?;
            std::fs::write(
                dir.join(format!("latest-{scale}-{}.json", backend.name())),
                &body,
            )?;
            log(&format!("figures written to {}", dir.join(name).display()));
        }
    }
    Ok(())
}

/// The targets next to what was measured.
fn verdicts(c: &Value) -> Value {
    let long = &c["long"];
    let short = &c["short"];
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let ratio = |a: f64, b: f64| stats::round(a / b);
    let mib = |b: f64| stats::round(b / 1024.0 / 1024.0);
    let mut rows = Vec::new();
    let mut row = |scenario: &str, figure: &str, target: &str, measured: Value, met: bool| {
        rows.push(
            json!({"scenario": scenario, "figure": figure, "target": target,
                         "measured": measured, "met": met}),
        );
    };
    let import = &c["import"];
    for (k, what) in [
        ("import_ms", "first import, median (ms)"),
        (
            "reimport_unchanged_ms",
            "the same files again, all unchanged, median (ms)",
        ),
    ] {
        row(
            &format!(
                "bulk import of {} accounts, {} contacts, {} users",
                import["accounts"], import["contacts"], import["users"]
            ),
            what,
            "—",
            import[k]["p50"].clone(),
            true,
        );
    }
    if long.is_null() {
        return Value::Array(rows);
    }
    let inc = &long["incremental_sync"];
    let inc_p50 = f(&inc["server_ms"]["p50"]);
    let inc_ratio = ratio(inc_p50, f(&short["incremental_sync"]["server_ms"]["p50"]));
    row(
        "incremental sync",
        "server time p50 (ms)",
        "≤ 5",
        json!(inc_p50),
        inc_p50 <= 5.0,
    );
    row(
        "incremental sync",
        "server time p95 (ms)",
        "—",
        inc["server_ms"]["p95"].clone(),
        true,
    );
    row(
        "incremental sync",
        "one-year / one-week p50",
        "≤ 1.3",
        json!(inc_ratio),
        inc_ratio <= 1.3,
    );
    for (k, what) in [
        ("body_overhead_up", "request body beyond change bytes (B)"),
        ("body_overhead_down", "response body (B)"),
        (
            "wire_overhead_up",
            "request on the wire beyond change bytes, HTTP headers included (B)",
        ),
        (
            "wire_overhead_down",
            "response on the wire, HTTP headers included (B)",
        ),
    ] {
        let v = f(&inc[k]);
        row("incremental sync", what, "≤ 256", json!(v), v <= 256.0);
    }
    let storm = &long["reconnect_storm"];
    let st = f(&storm["all_acknowledged_ms"]);
    row(
        "reconnect storm",
        "all acknowledged, median of the rounds (ms)",
        "≤ 3000",
        json!(st),
        st <= 3000.0,
    );
    let rss = f(&storm["server_peak_rss_bytes"]);
    row(
        "reconnect storm",
        "server peak RSS (MiB)",
        "≤ 256",
        json!(mib(rss)),
        rss <= 256.0 * 1024.0 * 1024.0,
    );
    let nd = &long["new_device"];
    let nd_ms = f(&nd["sync_ms"]["p50"]);
    row(
        "new device",
        "initial sync wall time p50 (ms)",
        "≤ 2000",
        json!(nd_ms),
        nd_ms <= 2000.0,
    );
    let rt = f(&nd["round_trips"]);
    row("new device", "round trips", "≤ 10", json!(rt), rt <= 10.0);
    let drss = f(&nd["peak_rss_bytes"]);
    row(
        "new device",
        "device peak RSS (MiB)",
        "≤ 100",
        json!(mib(drss)),
        drss <= 100.0 * 1024.0 * 1024.0,
    );
    row(
        "new device",
        "documents",
        "about 3,500",
        nd["documents"].clone(),
        true,
    );
    for (k, what, target) in [
        (
            "weekly_visits",
            "weekly visits report, one team (ms p50)",
            50.0,
        ),
        (
            "team_week",
            "weekly team scorecards, one team (ms p50)",
            50.0,
        ),
        (
            "scorecard_month",
            "a rep's monthly scorecard (ms p50)",
            20.0,
        ),
    ] {
        let v = f(&long["reports"][k]["ms"]["p50"]);
        let r = ratio(v, f(&short["reports"][k]["ms"]["p50"]));
        row(
            "reports",
            what,
            &format!("≤ {target}"),
            json!(v),
            v <= target,
        );
        row(
            "reports",
            &format!("{k}: one-year / one-week p50"),
            "≤ 1.5",
            json!(r),
            r <= 1.5,
        );
    }
    let dev = &long["device"];
    for (k, what, target) in [
        ("log_visit_ms", "log a visit (ms p50)", 2.0),
        (
            "open_store_ms",
            "open a store with a year of records (ms p50)",
            300.0,
        ),
        ("timeline_ms", "account timeline (ms p50)", 20.0),
    ] {
        let v = f(&dev[k]["p50"]);
        row(
            "device",
            what,
            &format!("≤ {target}"),
            json!(v),
            v <= target,
        );
    }
    Value::Array(rows)
}

fn print_table(result: &Value) {
    println!(
        "\n{} {} ({}):",
        result["scale"].as_str().unwrap_or(""),
        result["backend"].as_str().unwrap_or(""),
        result["profile"].as_str().unwrap_or("")
    );
    println!("| scenario | figure | target | measured | met? |\n|---|---|---|---|---|");
    for r in result["verdicts"].as_array().into_iter().flatten() {
        println!(
            "| {} | {} | {} | {} | {} |",
            r["scenario"].as_str().unwrap_or(""),
            r["figure"].as_str().unwrap_or(""),
            r["target"].as_str().unwrap_or(""),
            r["measured"],
            if r["met"].as_bool().unwrap_or(false) {
                "yes"
            } else {
                "**no**"
            }
        );
    }
}

/// The machine the figures come from.
fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .map(|l| l.trim_start_matches("MemTotal:").trim().to_owned())
        .unwrap_or_default();
    let disk = std::process::Command::new("df")
        .args(["-h", "--output=source,fstype,size", "/tmp"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .replace('\n', "; ")
        })
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory": mem,
        "disk_tmp": disk,
    })
}
