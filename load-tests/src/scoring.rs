//! `scoring`: plays whole 25/10 activities, one session per room, every participant a task
//! with its own WebSocket; times the hand-out, the acks and the leaderboard, then checks every
//! acknowledged score against the session's export.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::ProgressBar;
use lapp_protocol::ScoringMsg;
use lapp_protocol::{
    CardId, ClientMsg, ErrorCode, Hand, Join, JoinCode, Phase, Pid, Role, Score, ServerMsg, SessionExport,
    Welcome,
};
use tokio::sync::{Barrier, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::baseline;
use crate::client::{Client, Connector, MAX_CLIENTS, MAX_CONNECTING, is_disconnect, send_home};
use crate::crash::{self, Loss, NotBack, Outage, OwnerKill, Returned};
use crate::facilitator::{self, Command, Desk, Heard, Rejoin};
use crate::flood::{Flood, FloodFigures, RoundFanout};
use crate::hall::{Attendance, Attended, Conduct, HallArgs, Requests, Tally, attend};
use crate::report::{Latency, Problems, Report, RoomNode, progress_bar};
use crate::server::{ServerProcess, Target, TargetArgs};
use crate::windows::Windows;

/// Longest pause before a facilitator starts the next round.
const GLANCE: Duration = Duration::from_millis(500);

/// How long a round's leaderboard may take to show every score of the round. The server
/// sends it at most every 250 ms, so this is generous.
const LEADERBOARD_PATIENCE: Duration = Duration::from_secs(5);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub hall: HallArgs,
    /// Rounds of scoring (1 to 10).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub rounds: u32,
    /// Fraction (0 to 1) of participants who, every round, drop their connection right after
    /// their hand and come back with their resume token.
    #[arg(long, default_value_t = 0.0)]
    pub churn: f64,
    /// Each participant scores after a random wait of `--think-min-ms` to this many
    /// milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub think_ms: u64,
    /// The shortest wait before a participant scores. With 0, some of a hall scores while the
    /// round's hands are still going out, which no hall of people reading their cards does.
    #[arg(long, default_value_t = 0)]
    pub think_min_ms: u64,
    /// First measure the same fan-out against the bare baseline server, so the figures that
    /// are held against it come from the same run.
    #[arg(long)]
    pub baseline: bool,
    /// What the bare server sends each listener when it is measured with `--baseline`.
    #[arg(long, value_enum, default_value_t = baseline::Frames::Hand, requires = "baseline")]
    pub baseline_frames: baseline::Frames,
    /// Measure the bare server after Lapp instead of before, to see what the order costs.
    #[arg(long, requires = "baseline")]
    pub baseline_after: bool,
    /// Append each round's fan-out window on the monotonic clock to this file (the bare
    /// server's too, with `--baseline`), for `scripts/profile-fanout`.
    #[arg(long)]
    pub windows: Option<PathBuf>,
    /// Kill the spawned server (SIGKILL) in the middle of this round, once half of each room
    /// has scored it, and start it again on the same port and data folder. Every phone comes
    /// back as the web client does (backoff with jitter, then `join` with its resume token)
    /// and sends again what was not answered; the run fails if any comes back as someone else.
    #[arg(long, requires = "spawn_server", value_parser = clap::value_parser!(u32).range(1..=10))]
    pub crash_at_round: Option<u32>,
    /// In a cluster (`--server` the proxy in front of the nodes): kill the node serving room 0
    /// (SIGKILL, its pid from `--node`) in the middle of this round, once half of each room has
    /// scored it. The phones of the rooms it served come back through the proxy to another node,
    /// which takes the session over; the other rooms' phones must not notice.
    #[arg(
        long,
        requires = "nodes",
        conflicts_with_all = ["spawn_server", "crash_at_round"],
        value_parser = clap::value_parser!(u32).range(1..=10)
    )]
    pub kill_owner_at_round: Option<u32>,
    /// A running node and its process id, as `NAME=PID` (NAME as in its `x-lapp-node` header);
    /// once per node.
    #[arg(long = "node", value_name = "NAME=PID", value_parser = crash::parse_node)]
    pub nodes: Vec<crash::Node>,
    /// Play the whole run this many times, one after another (a server of its own each), and
    /// pool the figures.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub trials: u64,
    /// Once round 1 has started, this many bots join as new participants (random names, no
    /// resume), at full speed, spread over the rooms and the `--sources` addresses; those let
    /// in hold their connections and do nothing else until the run ends.
    #[arg(long, default_value_t = 0)]
    pub flood: usize,
    /// Each facilitator locks its session (`session.lock`) this many milliseconds after the
    /// flood starts; the run waits for the lock's answer before it ends.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(0..=50_000))]
    pub lock_after_ms: u64,
    /// Bot joins started a second; 0 (the default) sends them as fast as the driver connects.
    #[arg(long, default_value_t = 0)]
    pub flood_rate: u32,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// A card text of about 100 characters, the size of a real one, unique to its writer.
