//! Reading rows by id, always within the viewer's company: the names a page puts next to
//! ids (accounts, users, contacts) and the records a figure is made of.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::db::{
    accounts, contacts, favours, greetings, info_reports, intel, opportunities,
    relationship_events, users, visits,
};
use crate::error::ApiResult;

/// A table of the company's rows, each with an id.
pub trait ById: EntityTrait {
    /// The company and id columns.
    const KEY: (Self::Column, Self::Column);
}

/// The tables whose rows pages read by id; they name their columns alike.
macro_rules! by_id {
    ($($table:ident),+) => {$(
        impl ById for $table::Entity {
            const KEY: ($table::Column, $table::Column) =
                ($table::Column::TenantId, $table::Column::Id);
        }
    )+};
}

by_id!(
    accounts,
    contacts,
    users,
    opportunities,
    visits,
    favours,
    intel,
    info_reports,
    greetings,
    relationship_events
);

/// The rows of `E` with these ids, of the company only; no query when there are none.
pub async fn by_ids<E>(
    db: &DatabaseConnection,
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<Vec<E::Model>>
where
    E: ById,
    E::Model: Send + Sync,
{
    let ids: HashSet<String> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (tenant_col, id_col) = E::KEY;
    Ok(E::find()
        .filter(tenant_col.eq(tenant_id))
        .filter(id_col.is_in(ids))
        .all(db)
        .await?)
}

/// Names of accounts by id.
pub async fn accounts(
    db: &DatabaseConnection,
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<HashMap<String, String>> {
    let rows = by_ids::<accounts::Entity>(db, tenant_id, ids).await?;
    Ok(rows.into_iter().map(|a| (a.id, a.name)).collect())
}

/// Display names of users by id.
pub async fn users(
    db: &DatabaseConnection,
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<HashMap<String, String>> {
    let rows = by_ids::<users::Entity>(db, tenant_id, ids).await?;
    Ok(rows.into_iter().map(|u| (u.id, u.display_name)).collect())
}

/// Names of contacts by id.
pub async fn contacts(
    db: &DatabaseConnection,
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<HashMap<String, String>> {
    let rows = by_ids::<contacts::Entity>(db, tenant_id, ids).await?;
    Ok(rows.into_iter().map(|c| (c.id, c.name)).collect())
}
