//! The device's durable store: one SQLite file.
//!
//! It holds every document the device knows (saved Automerge bytes), an outbox of local
//! changes the server has not acknowledged, the sync cursor, the signed-in session and an
//! index (kind, account, time, title) so lists and timelines never load every document.
//! Every user action is one SQLite transaction in `synchronous=FULL` WAL mode: when a call
//! returns, the action survives a killed app or a dead battery.

use std::path::Path;

use automerge::{ActorId, AutoCommit};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::model::{self, AnyRecord, DocKind, Rules};
use crate::protocol::{
    self, Outcome, PulledDoc, PushDoc, Removal, RulesUpdate, Session, SyncResponse,
};

/// The schema version this code writes. Older stores are migrated forward on open.
pub const SCHEMA_VERSION: i64 = 3;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("device database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the device database was written by a newer Rapport (schema {0})")]
    TooNew(i64),
    #[error("stored document {id} is corrupt: {detail}")]
    Corrupt { id: String, detail: String },
}

/// The signed-in identity as the device keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    pub server_url: String,
    pub company: String,
    pub username: String,
    pub session: Session,
}

/// One row of the index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub id: String,
    pub kind: DocKind,
    pub account_id: String,
    pub occurred_ms: Option<i64>,
    pub title: String,
}

/// What a sync round trip pushes, with what is needed to acknowledge it afterwards.
#[derive(Debug, Default)]
pub struct PushBatch {
    pub docs: Vec<PushDoc>,
    /// (doc id, change hash) of every change sent.
    pub sent: Vec<(String, String)>,
    /// Changes still waiting after this batch (it was cut to fit a request).
    pub left_over: bool,
}

/// Counts for the app's status line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreStatus {
    /// Local changes the server has not acknowledged.
    pub waiting: u64,
    /// Documents the server rejected, with the reason, until they are edited again.
    pub rejected: Vec<(String, String)>,
    pub cursor: u64,
    pub last_sync_ms: Option<i64>,
    /// Account teams this user was taken off (until put back on), oldest first.
    pub removals: Vec<TeamRemoval>,
}

/// A record the server refused, with what the index knows of it (kind and title; none
/// when the document is not on the device any more).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub doc_id: String,
    pub kind: Option<DocKind>,
    pub title: Option<String>,
    /// The server's error code (`forbidden`, `invalid`, …).
    pub code: String,
    pub reason: String,
    pub at_ms: i64,
}

/// The user was taken off an account's team: the account's records they did not author
/// left this device, and new records on it are no longer accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRemoval {
    pub account_id: String,
    pub account_name: String,
    /// When, Unix milliseconds.
    pub removed_at_ms: i64,
}

/// Result of applying one sync response.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Applied {
    pub accepted: u64,
    pub rejected: u64,
    pub received: u64,
    /// What changed on the device: each document received (kind, id), and each account
    /// whose records left it (`account`, the account's id).
    pub changed: Vec<(DocKind, String)>,
}

