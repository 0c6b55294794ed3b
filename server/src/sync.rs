//! `POST /v1/sync`: one round trip pushes a device's changes and pulls what is new.
//!
//! **Push.** First, without any lock, every pushed document the user may plausibly write
//! is verified and merged off the async runtime ([`prepare`]), against one budget for
//! the whole request. Then, in one database transaction for the request (on SQLite one
//! savepoint of the writer's group commit, see [`crate::writer`]) that holds the
//! tenant's [`Sequence`], the rows the request needs are read once ([`Known`]) and each
//! document goes through these steps, one function each, called in order by
//! [`push_doc`]:
//! 1. [`authorise`]: from the server's tables (tenant, account team, author: the one
//!    policy of [`crate::access`]), never from a field inside the document;
//! 2. [`verify_doc`]: each change is bounded before it is parsed (size once inflated,
//!    operations), checked against its hash, must carry the signing-in device's actor,
//!    and must have its dependencies known or in the batch; the document's whole
//!    history, nesting and snapshot are bounded too; the merged document must read as a
//!    valid record of its kind (client-core's `verify`, which holds every check that
//!    needs no table, and the limits). The work done before the lock is used when the
//!    stored snapshot is still the one it was merged into;
//! 3. [`check_account`]: the record's account is the same as before (its name, place
//!    and removal changed by admins alone), and for a new record one the rep is on;
//! 4. [`check_authorship`]: a change to someone else's authored record (or the removal
//!    of someone else's shared one) must be a manager's or admin's correction, recorded
//!    as theirs;
//! 5. [`charge_storage`]: what the push adds to stored records is within the pusher's
//!    storage quota;
//! 6. [`store`]: new changes are stored keyed by (document, hash) — a retried push
//!    stores nothing twice — each stamped with the next number of the tenant's sequence,
//!    and the document's row and read-model rows are rewritten (a new document's with
//!    the request's others, one multi-row insert per table).
//!
//! A document that fails any check is rejected whole with a reason; nothing of it is
//! stored. A rep taken off an account keeps what they authored; new records on it are
//! accepted only from a device the server had not yet told of the removal (see
//! [`removals`]).
//!
//! The sequence is held from the first read to the commit ([`crate::changelog`]), so a
//! tenant's writers commit in sequence order and a pull that has seen sequence N has
//! seen everything below it (invariant 3).
//!
//! **Pull** ([`pull`]), in named phases: the readable documents changed above the
//! cursor ([`changed_documents`], through the indexes by account and by author), the
//! page's positions and then its change bytes ([`page_positions`], [`page_changes`]),
//! assembled into a [`Page`], and the snapshots of accounts granted within the page's
//! window ([`add_grant_snapshots`]). No document is loaded, except those snapshots.

use std::collections::HashMap;

use automerge::AutoCommit;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rapport_client_core::model::{self, Account, AnyRecord, DocKind, Rules};
use rapport_client_core::protocol::{
    self, Change, DocResult, ErrorBody, Outcome, PulledDoc, PushDoc, Removal, Role, RulesUpdate,
    SyncRequest, SyncResponse,
};
use rapport_client_core::verify::{self, Budget, Refused, RequestErrorKind, Verified};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::access::{self, Membership, NewRecord, OthersChange, WriteAccess};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::changelog::{self, Sequence, add_storage, change_rows};
use crate::clock::Clock;
use crate::db::{
    account_teams, accounts, changes, corrections, devices, documents, storage_usage, tenants,
};
use crate::error::{ApiError, ApiResult};
use crate::projection;

/// About how many bytes of changes one response carries before it pages.
const PULL_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// Most a removal may add to a stored record and still pass a full storage quota (a real
/// removal adds a few bytes of history).
const REMOVAL_GROWTH_MAX: i64 = 4 * 1024;
/// Documents named in one query of a pull (backends cap the number of bind parameters).
const PULL_DOCS_PER_QUERY: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/sync", post(sync))
}

#[utoipa::path(post, path = "/v1/sync", tag = "sync", request_body(content = SyncRequest, content_type = "application/vnd.rapport.sync+postcard", description = "postcard-encoded SyncRequest"), responses((status = 200, description = "postcard-encoded SyncResponse", body = SyncResponse, content_type = "application/vnd.rapport.sync+postcard"), (status = 400, description = "Not a sync request, or an unsupported protocol version", body = ErrorBody), (status = 413, description = "Body over the limit", body = ErrorBody), (status = 415, description = "Wrong content type", body = ErrorBody), (status = 422, description = "Unknown kind, bad id or a document twice", body = ErrorBody)), security(("bearer" = [])))]
async fn sync(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != protocol::SYNC_CONTENT_TYPE {
        return Err(ApiError::UnsupportedMediaType(protocol::SYNC_CONTENT_TYPE));
    }
    if let Some(encoding) = headers.get(header::CONTENT_ENCODING)
        && encoding.as_bytes() != b"identity"
    {
        // Bodies are never inflated: a compressed body could stand for far more than the
        // body limit. Changes carry their own (bounded) compression.
        return Err(ApiError::UnsupportedMediaType(
            "application/vnd.rapport.sync+postcard, without Content-Encoding",
        ));
    }
    let started = std::time::Instant::now();
    let body = read_body(body, state.settings.max_body_bytes).await?;
    let request = check_request(&body)?;
    let pushed: Vec<usize> = request.push.iter().map(|d| d.changes.len()).collect();
    let (results, written) = push(&state, &user, request.push).await?;
    // When this request's own changes directly follow the device's cursor, the cursor
    // moves past them: they are this device's (pull never sends a device its own
    // changes) and nothing else took a sequence number among them, the tenant's
    // sequence being held throughout the push.
    let cursor = match written {
        Some((first, last)) if i64::try_from(request.cursor).is_ok_and(|c| c == first) => {
            u64::try_from(last).unwrap_or(request.cursor)
        }
        _ => request.cursor,
    };
    let pulled = pull(&state, &user, cursor).await?;
    let removals = removals(&state, &user, cursor, pulled.cursor).await?;
    let (rules_version, rules) = crate::rules::load(&state.db, user.tenant_id()).await?;
    let response = SyncResponse {
        results,
        docs: pulled.docs,
        cursor: pulled.cursor,
        has_more: pulled.has_more,
        rules: (rules_version != request.rules_version).then_some(RulesUpdate {
            version: rules_version,
            rules,
        }),
        removals,
    };
    // Each version of the protocol gets the response in its own shape (postcard is not
    // self-describing); the device was told of its removals either way.
    let bytes = if request.version >= 2 {
        postcard::to_stdvec(&response)
    } else {
        postcard::to_stdvec(&response.v1())
    }
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding sync response: {e}")))?;
    crate::telemetry::sync_done(
        started,
        body.len(),
        bytes.len(),
        pushed
            .into_iter()
            .zip(response.results.iter().map(|r| &r.outcome)),
    );
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, protocol::SYNC_CONTENT_TYPE)],
        bytes,
    )
        .into_response())
}

