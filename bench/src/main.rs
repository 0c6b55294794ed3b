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
mod verdicts;
mod workload;

use std::path::{Path, PathBuf};
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
        return seed_one_team(&server_bin, db, &p, slug);
    }
    let run = Run::new(&cli)?;
    for backend in &backends(&cli)? {
        run.on(backend, &server_bin)?;
    }
    Ok(())
}

/// `seed`: one team of the generated company into a SQLite file; prints its manifest.
fn seed_one_team(server_bin: &Path, db: &Path, p: &Params, slug: &str) -> Result<()> {
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let manifest = db::seed_into(server_bin, &url, p, slug, &log)?;
    let out = json!({
        "manifest": manifest,
        "rep_usernames": (0..p.reps()).map(|r| p.rep_name(r)).collect::<Vec<_>>(),
        "password": net::PASSWORD,
        "rep_accounts": p.rep_accounts(0).len(),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// The backends `--backend` names.
fn backends(cli: &Cli) -> Result<Vec<Backend>> {
    let postgres = || Backend::Postgres {
        admin_url: cli.pg_url.clone(),
    };
    Ok(match cli.backend.as_str() {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![postgres()],
        "both" => vec![Backend::Sqlite, postgres()],
        other => anyhow::bail!("--backend {other}: sqlite, postgres or both"),
    })
}

/// What one run measures and where its figures go, the same on every backend.
struct Run {
    smoke: bool,
    import_only: bool,
    /// The company with a long history and the one with a week of it.
    long: Params,
    short: Params,
    repeats: Repeats,
    /// Names the figures' file: smoke, company or import.
    scale: &'static str,
    cache: Option<PathBuf>,
    out_dir: Option<PathBuf>,
}

impl Run {
    fn new(cli: &Cli) -> Result<Run> {
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
        Ok(Run {
            smoke: cli.smoke,
            import_only: cli.import_only,
            long,
            short,
            repeats,
            scale,
            cache,
            out_dir,
        })
    }

    /// Measures everything on `backend`, prints the verdicts and writes the figures.
    fn on(&self, backend: &Backend, server_bin: &Path) -> Result<()> {
        let started = Instant::now();
        let mut companies = serde_json::Map::new();
        let scenarios: &[(&str, &Params)] = if self.import_only {
            &[]
        } else {
            &[("short", &self.short), ("long", &self.long)]
        };
        for &(label, p) in scenarios {
            log(&format!(
                "{} company ({} days) on {}",
                label,
                p.days,
                backend.name()
            ));
            let rundb = db::prepare(backend, p, server_bin, self.cache.as_deref(), &log)?;
            let cx = scenarios::Ctx {
                server_bin,
                backend,
                db: &rundb,
                params: p,
                repeats: &self.repeats,
                log: &log,
            };
            let figures = scenarios::run(&cx)?;
            companies.insert(label.into(), figures);
            db::cleanup(backend, &rundb)?;
        }
        log(&format!("bulk import on {}", backend.name()));
        let size = if self.smoke {
            import::Size::smoke()
        } else {
            import::Size::full()
        };
        companies.insert(
            "import".into(),
            import::run(server_bin, backend, size, &log)?,
        );
        let companies = Value::Object(companies);
        let verdicts = verdicts::verdicts(&companies);
        let result = json!({
            "date": chrono::Utc::now().to_rfc3339(),
            "scale": self.scale,
            "backend": backend.name(),
            "profile": if cfg!(debug_assertions) { "dev" } else { "release" },
            "machine": machine(),
            "repeats": format!("{:?}", self.repeats),
            "companies": companies,
            "verdicts": verdicts,
            "seconds": stats::round(started.elapsed().as_secs_f64()),
        });
        print_table(&result);
        self.write(backend, &result)
    }

    /// Writes a backend's figures into the output directory, dated and as the latest.
    fn write(&self, backend: &Backend, result: &Value) -> Result<()> {
        let Some(dir) = &self.out_dir else {
            return Ok(());
        };
        std::fs::create_dir_all(dir)?;
        let date = chrono::Utc::now().format("%Y-%m-%d");
        let body = serde_json::to_vec_pretty(result)?;
        let name = format!("{date}-{}-{}.json", self.scale, backend.name());
        std::fs::write(dir.join(&name), &body)?;
        std::fs::write(
            dir.join(format!("latest-{}-{}.json", self.scale, backend.name())),
            &body,
        )?;
        log(&format!("figures written to {}", dir.join(name).display()));
        Ok(())
    }
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
