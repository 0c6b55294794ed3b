//! The `admin` subcommands: companies, teams, users, accounts, rules and data, written
//! straight into the database (backups aside: see [`crate::backup`]). Each group of
//! subcommands has its own runner, which prints what it did.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rapport_client_core::protocol::Role;

use crate::admin::{
    DeviceUpdate, NewAccount, NewCompany, NewTeam, NewUser, SYSTEM_AUTHOR, UserUpdate, assign,
    create_account, create_company, create_team, create_user, find_company, find_team, get_rules,
    list_accounts, list_devices, list_teams, list_users, patch_rules, unassign, update_device,
    update_user,
};
use crate::app::AppState;
use crate::{backup, import};

/// Administer companies, teams, users and accounts in the database directly.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    #[command(flatten)]
    Create(CreateCommand),
    #[command(flatten)]
    Access(AccessCommand),
    #[command(flatten)]
    Rules(RulesCommand),
    /// List a company's teams, users and accounts.
    List {
        #[command(flatten)]
        company: Company,
    },
    #[command(flatten)]
    Backup(backup::BackupCommand),
    #[command(flatten)]
    Data(DataCommand),
}

/// Creating a company and what it is made of.
#[derive(Debug, Subcommand)]
pub enum CreateCommand {
    /// Create a company and its first admin.
    #[command(name = "create-company")]
    Company {
        /// Short name used to sign in, e.g. acme.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// IANA time zone for weeks and months.
        #[arg(long, default_value = "Asia/Shanghai")]
        time_zone: String,
        #[arg(long)]
        admin_username: String,
        #[arg(long, env = "RAPPORT_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
    },
    /// Create a team.
    #[command(name = "create-team")]
    Team {
        #[command(flatten)]
        company: Company,
        #[arg(long)]
        name: String,
    },
    /// Create a user (rep, manager or admin).
    #[command(name = "create-user")]
    User {
        #[command(flatten)]
        company: Company,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// rep, manager or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Team name or id (required for managers).
        #[arg(long)]
        team: Option<String>,
        #[arg(long, env = "RAPPORT_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Create a key account.
    #[command(name = "create-account")]
    Account {
        #[command(flatten)]
        company: Company,
        #[arg(long)]
        name: String,
        #[arg(long)]
        industry: Option<String>,
        #[arg(long)]
        city: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        lat: Option<f64>,
        #[arg(long, allow_hyphen_values = true)]
        lon: Option<f64>,
    },
}

/// Who works on which account, and who may sign in on what.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Put a user on an account's team.
    Assign(TeamMember),
    /// Take a user off an account's team.
    Unassign(TeamMember),
    /// Deactivate a user: their tokens and dashboard sessions end at once, for good. The
    /// company's only active admin cannot be deactivated.
    Deactivate {
        #[command(flatten)]
        company: Company,
        #[arg(long)]
        user: String,
    },
    /// List the devices a user has signed in on.
    Devices {
        #[command(flatten)]
        company: Company,
        /// User name or id.
        #[arg(long)]
        user: String,
    },
    /// Deactivate one device (a lost phone): its tokens stop working at once; the user's
    /// other devices keep working.
    DeactivateDevice {
        #[command(flatten)]
        company: Company,
        /// Device id (see `admin devices`).
        #[arg(long)]
        device: String,
    },
}

/// A company's rules.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Show a company's rules (value weights, tiers, cadences, check-in radius, late
    /// threshold, favour limit, weekly target).
    Rules {
        #[command(flatten)]
        company: Company,
    },
    /// Change one rule, e.g. --name favour_limit --value 800.
    SetRule {
        #[command(flatten)]
        company: Company,
        #[arg(long)]
        name: String,
        /// The new value (a number).
        #[arg(long, allow_hyphen_values = true)]
        value: String,
    },
}

/// A company's data in and out, in files.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Import teams, users, accounts, contacts and account teams from CSV files and Excel
    /// workbooks (see docs/import.md); all or nothing.
    Import {
        #[command(flatten)]
        company: Company,
        /// Report what would happen to each row; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the whole report, every row, as JSON.
        #[arg(long)]
        json: bool,
        /// CSV (UTF-8) or .xlsx files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Export every record of a company into a directory, as JSON lines and CSV.
    Export {
        #[command(flatten)]
        company: Company,
        #[arg(long)]
        to: PathBuf,
    },
}

/// A user on an account's team.
#[derive(Debug, Args)]
pub struct TeamMember {
    #[command(flatten)]
    company: Company,
    /// Account name or id.
    #[arg(long)]
    account: String,
    /// User name or id.
    #[arg(long)]
    user: String,
}

#[derive(Debug, Args)]
pub struct Company {
    /// The company's short name.
    #[arg(long)]
    company: String,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("'{s}' is not rep, manager or admin"))
}

/// Runs one admin subcommand (a backup is run before connecting, by `main`).
pub async fn run(state: &AppState, cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::Create(cmd) => run_create(state, cmd).await,
        AdminCommand::Access(cmd) => run_access(state, cmd).await,
        AdminCommand::Rules(cmd) => run_rules(state, cmd).await,
        AdminCommand::List { company } => run_list(state, &company).await,
        AdminCommand::Backup(_) => anyhow::bail!("backups are taken before connecting"),
        AdminCommand::Data(cmd) => run_data(state, cmd).await,
    }
}

