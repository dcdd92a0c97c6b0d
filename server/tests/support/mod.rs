//! Test support: a real server on 127.0.0.1:0 and real WebSocket clients that keep every
//! frame they receive, so tests can assert on what clients actually saw.

#![allow(dead_code)] // each test file uses its own part of this

pub mod postgres;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lapp_protocol::{
    ClientFrame, ClientMsg, ErrorCode, GroupView, Join, JoinCode, Role, ServerMsg, SessionCreated, Welcome,
};
use lapp_server::store::{MemoryStore, Store};
use lapp_server::{Config, Limits};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame it expects before failing.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), lapp_server::Error>>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(Limits::default()).await
    }

    pub async fn start_with(limits: Limits) -> TestServer {
        TestServer::start_with_store(limits, Arc::new(MemoryStore::default())).await
    }

    /// A server on `store`, which may hold what an earlier server stored.
    pub async fn start_with_store(limits: Limits, store: Arc<dyn Store>) -> TestServer {
        TestServer::start_with_config(Config { limits, ..Config::new(store) }).await
    }

    pub async fn start_with_config(config: Config) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(lapp_server::run(listener, config, async {
            // A dropped sender stops the server as well.
            let _ = stopped.await;
        }));
        TestServer { addr, stop: Some(stop), task: Some(task) }
    }

    /// Stops the server the way SIGTERM does and waits for `run` to return.
    pub async fn shut_down(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).expect("server still running");
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran cleanly");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `POST /api/sessions`: the status and the JSON body.
    pub async fn post_session(&self, body: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(self.url("/api/sessions"))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("POST /api/sessions");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// The session's JSON export, fetched with its facilitator key.
    pub async fn export(&self, code: JoinCode, key: &str) -> Value {
        reqwest::Client::new()
            .get(self.url(&format!("/api/sessions/{code}/export")))
            .bearer_auth(key)
            .send()
            .await
            .expect("export")
            .json()
            .await
            .expect("JSON")
    }

    /// Creates a session with one 25/10 of `rounds` rounds.
    pub async fn scoring_session(&self, rounds: u32) -> SessionCreated {
        let body = json!({
            "title": "Test day",
            "agenda": [{"kind": "scoring", "prompt": "What slows you down?", "rounds": rounds}]
        });
        let (status, body) = self.post_session(&body.to_string()).await;
        assert_eq!(status, 201, "{body}");
        serde_json::from_value(body).expect("SessionCreated")
    }

    pub async fn connect(&self) -> Client {
        Client::connect(self.addr).await
    }

    /// A connection that has joined `code` as `role` and received its `welcome`.
    pub async fn join(
        &self,
        code: JoinCode,
        role: Role,
        name: Option<&str>,
        key: Option<&str>,
    ) -> (Client, Welcome) {
        let mut client = self.connect().await;
        let welcome = client
            .join(Join {
                name: name.map(str::to_owned),
                key: key.map(str::to_owned),
                ..Join::new(code, role)
            })
            .await
            .expect("join accepted");
        (client, welcome)
    }
}

impl TestServer {
    /// A new connection that comes back as the participant `welcome` was given to.
    pub async fn resume(&self, code: JoinCode, welcome: &Welcome) -> (Client, Welcome) {
        let mut client = self.connect().await;
        let resumed = client
            .join(Join { resume: welcome.resume.clone(), ..Join::new(code, Role::Participant) })
            .await
            .expect("resume accepted");
        (client, resumed)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A real WebSocket client that logs every frame it receives.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every frame received, in order.
    pub log: Vec<ServerMsg>,
    /// How far `next` has read in `log`.
    read: usize,
    /// Frames past `read` already taken as answers by `answer`.
    answered: std::collections::HashSet<usize>,
    next_rid: u64,
    pub closed: Option<u16>,
}

/// Where `request` starts counting its rids: far above any rid a test picks itself for a frame
/// it sends with `send`, so the two never answer for each other.
const FIRST_AUTO_RID: u64 = 1 << 32;

impl Client {
    fn over(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            ws,
            log: Vec::new(),
            read: 0,
            answered: Default::default(),
            next_rid: FIRST_AUTO_RID,
            closed: None,
        }
    }

    pub async fn connect(addr: SocketAddr) -> Client {
        let (ws, _) =
            tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await.expect("WebSocket connect");
        Client::over(ws)
    }

    /// A client of `ws://{addr}{path}`, e.g. `/ws?code=123456`.
    pub async fn connect_to(addr: SocketAddr, path: &str) -> Client {
        let (ws, _) =
            tokio_tungstenite::connect_async(format!("ws://{addr}{path}")).await.expect("WebSocket connect");
        Client::over(ws)
    }

