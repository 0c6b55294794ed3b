//! The native app facade: a [`Local`] store plus an HTTP transport (ureq), driving the
//! sans-IO [`crate::sync`] core.
//!
//! Every record operation works offline and is one local transaction ([`Local`]'s methods,
//! reached through `Deref`). Only [`Client::login`], [`Client::sync`] and the reports need
//! the server. A [`Client`] is `Send + Sync`; concurrent calls to [`Client::sync`] run one
//! after another, never interleaved.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

pub use crate::local::{Due, DueItem, Error, Item, Local, Result, Status, SyncReport};
use crate::protocol::{self, Session, WeeklyVisits};
use crate::store::{Store, StoreError};
use crate::sync::{self, Authed, HttpRequest, HttpResponse, Method, SyncRun};

/// The name of the store file inside the app's directory.
pub const STORE_FILE: &str = "rapport.db";

pub struct Client {
    local: Local,
    sync_lock: Mutex<()>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

/// The record operations, the status and sign-out: everything that needs no server.
impl std::ops::Deref for Client {
    type Target = Local;

    fn deref(&self) -> &Local {
        &self.local
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Client {
    /// Opens the device store in `dir`, creating the directory and the store if needed.
    pub fn open(dir: &Path) -> Result<Client> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Store(StoreError::Corrupt {
                id: dir.display().to_string(),
                detail: e.to_string(),
            })
        })?;
        let store = Store::open(&dir.join(STORE_FILE))?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Ok(Client {
            local: Local::new(store),
            sync_lock: Mutex::new(()),
            agent,
        })
    }

    /// Signs in (online). Keeps the device's identity when the same user signs in again.
    pub fn login(
        &self,
        server_url: &str,
        company: &str,
        username: &str,
        password: &str,
    ) -> Result<Session> {
        let (request, pending) = sync::login_request(
            &self.store(),
            server_url,
            company,
            username,
            password,
            &device_name(),
        )?;
        let response = self.send(request)?;
        sync::finish_login(&mut self.store(), pending, &response)
    }

    // ----- online -----

    /// Pushes every waiting change and pulls everything new, in as few round trips as the
    /// amounts allow (one when nothing needs paging). Safe to call again after any
    /// failure: the server deduplicates what it already has.
    pub fn sync(&self) -> Result<SyncReport> {
        self.sync_with(|_| std::ops::ControlFlow::Continue(()))
    }

    /// [`Client::sync`], calling `after_round_trip` with the report so far after each
    /// round trip; `Break` stops the sync there (what was done is kept, and the next sync
    /// continues from the cursor). The mobile bindings use it for progress and cancelling.
    pub fn sync_with(
        &self,
        mut after_round_trip: impl FnMut(&SyncReport) -> std::ops::ControlFlow<()>,
    ) -> Result<SyncReport> {
        let _one_at_a_time = self.sync_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut run = SyncRun::new();
        // The store's lock is taken for each step, never across the HTTP round trip.
        loop {
            let Some(request) = run.begin_round(&self.store(), now_secs())? else {
                break;
            };
            let response = self.send(request)?;
            let rounds_before = run.report().round_trips;
            run.finish_round(&mut self.store(), response)?;
            if run.report().round_trips > rounds_before && after_round_trip(run.report()).is_break()
            {
                run.stop();
            }
        }
        run.finish(&self.store())
    }

    /// Visits per rep of a team for an ISO week (`2026-W48`); the current week when `None`.
    /// Managers see their own team; admins name any team.
    pub fn weekly_report(&self, week: Option<&str>, team: Option<&str>) -> Result<WeeklyVisits> {
        self.authed(sync::weekly_report_request(week, team))
    }

    /// A rep's relationship-maintenance scorecard for a period (`2026-W48` or `2026-11`;
    /// the current week when `None`). Reps get their own (leave `rep` empty); managers
    /// name a rep of their team.
    pub fn scorecard(
        &self,
        period: Option<&str>,
        rep: Option<&str>,
    ) -> Result<protocol::Scorecard> {
        self.authed(sync::scorecard_request(period, rep))
    }

    /// An authenticated JSON request, with the token rules of [`Authed`].
    fn authed<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn(&crate::store::StoredSession) -> HttpRequest,
    ) -> Result<T> {
        let mut call = Authed::start(&self.store(), now_secs())?;
        loop {
            let request = call.request(&build)?;
            let response = self.send(request)?;
            if let Some(answer) = call.finish(&mut self.store(), response)? {
                return sync::parse_json(&answer);
            }
        }
    }

    /// The transport: one request over ureq, its body read up to [`sync::RESPONSE_LIMIT`].
    fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let url = request.url();
        let bearer = request.bearer.map(|t| format!("Bearer {t}"));
        let sent = match request.method {
            Method::Get => {
                let mut req = self.agent.get(&url);
                if let Some(b) = &bearer {
                    req = req.header("Authorization", b);
                }
                req.call()
            }
            Method::Post => {
                let mut req = self.agent.post(&url);
                if let Some(b) = &bearer {
                    req = req.header("Authorization", b);
                }
                if let Some(ct) = request.content_type {
                    req = req.content_type(ct);
                }
                req.send(&request.body[..])
            }
        };
        let mut resp = sent.map_err(sync::transport_error)?;
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp
            .body_mut()
            .with_config()
            .limit(sync::RESPONSE_LIMIT as u64)
            .read_to_vec()
            .map_err(sync::transport_error)?;
        Ok(HttpResponse {
            status: resp.status().as_u16(),
            content_type,
            body,
        })
    }
}

fn device_name() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "device".to_owned())
}