pub struct Store {
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

const MIGRATIONS: &[&str] = &[
    // Version 1.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
     );",
    // Version 2: the due date of a record (a visit's next step) in the index.
    "ALTER TABLE documents ADD COLUMN due_on TEXT;
     CREATE INDEX documents_due ON documents (due_on) WHERE due_on IS NOT NULL;",
    // Version 3: account teams the user was taken off, to say why their records left.
    "CREATE TABLE removals (
        account_id TEXT PRIMARY KEY,
        account_name TEXT NOT NULL,
        removed_at_ms INTEGER NOT NULL
     );",
];

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        migrate(&mut conn)?;
        Ok(Store { conn })
    }

    /// An in-memory store, for tests and previews.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn)?;
        Ok(Store { conn })
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn session(&self) -> Result<Option<StoredSession>, StoreError> {
        let Some(raw) = self.meta("session")? else {
            return Ok(None);
        };
        let v: serde_json::Value = serde_json::from_str(&raw).map_err(|e| StoreError::Corrupt {
            id: "session".into(),
            detail: e.to_string(),
        })?;
        let corrupt = |what: &str| StoreError::Corrupt {
            id: "session".into(),
            detail: format!("missing {what}"),
        };
        let text = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .map(str::to_owned)
                .ok_or_else(|| corrupt(k))
        };
        let session: Session = v
            .get("session")
            .cloned()
            .and_then(|s| serde_json::from_value(s).ok())
            .ok_or_else(|| corrupt("session"))?;
        Ok(Some(StoredSession {
            server_url: text("server_url")?,
            company: text("company")?,
            username: text("username")?,
            session,
        }))
    }

    /// Saves a new session. Signing in as someone else on a device that holds another
    /// user's data is refused by the caller before this is reached.
    pub fn save_session(&mut self, s: &StoredSession) -> Result<(), StoreError> {
        let v = serde_json::json!({
            "server_url": s.server_url,
            "company": s.company,
            "username": s.username,
            "session": s.session,
        });
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('session', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [v.to_string()],
        )?;
        Ok(())
    }

    /// Forgets the tokens but keeps every document and the outbox: signing in again as the
    /// same user picks up where this left off.
    pub fn clear_tokens(&mut self) -> Result<(), StoreError> {
        if let Some(mut s) = self.session()? {
            s.session.access_token.clear();
            s.session.refresh_token.clear();
            s.session.access_expires_at = 0;
            self.save_session(&s)?;
        }
        Ok(())
    }

    pub fn actor(&self) -> Result<Option<ActorId>, StoreError> {
        let Some(s) = self.session()? else {
            return Ok(None);
        };
        let actor =
            ActorId::try_from(s.session.actor_id.as_str()).map_err(|_| StoreError::Corrupt {
                id: "session".into(),
                detail: "actor id is not hex".into(),
            })?;
        Ok(Some(actor))
    }

    /// The company's rules as last received (the defaults before the first sync), and
    /// their version (0 before the first sync).
    pub fn rules(&self) -> Result<(u64, Rules), StoreError> {
        Ok(match self.meta("rules")? {
            Some(json) => {
                let update: RulesUpdate =
                    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                        id: "rules".into(),
                        detail: e.to_string(),
                    })?;
                (update.version, update.rules)
            }
            None => (0, Rules::default()),
        })
    }

    pub fn cursor(&self) -> Result<u64, StoreError> {
        Ok(self
            .meta("cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// Loads a document with the device's actor set, so edits are attributed to it.
    pub fn load(&self, id: &str) -> Result<Option<(DocKind, AutoCommit)>, StoreError> {
        let row: Option<(String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT kind, data FROM documents WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((kind, data)) = row else {
            return Ok(None);
        };
        let kind = DocKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
            id: id.into(),
            detail: format!("unknown kind {kind}"),
        })?;
        let doc = model::load_document(&data, self.actor()?).map_err(|e| StoreError::Corrupt {
            id: id.into(),
            detail: e.to_string(),
        })?;
        Ok(Some((kind, doc)))
    }

    /// Commits a local edit in one transaction: the document, its index row and the new
    /// changes in the outbox.
    pub fn commit_local(
        &mut self,
        id: &str,
        kind: DocKind,
        doc: &mut AutoCommit,
        record: &AnyRecord,
        changes: &mut [automerge::Change],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        put_document(&tx, id, kind, doc, Some(record))?;
        for change in changes.iter_mut() {
            tx.execute(
                "INSERT OR IGNORE INTO outbox (doc_id, kind, hash, change) VALUES (?1, ?2, ?3, ?4)",
                params![
                    id,
                    kind.as_str(),
                    change.hash().to_string(),
                    change.bytes().as_ref()
                ],
            )?;
        }
        // An edit of a rejected document is a new attempt: send it all again.
        tx.execute("UPDATE outbox SET rejected = 0 WHERE doc_id = ?1", [id])?;
        tx.execute("DELETE FROM rejections WHERE doc_id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// The index rows of one kind, optionally of one account, newest first, without
    /// tombstoned records.
    pub fn list(&self, kind: DocKind, account: Option<&str>) -> Result<Vec<IndexRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, account_id, occurred_ms, title FROM documents
             WHERE kind = ?1 AND (?2 IS NULL OR account_id = ?2) AND deleted = 0 AND valid = 1
             ORDER BY occurred_ms DESC, title, id",
        )?;
        let rows = stmt.query_map(params![kind.as_str(), account], index_row)?;
        collect_rows(rows)
    }

    /// Every live record of an account, newest first (records without a time last).
    pub fn timeline(&self, account: &str) -> Result<Vec<IndexRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, account_id, occurred_ms, title FROM documents
             WHERE account_id = ?1 AND kind <> 'account' AND deleted = 0 AND valid = 1
             ORDER BY occurred_ms IS NULL, occurred_ms DESC, id",
        )?;
        let rows = stmt.query_map([account], index_row)?;
        collect_rows(rows)
    }

    /// The latest visit per account, from the index: (account id, visit id).
    pub fn last_visits(&self) -> Result<Vec<(String, String)>, StoreError> {
        // SQLite takes the bare `id` from the row that holds the maximum.
        let mut stmt = self.conn.prepare_cached(
            "SELECT account_id, id, MAX(occurred_ms) FROM documents
             WHERE kind = 'visit' AND deleted = 0 AND valid = 1 AND occurred_ms IS NOT NULL
             GROUP BY account_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        collect_rows(rows)
    }

    /// Records with a due date from `from` to `to` (inclusive, `YYYY-MM-DD`).
    pub fn due_between(&self, from: &str, to: &str) -> Result<Vec<(IndexRow, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, account_id, occurred_ms, title, due_on FROM documents
             WHERE due_on >= ?1 AND due_on <= ?2 AND deleted = 0 AND valid = 1
             ORDER BY due_on, id",
        )?;
        let rows = stmt.query_map(params![from, to], |r| Ok((index_row(r)?, r.get(5)?)))?;
        collect_rows(rows)
    }

    /// The saved bytes of every document, for comparing replicas.
    pub fn document_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id FROM documents ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        collect_rows(rows)
    }

    /// Collects what to push: every document with changes not yet acknowledged (and not
    /// waiting on a rejection), cut to about `max_bytes` of change data.
    pub fn pending_push(&self, max_bytes: usize) -> Result<PushBatch, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT doc_id, kind, hash, change FROM outbox
             WHERE doc_id IN (SELECT doc_id FROM outbox WHERE rejected = 0)
             ORDER BY doc_id, seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut batch = PushBatch::default();
        let mut bytes = 0usize;
        while let Some(r) = rows.next()? {
            let doc_id: String = r.get(0)?;
            let kind: String = r.get(1)?;
            let hash: String = r.get(2)?;
            let change: Vec<u8> = r.get(3)?;
            let new_doc = batch.docs.last().is_none_or(|d| d.doc_id != doc_id);
            // Cut only between documents: a document's changes travel together.
            if new_doc && bytes > 0 && bytes + change.len() > max_bytes {
                batch.left_over = true;
                break;
            }
            if new_doc {
                batch.docs.push(PushDoc {
                    doc_id: doc_id.clone(),
                    kind,
                    changes: Vec::new(),
                });
            }
            bytes += change.len();
            batch.sent.push((doc_id, hash));
            if let Some(d) = batch.docs.last_mut() {
                d.changes.push(protocol::Change(change));
            }
        }
        Ok(batch)
    }

    /// Applies one sync response in one transaction: acknowledged changes leave the outbox,
    /// rejections are recorded, pulled documents are merged and indexed, and the cursor
    /// moves. If this fails nothing changes, and the next sync repeats the round trip.
    pub fn apply_sync(
        &mut self,
        batch: &PushBatch,
        resp: &SyncResponse,
    ) -> Result<Applied, StoreError> {
        let actor = self.actor()?;
        let tx = self.conn.transaction()?;
        let mut applied = Applied::default();
        for result in &resp.results {
            let sent = batch.sent.iter().filter(|(d, _)| *d == result.doc_id);
            match &result.outcome {
                Outcome::Accepted => {
                    applied.accepted += 1;
                    for (doc_id, hash) in sent {
                        tx.execute(
                            "DELETE FROM outbox WHERE doc_id = ?1 AND hash = ?2",
                            params![doc_id, hash],
                        )?;
                    }
                    tx.execute("DELETE FROM rejections WHERE doc_id = ?1", [&result.doc_id])?;
                }
                Outcome::Rejected { code, reason } => {
                    applied.rejected += 1;
                    for (doc_id, hash) in sent {
                        tx.execute(
                            "UPDATE outbox SET rejected = 1 WHERE doc_id = ?1 AND hash = ?2",
                            params![doc_id, hash],
                        )?;
                    }
                    tx.execute(
                        "INSERT INTO rejections (doc_id, code, reason, at_ms) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (doc_id) DO UPDATE SET code = excluded.code,
                           reason = excluded.reason, at_ms = excluded.at_ms",
                        params![result.doc_id, code, reason, now_ms()],
                    )?;
                }
            }
        }
        for pulled in &resp.docs {
            merge_pulled(&tx, pulled, actor.clone())?;
            // The account itself arrives only to its team: put back on it.
            tx.execute(
                "DELETE FROM removals WHERE account_id = ?1",
                [&pulled.doc_id],
            )?;
            applied.received += 1;
            if let Some(kind) = DocKind::parse(&pulled.kind) {
                applied.changed.push((kind, pulled.doc_id.clone()));
            }
        }
        for removal in &resp.removals {
            apply_removal(&tx, removal)?;
            applied
                .changed
                .push((DocKind::Account, removal.account_id.clone()));
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('cursor', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [resp.cursor.to_string()],
        )?;
        if let Some(update) = &resp.rules {
            let json = serde_json::to_string(update).map_err(|e| StoreError::Corrupt {
                id: "rules".into(),
                detail: e.to_string(),
            })?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('rules', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [json],
            )?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('last_sync_ms', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [now_ms().to_string()],
        )?;
        tx.commit()?;
        Ok(applied)
    }

    /// The records the server refused (until they are edited again), oldest first.
    pub fn rejections(&self) -> Result<Vec<Rejection>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.doc_id, d.kind, d.title, r.code, r.reason, r.at_ms
             FROM rejections r LEFT JOIN documents d ON d.id = r.doc_id
             ORDER BY r.at_ms, r.doc_id",
        )?;
        let rows = stmt.query_map([], |r| {
            let kind: Option<String> = r.get(1)?;
            Ok(Rejection {
                doc_id: r.get(0)?,
                kind: kind.as_deref().and_then(DocKind::parse),
                title: r.get(2)?,
                code: r.get(3)?,
                reason: r.get(4)?,
                at_ms: r.get(5)?,
            })
        })?;
        collect_rows(rows)
    }

    /// A value an app keeps in the store beside its data (the `meta` table, under
    /// `app.<key>`: apart from the session, cursor and rules): the web app keeps its last
    /// scorecard there, to show offline.
    pub fn app_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.meta(&format!("app.{key}"))
    }

    /// Sets [`Store::app_value`] (one statement: its own transaction).
    pub fn set_app_value(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![format!("app.{key}"), value],
        )?;
        Ok(())
    }

    pub fn status(&self) -> Result<StoreStatus, StoreError> {
        let waiting: i64 =
            self.conn
                .query_row("SELECT COUNT(*) FROM outbox WHERE rejected = 0", [], |r| {
                    r.get(0)
                })?;
        let mut stmt = self
            .conn
            .prepare("SELECT doc_id, reason FROM rejections ORDER BY at_ms")?;
        let rejected = collect_rows(stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?)?;
        let mut stmt = self.conn.prepare(
            "SELECT account_id, account_name, removed_at_ms FROM removals
             ORDER BY removed_at_ms, account_id",
        )?;
        let removals = collect_rows(stmt.query_map([], |r| {
            Ok(TeamRemoval {
                account_id: r.get(0)?,
                account_name: r.get(1)?,
                removed_at_ms: r.get(2)?,
            })
        })?)?;
        Ok(StoreStatus {
            waiting: u64::try_from(waiting).unwrap_or(0),
            rejected,
            removals,
            cursor: self.cursor()?,
            last_sync_ms: self.meta("last_sync_ms")?.and_then(|v| v.parse().ok()),
        })
    }
}

