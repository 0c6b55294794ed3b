//! The worker's operations (docs/web-app.md, "The worker's API"), JSON in and out, on a
//! [`Local`]: records of every kind with the judgements the model makes of them, the
//! timeline, the due list, the day view's accounts, the rules, a check-in and the status.
//!
//! Plain Rust (no `JsValue`), so the wasm-bindgen layer in `lib.rs` stays thin and the
//! tests call these directly. Every error is a [`WebError`], made from client-core's
//! [`Error`] in one place (`impl From<Error> for WebError`).
//!
//! The records' JSON is client-core's own (its feature `json`: serde derives on the model
//! types), so the shape is the model's by construction. On output each record gets its
//! `id` and the judgements as extra read-only fields; on input those, and `deleted`, are
//! ignored (removing is `remove`), and any other unknown field is refused by name.

use std::collections::HashMap;

use rapport_client_core::local::{Due, Error, Local};
use rapport_client_core::model::{self, DocKind, Record, Rules};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// An error as the page gets it: `{kind, message}` (and `field` for invalid input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebError {
    /// One of `offline`, `signed_out`, `not_signed_in`, `rejected`, `invalid`,
    /// `not_found`, `server`, `storage`.
    pub kind: &'static str,
    pub message: String,
    /// The input field at fault, for `invalid`.
    pub field: Option<String>,
}

impl WebError {
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> WebError {
        WebError {
            kind: "invalid",
            message: format!("{field}: {message}"),
            field: Some(field.to_owned()),
        }
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// The one mapping of client-core's errors to what the page can do about them.
impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        let (kind, field) = match &e {
            Error::Offline(_) => ("offline", None),
            Error::NotSignedIn => ("not_signed_in", None),
            Error::SignedOut(_) => ("signed_out", None),
            Error::Server { status: 401, .. } => ("signed_out", None),
            Error::Server { status, .. } if *status >= 500 || *status == 429 => ("server", None),
            // The server refused the request (403, 409, 400 …): asking again will not help.
            Error::Server { .. } => ("rejected", None),
            Error::Protocol(_) => ("server", None),
            Error::Invalid(i) => ("invalid", Some(i.field.to_owned())),
            Error::NotFound { .. } => ("not_found", None),
            Error::OtherUsersData { .. } => ("invalid", Some("username".to_owned())),
            Error::Store(_) | Error::Model(_) => ("storage", None),
        };
        WebError {
            kind,
            message,
            field,
        }
    }
}

pub type WebResult<T> = Result<T, WebError>;

fn storage(e: impl std::fmt::Display) -> WebError {
    WebError {
        kind: "storage",
        message: e.to_string(),
        field: None,
    }
}

fn to_value(v: &impl Serialize) -> WebResult<Value> {
    serde_json::to_value(v).map_err(storage)
}

