//! A crash in a full hall: the server killed with SIGKILL in the middle of a round (or level)
//! and started again on the same data folder and port, or, in a cluster, the node serving a
//! room killed and the others taking its sessions over; every phone coming back as the web
//! client does (exponential backoff with jitter, then `join` with its resume token); and what
//! that took, for one run and pooled over trials.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use lapp_protocol::{ErrorCode, Join, Pid, Welcome};
use serde::Serialize;

use crate::client::{Client, Connector, JoinRefused, is_disconnect};
use crate::report::{Latency, Report, Summary};
use crate::server::Restart;

/// The web client's first wait is up to this long (web-client/public/socket.js).
const BACKOFF_FIRST_MS: u64 = 1_000;

/// The web client never waits longer than this between two tries.
const BACKOFF_CAP_MS: u64 = 30_000;

/// How long a phone keeps trying to come back before the run calls it lost.
const COME_BACK_PATIENCE: Duration = Duration::from_secs(120);

/// The waits between tries to reconnect, as the web client draws them: the cap doubles with
/// each try, from 1 s up to 30 s, and the wait is half the cap plus a random part of the other
/// half, so a hall that lost its server does not come back all in the same instant.
#[derive(Debug, Default)]
pub struct Backoff {
    tries: u32,
}

impl Backoff {
    /// The wait before the next try, for `jitter` drawn uniformly from `[0, 1)`.
    pub fn next_wait(&mut self, jitter: f64) -> Duration {
        let doubled = BACKOFF_FIRST_MS.saturating_mul(1u64 << self.tries.min(32));
        let cap_ms = doubled.min(BACKOFF_CAP_MS) as f64;
        self.tries += 1;
        Duration::from_secs_f64((cap_ms / 2.0 + jitter.clamp(0.0, 1.0) * cap_ms / 2.0) / 1000.0)
    }

    /// Tries made so far.
    pub fn tries(&self) -> u32 {
        self.tries
    }
}

/// A participant back after losing its connection.
pub struct Back {
    pub client: Client,
    pub welcome: Welcome,
    /// When its `welcome` arrived.
    pub at: Instant,
    pub tries: u32,
}

impl Back {
    /// What the conductor is told of this return, by participant `pid`.
    pub fn returned(&self, pid: Pid) -> Returned {
        Returned { pid, at: self.at, tries: self.tries, node: self.client.node().map(str::to_owned) }
    }
}

/// A participant back after a crash, as its task tells the conductor: who, when its `welcome`
/// came, after how many tries, and from which node.
pub struct Returned {
    pub pid: Pid,
    pub at: Instant,
    pub tries: u32,
    pub node: Option<String>,
}

/// Why a participant did not come back as itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotBack {
    /// The server did not know the resume token.
    BadResume,
    /// It came back, but as someone else (another pid, or none).
    NewParticipant { was: Pid, now: Option<Pid> },
    /// Its `join` was refused for another reason.
    Refused(String),
    /// No server took it back within [`COME_BACK_PATIENCE`].
    GaveUp(String),
}

impl std::fmt::Display for NotBack {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotBack::BadResume => formatter.write_str("its resume token got bad_resume"),
            NotBack::NewParticipant { was, now } => {
                write!(formatter, "{was} came back as a new participant ({now:?})")
            }
            NotBack::Refused(why) => write!(formatter, "coming back was refused: {why}"),
            NotBack::GaveUp(why) => {
                write!(formatter, "could not come back within {COME_BACK_PATIENCE:?}: {why}")
            }
        }
    }
}

/// Comes back as participant `pid` the way the web client does (see [`reconnect`]); the
/// `welcome` must name the same participant.
pub async fn come_back(connector: &Connector, join: Join, pid: Pid) -> Result<Back, NotBack> {
    let back = reconnect(connector, join).await?;
    check_same_participant(pid, &back.welcome)?;
    Ok(back)
}

