//! The facts a rep's scorecard is computed from: every row it reads, loaded once per
//! scorecard by bounded, indexed queries on the read model.

use std::collections::{HashMap, HashSet};

use futures_util::TryFutureExt;
use rapport_client_core::model::Rules;
use rapport_client_core::protocol::RecordRef;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::figures::account_ref;
use super::longest_cadence;
use super::team::{OpportunityRisk, opportunity_risks, team_accounts};
use crate::db::{
    accounts, contacts, favours, greetings, info_reports, intel, relationship_events, stage_events,
    users, visit_marks, visits,
};
use crate::error::{ApiError, ApiResult};
use crate::periods::Window;

/// What one rep did in one period, and the state of the accounts they serve: everything
/// the five groups of figures are computed from, without touching the database again.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The accounts the rep serves now, by name.
    pub accounts: Vec<accounts::Model>,
    /// The key contacts on those accounts, now.
    pub key_contacts: Vec<contacts::Model>,
    /// The rep's visits in the period, oldest first.
    pub visits: Vec<visits::Model>,
    /// The rep's last visit on each of the accounts (account id → Unix ms), as of the
    /// period's end; visits older than the longest cadence are not looked for.
    pub last_visits: HashMap<String, i64>,
    /// The rep's favours in the period and in the month of its last day, oldest first.
    pub favours: Vec<favours::Model>,
    /// The rep's relationship events in the period.
    pub events: Vec<relationship_events::Model>,
    /// The rep's customer info reports in the period and in the month of its last day.
    pub info_reports: Vec<info_reports::Model>,
    /// The rep's competitor intelligence in the period.
    pub intel: Vec<intel::Model>,
    /// The rep's greetings in the period and the three days before it (a birthday
    /// greeting may come that early).
    pub greetings: Vec<greetings::Model>,
    /// The stage moves the rep's pushes made in the period.
    pub stage_moves: Vec<stage_events::Model>,
    /// The SPIN questions, objections and signals of the period's visits.
    pub marks: Vec<visit_marks::Model>,
    /// The open opportunities on the accounts, with their buying-influence coverage as of
    /// the period's end.
    pub opportunities: Vec<OpportunityRisk>,
}

/// A rep's own records of `$entity` (not deleted) that occurred in `[$from, $to)`.
macro_rules! rep_records {
    ($entity:ident, $tenant:expr, $rep:expr, $from:expr, $to:expr) => {
        $entity::Entity::find()
            .filter($entity::Column::TenantId.eq($tenant))
            .filter($entity::Column::AuthorId.eq($rep))
            .filter($entity::Column::Deleted.eq(false))
            .filter($entity::Column::OccurredAt.gte($from))
            .filter($entity::Column::OccurredAt.lt($to))
    };
}

impl Facts {
    /// Loads the facts of `rep`'s scorecard for `window`. The queries are independent of
    /// each other: they run side by side, each on its own connection, so loading takes
    /// about as long as the slowest query rather than the sum of them (on PostgreSQL, one
    /// round trip instead of a dozen).
    pub async fn load(
        db: &DatabaseConnection,
        tenant_id: &str,
        rep: &users::Model,
        window: &Window,
        rules: &Rules,
    ) -> ApiResult<Facts> {
        let accounts = team_accounts(db, tenant_id, std::slice::from_ref(rep)).await?;
        let account_ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
        let longest_cadence = longest_cadence(&accounts, rules);
        // Favours and info reports are counted for the period and for its month.
        let month_from = window.month_start_ms.min(window.start_ms);
        let month_to = window.month_end_ms.max(window.end_ms);
        let (from, to, rep) = (window.start_ms, window.end_ms, rep.id.as_str());
        let (
            key_contacts,
            visits,
            last_visits,
            favours,
            events,
            info_reports,
            intel,
            greetings,
            stage_moves,
            marks,
            opportunities,
        ) = tokio::try_join!(
            contacts::Entity::find()
                .filter(contacts::Column::TenantId.eq(tenant_id))
                .filter(contacts::Column::AccountId.is_in(account_ids.clone()))
                .filter(contacts::Column::KeyContact.eq(true))
                .filter(contacts::Column::Deleted.eq(false))
                .all(db)
                .map_err(ApiError::from),
            rep_records!(visits, tenant_id, rep, from, to)
                .order_by_asc(visits::Column::OccurredAt)
                .all(db)
                .map_err(ApiError::from),
            last_visits(db, tenant_id, rep, &account_ids, to, longest_cadence),
            rep_records!(favours, tenant_id, rep, month_from, month_to)
                .order_by_asc(favours::Column::OccurredAt)
                .all(db)
                .map_err(ApiError::from),
            rep_records!(relationship_events, tenant_id, rep, from, to)
                .all(db)
                .map_err(ApiError::from),
            rep_records!(info_reports, tenant_id, rep, month_from, month_to)
                .all(db)
                .map_err(ApiError::from),
            rep_records!(intel, tenant_id, rep, from, to)
                .all(db)
                .map_err(ApiError::from),
            rep_records!(greetings, tenant_id, rep, from - 3 * 86_400_000, to)
                .all(db)
                .map_err(ApiError::from),
            stage_events::Entity::find()
                .filter(stage_events::Column::TenantId.eq(tenant_id))
                .filter(stage_events::Column::ByUser.eq(rep))
                .filter(stage_events::Column::AtMs.gte(from))
                .filter(stage_events::Column::AtMs.lt(to))
                .all(db)
                .map_err(ApiError::from),
            // The marks of the period's visits (the same visits as above, as a subquery).
            visit_marks::Entity::find()
                .filter(visit_marks::Column::TenantId.eq(tenant_id))
                .filter(
                    visit_marks::Column::VisitId.in_subquery(
                        rep_records!(visits, tenant_id, rep, from, to)
                            .select_only()
                            .column(visits::Column::Id)
                            .into_query(),
                    ),
                )
                .all(db)
                .map_err(ApiError::from),
            opportunity_risks(db, tenant_id, &account_ids, to),
        )?;
        Ok(Facts {
            accounts,
            key_contacts,
            visits,
            last_visits,
            favours,
            events,
            info_reports,
            intel,
            greetings,
            stage_moves,
            marks,
            opportunities,
        })
    }

    /// The rep's accounts among `ids`, in their order (by name), each once: the records
    /// behind a share of the rep's accounts.
    pub fn accounts_among<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<RecordRef> {
        let ids: HashSet<&str> = ids.into_iter().collect();
        self.accounts
            .iter()
            .filter(|a| ids.contains(a.id.as_str()))
            .map(|a| account_ref(&a.id))
            .collect()
    }
}

/// The rep's last visit on each of `accounts` before `end_ms`, looking back `days`.
async fn last_visits(
    db: &DatabaseConnection,
    tenant_id: &str,
    rep: &str,
    accounts: &[String],
    end_ms: i64,
    days: i64,
) -> ApiResult<HashMap<String, i64>> {
    let rows = rep_records!(visits, tenant_id, rep, end_ms - days * 86_400_000, end_ms)
        .filter(visits::Column::AccountId.is_in(accounts.to_vec()))
        .select_only()
        .column(visits::Column::AccountId)
        .column_as(
            Expr::from(Func::max(Expr::col(visits::Column::OccurredAt))),
            "last",
        )
        .group_by(visits::Column::AccountId)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