/// Reads the whole body, refusing more than `limit` bytes with 413 and the JSON error.
async fn read_body(body: Body, limit: usize) -> ApiResult<Bytes> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::TooLarge(format!("request body larger than {limit} bytes"))
        } else {
            ApiError::BadRequest(format!("could not read the request body: {e}"))
        }
    })
}

/// Decodes the request and checks it as a whole before anything is stored (see
/// [`verify::decode_request`]): a request that fails here changes nothing.
fn check_request(body: &[u8]) -> ApiResult<SyncRequest> {
    verify::decode_request(body).map_err(request_error)
}

fn request_error(e: verify::RequestError) -> ApiError {
    match e.kind {
        RequestErrorKind::Invalid => ApiError::BadRequest(e.message),
        RequestErrorKind::TooLarge => ApiError::TooLarge(e.message),
        RequestErrorKind::Unprocessable => ApiError::Unprocessable(e.message),
    }
}

/// The one answer for every document a user may not write, whether it exists elsewhere
/// or not at all: the reason must not reveal which.
fn forbidden() -> Outcome {
    rejected(
        "forbidden",
        "no such record on your accounts (or not yours to change)",
    )
}

fn rejected(code: &str, reason: impl Into<String>) -> Outcome {
    Outcome::Rejected {
        code: code.into(),
        reason: reason.into(),
    }
}

/// The reason shown to a rep whose new record is on an account they were taken off.
async fn removed_reason(
    txn: &DatabaseTransaction,
    tenant_id: &str,
    account: &str,
    at_ms: Option<i64>,
) -> ApiResult<Outcome> {
    let zone = tenants::Entity::find_by_id(tenant_id)
        .one(txn)
        .await?
        .and_then(|t| t.time_zone.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(chrono_tz::UTC);
    let day = at_ms
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.with_timezone(&zone).format(" on %Y-%m-%d").to_string())
        .unwrap_or_default();
    Ok(rejected(
        "removed_from_account",
        format!(
            "you were taken off {account}'s team{day}: new records on it are no longer \
             accepted (what you logged before stays yours)"
        ),
    ))
}

/// What a push wrote: the sequence numbers it took, `(first - 1, last)`, when it stored
/// any change.
type Written = Option<(i64, i64)>;

async fn push(
    state: &AppState,
    user: &AuthUser,
    docs: Vec<PushDoc>,
) -> ApiResult<(Vec<DocResult>, Written)> {
    if docs.is_empty() {
        return Ok((Vec::new(), None));
    }
    // The CPU work (parsing, checking and merging every change, saving the snapshot) is
    // done before taking the writer lock, so other requests' writes go on meanwhile; only
    // what reads or writes the tables is serialised.
    let (docs, prepared) = prepare(state, user, docs).await?;
    let user = user.clone();
    let clock = state.clock;
    let quota = i64::try_from(state.settings.user_storage_quota).unwrap_or(i64::MAX);
    state
        .writer
        .run(Box::new(move |txn| {
            Box::pin(async move { push_locked(txn, &user, clock, quota, docs, prepared).await })
        }))
        .await
}

/// The part of a push that reads and writes the tables, in the transaction the writer
/// gives it (see [`crate::writer`]).
async fn push_locked(
    txn: &DatabaseTransaction,
    user: &AuthUser,
    clock: Clock,
    quota: i64,
    docs: Vec<PushDoc>,
    mut prepared: Vec<Option<Prepared>>,
) -> ApiResult<(Vec<DocResult>, Written)> {
    let seq = Sequence::lock(txn, user.tenant_id()).await?;
    let (_, rules) = crate::rules::load(txn, user.tenant_id()).await?;
    let cx = Pusher {
        txn,
        user,
        rules: &rules,
        clock,
    };
    let mut pushing = Pushing {
        // Read once for the request what every document needs (taken under the sequence
        // lock, so no other writer changes it meanwhile).
        known: Known::load(txn, user, &docs, quota).await?,
        seq,
        // One budget for the whole request: past it the request is refused and, as its
        // transaction is rolled back, nothing of it is stored.
        budget: Budget::default(),
    };
    let mut results = Vec::with_capacity(docs.len());
    for (doc, pre) in docs.into_iter().zip(prepared.iter_mut()) {
        let outcome = push_doc(&cx, &mut pushing, &doc, pre.take()).await?;
        if let Outcome::Rejected { code, reason } = &outcome {
            tracing::info!(doc = %doc.doc_id, user = %user.id(), %code, %reason, "document rejected");
        }
        results.push(DocResult {
            doc_id: doc.doc_id,
            outcome,
        });
    }
    let Pushing { known, seq, .. } = pushing;
    known.write(txn, user.tenant_id()).await?;
    let written = seq.taken();
    seq.finish(txn).await?;
    Ok((results, written))
}

/// Who pushes, in which transaction, under which rules: what every document of one push
/// shares.
struct Pusher<'a> {
    txn: &'a DatabaseTransaction,
    user: &'a AuthUser,
    rules: &'a Rules,
    clock: Clock,
}

