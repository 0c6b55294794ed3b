//! The relationship work a rep logs besides visits (§四.4.2, §四.4.3): favours done for a
//! customer, competitor intelligence, what the customer told of shipments, inventory and
//! consumers, greetings on holidays and birthdays, and relationship events.
//!
//! They share one shape: `log` (account, what, optional contact, `--at`), `rm`, and a list
//! newest first, optionally of one account; so they share the helpers below.

use std::collections::HashMap;

use anyhow::Result;
use rapport_client_core::Item;
use rapport_client_core::model::{
    Account, Channel, Confidence, DocKind, EventKind, Favour, FavourKind, Greeting, InfoKind,
    InfoReport, Intel, Occasion, Record, RelationshipEvent, Rules,
};

use super::timeline::Summary;
use super::{
    Ctx, abbr, account_names, clear_value, contact_names, done, fail, find, find_account, occurred,
    optional_text, out_table, person, resolve_contact, saved, term, value,
};
use crate::i18n::{Lang, M, t, tf};
use crate::ids;
use crate::parse;
use crate::table::{amount, one_line, render};
use crate::terms::Term;
use crate::when;
use crate::{AccountFilter, EventCommand, FavourCommand, GreetCommand, InfoCommand, IntelCommand};

/// What list rows need besides the record.
struct Names {
    lang: Lang,
    accounts: HashMap<String, String>,
    contacts: HashMap<String, String>,
    abbr: HashMap<String, String>,
}

impl Names {
    fn contact(&self, id: &Option<String>) -> String {
        id.as_deref()
            .map(|c| person(&self.contacts, &self.abbr, c))
            .unwrap_or_default()
    }
}

/// Lists records of one kind: an ID column first, the account last, `columns` between.
fn list_of<R: Record>(
    ctx: &Ctx,
    account: Option<&str>,
    empty: M,
    columns: &[M],
    right: &[usize],
    row: impl Fn(&R, &Names) -> Vec<String>,
) -> Result<()> {
    let lang = ctx.lang;
    let account_id = super::account_filter(ctx, account)?;
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
fn remove<R: Record + Summary>(ctx: &Ctx, typed: &str) -> Result<()> {
    let item = find::<R>(ctx, typed)?;
    ctx.client.remove::<R>(&item.id)?;
    let title = item.record.summary(ctx.lang, &HashMap::new());
    done(ctx, M::Removed, R::KIND, &item.id, &title)
}

/// Reads the optional `--contact` of a record of `account`.
fn contact_of(ctx: &Ctx, account: &Item<Account>, typed: Option<&str>) -> Result<Option<String>> {
    match typed {
        Some(c) if !parse::is_clear(c) => resolve_contact(ctx, account, c),
        _ => Ok(None),
    }
}

// ----- favours -----

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

pub(super) fn favour(ctx: &Ctx, cmd: FavourCommand) -> Result<()> {
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
        FavourCommand::List(AccountFilter { account }) => favours(ctx, account.as_deref()),
    }
}

pub(super) fn favours(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    let lang = ctx.lang;
    let rules = ctx.client.rules()?;
    let over = {
        let account_id = super::account_filter(ctx, account)?;
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

// ----- competitor intelligence -----

pub(super) fn intel(ctx: &Ctx, cmd: IntelCommand) -> Result<()> {
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
        IntelCommand::List(AccountFilter { account }) => list_of::<Intel>(
            ctx,
            account.as_deref(),
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
        ),
        IntelCommand::Rm { id } => remove::<Intel>(ctx, &id),
    }
}

// ----- customer info -----

pub(super) fn info(ctx: &Ctx, cmd: InfoCommand) -> Result<()> {
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
        InfoCommand::List(AccountFilter { account }) => list_of::<InfoReport>(
            ctx,
            account.as_deref(),
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
        ),
        InfoCommand::Rm { id } => remove::<InfoReport>(ctx, &id),
    }
}

// ----- greetings -----

pub(super) fn greet(ctx: &Ctx, cmd: GreetCommand) -> Result<()> {
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
        GreetCommand::List(AccountFilter { account }) => greetings(ctx, account.as_deref()),
    }
}

pub(super) fn greetings(ctx: &Ctx, account: Option<&str>) -> Result<()> {
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

// ----- relationship events -----

pub(super) fn event(ctx: &Ctx, cmd: EventCommand) -> Result<()> {
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
        EventCommand::List(AccountFilter { account }) => events(ctx, account.as_deref()),
    }
}

pub(super) fn events(ctx: &Ctx, account: Option<&str>) -> Result<()> {
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