/// Connects again the way the web client does: waits its backoff, connects and sends `join`
/// (a participant's carries its resume token), and tries again after a longer wait while no
/// server answers. A `join` that is refused is not tried again: the web client would come in
/// anew after `bad_resume`, which here is the failure to report.
pub async fn reconnect(connector: &Connector, join: Join) -> Result<Back, NotBack> {
    let mut backoff = Backoff::default();
    let started = Instant::now();
    loop {
        tokio::time::sleep(backoff.next_wait(rand::random())).await;
        // A node that answers "served by another node" is one more disconnection here: this
        // loop already waits its backoff before each try.
        match connector.join_once(join.clone()).await {
            Ok((client, welcome)) => {
                return Ok(Back { client, welcome, at: Instant::now(), tries: backoff.tries() });
            }
            Err(err) if is_disconnect(&err) && started.elapsed() < COME_BACK_PATIENCE => continue,
            Err(err) => return Err(why_not_back(&err)),
        }
    }
}

/// A resumed `welcome` must name the participant that left.
fn check_same_participant(pid: Pid, welcome: &Welcome) -> Result<(), NotBack> {
    match welcome.you.pid {
        Some(now) if now == pid => Ok(()),
        now => Err(NotBack::NewParticipant { was: pid, now }),
    }
}

fn why_not_back(err: &anyhow::Error) -> NotBack {
    match err.downcast_ref::<JoinRefused>() {
        Some(refused) if refused.code == ErrorCode::BadResume => NotBack::BadResume,
        Some(refused) => NotBack::Refused(refused.to_string()),
        None => NotBack::GaveUp(format!("{err:#}")),
    }
}

/// A cluster node, as `--node NAME=PID` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub pid: u32,
}

/// Reads `--node NAME=PID`.
pub fn parse_node(arg: &str) -> Result<Node, String> {
    let (name, pid) = arg.split_once('=').ok_or_else(|| format!("{arg:?} is not NAME=PID"))?;
    let pid = pid.parse().map_err(|_| format!("{pid:?} is not a process id"))?;
    if name.is_empty() {
        return Err(format!("{arg:?} names no node"));
    }
    Ok(Node { name: name.to_owned(), pid })
}

/// `--kill-owner-at-round` (`--kill-owner-at-level`): in the middle of that step, the node
/// serving room 0 is killed with SIGKILL; the other nodes take its sessions over.
#[derive(Debug, Clone)]
pub struct OwnerKill {
    /// The round (level) in whose middle the node is killed.
    pub at: u32,
    pub nodes: Vec<Node>,
}

impl OwnerKill {
    /// The kill a scenario's flags ask for, if any: at step `at` (`--kill-owner-at-round` or
    /// `-level`), which must not be past the last of `steps`, in a run of one trial.
    pub fn from_flags(
        at: Option<u32>,
        steps: u32,
        nodes: &[Node],
        trials: u64,
    ) -> anyhow::Result<Option<OwnerKill>> {
        let Some(at) = at else { return Ok(None) };
        if at > steps {
            bail!("the node is to be killed after the last step ({at} of {steps})");
        }
        if trials > 1 {
            bail!(
                "a killed node is not started again by this driver: run one trial per command and start \
                 the node again between them (scripts/cluster-test does)"
            );
        }
        Ok(Some(OwnerKill { at, nodes: nodes.to_vec() }))
    }

