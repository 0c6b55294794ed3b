//! `rapport`: the key-account rep's and manager's terminal client.
//!
//! Built only on `rapport-client-core`: records are kept in a store on this computer and
//! every record command works offline; only `login`, `sync` and `report` talk to the
//! server. Output is English or Chinese (`--lang`, `RAPPORT_LANG`, or the locale).
//!
//! Exit codes: 0 success, 1 any error, 2 the server is unreachable, 3 not signed in or
//! signed out by the server. Scripts can tell "try again later" from "sign in again".

mod commands;
mod i18n;
mod ids;
mod table;
mod when;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::i18n::{Lang, M, t, tf};

#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    about = "Log key-account visits and contacts, offline first; sync when online.",
    propagate_version = true
)]
struct Cli {
    /// Directory of this device's store [default: $HOME/.rapport].
    #[arg(long, env = "RAPPORT_HOME", global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Language of the output: en or zh (default: from LC_ALL / LANG).
    #[arg(long, env = "RAPPORT_LANG", global = true, value_name = "LANG", value_parser = i18n::parse_lang)]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in to the company's server (needs the network).
    Login(LoginArgs),
    /// Forget the sign-in; records and unsynced changes stay on this device.
    Logout,
    /// Who is signed in, what waits for sync, what the server rejected.
    Status,
    /// Send waiting changes and fetch what is new (needs the network).
    Sync,
    /// Accounts known on this device.
    Accounts,
    /// Add, edit or remove a contact.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Contacts on this device, optionally of one account.
    Contacts {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: Option<String>,
    },
    /// Log, edit or remove a visit.
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Visits on this device, newest first, optionally of one account.
    Visits {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: Option<String>,
    },
    /// An account's records, newest first.
    Timeline {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
    },
    /// Team reports (needs the network; managers and admins).
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Debug, Args)]
struct LoginArgs {
    /// Server URL, e.g. https://rapport.example.com.
    #[arg(long, env = "RAPPORT_SERVER")]
    server: String,
    /// The company's short name.
    #[arg(long, env = "RAPPORT_COMPANY")]
    company: String,
    /// Your user name.
    #[arg(long, env = "RAPPORT_USER")]
    user: String,
    /// Password; when missing, it is read from standard input.
    #[arg(long, env = "RAPPORT_PASSWORD", hide_env_values = true)]
    password: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ContactCommand {
    /// Add a contact to an account; prints the new id.
    Add {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
        /// Job title, e.g. 采购总监.
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// Edit a contact; an empty value clears title, phone or notes.
    Edit {
        /// Contact id or unique prefix.
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// Remove a contact (kept in history).
    Rm {
        /// Contact id or unique prefix.
        id: String,
    },
}

/// Where the rep was when logging: a check-in.
#[derive(Debug, Args)]
struct Position {
    /// Latitude of the check-in, in degrees.
    #[arg(long, requires = "lon", allow_negative_numbers = true)]
    lat: Option<f64>,
    /// Longitude of the check-in, in degrees.
    #[arg(long, requires = "lat", allow_negative_numbers = true)]
    lon: Option<f64>,
    /// Accuracy of the position in metres (default 0: a position typed by hand).
    #[arg(long, requires = "lat")]
    accuracy: Option<f64>,
}

#[derive(Debug, Subcommand)]
enum VisitCommand {
    /// Log a visit; prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// Contacts met: ids or unique id prefixes, comma separated.
        #[arg(long, value_delimiter = ',')]
        contacts: Vec<String>,
        /// When the visit started, with its UTC offset, e.g. 2026-11-27T10:30:00+08:00
        /// (default: now).
        #[arg(long)]
        at: Option<String>,
        /// Duration in minutes.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(i64).range(0..=1440))]
        duration: i64,
        /// What the visit was for.
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        position: Position,
    },
    /// Edit a visit.
    Edit {
        /// Visit id or unique prefix.
        id: String,
        /// Contacts met, replacing the list (an empty value clears it).
        #[arg(long, value_delimiter = ',')]
        contacts: Option<Vec<String>>,
        /// When the visit started, with its UTC offset.
        #[arg(long)]
        at: Option<String>,
        /// Duration in minutes.
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..=1440))]
        duration: Option<i64>,
        #[arg(long)]
        purpose: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        position: Position,
        /// Remove the check-in.
        #[arg(long, conflicts_with = "lat")]
        no_check_in: bool,
    },
    /// Remove a visit (kept in history).
    Rm {
        /// Visit id or unique prefix.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Visits per rep in one ISO week, in the company's time zone.
    Weekly {
        /// ISO week, e.g. 2026-W48 (default: this week).
        #[arg(long)]
        week: Option<String>,
        /// Team id (admins; managers see their own team).
        #[arg(long)]
        team: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap exits 2 on usage errors, which here means "offline"; a usage error is
            // an ordinary error (1). Help and version are not errors at all.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let lang = i18n::lang_from_env(cli.lang);
    match commands::run(cli, lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if commands::is_broken_pipe(&e) {
                // `rapport visits | head`: the reader left; not an error.
                return ExitCode::SUCCESS;
            }
            let (code, message) = commands::describe_error(&e, lang);
            eprintln!("{}{message}", t(lang, M::ErrorPrefix));
            ExitCode::from(code)
        }
    }
}

/// A warning on stderr, in the user's language.
fn warn(lang: Lang, key: M, args: &[(&str, &dyn std::fmt::Display)]) {
    eprintln!("{}{}", t(lang, M::WarningPrefix), tf(lang, key, args));
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn visit_log_reads_contacts_position_and_defaults() {
        let cli = Cli::try_parse_from([
            "rapport",
            "--home",
            "/tmp/x",
            "--lang",
            "zh",
            "visit",
            "log",
            "--account",
            "华东",
            "--contacts",
            "abcd,ef01",
            "--purpose",
            "review",
            "--lat",
            "-31.2",
            "--lon",
            "121.4",
        ])
        .expect("valid command line");
        assert_eq!(cli.lang, Some(Lang::Zh));
        let Command::Visit(VisitCommand::Log {
            contacts,
            duration,
            position,
            at,
            ..
        }) = cli.command
        else {
            panic!("not visit log");
        };
        assert_eq!(contacts, ["abcd", "ef01"]);
        assert_eq!(duration, 60);
        assert_eq!(at, None);
        assert_eq!(position.lat, Some(-31.2));
        assert_eq!(position.accuracy, None);
    }

    #[test]
    fn a_latitude_needs_a_longitude_and_durations_are_bounded() {
        let base = [
            "rapport",
            "visit",
            "log",
            "--account",
            "a",
            "--purpose",
            "p",
        ];
        let with = |extra: &[&str]| {
            let mut args: Vec<&str> = base.to_vec();
            args.extend_from_slice(extra);
            Cli::try_parse_from(args)
        };
        assert!(with(&["--lat", "31"]).is_err());
        assert!(with(&["--accuracy", "5"]).is_err());
        assert!(with(&["--duration", "-5"]).is_err());
        assert!(with(&["--duration", "1441"]).is_err());
        assert!(with(&["--duration", "90"]).is_ok());
    }
}
