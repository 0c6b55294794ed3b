//! Finding what the user typed: accounts by id, id prefix, name or a part of the name;
//! contacts by name among an account's people; records of any kind by id or id prefix.
//! A miss or an ambiguity is explained in the user's language, naming the candidates.

use std::collections::HashMap;

use anyhow::Result;
use rapport_client_core::model::{Account, Contact, DocKind, Record};
use rapport_client_core::{Client, Error as CoreError, Item};

use super::{Ctx, fail, kind_name};
use crate::i18n::{Lang, M, tf};
use crate::ids::{self, Unresolved};
use crate::table::one_line;

pub(super) fn account_names(client: &Client) -> Result<HashMap<String, String>> {
    Ok(client
        .list::<Account>(None)?
        .into_iter()
        .map(|a| (a.id, a.record.name))
        .collect())
}

/// Turns a typed id into the id of a live record of `kind` among `items`.
fn resolve_in<R>(lang: Lang, kind: DocKind, typed: &str, items: &[Item<R>]) -> Result<String> {
    match ids::resolve(typed, items.iter().map(|i| i.id.as_str())) {
        Ok(id) => Ok(id.to_owned()),
        Err(why) => Err(fail(unresolved_message(lang, kind, typed, why))),
    }
}

fn unresolved_message(lang: Lang, kind: DocKind, typed: &str, why: Unresolved) -> String {
    let kind_label = kind_name(lang, kind);
    match why {
        Unresolved::TooShort => tf(lang, M::TooShort, &[("id", &typed)]),
        Unresolved::NotFound => tf(lang, M::NotFound, &[("kind", &kind_label), ("id", &typed)]),
        Unresolved::Ambiguous(all) => {
            let abbr = ids::abbreviations(&all, ids::SHOWN_MIN);
            let shown: Vec<&str> = all.iter().map(|id| ids::short(&abbr, id)).collect();
            tf(
                lang,
                M::Ambiguous,
                &[
                    ("id", &typed),
                    ("kind", &kind_label),
                    ("candidates", &shown.join(", ")),
                ],
            )
        }
    }
}

