//! The driver's WebSocket clients: connecting from a chosen loopback source address with small
//! buffers, joining a session (at the URL that names its join code, so a proxy in front of
//! several nodes routes it to the node serving the session), and counting every frame in and
//! out.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use lapp_protocol::{ClientFrame, ClientMsg, ErrorCode, Join, JoinCode, ServerMsg, Welcome};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// Connections being opened at once, as a hall of phones joining within seconds would. A
/// server whose accept backlog is shorter (tokio's `TcpListener::bind` keeps 128) drops some
/// SYNs, and each costs its client a one-second retry: that shows in the connect p99.
pub const MAX_CONNECTING: usize = 200;

/// How long one connection may take from TCP connect to `welcome`.
const JOIN_PATIENCE: Duration = Duration::from_secs(30);

/// The close code of a node that does not serve the session: another live node does, and the
/// client should come back after a backoff (by then the proxy may route it there, or that node
/// may have gone and this one taken the session over).
pub const SERVED_ELSEWHERE: u16 = 4006;

/// How long a `join` keeps coming back after [`SERVED_ELSEWHERE`] before it fails.
const ELSEWHERE_PATIENCE: Duration = Duration::from_secs(60);

/// The response header naming the node that answered.
const NODE_HEADER: &str = "x-lapp-node";

/// Most connections one run may open: every run is bounded.
pub const MAX_CLIENTS: usize = 100_000;

/// How long client tasks get to close their connections at the end of a run.
const FAREWELL: Duration = Duration::from_secs(10);

/// Buffers sized for small JSON frames, as the Lapp server sizes its own: with tungstenite's
/// 128 KiB defaults 19,000 clients would not fit in memory.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(256 * 1024)
}

/// Text frames and their payload bytes, both ways, over every client of a run.
#[derive(Debug, Default)]
pub struct Traffic {
    pub frames_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub frames_out: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Joins a node answered with [`SERVED_ELSEWHERE`].
    pub served_elsewhere: AtomicU64,
}

impl Traffic {
    fn received(&self, bytes: usize) {
        self.frames_in.fetch_add(1, Ordering::Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    fn sent(&self, bytes: usize) {
        self.frames_out.fetch_add(1, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// Marks an error as the connection's end (closed, reset, refused, or no answer in time),
/// as opposed to a frame the driver could not make sense of: a phone that loses its
/// connection comes back, one that is sent nonsense does not.
#[derive(Debug)]
pub struct Disconnected;

impl std::fmt::Display for Disconnected {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("disconnected")
    }
}

/// Whether `err` is a connection's end (see [`Disconnected`]).
pub fn is_disconnect(err: &anyhow::Error) -> bool {
    err.downcast_ref::<Disconnected>().is_some()
}

/// The server closed the connection with this close code (1005: none given).
#[derive(Debug)]
pub struct ClosedBy {
    pub code: u16,
}

impl std::fmt::Display for ClosedBy {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "the server closed the connection ({})", self.code)
    }
}

impl std::error::Error for ClosedBy {}

/// Whether `err` is a node saying another node serves the session ([`SERVED_ELSEWHERE`]).
pub fn is_served_elsewhere(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| cause.downcast_ref::<ClosedBy>().is_some_and(|closed| closed.code == SERVED_ELSEWHERE))
}

/// A `join` answered with an `error` frame.
#[derive(Debug)]
pub struct JoinRefused {
    pub code: ErrorCode,
    pub message: String,
}

impl std::fmt::Display for JoinRefused {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "join refused: {}: {}", self.code, self.message)
    }
}

impl std::error::Error for JoinRefused {}

/// Opens client connections to one server, spreading them over loopback source addresses.
pub struct Connector {
    server: SocketAddr,
    sources: u8,
    next_source: AtomicUsize,
    pub traffic: Arc<Traffic>,
}