/// A push under way: what it read and gathered, the sequence it holds and its budget.
struct Pushing {
    known: Known,
    seq: Sequence,
    budget: Budget,
}

impl Pusher<'_> {
    /// The pusher's write access (see [`WriteAccess`]), from their account-team rows and
    /// the removals their device has been told of.
    fn access_of<'k>(
        &'k self,
        teams: &'k HashMap<String, Membership>,
        told_seq: i64,
    ) -> WriteAccess<'k> {
        WriteAccess {
            tenant_id: self.user.tenant_id(),
            user_id: self.user.id(),
            teams,
            told_seq,
        }
    }
}

/// One document verified and merged before the writer lock, against the stored snapshot
/// read then. Used under the lock only if the document's row still holds that snapshot;
/// otherwise (another request changed it meanwhile) the work is done again there.
struct Prepared {
    /// The stored snapshot it was merged into; `None`: there was no such document.
    base: Option<Vec<u8>>,
    /// What verifying it charged to a full budget, charged to the request's under the lock.
    spent: Budget,
    result: Result<Verified, Refused>,
}

/// Verifies and merges, off the async runtime and before the writer lock, every pushed
/// document this user may plausibly write (the authorisation itself is decided under the
/// lock, from rows read there): the result for each, `None` for those left to the lock.
async fn prepare(
    state: &AppState,
    user: &AuthUser,
    docs: Vec<PushDoc>,
) -> ApiResult<(Vec<PushDoc>, Vec<Option<Prepared>>)> {
    let mut stored = stored_documents(&state.db, &docs).await?;
    let teams: HashMap<String, Membership> = if stored.is_empty() {
        HashMap::new()
    } else {
        access::memberships(&state.db, user.tenant_id(), user.id()).await?
    };
    let access = WriteAccess {
        tenant_id: user.tenant_id(),
        user_id: user.id(),
        teams: &teams,
        told_seq: user.device.told_seq,
    };
    // What to merge into: `Some(None)` a new document, `Some(Some(d))` this row's
    // snapshot, `None` nothing here (another company's record, or one this user may not
    // write: never loaded outside the checks).
    let bases: Vec<Option<Option<Vec<u8>>>> =
        docs.iter()
            .map(|push| {
                let kind = DocKind::parse(&push.kind)?;
                match stored.remove(&push.doc_id) {
                    None => (kind != DocKind::Account).then_some(None),
                    Some(d) => (d.kind == kind.as_str() && access.may_change(&d))
                        .then_some(Some(d.snapshot)),
                }
            })
            .collect();
    let actor = user.device.actor_id.clone();
    let checked = crate::cpu::run(move || {
        let to_verify: Vec<verify::ToVerify<'_>> = docs
            .iter()
            .zip(bases.iter())
            .map(|(push, base)| verify::ToVerify {
                push,
                base: match base {
                    Some(Some(snapshot)) => AutoCommit::load(snapshot).ok().map(Some),
                    Some(None) => Some(None),
                    None => None,
                },
            })
            .collect();
        // One budget for the whole request, charged change by change: the first change
        // past it refuses the request, before any more is inflated or merged.
        let checked = verify::verify_documents(to_verify, &actor, &mut Budget::default());
        (docs, bases, checked)
    })
    .await
    .map_err(ApiError::Internal)?;
    let (docs, bases, checked) = checked;
    let prepared = checked
        .map_err(request_error)?
        .into_iter()
        .zip(bases)
        .map(|(checked, base)| {
            let checked = checked?;
            Some(Prepared {
                base: base?,
                spent: checked.spent,
                result: checked
                    .result
                    .map(|v| match v {
                        // The merged document itself is not needed any more: free it now.
                        Verified::Merged(mut m) => {
                            m.doc = AutoCommit::new();
                            Verified::Merged(m)
                        }
                        unchanged => unchanged,
                    })
                    .map_err(Refused::Document),
            })
        })
        .collect();
    Ok((docs, prepared))
}

