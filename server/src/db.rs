//! The server's database: connection set-up for SQLite and PostgreSQL, and the sea-orm
//! entities of every table (see the migrations crate for the schema itself).
//!
//! All times are Unix milliseconds (`i64`), all ids are strings (UUIDs), so the same
//! entities and queries serve both backends.

use std::path::Path;
use std::time::Duration;

use rapport_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};

/// Connects to `url` (or to `rapport.db` in `data_dir` when no URL is given), applies
/// pending migrations and returns the pool.
pub async fn connect(url: Option<&str>, data_dir: &Path) -> anyhow::Result<DatabaseConnection> {
    let url = match url {
        Some(u) => u.to_owned(),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|e| {
                anyhow::anyhow!("cannot create data directory {}: {e}", data_dir.display())
            })?;
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("rapport.db").display()
            )
        }
    };
    let mut opts = ConnectOptions::new(url.clone());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // WAL lets readers run beside the single writer; synchronous=FULL makes a commit
        // durable before the server acknowledges it (invariant 1), at the cost of an fsync
        // per commit (pushes share one per group: see `writer`).
        opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                // Statement journals (a multi-row insert inside the request's
                // transaction) in memory, not in temporary files; durability rests on the
                // WAL and is unchanged.
                .pragma("temp_store", "MEMORY")
        });
    } else {
        opts.max_connections(16);
    }
    let db = Database::connect(opts).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

