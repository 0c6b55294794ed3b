//! What each command does, on top of `rapport_client_core::Client`.
//!
//! Commands print through [`out!`], which returns write errors instead of panicking, so
//! piping a long list into `head` ends quietly. Failures travel as `anyhow` errors;
//! [`describe_error`] turns them into a localised sentence and the exit code scripts rely
//! on (2 offline, 3 not signed in). This module holds the session commands and what every
//! record command shares (finding accounts, contacts and records from what was typed,
//! reading option values); each kind of record has its own submodule.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Result;
use rapport_client_core::model::{Account, Contact, DocKind, LocalTime, Record};
use rapport_client_core::protocol::Role;
use rapport_client_core::{Client, Error as CoreError, Item};

use crate::i18n::{Lang, M, changes, t, tf};
use crate::ids::{self, Unresolved};
use crate::parse;
use crate::table::{one_line, render};
use crate::terms::{self, Term};
use crate::when::{self, AtError};
use crate::{Cli, Command, LoginArgs, ReportCommand};

/// Prints one line to stdout, returning (with `?`) instead of panicking when stdout is gone.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod account;
mod contact;
mod due;
mod logs;
mod opportunity;
mod scorecard;
mod timeline;
mod visit;

/// Prints a rendered table (which ends in its own newline).
fn out_table(s: &str) -> Result<()> {
    use std::io::Write as _;
    std::io::stdout().lock().write_all(s.as_bytes())?;
    Ok(())
}

/// A failure with its own exit code and an already-localised message.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

fn fail(message: String) -> anyhow::Error {
    Exit { code: 1, message }.into()
}

/// The exit code and the sentence for an error, in the user's language.
pub fn describe_error(e: &anyhow::Error, lang: Lang) -> (u8, String) {
    for cause in e.chain() {
        if let Some(exit) = cause.downcast_ref::<Exit>() {
            return (exit.code, exit.message.clone());
        }
        if let Some(core) = cause.downcast_ref::<CoreError>() {
            return describe_core(core, lang);
        }
    }
    (1, format!("{e:#}"))
}

fn describe_core(e: &CoreError, lang: Lang) -> (u8, String) {
    match e {
        CoreError::NotSignedIn => (3, t(lang, M::ErrNotSignedIn).to_owned()),
        CoreError::SignedOut(reason) => (3, tf(lang, M::ErrSignedOut, &[("reason", reason)])),
        CoreError::Offline(detail) => (2, tf(lang, M::ErrOffline, &[("detail", detail)])),
        CoreError::Server {
            status, message, ..
        } => (
            1,
            tf(
                lang,
                M::ErrServer,
                &[("status", status), ("message", message)],
            ),
        ),
        CoreError::Invalid(i) => (1, tf(lang, M::ErrInvalid, &[("detail", i)])),
        CoreError::NotFound { kind, id } => (
            1,
            tf(
                lang,
                M::NotFound,
                &[("kind", &kind_name(lang, *kind)), ("id", id)],
            ),
        ),
        CoreError::OtherUsersData { holder } => {
            (1, tf(lang, M::ErrOtherUsersData, &[("holder", holder)]))
        }
        other => (1, other.to_string()),
    }
}

/// Whether the error is stdout having been closed by its reader.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn kind_name(lang: Lang, kind: DocKind) -> &'static str {
    terms::kind_name(lang, kind)
}

fn role_name(lang: Lang, role: Role) -> &'static str {
    t(
        lang,
        match role {
            Role::Rep => M::RoleRep,
            Role::Manager => M::RoleManager,
            Role::Admin => M::RoleAdmin,
        },
    )
}

fn minutes(lang: Lang, n: i64) -> String {
    tf(lang, M::Minutes, &[("n", &n)])
}

/// The device store and the language, which every command needs.
struct Ctx {
    client: Client,
    lang: Lang,
}

fn open(cli: &Cli, lang: Lang) -> Result<Ctx> {
    let home = match &cli.home {
        Some(h) if !h.as_os_str().is_empty() => h.clone(),
        _ => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".rapport"))
            .ok_or_else(|| fail(t(lang, M::NoHome).to_owned()))?,
    };
    Ok(Ctx {
        client: Client::open(&home)?,
        lang,
    })
}

