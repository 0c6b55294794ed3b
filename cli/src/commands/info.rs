//! Customer info (客户信息反馈, §四.4.3): what the customer told of their shipments,
//! inventory or end consumers.

use std::collections::HashMap;

use anyhow::Result;
use clap::Subcommand;
use rapport_client_core::model::{DocKind, InfoKind, InfoReport, LocalTime};

use super::logged::{contact_of, list_of, remove};
use super::lookup::find_account;
use super::timeline::{Summary, with_contact};
use super::values::{occurred, optional_text, term, value};
use super::{Ctx, fail, saved};
use crate::args::AccountFilter;
use crate::i18n::{Lang, M, colon, list_sep, t};
use crate::parse;
use crate::table::{amount, one_line};
use crate::terms::Term;
use crate::when;

#[derive(Debug, Subcommand)]
pub enum InfoCommand {
    /// Log what the customer told you; prints the new id. Give --figure, --details or both.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// shipments (出货量), inventory (库存) or consumer_feedback (终端消费者反馈).
        #[arg(long)]
        kind: String,
        /// The figure given.
        #[arg(long, allow_negative_numbers = true)]
        figure: Option<String>,
        /// Unit of the figure, e.g. 吨, 件, 万元.
        #[arg(long)]
        unit: Option<String>,
        /// What was said.
        #[arg(long)]
        details: Option<String>,
        /// Who told you: contact name, id or id prefix.
        #[arg(long)]
        contact: Option<String>,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Customer info on this device, newest first.
    List(AccountFilter),
    /// Remove a customer info report (kept in history).
    Rm {
        /// Report id or unique prefix.
        id: String,
    },
}

pub(super) fn run(ctx: &Ctx, cmd: InfoCommand) -> Result<()> {
    let lang = ctx.lang;
    match cmd {
        InfoCommand::Log {
            account,
            kind,
            figure,
            unit,
            details,
            contact,
            at,
        } => {
            let account = find_account(ctx, &account)?;
            let kind = term::<InfoKind>(lang, "kind", &kind)?;
            let figure = figure
                .as_deref()
                .map(|v| value(lang, "figure", v, parse::parse_number, M::ExpectNumber))
                .transpose()?;
            let details = details.unwrap_or_default().trim().to_owned();
            if figure.is_none() && details.is_empty() {
                return Err(fail(t(lang, M::InfoNeedsContent).to_owned()));
            }
            let record = InfoReport {
                account_id: account.id.clone(),
                kind,
                figure,
                unit: unit.and_then(optional_text).map(|u| u.trim().to_owned()),
                details,
                contact_id: contact_of(ctx, &account, contact.as_deref())?,
                occurred_at: occurred(lang, at.as_deref())?,
                deleted: false,
            };
            let id = ctx.client.create(&record)?;
            saved(ctx, DocKind::InfoReport, &id)
        }
        InfoCommand::List(AccountFilter { account }) => list(ctx, account.as_deref()),
        InfoCommand::Rm { id } => remove::<InfoReport>(ctx, &id),
    }
}

/// Customer info, newest first, optionally of one account.
pub(super) fn list(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    list_of::<InfoReport>(
        ctx,
        account,
        M::NoInfo,
        &[
            M::ColWhen,
            M::ColKind,
            M::ColFigure,
            M::ColWhat,
            M::ColContact,
        ],
        &[2],
        |r, n| {
            let figure = match (r.figure, &r.unit) {
                (Some(f), Some(u)) => format!("{} {}", amount(f), one_line(u)),
                (Some(f), None) => amount(f),
                _ => String::new(),
            };
            vec![
                when::format_local(r.occurred_at),
                r.kind.name(n.lang).to_owned(),
                figure,
                one_line(&r.details),
                n.contact(&r.contact_id),
            ]
        },
    )
}

impl Summary for InfoReport {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, contacts: &HashMap<String, String>) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(f) = self.figure {
            match &self.unit {
                Some(u) => parts.push(format!("{} {}", amount(f), one_line(u))),
                None => parts.push(amount(f)),
            }
        }
        if !self.details.trim().is_empty() {
            parts.push(one_line(&self.details));
        }
        format!(
            "{}{}{}{}",
            self.kind.name(lang),
            colon(lang),
            parts.join(list_sep(lang)),
            with_contact(contacts, &self.contact_id)
        )
    }
}