    /// A client whose socket takes in only a few KiB at a time: one that stops reading fills
    /// up fast.
    pub async fn connect_with_small_buffer(addr: SocketAddr) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4_096).expect("SO_RCVBUF");
        let stream = socket.connect(addr).await.expect("connect");
        let (ws, _) =
            tokio_tungstenite::client_async(format!("ws://{addr}/ws"), MaybeTlsStream::Plain(stream))
                .await
                .expect("WebSocket handshake");
        Client::over(ws)
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_text(&frame.encode()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// Reads one more frame from the socket into the log; `None` once the socket is closed.
    async fn receive(&mut self) -> Option<()> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no frame within {PATIENCE:?}; last frames: {:?}", self.tail()));
            match message {
                Some(Ok(Message::Text(text))) => {
                    let msg = ServerMsg::decode(text.as_str()).unwrap_or_else(|err| {
                        panic!("server sent a frame not in the protocol: {err}: {text}")
                    });
                    self.log.push(msg);
                    return Some(());
                }
                Some(Ok(Message::Close(frame))) => {
                    self.closed = Some(frame.map_or(1005, |frame| u16::from(frame.code)));
                    return None;
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    self.closed.get_or_insert(1006);
                    return None;
                }
            }
        }
    }

    fn tail(&self) -> Vec<&ServerMsg> {
        self.log.iter().rev().take(5).collect()
    }

    /// The next frame not yet read by a test.
    pub async fn next(&mut self) -> ServerMsg {
        loop {
            if self.read == self.log.len() && self.receive().await.is_none() {
                panic!("the connection closed ({:?}) while a frame was expected", self.closed);
            }
            self.read += 1;
            if !self.answered.remove(&(self.read - 1)) {
                return self.log[self.read - 1].clone();
            }
        }
    }

    /// Reads frames until `pick` returns something.
    pub async fn until<T>(&mut self, mut pick: impl FnMut(&ServerMsg) -> Option<T>) -> T {
        loop {
            let msg = self.next().await;
            if let Some(found) = pick(&msg) {
                return found;
            }
        }
    }

    /// Like `until`, but `None` if the connection closes first (see `closed`).
    pub async fn until_or_closed<T>(&mut self, mut pick: impl FnMut(&ServerMsg) -> Option<T>) -> Option<T> {
        loop {
            if self.read == self.log.len() && self.receive().await.is_none() {
                return None;
            }
            self.read += 1;
            if let Some(found) = pick(&self.log[self.read - 1]) {
                return Some(found);
            }
        }
    }

    /// Sends a request with a fresh `rid` and waits for its `ack` or `error`.
    pub async fn request(&mut self, msg: ClientMsg) -> Result<ServerMsg, (ErrorCode, String)> {
        let rid = self.next_rid;
        self.next_rid += 1;
        self.send(&ClientFrame::new(Some(rid), msg)).await;
        self.answer(rid).await
    }

    /// Waits for the `ack` or `error` of `rid`, leaving the frames before it for `next`.
    pub async fn answer(&mut self, rid: u64) -> Result<ServerMsg, (ErrorCode, String)> {
        match self.try_answer(rid).await {
            Some(answer) => answer,
            None => panic!("the connection closed ({:?}) while waiting for rid {rid}", self.closed),
        }
    }

    /// Like `request`, but `None` if the connection closes before the answer comes.
    pub async fn try_request(&mut self, msg: ClientMsg) -> Option<Result<ServerMsg, (ErrorCode, String)>> {
        let rid = self.next_rid;
        self.next_rid += 1;
        if self.ws.send(Message::text(ClientFrame::new(Some(rid), msg).encode())).await.is_err() {
            return None;
        }
        self.try_answer(rid).await
    }

    async fn try_answer(&mut self, rid: u64) -> Option<Result<ServerMsg, (ErrorCode, String)>> {
        let mut at = self.read;
        loop {
            if at == self.log.len() {
                self.receive().await?;
            }
            let answer = match &self.log[at] {
                msg @ ServerMsg::Ack { rid: acked, .. } if *acked == rid => Some(Ok(msg.clone())),
                ServerMsg::Error { rid: Some(failed), code, message } if *failed == rid => {
                    Some(Err((*code, message.clone())))
                }
                _ => None,
            };
            if let Some(answer) = answer {
                self.answered.insert(at);
                return Some(answer);
            }
            at += 1;
        }
    }

    /// Sends `join` and waits for `welcome` or an `error`.
    pub async fn join(&mut self, join: Join) -> Result<Welcome, (ErrorCode, String)> {
        self.send(&ClientFrame::new(None, ClientMsg::Join(join))).await;
        self.until(|msg| match msg {
            ServerMsg::Welcome(welcome) => Some(Ok((**welcome).clone())),
            ServerMsg::Error { code, message, .. } => Some(Err((*code, message.clone()))),
            _ => None,
        })
        .await
    }

    /// Proves the connection is still open and answering: a `ping` gets its `pong`.
    pub async fn assert_open(&mut self) {
        self.send(&ClientFrame::new(None, ClientMsg::Ping {})).await;
        self.until(|msg| matches!(msg, ServerMsg::Pong {}).then_some(())).await;
    }

    /// Waits for the server to close the connection and returns the close code.
    pub async fn closed_with(&mut self) -> u16 {
        while self.closed.is_none() {
            if self.receive().await.is_none() {
                break;
            }
        }
        self.closed.unwrap_or(1006)
    }

    /// Closes from this side, as a phone leaving the hall does.
    pub async fn leave(mut self) -> Vec<ServerMsg> {
        let _ = self
            .ws
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }))
            .await;
        self.log
    }

    /// Every frame received so far, read or not.
    #[allow(dead_code)] // not every test binary looks at the whole log
    pub fn log(&self) -> &[ServerMsg] {
        &self.log
    }

    /// Reads whatever arrives within `wait` into the log, without expecting anything.
    pub async fn drain_for(&mut self, wait: Duration) {
        let _ = tokio::time::timeout(wait, async { while self.receive().await.is_some() {} }).await;
    }
}

