//! What each command does, on top of `rapport_client_core::Client`.
//!
//! Commands print through [`out!`], which returns write errors instead of panicking, so
//! piping a long list into `head` ends quietly. Failures travel as `anyhow` errors;
//! [`describe_error`] turns them into a localised sentence and the exit code scripts rely
//! on (2 offline, 3 not signed in). This module holds the dispatch and the output every
//! command shares. Each kind of record has its own submodule, which owns its clap
//! subcommand and what it does; `session` the session commands, `report` the reports,
//! `lookup` finding what was typed and `values` reading option values.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;
use rapport_client_core::model::DocKind;
use rapport_client_core::{Client, Error as CoreError};

use crate::args::{Cli, Command};
use crate::i18n::{Lang, M, t, tf};
use crate::ids;
use crate::table::one_line;
use crate::terms::Term;

/// Prints one line to stdout, returning (with `?`) instead of panicking when stdout is gone.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

pub mod account;
pub mod contact;
mod due;
pub mod event;
pub mod favour;
pub mod greeting;
pub mod info;
pub mod intel;
mod logged;
mod lookup;
pub mod opportunity;
pub mod report;
mod scorecard;
pub mod session;
mod timeline;
mod values;
pub mod visit;

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
    kind.name(lang)
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

/// Runs the command: the session's here, each kind's in its own module.
pub fn run(cli: Cli, lang: Lang) -> Result<()> {
    let ctx = open(&cli, lang)?;
    match cli.command {
        Command::Login(args) => session::login(&ctx, args),
        Command::Logout => session::logout(&ctx),
        Command::Status => session::status(&ctx),
        Command::Sync => session::sync(&ctx),
        Command::Accounts => account::list(&ctx),
        Command::Account(c) => account::run(&ctx, c),
        Command::Contact(c) => contact::run(&ctx, c),
        Command::Contacts(f) => contact::list(&ctx, f.account.as_deref()),
        Command::Opportunity(c) => opportunity::run(&ctx, c),
        Command::Opportunities(f) => opportunity::list(&ctx, &f),
        Command::Visit(c) => visit::run(&ctx, c),
        Command::Visits(f) => visit::list(&ctx, f.account.as_deref()),
        Command::Favour(c) => favour::run(&ctx, c),
        Command::Favours(f) => favour::list(&ctx, f.account.as_deref()),
        Command::Intel(c) => intel::run(&ctx, c),
        Command::Info(c) => info::run(&ctx, c),
        Command::Greet(c) => greeting::run(&ctx, c),
        Command::Greetings(f) => greeting::list(&ctx, f.account.as_deref()),
        Command::Event(c) => event::run(&ctx, c),
        Command::Events(f) => event::list(&ctx, f.account.as_deref()),
        Command::Due { days } => due::run(&ctx, days),
        Command::Timeline { account } => timeline::run(&ctx, &account),
        Command::Report(c) => report::run(&ctx, c),
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
