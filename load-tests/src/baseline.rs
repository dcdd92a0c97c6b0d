//! `baseline`: the hand-out fan-out of `scoring`, measured against a bare tokio-tungstenite
//! broadcast server with no logic and no storage, the bar Lapp is held against; and that
//! server itself, run as the hidden `baseline-server` subcommand.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use lapp_protocol::{
    ActivityInfo, ActivityKind, CardId, CardText, GroupId, GroupView, GroupingConfig, Hand, Member, NoteId,
    NoteView, Phase, Pid, ServerMsg,
};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::client::{Connector, MAX_CONNECTING, send_home, ws_config};
use crate::hall::{HallArgs, next_event};
use crate::report::{Latency, Problems, Report, progress_bar};
use crate::server::ServerProcess;
use crate::windows::Windows;

/// Frames that may wait for one listener, as in Lapp; a listener that falls further behind
/// is dropped.
const OUTBOX_FRAMES: usize = 64;

/// Connections the baseline server's kernel holds until it accepts them.
const ACCEPT_BACKLOG: u32 = 1024;

/// A pause between rounds, standing in for the time a hall takes to score, so each round
/// starts on a quiet server as it does in `scoring`.
const BETWEEN_ROUNDS: Duration = Duration::from_millis(500);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub hall: HallArgs,
    /// Fan-outs to measure.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// Spread client sockets over this many source addresses, 127.0.0.1 to 127.0.0.N.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=254))]
    pub sources: u8,
    /// What every listener is sent in each fan-out.
    #[arg(long, value_enum, default_value_t = Frames::Hand)]
    pub frames: Frames,
    /// Append each fan-out's window on the monotonic clock to this file, for
    /// `scripts/profile-fanout`.
    #[arg(long)]
    pub windows: Option<PathBuf>,
}

/// What the bare server sends each listener in a fan-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Frames {
    /// One `hand`-sized frame, the same bytes for all: the bar DESIGN.md sets.
    Hand,
    /// What Lapp sends participants at a round's start: each listener a `hand` made from its
    /// own card (a participant's `hand` stands for the round's `activity`).
    Lapp,
    /// What Lapp sends participants when a 1-3-9's level starts (the trigger's round is the
    /// level): the `activity`, the same bytes for all, then each listener its group's `group`,
    /// encoded once per group. Groups are the listeners in turn, by 3 then by 9, with the
    /// names and notes `grouping` gives them: at level 1 each member's note written alone, at
    /// level 2 each merged group's first note, brought in from it.
    Groups,
}

#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on; the bound address is printed as the first line of stdout.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
}

/// The baseline's own little protocol: a listener says `hello` and is answered `ready` once
/// it is registered; a trigger connection sends `trigger` for each fan-out.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BaselineMsg {
    Hello { room: usize, index: usize },
    Trigger { room: usize, round: u32, frames: Frames },
    Ready,
}

impl BaselineMsg {
    fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// One frame the size of a Lapp `hand`.
fn hand_frame() -> String {
    let card = CardText { id: CardId(1_400), text: crate::scoring::card_text(0, 1_399) };
    ServerMsg::Hand(Hand { round: 1, card: Some(card), score: None }).encode()
}

/// What a listener task tells the driver.
enum Event {
    Joined { room: usize, took: Duration },
    Failed(String),
    Lost { room: usize, error: String },
    Received { room: usize, at: Instant },
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    args.hall.check()?;
    let (process, addr) = ServerProcess::start_baseline().await?;
    let windows = args.windows.as_deref().map(Windows::append_to).transpose()?;
    if let Some(windows) = &windows {
        windows.process("bare", process.pid());
    }
    let connector = Arc::new(Connector::new(addr, args.sources));
    let gate = Arc::new(Semaphore::new(MAX_CONNECTING));
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (stop, stop_rx) = watch::channel(false);
    let mut listeners = JoinSet::new();
    for room in 0..args.hall.rooms {
        for index in 0..args.hall.participants {
            let (connector, gate, events, stop) =
                (Arc::clone(&connector), Arc::clone(&gate), events_tx.clone(), stop_rx.clone());
            listeners.spawn(listen(room, index, connector, gate, events, stop));
        }
    }
    drop(events_tx);
    let mut triggers = Vec::with_capacity(args.hall.rooms);
    for _ in 0..args.hall.rooms {
        triggers.push(connector.connect().await.context("a trigger connection")?);
    }

