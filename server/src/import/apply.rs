//! Writing a plan: in one transaction under the company's sequence lock (as every
//! document write), so an import is applied whole or not at all. New documents are
//! stored as `create_account` stores one — their changes under the company's sequence,
//! their snapshot, their read-model rows — but written many rows to a statement; a
//! changed document gets one new change (only the fields that differ) on top of its
//! history, so devices merge it like any other edit.

use std::collections::HashMap;

use automerge::ActorId;
use rand::Rng;
use rapport_client_core::model::{self, AnyRecord, DocKind, Record};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::plan::{DocOp, Grant, Plan, UserOp};
use crate::changelog::{Sequence, add_storage, change_rows, store_changes};
use crate::clock::now_ms;
use crate::db::{account_teams, corrections, documents, teams, users};
use crate::error::{ApiError, ApiResult};
use crate::projection::{self, Rows};

/// Characters of a generated password: letters and digits without look-alikes.
const PASSWORD_CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
/// 16 of 57 characters: over 93 bits.
const PASSWORD_LEN: usize = 16;

fn generate_password() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..PASSWORD_LEN)
        .map(|_| char::from(PASSWORD_CHARS[rng.gen_range(0..PASSWORD_CHARS.len())]))
        .collect()
}

/// A new user's password hash, and the password when it was generated (to hand over).
#[derive(Debug, Clone)]
pub struct Credential {
    pub hash: String,
    pub generated: Option<String>,
}

/// Hashes the password of every user the plan creates (generating one where the file
/// gives none), side by side on the CPU pool. Done before the transaction, so the
/// company's sequence is not held while Argon2 runs.
pub async fn credentials(plan: &Plan) -> ApiResult<HashMap<String, Credential>> {
    let hashing = plan.users.iter().filter_map(|u| match u {
        UserOp::Create {
            username, password, ..
        } => Some((username.clone(), password.clone())),
        UserOp::Update { .. } => None,
    });
    let jobs = hashing.map(|(username, given)| async move {
        let generated = given.is_none().then(generate_password);
        let password = given.or_else(|| generated.clone()).unwrap_or_default();
        let hash = crate::auth::hash_password(password).await?;
        ApiResult::Ok((username, Credential { hash, generated }))
    });
    futures_util::future::join_all(jobs)
        .await
        .into_iter()
        .collect()
}

/// Writes `plan` in `txn`, which holds the company's sequence `seq` (the caller finishes
/// it).
pub async fn write(
    txn: &DatabaseTransaction,
    seq: &mut Sequence,
    author_id: &str,
    plan: &Plan,
    credentials: &mut HashMap<String, Credential>,
) -> ApiResult<()> {
    let tenant_id = &seq.tenant_id().to_owned();
    let team_rows = plan.teams.iter().map(|t| teams::ActiveModel {
        id: Set(t.id.clone()),
        tenant_id: Set(tenant_id.to_owned()),
        name: Set(t.name.clone()),
    });
    projection::insert_all(txn, team_rows.collect(), None).await?;
    write_users(txn, tenant_id, plan, credentials).await?;
    let (_, rules) = crate::rules::load(txn, tenant_id).await?;
    let mut batch = Batch::default();
    for op in &plan.accounts {
        batch
            .add(txn, tenant_id, author_id, &rules, op, seq)
            .await?;
    }
    for op in &plan.contacts {
        batch
            .add(txn, tenant_id, author_id, &rules, op, seq)
            .await?;
    }
    batch.write(txn, tenant_id, author_id).await?;
    for grant in &plan.grants {
        write_grant(txn, tenant_id, grant, seq.next()).await?;
    }
    Ok(())
}