/// The stored rows of the pushed documents, by id (whatever their company: the checks
/// decide), read in chunks since backends cap the number of bind parameters.
async fn stored_documents(
    conn: &impl ConnectionTrait,
    push: &[PushDoc],
) -> ApiResult<HashMap<String, documents::Model>> {
    let ids: Vec<&str> = push.iter().map(|d| d.doc_id.as_str()).collect();
    let mut stored = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(PULL_DOCS_PER_QUERY) {
        let rows = documents::Entity::find()
            .filter(documents::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        stored.extend(rows.into_iter().map(|d| (d.id.clone(), d)));
    }
    Ok(stored)
}

/// What one push reads once instead of once per document: the stored rows of the
/// documents it names, the user's account-team rows, and the account rows it looks up.
/// Kept current as the request writes (a document named twice, an account changed).
struct Known {
    /// The documents' rows, by id; absent: no such document (yet).
    docs: HashMap<String, documents::Model>,
    /// The user's account-team rows, by account id.
    teams: HashMap<String, Membership>,
    /// Removals from account teams up to this sequence number have been told to the
    /// pushing device (see [`removals`]).
    told_seq: i64,
    /// Corrections of others' records this request makes, inserted together.
    corrections: Vec<corrections::ActiveModel>,
    /// Account rows read so far, by id (`None`: no such row); the user's team's
    /// accounts are read up front.
    accounts: HashMap<String, Option<accounts::Model>>,
    /// The accepted documents' new change rows, inserted together before the commit.
    changes: Vec<changes::ActiveModel>,
    /// The rows of the documents this request creates and their read-model rows, also
    /// written together before the commit (nothing in the request reads them back).
    new_docs: Vec<documents::ActiveModel>,
    new_rows: projection::Rows,
    /// The storage of the authors whose records the request changes.
    storage: Storage,
}

/// What the authors of a request's records store, against the storage quota.
struct Storage {
    /// Most bytes of stored snapshots one author may have.
    quota: i64,
    /// Per author touched by the request: bytes stored before it, and what it adds.
    usage: HashMap<String, (i64, i64)>,
}

impl Known {
    async fn load(
        txn: &DatabaseTransaction,
        user: &AuthUser,
        push: &[PushDoc],
        quota: i64,
    ) -> ApiResult<Self> {
        let docs = stored_documents(txn, push).await?;
        let teams = access::memberships(txn, user.tenant_id(), user.id()).await?;
        // Read afresh under the lock: a response of another request may have told the
        // device of a removal since this request was authenticated.
        let told_seq = devices::Entity::find_by_id(&user.device.id)
            .one(txn)
            .await?
            .map_or(user.device.told_seq, |d| d.told_seq);
        // The accounts a rep's new records go on: those of their team.
        let team_accounts: Vec<&str> = teams.keys().map(String::as_str).collect();
        let mut accounts: HashMap<String, Option<accounts::Model>> =
            HashMap::with_capacity(team_accounts.len());
        for chunk in team_accounts.chunks(PULL_DOCS_PER_QUERY) {
            for id in chunk {
                accounts.insert((*id).to_owned(), None);
            }
            let rows = accounts::Entity::find()
                .filter(accounts::Column::Id.is_in(chunk.iter().copied()))
                .all(txn)
                .await?;
            accounts.extend(rows.into_iter().map(|a| (a.id.clone(), Some(a))));
        }
        Ok(Self {
            docs,
            teams,
            told_seq,
            corrections: Vec::new(),
            accounts,
            changes: Vec::new(),
            new_docs: Vec::new(),
            new_rows: projection::Rows::default(),
            storage: Storage {
                quota,
                usage: HashMap::new(),
            },
        })
    }

    /// Writes what the request gathered: the new documents' rows, their read-model rows
    /// and every new change, a few statements in all.
    async fn write(self, txn: &DatabaseTransaction, tenant_id: &str) -> ApiResult<()> {
        projection::insert_all(txn, self.new_docs, None).await?;
        self.new_rows.write(txn).await?;
        projection::insert_all(txn, self.changes, None).await?;
        projection::insert_all(txn, self.corrections, None).await?;
        for (author, (_, added)) in self.storage.usage {
            add_storage(txn, tenant_id, &author, added).await?;
        }
        Ok(())
    }
}

impl Storage {
    /// Charges `growth` bytes to `author`'s storage; `false` (and nothing charged) when
    /// it would take them past the quota. Shrinking and a `removal` are always allowed,
    /// so a rep at the quota can still remove and trim records.
    async fn charge(
        &mut self,
        txn: &DatabaseTransaction,
        tenant_id: &str,
        author: &str,
        growth: i64,
        removal: bool,
    ) -> ApiResult<bool> {
        if !self.usage.contains_key(author) {
            let key = (tenant_id.to_owned(), author.to_owned());
            let stored = storage_usage::Entity::find_by_id(key)
                .one(txn)
                .await?
                .map_or(0, |u| u.bytes);
            self.usage.insert(author.to_owned(), (stored, 0));
        }
        let Some((stored, added)) = self.usage.get_mut(author) else {
            return Ok(false);
        };
        if growth > 0 && !removal && *stored + *added + growth > self.quota {
            return Ok(false);
        }
        *added += growth;
        Ok(true)
    }
}

/// The account's row from `accounts` (see [`Known`]), read at most once per request.
async fn account_row<'a>(
    accounts: &'a mut HashMap<String, Option<accounts::Model>>,
    txn: &DatabaseTransaction,
    account_id: &str,
) -> ApiResult<Option<&'a accounts::Model>> {
    if !accounts.contains_key(account_id) {
        let row = accounts::Entity::find_by_id(account_id).one(txn).await?;
        accounts.insert(account_id.to_owned(), row);
    }
    Ok(accounts.get(account_id).and_then(Option::as_ref))
}

/// Pushes one document, in the steps of the module's documentation: each either rejects
/// it (nothing of it written) or passes it on; the last stores it.
async fn push_doc(
    cx: &Pusher<'_>,
    pushing: &mut Pushing,
    push: &PushDoc,
    prepared: Option<Prepared>,
) -> ApiResult<Outcome> {
    let Some(kind) = DocKind::parse(&push.kind) else {
        return Ok(rejected("unknown_kind", "unknown document kind"));
    };
    let known = &mut pushing.known;
    let existing = known.docs.get(&push.doc_id);
    let access = cx.access_of(&known.teams, known.told_seq);
    if let Err(refused) = authorise(&access, existing, kind) {
        return Ok(refused);
    }
    let merged = match verify_doc(cx, push, kind, existing, prepared, &mut pushing.budget)? {
        Ok(merged) => merged,
        Err(outcome) => return Ok(outcome),
    };
    let account_id = merged.record.account_id(&push.doc_id).to_owned();
    if let Err(refused) = check_account(
        cx,
        &mut known.accounts,
        &access,
        existing,
        &merged.record,
        &account_id,
    )
    .await?
    {
        return Ok(refused);
    }
    let correction = match check_authorship(cx.user.id(), cx.user.role(), existing, kind, &merged) {
        Ok(correction) => correction,
        Err(refused) => return Ok(refused),
    };
    if let Err(refused) = charge_storage(cx, &mut known.storage, existing, &merged).await? {
        return Ok(refused);
    }
    let accepted = Accepted {
        kind,
        account_id,
        author: existing.map_or_else(|| cx.user.id().to_owned(), |d| d.author_id.clone()),
        correction,
        created: existing.map(|d| (d.created_seq, d.created_at)),
        merged,
    };
    store(cx, pushing, &push.doc_id, accepted).await?;
    Ok(Outcome::Accepted)
}