impl TeamRemoval {
    /// The day of the removal, `YYYY-MM-DD` in `time_zone` (the company's, an IANA name;
    /// UTC when unknown).
    pub fn day(&self, time_zone: Option<&str>) -> Option<String> {
        let zone = time_zone
            .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
            .unwrap_or(chrono_tz::UTC);
        chrono::DateTime::from_timestamp_millis(self.removed_at_ms)
            .map(|t| t.with_timezone(&zone).format("%Y-%m-%d").to_string())
    }

    /// "removed from Haorun Foods's team on 2026-12-06".
    pub fn message(&self, time_zone: Option<&str>) -> String {
        match self.day(time_zone) {
            Some(day) => format!("removed from {}'s team on {day}", self.account_name),
            None => format!("removed from {}'s team", self.account_name),
        }
    }
}

/// The user was taken off an account's team: remembers it (for the status), and removes
/// the account's documents but those the user authored and those with local work still
/// waiting or rejected (this device's own, which the server may not have yet).
fn apply_removal(tx: &Transaction<'_>, removal: &Removal) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO removals (account_id, account_name, removed_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (account_id) DO UPDATE SET account_name = excluded.account_name,
           removed_at_ms = excluded.removed_at_ms",
        params![
            removal.account_id,
            removal.account_name,
            removal.removed_at_ms
        ],
    )?;
    let mut stmt = tx.prepare_cached(
        "SELECT id FROM documents
         WHERE (account_id = ?1 OR id = ?1)
           AND id NOT IN (SELECT doc_id FROM outbox)",
    )?;
    let ids: Vec<String> = collect_rows(stmt.query_map([&removal.account_id], |r| r.get(0))?)?;
    for id in ids {
        if !removal.authored.contains(&id) {
            tx.execute("DELETE FROM documents WHERE id = ?1", [&id])?;
        }
    }
    Ok(())
}

