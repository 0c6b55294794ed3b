//! What each user's records take on the server, kept as a running total so a push can
//! check the user's storage quota without reading every document they ever wrote.
//!
//! `storage_usage` holds, per user, the bytes their pushes added to stored snapshots: a
//! push adds the difference it makes to each document's snapshot, charged to the user who
//! pushed it. The migration fills it from the documents already stored, each counted for
//! its author.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StorageUsage {
    Table,
    TenantId,
    UserId,
    Bytes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StorageUsage::Table)
                .col(ColumnDef::new(StorageUsage::TenantId).string().not_null())
                .col(ColumnDef::new(StorageUsage::UserId).string().not_null())
                .col(
                    ColumnDef::new(StorageUsage::Bytes)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .primary_key(
                    Index::create()
                        .col(StorageUsage::TenantId)
                        .col(StorageUsage::UserId),
                )
                .to_owned(),
        )
        .await?;
        // LENGTH of a blob (SQLite) and of a bytea (PostgreSQL) is its size in bytes.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO storage_usage (tenant_id, user_id, bytes) \
                 SELECT tenant_id, author_id, SUM(LENGTH(snapshot)) FROM documents \
                 GROUP BY tenant_id, author_id",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(StorageUsage::Table).to_owned())
            .await
    }
}