/// 1. Authorises from our own tables. Another tenant's document and one this user may
///    not see are answered alike, so ids leak nothing. Reps taken off an account keep
///    writing what they logged while on it; others' records need an active membership
///    (or one whose end the device had not heard of when it pushed).
fn authorise(
    access: &WriteAccess<'_>,
    existing: Option<&documents::Model>,
    kind: DocKind,
) -> Result<(), Outcome> {
    match existing {
        Some(d) if d.tenant_id != access.tenant_id => Err(forbidden()),
        Some(d) if d.kind != kind.as_str() => {
            Err(rejected("kind_changed", "a record cannot change its kind"))
        }
        Some(d) if !access.may_change(d) => Err(forbidden()),
        Some(_) => Ok(()),
        // Accounts are created by admins, on the server.
        None if kind == DocKind::Account => Err(forbidden()),
        None => Ok(()),
    }
}

/// 2. Parses, bounds and checks every change, merges, and reads the result as a record:
///    everything that needs no table, in client-core's `verify`. Done before the lock
///    (see [`prepare`]) unless the document changed since. `Err` is the document's outcome
///    already decided (refused, or accepted with nothing new to store); a request past
///    its budget is an error.
fn verify_doc(
    cx: &Pusher<'_>,
    push: &PushDoc,
    kind: DocKind,
    existing: Option<&documents::Model>,
    prepared: Option<Prepared>,
    budget: &mut Budget,
) -> ApiResult<Result<verify::Merged, Outcome>> {
    let stored_snapshot = existing.map(|d| d.snapshot.as_slice());
    let verified = match prepared {
        Some(p) if p.base.as_deref() == stored_snapshot => {
            budget.charge_spent(&p.spent).map_err(request_error)?;
            p.result
        }
        _ => {
            let stored = match existing {
                Some(d) => Some(AutoCommit::load(&d.snapshot).map_err(|e| {
                    ApiError::Internal(anyhow::anyhow!("stored document {} is corrupt: {e}", d.id))
                })?),
                None => None,
            };
            verify::apply_push(
                stored,
                kind,
                &cx.user.device.actor_id,
                &push.changes,
                budget,
            )
        }
    };
    match verified {
        Ok(Verified::Unchanged) => Ok(Err(Outcome::Accepted)),
        Ok(Verified::Merged(m)) => Ok(Ok(*m)),
        Err(Refused::Document(r)) => Ok(Err(rejected(r.code, r.reason))),
        Err(Refused::Request(e)) => Err(request_error(e)),
    }
}

/// 3. The account: unchanged (and its admin fields changed by an admin alone), and for a
///    new record one of the company that the rep is on (or was, unheard).
async fn check_account(
    cx: &Pusher<'_>,
    accounts: &mut HashMap<String, Option<accounts::Model>>,
    access: &WriteAccess<'_>,
    existing: Option<&documents::Model>,
    record: &AnyRecord,
    account_id: &str,
) -> ApiResult<Result<(), Outcome>> {
    let Some(d) = existing else {
        let account = account_row(accounts, cx.txn, account_id).await?;
        let Some(name) = account
            .filter(|a| a.tenant_id == access.tenant_id && !a.deleted)
            .map(|a| a.name.clone())
        else {
            return Ok(Err(forbidden()));
        };
        return Ok(match access.new_record(account_id) {
            NewRecord::Allowed => Ok(()),
            NewRecord::NotOnTeam => Err(forbidden()),
            // Taken off the account: a new record is accepted only from a device that had
            // not heard of it yet (logged while the rep was on the team).
            NewRecord::Removed { at_ms } => {
                Err(removed_reason(cx.txn, access.tenant_id, &name, at_ms).await?)
            }
        });
    };
    if d.account_id != account_id {
        return Ok(Err(rejected(
            "account_changed",
            "a record cannot move to another account",
        )));
    }
    if let AnyRecord::Account(after) = record
        && cx.user.role() != Role::Admin
    {
        let before = AutoCommit::load(&d.snapshot)
            .ok()
            .and_then(|b| model::read_record::<Account>(&b).ok());
        if before.is_some_and(|b| !b.same_admin_fields(after)) {
            return Ok(Err(rejected(
                "admin_only",
                "only an admin may rename, move or remove an account",
            )));
        }
    }
    Ok(Ok(()))
}

/// 4. Authorship: what a rep logged is theirs. Someone else's change to it (or the
///    removal of someone else's shared record) is a manager's or admin's correction,
///    recorded as theirs (`Ok(true)`); from a rep it is rejected whole.
fn check_authorship(
    user_id: &str,
    role: Role,
    existing: Option<&documents::Model>,
    kind: DocKind,
    merged: &verify::Merged,
) -> Result<bool, Outcome> {
    let Some(d) = existing.filter(|d| d.author_id != user_id) else {
        return Ok(false);
    };
    let removes = merged.record.is_deleted() != d.deleted;
    match access::others_change(kind, removes, role) {
        OthersChange::Shared => Ok(false),
        OthersChange::Correction => Ok(true),
        OthersChange::Refused => {
            let what = kind.as_str().replace('_', " ");
            Err(rejected(
                "not_author",
                if kind.is_authored() {
                    format!(
                        "only its author may change or remove this {what} (a manager or \
                         admin may correct it)"
                    )
                } else {
                    format!(
                        "only its author, a manager or an admin may remove or restore this \
                         {what}"
                    )
                },
            ))
        }
    }
}

/// 5. The storage quota: what a push adds to stored records is charged to whoever pushed
///    it (a teammate's growth of a shared account or contact is theirs, not the record's
///    author's), and may not take them past the quota.
async fn charge_storage(
    cx: &Pusher<'_>,
    storage: &mut Storage,
    existing: Option<&documents::Model>,
    merged: &verify::Merged,
) -> ApiResult<Result<(), Outcome>> {
    let growth = i64::try_from(merged.snapshot.len()).unwrap_or(i64::MAX)
        - existing.map_or(0, |d| i64::try_from(d.snapshot.len()).unwrap_or(0));
    // Removing a record is always allowed, even past the quota: it is how a rep frees
    // space. The removal itself adds a few bytes of history; a "removal" that adds more
    // than that is charged like any other change.
    let removal = existing.is_some_and(|d| !d.deleted)
        && merged.record.is_deleted()
        && growth <= REMOVAL_GROWTH_MAX;
    let user = cx.user;
    if storage
        .charge(cx.txn, user.tenant_id(), user.id(), growth, removal)
        .await?
    {
        return Ok(Ok(()));
    }
    Ok(Err(rejected(
        "quota_exceeded",
        format!(
            "the server keeps at most {} of records per person (the storage quota), and \
             this change would take you past it; remove records that are no longer needed, \
             or ask your admin to raise the quota",
            human_size(storage.quota)
        ),
    )))
}