pub fn card_text(room: usize, index: usize) -> String {
    format!(
        "{room}/{index}: meetings run long because nobody owns the agenda; a visible timer and a notetaker"
    )
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    args.hall.check()?;
    if !(0.0..=1.0).contains(&args.churn) {
        bail!("--churn is a fraction from 0 to 1");
    }
    if args.think_min_ms > args.think_ms {
        bail!("--think-min-ms is more than --think-ms");
    }
    if args.crash_at_round.is_some_and(|round| round > args.rounds) {
        bail!("--crash-at-round is past the last round (--rounds)");
    }
    let kill = OwnerKill::from_flags(args.kill_owner_at_round, args.rounds, &args.nodes, args.trials)?;
    // Phones (and facilitators) come back when their connection ends only in a run that ends it.
    let comes_back = args.crash_at_round.is_some() || kill.is_some();
    let bare_shape = args.baseline.then(|| baseline::Args {
        hall: args.hall.clone(),
        rounds: args.rounds,
        sources: args.target.sources,
        frames: args.baseline_frames,
        windows: args.windows.clone(),
    });
    let bare_before = match &bare_shape {
        Some(shape) if !args.baseline_after => Some(baseline::run(shape).await.context("the baseline run")?),
        _ => None,
    };
    if args.hall.clients().saturating_add(args.flood) > MAX_CLIENTS {
        bail!("at most {MAX_CLIENTS} participants and bots in all");
    }
    let per_room = args.hall.participants + args.flood.div_ceil(args.hall.rooms);
    let mut target = Target::open(&args.target, per_room.max(5_000)).await?;
    let windows = args.windows.as_deref().map(Windows::append_to).transpose()?;
    if let (Some(windows), Some(process)) = (&windows, &target.process) {
        windows.process("lapp", process.pid());
    }
    let connector = Arc::new(Connector::new(target.addr, args.target.sources));
    let (events_tx, events) = mpsc::unbounded_channel();
    let barrier = Arc::new(Barrier::new(args.hall.rooms));

    let mut rooms = Vec::with_capacity(args.hall.rooms);
    for room in 0..args.hall.rooms {
        let created = target.api.create_scoring_session(&format!("Load room {room}"), args.rounds).await?;
        let join = Join { key: Some(created.key.clone()), ..Join::new(created.code, Role::Facilitator) };
        let (client, _welcome) =
            connector.join(join.clone()).await.context("the facilitator could not join")?;
        let node = client.node().map(str::to_owned);
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let rejoin = comes_back.then(|| Rejoin { connector: Arc::clone(&connector), join });
        let barrier = Arc::clone(&barrier);
        tokio::spawn(facilitate(room, client, commands_rx, barrier, rejoin, events_tx.clone()));
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
                think: Duration::from_millis(args.think_min_ms)..=Duration::from_millis(args.think_ms),
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
    let bar = progress_bar(clients * (2 + u64::from(args.rounds)));
    let mut conductor = Conductor::new(rooms, events, args.hall.participants, bar);
    conductor.windows = windows;
    conductor.crash_at = args.crash_at_round;
    conductor.kill = kill;
    if args.flood > 0 {
        // Bots connect on their own connector, so the report's traffic stays the hall's.
        let bots = Arc::new(Connector::new(target.addr, args.target.sources));
        conductor.flood = Some(Flood::new(args.flood, args.flood_rate, bots, stop_rx.clone()));
        conductor.lock_after = Duration::from_millis(args.lock_after_ms);
    }
    conductor.play(args.rounds, target.process.as_mut()).await?;

    let mut flood = conductor.flood.take();
    let bot_joins = match &mut flood {
        Some(flood) => flood.settle().await,
        None => Vec::new(),
    };
    send_home(&mut participants, &stop).await;
    if let Some(flood) = &mut flood {
        send_home(flood.tasks(), &stop).await;
    }
    let exports = conductor.fetch_exports(&target).await?;

    let mut report = Report::new("scoring");
    report.participants = args.hall.participants;
    report.rooms = args.hall.rooms;
    report.rounds = args.rounds;
    report.churn = args.churn;
    conductor.check(&exports, args.rounds, &mut report);
    if let Some(started) = flood.as_ref().and_then(Flood::started) {
        // The room whose lock was acknowledged last.
        let lock = conductor.rooms.iter().filter_map(|room| room.locked).max_by_key(|&(_, acked)| acked);
        let mut figures = FloodFigures::new(args.flood, started, &bot_joins, lock, &conductor.round_fanouts);
        figures.bot_frames_in = flood.as_ref().map_or(0, Flood::frames_in);
        report.flood = Some(figures);
    }
    if let (Some(outage), Some(round)) = (&conductor.outage, args.crash_at_round.or(args.kill_owner_at_round))
    {
        report.crash = Some(outage.figures(format!("round {round}")));
    }
    report.nodes = RoomNode::list(conductor.rooms.iter().map(|room| (room.code, room.node.as_deref())));
    conductor.fill(&mut report);
    report.count_traffic(&connector.traffic);
    if let Some(process) = &target.process {
        report.server_rss_peak_bytes = Some(process.peak_rss_bytes());
        report.server_cpu_s = Some(process.cpu_seconds());
    }
    drop(target); // a spawned server stops before the bare one starts
    let bare = match (bare_before, &bare_shape) {
        (Some(bare), _) => Some(bare),
        (None, Some(shape)) => Some(baseline::run(shape).await.context("the baseline run")?),
        (None, None) => None,
    };
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
    /// The answer to a `card.write`: the card, or `None` if it was refused.
    Wrote(Option<(Pid, CardId)>),
    Hand(Instant),
    Resumed(Duration),
    /// A participant is done with the round: scored (and acked), sat out or refused.
    RoundDone(Option<AckedScore>),
    /// An `error` frame nobody provoked.
    ServerError(ErrorCode, String),
    /// Something the server did against the protocol's rules.
    Violation(String),
    FacilitatorAnswered {
        sent_at: Instant,
        refused: Option<(ErrorCode, String)>,
    },
    FacilitatorLost(String),
    /// The answer to the facilitator's `session.lock`.
    Locked {
        sent_at: Instant,
        answered_at: Instant,
        refused: Option<(ErrorCode, String)>,
    },
    /// The facilitator connected again after the crash.
    FacilitatorBack,
    Leaderboard(BoardSeen),
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

struct AckedScore {
    round: u32,
    pid: Pid,
    card: CardId,
    score: Score,
    took: Duration,
    at: Instant,
}

/// A `leaderboard` frame as the facilitator saw it, with the `progress` frame the server sent
/// just before it on the same tick.
struct BoardSeen {
    at: Instant,
    /// The round the progress frame was in, if a round was open.
    round: Option<u32>,
    scored_in_round: u32,
    summed_count: u32,
    entries: usize,
}

/// A room's facilitator: reports answers, and each leaderboard with the progress before it.
async fn facilitate(
    room: usize,
    client: Client,
    commands: mpsc::UnboundedReceiver<Command>,
    barrier: Arc<Barrier>,
    rejoin: Option<Rejoin>,
    events: mpsc::UnboundedSender<Event>,
) {
    // A send fails only once the conductor has gone, and then nobody is listening.
    let report = |what| drop(events.send(Event { room, what }));
    let mut progress: Option<(Option<u32>, u32)> = None;
    facilitator::facilitate(client, commands, barrier, rejoin, |heard| match heard {
        Heard::Answered { sent_at, refused } => report(Happened::FacilitatorAnswered { sent_at, refused }),
        Heard::Lost(error) => report(Happened::FacilitatorLost(error)),
        Heard::Locked { sent_at, answered_at, refused } => {
            report(Happened::Locked { sent_at, answered_at, refused })
        }
        Heard::Back => report(Happened::FacilitatorBack),
        Heard::Frame(ServerMsg::Error { code, message, .. }, _) => {
            report(Happened::ServerError(code, message))
        }
        Heard::Frame(ServerMsg::Progress(now), _) => {
            let round = now.round.filter(|_| now.phase == Phase::Round);
            progress = Some((round, now.scored));
        }
        Heard::Frame(ServerMsg::Leaderboard(board), at) => {
            let (round, scored_in_round) = progress.unwrap_or((None, 0));
            let seen = BoardSeen {
                at,
                round,
                scored_in_round,
                summed_count: board.entries.iter().map(|entry| entry.count).sum(),
                entries: board.entries.len(),
            };
            report(Happened::Leaderboard(seen));
        }
        Heard::Frame(..) => {}
    })
    .await;
}

/// One participant: joins, writes a card, scores each hand, and leaves on `results`.
struct Participant {
    room: usize,
    index: usize,
    code: JoinCode,
    /// Drops the connection after every hand and resumes.
    churns: bool,
    /// Comes back when its connection ends, as the web client does (a run with a crash).
    comes_back: bool,
    think: RangeInclusive<Duration>,
    connector: Arc<Connector>,
    gate: Arc<Semaphore>,
    events: mpsc::UnboundedSender<Event>,
    stop: watch::Receiver<bool>,
}

/// A request waiting for its answer.
enum Pending {
    Write,
    Score { round: u32, card: CardId, score: Score },
}

impl Participant {
    async fn run(self) {
        let report = |what| self.report(Happened::Attended(what));
        attend(&self.gate, &self.connector, self.join(None), report, async |client, welcome| {
            self.play(client, welcome).await
        })
        .await;
    }

    fn join(&self, resume: Option<String>) -> Join {
        Join {
            v: 1,
            code: self.code,
            role: Role::Participant,
            name: Some(format!("P{}", self.index)),
            zone: None,
            resume,
            key: None,
        }
    }

    fn report(&self, what: Happened) {
        // A send fails only once the conductor has gone, and then nobody is listening.
        drop(self.events.send(Event { room: self.room, what }));
    }

    async fn play(&self, mut client: Client, welcome: Welcome) -> anyhow::Result<()> {
        let mut seat = Seat {
            pid: welcome.you.pid.context("a participant's welcome has a pid")?,
            resume: welcome.resume.context("a participant's welcome has a resume token")?,
            requests: Requests::new(),
            to_score: None,
            held_round: 0,
        };
        // Frames are polled first and the stop signal last, registered once, as the baseline's
        // listeners do: a hall waiting on one signal should not queue up on it for every frame.
        let mut stop = self.stop.clone();
        let stopped = stop.changed();
        tokio::pin!(stopped);
        let thinking = tokio::time::sleep_until(far_future());
        tokio::pin!(thinking);
        loop {
            if let Some(to_score) = &seat.to_score
                && thinking.deadline() != to_score.at
            {
                thinking.as_mut().reset(to_score.at);
            }
            let step = tokio::select! {
                biased;
                received = client.recv_timed() => match received {
                    Ok((msg, at)) => self.take(&mut seat, &mut client, msg, at).await,
                    Err(err) => Err(err),
                },
                () = &mut thinking, if seat.to_score.is_some() => {
                    self.score(&mut seat, &mut client).await.map(|()| Step::Stay)
                }
                _ = &mut stopped => Ok(Step::Leave),
            };
            match step {
                Ok(Step::Stay) => {}
                Ok(Step::Churn(hand, at)) => {
                    // Gone first, as a phone losing its network is, then back.
                    drop(client);
                    let resumed;
                    (client, resumed) = self.resume(&seat, &hand).await?;
                    self.hold(&mut seat, resumed, at);
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

    /// Acts on one frame the participant received at `at`.
    async fn take(
        &self,
        seat: &mut Seat,
        client: &mut Client,
        msg: ServerMsg,
        at: Instant,
    ) -> anyhow::Result<Step> {
        let room = self.room;
        match msg {
            ServerMsg::Activity(activity) if activity.phase == Phase::Writing => {
                let text = card_text(room, self.index);
                seat.requests
                    .send(client, ClientMsg::Scoring(ScoringMsg::CardWrite { text }), Pending::Write)
                    .await?;
            }
            ServerMsg::Hand(hand) => {
                self.report(Happened::Hand(at));
                if self.churns {
                    return Ok(Step::Churn(hand, at));
                }
                self.hold(seat, hand, at);
            }
            ServerMsg::Ack { rid, card, .. } => match seat.requests.answered(rid) {
                Some((_, Pending::Write)) => {
                    let card = card.context("the ack of card.write names the card")?;
                    self.report(Happened::Wrote(Some((seat.pid, card))));
                }
                Some((sent_at, Pending::Score { round, card, score })) => {
                    let took = at.duration_since(sent_at);
                    let acked = AckedScore { round, pid: seat.pid, card, score, took, at };
                    self.report(Happened::RoundDone(Some(acked)));
                }
                None => {}
            },
            ServerMsg::Error { rid, code, message } => {
                self.report(Happened::ServerError(code, message));
                // A refused request still ends its step, so the run goes on.
                match rid.and_then(|rid| seat.requests.answered(rid)) {
                    Some((_, Pending::Write)) => self.report(Happened::Wrote(None)),
                    Some((_, Pending::Score { .. })) => self.report(Happened::RoundDone(None)),
                    None => {}
                }
            }
            ServerMsg::Results { .. } => return Ok(Step::Leave),
            _ => {}
        }
        Ok(Step::Stay)
    }

    /// Takes a hand received at `at`: its card is scored after a moment's thought; no card
    /// means this round is sat out.
    fn hold(&self, seat: &mut Seat, hand: Hand, at: Instant) {
        seat.held_round = hand.round;
        match hand.card {
            Some(card) => {
                let at = tokio::time::Instant::from_std(at) + rand::random_range(self.think.clone());
                seat.to_score = Some(ToScore { at, round: hand.round, card: card.id });
            }
            None => self.report(Happened::RoundDone(None)),
        }
    }

    /// Scores the card in hand, now that the thought is over.
    async fn score(&self, seat: &mut Seat, client: &mut Client) -> anyhow::Result<()> {
        let Some(ToScore { round, card, .. }) = seat.to_score.take() else { return Ok(()) };
        let score = Score::new(rand::random_range(Score::MIN..=Score::MAX)).context("a score from 1 to 5")?;
        let msg = ClientMsg::Scoring(ScoringMsg::CardScore { round, card, score });
        seat.requests.send(client, msg, Pending::Score { round, card, score }).await
    }

    /// Comes back after the connection ended (the server crashed), as the web client does;
    /// takes in the hand the `welcome` shows and sends again the request left unanswered.
    /// Fails, after telling the conductor why, if the participant does not come back as itself.
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
        let hand = back.welcome.view.hand;
        match &hand {
            // A round's hand that never arrived before the crash: take it now.
            Some(hand) if hand.round > seat.held_round && seat.requests.is_idle() => {
                self.hold(seat, hand.clone(), back.at);
            }
            Some(shown) if shown.round == seat.held_round => {
                let held = seat.to_score.as_ref().map(|to_score| to_score.card);
                let shown_card = shown.card.as_ref().map(|card| card.id);
                if held.is_some() && held != shown_card {
                    let what =
                        format!("after the crash, round {} shows {shown_card:?}, not {held:?}", shown.round);
                    self.report(Happened::Violation(what));
                }
            }
            _ => {}
        }
        if let Some(pending) = seat.requests.unanswered() {
            let (msg, stored) = match &pending {
                Pending::Write => (
                    ClientMsg::Scoring(ScoringMsg::CardWrite { text: card_text(self.room, self.index) }),
                    false,
                ),
                &Pending::Score { round, card, score } => {
                    let stored =
                        hand.as_ref().is_some_and(|hand| hand.round == round && hand.score == Some(score));
                    (ClientMsg::Scoring(ScoringMsg::CardScore { round, card, score }), stored)
                }
            };
            self.report(Happened::Unanswered { stored, resent: true });
            seat.requests.send(&mut client, msg, pending).await?;
        }
        Ok(client)
    }

    /// Comes back with the resume token and returns the hand the fresh `welcome` shows,
    /// which must be the one held before.
    async fn resume(&self, seat: &Seat, hand: &Hand) -> anyhow::Result<(Client, Hand)> {
        let started = Instant::now();
        let (client, welcome) = self.connector.join(self.join(Some(seat.resume.clone()))).await?;
        self.report(Happened::Resumed(started.elapsed()));
        let resumed = welcome.view.hand.context("a resumed participant's welcome has no hand")?;
        let card_id = |hand: &Hand| hand.card.as_ref().map(|card| card.id);
        if (resumed.round, card_id(&resumed)) != (hand.round, card_id(hand)) {
            let what = format!(
                "resuming changed a hand from round {} {:?} to round {} {:?}",
                hand.round,
                card_id(hand),
                resumed.round,
                card_id(&resumed)
            );
            self.report(Happened::Violation(what));
        }
        Ok((client, resumed))
    }
}

/// What a participant does after a frame.
enum Step {
    Stay,
    /// Drop the connection and resume, then take this hand, received at this instant.
    Churn(Hand, Instant),
    /// The activity is over.
    Leave,
}

/// Where a participant is: who it is and the requests it has under way.
struct Seat {
    pid: Pid,
    resume: String,
    requests: Requests<Pending>,
    /// The card in hand and when to score it.
    to_score: Option<ToScore>,
    /// The round of the last hand taken (0 before the first).
    held_round: u32,
}

struct ToScore {
    at: tokio::time::Instant,
    round: u32,
    card: CardId,
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400)
}

/// One room as the conductor follows it.
struct Room {
    code: JoinCode,
    key: String,
    /// The node that welcomed its facilitator, behind a proxy in front of several.
    node: Option<String>,
    facilitator: Desk,
    attendance: Attendance,
    /// Answers to `card.write`, refusals included.
    writes_answered: usize,
    written: HashMap<Pid, CardId>,
    /// When the facilitator sent the last `phase.next`.
    advanced_at: Option<Instant>,
    /// When each participant received this round's hand.
    hands: Vec<Instant>,
    /// Participants done with this round.
    done: usize,
    scored_in_round: u32,
    last_ack: Option<Instant>,
    boards: Vec<BoardSeen>,
    /// When `session.lock` was sent and acknowledged.
    locked: Option<(Instant, Instant)>,
    /// Every acked score: (round, pid) → (card, score); a later ack replaces an earlier one.
    acked: HashMap<(u32, Pid), (CardId, Score)>,
}

impl Room {
    fn new(code: JoinCode, key: String, facilitator: mpsc::UnboundedSender<Command>) -> Room {
        Room {
            code,
            key,
            node: None,
            facilitator: Desk::new(facilitator),
            attendance: Attendance::default(),
            writes_answered: 0,
            written: HashMap::new(),
            advanced_at: None,
            hands: Vec::new(),
            done: 0,
            scored_in_round: 0,
            last_ack: None,
            boards: Vec::new(),
            locked: None,
            acked: HashMap::new(),
        }
    }

    fn present(&self) -> usize {
        self.attendance.present()
    }

    fn start_round(&mut self) {
        self.hands.clear();
        self.done = 0;
        self.scored_in_round = 0;
        self.last_ack = None;
        self.boards.clear();
    }

    /// When the facilitator first saw a leaderboard holding every score acked so far.
    ///
    /// The board lists only the best 50 cards, so when it holds fewer than all cards its
    /// counts cannot add up to the acked scores; then the `progress` frame sent with it on
    /// the same tick says whether every score of the round is in.
    fn leaderboard_caught_up(&self, round: u32) -> Option<Instant> {
        let total = u32::try_from(self.acked.len()).unwrap_or(u32::MAX);
        let lists_every_card = |board: &BoardSeen| board.entries >= self.written.len();
        self.boards
            .iter()
            .find(|board| {
                board.round == Some(round)
                    && board.scored_in_round == self.scored_in_round
                    && (!lists_every_card(board) || board.summed_count == total)
            })
            .map(|board| board.at)
    }
}

/// Drives the rooms through the activity and gathers what the clients report.
struct Conductor {
    rooms: Vec<Room>,
    events: mpsc::UnboundedReceiver<Event>,
    participants_per_room: usize,
    bar: ProgressBar,
    tally: Tally,
    leaderboard_lag: Latency,
    windows: Option<Windows>,
    /// The round in whose middle the server is killed and started again.
    crash_at: Option<u32>,
    /// In a cluster: the node serving room 0 killed in the middle of a round.
    kill: Option<OwnerKill>,
    outage: Option<Outage>,
    /// The bots sent in once round 1 has started (`--flood`), and when the lock follows them.
    flood: Option<Flood>,
    lock_after: Duration,
    /// Each round's fan-out in each room, to split by the flood.
    round_fanouts: Vec<RoundFanout>,
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
            leaderboard_lag: Latency::new(),
            windows: None,
            crash_at: None,
            kill: None,
            outage: None,
            flood: None,
            lock_after: Duration::ZERO,
            round_fanouts: Vec::new(),
        }
    }

    async fn play(&mut self, rounds: u32, mut server: Option<&mut ServerProcess>) -> anyhow::Result<()> {
        self.bar.set_message("joining");
        let everyone = self.participants_per_room;
        self.wait_for("every participant to join", |c| {
            c.rooms.iter().all(|room| room.attendance.settled(everyone))
        })
        .await?;
        self.command_all(Command::Start).await?;
        self.bar.set_message("writing");
        self.command_all(Command::PhaseNext).await?;
        self.wait_for("every card to be written", |c| {
            c.rooms.iter().all(|room| room.writes_answered >= room.present())
        })
        .await?;
        for round in 1..=rounds {
            self.bar.set_message(format!("round {round} of {rounds}"));
            self.play_round(round, server.as_deref_mut()).await?;
        }
        if self.flood.as_ref().is_some_and(|flood| flood.started().is_some()) {
            self.wait_for("every facilitator's lock to be answered", |c| {
                c.rooms.iter().all(|room| room.locked.is_some())
            })
            .await?;
        }
        self.command_all(Command::PhaseNext).await?;
        self.bar.finish_and_clear();
        Ok(())
    }

    async fn play_round(&mut self, round: u32, server: Option<&mut ServerProcess>) -> anyhow::Result<()> {
        for room in &mut self.rooms {
            room.start_round();
        }
        // A facilitator glances at the board before moving on. The random pause also keeps
        // rounds from starting in step with the server's leaderboard tick, which the wait for
        // the last round's board would otherwise do, making every lag read nearly one tick.
        tokio::time::sleep(rand::random_range(Duration::ZERO..=GLANCE)).await;
        self.command_all(Command::PhaseNext).await?;
        if round == 1
            && let Some(flood) = &mut self.flood
        {
            let codes: Vec<JoinCode> = self.rooms.iter().map(|room| room.code).collect();
            let lock_at = flood.start(&codes) + self.lock_after;
            for room in &self.rooms {
                room.facilitator.lock_at(lock_at.into());
            }
        }
        let kill = self.kill.take_if(|kill| kill.at == round);
        if self.crash_at == Some(round) || kill.is_some() {
            self.wait_for(&format!("half of each room to score round {round}"), |c| {
                c.rooms.iter().all(|room| room.done * 2 >= room.present())
            })
            .await?;
            match kill {
                Some(kill) => self.kill_owner(&kill).await?,
                None => {
                    let server =
                        server.context("a crash needs a server this driver started (--spawn-server)")?;
                    self.crash(server).await?;
                }
            }
        }
        self.wait_for(&format!("every participant to score round {round}"), |c| {
            c.rooms.iter().all(|room| room.done >= room.present())
        })
        .await?;
        for room in &self.rooms {
            let Some(advanced_at) = room.advanced_at else { continue };
            let took: Vec<Duration> =
                room.hands.iter().map(|hand| hand.saturating_duration_since(advanced_at)).collect();
            for &took in &took {
                self.tally.fanout.record(took);
            }
            self.round_fanouts.push(RoundFanout { round, advanced_at, took });
            if let (Some(windows), Some(last)) = (&self.windows, room.hands.iter().max()) {
                windows.window("lapp", advanced_at, *last);
            }
        }
        let deadline = Instant::now() + LEADERBOARD_PATIENCE;
        self.wait_until(deadline, |c| {
            c.rooms.iter().all(|room| room.last_ack.is_none() || room.leaderboard_caught_up(round).is_some())
        })
        .await?;
        for room in &self.rooms {
            let Some(last_ack) = room.last_ack else { continue };
            match room.leaderboard_caught_up(round) {
                Some(shown) => self.leaderboard_lag.record(shown.saturating_duration_since(last_ack)),
                None => {
                    self.tally.errors += 1;
                    self.tally.problems.note(format!(
                        "room {}: the leaderboard did not show round {round}'s {} scores within {:?}",
                        room.code, room.scored_in_round, LEADERBOARD_PATIENCE
                    ));
                }
            }
        }
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

    /// Takes in events until `done` holds or `deadline` passes.
    async fn wait_until(
        &mut self,
        deadline: Instant,
        done: impl Fn(&Conductor) -> bool,
    ) -> anyhow::Result<()> {
        while !done(self) {
            let Ok(event) = tokio::time::timeout_at(deadline.into(), self.events.recv()).await else {
                return Ok(());
            };
            self.take(event.context("every client has gone")?)?;
        }
        Ok(())
    }

    async fn fetch_exports(&mut self, target: &Target) -> anyhow::Result<Vec<SessionExport>> {
        let mut exports = Vec::with_capacity(self.rooms.len());
        for room in &mut self.rooms {
            // The activity is over: closing the commands lets the facilitator leave.
            room.facilitator.dismiss();
            exports.push(target.api.export(room.code, &room.key).await?);
        }
        Ok(exports)
    }

    /// Compares each room's export with what its clients were acknowledged.
    fn check(&mut self, exports: &[SessionExport], rounds: u32, report: &mut Report) {
        for (room, export) in self.rooms.iter().zip(exports) {
            let found = check_room(room, export, rounds, &mut self.tally.problems);
            report.lost_scores += found.lost_scores;
            report.duplicate_scores += found.duplicate_scores;
            report.lost_cards += found.lost_cards;
            report.rule_violations += found.rule_violations;
        }
    }

    fn fill(self, report: &mut Report) {
        report.leaderboard_lag_ms = self.leaderboard_lag.summary(&["p50", "max"]);
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
            Happened::Wrote(card) => {
                room.writes_answered += 1;
                if let Some((pid, card)) = card {
                    room.written.insert(pid, card);
                }
                self.bar.inc(1);
            }
            Happened::Hand(at) => room.hands.push(at),
            Happened::Resumed(took) => self.tally.reconnect.record(took),
            Happened::RoundDone(score) => {
                room.done += 1;
                if let Some(acked) = score {
                    self.tally.ack.record(acked.took);
                    room.last_ack = room.last_ack.max(Some(acked.at));
                    if room.acked.insert((acked.round, acked.pid), (acked.card, acked.score)).is_none() {
                        room.scored_in_round += 1;
                    }
                }
                self.bar.inc(1);
            }
            Happened::ServerError(code, message) => {
                self.tally.errors += 1;
                self.tally.problems.note(format!("room {}: error {code}: {message}", room.code));
            }
            Happened::Violation(what) => self.tally.violation(room.code, &what),
            Happened::FacilitatorAnswered { sent_at, refused } => {
                room.facilitator.answered();
                room.advanced_at = Some(sent_at);
                if let Some((code, message)) = refused {
                    bail!("room {}: the facilitator's request was refused: {code}: {message}", room.code);
                }
            }
            Happened::Locked { sent_at, answered_at, refused } => {
                room.locked = Some((sent_at, answered_at));
                if let Some((code, message)) = refused {
                    bail!(
                        "room {}: the facilitator's session.lock was refused: {code}: {message}",
                        room.code
                    );
                }
            }
            Happened::FacilitatorLost(error) => {
                bail!("room {}: the facilitator's connection ended: {error}", room.code);
            }
            Happened::Leaderboard(seen) => room.boards.push(seen),
            Happened::FacilitatorBack => {
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
    lost_scores: u64,
    duplicate_scores: u64,
    lost_cards: u64,
    rule_violations: u64,
}

fn check_room(room: &Room, export: &SessionExport, rounds: u32, problems: &mut Problems) -> Found {
    check_export(room.code, &room.written, &room.acked, export, rounds, problems)
}

/// Every acked score must be in the export with its value, every exported score must have
/// been acked once, and the export must keep the rules of 25/10.
fn check_export(
    code: JoinCode,
    written: &HashMap<Pid, CardId>,
    acked: &HashMap<(u32, Pid), (CardId, Score)>,
    export: &SessionExport,
    rounds: u32,
    problems: &mut Problems,
) -> Found {
    let mut found = Found::default();
    let cards = export.activities.iter().find(|activity| activity.index == 0).map_or(&[][..], |a| &a.cards);
    let mut exported: HashMap<(u32, Pid), Vec<(CardId, Score)>> = HashMap::new();
    for card in cards {
        let mut scorers = Vec::new();
        for entry in &card.scores {
            exported.entry((entry.round, entry.pid)).or_default().push((card.id, entry.score));
            if entry.pid == card.author {
                found.rule_violations += 1;
                problems.note(format!("{code}: {} scored their own card {}", entry.pid, card.id));
            }
            if scorers.contains(&entry.pid) {
                found.rule_violations += 1;
                problems.note(format!("{code}: {} scored {} twice", entry.pid, card.id));
            }
            scorers.push(entry.pid);
        }
        let total: u32 = card.scores.iter().map(|entry| u32::from(entry.score.get())).sum();
        if card.count > rounds || card.count as usize != card.scores.len() || card.total != total {
            found.rule_violations += 1;
            problems.note(format!(
                "{code}: card {} has count {} and total {} for {} scores (total {total}) in {rounds} rounds",
                card.id,
                card.count,
                card.total,
                card.scores.len()
            ));
        }
    }
    for (&(round, pid), &(card, score)) in acked {
        if !exported.get(&(round, pid)).is_some_and(|entries| entries.contains(&(card, score))) {
            found.lost_scores += 1;
            problems.note(format!(
                "{code}: round {round}: {pid}'s acked {} for {card} is not in the export",
                score.get()
            ));
        }
    }
    for (&(round, pid), entries) in &exported {
        let extra = if acked.contains_key(&(round, pid)) { entries.len() - 1 } else { entries.len() };
        if extra > 0 {
            found.duplicate_scores += extra as u64;
            problems.note(format!(
                "{code}: round {round}: {pid} has {} exported scores, {extra} never acked",
                entries.len()
            ));
        }
    }
    for (&pid, &card) in written {
        if !cards.iter().any(|exported| exported.id == card && exported.author == pid) {
            found.lost_cards += 1;
            problems.note(format!("{code}: {pid}'s acked card {card} is not in the export"));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use lapp_protocol::{ActivityExport, ActivityKind, CardExport, ScoreExport};

    use super::*;

    fn score(value: u8) -> Score {
        Score::new(value).expect("1..=5")
    }

    /// A card as `(id, author, [(round, scorer, score)])`, numbers standing for ids.
    type TestCard<'a> = (u32, u32, &'a [(u32, u32, u8)]);

    fn export(cards: &[TestCard]) -> SessionExport {
        let cards = cards
            .iter()
            .map(|&(id, author, scores)| CardExport {
                id: CardId(id),
                author: Pid(author),
                text: "card".into(),
                hidden: false,
                total: scores.iter().map(|&(_, _, s)| u32::from(s)).sum(),
                count: scores.len() as u32,
                scores: scores
                    .iter()
                    .map(|&(round, pid, s)| ScoreExport { round, pid: Pid(pid), score: score(s) })
                    .collect(),
            })
            .collect();
        SessionExport {
            code: JoinCode::from_number(1).expect("code"),
            title: "t".into(),
            created_at_ms: 0,
            agenda: Vec::new(),
            participants: Vec::new(),
            activities: vec![ActivityExport {
                index: 0,
                kind: ActivityKind::Scoring,
                prompt: "p".into(),
                cards,
                groups: Vec::new(),
                notes: Vec::new(),
                actions: Vec::new(),
                tables: Vec::new(),
                retro: Vec::new(),
            }],
        }
    }

    /// `acked` holds `(round, scorer, card, score)`.
    fn check(cards: &[TestCard], acked: &[(u32, u32, u32, u8)], expected: Found) {
        let written = cards.iter().map(|&(id, author, _)| (Pid(author), CardId(id))).collect();
        let acked = acked
            .iter()
            .map(|&(round, pid, card, s)| ((round, Pid(pid)), (CardId(card), score(s))))
            .collect();
        let code = JoinCode::from_number(1).expect("code");
        let found = check_export(code, &written, &acked, &export(cards), 2, &mut Problems::default());
        assert_eq!(found, expected);
    }

    #[test]
    fn the_export_must_hold_exactly_the_acked_scores() {
        let clean = Found::default();
        check(&[(1, 1, &[(1, 2, 4)]), (2, 2, &[(1, 1, 3)])], &[(1, 2, 1, 4), (1, 1, 2, 3)], clean);
        let lost = Found { lost_scores: 1, ..Found::default() };
        check(&[(1, 1, &[(1, 2, 4)]), (2, 2, &[])], &[(1, 2, 1, 4), (1, 1, 2, 3)], lost);
        let changed = Found { lost_scores: 1, ..Found::default() };
        check(&[(1, 1, &[(1, 2, 5)])], &[(1, 2, 1, 4)], changed);
        let never_acked = Found { duplicate_scores: 1, ..Found::default() };
        check(&[(1, 1, &[(1, 2, 4)]), (2, 2, &[(1, 3, 3)])], &[(1, 2, 1, 4)], never_acked);
        let twice = Found { duplicate_scores: 1, ..Found::default() };
        check(&[(1, 1, &[(1, 2, 4)]), (2, 3, &[(1, 2, 4)])], &[(1, 2, 1, 4)], twice);
        let own_card = Found { rule_violations: 1, ..Found::default() };
        check(&[(1, 1, &[(1, 1, 4)])], &[(1, 1, 1, 4)], own_card);
        let same_card_twice = Found { rule_violations: 1, ..Found::default() };
        check(&[(1, 1, &[(1, 2, 4), (2, 2, 3)])], &[(1, 2, 1, 4), (2, 2, 1, 3)], same_card_twice);
    }
}
