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
//! takes no lock blocking writes) and `pg_restore`, which must be on the `PATH`. The
//! password of the database URL goes to them as `PGPASSWORD`, not on their command line.
//! `restore --force` renames the current schema aside first and puts it back if the
//! restore fails; on success it is kept for the operator to drop.
//!
//! Backup files are created readable by their owner only and get their name by a hard
//! link, so a file that appeared at that name meanwhile is never replaced.
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
        /// as rapport.db.replaced-<time>; the PostgreSQL schema is kept, renamed to
        /// rapport_replaced_<unix-seconds>, and put back if the restore fails).
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

/// Creates the empty file `path`, readable by its owner only (a backup holds every
/// company's data and the password hashes); fails if it exists.
fn create_private(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok(())
}

/// Gives the finished `partial` its name `to`, never replacing a file that appeared
/// there meanwhile (a hard link fails where `to` exists).
fn put_in_place(partial: &Path, to: &Path) -> anyhow::Result<()> {
    if let Err(e) = std::fs::hard_link(partial, to) {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            bail!(
                "{} appeared while the backup ran: it was left as it is; choose a new file \
                 for the backup",
                to.display()
            );
        }
        bail!(
            "cannot give the backup its name {} (the directory's file system must support \
             hard links): {e}",
            to.display()
        );
    }
    std::fs::remove_file(partial)
        .with_context(|| format!("the backup is at {}, but", to.display()))?;
    Ok(())
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
        create_private(&partial)?;
        let mut copy = open(
            &partial,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        copy_all(&source, &mut copy)?;
        seal(&copy)?;
        let contents = sqlite_contents(&copy, "the copy")?;
        copy.close().map_err(|(_, e)| e)?;
        std::fs::File::open(&partial)?.sync_all()?;
        put_in_place(&partial, to)?;
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
        let stamp = crate::clock::now().format("%Y%m%dT%H%M%SZ");
        let aside = beside(db, &format!(".replaced-{stamp}"));
        create_private(&aside)?;
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

/// A PostgreSQL URL for the client tools: the URL without its password, and the password
/// (percent-decoded) for their environment, so it is not on a command line that other
/// users of the machine can read in the process list.
struct PgUrl {
    url: String,
    password: Option<String>,
}

impl PgUrl {
    fn of(url: &str) -> anyhow::Result<PgUrl> {
        let mut parsed =
            url::Url::parse(url).map_err(|e| anyhow!("the database URL is not a URL: {e}"))?;
        let password = match parsed.password() {
            Some(p) => Some(
                percent_decode(p)
                    .ok_or_else(|| anyhow!("the database URL's password is not UTF-8"))?,
            ),
            None => None,
        };
        if password.is_none() {
            return Ok(PgUrl {
                url: url.to_owned(),
                password,
            });
        }
        parsed
            .set_password(None)
            .map_err(|()| anyhow!("cannot take the password out of the database URL"))?;
        Ok(PgUrl {
            url: parsed.into(),
            password,
        })
    }
}

/// Decodes `%XX` escapes; `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Runs one PostgreSQL client tool (with `PGPASSWORD` set to `password`, if any); a clear
/// error when it is missing or fails.
fn pg_tool(
    tool: &str,
    args: &[&std::ffi::OsStr],
    password: Option<&str>,
) -> anyhow::Result<String> {
    let mut command = Command::new(tool);
    command.args(args);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().map_err(|e| {
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
    let pg = PgUrl::of(url)?;
    let partial = beside(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let dumped = create_private(&partial)
        .and_then(|()| {
            pg_tool(
                "pg_dump",
                &[
                    "--format=custom".as_ref(),
                    "--no-owner".as_ref(),
                    "--file".as_ref(),
                    partial.as_os_str(),
                    "--dbname".as_ref(),
                    pg.url.as_ref(),
                ],
                pg.password.as_deref(),
            )
        })
        .and_then(|_| {
            let list = pg_tool(
                "pg_restore",
                &["--list".as_ref(), partial.as_os_str()],
                None,
            )?;
            archive_is_rapport(&list)?;
            put_in_place(&partial, to)
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

/// `name` as a quoted SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn pg_restore(
    url: &str,
    from: &Path,
    force: bool,
    known: &[String],
) -> anyhow::Result<String> {
    use sea_orm::{ConnectionTrait, Statement};
    if !from.is_file() {
        bail!("there is no backup file at {}", from.display());
    }
    let pg = PgUrl::of(url)?;
    let list = pg_tool("pg_restore", &["--list".as_ref(), from.as_os_str()], None)
        .with_context(|| format!("{} is not a pg_dump archive", from.display()))?;
    archive_is_rapport(&list)?;
    let db = sea_orm::Database::connect(url)
        .await
        .context("cannot connect to the database")?;
    let tables = pg_tables(&db).await?;
    // With --force the schema holding the tables is renamed aside and an empty one of the
    // same name takes its place; it is put back if anything below fails.
    let mut aside = None;
    if !tables.is_empty() {
        if !force {
            bail!(
                "the database already has {} tables: nothing was changed (restore into an empty \
                 database, or add --force to replace them)",
                tables.len()
            );
        }
        let schema = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT current_schema()::text",
            ))
            .await?
            .ok_or_else(|| anyhow!("the database names no current schema"))?
            .try_get_by_index::<String>(0)?;
        let stamp = crate::clock::now().timestamp();
        let replaced = format!("rapport_replaced_{stamp}");
        // One simple query: both statements commit together or not at all.
        db.execute_unprepared(&format!(
            "ALTER SCHEMA {} RENAME TO {}; CREATE SCHEMA {}",
            quoted(&schema),
            quoted(&replaced),
            quoted(&schema)
        ))
        .await
        .with_context(|| {
            format!(
                "cannot rename schema {schema} aside (the database user must own it and may \
                 create schemas): nothing was changed"
            )
        })?;
        aside = Some((schema, replaced));
    }
    let restored = async {
        pg_tool(
            "pg_restore",
            &[
                "--no-owner".as_ref(),
                "--exit-on-error".as_ref(),
                "--single-transaction".as_ref(),
                "--dbname".as_ref(),
                pg.url.as_ref(),
                from.as_os_str(),
            ],
            pg.password.as_deref(),
        )?;
        let contents = pg_contents(&db).await?;
        let schema = contents
            .against(known)
            .map_err(|e| anyhow!("this server cannot run on the restored database: {e:#}"))?;
        Ok::<_, anyhow::Error>((contents, schema))
    }
    .await;
    let (contents, schema) = match (restored, &aside) {
        (Ok(done), _) => done,
        (Err(e), None) => return Err(e),
        (Err(e), Some((schema, replaced))) => {
            let put_back = db
                .execute_unprepared(&format!(
                    "DROP SCHEMA {} CASCADE; ALTER SCHEMA {} RENAME TO {}",
                    quoted(schema),
                    quoted(replaced),
                    quoted(schema)
                ))
                .await;
            return Err(match put_back {
                Ok(_) => e.context(format!(
                    "the restore failed; the database it was to replace is back in place \
                     (schema {schema}), unchanged"
                )),
                Err(back) => e.context(format!(
                    "the restore failed, and putting the replaced database back failed too \
                     ({back}): it is in schema {replaced}; to put it back by hand: DROP SCHEMA \
                     {schema} CASCADE; ALTER SCHEMA {replaced} RENAME TO {schema};"
                )),
            });
        }
    };
    let mut report = format!(
        "restored {} into the PostgreSQL database: {}; {schema}",
        from.display(),
        contents.summary()
    );
    if let Some((_, replaced)) = aside {
        report.push_str(&format!(
            "\nthe database it replaced ({} tables) is kept in schema {replaced}; once satisfied \
             with the restore, drop it: DROP SCHEMA {replaced} CASCADE;",
            tables.len()
        ));
    }
    Ok(report)
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

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let pg =
            PgUrl::of("postgres://rapport:s%40cr%3At%25@db.internal:5432/rapport?sslmode=require")
                .expect("a URL");
        assert_eq!(pg.password.as_deref(), Some("s@cr:t%"));
        assert_eq!(
            pg.url,
            "postgres://rapport@db.internal:5432/rapport?sslmode=require"
        );
        let pg = PgUrl::of("postgresql://rapport@db/rapport").expect("a URL");
        assert_eq!(pg.password, None);
        assert_eq!(pg.url, "postgresql://rapport@db/rapport");
        assert_eq!(percent_decode("a%2"), Some("a%2".to_owned()));
        assert_eq!(percent_decode("%C3%A9t%C3%A9"), Some("été".to_owned()));
        assert!(PgUrl::of("not a url").is_err());
    }
}
