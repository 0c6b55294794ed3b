//! `rapport-server`: the Rapport sync server, and its admin commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

mod access;
mod admin;
mod app;
mod auth;
mod backup;
mod changelog;
mod clock;
mod commands;
mod cpu;
mod csv;
mod dashboard;
mod db;
mod demo;
mod error;
mod import;
mod keys;
#[cfg(test)]
mod layers;
mod limits;
mod openapi;
mod periods;
mod projection;
mod reports;
mod router;
mod rules;
mod scorecard;
mod serve;
mod sync;
mod telemetry;
mod webapp;
mod writer;

use app::{AppState, Settings};
use commands::AdminCommand;

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
    #[arg(long, env = "RAPPORT_RATE_LIMIT_PER_MINUTE", default_value_t = limits::DEFAULT_USER_RATE)]
    rate_limit_per_minute: u32,
    /// Requests one user may make at once before the per-minute rate applies (default: a
    /// minute's worth).
    #[arg(long, env = "RAPPORT_RATE_LIMIT_BURST")]
    rate_limit_burst: Option<u32>,
    /// Sign-in attempts a minute per address, company and user name (0: no limit).
    #[arg(long, env = "RAPPORT_LOGIN_RATE_LIMIT_PER_MINUTE", default_value_t = limits::DEFAULT_SIGN_IN_RATE)]
    login_rate_limit_per_minute: u32,
    /// Most bytes one user's pushes may add to stored records; a push that would go past
    /// it is rejected with `quota_exceeded`.
    #[arg(long, env = "RAPPORT_USER_STORAGE_QUOTA", default_value_t = app::DEFAULT_USER_STORAGE_QUOTA)]
    user_storage_quota: u64,
    /// Failed sign-ins a minute from one address, whatever the user names (0: no limit).
    #[arg(long, env = "RAPPORT_LOGIN_ADDRESS_RATE_LIMIT_PER_MINUTE", default_value_t = limits::DEFAULT_SIGN_IN_ADDRESS_RATE)]
    login_address_rate_limit_per_minute: u32,
    /// Failed sign-ins a minute on one company and user name, whatever the addresses (0:
    /// no limit).
    #[arg(long, env = "RAPPORT_LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE", default_value_t = limits::DEFAULT_SIGN_IN_ACCOUNT_RATE)]
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
        user_rate: limits::RateQuota::new(cli.rate_limit_per_minute, cli.rate_limit_burst),
        sign_in_rate: limits::RateQuota::new(cli.login_rate_limit_per_minute, None),
        user_storage_quota: cli.user_storage_quota,
        sign_in_address_rate: limits::RateQuota::new(cli.login_address_rate_limit_per_minute, None),
        sign_in_account_rate: limits::RateQuota::new(cli.login_account_rate_limit_per_minute, None),
        sign_in_queue: cli
            .sign_in_queue
            .unwrap_or_else(|| 32 * cpu::cores())
            .max(1),
        request_timeout: Duration::from_secs(cli.request_timeout_secs.max(1)),
        ..Settings::default()
    };
    let state = AppState::new(db, settings).await?;
    if let Some(Command::Admin(cmd)) = cli.command {
        return commands::run(&state, cmd).await.map_err(|e| {
            match e.downcast::<error::ApiError>() {
                Ok(api) => anyhow::anyhow!(api.public_message()),
                Err(other) => other,
            }
        });
    }
    let seeded = if cli.demo {
        Some(demo::seed(&state).await?)
    } else {
        None
    };
    let router = router::service(state, &cli.telemetry).await?;
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
