//! Sign-in, token refresh and sync without I/O ("sans-IO"): this module builds the HTTP
//! requests as plain values ([`HttpRequest`]) and applies the answers given back to it
//! ([`HttpResponse`]); the caller owns the transport and the clock.
//!
//! Two drivers use it: natively `api::Client` (ureq, feature `device`), and in the
//! browser the web worker (`app/core`, `fetch`). Both get the same request bytes, the
//! same refresh rules, the same stop rule and the same errors: every HTTP answer becomes a
//! result or an [`Error`] in one place, [`check_response`], and a transport that cannot
//! deliver a request reports it through [`transport_error`].
//!
//! - [`login_request`] / [`finish_login`]: `POST /v1/auth/login` (keeps the device's
//!   identity when the same user signs in again; refuses another user while the device
//!   holds data);
//! - [`SyncRun`]: one sync, as many round trips as paging needs: [`SyncRun::begin_round`]
//!   gives the next request (a token refresh first when the access token is about to
//!   expire or the server refused it once), [`SyncRun::finish_round`] applies the answer
//!   in one store transaction and says whether another round is needed;
//! - [`Authed`]: the refresh rules for any other authenticated request (the reports), with
//!   [`weekly_report_request`], [`scorecard_request`] and [`parse_json`].
//!
//! The store is passed to each step and never held across a round trip: records written
//! while a request is out are safe, as the response acknowledges exactly the (document,
//! change hash) pairs of the batch it answers.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::local::{Error, Result, SyncReport};
use crate::protocol::{
    self, ErrorBody, LoginRequest, RefreshRequest, Session, SyncRequest, SyncResponse,
};
use crate::store::{Applied, PushBatch, Store, StoredSession};

/// About how many bytes of changes one sync request carries; a larger backlog goes in
/// several round trips.
pub const PUSH_BYTES_PER_REQUEST: usize = 2 * 1024 * 1024;
/// Largest response the device accepts. A transport should stop reading past it; the core
/// checks it again.
pub const RESPONSE_LIMIT: usize = 64 * 1024 * 1024;
/// Refresh the access token when it has less than this left.
pub const REFRESH_MARGIN_SECS: i64 = 60;
/// A sync that needs more round trips than this stops and reports what it did; the next
/// sync continues from the cursor.
pub const MAX_ROUND_TRIPS: u32 = 1000;

const JSON: &str = "application/json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request to send: to `server_url` + `path` (the path carries any query string, already
/// encoded), with `Authorization: Bearer <bearer>` when set.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    /// The server's base URL, without a trailing slash.
    pub server_url: String,
    pub path: String,
    pub content_type: Option<&'static str>,
    pub bearer: Option<String>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn url(&self) -> String {
        format!("{}{}", self.server_url, self.path)
    }
}

impl std::fmt::Debug for HttpRequest {
    // Never prints the token or a password in the body.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url())
            .field("content_type", &self.content_type)
            .field("bearer", &self.bearer.as_ref().map(|_| "…"))
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// What the server answered (any status: [`check_response`] judges it).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// The request never got an answer (no network, refused connection, timeout, a body cut
/// off or over [`RESPONSE_LIMIT`]): the one error a transport reports.
pub fn transport_error(detail: impl std::fmt::Display) -> Error {
    Error::Offline(detail.to_string())
}

/// The one place HTTP answers become errors: a 2xx gives its body; otherwise the
/// server's `{"error": {"code", "message"}}` (or the start of whatever it sent) becomes
/// [`Error::SignedOut`] for a 401 and [`Error::Server`] for anything else. A body over
/// [`RESPONSE_LIMIT`] is refused as the transport would.
pub fn check_response(resp: &HttpResponse) -> Result<&[u8]> {
    if resp.body.len() > RESPONSE_LIMIT {
        return Err(transport_error(format!(
            "the response is larger than {RESPONSE_LIMIT} bytes"
        )));
    }
    if (200..300).contains(&resp.status) {
        return Ok(&resp.body);
    }
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&resp.body) {
        Ok(b) => (b.error.code, b.error.message),
        Err(_) => (
            "http".to_owned(),
            String::from_utf8_lossy(&resp.body)
                .chars()
                .take(200)
                .collect(),
        ),
    };
    if resp.status == 401 {
        return Err(Error::SignedOut(message));
    }
    Err(Error::Server {
        status: resp.status,
        code,
        message,
    })
}