impl Connector {
    /// `sources` addresses from 127.0.0.1 up: one address has only ~28,000 ephemeral ports.
    pub fn new(server: SocketAddr, sources: u8) -> Connector {
        Connector {
            server,
            sources: sources.max(1),
            next_source: AtomicUsize::new(0),
            traffic: Arc::new(Traffic::default()),
        }
    }

    /// A WebSocket to the server's `/ws`, upgraded and ready.
    pub async fn connect(&self) -> anyhow::Result<Client> {
        self.open(None).await.context(Disconnected)
    }

    /// A WebSocket to `/ws?code=` the session's join code, upgraded and ready.
    pub async fn connect_to(&self, code: JoinCode) -> anyhow::Result<Client> {
        self.open(Some(code)).await.context(Disconnected)
    }

    async fn open(&self, code: Option<JoinCode>) -> anyhow::Result<Client> {
        let socket = TcpSocket::new_v4().context("TCP socket")?;
        if self.sources > 1 {
            let source = self.next_source.fetch_add(1, Ordering::Relaxed) % usize::from(self.sources);
            let ip = Ipv4Addr::new(127, 0, 0, 1 + source as u8);
            socket.bind(SocketAddr::new(ip.into(), 0)).with_context(|| format!("bind to {ip}"))?;
        }
        let stream =
            socket.connect(self.server).await.with_context(|| format!("connect to {}", self.server))?;
        stream.set_nodelay(true)?;
        let url = ws_url(self.server, code);
        let (ws, response) = tokio_tungstenite::client_async_with_config(url, stream, Some(ws_config()))
            .await
            .context("WebSocket upgrade")?;
        let node = response.headers().get(NODE_HEADER).and_then(|name| name.to_str().ok()).map(str::to_owned);
        Ok(Client { ws, traffic: Arc::clone(&self.traffic), node })
    }

    /// A connection that has sent `join` and received its `welcome`. A node that answers
    /// [`SERVED_ELSEWHERE`] is tried again after the web client's backoff, for up to
    /// [`ELSEWHERE_PATIENCE`].
    pub async fn join(&self, join: Join) -> anyhow::Result<(Client, Welcome)> {
        let mut backoff = crate::crash::Backoff::default();
        let started = Instant::now();
        loop {
            match self.join_once(join.clone()).await {
                Err(err) if is_served_elsewhere(&err) && started.elapsed() < ELSEWHERE_PATIENCE => {
                    tokio::time::sleep(backoff.next_wait(rand::random())).await;
                }
                joined => return joined,
            }
        }
    }

    /// One try at [`Connector::join`]: a [`SERVED_ELSEWHERE`] answer fails it like any
    /// disconnection.
    pub async fn join_once(&self, join: Join) -> anyhow::Result<(Client, Welcome)> {
        let joining = async {
            let mut client = self.connect_to(join.code).await?;
            let welcome = client.join(join).await;
            if welcome.as_ref().is_err_and(is_served_elsewhere) {
                self.traffic.served_elsewhere.fetch_add(1, Ordering::Relaxed);
            }
            Ok((client, welcome?))
        };
        match tokio::time::timeout(JOIN_PATIENCE, joining).await {
            Ok(joined) => joined,
            Err(_) => Err(anyhow::anyhow!("no welcome within {JOIN_PATIENCE:?}").context(Disconnected)),
        }
    }
}

/// One WebSocket client. Reading also answers the server's pings (tungstenite queues the pong
/// and sends it on the next read or write), so a client that keeps reading stays alive.
pub struct Client {
    ws: WebSocketStream<TcpStream>,
    traffic: Arc<Traffic>,
    /// The node that answered the upgrade (its `x-lapp-node` header), behind a proxy.
    node: Option<String>,
}

impl Client {
    /// The node that answered the upgrade, if the server names itself.
    pub fn node(&self) -> Option<&str> {
        self.node.as_deref()
    }

    pub async fn send(&mut self, frame: &ClientFrame) -> anyhow::Result<()> {
        self.send_text(frame.encode()).await
    }

    pub async fn send_text(&mut self, text: String) -> anyhow::Result<()> {
        self.traffic.sent(text.len());
        self.ws.send(Message::text(text)).await.context("send").context(Disconnected)
    }

