//! The facade an app calls: open a store, sign in, keep records offline, sync.
//!
//! Every record operation works offline and is one local transaction. Only
//! [`Client::login`], [`Client::sync`] and the reports need the server. A [`Client`] is
//! `Send + Sync`; concurrent calls to [`Client::sync`] run one after another, never
//! interleaved.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::model::{self, DocKind, Invalid, ModelError, Record};
use crate::protocol::{
    self, ErrorBody, LoginRequest, RefreshRequest, Session, SyncRequest, SyncResponse, WeeklyVisits,
};
use crate::store::{Applied, IndexRow, Store, StoreError, StoreStatus, StoredSession};

/// The name of the store file inside the app's directory.
pub const STORE_FILE: &str = "rapport.db";

/// About how many bytes of changes one sync request carries; a larger backlog goes in
/// several round trips.
const PUSH_BYTES_PER_REQUEST: usize = 2 * 1024 * 1024;
/// Largest sync response the device accepts.
const RESPONSE_LIMIT: u64 = 64 * 1024 * 1024;
/// Refresh the access token when it has less than this left.
const REFRESH_MARGIN_SECS: i64 = 60;
/// A sync that needs more round trips than this stops and reports what it did; the next
/// sync continues from the cursor.
const MAX_ROUND_TRIPS: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not signed in: run login first")]
    NotSignedIn,
    #[error("signed out by the server ({0}): sign in again")]
    SignedOut(String),
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    #[error("the server answered {status} {code}: {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server sent something this app cannot read: {0}")]
    Protocol(String),
    #[error("invalid {0}")]
    Invalid(#[from] Invalid),
    #[error("no {kind} with id {id}")]
    NotFound { kind: DocKind, id: String },
    #[error(
        "this device holds data of {holder}; it cannot sign in as another user without losing it"
    )]
    OtherUsersData { holder: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(Box<ModelError>),
}

impl From<ModelError> for Error {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::Invalid(i) => Error::Invalid(i),
            other => Error::Model(Box::new(other)),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What one call to [`Client::sync`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    pub round_trips: u32,
    /// Documents the server accepted.
    pub accepted: u64,
    /// Documents the server rejected (see [`Client::status`] for why).
    pub rejected: u64,
    /// Documents received from the server.
    pub received: u64,
    /// Changes still waiting (a sync that stopped early leaves some).
    pub waiting: u64,
}

/// The device's status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub signed_in_as: Option<String>,
    pub server_url: Option<String>,
    /// The company's time zone (IANA name), when signed in once.
    pub time_zone: Option<String>,
    pub store: StoreStatus,
}

impl Status {
    /// Why accounts left this device: "removed from Haorun Foods's team on 2026-12-06",
    /// one line per account team the user was taken off.
    pub fn removal_messages(&self) -> Vec<String> {
        self.store
            .removals
            .iter()
            .map(|r| r.message(self.time_zone.as_deref()))
            .collect()
    }
}

/// Something that needs the rep's attention soon (see [`Client::due`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DueItem {
    /// The day it falls due (a visit: the day the cadence runs out).
    pub date: chrono::NaiveDate,
    pub what: Due,
    /// The account concerned (none for a holiday).
    pub account_id: Option<String>,
    pub account_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Due {
    /// The account's visit cadence runs out (or ran out) on `date`.
    Visit {
        last_visit: Option<chrono::NaiveDate>,
        cadence_days: i64,
    },
    /// A visit's next step is due.
    NextStep { visit_id: String, step: String },
    /// A contact's birthday.
    Birthday {
        contact_id: String,
        contact_name: String,
    },
    /// A traditional holiday to greet key contacts on.
    Holiday(model::Occasion),
}

/// One record as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<R> {
    pub id: String,
    pub record: R,
}

