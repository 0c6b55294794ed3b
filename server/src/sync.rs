//! `POST /v1/sync`: one round trip pushes a device's changes and pulls what is new.
//!
//! Push, in one database transaction for the request:
//! 1. each document is authorised from the server's tables (tenant, account team,
//!    author), never from a field inside it;
//! 2. each change is parsed and checked against its hash, must carry the signing-in
//!    device's actor, and must have its dependencies known or in the batch;
//! 3. new changes are stored keyed by (document, hash) — a retried push stores nothing
//!    twice — each stamped with the next value of the tenant's sequence;
//! 4. the merged document must read as a valid record of its kind, on an account the
//!    rep may write to and the same account as before; then its read-model rows are
//!    rebuilt. A document that fails any check is rejected whole with a reason.
//!
//! The sequence comes from a counter row per tenant, updated inside the same transaction,
//! so a tenant's writers commit in sequence order and a pull that has seen sequence N
//! has seen everything below it (invariant 3).
//!
//! Pull answers from the `changes` table and the account-team table alone: no document
//! is loaded, except the stored snapshots sent when a user gains access to an account.

use std::collections::{HashMap, HashSet};

use automerge::AutoCommit;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rapport_client_core::model::{self, Account, AnyRecord, DocKind, Rules};
use rapport_client_core::protocol::{
    self, Change, DocResult, ErrorBody, Outcome, PulledDoc, PushDoc, Role, RulesUpdate,
    SyncRequest, SyncResponse,
};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, Set, TransactionTrait,
};

use crate::app::AppState;
use crate::auth::{AuthUser, now_ms};
use crate::db::{account_teams, accounts, changes, documents, tenants};
use crate::error::{ApiError, ApiResult};
use crate::projection;

