//! A competitor intelligence item's row (the observation itself stays in the document).

use rapport_client_core::model::Intel;
use sea_orm::Set;

use super::{Context, ReadModel, Rows};
use crate::db::intel;

impl ReadModel for Intel {
    fn rows(&self, cx: &Context<'_>, out: &mut Rows) {
        out.intel.push(intel::ActiveModel {
            id: cx.id(),
            tenant_id: cx.tenant(),
            account_id: Set(self.account_id.clone()),
            author_id: cx.author(),
            competitor: Set(self.competitor.clone()),
            product: Set(self.product.clone()),
            price: Set(self.price),
            confidence: Set(self.confidence.code().to_owned()),
            source_contact_id: Set(self.source_contact_id.clone()),
            occurred_at: Set(self.occurred_at.utc_ms),
            deleted: Set(self.deleted),
        });
    }
}
