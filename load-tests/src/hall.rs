//! What every scenario's hall shares: its size, its conductor, and the one request at a time a
//! participant has under way.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use lapp_protocol::{ClientFrame, ClientMsg, Join, JoinCode, Welcome};
use tokio::sync::{Semaphore, mpsc};

use crate::client::{Client, Connector, MAX_CLIENTS};
use crate::facilitator::{Command, Desk};
use crate::report::{Latency, Problems, Report};

/// How long a conductor waits for the next event before it calls the run stalled.
const STALL: Duration = Duration::from_secs(60);

/// How many people, in how many rooms.
#[derive(Debug, Clone, clap::Args)]
pub struct HallArgs {
    /// Participants in each room (for the bare server, listeners).
    #[arg(long, default_value_t = 200)]
    pub participants: usize,
    /// Rooms, one session each; all of them advance at the same instant.
    #[arg(long, default_value_t = 1)]
    pub rooms: usize,
}

impl HallArgs {
    /// Refuses an empty hall, or one bigger than the driver may open.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.participants == 0 || self.rooms == 0 {
            bail!("--participants and --rooms must be at least 1");
        }
        if self.participants.saturating_mul(self.rooms) > MAX_CLIENTS {
            bail!("at most {MAX_CLIENTS} participants in all");
        }
        Ok(())
    }

    pub fn clients(&self) -> usize {
        self.participants * self.rooms
    }
}

/// The next event of a run; fails if nobody has said anything for a minute while the
/// conductor waits for `what`, or if every client has gone.
pub async fn next_event<E>(events: &mut mpsc::UnboundedReceiver<E>, what: &str) -> anyhow::Result<E> {
    tokio::time::timeout(STALL, events.recv())
        .await
        .with_context(|| format!("stalled: no client said anything for {STALL:?} while waiting for {what}"))?
        .with_context(|| format!("every client has gone while waiting for {what}"))
}

/// A participant's request under way, and what it was (`P`); one at a time.
pub struct Requests<P> {
    next_rid: u64,
    waiting: Option<(u64, Instant, P)>,
}

impl<P> Requests<P> {
    pub fn new() -> Requests<P> {
        Requests { next_rid: 0, waiting: None }
    }

    pub async fn send(&mut self, client: &mut Client, msg: ClientMsg, pending: P) -> anyhow::Result<()> {
        self.next_rid += 1;
        self.waiting = Some((self.next_rid, Instant::now(), pending));
        client.send(&ClientFrame::new(Some(self.next_rid), msg)).await
    }

    /// The request still waiting for its answer, taken out: a connection that ended took
    /// its answer with it.
    pub fn unanswered(&mut self) -> Option<P> {
        self.waiting.take().map(|(_, _, pending)| pending)
    }

    /// Whether no request is under way.
    pub fn is_idle(&self) -> bool {
        self.waiting.is_none()
    }

    /// The request `rid` answers, with when it was sent, if it is the one waiting.
    pub fn answered(&mut self, rid: u64) -> Option<(Instant, P)> {
        self.waiting.take_if(|(waiting, ..)| *waiting == rid).map(|(_, sent_at, pending)| (sent_at, pending))
    }
}

/// A run's conductor: takes in what its clients report and has its rooms' facilitators act.
pub trait Conduct {
    type Event;

    fn events(&mut self) -> &mut mpsc::UnboundedReceiver<Self::Event>;

    /// Takes in one client's report.
    fn take(&mut self, event: Self::Event) -> anyhow::Result<()>;

    /// Each room's facilitator, with the room's join code.
    fn desks(&mut self) -> impl Iterator<Item = (JoinCode, &mut Desk)>;

    fn every_desk_caught_up(&self) -> bool;

    /// Takes in events until `done` holds; fails if the clients go quiet (see [`next_event`]).
    async fn wait_for(&mut self, what: &str, done: impl Fn(&Self) -> bool) -> anyhow::Result<()> {
        while !done(self) {
            let event = next_event(self.events(), what).await?;
            self.take(event)?;
        }
        Ok(())
    }

