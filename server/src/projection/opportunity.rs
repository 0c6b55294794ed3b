//! An opportunity's rows: the opportunity with its four-step assessment, and one
//! `opportunity_roles` row per buying role and the contact who holds it.

use rapport_client_core::model::{Opportunity, Step};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::{Context, ReadModel, Rows};
use crate::db::{opportunities, opportunity_roles};

impl ReadModel for Opportunity {
    async fn before(&self, conn: &impl ConnectionTrait, cx: &mut Context<'_>) -> Result<(), DbErr> {
        if !cx.is_new {
            opportunity_roles::Entity::delete_many()
                .filter(opportunity_roles::Column::OpportunityId.eq(cx.doc_id))
                .exec(conn)
                .await?;
        }
        Ok(())
    }

    fn rows(&self, cx: &Context<'_>, out: &mut Rows) {
        let judgement = |s: &Step| Set(s.judgement.map(|j| j.code().to_owned()));
        let steps = &self.assessment;
        out.opportunities.push(opportunities::ActiveModel {
            id: cx.id(),
            tenant_id: cx.tenant(),
            account_id: Set(self.account_id.clone()),
            author_id: cx.author(),
            name: Set(self.name.clone()),
            value: Set(self.value),
            status: Set(self.status.code().to_owned()),
            expected_close: Set(self.expected_close.clone()),
            real: judgement(&steps.real),
            competition: judgement(&steps.competition),
            can_win: judgement(&steps.can_win),
            worth_winning: judgement(&steps.worth_winning),
            deleted: Set(self.deleted),
        });
        let mut pairs: Vec<(&str, &String)> =
            self.roles.pairs().map(|(r, c)| (r.code(), c)).collect();
        pairs.sort();
        pairs.dedup();
        let roles = pairs
            .into_iter()
            .map(|(role, contact)| opportunity_roles::ActiveModel {
                tenant_id: cx.tenant(),
                opportunity_id: cx.id(),
                role: Set(role.to_owned()),
                contact_id: Set(contact.clone()),
            });
        out.opportunity_roles.extend(roles);
    }
}
