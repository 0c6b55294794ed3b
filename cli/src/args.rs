//! The command line as `clap` reads it: the commands, each given by the module that runs
//! it (`commands::visit` owns `visit …`, its options and their help).
//!
//! Conventions, the same for every record: `log` (or `add`) makes a record and prints its
//! id, `edit` changes only the options given, `rm` removes (a tombstone), `show` prints one
//! record, `list` (or the plural command, e.g. `favours`) lists them. `--account` takes an
//! account id, id prefix or name; `--contact` a contact's name, id or id prefix; `--at` a
//! time with its UTC offset. Closed lists take codes, English or Chinese names
//! (`--roles coach,决策者`). In `edit`, `none` (or an empty value) clears an optional value
//! such as a date, an amount, a judgement or a contact, and an empty text clears a text.
//! Values are read by `crate::parse` and `crate::terms`, not by clap, so a mistake is
//! explained in the user's language with the accepted values.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::account::AccountCommand;
use crate::commands::contact::ContactCommand;
use crate::commands::event::EventCommand;
use crate::commands::favour::FavourCommand;
use crate::commands::greeting::GreetCommand;
use crate::commands::info::InfoCommand;
use crate::commands::intel::IntelCommand;
use crate::commands::opportunity::{OpportunityCommand, OpportunityFilter};
use crate::commands::report::ReportCommand;
use crate::commands::session::LoginArgs;
use crate::commands::visit::VisitCommand;
use crate::i18n::{self, Lang};

#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    about = "Log key-account visits, contacts, opportunities and relationship work, offline \
             first; sync when online.",
    propagate_version = true
)]
pub struct Cli {
    /// Directory of this device's store [default: $HOME/.rapport].
    #[arg(long, env = "RAPPORT_HOME", global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Language of the output: en or zh (default: from LC_ALL / LANG).
    #[arg(long, env = "RAPPORT_LANG", global = true, value_name = "LANG", value_parser = i18n::parse_lang)]
    pub lang: Option<Lang>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Show an account, or edit its value, stage and figures.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Add, edit, show or remove a contact; keep a key contact's VIP card.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Contacts on this device, optionally of one account.
    Contacts(AccountFilter),
    /// Add, edit, show or remove an opportunity (four-step assessment, buying roles).
    #[command(subcommand, visible_alias = "opp")]
    Opportunity(OpportunityCommand),
    /// Opportunities on this device, with their danger-zone check.
    Opportunities(OpportunityFilter),
    /// Log, edit, show or remove a visit.
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Visits on this device, newest first, optionally of one account.
    Visits(AccountFilter),
    /// Log, edit or remove something done for a customer (business or personal).
    #[command(subcommand)]
    Favour(FavourCommand),
    /// Favours on this device, newest first; those over the company's limit are marked.
    Favours(AccountFilter),
    /// Log, list or remove competitor intelligence.
    #[command(subcommand)]
    Intel(IntelCommand),
    /// Log, list or remove what a customer told of shipments, inventory or consumers.
    #[command(subcommand)]
    Info(InfoCommand),
    /// Log or remove a holiday or birthday greeting.
    #[command(subcommand)]
    Greet(GreetCommand),
    /// Greetings on this device, newest first.
    Greetings(AccountFilter),
    /// Log or remove a relationship event (thought of us first, best display, private help).
    #[command(subcommand)]
    Event(EventCommand),
    /// Relationship events on this device, newest first.
    Events(AccountFilter),
    /// What is due: overdue and coming visits, next steps, birthdays, holidays.
    Due {
        /// How many days ahead to look.
        #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(i64).range(0..=366))]
        days: i64,
    },
    /// An account's records of every kind, newest first.
    Timeline {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
    },
    /// Team reports (needs the network; managers and admins).
    #[command(subcommand)]
    Report(ReportCommand),
}

/// `--account` for lists.
#[derive(Debug, Args)]
pub struct AccountFilter {
    /// Only this account: id, id prefix or name.
    #[arg(long)]
    pub account: Option<String>,
}
