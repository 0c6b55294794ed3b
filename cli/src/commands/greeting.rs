//! Greetings (问候, §四.4.3) on the traditional holidays and key people's birthdays.

use std::collections::HashMap;

use anyhow::Result;
use clap::Subcommand;
use rapport_client_core::model::{Channel, DocKind, Greeting, LocalTime, Occasion};

use super::logged::{contact_of, list_of, remove};
use super::lookup::find_account;
use super::timeline::{Summary, with_contact};
use super::values::{occurred, term};
use super::{Ctx, fail, saved};
use crate::args::AccountFilter;
use crate::i18n::{Lang, M, paren, t};
use crate::table::one_line;
use crate::terms::Term;
use crate::when;

#[derive(Debug, Subcommand)]
pub enum GreetCommand {
    /// Log a greeting (问候); prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// spring_festival, lantern_festival, dragon_boat, mid_autumn, double_ninth,
        /// new_year, national_day, or birthday (needs --contact).
        #[arg(long)]
        occasion: String,
        /// in_person, phone, message, wechat, email, gift or card.
        #[arg(long)]
        channel: String,
        /// Whom: contact name, id or id prefix.
        #[arg(long)]
        contact: Option<String>,
        /// What was said or sent, e.g. 送月饼.
        #[arg(long)]
        notes: Option<String>,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Remove a greeting (kept in history).
    Rm {
        /// Greeting id or unique prefix.
        id: String,
    },
    /// Greetings on this device (the same as `rapport greetings`).
    List(AccountFilter),
}

pub(super) fn run(ctx: &Ctx, cmd: GreetCommand) -> Result<()> {
    let lang = ctx.lang;
    match cmd {
        GreetCommand::Log {
            account,
            occasion,
            channel,
            contact,
            notes,
            at,
        } => {
            let account = find_account(ctx, &account)?;
            let occasion = term::<Occasion>(lang, "occasion", &occasion)?;
            let channel = term::<Channel>(lang, "channel", &channel)?;
            let contact_id = contact_of(ctx, &account, contact.as_deref())?;
            if occasion == Occasion::Birthday && contact_id.is_none() {
                return Err(fail(t(lang, M::BirthdayNeedsContact).to_owned()));
            }
            let record = Greeting {
                account_id: account.id.clone(),
                contact_id,
                occasion,
                channel,
                occurred_at: occurred(lang, at.as_deref())?,
                notes: notes.unwrap_or_default().trim().to_owned(),
                deleted: false,
            };
            let id = ctx.client.create(&record)?;
            saved(ctx, DocKind::Greeting, &id)
        }
        GreetCommand::Rm { id } => remove::<Greeting>(ctx, &id),
        GreetCommand::List(AccountFilter { account }) => list(ctx, account.as_deref()),
    }
}

pub(super) fn list(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    list_of::<Greeting>(
        ctx,
        account,
        M::NoGreetings,
        &[
            M::ColWhen,
            M::ColOccasion,
            M::ColChannel,
            M::ColContact,
            M::ColNotes,
        ],
        &[],
        |r, n| {
            vec![
                when::format_local(r.occurred_at),
                r.occasion.name(n.lang).to_owned(),
                r.channel.name(n.lang).to_owned(),
                n.contact(&r.contact_id),
                one_line(&r.notes),
            ]
        },
    )
}

impl Summary for Greeting {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, contacts: &HashMap<String, String>) -> String {
        format!(
            "{}{}",
            paren(lang, self.occasion.name(lang), self.channel.name(lang)),
            with_contact(contacts, &self.contact_id)
        )
    }
}