/// A record kind by its `DocKind` code (`competitor_intel`; `intel` is taken too).
pub fn parse_kind(kind: &str) -> WebResult<DocKind> {
    match kind {
        "intel" => Ok(DocKind::Intel),
        _ => DocKind::parse(kind).ok_or_else(|| {
            let known: Vec<&str> = DocKind::ALL.iter().map(|k| k.as_str()).collect();
            WebError::invalid(
                "kind",
                format!("'{kind}' is not one of {}", known.join(", ")),
            )
        }),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What the judgements need, read once per call and shared by the records of a list.
struct Judge<'a> {
    local: &'a Local,
    rules: Rules,
    now_ms: i64,
    accounts: HashMap<String, Option<model::Account>>,
    last_visits: Option<HashMap<String, i64>>,
}

impl<'a> Judge<'a> {
    fn new(local: &'a Local) -> WebResult<Judge<'a>> {
        Ok(Judge {
            local,
            rules: local.rules()?,
            now_ms: now_ms(),
            accounts: HashMap::new(),
            last_visits: None,
        })
    }

    fn account(&mut self, id: &str) -> WebResult<Option<&model::Account>> {
        if !self.accounts.contains_key(id) {
            let account = match self.local.get::<model::Account>(id) {
                Ok(a) => Some(a),
                Err(Error::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            self.accounts.insert(id.to_owned(), account);
        }
        Ok(self.accounts.get(id).and_then(Option::as_ref))
    }

    /// When the latest visit on an account happened (Unix ms), from the index.
    fn last_visit_ms(&mut self, account_id: &str) -> WebResult<Option<i64>> {
        if self.last_visits.is_none() {
            let latest = self.local.store().last_visits().map_err(Error::from)?;
            let mut map = HashMap::new();
            for (account, visit_id) in latest {
                match self.local.get::<model::Visit>(&visit_id) {
                    Ok(v) => {
                        map.insert(account, v.occurred_at.utc_ms);
                    }
                    Err(Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            self.last_visits = Some(map);
        }
        Ok(self
            .last_visits
            .as_ref()
            .and_then(|m| m.get(account_id).copied()))
    }
}

/// A record kind as the worker serves it: its JSON (client-core's feature `json`) and the
/// judgements added to it.
trait WebRecord: Record + Serialize + DeserializeOwned {
    /// The read-only fields [`WebRecord::judge`] adds.
    const EXTRAS: &'static [&'static str] = &[];

    fn judge(&self, _id: &str, _j: &mut Judge<'_>, _out: &mut Map<String, Value>) -> WebResult<()> {
        Ok(())
    }
}

impl WebRecord for model::Account {
    const EXTRAS: &'static [&'static str] = &["tier", "last_visit_ms"];

    fn judge(&self, id: &str, j: &mut Judge<'_>, out: &mut Map<String, Value>) -> WebResult<()> {
        out.insert("tier".into(), j.rules.tier(self).code().into());
        out.insert("last_visit_ms".into(), to_value(&j.last_visit_ms(id)?)?);
        Ok(())
    }
}

impl WebRecord for model::Visit {
    const EXTRAS: &'static [&'static str] = &["late", "verified"];

    fn judge(&self, _id: &str, j: &mut Judge<'_>, out: &mut Map<String, Value>) -> WebResult<()> {
        out.insert("late".into(), j.rules.is_late(self).into());
        let location = j.account(&self.account_id)?.and_then(|a| a.location);
        let verified = j.rules.verifies(self.check_in, location);
        out.insert("verified".into(), verified.into());
        Ok(())
    }
}

impl WebRecord for model::Favour {
    const EXTRAS: &'static [&'static str] = &["over_limit"];

    fn judge(&self, _id: &str, j: &mut Judge<'_>, out: &mut Map<String, Value>) -> WebResult<()> {
        out.insert("over_limit".into(), j.rules.over_limit(self).into());
        Ok(())
    }
}

impl WebRecord for model::Opportunity {
    const EXTRAS: &'static [&'static str] = &["danger", "unknown_roles", "unmet_roles"];

    fn judge(&self, _id: &str, j: &mut Judge<'_>, out: &mut Map<String, Value>) -> WebResult<()> {
        let coverage = j.local.role_coverage(self, j.now_ms)?.unwrap_or_default();
        out.insert("danger".into(), coverage.in_danger_zone().into());
        out.insert("unknown_roles".into(), to_value(&coverage.unknown_roles)?);
        out.insert("unmet_roles".into(), to_value(&coverage.unmet_roles)?);
        Ok(())
    }
}

impl WebRecord for model::Contact {}
impl WebRecord for model::Intel {}
impl WebRecord for model::InfoReport {}
impl WebRecord for model::Greeting {}
impl WebRecord for model::RelationshipEvent {}

/// Calls `$f::<RecordType>(args)` for a `DocKind`.
macro_rules! by_kind {
    ($kind:expr, $f:ident ( $($arg:expr),* )) => {
        match $kind {
            DocKind::Account => $f::<model::Account>($($arg),*),
            DocKind::Contact => $f::<model::Contact>($($arg),*),
            DocKind::Opportunity => $f::<model::Opportunity>($($arg),*),
            DocKind::Visit => $f::<model::Visit>($($arg),*),
            DocKind::Favour => $f::<model::Favour>($($arg),*),
            DocKind::Intel => $f::<model::Intel>($($arg),*),
            DocKind::InfoReport => $f::<model::InfoReport>($($arg),*),
            DocKind::Greeting => $f::<model::Greeting>($($arg),*),
            DocKind::RelationshipEvent => $f::<model::RelationshipEvent>($($arg),*),
        }
    };
}

fn record_json<R: WebRecord>(id: &str, record: &R, j: &mut Judge<'_>) -> WebResult<Value> {
    let Value::Object(mut out) = to_value(record)? else {
        return Err(storage("a record is not a JSON object"));
    };
    out.insert("id".into(), id.into());
    record.judge(id, j, &mut out)?;
    Ok(Value::Object(out))
}

/// The field a serde error is about: its path, else the one it names in backticks
/// (``missing field `purpose` ``, ``unknown field `nmae` ``).
fn serde_field(path: &str, message: &str) -> String {
    if !path.is_empty() && path != "." {
        return path.to_owned();
    }
    message
        .split('`')
        .nth(1)
        .map_or_else(|| "record".to_owned(), str::to_owned)
}

/// A record from the page's JSON: `id`, `deleted` and the judgements are dropped (they
/// are the output's), anything else must be a field of the kind, of the right type.
fn record_from_json<R: WebRecord>(json: &str) -> WebResult<R> {
    let value: Value = serde_json::from_str(json).map_err(|e| WebError::invalid("record", e))?;
    let Value::Object(mut map) = value else {
        return Err(WebError::invalid("record", "must be an object"));
    };
    for key in ["id", "deleted"].iter().chain(R::EXTRAS) {
        map.remove(*key);
    }
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = serde_field(&path, &inner);
        WebError {
            kind: "invalid",
            message: format!("{field}: {inner}"),
            field: Some(field),
        }
    })
}