/// A 2xx JSON answer, decoded.
pub fn parse_json<T: DeserializeOwned>(resp: &HttpResponse) -> Result<T> {
    let bytes = check_response(resp)?;
    serde_json::from_slice(bytes).map_err(|e| Error::Protocol(e.to_string()))
}

fn post_json(server_url: &str, path: &str, body: &impl Serialize) -> Result<HttpRequest> {
    Ok(HttpRequest {
        method: Method::Post,
        server_url: server_url.to_owned(),
        path: path.to_owned(),
        content_type: Some(JSON),
        bearer: None,
        body: serde_json::to_vec(body)
            .map_err(|e| Error::Protocol(format!("encoding the request: {e}")))?,
    })
}

// ----- sign-in -----

/// Who is signing in, kept between [`login_request`] and [`finish_login`].
#[derive(Debug, Clone, PartialEq)]
pub struct PendingLogin {
    pub server_url: String,
    pub company: String,
    pub username: String,
}

/// `POST /v1/auth/login`. When the same user signs in again the device keeps its
/// identity (its device id, hence its actor); signing in as someone else is refused while
/// the device holds any document ([`Error::OtherUsersData`]).
pub fn login_request(
    store: &Store,
    server_url: &str,
    company: &str,
    username: &str,
    password: &str,
    device_name: &str,
) -> Result<(HttpRequest, PendingLogin)> {
    let server_url = server_url.trim_end_matches('/').to_owned();
    let mut device_id = None;
    if let Some(prev) = store.session()? {
        let same =
            prev.server_url == server_url && prev.company == company && prev.username == username;
        if same {
            device_id = Some(prev.session.device_id.clone());
        } else if !store.document_ids()?.is_empty() {
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
        device_name: Some(device_name.to_owned()),
    };
    let request = post_json(&server_url, "/v1/auth/login", &body)?;
    Ok((
        request,
        PendingLogin {
            server_url,
            company: company.to_owned(),
            username: username.to_owned(),
        },
    ))
}

/// Takes the login answer: saves the session (from then on records are written with its
/// actor) and returns it. A wrong password is [`Error::SignedOut`] (the server's 401).
pub fn finish_login(
    store: &mut Store,
    pending: PendingLogin,
    resp: &HttpResponse,
) -> Result<Session> {
    let session: Session = parse_json(resp)?;
    store.save_session(&StoredSession {
        server_url: pending.server_url,
        company: pending.company,
        username: pending.username,
        session: session.clone(),
    })?;
    Ok(session)
}

// ----- tokens -----

/// `POST /v1/auth/refresh` with the stored refresh token.
pub fn refresh_request(stored: &StoredSession) -> Result<HttpRequest> {
    if stored.session.refresh_token.is_empty() {
        return Err(Error::NotSignedIn);
    }
    post_json(
        &stored.server_url,
        "/v1/auth/refresh",
        &RefreshRequest {
            refresh_token: stored.session.refresh_token.clone(),
        },
    )
}

/// Takes the refresh answer: saves and returns the new session. A refused refresh (401)
/// signs the device out: the tokens are forgotten, every record and the outbox stay, and
/// signing in again as the same user continues. Any other failure (no answer, a 5xx)
/// keeps the old refresh token, so the next try asks again with it (the server accepts a
/// refresh token once more when its answer was lost).
pub fn finish_refresh(
    store: &mut Store,
    stored: StoredSession,
    resp: &HttpResponse,
) -> Result<StoredSession> {
    let session: Session = match parse_json(resp) {
        Ok(s) => s,
        Err(Error::SignedOut(message)) => {
            store.clear_tokens()?;
            return Err(Error::SignedOut(message));
        }
        Err(e) => return Err(e),
    };
    let updated = StoredSession { session, ..stored };
    store.save_session(&updated)?;
    Ok(updated)
}

/// One authenticated request with the token rules: refresh first when the access token
/// has less than [`REFRESH_MARGIN_SECS`] left, and once more if the server refuses the
/// request with a 401 (a second 401 signs out).
///
/// Drive it as: `request(build)` → send → `finish(resp)`; `finish` gives the answer to
/// the authenticated request, or `None` when it consumed a refresh answer and the caller
/// must ask `request` again.
#[derive(Debug)]
pub struct Authed {
    session: StoredSession,
    refreshing: bool,
    retried: bool,
}

impl Authed {
    /// Reads the session; [`Error::NotSignedIn`] without one (or after a sign-out).
    pub fn start(store: &Store, now_secs: i64) -> Result<Authed> {
        let session = store.session()?.ok_or(Error::NotSignedIn)?;
        if session.session.access_token.is_empty() {
            return Err(Error::NotSignedIn);
        }
        let refreshing = session.session.access_expires_at - REFRESH_MARGIN_SECS < now_secs;
        Ok(Authed {
            session,
            refreshing,
            retried: false,
        })
    }

    /// The session the next request is made for.
    pub fn session(&self) -> &StoredSession {
        &self.session
    }

    /// Whether the next request is a token refresh.
    pub fn refreshing(&self) -> bool {
        self.refreshing
    }

    /// The request to send now: the refresh, or `build`'s request with the access token.
    pub fn request(
        &self,
        build: impl FnOnce(&StoredSession) -> HttpRequest,
    ) -> Result<HttpRequest> {
        if self.refreshing {
            return refresh_request(&self.session);
        }
        let mut req = build(&self.session);
        req.bearer = Some(self.session.session.access_token.clone());
        Ok(req)
    }

    /// Takes the answer to the request [`Authed::request`] gave.
    pub fn finish(
        &mut self,
        store: &mut Store,
        resp: HttpResponse,
    ) -> Result<Option<HttpResponse>> {
        if self.refreshing {
            self.session = finish_refresh(store, self.session.clone(), &resp)?;
            self.refreshing = false;
            return Ok(None);
        }
        if resp.status == 401 && !self.retried {
            self.retried = true;
            self.refreshing = true;
            return Ok(None);
        }
        Ok(Some(resp))
    }
}

fn get_request(session: &StoredSession, path: &str, query: &[(&str, Option<&str>)]) -> HttpRequest {
    let mut path = path.to_owned();
    let mut sep = '?';
    for (k, v) in query {
        if let Some(v) = v {
            path.push(sep);
            path.push_str(&encode_query(k));
            path.push('=');
            path.push_str(&encode_query(v));
            sep = '&';
        }
    }
    HttpRequest {
        method: Method::Get,
        server_url: session.server_url.clone(),
        path,
        content_type: None,
        bearer: None,
        body: Vec::new(),
    }
}

/// Percent-encodes a query component (everything but RFC 3986's unreserved characters).
fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /v1/reports/visits/weekly` (for [`Authed::request`]): visits per rep of a team for
/// an ISO week (`2026-W48`), the current week when `None`.
pub fn weekly_report_request(
    week: Option<&str>,
    team: Option<&str>,
) -> impl Fn(&StoredSession) -> HttpRequest {
    move |s| {
        get_request(
            s,
            "/v1/reports/visits/weekly",
            &[("week", week), ("team", team)],
        )
    }
}

/// `GET /v1/reports/scorecard` (for [`Authed::request`]): a rep's scorecard for a period
/// (`2026-W48` or `2026-11`), the current week when `None`.
pub fn scorecard_request(
    period: Option<&str>,
    rep: Option<&str>,
) -> impl Fn(&StoredSession) -> HttpRequest {
    move |s| {
        get_request(
            s,
            "/v1/reports/scorecard",
            &[("period", period), ("rep", rep)],
        )
    }
}

// ----- sync -----

/// One sync round trip in flight: the batch pushed (to acknowledge exactly what was sent)
/// and the cursor the pull resumed from.
#[derive(Debug)]
pub struct Round {
    batch: PushBatch,
    cursor: u64,
    body: Vec<u8>,
}

impl Round {
    /// Builds the next round from the store: every waiting change up to
    /// [`PUSH_BYTES_PER_REQUEST`], the cursor and the rules version, postcard-encoded.
    pub fn prepare(store: &Store) -> Result<Round> {
        let batch = store.pending_push(PUSH_BYTES_PER_REQUEST)?;
        let cursor = store.cursor()?;
        let request = SyncRequest {
            version: protocol::PROTOCOL_VERSION,
            cursor,
            rules_version: store.rules()?.0,
            push: batch.docs.clone(),
        };
        let body = postcard::to_stdvec(&request)
            .map_err(|e| Error::Protocol(format!("encoding the request: {e}")))?;
        Ok(Round {
            batch,
            cursor,
            body,
        })
    }

    /// `POST /v1/sync` carrying this round (for [`Authed::request`]).
    pub fn request(&self, session: &StoredSession) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            server_url: session.server_url.clone(),
            path: "/v1/sync".to_owned(),
            content_type: Some(protocol::SYNC_CONTENT_TYPE),
            bearer: None,
            body: self.body.clone(),
        }
    }

    /// Documents this round pushes.
    pub fn pushed(&self) -> usize {
        self.batch.docs.len()
    }

    /// Applies the server's answer (a 2xx body) in one store transaction and adds it to
    /// `report`; returns whether another round is needed (more to pull or to push, and the
    /// round made progress). A body that does not decode changes nothing.
    pub fn apply(&self, store: &mut Store, body: &[u8], report: &mut SyncReport) -> Result<bool> {
        let response: SyncResponse = postcard::from_bytes(body)
            .map_err(|e| Error::Protocol(format!("sync response: {e}")))?;
        let Applied {
            accepted,
            rejected,
            received,
            changed,
        } = store.apply_sync(&self.batch, &response)?;
        report.round_trips += 1;
        report.accepted += accepted;
        report.rejected += rejected;
        report.received += received;
        report.changed.extend(changed);
        let progressed = !self.batch.docs.is_empty() || response.cursor > self.cursor;
        Ok((response.has_more || self.batch.left_over)
            && progressed
            && report.round_trips < MAX_ROUND_TRIPS)
    }
}

/// One sync: push every waiting change and pull everything new, in as few round trips as
/// the amounts allow (one when nothing pages), at most [`MAX_ROUND_TRIPS`].
///
/// ```text
/// let mut run = SyncRun::new();
/// while let Some(request) = run.begin_round(&store, now_secs)? {
///     let response = send(request)?;           // the driver's transport
///     run.finish_round(&mut store, response)?; // true: another round is needed
/// }
/// let report = run.report();
/// ```
///
/// A refresh of the access token is a round of its own (it is not counted in
/// `round_trips`). [`SyncRun::stop`] ends the run after the round that finished (the
/// progress callback's `Break`). After an error the run is over; what earlier rounds did
/// is kept, and the next sync continues from the cursor. Safe to repeat after any failure:
/// the server deduplicates what it already has.
#[derive(Debug, Default)]
pub struct SyncRun {
    report: SyncReport,
    authed: Option<Authed>,
    round: Option<Round>,
    done: bool,
}

impl SyncRun {
    pub fn new() -> SyncRun {
        SyncRun::default()
    }

    /// The request to send next, or `None` when the sync is done (its report is then
    /// final). Sending the same run's request twice is harmless.
    pub fn begin_round(&mut self, store: &Store, now_secs: i64) -> Result<Option<HttpRequest>> {
        if self.done {
            return Ok(None);
        }
        if self.authed.is_none() {
            self.authed = Some(Authed::start(store, now_secs)?);
        }
        let authed = self.authed.as_ref().expect("set above");
        if !authed.refreshing() && self.round.is_none() {
            self.round = Some(Round::prepare(store)?);
        }
        let round = &self.round;
        let request = authed.request(|s| {
            round
                .as_ref()
                .expect("prepared unless refreshing")
                .request(s)
        })?;
        Ok(Some(request))
    }

    /// Takes the answer to the request [`SyncRun::begin_round`] gave and returns whether
    /// another round is needed.
    pub fn finish_round(&mut self, store: &mut Store, resp: HttpResponse) -> Result<bool> {
        let Some(authed) = self.authed.as_mut() else {
            return Err(Error::Protocol(
                "a sync answer with no request out".to_owned(),
            ));
        };
        let outcome = authed.finish(store, resp).and_then(|answer| match answer {
            // A refresh answer: the round is sent (again) with the new token.
            None => Ok(true),
            Some(resp) => {
                let body = check_response(&resp)?;
                let round = self
                    .round
                    .take()
                    .ok_or_else(|| Error::Protocol("a sync answer with no round out".to_owned()))?;
                self.authed = None;
                round.apply(store, body, &mut self.report)
            }
        });
        match outcome {
            Ok(more) => {
                self.done = !more;
                Ok(more)
            }
            Err(e) => {
                self.done = true;
                self.authed = None;
                self.round = None;
                Err(e)
            }
        }
    }

    /// Ends the run after the round that finished.
    pub fn stop(&mut self) {
        self.done = true;
    }

    /// What the run did so far (`waiting` is filled by [`SyncRun::finish`]).
    pub fn report(&self) -> &SyncReport {
        &self.report
    }

    /// The final report, with the changes still waiting.
    pub fn finish(self, store: &Store) -> Result<SyncReport> {
        let mut report = self.report;
        report.waiting = store.status()?.waiting;
        Ok(report)
    }
}
