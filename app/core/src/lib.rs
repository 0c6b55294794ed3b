//! Rapport's web app core: `rapport-client-core` compiled to wasm32 and exported to
//! JavaScript with wasm-bindgen.
//!
//! It runs in a dedicated Web Worker: the store is SQLite (rusqlite on sqlite-wasm-rs)
//! on the Origin Private File System through the "sync access handle pool" VFS
//! (`opfs-sahpool`), which needs the synchronous file handles only workers get.
//!
//! It opens the store, keeps records of every kind with the model's judgements (`ops`:
//! the worker's API, JSON in and out), signs in, syncs and fetches the rep's scorecard.
//! Sign-in, sync and the scorecard are
//! client-core's sans-IO core (`rapport_client_core::sync`): this crate hands the worker
//! each request as a plain object (method, url, headers, body bytes), the worker sends it
//! with `fetch` and hands the answer back (status, content type, body bytes). The same
//! core runs natively behind ureq (see docs/web-app.md).

#![forbid(unsafe_code)]

pub mod ops;
#[cfg(test)]
mod tests;

use std::path::Path;

use ops::{WebError, WebResult};
use rapport_client_core::model;
use rapport_client_core::protocol::Session;
use rapport_client_core::store::{Store, StoreError, StoredSession};
use rapport_client_core::sync::{self, Authed, HttpRequest, HttpResponse, PendingLogin, SyncRun};
use rapport_client_core::{Error, Local, SyncReport};
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
    /// The scorecard fetch in progress: its token rules and the period asked for.
    report: Option<(Authed, Option<String>)>,
}

