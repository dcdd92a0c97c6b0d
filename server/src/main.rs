//! The `lapp` binary: reads its settings, sets up logging, binds, and runs the server until
//! Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use lapp_server::store::Store;
use lapp_server::store::postgres::PostgresStore;
use lapp_server::store::sqlite::{SqliteStore, Sync};
use lapp_server::{Config, Limits};

/// Lapp: live 25/10 scoring and 1-3-9 grouping for a whole hall, on attendees' phones.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LAPP_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Folder for the server's data.
    #[arg(long, env = "LAPP_DATA_DIR", default_value = "./lapp-data")]
    data_dir: PathBuf,
    /// The address people reach this server at (e.g. https://lapp.example.org), used in the
    /// links handed out; without it, the request's Host header is used.
    #[arg(long, env = "LAPP_PUBLIC_URL")]
    public_url: Option<String>,
    /// Keep sessions in PostgreSQL (`postgres://user@host:port/database`) instead of SQLite in
    /// the data folder, so that several nodes behind a proxy share them (deploy/README.md).
    #[arg(long, env = "LAPP_STORE", hide_env_values = true)]
    store: Option<String>,
    /// This node's name, sent in every response's `x-lapp-node` header.
    #[arg(long, env = "LAPP_NODE")]
    node: Option<String>,
    /// How hard the store works to make each commit durable: `normal` survives a crash of
    /// the process, `full` also a loss of power (every commit waits for the disk).
    #[arg(long, env = "LAPP_SYNC", value_enum, default_value = "normal")]
    sync: Sync,
    /// Sessions older than this many days are deleted (at start and daily).
    #[arg(long, env = "LAPP_RETENTION_DAYS", default_value_t = 30)]
    retention_days: u64,
    /// Serve the web client from this folder (for editing it) instead of the copy built in.
    #[arg(long, env = "LAPP_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// Most participants one session admits.
    #[arg(long, env = "LAPP_MAX_PARTICIPANTS", default_value_t = Limits::default().max_participants)]
    max_participants: usize,
    /// New participants one session admits per second (after as many at once); the rest wait
    /// their turn, up to 30 s. 0 admits everyone at once.
    #[arg(long, env = "LAPP_JOINS_PER_SECOND", default_value_t = Limits::default().joins_per_second)]
    joins_per_second: u32,
    /// When set, creating a session needs `Authorization: Bearer <token>` (the home page asks
    /// for it). Unset, anyone who reaches the server may create sessions.
    #[arg(long, env = "LAPP_CREATE_TOKEN", hide_env_values = true)]
    create_token: Option<String>,
    /// Who people contact about their data (a name and an address), on the privacy page.
    #[arg(long, env = "LAPP_PRIVACY_CONTACT")]
    privacy_contact: Option<String>,
    /// Reverse proxies (addresses or CIDR blocks, comma-separated) whose `Forwarded` or
    /// `X-Forwarded-For` header names the client; from anywhere else those headers are ignored.
    #[arg(long, env = "LAPP_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Shut down when standard input reaches its end: a program that starts the server with a
    /// pipe (a load test) takes it down with it when it exits, however it exits.
    #[arg(long)]
    exit_with_stdin: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(lapp_server::log_filter(
            &std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        ))
        .init();
    let args = Args::parse();
    // A hall is thousands of sockets: allow as many open files as the system lets us.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(err) => tracing::warn!(%err, "could not raise the open-file limit"),
    }
    let listener = listen(args.listen).with_context(|| format!("could not listen on {}", args.listen))?;
    let store: Arc<dyn Store> = match args.store.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Arc::new(PostgresStore::connect(url).await.context("could not connect to the PostgreSQL store")?)
        }

        Some(_) => {
            anyhow::bail!("--store takes a postgres:// address; without it, sessions are kept in SQLite")
        }
        None => Arc::new(
            SqliteStore::open(&args.data_dir, args.sync)
                .with_context(|| format!("could not open the store in {}", args.data_dir.display()))?,
        ),
    };
    let config = Config {
        limits: Limits {
            max_participants: args.max_participants,
            joins_per_second: args.joins_per_second,
            ..Limits::default()
        },
        public_url: args.public_url,
        store,
        retention: Duration::from_secs(args.retention_days.saturating_mul(86_400)),
        web_dir: args
            .web_dir
            .as_deref()
            .map(lapp_server::web::check_web_dir)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        create_token: args.create_token.filter(|token| !token.trim().is_empty()),
        privacy_contact: args.privacy_contact,
        trusted_proxies: args.trusted_proxies,
        node: args.node,
    };
    tracing::info!(listen = %args.listen, data_dir = %args.data_dir.display(), "lapp serving on http://{}", args.listen);
    let exit_with_stdin = args.exit_with_stdin;
    let shutdown = async move {
        tokio::select! {
            () = shutdown_signal() => {}
            () = stdin_closed(), if exit_with_stdin => tracing::info!("standard input closed: shutting down"),
        }
    };
    lapp_server::run(listener, config, shutdown).await?;
    tracing::info!("lapp stopped");
    Ok(())
}

/// Binds with room for a hall connecting at once: tokio's `bind` keeps only 128 connections
/// waiting to be accepted, and the rest of a burst would wait a second to retry.
fn listen(address: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(4_096)
}

/// An address (`10.0.0.5`) or a block (`10.0.0.0/8`).
fn parse_proxy(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is neither an address nor a CIDR block"))
}

/// Resolves when standard input reaches its end (or cannot be read).
async fn stdin_closed() {
    use tokio::io::AsyncReadExt;
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0u8; 256];
    while matches!(stdin.read(&mut buffer).await, Ok(read) if read > 0) {}
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