fn index_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IndexRow> {
    let kind: String = r.get(1)?;
    // The index only holds kinds this code wrote (`merge_pulled` refuses a kind it does
    // not know), so a kind that does not parse is a damaged store, not a record to list.
    let kind = DocKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("unknown record kind {kind}").into(),
        )
    })?;
    Ok(IndexRow {
        id: r.get(0)?,
        kind,
        account_id: r.get(2)?,
        occurred_ms: r.get(3)?,
        title: r.get(4)?,
    })
}

fn collect_rows<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> Result<Vec<T>, StoreError> {
    Ok(rows.collect::<Result<Vec<T>, _>>()?)
}

/// Writes a document and its index row. `record` is `None` when the document does not
/// (yet) read as a valid record, e.g. while it waits for a change it depends on: it is
/// kept, but stays out of lists until it does.
fn put_document(
    tx: &Transaction<'_>,
    id: &str,
    kind: DocKind,
    doc: &mut AutoCommit,
    record: Option<&AnyRecord>,
) -> Result<(), StoreError> {
    let data = doc.save();
    let (account_id, occurred, title, deleted, valid, due) = match record {
        Some(r) => (
            r.account_id(id).to_owned(),
            r.occurred_ms(),
            r.title(),
            r.is_deleted(),
            true,
            due_on(r),
        ),
        None => (String::new(), None, String::new(), false, false, None),
    };
    tx.execute(
        "INSERT INTO documents
           (id, kind, account_id, data, occurred_ms, title, deleted, valid, due_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, account_id = excluded.account_id,
           occurred_ms = excluded.occurred_ms, title = excluded.title,
           deleted = excluded.deleted, valid = excluded.valid, due_on = excluded.due_on",
        params![
            id,
            kind.as_str(),
            account_id,
            data,
            occurred,
            title,
            deleted,
            valid,
            due
        ],
    )?;
    Ok(())
}

/// The date a record asks something of the rep by: a visit's next step.
fn due_on(record: &AnyRecord) -> Option<String> {
    match record {
        AnyRecord::Visit(v) if v.next_step.is_some() => v.next_step_due.clone(),
        _ => None,
    }
}

fn merge_pulled(
    tx: &Transaction<'_>,
    pulled: &PulledDoc,
    actor: Option<ActorId>,
) -> Result<(), StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        id: pulled.doc_id.clone(),
        detail,
    };
    let kind = DocKind::parse(&pulled.kind)
        .ok_or_else(|| corrupt(format!("the server sent an unknown kind {}", pulled.kind)))?;
    let existing: Option<Vec<u8>> = tx
        .query_row(
            "SELECT data FROM documents WHERE id = ?1",
            [&pulled.doc_id],
            |r| r.get(0),
        )
        .optional()?;
    let mut doc = match existing {
        Some(data) => model::load_document(&data, actor).map_err(|e| corrupt(e.to_string()))?,
        None => AutoCommit::new(),
    };
    // Strict parsing: `load_incremental` would skip a corrupt tail silently, and the
    // cursor would then move past data this device never merged.
    if let Some(snapshot) = &pulled.snapshot {
        let mut other =
            model::load_document(&snapshot.0, None).map_err(|e| corrupt(e.to_string()))?;
        doc.merge(&mut other).map_err(|e| corrupt(e.to_string()))?;
    }
    let changes = pulled
        .changes
        .iter()
        .map(|c| model::parse_change(&c.0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(corrupt)?;
    crate::verify::refuse_unknown_actors(&mut doc, &changes).map_err(corrupt)?;
    doc.apply_changes(changes)
        .map_err(|e| corrupt(e.to_string()))?;
    // A change whose dependencies are missing would wait in memory only: saving drops it,
    // and the cursor would move past it. Refuse the whole response instead.
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(corrupt(
            "the server sent changes without the changes they depend on".into(),
        ));
    }
    let record = AnyRecord::read(kind, &doc).ok();
    put_document(tx, &pulled.doc_id, kind, &mut doc, record.as_ref())
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let target = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if version > target {
        return Err(StoreError::TooNew(version));
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    debug_assert_eq!(target, SCHEMA_VERSION);
    Ok(())
}