impl WebStore {
    fn new(store: Store, pool: Option<OpfsSAHPoolUtil>) -> WebStore {
        WebStore {
            local: Local::new(store),
            pool,
            login: None,
            run: None,
            last: SyncReport::default(),
            report: None,
        }
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A request for the worker's `fetch`: `{method, url, headers, body}` (`body` a
/// `Uint8Array`, or `null` for a GET).
fn request_to_js(req: &HttpRequest) -> Result<JsValue, JsValue> {
    let set = |o: &js_sys::Object, k: &str, v: &JsValue| {
        js_sys::Reflect::set(o, &JsValue::from_str(k), v)
            .map(|_| ())
            .map_err(|_| js_err("cannot build the request object"))
    };
    let headers = js_sys::Object::new();
    if let Some(ct) = req.content_type {
        set(&headers, "Content-Type", &JsValue::from_str(ct))?;
    }
    if let Some(token) = &req.bearer {
        set(
            &headers,
            "Authorization",
            &JsValue::from_str(&format!("Bearer {token}")),
        )?;
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

/// An error for the worker: a JS `Error` with `kind` (see [`ops::WebError`]) and, for
/// invalid input, `field`.
fn js_error(e: WebError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    let _ = js_sys::Reflect::set(&err, &"kind".into(), &e.kind.into());
    if let Some(field) = &e.field {
        let _ = js_sys::Reflect::set(&err, &"field".into(), &field.into());
    }
    err.into()
}

/// client-core's errors, through the one mapping ([`ops::WebError`]'s `From`).
fn web_err(e: Error) -> JsValue {
    js_error(e.into())
}

fn store_err(e: StoreError) -> JsValue {
    web_err(e.into())
}

fn storage(e: impl std::fmt::Display) -> WebError {
    WebError {
        kind: "storage",
        message: e.to_string(),
        field: None,
    }
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    js_error(storage(e))
}

fn json_out(r: WebResult<serde_json::Value>) -> Result<String, JsValue> {
    r.map(|v| v.to_string()).map_err(js_error)
}

/// The error a request that got no answer gives (the worker's `fetch` threw): kind
/// `offline`, made by client-core's [`sync::transport_error`] and the one mapping.
#[wasm_bindgen]
pub fn transport_error(message: &str) -> JsValue {
    web_err(sync::transport_error(message))
}

/// Installs the OPFS VFS (once per worker) as SQLite's default and opens (creating if
/// needed, migrating forward) the store file `name` in it.
///
/// Only in a dedicated worker: OPFS sync access handles do not exist on the main thread.
/// A second tab that opens the same store fails here (the pool's handles are exclusive).
#[wasm_bindgen]
pub async fn open_store(name: String) -> Result<WebStore, JsValue> {
    let pool = sahpool::install::<sqlite_wasm_rs::WasmOsCallback>(&OpfsSAHPoolCfg::default(), true)
        .await
        .map_err(js_err)?;
    let store = Store::open(Path::new(&name)).map_err(store_err)?;
    Ok(WebStore::new(store, Some(pool)))
}

/// An in-memory store (SQLite's memory VFS): for previews and tests, and on the main
/// thread where OPFS sync handles are not available.
#[wasm_bindgen]
pub fn open_store_in_memory() -> Result<WebStore, JsValue> {
    Ok(WebStore::new(
        Store::open_in_memory().map_err(store_err)?,
        None,
    ))
}

/// A new record id (UUID v7, lower-case, hyphenated), as the core writes them.
#[wasm_bindgen]
pub fn new_id() -> String {
    model::new_id()
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
    ) -> Result<(), JsValue> {
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

    /// Creates a record of `kind` (a `DocKind` code) from its JSON (one store
    /// transaction) and returns its id.
    pub fn create(&self, kind: &str, record_json: &str) -> Result<String, JsValue> {
        ops::create(&self.local, kind, record_json).map_err(js_error)
    }

    /// One live record as JSON, with `id` and its judgements.
    pub fn get(&self, kind: &str, id: &str) -> Result<String, JsValue> {
        json_out(ops::get(&self.local, kind, id))
    }

    /// Replaces a record by the given fields (one store transaction: only the fields that
    /// differ become changes) and returns it as JSON.
    pub fn update(&self, kind: &str, id: &str, record_json: &str) -> Result<String, JsValue> {
        json_out(ops::update(&self.local, kind, id, record_json))
    }

    /// Removes a record (a tombstone, synced like any edit).
    pub fn remove(&self, kind: &str, id: &str) -> Result<(), JsValue> {
        ops::remove(&self.local, kind, id).map_err(js_error)
    }

    /// Live records of a kind, optionally of one account, newest first (JSON array).
    pub fn list(&self, kind: &str, account_id: Option<String>) -> Result<String, JsValue> {
        json_out(ops::list(&self.local, kind, account_id.as_deref()))
    }

    /// An account's records, newest first (JSON array of `{id, kind, title, at_ms,
    /// offset_min, due?}`).
    pub fn timeline(&self, account_id: &str) -> Result<String, JsValue> {
        json_out(ops::timeline(&self.local, account_id))
    }

    /// What needs attention from `today` (`YYYY-MM-DD`) for `days` days (JSON array).
    pub fn due(&self, today: &str, days: f64) -> Result<String, JsValue> {
        if !(days.is_finite() && days.fract() == 0.0) {
            return Err(js_error(ops::WebError::invalid(
                "days",
                "must be a whole number",
            )));
        }
        #[allow(clippy::cast_possible_truncation)]
        json_out(ops::due(&self.local, today, days as i64))
    }

    /// The day view's accounts (JSON array of `{id, name, tier, stage, last_visit_ms,
    /// city}`).
    pub fn accounts(&self) -> Result<String, JsValue> {
        json_out(ops::accounts(&self.local))
    }

    /// The company's rules (JSON).
    pub fn rules(&self) -> Result<String, JsValue> {
        json_out(ops::rules(&self.local))
    }

    /// `{verified, distance_m}` of a check-in at an account.
    pub fn check_in(
        &self,
        account_id: &str,
        lat: f64,
        lon: f64,
        accuracy_m: f64,
    ) -> Result<String, JsValue> {
        json_out(ops::check_in(&self.local, account_id, lat, lon, accuracy_m))
    }

    /// The status line (JSON, see docs/web-app.md).
    pub fn status(&self) -> Result<String, JsValue> {
        json_out(ops::status(&self.local))
    }

    /// Forgets the tokens; records and unsynced changes stay.
    pub fn logout(&self) -> Result<(), JsValue> {
        self.local.logout().map_err(web_err)
    }

    /// Starts fetching the rep's own scorecard for `period` (`2026-W48`, `2026-11`; the
    /// current week when none). Throws when not signed in. Then, until
    /// `scorecard_finish` gives the scorecard: send `scorecard_request()`, hand the answer
    /// to `scorecard_finish` (a token refresh, when due, is one of the rounds).
    pub fn scorecard_start(&mut self, period: Option<String>) -> Result<(), JsValue> {
        let authed = Authed::start(&self.local.store(), now_secs()).map_err(web_err)?;
        self.report = Some((authed, period));
        Ok(())
    }

    /// The request to send now for the scorecard.
    pub fn scorecard_request(&self) -> Result<JsValue, JsValue> {
        let (authed, period) = self
            .report
            .as_ref()
            .ok_or_else(|| js_error(storage("no scorecard in progress: call scorecard_start")))?;
        let req = authed
            .request(sync::scorecard_request(period.as_deref(), None))
            .map_err(web_err)?;
        request_to_js(&req)
    }

    /// Takes the answer: the scorecard (JSON, with `cached: false, fetched_ms`; kept in the
    /// store for offline), or `undefined` when another request is needed.
    pub fn scorecard_finish(
        &mut self,
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Result<Option<String>, JsValue> {
        let (authed, period) = self
            .report
            .as_mut()
            .ok_or_else(|| js_error(storage("no scorecard in progress: call scorecard_start")))?;
        let resp = response(status, content_type, body);
        let answer = authed.finish(&mut self.local.store(), resp);
        let answer = match answer {
            Ok(None) => return Ok(None),
            Ok(Some(answer)) => answer,
            Err(e) => {
                self.report = None;
                return Err(web_err(e));
            }
        };
        let period = period.clone();
        self.report = None;
        let card: serde_json::Value = sync::parse_json(&answer).map_err(web_err)?;
        json_out(ops::keep_scorecard(&self.local, period.as_deref(), card)).map(Some)
    }

    /// The request could not be sent: ends the scorecard fetch.
    pub fn scorecard_abort(&mut self) {
        self.report = None;
    }

    /// The last scorecard kept for `period` (JSON, with `cached: true, fetched_ms`), if
    /// any.
    pub fn scorecard_cached(&self, period: Option<String>) -> Result<Option<String>, JsValue> {
        match ops::cached_scorecard(&self.local, period.as_deref()) {
            Ok(Some(v)) => Ok(Some(v.to_string())),
            Ok(None) => Ok(None),
            Err(e) => Err(js_error(e)),
        }
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
    ) -> Result<JsValue, JsValue> {
        let (req, pending) = sync::login_request(
            &self.local.store(),
            server_url,
            company,
            username,
            password,
            device_name,
        )
        .map_err(web_err)?;
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
    ) -> Result<String, JsValue> {
        let pending = self
            .login
            .take()
            .ok_or_else(|| js_err("no sign-in in progress: call login_begin first"))?;
        let session = sync::finish_login(
            &mut self.local.store(),
            pending,
            &response(status, content_type, body),
        )
        .map_err(web_err)?;
        serde_json::to_string(&session).map_err(js_err)
    }

    /// The next sync request for the worker to `fetch` (`{method, url, headers, body}`),
    /// or `null` when the sync is done. Drive it as
    /// `while ((req = sync_begin()) !== null) { …fetch…; sync_finish(…) }`; a token
    /// refresh, when due, is one of these requests. Throws when not signed in.
    pub fn sync_begin(&mut self) -> Result<JsValue, JsValue> {
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
                Err(web_err(e))
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
    ) -> Result<bool, JsValue> {
        let run = self
            .run
            .as_mut()
            .ok_or_else(|| js_err("no sync in progress: call sync_begin first"))?;
        let resp = response(status, content_type, body);
        match run.finish_round(&mut self.local.store(), resp) {
            Ok(more) => Ok(more),
            Err(e) => {
                self.run = None;
                Err(web_err(e))
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
    pub fn sync_report(&self) -> Result<String, JsValue> {
        let r = self.run.as_ref().map_or(&self.last, |r| r.report());
        let waiting = self.local.status().map_err(web_err)?.store.waiting;
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
    pub fn export_db(&self, name: &str) -> Result<Option<Vec<u8>>, JsValue> {
        match &self.pool {
            Some(pool) => Ok(Some(pool.export_db(name).map_err(js_err)?)),
            None => Ok(None),
        }
    }

    /// The files the OPFS pool holds (the store, and a journal while one is open), as a
    /// JSON array; empty for an in-memory store.
    pub fn opfs_files(&self) -> Result<String, JsValue> {
        let files = self.pool.as_ref().map(|p| p.list()).unwrap_or_default();
        serde_json::to_string(&files).map_err(js_err)
    }
}
