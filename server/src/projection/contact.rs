//! A contact's row: its levels and buying roles, and what its VIP card holds, reduced
//! to the facts the scorecard counts (how deep the card goes, interests, birthday,
//! concern) and the birthday the reminders need.

use rapport_client_core::model::Contact;
use sea_orm::Set;

use super::{Context, ReadModel, Rows};
use crate::db::contacts;

impl ReadModel for Contact {
    fn rows(&self, cx: &Context<'_>, out: &mut Rows) {
        let card = self.vip_card.as_ref();
        let birthday = card.and_then(|k| k.birthday);
        let roles: Vec<&str> = self.roles.iter().map(|r| r.code()).collect();
        out.contacts.push(contacts::ActiveModel {
            id: cx.id(),
            tenant_id: cx.tenant(),
            account_id: Set(self.account_id.clone()),
            author_id: cx.author(),
            name: Set(self.name.clone()),
            title: Set(self.title.clone()),
            deleted: Set(self.deleted),
            admin_level: Set(self.admin_level.map(|l| l.code().to_owned())),
            relationship_level: Set(self.relationship_level.map(|l| l.code().to_owned())),
            key_contact: Set(self.key_contact),
            roles: Set(roles.join(",")),
            has_card: Set(card.is_some()),
            card_depth: Set(card.map_or(0, |k| i32::from(k.depth()))),
            card_knows_name: Set(card.is_some_and(|k| k.knows_rep_name)),
            card_interests: Set(card.is_some_and(|k| !k.interests.trim().is_empty())),
            card_birthday: Set(birthday.is_some()),
            card_concern: Set(
                card.is_some_and(|k| !k.concerns.trim().is_empty() || k.helped_with_concern)
            ),
            birthday_calendar: Set(birthday.map(|b| b.calendar.code().to_owned())),
            birthday_month: Set(birthday.and_then(|b| i32::try_from(b.month).ok())),
            birthday_day: Set(birthday.and_then(|b| i32::try_from(b.day).ok())),
            birthday_leap: Set(birthday.is_some_and(|b| b.leap_month)),
        });
    }
}