    /// Kills the node that serves room 0, given each room's node (`x-lapp-node` of the
    /// connection that got its facilitator's `welcome`: only the node serving a session
    /// welcomes anyone into it) and its participants present. Returns the outage to follow:
    /// the phones of every room that node served must come back.
    pub fn kill(&self, rooms: &[(Option<&str>, usize)]) -> anyhow::Result<Outage> {
        let Some(&(Some(owner), _)) = rooms.first() else {
            bail!(
                "room 0's node is unknown: the server sent no x-lapp-node header (is it started with --node?)"
            );
        };
        let Some(node) = self.nodes.iter().find(|node| node.name == owner) else {
            bail!("room 0 is served by node {owner:?}, which no --node NAME=PID names");
        };
        // A wrong pid must not kill some other process of this machine.
        let command = std::fs::read_to_string(format!("/proc/{}/comm", node.pid))
            .with_context(|| format!("node {owner}: no process {}", node.pid))?;
        if !command.trim().starts_with("lapp") {
            bail!("node {owner}: process {} is {:?}, not lapp", node.pid, command.trim());
        }
        let pid = rustix::process::Pid::from_raw(node.pid as i32)
            .with_context(|| format!("node {owner}: {} is not a process id", node.pid))?;
        rustix::process::kill_process(pid, rustix::process::Signal::KILL)
            .with_context(|| format!("kill -KILL {} ({owner}) failed", node.pid))?;
        let killed = Instant::now();
        let hit: Vec<usize> = (0..rooms.len()).filter(|&room| rooms[room].0 == Some(owner)).collect();
        let phones = hit.iter().map(|&room| rooms[room].1).sum();
        Ok(Outage::new(Loss::OwnerKilled { node: owner.to_owned(), killed }, hit, phones))
    }
}

/// How a hall lost its server.
#[derive(Debug, Clone)]
pub enum Loss {
    /// The one server was killed and started again on the same port and data.
    Restart(Restart),
    /// The cluster node serving some rooms was killed; the other nodes take them over.
    OwnerKilled { node: String, killed: Instant },
}

impl Loss {
    fn killed(&self) -> Instant {
        match self {
            Loss::Restart(restart) => restart.killed,
            Loss::OwnerKilled { killed, .. } => *killed,
        }
    }
}

/// The conductor's account of one crash: when the server went (and came back), and each
/// participant's return.
pub struct Outage {
    pub loss: Loss,
    /// The rooms whose server went: their phones must come back, the others' must not notice.
    pub rooms_hit: Vec<usize>,
    /// Participants of those rooms connected when the server was killed: each must come back.
    pub phones: usize,
    /// When each participant that came back got its `welcome`, and after how many tries.
    pub returns: Vec<(Instant, u32)>,
    /// Who came back, by room.
    back: HashSet<(usize, Pid)>,
    /// Returns of participants already back: a session handed over once more.
    pub back_again: u64,
    /// How many came back to each node (those that name themselves).
    pub back_on: BTreeMap<String, usize>,
    /// Facilitators of those rooms back.
    pub facilitators_back: usize,
    /// Participants and facilitators of rooms whose server lived that lost their connection
    /// all the same.
    pub disturbed: u64,
    /// Requests sent before the crash and not answered.
    pub unanswered: u64,
    /// Of those, the ones the `welcome` showed stored.
    pub stored_unanswered: u64,
    /// Of those, the ones sent again after coming back (a note the `welcome` showed stored
    /// is not: adding it again would add a second note).
    pub resent: u64,
    pub not_back: Vec<NotBack>,
}

impl Outage {
    pub fn new(loss: Loss, rooms_hit: Vec<usize>, phones: usize) -> Outage {
        Outage {
            loss,
            rooms_hit,
            phones,
            returns: Vec::new(),
            back: HashSet::new(),
            back_again: 0,
            back_on: BTreeMap::new(),
            facilitators_back: 0,
            disturbed: 0,
            unanswered: 0,
            stored_unanswered: 0,
            resent: 0,
            not_back: Vec::new(),
        }
    }

    /// Counts a participant of `room` back. Only its first return is timed: a second one means
    /// the session moved once more (a handover between nodes).
    pub fn back(&mut self, room: usize, returned: Returned) {
        if !self.rooms_hit.contains(&room) {
            self.disturbed += 1;
            return;
        }
        if !self.back.insert((room, returned.pid)) {
            self.back_again += 1;
            return;
        }
        self.returns.push((returned.at, returned.tries));
        if let Some(node) = returned.node {
            *self.back_on.entry(node).or_default() += 1;
        }
    }

    /// Counts the facilitator of `room` back.
    pub fn facilitator_back(&mut self, room: usize) {
        match self.rooms_hit.contains(&room) {
            true => self.facilitators_back += 1,
            false => self.disturbed += 1,
        }
    }

