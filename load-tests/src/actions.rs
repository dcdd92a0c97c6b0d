//! `actions`: plays whole micro-actions (#mikrohandling), one session per room, every phone a
//! task with its own WebSocket and a zone: each writes an action; most pair by buddy code (one
//! asks with the code the other's phone shows, the other accepts the request it sees); the
//! facilitator closes pairing, which pairs the rest at random; then each sets a status and
//! some put their action on the wall. Times every kind of ack and the close's fan-out, then
//! checks every acknowledged action, pairing and status, and the pairing rules, against the
//! session's export.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::ProgressBar;
use lapp_protocol::{
    ActionId, ActionsConfig, ActionsMsg, AgendaItem, ClientMsg, Join, JoinCode, OwnAction, Phase, Pid, Role,
    ServerMsg, SessionExport, Status, Welcome,
};
use rand::seq::SliceRandom;
use serde::Serialize;
use tokio::sync::{Barrier, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::client::{Client, Connector, MAX_CONNECTING, send_home};
use crate::facilitator::{self, Command, Desk, Heard};
use crate::hall::{Attendance, Attended, Conduct, HallArgs, Requests, Tally, attend};
use crate::report::{Latency, Problems, Report, Summary, progress_bar};
use crate::server::{Target, TargetArgs};

/// The question of every micro-actions activity the driver plays.
const PROMPT: &str = "What will YOU start doing tomorrow?";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Phones in each room.
    #[arg(long, default_value_t = 1400)]
    pub participants: usize,
    /// Rooms, one session each; all of them advance at the same instant.
    #[arg(long, default_value_t = 1)]
    pub rooms: usize,
    /// Zones in each room (A, B, ...), phones seated in them in turn; 0 for none.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(0..=26))]
    pub zones: u8,
    /// Fraction (0 to 1) of the writers who pair by code, each with someone of their zone;
    /// the rest (and one of a zone's odd number) stay alone until pairing closes.
    #[arg(long, default_value_t = 0.8)]
    pub by_code: f64,
    /// Fraction (0 to 1) of phones that put their action on the wall once it opens, after
    /// their status.
    #[arg(long, default_value_t = 0.0)]
    pub wall: f64,
    /// Each phone acts at a random moment up to this many milliseconds after what prompts it
    /// (writing opening, its buddy's code, a request, the wall).
    #[arg(long, default_value_t = 1000)]
    pub think_ms: u64,
    #[command(flatten)]
    pub target: TargetArgs,
}

impl Args {
    fn hall(&self) -> HallArgs {
        HallArgs { participants: self.participants, rooms: self.rooms }
    }
}

/// The action phone `index` of `room` writes.
fn action_text(room: usize, index: usize) -> String {
    format!("I will, from room {room} seat {index}, start every meeting with its goal")
}

/// The zone of phone `index`, with `zones` zones: A, B, ... in turn.
fn zone_of(index: usize, zones: u8) -> Option<String> {
    (zones > 0).then(|| char::from(b'A' + (index % usize::from(zones)) as u8).to_string())
}

/// Whether phone `index` puts its action on the wall: `share` of the hall, spread evenly.
fn shows_on_wall(index: usize, share: f64) -> bool {
    ((index + 1) as f64 * share).floor() > (index as f64 * share).floor()
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let hall = args.hall();
    hall.check()?;
    if !(0.0..=1.0).contains(&args.by_code) || !(0.0..=1.0).contains(&args.wall) {
        bail!("--by-code and --wall are fractions from 0 to 1");
    }
    let target = Target::open(&args.target, args.participants.max(5_000)).await?;
    let connector = Arc::new(Connector::new(target.addr, args.target.sources));
    let (events_tx, events) = mpsc::unbounded_channel();
    let barrier = Arc::new(Barrier::new(args.rooms));

    let mut rooms = Vec::with_capacity(args.rooms);
    for room in 0..args.rooms {
        let activity = AgendaItem::Actions { prompt: PROMPT.to_owned(), config: ActionsConfig::default() };
        let created = target.api.create_session(&format!("Load room {room}"), activity).await?;
        let join = Join { key: Some(created.key.clone()), ..Join::new(created.code, Role::Facilitator) };
        let (client, _welcome) = connector.join(join).await.context("the facilitator could not join")?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let events = events_tx.clone();
        // A send fails only once the conductor has gone, and then nobody is listening.
        let heard = move |heard| drop(events.send(Event { room, what: Happened::Facilitator(heard) }));
        tokio::spawn(facilitator::facilitate(client, commands_rx, Arc::clone(&barrier), None, heard));
        rooms.push(Room::new(created.code, created.key, commands));
    }

    let (stop, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(MAX_CONNECTING));
    let mut phones = JoinSet::new();
    for (room, state) in rooms.iter_mut().enumerate() {
        for index in 0..args.participants {
            let (asks, asks_rx) = mpsc::unbounded_channel();
            state.asks.push(asks);
            let phone = Phone {
                room,
                index,
                code: state.code,
                zone: zone_of(index, args.zones),
                finishes: index % 2 == 1,
                shows: shows_on_wall(index, args.wall),
                think: Duration::from_millis(args.think_ms),
                connector: Arc::clone(&connector),
                gate: Arc::clone(&gate),
                events: events_tx.clone(),
                stop: stop_rx.clone(),
            };
            phones.spawn(phone.run(asks_rx));
        }
    }
    // Only clients hold senders now: if every one of them ends, the conductor hears of it.
    drop(events_tx);

    let bar = progress_bar(hall.clients() as u64 * 5);
    let mut conductor = Conductor::new(rooms, events, args, bar);
    conductor.play().await?;

    send_home(&mut phones, &stop).await;
    let mut exports = Vec::with_capacity(conductor.rooms.len());
    for room in &mut conductor.rooms {
        // The activity is over: closing the commands lets the facilitator leave.
        room.facilitator.dismiss();
        exports.push(target.api.export(room.code, &room.key).await?);
    }

    let mut report = Report::new("actions");
    report.participants = args.participants;
    report.rooms = args.rooms;
    let mut figures =
        ActionsFigures { zones: args.zones, by_code: args.by_code, wall: args.wall, ..Default::default() };
    for (room, export) in conductor.rooms.iter().zip(&exports) {
        let found = check_export(room, export, &mut conductor.tally.problems);
        figures.add(&found);
        report.rule_violations += found.rule_violations;
    }
    figures.fill_latencies(&conductor.latencies);
    report.actions = Some(figures);
    conductor.tally.fill(&mut report);
    report.count_traffic(&connector.traffic);
    if let Some(process) = &target.process {
        report.server_rss_peak_bytes = Some(process.peak_rss_bytes());
        report.server_cpu_s = Some(process.cpu_seconds());
    }
    Ok(report)
}

