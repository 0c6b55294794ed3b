//! Rapport's web app core: `rapport-client-core` compiled to wasm32 and exported to
//! JavaScript with wasm-bindgen.
//!
//! It runs in a dedicated Web Worker: the store is SQLite (rusqlite on sqlite-wasm-rs)
//! on the Origin Private File System through the "sync access handle pool" VFS
//! (`opfs-sahpool`), which needs the synchronous file handles only workers get.
//!
//! It opens the store, signs in, creates and lists visits, and syncs. Sign-in and sync are
//! client-core's sans-IO core (`rapport_client_core::sync`): this crate hands the worker
//! each request as a plain object (method, url, headers, body bytes), the worker sends it
//! with `fetch` and hands the answer back (status, content type, body bytes). The same
//! core runs natively behind ureq (see docs/web-app.md).

#![forbid(unsafe_code)]

use std::path::Path;

use rapport_client_core::{Local, SyncReport};
use rapport_client_core::model::{self, LocalTime, Visit};
use rapport_client_core::protocol::Session;
use rapport_client_core::store::{Store, StoreError, StoredSession};
use rapport_client_core::sync::{self, HttpRequest, HttpResponse, PendingLogin, SyncRun};
use serde::{Deserialize, Serialize};
use sqlite_wasm_vfs::sahpool::{self, OpfsSAHPoolCfg, OpfsSAHPoolUtil};
use wasm_bindgen::prelude::*;

/// The store as the worker holds it: one SQLite connection on OPFS, and the sign-in or
/// sync in progress, if any (one at a time: the worker awaits each `fetch`).
#[wasm_bindgen]
pub struct WebStore {
    local: Local,
    pool: Option<OpfsSAHPoolUtil>,
    login: Option<PendingLogin>,
    run: Option<SyncRun>,
    /// The report of the last sync that ended.
    last: SyncReport,
}

impl WebStore {
    fn new(store: Store, pool: Option<OpfsSAHPoolUtil>) -> WebStore {
        WebStore {
            local: Local::new(store),
            pool,
            login: None,
            run: None,
            last: SyncReport::default(),
        }
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A request for the worker's `fetch`: `{method, url, headers, body}` (`body` a
/// `Uint8Array`, or `null` for a GET).
fn request_to_js(req: &HttpRequest) -> Result<JsValue, JsError> {
    let set = |o: &js_sys::Object, k: &str, v: &JsValue| {
        js_sys::Reflect::set(o, &JsValue::from_str(k), v)
            .map(|_| ())
            .map_err(|_| JsError::new("cannot build the request object"))
    };
    let headers = js_sys::Object::new();
    if let Some(ct) = req.content_type {
        set(&headers, "Content-Type", &JsValue::from_str(ct))?;
    }
    if let Some(token) = &req.bearer {
        set(&headers, "Authorization", &JsValue::from_str(&format!("Bearer {token}")))?;
    }
    let out = js_sys::Object::new();
    set(&out, "method", &JsValue::from_str(req.method.as_str()))?;
    set(&out, "url", &JsValue::from_str(&req.url()))?;
    set(&out, "headers", &headers)?;
    let body = match req.method {
        sync::Method::Get => JsValue::NULL,
        sync::Method::Post => js_sys::Uint8Array::from(&req.body[..]).into(),
    };
    set(&out, "body", &body)?;
    Ok(out.into())
}

fn response(status: u16, content_type: Option<String>, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status,
        content_type,
        body,
    }
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
    Ok(WebStore::new(store, Some(pool)))
}

/// An in-memory store (SQLite's memory VFS): for previews and tests, and on the main
/// thread where OPFS sync handles are not available.
#[wasm_bindgen]
pub fn open_store_in_memory() -> Result<WebStore, JsError> {
    Ok(WebStore::new(Store::open_in_memory().map_err(store_err)?, None))
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
    /// False once the server ended the session (the tokens are gone; the data stays).
    has_tokens: bool,
    server_url: Option<String>,
    /// Local changes not yet acknowledged by the server.
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
        self.local
            .store()
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
        self.local.create(&visit).map_err(js_err)
    }

