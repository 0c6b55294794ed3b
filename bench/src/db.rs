//! The benchmark's databases: a seeded copy per workload, cached between runs, and a
//! fresh working copy of it for each run (scenarios add records).
//!
//! SQLite: the seeded file lives in the cache directory and is copied for a run.
//! PostgreSQL: the seeded database is kept on the server (`rb_<hash>`) and a run works on
//! `CREATE DATABASE … TEMPLATE` of it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sea_orm::{ConnectionTrait, Database};

use crate::net::Server;
use crate::seed::{self, Manifest};
use crate::workload::Params;

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres { admin_url: String },
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Runs SQL statements on `url`, one after another.
pub fn execute(url: &str, statements: &[String]) -> Result<()> {
    runtime()?.block_on(async {
        let db = Database::connect(url).await.context("connecting")?;
        for s in statements {
            db.execute_unprepared(s).await.with_context(|| s.clone())?;
        }
        db.close().await?;
        Ok(())
    })
}

fn short_hash(s: &str) -> String {
    // FNV-1a: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn pg_url(admin_url: &str, name: &str) -> String {
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    format!("{base}/{name}")
}

/// A working database for one run, seeded with the workload.
pub struct RunDb {
    pub url: String,
    pub manifest: Manifest,
    /// Whether this run seeded (no cached copy was found).
    pub seeded_now: bool,
    _dir: Option<tempfile::TempDir>,
}

/// Seeds (or finds in `cache`) the workload `p` and returns a fresh working copy.
/// `cache` is `None` for throwaway runs (smoke), which always seed.
pub fn prepare(
    backend: &Backend,
    p: &Params,
    server_bin: &Path,
    cache: Option<&Path>,
    log: &dyn Fn(&str),
) -> Result<RunDb> {
    let key = format!("{}-{}", p.key(), backend.name());
    let slug = "bench";
    match backend {
        Backend::Sqlite => {
            let run_dir = tempfile::tempdir()?;
            let run_file = run_dir.path().join("rapport.db");
            let cached: Option<(PathBuf, PathBuf)> =
                cache.map(|c| (c.join(format!("{key}.db")), c.join(format!("{key}.json"))));
            let mut seeded_now = false;
            let manifest = match &cached {
                Some((db, json)) if db.exists() && json.exists() => {
                    log(&format!("using the cached database {}", db.display()));
                    migrate(server_bin, &format!("sqlite://{}?mode=rwc", db.display()))?;
                    copy_sqlite(db, &run_file)?;
                    read_manifest(json)?
                }
                _ => {
                    seeded_now = true;
                    let url = format!("sqlite://{}?mode=rwc", run_file.display());
                    let manifest = seed_into(server_bin, &url, p, slug, log)?;
                    if let Some((db, json)) = &cached {
                        std::fs::create_dir_all(db.parent().context("cache dir")?)?;
                        copy_sqlite(&run_file, db)?;
                        std::fs::write(json, serde_json::to_vec_pretty(&manifest)?)?;
                    }
                    manifest
                }
            };
            Ok(RunDb {
                url: format!("sqlite://{}?mode=rwc", run_file.display()),
                manifest,
                seeded_now,
                _dir: Some(run_dir),
            })
        }
        Backend::Postgres { admin_url } => {
            let seed_name = format!("rb_{}", short_hash(&key));
            let run_name = format!("{seed_name}_run");
            let json = cache.map(|c| c.join(format!("{key}.json")));
            let exists: bool = runtime()?.block_on(async {
                let db = Database::connect(admin_url).await?;
                let row = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        db.get_database_backend(),
                        format!("SELECT COUNT(*) FROM pg_database WHERE datname = '{seed_name}'"),
                    ))
                    .await?
                    .context("a row")?;
                let n: i64 = row.try_get_by_index(0)?;
                anyhow::Ok(n > 0)
            })?;
            let mut seeded_now = false;
            let manifest = match &json {
                Some(j) if exists && j.exists() => {
                    log(&format!("using the cached database {seed_name}"));
                    migrate(server_bin, &pg_url(admin_url, &seed_name))?;
                    read_manifest(j)?
                }
                _ => {
                    seeded_now = true;
                    execute(
                        admin_url,
                        &[
                            format!("DROP DATABASE IF EXISTS {seed_name} WITH (FORCE)"),
                            format!("CREATE DATABASE {seed_name}"),
                        ],
                    )?;
                    let manifest =
                        seed_into(server_bin, &pg_url(admin_url, &seed_name), p, slug, log)?;
                    if let Some(j) = &json {
                        std::fs::create_dir_all(j.parent().context("cache dir")?)?;
                        std::fs::write(j, serde_json::to_vec_pretty(&manifest)?)?;
                    }
                    manifest
                }
            };
            execute(
                admin_url,
                &[
                    format!("DROP DATABASE IF EXISTS {run_name} WITH (FORCE)"),
                    format!("CREATE DATABASE {run_name} TEMPLATE {seed_name}"),
                ],
            )?;
            // Planner statistics, as autovacuum keeps them on a production server: the
            // PostgreSQL the benchmark runs on may have autovacuum off (CI's has), and
            // without statistics the planner guesses, badly, at the company's tables.
            execute(&pg_url(admin_url, &run_name), &["ANALYZE".to_owned()])?;
            if cache.is_none() {
                execute(
                    admin_url,
                    &[format!("DROP DATABASE IF EXISTS {seed_name} WITH (FORCE)")],
                )?;
            }
            Ok(RunDb {
                url: pg_url(admin_url, &run_name),
                manifest,
                seeded_now,
                _dir: None,
            })
        }
    }
}

