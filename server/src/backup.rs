//! `rapport-server admin backup` and `admin restore`: copies of the whole database, taken
//! while the server runs and put back into an empty (or, with `--force`, a replaced)
//! database.
//!
//! On SQLite the copy is made with SQLite's online backup API, in one step: the step
//! reads every page inside one read transaction, so the copy is the database as it stood
//! at one instant (a consistent snapshot, never half a push), and as the database runs in
//! WAL mode that read transaction does not block the server's writers: syncs go on while
//! the pages are copied. (Copying in small steps would restart whenever the server
//! commits, which under steady syncs might never finish.) The copy is checked
//! (`PRAGMA integrity_check`) and turned into a single self-contained file (rollback
//! journal) before it is renamed into place.
//!
//! On PostgreSQL the commands run the PostgreSQL client tools for the operator:
//! `pg_dump --format=custom` (one repeatable-read transaction: a consistent snapshot that
//! takes no lock blocking writes) and `pg_restore`, which must be on the `PATH`.
//!
//! Restoring checks first that the file is a Rapport database (intact, with the
//! migrations table and the core tables, and no migration this server does not know),
//! refuses to overwrite a database that has tables unless `--force`, and says what it did.
//! A backup from an older version is brought up to date by the migrations when the
//! server next starts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use rusqlite::{Connection, OpenFlags};

/// The admin commands of this module.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Copy the whole database to FILE while the server runs (SQLite: a consistent
    /// snapshot by the online backup API; PostgreSQL: runs pg_dump --format=custom).
    Backup {
        /// Where to write the backup; must not exist yet.
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup back: into the data directory's database (SQLite) or the database
    /// URL's (PostgreSQL, by pg_restore). Stop the server first.
    Restore {
        /// The backup file (from `admin backup`).
        #[arg(long)]
        from: PathBuf,
        /// Replace a database that already has tables (the SQLite one is kept beside it
        /// as rapport.db.replaced-<time>).
        #[arg(long)]
        force: bool,
    },
}

/// Tables every Rapport database has; a file without them is not one.
const CORE_TABLES: [&str; 4] = ["seaql_migrations", "tenants", "documents", "changes"];

/// How long SQLite waits for a lock held by the running server.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `cmd` against the database at `url` (or `data_dir/rapport.db`).
pub async fn run(url: Option<&str>, data_dir: &Path, cmd: BackupCommand) -> anyhow::Result<()> {
    let target = Target::of(url, data_dir)?;
    let known = known_migrations();
    match (target, cmd) {
        (Target::Sqlite(db), BackupCommand::Backup { to }) => {
            let report = tokio::task::spawn_blocking(move || sqlite_backup(&db, &to)).await??;
            println!("{report}");
        }
        (Target::Sqlite(db), BackupCommand::Restore { from, force }) => {
            let report =
                tokio::task::spawn_blocking(move || sqlite_restore(&from, &db, force, &known))
                    .await??;
            println!("{report}");
        }
        (Target::Postgres(url), BackupCommand::Backup { to }) => {
            println!("{}", pg_backup(&url, &to)?);
        }
        (Target::Postgres(url), BackupCommand::Restore { from, force }) => {
            println!("{}", pg_restore(&url, &from, force, &known).await?);
        }
    }
    Ok(())
}

/// The database a command works on.
enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    fn of(url: Option<&str>, data_dir: &Path) -> anyhow::Result<Target> {
        let Some(url) = url else {
            return Ok(Target::Sqlite(data_dir.join("rapport.db")));
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| anyhow!("the database URL is neither sqlite:// nor postgres://"))?;
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        if path.is_empty() || path == ":memory:" {
            bail!("the database URL names no database file");
        }
        Ok(Target::Sqlite(PathBuf::from(path)))
    }
}

/// The migrations this server knows, oldest first.
fn known_migrations() -> Vec<String> {
    use rapport_migrations::MigratorTrait;
    rapport_migrations::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// What a database holds, for the reports.
#[derive(Debug, Default)]
struct Contents {
    migrations: Vec<String>,
    companies: i64,
    documents: i64,
    changes: i64,
}

impl Contents {
    fn summary(&self) -> String {
        format!(
            "{} companies, {} documents, {} changes; schema at {}",
            self.companies,
            self.documents,
            self.changes,
            self.migrations
                .last()
                .map_or("no migration", String::as_str)
        )
    }

    /// Refuses a database with migrations this server does not know (a backup of a newer
    /// version); otherwise says how many the next start applies.
    fn against(&self, known: &[String]) -> anyhow::Result<String> {
        let unknown: Vec<&String> = self
            .migrations
            .iter()
            .filter(|m| !known.contains(m))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "the backup is from a newer Rapport: this server does not know its migrations {}; \
                 restore it with that version or a later one",
                join(&unknown)
            );
        }
        let pending = known
            .iter()
            .filter(|m| !self.migrations.contains(m))
            .count();
        Ok(match pending {
            0 => "the schema is current".to_owned(),
            n => format!("the server applies {n} newer migrations when it next starts"),
        })
    }
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

// --- SQLite ---