    /// Live visits, optionally of one account, newest first, as a JSON array.
    pub fn list_visits(&self, account_id: Option<String>) -> Result<String, JsError> {
        let items = self
            .local
            .list::<Visit>(account_id.as_deref())
            .map_err(js_err)?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let v = item.record;
            let rfc = |t: LocalTime| t.to_datetime().map(|d| d.to_rfc3339());
            out.push(VisitItem {
                id: item.id,
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

    /// Live accounts (those of the user's account teams, after a sync) as a JSON array of
    /// `{id, name}`.
    pub fn list_accounts(&self) -> Result<String, JsError> {
        let items = self.local.list::<model::Account>(None).map_err(js_err)?;
        let out: Vec<_> = items
            .into_iter()
            .map(|i| serde_json::json!({"id": i.id, "name": i.record.name}))
            .collect();
        serde_json::to_string(&out).map_err(js_err)
    }

    /// The status line (JSON): who is signed in, changes waiting for sync, the cursor.
    pub fn status(&self) -> Result<String, JsError> {
        let session = self.local.session().map_err(js_err)?;
        let st = self.local.status().map_err(js_err)?.store;
        serde_json::to_string(&StatusOut {
            signed_in_as: session
                .as_ref()
                .map(|s| format!("{}@{}", s.username, s.company)),
            has_tokens: session
                .as_ref()
                .is_some_and(|s| !s.session.refresh_token.is_empty()),
            server_url: session.map(|s| s.server_url),
            waiting: st.waiting,
            cursor: st.cursor,
            rejected: st.rejected,
            last_sync_ms: st.last_sync_ms,
        })
        .map_err(js_err)
    }

    /// Starts signing in: the `POST /v1/auth/login` request for the worker to `fetch`.
    /// The same user signing in again keeps the device's identity; another user is refused
    /// while the device holds data.
    pub fn login_begin(
        &mut self,
        server_url: &str,
        company: &str,
        username: &str,
        password: &str,
        device_name: &str,
    ) -> Result<JsValue, JsError> {
        let (req, pending) = sync::login_request(
            &self.local.store(),
            server_url,
            company,
            username,
            password,
            device_name,
        )
        .map_err(js_err)?;
        self.login = Some(pending);
        request_to_js(&req)
    }

    /// Finishes signing in with the login answer: saves the session and returns it (JSON).
    /// A wrong password throws ("signed out by the server …").
    pub fn login_finish(
        &mut self,
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Result<String, JsError> {
        let pending = self
            .login
            .take()
            .ok_or_else(|| JsError::new("no sign-in in progress: call login_begin first"))?;
        let session = sync::finish_login(
            &mut self.local.store(),
            pending,
            &response(status, content_type, body),
        )
        .map_err(js_err)?;
        serde_json::to_string(&session).map_err(js_err)
    }

    /// The next sync request for the worker to `fetch` (`{method, url, headers, body}`),
    /// or `null` when the sync is done. Drive it as
    /// `while ((req = sync_begin()) !== null) { …fetch…; sync_finish(…) }`; a token
    /// refresh, when due, is one of these requests. Throws when not signed in.
    pub fn sync_begin(&mut self) -> Result<JsValue, JsError> {
        let run = self.run.get_or_insert_with(SyncRun::new);
        match run.begin_round(&self.local.store(), now_secs()) {
            Ok(Some(req)) => request_to_js(&req),
            Ok(None) => {
                self.last = run.report().clone();
                self.run = None;
                Ok(JsValue::NULL)
            }
            Err(e) => {
                self.run = None;
                Err(js_err(e))
            }
        }
    }

    /// Applies the answer to the request `sync_begin` gave (in one store transaction) and
    /// says whether another round is needed. Throws on a refusal or an unreadable answer
    /// (nothing of that answer is applied; the sync is over and the next one continues
    /// from the cursor).
    pub fn sync_finish(
        &mut self,
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Result<bool, JsError> {
        let run = self
            .run
            .as_mut()
            .ok_or_else(|| JsError::new("no sync in progress: call sync_begin first"))?;
        let resp = response(status, content_type, body);
        match run.finish_round(&mut self.local.store(), resp) {
            Ok(more) => Ok(more),
            Err(e) => {
                self.run = None;
                Err(js_err(e))
            }
        }
    }

    /// The request could not be sent (`fetch` threw: offline): ends the sync. What earlier
    /// rounds did is kept.
    pub fn sync_abort(&mut self) {
        self.run = None;
    }

    /// What the sync in progress (or the last one, until the next `sync_begin`) did so
    /// far, as JSON: `{round_trips, accepted, rejected, received, waiting}`.
    pub fn sync_report(&self) -> Result<String, JsError> {
        let r = self.run.as_ref().map_or(&self.last, |r| r.report());
        let waiting = self.local.status().map_err(js_err)?.store.waiting;
        serde_json::to_string(&serde_json::json!({
            "round_trips": r.round_trips,
            "accepted": r.accepted,
            "rejected": r.rejected,
            "received": r.received,
            "waiting": waiting,
        }))
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