/// The real `lapp` binary, run on a port and a data folder of the test's.
pub struct LappProcess {
    child: std::process::Child,
    pub addr: SocketAddr,
}

impl LappProcess {
    /// Starts `lapp` and waits until it answers `/healthz`.
    pub async fn start(data_dir: &std::path::Path, addr: SocketAddr) -> LappProcess {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_lapp"))
            .args(["--listen", &addr.to_string(), "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .spawn()
            .expect("start lapp");
        let process = LappProcess { child, addr };
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(response) = reqwest::get(format!("http://{addr}/healthz")).await
                && response.status().is_success()
            {
                return process;
            }
            assert!(tokio::time::Instant::now() < deadline, "lapp did not come up on {addr}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A free loopback port for a process to listen on.
    pub fn free_addr() -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    }

    /// `kill -9`: the process gets no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL lapp");
        self.child.wait().expect("reap lapp");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// SIGTERM, as a service manager stops it; waits for the process to exit and returns
    /// whether it exited cleanly.
    pub async fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        assert!(sent.success());
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.success();
            }
            assert!(tokio::time::Instant::now() < deadline, "lapp did not stop after SIGTERM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for LappProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A memory store that fails every write while `failing` is set, like a full disk.
#[derive(Default)]
pub struct FlakyStore {
    pub inner: MemoryStore,
    pub failing: std::sync::atomic::AtomicBool,
}

impl Store for FlakyStore {
    fn create(
        &self,
        record: &lapp_server::store::SessionRecord,
    ) -> Result<(), lapp_server::store::StoreError> {
        self.inner.create(record)
    }

    fn append(
        &self,
        code: JoinCode,
        events: &[lapp_server::session::SessionEvent],
    ) -> Result<(), lapp_server::store::StoreError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(lapp_server::store::StoreError::Failed("the disk is full".into()));
        }
        self.inner.append(code, events)
    }

    fn load(
        &self,
        code: JoinCode,
    ) -> Result<
        Option<(lapp_server::store::SessionRecord, Vec<lapp_server::session::SessionEvent>)>,
        lapp_server::store::StoreError,
    > {
        self.inner.load(code)
    }

    fn delete(&self, code: JoinCode) -> Result<(), lapp_server::store::StoreError> {
        self.inner.delete(code)
    }

    fn load_all(
        &self,
    ) -> Result<
        Vec<(lapp_server::store::SessionRecord, Vec<lapp_server::session::SessionEvent>)>,
        lapp_server::store::StoreError,
    > {
        self.inner.load_all()
    }

    fn created_before(&self, before_ms: u64) -> Result<Vec<JoinCode>, lapp_server::store::StoreError> {
        self.inner.created_before(before_ms)
    }
}

/// Collects everything `tracing` writes, for tests that read the logs.
#[derive(Clone, Default)]
pub struct CapturedLogs(pub Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The group as `frames` leave it: the last whole `group`, with the `notes` after it put in.
pub fn held(frames: &[ServerMsg]) -> Option<GroupView> {
    let mut held = None;
    for msg in frames {
        follow(&mut held, msg);
    }
    held
}

/// Takes one frame into the group held; true if it changed it.
pub fn follow(held: &mut Option<GroupView>, msg: &ServerMsg) -> bool {
    match (msg, held.as_mut()) {
        (ServerMsg::Group(group), _) => *held = Some(group.clone()),
        (ServerMsg::Notes { group, notes, removed }, Some(view)) => view.apply(*group, notes, removed),
        _ => return false,
    }
    true
}

impl Client {
    /// The group as it stands after the next frame (a whole `group`, or `notes` put into the
    /// one before) that makes it satisfy `accept`.
    pub async fn group_until(&mut self, accept: impl Fn(&GroupView) -> bool) -> GroupView {
        // The log holds the frames received so far, read or not: those not read yet are taken
        // in again from the group they left, which ends where it was.
        let mut now = held(&self.log);
        self.until(|msg| {
            if !follow(&mut now, msg) {
                return None;
            }
            now.as_ref().filter(|group| accept(group)).cloned()
        })
        .await
    }
}