fn open(path: &Path, flags: OpenFlags) -> anyhow::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .with_context(|| format!("cannot open {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// The tables of a SQLite database.
fn sqlite_tables(conn: &Connection) -> anyhow::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names)
}

/// Checks that `conn` is an intact Rapport database and reads what it holds.
fn sqlite_contents(conn: &Connection, what: &str) -> anyhow::Result<Contents> {
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .with_context(|| format!("{what} is not a SQLite database"))?;
    if check != "ok" {
        bail!("{what} is damaged: integrity check says {check}");
    }
    let tables = sqlite_tables(conn)?;
    let missing: Vec<&str> = CORE_TABLES
        .iter()
        .copied()
        .filter(|t| !tables.iter().any(|n| n == t))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{what} is not a Rapport database: it has no {} table",
            missing.join(", ")
        );
    }
    let mut stmt = conn.prepare("SELECT version FROM seaql_migrations ORDER BY version")?;
    let migrations = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    if migrations.is_empty() {
        bail!("{what} is not a Rapport database: no migration was ever applied to it");
    }
    let count = |table: &str| -> anyhow::Result<i64> {
        Ok(conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?)
    };
    Ok(Contents {
        migrations,
        companies: count("tenants")?,
        documents: count("documents")?,
        changes: count("changes")?,
    })
}

/// Copies every page of `from` into `to` in one step: one read transaction on `from`, so
/// the copy is a snapshot of one instant; retried while `to` or `from` is locked.
fn copy_all(from: &Connection, to: &mut Connection) -> anyhow::Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    let backup = Backup::new(from, to)?;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked => {
                if std::time::Instant::now() > deadline {
                    bail!("the database stayed locked for {}s", BUSY_TIMEOUT.as_secs());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            other => bail!("the backup stopped: {other:?}"),
        }
    }
}

/// Makes `conn`'s database one self-contained file and checks it.
fn seal(conn: &Connection) -> anyhow::Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        bail!("the copy stayed in journal mode {mode}");
    }
    Ok(())
}

/// A path beside `path` with `suffix` added to its name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn sqlite_backup(db: &Path, to: &Path) -> anyhow::Result<String> {
    if !db.is_file() {
        bail!("there is no database at {}", db.display());
    }
    if to.exists() {
        bail!(
            "{} already exists: choose a new file for the backup",
            to.display()
        );
    }
    let source = open(db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let partial = beside(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        let mut copy = open(
            &partial,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        copy_all(&source, &mut copy)?;
        seal(&copy)?;
        let contents = sqlite_contents(&copy, "the copy")?;
        copy.close().map_err(|(_, e)| e)?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, to)
            .with_context(|| format!("cannot move the backup to {}", to.display()))?;
        Ok::<_, anyhow::Error>(contents)
    })();
    let contents = match result {
        Ok(contents) => contents,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "backed up {} to {} ({bytes} bytes): {}",
        db.display(),
        to.display(),
        contents.summary()
    ))
}

fn sqlite_restore(from: &Path, db: &Path, force: bool, known: &[String]) -> anyhow::Result<String> {
    if !from.is_file() {
        bail!("there is no backup file at {}", from.display());
    }
    let source = open(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let what = format!("{}", from.display());
    let contents = sqlite_contents(&source, &what)?;
    let schema = contents.against(known)?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    }
    let mut target = open(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )?;
    let mut kept = None;
    if !sqlite_tables(&target)?.is_empty() {
        if !force {
            bail!(
                "{} already holds a database: nothing was changed (restore into an empty data \
                 directory, or add --force to replace it)",
                db.display()
            );
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = beside(db, &format!(".replaced-{stamp}"));
        let mut copy = open(
            &aside,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        copy_all(&target, &mut copy)?;
        seal(&copy)?;
        kept = Some(aside);
    }
    copy_all(&source, &mut target)?;
    let mode: String = target.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("the restored database stayed in journal mode {mode}");
    }
    sqlite_contents(&target, "the restored database")?;
    let mut report = format!(
        "restored {} into {}: {}; {schema}",
        from.display(),
        db.display(),
        contents.summary()
    );
    if let Some(aside) = kept {
        report.push_str(&format!(
            "\nthe database it replaced is kept at {}",
            aside.display()
        ));
    }
    Ok(report)
}

// --- PostgreSQL ---

/// Runs one PostgreSQL client tool; a clear error when it is missing or fails.
fn pg_tool(tool: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<String> {
    let output = Command::new(tool).args(args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow!(
                "{tool} is not installed: install the PostgreSQL client tools (the server's \
                 major version or newer) and run this again"
            )
        } else {
            anyhow!("cannot run {tool}: {e}")
        }
    })?;
    if !output.status.success() {
        bail!(
            "{tool} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn pg_backup(url: &str, to: &Path) -> anyhow::Result<String> {
    if to.exists() {
        bail!(
            "{} already exists: choose a new file for the backup",
            to.display()
        );
    }
    let partial = beside(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let dumped = pg_tool(
        "pg_dump",
        &[
            "--format=custom".as_ref(),
            "--no-owner".as_ref(),
            "--file".as_ref(),
            partial.as_os_str(),
            "--dbname".as_ref(),
            url.as_ref(),
        ],
    )
    .and_then(|_| {
        let list = pg_tool("pg_restore", &["--list".as_ref(), partial.as_os_str()])?;
        archive_is_rapport(&list)?;
        std::fs::rename(&partial, to)
            .with_context(|| format!("cannot move the backup to {}", to.display()))
    });
    if let Err(e) = dumped {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "backed up the PostgreSQL database to {} ({bytes} bytes, pg_dump custom format)",
        to.display()
    ))
}

/// Checks a `pg_restore --list` of an archive for the data of Rapport's core tables.
fn archive_is_rapport(list: &str) -> anyhow::Result<()> {
    for table in CORE_TABLES {
        let found = list
            .lines()
            .any(|l| l.contains("TABLE DATA") && l.split_whitespace().any(|w| w == table));
        if !found {
            bail!("the file is not a backup of a Rapport database: it has no {table} table");
        }
    }
    Ok(())
}

/// Every table of the database's current schema.
async fn pg_tables(db: &sea_orm::DatabaseConnection) -> anyhow::Result<Vec<String>> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        ))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get_by_index::<String>(0)?))
        .collect()
}