/// A document every check has passed, to be stored.
struct Accepted {
    kind: DocKind,
    account_id: String,
    /// Whose record it is: the first pusher's, whoever changes it.
    author: String,
    /// Whether this change is someone else's correction of it (see [`check_authorship`]).
    correction: bool,
    /// The stored row's creation (sequence number, Unix ms); `None` for a new document.
    created: Option<(i64, i64)>,
    merged: verify::Merged,
}

/// 6. Stores the document. Every check that can reject it is behind us: a failure from
///    here on is an error that rolls the whole request back, so nothing of the document
///    is left half-written.
async fn store(
    cx: &Pusher<'_>,
    pushing: &mut Pushing,
    doc_id: &str,
    accepted: Accepted,
) -> ApiResult<()> {
    let Accepted {
        kind,
        account_id,
        author,
        correction,
        created,
        merged,
    } = accepted;
    let verify::Merged {
        mut fresh,
        record,
        snapshot,
        ..
    } = merged;
    let (txn, user) = (cx.txn, cx.user);
    let known = &mut pushing.known;
    let is_new = created.is_none();
    let first_seq = pushing.seq.last() + 1;
    // The changes are inserted with the request's others, before it commits.
    let rows = change_rows(&mut pushing.seq, doc_id, &mut fresh);
    known.changes.extend(rows);
    let seq = pushing.seq.last();
    let now = cx.clock.now_ms();
    if correction {
        known.corrections.push(corrections::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            tenant_id: Set(user.tenant_id().to_owned()),
            doc_id: Set(doc_id.to_owned()),
            kind: Set(kind.as_str().to_owned()),
            account_id: Set(account_id.clone()),
            author_id: Set(author.clone()),
            by_user: Set(user.id().to_owned()),
            seq: Set(seq),
            at_ms: Set(now),
        });
    }
    let row = documents::Model {
        id: doc_id.to_owned(),
        tenant_id: user.tenant_id().to_owned(),
        kind: kind.as_str().to_owned(),
        account_id,
        author_id: author,
        snapshot,
        deleted: record.is_deleted(),
        created_seq: created.map_or(first_seq, |(s, _)| s),
        updated_seq: seq,
        created_at: created.map_or(now, |(_, at)| at),
        updated_at: now,
    };
    // Every column is written (a model converts to unchanged values).
    let active = documents::ActiveModel::from(row.clone()).reset_all();
    if is_new {
        known.new_docs.push(active);
    } else {
        documents::Entity::update_many()
            .set(active)
            .filter(documents::Column::Id.eq(doc_id))
            .exec(txn)
            .await?;
    }
    project(cx, known, &row, &record, is_new).await?;
    known.docs.insert(doc_id.to_owned(), row);
    Ok(())
}

/// Rebuilds the read-model rows of the document stored as `row`.
async fn project(
    cx: &Pusher<'_>,
    known: &mut Known,
    row: &documents::Model,
    record: &AnyRecord,
    is_new: bool,
) -> ApiResult<()> {
    let account_location = match record {
        AnyRecord::Visit(v) => Some(
            account_row(&mut known.accounts, cx.txn, &v.account_id)
                .await?
                .and_then(projection::location_of),
        ),
        _ => None,
    };
    let context = projection::Context {
        tenant_id: cx.user.tenant_id(),
        doc_id: &row.id,
        author_id: &row.author_id,
        pusher_id: cx.user.id(),
        rules: cx.rules,
        now_ms: row.updated_at,
        is_new,
        account_location,
    };
    let rows = projection::prepare(cx.txn, &context, record).await?;
    if is_new {
        known.new_rows.append(rows);
    } else {
        // Written now: a later document of the request may read it (a visit, its
        // account's location).
        rows.write(cx.txn).await?;
    }
    if let AnyRecord::Account(_) = record {
        // Its row was just rewritten: read it afresh if the request needs it again.
        known.accounts.remove(&row.id);
    }
    Ok(())
}

