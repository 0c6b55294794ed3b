//! Backups taken while devices sync, restored into a fresh database: every change the
//! server acknowledged before the backup began is there, nothing is torn, and the
//! restored server syncs on.
//!
//! On SQLite `admin backup` uses SQLite's online backup API; on PostgreSQL it runs
//! pg_dump (and `admin restore` pg_restore). Without pg_dump the PostgreSQL run is
//! skipped with a printed reason, except under `CI=true`, where it must run.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rapport_tests::invariants::{
    Ledger, backend_name, bookkeeping_problems, sync_until_done, visit_in_week_48,
};
use rapport_tests::{Company, Device, TestServer};
use sea_orm::DbBackend;

/// Devices syncing at once while the backup is taken.
const DEVICES: usize = 4;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the PostgreSQL client tools are missing where that may be excused.
fn skip_without_pg_dump(server: &TestServer) -> bool {
    if server.backend() != DbBackend::Postgres {
        return false;
    }
    let present = Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return false;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "pg_dump is missing, and under CI the PostgreSQL backup test must run"
    );
    eprintln!("skipped: pg_dump is not installed (install postgresql-client to run this test)");
    true
}

/// A fresh server, stopped, whose database is to receive a restore.
fn empty_target() -> TestServer {
    let mut target = TestServer::start();
    target.kill();
    target
}

#[test]
fn a_backup_during_syncs_restores_every_acknowledged_change() {
    let source = TestServer::start();
    if skip_without_pg_dump(&source) {
        return;
    }
    let backend = backend_name(&source);
    let co = Company::setup(&source, "acme");
    let devices: Vec<Device> = (0..DEVICES)
        .map(|i| Device::new(&source.url, "acme", if i % 2 == 0 { "a" } else { "b" }))
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("rapport.backup");
    let file_arg = file.to_str().expect("a UTF-8 path");

    // Every device logs visits and syncs in a loop. What a device learns was stored
    // before the backup began goes into the ledger the restored server must honour.
    let began = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let after = AtomicU64::new(0);
    let before = Mutex::new(Ledger::default());
    let backup = std::thread::scope(|s| {
        for (i, device) in devices.iter().enumerate() {
            let (began, stop, after, before) = (&began, &stop, &after, &before);
            let account = co.account_shared.clone();
            s.spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    let visit = visit_in_week_48(&account, n, &format!("device {i} visit {n}"));
                    let id = device.create(&visit).expect("log a visit");
                    sync_until_done(device, Duration::from_secs(60));
                    // Acknowledged, and the backup had not begun when we looked: it
                    // began after the acknowledgement.
                    if began.load(Ordering::SeqCst) {
                        after.fetch_add(1, Ordering::SeqCst);
                    } else {
                        before.lock().expect("ledger").acknowledge(device, [&id]);
                    }
                    n += 1;
                }
            });
        }
        while before.lock().expect("ledger").len() < 4 * DEVICES {
            std::thread::sleep(Duration::from_millis(10));
        }
        began.store(true, Ordering::SeqCst);
        let out = source.admin_cli(&["backup", "--to", file_arg]);
        // Syncs went on during the backup and go on after it.
        while after.load(Ordering::SeqCst) < DEVICES as u64 {
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::SeqCst);
        out
    });
    assert!(backup.status.success(), "{backend}: {}", text(&backup));
    assert!(
        text(&backup).contains("backed up"),
        "{backend}: says what it did: {}",
        text(&backup)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("the backup")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "{backend}: only its owner may read the backup"
        );
    }
    let ledger = before.into_inner().expect("ledger");
    assert!(!ledger.is_empty());

    // A second backup to the same file is refused: a backup is never overwritten.
    let again = source.admin_cli(&["backup", "--to", file_arg]);
    assert!(!again.status.success(), "{backend}: {}", text(&again));
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    let mut restored = empty_target();
    let untouched = restored.fingerprint();
    let refused = restored.admin_cli(&["restore", "--from", file_arg]);
    assert!(
        !refused.status.success(),
        "{backend}: a database with tables is not overwritten without --force"
    );
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    assert_eq!(
        restored.fingerprint(),
        untouched,
        "{backend}: nothing changed"
    );

    let done = restored.admin_cli(&["restore", "--from", file_arg, "--force"]);
    assert!(done.status.success(), "{backend}: {}", text(&done));
    assert!(
        text(&done).contains("restored") && text(&done).contains("schema is current"),
        "{backend}: says what it did: {}",
        text(&done)
    );
    if restored.backend() == DbBackend::Postgres {
        assert!(
            text(&done).contains("kept in schema rapport_replaced_"),
            "names the schema the replaced database is kept in: {}",
            text(&done)
        );
        assert_eq!(replaced_schemas(&restored), 1);
    }
    restored.restart();

    let lost = ledger.lost(&restored);
    assert!(
        lost.is_empty(),
        "{backend}: {} of {} acknowledged changes are missing from the restored database: {lost:?}",
        lost.len(),
        ledger.len()
    );
    let problems = bookkeeping_problems(&restored);
    assert!(problems.is_empty(), "{backend}: torn restore: {problems:?}");

    // The restored server serves what it holds, and takes new changes.
    let fresh = Device::new(&restored.url, "acme", "a");
    sync_until_done(&fresh, Duration::from_secs(30));
    let visit = visit_in_week_48(&co.account_a, 7, "after the restore");
    let id = fresh.create(&visit).expect("log a visit");
    sync_until_done(&fresh, Duration::from_secs(30));
    assert_eq!(
        restored.count(&format!("SELECT COUNT(*) FROM documents WHERE id = '{id}'")),
        1
    );
}