    /// Counts a request left unanswered by the crash.
    pub fn unanswered(&mut self, stored: bool, resent: bool) {
        self.unanswered += 1;
        self.stored_unanswered += u64::from(stored);
        self.resent += u64::from(resent);
    }

    /// Whether every participant has come back, or failed to, and every facilitator is back.
    pub fn settled(&self) -> bool {
        self.returns.len() + self.not_back.len() >= self.phones
            && self.facilitators_back >= self.rooms_hit.len()
    }

    /// The figures of this crash, taken at `at` (`"round 2"`).
    pub fn figures(&self, at: String) -> CrashFigures {
        let since = |from: Instant| -> Vec<Duration> {
            self.returns.iter().map(|(back, _)| back.saturating_duration_since(from)).collect()
        };
        let count =
            |wanted: fn(&NotBack) -> bool| self.not_back.iter().filter(|&why| wanted(why)).count() as u64;
        let ms = |took: Duration| (took.as_secs_f64() * 100_000.0).round() / 100.0;
        let back_after_kill = since(self.loss.killed());
        let (restart, killed_node) = match &self.loss {
            Loss::Restart(restart) => (Some(restart), None),
            Loss::OwnerKilled { node, .. } => (None, Some(node.clone())),
        };
        let back_after_spawn = restart.map(|restart| since(restart.spawned)).unwrap_or_default();
        let back_after_healthy = restart.map(|restart| since(restart.healthy)).unwrap_or_default();
        CrashFigures {
            at,
            killed_node,
            rooms_hit: self.rooms_hit.clone(),
            phones: self.phones,
            came_back: self.returns.len(),
            back_on: self.back_on.clone(),
            back_again: self.back_again,
            disturbed: self.disturbed,
            kill_to_spawn_ms: restart
                .map(|restart| ms(restart.spawned.saturating_duration_since(restart.killed))),
            spawn_to_healthy_ms: restart
                .map(|restart| ms(restart.healthy.saturating_duration_since(restart.spawned))),
            back_after_kill_ms: summary(&back_after_kill),
            back_after_spawn_ms: summary(&back_after_spawn),
            back_after_healthy_ms: summary(&back_after_healthy),
            tries_max: self.returns.iter().map(|&(_, tries)| tries).max().unwrap_or(0),
            unanswered: self.unanswered,
            stored_unanswered: self.stored_unanswered,
            resent: self.resent,
            bad_resumes: count(|why| *why == NotBack::BadResume),
            new_participants: count(|why| matches!(why, NotBack::NewParticipant { .. })),
            not_back: count(|why| matches!(why, NotBack::Refused(_) | NotBack::GaveUp(_))),
            back_after_kill,
            back_after_spawn,
            back_after_healthy,
        }
    }
}

fn summary(took: &[Duration]) -> Option<Summary> {
    let mut latency = Latency::new();
    for &one in took {
        latency.record(one);
    }
    latency.summary(&["p50", "p99", "max"])
}

/// What one crash measured, for the report.
#[derive(Debug, Default, Clone, Serialize)]
pub struct CrashFigures {
    /// Where the server was killed (`"round 2"`, `"level 1"`).
    pub at: String,
    /// In a cluster, the node killed (the one serving room 0); `None` for a restart.
    pub killed_node: Option<String>,
    /// The rooms whose server was killed.
    pub rooms_hit: Vec<usize>,
    /// Participants of those rooms connected at the kill, and how many came back as themselves.
    pub phones: usize,
    pub came_back: usize,
    /// How many came back to each node.
    pub back_on: BTreeMap<String, usize>,
    /// Participants that came back a second time (their session moved once more).
    pub back_again: u64,
    /// Participants and facilitators of other rooms, whose node lived, that lost their
    /// connection all the same.
    pub disturbed: u64,
    /// From the kill to starting the server again (a restart only).
    pub kill_to_spawn_ms: Option<f64>,
    /// From starting the server again to its first answer on `/healthz` (a restart only).
    pub spawn_to_healthy_ms: Option<f64>,
    /// From the kill to each participant's `welcome`.
    pub back_after_kill_ms: Option<Summary>,
    /// From starting the server again to each participant's `welcome`.
    pub back_after_spawn_ms: Option<Summary>,
    /// From the restarted server's first answer on `/healthz` to each participant's
    /// `welcome` (0 for a phone that was back before the driver saw that answer).
    pub back_after_healthy_ms: Option<Summary>,
    /// Most tries one participant needed.
    pub tries_max: u32,
    /// Requests the crash left unanswered; of them, those found stored, and those sent again.
    pub unanswered: u64,
    pub stored_unanswered: u64,
    pub resent: u64,
    pub bad_resumes: u64,
    pub new_participants: u64,
    /// Refused for another reason, or not back in time.
    pub not_back: u64,
    #[serde(skip)]
    pub back_after_kill: Vec<Duration>,
    #[serde(skip)]
    pub back_after_spawn: Vec<Duration>,
    #[serde(skip)]
    pub back_after_healthy: Vec<Duration>,
}

