//! A relationship event's row: its kind and the contact it concerns.

use rapport_client_core::model::RelationshipEvent;
use sea_orm::Set;

use super::{Context, ReadModel, Rows};
use crate::db::relationship_events;

impl ReadModel for RelationshipEvent {
    fn rows(&self, cx: &Context<'_>, out: &mut Rows) {
        out.relationship_events
            .push(relationship_events::ActiveModel {
                id: cx.id(),
                tenant_id: cx.tenant(),
                account_id: Set(self.account_id.clone()),
                author_id: cx.author(),
                kind: Set(self.kind.code().to_owned()),
                contact_id: Set(self.contact_id.clone()),
                occurred_at: Set(self.occurred_at.utc_ms),
                deleted: Set(self.deleted),
            });
    }
}