/// `bytes` for people: in MiB from 1 MiB up, else in KiB.
fn human_size(bytes: i64) -> String {
    const MIB: i64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

/// The account teams this user was taken off in `(cursor, new_cursor]` and is still off,
/// each with the documents on it the user authored (which stay on the device).
///
/// This is how the server tells a device of a removal, and it remembers having told it:
/// the device's `told_seq` moves to `new_cursor`. From then on the device's new records
/// on that account are refused (see [`push_doc`]); until then they were logged before it
/// knew, and are accepted. The mark is the server's own: a device cannot un-hear a
/// removal by sending an older cursor (the response tells it again and the mark stays), a
/// newer protocol version or none, and a device registered later starts past every
/// removal before it.
async fn removals(
    state: &AppState,
    user: &AuthUser,
    cursor: u64,
    new_cursor: u64,
) -> ApiResult<Vec<Removal>> {
    let (Ok(cursor), Ok(new_cursor)) = (i64::try_from(cursor), i64::try_from(new_cursor)) else {
        return Ok(Vec::new());
    };
    // A device whose cursor is past the head starts over from 0 (see [`pull`]).
    let cursor = if cursor > new_cursor { 0 } else { cursor };
    if cursor == new_cursor && user.device.told_seq >= new_cursor {
        return Ok(Vec::new());
    }
    let db = &state.db;
    let ended: Vec<account_teams::Model> = account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(user.tenant_id()))
        .filter(account_teams::Column::UserId.eq(user.id()))
        .filter(account_teams::Column::Active.eq(false))
        .filter(account_teams::Column::RevokedSeq.lte(new_cursor))
        .filter(
            sea_orm::Condition::any()
                .add(account_teams::Column::RevokedSeq.gt(cursor))
                .add(account_teams::Column::RevokedSeq.gt(user.device.told_seq)),
        )
        .all(db)
        .await?;
    if ended.is_empty() {
        return Ok(Vec::new());
    }
    if ended
        .iter()
        .any(|t| t.revoked_seq.is_some_and(|r| r > user.device.told_seq))
    {
        let _writer = state.write_guard().await;
        devices::Entity::update_many()
            .col_expr(devices::Column::ToldSeq, Expr::value(new_cursor))
            .filter(devices::Column::Id.eq(&user.device.id))
            .filter(devices::Column::ToldSeq.lt(new_cursor))
            .exec(db)
            .await?;
    }
    let mut out = Vec::with_capacity(ended.len());
    for t in ended {
        if t.revoked_seq.is_none_or(|r| r <= cursor) {
            continue;
        }
        let name = accounts::Entity::find_by_id(&t.account_id)
            .filter(accounts::Column::TenantId.eq(user.tenant_id()))
            .one(db)
            .await?
            .map_or_else(String::new, |a| a.name);
        let authored: Vec<String> = documents::Entity::find()
            .select_only()
            .column(documents::Column::Id)
            .filter(documents::Column::TenantId.eq(user.tenant_id()))
            .filter(documents::Column::AccountId.eq(&t.account_id))
            .filter(documents::Column::AuthorId.eq(user.id()))
            .into_tuple()
            .all(db)
            .await?;
        out.push(Removal {
            account_id: t.account_id,
            account_name: name,
            removed_at_ms: t.revoked_at.unwrap_or(0),
            authored,
        });
    }
    Ok(out)
}

/// What a pull answers: the changed documents (their changes, or a snapshot for those
/// of an account granted since the cursor), the new cursor, and whether more is waiting.
struct Pulled {
    docs: Vec<PulledDoc>,
    cursor: u64,
    has_more: bool,
}

/// Reads what this user may see above `cursor`, paged: the readable documents changed
/// since, the page of their changes, then the snapshots of accounts granted within it.
async fn pull(state: &AppState, user: &AuthUser, cursor: u64) -> ApiResult<Pulled> {
    let cursor =
        i64::try_from(cursor).map_err(|_| ApiError::BadRequest("cursor out of range".into()))?;
    let db = &state.db;
    let head = changelog::head(db, user.tenant_id()).await?;
    if cursor > head {
        // A cursor from the future: the device talks to a different or restored server.
        // Start it over; merging what it already has is harmless.
        return Box::pin(pull(state, user, 0)).await;
    }
    let mut page = Page::new(head);
    if cursor < head {
        // (At the head nothing was written since: no change, and no grant — grants take
        // a sequence number too.)
        let docs = changed_documents(db, user, cursor).await?;
        let limit = state.settings.pull_page_changes;
        let positions = page_positions(db, user, &docs, cursor, head, limit).await?;
        let rows = page_changes(db, user, &docs, &positions, cursor).await?;
        page.fill(rows, limit);
        add_grant_snapshots(db, user, cursor, &mut page).await?;
    }
    Ok(page.finish())
}

/// A document's kind and account, by id.
type DocsFound = HashMap<String, (String, String)>;

/// The documents this user may read that changed above the cursor, found through the
/// indexes (tenant, account or author, updated_seq): a pull costs what this user may
/// read, not a walk over the company's whole change log. `updated_seq` is the sequence
/// of a document's latest change, so every change in (cursor, head] belongs to one of
/// them; a writer committing meanwhile only raises it.
async fn changed_documents(
    db: &DatabaseConnection,
    user: &AuthUser,
    cursor: i64,
) -> ApiResult<DocsFound> {
    let readable_accounts = Query::select()
        .column(account_teams::Column::AccountId)
        .from(account_teams::Entity)
        .and_where(account_teams::Column::TenantId.eq(user.tenant_id()))
        .and_where(account_teams::Column::UserId.eq(user.id()))
        .and_where(account_teams::Column::Active.eq(true))
        .to_owned();
    // Two queries, one per index: an `OR` of the two would walk every document.
    let mut docs = HashMap::new();
    for readable in [
        documents::Column::AuthorId.eq(user.id()),
        documents::Column::AccountId.in_subquery(readable_accounts),
    ] {
        let found: Vec<(String, String, String)> = documents::Entity::find()
            .select_only()
            .column(documents::Column::Id)
            .column(documents::Column::Kind)
            .column(documents::Column::AccountId)
            .filter(documents::Column::TenantId.eq(user.tenant_id()))
            .filter(readable)
            .filter(documents::Column::UpdatedSeq.gt(cursor))
            .into_tuple()
            .all(db)
            .await?;
        for (id, kind, account) in found {
            docs.insert(id, (kind, account));
        }
    }
    Ok(docs)
}

/// The positions (sequence number, document) of the page's changes in `(cursor, head]`,
/// in order, one more than `limit` when more are waiting: no change bytes yet. A
/// device's own changes are not sent back: its store has them since it wrote them (a new
/// store always signs in as a new device, with a new actor).
async fn page_positions(
    db: &DatabaseConnection,
    user: &AuthUser,
    docs: &DocsFound,
    cursor: i64,
    head: i64,
    limit: usize,
) -> ApiResult<Vec<(i64, String)>> {
    let doc_ids: Vec<String> = docs.keys().cloned().collect();
    let mut positions: Vec<(i64, String)> = Vec::new();
    for chunk in doc_ids.chunks(PULL_DOCS_PER_QUERY) {
        positions.extend(
            changes::Entity::find()
                .select_only()
                .column(changes::Column::Seq)
                .column(changes::Column::DocId)
                .filter(changes::Column::TenantId.eq(user.tenant_id()))
                .filter(changes::Column::DocId.is_in(chunk.iter().cloned()))
                .filter(changes::Column::Seq.gt(cursor))
                .filter(changes::Column::Seq.lte(head))
                .filter(changes::Column::ActorId.ne(user.device.actor_id.as_str()))
                .into_tuple::<(i64, String)>()
                .all(db)
                .await?,
        );
    }
    positions.sort_unstable();
    positions.truncate(limit.saturating_add(1));
    Ok(positions)
}