fn create_kind<R: WebRecord>(local: &Local, json: &str) -> WebResult<String> {
    let record: R = record_from_json(json)?;
    Ok(local.create(&record)?)
}

/// Creates a record (one store transaction) and returns its id.
pub fn create(local: &Local, kind: &str, json: &str) -> WebResult<String> {
    by_kind!(parse_kind(kind)?, create_kind(local, json))
}

/// A live record; a removed one is not found.
fn live<R: WebRecord>(local: &Local, id: &str) -> WebResult<R> {
    let record: R = local.get(id)?;
    if record.is_deleted() {
        return Err(Error::NotFound {
            kind: R::KIND,
            id: id.to_owned(),
        }
        .into());
    }
    Ok(record)
}

fn get_kind<R: WebRecord>(local: &Local, id: &str) -> WebResult<Value> {
    let record: R = live(local, id)?;
    record_json(id, &record, &mut Judge::new(local)?)
}

/// One record, with its judgements.
pub fn get(local: &Local, kind: &str, id: &str) -> WebResult<Value> {
    by_kind!(parse_kind(kind)?, get_kind(local, id))
}

fn update_kind<R: WebRecord>(local: &Local, id: &str, json: &str) -> WebResult<Value> {
    let new: R = record_from_json(json)?;
    live::<R>(local, id)?;
    // The whole record is replaced; only the fields that differ become changes (so edits
    // of other fields on other devices merge), in one transaction.
    let updated = local.update::<R>(id, |current| *current = new)?;
    record_json(id, &updated, &mut Judge::new(local)?)
}

/// Replaces a record by the given fields (one store transaction) and returns it.
pub fn update(local: &Local, kind: &str, id: &str, json: &str) -> WebResult<Value> {
    by_kind!(parse_kind(kind)?, update_kind(local, id, json))
}

fn remove_kind<R: WebRecord>(local: &Local, id: &str) -> WebResult<()> {
    live::<R>(local, id)?;
    Ok(local.remove::<R>(id)?)
}

/// Removes a record (a tombstone, synced like any edit).
pub fn remove(local: &Local, kind: &str, id: &str) -> WebResult<()> {
    by_kind!(parse_kind(kind)?, remove_kind(local, id))
}

fn list_kind<R: WebRecord>(local: &Local, account_id: Option<&str>) -> WebResult<Value> {
    let items = local.list::<R>(account_id)?;
    let mut judge = Judge::new(local)?;
    let out = items
        .iter()
        .map(|i| record_json(&i.id, &i.record, &mut judge))
        .collect::<WebResult<Vec<_>>>()?;
    Ok(Value::Array(out))
}

