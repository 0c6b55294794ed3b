//! An account's rows: the account itself (with its tier and value score under the rules
//! in force), its figures per period (`account_metrics`), and a `stage_events` row each
//! time a change moves its stage.

use rapport_client_core::model::Account;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::{Context, ReadModel, Rows, opt_i32};
use crate::db::{account_metrics, accounts, stage_events};

impl ReadModel for Account {
    async fn before(&self, conn: &impl ConnectionTrait, cx: &mut Context<'_>) -> Result<(), DbErr> {
        if cx.is_new {
            return Ok(());
        }
        record_stage_move(conn, cx, stage_code(self)).await?;
        account_metrics::Entity::delete_many()
            .filter(account_metrics::Column::AccountId.eq(cx.doc_id))
            .exec(conn)
            .await?;
        Ok(())
    }

    fn rows(&self, cx: &Context<'_>, out: &mut Rows) {
        out.accounts.push(accounts::ActiveModel {
            id: cx.id(),
            tenant_id: cx.tenant(),
            name: Set(self.name.clone()),
            industry: Set(self.industry.clone()),
            city: Set(self.city.clone()),
            lat: Set(self.location.map(|p| p.lat)),
            lon: Set(self.location.map(|p| p.lon)),
            deleted: Set(self.deleted),
            tier: Set(Some(cx.rules.tier(self).code().to_owned())),
            value_score: Set(cx.rules.value_score(&self.metrics)),
            stage: Set(stage_code(self)),
            cadence_days: Set(opt_i32(self.cadence_days)),
            current_value: Set(opt_i32(self.current_value)),
            potential_value: Set(opt_i32(self.potential_value)),
        });
        let metrics = self.metrics.iter().map(|m| account_metrics::ActiveModel {
            tenant_id: cx.tenant(),
            account_id: cx.id(),
            period: Set(m.period.clone()),
            sales: Set(m.sales),
            profit: Set(m.profit),
            collections: Set(m.collections),
            transactions: Set(m.transactions),
        });
        out.account_metrics.extend(metrics);
    }
}

/// The account's stage, as its row keeps it.
fn stage_code(account: &Account) -> Option<String> {
    account.stage.map(|s| s.code().to_owned())
}

/// Records who moved the account's stage, and when, if its row says another stage than
/// `stage`. An account with no row yet has no stage to move from.
async fn record_stage_move(
    conn: &impl ConnectionTrait,
    cx: &Context<'_>,
    stage: Option<String>,
) -> Result<(), DbErr> {
    let Some(before) = accounts::Entity::find_by_id(cx.doc_id).one(conn).await? else {
        return Ok(());
    };
    if before.stage == stage {
        return Ok(());
    }
    stage_events::Entity::insert(stage_events::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        tenant_id: cx.tenant(),
        account_id: cx.id(),
        from_stage: Set(before.stage),
        to_stage: Set(stage),
        by_user: Set(cx.pusher_id.to_owned()),
        at_ms: Set(cx.now_ms),
    })
    .exec(conn)
    .await?;
    Ok(())
}
