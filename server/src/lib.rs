//! The Lapp server: runs the participant-driven parts of an unconference (25/10 scoring,
//! 1-3-9 grouping) for a whole hall at once, over WebSocket.
//!
//! # Layout
//! - [`abuse`]: per-address limits and the per-connection message budget.
//! - [`run`]: serves the router on a listener until a shutdown future resolves.
//! - [`http`]: the router, `POST /api/sessions`, `/healthz`, the WebSocket upgrade.
//! - [`connection`]: one WebSocket: a reader task that decodes frames and a writer task that
//!   drains the connection's bounded queue.
//! - [`outbox`]: that queue as the actor sees it, and the close codes.
//! - [`actor`]: one task per session that alone owns its state, commits events in batches
//!   and fans frames out.
//! - [`session`]: a session's state (participants, agenda, activities) as pure decide/apply.
//! - [`engine`]: the activity engines, pure and deterministic; [`engine::scoring`] is the
//!   25/10.
//! - [`store`]: where events are written before anything is acknowledged; SQLite by default,
//!   PostgreSQL for several nodes.
//! - [`owner`]: which node serves a session, when several share a store.
//! - [`export`]: a session's export as CSV.
//! - [`secret`]: facilitator keys and resume tokens.
//! - [`metrics`]: the Prometheus metrics at `/metrics`.
//! - [`web`]: the embedded web client, the join QR code and the security headers.

pub mod abuse;
pub mod actor;
pub mod connection;
pub mod engine;
pub mod export;
pub mod followup;
pub mod http;
pub mod method;
pub mod metrics;
pub mod outbox;
pub mod owner;
pub mod secret;
pub mod session;
pub mod store;
pub mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use lapp_protocol::JoinCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::actor::SessionHandle;
use crate::store::Store;

/// The bounds the server keeps. `Default` holds the values it runs with.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Participants one session admits (`session_full` past it).
    pub max_participants: usize,
    /// Entries in the facilitators' live leaderboard.
    pub leaderboard_entries: usize,
    /// Frames queued for one connection before it counts as too slow (close 4004).
    pub outbox_frames: usize,
    /// Requests queued for one session actor before readers wait.
    pub actor_inbox: usize,
    /// How often progress and the leaderboard may be sent: at most 4 a second.
    pub coalesce: Duration,
    /// How long a new connection has to send `join` (close 4001).
    pub join_timeout: Duration,
    /// How long shutdown waits for connections and actors to finish.
    pub shutdown_grace: Duration,
    /// How often a connection is pinged, busy or not; its first ping comes at a random moment
    /// between half an interval and one and a half after it opens.
    pub ping_interval: Duration,
    /// How long a connection may send nothing, not even a pong, before it is closed. Keep it
    /// well over one and a half ping intervals, or a client that only listens is closed before
    /// its first ping is answered.
    pub silence_timeout: Duration,
    /// Messages one connection may send per second on average (`rate_limited` past it)…
    pub messages_per_second: u32,
    /// …and at once.
    pub message_burst: u32,
    /// Messages refused in a row before the connection is closed (1008).
    pub max_refused_in_a_row: u32,
    /// Connections one address may hold open at once. A hall behind one NAT address is one
    /// address, so this is high.
    pub connections_per_address: u32,
    /// Sessions one address may create per hour.
    pub sessions_per_address_per_hour: u32,
    /// Joins that fail (unknown code, wrong key, foreign token) per address per minute,
    /// against guessing; past it, joins from that address are refused for the minute.
    pub failed_joins_per_address_per_minute: u32,
    /// Whether the per-address limits apply to loopback addresses too. They do not by
    /// default: loopback is this machine (a reverse proxy in front, or a load test), and
    /// behind a proxy every phone would share that one address.
    pub limit_loopback: bool,
    /// The kernel send buffer of each socket, in bytes.
    pub socket_send_buffer: usize,
    /// New participants one session admits per second, after a first `joins_per_second`
    /// at once; the others wait their turn (`0`: no pacing). A real hall arriving together
    /// is only slowed, while a flood of bots cannot outrun the facilitator's lock.
    pub joins_per_second: u32,
    /// The longest a new participant waits for their turn before being refused
    /// (`rate_limited`).
    pub join_queue_patience: Duration,
}