pub struct Client {
    store: Mutex<Store>,
    sync_lock: Mutex<()>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
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
            store: Mutex::new(store),
            sync_lock: Mutex::new(()),
            agent,
        })
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-written (SQLite
        // transactions roll back), so a poisoned lock is safe to take over.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Signs in (online). Keeps the device's identity when the same user signs in again.
    pub fn login(
        &self,
        server_url: &str,
        company: &str,
        username: &str,
        password: &str,
    ) -> Result<Session> {
        let server_url = server_url.trim_end_matches('/').to_owned();
        let previous = self.store().session()?;
        let mut device_id = None;
        if let Some(prev) = &previous {
            let same = prev.server_url == server_url
                && prev.company == company
                && prev.username == username;
            if same {
                device_id = Some(prev.session.device_id.clone());
            } else if !self.store().document_ids()?.is_empty() {
                return Err(Error::OtherUsersData {
                    holder: format!("{}@{}", prev.username, prev.company),
                });
            }
        }
        let body = LoginRequest {
            company: company.to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
            device_id,
            device_name: Some(device_name()),
        };
        let session: Session = self.post_json(&server_url, "/v1/auth/login", None, &body)?;
        self.store().save_session(&StoredSession {
            server_url,
            company: company.to_owned(),
            username: username.to_owned(),
            session: session.clone(),
        })?;
        Ok(session)
    }

    /// Forgets the tokens. Records and unsynced changes stay on the device.
    pub fn logout(&self) -> Result<()> {
        Ok(self.store().clear_tokens()?)
    }

    pub fn session(&self) -> Result<Option<StoredSession>> {
        Ok(self.store().session()?)
    }

    pub fn status(&self) -> Result<Status> {
        let store = self.store();
        let session = store.session()?;
        Ok(Status {
            signed_in_as: session
                .as_ref()
                .map(|s| format!("{}@{}", s.username, s.company)),
            time_zone: session.as_ref().map(|s| s.session.time_zone.clone()),
            server_url: session.map(|s| s.server_url),
            store: store.status()?,
        })
    }

    // ----- records -----

    /// Creates a record offline and returns its id.
    pub fn create<R: Record>(&self, record: &R) -> Result<String> {
        let mut store = self.store();
        let actor = store.actor()?.ok_or(Error::NotSignedIn)?;
        let id = model::new_id();
        let mut doc = model::new_document(actor);
        let mut changes = model::write_record(&mut doc, record)?;
        let any = record.to_any();
        store.commit_local(&id, R::KIND, &mut doc, &any, &mut changes)?;
        Ok(id)
    }

    /// Reads one record.
    pub fn get<R: Record>(&self, id: &str) -> Result<R> {
        let store = self.store();
        let not_found = || Error::NotFound {
            kind: R::KIND,
            id: id.to_owned(),
        };
        let (kind, doc) = store.load(id)?.ok_or_else(not_found)?;
        if kind != R::KIND {
            return Err(not_found());
        }
        Ok(model::read_record(&doc)?)
    }

    /// Edits a record offline: only the fields `edit` changes become changes, so concurrent
    /// edits of other fields on other devices merge.
    pub fn update<R: Record>(&self, id: &str, edit: impl FnOnce(&mut R)) -> Result<R> {
        let mut store = self.store();
        let not_found = || Error::NotFound {
            kind: R::KIND,
            id: id.to_owned(),
        };
        let (kind, mut doc) = store.load(id)?.ok_or_else(not_found)?;
        if kind != R::KIND {
            return Err(not_found());
        }
        let mut record: R = model::read_record(&doc)?;
        let account_before = record.account_id(id).to_owned();
        edit(&mut record);
        if record.account_id(id) != account_before {
            return Err(Error::Invalid(Invalid::new(
                "account_id",
                "a record cannot move to another account",
            )));
        }
        let mut changes = model::write_record(&mut doc, &record)?;
        if !changes.is_empty() {
            let any = record.to_any();
            store.commit_local(id, R::KIND, &mut doc, &any, &mut changes)?;
        }
        Ok(record)
    }

    /// Removes a record: it becomes a tombstone, kept in history but gone from lists.
    pub fn remove<R: Record>(&self, id: &str) -> Result<()> {
        self.update::<R>(id, R::set_deleted)?;
        Ok(())
    }

    /// Live records of a kind, optionally of one account, newest first.
    pub fn list<R: Record>(&self, account: Option<&str>) -> Result<Vec<Item<R>>> {
        let store = self.store();
        let rows = store.list(R::KIND, account)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some((_, doc)) = store.load(&row.id)? {
                out.push(Item {
                    record: model::read_record(&doc)?,
                    id: row.id,
                });
            }
        }
        Ok(out)
    }

    /// The index rows of an account's records, newest first, without loading documents.
    pub fn timeline(&self, account_id: &str) -> Result<Vec<IndexRow>> {
        Ok(self.store().timeline(account_id)?)
    }

    /// Finds an account by id, id prefix or (case-insensitive) name.
    pub fn find_account(&self, needle: &str) -> Result<Item<model::Account>> {
        let accounts = self.list::<model::Account>(None)?;
        let lower = needle.to_lowercase();
        let matches: Vec<_> = accounts
            .into_iter()
            .filter(|a| {
                a.id == needle
                    || (needle.len() >= 4 && a.id.starts_with(needle))
                    || a.record.name.to_lowercase() == lower
            })
            .collect();
        match <[_; 1]>::try_from(matches) {
            Ok([one]) => Ok(one),
            Err(v) if v.is_empty() => Err(Error::NotFound {
                kind: DocKind::Account,
                id: needle.to_owned(),
            }),
            Err(_) => Err(Error::Invalid(Invalid::new(
                "account",
                format!("'{needle}' matches more than one account"),
            ))),
        }
    }

    /// The company's rules as last received with sync (the defaults before the first).
    pub fn rules(&self) -> Result<model::Rules> {
        Ok(self.store().rules()?.1)
    }

    /// What needs attention from `today` to `today + days`, soonest first: accounts whose
    /// visit cadence runs out (overdue ones first, dated when they ran out), next steps
    /// due (and those up to 30 days late), birthdays of contacts with a VIP card (lunar
    /// ones resolved to this year's date), and traditional holidays.
    pub fn due(&self, today: chrono::NaiveDate, days: i64) -> Result<Vec<DueItem>> {
        let horizon = today + chrono::Duration::days(days);
        let rules = self.rules()?;
        let accounts = self.list::<model::Account>(None)?;
        let name_of = |id: &str| {
            accounts
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.record.name.clone())
        };
        let last_visits = self.store().last_visits()?;
        let mut out = Vec::new();
        for account in &accounts {
            let cadence = rules.cadence_days(&account.record);
            // The day of the latest visit where it happened, as the rep remembers it.
            let last = match last_visits.iter().find(|(a, _)| *a == account.id) {
                Some((_, visit_id)) => self
                    .get::<model::Visit>(visit_id)?
                    .occurred_at
                    .to_datetime()
                    .map(|t| t.date_naive()),
                None => None,
            };
            let date = match last {
                Some(d) => d + chrono::Duration::days(cadence),
                // Never visited: due now.
                None => today,
            };
            if date <= horizon {
                out.push(DueItem {
                    date,
                    what: Due::Visit {
                        last_visit: last,
                        cadence_days: cadence,
                    },
                    account_id: Some(account.id.clone()),
                    account_name: Some(account.record.name.clone()),
                });
            }
        }
        let from = (today - chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        let to = horizon.format("%Y-%m-%d").to_string();
        // Bound first: the store's lock must not be held while each visit is read.
        let due_rows = self.store().due_between(&from, &to)?;
        for (row, due_on) in due_rows {
            let Ok(date) = chrono::NaiveDate::parse_from_str(&due_on, "%Y-%m-%d") else {
                continue;
            };
            let Ok(visit) = self.get::<model::Visit>(&row.id) else {
                continue;
            };
            out.push(DueItem {
                date,
                what: Due::NextStep {
                    visit_id: row.id.clone(),
                    step: visit.next_step.unwrap_or_default(),
                },
                account_name: name_of(&row.account_id),
                account_id: Some(row.account_id),
            });
        }
        for contact in self.list::<model::Contact>(None)? {
            let Some(birthday) = contact.record.vip_card.as_ref().and_then(|c| c.birthday) else {
                continue;
            };
            if let Some(date) = model::calendar::next_birthday(birthday, today, days) {
                out.push(DueItem {
                    date,
                    what: Due::Birthday {
                        contact_id: contact.id.clone(),
                        contact_name: contact.record.name.clone(),
                    },
                    account_name: name_of(&contact.record.account_id),
                    account_id: Some(contact.record.account_id.clone()),
                });
            }
        }
        for (occasion, date) in model::calendar::holidays_between(today, days) {
            out.push(DueItem {
                date,
                what: Due::Holiday(occasion),
                account_id: None,
                account_name: None,
            });
        }
        out.sort_by_key(|item| item.date);
        Ok(out)
    }

    /// The sorted heads of a document, to compare replicas.
    pub fn heads(&self, id: &str) -> Result<Option<Vec<String>>> {
        Ok(self
            .store()
            .load(id)?
            .map(|(_, mut doc)| model::heads_hex(&mut doc)))
    }

    /// Every document id on the device.
    pub fn document_ids(&self) -> Result<Vec<String>> {
        Ok(self.store().document_ids()?)
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
        let mut report = SyncReport::default();
        loop {
            let (batch, cursor, rules_version) = {
                let store = self.store();
                (
                    store.pending_push(PUSH_BYTES_PER_REQUEST)?,
                    store.cursor()?,
                    store.rules()?.0,
                )
            };
            let request = SyncRequest {
                version: protocol::PROTOCOL_VERSION,
                cursor,
                rules_version,
                push: batch.docs.clone(),
            };
            let body = postcard::to_stdvec(&request)
                .map_err(|e| Error::Protocol(format!("encoding the request: {e}")))?;
            let bytes = self.authed(|agent, url, token| {
                agent
                    .post(format!("{url}/v1/sync"))
                    .header("Authorization", format!("Bearer {token}"))
                    .content_type(protocol::SYNC_CONTENT_TYPE)
                    .send(&body[..])
            })?;
            let response: SyncResponse = postcard::from_bytes(&bytes)
                .map_err(|e| Error::Protocol(format!("sync response: {e}")))?;
            let Applied {
                accepted,
                rejected,
                received,
            } = self.store().apply_sync(&batch, &response)?;
            report.round_trips += 1;
            report.accepted += accepted;
            report.rejected += rejected;
            report.received += received;
            let progressed = !batch.docs.is_empty() || response.cursor > cursor;
            if after_round_trip(&report).is_break()
                || !(response.has_more || batch.left_over)
                || !progressed
                || report.round_trips >= MAX_ROUND_TRIPS
            {
                break;
            }
        }
        report.waiting = self.store().status()?.waiting;
        Ok(report)
    }

    /// Visits per rep of a team for an ISO week (`2026-W48`); the current week when `None`.
    /// Managers see their own team; admins name any team.
    pub fn weekly_report(&self, week: Option<&str>, team: Option<&str>) -> Result<WeeklyVisits> {
        self.get_json(
            "/v1/reports/visits/weekly",
            &[("week", week), ("team", team)],
        )
    }

    /// A rep's relationship-maintenance scorecard for a period (`2026-W48` or `2026-11`;
    /// the current week when `None`). Reps get their own (leave `rep` empty); managers
    /// name a rep of their team.
    pub fn scorecard(
        &self,
        period: Option<&str>,
        rep: Option<&str>,
    ) -> Result<protocol::Scorecard> {
        self.get_json("/v1/reports/scorecard", &[("period", period), ("rep", rep)])
    }

    /// An authenticated `GET` of a JSON resource, with the query parameters that are set.
    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, Option<&str>)],
    ) -> Result<T> {
        let bytes = self.authed(|agent, url, token| {
            let mut req = agent
                .get(format!("{url}{path}"))
                .header("Authorization", format!("Bearer {token}"));
            for (k, v) in query {
                if let Some(v) = v {
                    req = req.query(*k, *v);
                }
            }
            req.call()
        })?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Protocol(e.to_string()))
    }

    /// Runs an authenticated request, refreshing the access token first when it is about
    /// to expire, and once more if the server refuses it.
    fn authed(
        &self,
        send: impl Fn(
            &ureq::Agent,
            &str,
            &str,
        ) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Vec<u8>> {
        let mut session = self.store().session()?.ok_or(Error::NotSignedIn)?;
        if session.session.access_token.is_empty() {
            return Err(Error::NotSignedIn);
        }
        if session.session.access_expires_at - REFRESH_MARGIN_SECS < now_secs() {
            session = self.refresh(session)?;
        }
        let mut refreshed = false;
        loop {
            let resp = send(
                &self.agent,
                &session.server_url,
                &session.session.access_token,
            )
            .map_err(offline)?;
            if resp.status().as_u16() == 401 && !refreshed {
                refreshed = true;
                session = self.refresh(session)?;
                continue;
            }
            return read_body(resp);
        }
    }

    fn refresh(&self, stored: StoredSession) -> Result<StoredSession> {
        if stored.session.refresh_token.is_empty() {
            return Err(Error::NotSignedIn);
        }
        let body = RefreshRequest {
            refresh_token: stored.session.refresh_token.clone(),
        };
        let session: Session =
            match self.post_json(&stored.server_url, "/v1/auth/refresh", None, &body) {
                Ok(s) => s,
                Err(Error::Server {
                    status: 401,
                    message,
                    ..
                }) => {
                    self.store().clear_tokens()?;
                    return Err(Error::SignedOut(message));
                }
                Err(e) => return Err(e),
            };
        let updated = StoredSession { session, ..stored };
        self.store().save_session(&updated)?;
        Ok(updated)
    }

    fn post_json<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        server_url: &str,
        path: &str,
        token: Option<&str>,
        body: &B,
    ) -> Result<T> {
        let mut req = self.agent.post(format!("{server_url}{path}"));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let resp = req.send_json(body).map_err(offline)?;
        let bytes = read_body(resp)?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Protocol(e.to_string()))
    }
}

fn offline(e: ureq::Error) -> Error {
    Error::Offline(e.to_string())
}

fn read_body(mut resp: ureq::http::Response<ureq::Body>) -> Result<Vec<u8>> {
    let status = resp.status().as_u16();
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(RESPONSE_LIMIT)
        .read_to_vec()
        .map_err(offline)?;
    if (200..300).contains(&status) {
        return Ok(bytes);
    }
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(b) => (b.error.code, b.error.message),
        Err(_) => (
            "http".to_owned(),
            String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        ),
    };
    if status == 401 {
        return Err(Error::SignedOut(message));
    }
    Err(Error::Server {
        status,
        code,
        message,
    })
}

fn device_name() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "device".to_owned())
}
