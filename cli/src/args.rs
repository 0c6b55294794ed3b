//! The command line: every command, its options and their help, as `clap` reads them.
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

/// `--account` for lists.
#[derive(Debug, Args)]
pub struct AccountFilter {
    /// Only this account: id, id prefix or name.
    #[arg(long)]
    pub account: Option<String>,
}

// ----- accounts -----

// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Everything this device knows of an account: tier, value, cadence, stage, figures,
    /// stage history, last visit.
    Show {
        /// Account id, id prefix or name.
        account: String,
    },
    /// Edit what reps keep of an account. Name, industry, city and location are an admin's.
    Edit(AccountEdit),
}

#[derive(Debug, Args)]
pub struct AccountEdit {
    /// Account id, id prefix or name.
    pub account: String,
    /// Relationship stage: gestation (孕育), initial (初级), intermediate (中级), advanced
    /// (高级) or strategic_alliance (战略联盟). A change is kept in the stage history.
    #[arg(long)]
    pub stage: Option<String>,
    /// Current value (现实价值) on the scorecard, 1 to 5, or none.
    #[arg(long, value_name = "1-5")]
    pub current_value: Option<String>,
    /// Potential value (潜在价值) on the scorecard, 1 to 5, or none.
    #[arg(long, value_name = "1-5")]
    pub potential_value: Option<String>,
    /// Set the tier by hand: a, b, c or d; none goes back to the tier the figures give.
    #[arg(long, visible_alias = "tier", value_name = "TIER")]
    pub tier_override: Option<String>,
    /// Days between visits, over the tier's cadence; none goes back to the tier's.
    #[arg(long, visible_alias = "cadence", value_name = "DAYS")]
    pub cadence_days: Option<String>,
    /// The period whose figures --sales, --profit, --collections and --transactions set:
    /// 2026, 2026-Q3 or 2026-11 (added when new).
    #[arg(long, value_name = "PERIOD")]
    pub metrics: Option<String>,
    /// Sales (销售额) of the period; none clears.
    #[arg(long, requires = "metrics", value_name = "AMOUNT")]
    pub sales: Option<String>,
    /// Profit (利润) of the period; none clears.
    #[arg(
        long,
        requires = "metrics",
        value_name = "AMOUNT",
        allow_negative_numbers = true
    )]
    pub profit: Option<String>,
    /// Collections (回款) of the period; none clears.
    #[arg(long, requires = "metrics", value_name = "AMOUNT")]
    pub collections: Option<String>,
    /// Number of transactions (交易次数) in the period; none clears.
    #[arg(long, requires = "metrics", value_name = "N")]
    pub transactions: Option<String>,
    /// Remove a period's figures.
    #[arg(long, value_name = "PERIOD", conflicts_with = "metrics")]
    pub remove_metrics: Option<String>,
}

// ----- contacts -----