pub fn run(cli: Cli, lang: Lang) -> Result<()> {
    let ctx = open(&cli, lang)?;
    match cli.command {
        Command::Login(args) => login(&ctx, args),
        Command::Logout => logout(&ctx),
        Command::Status => status(&ctx),
        Command::Sync => sync(&ctx),
        Command::Accounts => account::list(&ctx),
        Command::Account(c) => account::run(&ctx, c),
        Command::Contact(c) => contact::run(&ctx, c),
        Command::Contacts(f) => contact::list(&ctx, f.account.as_deref()),
        Command::Opportunity(c) => opportunity::run(&ctx, c),
        Command::Opportunities(f) => opportunity::list(&ctx, &f),
        Command::Visit(c) => visit::run(&ctx, c),
        Command::Visits(f) => visit::list(&ctx, f.account.as_deref()),
        Command::Favour(c) => logs::favour(&ctx, c),
        Command::Favours(f) => logs::favours(&ctx, f.account.as_deref()),
        Command::Intel(c) => logs::intel(&ctx, c),
        Command::Info(c) => logs::info(&ctx, c),
        Command::Greet(c) => logs::greet(&ctx, c),
        Command::Greetings(f) => logs::greetings(&ctx, f.account.as_deref()),
        Command::Event(c) => logs::event(&ctx, c),
        Command::Events(f) => logs::events(&ctx, f.account.as_deref()),
        Command::Due { days } => due::run(&ctx, days),
        Command::Timeline { account } => timeline::run(&ctx, &account),
        Command::Report(ReportCommand::Weekly { week, team }) => {
            weekly(&ctx, week.as_deref(), team.as_deref())
        }
        Command::Report(ReportCommand::Me { period, records }) => {
            scorecard::me(&ctx, period.as_deref(), records)
        }
        Command::Report(ReportCommand::Scorecard {
            rep,
            period,
            records,
        }) => scorecard::of_rep(&ctx, &rep, period.as_deref(), records),
    }
}

// ----- session -----

/// Reads the password from stdin. No crate of the workspace can turn terminal echo off,
/// so the prompt says the password will be visible rather than pretend otherwise.
fn read_password(lang: Lang, who: &str) -> Result<String> {
    use std::io::IsTerminal as _;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{}", tf(lang, M::PasswordPrompt, &[("who", &who)]));
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(fail(t(lang, M::PasswordEmpty).to_owned()));
    }
    Ok(password)
}

