//! A visit's rows: the visit with its two judgements under the rules in force (a check-in
//! near the account verifies it; logging it long after makes it late), the contacts met
//! (`visit_contacts`), and one `visit_marks` row per SPIN question, objection and signal
//! (`spin:…`, `objection:…`, `signal:…`).

use rapport_client_core::model::Visit;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::{Context, ReadModel, Rows, location_of};
use crate::db::{accounts, visit_contacts, visit_marks, visits};

impl ReadModel for Visit {
    async fn before(&self, conn: &impl ConnectionTrait, cx: &mut Context<'_>) -> Result<(), DbErr> {
        if cx.account_location.is_none() {
            let account = accounts::Entity::find_by_id(&self.account_id)
                .one(conn)
                .await?;
            cx.account_location = Some(account.as_ref().and_then(location_of));
        }
        if !cx.is_new {
            clear_children(conn, cx.doc_id).await?;
        }
        Ok(())
    }

    fn rows(&self, cx: &Context<'_>, out: &mut Rows) {
        let location = cx.account_location.flatten();
        out.visits.push(visits::ActiveModel {
            id: cx.id(),
            tenant_id: cx.tenant(),
            account_id: Set(self.account_id.clone()),
            author_id: cx.author(),
            occurred_at: Set(self.occurred_at.utc_ms),
            offset_min: Set(i32::try_from(self.occurred_at.offset_min).unwrap_or(0)),
            logged_at: Set(self.logged_at.utc_ms),
            duration_min: Set(i32::try_from(self.duration_min).unwrap_or(0)),
            purpose: Set(self.purpose.clone()),
            check_in_lat: Set(self.check_in.map(|c| c.lat)),
            check_in_lon: Set(self.check_in.map(|c| c.lon)),
            check_in_accuracy_m: Set(self.check_in.map(|c| c.accuracy_m)),
            deleted: Set(self.deleted),
            next_step: Set(self.next_step.clone()),
            next_step_due: Set(self.next_step_due.clone()),
            verified: Set(cx.rules.verifies(self.check_in, location)),
            late: Set(cx.rules.is_late(self)),
        });
        let mut met: Vec<&String> = self.contacts_met.iter().collect();
        met.sort();
        met.dedup();
        let met = met.into_iter().map(|c| visit_contacts::ActiveModel {
            tenant_id: cx.tenant(),
            visit_id: cx.id(),
            contact_id: Set(c.clone()),
        });
        out.visit_contacts.extend(met);
        let marks = marks(self).map(|mark| visit_marks::ActiveModel {
            tenant_id: cx.tenant(),
            visit_id: cx.id(),
            mark: Set(mark),
        });
        out.visit_marks.extend(marks);
    }
}

/// Deletes the contacts met and the marks a visit's rows had, to be written afresh.
async fn clear_children(conn: &impl ConnectionTrait, visit_id: &str) -> Result<(), DbErr> {
    visit_contacts::Entity::delete_many()
        .filter(visit_contacts::Column::VisitId.eq(visit_id))
        .exec(conn)
        .await?;
    visit_marks::Entity::delete_many()
        .filter(visit_marks::Column::VisitId.eq(visit_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A visit's SPIN questions, objections and signals as `visit_marks` values.
fn marks(visit: &Visit) -> impl Iterator<Item = String> + '_ {
    let spin = visit.spin.iter().map(|s| format!("spin:{s}"));
    let objections = visit.objections.iter().map(|o| format!("objection:{o}"));
    let signals = visit.signals.iter().map(|s| format!("signal:{s}"));
    spin.chain(objections).chain(signals)
}

#[cfg(test)]
mod tests {
    use rapport_client_core::model::{Rules, Signal, Spin, Visit};

    use super::super::{Context, ReadModel, Rows};

    #[test]
    fn a_visits_rows_hold_each_contact_met_once_and_every_mark() {
        let rules = Rules::default();
        let cx = Context {
            tenant_id: "t",
            doc_id: "v",
            author_id: "u",
            pusher_id: "u",
            rules: &rules,
            now_ms: 0,
            is_new: true,
            account_location: Some(None),
        };
        let visit = Visit {
            account_id: "a".into(),
            contacts_met: vec!["c2".into(), "c1".into(), "c2".into()],
            spin: vec![Spin::Situation, Spin::NeedPayoff],
            signals: vec![Signal::NextStep],
            ..Visit::default()
        };
        let mut out = Rows::default();
        visit.rows(&cx, &mut out);
        let met: Vec<&str> = out
            .visit_contacts
            .iter()
            .map(|c| c.contact_id.as_ref().as_str())
            .collect();
        assert_eq!(met, ["c1", "c2"]);
        let marks: Vec<&str> = out
            .visit_marks
            .iter()
            .map(|m| m.mark.as_ref().as_str())
            .collect();
        assert_eq!(
            marks,
            ["spin:situation", "spin:need_payoff", "signal:next_step"]
        );
        assert_eq!(out.visits.len(), 1);
    }
}
