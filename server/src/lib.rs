//! The Lapp server: runs the participant-driven parts of an unconference (25/10 scoring,
//! 1-3-9 grouping) for a whole hall at once, over WebSocket.
//!
//! # Layout
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
//! - [`store`]: where events are written before anything is acknowledged.
//! - [`secret`]: facilitator keys and resume tokens.

pub mod actor;
pub mod connection;
pub mod engine;
pub mod http;
pub mod outbox;
pub mod secret;
pub mod session;
pub mod store;

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
}

/// Shared by every request handler and connection.
#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<DashMap<JoinCode, SessionHandle>>,
    pub store: Arc<dyn Store>,
    pub limits: Arc<Limits>,
    pub public_url: Option<String>,
    /// Cancelled when the server shuts down; every connection and actor watches it.
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("serving failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// Serves Lapp on `listener` until `shutdown` resolves, then closes every connection (1001)
/// and waits up to `limits.shutdown_grace` for connections and session actors to end.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let token = CancellationToken::new();
    let state = AppState {
        registry: Arc::new(DashMap::new()),
        store: config.store,
        limits: Arc::new(config.limits),
        public_url: config.public_url,
        shutdown: token.clone(),
        tracker: TaskTracker::new(),
    };
    let tracker = state.tracker.clone();
    let grace = state.limits.shutdown_grace;
    let app = http::router(state);
    let stop = token.clone();
    tokio::spawn(async move {
        shutdown.await;
        stop.cancel();
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(token.cancelled_owned())
        .await?;
    tracker.close();
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        tracing::warn!("some connections or sessions did not finish within the shutdown grace");
    }
    Ok(())
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}