/// Live records of a kind, optionally of one account, newest first, with judgements.
pub fn list(local: &Local, kind: &str, account_id: Option<&str>) -> WebResult<Value> {
    by_kind!(parse_kind(kind)?, list_kind(local, account_id))
}

/// When a record happened, with its offset, and a visit's next-step due date.
fn when(record: &model::AnyRecord) -> (Option<i64>, Option<String>) {
    use model::AnyRecord as A;
    match record {
        A::Visit(v) => (Some(v.occurred_at.offset_min), v.next_step_due.clone()),
        A::Favour(r) => (Some(r.occurred_at.offset_min), None),
        A::Intel(r) => (Some(r.occurred_at.offset_min), None),
        A::InfoReport(r) => (Some(r.occurred_at.offset_min), None),
        A::Greeting(r) => (Some(r.occurred_at.offset_min), None),
        A::RelationshipEvent(r) => (Some(r.occurred_at.offset_min), None),
        A::Account(_) | A::Contact(_) | A::Opportunity(_) => (None, None),
    }
}

/// An account's records, newest first (undated ones last):
/// `[{id, kind, title, at_ms, offset_min, due?}]`.
pub fn timeline(local: &Local, account_id: &str) -> WebResult<Value> {
    let rows = local.timeline(account_id)?;
    let store = local.store();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some((kind, doc)) = store.load(&row.id).map_err(Error::from)? else {
            continue;
        };
        let record = model::AnyRecord::read(kind, &doc).map_err(Error::from)?;
        let (offset_min, due) = when(&record);
        let mut item = json!({
            "id": row.id,
            "kind": row.kind.as_str(),
            "title": row.title,
            "at_ms": row.occurred_ms,
            "offset_min": offset_min,
        });
        if let (Some(due), Value::Object(m)) = (due, &mut item) {
            m.insert("due".into(), due.into());
        }
        out.push(item);
    }
    Ok(Value::Array(out))
}

fn ymd(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// What needs attention from `today` to `today + days`, soonest first:
/// `[{date, what, account_id, account_name, …}]` where `what` is `visit` (with
/// `last_visit`, `cadence_days`), `next_step` (`visit_id`, `step`), `birthday`
/// (`contact_id`, `contact_name`) or `holiday` (`occasion`).
pub fn due(local: &Local, today: &str, days: i64) -> WebResult<Value> {
    let today = chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d")
        .map_err(|_| WebError::invalid("today", "is not a date like 2026-11-27"))?;
    if !(0..=366).contains(&days) {
        return Err(WebError::invalid("days", "must be 0 to 366"));
    }
    let items = local.due(today, days)?;
    let out = items
        .into_iter()
        .map(|item| {
            let mut m = json!({
                "date": ymd(item.date),
                "account_id": item.account_id,
                "account_name": item.account_name,
            });
            let extra = match item.what {
                Due::Visit {
                    last_visit,
                    cadence_days,
                } => json!({
                    "what": "visit",
                    "last_visit": last_visit.map(ymd),
                    "cadence_days": cadence_days,
                }),
                Due::NextStep { visit_id, step } => {
                    json!({"what": "next_step", "visit_id": visit_id, "step": step})
                }
                Due::Birthday {
                    contact_id,
                    contact_name,
                } => json!({
                    "what": "birthday",
                    "contact_id": contact_id,
                    "contact_name": contact_name,
                }),
                Due::Holiday(occasion) => json!({"what": "holiday", "occasion": occasion.code()}),
            };
            if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
                m.extend(extra);
            }
            m
        })
        .collect();
    Ok(Value::Array(out))
}

/// The day view's accounts: `[{id, name, tier, stage, last_visit_ms, city}]`.
pub fn accounts(local: &Local) -> WebResult<Value> {
    let items = local.list::<model::Account>(None)?;
    let mut judge = Judge::new(local)?;
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        out.push(json!({
            "id": i.id,
            "name": i.record.name,
            "tier": judge.rules.tier(&i.record).code(),
            "stage": i.record.stage.map(|s| s.code()),
            "last_visit_ms": judge.last_visit_ms(&i.id)?,
            "city": i.record.city,
        }));
    }
    Ok(Value::Array(out))
}