async fn pg_contents(db: &sea_orm::DatabaseConnection) -> anyhow::Result<Contents> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .context("the restored database has no migrations table")?;
    let migrations = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<Vec<_>, _>>()?;
    let mut counts = Vec::new();
    for table in ["tenants", "documents", "changes"] {
        let row = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await?
            .ok_or_else(|| anyhow!("counting {table} returned nothing"))?;
        counts.push(row.try_get_by_index::<i64>(0)?);
    }
    Ok(Contents {
        migrations,
        companies: counts[0],
        documents: counts[1],
        changes: counts[2],
    })
}

async fn pg_restore(
    url: &str,
    from: &Path,
    force: bool,
    known: &[String],
) -> anyhow::Result<String> {
    use sea_orm::ConnectionTrait;
    if !from.is_file() {
        bail!("there is no backup file at {}", from.display());
    }
    let list = pg_tool("pg_restore", &["--list".as_ref(), from.as_os_str()])
        .with_context(|| format!("{} is not a pg_dump archive", from.display()))?;
    archive_is_rapport(&list)?;
    let db = sea_orm::Database::connect(url)
        .await
        .context("cannot connect to the database")?;
    let tables = pg_tables(&db).await?;
    if !tables.is_empty() {
        if !force {
            bail!(
                "the database already has {} tables: nothing was changed (restore into an empty \
                 database, or add --force to drop them first)",
                tables.len()
            );
        }
        let names: Vec<String> = tables.iter().map(|t| format!("\"{t}\"")).collect();
        db.execute_unprepared(&format!(
            "DROP TABLE IF EXISTS {} CASCADE",
            names.join(", ")
        ))
        .await
        .context("dropping the tables of the database being replaced")?;
    }
    pg_tool(
        "pg_restore",
        &[
            "--no-owner".as_ref(),
            "--exit-on-error".as_ref(),
            "--single-transaction".as_ref(),
            "--dbname".as_ref(),
            url.as_ref(),
            from.as_os_str(),
        ],
    )?;
    let contents = pg_contents(&db).await?;
    let schema = contents
        .against(known)
        .map_err(|e| anyhow!("restored, but this server cannot run on it: {e:#}"))?;
    let dropped = if tables.is_empty() {
        String::new()
    } else {
        format!(" (after dropping its {} tables)", tables.len())
    };
    Ok(format!(
        "restored {} into the PostgreSQL database{dropped}: {}; {schema}",
        from.display(),
        contents.summary()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_comes_from_the_url_or_the_data_dir() {
        let dir = Path::new("/srv/rapport");
        assert!(matches!(
            Target::of(None, dir),
            Ok(Target::Sqlite(p)) if p == dir.join("rapport.db")
        ));
        assert!(matches!(
            Target::of(Some("sqlite:///var/lib/r.db?mode=rwc"), dir),
            Ok(Target::Sqlite(p)) if p == Path::new("/var/lib/r.db")
        ));
        assert!(matches!(
            Target::of(Some("postgres://u@h/db"), dir),
            Ok(Target::Postgres(u)) if u == "postgres://u@h/db"
        ));
        assert!(Target::of(Some("mysql://h/db"), dir).is_err());
        assert!(Target::of(Some("sqlite::memory:"), dir).is_err());
    }

    #[test]
    fn a_backup_of_a_newer_version_is_refused() {
        let known = vec!["m1".to_owned(), "m2".to_owned()];
        let older = Contents {
            migrations: vec!["m1".into()],
            ..Contents::default()
        };
        assert_eq!(
            older.against(&known).ok().as_deref(),
            Some("the server applies 1 newer migrations when it next starts")
        );
        let newer = Contents {
            migrations: vec!["m1".into(), "m2".into(), "m3".into()],
            ..Contents::default()
        };
        let refused = newer.against(&known).err().map(|e| e.to_string());
        assert!(refused.is_some_and(|m| m.contains("m3")));
    }
}
