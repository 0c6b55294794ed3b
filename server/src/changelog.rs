//! The change log and the tenant's sequence: where every stored change gets its number.
//!
//! Each tenant has one counter row (`tenants.seq`). A writer takes it with
//! [`Sequence::lock`] — an update of the row, whose lock PostgreSQL holds until commit
//! (SQLite has one writer anyway) — hands out numbers with [`Sequence::next`] and writes
//! the last one back with [`Sequence::finish`] before committing. Writers of a tenant
//! therefore commit in sequence order, and a pull that has seen number N has seen
//! everything below it (invariant 3). Sync's pushes, an admin's accounts and team
//! changes, the import and the demo seed all number their writes here.
//!
//! Also here: the rows of new changes (`changes`, keyed by document and hash), a whole
//! document the server itself creates, and what each user's records take
//! (`storage_usage`, checked against the storage quota).

use automerge::AutoCommit;
use rapport_client_core::model::AnyRecord;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};

use crate::db::{changes, documents, storage_usage, tenants};
use crate::error::{ApiError, ApiResult};
use crate::projection;

/// A tenant's sequence, held for the rest of a transaction.
///
/// Numbers taken with [`Sequence::next`] are only written back by [`Sequence::finish`]:
/// a sequence dropped with numbers taken and not finished is logged, since its
/// transaction must not commit (the numbers would be handed out again).
#[must_use = "a sequence whose numbers are taken must be finished before the commit"]
#[derive(Debug)]
pub struct Sequence {
    tenant_id: String,
    /// The counter's value when locked.
    locked: i64,
    /// The last number handed out (`locked` before any).
    last: i64,
    finished: bool,
}

impl Sequence {
    /// Takes the tenant's sequence row for the rest of the transaction (on PostgreSQL the
    /// update holds the row lock until commit) and reads its value. Taking it also orders
    /// a change with the tenant's writers without numbering anything.
    pub async fn lock(txn: &DatabaseTransaction, tenant_id: &str) -> ApiResult<Sequence> {
        tenants::Entity::update_many()
            .col_expr(tenants::Column::Seq, Expr::col(tenants::Column::Seq))
            .filter(tenants::Column::Id.eq(tenant_id))
            .exec(txn)
            .await?;
        let tenant = tenants::Entity::find_by_id(tenant_id)
            .one(txn)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("company no longer exists".into()))?;
        Ok(Sequence {
            tenant_id: tenant_id.to_owned(),
            locked: tenant.seq,
            last: tenant.seq,
            finished: false,
        })
    }

    /// The tenant whose sequence this is.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The last number handed out, or the counter's value when none was.
    pub fn last(&self) -> i64 {
        self.last
    }

    /// Hands out the next number.
    pub fn next(&mut self) -> i64 {
        self.last += 1;
        self.last
    }

    /// The numbers handed out so far, as `(first - 1, last)`; `None` when none was.
    pub fn taken(&self) -> Option<(i64, i64)> {
        (self.last != self.locked).then_some((self.locked, self.last))
    }

    /// Writes the last number handed out back to the counter (nothing when none was).
    pub async fn finish(mut self, conn: &impl ConnectionTrait) -> ApiResult<()> {
        if self.taken().is_some() {
            tenants::Entity::update_many()
                .col_expr(tenants::Column::Seq, Expr::value(self.last))
                .filter(tenants::Column::Id.eq(&self.tenant_id))
                .exec(conn)
                .await?;
        }
        self.finished = true;
        Ok(())
    }
}

impl Drop for Sequence {
    fn drop(&mut self) {
        if !self.finished && self.taken().is_some() {
            // Expected only while an error rolls the transaction back.
            tracing::warn!(
                tenant = %self.tenant_id,
                taken = self.last - self.locked,
                "sequence numbers taken but never finished: the transaction must roll back"
            );
        }
    }
}

/// The head of the tenant's sequence, read without taking it: every number up to it is
/// committed, since writers publish numbers in commit order.
pub async fn head(conn: &impl ConnectionTrait, tenant_id: &str) -> ApiResult<i64> {
    Ok(tenants::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .map_or(0, |t| t.seq))
}