    let total = args.hall.participants * args.hall.rooms;
    let bar = progress_bar(total as u64 * (1 + u64::from(args.rounds)));
    bar.set_message("connecting");
    let mut present = vec![0; args.hall.rooms];
    let (mut connect, mut fanout) = (Latency::new(), Latency::new());
    let mut problems = Problems::default();
    let mut errors = 0;
    for _ in 0..total {
        match next_event(&mut events, "the listeners").await? {
            Event::Joined { room, took } => {
                present[room] += 1;
                connect.record(took);
            }
            Event::Failed(error) | Event::Lost { error, .. } => {
                errors += 1;
                problems.note(error);
            }
            Event::Received { .. } => {}
        }
        bar.inc(1);
    }
    for round in 1..=args.rounds {
        bar.set_message(format!("round {round} of {}", args.rounds));
        tokio::time::sleep(BETWEEN_ROUNDS).await;
        let mut triggered_at = Vec::with_capacity(args.hall.rooms);
        for (room, trigger) in triggers.iter_mut().enumerate() {
            triggered_at.push(Instant::now());
            trigger.send_text(BaselineMsg::Trigger { room, round, frames: args.frames }.encode()).await?;
        }
        let mut last = Instant::now();
        let mut received = vec![0; args.hall.rooms];
        while received.iter().zip(&present).any(|(received, present)| received < present) {
            match next_event(&mut events, "the listeners").await? {
                Event::Received { room, at } => {
                    fanout.record(at.saturating_duration_since(triggered_at[room]));
                    last = last.max(at);
                    received[room] += 1;
                    bar.inc(1);
                }
                Event::Lost { room, error } => {
                    present[room] -= 1;
                    errors += 1;
                    problems.note(error);
                }
                Event::Joined { .. } | Event::Failed(_) => {}
            }
        }
        if let (Some(windows), Some(first)) = (&windows, triggered_at.first()) {
            windows.window("bare", *first, last);
        }
    }
    bar.finish_and_clear();

    let mut report = Report::new("baseline");
    report.server_rss_peak_bytes = Some(process.peak_rss_bytes());
    report.server_cpu_s = Some(process.cpu_seconds());
    for trigger in triggers {
        trigger.close().await;
    }
    send_home(&mut listeners, &stop).await;
    report.participants = args.hall.participants;
    report.rooms = args.hall.rooms;
    report.rounds = args.rounds;
    report.connect_ms = connect.summary(&["p50", "p99"]);
    report.fanout_ms = fanout.summary(&["p50", "p95", "p99", "max"]);
    report.errors = errors;
    report.problems = problems;
    report.count_traffic(&connector.traffic);
    Ok(report)
}

/// One listener: says hello to its room, then reports the arrival of every `hand`.
async fn listen(
    room: usize,
    index: usize,
    connector: Arc<Connector>,
    gate: Arc<Semaphore>,
    events: mpsc::UnboundedSender<Event>,
    mut stop: watch::Receiver<bool>,
) {
    // A send fails only once the driver has stopped listening, and then nobody needs it.
    let report = |event| drop(events.send(event));
    let joined = async {
        let _permit = gate.acquire().await?;
        let started = Instant::now();
        let mut client = connector.connect().await?;
        client.send_text(BaselineMsg::Hello { room, index }.encode()).await?;
        client.recv_text().await?; // `ready`: registered in the room
        anyhow::Ok((client, started.elapsed()))
    };
    let mut client = match tokio::time::timeout(Duration::from_secs(30), joined).await {
        Ok(Ok((client, took))) => {
            report(Event::Joined { room, took });
            client
        }
        Ok(Err(err)) => return report(Event::Failed(format!("a listener could not connect: {err:#}"))),
        Err(_) => return report(Event::Failed("a listener was not ready within 30 s".into())),
    };
    // Polled after the socket, and registered once: a hall of listeners all waiting on one
    // stop signal should not queue up on it for every frame.
    let stopped = stop.changed();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            received = client.recv_text() => match received {
                Ok(text) => {
                    let at = Instant::now();
                    // A real client reads what it got; Lapp's participants decode every frame.
                    match ServerMsg::decode(text.as_str()) {
                        Ok(ServerMsg::Hand(_) | ServerMsg::Group(_)) => report(Event::Received { room, at }),
                        Ok(_) => {}
                        Err(_) => {
                            return report(Event::Failed("the bare server sent a frame not in the protocol".into()));
                        }
                    }
                }
                Err(err) => {
                    let error = format!("a listener was lost: {err:#}");
                    return report(Event::Lost { room, error });
                }
            },
            _ = &mut stopped => break,
        }
    }
    client.close().await;
}