/// Most documents one request may push.
pub const MAX_PUSH_DOCS: usize = 5000;
/// Most changes one document may carry in one request.
pub const MAX_CHANGES_PER_DOC: usize = 10_000;
/// Largest stored document the server keeps merging; beyond it edits are refused.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// About how many bytes of changes one response carries before it pages.
const PULL_PAGE_BYTES: usize = 8 * 1024 * 1024;

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
    let body = read_body(body, state.settings.max_body_bytes).await?;
    let request: SyncRequest = postcard::from_bytes(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a sync request: {e}")))?;
    if request.version != protocol::PROTOCOL_VERSION {
        return Err(ApiError::BadRequest(format!(
            "sync protocol version {} is not supported (this server speaks {})",
            request.version,
            protocol::PROTOCOL_VERSION
        )));
    }
    check_request(&request)?;
    let results = push(&state, &user, request.push).await?;
    let (docs, cursor, has_more) = pull(&state, &user, request.cursor).await?;
    let (rules_version, rules) = crate::rules::load(&state.db, user.tenant_id()).await?;
    let response = SyncResponse {
        results,
        docs,
        cursor,
        has_more,
        rules: (rules_version != request.rules_version).then_some(RulesUpdate {
            version: rules_version,
            rules,
        }),
    };
    let bytes = postcard::to_stdvec(&response)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding sync response: {e}")))?;
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

/// Checks the request as a whole before anything is stored: a request that fails here
/// changes nothing.
fn check_request(request: &SyncRequest) -> ApiResult<()> {
    if i64::try_from(request.cursor).is_err() {
        return Err(ApiError::BadRequest("cursor out of range".into()));
    }
    if request.push.len() > MAX_PUSH_DOCS {
        return Err(ApiError::TooLarge(format!(
            "at most {MAX_PUSH_DOCS} documents per sync request"
        )));
    }
    let mut seen = HashSet::new();
    for doc in &request.push {
        if DocKind::parse(&doc.kind).is_none() {
            return Err(ApiError::Unprocessable(format!(
                "unknown document kind '{}'",
                doc.kind.chars().take(40).collect::<String>()
            )));
        }
        if uuid::Uuid::parse_str(&doc.doc_id).is_err() {
            return Err(ApiError::Unprocessable(
                "a document id is not a UUID".into(),
            ));
        }
        if !seen.insert(doc.doc_id.as_str()) {
            return Err(ApiError::Unprocessable(format!(
                "document {} appears twice in one request",
                doc.doc_id
            )));
        }
        if doc.changes.len() > MAX_CHANGES_PER_DOC {
            return Err(ApiError::TooLarge(format!(
                "at most {MAX_CHANGES_PER_DOC} changes per document per request"
            )));
        }
    }
    Ok(())
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

async fn push(state: &AppState, user: &AuthUser, docs: Vec<PushDoc>) -> ApiResult<Vec<DocResult>> {
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    let _writer = state.write_guard().await;
    let txn = state.db.begin().await?;
    let mut seq = lock_sequence(&txn, user.tenant_id()).await?;
    let start_seq = seq;
    let (_, rules) = crate::rules::load(&txn, user.tenant_id()).await?;
    let mut results = Vec::with_capacity(docs.len());
    for doc in docs {
        let outcome = push_doc(&txn, user, &rules, &doc, &mut seq).await?;
        if let Outcome::Rejected { code, reason } = &outcome {
            tracing::info!(doc = %doc.doc_id, user = %user.id(), %code, %reason, "document rejected");
        }
        results.push(DocResult {
            doc_id: doc.doc_id,
            outcome,
        });
    }
    if seq != start_seq {
        set_sequence(&txn, user.tenant_id(), seq).await?;
    }
    txn.commit().await?;
    Ok(results)
}

/// Takes the tenant's sequence row for the rest of the transaction (on PostgreSQL the
/// update holds the row lock until commit) and returns its value.
pub async fn lock_sequence(txn: &DatabaseTransaction, tenant_id: &str) -> ApiResult<i64> {
    tenants::Entity::update_many()
        .col_expr(tenants::Column::Seq, Expr::col(tenants::Column::Seq))
        .filter(tenants::Column::Id.eq(tenant_id))
        .exec(txn)
        .await?;
    let tenant = tenants::Entity::find_by_id(tenant_id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("company no longer exists".into()))?;
    Ok(tenant.seq)
}

/// Whether `user` may write to records of `account_id`: they are (or were) on its
/// account team. Reps taken off an account keep writing what they logged while on it.
async fn on_account_team(
    txn: &DatabaseTransaction,
    user: &AuthUser,
    account_id: &str,
) -> ApiResult<bool> {
    Ok(account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(user.tenant_id()))
        .filter(account_teams::Column::AccountId.eq(account_id))
        .filter(account_teams::Column::UserId.eq(user.id()))
        .one(txn)
        .await?
        .is_some())
}

async fn push_doc(
    txn: &DatabaseTransaction,
    user: &AuthUser,
    rules: &Rules,
    push: &PushDoc,
    seq: &mut i64,
) -> ApiResult<Outcome> {
    let Some(kind) = DocKind::parse(&push.kind) else {
        return Ok(rejected("unknown_kind", "unknown document kind"));
    };
    let existing = documents::Entity::find_by_id(&push.doc_id).one(txn).await?;
    // 1. Authorise from our own tables. Another tenant's document and one this user may
    //    not see are answered alike, so ids leak nothing.
    if let Some(d) = &existing {
        if d.tenant_id != user.tenant_id() {
            return Ok(forbidden());
        }
        if d.kind != kind.as_str() {
            return Ok(rejected("kind_changed", "a record cannot change its kind"));
        }
        let may_write =
            d.author_id == user.id() || account_team_active(txn, user, &d.account_id).await?;
        if !may_write {
            return Ok(forbidden());
        }
    } else if kind == DocKind::Account {
        // Accounts are created by admins, on the server.
        return Ok(forbidden());
    }

    // 2. Parse and check every change.
    let mut doc = match &existing {
        Some(d) => AutoCommit::load(&d.snapshot).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("stored document {} is corrupt: {e}", d.id))
        })?,
        None => AutoCommit::new(),
    };
    let mut fresh = Vec::new();
    let mut fresh_hashes = HashSet::new();
    for raw in &push.changes {
        let change = match model::parse_change(&raw.0) {
            Ok(c) => c,
            Err(e) => return Ok(rejected("corrupt_change", format!("corrupt change: {e}"))),
        };
        let hash = change.hash();
        if doc.get_change_by_hash(&hash).is_some() || !fresh_hashes.insert(hash) {
            continue; // Already stored: a retry. Nothing to do for this change.
        }
        if change.actor_id().to_hex_string() != user.device.actor_id {
            return Ok(rejected(
                "foreign_actor",
                "a change was not written by this device",
            ));
        }
        fresh.push(change);
    }
    if fresh.is_empty() {
        return Ok(if existing.is_some() {
            Outcome::Accepted
        } else {
            rejected("empty", "a new document must carry its changes")
        });
    }
    if let Err(e) = doc.apply_changes(fresh.iter().cloned()) {
        return Ok(rejected(
            "corrupt_change",
            format!("cannot apply changes: {e}"),
        ));
    }
    if !doc.get_missing_deps(&[]).is_empty() {
        return Ok(rejected(
            "missing_dependencies",
            "changes depend on changes the server does not have",
        ));
    }

    // 4. Validate the merged document.
    let record = match AnyRecord::read(kind, &doc) {
        Ok(r) => r,
        Err(e) => return Ok(rejected("invalid_document", e.to_string())),
    };
    let account_id = record.account_id(&push.doc_id).to_owned();
    match &existing {
        Some(d) if d.account_id != account_id => {
            return Ok(rejected(
                "account_changed",
                "a record cannot move to another account",
            ));
        }
        Some(d) => {
            if let AnyRecord::Account(after) = &record
                && user.role() != Role::Admin
            {
                let before = AutoCommit::load(&d.snapshot)
                    .ok()
                    .and_then(|b| model::read_record::<Account>(&b).ok());
                if before.is_some_and(|b| !b.same_admin_fields(after)) {
                    return Ok(rejected(
                        "admin_only",
                        "only an admin may rename, move or remove an account",
                    ));
                }
            }
        }
        None => {
            let account = accounts::Entity::find_by_id(&account_id).one(txn).await?;
            let known = account.is_some_and(|a| a.tenant_id == user.tenant_id() && !a.deleted);
            if !known || !on_account_team(txn, user, &account_id).await? {
                return Ok(forbidden());
            }
        }
    }
    let snapshot = doc.save();
    if snapshot.len() > MAX_DOCUMENT_BYTES {
        return Ok(rejected("too_large", "the record has grown too large"));
    }

    // 3 and 4: store, in a savepoint so a failure leaves no half-written document.
    let sp = txn.begin().await?;
    let author = existing
        .as_ref()
        .map_or_else(|| user.id().to_owned(), |d| d.author_id.clone());
    let first_seq = *seq + 1;
    store_changes(&sp, user.tenant_id(), &push.doc_id, &mut fresh, seq).await?;
    let now = now_ms();
    let row = documents::ActiveModel {
        id: Set(push.doc_id.clone()),
        tenant_id: Set(user.tenant_id().to_owned()),
        kind: Set(kind.as_str().to_owned()),
        account_id: Set(account_id),
        author_id: Set(author.clone()),
        snapshot: Set(snapshot),
        deleted: Set(record.is_deleted()),
        created_seq: Set(existing.as_ref().map_or(first_seq, |d| d.created_seq)),
        updated_seq: Set(*seq),
        created_at: Set(existing.as_ref().map_or(now, |d| d.created_at)),
        updated_at: Set(now),
    };
    if existing.is_some() {
        row.update(&sp).await?;
    } else {
        row.insert(&sp).await?;
    }
    let cx = projection::Context {
        tenant_id: user.tenant_id(),
        doc_id: &push.doc_id,
        author_id: &author,
        pusher_id: user.id(),
        rules,
        now_ms: now,
    };
    projection::project(&sp, &cx, &record).await?;
    sp.commit().await?;
    Ok(Outcome::Accepted)
}

