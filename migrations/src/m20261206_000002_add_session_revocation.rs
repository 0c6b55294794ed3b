//! Sessions that end on the server (issue 12):
//!
//! - `users.session_epoch`: raised when an admin resets the user's password or deactivates
//!   them. Access tokens, dashboard cookies and refresh tokens carry the epoch they were
//!   issued under; one of an older epoch is refused, so every earlier session ends at
//!   once, on every server process, and reactivating the user revives none of them.
//! - `refresh_tokens.session_epoch`: the epoch a refresh token was issued under, and an
//!   index by `(tenant_id, user_id)` to revoke a user's tokens at once.
//! - `ended_sessions`: dashboard cookies signed out before they expire (by the SHA-256 of
//!   the cookie), kept until their expiry.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    SessionEpoch,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TenantId,
    UserId,
    SessionEpoch,
}

#[derive(DeriveIden)]
enum EndedSessions {
    Table,
    TokenHash,
    TenantId,
    UserId,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(big_integer(Users::SessionEpoch).default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(RefreshTokens::Table)
                .add_column(big_integer(RefreshTokens::SessionEpoch).default(0))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("refresh_tokens_tenant_user")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::TenantId)
                .col(RefreshTokens::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EndedSessions::Table)
                .col(string(EndedSessions::TokenHash).primary_key())
                .col(string(EndedSessions::TenantId))
                .col(string(EndedSessions::UserId))
                .col(big_integer(EndedSessions::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ended_sessions_tenant_expiry")
                .table(EndedSessions::Table)
                .col(EndedSessions::TenantId)
                .col(EndedSessions::ExpiresAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(EndedSessions::Table).to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("refresh_tokens_tenant_user")
                .table(RefreshTokens::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(RefreshTokens::Table)
                .drop_column(RefreshTokens::SessionEpoch)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::SessionEpoch)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
