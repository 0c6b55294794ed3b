//! The read model: each accepted document becomes rows of plain tables (accounts,
//! contacts, visits …) that every report reads. Rows are rebuilt whole from the merged
//! document on every accepted change, so they always equal what the document says.

use rapport_client_core::model::AnyRecord;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::db::{accounts, contacts, visit_contacts, visits};

/// Writes the read-model rows of one document.
pub async fn project(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    doc_id: &str,
    author_id: &str,
    record: &AnyRecord,
) -> Result<(), DbErr> {
    match record {
        AnyRecord::Account(a) => {
            let row = accounts::ActiveModel {
                id: Set(doc_id.to_owned()),
                tenant_id: Set(tenant_id.to_owned()),
                name: Set(a.name.clone()),
                industry: Set(a.industry.clone()),
                city: Set(a.city.clone()),
                lat: Set(a.location.map(|p| p.lat)),
                lon: Set(a.location.map(|p| p.lon)),
                deleted: Set(a.deleted),
            };
            accounts::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(accounts::Column::Id)
                        .update_columns([
                            accounts::Column::Name,
                            accounts::Column::Industry,
                            accounts::Column::City,
                            accounts::Column::Lat,
                            accounts::Column::Lon,
                            accounts::Column::Deleted,
                        ])
                        .to_owned(),
                )
                .exec(conn)
                .await?;
        }
        AnyRecord::Contact(c) => {
            let row = contacts::ActiveModel {
                id: Set(doc_id.to_owned()),
                tenant_id: Set(tenant_id.to_owned()),
                account_id: Set(c.account_id.clone()),
                author_id: Set(author_id.to_owned()),
                name: Set(c.name.clone()),
                title: Set(c.title.clone()),
                deleted: Set(c.deleted),
            };
            contacts::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(contacts::Column::Id)
                        .update_columns([
                            contacts::Column::Name,
                            contacts::Column::Title,
                            contacts::Column::Deleted,
                        ])
                        .to_owned(),
                )
                .exec(conn)
                .await?;
        }
        AnyRecord::Visit(v) => {
            let row = visits::ActiveModel {
                id: Set(doc_id.to_owned()),
                tenant_id: Set(tenant_id.to_owned()),
                account_id: Set(v.account_id.clone()),
                author_id: Set(author_id.to_owned()),
                occurred_at: Set(v.occurred_at.utc_ms),
                offset_min: Set(i32::try_from(v.occurred_at.offset_min).unwrap_or(0)),
                logged_at: Set(v.logged_at.utc_ms),
                duration_min: Set(i32::try_from(v.duration_min).unwrap_or(0)),
                purpose: Set(v.purpose.clone()),
                check_in_lat: Set(v.check_in.map(|c| c.lat)),
                check_in_lon: Set(v.check_in.map(|c| c.lon)),
                check_in_accuracy_m: Set(v.check_in.map(|c| c.accuracy_m)),
                deleted: Set(v.deleted),
            };
            visits::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(visits::Column::Id)
                        .update_columns([
                            visits::Column::OccurredAt,
                            visits::Column::OffsetMin,
                            visits::Column::LoggedAt,
                            visits::Column::DurationMin,
                            visits::Column::Purpose,
                            visits::Column::CheckInLat,
                            visits::Column::CheckInLon,
                            visits::Column::CheckInAccuracyM,
                            visits::Column::Deleted,
                        ])
                        .to_owned(),
                )
                .exec(conn)
                .await?;
            visit_contacts::Entity::delete_many()
                .filter(visit_contacts::Column::VisitId.eq(doc_id))
                .exec(conn)
                .await?;
            let mut met: Vec<&String> = v.contacts_met.iter().collect();
            met.sort();
            met.dedup();
            if !met.is_empty() {
                let rows = met.into_iter().map(|c| visit_contacts::ActiveModel {
                    tenant_id: Set(tenant_id.to_owned()),
                    visit_id: Set(doc_id.to_owned()),
                    contact_id: Set(c.clone()),
                });
                visit_contacts::Entity::insert_many(rows).exec(conn).await?;
            }
        }
    }
    Ok(())
}
