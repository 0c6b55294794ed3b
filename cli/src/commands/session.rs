//! The session commands: `login`, `logout`, `status` and `sync` — the only ones besides
//! the reports that talk to the server.

use std::io::BufRead;

use anyhow::Result;
use clap::Args;
use rapport_client_core::protocol::Role;
use rapport_client_core::{Client, Error as CoreError};

use super::{Ctx, Exit, fail, kind_name, timeline};
use crate::i18n::{Lang, M, changes, t, tf};
use crate::ids;
use crate::when;

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Server URL, e.g. https://rapport.example.com.
    #[arg(long, env = "RAPPORT_SERVER")]
    pub server: String,
    /// The company's short name.
    #[arg(long, env = "RAPPORT_COMPANY")]
    pub company: String,
    /// Your user name.
    #[arg(long, env = "RAPPORT_USER")]
    pub user: String,
    /// Password; when missing, it is read from standard input.
    #[arg(long, env = "RAPPORT_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

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

pub(super) fn login(ctx: &Ctx, args: LoginArgs) -> Result<()> {
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

pub(super) fn logout(ctx: &Ctx) -> Result<()> {
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

pub(super) fn status(ctx: &Ctx) -> Result<()> {
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

pub(super) fn sync(ctx: &Ctx) -> Result<()> {
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
