//! `grouping`: plays whole 1-3-9 activities, one session per room, every participant a task
//! with its own WebSocket: each writes a note alone, then at every level takes in its group,
//! stars a note there and adds one. Times each level's fan-out and the acks, then checks every
//! acknowledged note and star, and the groups, against the session's export.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::ProgressBar;
use lapp_protocol::GroupingMsg;
use lapp_protocol::{
    ClientMsg, GroupId, GroupView, GroupingConfig, Join, JoinCode, NoteId, NoteView, Phase, Pid, Role,
    ServerMsg, SessionExport, Welcome,
};
use tokio::sync::{Barrier, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::baseline;
use crate::client::{Client, Connector, MAX_CONNECTING, is_disconnect, send_home};
use crate::crash::{self, Loss, NotBack, Outage, OwnerKill, Returned};
use crate::facilitator::{self, Command, Desk, Heard, Rejoin};
use crate::hall::{Attendance, Attended, Conduct, HallArgs, Requests, Tally, attend};
use crate::report::{Problems, Report, RoomNode, progress_bar};
use crate::server::{ServerProcess, Target, TargetArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub hall: HallArgs,
    /// Each participant acts at a random moment up to this many milliseconds after its group
    /// arrives.
    #[arg(long, default_value_t = 1000)]
    pub think_ms: u64,
    /// Fraction (0 to 1) of participants who, at every level, drop their connection right
    /// after their group arrives and come back with their resume token.
    #[arg(long, default_value_t = 0.0)]
    pub churn: f64,
    /// Kill the spawned server (SIGKILL) in the middle of this level, once half of each room
    /// has had its turn, and start it again on the same port and data folder. Every phone
    /// comes back as the web client does (backoff with jitter, then `join` with its resume
    /// token) and finishes what was not answered; the run fails if any comes back as someone
    /// else.
    #[arg(long, requires = "spawn_server", value_parser = clap::value_parser!(u32).range(1..=10))]
    pub crash_at_level: Option<u32>,
    /// In a cluster (`--server` the proxy in front of the nodes): kill the node serving room 0
    /// (SIGKILL, its pid from `--node`) in the middle of this level, once half of each room has
    /// had its turn. The phones of the rooms it served come back through the proxy to another
    /// node, which takes the session over; the other rooms' phones must not notice.
    #[arg(
        long,
        alias = "kill-owner-at-round",
        requires = "nodes",
        conflicts_with_all = ["spawn_server", "crash_at_level"],
        value_parser = clap::value_parser!(u32).range(1..=10)
    )]
    pub kill_owner_at_level: Option<u32>,
    /// A running node and its process id, as `NAME=PID` (NAME as in its `x-lapp-node` header);
    /// once per node.
    #[arg(long = "node", value_name = "NAME=PID", value_parser = crash::parse_node)]
    pub nodes: Vec<crash::Node>,
    /// Play the whole run this many times, one after another (a server of its own each), and
    /// pool the figures.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub trials: u64,
    /// First measure each level's fan-out against a bare server sending the same frames (an
    /// `activity`, then each listener its group's `group`), so the figures that follow can be
    /// read against it.
    #[arg(long)]
    pub baseline: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// The text of the note participant `index` of `room` writes at `level` (0: alone).