/// The company named on the command line.
async fn tenant(state: &AppState, company: &Company) -> anyhow::Result<crate::db::tenants::Model> {
    Ok(find_company(state, &company.company).await?)
}

async fn run_create(state: &AppState, cmd: CreateCommand) -> anyhow::Result<()> {
    match cmd {
        CreateCommand::Company {
            slug,
            name,
            time_zone,
            admin_username,
            admin_password,
        } => {
            let c = create_company(
                state,
                NewCompany {
                    slug,
                    name,
                    time_zone,
                    admin_username,
                    admin_password,
                },
            )
            .await?;
            println!("created company {} ({})", c.slug, c.id);
        }
        CreateCommand::Team { company, name } => {
            let t = tenant(state, &company).await?;
            let team = create_team(state, &t.id, NewTeam { name }).await?;
            println!("created team {} ({})", team.name, team.id);
        }
        CreateCommand::User {
            company,
            username,
            display_name,
            role,
            team,
            password,
        } => {
            let t = tenant(state, &company).await?;
            let team_id = match team {
                Some(name) => Some(find_team(state, &t.id, &name).await?.id),
                None => None,
            };
            let u = create_user(
                state,
                &t.id,
                NewUser {
                    username,
                    display_name,
                    password,
                    role,
                    team_id,
                },
            )
            .await?;
            println!("created {} {} ({})", u.role, u.username, u.id);
        }
        CreateCommand::Account {
            company,
            name,
            industry,
            city,
            lat,
            lon,
        } => {
            let t = tenant(state, &company).await?;
            let new = NewAccount {
                name,
                industry,
                city,
                lat,
                lon,
            };
            let a = create_account(state, &t.id, SYSTEM_AUTHOR, new).await?;
            println!("created account {} ({})", a.name, a.id);
        }
    }
    Ok(())
}

async fn run_access(state: &AppState, cmd: AccessCommand) -> anyhow::Result<()> {
    match cmd {
        AccessCommand::Assign(m) => {
            let t = tenant(state, &m.company).await?;
            assign(state, &t.id, &m.account, &m.user).await?;
            println!("{} is on the team of {}", m.user, m.account);
        }
        AccessCommand::Unassign(m) => {
            let t = tenant(state, &m.company).await?;
            unassign(state, &t.id, &m.account, &m.user).await?;
            println!("{} is off the team of {}", m.user, m.account);
        }
        AccessCommand::Deactivate { company, user } => {
            let t = tenant(state, &company).await?;
            let update = UserUpdate {
                active: Some(false),
                team_id: None,
                password: None,
            };
            let u = update_user(state, &t.id, &user, update).await?;
            println!("deactivated {}", u.username);
        }
        AccessCommand::Devices { company, user } => {
            let t = tenant(state, &company).await?;
            for d in list_devices(state, &t.id, &user).await? {
                println!(
                    "device  {}  {}{}",
                    d.id,
                    d.name,
                    if d.active { "" } else { " (inactive)" }
                );
            }
        }
        AccessCommand::DeactivateDevice { company, device } => {
            let t = tenant(state, &company).await?;
            let d = update_device(state, &t.id, &device, DeviceUpdate { active: false }).await?;
            println!("deactivated device {} ({})", d.id, d.name);
        }
    }
    Ok(())
}

async fn run_rules(state: &AppState, cmd: RulesCommand) -> anyhow::Result<()> {
    match cmd {
        RulesCommand::Rules { company } => {
            let t = tenant(state, &company).await?;
            let view = get_rules(state, &t.id).await?;
            println!("rules of {} (version {})", t.slug, view.version);
            println!("{}", serde_json::to_string_pretty(&view.rules)?);
        }
        RulesCommand::SetRule {
            company,
            name,
            value,
        } => {
            let t = tenant(state, &company).await?;
            let value: serde_json::Value = serde_json::from_str(&value)
                .map_err(|_| anyhow::anyhow!("'{value}' is not a number"))?;
            let mut changes = serde_json::Map::new();
            changes.insert(name.clone(), value);
            let view = patch_rules(state, &t.id, &changes).await?;
            println!("{name} set; rules are at version {}", view.version);
        }
    }
    Ok(())
}

async fn run_list(state: &AppState, company: &Company) -> anyhow::Result<()> {
    let t = tenant(state, company).await?;
    println!("company {} ({}), time zone {}", t.slug, t.name, t.time_zone);
    for team in list_teams(state, &t.id).await? {
        println!("team    {}  {}", team.id, team.name);
    }
    for u in list_users(state, &t.id).await? {
        println!(
            "user    {}  {:<12} {:<8} {}{}",
            u.id,
            u.username,
            u.role,
            u.display_name,
            if u.active { "" } else { " (inactive)" }
        );
    }
    for a in list_accounts(state, &t.id).await? {
        println!("account {}  {}  team: {}", a.id, a.name, a.team.len());
    }
    Ok(())
}

async fn run_data(state: &AppState, cmd: DataCommand) -> anyhow::Result<()> {
    match cmd {
        DataCommand::Import {
            company,
            dry_run,
            json,
            files,
        } => {
            let t = tenant(state, &company).await?;
            import::cli_import(state, &t.id, &files, dry_run, json).await?;
        }
        DataCommand::Export { company, to } => {
            let t = tenant(state, &company).await?;
            for path in import::export(state, &t.id).await?.write_to(&to)? {
                println!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}
