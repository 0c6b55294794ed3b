//! The read model of every record kind of the key-account method (opportunities, favours,
//! intelligence, info reports, greetings, relationship events), the new account and contact
//! columns (value, stage, card), the marks of a visit (SPIN, objections, signals), stage
//! history, and each company's rules.
//!
//! SQLite alters one column per statement, so each added column is its own statement.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantRules {
    Table,
    TenantId,
    Version,
    Rules,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Tier,
    ValueScore,
    Stage,
    CadenceDays,
    CurrentValue,
    PotentialValue,
}

#[derive(DeriveIden)]
enum AccountMetrics {
    Table,
    TenantId,
    AccountId,
    Period,
    Sales,
    Profit,
    Collections,
    Transactions,
}

#[derive(DeriveIden)]
enum StageEvents {
    Table,
    Id,
    TenantId,
    AccountId,
    FromStage,
    ToStage,
    ByUser,
    AtMs,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    AdminLevel,
    RelationshipLevel,
    KeyContact,
    Roles,
    HasCard,
    CardDepth,
    CardKnowsName,
    CardInterests,
    CardBirthday,
    CardConcern,
    BirthdayCalendar,
    BirthdayMonth,
    BirthdayDay,
    BirthdayLeap,
}

#[derive(DeriveIden)]
enum Visits {
    Table,
    NextStep,
    NextStepDue,
    Verified,
    Late,
}

#[derive(DeriveIden)]
enum VisitMarks {
    Table,
    TenantId,
    VisitId,
    Mark,
}

#[derive(DeriveIden)]
enum Opportunities {
    Table,
    Id,
    TenantId,
    AccountId,
    AuthorId,
    Name,
    Value,
    Status,
    ExpectedClose,
    Real,
    Competition,
    CanWin,
    WorthWinning,
    Deleted,
}

#[derive(DeriveIden)]
enum OpportunityRoles {
    Table,
    TenantId,
    OpportunityId,
    Role,
    ContactId,
}

#[derive(DeriveIden)]
enum Favours {
    Table,
    ContactId,
    Kind,
    Description,
    Value,
    OverLimit,
}

#[derive(DeriveIden)]
enum Intel {
    Table,
    Competitor,
    Product,
    Price,
    Confidence,
    SourceContactId,
}

#[derive(DeriveIden)]
enum InfoReports {
    Table,
    Kind,
    Figure,
    Unit,
    ContactId,
}

#[derive(DeriveIden)]
enum Greetings {
    Table,
    ContactId,
    Occasion,
    Channel,
}

#[derive(DeriveIden)]
enum RelationshipEvents {
    Table,
    Kind,
    ContactId,
}

async fn add_column(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    col: impl IntoColumnDef,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).add_column(col).to_owned())
        .await
}

async fn drop_column(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    col: impl IntoIden,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
        .await
}

async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    m.create_index(i.to_owned()).await
}

/// The columns every record table shares, and its two indexes (by author and time, by
/// account).
fn record_table(table: impl IntoIden, extra: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(table)
        .col(string(Alias::new("id")).primary_key())
        .col(string(Alias::new("tenant_id")))
        .col(string(Alias::new("account_id")))
        .col(string(Alias::new("author_id")));
    for mut c in extra {
        t.col(&mut c);
    }
    t.col(big_integer(Alias::new("occurred_at")))
        .col(boolean(Alias::new("deleted")).default(false));
    t.to_owned()
}