async fn write_users(
    txn: &DatabaseTransaction,
    tenant_id: &str,
    plan: &Plan,
    credentials: &mut HashMap<String, Credential>,
) -> ApiResult<()> {
    let mut new_rows = Vec::new();
    for op in &plan.users {
        match op {
            UserOp::Create {
                id,
                username,
                display_name,
                role,
                team_id,
                password,
                active,
            } => {
                // A user the plan made before the transaction was hashed then; one that
                // appeared since (another admin's change meanwhile) is hashed now.
                if !credentials.contains_key(username) {
                    let generated = password.is_none().then(generate_password);
                    let plain = password.clone().or_else(|| generated.clone());
                    let hash = crate::auth::hash_password(plain.unwrap_or_default()).await?;
                    credentials.insert(username.clone(), Credential { hash, generated });
                }
                let hash = credentials
                    .get(username)
                    .map(|c| c.hash.clone())
                    .unwrap_or_default();
                new_rows.push(users::ActiveModel {
                    id: Set(id.clone()),
                    tenant_id: Set(tenant_id.to_owned()),
                    username: Set(username.clone()),
                    display_name: Set(display_name.clone()),
                    password_hash: Set(hash),
                    role: Set(role.as_str().to_owned()),
                    team_id: Set(team_id.clone()),
                    active: Set(*active),
                    created_at: Set(now_ms()),
                    session_epoch: Set(0),
                });
            }
            UserOp::Update {
                row,
                display_name,
                role,
                team_id,
            } => {
                let mut active: users::ActiveModel = row.clone().into();
                active.display_name = Set(display_name.clone());
                active.role = Set(role.as_str().to_owned());
                active.team_id = Set(team_id.clone());
                active.update(txn).await?;
            }
        }
    }
    projection::insert_all(txn, new_rows, None).await?;
    Ok(())
}

