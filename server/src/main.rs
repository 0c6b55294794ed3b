//! `rapport-server`: the Rapport sync server, and its admin commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use rapport_client_core::protocol::Role;

mod admin;
mod app;
mod auth;
mod backup;
mod cpu;
mod csv;
mod dashboard;
mod db;
mod demo;
mod error;
mod import;
mod openapi;
mod periods;
mod projection;
mod reports;
mod rules;
mod scorecard;
mod serve;
mod sync;
mod telemetry;
mod webapp;
mod writer;

use app::{AppState, Settings};

/// mimalloc rather than the system allocator: under a burst of syncs many threads
/// allocate and free (the database's workers, verification on the blocking pool), and the
/// system allocator's per-thread arenas kept tens of MiB of freed memory each.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "rapport-server",
    version,
    about = "Rapport sync server for key-account sales teams"
)]
struct Cli {
    /// Where the embedded SQLite database lives (created if missing).
    #[arg(
        long,
        env = "RAPPORT_DATA_DIR",
        default_value = "rapport-data",
        global = true
    )]
    data_dir: PathBuf,
    /// A database URL (sqlite://… or postgres://…); overrides --data-dir.
    #[arg(long, env = "RAPPORT_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "RAPPORT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed the demo company (if missing) and print how to sign in.
    #[arg(long, env = "RAPPORT_DEMO")]
    demo: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "RAPPORT_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "RAPPORT_ACCESS_TOKEN_TTL", default_value_t = 900)]
    access_token_ttl: u64,
    /// Token that lets `POST /v1/admin/companies` create companies (unset: disabled).
    #[arg(long, env = "RAPPORT_OPERATOR_TOKEN", hide_env_values = true)]
    operator_token: Option<String>,
    /// Most changes one sync response carries before it pages.
    #[arg(long, env = "RAPPORT_PULL_PAGE_CHANGES", default_value_t = 2000)]
    pull_page_changes: usize,
    /// Requests a minute one signed-in user may make, on average (0: no limit).
    #[arg(long, env = "RAPPORT_RATE_LIMIT_PER_MINUTE", default_value_t = app::DEFAULT_USER_RATE)]
    rate_limit_per_minute: u32,
    /// Requests one user may make at once before the per-minute rate applies (default: a
    /// minute's worth).
    #[arg(long, env = "RAPPORT_RATE_LIMIT_BURST")]
    rate_limit_burst: Option<u32>,
    /// Sign-in attempts a minute per address, company and user name (0: no limit).
    #[arg(long, env = "RAPPORT_LOGIN_RATE_LIMIT_PER_MINUTE", default_value_t = app::DEFAULT_SIGN_IN_RATE)]
    login_rate_limit_per_minute: u32,
    /// Most bytes one user's pushes may add to stored records; a push that would go past
    /// it is rejected with `quota_exceeded`.
    #[arg(long, env = "RAPPORT_USER_STORAGE_QUOTA", default_value_t = app::DEFAULT_USER_STORAGE_QUOTA)]
    user_storage_quota: u64,
    /// Failed sign-ins a minute from one address, whatever the user names (0: no limit).
    #[arg(long, env = "RAPPORT_LOGIN_ADDRESS_RATE_LIMIT_PER_MINUTE", default_value_t = app::DEFAULT_SIGN_IN_ADDRESS_RATE)]
    login_address_rate_limit_per_minute: u32,
    /// Failed sign-ins a minute on one company and user name, whatever the addresses (0:
    /// no limit).
    #[arg(long, env = "RAPPORT_LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE", default_value_t = app::DEFAULT_SIGN_IN_ACCOUNT_RATE)]
    login_account_rate_limit_per_minute: u32,
    /// Password checks that may wait or run at once; beyond, a sign-in is refused at once
    /// with 503 and Retry-After (default: 32 per core).
    #[arg(long, env = "RAPPORT_SIGN_IN_QUEUE")]
    sign_in_queue: Option<usize>,
    /// Seconds a client has to send a request's headers (and an idle kept-alive
    /// connection to start its next request) before the connection is closed.
    #[arg(long, env = "RAPPORT_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    header_read_timeout_secs: u64,
    /// Largest request head (request line and headers), in bytes; larger is answered 431.
    #[arg(long, env = "RAPPORT_MAX_HEADER_BYTES", default_value_t = 32 * 1024)]
    max_header_bytes: usize,
    /// Most connections open at once; more wait until one closes. Keep it below the
    /// process's open-file limit.
    #[arg(long, env = "RAPPORT_MAX_CONNECTIONS", default_value_t = 1000)]
    max_connections: usize,
    /// Seconds a request may take, body included, before it is answered 408.
    #[arg(long, env = "RAPPORT_REQUEST_TIMEOUT_SECS", default_value_t = 60)]
    request_timeout_secs: u64,
    /// On SIGTERM or Ctrl-C, seconds to let requests in flight finish before stopping
    /// anyway (an unfinished sync is rolled back whole; the device sends it again).
    #[arg(long, env = "RAPPORT_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    shutdown_grace_secs: u64,
    #[command(flatten)]
    telemetry: telemetry::TelemetryArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Administer companies, teams, users and accounts in the database directly.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a company and its first admin.
    CreateCompany {
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
    CreateTeam {
        #[command(flatten)]
        company: Company,
        #[arg(long)]
        name: String,
    },
    /// Create a user (rep, manager or admin).
    CreateUser {
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
    CreateAccount {
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
    /// Put a user on an account's team.
    Assign {
        #[command(flatten)]
        company: Company,
        /// Account name or id.
        #[arg(long)]
        account: String,
        /// User name or id.
        #[arg(long)]
        user: String,
    },
    /// Take a user off an account's team.
    Unassign {
        #[command(flatten)]
        company: Company,
        #[arg(long)]
        account: String,
        #[arg(long)]
        user: String,
    },
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
    /// List a company's teams, users and accounts.
    List {
        #[command(flatten)]
        company: Company,
    },
    #[command(flatten)]
    Backup(backup::BackupCommand),
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

#[derive(Debug, Args)]
struct Company {
    /// The company's short name.
    #[arg(long)]
    company: String,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("'{s}' is not rep, manager or admin"))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init_logging(cli.command.is_some());
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rapport-server: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Admin(AdminCommand::Backup(cmd))) = cli.command {
        return backup::run(cli.database_url.as_deref(), &cli.data_dir, cmd).await;
    }
    let db = db::connect(cli.database_url.as_deref(), &cli.data_dir).await?;
    let settings = Settings {
        max_body_bytes: cli.max_body_bytes,
        access_ttl: Duration::from_secs(cli.access_token_ttl),
        operator_token: cli.operator_token.clone(),
        pull_page_changes: cli.pull_page_changes.max(1),
        user_rate: app::RateQuota::new(cli.rate_limit_per_minute, cli.rate_limit_burst),
        sign_in_rate: app::RateQuota::new(cli.login_rate_limit_per_minute, None),
        user_storage_quota: cli.user_storage_quota,
        sign_in_address_rate: app::RateQuota::new(cli.login_address_rate_limit_per_minute, None),
        sign_in_account_rate: app::RateQuota::new(cli.login_account_rate_limit_per_minute, None),
        sign_in_queue: cli
            .sign_in_queue
            .unwrap_or_else(|| 32 * cpu::cores())
            .max(1),
        request_timeout: Duration::from_secs(cli.request_timeout_secs.max(1)),
        ..Settings::default()
    };
    let state = AppState::new(db, settings).await?;
    if let Some(Command::Admin(cmd)) = cli.command {
        return run_admin(&state, cmd)
            .await
            .map_err(|e| match e.downcast::<error::ApiError>() {
                Ok(api) => anyhow::anyhow!(api.public_message()),
                Err(other) => other,
            });
    }
    let seeded = if cli.demo {
        Some(demo::seed(&state).await?)
    } else {
        None
    };
    let router = telemetry::instrument(app::router(state.clone()), &cli.telemetry, state).await?;
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    // Tests and scripts read this line to find the port.
    println!("Rapport listening on {url}");
    match cli.database_url {
        Some(_) => println!("Database: the given database URL"),
        None => println!("Database: {}", cli.data_dir.join("rapport.db").display()),
    }
    if let Some(seeded) = seeded {
        if seeded {
            println!("Seeded the demo company.");
        }
        println!("{}", demo::banner(&url));
    }
    // On a stop signal: accept nothing new and let requests in flight finish, for at
    // most the grace period. Every sync is one transaction, so one cut off at the
    // deadline is rolled back whole, never half-applied.
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let signalled = stopping.clone();
    let limits = serve::Limits {
        header_read_timeout: Duration::from_secs(cli.header_read_timeout_secs.max(1)),
        max_header_bytes: cli.max_header_bytes.max(1024),
        max_connections: cli.max_connections.max(1),
    };
    let serving = serve::serve(listener, router, limits, shutdown_signal(), move || {
        signalled.notify_one();
    });
    let grace = Duration::from_secs(cli.shutdown_grace_secs);
    tokio::select! {
        () = serving => {}
        () = async {
            stopping.notified().await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(
                "requests still in flight after {}s: stopping anyway",
                grace.as_secs()
            );
        }
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn run_admin(state: &AppState, cmd: AdminCommand) -> anyhow::Result<()> {
    use admin::*;
    let tenant = |c: &Company| {
        let slug = c.company.clone();
        async move { find_company(state, &slug).await }
    };
    match cmd {
        AdminCommand::CreateCompany {
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
        AdminCommand::CreateTeam { company, name } => {
            let t = tenant(&company).await?;
            let team = create_team(state, &t.id, NewTeam { name }).await?;
            println!("created team {} ({})", team.name, team.id);
        }
        AdminCommand::CreateUser {
            company,
            username,
            display_name,
            role,
            team,
            password,
        } => {
            let t = tenant(&company).await?;
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
        AdminCommand::CreateAccount {
            company,
            name,
            industry,
            city,
            lat,
            lon,
        } => {
            let t = tenant(&company).await?;
            let a = create_account(
                state,
                &t.id,
                SYSTEM_AUTHOR,
                NewAccount {
                    name,
                    industry,
                    city,
                    lat,
                    lon,
                },
            )
            .await?;
            println!("created account {} ({})", a.name, a.id);
        }
        AdminCommand::Assign {
            company,
            account,
            user,
        } => {
            let t = tenant(&company).await?;
            assign(state, &t.id, &account, &user).await?;
            println!("{user} is on the team of {account}");
        }
        AdminCommand::Unassign {
            company,
            account,
            user,
        } => {
            let t = tenant(&company).await?;
            unassign(state, &t.id, &account, &user).await?;
            println!("{user} is off the team of {account}");
        }
        AdminCommand::Deactivate { company, user } => {
            let t = tenant(&company).await?;
            let u = update_user(
                state,
                &t.id,
                &user,
                UserUpdate {
                    active: Some(false),
                    team_id: None,
                    password: None,
                },
            )
            .await?;
            println!("deactivated {}", u.username);
        }
        AdminCommand::Devices { company, user } => {
            let t = tenant(&company).await?;
            for d in list_devices(state, &t.id, &user).await? {
                println!(
                    "device  {}  {}{}",
                    d.id,
                    d.name,
                    if d.active { "" } else { " (inactive)" }
                );
            }
        }
        AdminCommand::DeactivateDevice { company, device } => {
            let t = tenant(&company).await?;
            let d = update_device(state, &t.id, &device, DeviceUpdate { active: false }).await?;
            println!("deactivated device {} ({})", d.id, d.name);
        }
        AdminCommand::Rules { company } => {
            let t = tenant(&company).await?;
            let view = get_rules(state, &t.id).await?;
            println!("rules of {} (version {})", t.slug, view.version);
            println!("{}", serde_json::to_string_pretty(&view.rules)?);
        }
        AdminCommand::SetRule {
            company,
            name,
            value,
        } => {
            let t = tenant(&company).await?;
            let value: serde_json::Value = serde_json::from_str(&value)
                .map_err(|_| anyhow::anyhow!("'{value}' is not a number"))?;
            let mut changes = serde_json::Map::new();
            changes.insert(name.clone(), value);
            let view = patch_rules(state, &t.id, &changes).await?;
            println!("{name} set; rules are at version {}", view.version);
        }
        AdminCommand::Backup(_) => anyhow::bail!("backups are taken before connecting"),
        AdminCommand::Import {
            company,
            dry_run,
            json,
            files,
        } => {
            let t = tenant(&company).await?;
            import::cli_import(state, &t.id, &files, dry_run, json).await?;
        }
        AdminCommand::Export { company, to } => {
            let t = tenant(&company).await?;
            for path in import::export(state, &t.id).await?.write_to(&to)? {
                println!("wrote {}", path.display());
            }
        }
        AdminCommand::List { company } => {
            let t = tenant(&company).await?;
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
        }
    }
    Ok(())
}
