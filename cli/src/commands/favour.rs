//! Favours (帮客户做一件事, §四.4.2): something done for a customer, business or
//! personal, with its value; a gift or hospitality above the company's limit is flagged.

use std::collections::HashMap;

use anyhow::Result;
use clap::Subcommand;
use rapport_client_core::model::{DocKind, Favour, FavourKind, LocalTime, Rules};

use super::logged::{contact_of, list_of, remove};
use super::lookup::{account_filter, find, find_account};
use super::timeline::{Summary, with_contact};
use super::values::{clear_value, occurred, term, value};
use super::{Ctx, done, fail, saved};
use crate::args::AccountFilter;
use crate::i18n::{Lang, M, paren, t, tf};
use crate::parse;
use crate::table::{amount, one_line};
use crate::terms::Term;
use crate::when;

#[derive(Debug, Subcommand)]
pub enum FavourCommand {
    /// Log something done for a customer (帮客户做一件事); prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// business (公事) or personal (私事).
        #[arg(long)]
        kind: String,
        /// What was done.
        #[arg(long)]
        description: String,
        /// For whom: contact name, id or id prefix.
        #[arg(long)]
        contact: Option<String>,
        /// Value of a gift or hospitality; above the company's limit it is flagged.
        #[arg(long, value_name = "AMOUNT")]
        value: Option<String>,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Edit a favour; none clears the contact or the value.
    Edit {
        /// Favour id or unique prefix.
        id: String,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        contact: Option<String>,
        #[arg(long, value_name = "AMOUNT")]
        value: Option<String>,
        #[arg(long)]
        at: Option<String>,
    },
    /// Remove a favour (kept in history).
    Rm {
        /// Favour id or unique prefix.
        id: String,
    },
    /// Favours on this device (the same as `rapport favours`).
    List(AccountFilter),
}

fn warn_over_limit(lang: Lang, rules: &Rules, f: &Favour) {
    if rules.over_limit(f) {
        crate::warn(
            lang,
            M::FavourOverLimit,
            &[
                ("value", &f.value.map(amount).unwrap_or_default()),
                ("limit", &amount(rules.favour_limit)),
            ],
        );
    }
}

pub(super) fn run(ctx: &Ctx, cmd: FavourCommand) -> Result<()> {
    let lang = ctx.lang;
    match cmd {
        FavourCommand::Log {
            account,
            kind,
            description,
            contact,
            value: typed_value,
            at,
        } => {
            let account = find_account(ctx, &account)?;
            let kind = term::<FavourKind>(lang, "kind", &kind)?;
            let contact_id = contact_of(ctx, &account, contact.as_deref())?;
            let value = typed_value
                .as_deref()
                .map(|v| value(lang, "value", v, parse::parse_amount, M::ExpectAmount))
                .transpose()?;
            let record = Favour {
                account_id: account.id.clone(),
                contact_id,
                kind,
                description: description.trim().to_owned(),
                value,
                occurred_at: occurred(lang, at.as_deref())?,
                deleted: false,
            };
            let id = ctx.client.create(&record)?;
            saved(ctx, DocKind::Favour, &id)?;
            warn_over_limit(lang, &ctx.client.rules()?, &record);
            Ok(())
        }
        FavourCommand::Edit {
            id,
            kind,
            description,
            contact,
            value: typed_value,
            at,
        } => {
            let nothing = kind.is_none()
                && description.is_none()
                && contact.is_none()
                && typed_value.is_none()
                && at.is_none();
            if nothing {
                return Err(fail(t(lang, M::NothingToChange).to_owned()));
            }
            let favour = find::<Favour>(ctx, &id)?;
            let kind = kind
                .as_deref()
                .map(|k| term::<FavourKind>(lang, "kind", k))
                .transpose()?;
            let contact_id = match contact.as_deref() {
                Some(c) => {
                    let account = find_account(ctx, &favour.record.account_id)?;
                    Some(contact_of(ctx, &account, Some(c))?)
                }
                None => None,
            };
            let value = typed_value
                .as_deref()
                .map(|v| clear_value(lang, "value", v, parse::parse_amount, M::ExpectAmount))
                .transpose()?;
            let at = at.as_deref().map(|a| occurred(lang, Some(a))).transpose()?;
            let updated = ctx.client.update::<Favour>(&favour.id, |f| {
                if let Some(k) = kind {
                    f.kind = k;
                }
                if let Some(d) = description {
                    f.description = d.trim().to_owned();
                }
                if let Some(c) = contact_id {
                    f.contact_id = c;
                }
                if let Some(v) = value {
                    f.value = v;
                }
                if let Some(a) = at {
                    f.occurred_at = a;
                }
            })?;
            done(
                ctx,
                M::Updated,
                DocKind::Favour,
                &favour.id,
                &updated.description,
            )?;
            warn_over_limit(lang, &ctx.client.rules()?, &updated);
            Ok(())
        }
        FavourCommand::Rm { id } => remove::<Favour>(ctx, &id),
        FavourCommand::List(AccountFilter { account }) => list(ctx, account.as_deref()),
    }
}

pub(super) fn list(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    let lang = ctx.lang;
    let rules = ctx.client.rules()?;
    let over = {
        let account_id = account_filter(ctx, account)?;
        ctx.client
            .list::<Favour>(account_id.as_deref())?
            .iter()
            .filter(|f| rules.over_limit(&f.record))
            .count()
    };
    list_of::<Favour>(
        ctx,
        account,
        M::NoFavours,
        &[
            M::ColWhen,
            M::ColKind,
            M::ColWhat,
            M::ColContact,
            M::ColValue,
            M::ColFlags,
        ],
        &[4],
        |f, n| {
            vec![
                when::format_local(f.occurred_at),
                f.kind.name(n.lang).to_owned(),
                one_line(&f.description),
                n.contact(&f.contact_id),
                f.value.map(amount).unwrap_or_default(),
                if rules.over_limit(f) {
                    t(n.lang, M::FlagOverLimit).to_owned()
                } else {
                    String::new()
                },
            ]
        },
    )?;
    if over > 0 {
        out!("");
        out!(
            "{}",
            tf(
                lang,
                M::OverLimitFooter,
                &[("n", &over), ("limit", &amount(rules.favour_limit))]
            )
        );
    }
    Ok(())
}

impl Summary for Favour {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, contacts: &HashMap<String, String>) -> String {
        let what = match self.value {
            Some(v) => paren(lang, &one_line(&self.description), &amount(v)),
            None => one_line(&self.description),
        };
        format!(
            "[{}] {what}{}",
            self.kind.name(lang),
            with_contact(contacts, &self.contact_id)
        )
    }
}
