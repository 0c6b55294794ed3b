//! A greeting's row: the occasion (a holiday or a birthday) and the channel.

use rapport_client_core::model::Greeting;
use sea_orm::Set;

use super::{Context, ReadModel, Rows};
use crate::db::greetings;

impl ReadModel for Greeting {
    fn rows(&self, cx: &Context<'_>, out: &mut Rows) {
        out.greetings.push(greetings::ActiveModel {
            id: cx.id(),
            tenant_id: cx.tenant(),
            account_id: Set(self.account_id.clone()),
            author_id: cx.author(),
            contact_id: Set(self.contact_id.clone()),
            occasion: Set(self.occasion.code().to_owned()),
            channel: Set(self.channel.code().to_owned()),
            occurred_at: Set(self.occurred_at.utc_ms),
            deleted: Set(self.deleted),
        });
    }
}
