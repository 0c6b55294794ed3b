//! The read model: each accepted document becomes rows of plain tables (accounts,
//! contacts, visits, favours …) that every report reads. Rows are rebuilt whole from the
//! merged document on every accepted change, so they always equal what the document says.
//! Judgements that depend on the company's rules (tier, verified check-in, late logging,
//! favour over the limit) are taken with the rules in force when the change arrives.

use rapport_client_core::model::{AnyRecord, GeoPoint, Rules};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::db::{
    account_metrics, accounts, contacts, favours, greetings, info_reports, intel, opportunities,
    opportunity_roles, relationship_events, stage_events, visit_contacts, visit_marks, visits,
};

/// Who and what a projection is for.
pub struct Context<'a> {
    pub tenant_id: &'a str,
    pub doc_id: &'a str,
    /// The record's author (from the server's tables).
    pub author_id: &'a str,
    /// The signed-in user whose push this is (who moved a stage, for instance).
    pub pusher_id: &'a str,
    pub rules: &'a Rules,
    pub now_ms: i64,
    /// The document has no read-model rows yet (it was just created): there is nothing
    /// to look up or delete before writing them.
    pub is_new: bool,
    /// For a visit, its account's location when the caller has already read the
    /// account's row (`Some(None)`: no such row or no location); `None` reads it here.
    pub account_location: Option<Option<GeoPoint>>,
}

/// Inserts `row`, or updates every listed column when the id exists.
macro_rules! upsert {
    ($conn:expr, $entity:ident, $row:expr, [$($col:ident),+ $(,)?]) => {
        $entity::Entity::insert($row)
            .on_conflict(
                OnConflict::column($entity::Column::Id)
                    .update_columns([$($entity::Column::$col),+])
                    .to_owned(),
            )
            .exec($conn)
            .await
            .map(|_| ())
    };
}

fn opt_i32(v: Option<i64>) -> Option<i32> {
    v.and_then(|v| i32::try_from(v).ok())
}

/// An account row's location, when it has one.
pub fn location_of(account: &accounts::Model) -> Option<GeoPoint> {
    Some(GeoPoint {
        lat: account.lat?,
        lon: account.lon?,
    })
}