/// How a contact stands in the customer's organisation (§二.4, §三.2).
#[derive(Debug, Args)]
pub struct ContactStanding {
    /// Administrative level: executive (高层领导), department_head (部门负责人) or staff.
    #[arg(long)]
    pub admin_level: Option<String>,
    /// How close you are: acquainted, familiar, trusted or ally.
    #[arg(long)]
    pub relationship: Option<String>,
    /// Buying roles, comma separated: user (实际使用者), technical_gatekeeper (技术把关者),
    /// coach (教练), decision_maker (决策者).
    #[arg(long)]
    pub roles: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
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
        #[command(flatten)]
        standing: ContactStanding,
        /// A key person: the scorecard expects a VIP card for them.
        #[arg(long)]
        key: bool,
    },
    /// Edit a contact; an empty value (or none) clears an optional field.
    Edit {
        /// Contact name, id or id prefix.
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        standing: ContactStanding,
        /// Mark as a key person.
        #[arg(long, conflicts_with = "not_key")]
        key: bool,
        /// Mark as not a key person.
        #[arg(long)]
        not_key: bool,
    },
    /// Keep a key contact's VIP relationship card (客情关系卡); without options, show it.
    Card(CardArgs),
    /// Everything about a contact: standing, roles, VIP card, last met.
    Show {
        /// Contact name, id or id prefix.
        id: String,
    },
    /// Remove a contact (kept in history).
    Rm {
        /// Contact name, id or id prefix.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct CardArgs {
    /// Contact name, id or id prefix.
    pub id: String,
    /// They call you by name (互相能叫出名字): yes or no.
    #[arg(long, value_name = "yes|no")]
    pub knows_name: Option<String>,
    /// Interests and hobbies (兴趣爱好).
    #[arg(long)]
    pub interests: Option<String>,
    /// Birthday on the solar calendar, MM-DD (none clears).
    #[arg(long, value_name = "MM-DD", conflicts_with = "lunar_birthday")]
    pub birthday: Option<String>,
    /// Birthday on the lunar calendar (农历), MM-DD.
    #[arg(long, value_name = "MM-DD")]
    pub lunar_birthday: Option<String>,
    /// The lunar birthday is in a leap month (闰月).
    #[arg(long, requires = "lunar_birthday")]
    pub leap_month: bool,
    /// Personal matters you know of (私人情况).
    #[arg(long)]
    pub concerns: Option<String>,
    /// You helped with one (为其解忧): yes or no.
    #[arg(long, value_name = "yes|no")]
    pub helped: Option<String>,
    /// Notes on the card.
    #[arg(long)]
    pub notes: Option<String>,
}

// ----- opportunities -----

/// An opportunity's fields other than its account and name.
#[derive(Debug, Args)]
pub struct OpportunityFields {
    /// Expected value of the deal (none clears).
    #[arg(long, value_name = "AMOUNT")]
    pub value: Option<String>,
    /// open, won or lost.
    #[arg(long)]
    pub status: Option<String>,
    /// Expected close date, YYYY-MM-DD or +N days (none clears).
    #[arg(long, visible_alias = "expected-close", value_name = "DATE")]
    pub close: Option<String>,
    /// Notes on the opportunity.
    #[arg(long)]
    pub notes: Option<String>,
    /// Step 1, is it real (是不是机会): yes, no or unsure (none clears).
    #[arg(long, value_name = "JUDGEMENT")]
    pub real: Option<String>,
    /// Why: the note of step 1.
    #[arg(long, value_name = "TEXT")]
    pub real_note: Option<String>,
    /// Step 2, is there competition (是不是存在竞争): yes, no or unsure.
    #[arg(long, value_name = "JUDGEMENT")]
    pub competition: Option<String>,
    /// Why: the note of step 2.
    #[arg(long, value_name = "TEXT")]
    pub competition_note: Option<String>,
    /// Step 3, can we win (是不是能赢): yes, no or unsure.
    #[arg(long, value_name = "JUDGEMENT")]
    pub can_win: Option<String>,
    /// Why: the note of step 3.
    #[arg(long, value_name = "TEXT")]
    pub can_win_note: Option<String>,
    /// Step 4, is it worth winning (是不是值得赢): yes, no or unsure.
    #[arg(long, value_name = "JUDGEMENT")]
    pub worth_winning: Option<String>,
    /// Why: the note of step 4.
    #[arg(long, value_name = "TEXT")]
    pub worth_winning_note: Option<String>,
    /// Users of the product (实际使用者): contact names or ids, comma separated; replaces
    /// the list (an empty value clears it).
    #[arg(long, value_delimiter = ',', value_name = "CONTACTS")]
    pub user_contacts: Option<Vec<String>>,
    /// Technical gatekeepers (技术把关者).
    #[arg(long, value_delimiter = ',', value_name = "CONTACTS")]
    pub gatekeepers: Option<Vec<String>>,
    /// Coaches (教练).
    #[arg(long, value_delimiter = ',', value_name = "CONTACTS")]
    pub coaches: Option<Vec<String>>,
    /// Decision makers (决策者).
    #[arg(long, value_delimiter = ',', value_name = "CONTACTS")]
    pub decision_makers: Option<Vec<String>>,
}

