//! Authorship and reassignment (issue 12).
//!
//! - `corrections`: a manager's or admin's accepted change to a record someone else
//!   authored (or the removal of a shared record someone else created), as stage moves
//!   record who pushed them: who, when, at which sequence. The record stays its author's.
//! - `account_teams.revoked_seq`, `revoked_at`: when a rep was taken off an account — a
//!   sequenced event, like a grant. Memberships already inactive are stamped with their
//!   company's current sequence.
//! - `devices.told_seq`: the highest tenant sequence the server has told this device of
//!   (a sync response's cursor when it carried a removal; the head of the sequence when
//!   the device signed in for the first time). A device whose `told_seq` is below a
//!   removal's `revoked_seq` had not yet heard of it: what it pushes on that account was
//!   logged before the change. Existing devices start at 0 (they have heard of nothing).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Seq,
}

#[derive(DeriveIden)]
enum AccountTeams {
    Table,
    TenantId,
    Active,
    RevokedSeq,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    ToldSeq,
}

#[derive(DeriveIden)]
enum Corrections {
    Table,
    Id,
    TenantId,
    DocId,
    Kind,
    AccountId,
    AuthorId,
    ByUser,
    Seq,
    AtMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        m.alter_table(
            Table::alter()
                .table(AccountTeams::Table)
                .add_column(big_integer_null(AccountTeams::RevokedSeq))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AccountTeams::Table)
                .add_column(big_integer_null(AccountTeams::RevokedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Devices::Table)
                .add_column(big_integer(Devices::ToldSeq).default(0))
                .to_owned(),
        )
        .await?;
        // Memberships ended before this migration: at their company's current sequence.
        let tenant_seq = Query::select()
            .column((Tenants::Table, Tenants::Seq))
            .from(Tenants::Table)
            .and_where(
                Expr::col((Tenants::Table, Tenants::Id))
                    .equals((AccountTeams::Table, AccountTeams::TenantId)),
            )
            .to_owned();
        m.exec_stmt(
            Query::update()
                .table(AccountTeams::Table)
                .value(
                    AccountTeams::RevokedSeq,
                    SimpleExpr::SubQuery(None, Box::new(tenant_seq.into_sub_query_statement())),
                )
                .and_where(Expr::col(AccountTeams::Active).eq(false))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Corrections::Table)
                .col(string(Corrections::Id).primary_key())
                .col(string(Corrections::TenantId))
                .col(string(Corrections::DocId))
                .col(string(Corrections::Kind))
                .col(string(Corrections::AccountId))
                .col(string(Corrections::AuthorId))
                .col(string(Corrections::ByUser))
                .col(big_integer(Corrections::Seq))
                .col(big_integer(Corrections::AtMs))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("corrections_tenant_doc")
                .table(Corrections::Table)
                .col(Corrections::TenantId)
                .col(Corrections::DocId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("corrections_tenant_author")
                .table(Corrections::Table)
                .col(Corrections::TenantId)
                .col(Corrections::AuthorId)
                .col(Corrections::AtMs)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Corrections::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Devices::Table)
                .drop_column(Devices::ToldSeq)
                .to_owned(),
        )
        .await?;
        for column in [AccountTeams::RevokedAt, AccountTeams::RevokedSeq] {
            m.alter_table(
                Table::alter()
                    .table(AccountTeams::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
