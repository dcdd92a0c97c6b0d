//! The driver's WebSocket clients: connecting from a chosen loopback source address with small
//! buffers, joining a session, and counting every frame in and out.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use lapp_protocol::{ClientFrame, ClientMsg, ErrorCode, Join, ServerMsg, Welcome};
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
        self.open().await.context(Disconnected)
    }

    async fn open(&self) -> anyhow::Result<Client> {
        let socket = TcpSocket::new_v4().context("TCP socket")?;
        if self.sources > 1 {
            let source = self.next_source.fetch_add(1, Ordering::Relaxed) % usize::from(self.sources);
            let ip = Ipv4Addr::new(127, 0, 0, 1 + source as u8);
            socket.bind(SocketAddr::new(ip.into(), 0)).with_context(|| format!("bind to {ip}"))?;
        }
        let stream =
            socket.connect(self.server).await.with_context(|| format!("connect to {}", self.server))?;
        stream.set_nodelay(true)?;
        let url = format!("ws://{}/ws", self.server);
        let (ws, _response) = tokio_tungstenite::client_async_with_config(url, stream, Some(ws_config()))
            .await
            .context("WebSocket upgrade")?;
        Ok(Client { ws, traffic: Arc::clone(&self.traffic) })
    }

    /// A connection that has sent `join` and received its `welcome`.
    pub async fn join(&self, join: Join) -> anyhow::Result<(Client, Welcome)> {
        let joining = async {
            let mut client = self.connect().await?;
            let welcome = client.join(join).await?;
            Ok((client, welcome))
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
}

impl Client {
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
                    bail!("the server closed the connection ({code})")
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