#[derive(Debug, Subcommand)]
pub enum OpportunityCommand {
    /// Add an opportunity to an account; prints the new id.
    Add {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// What the deal is, e.g. 3号线改造.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        fields: OpportunityFields,
    },
    /// Edit an opportunity.
    Edit {
        /// Opportunity name, id or id prefix.
        id: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: OpportunityFields,
    },
    /// An opportunity's assessment, buying roles and danger-zone check.
    Show {
        /// Opportunity name, id or id prefix.
        id: String,
    },
    /// Remove an opportunity (kept in history).
    Rm {
        /// Opportunity name, id or id prefix.
        id: String,
    },
    /// Opportunities on this device (the same as `rapport opportunities`).
    List(OpportunityFilter),
}

#[derive(Debug, Args)]
pub struct OpportunityFilter {
    /// Only this account: id, id prefix or name.
    #[arg(long)]
    pub account: Option<String>,
    /// Only this status: open, won or lost.
    #[arg(long)]
    pub status: Option<String>,
}

// ----- visits -----

/// Where the rep was when logging: a check-in.
#[derive(Debug, Args)]
pub struct Position {
    /// Latitude of the check-in, in degrees.
    #[arg(long, requires = "lon", allow_negative_numbers = true)]
    pub lat: Option<f64>,
    /// Longitude of the check-in, in degrees.
    #[arg(long, requires = "lat", allow_negative_numbers = true)]
    pub lon: Option<f64>,
    /// Accuracy of the position in metres (default 0: a position typed by hand).
    #[arg(long, requires = "lat")]
    pub accuracy: Option<f64>,
}

/// What the method asks a rep to note of a visit (§三).
#[derive(Debug, Args)]
pub struct VisitMethod {
    /// SPIN questions asked: situation (背景性), problem (难点性), implication (暗示性),
    /// need_payoff (效益性); comma separated, replacing the list.
    #[arg(long, value_name = "LIST")]
    pub spin: Option<String>,
    /// Objections met: no_need (不需要), no_trust (不相信), no_budget (没预算), no_hurry
    /// (不着急).
    #[arg(long, value_name = "LIST")]
    pub objections: Option<String>,
    /// Buying signals achieved: accepted_idea, next_step, introduced_senior,
    /// technical_exchange.
    #[arg(long, value_name = "LIST")]
    pub signals: Option<String>,
    /// The agreed next step (an empty value clears it and its due date).
    #[arg(long, value_name = "TEXT")]
    pub next_step: Option<String>,
    /// When the next step is due: YYYY-MM-DD, +N days, today, tomorrow (none clears).
    #[arg(long, value_name = "DATE")]
    pub next_step_due: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum VisitCommand {
    /// Log a visit; prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// Contacts met: names, ids or unique id prefixes, comma separated.
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
        #[command(flatten)]
        method: VisitMethod,
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
        #[command(flatten)]
        method: VisitMethod,
    },
    /// Everything about a visit, with its check-in verification and late-logging flags.
    Show {
        /// Visit id or unique prefix.
        id: String,
    },
    /// Remove a visit (kept in history).
    Rm {
        /// Visit id or unique prefix.
        id: String,
    },
}

// ----- favours, intelligence, info, greetings, events -----