    /// The next text frame; an error once the connection is closed. Cancel-safe: the only
    /// await is the stream's `next`.
    pub async fn recv_text(&mut self) -> anyhow::Result<Utf8Bytes> {
        self.read_text().await.context(Disconnected)
    }

    async fn read_text(&mut self) -> anyhow::Result<Utf8Bytes> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    self.traffic.received(text.len());
                    return Ok(text);
                }
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map_or(1005, |frame| u16::from(frame.code));
                    return Err(ClosedBy { code }.into());
                }
                Some(Ok(_)) => continue, // pings (answered by tungstenite), pongs, binary
                Some(Err(err)) => return Err(err).context("read"),
                None => bail!("the connection ended"),
            }
        }
    }

    /// The next server frame, decoded. Cancel-safe like [`Client::recv_text`].
    pub async fn recv(&mut self) -> anyhow::Result<ServerMsg> {
        Ok(self.recv_timed().await?.0)
    }

    /// The next server frame, decoded, and when it arrived: the time is taken before the
    /// frame is decoded, as the baseline's listeners take theirs, so both measure the same.
    pub async fn recv_timed(&mut self) -> anyhow::Result<(ServerMsg, std::time::Instant)> {
        let text = self.recv_text().await?;
        let arrived = std::time::Instant::now();
        let msg = ServerMsg::decode(text.as_str())
            .with_context(|| format!("a frame not in the protocol: {text}"))?;
        Ok((msg, arrived))
    }

    /// Sends `join` and waits for `welcome`; an `error` answer fails.
    pub async fn join(&mut self, join: Join) -> anyhow::Result<Welcome> {
        self.send(&ClientFrame::new(None, ClientMsg::Join(join))).await?;
        loop {
            match self.recv().await? {
                ServerMsg::Welcome(welcome) => return Ok(*welcome),
                ServerMsg::Error { code, message, .. } => return Err(JoinRefused { code, message }.into()),
                _ => continue,
            }
        }
    }

    /// Closes from this side, as a phone leaving the hall does. A peer already gone has
    /// nothing left to tell, so a failure is of no interest.
    pub async fn close(mut self) {
        let _gone = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }
}

/// The WebSocket URL of `server`: `/ws`, with `?code=` the session's join code when there is
/// one, which is what a proxy in front of several nodes routes by.
fn ws_url(server: SocketAddr, code: Option<JoinCode>) -> String {
    match code {
        Some(code) => format!("ws://{server}/ws?code={code}"),
        None => format!("ws://{server}/ws"),
    }
}

/// Tells every client task to leave, waits a bounded while for them to close, and drops
/// whoever is still there.
pub async fn send_home(clients: &mut JoinSet<()>, stop: &watch::Sender<bool>) {
    // An error only means every client has gone already.
    let _all_gone = stop.send(true);
    let all_left = async { while clients.join_next().await.is_some() {} };
    if tokio::time::timeout(FAREWELL, all_left).await.is_err() {
        clients.abort_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_s_socket_names_its_join_code() {
        let server: SocketAddr = "127.0.0.1:8080".parse().expect("an address");
        let code = JoinCode::from_number(483_920).expect("a code");
        assert_eq!(ws_url(server, Some(code)), "ws://127.0.0.1:8080/ws?code=483920");
        assert_eq!(ws_url(server, None), "ws://127.0.0.1:8080/ws");
    }

    #[test]
    fn only_close_code_4006_means_served_elsewhere() {
        let closed = |code| anyhow::Error::from(ClosedBy { code }).context("read").context(Disconnected);
        assert!(is_served_elsewhere(&closed(SERVED_ELSEWHERE)));
        assert!(is_disconnect(&closed(SERVED_ELSEWHERE)));
        assert!(!is_served_elsewhere(&closed(4004)));
        assert!(!is_served_elsewhere(&anyhow::anyhow!("connect").context(Disconnected)));
    }
}