/// What a client task tells the conductor, about its room.
struct Event {
    room: usize,
    what: Happened,
}

enum Happened {
    Attended(Attended),
    /// The answer to `action.write` (`None`: refused).
    Written(Option<(AckedAction, Duration)>),
    /// Phone `index`'s buddy code, from its first `action` frame while pairing.
    Code {
        index: usize,
        pid: Pid,
        code: String,
    },
    /// The answer to `buddy.ask` (`None`: refused).
    Asked(Option<Duration>),
    /// The answer to `buddy.answer`: the pair it made (`None`: refused).
    Answered(Option<(Pair, Duration)>),
    /// A phone's `action` frame after pairing closed, received at `at`.
    Closed {
        pid: Pid,
        at: Instant,
        seen: Seen,
    },
    /// An acknowledged `action.status`.
    StatusSet {
        pid: Pid,
        status: Status,
        took: Duration,
    },
    /// An `action.status` sent and never answered: the connection ended first.
    Unanswered {
        pid: Pid,
        status: Status,
    },
    /// An acknowledged `action.wall` (shown).
    Shown {
        pid: Pid,
        took: Duration,
    },
    /// A phone has had every answer it waits for at the wall.
    Finished(Pid),
    /// A phone's connection ended before the run did.
    Left(Pid),
    /// An `error` frame.
    ServerError(String),
    Facilitator(Heard),
}

#[derive(Debug, Clone)]
struct AckedAction {
    id: ActionId,
    author: Pid,
    text: String,
}

/// Buddies by code: `asker` sent `buddy.ask` with `answerer`'s code, and `answerer`'s accept
/// was acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pair {
    asker: Pid,
    answerer: Pid,
}

/// What a phone's `action` frame showed when pairing closed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    buddies: Vec<Pid>,
    random: bool,
}

/// Something a phone means to do, once it has no request under way.
#[derive(Debug)]
enum Todo {
    Write,
    Ask(String),
    Answer(Pid),
    Status(Status),
    Wall,
}

/// A request waiting for its answer.
enum Pending {
    Write(String),
    Ask,
    /// Accepting the request of this asker.
    Answer(Pid),
    Status(Status),
    Wall,
}

/// One phone: joins in its zone, writes its action when writing opens, pairs by code if the
/// conductor hands it a buddy's code or a request comes, and at the wall sets its status
/// (`started`, then `done` for every other phone) and maybe shows its action on the wall.
struct Phone {
    room: usize,
    index: usize,
    code: JoinCode,
    zone: Option<String>,
    /// Sets `done` after `started`.
    finishes: bool,
    /// Puts its action on the wall, last.
    shows: bool,
    think: Duration,
    connector: Arc<Connector>,
    gate: Arc<Semaphore>,
    events: mpsc::UnboundedSender<Event>,
    stop: watch::Receiver<bool>,
}

/// Where a phone is.
struct Seat {
    pid: Pid,
    phase: Phase,
    requests: Requests<Pending>,
    /// What to do and from when, in order.
    plan: VecDeque<(tokio::time::Instant, Todo)>,
    code_told: bool,
    answered: HashSet<Pid>,
    /// The activity has moved to the wall: the next `action` frame is pairing's close.
    closing: bool,
    /// Answers still awaited at the wall.
    at_wall: usize,
}

impl Phone {
    async fn run(self, asks: mpsc::UnboundedReceiver<String>) {
        let report = |what| self.report(Happened::Attended(what));
        let join = Join {
            name: Some(format!("P{}", self.index)),
            zone: self.zone.clone(),
            ..Join::new(self.code, Role::Participant)
        };
        attend(&self.gate, &self.connector, join, report, async |client, welcome: Welcome| {
            let pid = welcome.you.pid.context("a participant's welcome has a pid")?;
            let mut seat = Seat {
                pid,
                phase: Phase::Lobby,
                requests: Requests::new(),
                plan: VecDeque::new(),
                code_told: false,
                answered: HashSet::new(),
                closing: false,
                at_wall: 0,
            };
            let played = self.play(client, &mut seat, asks).await;
            if played.is_err() {
                // The server may have stored a status whose ack the connection took.
                if let Some(Pending::Status(status)) = seat.requests.unanswered() {
                    self.report(Happened::Unanswered { pid, status });
                }
                self.report(Happened::Left(pid));
            }
            played
        })
        .await;
    }

