//! Indexes the benchmark (docs/BENCHMARKS.md) showed missing.
//!
//! - `visit_marks` and `visit_contacts` are read by visit ids (the scorecard's signals and
//!   objections, the danger zone's contacts met). Their only tenant-led index was by mark
//!   or contact, so such a read scanned every mark of the company: its cost grew with
//!   history. `(tenant_id, visit_id)` makes it a lookup per visit.
//! - `documents` by `(tenant_id, account_id, updated_seq)` and
//!   `(tenant_id, author_id, updated_seq)`: a pull finds the documents a user may read
//!   that changed above the cursor without walking the company's whole change log.
//! - `changes` by `(tenant_id, doc_id, seq)`: then the changes of those documents above
//!   the cursor, a lookup per document (the primary key is by document and hash).
//! - `accounts` by `(tenant_id, id)`: a report's accounts by id, not every account of the
//!   company by name.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index name, table, columns)
const INDEXES: &[(&str, &str, &[&str])] = &[
    (
        "visit_marks_tenant_visit",
        "visit_marks",
        &["tenant_id", "visit_id"],
    ),
    (
        "visit_contacts_tenant_visit",
        "visit_contacts",
        &["tenant_id", "visit_id"],
    ),
    (
        "documents_account_updated",
        "documents",
        &["tenant_id", "account_id", "updated_seq"],
    ),
    (
        "documents_author_updated",
        "documents",
        &["tenant_id", "author_id", "updated_seq"],
    ),
    (
        "changes_tenant_doc_seq",
        "changes",
        &["tenant_id", "doc_id", "seq"],
    ),
    ("accounts_tenant_id", "accounts", &["tenant_id", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            let mut i = Index::create();
            i.name(*name).table(Alias::new(*table));
            for c in *cols {
                i.col(Alias::new(*c));
            }
            m.create_index(i.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES.iter().rev() {
            m.drop_index(
                Index::drop()
                    .name(*name)
                    .table(Alias::new(*table))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
