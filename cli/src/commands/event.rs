//! Relationship events (客情事件, §四.4.2): the customer thought of us first at an
//! important occasion, gave us the best display, or we helped with a private matter.

use std::collections::HashMap;

use anyhow::Result;
use clap::Subcommand;
use rapport_client_core::model::{DocKind, EventKind, LocalTime, RelationshipEvent};

use super::logged::{contact_of, list_of, remove};
use super::lookup::find_account;
use super::timeline::{Summary, with_contact};
use super::values::{occurred, term};
use super::{Ctx, saved};
use crate::args::AccountFilter;
use crate::i18n::{Lang, M, colon};
use crate::table::one_line;
use crate::terms::Term;
use crate::when;

#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Log a relationship event; prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// first_thought (重要场合第一个想到我们), best_display (最佳终端陈列和信息发布) or
        /// private_help (为其解忧).
        #[arg(long)]
        kind: String,
        /// What happened.
        #[arg(long)]
        description: String,
        /// Who: contact name, id or id prefix.
        #[arg(long)]
        contact: Option<String>,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Remove a relationship event (kept in history).
    Rm {
        /// Event id or unique prefix.
        id: String,
    },
    /// Relationship events on this device (the same as `rapport events`).
    List(AccountFilter),
}

pub(super) fn run(ctx: &Ctx, cmd: EventCommand) -> Result<()> {
    let lang = ctx.lang;
    match cmd {
        EventCommand::Log {
            account,
            kind,
            description,
            contact,
            at,
        } => {
            let account = find_account(ctx, &account)?;
            let record = RelationshipEvent {
                account_id: account.id.clone(),
                kind: term::<EventKind>(lang, "kind", &kind)?,
                description: description.trim().to_owned(),
                contact_id: contact_of(ctx, &account, contact.as_deref())?,
                occurred_at: occurred(lang, at.as_deref())?,
                deleted: false,
            };
            let id = ctx.client.create(&record)?;
            saved(ctx, DocKind::RelationshipEvent, &id)
        }
        EventCommand::Rm { id } => remove::<RelationshipEvent>(ctx, &id),
        EventCommand::List(AccountFilter { account }) => list(ctx, account.as_deref()),
    }
}

pub(super) fn list(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    list_of::<RelationshipEvent>(
        ctx,
        account,
        M::NoEvents,
        &[M::ColWhen, M::ColKind, M::ColWhat, M::ColContact],
        &[],
        |r, n| {
            vec![
                when::format_local(r.occurred_at),
                r.kind.name(n.lang).to_owned(),
                one_line(&r.description),
                n.contact(&r.contact_id),
            ]
        },
    )
}

impl Summary for RelationshipEvent {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, contacts: &HashMap<String, String>) -> String {
        format!(
            "{}{}{}{}",
            self.kind.name(lang),
            colon(lang),
            one_line(&self.description),
            with_contact(contacts, &self.contact_id)
        )
    }
}
