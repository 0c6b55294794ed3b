//! A customer information report's row: its kind and figure (the details stay in the
//! document).

use rapport_client_core::model::InfoReport;
use sea_orm::Set;

use super::{Context, ReadModel, Rows};
use crate::db::info_reports;

impl ReadModel for InfoReport {
    fn rows(&self, cx: &Context<'_>, out: &mut Rows) {
        out.info_reports.push(info_reports::ActiveModel {
            id: cx.id(),
            tenant_id: cx.tenant(),
            account_id: Set(self.account_id.clone()),
            author_id: cx.author(),
            kind: Set(self.kind.code().to_owned()),
            figure: Set(self.figure),
            unit: Set(self.unit.clone()),
            contact_id: Set(self.contact_id.clone()),
            occurred_at: Set(self.occurred_at.utc_ms),
            deleted: Set(self.deleted),
        });
    }
}