async fn write_grant(
    txn: &DatabaseTransaction,
    tenant_id: &str,
    grant: &Grant,
    seq: i64,
) -> ApiResult<()> {
    if grant.existing {
        account_teams::Entity::update_many()
            .col_expr(account_teams::Column::Active, true.into())
            .col_expr(account_teams::Column::GrantedSeq, seq.into())
            .col_expr(
                account_teams::Column::RevokedSeq,
                sea_orm::sea_query::Expr::value(Option::<i64>::None),
            )
            .col_expr(
                account_teams::Column::RevokedAt,
                sea_orm::sea_query::Expr::value(Option::<i64>::None),
            )
            .filter(account_teams::Column::TenantId.eq(tenant_id))
            .filter(account_teams::Column::AccountId.eq(&grant.account_id))
            .filter(account_teams::Column::UserId.eq(&grant.user_id))
            .exec(txn)
            .await?;
    } else {
        account_teams::ActiveModel {
            tenant_id: Set(tenant_id.to_owned()),
            account_id: Set(grant.account_id.clone()),
            user_id: Set(grant.user_id.clone()),
            active: Set(true),
            granted_seq: Set(seq),
            revoked_seq: Set(None),
            revoked_at: Set(None),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// The record kinds an import writes.
pub trait Imported: Record {
    fn any(self) -> AnyRecord;
}

impl Imported for model::Account {
    fn any(self) -> AnyRecord {
        AnyRecord::Account(self)
    }
}

impl Imported for model::Contact {
    fn any(self) -> AnyRecord {
        AnyRecord::Contact(self)
    }
}

/// New documents' rows, gathered to be written a few statements per table.
#[derive(Default)]
struct Batch {
    changes: Vec<crate::db::changes::ActiveModel>,
    documents: Vec<documents::ActiveModel>,
    rows: Rows,
    /// Bytes the import adds to stored records (charged to the importing user).
    bytes: i64,
}

fn invalid(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unprocessable(e.to_string())
}

impl Batch {
    async fn add<R>(
        &mut self,
        txn: &DatabaseTransaction,
        tenant_id: &str,
        author_id: &str,
        rules: &model::Rules,
        op: &DocOp<R>,
        seq: &mut Sequence,
    ) -> ApiResult<()>
    where
        R: Imported,
    {
        let now = now_ms();
        match op {
            DocOp::Create { id, record } => {
                let mut doc = model::new_document(ActorId::random());
                let mut fresh = model::write_record(&mut doc, record).map_err(invalid)?;
                let first = seq.last() + 1;
                self.changes.extend(change_rows(seq, id, &mut fresh));
                let snapshot = doc.save();
                self.bytes += i64::try_from(snapshot.len()).unwrap_or(i64::MAX);
                let any = record.clone().any();
                self.documents.push(documents::ActiveModel {
                    id: Set(id.clone()),
                    tenant_id: Set(tenant_id.to_owned()),
                    kind: Set(R::KIND.as_str().to_owned()),
                    account_id: Set(any.account_id(id).to_owned()),
                    author_id: Set(author_id.to_owned()),
                    snapshot: Set(snapshot),
                    deleted: Set(any.is_deleted()),
                    created_seq: Set(first),
                    updated_seq: Set(seq.last()),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                let cx = context(tenant_id, id, author_id, author_id, rules, now, true);
                self.rows.append(projection::prepare(txn, &cx, &any).await?);
            }
            DocOp::Update {
                doc: stored,
                record,
            } => {
                let mut doc = model::load_document(&stored.snapshot, Some(ActorId::random()))
                    .map_err(|e| {
                        ApiError::Internal(anyhow::anyhow!("document {}: {e}", stored.id))
                    })?;
                let mut fresh = model::write_record(&mut doc, record).map_err(invalid)?;
                if fresh.is_empty() {
                    return Ok(());
                }
                store_changes(txn, seq, &stored.id, &mut fresh).await?;
                let snapshot = doc.save();
                self.bytes += i64::try_from(snapshot.len()).unwrap_or(i64::MAX)
                    - i64::try_from(stored.snapshot.len()).unwrap_or(0);
                let any = record.clone().any();
                // Removing or restoring someone else's contact is a correction, recorded as
                // the importer's as a sync records it (editing a shared contact is not, nor
                // anything done to an account: the account team keeps those together).
                if R::KIND != DocKind::Account
                    && stored.author_id != author_id
                    && stored.deleted != any.is_deleted()
                {
                    corrections::ActiveModel {
                        id: Set(uuid::Uuid::new_v4().to_string()),
                        tenant_id: Set(tenant_id.to_owned()),
                        doc_id: Set(stored.id.clone()),
                        kind: Set(R::KIND.as_str().to_owned()),
                        account_id: Set(any.account_id(&stored.id).to_owned()),
                        author_id: Set(stored.author_id.clone()),
                        by_user: Set(author_id.to_owned()),
                        seq: Set(seq.last()),
                        at_ms: Set(now),
                    }
                    .insert(txn)
                    .await?;
                }
                let mut row: documents::ActiveModel = stored.clone().into();
                row.snapshot = Set(snapshot);
                row.deleted = Set(any.is_deleted());
                row.updated_seq = Set(seq.last());
                row.updated_at = Set(now);
                row.update(txn).await?;
                let cx = context(
                    tenant_id,
                    &stored.id,
                    &stored.author_id,
                    author_id,
                    rules,
                    now,
                    false,
                );
                projection::project(txn, &cx, &any).await?;
            }
        }
        Ok(())
    }

    async fn write(
        self,
        txn: &DatabaseTransaction,
        tenant_id: &str,
        author_id: &str,
    ) -> ApiResult<()> {
        projection::insert_all(txn, self.changes, None).await?;
        projection::insert_all(txn, self.documents, None).await?;
        self.rows.write(txn).await?;
        add_storage(txn, tenant_id, author_id, self.bytes).await
    }
}

fn context<'a>(
    tenant_id: &'a str,
    doc_id: &'a str,
    author_id: &'a str,
    pusher_id: &'a str,
    rules: &'a model::Rules,
    now_ms: i64,
    is_new: bool,
) -> projection::Context<'a> {
    projection::Context {
        tenant_id,
        doc_id,
        author_id,
        pusher_id,
        rules,
        now_ms,
        is_new,
        account_location: None,
    }
}