pub fn note_text(room: usize, index: usize, level: u32) -> String {
    format!("Room {room}, participant {index}, level {level}: start with one team")
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    args.hall.check()?;
    if !(0.0..=1.0).contains(&args.churn) {
        bail!("--churn is a fraction from 0 to 1");
    }
    let levels = GroupingConfig::default().sizes.len() as u32;
    if args.crash_at_level.is_some_and(|level| level > levels) {
        bail!("--crash-at-level is past the last level ({levels})");
    }
    let kill = OwnerKill::from_flags(args.kill_owner_at_level, levels, &args.nodes, args.trials)?;
    // Phones (and facilitators) come back when their connection ends only in a run that ends it.
    let comes_back = args.crash_at_level.is_some() || kill.is_some();
    let bare = match args.baseline {
        true => Some(
            baseline::run(&baseline::Args {
                hall: args.hall.clone(),
                rounds: levels,
                sources: args.target.sources,
                frames: baseline::Frames::Groups,
                windows: None,
            })
            .await
            .context("the baseline run")?,
        ),
        false => None,
    };
    let mut target = Target::open(&args.target, args.hall.participants.max(5_000)).await?;
    let connector = Arc::new(Connector::new(target.addr, args.target.sources));
    let (events_tx, events) = mpsc::unbounded_channel();
    let barrier = Arc::new(Barrier::new(args.hall.rooms));

    let mut rooms = Vec::with_capacity(args.hall.rooms);
    for room in 0..args.hall.rooms {
        let created = target.api.create_grouping_session(&format!("Load room {room}")).await?;
        let join = Join { key: Some(created.key.clone()), ..Join::new(created.code, Role::Facilitator) };
        let (client, _welcome) =
            connector.join(join.clone()).await.context("the facilitator could not join")?;
        let node = client.node().map(str::to_owned);
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let events = events_tx.clone();
        // A send fails only once the conductor has gone, and then nobody is listening.
        let heard = move |heard| drop(events.send(Event { room, what: Happened::Facilitator(heard) }));
        let rejoin = comes_back.then(|| Rejoin { connector: Arc::clone(&connector), join });
        tokio::spawn(facilitator::facilitate(client, commands_rx, Arc::clone(&barrier), rejoin, heard));
        rooms.push(Room { node, ..Room::new(created.code, created.key, commands) });
    }

    let (stop, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(MAX_CONNECTING));
    let churners = (args.churn * args.hall.participants as f64).round() as usize;
    let mut participants = JoinSet::new();
    for (room, state) in rooms.iter().enumerate() {
        for index in 0..args.hall.participants {
            let participant = Participant {
                room,
                index,
                code: state.code,
                churns: index < churners,
                comes_back,
                think: Duration::from_millis(args.think_ms),
                connector: Arc::clone(&connector),
                gate: Arc::clone(&gate),
                events: events_tx.clone(),
                stop: stop_rx.clone(),
            };
            participants.spawn(participant.run());
        }
    }
    // Only clients hold senders now: if every one of them ends, the conductor hears of it.
    drop(events_tx);

    let clients = args.hall.clients() as u64;
    let bar = progress_bar(clients * (2 + 2 * u64::from(levels)));
    let mut conductor = Conductor::new(rooms, events, args.hall.participants, bar);
    conductor.crash_at = args.crash_at_level;
    conductor.kill = kill;
    conductor.play(levels, target.process.as_mut()).await?;

    send_home(&mut participants, &stop).await;
    let mut exports = Vec::with_capacity(conductor.rooms.len());
    for room in &mut conductor.rooms {
        // The activity is over: closing the commands lets the facilitator leave.
        room.facilitator.dismiss();
        exports.push(target.api.export(room.code, &room.key).await?);
    }

    let mut report = Report::new("grouping");
    report.participants = args.hall.participants;
    report.rooms = args.hall.rooms;
    report.rounds = levels;
    report.churn = args.churn;
    for (room, export) in conductor.rooms.iter().zip(&exports) {
        let found = check_export(room, export, levels, &mut conductor.tally.problems);
        report.lost_notes += found.lost_notes;
        report.duplicate_notes += found.duplicate_notes;
        report.lost_stars += found.lost_stars;
        report.duplicate_stars += found.duplicate_stars;
        report.rule_violations += found.rule_violations;
    }
    if let (Some(outage), Some(level)) = (&conductor.outage, args.crash_at_level.or(args.kill_owner_at_level))
    {
        report.crash = Some(outage.figures(format!("level {level}")));
    }
    report.nodes = RoomNode::list(conductor.rooms.iter().map(|room| (room.code, room.node.as_deref())));
    conductor.fill(&mut report);
    report.count_traffic(&connector.traffic);
    if let Some(process) = &target.process {
        report.server_rss_peak_bytes = Some(process.peak_rss_bytes());
        report.server_cpu_s = Some(process.cpu_seconds());
    }
    if let Some(bare) = bare {
        report.compare_with_baseline(bare);
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
    /// The first `group` of a level a participant received, and when (`None`: it was in the
    /// `welcome` after the crash, so it times no fan-out).
    Group {
        pid: Pid,
        level: u32,
        id: GroupId,
        at: Option<Instant>,
    },
    /// The answer to a `note.add` (`None`: refused); at a level it ends the participant's turn.
    Noted {
        level: u32,
        note: Option<AckedNote>,
    },
    /// The answer to a `note.star` (`None`: refused).
    Starred(Option<AckedStar>),
    Resumed(Duration),
    /// An `error` frame nobody provoked.
    ServerError(String),
    /// Something the server did against the protocol's rules.
    Violation(String),
    Facilitator(Heard),
    /// A participant got its `welcome` after the crash.
    Back(Returned),
    /// A participant did not come back as itself.
    NotBack(NotBack),
    /// A request unanswered at the crash: whether the `welcome` showed it stored, and
    /// whether it was sent again.
    Unanswered {
        stored: bool,
        resent: bool,
    },
}

struct AckedNote {
    id: NoteId,
    author: Pid,
    text: String,
    /// `None` for a note whose ack the crash took, which the `welcome` showed stored.
    took: Option<Duration>,
}

struct AckedStar {
    note: NoteId,
    level: u32,
    took: Duration,
}

/// A request waiting for its answer.
enum Pending {
    Note { level: u32, text: String },
    Star { note: NoteId, level: u32 },
}

/// One participant: joins, writes a note alone, and at each level stars a note of its group
/// and adds one; leaves at the poster.
struct Participant {
    room: usize,
    index: usize,
    code: JoinCode,
    /// Drops the connection after every level's group and resumes.
    churns: bool,
    /// Comes back when its connection ends, as the web client does (a run with a crash).
    comes_back: bool,
    think: Duration,
    connector: Arc<Connector>,
    gate: Arc<Semaphore>,
    events: mpsc::UnboundedSender<Event>,
    stop: watch::Receiver<bool>,
}

/// What a participant does after a frame.
enum Step {
    Stay,
    /// Drop the connection and resume, then take in this group, received at this instant.
    Churn(GroupView, Instant),
    /// The activity is over.
    Leave,
}

/// Where a participant is: who it is, the level it has taken in, what it will do next and
/// the request it has under way.
struct Seat {
    pid: Pid,
    resume: String,
    level: u32,
    requests: Requests<Pending>,
    /// When to act on the group of `level`, and the note to star there.
    to_act: Option<(tokio::time::Instant, Option<NoteId>)>,
    /// The group of `level`.
    shown: Option<GroupId>,
}

impl Participant {
    async fn run(self) {
        let report = |what| self.report(Happened::Attended(what));
        attend(&self.gate, &self.connector, self.join(None), report, async |client, welcome: Welcome| {
            let pid = welcome.you.pid.context("a participant's welcome has a pid")?;
            let resume = welcome.resume.context("a participant's welcome has a resume token")?;
            self.play(
                client,
                Seat { pid, resume, level: 0, requests: Requests::new(), to_act: None, shown: None },
            )
            .await
        })
        .await;
    }

    fn join(&self, resume: Option<String>) -> Join {
        Join { name: Some(format!("P{}", self.index)), resume, ..Join::new(self.code, Role::Participant) }
    }

    /// Comes back with the resume token; the fresh `welcome` must show the group held before.
    async fn resume(&self, seat: &Seat, group: &GroupView) -> anyhow::Result<(Client, GroupView)> {
        let started = Instant::now();
        let (client, welcome) = self.connector.join(self.join(Some(seat.resume.clone()))).await?;
        self.report(Happened::Resumed(started.elapsed()));
        let resumed = welcome.view.group.context("a resumed participant's welcome has no group")?;
        let members = |group: &GroupView| group.members.iter().map(|member| member.pid).collect::<Vec<_>>();
        if (resumed.level, resumed.id, members(&resumed)) != (group.level, group.id, members(group)) {
            let what = format!(
                "resuming changed a group from level {} {} to level {} {}",
                group.level, group.id, resumed.level, resumed.id
            );
            self.report(Happened::Violation(what));
        }
        Ok((client, resumed))
    }

    fn report(&self, what: Happened) {
        // A send fails only once the conductor has gone, and then nobody is listening.
        drop(self.events.send(Event { room: self.room, what }));
    }

    async fn play(&self, mut client: Client, mut seat: Seat) -> anyhow::Result<()> {
        let mut stop = self.stop.clone();
        let stopped = stop.changed();
        tokio::pin!(stopped);
        let acting = tokio::time::sleep(Duration::from_secs(86_400));
        tokio::pin!(acting);
        loop {
            if let Some((at, _)) = seat.to_act
                && acting.deadline() != at
            {
                acting.as_mut().reset(at);
            }
            let step = tokio::select! {
                biased;
                received = client.recv_timed() => match received {
                    Ok((msg, at)) => self.take(&mut seat, &mut client, msg, at).await,
                    Err(err) => Err(err),
                },
                () = &mut acting, if seat.to_act.is_some() => {
                    self.act(&mut seat, &mut client).await.map(|()| Step::Stay)
                }
                _ = &mut stopped => Ok(Step::Leave),
            };
            match step {
                Ok(Step::Stay) => {}
                Ok(Step::Churn(group, at)) => {
                    // Gone first, as a phone losing its network is, then back.
                    drop(client);
                    let resumed;
                    (client, resumed) = self.resume(&seat, &group).await?;
                    self.join_group(&mut seat, resumed, at);
                }
                Ok(Step::Leave) => break,
                Err(err) if self.comes_back && is_disconnect(&err) => {
                    drop(client);
                    client = self.come_back(&mut seat).await?;
                }
                Err(err) => return Err(err),
            }
        }
        client.close().await;
        Ok(())
    }

    /// Acts on the group in hand, now that the thought is over: stars its first note, or adds
    /// one when there is none to star.
    async fn act(&self, seat: &mut Seat, client: &mut Client) -> anyhow::Result<()> {
        let Some((_, star)) = seat.to_act.take() else { return Ok(()) };
        let level = seat.level;
        match star {
            Some(note) => {
                let msg = ClientMsg::Grouping(GroupingMsg::NoteStar { note, on: true });
                seat.requests.send(client, msg, Pending::Star { note, level }).await
            }
            None => self.add_note(seat, client, level).await,
        }
    }

    /// Comes back after the connection ended (the server crashed), as the web client does;
    /// takes in the group the `welcome` shows and finishes the request left unanswered: a
    /// star is sent again (starring twice changes nothing), a note only if the `welcome`
    /// does not show it (adding it again would add a second one). Fails, after telling the
    /// conductor why, if the participant does not come back as itself.
    async fn come_back(&self, seat: &mut Seat) -> anyhow::Result<Client> {
        let join = self.join(Some(seat.resume.clone()));
        let back = match crash::come_back(&self.connector, join, seat.pid).await {
            Ok(back) => back,
            Err(why) => {
                self.report(Happened::NotBack(why.clone()));
                bail!("{why}");
            }
        };
        self.report(Happened::Back(back.returned(seat.pid)));
        let mut client = back.client;
        let view = back.welcome.view;
        match &view.group {
            // A level's group that never arrived before the crash: take it in now.
            Some(group) if group.level > seat.level && seat.requests.is_idle() => {
                let (pid, level, id) = (seat.pid, group.level, group.id);
                self.report(Happened::Group { pid, level, id, at: None });
                self.join_group(seat, group.clone(), back.at);
            }
            Some(group) if group.level == seat.level && seat.shown != Some(group.id) => {
                let what = format!(
                    "after the crash, level {} shows group {} not {:?}",
                    group.level, group.id, seat.shown
                );
                self.report(Happened::Violation(what));
            }
            _ => {}
        }
        let Some(pending) = seat.requests.unanswered() else { return Ok(client) };
        let in_view: Vec<&NoteView> = match &view.group {
            Some(group) => group.notes.iter().chain(view.notes.iter().flatten()).collect(),
            None => view.notes.iter().flatten().collect(),
        };
        match pending {
            Pending::Note { level, text } => match in_view.iter().find(|note| note.text == text) {
                Some(stored) => {
                    self.report(Happened::Unanswered { stored: true, resent: false });
                    let note = AckedNote { id: stored.id, author: seat.pid, text, took: None };
                    self.report(Happened::Noted { level, note: Some(note) });
                }
                None => {
                    self.report(Happened::Unanswered { stored: false, resent: true });
                    let msg = ClientMsg::Grouping(GroupingMsg::NoteAdd { text: text.clone() });
                    seat.requests.send(&mut client, msg, Pending::Note { level, text }).await?;
                }
            },
            Pending::Star { note, level } => {
                let stored =
                    in_view.iter().any(|shown| shown.id == note && shown.starred_by.contains(&seat.pid));
                self.report(Happened::Unanswered { stored, resent: true });
                let msg = ClientMsg::Grouping(GroupingMsg::NoteStar { note, on: true });
                seat.requests.send(&mut client, msg, Pending::Star { note, level }).await?;
            }
        }
        Ok(client)
    }

    async fn add_note(&self, seat: &mut Seat, client: &mut Client, level: u32) -> anyhow::Result<()> {
        let text = note_text(self.room, self.index, level);
        let msg = ClientMsg::Grouping(GroupingMsg::NoteAdd { text: text.clone() });
        seat.requests.send(client, msg, Pending::Note { level, text }).await
    }

    /// Acts on one frame received at `at`.
    async fn take(
        &self,
        seat: &mut Seat,
        client: &mut Client,
        msg: ServerMsg,
        at: Instant,
    ) -> anyhow::Result<Step> {
        match msg {
            ServerMsg::Activity(activity) if activity.phase == Phase::Solo => {
                self.add_note(seat, client, 0).await?;
            }
            ServerMsg::Activity(activity) if activity.phase == Phase::Poster => return Ok(Step::Leave),
            ServerMsg::Group(group) if group.level > seat.level => {
                self.report(Happened::Group {
                    pid: seat.pid,
                    level: group.level,
                    id: group.id,
                    at: Some(at),
                });
                if self.churns {
                    return Ok(Step::Churn(group, at));
                }
                self.join_group(seat, group, at);
            }
            ServerMsg::Ack { rid, note, .. } => match seat.requests.answered(rid) {
                Some((sent_at, Pending::Note { level, text })) => {
                    let id = note.context("the ack of note.add names the note")?;
                    let note =
                        AckedNote { id, author: seat.pid, text, took: Some(at.duration_since(sent_at)) };
                    self.report(Happened::Noted { level, note: Some(note) });
                }
                Some((sent_at, Pending::Star { note, level })) => {
                    self.report(Happened::Starred(Some(AckedStar {
                        note,
                        level,
                        took: at.duration_since(sent_at),
                    })));
                    self.add_note(seat, client, level).await?;
                }
                None => {}
            },
            ServerMsg::Error { rid, code, message } => {
                self.report(Happened::ServerError(format!("{code}: {message}")));
                // A refused request still ends its step, so the run goes on.
                match rid.and_then(|rid| seat.requests.answered(rid)) {
                    Some((_, Pending::Note { level, .. })) => {
                        self.report(Happened::Noted { level, note: None })
                    }
                    Some((_, Pending::Star { level, .. })) => {
                        self.report(Happened::Starred(None));
                        self.add_note(seat, client, level).await?;
                    }
                    None => {}
                }
            }
            _ => {}
        }
        Ok(Step::Stay)
    }

    /// Takes in the first `group` of a level, received at `at`: stars its first note a moment
    /// later, or, with no note to star, adds one.
    fn join_group(&self, seat: &mut Seat, group: GroupView, at: Instant) {
        seat.level = group.level;
        seat.shown = Some(group.id);
        let think = rand::random_range(Duration::ZERO..=self.think);
        let act_at = tokio::time::Instant::from_std(at) + think;
        seat.to_act = Some((act_at, group.notes.first().map(|note| note.id)));
    }
}

/// One room as the conductor follows it.
struct Room {
    code: JoinCode,
    key: String,
    /// The node that welcomed its facilitator, behind a proxy in front of several.
    node: Option<String>,
    facilitator: Desk,
    attendance: Attendance,
    /// When the facilitator sent the last `phase.next`.
    advanced_at: Option<Instant>,
    /// Notes answered at each level (0: alone), refusals included.
    noted: HashMap<u32, usize>,
    /// When each participant received its group of the current level.
    arrivals: Vec<Instant>,
    /// The group each participant was shown at each level.
    shown: HashMap<(Pid, u32), GroupId>,
    notes: HashMap<NoteId, AckedNote>,
    /// Every acked star: (note, level) → how many.
    stars: HashMap<(NoteId, u32), u32>,
}

impl Room {
    fn new(code: JoinCode, key: String, facilitator: mpsc::UnboundedSender<Command>) -> Room {
        Room {
            code,
            key,
            node: None,
            facilitator: Desk::new(facilitator),
            attendance: Attendance::default(),
            advanced_at: None,
            noted: HashMap::new(),
            arrivals: Vec::new(),
            shown: HashMap::new(),
            notes: HashMap::new(),
            stars: HashMap::new(),
        }
    }

    fn present(&self) -> usize {
        self.attendance.present()
    }

    fn noted_at(&self, level: u32) -> usize {
        self.noted.get(&level).copied().unwrap_or(0)
    }
}

/// Drives the rooms through the activity and gathers what the clients report.
struct Conductor {
    rooms: Vec<Room>,
    events: mpsc::UnboundedReceiver<Event>,
    participants_per_room: usize,
    bar: ProgressBar,
    tally: Tally,
    /// The level in whose middle the server is killed and started again.
    crash_at: Option<u32>,
    /// In a cluster: the node serving room 0 killed in the middle of a level.
    kill: Option<OwnerKill>,
    outage: Option<Outage>,
}

impl Conductor {
    fn new(
        rooms: Vec<Room>,
        events: mpsc::UnboundedReceiver<Event>,
        participants_per_room: usize,
        bar: ProgressBar,
    ) -> Conductor {
        Conductor {
            rooms,
            events,
            participants_per_room,
            bar,
            tally: Tally::new(),
            crash_at: None,
            kill: None,
            outage: None,
        }
    }

    async fn play(&mut self, levels: u32, mut server: Option<&mut ServerProcess>) -> anyhow::Result<()> {
        self.bar.set_message("joining");
        let everyone = self.participants_per_room;
        self.wait_for("every participant to join", |c| {
            c.rooms.iter().all(|room| room.attendance.settled(everyone))
        })
        .await?;
        self.command_all(Command::Start).await?;
        self.bar.set_message("alone");
        self.command_all(Command::PhaseNext).await?;
        self.wait_for("every note written alone", |c| {
            c.rooms.iter().all(|room| room.noted_at(0) >= room.present())
        })
        .await?;
        for level in 1..=levels {
            self.bar.set_message(format!("level {level} of {levels}"));
            for room in &mut self.rooms {
                room.arrivals.clear();
            }
            self.command_all(Command::PhaseNext).await?;
            let kill = self.kill.take_if(|kill| kill.at == level);
            if self.crash_at == Some(level) || kill.is_some() {
                self.wait_for(&format!("half of each room's turns at level {level}"), |c| {
                    c.rooms.iter().all(|room| room.noted_at(level) * 2 >= room.present())
                })
                .await?;
                match kill {
                    Some(kill) => self.kill_owner(&kill).await?,
                    None => {
                        let server = server.as_deref_mut();
                        let server =
                            server.context("a crash needs a server this driver started (--spawn-server)")?;
                        self.crash(server).await?;
                    }
                }
            }
            self.wait_for(&format!("every participant's turn at level {level}"), |c| {
                c.rooms.iter().all(|room| room.noted_at(level) >= room.present())
            })
            .await?;
            for room in &self.rooms {
                let Some(advanced_at) = room.advanced_at else { continue };
                for arrival in &room.arrivals {
                    self.tally.fanout.record(arrival.saturating_duration_since(advanced_at));
                }
            }
        }
        self.command_all(Command::PhaseNext).await?;
        self.bar.finish_and_clear();
        Ok(())
    }

    /// Kills the server and starts it again, then waits until every participant connected at
    /// the kill, and every facilitator, has come back (or failed to).
    async fn crash(&mut self, server: &mut ServerProcess) -> anyhow::Result<()> {
        let phones = self.rooms.iter().map(Room::present).sum();
        self.bar.set_message("crashed: coming back");
        let restart = server.crash_and_restart().await?;
        self.outage = Some(Outage::new(Loss::Restart(restart), (0..self.rooms.len()).collect(), phones));
        self.wait_for("every phone to come back after the crash", |c| {
            c.outage.as_ref().is_some_and(Outage::settled)
        })
        .await
    }

    /// Kills the node serving room 0, then waits until every participant and facilitator of
    /// the rooms it served, connected at the kill, has come back to another node (or failed to).
    async fn kill_owner(&mut self, kill: &OwnerKill) -> anyhow::Result<()> {
        self.bar.set_message("node killed: coming back");
        let rooms: Vec<_> = self.rooms.iter().map(|room| (room.node.as_deref(), room.present())).collect();
        self.outage = Some(kill.kill(&rooms)?);
        self.wait_for("every phone of the killed node's rooms to come back", |c| {
            c.outage.as_ref().is_some_and(Outage::settled)
        })
        .await
    }

    fn fill(self, report: &mut Report) {
        self.tally.fill(report);
    }
}

impl Conduct for Conductor {
    type Event = Event;

    fn events(&mut self) -> &mut mpsc::UnboundedReceiver<Event> {
        &mut self.events
    }

    fn take(&mut self, Event { room: index, what }: Event) -> anyhow::Result<()> {
        let room = &mut self.rooms[index];
        match what {
            Happened::Attended(what) => {
                if self.tally.attended(&mut room.attendance, room.code, what) {
                    self.bar.inc(1);
                }
            }
            Happened::Group { pid, level, id, at } => {
                room.arrivals.extend(at);
                room.shown.insert((pid, level), id);
            }
            Happened::Noted { level, note } => {
                *room.noted.entry(level).or_default() += 1;
                if let Some(note) = note {
                    if let Some(took) = note.took {
                        self.tally.ack.record(took);
                    }
                    room.notes.insert(note.id, note);
                }
                self.bar.inc(1);
            }
            Happened::Starred(star) => {
                if let Some(star) = star {
                    self.tally.ack.record(star.took);
                    *room.stars.entry((star.note, star.level)).or_default() += 1;
                }
                self.bar.inc(1);
            }
            Happened::Resumed(took) => self.tally.reconnect.record(took),
            Happened::Violation(what) => self.tally.violation(room.code, &what),
            Happened::ServerError(error) => {
                self.tally.errors += 1;
                self.tally.problems.note(format!("room {}: error {error}", room.code));
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
            // This scenario never locks its sessions.
            Happened::Facilitator(Heard::Frame(..) | Heard::Locked { .. }) => {}
            Happened::Facilitator(Heard::Back) => {
                if let Some(outage) = &mut self.outage {
                    outage.facilitator_back(index);
                }
            }
            Happened::Back(returned) => {
                if let Some(outage) = &mut self.outage {
                    outage.back(index, returned);
                }
            }
            Happened::NotBack(why) => {
                self.tally.problems.note(format!("room {}: a participant {why}", room.code));
                if let Some(outage) = &mut self.outage {
                    outage.not_back.push(why);
                }
            }
            Happened::Unanswered { stored, resent } => {
                if let Some(outage) = &mut self.outage {
                    outage.unanswered(stored, resent);
                }
            }
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

/// What comparing one room's export with its acks found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Found {
    lost_notes: u64,
    duplicate_notes: u64,
    lost_stars: u64,
    duplicate_stars: u64,
    rule_violations: u64,
}

/// Every acked note must be in the export as it was written, every exported note must have
/// been acked, each note's stars at each level must be the stars acked for it, and the groups
/// must keep the rules of 1-3-9 (one zone, nobody late): at each level everyone in exactly
/// one group, the one they were shown; level 1 as many groups as `n / sizes[0]` rounded, with
/// sizes differing by at most one; later levels made of whole groups of the level before.
fn check_export(room: &Room, export: &SessionExport, levels: u32, problems: &mut Problems) -> Found {
    let code = room.code;
    let mut found = Found::default();
    let Some(activity) = export.activities.iter().find(|activity| activity.index == 0) else {
        problems.note(format!("{code}: the export has no activity 0"));
        found.lost_notes = room.notes.len() as u64;
        return found;
    };
    for (id, acked) in &room.notes {
        let kept = activity.notes.iter().any(|note| {
            note.id == *id && note.author == acked.author && note.text == acked.text && !note.hidden
        });
        if !kept {
            found.lost_notes += 1;
            problems
                .note(format!("{code}: {}'s acked note {id} is not in the export as written", acked.author));
        }
    }
    for note in &activity.notes {
        if !room.notes.contains_key(&note.id) {
            found.duplicate_notes += 1;
            problems.note(format!("{code}: note {} by {} was never acked", note.id, note.author));
        }
        for level in 1..=levels {
            let exported = note.stars.get(level as usize - 1).copied().unwrap_or(0);
            let acked = room.stars.get(&(note.id, level)).copied().unwrap_or(0);
            if exported < acked {
                found.lost_stars += u64::from(acked - exported);
            } else {
                found.duplicate_stars += u64::from(exported - acked);
            }
            if exported != acked {
                problems.note(format!(
                    "{code}: note {} has {exported} stars at level {level}, {acked} acked",
                    note.id
                ));
            }
        }
    }
    let sizes = GroupingConfig::default().sizes;
    let mut violation = |what: String| {
        found.rule_violations += 1;
        problems.note(format!("{code}: {what}"));
    };
    let members = |level: u32| -> HashMap<Pid, GroupId> {
        let mut of = HashMap::new();
        for group in activity.groups.iter().filter(|group| group.level == level) {
            for &pid in &group.members {
                of.insert(pid, group.id);
            }
        }
        of
    };
    for level in 1..=levels {
        let groups: Vec<_> = activity.groups.iter().filter(|group| group.level == level).collect();
        let counted: usize = groups.iter().map(|group| group.members.len()).sum();
        let group_of = members(level);
        if counted != group_of.len() {
            violation(format!("level {level}: someone is in more than one group"));
        }
        // Whoever was shown a group of the level must be in that one. (Everyone still there
        // was shown one: their turn at the level starts with it.)
        let shown_now = room.shown.iter().filter(|((_, at), _)| *at == level);
        for ((pid, _), shown) in shown_now {
            match group_of.get(pid) {
                Some(group) if group == shown => {}
                group => violation(format!("level {level}: {pid} is in {group:?} but was shown {shown}")),
            }
        }
        if level == 1 {
            let n = group_of.len();
            let expected = ((n as f64 / f64::from(sizes[0])).round() as usize).clamp(1, (n / 2).max(1));
            let (smallest, largest) = (
                groups.iter().map(|group| group.members.len()).min().unwrap_or(0),
                groups.iter().map(|group| group.members.len()).max().unwrap_or(0),
            );
            if groups.len() != expected || largest - smallest > 1 {
                violation(format!(
                    "level 1: {n} people make {} groups of {smallest} to {largest}",
                    groups.len()
                ));
            }
        } else {
            let before = members(level - 1);
            let mut merged = HashSet::new();
            for group in &groups {
                let brought: HashSet<Pid> =
                    before.iter().filter(|(_, id)| group.merged.contains(id)).map(|(&pid, _)| pid).collect();
                let has: HashSet<Pid> = group.members.iter().copied().collect();
                if brought != has {
                    violation(format!("level {level}: group {} is not its merged groups' members", group.id));
                }
                for id in &group.merged {
                    if !merged.insert(*id) {
                        violation(format!("level {level}: group {id} was merged twice"));
                    }
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use lapp_protocol::{ActivityExport, ActivityKind, GroupExport, NoteExport};

    use super::*;

    /// Six people, p1 to p6: level 1 is g1 {1, 2, 3} and g2 {4, 5, 6}, level 2 is g3, both
    /// merged. Each wrote a note alone (n1 to n6, by pid), and n1 has one star at each level.
    fn hall() -> (Room, SessionExport) {
        let (facilitator, _) = mpsc::unbounded_channel();
        let mut room = Room::new(JoinCode::from_number(1).expect("code"), "key".into(), facilitator);
        let mut notes = Vec::new();
        for pid in 1..=6 {
            let text = format!("note {pid}");
            let acked = AckedNote { id: NoteId(pid), author: Pid(pid), text: text.clone(), took: None };
            room.notes.insert(NoteId(pid), acked);
            let stars = if pid == 1 { vec![1, 1] } else { Vec::new() };
            notes.push(NoteExport {
                id: NoteId(pid),
                author: Pid(pid),
                text,
                level: 0,
                group: None,
                hidden: false,
                deleted: false,
                stars,
            });
            room.shown.insert((Pid(pid), 1), GroupId(if pid <= 3 { 1 } else { 2 }));
            room.shown.insert((Pid(pid), 2), GroupId(3));
        }
        room.stars.insert((NoteId(1), 1), 1);
        room.stars.insert((NoteId(1), 2), 1);
        let group = |id, level, members: &[u32], merged: &[u32]| GroupExport {
            id: GroupId(id),
            level,
            label: format!("group {id}"),
            members: members.iter().map(|&pid| Pid(pid)).collect(),
            merged: merged.iter().map(|&id| GroupId(id)).collect(),
        };
        let groups = vec![
            group(1, 1, &[1, 2, 3], &[]),
            group(2, 1, &[4, 5, 6], &[]),
            group(3, 2, &[1, 2, 3, 4, 5, 6], &[1, 2]),
        ];
        let export = SessionExport {
            code: room.code,
            title: "t".into(),
            created_at_ms: 0,
            agenda: Vec::new(),
            participants: Vec::new(),
            activities: vec![ActivityExport {
                index: 0,
                kind: ActivityKind::Grouping,
                prompt: "p".into(),
                cards: Vec::new(),
                groups,
                notes,
                actions: Vec::new(),
                tables: Vec::new(),
                retro: Vec::new(),
            }],
        };
        (room, export)
    }

    fn check(room: &Room, export: &SessionExport) -> Found {
        check_export(room, export, 2, &mut Problems::default())
    }

    #[test]
    fn an_export_that_holds_what_was_acked_passes() {
        let (room, export) = hall();
        assert_eq!(check(&room, &export), Found::default());
    }

    #[test]
    fn notes_and_stars_must_be_exactly_the_acked_ones() {
        let (mut room, mut export) = hall();
        let activity = &mut export.activities[0];
        activity.notes.retain(|note| note.id != NoteId(2)); // acked, lost
        activity.notes[2].text = "changed".into(); // n4 no longer as written
        activity.notes[0].stars = vec![1]; // n1 lost its level-2 star
        activity.notes[1].stars = vec![0, 2]; // n3 has two stars nobody was acked
        room.notes.remove(&NoteId(5)); // exported, never acked
        let found = check(&room, &export);
        assert_eq!(
            found,
            Found {
                lost_notes: 2,
                duplicate_notes: 1,
                lost_stars: 1,
                duplicate_stars: 2,
                rule_violations: 0
            }
        );
    }

    #[test]
    fn groups_must_keep_the_rules() {
        // Someone shown another group than the one they are in.
        let (mut room, export) = hall();
        room.shown.insert((Pid(4), 1), GroupId(1));
        assert_eq!(check(&room, &export).rule_violations, 1);
        // A level-2 group that is not its merged groups' members.
        let (room, mut export) = hall();
        export.activities[0].groups[2].merged = vec![GroupId(1)];
        assert!(check(&room, &export).rule_violations >= 1);
        // Level-1 sizes that differ by more than one.
        let (room, mut export) = hall();
        let groups = &mut export.activities[0].groups;
        groups[0].members = vec![Pid(1), Pid(2)];
        groups[1].members = vec![Pid(3), Pid(4), Pid(5), Pid(6)];
        assert!(check(&room, &export).rule_violations >= 1);
        // Someone in no group at all.
        let (room, mut export) = hall();
        export.activities[0].groups[2].members.retain(|&pid| pid != Pid(6));
        assert!(check(&room, &export).rule_violations >= 1);
    }
}
