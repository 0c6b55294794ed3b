//! Rapport's server database schema, as frozen sea-orm migrations.
//!
//! The server applies them at start-up. Each migration is history: once released it is
//! never edited, only followed by a new one. They use the schema builder only (no entity
//! code), so the same migrations build the same schema on SQLite and PostgreSQL.
//!
//! Every table carries `tenant_id` and every index that serves a query starts with it, so
//! the schema can later be distributed by tenant.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_core;
mod m20261127_000002_add_method_records;
mod m20261127_160000_add_lookup_indexes;
mod m20261206_000001_add_storage_usage;
mod m20261206_000002_add_session_revocation;
mod m20261206_000003_add_authorship_and_removals;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_core::Migration),
            Box::new(m20261127_000002_add_method_records::Migration),
            Box::new(m20261127_160000_add_lookup_indexes::Migration),
            Box::new(m20261206_000001_add_storage_usage::Migration),
            Box::new(m20261206_000002_add_session_revocation::Migration),
            Box::new(m20261206_000003_add_authorship_and_removals::Migration),
        ]
    }
}