    fn report(&self, what: Happened) {
        // A send fails only once the conductor has gone, and then nobody is listening.
        drop(self.events.send(Event { room: self.room, what }));
    }

    /// A moment for the person to think, from `at`.
    fn after_thought(&self, at: Instant) -> tokio::time::Instant {
        tokio::time::Instant::from_std(at) + rand::random_range(Duration::ZERO..=self.think)
    }

    async fn play(
        &self,
        mut client: Client,
        seat: &mut Seat,
        mut asks: mpsc::UnboundedReceiver<String>,
    ) -> anyhow::Result<()> {
        let mut stop = self.stop.clone();
        let stopped = stop.changed();
        tokio::pin!(stopped);
        let acting = tokio::time::sleep(Duration::from_secs(86_400));
        tokio::pin!(acting);
        let mut asks_open = true;
        loop {
            let due = seat.plan.front().map(|(at, _)| *at);
            if let Some(at) = due
                && acting.deadline() != at
            {
                acting.as_mut().reset(at);
            }
            tokio::select! {
                biased;
                received = client.recv_timed() => {
                    let (msg, at) = received?;
                    self.take(seat, msg, at)?;
                }
                ask = asks.recv(), if asks_open => match ask {
                    Some(code) => {
                        let at = self.after_thought(Instant::now());
                        seat.plan.push_back((at, Todo::Ask(code)));
                    }
                    None => asks_open = false,
                },
                () = &mut acting, if due.is_some() && seat.requests.is_idle() => {
                    if let Some((_, todo)) = seat.plan.pop_front() {
                        self.act(seat, &mut client, todo).await?;
                    }
                }
                _ = &mut stopped => break,
            }
        }
        client.close().await;
        Ok(())
    }

    async fn act(&self, seat: &mut Seat, client: &mut Client, todo: Todo) -> anyhow::Result<()> {
        let (msg, pending) = match todo {
            Todo::Write => {
                let text = action_text(self.room, self.index);
                (ActionsMsg::ActionWrite { text: text.clone() }, Pending::Write(text))
            }
            Todo::Ask(code) => (ActionsMsg::BuddyAsk { code }, Pending::Ask),
            Todo::Answer(pid) => (ActionsMsg::BuddyAnswer { pid, accept: true }, Pending::Answer(pid)),
            Todo::Status(status) => {
                (ActionsMsg::ActionStatus { status, note: None }, Pending::Status(status))
            }
            Todo::Wall => (ActionsMsg::ActionWall { shown: true }, Pending::Wall),
        };
        seat.requests.send(client, ClientMsg::Actions(msg), pending).await
    }

