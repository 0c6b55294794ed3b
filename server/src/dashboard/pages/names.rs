//! Reading rows by id, always within the viewer's company: the names a page puts next to
//! ids (accounts, users, contacts) and the records a figure is made of.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::db::{accounts, contacts, users};
use crate::error::ApiResult;

/// The rows of `E` with these ids, of the company only; no query when there are none.
pub async fn by_ids<E>(
    db: &DatabaseConnection,
    (tenant_col, id_col): (E::Column, E::Column),
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    let ids: HashSet<String> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
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
    let columns = (accounts::Column::TenantId, accounts::Column::Id);
    let rows = by_ids::<accounts::Entity>(db, columns, tenant_id, ids).await?;
    Ok(rows.into_iter().map(|a| (a.id, a.name)).collect())
}

/// Display names of users by id.
pub async fn users(
    db: &DatabaseConnection,
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<HashMap<String, String>> {
    let columns = (users::Column::TenantId, users::Column::Id);
    let rows = by_ids::<users::Entity>(db, columns, tenant_id, ids).await?;
    Ok(rows.into_iter().map(|u| (u.id, u.display_name)).collect())
}

/// Names of contacts by id.
pub async fn contacts(
    db: &DatabaseConnection,
    tenant_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<HashMap<String, String>> {
    let columns = (contacts::Column::TenantId, contacts::Column::Id);
    let rows = by_ids::<contacts::Entity>(db, columns, tenant_id, ids).await?;
    Ok(rows.into_iter().map(|c| (c.id, c.name)).collect())
}