    /// Has every facilitator send `command` and waits for every answer.
    async fn command_all(&mut self, command: Command) -> anyhow::Result<()> {
        for (code, desk) in self.desks() {
            if !desk.ask(command) {
                bail!("room {code}: the facilitator has gone");
            }
        }
        self.wait_for("the facilitators' answers", Self::every_desk_caught_up).await
    }
}

/// How a participant's stay in a room went, as far as counting heads goes.
pub enum Attended {
    Joined(Duration),
    JoinFailed(String),
    /// A joined participant's connection ended before the activity did.
    Lost(String),
}

/// A participant's whole stay: waits its turn at `gate`, joins, plays, and reports each step.
pub async fn attend(
    gate: &Semaphore,
    connector: &Connector,
    join: Join,
    report: impl Fn(Attended),
    play: impl AsyncFnOnce(Client, Welcome) -> anyhow::Result<()>,
) {
    let joined = async {
        let _permit = gate.acquire().await?;
        let started = Instant::now();
        let (client, welcome) = connector.join(join).await?;
        anyhow::Ok((client, welcome, started.elapsed()))
    };
    match joined.await {
        Ok((client, welcome, took)) => {
            report(Attended::Joined(took));
            if let Err(err) = play(client, welcome).await {
                report(Attended::Lost(format!("{err:#}")));
            }
        }
        Err(err) => report(Attended::JoinFailed(format!("{err:#}"))),
    }
}

/// Who came to a room.
#[derive(Debug, Default)]
pub struct Attendance {
    pub joined: usize,
    pub failed: usize,
    pub lost: usize,
}

impl Attendance {
    /// Participants connected and playing.
    pub fn present(&self) -> usize {
        self.joined - self.lost
    }

    /// Whether each of `everyone` has joined or failed to.
    pub fn settled(&self, everyone: usize) -> bool {
        self.joined + self.failed == everyone
    }

    /// Counts what happened to a participant of room `code`: a join's time into `connect`, a
    /// failure into `problems`. Returns whether it was a failure.
    pub fn count(
        &mut self,
        code: JoinCode,
        what: Attended,
        connect: &mut Latency,
        problems: &mut Problems,
    ) -> bool {
        match what {
            Attended::Joined(took) => {
                self.joined += 1;
                connect.record(took);
                false
            }
            Attended::JoinFailed(error) => {
                self.failed += 1;
                problems.note(format!("room {code}: a participant could not join: {error}"));
                true
            }
            Attended::Lost(error) => {
                self.lost += 1;
                problems.note(format!("room {code}: a participant was lost: {error}"));
                true
            }
        }
    }
}

/// What every conductor measures and counts, to fill into its report.
pub struct Tally {
    pub connect: Latency,
    pub reconnect: Latency,
    pub fanout: Latency,
    pub ack: Latency,
    pub errors: u64,
    pub violations: u64,
    pub problems: Problems,
}

impl Tally {
    pub fn new() -> Tally {
        Tally {
            connect: Latency::new(),
            reconnect: Latency::new(),
            fanout: Latency::new(),
            ack: Latency::new(),
            errors: 0,
            violations: 0,
            problems: Problems::default(),
        }
    }

    /// Counts what happened to a participant of room `code`; true if it joined.
    pub fn attended(&mut self, attendance: &mut Attendance, code: JoinCode, what: Attended) -> bool {
        let failed = attendance.count(code, what, &mut self.connect, &mut self.problems);
        self.errors += u64::from(failed);
        !failed
    }

    /// Something the server did against the protocol's rules, in room `code`.
    pub fn violation(&mut self, code: JoinCode, what: &str) {
        self.violations += 1;
        self.problems.note(format!("room {code}: {what}"));
    }

    pub fn fill(self, report: &mut Report) {
        report.connect_ms = self.connect.summary(&["p50", "p99"]);
        report.reconnect_ms = self.reconnect.summary(&["p50", "p99"]);
        report.fanout_ms = self.fanout.summary(&["p50", "p95", "p99", "max"]);
        report.ack_ms = self.ack.summary(&["p50", "p99"]);
        report.errors += self.errors;
        report.rule_violations += self.violations;
        report.problems = self.problems;
    }
}
