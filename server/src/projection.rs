//! The read model: each accepted document becomes rows of plain tables (accounts,
//! contacts, visits, favours …) that every report reads. Rows are rebuilt whole from the
//! merged document on every accepted change, so they always equal what the document says.
//! Judgements that depend on the company's rules (tier, verified check-in, late logging,
//! favour over the limit) are taken with the rules in force when the change arrives.
//!
//! [`prepare`] clears what a changed document had and builds its new rows; [`Rows`]
//! gathers the rows of many documents and writes them with one statement per table, so
//! a push of many new records costs a handful of statements, not several per record.

use rapport_client_core::model::{AnyRecord, GeoPoint, Rules};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::db::{
    account_metrics, accounts, contacts, favours, greetings, info_reports, intel, opportunities,
    opportunity_roles, relationship_events, stage_events, visit_contacts, visit_marks, visits,
};

/// Rows in one insert: the widest table has 21 columns, so a statement stays well within
/// every backend's cap on bind parameters (SQLite 32,766, PostgreSQL 65,535).
pub const ROWS_PER_INSERT: usize = 500;

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

/// Read-model rows of one or more documents, by table, waiting to be written.
#[derive(Default)]
pub struct Rows {
    accounts: Vec<accounts::ActiveModel>,
    account_metrics: Vec<account_metrics::ActiveModel>,
    contacts: Vec<contacts::ActiveModel>,
    opportunities: Vec<opportunities::ActiveModel>,
    opportunity_roles: Vec<opportunity_roles::ActiveModel>,
    visits: Vec<visits::ActiveModel>,
    visit_contacts: Vec<visit_contacts::ActiveModel>,
    visit_marks: Vec<visit_marks::ActiveModel>,
    favours: Vec<favours::ActiveModel>,
    intel: Vec<intel::ActiveModel>,
    info_reports: Vec<info_reports::ActiveModel>,
    greetings: Vec<greetings::ActiveModel>,
    relationship_events: Vec<relationship_events::ActiveModel>,
}

/// Inserts `rows` in statements of at most [`ROWS_PER_INSERT`] rows; with
/// `on_conflict`, a row whose key exists is handled as it says.
pub async fn insert_all<A>(
    conn: &impl ConnectionTrait,
    rows: Vec<A>,
    on_conflict: Option<&OnConflict>,
) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        let mut insert = A::Entity::insert_many(chunk);
        if let Some(on_conflict) = on_conflict {
            insert = insert.on_conflict(on_conflict.clone());
        }
        insert.exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Inserts a table's rows (see [`insert_all`]); with `[columns]`, a row whose id exists
/// has those columns updated instead (a record's own row), without, rows are plain
/// inserts (a record's child rows, cleared by [`prepare`] first).
macro_rules! insert_rows {
    ($conn:expr, $entity:ident, $rows:expr) => {
        insert_all($conn, $rows, None).await?
    };
    ($conn:expr, $entity:ident, $rows:expr, [$($col:ident),+ $(,)?]) => {
        insert_all(
            $conn,
            $rows,
            Some(
                &OnConflict::column($entity::Column::Id)
                    .update_columns([$($entity::Column::$col),+])
                    .to_owned(),
            ),
        )
        .await?
    };
}

impl Rows {
    /// Adds `other`'s rows to these.
    pub fn append(&mut self, mut other: Rows) {
        self.accounts.append(&mut other.accounts);
        self.account_metrics.append(&mut other.account_metrics);
        self.contacts.append(&mut other.contacts);
        self.opportunities.append(&mut other.opportunities);
        self.opportunity_roles.append(&mut other.opportunity_roles);
        self.visits.append(&mut other.visits);
        self.visit_contacts.append(&mut other.visit_contacts);
        self.visit_marks.append(&mut other.visit_marks);
        self.favours.append(&mut other.favours);
        self.intel.append(&mut other.intel);
        self.info_reports.append(&mut other.info_reports);
        self.greetings.append(&mut other.greetings);
        self.relationship_events
            .append(&mut other.relationship_events);
    }

    /// Writes every row, one statement per table that has any (more for very many rows).
    pub async fn write(self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        let Rows {
            accounts,
            account_metrics,
            contacts,
            opportunities,
            opportunity_roles,
            visits,
            visit_contacts,
            visit_marks,
            favours,
            intel,
            info_reports,
            greetings,
            relationship_events,
        } = self;
        insert_rows!(
            conn,
            accounts,
            accounts,
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
        );
        insert_rows!(conn, account_metrics, account_metrics);
        insert_rows!(
            conn,
            contacts,
            contacts,
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
        );
        insert_rows!(
            conn,
            opportunities,
            opportunities,
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
        );
        insert_rows!(conn, opportunity_roles, opportunity_roles);
        insert_rows!(
            conn,
            visits,
            visits,
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
        );
        insert_rows!(conn, visit_contacts, visit_contacts);
        insert_rows!(conn, visit_marks, visit_marks);
        insert_rows!(
            conn,
            favours,
            favours,
            [
                ContactId,
                Kind,
                Description,
                Value,
                OverLimit,
                OccurredAt,
                Deleted,
            ]
        );
        insert_rows!(
            conn,
            intel,
            intel,
            [
                Competitor,
                Product,
                Price,
                Confidence,
                SourceContactId,
                OccurredAt,
                Deleted,
            ]
        );
        insert_rows!(
            conn,
            info_reports,
            info_reports,
            [Kind, Figure, Unit, ContactId, OccurredAt, Deleted]
        );
        insert_rows!(
            conn,
            greetings,
            greetings,
            [ContactId, Occasion, Channel, OccurredAt, Deleted]
        );
        insert_rows!(
            conn,
            relationship_events,
            relationship_events,
            [Kind, ContactId, OccurredAt, Deleted]
        );
        Ok(())
    }
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
    prepare(conn, cx, record).await?.write(conn).await
}

/// The read-model rows of one document, to be written with [`Rows::write`]. For a
/// document that had rows (`!cx.is_new`) its child rows (a visit's contacts and marks,
/// an opportunity's roles, an account's metrics) are deleted here, to be written afresh,
/// and an account's stage move is recorded. A new document costs no statement, except
/// reading a visit's account when `cx` does not carry its location.
pub async fn prepare(
    conn: &impl ConnectionTrait,
    cx: &Context<'_>,
    record: &AnyRecord,
) -> Result<Rows, DbErr> {
    let tenant = || Set(cx.tenant_id.to_owned());
    let id = || Set(cx.doc_id.to_owned());
    let author = || Set(cx.author_id.to_owned());
    let mut out = Rows::default();
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
            out.accounts.push(row);
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
                out.account_metrics.extend(rows);
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
            out.contacts.push(row);
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
            out.opportunities.push(row);
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
                out.opportunity_roles.extend(rows);
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
            out.visits.push(row);
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
                out.visit_contacts.extend(rows);
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
                out.visit_marks.extend(rows);
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
            out.favours.push(row);
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
            out.intel.push(row);
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
            out.info_reports.push(row);
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
            out.greetings.push(row);
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
            out.relationship_events.push(row);
        }
    }
    Ok(out)
}