    /// Takes in one frame received at `at`.
    fn take(&self, seat: &mut Seat, msg: ServerMsg, at: Instant) -> anyhow::Result<()> {
        match msg {
            ServerMsg::Activity(activity) => {
                if activity.phase == Phase::Writing && seat.phase == Phase::Lobby {
                    seat.plan.push_back((self.after_thought(at), Todo::Write));
                }
                seat.closing = activity.phase == Phase::Wall && seat.phase == Phase::Pairing;
                seat.phase = activity.phase;
            }
            ServerMsg::Action(own) if seat.closing => {
                seat.closing = false;
                let seen =
                    Seen { buddies: own.buddies.iter().map(|buddy| buddy.pid).collect(), random: own.random };
                self.report(Happened::Closed { pid: seat.pid, at, seen });
                if own.id.is_some() {
                    self.plan_the_wall(seat, at);
                } else {
                    self.report(Happened::Finished(seat.pid));
                }
            }
            ServerMsg::Action(own) if seat.phase == Phase::Pairing => self.pair(seat, &own, at),
            ServerMsg::Ack { rid, action, .. } => {
                let Some((sent_at, pending)) = seat.requests.answered(rid) else { return Ok(()) };
                let took = at.duration_since(sent_at);
                match pending {
                    Pending::Write(text) => {
                        let id = action.context("the ack of action.write names the action")?;
                        let acked = AckedAction { id, author: seat.pid, text };
                        self.report(Happened::Written(Some((acked, took))));
                    }
                    Pending::Ask => self.report(Happened::Asked(Some(took))),
                    Pending::Answer(asker) => {
                        let pair = Pair { asker, answerer: seat.pid };
                        self.report(Happened::Answered(Some((pair, took))));
                    }
                    Pending::Status(status) => {
                        self.report(Happened::StatusSet { pid: seat.pid, status, took });
                        self.answered_at_wall(seat);
                    }
                    Pending::Wall => {
                        self.report(Happened::Shown { pid: seat.pid, took });
                        self.answered_at_wall(seat);
                    }
                }
            }
            ServerMsg::Error { rid, code, message } => {
                let pending = rid.and_then(|rid| seat.requests.answered(rid));
                let what = match &pending {
                    Some((_, Pending::Write(_))) => "action.write",
                    Some((_, Pending::Ask)) => "buddy.ask",
                    Some((_, Pending::Answer(_))) => "buddy.answer",
                    Some((_, Pending::Status(_))) => "action.status",
                    Some((_, Pending::Wall)) => "action.wall",
                    None => "nothing of its own",
                };
                self.report(Happened::ServerError(format!("{} ({what}) got {code}: {message}", seat.pid)));
                // A refused request still ends its step, so the run goes on.
                match pending.map(|(_, pending)| pending) {
                    Some(Pending::Write(_)) => self.report(Happened::Written(None)),
                    Some(Pending::Ask) => self.report(Happened::Asked(None)),
                    Some(Pending::Answer(_)) => self.report(Happened::Answered(None)),
                    Some(Pending::Status(_) | Pending::Wall) => self.answered_at_wall(seat),
                    None => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// While pairing: tells the conductor its code once, and accepts each new request.
    fn pair(&self, seat: &mut Seat, own: &OwnAction, at: Instant) {
        if let Some(code) = &own.code
            && !seat.code_told
        {
            seat.code_told = true;
            self.report(Happened::Code { index: self.index, pid: seat.pid, code: code.clone() });
        }
        if !own.buddies.is_empty() {
            return;
        }
        for person in &own.asking {
            if seat.answered.insert(person.pid) {
                seat.plan.push_back((self.after_thought(at), Todo::Answer(person.pid)));
            }
        }
    }

    /// At the wall: the status, `done` after `started` for some, and the wall for some.
    fn plan_the_wall(&self, seat: &mut Seat, at: Instant) {
        let from = self.after_thought(at);
        let mut todo = vec![Todo::Status(Status::Started)];
        if self.finishes {
            todo.push(Todo::Status(Status::Done));
        }
        if self.shows {
            todo.push(Todo::Wall);
        }
        seat.at_wall = todo.len();
        seat.plan.extend(todo.into_iter().map(|todo| (from, todo)));
    }

    fn answered_at_wall(&self, seat: &mut Seat) {
        seat.at_wall = seat.at_wall.saturating_sub(1);
        if seat.at_wall == 0 {
            self.report(Happened::Finished(seat.pid));
        }
    }
}

/// One room as the conductor follows it.
struct Room {
    code: JoinCode,
    key: String,
    facilitator: Desk,
    /// Where each phone's buddy codes go, by its index.
    asks: Vec<mpsc::UnboundedSender<String>>,
    attendance: Attendance,
    /// When the facilitator sent the last `phase.next`.
    advanced_at: Option<Instant>,
    /// `action.write`s answered, refusals included.
    written: usize,
    /// Acknowledged actions, by author.
    actions: HashMap<Pid, AckedAction>,
    /// Each writer's pid and buddy code, by index.
    codes: BTreeMap<usize, (Pid, String)>,
    /// Pairs the conductor handed out codes for.
    pairs_asked: usize,
    asks_answered: usize,
    asks_refused: usize,
    answers: usize,
    pairs: Vec<Pair>,
    /// When each phone received pairing's close.
    arrivals: Vec<Instant>,
    /// What each phone's frame showed at the close.
    closed: HashMap<Pid, Seen>,
    /// Acknowledged statuses, in the order set.
    statuses: HashMap<Pid, Vec<Status>>,
    /// A status whose answer a lost connection took, which the export may or may not hold.
    unanswered: HashMap<Pid, Status>,
    shown: HashSet<Pid>,
    /// Phones that have had every answer they wait for at the wall.
    finished: HashSet<Pid>,
    /// Phones whose connection ended.
    left: HashSet<Pid>,
}

impl Room {
    fn new(code: JoinCode, key: String, facilitator: mpsc::UnboundedSender<Command>) -> Room {
        Room {
            code,
            key,
            facilitator: Desk::new(facilitator),
            asks: Vec::new(),
            attendance: Attendance::default(),
            advanced_at: None,
            written: 0,
            actions: HashMap::new(),
            codes: BTreeMap::new(),
            pairs_asked: 0,
            asks_answered: 0,
            asks_refused: 0,
            answers: 0,
            pairs: Vec::new(),
            arrivals: Vec::new(),
            closed: HashMap::new(),
            statuses: HashMap::new(),
            unanswered: HashMap::new(),
            shown: HashSet::new(),
            finished: HashSet::new(),
            left: HashSet::new(),
        }
    }

    fn present(&self) -> usize {
        self.attendance.present()
    }

    /// Whether every phone that saw pairing close has had its answers at the wall, or left.
    fn settled_at_wall(&self) -> bool {
        self.closed.keys().all(|pid| self.finished.contains(pid) || self.left.contains(pid))
    }

    /// Whether every pair handed out has been settled: asked, and accepted or refused.
    fn pairing_settled(&self) -> bool {
        self.asks_answered >= self.pairs_asked && self.answers + self.asks_refused >= self.pairs_asked
    }
}

/// Ack latencies by request.
struct Latencies {
    write: Latency,
    ask: Latency,
    answer: Latency,
    status: Latency,
    wall: Latency,
}

/// Drives the rooms through the activity and gathers what the phones report.
struct Conductor {
    rooms: Vec<Room>,
    events: mpsc::UnboundedReceiver<Event>,
    participants_per_room: usize,
    zones: u8,
    by_code: f64,
    bar: ProgressBar,
    tally: Tally,
    latencies: Latencies,
}

impl Conductor {
    fn new(
        rooms: Vec<Room>,
        events: mpsc::UnboundedReceiver<Event>,
        args: &Args,
        bar: ProgressBar,
    ) -> Conductor {
        Conductor {
            rooms,
            events,
            participants_per_room: args.participants,
            zones: args.zones,
            by_code: args.by_code,
            bar,
            tally: Tally::new(),
            latencies: Latencies {
                write: Latency::new(),
                ask: Latency::new(),
                answer: Latency::new(),
                status: Latency::new(),
                wall: Latency::new(),
            },
        }
    }

    async fn play(&mut self) -> anyhow::Result<()> {
        self.bar.set_message("joining");
        let everyone = self.participants_per_room;
        self.wait_for("every phone to join", |c| {
            c.rooms.iter().all(|room| room.attendance.settled(everyone))
        })
        .await?;
        self.command_all(Command::Start).await?;

        self.bar.set_message("writing");
        self.command_all(Command::PhaseNext).await?;
        self.wait_for("every action written", |c| c.rooms.iter().all(|room| room.written >= room.present()))
            .await?;

        self.bar.set_message("pairing");
        self.command_all(Command::PhaseNext).await?;
        self.wait_for("every writer's buddy code", |c| {
            c.rooms.iter().all(|room| room.codes.len() + room.attendance.lost >= room.actions.len())
        })
        .await?;
        for room in &mut self.rooms {
            let writers: Vec<usize> = room.codes.keys().copied().collect();
            for (asker, answerer) in choose_pairs(&writers, self.zones, self.by_code) {
                let code = room.codes[&answerer].1.clone();
                // A send fails only once the phone has gone, which the run hears of anyway.
                if room.asks[asker].send(code).is_ok() {
                    room.pairs_asked += 1;
                }
            }
        }
        self.wait_for("every pair by code", |c| c.rooms.iter().all(Room::pairing_settled)).await?;

        self.bar.set_message("closing pairing");
        self.command_all(Command::PhaseNext).await?;
        self.wait_for("every phone to see pairing close", |c| {
            c.rooms.iter().all(|room| room.closed.len() >= room.present())
        })
        .await?;
        for room in &self.rooms {
            let Some(advanced_at) = room.advanced_at else { continue };
            for arrival in &room.arrivals {
                self.tally.fanout.record(arrival.saturating_duration_since(advanced_at));
            }
        }

        self.bar.set_message("statuses");
        self.wait_for("every status", |c| c.rooms.iter().all(Room::settled_at_wall)).await?;
        self.bar.finish_and_clear();
        Ok(())
    }
}

impl Conduct for Conductor {
    type Event = Event;

    fn events(&mut self) -> &mut mpsc::UnboundedReceiver<Event> {
        &mut self.events
    }

    fn take(&mut self, Event { room, what }: Event) -> anyhow::Result<()> {
        let room = &mut self.rooms[room];
        let latencies = &mut self.latencies;
        let mut acked = |latency: &mut Latency, took: Duration| {
            latency.record(took);
            self.tally.ack.record(took);
        };
        match what {
            Happened::Attended(what) => {
                if self.tally.attended(&mut room.attendance, room.code, what) {
                    self.bar.inc(1);
                }
            }
            Happened::Written(written) => {
                room.written += 1;
                if let Some((action, took)) = written {
                    acked(&mut latencies.write, took);
                    room.actions.insert(action.author, action);
                }
                self.bar.inc(1);
            }
            Happened::Code { index, pid, code } => {
                room.codes.insert(index, (pid, code));
                self.bar.inc(1);
            }
            Happened::Asked(took) => {
                room.asks_answered += 1;
                match took {
                    Some(took) => acked(&mut latencies.ask, took),
                    None => room.asks_refused += 1,
                }
            }
            Happened::Answered(answered) => {
                room.answers += 1;
                if let Some((pair, took)) = answered {
                    acked(&mut latencies.answer, took);
                    room.pairs.push(pair);
                }
            }
            Happened::Closed { pid, at, seen } => {
                room.arrivals.push(at);
                room.closed.insert(pid, seen);
                self.bar.inc(1);
            }
            Happened::Unanswered { pid, status } => {
                room.unanswered.insert(pid, status);
            }
            Happened::StatusSet { pid, status, took } => {
                acked(&mut latencies.status, took);
                room.statuses.entry(pid).or_default().push(status);
            }
            Happened::Shown { pid, took } => {
                acked(&mut latencies.wall, took);
                room.shown.insert(pid);
            }
            Happened::Left(pid) => {
                room.left.insert(pid);
            }
            Happened::Finished(pid) => {
                room.finished.insert(pid);
                self.bar.inc(1);
            }
            Happened::ServerError(error) => {
                self.tally.errors += 1;
                self.tally.problems.note(format!("room {}: {error}", room.code));
            }
            Happened::Facilitator(Heard::Answered { sent_at, refused }) => {
                room.facilitator.answered();
                room.advanced_at = Some(sent_at);
                if let Some((code, message)) = refused {
                    bail!("room {}: the facilitator's request was refused: {code}: {message}", room.code);
                }
            }
            Happened::Facilitator(Heard::Lost(error)) => {
                bail!("room {}: the facilitator's connection ended: {error}", room.code);
            }
            Happened::Facilitator(Heard::Frame(ServerMsg::Error { code, message, .. }, _)) => {
                self.tally.errors += 1;
                self.tally
                    .problems
                    .note(format!("room {}: the facilitator got error {code}: {message}", room.code));
            }
            // This scenario never locks its sessions nor restarts the server.
            Happened::Facilitator(Heard::Frame(..) | Heard::Locked { .. } | Heard::Back) => {}
        }
        Ok(())
    }

    fn desks(&mut self) -> impl Iterator<Item = (JoinCode, &mut Desk)> {
        self.rooms.iter_mut().map(|room| (room.code, &mut room.facilitator))
    }

    fn every_desk_caught_up(&self) -> bool {
        self.rooms.iter().all(|room| room.facilitator.caught_up())
    }
}

/// Who pairs by code, as (asker, answerer) indexes: `share` of the `writers` drawn at random,
/// paired with someone of their zone (an odd one of a zone stays alone).
fn choose_pairs(writers: &[usize], zones: u8, share: f64) -> Vec<(usize, usize)> {
    let mut drawn = writers.to_vec();
    drawn.shuffle(&mut rand::rng());
    drawn.truncate((share * writers.len() as f64).round() as usize);
    let mut by_zone: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for index in drawn {
        by_zone.entry(if zones == 0 { 0 } else { index % usize::from(zones) }).or_default().push(index);
    }
    by_zone.values().flat_map(|seats| seats.chunks_exact(2).map(|pair| (pair[0], pair[1]))).collect()
}

/// What comparing one room's export with its acks found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Found {
    written: u64,
    pairs_by_code: u64,
    random_groups: u64,
    trios: u64,
    lost_actions: u64,
    unacked_actions: u64,
    lost_pairings: u64,
    alone: u64,
    lost_statuses: u64,
    lost_wall: u64,
    rule_violations: u64,
}

/// Every acked action must be in the export as written, and nothing else; every acked
/// pairing must be two buddies by code there; every phone that saw pairing close with an
/// action must have a buddy, the ones its frame showed; each phone's acked statuses must be
/// the export's, the last one last (and one sent but unanswered when the connection ended may
/// follow them); an acked wall must be on. The buddies must keep the rules:
/// each other's, two or three, one trio at most, and at most one of a zone paired at random
/// outside it.
fn check_export(room: &Room, export: &SessionExport, problems: &mut Problems) -> Found {
    let code = room.code;
    let mut found = Found::default();
    let Some(activity) = export.activities.iter().find(|activity| activity.index == 0) else {
        problems.note(format!("{code}: the export has no activity 0"));
        found.lost_actions = room.actions.len() as u64;
        return found;
    };
    let exported: HashMap<Pid, &lapp_protocol::ActionExport> =
        activity.actions.iter().map(|action| (action.author, action)).collect();
    found.written = activity.actions.len() as u64;
    for (author, acked) in &room.actions {
        let kept =
            exported.get(author).is_some_and(|action| action.id == acked.id && action.text == acked.text);
        if !kept {
            found.lost_actions += 1;
            problems.note(format!(
                "{code}: {author}'s acked action {} is not in the export as written",
                acked.id
            ));
        }
    }
    for action in &activity.actions {
        if !room.actions.contains_key(&action.author) {
            found.unacked_actions += 1;
            problems.note(format!("{code}: action {} by {} was never acked", action.id, action.author));
        }
    }
    let buddies_of = |pid: Pid| exported.get(&pid).map(|action| (action.buddies.clone(), action.random));
    for pair in &room.pairs {
        let kept = buddies_of(pair.asker) == Some((vec![pair.answerer], false))
            && buddies_of(pair.answerer) == Some((vec![pair.asker], false));
        if !kept {
            found.lost_pairings += 1;
            problems.note(format!(
                "{code}: {} and {} paired by code, but the export has {:?} and {:?}",
                pair.asker,
                pair.answerer,
                buddies_of(pair.asker),
                buddies_of(pair.answerer)
            ));
        }
    }
    // The rules broken, noted once every count is in.
    let mut violations: Vec<String> = Vec::new();
    let mut violation = |what: String| violations.push(what);
    for (pid, seen) in &room.closed {
        let Some(action) = exported.get(pid) else { continue };
        if action.buddies.is_empty() {
            found.alone += 1;
            problems.note(format!("{code}: {pid} wrote and was there when pairing closed, but has no buddy"));
        } else if (&action.buddies, action.random) != (&seen.buddies, seen.random) {
            violation(format!(
                "{pid}'s phone showed buddies {:?} (random {}) at the close, the export {:?} (random {})",
                seen.buddies, seen.random, action.buddies, action.random
            ));
        }
    }
    let zone: HashMap<Pid, Option<&str>> =
        export.participants.iter().map(|person| (person.pid, person.zone.as_deref())).collect();
    let mut groups: HashSet<Vec<Pid>> = HashSet::new();
    for action in &activity.actions {
        if action.buddies.is_empty() {
            continue;
        }
        let mut members = action.buddies.clone();
        members.push(action.author);
        members.sort_unstable();
        for &other in &action.buddies {
            let mut theirs = buddies_of(other).map(|(buddies, _)| buddies).unwrap_or_default();
            theirs.push(other);
            theirs.sort_unstable();
            if theirs != members {
                violation(format!(
                    "{} has buddy {other}, whose buddies are not the same group",
                    action.author
                ));
            }
        }
        groups.insert(members);
    }
    let mut outside_zone: HashMap<Option<&str>, u32> = HashMap::new();
    for members in &groups {
        let random = exported.get(&members[0]).is_some_and(|action| action.random);
        if !(2..=3).contains(&members.len()) {
            violation(format!("buddies {members:?} are not two or three"));
        }
        if random {
            found.random_groups += 1;
        } else {
            found.pairs_by_code += 1;
        }
        found.trios += u64::from(members.len() == 3);
        let zones: HashSet<Option<&str>> =
            members.iter().map(|pid| zone.get(pid).copied().flatten()).collect();
        if random && zones.len() > 1 {
            for pid in members {
                *outside_zone.entry(zone.get(pid).copied().flatten()).or_default() += 1;
            }
        }
    }
    if found.trios > 1 {
        violation(format!("{} trios, one at most", found.trios));
    }
    for (zone, count) in outside_zone {
        if count > 1 {
            violation(format!("{count} of zone {zone:?} paired at random outside it, one at most"));
        }
    }
    for (pid, acked) in &room.statuses {
        let statuses: Vec<Status> = exported
            .get(pid)
            .map(|action| action.statuses.iter().map(|status| status.status).collect())
            .unwrap_or_default();
        let stored_unanswered = room.unanswered.get(pid).is_some_and(|&last| {
            statuses.split_last().is_some_and(|(&stored, before)| stored == last && before == acked)
        });
        if &statuses != acked && !stored_unanswered {
            found.lost_statuses += 1;
            problems.note(format!("{code}: {pid} had statuses {acked:?} acked, the export has {statuses:?}"));
        }
    }
    for pid in &room.shown {
        if !exported.get(pid).is_some_and(|action| action.wall) {
            found.lost_wall += 1;
            problems.note(format!("{code}: {pid}'s action was acked on the wall, the export has it off"));
        }
    }
    for what in violations {
        found.rule_violations += 1;
        problems.note(format!("{code}: {what}"));
    }
    found
}

/// The micro-actions' own figures: what was made, the acks by request, and what the checks
/// found.
#[derive(Debug, Default, Serialize)]
pub struct ActionsFigures {
    pub zones: u8,
    /// The share of writers asked to pair by code, and to show their action on the wall.
    pub by_code: f64,
    pub wall: f64,
    /// Actions in the exports.
    pub written: u64,
    pub pairs_by_code: u64,
    pub random_groups: u64,
    pub trios: u64,
    pub write_ack_ms: Option<Summary>,
    pub ask_ack_ms: Option<Summary>,
    pub answer_ack_ms: Option<Summary>,
    pub status_ack_ms: Option<Summary>,
    pub wall_ack_ms: Option<Summary>,
    pub lost_actions: u64,
    pub unacked_actions: u64,
    pub lost_pairings: u64,
    /// Writers there when pairing closed who have no buddy.
    pub alone: u64,
    /// Phones whose acked statuses are not the export's.
    pub lost_statuses: u64,
    pub lost_wall: u64,
}

impl ActionsFigures {
    fn add(&mut self, found: &Found) {
        self.written += found.written;
        self.pairs_by_code += found.pairs_by_code;
        self.random_groups += found.random_groups;
        self.trios += found.trios;
        self.lost_actions += found.lost_actions;
        self.unacked_actions += found.unacked_actions;
        self.lost_pairings += found.lost_pairings;
        self.alone += found.alone;
        self.lost_statuses += found.lost_statuses;
        self.lost_wall += found.lost_wall;
    }

    fn fill_latencies(&mut self, latencies: &Latencies) {
        let points = ["p50", "p95", "p99", "max"];
        self.write_ack_ms = latencies.write.summary(&points);
        self.ask_ack_ms = latencies.ask.summary(&points);
        self.answer_ack_ms = latencies.answer.summary(&points);
        self.status_ack_ms = latencies.status.summary(&points);
        self.wall_ack_ms = latencies.wall.summary(&points);
    }

    pub fn passed(&self) -> bool {
        self.lost_actions == 0
            && self.unacked_actions == 0
            && self.lost_pairings == 0
            && self.alone == 0
            && self.lost_statuses == 0
            && self.lost_wall == 0
    }

    /// Rows of the report's latency table, then what was made.
    pub fn print(&self) {
        let rows = [
            ("action.write -> ack", &self.write_ack_ms),
            ("buddy.ask -> ack", &self.ask_ack_ms),
            ("buddy.answer -> ack", &self.answer_ack_ms),
            ("action.status -> ack", &self.status_ack_ms),
            ("action.wall -> ack", &self.wall_ack_ms),
        ];
        for (name, summary) in rows {
            let Some(summary) = summary else { continue };
            let cell = |point| summary.get(point).map_or("-".to_owned(), |ms| format!("{ms:.2}"));
            println!(
                "{name:<22}{:>10}{:>10}{:>10}{:>10}",
                cell("p50"),
                cell("p95"),
                cell("p99"),
                cell("max")
            );
        }
        println!(
            "{:<22}{} actions, {} pairs by code, {} buddies at random ({} trios)",
            "made", self.written, self.pairs_by_code, self.random_groups, self.trios
        );
    }

    /// The checks' counts, for the report's last line.
    pub fn checks(&self) -> String {
        format!(
            "lost actions {}, unacked actions {}, lost pairings {}, alone {}, lost statuses {}, lost wall {}",
            self.lost_actions,
            self.unacked_actions,
            self.lost_pairings,
            self.alone,
            self.lost_statuses,
            self.lost_wall
        )
    }
}

#[cfg(test)]
mod tests {
    use lapp_protocol::{ActionExport, ActivityExport, ActivityKind, ExportParticipant, StatusExport};

    use super::*;

    /// Six phones, p1 to p6, zones A (odd) and B (even), each with an action and `started`
    /// acked: p1 and p3 paired by code, p2, p4 and p6 a trio at random; p5 had left before
    /// pairing closed, so it has no buddy and saw no close.
    fn hall() -> (Room, SessionExport) {
        let (facilitator, _) = mpsc::unbounded_channel();
        let mut room = Room::new(JoinCode::from_number(1).expect("code"), "key".into(), facilitator);
        let groups: [(&[u32], bool); 2] = [(&[1, 3], false), (&[2, 4, 6], true)];
        let mut actions = Vec::new();
        for pid in 1..=6 {
            let text = format!("action {pid}");
            room.actions
                .insert(Pid(pid), AckedAction { id: ActionId(pid), author: Pid(pid), text: text.clone() });
            let (buddies, random) = groups
                .iter()
                .find(|(members, _)| members.contains(&pid))
                .map(|(members, random)| {
                    (
                        members
                            .iter()
                            .filter(|&&other| other != pid)
                            .map(|&other| Pid(other))
                            .collect::<Vec<_>>(),
                        *random,
                    )
                })
                .unwrap_or_default();
            if pid != 5 {
                room.closed.insert(Pid(pid), Seen { buddies: buddies.clone(), random });
            }
            room.statuses.insert(Pid(pid), vec![Status::Started]);
            actions.push(ActionExport {
                id: ActionId(pid),
                author: Pid(pid),
                text,
                buddies,
                random,
                wall: false,
                hidden: false,
                statuses: vec![StatusExport { status: Status::Started, note: None, at_ms: 1 }],
            });
        }
        room.pairs.push(Pair { asker: Pid(1), answerer: Pid(3) });
        let participants = (1..=6)
            .map(|pid| ExportParticipant {
                pid: Pid(pid),
                zone: Some(if pid % 2 == 1 { "A" } else { "B" }.into()),
                removed: false,
            })
            .collect();
        let export = SessionExport {
            code: room.code,
            title: "t".into(),
            created_at_ms: 0,
            agenda: Vec::new(),
            participants,
            activities: vec![ActivityExport {
                index: 0,
                kind: ActivityKind::Actions,
                prompt: "p".into(),
                cards: Vec::new(),
                groups: Vec::new(),
                notes: Vec::new(),
                actions,
                tables: Vec::new(),
                retro: Vec::new(),
            }],
        };
        (room, export)
    }

    fn check(room: &Room, export: &SessionExport) -> Found {
        check_export(room, export, &mut Problems::default())
    }

    #[test]
    fn an_export_that_holds_what_was_acked_passes() {
        let (room, export) = hall();
        let found = check(&room, &export);
        assert_eq!(
            found,
            Found { written: 6, pairs_by_code: 1, random_groups: 1, trios: 1, ..Found::default() }
        );
    }

    #[test]
    fn actions_pairings_and_statuses_must_be_the_acked_ones() {
        let (mut room, mut export) = hall();
        let actions = &mut export.activities[0].actions;
        actions[1].text = "changed".into(); // p2's action no longer as written
        actions[0].buddies.clear(); // p1 lost its buddy by code: lost, alone, and asymmetric
        actions[3].statuses.clear(); // p4's status lost
        room.actions.remove(&Pid(6)); // exported, never acked
        room.shown.insert(Pid(5)); // acked on the wall, off in the export
        let found = check(&room, &export);
        assert_eq!(
            (found.lost_actions, found.unacked_actions, found.lost_pairings, found.alone),
            (1, 1, 1, 1)
        );
        assert_eq!((found.lost_statuses, found.lost_wall), (1, 1));
        assert!(found.rule_violations >= 1);
    }

    #[test]
    fn a_status_whose_ack_was_lost_may_be_stored() {
        let (mut room, mut export) = hall();
        let done = StatusExport { status: Status::Done, note: None, at_ms: 2 };
        export.activities[0].actions[2].statuses.push(done);
        assert_eq!(check(&room, &export).lost_statuses, 1);
        room.unanswered.insert(Pid(3), Status::Done);
        assert_eq!(check(&room, &export).lost_statuses, 0);
    }

    #[test]
    fn buddies_must_keep_the_rules() {
        // A phone shown other buddies at the close than the export has.
        let (mut room, export) = hall();
        room.closed.insert(Pid(2), Seen { buddies: vec![Pid(4)], random: true });
        assert_eq!(check(&room, &export).rule_violations, 1);
        // p5 (zone A) joined the trio of zone B: four of them, three of B paired outside their
        // zone, and the trio's phones were shown otherwise at the close.
        let (room, mut export) = hall();
        for action in &mut export.activities[0].actions {
            if [2, 4, 5, 6].contains(&action.author.0) {
                action.buddies =
                    [2, 4, 5, 6].into_iter().filter(|&other| other != action.author.0).map(Pid).collect();
                action.random = true;
            }
        }
        let found = check(&room, &export);
        assert_eq!(found.rule_violations, 1 + 1 + 3, "{found:?}");
    }

    #[test]
    fn pairs_by_code_stay_in_their_zone() {
        let writers: Vec<usize> = (0..100).collect();
        let pairs = choose_pairs(&writers, 4, 0.8);
        assert!((36..=40).contains(&pairs.len()), "{}", pairs.len());
        let mut seen = HashSet::new();
        for (asker, answerer) in pairs {
            assert_eq!(asker % 4, answerer % 4);
            assert!(seen.insert(asker) && seen.insert(answerer));
        }
        assert!(choose_pairs(&writers, 0, 0.0).is_empty());
        let everyone = choose_pairs(&[0, 1], 0, 1.0);
        assert!(everyone == [(0, 1)] || everyone == [(1, 0)], "{everyone:?}");
    }

    #[test]
    fn the_wall_share_is_spread_evenly() {
        let count = |share| (0..1400).filter(|&index| shows_on_wall(index, share)).count();
        assert_eq!((count(0.0), count(0.25), count(1.0)), (0, 350, 1400));
    }
}