#[derive(Debug, Subcommand)]
pub enum FavourCommand {
    /// Log something done for a customer (帮客户做一件事); prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// business (公) or personal (私).
        #[arg(long)]
        kind: String,
        /// What was done.
        #[arg(long)]
        description: String,
        /// For whom: contact name, id or id prefix.
        #[arg(long)]
        contact: Option<String>,
        /// Value of a gift or hospitality; above the company's limit it is flagged.
        #[arg(long, value_name = "AMOUNT")]
        value: Option<String>,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Edit a favour; none clears the contact or the value.
    Edit {
        /// Favour id or unique prefix.
        id: String,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        contact: Option<String>,
        #[arg(long, value_name = "AMOUNT")]
        value: Option<String>,
        #[arg(long)]
        at: Option<String>,
    },
    /// Remove a favour (kept in history).
    Rm {
        /// Favour id or unique prefix.
        id: String,
    },
    /// Favours on this device (the same as `rapport favours`).
    List(AccountFilter),
}

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Log competitor intelligence (竞争对手情况); prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// Which competitor.
        #[arg(long)]
        competitor: String,
        /// What was seen or heard.
        #[arg(long)]
        observation: String,
        /// Their product.
        #[arg(long)]
        product: Option<String>,
        /// Their price.
        #[arg(long, value_name = "AMOUNT")]
        price: Option<String>,
        /// Who told you: contact name, id or id prefix.
        #[arg(long, visible_alias = "source")]
        contact: Option<String>,
        /// How sure: low, medium or high.
        #[arg(long, default_value = "low")]
        confidence: String,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Competitor intelligence on this device, newest first.
    List(AccountFilter),
    /// Remove an intelligence item (kept in history).
    Rm {
        /// Intelligence id or unique prefix.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum InfoCommand {
    /// Log what the customer told you; prints the new id. Give --figure, --details or both.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// shipments (出货量), inventory (库存) or consumer_feedback (终端消费者反馈).
        #[arg(long)]
        kind: String,
        /// The figure given.
        #[arg(long, allow_negative_numbers = true)]
        figure: Option<String>,
        /// Unit of the figure, e.g. 吨, 件, 万元.
        #[arg(long)]
        unit: Option<String>,
        /// What was said.
        #[arg(long)]
        details: Option<String>,
        /// Who told you: contact name, id or id prefix.
        #[arg(long)]
        contact: Option<String>,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Customer info on this device, newest first.
    List(AccountFilter),
    /// Remove a customer info report (kept in history).
    Rm {
        /// Report id or unique prefix.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum GreetCommand {
    /// Log a greeting (问候); prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// spring_festival, lantern_festival, dragon_boat, mid_autumn, double_ninth,
        /// new_year, national_day, or birthday (needs --contact).
        #[arg(long)]
        occasion: String,
        /// in_person, phone, message, wechat, email, gift or card.
        #[arg(long)]
        channel: String,
        /// Whom: contact name, id or id prefix.
        #[arg(long)]
        contact: Option<String>,
        /// What was said or sent, e.g. 送月饼.
        #[arg(long)]
        notes: Option<String>,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Remove a greeting (kept in history).
    Rm {
        /// Greeting id or unique prefix.
        id: String,
    },
    /// Greetings on this device (the same as `rapport greetings`).
    List(AccountFilter),
}

#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Log a relationship event; prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// first_thought (重要场合第一个想到我们), best_display (最佳终端陈列和信息发布) or
        /// private_help (为其解忧).
        #[arg(long)]
        kind: String,
        /// What happened.
        #[arg(long)]
        description: String,
        /// Who: contact name, id or id prefix.
        #[arg(long)]
        contact: Option<String>,
        /// When, with its UTC offset (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Remove a relationship event (kept in history).
    Rm {
        /// Event id or unique prefix.
        id: String,
    },
    /// Relationship events on this device (the same as `rapport events`).
    List(AccountFilter),
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Visits per rep in one ISO week, in the company's time zone.
    Weekly {
        /// ISO week, e.g. 2026-W48 (default: this week).
        #[arg(long)]
        week: Option<String>,
        /// Team name or id (admins must name one; managers see their own team).
        #[arg(long)]
        team: Option<String>,
    },
    /// Your own relationship-maintenance scorecard (reps).
    Me {
        /// ISO week (2026-W48) or month (2026-11); default: this week.
        #[arg(long)]
        period: Option<String>,
        /// Also list the records behind every figure.
        #[arg(long)]
        records: bool,
    },
    /// A rep's scorecard (their manager, or an admin).
    Scorecard {
        /// The rep's user name, display name or id.
        #[arg(long)]
        rep: String,
        /// ISO week (2026-W48) or month (2026-11); default: this week.
        #[arg(long)]
        period: Option<String>,
        /// Also list the records behind every figure.
        #[arg(long)]
        records: bool,
    },
}
