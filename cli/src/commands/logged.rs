//! What the records a rep logs besides visits share (§四.4.2, §四.4.3: favours,
//! competitor intelligence, customer info, greetings, relationship events): one shape —
//! `log` (account, what, optional contact, `--at`), `rm`, and a list newest first,
//! optionally of one account — and so these helpers.

use std::collections::HashMap;

use anyhow::Result;
use rapport_client_core::Item;
use rapport_client_core::model::{Account, Record};

use super::lookup::{account_filter, account_names, contact_names, find, person, resolve_contact};
use super::timeline::Summary;
use super::{Ctx, abbr, done, out_table};
use crate::i18n::{Lang, M, t};
use crate::ids;
use crate::parse;
use crate::table::{one_line, render};

/// What list rows need besides the record.
pub(super) struct Names {
    pub(super) lang: Lang,
    pub(super) accounts: HashMap<String, String>,
    pub(super) contacts: HashMap<String, String>,
    pub(super) abbr: HashMap<String, String>,
}

impl Names {
    pub(super) fn contact(&self, id: &Option<String>) -> String {
        id.as_deref()
            .map(|c| person(&self.contacts, &self.abbr, c))
            .unwrap_or_default()
    }
}

/// Lists records of one kind: an ID column first, the account last, `columns` between.
pub(super) fn list_of<R: Record>(
    ctx: &Ctx,
    account: Option<&str>,
    empty: M,
    columns: &[M],
    right: &[usize],
    row: impl Fn(&R, &Names) -> Vec<String>,
) -> Result<()> {
    let lang = ctx.lang;
    let account_id = account_filter(ctx, account)?;
    let list: Vec<Item<R>> = ctx.client.list::<R>(account_id.as_deref())?;
    if list.is_empty() {
        out!("{}", t(lang, empty));
        return Ok(());
    }
    let names = Names {
        lang,
        accounts: account_names(&ctx.client)?,
        contacts: contact_names(&ctx.client)?,
        abbr: abbr(ctx)?,
    };
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|item| {
            let mut cells = vec![ids::short(&names.abbr, &item.id).to_owned()];
            cells.extend(row(&item.record, &names));
            cells.push(
                names
                    .accounts
                    .get(item.record.account_id(&item.id))
                    .map(|n| one_line(n))
                    .unwrap_or_default(),
            );
            cells
        })
        .collect();
    let mut headers = vec![t(lang, M::ColId)];
    headers.extend(columns.iter().map(|c| t(lang, *c)));
    headers.push(t(lang, M::ColAccount));
    // Column numbers given for `columns` move right by the ID column.
    let right: Vec<usize> = right.iter().map(|i| i + 1).collect();
    out_table(&render(&headers, &rows, &right))
}

/// Removes a record of kind `R` by id or id prefix.
pub(super) fn remove<R: Record + Summary>(ctx: &Ctx, typed: &str) -> Result<()> {
    let item = find::<R>(ctx, typed)?;
    ctx.client.remove::<R>(&item.id)?;
    let title = item.record.summary(ctx.lang, &HashMap::new());
    done(ctx, M::Removed, R::KIND, &item.id, &title)
}

/// Reads the optional `--contact` of a record of `account`.
pub(super) fn contact_of(
    ctx: &Ctx,
    account: &Item<Account>,
    typed: Option<&str>,
) -> Result<Option<String>> {
    match typed {
        Some(c) if !parse::is_clear(c) => resolve_contact(ctx, account, c),
        _ => Ok(None),
    }
}
