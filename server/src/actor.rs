//! The session actor: one tokio task that alone owns one session's state.
//!
//! It takes requests from connection tasks in batches, decides and applies each through the
//! session and its engines, and writes the batch's events to the store in one go (group
//! commit). Answers (acks, errors, welcomes) leave only once the batch is committed, and with
//! them whatever follows an answer on the same connection; every other frame (an activity, a
//! hand) leaves the moment it is decided, so a hall's hands are on the wire while the rest of
//! the round is still being dealt. Progress and the leaderboard are coalesced and sent at most
//! four times a second.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::Utf8Bytes;
use lapp_protocol::{
    ActivityInfo, ClientMsg, ErrorCode, Join, Pid, Reveal, Role, ServerMsg, SessionExport, SessionSummary,
    Welcome, You,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::Limits;
use crate::engine::Refusal;
use crate::method::{Batched, Named, Pending};
use crate::outbox::{Outbox, close};
use crate::secret::{Secret, SecretHash};
use crate::session::{Context, Sender, Session, SessionEvent};
use crate::store::{Store, StoreError};

/// Wrong guesses (buddy codes) a participant may make in a minute.
const GUESSES_PER_MINUTE: u32 = 10;

/// Most requests decided in one batch, so one batch's frames stay bounded.
const MAX_BATCH: usize = 512;

/// A connection, unique for the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(u64);

impl ConnId {
    pub fn next() -> ConnId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ConnId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// What connection tasks ask of a session.
#[derive(Debug)]
pub enum ToActor {
    Join {
        conn: ConnId,
        rid: Option<u64>,
        join: Join,
        outbox: Outbox,
        /// Answered when the join was taken, or with the code it was refused with.
        joined: oneshot::Sender<Result<(), ErrorCode>>,
    },
    Request {
        conn: ConnId,
        rid: Option<u64>,
        msg: ClientMsg,
        /// When the connection read it, for the ack latency.
        received: Instant,
    },
    Leave {
        conn: ConnId,
    },
    /// The session as committed: for its export, summary and follow-up views.
    Snapshot {
        reply: oneshot::Sender<Box<Session>>,
    },
    /// A request from outside any connection (a follow-up link) to the activity at `index`,
    /// answered once it is committed.
    Command {
        sender: Sender,
        index: usize,
        msg: ClientMsg,
        reply: oneshot::Sender<Result<(), Refusal>>,
    },
    /// Erase the session: its clients are closed with 4003 and the actor stops.
    Delete {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// How connection tasks reach a session's actor.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    inbox: mpsc::Sender<ToActor>,
    key: SecretHash,
    /// What anyone with the code may see before joining; it never changes.
    summary: Arc<SessionSummary>,
    /// Spaces out new participants (`Limits::joins_per_second`).
    newcomers: Arc<crate::abuse::Pacer>,
}

impl SessionHandle {
    pub fn summary(&self) -> &SessionSummary {
        &self.summary
    }

    /// When a new participant may join, if within `patience` (see `Limits::joins_per_second`).
    pub fn newcomer_turn(&self, patience: Duration) -> Option<Instant> {
        self.newcomers.turn(patience)
    }

    /// Whether `offered` is the session's facilitator key (constant time).
    pub fn key_matches(&self, offered: &str) -> bool {
        self.key.matches(offered)
    }

    /// Sends a request, waiting for room in the actor's inbox. The inbox is shared by every
    /// connection of the session; per-connection rate limits keep one client from filling it.
    pub async fn send(&self, msg: ToActor) -> bool {
        self.inbox.send(msg).await.is_ok()
    }

    /// The session as committed; `None` if it is gone or could not commit.
    pub async fn snapshot(&self) -> Option<Box<Session>> {
        let (reply, answer) = oneshot::channel();
        if !self.send(ToActor::Snapshot { reply }).await {
            return None;
        }
        answer.await.ok()
    }

    /// Everything the session holds; `None` if the session is gone or could not commit.
    pub async fn export(&self) -> Option<SessionExport> {
        Some(self.snapshot().await?.export())
    }

    /// Erases the session; its clients are closed with 4003.
    pub async fn delete(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Failed("the session has already stopped".into());
        if !self.send(ToActor::Delete { reply }).await {
            return Err(gone());
        }
        answer.await.unwrap_or_else(|_| Err(gone()))
    }

    /// Whether both are handles of one actor.
    pub fn is(&self, other: &SessionHandle) -> bool {
        self.inbox.same_channel(&other.inbox)
    }

    /// Whether the actor has stopped (its claim on the session was lost, or it was deleted).
    pub fn stopped(&self) -> bool {
        self.inbox.is_closed()
    }

    /// Tells the actor a connection ended, from a `Drop` where nothing can be awaited.
    pub fn leave(&self, conn: ConnId) {
        if let Err(mpsc::error::TrySendError::Full(msg)) = self.inbox.try_send(ToActor::Leave { conn }) {
            let inbox = self.inbox.clone();
            tokio::spawn(async move {
                // If the actor has stopped, there is nobody left to tell.
                let _stopped = inbox.send(msg).await;
            });
        }
    }
}

/// What stops an actor besides its session being deleted.
pub struct Stop {
    /// The server shuts down.
    pub shutdown: CancellationToken,
    /// This node is no longer the session's one writer (a shared store lost its claim):
    /// every client is closed with 4006 and comes back through the node that serves it now.
    pub lost: CancellationToken,
}

/// Starts the actor of `session` and returns its handle. It runs until `stop`.
pub fn spawn(
    session: Session,
    store: Arc<dyn Store>,
    limits: Arc<Limits>,
    client_version: Arc<str>,
    stop: Stop,
    tracker: &tokio_util::task::TaskTracker,
) -> SessionHandle {
    let (inbox_tx, inbox) = mpsc::channel(limits.actor_inbox);
    let newcomers = Arc::new(crate::abuse::Pacer::new(limits.joins_per_second));
    let code = session.code;
    let key = session.key();
    let summary = Arc::new(SessionSummary {
        code,
        title: session.title.clone(),
        language: session.language,
        names: session.names,
    });
    let actor = Actor {
        session,
        store,
        limits,
        conns: HashMap::new(),
        by_pid: HashMap::new(),
        rng: StdRng::from_os_rng(),
        events: Vec::new(),
        held: HashMap::new(),
        frames_out: FrameCounts::default(),
        answered: Vec::new(),
        pending: Pending { progress: true, board: true, ..Pending::default() },
        batched: Batched::default(),
        marks: HashMap::new(),
        client_version,
        exports: Vec::new(),
        commands: Vec::new(),
        deletion: None,
        present: Vec::new(),
        present_stale: false,
        unreachable: Vec::new(),
        guesses: HashMap::new(),
        lost: false,
    };
    tracker.spawn(tracing::Instrument::instrument(
        actor.run(inbox, stop),
        tracing::info_span!("session", %code),
    ));
    SessionHandle { inbox: inbox_tx, key, summary, newcomers }
}

struct Conn {
    role: Role,
    pid: Option<Pid>,
    outbox: Outbox,
}

/// Who a frame goes to.
pub enum Target {
    /// An answer to one connection: it waits for the batch's commit.
    Conn(ConnId),
    Participant(Pid),
    Everyone,
    Facilitators,
    /// Facilitators and screens.
    Watchers,
    /// Participants and screens: those who see a reveal.
    Audience,
}

struct Actor {
    session: Session,
    store: Arc<dyn Store>,
    limits: Arc<Limits>,
    conns: HashMap<ConnId, Conn>,
    by_pid: HashMap<Pid, ConnId>,
    rng: StdRng,
    /// Events applied but not yet committed.
    events: Vec<SessionEvent>,
    /// Per connection, frames waiting for this batch's commit: its answer and what followed.
    held: HashMap<ConnId, Vec<Utf8Bytes>>,
    /// Frames sent since the metrics were last told, by type.
    frames_out: FrameCounts,
    /// The requests answered in this batch, so a failed commit can answer each with its `rid`.
    answered: Vec<(ConnId, Option<u64>, Instant)>,
    /// What is sent at the next tick.
    pending: Pending,
    /// What is sent at the end of this batch.
    batched: Batched,
    /// Per connection that sent a request in this batch, how many frames it had waiting for
    /// the commit before its first one: a frame sent at the end of the batch that shows what
    /// its requests changed (its group) goes there, before their answers.
    marks: HashMap<ConnId, usize>,
    /// The web client's version, told in every `welcome`.
    client_version: Arc<str>,
    /// Snapshots and follow-ups asked for in this batch, answered once it is committed.
    exports: Vec<oneshot::Sender<Box<Session>>>,
    commands: Vec<oneshot::Sender<Result<(), Refusal>>>,
    /// A deletion asked for in this batch, carried out once it is committed.
    deletion: Option<oneshot::Sender<Result<(), StoreError>>>,
    /// The connected participants in pid order, as the engines want them; rebuilt when stale.
    present: Vec<Pid>,
    present_stale: bool,
    /// Connections a send failed on in this batch: closed, or too slow and being closed.
    unreachable: Vec<ConnId>,
    /// Each participant's wrong guesses this minute.
    guesses: HashMap<Pid, crate::abuse::Misses>,
    /// The store refused a commit because another node writes the session now.
    lost: bool,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// A frame encoded once, with its type for the metrics.
#[derive(Clone)]
pub struct Frame {
    kind: &'static str,
    bytes: Utf8Bytes,
}

impl Frame {
    pub fn of(msg: &ServerMsg) -> Frame {
        if let ServerMsg::Error { code, .. } = msg {
            metrics::counter!(crate::metrics::ERRORS, "code" => code.as_str()).increment(1);
        }
        Frame { kind: msg.type_name(), bytes: Utf8Bytes::from(msg.encode()) }
    }

    /// A frame encoded by hand, for the busiest frames (`hand`).
    pub fn encoded(kind: &'static str, text: String) -> Frame {
        Frame { kind, bytes: Utf8Bytes::from(text) }
    }
}

fn encode(msg: &ServerMsg) -> Frame {
    Frame::of(msg)
}

/// How a method tells people what changed: frames to roles or to one participant, and what
/// waits for the next tick. It sends as the actor does (see [`Actor::emit`]).
pub struct Fanout<'a> {
    conns: &'a HashMap<ConnId, Conn>,
    by_pid: &'a HashMap<Pid, ConnId>,
    held: &'a mut HashMap<ConnId, Vec<Utf8Bytes>>,
    unreachable: &'a mut Vec<ConnId>,
    frames_out: &'a mut FrameCounts,
    pub pending: &'a mut Pending,
    pub batched: &'a mut Batched,
    marks: &'a HashMap<ConnId, usize>,
    activity: Option<ActivityInfo>,
}

impl Fanout<'_> {
    pub fn send(&mut self, target: Target, msg: &ServerMsg) {
        self.send_frame(target, &Frame::of(msg));
    }

    pub fn send_frame(&mut self, target: Target, frame: &Frame) {
        let mut sent = 0;
        let Fanout { conns, by_pid, held, unreachable, .. } = self;
        recipients(conns, by_pid, &target, |id, conn| {
            sent += 1;
            send_now_or_after_answer(held, unreachable, id, conn, frame, false);
        });
        self.frames_out.add(frame.kind, sent);
    }

    /// A frame to `pid` that shows what their requests of this batch changed, so it must come
    /// before those requests' answers: it goes where the first of them will be, or, if they
    /// sent none, as [`Fanout::send_frame`] sends.
    pub fn send_before_answers(&mut self, pid: Pid, frame: &Frame) {
        let Some(&id) = self.by_pid.get(&pid) else { return };
        let Some(conn) = self.conns.get(&id) else { return };
        match (self.marks.get(&id), self.held.get_mut(&id)) {
            (Some(&mark), Some(waiting)) if mark <= waiting.len() => {
                waiting.insert(mark, frame.bytes.clone())
            }
            _ => send_now_or_after_answer(self.held, self.unreachable, id, conn, frame, false),
        }
        self.frames_out.add(frame.kind, 1);
    }

    /// Whether `pid` sent a request in this batch.
    pub fn asked(&self, pid: Pid) -> bool {
        self.by_pid.get(&pid).is_some_and(|id| self.marks.contains_key(id))
    }

    /// The current `activity` frame.
    pub fn activity(&self) -> Option<Frame> {
        self.activity.clone().map(|info| Frame::of(&ServerMsg::Activity(info)))
    }

    pub fn send_activity(&mut self, target: Target) {
        if let Some(frame) = self.activity() {
            self.send_frame(target, &frame);
        }
    }

    /// The participants connected now.
    pub fn connected(&self) -> Vec<Pid> {
        self.by_pid.keys().copied().collect()
    }

    /// After a phase change: `activity` for facilitators and screens and, with
    /// `participants_too`, for participants, each followed by that participant's `own` frame,
    /// so that a phone's frames are queued together and leave in one write.
    pub fn bring_up_to_date(
        &mut self,
        activity: Option<&Frame>,
        participants_too: bool,
        mut own: impl FnMut(Pid) -> Option<Frame>,
    ) {
        if let Some(activity) = activity {
            self.send_frame(Target::Watchers, activity);
        }
        let activity = activity.filter(|_| participants_too);
        // Each phone's frame is queued as soon as it is made, so the writers start on the
        // other core while this loop goes on: made all first, a hall of 1,400 took 0.5-0.9 ms
        // under load with nothing on the wire yet.
        for pid in self.connected() {
            let own = own(pid);
            for frame in activity.into_iter().chain(&own) {
                self.send_frame(Target::Participant(pid), frame);
            }
        }
    }
}

/// Sends a frame on one connection: an answer waits for the batch's commit, and so does
/// whatever follows an answer on the same connection, to keep its frames in order;
/// everything else leaves now.
fn send_now_or_after_answer(
    held: &mut HashMap<ConnId, Vec<Utf8Bytes>>,
    unreachable: &mut Vec<ConnId>,
    id: ConnId,
    conn: &Conn,
    frame: &Frame,
    answer: bool,
) {
    if let Some(waiting) = held.get_mut(&id) {
        waiting.push(frame.bytes.clone());
    } else if answer {
        held.insert(id, vec![frame.bytes.clone()]);
    } else if !conn.outbox.send(frame.bytes.clone()) {
        unreachable.push(id); // closed, or too slow and being closed
    }
}

impl Actor {
    async fn run(mut self, mut inbox: mpsc::Receiver<ToActor>, stop: Stop) {
        let mut coalesce = tokio::time::interval(self.limits.coalesce);
        coalesce.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(MAX_BATCH);
        metrics::gauge!(crate::metrics::SESSIONS).increment(1.0);
        let _running = scopeguard_gauge(crate::metrics::SESSIONS);
        loop {
            let timer = self.next_deadline_ms().map(|deadline_ms| {
                let wait = deadline_ms.saturating_sub(now_ms());
                Instant::now() + Duration::from_millis(wait)
            });
            // The timer and the coalescing tick come before the inbox: they are seldom ready,
            // and a steady stream of requests must not starve them.
            tokio::select! {
                biased;
                () = stop.shutdown.cancelled() => break,
                () = stop.lost.cancelled() => {
                    self.hand_over();
                    break;
                }
                () = sleep_until_some(timer) => {
                    self.on_clock();
                    self.commit_and_send().await;
                }
                _ = coalesce.tick() => self.send_coalesced(),
                received = inbox.recv_many(&mut batch, MAX_BATCH) => {
                    if received == 0 {
                        break;
                    }
                    let started = Instant::now();
                    for msg in batch.drain(..) {
                        self.handle(msg);
                    }
                    let decided = started.elapsed();
                    self.commit_and_send().await;
                    tracing::debug!(
                        requests = received,
                        decided_us = decided.as_micros() as u64,
                        total_us = started.elapsed().as_micros() as u64,
                        "batch"
                    );
                    if let Some(reply) = self.deletion.take() {
                        self.delete(reply).await;
                        return;
                    }
                }
            }
            if self.lost {
                break;
            }
        }
        if self.lost || stop.lost.is_cancelled() {
            // Nothing more is written here: another node may be the session's writer already.
            inbox.close();
        } else {
            self.send_coalesced();
        }
        let (store, code) = (Arc::clone(&self.store), self.session.code);
        // Released when the process ends anyway; at shutdown the runtime may not run this.
        let _released = tokio::task::spawn_blocking(move || store.release(code)).await;
        tracing::debug!("session actor stopped");
    }

    /// Another node writes the session now: every client is closed with 4006, to come back
    /// through the proxy to whichever node serves it, and resume there into what is stored.
    fn hand_over(&mut self) {
        tracing::warn!("this node no longer owns the session; its clients are sent on");
        metrics::counter!(crate::metrics::SESSIONS_LOST).increment(1);
        self.held.clear();
        for (_, conn) in self.conns.drain() {
            conn.outbox.close(close::ELSEWHERE);
        }
        self.by_pid.clear();
    }

    fn handle(&mut self, msg: ToActor) {
        match msg {
            ToActor::Join { conn, rid, join, outbox, joined } => {
                let accepted = self.join(conn, rid, &join, outbox, Instant::now());
                // The connection task may have gone already; then there is nobody to tell.
                let _gone = joined.send(accepted);
            }
            ToActor::Request { conn, rid, msg, received } => self.request(conn, rid, &msg, received),
            ToActor::Snapshot { reply } => self.exports.push(reply),
            ToActor::Command { sender, index, msg, reply } => {
                let context = Context { now_ms: now_ms(), present: &[] };
                match self.session.decide_in(index, sender, &msg, &context, &mut self.rng) {
                    Ok(events) => {
                        events.into_iter().for_each(|event| self.record(event));
                        self.commands.push(reply);
                    }
                    // Whoever asked may have gone; then nobody needs the answer.
                    Err(refusal) => drop(reply.send(Err(refusal))),
                }
            }
            ToActor::Delete { reply } => self.deletion = Some(reply),
            ToActor::Leave { conn } => self.forget(conn),
        }
    }

    fn forget(&mut self, conn: ConnId) {
        if let Some(left) = self.conns.remove(&conn)
            && let Some(pid) = left.pid
            && self.by_pid.get(&pid) == Some(&conn)
        {
            self.by_pid.remove(&pid);
            self.present_stale = true;
            self.pending.progress = true;
        }
    }

    fn join(
        &mut self,
        conn: ConnId,
        rid: Option<u64>,
        join: &Join,
        outbox: Outbox,
        received: Instant,
    ) -> Result<(), ErrorCode> {
        let admitted = match self.session.admit(join, self.limits.max_participants, &mut self.rng) {
            Ok(admitted) => admitted,
            Err(refusal) => {
                outbox.send(encode(&ServerMsg::error(rid, refusal.code, refusal.message)).bytes);
                return Err(refusal.code);
            }
        };
        if let Some(event) = admitted.event {
            self.record(event);
        }
        if let Some(pid) = admitted.pid {
            self.present_stale = true;
            if let Some(old) = self.by_pid.insert(pid, conn).and_then(|old| self.conns.remove(&old)) {
                old.outbox.close(close::REPLACED);
            }
            // Someone who arrives after the step began is given what the others were: a free
            // card, a group, a buddy.
            self.refresh_present();
            let context = Context { now_ms: now_ms(), present: &self.present };
            if let Some(event) = self.session.late_arrival(pid, &context) {
                self.record(event);
            }
            self.pending.progress = true;
        }
        // Frames decided before this point are in the welcome; those decided after it follow it.
        self.refresh_present();
        let welcome = self.welcome(admitted.role, admitted.pid, admitted.resume);
        self.conns.insert(conn, Conn { role: admitted.role, pid: admitted.pid, outbox });
        self.emit(Target::Conn(conn), &encode(&welcome));
        self.answered.push((conn, rid, received));
        Ok(())
    }

    fn welcome(&self, role: Role, pid: Option<Pid>, resume: Option<Secret>) -> ServerMsg {
        let participant = pid.and_then(|pid| self.session.participant(pid));
        ServerMsg::Welcome(Box::new(Welcome {
            you: You { pid, name: participant.and_then(|p| p.name.clone()), role },
            follow_up: resume.as_ref().map(|secret| secret.follow_up().to_hex()),
            resume: resume.map(|secret| secret.to_hex()),
            session: self.session.info(),
            view: self.session.view(role, pid, &self.present, now_ms(), self.limits.leaderboard_entries),
            version: Some(self.client_version.to_string()),
        }))
    }

    /// Brings `present` (the connected participants, in pid order) up to date. It is kept
    /// rather than rebuilt per request: sorting a hall for every score was a tenth of the
    /// server's time in a busy round.
    fn refresh_present(&mut self) {
        if self.present.len() != self.by_pid.len() || self.present_stale {
            self.present.clear();
            self.present.extend(self.by_pid.keys().copied());
            self.present.sort_unstable();
            self.present_stale = false;
        }
    }

    fn request(&mut self, conn: ConnId, rid: Option<u64>, msg: &ClientMsg, received: Instant) {
        let Some(sender) = self.conns.get(&conn).map(|c| Sender { role: c.role, pid: c.pid }) else {
            return; // replaced or gone while the request was queued
        };
        let waiting = self.held.get(&conn).map_or(0, Vec::len);
        self.marks.entry(conn).or_insert(waiting);
        self.refresh_present();
        let context = Context { now_ms: now_ms(), present: &self.present };
        let guessing = sender.pid.and_then(|pid| self.guesses.get_mut(&pid)).filter(|_| msg.is_guess());
        let decided = match guessing.is_some_and(|misses| !misses.allowed(GUESSES_PER_MINUTE)) {
            true => Err(Refusal::new(ErrorCode::RateLimited, "too many wrong codes: try again in a minute")),
            false => self.session.decide(sender, msg, &context, &mut self.rng),
        };
        match decided {
            Ok(events) => {
                let events: Vec<_> = events.into_iter().inspect(|event| self.record(event.clone())).collect();
                // A step reopened is dealt as it was, and an activity returned to is as it
                // was left; whoever arrived since then and holds nothing in it is handed a
                // free card, placed in a group or seated at a table, as on arrival.
                if matches!(msg, ClientMsg::PhaseBack { .. } | ClientMsg::ActivityStart { .. }) {
                    self.place_newcomers();
                }
                // The ack names what a write made, so the client can refer to it.
                let method_events: Vec<_> = events
                    .into_iter()
                    .filter_map(|event| match event {
                        SessionEvent::Method(event) => Some(event),
                        _ => None,
                    })
                    .collect();
                let Named { card, note, action, topic, item, retro } = self
                    .session
                    .current()
                    .map(|(_, activity)| activity.named(sender.pid, msg, &method_events))
                    .unwrap_or_default();
                let ack = ServerMsg::Ack { rid: rid.unwrap_or(0), card, note, action, topic, item, retro };
                if rid.is_some() {
                    self.emit(Target::Conn(conn), &encode(&ack));
                }
            }
            Err(Refusal { code, message }) => {
                if let (true, ErrorCode::UnknownItem, Some(pid)) = (msg.is_guess(), code, sender.pid) {
                    self.guesses.entry(pid).or_default().missed();
                }
                tracing::debug!(%code, request = msg.type_name(), "refused");
                self.emit(Target::Conn(conn), &encode(&ServerMsg::error(rid, code, message)));
            }
        }
        self.answered.push((conn, rid, received));
    }

    /// A card for each connected participant with an empty hand in an open round, a group for
    /// each one in no group of an open level.
    fn place_newcomers(&mut self) {
        self.refresh_present();
        let pids = self.present.clone();
        for pid in pids {
            let context = Context { now_ms: now_ms(), present: &self.present };
            if let Some(event) = self.session.late_arrival(pid, &context) {
                self.record(event);
            }
        }
    }

    /// When the clock next matters: the countdown that moves the session on, or what the
    /// current method waits for (a Lean Coffee table's timebox or thumbs vote).
    fn next_deadline_ms(&self) -> Option<u64> {
        let countdown = self.session.timer().filter(|timer| timer.advance).map(|timer| timer.deadline_ms);
        let method = self.session.current().and_then(|(_, activity)| activity.due());
        countdown.into_iter().chain(method).min()
    }

    fn on_clock(&mut self) {
        let now = now_ms();
        if self.session.timer().is_some_and(|timer| timer.advance && timer.deadline_ms <= now) {
            self.advance_on_timer();
        }
        let due = self.session.current().and_then(|(_, activity)| activity.due());
        if due.is_some_and(|due| due <= now) {
            self.refresh_present();
            let context = Context { now_ms: now, present: &self.present };
            let events = self.session.expire(&context, self.limits.leaderboard_entries);
            for event in events {
                self.record(event);
            }
        }
    }

    fn advance_on_timer(&mut self) {
        self.refresh_present();
        let context = Context { now_ms: now_ms(), present: &self.present };
        let events = match self.session.next_phase(&context, &mut self.rng) {
            // Nobody is here to be handed anything (say, just after a restart): the countdown
            // ends and the facilitator moves on when people are back.
            Ok(_) if self.present.is_empty() => vec![SessionEvent::TimerSet { timer: None }],
            Ok(events) => events,
            // Nothing to advance to: the countdown simply ends.
            Err(_) => vec![SessionEvent::TimerSet { timer: None }],
        };
        for event in events {
            self.record(event);
        }
    }

    /// Applies an event and queues what it shows to whom.
    fn record(&mut self, event: SessionEvent) {
        let affected = match (&event, self.session.current()) {
            (SessionEvent::Method(method_event), Some((_, activity))) => activity.affected(method_event),
            _ => Vec::new(),
        };
        self.session.apply(&event);
        self.announce(&event, affected);
        self.events.push(event);
    }

    fn announce(&mut self, event: &SessionEvent, affected: Vec<Pid>) {
        match event {
            SessionEvent::ParticipantJoined { .. } => self.pending.progress = true,
            SessionEvent::ActivityStarted { .. } => {
                self.show_activity_afresh();
                self.share(Target::Facilitators, Some(self.agenda_frame()));
            }
            SessionEvent::ActivityReset { index } => {
                if self.session.current().is_some_and(|(current, _)| current == *index as usize) {
                    self.show_activity_afresh();
                }
                self.share(Target::Facilitators, Some(self.agenda_frame()));
                self.pending.progress = true;
            }
            SessionEvent::AgendaSet { .. } => self.share(Target::Everyone, Some(self.agenda_frame())),
            SessionEvent::ParticipantRemoved { pid } => {
                // Their phone is closed and cannot come back: the token no longer works.
                if let Some(conn) = self.by_pid.remove(pid).and_then(|conn| self.conns.remove(&conn)) {
                    conn.outbox.close(close::REMOVED);
                }
                self.present_stale = true;
                self.pending.progress = true;
            }
            SessionEvent::LockSet { locked } => {
                self.share(Target::Everyone, Some(ServerMsg::Lock { locked: *locked }))
            }
            SessionEvent::TimerSet { .. } => {
                let activity = self.session.activity_info(now_ms()).map(ServerMsg::Activity);
                self.share(Target::Everyone, activity);
            }
            SessionEvent::Method(event) => {
                // A change to an activity that is not the current one (a removed author's
                // card of an earlier 25/10) shows nowhere but in counts.
                self.pending.progress = true;
                if self.session.current().is_some_and(|(index, _)| index == event.index()) {
                    self.with_fanout(|hall, activity, out| activity.announce(hall, event, affected, out));
                }
            }
        }
    }

    /// Runs `tell` with the current activity's method and a [`Fanout`] to send through.
    fn with_fanout(
        &mut self,
        tell: impl FnOnce(&crate::method::Hall<'_>, &crate::method::Activity, &mut Fanout<'_>),
    ) {
        self.refresh_present();
        let now = now_ms();
        let Actor {
            session,
            conns,
            by_pid,
            held,
            unreachable,
            frames_out,
            pending,
            batched,
            marks,
            present,
            limits,
            ..
        } = self;
        let Some((_, activity)) = session.current() else { return };
        let context = Context { now_ms: now, present };
        let hall = session.hall(&context, limits.leaderboard_entries);
        let mut out = Fanout {
            conns,
            by_pid,
            held,
            unreachable,
            frames_out,
            pending,
            batched,
            marks,
            activity: session.activity_info(now),
        };
        tell(&hall, activity, &mut out);
    }

    fn agenda_frame(&self) -> ServerMsg {
        ServerMsg::Agenda { agenda: self.session.agenda.clone(), started: self.session.started() }
    }

    /// The current activity as a whole, to everyone, after it was started (or started again,
    /// or reset): the `activity`, each phone's own part, and whatever the method shows.
    fn show_activity_afresh(&mut self) {
        // A reveal belongs to its activity: the last one's is cleared first (a reset keeps the
        // activity, so facilitators are told too), and a 25/10 shows its own again.
        self.share(Target::Everyone, Some(ServerMsg::Reveal(Reveal::none())));
        self.with_fanout(|hall, activity, out| activity.show_afresh(hall, out));
        self.pending.progress = true;
        self.pending.board = true;
    }

    /// Sends one frame, encoded once, to many: the same bytes go to all.
    fn share(&mut self, target: Target, msg: Option<ServerMsg>) {
        if let Some(msg) = msg {
            self.emit(target, &encode(&msg));
        }
    }

    /// Sends a frame to everyone `target` names. An answer waits for the batch's commit, and
    /// so does whatever follows an answer on the same connection, to keep its frames in
    /// order; everything else leaves now. A connection that joins later in the batch gets
    /// nothing decided before its `welcome`, which already shows it.
    fn emit(&mut self, target: Target, frame: &Frame) {
        let answer = matches!(target, Target::Conn(_));
        let Actor { conns, by_pid, held, unreachable, .. } = self;
        let mut sent = 0;
        recipients(conns, by_pid, &target, |id, conn| {
            sent += 1;
            send_now_or_after_answer(held, unreachable, id, conn, frame, answer);
        });
        self.frames_out.add(frame.kind, sent);
    }

    /// Writes the batch's events, then sends what waited for them. Nothing is acknowledged
    /// before the store has it.
    async fn commit_and_send(&mut self) {
        // What changed in this batch and is sent once for all of it (a 1-3-9's groups).
        let mut batched = std::mem::take(&mut self.batched);
        self.with_fanout(|hall, activity, out| activity.send_batched(hall, &mut batched, out));
        self.marks.clear();
        // What answers nothing (an activity, a hand) has left already; answers (acks, errors,
        // welcomes) and whatever follows them on the same connection wait for the commit. No
        // score can refer to a hand before the hand-out is stored: scores come in a later
        // batch, and batches commit in order.
        let held = std::mem::take(&mut self.held);
        if !self.events.is_empty() {
            let events = std::mem::take(&mut self.events);
            let (store, code) = (Arc::clone(&self.store), self.session.code);
            // The store blocks on the disk; a blocking thread keeps the runtime's workers free.
            let started = Instant::now();
            let committed = tokio::task::spawn_blocking(move || store.append(code, &events))
                .await
                .unwrap_or_else(|panicked| Err(StoreError::Failed(panicked.to_string())));
            crate::metrics::record_duration(crate::metrics::COMMIT_SECONDS, started.elapsed());
            if let Err(err) = committed {
                tracing::error!(%err, "could not store a batch; its requests are refused");
                // With a shared store the session is handed on rather than kept in memory ahead
                // of the store: whichever node claims it next loads what is durable.
                if matches!(err, StoreError::NotOwner(_)) || self.store.shared() {
                    // Nothing of the batch is acknowledged; its clients resend on the new node.
                    self.answered.clear();
                    self.exports.clear();
                    self.commands.clear();
                    self.unreachable.clear();
                    self.hand_over();
                    self.lost = true;
                    return;
                }
                self.recover_from_failed_commit().await;
                return;
            }
        }
        for reply in self.exports.drain(..) {
            // Whoever asked may have given up; the export is simply not needed then.
            let _unwanted = reply.send(Box::new(self.session.clone()));
        }
        for reply in self.commands.drain(..) {
            let _unwanted = reply.send(Ok(()));
        }
        for (id, frames) in held {
            if let Some(conn) = self.conns.get(&id) {
                for frame in frames {
                    if !conn.outbox.send(frame) {
                        self.unreachable.push(id); // closed, or too slow and being closed
                        break;
                    }
                }
            }
        }
        for (_, _, received) in self.answered.drain(..) {
            crate::metrics::record_duration(crate::metrics::ACK_SECONDS, received.elapsed());
        }
        self.forget_unreachable();
    }

    /// Forgets the connections a send failed on. Only those are looked at: asking every
    /// connection whether it is closed after every batch cost more than the rest of a round.
    fn forget_unreachable(&mut self) {
        for conn in std::mem::take(&mut self.unreachable) {
            self.forget(conn);
        }
        self.frames_out.report();
    }

    /// After a failed commit the state in memory is ahead of the store. Every request of the
    /// batch is answered `internal` with its `rid`, the session is rebuilt from what the store
    /// holds, and every connection is closed (1011) so its client resumes into that state.
    async fn recover_from_failed_commit(&mut self) {
        self.held.clear();
        self.unreachable.clear();
        self.exports.clear();
        self.commands.clear();
        for (conn, rid, _) in self.answered.drain(..) {
            if let Some(conn) = self.conns.get(&conn) {
                let error =
                    ServerMsg::error(rid, ErrorCode::Internal, "the server could not store that; try again");
                conn.outbox.send(encode(&error).bytes);
            }
        }
        for (_, conn) in self.conns.drain() {
            conn.outbox.close(close::INTERNAL_ERROR);
        }
        self.by_pid.clear();
        let (store, code) = (Arc::clone(&self.store), self.session.code);
        let stored = tokio::task::spawn_blocking(move || store.load(code))
            .await
            .unwrap_or_else(|panicked| Err(StoreError::Failed(panicked.to_string())));
        match stored {
            Ok(Some((record, events))) => self.session = Session::replay(record, &events),
            Ok(None) | Err(_) => {
                tracing::error!("could not reload the session from the store; it keeps its state in memory");
            }
        }
    }

    /// Closes every client with 4003 and erases the session from the store.
    async fn delete(&mut self, reply: oneshot::Sender<Result<(), StoreError>>) {
        for conn in self.conns.values() {
            conn.outbox.close(close::SESSION_DELETED);
        }
        self.conns.clear();
        self.by_pid.clear();
        let (store, code) = (Arc::clone(&self.store), self.session.code);
        let deleted = tokio::task::spawn_blocking(move || {
            let deleted = store.delete(code);
            // Deleted or not, nothing serves it here any more.
            store.release(code);
            deleted
        })
        .await
        .unwrap_or_else(|panicked| Err(StoreError::Failed(panicked.to_string())));
        tracing::info!(ok = deleted.is_ok(), "session deleted");
        // The HTTP request may have gone; the deletion stands either way.
        let _unwanted = reply.send(deleted);
    }

    /// Sends progress, and what the method left for the tick, if they changed since the last
    /// one. It runs between batches, when nothing waits for a commit, so they leave at once.
    fn send_coalesced(&mut self) {
        if std::mem::take(&mut self.pending.progress) {
            self.refresh_present();
            let progress = encode(&ServerMsg::Progress(self.session.progress(&self.present)));
            self.emit(Target::Watchers, &progress);
        }
        let mut pending = std::mem::take(&mut self.pending);
        self.with_fanout(|hall, activity, out| activity.send_pending(hall, &mut pending, out));
        self.pending = Pending { progress: self.pending.progress, ..pending };
        self.forget_unreachable();
    }
}

/// The connections `target` names, with their ids.
fn recipients(
    conns: &HashMap<ConnId, Conn>,
    by_pid: &HashMap<Pid, ConnId>,
    target: &Target,
    mut each: impl FnMut(ConnId, &Conn),
) {
    let mut to_roles = |roles: &[Role]| {
        for (id, conn) in conns {
            if roles.contains(&conn.role) {
                each(*id, conn);
            }
        }
    };
    match target {
        Target::Conn(id) => {
            if let Some(conn) = conns.get(id) {
                each(*id, conn);
            }
        }
        Target::Participant(pid) => {
            if let Some((id, conn)) = by_pid.get(pid).and_then(|id| Some((*id, conns.get(id)?))) {
                each(id, conn);
            }
        }
        Target::Everyone => to_roles(&[Role::Participant, Role::Facilitator, Role::Screen]),
        Target::Facilitators => to_roles(&[Role::Facilitator]),
        Target::Watchers => to_roles(&[Role::Facilitator, Role::Screen]),
        Target::Audience => to_roles(&[Role::Participant, Role::Screen]),
    }
}

/// Frames sent, by type, counted on the actor and told to the metrics once per batch rather
/// than once for each of a round's thousands of frames.
#[derive(Default)]
struct FrameCounts(Vec<(&'static str, u64)>);

impl FrameCounts {
    fn add(&mut self, kind: &'static str, frames: u64) {
        match self.0.iter_mut().find(|(counted, _)| *counted == kind) {
            Some((_, count)) => *count += frames,
            None => self.0.push((kind, frames)),
        }
    }

    fn report(&mut self) {
        for (kind, count) in self.0.drain(..) {
            metrics::counter!(crate::metrics::FRAMES_OUT, "type" => kind).increment(count);
        }
    }
}

/// Takes one off a gauge when dropped, however the task ends.
fn scopeguard_gauge(name: &'static str) -> impl Drop {
    struct Guard(&'static str);
    impl Drop for Guard {
        fn drop(&mut self) {
            metrics::gauge!(self.0).decrement(1.0);
        }
    }
    Guard(name)
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