/// Writes the read-model rows of one document.
pub async fn project(
    conn: &impl ConnectionTrait,
    cx: &Context<'_>,
    record: &AnyRecord,
) -> Result<(), DbErr> {
    let tenant = || Set(cx.tenant_id.to_owned());
    let id = || Set(cx.doc_id.to_owned());
    let author = || Set(cx.author_id.to_owned());
    match record {
        AnyRecord::Account(a) => {
            let before = if cx.is_new {
                None
            } else {
                accounts::Entity::find_by_id(cx.doc_id).one(conn).await?
            };
            let stage = a.stage.map(|s| s.code().to_owned());
            let stage_before = before.as_ref().and_then(|b| b.stage.clone());
            if before.is_some() && stage != stage_before {
                stage_events::Entity::insert(stage_events::ActiveModel {
                    id: Set(uuid::Uuid::new_v4().to_string()),
                    tenant_id: tenant(),
                    account_id: id(),
                    from_stage: Set(stage_before),
                    to_stage: Set(stage.clone()),
                    by_user: Set(cx.pusher_id.to_owned()),
                    at_ms: Set(cx.now_ms),
                })
                .exec(conn)
                .await?;
            }
            let row = accounts::ActiveModel {
                id: id(),
                tenant_id: tenant(),
                name: Set(a.name.clone()),
                industry: Set(a.industry.clone()),
                city: Set(a.city.clone()),
                lat: Set(a.location.map(|p| p.lat)),
                lon: Set(a.location.map(|p| p.lon)),
                deleted: Set(a.deleted),
                tier: Set(Some(cx.rules.tier(a).code().to_owned())),
                value_score: Set(cx.rules.value_score(&a.metrics)),
                stage: Set(stage),
                cadence_days: Set(opt_i32(a.cadence_days)),
                current_value: Set(opt_i32(a.current_value)),
                potential_value: Set(opt_i32(a.potential_value)),
            };
            upsert!(
                conn,
                accounts,
                row,
                [
                    Name,
                    Industry,
                    City,
                    Lat,
                    Lon,
                    Deleted,
                    Tier,
                    ValueScore,
                    Stage,
                    CadenceDays,
                    CurrentValue,
                    PotentialValue,
                ]
            )?;
            if !cx.is_new {
                account_metrics::Entity::delete_many()
                    .filter(account_metrics::Column::AccountId.eq(cx.doc_id))
                    .exec(conn)
                    .await?;
            }
            if !a.metrics.is_empty() {
                let rows = a.metrics.iter().map(|m| account_metrics::ActiveModel {
                    tenant_id: tenant(),
                    account_id: id(),
                    period: Set(m.period.clone()),
                    sales: Set(m.sales),
                    profit: Set(m.profit),
                    collections: Set(m.collections),
                    transactions: Set(m.transactions),
                });
                account_metrics::Entity::insert_many(rows)
                    .exec(conn)
                    .await?;
            }
        }
        AnyRecord::Contact(c) => {
            let card = c.vip_card.as_ref();
            let birthday = card.and_then(|k| k.birthday);
            let roles: Vec<&str> = c.roles.iter().map(|r| r.code()).collect();
            let row = contacts::ActiveModel {
                id: id(),
                tenant_id: tenant(),
                account_id: Set(c.account_id.clone()),
                author_id: author(),
                name: Set(c.name.clone()),
                title: Set(c.title.clone()),
                deleted: Set(c.deleted),
                admin_level: Set(c.admin_level.map(|l| l.code().to_owned())),
                relationship_level: Set(c.relationship_level.map(|l| l.code().to_owned())),
                key_contact: Set(c.key_contact),
                roles: Set(roles.join(",")),
                has_card: Set(card.is_some()),
                card_depth: Set(card.map_or(0, |k| i32::from(k.depth()))),
                card_knows_name: Set(card.is_some_and(|k| k.knows_rep_name)),
                card_interests: Set(card.is_some_and(|k| !k.interests.trim().is_empty())),
                card_birthday: Set(birthday.is_some()),
                card_concern: Set(
                    card.is_some_and(|k| !k.concerns.trim().is_empty() || k.helped_with_concern)
                ),
                birthday_calendar: Set(birthday.map(|b| b.calendar.code().to_owned())),
                birthday_month: Set(birthday.and_then(|b| i32::try_from(b.month).ok())),
                birthday_day: Set(birthday.and_then(|b| i32::try_from(b.day).ok())),
                birthday_leap: Set(birthday.is_some_and(|b| b.leap_month)),
            };
            upsert!(
                conn,
                contacts,
                row,
                [
                    Name,
                    Title,
                    Deleted,
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
                ]
            )?;
        }
        AnyRecord::Opportunity(o) => {
            let judgement = |s: &rapport_client_core::model::Step| {
                Set(s.judgement.map(|j| j.code().to_owned()))
            };
            let row = opportunities::ActiveModel {
                id: id(),
                tenant_id: tenant(),
                account_id: Set(o.account_id.clone()),
                author_id: author(),
                name: Set(o.name.clone()),
                value: Set(o.value),
                status: Set(o.status.code().to_owned()),
                expected_close: Set(o.expected_close.clone()),
                real: judgement(&o.assessment.real),
                competition: judgement(&o.assessment.competition),
                can_win: judgement(&o.assessment.can_win),
                worth_winning: judgement(&o.assessment.worth_winning),
                deleted: Set(o.deleted),
            };
            upsert!(
                conn,
                opportunities,
                row,
                [
                    Name,
                    Value,
                    Status,
                    ExpectedClose,
                    Real,
                    Competition,
                    CanWin,
                    WorthWinning,
                    Deleted,
                ]
            )?;
            if !cx.is_new {
                opportunity_roles::Entity::delete_many()
                    .filter(opportunity_roles::Column::OpportunityId.eq(cx.doc_id))
                    .exec(conn)
                    .await?;
            }
            let mut pairs: Vec<(&str, &String)> =
                o.roles.pairs().map(|(r, c)| (r.code(), c)).collect();
            pairs.sort();
            pairs.dedup();
            if !pairs.is_empty() {
                let rows =
                    pairs
                        .into_iter()
                        .map(|(role, contact)| opportunity_roles::ActiveModel {
                            tenant_id: tenant(),
                            opportunity_id: id(),
                            role: Set(role.to_owned()),
                            contact_id: Set(contact.clone()),
                        });
                opportunity_roles::Entity::insert_many(rows)
                    .exec(conn)
                    .await?;
            }
        }
        AnyRecord::Visit(v) => {
            let location = match cx.account_location {
                Some(known) => known,
                None => accounts::Entity::find_by_id(&v.account_id)
                    .one(conn)
                    .await?
                    .as_ref()
                    .and_then(location_of),
            };
            let row = visits::ActiveModel {
                id: id(),
                tenant_id: tenant(),
                account_id: Set(v.account_id.clone()),
                author_id: author(),
                occurred_at: Set(v.occurred_at.utc_ms),
                offset_min: Set(i32::try_from(v.occurred_at.offset_min).unwrap_or(0)),
                logged_at: Set(v.logged_at.utc_ms),
                duration_min: Set(i32::try_from(v.duration_min).unwrap_or(0)),
                purpose: Set(v.purpose.clone()),
                check_in_lat: Set(v.check_in.map(|c| c.lat)),
                check_in_lon: Set(v.check_in.map(|c| c.lon)),
                check_in_accuracy_m: Set(v.check_in.map(|c| c.accuracy_m)),
                deleted: Set(v.deleted),
                next_step: Set(v.next_step.clone()),
                next_step_due: Set(v.next_step_due.clone()),
                verified: Set(cx.rules.verifies(v.check_in, location)),
                late: Set(cx.rules.is_late(v)),
            };
            upsert!(
                conn,
                visits,
                row,
                [
                    OccurredAt,
                    OffsetMin,
                    LoggedAt,
                    DurationMin,
                    Purpose,
                    CheckInLat,
                    CheckInLon,
                    CheckInAccuracyM,
                    Deleted,
                    NextStep,
                    NextStepDue,
                    Verified,
                    Late,
                ]
            )?;
            if !cx.is_new {
                visit_contacts::Entity::delete_many()
                    .filter(visit_contacts::Column::VisitId.eq(cx.doc_id))
                    .exec(conn)
                    .await?;
            }
            let mut met: Vec<&String> = v.contacts_met.iter().collect();
            met.sort();
            met.dedup();
            if !met.is_empty() {
                let rows = met.into_iter().map(|c| visit_contacts::ActiveModel {
                    tenant_id: tenant(),
                    visit_id: id(),
                    contact_id: Set(c.clone()),
                });
                visit_contacts::Entity::insert_many(rows).exec(conn).await?;
            }
            if !cx.is_new {
                visit_marks::Entity::delete_many()
                    .filter(visit_marks::Column::VisitId.eq(cx.doc_id))
                    .exec(conn)
                    .await?;
            }
            let marks: Vec<String> = v
                .spin
                .iter()
                .map(|s| format!("spin:{s}"))
                .chain(v.objections.iter().map(|o| format!("objection:{o}")))
                .chain(v.signals.iter().map(|s| format!("signal:{s}")))
                .collect();
            if !marks.is_empty() {
                let rows = marks.into_iter().map(|mark| visit_marks::ActiveModel {
                    tenant_id: tenant(),
                    visit_id: id(),
                    mark: Set(mark),
                });
                visit_marks::Entity::insert_many(rows).exec(conn).await?;
            }
        }
        AnyRecord::Favour(f) => {
            let row = favours::ActiveModel {
                id: id(),
                tenant_id: tenant(),
                account_id: Set(f.account_id.clone()),
                author_id: author(),
                contact_id: Set(f.contact_id.clone()),
                kind: Set(f.kind.code().to_owned()),
                description: Set(f.description.clone()),
                value: Set(f.value),
                over_limit: Set(cx.rules.over_limit(f)),
                occurred_at: Set(f.occurred_at.utc_ms),
                deleted: Set(f.deleted),
            };
            upsert!(
                conn,
                favours,
                row,
                [
                    ContactId,
                    Kind,
                    Description,
                    Value,
                    OverLimit,
                    OccurredAt,
                    Deleted,
                ]
            )?;
        }
        AnyRecord::Intel(i) => {
            let row = intel::ActiveModel {
                id: id(),
                tenant_id: tenant(),
                account_id: Set(i.account_id.clone()),
                author_id: author(),
                competitor: Set(i.competitor.clone()),
                product: Set(i.product.clone()),
                price: Set(i.price),
                confidence: Set(i.confidence.code().to_owned()),
                source_contact_id: Set(i.source_contact_id.clone()),
                occurred_at: Set(i.occurred_at.utc_ms),
                deleted: Set(i.deleted),
            };
            upsert!(
                conn,
                intel,
                row,
                [
                    Competitor,
                    Product,
                    Price,
                    Confidence,
                    SourceContactId,
                    OccurredAt,
                    Deleted,
                ]
            )?;
        }
        AnyRecord::InfoReport(r) => {
            let row = info_reports::ActiveModel {
                id: id(),
                tenant_id: tenant(),
                account_id: Set(r.account_id.clone()),
                author_id: author(),
                kind: Set(r.kind.code().to_owned()),
                figure: Set(r.figure),
                unit: Set(r.unit.clone()),
                contact_id: Set(r.contact_id.clone()),
                occurred_at: Set(r.occurred_at.utc_ms),
                deleted: Set(r.deleted),
            };
            upsert!(
                conn,
                info_reports,
                row,
                [Kind, Figure, Unit, ContactId, OccurredAt, Deleted]
            )?;
        }
        AnyRecord::Greeting(g) => {
            let row = greetings::ActiveModel {
                id: id(),
                tenant_id: tenant(),
                account_id: Set(g.account_id.clone()),
                author_id: author(),
                contact_id: Set(g.contact_id.clone()),
                occasion: Set(g.occasion.code().to_owned()),
                channel: Set(g.channel.code().to_owned()),
                occurred_at: Set(g.occurred_at.utc_ms),
                deleted: Set(g.deleted),
            };
            upsert!(
                conn,
                greetings,
                row,
                [ContactId, Occasion, Channel, OccurredAt, Deleted]
            )?;
        }
        AnyRecord::RelationshipEvent(e) => {
            let row = relationship_events::ActiveModel {
                id: id(),
                tenant_id: tenant(),
                account_id: Set(e.account_id.clone()),
                author_id: author(),
                kind: Set(e.kind.code().to_owned()),
                contact_id: Set(e.contact_id.clone()),
                occurred_at: Set(e.occurred_at.utc_ms),
                deleted: Set(e.deleted),
            };
            upsert!(
                conn,
                relationship_events,
                row,
                [Kind, ContactId, OccurredAt, Deleted]
            )?;
        }
    }
    Ok(())
}
