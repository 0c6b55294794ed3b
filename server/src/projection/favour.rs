//! A favour's row, with whether its value is over the company's favour limit.

use rapport_client_core::model::Favour;
use sea_orm::Set;

use super::{Context, ReadModel, Rows};
use crate::db::favours;

impl ReadModel for Favour {
    fn rows(&self, cx: &Context<'_>, out: &mut Rows) {
        out.favours.push(favours::ActiveModel {
            id: cx.id(),
            tenant_id: cx.tenant(),
            account_id: Set(self.account_id.clone()),
            author_id: cx.author(),
            contact_id: Set(self.contact_id.clone()),
            kind: Set(self.kind.code().to_owned()),
            description: Set(self.description.clone()),
            value: Set(self.value),
            over_limit: Set(cx.rules.over_limit(self)),
            occurred_at: Set(self.occurred_at.utc_ms),
            deleted: Set(self.deleted),
        });
    }
}
