//! `rapport`: the key-account rep's and manager's terminal client.
//!
//! Built only on `rapport-client-core`: records of every kind the method keeps (accounts,
//! contacts and their VIP cards, opportunities, visits, favours, competitor intelligence,
//! customer info, greetings, relationship events) are kept in a store on this computer and
//! every record command works offline; only `login`, `sync` and `report` talk to the
//! server. Output is English or Chinese (`--lang`, `RAPPORT_LANG`, or the locale).
//!
//! Exit codes: 0 success, 1 any error, 2 the server is unreachable, 3 not signed in or
//! signed out by the server. Scripts can tell "try again later" from "sign in again".

mod args;
mod commands;
mod i18n;
mod ids;
mod method;
mod parse;
mod table;
mod terms;
mod when;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;
use crate::i18n::{M, t, tf};

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
fn warn(lang: i18n::Lang, key: M, args: &[(&str, &dyn std::fmt::Display)]) {
    eprintln!("{}{}", t(lang, M::WarningPrefix), tf(lang, key, args));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Command;
    use crate::commands::opportunity::OpportunityCommand;
    use crate::commands::visit::VisitCommand;
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
        assert_eq!(cli.lang, Some(i18n::Lang::Zh));
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

    #[test]
    fn new_commands_parse_and_refuse_what_makes_no_sense() {
        let parse = |args: &[&str]| {
            let mut all = vec!["rapport"];
            all.extend_from_slice(args);
            Cli::try_parse_from(all)
        };
        assert!(parse(&["opp", "show", "3号线"]).is_ok());
        assert!(parse(&["account", "edit", "华东", "--tier", "b"]).is_ok());
        assert!(parse(&["account", "edit", "华东", "--sales", "5"]).is_err());
        assert!(
            parse(&[
                "account",
                "edit",
                "华东",
                "--metrics",
                "2026",
                "--sales",
                "5"
            ])
            .is_ok()
        );
        assert!(parse(&["contact", "edit", "张总", "--key", "--not-key"]).is_err());
        assert!(parse(&["contact", "card", "张总", "--leap-month"]).is_err());
        assert!(
            parse(&[
                "contact",
                "card",
                "张总",
                "--birthday",
                "01-02",
                "--lunar-birthday",
                "01-02"
            ])
            .is_err()
        );
        assert!(parse(&["due", "--days", "400"]).is_err());
        assert!(parse(&["intel", "log", "--account", "a", "--competitor", "c"]).is_err());
        let cli = parse(&[
            "visit",
            "log",
            "--account",
            "a",
            "--purpose",
            "p",
            "--spin",
            "situation,problem",
        ])
        .expect("valid command line");
        let Command::Visit(VisitCommand::Log { method, .. }) = cli.command else {
            panic!("not visit log");
        };
        assert_eq!(method.spin.as_deref(), Some("situation,problem"));
        let cli = parse(&[
            "opportunity",
            "add",
            "--account",
            "a",
            "--name",
            "n",
            "--coaches",
            "刘工,马主任",
        ])
        .expect("valid command line");
        let Command::Opportunity(OpportunityCommand::Add { fields, .. }) = cli.command else {
            panic!("not opportunity add");
        };
        assert_eq!(
            fields.coaches,
            Some(vec!["刘工".to_owned(), "马主任".to_owned()])
        );
    }
}