impl CrashFigures {
    /// Whether every participant came back as itself.
    pub fn passed(&self) -> bool {
        self.came_back == self.phones
            && self.disturbed == 0
            && self.bad_resumes == 0
            && self.new_participants == 0
            && self.not_back == 0
    }

    /// The lines of the summary table.
    pub fn print(&self) {
        match (&self.killed_node, self.kill_to_spawn_ms, self.spawn_to_healthy_ms) {
            (Some(node), ..) => println!(
                "{:<22}node {node} killed at {}, serving rooms {:?}; the other nodes take over",
                "crash", self.at, self.rooms_hit
            ),
            (None, Some(to_spawn), Some(to_healthy)) => println!(
                "{:<22}killed at {}; started again {to_spawn:.1} ms after the kill, /healthz {to_healthy:.1} ms later",
                "crash", self.at
            ),
            (None, ..) => println!("{:<22}killed at {}", "crash", self.at),
        }
        for (name, summary) in [
            ("welcome after kill", &self.back_after_kill_ms),
            ("welcome after spawn", &self.back_after_spawn_ms),
            ("welcome after healthz", &self.back_after_healthy_ms),
        ] {
            let Some(summary) = summary else { continue };
            let cell = |point| summary.get(point).map_or("-".to_owned(), |ms| format!("{ms:.2}"));
            println!("{name:<22}{:>10}{:>10}{:>10}{:>10}", cell("p50"), "-", cell("p99"), cell("max"));
        }
        println!(
            "{:<22}{} of {} back as themselves (at most {} tries); {} bad_resume, {} new participants, \
             {} not back; {} requests unanswered at the crash ({} of them stored, {} sent again)",
            "came back",
            self.came_back,
            self.phones,
            self.tries_max,
            self.bad_resumes,
            self.new_participants,
            self.not_back,
            self.unanswered,
            self.stored_unanswered,
            self.resent
        );
        if !self.back_on.is_empty() {
            let nodes: Vec<String> = self.back_on.iter().map(|(node, n)| format!("{n} on {node}")).collect();
            println!("{:<22}{}", "came back to", nodes.join(", "));
        }
        if self.back_again > 0 {
            println!(
                "{:<22}{} participants came back a second time (their session moved again)",
                "back again", self.back_again
            );
        }
        if self.disturbed > 0 {
            println!(
                "{:<22}{} participants of rooms whose node lived lost their connection",
                "disturbed", self.disturbed
            );
        }
    }
}

/// Several whole runs of one command, each with its crash, and their figures pooled.
#[derive(Debug, Default, Serialize)]
pub struct Trials {
    pub trials: Vec<Report>,
    /// Trials that stopped before their checks, with why.
    pub stopped: Vec<String>,
    pub pooled: Pooled,
}