async fn account_team_active(
    txn: &DatabaseTransaction,
    user: &AuthUser,
    account_id: &str,
) -> ApiResult<bool> {
    Ok(account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(user.tenant_id()))
        .filter(account_teams::Column::AccountId.eq(account_id))
        .filter(account_teams::Column::UserId.eq(user.id()))
        .filter(account_teams::Column::Active.eq(true))
        .one(txn)
        .await?
        .is_some())
}

/// Stores changes, each stamped with the next sequence number.
pub async fn store_changes(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    doc_id: &str,
    fresh: &mut [automerge::Change],
    seq: &mut i64,
) -> ApiResult<()> {
    let mut rows = Vec::with_capacity(fresh.len());
    for change in fresh.iter_mut() {
        *seq += 1;
        rows.push(changes::ActiveModel {
            tenant_id: Set(tenant_id.to_owned()),
            doc_id: Set(doc_id.to_owned()),
            hash: Set(change.hash().to_string()),
            seq: Set(*seq),
            actor_id: Set(change.actor_id().to_hex_string()),
            data: Set(change.bytes().into_owned()),
        });
    }
    // Insert in bounded batches: backends cap the number of bind parameters.
    for chunk in rows.chunks(500) {
        changes::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Stores a document the server itself creates (an admin's account, demo data): its
/// changes under the tenant's sequence, its row and its read-model rows. The caller holds
/// the sequence (see [`lock_sequence`]) and writes it back.
#[allow(clippy::too_many_arguments)]
pub async fn insert_new_document(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    doc_id: &str,
    author_id: &str,
    doc: &mut AutoCommit,
    record: &AnyRecord,
    seq: &mut i64,
) -> ApiResult<()> {
    let (_, rules) = crate::rules::load(conn, tenant_id).await?;
    let mut fresh = doc.get_changes(&[]);
    let first = *seq + 1;
    store_changes(conn, tenant_id, doc_id, &mut fresh, seq).await?;
    let now = now_ms();
    documents::ActiveModel {
        id: Set(doc_id.to_owned()),
        tenant_id: Set(tenant_id.to_owned()),
        kind: Set(record.kind().as_str().to_owned()),
        account_id: Set(record.account_id(doc_id).to_owned()),
        author_id: Set(author_id.to_owned()),
        snapshot: Set(doc.save()),
        deleted: Set(record.is_deleted()),
        created_seq: Set(first),
        updated_seq: Set(*seq),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    let cx = projection::Context {
        tenant_id,
        doc_id,
        author_id,
        pusher_id: author_id,
        rules: &rules,
        now_ms: now,
    };
    projection::project(conn, &cx, record).await?;
    Ok(())
}

/// Writes the tenant's sequence counter back after [`lock_sequence`].
pub async fn set_sequence(conn: &impl ConnectionTrait, tenant_id: &str, seq: i64) -> ApiResult<()> {
    tenants::Entity::update_many()
        .col_expr(tenants::Column::Seq, Expr::value(seq))
        .filter(tenants::Column::Id.eq(tenant_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Reads what this user may see above `cursor`, paged.
async fn pull(
    state: &AppState,
    user: &AuthUser,
    cursor: u64,
) -> ApiResult<(Vec<PulledDoc>, u64, bool)> {
    let cursor =
        i64::try_from(cursor).map_err(|_| ApiError::BadRequest("cursor out of range".into()))?;
    let db = &state.db;
    // Everything up to the tenant's current sequence is committed: writers take and
    // publish sequence numbers in commit order.
    let head = tenants::Entity::find_by_id(user.tenant_id())
        .one(db)
        .await?
        .map_or(0, |t| t.seq);
    if cursor > head {
        // A cursor from the future: the device talks to a different or restored server.
        // Start it over; merging what it already has is harmless.
        return Box::pin(pull(state, user, 0)).await;
    }
    let readable_accounts = Query::select()
        .column(account_teams::Column::AccountId)
        .from(account_teams::Entity)
        .and_where(account_teams::Column::TenantId.eq(user.tenant_id()))
        .and_where(account_teams::Column::UserId.eq(user.id()))
        .and_where(account_teams::Column::Active.eq(true))
        .to_owned();
    let limit = state.settings.pull_page_changes;
    // A device's own changes are not sent back: its store has them since it wrote them
    // (a new store always signs in as a new device, with a new actor).
    let rows: Vec<(String, i64, Vec<u8>, String, String)> = changes::Entity::find()
        .select_only()
        .column(changes::Column::DocId)
        .column(changes::Column::Seq)
        .column(changes::Column::Data)
        .column(documents::Column::Kind)
        .column(documents::Column::AccountId)
        .join(
            sea_orm::JoinType::InnerJoin,
            changes::Relation::Document.def(),
        )
        .filter(changes::Column::TenantId.eq(user.tenant_id()))
        .filter(changes::Column::Seq.gt(cursor))
        .filter(changes::Column::Seq.lte(head))
        .filter(changes::Column::ActorId.ne(user.device.actor_id.as_str()))
        .filter(
            sea_orm::Condition::any()
                .add(documents::Column::AuthorId.eq(user.id()))
                .add(documents::Column::AccountId.in_subquery(readable_accounts)),
        )
        .order_by_asc(changes::Column::Seq)
        .limit(u64::try_from(limit).unwrap_or(u64::MAX) + 1)
        .into_tuple()
        .all(db)
        .await?;

    let mut has_more = false;
    let mut new_cursor = head;
    let mut bytes = 0usize;
    let mut order: Vec<String> = Vec::new();
    let mut by_doc: HashMap<String, PulledDoc> = HashMap::new();
    for (i, (doc_id, seq, data, kind, account_id)) in rows.into_iter().enumerate() {
        if i >= limit || (bytes > 0 && bytes + data.len() > PULL_PAGE_BYTES) {
            has_more = true;
            break;
        }
        new_cursor = seq;
        bytes += data.len();
        let entry = by_doc.entry(doc_id.clone()).or_insert_with(|| {
            order.push(doc_id.clone());
            PulledDoc {
                doc_id,
                kind,
                account_id,
                snapshot: None,
                changes: Vec::new(),
            }
        });
        entry.changes.push(Change(data));
    }
    if !has_more {
        new_cursor = head;
    }

    // Accounts this user gained access to within this page's window: send a snapshot of
    // each document that existed before the grant, since that history lies below the
    // device's cursor. (Documents created later arrive through the change stream.)
    let grants: HashMap<String, i64> = account_teams::Entity::find()
        .select_only()
        .column(account_teams::Column::AccountId)
        .column(account_teams::Column::GrantedSeq)
        .filter(account_teams::Column::TenantId.eq(user.tenant_id()))
        .filter(account_teams::Column::UserId.eq(user.id()))
        .filter(account_teams::Column::Active.eq(true))
        .filter(account_teams::Column::GrantedSeq.gt(cursor))
        .filter(account_teams::Column::GrantedSeq.lte(new_cursor))
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if !grants.is_empty() {
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
            let entry = by_doc.entry(d.id.clone()).or_insert_with(|| {
                order.push(d.id.clone());
                PulledDoc {
                    doc_id: d.id.clone(),
                    kind: d.kind.clone(),
                    account_id: d.account_id.clone(),
                    snapshot: None,
                    changes: Vec::new(),
                }
            });
            entry.snapshot = Some(Change(d.snapshot));
        }
    }
    let docs = order
        .into_iter()
        .filter_map(|id| by_doc.remove(&id))
        .collect();
    Ok((docs, u64::try_from(new_cursor).unwrap_or(0), has_more))
}