/// Finds an account by id, id prefix or name, as the library does, and failing that by a
/// part of its name that only one account has (`华东` for `华东钢铁集团`).
pub(super) fn find_account(ctx: &Ctx, needle: &str) -> Result<Item<Account>> {
    let needle = needle.trim();
    match ctx.client.find_account(needle) {
        Ok(a) => Ok(a),
        // The library only says "more than one"; name them, as for contacts and visits.
        Err(CoreError::Invalid(i)) if i.field == "account" => {
            let lower = needle.to_lowercase();
            let all: Vec<String> = ctx
                .client
                .list::<Account>(None)?
                .into_iter()
                .filter(|a| a.id.starts_with(needle) || a.record.name.to_lowercase() == lower)
                .map(|a| a.id)
                .collect();
            Err(fail(unresolved_message(
                ctx.lang,
                DocKind::Account,
                needle,
                Unresolved::Ambiguous(all),
            )))
        }
        Err(CoreError::NotFound { .. }) if !needle.is_empty() => {
            let lower = needle.to_lowercase();
            let mut partial: Vec<Item<Account>> = ctx
                .client
                .list::<Account>(None)?
                .into_iter()
                .filter(|a| a.record.name.to_lowercase().contains(&lower))
                .collect();
            match partial.len() {
                1 => Ok(partial.remove(0)),
                0 => Err(fail(unresolved_message(
                    ctx.lang,
                    DocKind::Account,
                    needle,
                    Unresolved::NotFound,
                ))),
                _ => {
                    let all: Vec<String> = partial.iter().map(|a| a.id.clone()).collect();
                    let names: Vec<(&str, &str)> = partial
                        .iter()
                        .map(|a| (a.id.as_str(), a.record.name.as_str()))
                        .collect();
                    Err(fail(ambiguous_named(
                        ctx.lang,
                        DocKind::Account,
                        needle,
                        &all,
                        &names,
                    )))
                }
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Resolves `--contacts` (names, ids or id prefixes) against the contacts of one account,
/// keeping the order given and dropping repeats. Empty entries are skipped, so
/// `--contacts ''` means "nobody".
pub(super) fn resolve_contacts(
    ctx: &Ctx,
    account: &Item<Account>,
    typed: &[String],
) -> Result<Vec<String>> {
    let wanted: Vec<&str> = typed
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let at_account = ctx.client.list::<Contact>(Some(&account.id))?;
    let people: Vec<(&str, &str)> = at_account
        .iter()
        .map(|c| (c.id.as_str(), c.record.name.as_str()))
        .collect();
    let mut out: Vec<String> = Vec::new();
    for w in wanted {
        let id = match ids::resolve_person(w, &people) {
            Ok(id) => id.to_owned(),
            Err(Unresolved::NotFound) => {
                return Err(fail(tf(
                    ctx.lang,
                    M::NoContactAt,
                    &[("account", &account.record.name), ("id", &w)],
                )));
            }
            Err(Unresolved::Ambiguous(all)) => {
                return Err(fail(ambiguous_named(
                    ctx.lang,
                    DocKind::Contact,
                    w,
                    &all,
                    &people,
                )));
            }
            Err(why) => {
                return Err(fail(unresolved_message(ctx.lang, DocKind::Contact, w, why)));
            }
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Resolves one `--contact` of an account.
pub(super) fn resolve_contact(
    ctx: &Ctx,
    account: &Item<Account>,
    typed: &str,
) -> Result<Option<String>> {
    Ok(resolve_contacts(ctx, account, &[typed.to_owned()])?
        .into_iter()
        .next())
}

/// Finds a live record of kind `R` by id or unique id prefix.
pub(super) fn find<R: Record>(ctx: &Ctx, typed: &str) -> Result<Item<R>> {
    let all = ctx.client.list::<R>(None)?;
    let id = resolve_in(ctx.lang, R::KIND, typed, &all)?;
    all.into_iter().find(|i| i.id == id).ok_or_else(|| {
        fail(tf(
            ctx.lang,
            M::NotFound,
            &[("kind", &kind_name(ctx.lang, R::KIND)), ("id", &typed)],
        ))
    })
}

/// "'张' matches more than one contact (10ef5952 张总, 0192f1c4 张工)".
fn ambiguous_named(
    lang: Lang,
    kind: DocKind,
    typed: &str,
    all: &[String],
    names: &[(&str, &str)],
) -> String {
    let abbr = ids::abbreviations(all, ids::SHOWN_MIN);
    let shown: Vec<String> = all
        .iter()
        .map(|id| {
            let name = names
                .iter()
                .find(|(i, _)| i == id)
                .map(|(_, n)| one_line(n))
                .unwrap_or_default();
            format!("{} {name}", ids::short(&abbr, id))
        })
        .collect();
    tf(
        lang,
        M::Ambiguous,
        &[
            ("id", &typed),
            ("kind", &kind_name(lang, kind)),
            ("candidates", &shown.join(", ")),
        ],
    )
}

/// Finds a live record of kind `R` by its name (as `name` reads it), id or id prefix.
pub(super) fn find_named<R: Record>(
    ctx: &Ctx,
    typed: &str,
    name: impl Fn(&R) -> &str,
) -> Result<Item<R>> {
    let all = ctx.client.list::<R>(None)?;
    let people: Vec<(&str, &str)> = all
        .iter()
        .map(|i| (i.id.as_str(), name(&i.record)))
        .collect();
    let id = match ids::resolve_person(typed, &people) {
        Ok(id) => id.to_owned(),
        Err(Unresolved::Ambiguous(all)) => {
            return Err(fail(ambiguous_named(
                ctx.lang,
                R::KIND,
                typed,
                &all,
                &people,
            )));
        }
        Err(why) => return Err(fail(unresolved_message(ctx.lang, R::KIND, typed, why))),
    };
    all.into_iter().find(|i| i.id == id).ok_or_else(|| {
        fail(tf(
            ctx.lang,
            M::NotFound,
            &[("kind", &kind_name(ctx.lang, R::KIND)), ("id", &typed)],
        ))
    })
}

/// The account filter of a list: `None` lists every account.
pub(super) fn account_filter(ctx: &Ctx, account: Option<&str>) -> Result<Option<String>> {
    Ok(match account {
        Some(a) => Some(find_account(ctx, a)?.id),
        None => None,
    })
}

/// Names of every contact on the device (removed ones too are absent).
pub(super) fn contact_names(client: &Client) -> Result<HashMap<String, String>> {
    Ok(client
        .list::<Contact>(None)?
        .into_iter()
        .map(|c| (c.id, c.record.name))
        .collect())
}

/// A contact's name for output, or its short id in brackets when this device does not
/// hold it (removed, or not synced yet).
pub(super) fn person(
    names: &HashMap<String, String>,
    abbr: &HashMap<String, String>,
    id: &str,
) -> String {
    match names.get(id) {
        Some(n) => one_line(n),
        None => format!("({})", ids::short(abbr, id)),
    }
}
