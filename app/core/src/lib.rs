//! Rapport's web app core: `rapport-client-core` compiled to wasm32 and exported to
//! JavaScript with wasm-bindgen.
//!
//! It runs in a dedicated Web Worker: the store is SQLite (rusqlite on sqlite-wasm-rs)
//! on the Origin Private File System through the "sync access handle pool" VFS
//! (`opfs-sahpool`), which needs the synchronous file handles only workers get.
//!
//! This is the foundation spike: open the store, take a session, create and list visits.
//! Sync is not here yet: `client-core`'s HTTP client (ureq) is native-only, and sync
//! comes once the core builds requests and applies responses as bytes (sans-IO), with
//! `fetch` on the JavaScript side (see docs/web-app.md).

#![forbid(unsafe_code)]

use std::path::Path;

use rapport_client_core::model::{self, LocalTime, Record, Visit};
use rapport_client_core::protocol::Session;
use rapport_client_core::store::{Store, StoreError, StoredSession};
use serde::{Deserialize, Serialize};
use sqlite_wasm_vfs::sahpool::{self, OpfsSAHPoolCfg, OpfsSAHPoolUtil};
use wasm_bindgen::prelude::*;

/// The store as the worker holds it: one SQLite connection on OPFS.
#[wasm_bindgen]
pub struct WebStore {
    store: Store,
    pool: Option<OpfsSAHPoolUtil>,
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn store_err(e: StoreError) -> JsError {
    js_err(e)
}

/// Installs the OPFS VFS (once per worker) as SQLite's default and opens (creating if
/// needed, migrating forward) the store file `name` in it.
///
/// Only in a dedicated worker: OPFS sync access handles do not exist on the main thread.
/// A second tab that opens the same store fails here (the pool's handles are exclusive).
#[wasm_bindgen]
pub async fn open_store(name: String) -> Result<WebStore, JsError> {
    let pool = sahpool::install::<sqlite_wasm_rs::WasmOsCallback>(&OpfsSAHPoolCfg::default(), true)
        .await
        .map_err(js_err)?;
    let store = Store::open(Path::new(&name)).map_err(store_err)?;
    Ok(WebStore {
        store,
        pool: Some(pool),
    })
}

/// An in-memory store (SQLite's memory VFS): for previews and tests, and on the main
/// thread where OPFS sync handles are not available.
#[wasm_bindgen]
pub fn open_store_in_memory() -> Result<WebStore, JsError> {
    Ok(WebStore {
        store: Store::open_in_memory().map_err(store_err)?,
        pool: None,
    })
}

/// A new record id (UUID v7, lower-case, hyphenated), as the core writes them.
#[wasm_bindgen]
pub fn new_id() -> String {
    model::new_id()
}

/// A visit as the app enters it (JSON in, from a form).
#[derive(Debug, Deserialize)]
struct NewVisit {
    account_id: String,
    /// When it started: Unix milliseconds, and the UTC offset in minutes where it happened.
    occurred_ms: i64,
    offset_min: i64,
    duration_min: i64,
    purpose: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    next_step: Option<String>,
    #[serde(default)]
    next_step_due: Option<String>,
}

/// A visit as lists show it (JSON out).
#[derive(Debug, Serialize)]
struct VisitItem {
    id: String,
    account_id: String,
    /// RFC 3339 with the offset of the place.
    occurred_at: Option<String>,
    logged_at: Option<String>,
    duration_min: i64,
    purpose: String,
    notes: String,
    next_step: Option<String>,
    next_step_due: Option<String>,
}

#[derive(Debug, Serialize)]
struct StatusOut {
    signed_in_as: Option<String>,
    waiting: u64,
    cursor: u64,
    rejected: Vec<(String, String)>,
    last_sync_ms: Option<i64>,
}

#[wasm_bindgen]
impl WebStore {
    /// Keeps the session the server returned from `POST /v1/auth/login` (its JSON body,
    /// fetched by the app): from then on records are written with the session's actor.
    pub fn save_session(
        &mut self,
        server_url: &str,
        company: &str,
        username: &str,
        session_json: &str,
    ) -> Result<(), JsError> {
        let session: Session = serde_json::from_str(session_json).map_err(js_err)?;
        self.store
            .save_session(&StoredSession {
                server_url: server_url.trim_end_matches('/').to_owned(),
                company: company.to_owned(),
                username: username.to_owned(),
                session,
            })
            .map_err(store_err)
    }