/// Each room's listeners: the queue and the card of every connection.
type Rooms = Arc<Mutex<HashMap<usize, Vec<Listener>>>>;

struct Listener {
    queue: mpsc::Sender<Utf8Bytes>,
    index: usize,
    card: CardText,
}

type Ws = WebSocketStream<TcpStream>;

/// The baseline server: accepts connections until the driver that started it goes away.
pub async fn serve(args: &ServerArgs) -> anyhow::Result<()> {
    let socket = if args.listen.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }?;
    socket.set_reuseaddr(true)?;
    socket.bind(args.listen).with_context(|| format!("listen on {}", args.listen))?;
    // tokio's `bind` keeps only 128 connections waiting to be accepted; a hall connecting at
    // once overflows that, and every dropped SYN costs its client a one-second retry.
    let listener = socket.listen(ACCEPT_BACKLOG)?;
    let addr = listener.local_addr()?;
    {
        // Not a log line: the driver that started this process reads its address here.
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{addr}")?;
        stdout.flush()?;
    }
    let hand = Utf8Bytes::from(hand_frame());
    let rooms = Rooms::default();
    let driver_gone = stdin_closed();
    tokio::pin!(driver_gone);
    loop {
        tokio::select! {
            _ = &mut driver_gone => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, Arc::clone(&rooms), hand.clone()));
                }
                Err(err) => {
                    // Out of file descriptors, say: wait for some to be freed.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
}

/// Resolves once stdin closes: the driver holds its other end, so this server never outlives
/// the driver, even one that was killed.
fn stdin_closed() -> oneshot::Receiver<()> {
    let (closed_tx, closed) = oneshot::channel::<()>();
    std::thread::spawn(move || {
        // Whatever ends the read (end of file or an error), the driver is gone.
        let _ended = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        drop(closed_tx);
    });
    closed
}

async fn serve_connection(stream: TcpStream, rooms: Rooms, hand: Utf8Bytes) {
    if let Err(err) = connection(stream, &rooms, &hand).await {
        tracing::debug!(err = %format!("{err:#}"), "connection ended");
    }
}

async fn connection(stream: TcpStream, rooms: &Rooms, hand: &Utf8Bytes) -> anyhow::Result<()> {
    stream.set_nodelay(true)?;
    // The same buffers as the Lapp server's (server/src/http.rs): a 512-byte read buffer, a
    // 4 KiB write buffer, frames up to 64 KiB.
    let config =
        ws_config().read_buffer_size(512).max_message_size(Some(64 * 1024)).max_frame_size(Some(64 * 1024));
    let ws = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await?;
    let (sink, mut frames) = ws.split();
    let Some(first) = next_text(&mut frames).await? else {
        return Ok(());
    };
    match serde_json::from_str(&first)? {
        BaselineMsg::Trigger { room, round, frames: what } => {
            fan_out(rooms, room, round, what, hand);
            while let Some(text) = next_text(&mut frames).await? {
                if let Ok(BaselineMsg::Trigger { room, round, frames: what }) = serde_json::from_str(&text) {
                    fan_out(rooms, room, round, what, hand);
                }
            }
        }
        BaselineMsg::Hello { room, index } => {
            let (queue, queued) = mpsc::channel(OUTBOX_FRAMES);
            // Queued before the listener joins its room, so `ready` means registered.
            queue.try_send(Utf8Bytes::from(BaselineMsg::Ready.encode()))?;
            // The card a participant of that room and seat writes in `scoring`.
            let card =
                CardText { id: CardId(index as u32 + 1), text: crate::scoring::card_text(room, index) };
            let listener = Listener { queue, index, card };
            rooms.lock().unwrap_or_else(PoisonError::into_inner).entry(room).or_default().push(listener);
            let writer = tokio::spawn(write_frames(sink, queued));
            while next_text(&mut frames).await?.is_some() {}
            writer.abort();
        }
        BaselineMsg::Ready => bail!("a client said ready"),
    }
    Ok(())
}

