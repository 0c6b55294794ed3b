//! The read model: each accepted document becomes rows of plain tables (accounts,
//! contacts, visits, favours …) that every report reads. Rows are rebuilt whole from the
//! merged document on every accepted change, so they always equal what the document says.
//! Judgements that depend on the company's rules (tier, verified check-in, late logging,
//! favour over the limit) are taken with the rules in force when the change arrives.
//!
//! [`prepare`] clears what a changed document had and builds its new rows; [`Rows`]
//! gathers the rows of many documents and writes them with one statement per table, so
//! a push of many new records costs a handful of statements, not several per record.

mod account;
mod contact;
mod favour;
mod greeting;
mod info_report;
mod intel;
mod opportunity;
mod relationship_event;
mod visit;

use rapport_client_core::model::{AnyRecord, GeoPoint, Rules};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DbErr, EntityTrait, IdenStatic, Iterable,
    PrimaryKeyToColumn, Set,
};

use crate::db::{self, accounts};

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

impl Context<'_> {
    /// The document's id, as a row's value.
    fn id(&self) -> ActiveValue<String> {
        Set(self.doc_id.to_owned())
    }

    /// The company's id, as a row's value.
    fn tenant(&self) -> ActiveValue<String> {
        Set(self.tenant_id.to_owned())
    }

    /// The record's author, as a row's value.
    fn author(&self) -> ActiveValue<String> {
        Set(self.author_id.to_owned())
    }
}

/// A record kind's part of the read model (one file per kind in this module).
trait ReadModel {
    /// What must happen before the record's rows are built: for a document that had rows
    /// (`!cx.is_new`), deleting its child rows (they are written afresh) and recording
    /// what moved (an account's stage); reading into `cx` what [`ReadModel::rows`] needs.
    /// Most kinds have nothing to do.
    async fn before(
        &self,
        _conn: &impl ConnectionTrait,
        _cx: &mut Context<'_>,
    ) -> Result<(), DbErr> {
        Ok(())
    }

