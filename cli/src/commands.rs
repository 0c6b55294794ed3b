//! What each command does, on top of `rapport_client_core::Client`.
//!
//! Commands print through [`out!`], which returns write errors instead of panicking, so
//! piping a long list into `head` ends quietly. Failures travel as `anyhow` errors;
//! [`describe_error`] turns them into a localised sentence and the exit code scripts rely
//! on (2 offline, 3 not signed in).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Result;
use rapport_client_core::model::{Account, CheckIn, Contact, DocKind, LocalTime, Visit};
use rapport_client_core::protocol::Role;
use rapport_client_core::{Client, Error as CoreError, Item};

use crate::i18n::{Lang, M, changes, t, tf};
use crate::ids::{self, Unresolved};
use crate::table::{one_line, render};
use crate::when::{self, AtError};
use crate::{Cli, Command, ContactCommand, LoginArgs, Position, ReportCommand, VisitCommand};

/// Prints one line to stdout, returning (with `?`) instead of panicking when stdout is gone.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

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
    let key = match kind {
        DocKind::Account => M::KindAccount,
        DocKind::Contact => M::KindContact,
        DocKind::Visit => M::KindVisit,
        other => return other.as_str(),
    };
    t(lang, key)
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
        Command::Accounts => accounts(&ctx),
        Command::Contact(c) => contact(&ctx, c),
        Command::Contacts { account } => contacts(&ctx, account.as_deref()),
        Command::Visit(v) => visit(&ctx, v),
        Command::Visits { account } => visits(&ctx, account.as_deref()),
        Command::Timeline { account } => timeline(&ctx, &account),
        Command::Report(ReportCommand::Weekly { week, team }) => {
            weekly(&ctx, week.as_deref(), team.as_deref())
        }
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
    if let Ok(v) = client.get::<Visit>(id) {
        return format!(
            "{} {}",
            kind_name(lang, DocKind::Visit),
            one_line(&v.purpose)
        );
    }
    if let Ok(c) = client.get::<Contact>(id) {
        return format!(
            "{} {}",
            kind_name(lang, DocKind::Contact),
            one_line(&c.name)
        );
    }
    if let Ok(a) = client.get::<Account>(id) {
        return format!(
            "{} {}",
            kind_name(lang, DocKind::Account),
            one_line(&a.name)
        );
    }
    String::new()
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
        Err(e) => Err(e.into()),
    }
}