fn login(ctx: &Ctx, args: LoginArgs) -> Result<()> {
    let lang = ctx.lang;
    let who = format!("{}@{}", args.user, args.company);
    let password = match args.password {
        Some(p) => p,
        None => read_password(lang, &who)?,
    };
    let session = match ctx
        .client
        .login(&args.server, &args.company, &args.user, &password)
    {
        Ok(s) => s,
        // The server answers a wrong password with 401, which the library reports as
        // "signed out"; at sign-in that reads wrong, so say what happened.
        Err(CoreError::SignedOut(reason)) => {
            return Err(Exit {
                code: 3,
                message: tf(lang, M::LoginRefused, &[("reason", &reason)]),
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    out!(
        "{}",
        tf(
            lang,
            M::SignedIn,
            &[
                ("name", &session.display_name),
                ("who", &who),
                ("role", &role_name(lang, session.role)),
            ],
        )
    );
    out!(
        "{}",
        tf(lang, M::CompanyTimeZone, &[("tz", &session.time_zone)])
    );
    out!("{}", t(lang, M::HintSync));
    Ok(())
}

fn logout(ctx: &Ctx) -> Result<()> {
    let lang = ctx.lang;
    ctx.client.logout()?;
    out!("{}", t(lang, M::LoggedOut));
    let waiting = ctx.client.status()?.store.waiting;
    if waiting > 0 {
        out!(
            "{}",
            tf(
                lang,
                M::LoggedOutWaiting,
                &[("changes", &changes(lang, waiting))]
            )
        );
    }
    Ok(())
}

/// A short description of a document for messages: its kind and title, when this device
/// can read it.
fn describe_doc(client: &Client, id: &str, lang: Lang) -> String {
    match timeline::describe(client, id, lang) {
        Some((kind, _, what)) => format!("{} {what}", kind_name(lang, kind)),
        None => String::new(),
    }
}

fn status(ctx: &Ctx) -> Result<()> {
    let lang = ctx.lang;
    let status = ctx.client.status()?;
    let session = ctx.client.session()?;
    let signed_in = match &session {
        None => t(lang, M::NotSignedIn).to_owned(),
        Some(s) => {
            let who = format!("{}@{}", s.username, s.company);
            if s.session.refresh_token.is_empty() {
                tf(lang, M::SignedOutWas, &[("who", &who)])
            } else {
                format!(
                    "{} ({who}), {}",
                    s.session.display_name,
                    role_name(lang, s.session.role)
                )
            }
        }
    };
    let store = &status.store;
    let waiting = if store.waiting == 0 {
        t(lang, M::NothingWaiting).to_owned()
    } else {
        tf(
            lang,
            M::WaitingSync,
            &[("changes", &changes(lang, store.waiting))],
        )
    };
    let last = store
        .last_sync_ms
        .map_or_else(|| t(lang, M::Never).to_owned(), when::format_device_ms);
    let mut lines: Vec<(&str, String)> = vec![(t(lang, M::LabelUser), signed_in)];
    if let Some(url) = &status.server_url {
        lines.push((t(lang, M::LabelServer), url.clone()));
    }
    lines.push((t(lang, M::LabelWaiting), waiting));
    lines.push((t(lang, M::LabelCursor), store.cursor.to_string()));
    lines.push((t(lang, M::LabelLastSync), last));
    let label_width = lines
        .iter()
        .map(|(l, _)| crate::table::width(l))
        .max()
        .unwrap_or(0);
    for (label, value) in &lines {
        let pad = " ".repeat(label_width - crate::table::width(label));
        out!("{label}:{pad} {value}");
    }
    for removal in &store.removals {
        let day = removal.day(status.time_zone.as_deref()).unwrap_or_default();
        out!(
            "{}",
            tf(
                lang,
                M::RemovedFromTeam,
                &[("account", &removal.account_name), ("date", &day)]
            )
        );
    }
    print_rejections(ctx, &store.rejected)?;
    Ok(())
}

fn print_rejections(ctx: &Ctx, rejected: &[(String, String)]) -> Result<()> {
    if rejected.is_empty() {
        return Ok(());
    }
    let abbr = ids::abbreviations(&ctx.client.document_ids()?, ids::SHOWN_MIN);
    out!("{}", t(ctx.lang, M::RejectedHeader));
    for (id, reason) in rejected {
        let what = describe_doc(&ctx.client, id, ctx.lang);
        out!("  {}  {what}: {reason}", ids::short(&abbr, id));
    }
    Ok(())
}

fn sync(ctx: &Ctx) -> Result<()> {
    let lang = ctx.lang;
    let report = match ctx.client.sync() {
        Ok(r) => r,
        Err(CoreError::Offline(detail)) => {
            let n = ctx.client.status()?.store.waiting;
            let first = match n {
                0 => t(lang, M::OfflineNone).to_owned(),
                1 => t(lang, M::OfflineOne).to_owned(),
                n => tf(lang, M::OfflineMany, &[("n", &n)]),
            };
            let hint = tf(lang, M::OfflineHint, &[("detail", &detail)]);
            return Err(Exit {
                code: 2,
                message: format!("{first}\n{hint}"),
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    out!("{}", t(lang, M::SyncDone));
    let rows = [
        (M::SyncRoundTrips, u64::from(report.round_trips)),
        (M::SyncAccepted, report.accepted),
        (M::SyncRejected, report.rejected),
        (M::SyncReceived, report.received),
    ];
    let label_width = rows
        .iter()
        .map(|(k, _)| crate::table::width(t(lang, *k)))
        .max()
        .unwrap_or(0);
    for (key, n) in rows {
        let label = t(lang, key);
        let pad = " ".repeat(label_width - crate::table::width(label));
        out!("  {label}:{pad} {n}");
    }
    if report.waiting == 0 {
        out!("{}", t(lang, M::AllSent));
    } else {
        out!(
            "{}",
            tf(
                lang,
                M::StillWaiting,
                &[("changes", &changes(lang, report.waiting))]
            )
        );
    }
    if report.rejected > 0 {
        print_rejections(ctx, &ctx.client.status()?.store.rejected)?;
    }
    Ok(())
}

// ----- lookups -----

fn account_names(client: &Client) -> Result<HashMap<String, String>> {
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
fn find_account(ctx: &Ctx, needle: &str) -> Result<Item<Account>> {
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
fn resolve_contacts(ctx: &Ctx, account: &Item<Account>, typed: &[String]) -> Result<Vec<String>> {
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

/// `Some("")` clears an optional text field; `Some(text)` sets it.
fn optional_text(value: String) -> Option<String> {
    if value.trim().is_empty() {
        None
    } else {
        Some(value)
    }
}

fn saved(ctx: &Ctx, kind: DocKind, id: &str) -> Result<()> {
    // The id alone goes to stdout so scripts can capture it; the note goes to stderr.
    out!("{id}");
    eprintln!(
        "{}",
        tf(ctx.lang, M::Saved, &[("kind", &kind_name(ctx.lang, kind))])
    );
    Ok(())
}

fn short_id(ctx: &Ctx, id: &str) -> Result<String> {
    Ok(ids::short(&abbr(ctx)?, id).to_owned())
}

/// Short ids of every document on the device, for lists.
fn abbr(ctx: &Ctx) -> Result<HashMap<String, String>> {
    Ok(ids::abbreviations(
        &ctx.client.document_ids()?,
        ids::SHOWN_MIN,
    ))
}

fn done(ctx: &Ctx, key: M, kind: DocKind, id: &str, title: &str) -> Result<()> {
    let lang = ctx.lang;
    out!(
        "{}",
        tf(
            lang,
            key,
            &[
                ("kind", &kind_name(lang, kind)),
                ("id", &short_id(ctx, id)?),
                ("title", &one_line(title)),
            ],
        )
    );
    Ok(())
}

/// Resolves one `--contact` of an account.
fn resolve_contact(ctx: &Ctx, account: &Item<Account>, typed: &str) -> Result<Option<String>> {
    Ok(resolve_contacts(ctx, account, &[typed.to_owned()])?
        .into_iter()
        .next())
}

/// Finds a live record of kind `R` by id or unique id prefix.
fn find<R: Record>(ctx: &Ctx, typed: &str) -> Result<Item<R>> {
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
fn find_named<R: Record>(ctx: &Ctx, typed: &str, name: impl Fn(&R) -> &str) -> Result<Item<R>> {
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
fn account_filter(ctx: &Ctx, account: Option<&str>) -> Result<Option<String>> {
    Ok(match account {
        Some(a) => Some(find_account(ctx, a)?.id),
        None => None,
    })
}

/// Names of every contact on the device (removed ones too are absent).
fn contact_names(client: &Client) -> Result<HashMap<String, String>> {
    Ok(client
        .list::<Contact>(None)?
        .into_iter()
        .map(|c| (c.id, c.record.name))
        .collect())
}

/// A contact's name for output, or its short id in brackets when this device does not
/// hold it (removed, or not synced yet).
fn person(names: &HashMap<String, String>, abbr: &HashMap<String, String>, id: &str) -> String {
    match names.get(id) {
        Some(n) => one_line(n),
        None => format!("({})", ids::short(abbr, id)),
    }
}

// ----- option values -----

/// The error for a value an option cannot take, saying what it takes.
fn bad_value(lang: Lang, flag: &str, typed: &str, expected: &str) -> anyhow::Error {
    fail(tf(
        lang,
        M::BadValue,
        &[
            ("flag", &format!("--{flag}")),
            ("value", &typed),
            ("expected", &expected),
        ],
    ))
}

/// Reads one value of a closed list.
fn term<T: Term>(lang: Lang, flag: &str, typed: &str) -> Result<T> {
    terms::parse_term::<T>(typed).ok_or_else(|| {
        let expected = tf(lang, M::OneOf, &[("choices", &terms::choices::<T>(lang))]);
        bad_value(lang, flag, typed, &expected)
    })
}

/// Reads one value of a closed list, or `none` to clear.
fn clear_term<T: Term>(lang: Lang, flag: &str, typed: &str) -> Result<Option<T>> {
    if parse::is_clear(typed) {
        Ok(None)
    } else {
        term(lang, flag, typed).map(Some)
    }
}

/// Reads a comma-separated list of values of a closed list.
fn term_list<T: Term>(lang: Lang, flag: &str, typed: &str) -> Result<Vec<T>> {
    terms::parse_terms::<T>(typed).map_err(|bad| {
        let expected = tf(lang, M::OneOf, &[("choices", &terms::choices::<T>(lang))]);
        bad_value(lang, flag, &bad, &expected)
    })
}

/// Reads a value with `read`; `expected` says what it should have been.
fn value<T>(
    lang: Lang,
    flag: &str,
    typed: &str,
    read: impl FnOnce(&str) -> Option<T>,
    expected: M,
) -> Result<T> {
    read(typed).ok_or_else(|| bad_value(lang, flag, typed, t(lang, expected)))
}

/// Reads a value with `read`, or `none` to clear.
fn clear_value<T>(
    lang: Lang,
    flag: &str,
    typed: &str,
    read: impl FnOnce(&str) -> Option<T>,
    expected: M,
) -> Result<Option<T>> {
    parse::clearable(typed, read).map_err(|()| bad_value(lang, flag, typed, t(lang, expected)))
}

/// The device's calendar date today.
fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Reads a `YYYY-MM-DD` (or `+7`, `tomorrow`) date option as the text records keep.
fn date_text(lang: Lang, flag: &str, typed: &str) -> Result<String> {
    let today = today();
    value(
        lang,
        flag,
        typed,
        |s| parse::parse_date(s, today),
        M::ExpectDate,
    )
    .map(|d| d.format("%Y-%m-%d").to_string())
}

/// When a record happened: `--at` as typed, or now. Warns when it is in the future.
fn occurred(lang: Lang, at: Option<&str>) -> Result<LocalTime> {
    let at = match at {
        Some(s) => parse_at(lang, s)?,
        None => chrono::Local::now().fixed_offset(),
    };
    if at > chrono::Utc::now() + chrono::Duration::hours(1) {
        crate::warn(
            lang,
            M::FutureTime,
            &[("at", &when::format_local(LocalTime::from_datetime(&at)))],
        );
    }
    Ok(LocalTime::from_datetime(&at))
}

fn parse_at(lang: Lang, typed: &str) -> Result<chrono::DateTime<chrono::FixedOffset>> {
    when::parse_at(typed).map_err(|e| {
        let key = match e {
            AtError::NoOffset => M::AtNoOffset,
            AtError::Unreadable => M::BadAt,
        };
        fail(tf(lang, key, &[("at", &typed)]))
    })
}

/// "3 days ago", "today", "in 2 days", counted from the device's today.
fn days_from_today(lang: Lang, date: chrono::NaiveDate) -> String {
    relative_day(lang, date, today())
}

/// "3 days ago", "today", "in 2 days", counted from `today`.
fn relative_day(lang: Lang, date: chrono::NaiveDate, today: chrono::NaiveDate) -> String {
    let n = (date - today).num_days();
    match n {
        0 => t(lang, M::Today).to_owned(),
        1 => t(lang, M::Tomorrow).to_owned(),
        -1 => t(lang, M::Yesterday).to_owned(),
        n if n < 0 => tf(lang, M::DaysAgo, &[("n", &-n)]),
        n => tf(lang, M::InDays, &[("n", &n)]),
    }
}

/// Yes or no in the user's language.
fn yes_no(lang: Lang, b: bool) -> &'static str {
    t(lang, if b { M::Yes } else { M::No })
}

// ----- reports -----

fn weekly(ctx: &Ctx, week: Option<&str>, team: Option<&str>) -> Result<()> {
    let lang = ctx.lang;
    let week = match week {
        Some(w) => match when::parse_week(w) {
            Some(norm) => Some(norm),
            None => return Err(fail(tf(lang, M::BadWeek, &[("week", &w)]))),
        },
        None => None,
    };
    let report = ctx
        .client
        .weekly_report(week.as_deref(), team.map(str::trim))?;
    out!(
        "{}",
        tf(
            lang,
            M::ReportTitle,
            &[
                ("team", &report.team_name),
                ("week", &report.week),
                ("from", &when::date_of(&report.starts, 0)),
                ("to", &when::date_of(&report.ends, 1)),
            ],
        )
    );
    out!(
        "{}",
        tf(lang, M::ReportTimeZone, &[("tz", &report.time_zone)])
    );
    out!("");
    if report.reps.is_empty() {
        out!("{}", t(lang, M::NoReps));
        return Ok(());
    }
    let mut rows: Vec<Vec<String>> = report
        .reps
        .iter()
        .map(|r| {
            vec![
                one_line(&r.display_name),
                r.username.clone(),
                r.visits.to_string(),
                r.accounts.to_string(),
            ]
        })
        .collect();
    rows.push(vec![
        t(lang, M::Total).to_owned(),
        String::new(),
        report.total.to_string(),
        String::new(),
    ]);
    let headers = [
        t(lang, M::ColRep),
        t(lang, M::ColUsername),
        t(lang, M::ColVisits),
        t(lang, M::ColAccounts),
    ];
    out_table(&render(&headers, &rows, &[2, 3]))
}