    /// Adds the rows this record becomes to `out`, judged under `cx.rules`; its own row
    /// replaces the one it had when `out` is written.
    fn rows(&self, cx: &Context<'_>, out: &mut Rows);
}

/// The rows of one record of kind `K` (see [`prepare`]).
async fn rows_of<K: ReadModel>(
    conn: &impl ConnectionTrait,
    cx: &Context<'_>,
    record: &K,
) -> Result<Rows, DbErr> {
    let mut cx = Context { ..*cx };
    record.before(conn, &mut cx).await?;
    let mut out = Rows::default();
    record.rows(&cx, &mut out);
    Ok(out)
}

/// Read-model rows of one or more documents, by table, waiting to be written.
#[derive(Default)]
pub struct Rows {
    accounts: Vec<db::accounts::ActiveModel>,
    account_metrics: Vec<db::account_metrics::ActiveModel>,
    contacts: Vec<db::contacts::ActiveModel>,
    opportunities: Vec<db::opportunities::ActiveModel>,
    opportunity_roles: Vec<db::opportunity_roles::ActiveModel>,
    visits: Vec<db::visits::ActiveModel>,
    visit_contacts: Vec<db::visit_contacts::ActiveModel>,
    visit_marks: Vec<db::visit_marks::ActiveModel>,
    favours: Vec<db::favours::ActiveModel>,
    intel: Vec<db::intel::ActiveModel>,
    info_reports: Vec<db::info_reports::ActiveModel>,
    greetings: Vec<db::greetings::ActiveModel>,
    relationship_events: Vec<db::relationship_events::ActiveModel>,
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

/// Columns of a record's own row that keep the value they were first written with: the
/// company, the account and the author of a record never change (a push that moves a
/// record to another account is refused, and the author is the user who created it). All
/// other columns, except the primary key, are updated when a record's row is rewritten.
const WRITTEN_ONCE: [&str; 3] = ["tenant_id", "account_id", "author_id"];

/// The columns of `E` that rewriting a record's row updates: every column but the
/// primary key and [`WRITTEN_ONCE`].
fn updated_columns<E: EntityTrait>() -> Vec<E::Column> {
    let key: Vec<&str> = E::PrimaryKey::iter()
        .map(|k| k.into_column().as_str())
        .collect();
    E::Column::iter()
        .filter(|c| !key.contains(&c.as_str()) && !WRITTEN_ONCE.contains(&c.as_str()))
        .collect()
}

/// Writes records' own rows (see [`insert_all`]): a row whose id exists has its
/// [`updated_columns`] replaced.
async fn upsert_all<A>(conn: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let key = <A::Entity as EntityTrait>::PrimaryKey::iter().map(PrimaryKeyToColumn::into_column);
    let on_conflict = OnConflict::columns(key)
        .update_columns(updated_columns::<A::Entity>())
        .to_owned();
    insert_all(conn, rows, Some(&on_conflict)).await
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

    /// Writes every row, one statement per table that has any (more for very many rows):
    /// records' own rows replace those they had, child rows (cleared by [`prepare`]) are
    /// plain inserts.
    pub async fn write(self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        upsert_all(conn, self.accounts).await?;
        insert_all(conn, self.account_metrics, None).await?;
        upsert_all(conn, self.contacts).await?;
        upsert_all(conn, self.opportunities).await?;
        insert_all(conn, self.opportunity_roles, None).await?;
        upsert_all(conn, self.visits).await?;
        insert_all(conn, self.visit_contacts, None).await?;
        insert_all(conn, self.visit_marks, None).await?;
        upsert_all(conn, self.favours).await?;
        upsert_all(conn, self.intel).await?;
        upsert_all(conn, self.info_reports).await?;
        upsert_all(conn, self.greetings).await?;
        upsert_all(conn, self.relationship_events).await?;
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
    match record {
        AnyRecord::Account(a) => rows_of(conn, cx, a).await,
        AnyRecord::Contact(c) => rows_of(conn, cx, c).await,
        AnyRecord::Opportunity(o) => rows_of(conn, cx, o).await,
        AnyRecord::Visit(v) => rows_of(conn, cx, v).await,
        AnyRecord::Favour(f) => rows_of(conn, cx, f).await,
        AnyRecord::Intel(i) => rows_of(conn, cx, i).await,
        AnyRecord::InfoReport(r) => rows_of(conn, cx, r).await,
        AnyRecord::Greeting(g) => rows_of(conn, cx, g).await,
        AnyRecord::RelationshipEvent(e) => rows_of(conn, cx, e).await,
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn};

    use super::{WRITTEN_ONCE, updated_columns};
    use crate::db::{
        accounts, contacts, favours, greetings, info_reports, intel, opportunities,
        relationship_events, visits,
    };

    /// Asserts that rewriting a record's row in `E` updates every column but its id and
    /// those in [`WRITTEN_ONCE`]: a column left out would silently keep the record's
    /// first value in every report. Returns the columns of `E` written once.
    fn assert_rewrite_updates_all<E: EntityTrait>() -> Vec<&'static str> {
        let table = E::default().table_name();
        let key: Vec<&str> = E::PrimaryKey::iter()
            .map(|k| k.into_column().as_str())
            .collect();
        assert_eq!(key, ["id"], "{table}: a record's row is keyed by its id");
        let updated: Vec<&str> = updated_columns::<E>().iter().map(|c| c.as_str()).collect();
        let kept: Vec<&str> = E::Column::iter()
            .map(|c| c.as_str())
            .filter(|c| !updated.contains(c) && !key.contains(c))
            .collect();
        let unexpected: Vec<_> = kept.iter().filter(|c| !WRITTEN_ONCE.contains(c)).collect();
        assert!(
            unexpected.is_empty(),
            "{table} never updates {unexpected:?}"
        );
        kept
    }

    #[test]
    fn rewriting_a_records_row_updates_every_column_but_those_written_once() {
        let kept = [
            assert_rewrite_updates_all::<accounts::Entity>(),
            assert_rewrite_updates_all::<contacts::Entity>(),
            assert_rewrite_updates_all::<opportunities::Entity>(),
            assert_rewrite_updates_all::<visits::Entity>(),
            assert_rewrite_updates_all::<favours::Entity>(),
            assert_rewrite_updates_all::<intel::Entity>(),
            assert_rewrite_updates_all::<info_reports::Entity>(),
            assert_rewrite_updates_all::<greetings::Entity>(),
            assert_rewrite_updates_all::<relationship_events::Entity>(),
        ];
        for column in WRITTEN_ONCE {
            assert!(
                kept.iter().any(|k| k.contains(&column)),
                "{column} is in no record's table"
            );
        }
    }
}
