//! Competitor intelligence (竞争对手情况, §四.4.3): what was seen or heard of a competitor
//! at an account, how sure it is and who told it.

use std::collections::HashMap;

use anyhow::Result;
use clap::Subcommand;
use rapport_client_core::model::{Confidence, DocKind, Intel, LocalTime};

use super::logged::{contact_of, list_of, remove};
use super::lookup::find_account;
use super::timeline::Summary;
use super::values::{occurred, optional_text, term, value};
use super::{Ctx, saved};
use crate::args::AccountFilter;
use crate::i18n::{Lang, M, colon, tf};
use crate::parse;
use crate::table::{amount, one_line};
use crate::terms::Term;
use crate::when;

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Log competitor intelligence (竞争对手情况); prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// Which competitor.
        #[arg(long)]
        competitor: String,
        /// What was seen or heard.
        #[arg(long)]
        observation: String,
        /// Their product.
        #[arg(long)]
        product: Option<String>,
        /// Their price.
        #[arg(long, value_name = "AMOUNT")]
        price: Option<String>,
        /// Who told you: contact name, id or id prefix.
        #[arg(long, visible_alias = "source")]
        contact: Option<String>,
        /// How sure: low, medium or high.
        #[arg(long, default_value = "low")]
        confidence: String,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Competitor intelligence on this device, newest first.
    List(AccountFilter),
    /// Remove an intelligence item (kept in history).
    Rm {
        /// Intelligence id or unique prefix.
        id: String,
    },
}

pub(super) fn run(ctx: &Ctx, cmd: IntelCommand) -> Result<()> {
    let lang = ctx.lang;
    match cmd {
        IntelCommand::Log {
            account,
            competitor,
            observation,
            product,
            price,
            contact,
            confidence,
            at,
        } => {
            let account = find_account(ctx, &account)?;
            let record = Intel {
                account_id: account.id.clone(),
                competitor: competitor.trim().to_owned(),
                product: product.and_then(optional_text).map(|p| p.trim().to_owned()),
                price: price
                    .as_deref()
                    .map(|v| value(lang, "price", v, parse::parse_amount, M::ExpectAmount))
                    .transpose()?,
                observation: observation.trim().to_owned(),
                source_contact_id: contact_of(ctx, &account, contact.as_deref())?,
                confidence: term::<Confidence>(lang, "confidence", &confidence)?,
                occurred_at: occurred(lang, at.as_deref())?,
                deleted: false,
            };
            let id = ctx.client.create(&record)?;
            saved(ctx, DocKind::Intel, &id)
        }
        IntelCommand::List(AccountFilter { account }) => list(ctx, account.as_deref()),
        IntelCommand::Rm { id } => remove::<Intel>(ctx, &id),
    }
}

/// Competitor intelligence, newest first, optionally of one account.
pub(super) fn list(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    list_of::<Intel>(
        ctx,
        account,
        M::NoIntel,
        &[
            M::ColWhen,
            M::ColCompetitor,
            M::ColProduct,
            M::ColPrice,
            M::ColWhat,
            M::ColConfidence,
            M::ColSource,
        ],
        &[3],
        |r, n| {
            vec![
                when::format_local(r.occurred_at),
                one_line(&r.competitor),
                r.product.as_deref().map(one_line).unwrap_or_default(),
                r.price.map(amount).unwrap_or_default(),
                one_line(&r.observation),
                r.confidence.name(n.lang).to_owned(),
                n.contact(&r.source_contact_id),
            ]
        },
    )
}

impl Summary for Intel {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, _: &HashMap<String, String>) -> String {
        let product = self
            .product
            .as_deref()
            .map(|p| format!(" {}", one_line(p)))
            .unwrap_or_default();
        let price = self
            .price
            .map(|p| format!(" @ {}", amount(p)))
            .unwrap_or_default();
        format!(
            "{}{product}{price}{}{} [{}]",
            one_line(&self.competitor),
            colon(lang),
            one_line(&self.observation),
            tf(
                lang,
                M::ConfidenceIs,
                &[("level", &self.confidence.name(lang))]
            )
        )
    }
}
