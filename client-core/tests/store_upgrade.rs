//! A device store written by an earlier version of Rapport opens with this one: its schema
//! is migrated in place and nothing on it is lost (documents, unsynced changes, cursor,
//! session). The schema of version 1 is written out here as it shipped.

use automerge::ActorId;
use rapport_client_core::model::{self, Visit};
use rapport_client_core::store::{SCHEMA_VERSION, Store};

/// The device schema as version 1 created it.
const SCHEMA_V1: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
   id TEXT PRIMARY KEY,
   kind TEXT NOT NULL,
   account_id TEXT NOT NULL,
   data BLOB NOT NULL,
   occurred_ms INTEGER,
   title TEXT NOT NULL DEFAULT '',
   deleted INTEGER NOT NULL DEFAULT 0,
   valid INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX documents_by_account ON documents (account_id, kind, occurred_ms);
CREATE INDEX documents_by_kind ON documents (kind, occurred_ms);
CREATE TABLE outbox (
   seq INTEGER PRIMARY KEY AUTOINCREMENT,
   doc_id TEXT NOT NULL,
   kind TEXT NOT NULL,
   hash TEXT NOT NULL,
   change BLOB NOT NULL,
   rejected INTEGER NOT NULL DEFAULT 0,
   UNIQUE (doc_id, hash)
);
CREATE TABLE rejections (
   doc_id TEXT PRIMARY KEY,
   code TEXT NOT NULL,
   reason TEXT NOT NULL,
   at_ms INTEGER NOT NULL
);
PRAGMA user_version = 1;
";

#[test]
fn a_version_1_store_opens_and_keeps_everything() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("rapport.db");
    let account = model::new_id();
    let visit_id = model::new_id();
    // A visit as version 1 wrote it: no next step, no SPIN — fields that came later.
    let mut doc = model::new_document(ActorId::random());
    let v1_visit = Visit {
        account_id: account.clone(),
        occurred_at: model::LocalTime {
            utc_ms: 1_790_000_000_000,
            offset_min: 480,
        },
        logged_at: model::LocalTime {
            utc_ms: 1_790_000_000_000,
            offset_min: 480,
        },
        duration_min: 30,
        purpose: "first call".into(),
        ..Visit::default()
    };
    let mut changes = model::write_record(&mut doc, &v1_visit).expect("write");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(SCHEMA_V1).expect("v1 schema");
        conn.execute(
            "INSERT INTO documents (id, kind, account_id, data, occurred_ms, title)
             VALUES (?1, 'visit', ?2, ?3, 1790000000000, 'first call')",
            rusqlite::params![visit_id, account, doc.save()],
        )
        .expect("document");
        conn.execute(
            "INSERT INTO outbox (doc_id, kind, hash, change) VALUES (?1, 'visit', ?2, ?3)",
            rusqlite::params![
                visit_id,
                changes[0].hash().to_string(),
                changes[0].bytes().to_vec()
            ],
        )
        .expect("outbox");
        conn.execute("INSERT INTO meta (key, value) VALUES ('cursor', '17')", [])
            .expect("cursor");
    }

    let store = Store::open(&path).expect("a version 1 store opens");
    let version: i64 = rusqlite::Connection::open(&path)
        .expect("open")
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(store.cursor().expect("cursor"), 17);
    assert_eq!(store.status().expect("status").waiting, 1);
    let rows = store
        .list(model::DocKind::Visit, Some(&account))
        .expect("list");
    assert_eq!(rows.len(), 1);
    let (_, loaded) = store.load(&visit_id).expect("load").expect("present");
    let read: Visit = model::read_record(&loaded).expect("a version 1 visit still reads");
    assert_eq!(read, v1_visit);
    // The new index column is there and usable.
    assert!(
        store
            .due_between("2000-01-01", "2100-01-01")
            .expect("due")
            .is_empty()
    );
    // Opening again is a no-op.
    drop(store);
    Store::open(&path).expect("reopen");
}

#[test]
fn a_store_from_a_newer_version_is_refused_not_damaged() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("rapport.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .expect("future schema");
    }
    let err = Store::open(&path).expect_err("newer schema");
    assert!(err.to_string().contains("newer"), "{err}");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, 99, "left as it was");
}