    /// Creates a visit offline (one SQLite transaction: the document, its index row and
    /// its changes in the outbox) and returns its id.
    pub fn create_visit(&mut self, visit_json: &str) -> Result<String, JsError> {
        let input: NewVisit = serde_json::from_str(visit_json).map_err(js_err)?;
        let now = chrono::Utc::now().timestamp_millis();
        let visit = Visit {
            account_id: input.account_id,
            occurred_at: LocalTime {
                utc_ms: input.occurred_ms,
                offset_min: input.offset_min,
            },
            logged_at: LocalTime {
                utc_ms: now,
                offset_min: input.offset_min,
            },
            duration_min: input.duration_min,
            purpose: input.purpose,
            notes: input.notes,
            next_step: input.next_step,
            next_step_due: input.next_step_due,
            ..Visit::default()
        };
        // The same steps as the native `Client::create` (api.rs), which is not built here.
        let actor = self
            .store
            .actor()
            .map_err(store_err)?
            .ok_or_else(|| JsError::new("not signed in: no session on this device"))?;
        let id = model::new_id();
        let mut doc = model::new_document(actor);
        let mut changes = model::write_record(&mut doc, &visit).map_err(js_err)?;
        self.store
            .commit_local(&id, Visit::KIND, &mut doc, &visit.to_any(), &mut changes)
            .map_err(store_err)?;
        Ok(id)
    }

    /// Live visits, optionally of one account, newest first, as a JSON array.
    pub fn list_visits(&self, account_id: Option<String>) -> Result<String, JsError> {
        let rows = self
            .store
            .list(Visit::KIND, account_id.as_deref())
            .map_err(store_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some((_, doc)) = self.store.load(&row.id).map_err(store_err)? else {
                continue;
            };
            let v: Visit = model::read_record(&doc).map_err(js_err)?;
            let rfc = |t: LocalTime| t.to_datetime().map(|d| d.to_rfc3339());
            out.push(VisitItem {
                id: row.id,
                account_id: v.account_id,
                occurred_at: rfc(v.occurred_at),
                logged_at: rfc(v.logged_at),
                duration_min: v.duration_min,
                purpose: v.purpose,
                notes: v.notes,
                next_step: v.next_step,
                next_step_due: v.next_step_due,
            });
        }
        serde_json::to_string(&out).map_err(js_err)
    }

    /// The status line (JSON): who is signed in, changes waiting for sync, the cursor.
    pub fn status(&self) -> Result<String, JsError> {
        let session = self.store.session().map_err(store_err)?;
        let st = self.store.status().map_err(store_err)?;
        serde_json::to_string(&StatusOut {
            signed_in_as: session.map(|s| format!("{}@{}", s.username, s.company)),
            waiting: st.waiting,
            cursor: st.cursor,
            rejected: st.rejected,
            last_sync_ms: st.last_sync_ms,
        })
        .map_err(js_err)
    }

    /// The store file's bytes (SQLite's own file format), for a backup or a support
    /// request; `None` for an in-memory store.
    pub fn export_db(&self, name: &str) -> Result<Option<Vec<u8>>, JsError> {
        match &self.pool {
            Some(pool) => Ok(Some(pool.export_db(name).map_err(js_err)?)),
            None => Ok(None),
        }
    }

    /// The files the OPFS pool holds (the store, and a journal while one is open), as a
    /// JSON array; empty for an in-memory store.
    pub fn opfs_files(&self) -> Result<String, JsError> {
        let files = self.pool.as_ref().map(|p| p.list()).unwrap_or_default();
        serde_json::to_string(&files).map_err(js_err)
    }
}