impl Limits {
    /// Whether the per-address limits apply to `address`.
    pub fn limits_address(&self, address: std::net::IpAddr) -> bool {
        self.limit_loopback || !address.is_loopback()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_participants: 5_000,
            leaderboard_entries: 50,
            outbox_frames: 64,
            actor_inbox: 4_096,
            coalesce: Duration::from_millis(250),
            join_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
            ping_interval: Duration::from_secs(20),
            silence_timeout: Duration::from_secs(60),
            messages_per_second: 10,
            message_burst: 30,
            max_refused_in_a_row: 50,
            connections_per_address: 5_000,
            sessions_per_address_per_hour: 30,
            failed_joins_per_address_per_minute: 120,
            limit_loopback: false,
            socket_send_buffer: 64 * 1024,
            joins_per_second: 50,
            join_queue_patience: Duration::from_secs(30),
        }
    }
}

/// What the server runs with.
#[derive(Clone)]
pub struct Config {
    pub limits: Limits,
    /// The address people reach the server at, for the links it hands out; without it, the
    /// request's `Host` is used.
    pub public_url: Option<String>,
    pub store: Arc<dyn Store>,
    /// Sessions older than this are deleted, at start and once a day.
    pub retention: Duration,
    /// Serve the web client from this folder instead of the copy built into the binary.
    pub web_dir: Option<std::path::PathBuf>,
    /// When set, creating a session needs `Authorization: Bearer <token>`.
    pub create_token: Option<String>,
    /// Who people contact about their data, shown on the privacy page.
    pub privacy_contact: Option<String>,
    /// Only requests from these addresses have their `Forwarded` / `X-Forwarded-For` believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// This node's name, in every response's `x-lapp-node` header.
    pub node: Option<String>,
}

impl Config {
    pub fn new(store: Arc<dyn Store>) -> Config {
        Config {
            limits: Limits::default(),
            public_url: None,
            store,
            retention: Duration::from_secs(30 * 86_400),
            web_dir: None,
            create_token: None,
            privacy_contact: None,
            trusted_proxies: Vec::new(),
            node: None,
        }
    }
}

/// Shared by every request handler and connection.
#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<DashMap<JoinCode, SessionHandle>>,
    pub store: Arc<dyn Store>,
    pub limits: Arc<Limits>,
    pub public_url: Option<String>,
    pub web_dir: Option<std::path::PathBuf>,
    /// Cancelled when the server shuts down; every connection and actor watches it.
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
    pub connections: Arc<abuse::Connections>,
    pub sessions_created: Arc<abuse::Windows>,
    pub failed_joins: Arc<abuse::Windows>,
    pub create_token: Option<Arc<str>>,
    pub privacy_contact: Option<Arc<str>>,
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    pub retention: Duration,
    /// A hash of the web client's files, told in every `welcome`.
    pub client_version: Arc<str>,
    /// Held while a session is claimed from a shared store and loaded, one at a time.
    pub claiming: Arc<tokio::sync::Mutex<()>>,
    /// This node's name, in every response's `x-lapp-node` header.
    pub node: Option<axum::http::HeaderValue>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("serving failed: {0}")]
    Serve(#[from] std::io::Error),
    #[error("could not restore the sessions: {0}")]
    Restore(#[from] store::StoreError),
}

/// Serves Lapp on `listener` until `shutdown` resolves, then closes every connection (1001)
/// and waits up to `limits.shutdown_grace` for connections and session actors to end.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    metrics::handle();
    let token = CancellationToken::new();
    let client_version = web::client_version(config.web_dir.as_deref()).into();
    let state = AppState {
        registry: Arc::new(DashMap::new()),
        store: config.store,
        limits: Arc::new(config.limits),
        public_url: config.public_url,
        web_dir: config.web_dir,
        shutdown: token.clone(),
        tracker: TaskTracker::new(),
        connections: Arc::default(),
        sessions_created: Arc::default(),
        failed_joins: Arc::default(),
        create_token: config.create_token.map(Arc::from),
        privacy_contact: config.privacy_contact.map(Arc::from),
        trusted_proxies: config.trusted_proxies.into(),
        retention: config.retention,
        client_version,
        claiming: Arc::default(),
        node: config.node.and_then(|node| axum::http::HeaderValue::try_from(node).ok()),
    };
    if state.store.shared() {
        tracing::info!("sessions are shared with other nodes: each starts here when a client asks for it");
    } else {
        let restored = restore_sessions(&state, config.retention)?;
        tracing::info!(sessions = restored, "sessions restored");
    }
    tokio::spawn(expire_daily(state.clone(), config.retention));
    let tracker = state.tracker.clone();
    let grace = state.limits.shutdown_grace;
    let state_send_buffer = state.limits.socket_send_buffer;
    let app = http::router(state);
    let stop = token.clone();
    tokio::spawn(async move {
        shutdown.await;
        stop.cancel();
    });
    let send_buffer = state_send_buffer;
    let listener = axum::serve::ListenerExt::tap_io(listener, move |tcp: &mut tokio::net::TcpStream| {
        // Small frames should leave at once, not wait to be coalesced.
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "could not set TCP_NODELAY");
        }
        // A bounded kernel buffer per socket: a phone that stops reading fills it quickly and
        // is then closed (4004) instead of holding megabytes of frames it will never read.
        if let Err(err) = socket2::SockRef::from(&*tcp).set_send_buffer_size(send_buffer) {
            tracing::debug!(%err, "could not set SO_SNDBUF");
        }
    });
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(token.cancelled_owned())
        .await?;
    tracker.close();
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        tracing::warn!("some connections or sessions did not finish within the shutdown grace");
    }
    Ok(())
}