/// The trials taken together.
#[derive(Debug, Default, Serialize)]
pub struct Pooled {
    pub trials: usize,
    pub passed: usize,
    pub phones: usize,
    pub came_back: usize,
    pub back_after_kill_ms: Option<Summary>,
    pub back_after_spawn_ms: Option<Summary>,
    pub back_after_healthy_ms: Option<Summary>,
    pub spawn_to_healthy_ms: Option<Summary>,
    pub lost: u64,
    pub duplicated: u64,
    pub bad_resumes: u64,
    pub new_participants: u64,
    pub not_back: u64,
    pub unanswered: u64,
    pub stored_unanswered: u64,
    pub resent: u64,
    pub tries_max: u32,
    pub errors: u64,
    pub rule_violations: u64,
}

impl Trials {
    pub fn add(&mut self, report: Report) {
        self.trials.push(report);
        let mut pooled = Pooled { trials: self.trials.len(), ..Pooled::default() };
        let (mut after_kill, mut after_spawn, mut after_healthy, mut restarts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for report in &self.trials {
            pooled.passed += usize::from(report.passed());
            pooled.lost += report.lost_scores + report.lost_cards + report.lost_notes + report.lost_stars;
            pooled.duplicated += report.duplicate_scores + report.duplicate_notes + report.duplicate_stars;
            pooled.errors += report.errors;
            pooled.rule_violations += report.rule_violations;
            let Some(crash) = &report.crash else { continue };
            pooled.phones += crash.phones;
            pooled.came_back += crash.came_back;
            pooled.bad_resumes += crash.bad_resumes;
            pooled.new_participants += crash.new_participants;
            pooled.not_back += crash.not_back;
            pooled.unanswered += crash.unanswered;
            pooled.stored_unanswered += crash.stored_unanswered;
            pooled.resent += crash.resent;
            pooled.tries_max = pooled.tries_max.max(crash.tries_max);
            after_kill.extend_from_slice(&crash.back_after_kill);
            after_spawn.extend_from_slice(&crash.back_after_spawn);
            after_healthy.extend_from_slice(&crash.back_after_healthy);
            restarts.extend(crash.spawn_to_healthy_ms.map(|ms| Duration::from_secs_f64(ms / 1000.0)));
        }
        pooled.back_after_kill_ms = summary(&after_kill);
        pooled.back_after_spawn_ms = summary(&after_spawn);
        pooled.back_after_healthy_ms = summary(&after_healthy);
        pooled.spawn_to_healthy_ms = summary(&restarts);
        self.pooled = pooled;
    }

    /// A trial that stopped before its checks (stalled, timed out, a facilitator refused).
    pub fn stopped(&mut self, why: String) {
        self.stopped.push(why);
    }

    pub fn passed(&self) -> bool {
        self.stopped.is_empty() && self.pooled.passed == self.trials.len()
    }

    /// One line per trial, then the pooled figures.
    pub fn print(&self) {
        println!(
            "\n{} trials of: {}",
            self.trials.len(),
            self.trials.first().map_or(String::new(), |r| r.command.join(" "))
        );
        println!(
            "{:<7}{:>10}{:>24}{:>24}{:>13}{:>7}{:>7}{:>7}{:>7}",
            "trial",
            "healthz",
            "back after spawn",
            "back after healthz",
            "came back",
            "lost",
            "dup",
            "new",
            "pass"
        );
        let three = |summary: &Option<Summary>| {
            summary.as_ref().map_or("-".to_owned(), |summary| {
                let point = |name| summary.get(name).copied().unwrap_or(f64::NAN);
                format!("{:.0} / {:.0} / {:.0}", point("p50"), point("p99"), point("max"))
            })
        };
        for (index, report) in self.trials.iter().enumerate() {
            let crash = report.crash.clone().unwrap_or_default();
            println!(
                "{:<7}{:>10}{:>24}{:>24}{:>13}{:>7}{:>7}{:>7}{:>7}",
                index + 1,
                crash.spawn_to_healthy_ms.map_or("-".to_owned(), |ms| format!("{ms:.1}")),
                three(&crash.back_after_spawn_ms),
                three(&crash.back_after_healthy_ms),
                format!("{}/{}", crash.came_back, crash.phones),
                report.lost_scores + report.lost_cards + report.lost_notes + report.lost_stars,
                report.duplicate_scores + report.duplicate_notes + report.duplicate_stars,
                crash.new_participants + crash.bad_resumes,
                if report.passed() { "yes" } else { "NO" }
            );
        }
        let pooled = &self.pooled;
        println!(
            "pooled: restart to /healthz {} ms; welcome after the kill {} ms, after spawn {} ms, after \
             /healthz {} ms (p50 / p99 / max)",
            three(&pooled.spawn_to_healthy_ms),
            three(&pooled.back_after_kill_ms),
            three(&pooled.back_after_spawn_ms),
            three(&pooled.back_after_healthy_ms)
        );
        println!(
            "pooled: {} of {} phones back as themselves; lost {}, duplicated {}, bad_resume {}, new \
             participants {}, not back {}, errors {}, rule violations {}; {} of {} trials passed",
            pooled.came_back,
            pooled.phones,
            pooled.lost,
            pooled.duplicated,
            pooled.bad_resumes,
            pooled.new_participants,
            pooled.not_back,
            pooled.errors,
            pooled.rule_violations,
            pooled.passed,
            pooled.trials
        );
        println!(
            "pooled: {} requests unanswered at the crashes, {} of them found stored, {} sent again; \
             at most {} tries to come back",
            pooled.unanswered, pooled.stored_unanswered, pooled.resent, pooled.tries_max
        );
        for why in &self.stopped {
            println!("stopped before its checks: {why}");
        }
    }

    pub fn write_json(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("could not write {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use lapp_protocol::ServerMsg;

    use super::*;

    /// The waits for `tries` tries, all drawn with the same `jitter`, in ms.
    fn waits(jitter: f64, tries: usize) -> Vec<u64> {
        let mut backoff = Backoff::default();
        (0..tries).map(|_| backoff.next_wait(jitter).as_millis() as u64).collect()
    }

    #[test]
    fn backoff_doubles_its_cap_up_to_thirty_seconds_and_waits_half_to_all_of_it() {
        assert_eq!(waits(0.0, 7), [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
        assert_eq!(waits(1.0, 7), [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
        assert_eq!(waits(0.5, 2), [750, 1_500]);
        // A long outage never overflows the doubling.
        assert_eq!(waits(1.0, 80).last(), Some(&30_000));
        let mut backoff = Backoff::default();
        backoff.next_wait(0.3);
        backoff.next_wait(0.3);
        assert_eq!(backoff.tries(), 2);
    }

    /// A participant's `welcome` naming `pid` (`p7`), or no pid at all.
    fn welcome(pid: Option<&str>) -> Welcome {
        let you = match pid {
            Some(pid) => format!(r#"{{"pid":"{pid}","role":"participant"}}"#),
            None => r#"{"role":"participant"}"#.to_owned(),
        };
        let frame = format!(
            r#"{{"type":"welcome","you":{you},"resume":"0123456789abcdef0123456789abcdef","session":{{"code":"483920","title":"t","agenda":[],"current":null}},"view":{{}}}}"#
        );
        match ServerMsg::decode(&frame) {
            Ok(ServerMsg::Welcome(welcome)) => *welcome,
            other => panic!("not a welcome: {other:?}"),
        }
    }

    #[test]
    fn a_resume_must_give_back_the_same_participant() {
        assert_eq!(check_same_participant(Pid(7), &welcome(Some("p7"))), Ok(()));
        let other = NotBack::NewParticipant { was: Pid(7), now: Some(Pid(8)) };
        assert_eq!(check_same_participant(Pid(7), &welcome(Some("p8"))), Err(other));
        let nobody = NotBack::NewParticipant { was: Pid(7), now: None };
        assert_eq!(check_same_participant(Pid(7), &welcome(None)), Err(nobody));
    }

    #[test]
    fn a_refused_join_says_why() {
        let refused = |code| anyhow::Error::from(JoinRefused { code, message: "no".into() });
        assert_eq!(why_not_back(&refused(ErrorCode::BadResume)), NotBack::BadResume);
        assert!(matches!(why_not_back(&refused(ErrorCode::SessionFull)), NotBack::Refused(_)));
        assert!(matches!(why_not_back(&anyhow::anyhow!("connect")), NotBack::GaveUp(_)));
    }

    fn outage(returns: &[u64], not_back: Vec<NotBack>, phones: usize) -> CrashFigures {
        let killed = Instant::now();
        let spawned = killed + Duration::from_millis(2);
        let healthy = spawned + Duration::from_millis(100);
        let mut outage = Outage::new(Loss::Restart(Restart { killed, spawned, healthy }), vec![0], phones);
        outage.returns = returns.iter().map(|&ms| (spawned + Duration::from_millis(ms), 1)).collect();
        outage.not_back = not_back;
        outage.facilitator_back(0);
        assert_eq!(outage.settled(), outage.returns.len() + outage.not_back.len() >= phones);
        outage.figures("round 2".into())
    }

    #[test]
    fn an_outage_passes_only_if_everyone_came_back_as_themselves() {
        let clean = outage(&[50, 400, 900], Vec::new(), 3);
        assert!(clean.passed());
        assert_eq!(clean.back_after_spawn.len(), 3);
        // Back before the driver saw /healthz counts as 0 after it.
        assert_eq!(clean.back_after_healthy[0], Duration::ZERO);
        assert_eq!(clean.back_after_healthy[2], Duration::from_millis(800));
        assert_eq!(clean.spawn_to_healthy_ms, Some(100.0));
        assert_eq!(clean.back_after_kill[0], Duration::from_millis(52));
        let bad_resume = outage(&[50, 400], vec![NotBack::BadResume], 3);
        assert!(!bad_resume.passed());
        assert_eq!(bad_resume.bad_resumes, 1);
        let new_pid = outage(&[50, 400], vec![NotBack::NewParticipant { was: Pid(1), now: Some(Pid(9)) }], 3);
        assert_eq!((new_pid.new_participants, new_pid.passed()), (1, false));
        let missing = outage(&[50, 400], Vec::new(), 3);
        assert!(!missing.passed());
    }

    #[test]
    fn a_node_is_named_with_its_pid() {
        assert_eq!(parse_node("n1=4242"), Ok(Node { name: "n1".into(), pid: 4242 }));
        assert!(parse_node("n1").is_err());
        assert!(parse_node("n1=x").is_err());
        assert!(parse_node("=4242").is_err());
    }

    #[test]
    fn a_killed_node_s_rooms_come_back_and_the_others_must_not_notice() {
        let killed = Instant::now();
        let loss = Loss::OwnerKilled { node: "n2".into(), killed };
        let mut outage = Outage::new(loss, vec![0, 2], 2);
        let returned = |pid, ms, node: &str| Returned {
            pid: Pid(pid),
            at: killed + Duration::from_millis(ms),
            tries: 1,
            node: Some(node.into()),
        };
        outage.back(0, returned(1, 700, "n3"));
        assert!(!outage.settled());
        outage.back(2, returned(1, 900, "n3"));
        // The same participant again: its session moved once more; not timed twice.
        outage.back(2, returned(1, 6_000, "n1"));
        assert!(!outage.settled(), "the facilitators are not back yet");
        outage.facilitator_back(0);
        outage.facilitator_back(2);
        assert!(outage.settled());
        let figures = outage.figures("round 2".into());
        assert!(figures.passed());
        assert_eq!(figures.killed_node.as_deref(), Some("n2"));
        assert_eq!(figures.back_on.get("n3"), Some(&2));
        assert_eq!(figures.back_after_kill, [Duration::from_millis(700), Duration::from_millis(900)]);
        assert_eq!(figures.back_again, 1);
        assert_eq!((figures.spawn_to_healthy_ms, figures.back_after_spawn_ms), (None, None));
        // A phone of room 1, whose node lived, lost its connection: that fails the run.
        outage.back(1, returned(2, 800, "n1"));
        outage.facilitator_back(1);
        let figures = outage.figures("round 2".into());
        assert_eq!((figures.disturbed, figures.came_back, figures.passed()), (2, 2, false));
    }
}