pub mod tenants {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub slug: String,
        pub name: String,
        pub time_zone: String,
        /// The last sequence number handed out in this tenant.
        pub seq: i64,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod teams {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "teams")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod users {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub username: String,
        pub display_name: String,
        pub password_hash: String,
        pub role: String,
        pub team_id: Option<String>,
        pub active: bool,
        pub created_at: i64,
        /// Raised when an admin resets the password or deactivates the user: every token
        /// and dashboard cookie issued under an earlier epoch is refused.
        pub session_epoch: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod devices {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "devices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub user_id: String,
        /// The Automerge actor id (hex) every change from this device must carry.
        pub actor_id: String,
        pub name: String,
        pub active: bool,
        pub created_at: i64,
        /// The highest tenant sequence this device has been told of: the cursor of a
        /// sync response that carried a removal from an account team, or the head of the
        /// sequence when the device was registered. A removal above it is news to the
        /// device: what it pushes on that account was logged before it knew.
        pub told_seq: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod refresh_tokens {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        /// SHA-256 of the opaque token, hex; the token itself is never stored.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub tenant_id: String,
        pub user_id: String,
        pub device_id: String,
        /// Tokens rotated from one sign-in share a family; reuse of a rotated token
        /// revokes the whole family.
        pub family_id: String,
        pub expires_at: i64,
        pub used_at: Option<i64>,
        pub revoked: bool,
        /// The user's session epoch when the token was issued; refused once it is raised.
        pub session_epoch: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ended_sessions {
    use sea_orm::entity::prelude::*;

    /// Dashboard cookies signed out before their expiry.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ended_sessions")]
    pub struct Model {
        /// SHA-256 of the cookie's value, hex.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub tenant_id: String,
        pub user_id: String,
        /// The cookie's own expiry, Unix ms: the row is useless after it.
        pub expires_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod server_keys {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "server_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub secret: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod account_teams {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_teams")]
    pub struct Model {
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
        /// False once the rep is taken off the account: they keep what they authored
        /// but no longer read the account's other records.
        pub active: bool,
        /// The tenant sequence number at which access was (last) granted.
        pub granted_seq: i64,
        /// When inactive: the tenant sequence number at which the rep was taken off the
        /// account (a sequenced event, like a grant), and when (Unix ms).
        pub revoked_seq: Option<i64>,
        pub revoked_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod documents {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "documents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub kind: String,
        pub account_id: String,
        pub author_id: String,
        /// The merged document, saved: what new devices receive instead of the history.
        #[sea_orm(column_type = "Blob")]
        pub snapshot: Vec<u8>,
        pub deleted: bool,
        pub created_seq: i64,
        pub updated_seq: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod changes {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "changes")]
    pub struct Model {
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub doc_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub hash: String,
        pub seq: i64,
        pub actor_id: String,
        #[sea_orm(column_type = "Blob")]
        pub data: Vec<u8>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::documents::Entity",
            from = "Column::DocId",
            to = "super::documents::Column::Id"
        )]
        Document,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod corrections {
    use sea_orm::entity::prelude::*;

    /// A change to a record by someone other than its author: a manager's or admin's
    /// correction (or removal). The record stays its author's; this says who changed it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "corrections")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub doc_id: String,
        pub kind: String,
        pub account_id: String,
        pub author_id: String,
        pub by_user: String,
        /// The sequence number of the document's last change in the correction.
        pub seq: i64,
        pub at_ms: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod accounts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub name: String,
        pub industry: Option<String>,
        pub city: Option<String>,
        pub lat: Option<f64>,
        pub lon: Option<f64>,
        pub deleted: bool,
        /// Pyramid tier code (`a`…`d`), by the company's rules at the last change.
        pub tier: Option<String>,
        pub value_score: Option<f64>,
        pub stage: Option<String>,
        /// The cadence override, if any.
        pub cadence_days: Option<i32>,
        pub current_value: Option<i32>,
        pub potential_value: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod contacts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "contacts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub account_id: String,
        pub author_id: String,
        pub name: String,
        pub title: Option<String>,
        pub deleted: bool,
        pub admin_level: Option<String>,
        pub relationship_level: Option<String>,
        pub key_contact: bool,
        /// Buying role codes, comma-separated.
        pub roles: String,
        pub has_card: bool,
        /// How many of the four things the method asks for the card knows (0–4).
        pub card_depth: i32,
        pub card_knows_name: bool,
        pub card_interests: bool,
        pub card_birthday: bool,
        pub card_concern: bool,
        pub birthday_calendar: Option<String>,
        pub birthday_month: Option<i32>,
        pub birthday_day: Option<i32>,
        pub birthday_leap: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod visits {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "visits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub account_id: String,
        pub author_id: String,
        /// Unix milliseconds, UTC.
        pub occurred_at: i64,
        pub offset_min: i32,
        pub logged_at: i64,
        pub duration_min: i32,
        #[sea_orm(column_type = "Text")]
        pub purpose: String,
        pub check_in_lat: Option<f64>,
        pub check_in_lon: Option<f64>,
        pub check_in_accuracy_m: Option<f64>,
        pub deleted: bool,
        #[sea_orm(column_type = "Text", nullable)]
        pub next_step: Option<String>,
        pub next_step_due: Option<String>,
        /// Checked in within the company's radius of the account.
        pub verified: bool,
        /// Logged long after it happened.
        pub late: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod visit_contacts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "visit_contacts")]
    pub struct Model {
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub visit_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub contact_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod tenant_rules {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenant_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        /// Raised on every change, so devices know to fetch the rules again.
        pub version: i64,
        /// `rapport_client_core::model::Rules` as JSON.
        #[sea_orm(column_type = "Text")]
        pub rules: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod account_metrics {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_metrics")]
    pub struct Model {
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub period: String,
        pub sales: Option<f64>,
        pub profit: Option<f64>,
        pub collections: Option<f64>,
        pub transactions: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod stage_events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stage_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub account_id: String,
        pub from_stage: Option<String>,
        pub to_stage: Option<String>,
        /// The signed-in user whose push moved the stage.
        pub by_user: String,
        pub at_ms: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod visit_marks {
    use sea_orm::entity::prelude::*;

    /// One SPIN question, objection or buying signal of a visit, as `spin:problem`,
    /// `objection:no_budget`, `signal:next_step`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "visit_marks")]
    pub struct Model {
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub visit_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub mark: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opportunities {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "opportunities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub account_id: String,
        pub author_id: String,
        pub name: String,
        pub value: Option<f64>,
        pub status: String,
        pub expected_close: Option<String>,
        /// Judgement codes of the four-step assessment.
        pub real: Option<String>,
        pub competition: Option<String>,
        pub can_win: Option<String>,
        pub worth_winning: Option<String>,
        pub deleted: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opportunity_roles {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opportunity_roles")]
    pub struct Model {
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub opportunity_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub role: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub contact_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod favours {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "favours")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub account_id: String,
        pub author_id: String,
        pub contact_id: Option<String>,
        pub kind: String,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub value: Option<f64>,
        /// Worth more than the company's limit: for the manager to review.
        pub over_limit: bool,
        pub occurred_at: i64,
        pub deleted: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod intel {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "intel")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub account_id: String,
        pub author_id: String,
        pub competitor: String,
        pub product: Option<String>,
        pub price: Option<f64>,
        pub confidence: String,
        pub source_contact_id: Option<String>,
        pub occurred_at: i64,
        pub deleted: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod info_reports {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "info_reports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub account_id: String,
        pub author_id: String,
        pub kind: String,
        pub figure: Option<f64>,
        pub unit: Option<String>,
        pub contact_id: Option<String>,
        pub occurred_at: i64,
        pub deleted: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod greetings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "greetings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub account_id: String,
        pub author_id: String,
        pub contact_id: Option<String>,
        pub occasion: String,
        pub channel: String,
        pub occurred_at: i64,
        pub deleted: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod relationship_events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "relationship_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub account_id: String,
        pub author_id: String,
        pub kind: String,
        pub contact_id: Option<String>,
        pub occurred_at: i64,
        pub deleted: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Bytes each user's pushes added to stored snapshots, checked against the storage quota
/// on every push.
pub mod storage_usage {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "storage_usage")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
        pub bytes: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