/// Sends every listener of `room` its frames, never waiting on one: the same bytes to all; with
/// [`Frames::Lapp`] to each a `hand` of its own, queued as soon as it is made, as Lapp does;
/// with [`Frames::Groups`] a level's `activity` and each its group.
fn fan_out(rooms: &Rooms, room: usize, round: u32, frames: Frames, hand: &Utf8Bytes) {
    let mut rooms = rooms.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(listeners) = rooms.get_mut(&room) else { return };
    // As in Lapp, a listener whose queue is full or gone is dropped.
    match frames {
        Frames::Hand => listeners.retain(|listener| listener.queue.try_send(hand.clone()).is_ok()),
        Frames::Lapp => listeners.retain(|listener| {
            let card = Some((listener.card.id, listener.card.text.as_str()));
            listener.queue.try_send(Utf8Bytes::from(Hand::encode_from(round, card, None))).is_ok()
        }),
        Frames::Groups => fan_out_groups(listeners, room, round),
    }
}

/// A level's frames: the `activity` to all, then each group's `group` to its members.
fn fan_out_groups(listeners: &mut Vec<Listener>, room: usize, level: u32) {
    let sizes = GroupingConfig::default().sizes;
    let size = sizes[(level as usize).clamp(1, sizes.len()) - 1] as usize;
    let activity = Utf8Bytes::from(
        ServerMsg::Activity(ActivityInfo {
            index: 0,
            kind: ActivityKind::Grouping,
            prompt: crate::server::PROMPT.to_owned(),
            phase: Phase::Level,
            round: None,
            level: Some(level),
            deadline: None,
            now: None,
        })
        .encode(),
    );
    let mut dropped = Vec::new();
    for (at, members) in listeners.chunks(size).enumerate() {
        let frame = Utf8Bytes::from(
            ServerMsg::Group(group_view(room, level, at, members, sizes[0] as usize)).encode(),
        );
        for listener in members {
            if listener.queue.try_send(activity.clone()).is_err()
                || listener.queue.try_send(frame.clone()).is_err()
            {
                dropped.push(listener.index);
            }
        }
    }
    listeners.retain(|listener| !dropped.contains(&listener.index));
}

/// The group `at` of `level`, made of `members`; `first` is the size of level 1's groups.
fn group_view(room: usize, level: u32, at: usize, members: &[Listener], first: usize) -> GroupView {
    let note = |listener: &Listener, from| NoteView {
        id: NoteId(listener.index as u32 + 1),
        text: crate::grouping::note_text(room, listener.index, 0),
        stars: 0,
        from,
        starred_by: Vec::new(),
    };
    let notes = match level {
        1 => members.iter().map(|listener| note(listener, None)).collect(),
        _ => members
            .chunks(first)
            .map(|merged| note(&merged[0], Some(GroupId(merged[0].index as u32 + 1))))
            .collect(),
    };
    GroupView {
        level,
        id: GroupId(level * 10_000 + at as u32 + 1),
        label: format!("Blå rev {}", at + 1),
        members: members
            .iter()
            .map(|listener| Member {
                pid: Pid(listener.index as u32 + 1),
                name: Some(format!("P{}", listener.index)),
            })
            .collect(),
        notes,
    }
}