/// Deletes expired sessions, then replays every other one from the store and starts its actor.
fn restore_sessions(state: &AppState, retention: Duration) -> Result<usize, store::StoreError> {
    let cutoff = now_ms().saturating_sub(retention.as_millis() as u64);
    for code in state.store.created_before(cutoff)? {
        let kept = state.store.load(code)?.map(|(record, events)| session::Session::replay(record, &events));
        if kept.is_some_and(|session| followup::kept_until(&session) > now_ms()) {
            continue;
        }
        state.store.delete(code)?;
        tracing::info!(%code, "expired session deleted");
    }
    let sessions = state.store.load_all()?;
    let restored = sessions.len();
    for (record, events) in sessions {
        let mut session = session::Session::replay(record, &events);
        session.hold_timer_after_restart();
        owner::start(state, session, CancellationToken::new());
    }
    Ok(restored)
}

/// Once a day, deletes the sessions older than `retention`. A single node did this at start
/// already; with a shared store, every node does it at start too, each for the sessions it can
/// claim (a session another node serves is that node's to delete).
async fn expire_daily(state: AppState, retention: Duration) {
    let mut daily = tokio::time::interval(Duration::from_secs(86_400));
    if !state.store.shared() {
        daily.tick().await; // the first tick is now, and start-up has just done this
    }
    loop {
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            _ = daily.tick() => {}
        }
        let cutoff = now_ms().saturating_sub(retention.as_millis() as u64);
        let store = Arc::clone(&state.store);
        let expired = match tokio::task::spawn_blocking(move || store.created_before(cutoff)).await {
            Ok(Ok(expired)) => expired,
            Ok(Err(err)) => {
                tracing::error!(%err, "could not list expired sessions");
                continue;
            }
            Err(panicked) => {
                tracing::error!(%panicked, "could not list expired sessions");
                continue;
            }
        };
        for code in expired {
            let deleted = match owner::running(&state, code) {
                Some(handle) => {
                    let session = handle.snapshot().await;
                    if session.is_some_and(|session| followup::kept_until(&session) > now_ms()) {
                        continue;
                    }
                    delete_session(&state, code, &handle).await.map(|()| true)
                }
                None => owner::expire_unserved(&state, code).await,
            };
            match deleted {
                Ok(true) => tracing::info!(%code, "expired session deleted"),
                Ok(false) => {}
                Err(err) => tracing::error!(%err, %code, "could not delete an expired session"),
            }
        }
    }
}

/// Erases a session: its clients are closed with 4003, the store forgets it, and its code is
/// free again.
pub(crate) async fn delete_session(
    state: &AppState,
    code: JoinCode,
    handle: &SessionHandle,
) -> Result<(), store::StoreError> {
    // Whatever the store says, the session is over here: its actor has stopped.
    let deleted = handle.delete().await;
    // Only this actor: a newer one may serve the code by now.
    state.registry.remove_if(&code, |_, registered| registered.is(handle));
    deleted
}

/// The log filter the server runs with: `RUST_LOG`-style `directives`, except that the
/// WebSocket library never logs below `info`, because at `debug` and `trace` it logs every
/// frame's payload, and payloads carry resume tokens and keys.
pub fn log_filter(directives: &str) -> tracing_subscriber::EnvFilter {
    let quiet = ["tungstenite=info", "tokio_tungstenite=info"];
    quiet.iter().fold(tracing_subscriber::EnvFilter::new(directives), |filter, directive| {
        match directive.parse() {
            Ok(directive) => filter.add_directive(directive),
            Err(_) => filter,
        }
    })
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}