/// Resolves `--contacts` against the contacts of one account, keeping the order given and
/// dropping repeats. Empty entries are skipped, so `--contacts ''` means "nobody".
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
    let mut out: Vec<String> = Vec::new();
    for w in wanted {
        let id = match ids::resolve(w, at_account.iter().map(|c| c.id.as_str())) {
            Ok(id) => id.to_owned(),
            Err(Unresolved::NotFound) => {
                return Err(fail(tf(
                    ctx.lang,
                    M::NoContactAt,
                    &[("account", &account.record.name), ("id", &w)],
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
    let abbr = ids::abbreviations(&ctx.client.document_ids()?, ids::SHOWN_MIN);
    Ok(ids::short(&abbr, id).to_owned())
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

// ----- accounts and contacts -----

fn accounts(ctx: &Ctx) -> Result<()> {
    let lang = ctx.lang;
    let list = ctx.client.list::<Account>(None)?;
    if list.is_empty() {
        out!("{}", t(lang, M::NoAccounts));
        return Ok(());
    }
    let abbr = ids::abbreviations(&ctx.client.document_ids()?, ids::SHOWN_MIN);
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            vec![
                ids::short(&abbr, &a.id).to_owned(),
                one_line(&a.record.name),
                a.record.city.as_deref().map(one_line).unwrap_or_default(),
                a.record
                    .industry
                    .as_deref()
                    .map(one_line)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let headers = [
        t(lang, M::ColId),
        t(lang, M::ColName),
        t(lang, M::ColCity),
        t(lang, M::ColIndustry),
    ];
    out_table(&render(&headers, &rows, &[]))
}

fn contact(ctx: &Ctx, cmd: ContactCommand) -> Result<()> {
    let lang = ctx.lang;
    match cmd {
        ContactCommand::Add {
            account,
            name,
            title,
            phone,
            notes,
        } => {
            let account = find_account(ctx, &account)?;
            let record = Contact {
                account_id: account.id,
                name: name.trim().to_owned(),
                title: title.and_then(optional_text),
                phone: phone.and_then(optional_text),
                notes: notes.and_then(optional_text),
                deleted: false,
                ..Default::default()
            };
            let id = ctx.client.create(&record)?;
            saved(ctx, DocKind::Contact, &id)
        }
        ContactCommand::Edit {
            id,
            name,
            title,
            phone,
            notes,
        } => {
            if name.is_none() && title.is_none() && phone.is_none() && notes.is_none() {
                return Err(fail(t(lang, M::NothingToChange).to_owned()));
            }
            let all = ctx.client.list::<Contact>(None)?;
            let id = resolve_in(lang, DocKind::Contact, &id, &all)?;
            let updated = ctx.client.update::<Contact>(&id, |c| {
                if let Some(n) = name {
                    c.name = n.trim().to_owned();
                }
                if let Some(v) = title {
                    c.title = optional_text(v);
                }
                if let Some(v) = phone {
                    c.phone = optional_text(v);
                }
                if let Some(v) = notes {
                    c.notes = optional_text(v);
                }
            })?;
            done(ctx, M::Updated, DocKind::Contact, &id, &updated.name)
        }
        ContactCommand::Rm { id } => {
            let all = ctx.client.list::<Contact>(None)?;
            let id = resolve_in(lang, DocKind::Contact, &id, &all)?;
            let name = all
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.record.name.clone())
                .unwrap_or_default();
            ctx.client.remove::<Contact>(&id)?;
            done(ctx, M::Removed, DocKind::Contact, &id, &name)
        }
    }
}

fn contacts(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    let lang = ctx.lang;
    let account_id = match account {
        Some(a) => Some(find_account(ctx, a)?.id),
        None => None,
    };
    let list = ctx.client.list::<Contact>(account_id.as_deref())?;
    if list.is_empty() {
        out!("{}", t(lang, M::NoContacts));
        return Ok(());
    }
    let names = account_names(&ctx.client)?;
    let abbr = ids::abbreviations(&ctx.client.document_ids()?, ids::SHOWN_MIN);
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let r = &c.record;
            vec![
                ids::short(&abbr, &c.id).to_owned(),
                one_line(&r.name),
                r.title.as_deref().map(one_line).unwrap_or_default(),
                r.phone.as_deref().map(one_line).unwrap_or_default(),
                names
                    .get(&r.account_id)
                    .map(|n| one_line(n))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let headers = [
        t(lang, M::ColId),
        t(lang, M::ColName),
        t(lang, M::ColTitle),
        t(lang, M::ColPhone),
        t(lang, M::ColAccount),
    ];
    out_table(&render(&headers, &rows, &[]))
}

// ----- visits -----

fn parse_at(lang: Lang, typed: &str) -> Result<chrono::DateTime<chrono::FixedOffset>> {
    when::parse_at(typed).map_err(|e| {
        let key = match e {
            AtError::NoOffset => M::AtNoOffset,
            AtError::Unreadable => M::BadAt,
        };
        fail(tf(lang, key, &[("at", &typed)]))
    })
}

/// Warns (without refusing: clocks drift) when a visit is dated more than an hour ahead,
/// which is almost always a typo in the date.
fn warn_if_future(lang: Lang, at: &chrono::DateTime<chrono::FixedOffset>) {
    if *at > chrono::Utc::now() + chrono::Duration::hours(1) {
        crate::warn(
            lang,
            M::FutureVisit,
            &[("at", &when::format_local(LocalTime::from_datetime(at)))],
        );
    }
}

fn check_in(position: &Position) -> Option<CheckIn> {
    match (position.lat, position.lon) {
        (Some(lat), Some(lon)) => Some(CheckIn {
            lat,
            lon,
            accuracy_m: position.accuracy.unwrap_or(0.0),
        }),
        _ => None,
    }
}

fn visit(ctx: &Ctx, cmd: VisitCommand) -> Result<()> {
    let lang = ctx.lang;
    match cmd {
        VisitCommand::Log {
            account,
            contacts,
            at,
            duration,
            purpose,
            notes,
            position,
        } => {
            let account = find_account(ctx, &account)?;
            let contacts_met = resolve_contacts(ctx, &account, &contacts)?;
            let now = chrono::Local::now().fixed_offset();
            let occurred = match at {
                Some(s) => parse_at(lang, &s)?,
                None => now,
            };
            warn_if_future(lang, &occurred);
            let record = Visit {
                account_id: account.id,
                occurred_at: LocalTime::from_datetime(&occurred),
                logged_at: LocalTime::from_datetime(&now),
                duration_min: duration,
                purpose: purpose.trim().to_owned(),
                notes: notes.unwrap_or_default(),
                contacts_met,
                check_in: check_in(&position),
                deleted: false,
                ..Default::default()
            };
            let id = ctx.client.create(&record)?;
            saved(ctx, DocKind::Visit, &id)
        }
        VisitCommand::Edit {
            id,
            contacts,
            at,
            duration,
            purpose,
            notes,
            position,
            no_check_in,
        } => {
            let nothing = contacts.is_none()
                && at.is_none()
                && duration.is_none()
                && purpose.is_none()
                && notes.is_none()
                && position.lat.is_none()
                && !no_check_in;
            if nothing {
                return Err(fail(t(lang, M::NothingToChange).to_owned()));
            }
            let all = ctx.client.list::<Visit>(None)?;
            let id = resolve_in(lang, DocKind::Visit, &id, &all)?;
            let contacts_met = match &contacts {
                Some(typed) => {
                    let account_id = all
                        .iter()
                        .find(|v| v.id == id)
                        .map(|v| v.record.account_id.clone())
                        .unwrap_or_default();
                    let account = find_account(ctx, &account_id)?;
                    Some(resolve_contacts(ctx, &account, typed)?)
                }
                None => None,
            };
            let occurred = match &at {
                Some(s) => {
                    let at = parse_at(lang, s)?;
                    warn_if_future(lang, &at);
                    Some(at)
                }
                None => None,
            };
            let new_check_in = check_in(&position);
            let updated = ctx.client.update::<Visit>(&id, |v| {
                if let Some(c) = contacts_met {
                    v.contacts_met = c;
                }
                if let Some(at) = occurred {
                    v.occurred_at = LocalTime::from_datetime(&at);
                }
                if let Some(d) = duration {
                    v.duration_min = d;
                }
                if let Some(p) = purpose {
                    v.purpose = p.trim().to_owned();
                }
                if let Some(n) = notes {
                    v.notes = n;
                }
                if new_check_in.is_some() {
                    v.check_in = new_check_in;
                }
                if no_check_in {
                    v.check_in = None;
                }
            })?;
            done(ctx, M::Updated, DocKind::Visit, &id, &updated.purpose)
        }
        VisitCommand::Rm { id } => {
            let all = ctx.client.list::<Visit>(None)?;
            let id = resolve_in(lang, DocKind::Visit, &id, &all)?;
            let purpose = all
                .iter()
                .find(|v| v.id == id)
                .map(|v| v.record.purpose.clone())
                .unwrap_or_default();
            ctx.client.remove::<Visit>(&id)?;
            done(ctx, M::Removed, DocKind::Visit, &id, &purpose)
        }
    }
}

fn visits(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    let lang = ctx.lang;
    let account_id = match account {
        Some(a) => Some(find_account(ctx, a)?.id),
        None => None,
    };
    let list = ctx.client.list::<Visit>(account_id.as_deref())?;
    if list.is_empty() {
        out!("{}", t(lang, M::NoVisits));
        return Ok(());
    }
    let names = account_names(&ctx.client)?;
    let abbr = ids::abbreviations(&ctx.client.document_ids()?, ids::SHOWN_MIN);
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|v| {
            let r = &v.record;
            vec![
                ids::short(&abbr, &v.id).to_owned(),
                when::format_local(r.occurred_at),
                minutes(lang, r.duration_min),
                one_line(&r.purpose),
                names
                    .get(&r.account_id)
                    .map(|n| one_line(n))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let headers = [
        t(lang, M::ColId),
        t(lang, M::ColWhen),
        t(lang, M::ColDuration),
        t(lang, M::ColPurpose),
        t(lang, M::ColAccount),
    ];
    out_table(&render(&headers, &rows, &[2]))
}

fn timeline(ctx: &Ctx, account: &str) -> Result<()> {
    let lang = ctx.lang;
    let account = find_account(ctx, account)?;
    let rows = ctx.client.timeline(&account.id)?;
    let name = match &account.record.city {
        Some(city) => format!("{} ({city})", account.record.name),
        None => account.record.name.clone(),
    };
    out!(
        "{}",
        tf(
            lang,
            M::TimelineHeading,
            &[("name", &name), ("n", &rows.len())]
        )
    );
    if rows.is_empty() {
        out!("{}", t(lang, M::NoRecords));
        return Ok(());
    }
    let abbr = ids::abbreviations(&ctx.client.document_ids()?, ids::SHOWN_MIN);
    let mut table = Vec::with_capacity(rows.len());
    for row in &rows {
        // The index keeps only the UTC instant; the visit itself knows the offset of the
        // place it happened, which is how the rep remembers it.
        let (at, what) = match row.kind {
            DocKind::Visit => match ctx.client.get::<Visit>(&row.id) {
                Ok(v) => (
                    when::format_local(v.occurred_at),
                    format!(
                        "{} ({})",
                        one_line(&v.purpose),
                        minutes(lang, v.duration_min)
                    ),
                ),
                Err(_) => (String::new(), one_line(&row.title)),
            },
            _ => (String::new(), one_line(&row.title)),
        };
        table.push(vec![
            at,
            kind_name(lang, row.kind).to_owned(),
            what,
            ids::short(&abbr, &row.id).to_owned(),
        ]);
    }
    let headers = [
        t(lang, M::ColWhen),
        t(lang, M::ColKind),
        t(lang, M::ColWhat),
        t(lang, M::ColId),
    ];
    out_table(&render(&headers, &table, &[]))
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
