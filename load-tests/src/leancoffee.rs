//! `leancoffee`: plays a whole Lean Coffee in one session, the hall seated at tables (a table
//! is a zone): everyone adds topics, some tables merge two of them, everyone places their dots,
//! some tables merge two dotted topics; the facilitator opens discuss, which starts every
//! table's first topic at the same instant, so every table's timebox runs out at once and the
//! hall's phones all get an open vote together. Everyone thumbs (half the tables extend), two
//! members of each table then end the topic at the same moment (one moves the table, the other
//! is told `stale`), some members add action items, and the facilitator closes. Times the
//! fan-out of the hall's timers running out and every kind of ack, then checks every
//! acknowledged topic, merge, dot, thumb and item, and the method's rules, against the export.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use indicatif::ProgressBar;
use lapp_protocol::{
    AgendaItem, ClientMsg, ErrorCode, ItemId, Join, JoinCode, LeanCoffeeConfig, LeanCoffeeMsg, Phase, Pid,
    Role, ServerMsg, SessionExport, TableExport, TableView, Thumb, TopicExport, TopicId, Welcome,
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

/// The question of every Lean Coffee the driver plays.
const PROMPT: &str = "What should we talk about today?";

/// Topics each participant may add; each phone adds one to three.
const MAX_TOPICS: u32 = 3;

/// Dots each participant has, and the most of them on one topic.
const DOTS: u32 = 3;
const DOTS_PER_TOPIC: u32 = 2;

/// Seconds of the timebox a table that votes to extend gets: long enough that no second vote
/// opens before the facilitator closes.
const EXTENSION_SECS: u32 = 60;

/// Seconds a thumbs vote stays open; every vote here closes early, when every voter has voted.
const VOTE_SECS: u32 = 30;

/// The points every latency of this scenario is reported at.
const POINTS: [&str; 4] = ["p50", "p95", "p99", "max"];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Phones in the hall, all in one session.
    #[arg(long, default_value_t = 1400)]
    pub participants: usize,
    /// Phones at each table (each table is a zone); the last table takes whoever is left.
    #[arg(long, default_value_t = 10)]
    pub table_size: usize,
    /// Seconds of each topic's first timebox (10 at least): every table's first one starts, and
    /// so runs out, at the same instant.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(10..=7200))]
    pub timebox_secs: u32,
    /// Each phone acts at a random moment up to this many milliseconds after what prompts it
    /// (a phase opening, a vote opening, discussion starting).
    #[arg(long, default_value_t = 1000)]
    pub think_ms: u64,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Runs the scenario within `limit`, prints its report (and writes it as JSON to `json`), and
/// fails the process if any check did not hold.
pub async fn play_and_report(args: &Args, limit: Duration, json: Option<&Path>) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut report = tokio::time::timeout(limit, run(args))
        .await
        .with_context(|| format!("the run did not finish within {} s (--timeout-secs)", limit.as_secs()))??;
    report.run.duration_s = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;
    report.print_table();
    if let Some(path) = json {
        report.write_json(path)?;
    }
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Where each phone sits: phone `index` at table `index / size`, seat `index % size`.
#[derive(Debug, Clone, Copy)]
struct Layout {
    participants: usize,
    table_size: usize,
}

impl Layout {
    fn tables(self) -> usize {
        self.participants.div_ceil(self.table_size)
    }

    fn table_of(self, index: usize) -> usize {
        index / self.table_size
    }

    fn seat_of(self, index: usize) -> usize {
        index % self.table_size
    }

    /// How many sit at `table`.
    fn seats(self, table: usize) -> usize {
        (self.participants - table * self.table_size).min(self.table_size)
    }

    fn index(self, table: usize, seat: usize) -> usize {
        table * self.table_size + seat
    }
}

/// A table's name, its zone: `T001`, `T002`, ...
fn table_name(table: usize) -> String {
    format!("T{:03}", table + 1)
}

/// How many topics phone `index` adds: one, two or three, in turn.
fn topics_of(index: usize) -> usize {
    1 + index % MAX_TOPICS as usize
}

fn topic_text(table: usize, seat: usize, nth: usize) -> String {
    format!("{} seat {seat}, topic {nth}: how do we ship smaller changes more often?", table_name(table))
}

fn item_text(table: usize, seat: usize) -> String {
    format!("{} seat {seat}: write down the release checklist by Friday", table_name(table))
}

/// Whether `table` votes to extend its first topic: every other one.
fn extends(table: usize) -> bool {
    table % 2 == 0
}

/// The thumb of seat `seat` of `seats`: where the table extends, six in ten up and two in ten
/// down; elsewhere two in ten up and five in ten down; the rest sideways.
fn thumb_of(table: usize, seat: usize, seats: usize) -> Thumb {
    let (up, sideways) = if extends(table) { (6, 8) } else { (2, 5) };
    if seat * 10 < up * seats {
        Thumb::Up
    } else if seat * 10 < sideways * seats {
        Thumb::Sideways
    } else {
        Thumb::Down
    }
}

/// The action item seat `seat` of `table` adds once discussion starts, if any: seat 2 one with
/// an owner (the next member), seat 4 of every other table one without.
fn item_of(table: usize, seat: usize) -> Option<Owned> {
    match seat {
        2 => Some(Owned::ByNextMember),
        4 if table % 2 == 1 => Some(Owned::ByNobody),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owned {
    ByNextMember,
    ByNobody,
}

/// Whether `table` merges two topics in collect (every other table), and two dotted ones in
/// vote (every third).
fn merges_in_collect(table: usize) -> bool {
    table % 2 == 0
}

fn merges_in_vote(table: usize) -> bool {
    table % 3 == 1
}

/// The `dots.set`s of phone `index` over its table's topics (in a random order): two dots and
/// one; three ones; or two, changed to one, then two on another topic.
fn dot_steps(index: usize, topics: &[TopicId], per_topic: u32) -> Vec<(TopicId, u32)> {
    let shape: &[(usize, u32)] = match index % 3 {
        0 => &[(0, 2), (1, 1)],
        1 => &[(0, 1), (1, 1), (2, 1)],
        _ => &[(0, 2), (0, 1), (1, 2)],
    };
    shape
        .iter()
        .filter_map(|&(nth, count)| topics.get(nth).map(|&topic| (topic, count.min(per_topic))))
        .collect()
}

/// When `at` was on the wall clock the server stamps its frames with, in milliseconds since
/// the Unix epoch: read a moment after `at`, less that moment, so the monotonic and the wall
/// clock have no time to drift apart.
fn epoch_ms(at: Instant) -> f64 {
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |since| since.as_secs_f64() * 1000.0);
    wall - Instant::now().saturating_duration_since(at).as_secs_f64() * 1000.0
}

/// Milliseconds, which may be below zero, as a latency; false if they were.
fn record_ms(latency: &mut Latency, ms: f64) -> bool {
    latency.record(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
    ms >= 0.0
}

pub async fn run(args: &Args) -> anyhow::Result<LeanCoffeeReport> {
    HallArgs { participants: args.participants, rooms: 1 }.check()?;
    if args.table_size < 2 || args.participants < 2 {
        bail!("--table-size and --participants must be at least 2: a table needs two to race topic.next");
    }
    let layout = Layout { participants: args.participants, table_size: args.table_size };
    let config = LeanCoffeeConfig {
        max_topics: MAX_TOPICS,
        max_chars: 140,
        dots: DOTS,
        max_dots_per_topic: Some(DOTS_PER_TOPIC),
        timeboxes: vec![args.timebox_secs, EXTENSION_SECS],
        vote_seconds: VOTE_SECS,
    };
    let per_topic = config.per_topic();
    let target = Target::open(&args.target, args.participants.max(5_000)).await?;
    let connector = Arc::new(Connector::new(target.addr, args.target.sources));
    let (events_tx, events) = mpsc::unbounded_channel();

    let activity = AgendaItem::LeanCoffee { prompt: PROMPT.to_owned(), config };
    let created = target.api.create_session("Load Lean Coffee", activity).await?;
    let join = Join { key: Some(created.key.clone()), ..Join::new(created.code, Role::Facilitator) };
    let (client, _welcome) = connector.join(join).await.context("the facilitator could not join")?;
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let heard_tx = events_tx.clone();
    // A send fails only once the conductor has gone, and then nobody is listening.
    let heard = move |heard| drop(heard_tx.send(Event::Facilitator(heard)));
    tokio::spawn(facilitator::facilitate(client, commands_rx, Arc::new(Barrier::new(1)), None, heard));

    let (stop, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(MAX_CONNECTING));
    let mut phones = JoinSet::new();
    let mut orders = Vec::with_capacity(args.participants);
    for index in 0..args.participants {
        let (table, seat) = (layout.table_of(index), layout.seat_of(index));
        let (order_tx, order_rx) = mpsc::unbounded_channel();
        orders.push(order_tx);
        let phone = Phone {
            index,
            table,
            seat,
            code: created.code,
            topics: topics_of(index),
            thumb: thumb_of(table, seat, layout.seats(table)),
            item: item_of(table, seat),
            per_topic,
            think: Duration::from_millis(args.think_ms),
            connector: Arc::clone(&connector),
            gate: Arc::clone(&gate),
            events: events_tx.clone(),
            stop: stop_rx.clone(),
        };
        phones.spawn(phone.run(order_rx));
    }
    // Only clients hold senders now: if every one of them ends, the conductor hears of it.
    drop(events_tx);

    let bar = progress_bar(args.participants as u64 * 6);
    let mut conductor = Conductor::new(layout, created.code, commands, orders, events, bar);
    conductor.play().await?;

    send_home(&mut phones, &stop).await;
    // The activity is over: closing the commands lets the facilitator leave.
    conductor.desk.dismiss();
    let export = target.api.export(created.code, &created.key).await?;

    let mut report = Report::new("leancoffee");
    report.participants = args.participants;
    report.rooms = 1;
    let found = check_export(&conductor.tables, &export, &mut conductor.tally.problems);
    report.rule_violations += found.rule_violations;
    let mut figures = LeanCoffeeFigures {
        tables: layout.tables(),
        table_size: args.table_size,
        timebox_s: args.timebox_secs,
        ..LeanCoffeeFigures::default()
    };
    figures.add(&found);
    conductor.fill(&mut figures);
    conductor.tally.fill(&mut report);
    report.count_traffic(&connector.traffic);
    if let Some(process) = &target.process {
        report.server_rss_peak_bytes = Some(process.peak_rss_bytes());
        report.server_cpu_s = Some(process.cpu_seconds());
    }
    Ok(LeanCoffeeReport { run: report, leancoffee: figures })
}

/// What a client task tells the conductor.
enum Event {
    Phone { index: usize, what: Happened },
    Facilitator(Heard),
}

/// A step of the activity that each phone reports once it has done its part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stage {
    /// Its topics are answered.
    Topics,
    /// Its dots are answered.
    Dots,
    /// It has seen its table's first topic, and its action item (if any) is answered.
    Discussing,
    /// Its thumb is answered and it has seen the vote close.
    Voted,
}

enum Happened {
    Attended(Attended),
    Seated(Pid),
    /// The answer to `topic.add` (`None`: refused).
    TopicAdded(Option<(AckedTopic, Duration)>),
    TopicMerged(Option<(AckedMerge, Duration)>),
    DotsSet(Option<(AckedDots, Duration)>),
    /// The phone's first frame with its table's current topic, received at `at`.
    Discussing {
        at: Instant,
        current: TopicId,
    },
    /// The phone's first frame with an open vote, received at `arrived` (wall clock, in
    /// milliseconds since the Unix epoch): `deadline` is when the timebox ended by the frames
    /// before (`ends`), `frame_now` the server's clock in this one.
    VoteOpened {
        arrived: f64,
        deadline: Option<u64>,
        frame_now: u64,
    },
    /// The answer to `thumb`, and when it was sent.
    Thumbed(Option<(AckedThumb, Instant, Duration)>),
    /// The phone's first frame with the vote closed, whether the table extended its topic, and
    /// the topic current then.
    VoteClosed {
        at: Instant,
        extended: bool,
        current: Option<TopicId>,
    },
    ItemAdded(Option<(AckedItem, Duration)>),
    NextAnswered(NextAnswer),
    Done(Stage),
    /// The phone saw the activity close; the current topics it saw in discuss, in order.
    Closed {
        pid: Pid,
        currents: Vec<TopicId>,
    },
    /// An `error` frame.
    ServerError(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AckedTopic {
    id: TopicId,
    author: Pid,
    text: String,
}

/// `topic` merged into `into`, acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AckedMerge {
    topic: TopicId,
    into: TopicId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AckedDots {
    pid: Pid,
    topic: TopicId,
    count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AckedThumb {
    pid: Pid,
    topic: TopicId,
    /// Which vote on the topic: 0 after its first timebox.
    vote: u32,
    thumb: Thumb,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AckedItem {
    id: ItemId,
    author: Pid,
    topic: TopicId,
    text: String,
    owner: Option<Pid>,
}

/// How a `topic.next` of the race was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NextAnswer {
    Moved(Duration),
    Stale(Duration),
    Refused,
}

/// What the conductor asks of a phone, beyond what it does on its own.
#[derive(Debug)]
enum Order {
    Merge(AckedMerge),
    /// End the current topic now: `topic.next` from this one, which two members send at once.
    Next(Option<TopicId>),
}

/// Something a phone means to do, once it has no request under way.
#[derive(Debug)]
enum Todo {
    Topic(usize),
    Dots { topic: TopicId, count: u32 },
    Merge(AckedMerge),
    Thumb { topic: TopicId, vote: u32 },
    Item(Owned),
    Next(Option<TopicId>),
}

/// A request waiting for its answer.
enum Pending {
    Topic(String),
    Merge(AckedMerge),
    Dots(AckedDots),
    /// The thumb, and the topic it was for.
    Thumb(AckedThumb),
    Item {
        text: String,
        topic: TopicId,
        owner: Option<Pid>,
    },
    Next,
}

impl Pending {
    fn type_name(&self) -> &'static str {
        match self {
            Pending::Topic(_) => "topic.add",
            Pending::Merge(_) => "topic.merge",
            Pending::Dots(_) => "dots.set",
            Pending::Thumb(_) => "thumb",
            Pending::Item { .. } => "item.add",
            Pending::Next => "topic.next",
        }
    }
}

/// One phone at its table: adds its topics when collect opens, places its dots when voting
/// opens, adds its action item when discussion starts, thumbs at the first open vote, and
/// merges or ends a topic when the conductor says so.
struct Phone {
    index: usize,
    table: usize,
    seat: usize,
    code: JoinCode,
    /// Topics it adds.
    topics: usize,
    thumb: Thumb,
    item: Option<Owned>,
    per_topic: u32,
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
    /// Its table as the last `table` frame showed it.
    view: Option<TableView>,
    topics_planned: bool,
    topics_answered: usize,
    dots_planned: bool,
    dots_owed: usize,
    dots_answered: usize,
    discussing: bool,
    item_answered: bool,
    /// When the current timebox ends, by the last frame with no vote open.
    deadline: Option<u64>,
    /// The topic of the open vote it thumbs in; its one thumb is planned.
    voting: Option<TopicId>,
    thumbed: bool,
    thumb_answered: bool,
    vote_closed: bool,
    /// The current topics seen in discuss, in order, each once.
    currents: Vec<TopicId>,
    closed: bool,
    reported: HashSet<Stage>,
}

impl Seat {
    fn new(pid: Pid) -> Seat {
        Seat {
            pid,
            phase: Phase::Lobby,
            requests: Requests::new(),
            plan: VecDeque::new(),
            view: None,
            topics_planned: false,
            topics_answered: 0,
            dots_planned: false,
            dots_owed: 0,
            dots_answered: 0,
            discussing: false,
            item_answered: false,
            deadline: None,
            voting: None,
            thumbed: false,
            thumb_answered: false,
            vote_closed: false,
            currents: Vec::new(),
            closed: false,
            reported: HashSet::new(),
        }
    }
}

impl Phone {
    async fn run(self, orders: mpsc::UnboundedReceiver<Order>) {
        let report = |what| self.report(Happened::Attended(what));
        let join = Join {
            name: Some(format!("P{}", self.index)),
            zone: Some(table_name(self.table)),
            ..Join::new(self.code, Role::Participant)
        };
        attend(&self.gate, &self.connector, join, report, async |client, welcome: Welcome| {
            let pid = welcome.you.pid.context("a participant's welcome has a pid")?;
            self.report(Happened::Seated(pid));
            let mut seat = Seat::new(pid);
            if let Some(activity) = &welcome.view.activity {
                seat.phase = activity.phase;
            }
            seat.view = welcome.view.table;
            self.play(client, &mut seat, orders).await
        })
        .await;
    }

    fn report(&self, what: Happened) {
        // A send fails only once the conductor has gone, and then nobody is listening.
        drop(self.events.send(Event::Phone { index: self.index, what }));
    }

    /// A moment for the person to think, from `at`.
    fn after_thought(&self, at: Instant) -> tokio::time::Instant {
        tokio::time::Instant::from_std(at) + rand::random_range(Duration::ZERO..=self.think)
    }

    async fn play(
        &self,
        mut client: Client,
        seat: &mut Seat,
        mut orders: mpsc::UnboundedReceiver<Order>,
    ) -> anyhow::Result<()> {
        let mut stop = self.stop.clone();
        let stopped = stop.changed();
        tokio::pin!(stopped);
        let acting = tokio::time::sleep(Duration::from_secs(86_400));
        tokio::pin!(acting);
        let mut orders_open = true;
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
                order = orders.recv(), if orders_open => match order {
                    Some(order) => {
                        let todo = match order {
                            Order::Merge(merge) => Todo::Merge(merge),
                            Order::Next(from) => Todo::Next(from),
                        };
                        seat.plan.push_back((tokio::time::Instant::now(), todo));
                    }
                    None => orders_open = false,
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
        let current = seat.view.as_ref().and_then(|view| view.current);
        let (msg, pending) = match todo {
            Todo::Topic(nth) => {
                let text = topic_text(self.table, self.seat, nth);
                (LeanCoffeeMsg::TopicAdd { text: text.clone() }, Pending::Topic(text))
            }
            Todo::Dots { topic, count } => {
                let dots = AckedDots { pid: seat.pid, topic, count };
                (LeanCoffeeMsg::DotsSet { topic, count }, Pending::Dots(dots))
            }
            Todo::Merge(merge) => {
                (LeanCoffeeMsg::TopicMerge { topic: merge.topic, into: merge.into }, Pending::Merge(merge))
            }
            Todo::Thumb { topic, vote } => {
                let thumb = AckedThumb { pid: seat.pid, topic, vote, thumb: self.thumb };
                (LeanCoffeeMsg::Thumb { vote: self.thumb }, Pending::Thumb(thumb))
            }
            Todo::Item(owned) => {
                let topic = current.context("an action item is added while a topic is current")?;
                let owner = match owned {
                    Owned::ByNextMember => seat.view.as_ref().and_then(|view| next_member(view, seat.pid)),
                    Owned::ByNobody => None,
                };
                let text = item_text(self.table, self.seat);
                let msg = LeanCoffeeMsg::ItemAdd { text: text.clone(), owner, table: None };
                (msg, Pending::Item { text, topic, owner })
            }
            Todo::Next(from) => (LeanCoffeeMsg::TopicNext { table: None, from }, Pending::Next),
        };
        seat.requests.send(client, ClientMsg::LeanCoffee(msg), pending).await
    }

    /// Takes in one frame received at `at`.
    fn take(&self, seat: &mut Seat, msg: ServerMsg, at: Instant) -> anyhow::Result<()> {
        match msg {
            ServerMsg::Activity(activity) => {
                seat.phase = activity.phase;
                match activity.phase {
                    Phase::Collect => self.plan_topics(seat, at),
                    Phase::Vote => self.plan_dots(seat, at),
                    Phase::Done if !seat.closed => {
                        seat.closed = true;
                        self.report(Happened::Closed { pid: seat.pid, currents: seat.currents.clone() });
                    }
                    _ => {}
                }
            }
            ServerMsg::Table(view) => self.see(seat, view, at),
            ServerMsg::Ack { rid, topic, item, .. } => {
                let Some((sent_at, pending)) = seat.requests.answered(rid) else { return Ok(()) };
                let took = at.duration_since(sent_at);
                match pending {
                    Pending::Topic(text) => {
                        let id = topic.context("the ack of topic.add names the topic")?;
                        seat.topics_answered += 1;
                        let acked = AckedTopic { id, author: seat.pid, text };
                        self.report(Happened::TopicAdded(Some((acked, took))));
                    }
                    Pending::Merge(merge) => self.report(Happened::TopicMerged(Some((merge, took)))),
                    Pending::Dots(dots) => {
                        seat.dots_answered += 1;
                        self.report(Happened::DotsSet(Some((dots, took))));
                    }
                    Pending::Thumb(thumb) => {
                        seat.thumb_answered = true;
                        self.report(Happened::Thumbed(Some((thumb, sent_at, took))));
                    }
                    Pending::Item { text, topic, owner } => {
                        let id = item.context("the ack of item.add names the item")?;
                        seat.item_answered = true;
                        let acked = AckedItem { id, author: seat.pid, topic, text, owner };
                        self.report(Happened::ItemAdded(Some((acked, took))));
                    }
                    Pending::Next => self.report(Happened::NextAnswered(NextAnswer::Moved(took))),
                }
            }
            ServerMsg::Error { rid, code, message } => {
                let pending = rid.and_then(|rid| seat.requests.answered(rid));
                match pending {
                    // The race's loser: the answer it should get, not an error.
                    Some((sent_at, Pending::Next)) if code == ErrorCode::Stale => {
                        let took = at.duration_since(sent_at);
                        self.report(Happened::NextAnswered(NextAnswer::Stale(took)));
                    }
                    Some((_, pending)) => {
                        let what = pending.type_name();
                        self.report(Happened::ServerError(format!(
                            "{} ({what}) got {code}: {message}",
                            seat.pid
                        )));
                        // A refused request still ends its step, so the run goes on.
                        match pending {
                            Pending::Topic(_) => {
                                seat.topics_answered += 1;
                                self.report(Happened::TopicAdded(None));
                            }
                            Pending::Merge(_) => self.report(Happened::TopicMerged(None)),
                            Pending::Dots(_) => {
                                seat.dots_answered += 1;
                                self.report(Happened::DotsSet(None));
                            }
                            Pending::Thumb(_) => {
                                seat.thumb_answered = true;
                                self.report(Happened::Thumbed(None));
                            }
                            Pending::Item { .. } => {
                                seat.item_answered = true;
                                self.report(Happened::ItemAdded(None));
                            }
                            Pending::Next => self.report(Happened::NextAnswered(NextAnswer::Refused)),
                        }
                    }
                    None => self.report(Happened::ServerError(format!(
                        "{} (nothing of its own) got {code}: {message}",
                        seat.pid
                    ))),
                }
            }
            _ => {}
        }
        self.report_stages(seat);
        Ok(())
    }

    /// Takes in its table's frame: discussion starting, a vote opening or closing.
    fn see(&self, seat: &mut Seat, view: TableView, at: Instant) {
        // Only discuss has a current topic; the frame may come before discuss's `activity`.
        if let Some(current) = view.current
            && seat.phase != Phase::Done
        {
            if !seat.discussing {
                seat.discussing = true;
                self.report(Happened::Discussing { at, current });
                if let Some(owned) = self.item {
                    seat.plan.push_back((self.after_thought(at), Todo::Item(owned)));
                }
            }
            if seat.currents.last() != Some(&current) {
                seat.currents.push(current);
            }
            match (&view.vote, seat.voting) {
                (Some(_), None) if !seat.thumbed => {
                    let vote = view
                        .topics
                        .iter()
                        .find(|topic| topic.id == current)
                        .map_or(0, |topic| topic.extended);
                    seat.thumbed = true;
                    seat.voting = Some(current);
                    let (arrived, deadline, frame_now) = (epoch_ms(at), seat.deadline, view.now);
                    self.report(Happened::VoteOpened { arrived, deadline, frame_now });
                    seat.plan.push_back((self.after_thought(at), Todo::Thumb { topic: current, vote }));
                }
                (None, Some(voted)) => {
                    seat.voting = None;
                    seat.vote_closed = true;
                    let extended =
                        view.last_vote.as_ref().map_or(current == voted, |outcome| outcome.extended);
                    self.report(Happened::VoteClosed { at, extended, current: view.current });
                }
                _ => {}
            }
            if view.vote.is_none() {
                seat.deadline = view.ends;
            }
        }
        seat.view = Some(view);
        if seat.phase == Phase::Vote {
            self.plan_dots(seat, at);
        }
    }

    fn plan_topics(&self, seat: &mut Seat, at: Instant) {
        if seat.topics_planned {
            return;
        }
        seat.topics_planned = true;
        let mut when: Vec<tokio::time::Instant> = (0..self.topics).map(|_| self.after_thought(at)).collect();
        when.sort_unstable();
        seat.plan.extend(when.into_iter().enumerate().map(|(nth, at)| (at, Todo::Topic(nth))));
    }

    /// Its dots, over the topics its table shows when voting opens (merged ones folded in).
    fn plan_dots(&self, seat: &mut Seat, at: Instant) {
        let Some(view) = &seat.view else { return };
        if seat.dots_planned {
            return;
        }
        seat.dots_planned = true;
        let mut topics: Vec<TopicId> = view.topics.iter().map(|topic| topic.id).collect();
        topics.shuffle(&mut rand::rng());
        let steps = dot_steps(self.index, &topics, self.per_topic);
        seat.dots_owed = steps.len();
        let from = self.after_thought(at);
        seat.plan.extend(steps.into_iter().map(|(topic, count)| (from, Todo::Dots { topic, count })));
    }

    /// Tells the conductor of each step this phone has done its part of, once.
    fn report_stages(&self, seat: &mut Seat) {
        let stages = [
            (Stage::Topics, seat.topics_planned && seat.topics_answered == self.topics),
            (Stage::Dots, seat.dots_planned && seat.dots_answered == seat.dots_owed),
            (Stage::Discussing, seat.discussing && (self.item.is_none() || seat.item_answered)),
            (Stage::Voted, seat.thumb_answered && seat.vote_closed),
        ];
        for (stage, done) in stages {
            if done && seat.reported.insert(stage) {
                self.report(Happened::Done(stage));
            }
        }
    }
}

/// The member after `pid` in its table's list, to own an action item.
fn next_member(view: &TableView, pid: Pid) -> Option<Pid> {
    let members = &view.members;
    let mine = members.iter().position(|member| member.pid == pid)?;
    let next = &members[(mine + 1) % members.len()];
    (next.pid != pid).then_some(next.pid)
}

/// One table as the conductor follows it: what was acknowledged there and what its phones saw.
#[derive(Debug, Default)]
struct TableLog {
    name: String,
    /// Seats that may race `topic.next`.
    seats: usize,
    members: Vec<Pid>,
    /// Acknowledged topics, in the order acknowledged.
    topics: Vec<AckedTopic>,
    merges: Vec<AckedMerge>,
    /// Each participant's dots on each topic, as last acknowledged (before any merge).
    dots: HashMap<(Pid, TopicId), u32>,
    /// Each participant's thumb in each vote on each topic, as last acknowledged.
    thumbs: HashMap<(Pid, TopicId, u32), Thumb>,
    items: Vec<AckedItem>,
    /// The first current topic its phones saw (one, if they agree).
    first: HashSet<TopicId>,
    /// The vote's outcome its phones saw: extended or not (one, if they agree), and the topic
    /// current once it closed, as the first phone to see it close saw it.
    outcomes: HashSet<bool>,
    after_vote: Option<TopicId>,
    /// When its last thumb was sent, and when each phone saw the vote close.
    last_thumb_sent: Option<Instant>,
    closes: Vec<Instant>,
    next_answers: Vec<NextAnswer>,
    /// Each phone's current topics in discuss, in order.
    currents: Vec<(Pid, Vec<TopicId>)>,
}

impl TableLog {
    /// Topics acknowledged and not merged into another.
    fn kept_topics(&self) -> Vec<TopicId> {
        let merged: HashSet<TopicId> = self.merges.iter().map(|merge| merge.topic).collect();
        self.topics.iter().map(|topic| topic.id).filter(|id| !merged.contains(id)).collect()
    }

    /// Where `topic` ended up after the acknowledged merges.
    fn resolve(&self, topic: TopicId) -> TopicId {
        let mut at = topic;
        // Bounded: a cycle of merges cannot be acknowledged, but a wrong server could.
        for _ in 0..self.merges.len() {
            match self.merges.iter().find(|merge| merge.topic == at) {
                Some(merge) => at = merge.into,
                None => break,
            }
        }
        at
    }

    /// Acknowledged dots on each topic, after the merges.
    fn dots_on(&self, topic: TopicId) -> u32 {
        self.dots.iter().filter(|((_, on), _)| self.resolve(*on) == topic).map(|(_, count)| count).sum()
    }
}

/// Ack latencies by request.
struct Latencies {
    topic: Latency,
    merge: Latency,
    dots: Latency,
    thumb: Latency,
    item: Latency,
    next: Latency,
}

/// Drives the facilitator and the phones through the activity and gathers what they report.
struct Conductor {
    layout: Layout,
    code: JoinCode,
    desk: Desk,
    orders: Vec<mpsc::UnboundedSender<Order>>,
    events: mpsc::UnboundedReceiver<Event>,
    bar: ProgressBar,
    attendance: Attendance,
    /// The activity's phase, as the facilitator last saw it.
    phase: Option<Phase>,
    /// When the facilitator sent its last command.
    advanced_at: Option<Instant>,
    /// When discuss was asked for.
    discuss_sent: Option<Instant>,
    /// The phones that have done their part of each stage, by index.
    stages: HashMap<Stage, HashSet<usize>>,
    closed: usize,
    merges_asked: usize,
    merges_answered: usize,
    nexts_asked: usize,
    nexts_answered: usize,
    tables: Vec<TableLog>,
    discuss_arrivals: Vec<Instant>,
    /// Each phone's open vote: when it came (wall clock, ms), the deadline it had, the frame's
    /// `now`.
    vote_arrivals: Vec<(f64, Option<u64>, u64)>,
    tally: Tally,
    latencies: Latencies,
}

impl Conductor {
    fn new(
        layout: Layout,
        code: JoinCode,
        commands: mpsc::UnboundedSender<Command>,
        orders: Vec<mpsc::UnboundedSender<Order>>,
        events: mpsc::UnboundedReceiver<Event>,
        bar: ProgressBar,
    ) -> Conductor {
        let tables = (0..layout.tables())
            .map(|table| TableLog {
                name: table_name(table),
                seats: layout.seats(table),
                ..TableLog::default()
            })
            .collect();
        Conductor {
            layout,
            code,
            desk: Desk::new(commands),
            orders,
            events,
            bar,
            attendance: Attendance::default(),
            phase: None,
            advanced_at: None,
            discuss_sent: None,
            stages: HashMap::new(),
            closed: 0,
            merges_asked: 0,
            merges_answered: 0,
            nexts_asked: 0,
            nexts_answered: 0,
            tables,
            discuss_arrivals: Vec::new(),
            vote_arrivals: Vec::new(),
            tally: Tally::new(),
            latencies: Latencies {
                topic: Latency::new(),
                merge: Latency::new(),
                dots: Latency::new(),
                thumb: Latency::new(),
                item: Latency::new(),
                next: Latency::new(),
            },
        }
    }

    /// Shows what the run waits for now, on the progress bar and in the log (`RUST_LOG=info`),
    /// so a profile of the server can be read against the steps.
    fn step(&self, what: &'static str) {
        tracing::info!(step = what, "leancoffee");
        self.bar.set_message(what);
    }

    /// Whether every phone still there has done its part of `stage`.
    fn stage_done(&self, stage: Stage) -> bool {
        self.stages.get(&stage).map_or(0, HashSet::len) >= self.attendance.present()
    }

    /// Waits until every phone still there has done its part of `stage`; if they go quiet
    /// first, says which have not.
    async fn wait_for_stage(&mut self, stage: Stage, what: &str) -> anyhow::Result<()> {
        let waited = self.wait_for(what, |c| c.stage_done(stage)).await;
        waited.with_context(|| {
            let done = self.stages.get(&stage);
            let missing: Vec<String> = (0..self.layout.participants)
                .filter(|index| !done.is_some_and(|done| done.contains(index)))
                .map(|index| {
                    let (table, seat) = (self.layout.table_of(index), self.layout.seat_of(index));
                    format!("{} seat {seat}", table_name(table))
                })
                .collect();
            let listed = missing.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
            format!("{} phones have not done {stage:?}, such as {listed}", missing.len())
        })
    }

    async fn play(&mut self) -> anyhow::Result<()> {
        self.step("joining");
        let everyone = self.layout.participants;
        self.wait_for("every phone to join", |c| c.attendance.settled(everyone)).await?;
        self.command_all(Command::Start).await?;
        self.wait_for("the activity to start", |c| c.phase.is_some()).await?;

        self.step("collect");
        self.advance_to(Phase::Collect).await?;
        self.wait_for_stage(Stage::Topics, "every phone's topics").await?;
        self.merge_where(merges_in_collect, false);
        self.wait_for("the merges in collect", |c| c.merges_answered >= c.merges_asked).await?;

        self.step("vote");
        self.advance_to(Phase::Vote).await?;
        self.wait_for_stage(Stage::Dots, "every phone's dots").await?;
        self.merge_where(merges_in_vote, true);
        self.wait_for("the merges in vote", |c| c.merges_answered >= c.merges_asked).await?;

        self.step("discuss");
        self.advance_to(Phase::Discuss).await?;
        self.discuss_sent = self.advanced_at;
        self.wait_for_stage(Stage::Discussing, "every table's first topic").await?;
        self.step("timeboxes running out");
        self.wait_for_stage(Stage::Voted, "every thumb and every vote closed").await?;

        self.step("topic.next, two at a time");
        for table in 0..self.tables.len() {
            let log = &self.tables[table];
            if log.seats < 2 {
                continue;
            }
            for seat in 0..2 {
                let order = Order::Next(log.after_vote);
                // A send fails only once the phone has gone, which the run hears of anyway.
                if self.orders[self.layout.index(table, seat)].send(order).is_ok() {
                    self.nexts_asked += 1;
                }
            }
        }
        self.wait_for("every topic.next answered", |c| c.nexts_answered >= c.nexts_asked).await?;

        self.step("closing");
        self.advance_to(Phase::Done).await?;
        self.wait_for("every phone to see the close", |c| c.closed >= c.attendance.present()).await?;
        self.bar.finish_and_clear();
        Ok(())
    }

    /// Has the facilitator send `phase.next` once and waits until it shows `phase`.
    async fn advance_to(&mut self, phase: Phase) -> anyhow::Result<()> {
        if self.phase != Some(phase) {
            self.command_all(Command::PhaseNext).await?;
        }
        let what = format!("the facilitator to see {}", phase.as_str());
        self.wait_for(&what, |c| c.phase == Some(phase)).await
    }

    /// At each table `chosen`, has its last seat merge one topic into another: two at random,
    /// or (`by_dots`) the two with the most dots, the second into the first.
    fn merge_where(&mut self, chosen: fn(usize) -> bool, by_dots: bool) {
        for table in 0..self.tables.len() {
            let log = &self.tables[table];
            if !chosen(table) {
                continue;
            }
            let mut kept = log.kept_topics();
            if by_dots {
                kept.sort_by_key(|&topic| std::cmp::Reverse(log.dots_on(topic)));
            } else {
                kept.shuffle(&mut rand::rng());
            }
            let [into, topic, ..] = kept[..] else { continue };
            let merger = self.layout.index(table, log.seats - 1);
            // A send fails only once the phone has gone, which the run hears of anyway.
            if self.orders[merger].send(Order::Merge(AckedMerge { topic, into })).is_ok() {
                self.merges_asked += 1;
            }
        }
    }

    /// The figures of what the phones reported.
    fn fill(&self, figures: &mut LeanCoffeeFigures) {
        let mut discuss = Latency::new();
        if let Some(sent) = self.discuss_sent {
            for arrival in &self.discuss_arrivals {
                discuss.record(arrival.saturating_duration_since(sent));
            }
        }
        let (mut to_phone, mut to_frame, mut frame_to_phone) =
            (Latency::new(), Latency::new(), Latency::new());
        let deadlines: Vec<u64> =
            self.vote_arrivals.iter().filter_map(|(_, deadline, _)| *deadline).collect();
        let (mut first_frame, mut first_phone) = (f64::INFINITY, f64::INFINITY);
        for &(arrived, deadline, frame_now) in &self.vote_arrivals {
            record_ms(&mut frame_to_phone, arrived - frame_now as f64);
            let Some(deadline) = deadline else {
                figures.votes_without_deadline += 1;
                continue;
            };
            let (to_frame_ms, to_phone_ms) = (frame_now as f64 - deadline as f64, arrived - deadline as f64);
            if !record_ms(&mut to_phone, to_phone_ms) {
                figures.votes_before_deadline += 1;
            }
            record_ms(&mut to_frame, to_frame_ms);
            first_frame = first_frame.min(to_frame_ms);
            first_phone = first_phone.min(to_phone_ms);
        }
        let round2 = |ms: f64| (ms * 100.0).round() / 100.0;
        figures.deadline_to_first_frame_ms = first_frame.is_finite().then(|| round2(first_frame));
        figures.deadline_to_first_phone_ms = first_phone.is_finite().then(|| round2(first_phone));
        if let (Some(first), Some(last)) = (deadlines.iter().min(), deadlines.iter().max()) {
            figures.deadline_spread_ms = last - first;
        }
        let mut close = Latency::new();
        for table in &self.tables {
            let Some(sent) = table.last_thumb_sent else { continue };
            for arrival in &table.closes {
                close.record(arrival.saturating_duration_since(sent));
            }
            figures.tables_extended += u64::from(table.outcomes.contains(&true));
            let moved =
                table.next_answers.iter().filter(|answer| matches!(answer, NextAnswer::Moved(_))).count();
            let stale =
                table.next_answers.iter().filter(|answer| matches!(answer, NextAnswer::Stale(_))).count();
            figures.races += u64::from(!table.next_answers.is_empty());
            figures.races_one_moved_one_stale += u64::from((moved, stale) == (1, 1));
        }
        figures.vote_frames = self.vote_arrivals.len() as u64;
        figures.discuss_fanout_ms = discuss.summary(&POINTS);
        figures.timebox_fanout_ms = to_phone.summary(&POINTS);
        figures.deadline_to_frame_now_ms = to_frame.summary(&POINTS);
        figures.frame_now_to_phone_ms = frame_to_phone.summary(&POINTS);
        figures.vote_close_fanout_ms = close.summary(&POINTS);
        figures.topic_ack_ms = self.latencies.topic.summary(&POINTS);
        figures.merge_ack_ms = self.latencies.merge.summary(&POINTS);
        figures.dots_ack_ms = self.latencies.dots.summary(&POINTS);
        figures.thumb_ack_ms = self.latencies.thumb.summary(&POINTS);
        figures.item_ack_ms = self.latencies.item.summary(&POINTS);
        figures.next_ack_ms = self.latencies.next.summary(&POINTS);
    }

    fn take_phone(&mut self, index: usize, what: Happened) -> anyhow::Result<()> {
        let table = &mut self.tables[self.layout.table_of(index)];
        let latencies = &mut self.latencies;
        let all_acks = &mut self.tally.ack;
        let mut acked = |latency: &mut Latency, took: Duration| {
            latency.record(took);
            all_acks.record(took);
        };
        match what {
            Happened::Attended(what) => {
                if self.tally.attended(&mut self.attendance, self.code, what) {
                    self.bar.inc(1);
                }
            }
            Happened::Seated(pid) => table.members.push(pid),
            Happened::TopicAdded(Some((topic, took))) => {
                acked(&mut latencies.topic, took);
                table.topics.push(topic);
            }
            Happened::TopicMerged(merged) => {
                self.merges_answered += 1;
                if let Some((merge, took)) = merged {
                    acked(&mut latencies.merge, took);
                    table.merges.push(merge);
                }
            }
            Happened::DotsSet(Some((dots, took))) => {
                acked(&mut latencies.dots, took);
                table.dots.insert((dots.pid, dots.topic), dots.count);
            }
            Happened::Discussing { at, current } => {
                self.discuss_arrivals.push(at);
                table.first.insert(current);
            }
            Happened::VoteOpened { arrived, deadline, frame_now } => {
                self.vote_arrivals.push((arrived, deadline, frame_now))
            }
            Happened::Thumbed(Some((thumb, sent_at, took))) => {
                acked(&mut latencies.thumb, took);
                table.thumbs.insert((thumb.pid, thumb.topic, thumb.vote), thumb.thumb);
                table.last_thumb_sent = table.last_thumb_sent.max(Some(sent_at));
            }
            Happened::VoteClosed { at, extended, current } => {
                table.closes.push(at);
                table.outcomes.insert(extended);
                table.after_vote = table.after_vote.or(current);
            }
            Happened::ItemAdded(Some((item, took))) => {
                acked(&mut latencies.item, took);
                table.items.push(item);
            }
            Happened::NextAnswered(answer) => {
                self.nexts_answered += 1;
                if let NextAnswer::Moved(took) | NextAnswer::Stale(took) = answer {
                    acked(&mut latencies.next, took);
                }
                table.next_answers.push(answer);
            }
            Happened::Done(stage) => {
                self.stages.entry(stage).or_default().insert(index);
                self.bar.inc(1);
            }
            Happened::Closed { pid, currents } => {
                self.closed += 1;
                table.currents.push((pid, currents));
                self.bar.inc(1);
            }
            Happened::ServerError(error) => {
                self.tally.errors += 1;
                self.tally.problems.note(format!("{}: {error}", table.name));
            }
            // Refusals: the error was counted when it came.
            Happened::TopicAdded(None)
            | Happened::DotsSet(None)
            | Happened::Thumbed(None)
            | Happened::ItemAdded(None) => {}
        }
        Ok(())
    }
}

impl Conduct for Conductor {
    type Event = Event;

    fn events(&mut self) -> &mut mpsc::UnboundedReceiver<Event> {
        &mut self.events
    }

    fn take(&mut self, event: Event) -> anyhow::Result<()> {
        let heard = match event {
            Event::Phone { index, what } => return self.take_phone(index, what),
            Event::Facilitator(heard) => heard,
        };
        match heard {
            Heard::Answered { sent_at, refused } => {
                self.desk.answered();
                self.advanced_at = Some(sent_at);
                if let Some((code, message)) = refused {
                    bail!("the facilitator's request was refused: {code}: {message}");
                }
            }
            Heard::Lost(error) => bail!("the facilitator's connection ended: {error}"),
            Heard::Frame(ServerMsg::Activity(activity), _) => self.phase = Some(activity.phase),
            Heard::Frame(ServerMsg::Error { code, message, .. }, _) => {
                self.tally.errors += 1;
                self.tally.problems.note(format!("the facilitator got error {code}: {message}"));
            }
            // This scenario never locks its session nor restarts the server.
            Heard::Frame(..) | Heard::Locked { .. } | Heard::Back => {}
        }
        Ok(())
    }

    fn desks(&mut self) -> impl Iterator<Item = (JoinCode, &mut Desk)> {
        std::iter::once((self.code, &mut self.desk))
    }

    fn every_desk_caught_up(&self) -> bool {
        self.desk.caught_up()
    }
}

/// What comparing the export with the acks and with what the phones saw found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Found {
    topics: u64,
    merges: u64,
    dots: u64,
    thumbs: u64,
    items: u64,
    lost_topics: u64,
    duplicate_topics: u64,
    unacked_topics: u64,
    lost_merges: u64,
    lost_dots: u64,
    duplicate_dots: u64,
    lost_thumbs: u64,
    duplicate_thumbs: u64,
    unacked_thumbs: u64,
    lost_items: u64,
    duplicate_items: u64,
    unacked_items: u64,
    rule_violations: u64,
}

/// Every table's acknowledged topics, merges, dots (each participant's on each topic, moved
/// along the merges), thumbs (each participant's in each vote on each topic) and items must be
/// in the export as acknowledged, once, and nothing else. The rules: the tables are their
/// phones; topics ranked by dots (ties to the earlier); each table starts on its first ranked
/// topic and its phones see the ranked topics in order; a vote extends iff more ups than downs;
/// of the two `topic.next` sent at once, one moves the table and one is `stale`.
fn check_export(tables: &[TableLog], export: &SessionExport, problems: &mut Problems) -> Found {
    let mut found = Found::default();
    let Some(activity) = export.activities.iter().find(|activity| activity.index == 0) else {
        problems.note("the export has no activity 0");
        for table in tables {
            lose_all(table, &mut found);
        }
        return found;
    };
    for table in tables {
        match activity.tables.iter().find(|exported| exported.table == table.name) {
            Some(exported) => check_table(table, exported, &mut found, problems),
            None => {
                problems.note(format!("{}: not in the export", table.name));
                lose_all(table, &mut found);
            }
        }
    }
    for exported in &activity.tables {
        if !tables.iter().any(|table| table.name == exported.table) {
            found.rule_violations += 1;
            problems.note(format!("the export has table {:?}, where no phone sat", exported.table));
        }
    }
    found
}

fn lose_all(table: &TableLog, found: &mut Found) {
    found.lost_topics += table.topics.len() as u64;
    found.lost_merges += table.merges.len() as u64;
    found.lost_dots += table.dots.values().map(|&count| u64::from(count)).sum::<u64>();
    found.lost_thumbs += table.thumbs.len() as u64;
    found.lost_items += table.items.len() as u64;
}

fn check_table(table: &TableLog, export: &TableExport, found: &mut Found, problems: &mut Problems) {
    let name = &table.name;
    // Topics and merges.
    let topic_by_id: HashMap<TopicId, &TopicExport> =
        export.topics.iter().map(|topic| (topic.id, topic)).collect();
    found.topics += export.topics.len() as u64;
    for acked in &table.topics {
        let kept = topic_by_id
            .get(&acked.id)
            .is_some_and(|topic| topic.author == acked.author && topic.text == acked.text);
        if !kept {
            found.lost_topics += 1;
            problems.note(format!(
                "{name}: {}'s acked topic {} is not in the export as written",
                acked.author, acked.id
            ));
        }
    }
    let acked_ids: HashSet<TopicId> = table.topics.iter().map(|topic| topic.id).collect();
    let mut copies: HashMap<(Pid, &str), u64> = HashMap::new();
    for topic in &export.topics {
        *copies.entry((topic.author, topic.text.as_str())).or_default() += 1;
        if !acked_ids.contains(&topic.id) {
            found.unacked_topics += 1;
            problems.note(format!("{name}: topic {} by {} was never acked", topic.id, topic.author));
        }
    }
    for ((author, _), count) in copies {
        if count > 1 {
            found.duplicate_topics += count - 1;
            problems.note(format!("{name}: {author}'s topic is in the export {count} times"));
        }
    }
    let merged: HashMap<TopicId, TopicId> =
        table.merges.iter().map(|merge| (merge.topic, merge.into)).collect();
    for merge in &table.merges {
        if topic_by_id.get(&merge.topic).and_then(|topic| topic.merged_into) != Some(merge.into) {
            found.lost_merges += 1;
            problems.note(format!(
                "{name}: the acked merge of {} into {} is not in the export",
                merge.topic, merge.into
            ));
        }
    }
    found.merges += export.topics.iter().filter(|topic| topic.merged_into.is_some()).count() as u64;

    // Dots, each participant's on each topic, moved along the merges.
    let mut expected: HashMap<(Pid, TopicId), u32> = HashMap::new();
    for (&(pid, topic), &count) in &table.dots {
        if count > 0 {
            *expected.entry((pid, table.resolve(topic))).or_default() += count;
        }
    }
    let mut stored: HashMap<(Pid, TopicId), u32> = HashMap::new();
    for dots in &export.dots {
        *stored.entry((dots.pid, dots.topic)).or_default() += dots.count;
        found.dots += u64::from(dots.count);
    }
    for (&(pid, topic), &want) in &expected {
        let have = stored.get(&(pid, topic)).copied().unwrap_or(0);
        if have < want {
            found.lost_dots += u64::from(want - have);
            problems.note(format!(
                "{name}: {pid} had {want} dots acked on {topic} (after merges), the export {have}"
            ));
        } else if have > want {
            found.duplicate_dots += u64::from(have - want);
            problems.note(format!(
                "{name}: {pid} had {want} dots acked on {topic} (after merges), the export {have}"
            ));
        }
    }
    for (&(pid, topic), &have) in &stored {
        if have > 0 && !expected.contains_key(&(pid, topic)) {
            found.duplicate_dots += u64::from(have);
            problems.note(format!("{name}: the export has {have} dots of {pid} on {topic}, none acked"));
        }
    }

    // Thumbs, each participant's in each vote on each topic.
    let mut votes: HashMap<(Pid, TopicId, u32), Vec<Thumb>> = HashMap::new();
    for vote in &export.votes {
        votes.entry((vote.pid, vote.topic, vote.vote)).or_default().push(vote.thumb);
    }
    found.thumbs += export.votes.len() as u64;
    for (&(pid, topic, vote), &thumb) in &table.thumbs {
        if !votes.get(&(pid, topic, vote)).is_some_and(|thumbs| thumbs.contains(&thumb)) {
            found.lost_thumbs += 1;
            problems.note(format!(
                "{name}: {pid}'s acked thumb {thumb:?} in vote {vote} on {topic} is not in the export"
            ));
        }
    }
    for (&(pid, topic, vote), thumbs) in &votes {
        if thumbs.len() > 1 {
            found.duplicate_thumbs += thumbs.len() as u64 - 1;
            problems.note(format!("{name}: {pid} has {} thumbs in vote {vote} on {topic}", thumbs.len()));
        }
        if !table.thumbs.contains_key(&(pid, topic, vote)) {
            found.unacked_thumbs += thumbs.len() as u64;
            problems.note(format!("{name}: {pid}'s thumb in vote {vote} on {topic} was never acked"));
        }
    }

    // Action items (a facilitator's has no author; every one here is a phone's).
    found.items += export.items.len() as u64;
    for acked in &table.items {
        let kept = export.items.iter().any(|item| {
            item.id == acked.id
                && item.text == acked.text
                && item.author == Some(acked.author)
                && item.owner == acked.owner
                && item.topic == acked.topic
        });
        if !kept {
            found.lost_items += 1;
            problems.note(format!(
                "{name}: {}'s acked item {} is not in the export as added",
                acked.author, acked.id
            ));
        }
    }
    let mut copies: HashMap<(Option<Pid>, &str), u64> = HashMap::new();
    for item in &export.items {
        let author = item.author;
        *copies.entry((author, item.text.as_str())).or_default() += 1;
        if !table.items.iter().any(|acked| acked.id == item.id) {
            found.unacked_items += 1;
            problems.note(format!("{name}: item {} by {author:?} was never acked", item.id));
        }
    }
    for ((author, _), count) in copies {
        if count > 1 {
            found.duplicate_items += count - 1;
            problems.note(format!("{name}: {author:?}'s item is in the export {count} times"));
        }
    }

    for what in broken_rules(table, export, &stored, &merged) {
        found.rule_violations += 1;
        problems.note(format!("{name}: {what}"));
    }
}

/// How `table` broke the method's rules, by the export and what its phones saw; `stored` is
/// the export's dots by participant and topic, `merged` the acknowledged merges.
fn broken_rules(
    table: &TableLog,
    export: &TableExport,
    stored: &HashMap<(Pid, TopicId), u32>,
    merged: &HashMap<TopicId, TopicId>,
) -> Vec<String> {
    let mut broken = Vec::new();
    let mut violation = |what: String| broken.push(what);
    let mut members = table.members.clone();
    members.sort_unstable();
    let mut exported_members = export.members.clone();
    exported_members.sort_unstable();
    if members != exported_members {
        violation(format!("its phones were {members:?}, the export's members {exported_members:?}"));
    }
    for topic in &export.topics {
        if let Some(into) = topic.merged_into
            && merged.get(&topic.id) != Some(&into)
        {
            violation(format!("{} is merged into {into}, which no acked merge did", topic.id));
        }
    }
    let topic_by_id: HashMap<TopicId, &TopicExport> =
        export.topics.iter().map(|topic| (topic.id, topic)).collect();
    let mut kept: Vec<&TopicExport> =
        export.topics.iter().filter(|topic| topic.merged_into.is_none()).collect();
    for topic in &kept {
        let on_it: u32 = stored.iter().filter(|((_, on), _)| *on == topic.id).map(|(_, count)| count).sum();
        if topic.dots != on_it {
            violation(format!(
                "{} has {} dots, its participants' dots add up to {on_it}",
                topic.id, topic.dots
            ));
        }
    }
    kept.sort_by_key(|topic| (std::cmp::Reverse(topic.dots), topic.id));
    let by_dots: Vec<TopicId> = kept.iter().map(|topic| topic.id).collect();
    kept.sort_by_key(|topic| (topic.rank.is_none(), topic.rank, topic.id));
    let ranked: Vec<TopicId> = kept.iter().map(|topic| topic.id).collect();
    if kept.iter().any(|topic| topic.rank.is_none()) || ranked != by_dots {
        violation(format!("ranked {ranked:?}, but by dots (ties to the earlier topic) {by_dots:?}"));
    }
    if let Some(&first) = ranked.first()
        && table.first != HashSet::from([first])
    {
        violation(format!("its phones started on {:?}, its first ranked topic is {first}", table.first));
    }
    let Some(&first) = table.first.iter().next() else { return broken };
    let thumbs_on_first = table.thumbs.iter().filter(|((_, topic, vote), _)| (*topic, *vote) == (first, 0));
    let (ups, downs) = thumbs_on_first.fold((0, 0), |(ups, downs), (_, thumb)| match thumb {
        Thumb::Up => (ups + 1, downs),
        Thumb::Down => (ups, downs + 1),
        Thumb::Sideways => (ups, downs),
    });
    let extended = ups > downs;
    if table.outcomes != HashSet::from([extended]) {
        violation(format!(
            "{ups} up and {downs} down on {first}, its phones saw extended {:?}",
            table.outcomes
        ));
    }
    if let Some(topic) = topic_by_id.get(&first)
        && topic.extended != u32::from(extended)
    {
        violation(format!(
            "{ups} up and {downs} down on {first}, the export has it extended {} times",
            topic.extended
        ));
    }
    let moved = table.next_answers.iter().filter(|answer| matches!(answer, NextAnswer::Moved(_))).count();
    let stale = table.next_answers.iter().filter(|answer| matches!(answer, NextAnswer::Stale(_))).count();
    if table.seats >= 2 && (moved, stale) != (1, 1) {
        violation(format!(
            "two topic.next at once: {moved} moved the table, {stale} stale, of {:?}",
            table.next_answers
        ));
    }
    // Extended: the first topic, then the race's; else also the topic after the vote.
    let expected_len = (2 + usize::from(!extended)).min(ranked.len());
    let expected_currents = &ranked[..expected_len];
    for (pid, currents) in &table.currents {
        if currents != expected_currents {
            violation(format!(
                "{pid} saw topics {currents:?} in turn, the ranking says {expected_currents:?}"
            ));
        }
    }
    for topic in &expected_currents[..expected_len.saturating_sub(1)] {
        if topic_by_id.get(topic).is_some_and(|exported| !exported.discussed) {
            violation(format!("{topic} was moved on from, but the export has it not discussed"));
        }
    }
    broken
}

/// Lean Coffee's own figures: what was made, the fan-outs, the acks by request, and what the
/// checks found.
#[derive(Debug, Default, Serialize)]
pub struct LeanCoffeeFigures {
    pub tables: usize,
    pub table_size: usize,
    /// The first timebox, in seconds.
    pub timebox_s: u32,
    /// As the export has them.
    pub topics: u64,
    pub merges: u64,
    pub dots: u64,
    pub thumbs: u64,
    pub items: u64,
    /// Tables whose phones saw their first topic extended.
    pub tables_extended: u64,
    /// Tables where two members sent `topic.next` at once, and those where one moved it and
    /// the other was told `stale`.
    pub races: u64,
    pub races_one_moved_one_stale: u64,
    /// Phones that got a frame with an open vote; the latest deadline less the earliest.
    pub vote_frames: u64,
    pub deadline_spread_ms: u64,
    /// The earliest open vote, after the deadline: the server's `now` in its frame, and its
    /// arrival at a phone (the rows below give the rest of the hall).
    pub deadline_to_first_frame_ms: Option<f64>,
    pub deadline_to_first_phone_ms: Option<f64>,
    /// Open votes that came before the deadline the phone had, or with no deadline known.
    pub votes_before_deadline: u64,
    pub votes_without_deadline: u64,
    /// The facilitator's `phase.next` into discuss → each phone's first `table` frame with a
    /// current topic.
    pub discuss_fanout_ms: Option<Summary>,
    /// The first timebox's end (`ends`) → each phone's `table` frame with the open vote, by the
    /// wall clock; then split at the server's `now` in that frame.
    pub timebox_fanout_ms: Option<Summary>,
    pub deadline_to_frame_now_ms: Option<Summary>,
    pub frame_now_to_phone_ms: Option<Summary>,
    /// A table's last thumb sent → each of its phones' frame with the vote closed.
    pub vote_close_fanout_ms: Option<Summary>,
    pub topic_ack_ms: Option<Summary>,
    pub merge_ack_ms: Option<Summary>,
    pub dots_ack_ms: Option<Summary>,
    pub thumb_ack_ms: Option<Summary>,
    pub item_ack_ms: Option<Summary>,
    /// `topic.next` → its `ack` or `stale`.
    pub next_ack_ms: Option<Summary>,
    pub lost_topics: u64,
    pub duplicate_topics: u64,
    pub unacked_topics: u64,
    pub lost_merges: u64,
    pub lost_dots: u64,
    pub duplicate_dots: u64,
    pub lost_thumbs: u64,
    pub duplicate_thumbs: u64,
    pub unacked_thumbs: u64,
    pub lost_items: u64,
    pub duplicate_items: u64,
    pub unacked_items: u64,
}

impl LeanCoffeeFigures {
    fn add(&mut self, found: &Found) {
        self.topics += found.topics;
        self.merges += found.merges;
        self.dots += found.dots;
        self.thumbs += found.thumbs;
        self.items += found.items;
        self.lost_topics += found.lost_topics;
        self.duplicate_topics += found.duplicate_topics;
        self.unacked_topics += found.unacked_topics;
        self.lost_merges += found.lost_merges;
        self.lost_dots += found.lost_dots;
        self.duplicate_dots += found.duplicate_dots;
        self.lost_thumbs += found.lost_thumbs;
        self.duplicate_thumbs += found.duplicate_thumbs;
        self.unacked_thumbs += found.unacked_thumbs;
        self.lost_items += found.lost_items;
        self.duplicate_items += found.duplicate_items;
        self.unacked_items += found.unacked_items;
    }

    pub fn passed(&self) -> bool {
        [
            self.lost_topics,
            self.duplicate_topics,
            self.unacked_topics,
            self.lost_merges,
            self.lost_dots,
            self.duplicate_dots,
            self.lost_thumbs,
            self.duplicate_thumbs,
            self.unacked_thumbs,
            self.lost_items,
            self.duplicate_items,
            self.unacked_items,
            self.votes_before_deadline,
            self.votes_without_deadline,
        ]
        .iter()
        .all(|&count| count == 0)
    }
}

/// A `leancoffee` run's report: what every run reports, and Lean Coffee's own figures.
#[derive(Debug, Serialize)]
pub struct LeanCoffeeReport {
    #[serde(flatten)]
    pub run: Report,
    pub leancoffee: LeanCoffeeFigures,
}

impl LeanCoffeeReport {
    pub fn passed(&self) -> bool {
        self.run.passed() && self.leancoffee.passed()
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("could not write {}", path.display()))
    }

    /// The summary table on stdout.
    pub fn print_table(&self) {
        let (run, lc) = (&self.run, &self.leancoffee);
        println!(
            "lapp-load leancoffee: {} participants at {} tables of {}, first timebox {} s, {:.1} s",
            run.participants, lc.tables, lc.table_size, lc.timebox_s, run.duration_s
        );
        println!("{:<30}{:>10}{:>10}{:>10}{:>10}", "latency (ms)", "p50", "p95", "p99", "max");
        let rows = [
            ("connect", &run.connect_ms),
            ("discuss start fan-out", &lc.discuss_fanout_ms),
            ("timebox end -> open vote", &lc.timebox_fanout_ms),
            ("  end -> frame's now", &lc.deadline_to_frame_now_ms),
            ("  frame's now -> phone", &lc.frame_now_to_phone_ms),
            ("last thumb -> vote closed", &lc.vote_close_fanout_ms),
            ("topic.add -> ack", &lc.topic_ack_ms),
            ("topic.merge -> ack", &lc.merge_ack_ms),
            ("dots.set -> ack", &lc.dots_ack_ms),
            ("thumb -> ack", &lc.thumb_ack_ms),
            ("item.add -> ack", &lc.item_ack_ms),
            ("topic.next -> ack/stale", &lc.next_ack_ms),
        ];
        for (name, summary) in rows {
            let Some(summary) = summary else { continue };
            let cell = |point| summary.get(point).map_or("-".to_owned(), |ms| format!("{ms:.2}"));
            println!(
                "{name:<30}{:>10}{:>10}{:>10}{:>10}",
                cell("p50"),
                cell("p95"),
                cell("p99"),
                cell("max")
            );
        }
        println!(
            "{:<30}{} topics ({} merged), {} dots, {} thumbs, {} items",
            "made", lc.topics, lc.merges, lc.dots, lc.thumbs, lc.items
        );
        println!(
            "{:<30}{} open-vote frames, deadlines {} ms apart, {} tables extended, {} of {} races one moved + one stale",
            "tables",
            lc.vote_frames,
            lc.deadline_spread_ms,
            lc.tables_extended,
            lc.races_one_moved_one_stale,
            lc.races
        );
        let ms = |ms: Option<f64>| ms.map_or("-".to_owned(), |ms| format!("{ms:.2} ms"));
        println!(
            "{:<30}first vote frame made {} and at a phone {} after the deadline",
            "timer",
            ms(lc.deadline_to_first_frame_ms),
            ms(lc.deadline_to_first_phone_ms)
        );
        println!("{:<30}{} in, {} out", "frames", run.frames_in, run.frames_out);
        println!("{:<30}{} in, {} out", "bytes", run.bytes_in, run.bytes_out);
        if let (Some(rss), Some(cpu)) = (run.server_rss_peak_bytes, run.server_cpu_s) {
            println!("{:<30}peak RSS {:.1} MiB, CPU {cpu:.2} s", "server", rss as f64 / 1048576.0);
        }
        println!(
            "{:<30}lost topics {}, duplicate topics {}, unacked topics {}, lost merges {}, lost dots {}, \
             duplicate dots {}, lost thumbs {}, duplicate thumbs {}, unacked thumbs {}, lost items {}, \
             duplicate items {}, unacked items {}, votes before the deadline {}, without one {}, \
             rule violations {}, errors {}: {}",
            "checks",
            lc.lost_topics,
            lc.duplicate_topics,
            lc.unacked_topics,
            lc.lost_merges,
            lc.lost_dots,
            lc.duplicate_dots,
            lc.lost_thumbs,
            lc.duplicate_thumbs,
            lc.unacked_thumbs,
            lc.lost_items,
            lc.duplicate_items,
            lc.unacked_items,
            lc.votes_before_deadline,
            lc.votes_without_deadline,
            run.rule_violations,
            run.errors,
            if self.passed() { "PASS" } else { "FAIL" }
        );
        for problem in &run.problems.listed {
            println!("  - {problem}");
        }
        if run.problems.not_listed > 0 {
            println!("  - and {} more", run.problems.not_listed);
        }
    }
}

#[cfg(test)]
mod tests {
    use lapp_protocol::{DotsExport, VoteExport};

    use super::*;

    #[test]
    fn tables_that_extend_have_more_ups_than_downs() {
        for seats in 2..=12 {
            for table in 0..2 {
                let thumbs: Vec<Thumb> = (0..seats).map(|seat| thumb_of(table, seat, seats)).collect();
                let count = |wanted| thumbs.iter().filter(|&&thumb| thumb == wanted).count();
                assert_eq!(
                    count(Thumb::Up) > count(Thumb::Down),
                    extends(table),
                    "{seats} seats: {thumbs:?}"
                );
            }
        }
        let ten: Vec<Thumb> = (0..10).map(|seat| thumb_of(1, seat, 10)).collect();
        assert_eq!(ten.iter().filter(|&&thumb| thumb == Thumb::Sideways).count(), 3);
    }

    #[test]
    fn dots_keep_within_the_allowance() {
        let topics: Vec<TopicId> = (0..5).map(TopicId).collect();
        for index in 0..3 {
            for known in 1..=topics.len() {
                let mut placed: HashMap<TopicId, u32> = HashMap::new();
                for (topic, count) in dot_steps(index, &topics[..known], DOTS_PER_TOPIC) {
                    placed.insert(topic, count);
                }
                assert!(placed.values().all(|&count| count <= DOTS_PER_TOPIC));
                assert!(placed.values().sum::<u32>() <= DOTS);
            }
        }
        assert_eq!(dot_steps(2, &topics, 2), [(TopicId(0), 2), (TopicId(0), 1), (TopicId(1), 2)]);
    }

    #[test]
    fn seats_fill_tables_in_turn() {
        let layout = Layout { participants: 25, table_size: 10 };
        assert_eq!((layout.tables(), layout.seats(0), layout.seats(2)), (3, 10, 5));
        assert_eq!((layout.table_of(24), layout.seat_of(24), layout.index(2, 4)), (2, 4, 24));
    }

    /// Table T001, p1 and p2: topics t0 (p1), t1 (p2), t2 (p1, merged into t0 in vote); p1 put
    /// 2 dots on t2 and 1 on t1, p2 1 on t0 and 2 on t1 (so t0 3, t1 3: t0 ranks first); p1
    /// thumbed up, p2 down: not extended, so the phones saw t0 then t1; p1 added item i0 on t0
    /// for p2; p2's topic.next moved the table, p1's was stale.
    fn hall() -> (TableLog, SessionExport) {
        let (p1, p2) = (Pid(1), Pid(2));
        let mut table =
            TableLog { name: "T001".into(), seats: 2, members: vec![p1, p2], ..TableLog::default() };
        for (id, author) in [(0, p1), (1, p2), (2, p1)] {
            table.topics.push(AckedTopic { id: TopicId(id), author, text: format!("topic {id}") });
        }
        table.merges.push(AckedMerge { topic: TopicId(2), into: TopicId(0) });
        for (pid, topic, count) in [(p1, 2, 2), (p1, 1, 1), (p2, 0, 1), (p2, 1, 2)] {
            table.dots.insert((pid, TopicId(topic)), count);
        }
        table.thumbs.insert((p1, TopicId(0), 0), Thumb::Up);
        table.thumbs.insert((p2, TopicId(0), 0), Thumb::Down);
        let item =
            AckedItem { id: ItemId(0), author: p1, topic: TopicId(0), text: "item".into(), owner: Some(p2) };
        table.items.push(item);
        table.first.insert(TopicId(0));
        table.outcomes.insert(false);
        table.next_answers = vec![NextAnswer::Stale(Duration::ZERO), NextAnswer::Moved(Duration::ZERO)];
        table.currents = vec![(p1, vec![TopicId(0), TopicId(1)]), (p2, vec![TopicId(0), TopicId(1)])];
        // As the wire has it, so that fields the export gains later need no change here.
        let export = serde_json::json!({
            "code": "000001", "title": "t", "created_at_ms": 0, "agenda": [], "participants": [],
            "activities": [{"index": 0, "kind": "leancoffee", "prompt": "p", "tables": [{
                "table": "T001",
                "members": ["p2", "p1"],
                "topics": [
                    {"id": "t0", "author": "p1", "text": "topic 0", "dots": 3, "rank": 1, "discussed": true, "extended": 0},
                    {"id": "t1", "author": "p2", "text": "topic 1", "dots": 3, "rank": 2, "discussed": false, "extended": 0},
                    {"id": "t2", "author": "p1", "text": "topic 2", "merged_into": "t0", "dots": 0, "discussed": false, "extended": 0},
                ],
                "dots": [
                    {"pid": "p1", "topic": "t0", "count": 2}, {"pid": "p1", "topic": "t1", "count": 1},
                    {"pid": "p2", "topic": "t0", "count": 1}, {"pid": "p2", "topic": "t1", "count": 2},
                ],
                "votes": [
                    {"topic": "t0", "vote": 0, "pid": "p1", "thumb": "up"},
                    {"topic": "t0", "vote": 0, "pid": "p2", "thumb": "down"},
                ],
                "items": [{"id": "i0", "topic": "t0", "text": "item", "author": "p1", "owner": "p2"}],
            }]}],
        });
        let export = serde_json::from_value(export).expect("an export");
        (table, export)
    }

    fn check(table: &TableLog, export: &SessionExport) -> Found {
        check_export(std::slice::from_ref(table), export, &mut Problems::default())
    }

    fn exported(export: &mut SessionExport) -> &mut TableExport {
        &mut export.activities[0].tables[0]
    }

    #[test]
    fn an_export_that_holds_what_was_acked_passes() {
        let (table, export) = hall();
        assert_eq!(
            check(&table, &export),
            Found { topics: 3, merges: 1, dots: 6, thumbs: 2, items: 1, ..Found::default() }
        );
    }

    #[test]
    fn what_was_acked_must_be_there_once() {
        let (table, mut export) = hall();
        let lost = exported(&mut export);
        lost.topics[1].text = "changed".into();
        lost.topics[2].merged_into = None;
        lost.dots[0].count = 1; // p1's dots on t0 (moved from t2): one lost
        lost.votes.pop(); // p2's thumb lost
        lost.items.clear();
        let found = check(&table, &export);
        assert_eq!((found.lost_topics, found.lost_merges, found.lost_dots), (1, 1, 1));
        assert_eq!((found.lost_thumbs, found.lost_items), (1, 1));
        assert!(found.rule_violations >= 1, "t0's dots no longer add up: {found:?}");

        let (table, mut export) = hall();
        let doubled = exported(&mut export);
        let copy = TopicExport { id: TopicId(9), ..doubled.topics[0].clone() };
        doubled.topics.push(copy);
        doubled.dots.push(DotsExport { pid: Pid(2), topic: TopicId(1), count: 1 });
        doubled.votes.push(VoteExport { topic: TopicId(0), vote: 0, pid: Pid(1), thumb: Thumb::Up });
        let found = check(&table, &export);
        assert_eq!((found.duplicate_topics, found.unacked_topics, found.duplicate_dots), (1, 1, 1));
        assert_eq!((found.duplicate_thumbs, found.unacked_thumbs), (1, 0));
    }

    #[test]
    fn the_rules_are_checked() {
        // Both topic.next moved the table.
        let (mut table, export) = hall();
        table.next_answers = vec![NextAnswer::Moved(Duration::ZERO); 2];
        assert_eq!(check(&table, &export).rule_violations, 1);
        // The phones saw the topic extended against one up and one down.
        let (mut table, export) = hall();
        table.outcomes = HashSet::from([true]);
        assert_eq!(check(&table, &export).rule_violations, 1);
        // Ranked against the dots: the table then started on the wrong topic, both phones saw
        // the topics out of turn, and the one first by rank was not moved on from.
        let (table, mut export) = hall();
        let ranked = exported(&mut export);
        ranked.topics[0].rank = Some(2);
        ranked.topics[1].rank = Some(1);
        assert_eq!(check(&table, &export).rule_violations, 1 + 1 + 2 + 1);
    }
}