/// Copies a SQLite database with its write-ahead log, if one was left.
fn copy_sqlite(from: &Path, to: &Path) -> Result<()> {
    let wal = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
    let tmp = to.with_extension("db.tmp");
    std::fs::copy(from, &tmp)?;
    std::fs::rename(&tmp, to)?;
    let _ = std::fs::remove_file(wal(to));
    if wal(from).exists() {
        std::fs::copy(wal(from), wal(to))?;
    }
    Ok(())
}

/// Brings a cached database to the server's current schema (the server migrates at
/// start), so runs do not each pay for a new migration.
fn migrate(server_bin: &Path, url: &str) -> Result<()> {
    Server::start(server_bin, url)?.stop()
}

fn read_manifest(path: &Path) -> Result<Manifest> {
    serde_json::from_slice(&std::fs::read(path)?)
        .with_context(|| format!("reading {}", path.display()))
}

pub fn seed_into(
    server_bin: &Path,
    url: &str,
    p: &Params,
    slug: &str,
    log: &dyn Fn(&str),
) -> Result<Manifest> {
    log(&format!(
        "seeding workload {} (this takes a while once)",
        p.key()
    ));
    // Seeding is the admin's set-up and a year of syncs at once: the per-user request
    // limit meant for production traffic is off for it.
    let server = Server::start_with(server_bin, url, &["--rate-limit-per-minute", "0"])?;
    let manifest = seed::seed(&server, p, slug)?;
    server.stop()?;
    log(&format!(
        "seeded {} documents in {} pushes: setup {:.1} s, history {:.1} s",
        manifest.documents, manifest.pushes, manifest.setup_seconds, manifest.history_seconds
    ));
    Ok(manifest)
}

/// Drops a run's PostgreSQL database (a SQLite run's directory goes with the `RunDb`).
pub fn cleanup(backend: &Backend, run: &RunDb) -> Result<()> {
    if let Backend::Postgres { admin_url } = backend
        && let Some((_, name)) = run.url.rsplit_once('/')
    {
        execute(
            admin_url,
            &[format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")],
        )?;
    }
    Ok(())
}