/// A change of the page: its document, sequence number, bytes, and the document's kind
/// and account.
type PageChange = (String, i64, Vec<u8>, String, String);

/// The bytes of the page's changes, in sequence order: every change of the page's
/// documents up to the page's last position.
async fn page_changes(
    db: &DatabaseConnection,
    user: &AuthUser,
    docs: &DocsFound,
    positions: &[(i64, String)],
    cursor: i64,
) -> ApiResult<Vec<PageChange>> {
    let page_last = positions.last().map_or(cursor, |(seq, _)| *seq);
    let mut page_docs: Vec<String> = positions.iter().map(|(_, d)| d.clone()).collect();
    page_docs.sort_unstable();
    page_docs.dedup();
    let mut rows: Vec<PageChange> = Vec::with_capacity(positions.len());
    for chunk in page_docs.chunks(PULL_DOCS_PER_QUERY) {
        let part: Vec<(String, i64, Vec<u8>)> = changes::Entity::find()
            .select_only()
            .column(changes::Column::DocId)
            .column(changes::Column::Seq)
            .column(changes::Column::Data)
            .filter(changes::Column::TenantId.eq(user.tenant_id()))
            .filter(changes::Column::DocId.is_in(chunk.iter().cloned()))
            .filter(changes::Column::Seq.gt(cursor))
            .filter(changes::Column::Seq.lte(page_last))
            .filter(changes::Column::ActorId.ne(user.device.actor_id.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        for (doc_id, seq, data) in part {
            if let Some((kind, account_id)) = docs.get(&doc_id) {
                rows.push((doc_id, seq, data, kind.clone(), account_id.clone()));
            }
        }
    }
    rows.sort_unstable_by_key(|r| r.1);
    Ok(rows)
}

/// A pull's answer being assembled: the documents in the order first met.
struct Page {
    head: i64,
    cursor: i64,
    has_more: bool,
    order: Vec<String>,
    by_doc: HashMap<String, PulledDoc>,
}

impl Page {
    /// An empty page at the tenant's `head`.
    fn new(head: i64) -> Page {
        Page {
            head,
            cursor: head,
            has_more: false,
            order: Vec::new(),
            by_doc: HashMap::new(),
        }
    }

    /// The document `doc_id`'s entry, added (empty) when first met.
    fn entry(&mut self, doc_id: &str, kind: &str, account_id: &str) -> &mut PulledDoc {
        self.by_doc.entry(doc_id.to_owned()).or_insert_with(|| {
            self.order.push(doc_id.to_owned());
            PulledDoc {
                doc_id: doc_id.to_owned(),
                kind: kind.to_owned(),
                account_id: account_id.to_owned(),
                snapshot: None,
                changes: Vec::new(),
            }
        })
    }

    /// Takes the changes in order up to `limit` of them and about [`PULL_PAGE_BYTES`]:
    /// when some are left, the cursor is the last one taken and more is waiting; else
    /// it is the head.
    fn fill(&mut self, rows: Vec<PageChange>, limit: usize) {
        let mut bytes = 0usize;
        for (i, (doc_id, seq, data, kind, account_id)) in rows.into_iter().enumerate() {
            if i >= limit || (bytes > 0 && bytes + data.len() > PULL_PAGE_BYTES) {
                self.has_more = true;
                break;
            }
            self.cursor = seq;
            bytes += data.len();
            self.entry(&doc_id, &kind, &account_id)
                .changes
                .push(Change(data));
        }
        if !self.has_more {
            self.cursor = self.head;
        }
    }

    fn finish(mut self) -> Pulled {
        let docs = std::mem::take(&mut self.order)
            .into_iter()
            .filter_map(|id| self.by_doc.remove(&id))
            .collect();
        Pulled {
            docs,
            cursor: u64::try_from(self.cursor).unwrap_or(0),
            has_more: self.has_more,
        }
    }
}

/// Accounts this user gained access to within the page's window: a snapshot of each
/// document that existed before the grant, since that history lies below the device's
/// cursor. (Documents created later arrive through the change stream.)
async fn add_grant_snapshots(
    db: &DatabaseConnection,
    user: &AuthUser,
    cursor: i64,
    page: &mut Page,
) -> ApiResult<()> {
    let grants: HashMap<String, i64> = account_teams::Entity::find()
        .select_only()
        .column(account_teams::Column::AccountId)
        .column(account_teams::Column::GrantedSeq)
        .filter(account_teams::Column::TenantId.eq(user.tenant_id()))
        .filter(account_teams::Column::UserId.eq(user.id()))
        .filter(account_teams::Column::Active.eq(true))
        .filter(account_teams::Column::GrantedSeq.gt(cursor))
        .filter(account_teams::Column::GrantedSeq.lte(page.cursor))
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if grants.is_empty() {
        return Ok(());
    }
    let latest_grant = grants.values().copied().max().unwrap_or(0);
    let snapshots = documents::Entity::find()
        .filter(documents::Column::TenantId.eq(user.tenant_id()))
        .filter(documents::Column::AccountId.is_in(grants.keys().cloned()))
        .filter(documents::Column::CreatedSeq.lt(latest_grant))
        .order_by_asc(documents::Column::CreatedSeq)
        .all(db)
        .await?;
    for d in snapshots {
        if grants
            .get(&d.account_id)
            .is_none_or(|g| d.created_seq >= *g)
        {
            continue;
        }
        page.entry(&d.id, &d.kind, &d.account_id).snapshot = Some(Change(d.snapshot));
    }
    Ok(())
}
