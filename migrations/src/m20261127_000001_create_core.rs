//! The first schema: companies, people, devices, tokens, the document store (changes with
//! their per-tenant sequence) and the read model of accounts, contacts and visits.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    TimeZone,
    Seq,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    TenantId,
    Name,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TenantId,
    Username,
    DisplayName,
    PasswordHash,
    Role,
    TeamId,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    TenantId,
    UserId,
    ActorId,
    Name,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    TenantId,
    UserId,
    DeviceId,
    FamilyId,
    ExpiresAt,
    UsedAt,
    Revoked,
}

#[derive(DeriveIden)]
enum ServerKeys {
    Table,
    Id,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccountTeams {
    Table,
    TenantId,
    AccountId,
    UserId,
    Active,
    GrantedSeq,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    TenantId,
    Kind,
    AccountId,
    AuthorId,
    Snapshot,
    Deleted,
    CreatedSeq,
    UpdatedSeq,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Changes {
    Table,
    TenantId,
    DocId,
    Hash,
    Seq,
    ActorId,
    Data,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    TenantId,
    Name,
    Industry,
    City,
    Lat,
    Lon,
    Deleted,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    TenantId,
    AccountId,
    AuthorId,
    Name,
    Title,
    Deleted,
}

#[derive(DeriveIden)]
enum Visits {
    Table,
    Id,
    TenantId,
    AccountId,
    AuthorId,
    OccurredAt,
    OffsetMin,
    LoggedAt,
    DurationMin,
    Purpose,
    CheckInLat,
    CheckInLon,
    CheckInAccuracyM,
    Deleted,
}

#[derive(DeriveIden)]
enum VisitContacts {
    Table,
    TenantId,
    VisitId,
    ContactId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Tenants::Table)
                .col(string(Tenants::Id).primary_key())
                .col(string_uniq(Tenants::Slug))
                .col(string(Tenants::Name))
                .col(string(Tenants::TimeZone))
                .col(big_integer(Tenants::Seq).default(0))
                .col(big_integer(Tenants::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Teams::Table)
                .col(string(Teams::Id).primary_key())
                .col(string(Teams::TenantId))
                .col(string(Teams::Name))
                .foreign_key(
                    ForeignKey::create()
                        .from(Teams::Table, Teams::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("teams_tenant_name")
                .table(Teams::Table)
                .col(Teams::TenantId)
                .col(Teams::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(string(Users::Id).primary_key())
                .col(string(Users::TenantId))
                .col(string(Users::Username))
                .col(string(Users::DisplayName))
                .col(string(Users::PasswordHash))
                .col(string(Users::Role))
                .col(string_null(Users::TeamId))
                .col(boolean(Users::Active).default(true))
                .col(big_integer(Users::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::TeamId)
                        .to(Teams::Table, Teams::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("users_tenant_username")
                .table(Users::Table)
                .col(Users::TenantId)
                .col(Users::Username)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("users_tenant_team")
                .table(Users::Table)
                .col(Users::TenantId)
                .col(Users::TeamId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Devices::Table)
                .col(string(Devices::Id).primary_key())
                .col(string(Devices::TenantId))
                .col(string(Devices::UserId))
                .col(string_uniq(Devices::ActorId))
                .col(string(Devices::Name))
                .col(boolean(Devices::Active).default(true))
                .col(big_integer(Devices::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Devices::Table, Devices::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(string(RefreshTokens::TokenHash).primary_key())
                .col(string(RefreshTokens::TenantId))
                .col(string(RefreshTokens::UserId))
                .col(string(RefreshTokens::DeviceId))
                .col(string(RefreshTokens::FamilyId))
                .col(big_integer(RefreshTokens::ExpiresAt))
                .col(big_integer_null(RefreshTokens::UsedAt))
                .col(boolean(RefreshTokens::Revoked).default(false))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("refresh_tokens_family")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::FamilyId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ServerKeys::Table)
                .col(string(ServerKeys::Id).primary_key())
                .col(string(ServerKeys::Secret))
                .col(big_integer(ServerKeys::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AccountTeams::Table)
                .col(string(AccountTeams::TenantId))
                .col(string(AccountTeams::AccountId))
                .col(string(AccountTeams::UserId))
                .col(boolean(AccountTeams::Active).default(true))
                .col(big_integer(AccountTeams::GrantedSeq))
                .primary_key(
                    Index::create()
                        .col(AccountTeams::AccountId)
                        .col(AccountTeams::UserId),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("account_teams_user")
                .table(AccountTeams::Table)
                .col(AccountTeams::TenantId)
                .col(AccountTeams::UserId)
                .col(AccountTeams::GrantedSeq)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Documents::Table)
                .col(string(Documents::Id).primary_key())
                .col(string(Documents::TenantId))
                .col(string(Documents::Kind))
                .col(string(Documents::AccountId))
                .col(string(Documents::AuthorId))
                .col(blob(Documents::Snapshot))
                .col(boolean(Documents::Deleted).default(false))
                .col(big_integer(Documents::CreatedSeq))
                .col(big_integer(Documents::UpdatedSeq))
                .col(big_integer(Documents::CreatedAt))
                .col(big_integer(Documents::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("documents_account")
                .table(Documents::Table)
                .col(Documents::TenantId)
                .col(Documents::AccountId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("documents_author")
                .table(Documents::Table)
                .col(Documents::TenantId)
                .col(Documents::AuthorId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Changes::Table)
                .col(string(Changes::TenantId))
                .col(string(Changes::DocId))
                .col(string(Changes::Hash))
                .col(big_integer(Changes::Seq))
                .col(string(Changes::ActorId))
                .col(blob(Changes::Data))
                .primary_key(Index::create().col(Changes::DocId).col(Changes::Hash))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("changes_tenant_seq")
                .table(Changes::Table)
                .col(Changes::TenantId)
                .col(Changes::Seq)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Accounts::Table)
                .col(string(Accounts::Id).primary_key())
                .col(string(Accounts::TenantId))
                .col(string(Accounts::Name))
                .col(string_null(Accounts::Industry))
                .col(string_null(Accounts::City))
                .col(double_null(Accounts::Lat))
                .col(double_null(Accounts::Lon))
                .col(boolean(Accounts::Deleted).default(false))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("accounts_tenant")
                .table(Accounts::Table)
                .col(Accounts::TenantId)
                .col(Accounts::Name)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Contacts::Table)
                .col(string(Contacts::Id).primary_key())
                .col(string(Contacts::TenantId))
                .col(string(Contacts::AccountId))
                .col(string(Contacts::AuthorId))
                .col(string(Contacts::Name))
                .col(string_null(Contacts::Title))
                .col(boolean(Contacts::Deleted).default(false))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("contacts_tenant_account")
                .table(Contacts::Table)
                .col(Contacts::TenantId)
                .col(Contacts::AccountId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Visits::Table)
                .col(string(Visits::Id).primary_key())
                .col(string(Visits::TenantId))
                .col(string(Visits::AccountId))
                .col(string(Visits::AuthorId))
                .col(big_integer(Visits::OccurredAt))
                .col(integer(Visits::OffsetMin))
                .col(big_integer(Visits::LoggedAt))
                .col(integer(Visits::DurationMin))
                .col(text(Visits::Purpose))
                .col(double_null(Visits::CheckInLat))
                .col(double_null(Visits::CheckInLon))
                .col(double_null(Visits::CheckInAccuracyM))
                .col(boolean(Visits::Deleted).default(false))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("visits_tenant_author_time")
                .table(Visits::Table)
                .col(Visits::TenantId)
                .col(Visits::AuthorId)
                .col(Visits::OccurredAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("visits_tenant_account_time")
                .table(Visits::Table)
                .col(Visits::TenantId)
                .col(Visits::AccountId)
                .col(Visits::OccurredAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(VisitContacts::Table)
                .col(string(VisitContacts::TenantId))
                .col(string(VisitContacts::VisitId))
                .col(string(VisitContacts::ContactId))
                .primary_key(
                    Index::create()
                        .col(VisitContacts::VisitId)
                        .col(VisitContacts::ContactId),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("visit_contacts_contact")
                .table(VisitContacts::Table)
                .col(VisitContacts::TenantId)
                .col(VisitContacts::ContactId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            VisitContacts::Table.into_iden(),
            Visits::Table.into_iden(),
            Contacts::Table.into_iden(),
            Accounts::Table.into_iden(),
            Changes::Table.into_iden(),
            Documents::Table.into_iden(),
            AccountTeams::Table.into_iden(),
            ServerKeys::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Devices::Table.into_iden(),
            Users::Table.into_iden(),
            Teams::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