#[test]
fn a_file_that_is_not_a_rapport_backup_is_refused_and_changes_nothing() {
    let target = TestServer::start();
    if skip_without_pg_dump(&target) {
        return;
    }
    Company::setup(&target, "acme");
    let before = target.fingerprint();
    let dir = tempfile::tempdir().expect("temp dir");

    let junk = dir.path().join("junk.backup");
    std::fs::write(&junk, b"this is not a database").expect("write");
    let missing = dir.path().join("missing.backup");
    for file in [&junk, &missing] {
        let out = target.admin_cli(&["restore", "--from", path(file), "--force"]);
        assert!(!out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("not") || text(&out).contains("no backup file"),
            "a clear reason: {}",
            text(&out)
        );
        assert_eq!(target.fingerprint(), before);
    }
    if target.backend() == DbBackend::Sqlite {
        // A SQLite database, but not Rapport's.
        let other = dir.path().join("other.db");
        let created = Command::new("sqlite3")
            .arg(&other)
            .arg("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');")
            .status();
        if created.is_ok_and(|s| s.success()) {
            let out = target.admin_cli(&["restore", "--from", path(&other), "--force"]);
            assert!(!out.status.success());
            assert!(
                text(&out).contains("is not a Rapport database"),
                "{}",
                text(&out)
            );
            assert_eq!(target.fingerprint(), before);
        }
    }
}

/// A backup taken by an older Rapport (here: a database wound back to the first
/// migration) is restored as it is, and the server brings it up to date when it starts.
#[test]
fn a_backup_of_an_older_schema_is_migrated_on_the_next_start() {
    use rapport_migrations::{Migrator, MigratorTrait};
    let mut old = TestServer::start();
    if skip_without_pg_dump(&old) {
        return;
    }
    let current = old.count("SELECT COUNT(*) FROM seaql_migrations");
    assert!(current > 1, "more than one migration to wind back");
    old.kill();
    let url = old.database_url.clone();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let db = sea_orm::Database::connect(&url).await.expect("connect");
            Migrator::down(&db, None)
                .await
                .expect("wind the schema back");
            Migrator::up(&db, Some(1))
                .await
                .expect("the first migration");
        });
    assert_eq!(old.count("SELECT COUNT(*) FROM seaql_migrations"), 1);

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("old.backup");
    let backup = old.admin_cli(&["backup", "--to", path(&file)]);
    assert!(backup.status.success(), "{}", text(&backup));

    let mut restored = empty_target();
    let done = restored.admin_cli(&["restore", "--from", path(&file), "--force"]);
    assert!(done.status.success(), "{}", text(&done));
    let pending = current - 1;
    assert!(
        text(&done).contains(&format!("applies {pending} newer migrations")),
        "{}",
        text(&done)
    );
    assert_eq!(restored.count("SELECT COUNT(*) FROM seaql_migrations"), 1);
    restored.restart();
    assert_eq!(
        restored.count("SELECT COUNT(*) FROM seaql_migrations"),
        current,
        "the start applied every newer migration"
    );
    // The upgraded database serves a company end to end.
    let co = Company::setup(&restored, "acme");
    let device = Device::new(&restored.url, "acme", "a");
    let id = device
        .create(&visit_in_week_48(&co.account_a, 1, "after the upgrade"))
        .expect("log a visit");
    sync_until_done(&device, Duration::from_secs(30));
    assert_eq!(
        restored.count(&format!("SELECT COUNT(*) FROM documents WHERE id = '{id}'")),
        1
    );
}

/// A backup of a newer Rapport (here: a migration this server does not know) is refused by
/// `restore --force`, and the database it was to replace is left as it was. On PostgreSQL
/// this is found only after pg_restore has run, so the replaced schema must be put back.
#[test]
fn a_failed_forced_restore_leaves_the_database_in_place() {
    let newer = TestServer::start();
    if skip_without_pg_dump(&newer) {
        return;
    }
    Company::setup(&newer, "newer");
    let url = newer.database_url.clone();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            use sea_orm::ConnectionTrait;
            let db = sea_orm::Database::connect(&url).await.expect("connect");
            db.execute_unprepared(
                "INSERT INTO seaql_migrations (version, applied_at) \
                 VALUES ('m29991231_000000_from_a_newer_rapport', 0)",
            )
            .await
            .expect("a migration from the future");
        });
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("newer.backup");
    let backup = newer.admin_cli(&["backup", "--to", path(&file)]);
    assert!(backup.status.success(), "{}", text(&backup));

    let mut target = TestServer::start();
    Company::setup(&target, "acme");
    target.kill();
    let before = target.fingerprint();
    let out = target.admin_cli(&["restore", "--from", path(&file), "--force"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("newer Rapport"),
        "a clear reason: {}",
        text(&out)
    );
    assert_eq!(target.fingerprint(), before, "the database is as it was");
    if target.backend() == DbBackend::Postgres {
        assert!(text(&out).contains("back in place"), "{}", text(&out));
        assert_eq!(replaced_schemas(&target), 0, "nothing is left aside");
    }
    target.restart();
    assert_eq!(target.fingerprint(), before);
}

/// How many schemas `restore --force` moved aside on a PostgreSQL database.
fn replaced_schemas(server: &TestServer) -> i64 {
    server.count(
        "SELECT COUNT(*) FROM information_schema.schemata \
         WHERE schema_name LIKE 'rapport\\_replaced\\_%'",
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}