/// Feeds every queued frame, then flushes once, as Lapp's writer does.
async fn write_frames(
    mut sink: SplitSink<Ws, Message>,
    mut queued: mpsc::Receiver<Utf8Bytes>,
) -> anyhow::Result<()> {
    while let Some(first) = queued.recv().await {
        sink.feed(Message::Text(first)).await?;
        while let Ok(next) = queued.try_recv() {
            sink.feed(Message::Text(next)).await?;
        }
        sink.flush().await?;
    }
    Ok(())
}

/// The next text frame; `None` once the client has closed.
async fn next_text(frames: &mut SplitStream<Ws>) -> anyhow::Result<Option<Utf8Bytes>> {
    loop {
        match frames.next().await {
            Some(Ok(Message::Text(text))) => return Ok(Some(text)),
            Some(Ok(Message::Close(_))) | None => return Ok(None),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room_of(cards: &[&str]) -> (Rooms, Vec<mpsc::Receiver<Utf8Bytes>>) {
        let rooms = Rooms::default();
        let mut queues = Vec::new();
        for (index, text) in cards.iter().enumerate() {
            let (queue, queued) = mpsc::channel(OUTBOX_FRAMES);
            let card = CardText { id: CardId(index as u32 + 1), text: (*text).to_owned() };
            rooms.lock().unwrap_or_else(PoisonError::into_inner).entry(0).or_default().push(Listener {
                queue,
                index,
                card,
            });
            queues.push(queued);
        }
        (rooms, queues)
    }

    fn received(queue: &mut mpsc::Receiver<Utf8Bytes>) -> Vec<ServerMsg> {
        std::iter::from_fn(|| queue.try_recv().ok())
            .map(|frame| ServerMsg::decode(frame.as_str()).expect("a protocol frame"))
            .collect()
    }

    #[test]
    fn the_bare_hand_is_the_same_frame_for_everyone() {
        let (rooms, mut queues) = room_of(&["a", "b"]);
        let hand = Utf8Bytes::from(hand_frame());
        fan_out(&rooms, 0, 1, Frames::Hand, &hand);
        for queue in &mut queues {
            let frames: Vec<Utf8Bytes> = std::iter::from_fn(|| queue.try_recv().ok()).collect();
            assert_eq!(frames, vec![hand.clone()]);
        }
    }

    #[test]
    fn lapp_frames_are_each_listeners_own_hand() {
        let (rooms, mut queues) = room_of(&["first card", "second card"]);
        fan_out(&rooms, 0, 3, Frames::Lapp, &Utf8Bytes::from(hand_frame()));
        for (index, queue) in queues.iter_mut().enumerate() {
            let frames = received(queue);
            let [ServerMsg::Hand(hand)] = frames.as_slice() else { panic!("one hand: {frames:?}") };
            let card = hand.card.as_ref().expect("a card");
            assert_eq!((hand.round, card.id), (3, CardId(index as u32 + 1)));
            assert_eq!(card.text, ["first card", "second card"][index]);
        }
    }

    #[test]
    fn group_frames_are_the_levels_groups_with_their_notes() {
        let (rooms, mut queues) = room_of(&["card"; 20]);
        let hand = Utf8Bytes::from(hand_frame());
        for level in [1, 2] {
            fan_out(&rooms, 0, level, Frames::Groups, &hand);
            let groups: Vec<GroupView> = queues
                .iter_mut()
                .map(|queue| match received(queue).as_slice() {
                    [ServerMsg::Activity(activity), ServerMsg::Group(group)] => {
                        assert_eq!(activity.level, Some(level));
                        group.clone()
                    }
                    frames => panic!("an activity and a group: {frames:?}"),
                })
                .collect();
            let (size, notes) = if level == 1 { (3, 3) } else { (9, 3) };
            assert_eq!(groups[0].members.len(), size);
            assert_eq!(groups[0].notes.len(), notes);
            assert_eq!(groups[19].members.len(), 20 % size, "the last group takes who is left");
            assert_eq!(groups[0].notes.iter().all(|note| note.from.is_some()), level == 2);
            for (index, group) in groups.iter().enumerate() {
                assert!(
                    group.members.iter().any(|member| member.pid == Pid(index as u32 + 1)),
                    "in its own group"
                );
                assert_eq!(group, &groups[index / size * size], "the same frame for the whole group");
            }
        }
    }
}