/// The company's rules (the defaults before the first sync).
pub fn rules(local: &Local) -> WebResult<Value> {
    to_value(&local.rules()?)
}

/// Whether a check-in here verifies a visit at the account (within the rules' radius of
/// its location, with a fix at least that precise): `{verified, distance_m}`
/// (`distance_m` null when the account has no location).
pub fn check_in(
    local: &Local,
    account_id: &str,
    lat: f64,
    lon: f64,
    accuracy_m: f64,
) -> WebResult<Value> {
    if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
        return Err(WebError::invalid("lat", "not a position on Earth"));
    }
    if !(accuracy_m.is_finite() && accuracy_m >= 0.0) {
        return Err(WebError::invalid(
            "accuracy_m",
            "must be a positive distance",
        ));
    }
    let account = live::<model::Account>(local, account_id)?;
    let rules = local.rules()?;
    let at = model::CheckIn {
        lat,
        lon,
        accuracy_m,
    };
    let distance_m = account
        .location
        .map(|p| model::rules::distance_m(lat, lon, p.lat, p.lon));
    Ok(json!({
        "verified": rules.verifies(Some(at), account.location),
        "distance_m": distance_m,
    }))
}

/// The status line: `{signed_in_as, display_name, role, company, server_url, has_tokens,
/// waiting, cursor, last_sync_ms, rejected: [{doc_id, kind, title, code, reason}],
/// removals: [message]}`.
pub fn status(local: &Local) -> WebResult<Value> {
    let session = local.session()?;
    let status = local.status()?;
    let rejected = local.store().rejections().map_err(Error::from)?;
    let s = session.as_ref();
    Ok(json!({
        "signed_in_as": status.signed_in_as,
        "display_name": s.map(|s| &s.session.display_name),
        "role": s.map(|s| s.session.role.as_str()),
        "company": s.map(|s| &s.company),
        "server_url": status.server_url,
        "has_tokens": s.is_some_and(|s| !s.session.refresh_token.is_empty()),
        "waiting": status.store.waiting,
        "cursor": status.store.cursor,
        "last_sync_ms": status.store.last_sync_ms,
        "rejected": rejected.iter().map(|r| json!({
            "doc_id": r.doc_id,
            "kind": r.kind.map(DocKind::as_str),
            "title": r.title,
            "code": r.code,
            "reason": r.reason,
        })).collect::<Vec<_>>(),
        "removals": status.removal_messages(),
    }))
}

/// The meta key of a cached scorecard.
pub fn scorecard_key(period: Option<&str>) -> String {
    format!("scorecard:{}", period.unwrap_or(""))
}

/// Keeps a scorecard the server sent (as JSON) and returns it as the page gets it:
/// the server's object with `cached: false, fetched_ms`.
pub fn keep_scorecard(local: &Local, period: Option<&str>, card: Value) -> WebResult<Value> {
    let fetched_ms = now_ms();
    let kept = json!({"fetched_ms": fetched_ms, "scorecard": card});
    local
        .store()
        .set_app_value(&scorecard_key(period), &kept.to_string())
        .map_err(Error::from)?;
    Ok(with_cache_fields(card, false, fetched_ms))
}

/// The last scorecard kept for `period`, with `cached: true, fetched_ms`.
pub fn cached_scorecard(local: &Local, period: Option<&str>) -> WebResult<Option<Value>> {
    let Some(raw) = local
        .store()
        .app_value(&scorecard_key(period))
        .map_err(Error::from)?
    else {
        return Ok(None);
    };
    let kept: Value = serde_json::from_str(&raw).map_err(storage)?;
    let fetched_ms = kept["fetched_ms"].as_i64().unwrap_or(0);
    Ok(Some(with_cache_fields(
        kept["scorecard"].clone(),
        true,
        fetched_ms,
    )))
}

fn with_cache_fields(card: Value, cached: bool, fetched_ms: i64) -> Value {
    match card {
        Value::Object(mut m) => {
            m.insert("cached".into(), cached.into());
            m.insert("fetched_ms".into(), fetched_ms.into());
            Value::Object(m)
        }
        other => json!({"scorecard": other, "cached": cached, "fetched_ms": fetched_ms}),
    }
}