async fn record_indexes(m: &SchemaManager<'_>, table: &'static str) -> Result<(), DbErr> {
    let t = Alias::new(table);
    index(
        m,
        &format!("{table}_tenant_author_time"),
        t.clone(),
        vec![
            Alias::new("tenant_id").into_iden(),
            Alias::new("author_id").into_iden(),
            Alias::new("occurred_at").into_iden(),
        ],
    )
    .await?;
    index(
        m,
        &format!("{table}_tenant_account"),
        t,
        vec![
            Alias::new("tenant_id").into_iden(),
            Alias::new("account_id").into_iden(),
        ],
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TenantRules::Table)
                .col(string(TenantRules::TenantId).primary_key())
                .col(big_integer(TenantRules::Version))
                .col(text(TenantRules::Rules))
                .to_owned(),
        )
        .await?;

        add_column(m, Accounts::Table, string_null(Accounts::Tier)).await?;
        add_column(m, Accounts::Table, double_null(Accounts::ValueScore)).await?;
        add_column(m, Accounts::Table, string_null(Accounts::Stage)).await?;
        add_column(m, Accounts::Table, integer_null(Accounts::CadenceDays)).await?;
        add_column(m, Accounts::Table, integer_null(Accounts::CurrentValue)).await?;
        add_column(m, Accounts::Table, integer_null(Accounts::PotentialValue)).await?;

        m.create_table(
            Table::create()
                .table(AccountMetrics::Table)
                .col(string(AccountMetrics::TenantId))
                .col(string(AccountMetrics::AccountId))
                .col(string(AccountMetrics::Period))
                .col(double_null(AccountMetrics::Sales))
                .col(double_null(AccountMetrics::Profit))
                .col(double_null(AccountMetrics::Collections))
                .col(big_integer_null(AccountMetrics::Transactions))
                .primary_key(
                    Index::create()
                        .col(AccountMetrics::AccountId)
                        .col(AccountMetrics::Period),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StageEvents::Table)
                .col(string(StageEvents::Id).primary_key())
                .col(string(StageEvents::TenantId))
                .col(string(StageEvents::AccountId))
                .col(string_null(StageEvents::FromStage))
                .col(string_null(StageEvents::ToStage))
                .col(string(StageEvents::ByUser))
                .col(big_integer(StageEvents::AtMs))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "stage_events_tenant_time",
            StageEvents::Table,
            vec![
                StageEvents::TenantId.into_iden(),
                StageEvents::AtMs.into_iden(),
            ],
        )
        .await?;
        index(
            m,
            "stage_events_account",
            StageEvents::Table,
            vec![
                StageEvents::TenantId.into_iden(),
                StageEvents::AccountId.into_iden(),
            ],
        )
        .await?;

        add_column(m, Contacts::Table, string_null(Contacts::AdminLevel)).await?;
        add_column(m, Contacts::Table, string_null(Contacts::RelationshipLevel)).await?;
        add_column(
            m,
            Contacts::Table,
            boolean(Contacts::KeyContact).default(false),
        )
        .await?;
        // Buying roles, comma-separated codes (a contact plays at most four).
        add_column(m, Contacts::Table, string(Contacts::Roles).default("")).await?;
        add_column(
            m,
            Contacts::Table,
            boolean(Contacts::HasCard).default(false),
        )
        .await?;
        add_column(m, Contacts::Table, integer(Contacts::CardDepth).default(0)).await?;
        add_column(
            m,
            Contacts::Table,
            boolean(Contacts::CardKnowsName).default(false),
        )
        .await?;
        add_column(
            m,
            Contacts::Table,
            boolean(Contacts::CardInterests).default(false),
        )
        .await?;
        add_column(
            m,
            Contacts::Table,
            boolean(Contacts::CardBirthday).default(false),
        )
        .await?;
        add_column(
            m,
            Contacts::Table,
            boolean(Contacts::CardConcern).default(false),
        )
        .await?;
        add_column(m, Contacts::Table, string_null(Contacts::BirthdayCalendar)).await?;
        add_column(m, Contacts::Table, integer_null(Contacts::BirthdayMonth)).await?;
        add_column(m, Contacts::Table, integer_null(Contacts::BirthdayDay)).await?;
        add_column(
            m,
            Contacts::Table,
            boolean(Contacts::BirthdayLeap).default(false),
        )
        .await?;

        add_column(m, Visits::Table, text_null(Visits::NextStep)).await?;
        add_column(m, Visits::Table, string_null(Visits::NextStepDue)).await?;
        add_column(m, Visits::Table, boolean(Visits::Verified).default(false)).await?;
        add_column(m, Visits::Table, boolean(Visits::Late).default(false)).await?;

        m.create_table(
            Table::create()
                .table(VisitMarks::Table)
                .col(string(VisitMarks::TenantId))
                .col(string(VisitMarks::VisitId))
                .col(string(VisitMarks::Mark))
                .primary_key(
                    Index::create()
                        .col(VisitMarks::VisitId)
                        .col(VisitMarks::Mark),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "visit_marks_tenant_mark",
            VisitMarks::Table,
            vec![
                VisitMarks::TenantId.into_iden(),
                VisitMarks::Mark.into_iden(),
            ],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Opportunities::Table)
                .col(string(Opportunities::Id).primary_key())
                .col(string(Opportunities::TenantId))
                .col(string(Opportunities::AccountId))
                .col(string(Opportunities::AuthorId))
                .col(string(Opportunities::Name))
                .col(double_null(Opportunities::Value))
                .col(string(Opportunities::Status))
                .col(string_null(Opportunities::ExpectedClose))
                .col(string_null(Opportunities::Real))
                .col(string_null(Opportunities::Competition))
                .col(string_null(Opportunities::CanWin))
                .col(string_null(Opportunities::WorthWinning))
                .col(boolean(Opportunities::Deleted).default(false))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "opportunities_tenant_account",
            Opportunities::Table,
            vec![
                Opportunities::TenantId.into_iden(),
                Opportunities::AccountId.into_iden(),
            ],
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OpportunityRoles::Table)
                .col(string(OpportunityRoles::TenantId))
                .col(string(OpportunityRoles::OpportunityId))
                .col(string(OpportunityRoles::Role))
                .col(string(OpportunityRoles::ContactId))
                .primary_key(
                    Index::create()
                        .col(OpportunityRoles::OpportunityId)
                        .col(OpportunityRoles::Role)
                        .col(OpportunityRoles::ContactId),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(record_table(
            Favours::Table,
            vec![
                string_null(Favours::ContactId),
                string(Favours::Kind),
                text(Favours::Description),
                double_null(Favours::Value),
                boolean(Favours::OverLimit).default(false).to_owned(),
            ],
        ))
        .await?;
        record_indexes(m, "favours").await?;

        m.create_table(record_table(
            Intel::Table,
            vec![
                string(Intel::Competitor),
                string_null(Intel::Product),
                double_null(Intel::Price),
                string(Intel::Confidence),
                string_null(Intel::SourceContactId),
            ],
        ))
        .await?;
        record_indexes(m, "intel").await?;

        m.create_table(record_table(
            InfoReports::Table,
            vec![
                string(InfoReports::Kind),
                double_null(InfoReports::Figure),
                string_null(InfoReports::Unit),
                string_null(InfoReports::ContactId),
            ],
        ))
        .await?;
        record_indexes(m, "info_reports").await?;

        m.create_table(record_table(
            Greetings::Table,
            vec![
                string_null(Greetings::ContactId),
                string(Greetings::Occasion),
                string(Greetings::Channel),
            ],
        ))
        .await?;
        record_indexes(m, "greetings").await?;

        m.create_table(record_table(
            RelationshipEvents::Table,
            vec![
                string(RelationshipEvents::Kind),
                string_null(RelationshipEvents::ContactId),
            ],
        ))
        .await?;
        record_indexes(m, "relationship_events").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RelationshipEvents::Table.into_iden(),
            Greetings::Table.into_iden(),
            InfoReports::Table.into_iden(),
            Intel::Table.into_iden(),
            Favours::Table.into_iden(),
            OpportunityRoles::Table.into_iden(),
            Opportunities::Table.into_iden(),
            VisitMarks::Table.into_iden(),
            StageEvents::Table.into_iden(),
            AccountMetrics::Table.into_iden(),
            TenantRules::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for col in [
            Visits::NextStep.into_iden(),
            Visits::NextStepDue.into_iden(),
            Visits::Verified.into_iden(),
            Visits::Late.into_iden(),
        ] {
            drop_column(m, Visits::Table, col).await?;
        }
        for col in [
            Contacts::AdminLevel.into_iden(),
            Contacts::RelationshipLevel.into_iden(),
            Contacts::KeyContact.into_iden(),
            Contacts::Roles.into_iden(),
            Contacts::HasCard.into_iden(),
            Contacts::CardDepth.into_iden(),
            Contacts::CardKnowsName.into_iden(),
            Contacts::CardInterests.into_iden(),
            Contacts::CardBirthday.into_iden(),
            Contacts::CardConcern.into_iden(),
            Contacts::BirthdayCalendar.into_iden(),
            Contacts::BirthdayMonth.into_iden(),
            Contacts::BirthdayDay.into_iden(),
            Contacts::BirthdayLeap.into_iden(),
        ] {
            drop_column(m, Contacts::Table, col).await?;
        }
        for col in [
            Accounts::Tier.into_iden(),
            Accounts::ValueScore.into_iden(),
            Accounts::Stage.into_iden(),
            Accounts::CadenceDays.into_iden(),
            Accounts::CurrentValue.into_iden(),
            Accounts::PotentialValue.into_iden(),
        ] {
            drop_column(m, Accounts::Table, col).await?;
        }
        Ok(())
    }
}