/// The rows of `fresh`, each stamped with the next number of `seq`.
pub fn change_rows(
    seq: &mut Sequence,
    doc_id: &str,
    fresh: &mut [automerge::Change],
) -> Vec<changes::ActiveModel> {
    fresh
        .iter_mut()
        .map(|change| changes::ActiveModel {
            tenant_id: Set(seq.tenant_id().to_owned()),
            doc_id: Set(doc_id.to_owned()),
            hash: Set(change.hash().to_string()),
            seq: Set(seq.next()),
            actor_id: Set(change.actor_id().to_hex_string()),
            data: Set(change.bytes().into_owned()),
        })
        .collect()
}

/// Stores changes, each stamped with the next number of `seq`.
pub async fn store_changes(
    conn: &impl ConnectionTrait,
    seq: &mut Sequence,
    doc_id: &str,
    fresh: &mut [automerge::Change],
) -> ApiResult<()> {
    let rows = change_rows(seq, doc_id, fresh);
    projection::insert_all(conn, rows, None).await?;
    Ok(())
}

/// Stores a document the server itself creates (an admin's account, demo data): its
/// changes under the tenant's sequence, its row and its read-model rows.
pub async fn insert_new_document(
    conn: &impl ConnectionTrait,
    seq: &mut Sequence,
    doc_id: &str,
    author_id: &str,
    doc: &mut AutoCommit,
    record: &AnyRecord,
) -> ApiResult<()> {
    let tenant_id = seq.tenant_id().to_owned();
    let (_, rules) = crate::rules::load(conn, &tenant_id).await?;
    let mut fresh = doc.get_changes(&[]);
    let first = seq.last() + 1;
    store_changes(conn, seq, doc_id, &mut fresh).await?;
    let now = crate::clock::now_ms();
    let snapshot = doc.save();
    add_storage(
        conn,
        &tenant_id,
        author_id,
        i64::try_from(snapshot.len()).unwrap_or(i64::MAX),
    )
    .await?;
    documents::ActiveModel {
        id: Set(doc_id.to_owned()),
        tenant_id: Set(tenant_id.clone()),
        kind: Set(record.kind().as_str().to_owned()),
        account_id: Set(record.account_id(doc_id).to_owned()),
        author_id: Set(author_id.to_owned()),
        snapshot: Set(snapshot),
        deleted: Set(record.is_deleted()),
        created_seq: Set(first),
        updated_seq: Set(seq.last()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    let cx = projection::Context {
        tenant_id: &tenant_id,
        doc_id,
        author_id,
        pusher_id: author_id,
        rules: &rules,
        now_ms: now,
        is_new: true,
        account_location: None,
    };
    projection::project(conn, &cx, record).await?;
    Ok(())
}

/// Adds `bytes` (negative: frees them) to what `user_id`'s records take on the server
/// (`storage_usage`, checked against the storage quota on every push).
pub async fn add_storage(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    user_id: &str,
    bytes: i64,
) -> ApiResult<()> {
    if bytes == 0 {
        return Ok(());
    }
    let updated = storage_usage::Entity::update_many()
        .col_expr(
            storage_usage::Column::Bytes,
            Expr::col(storage_usage::Column::Bytes).add(bytes),
        )
        .filter(storage_usage::Column::TenantId.eq(tenant_id))
        .filter(storage_usage::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        storage_usage::ActiveModel {
            tenant_id: Set(tenant_id.to_owned()),
            user_id: Set(user_id.to_owned()),
            bytes: Set(bytes),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_counter_and_are_reported_taken() {
        let mut seq = Sequence {
            tenant_id: "t".into(),
            locked: 41,
            last: 41,
            finished: false,
        };
        assert_eq!(seq.taken(), None);
        assert_eq!((seq.next(), seq.next()), (42, 43));
        assert_eq!(seq.last(), 43);
        assert_eq!(seq.taken(), Some((41, 43)));
        // What `finish` marks once the counter is written back.
        seq.finished = true;
    }
}
