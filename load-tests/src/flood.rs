//! `scoring --flood`: bots that join a session as new participants, at full speed, once its
//! first round has started, until the facilitator locks it; what they got, and the honest
//! hall's fan-out while they came and after.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lapp_protocol::{ErrorCode, Join, JoinCode, Role};
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::client::{Connector, JoinRefused, MAX_CONNECTING};
use crate::report::{Latency, Problems, Summary};

/// How long the run waits for the flood's last bot to be admitted or refused.
const SETTLE: Duration = Duration::from_secs(60);

/// How a bot's `join` went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It got a `welcome`.
    Admitted,
    /// It got an `error` frame with this code.
    Refused(ErrorCode),
    /// No answer: the connection failed or ended, or took too long.
    Failed(String),
}

/// One bot's join: when it sent it (once it could connect), when the answer came, and what.
#[derive(Debug, Clone)]
pub struct BotJoin {
    pub sent: Instant,
    pub settled: Instant,
    pub outcome: Outcome,
}

/// The bots of one run, sent at the rooms once their first round has started.
pub struct Flood {
    bots: usize,
    /// Joins started a second; 0 for as fast as the driver connects.
    rate: u32,
    connector: Arc<Connector>,
    stop: watch::Receiver<bool>,
    started: Option<Instant>,
    joins_tx: mpsc::UnboundedSender<BotJoin>,
    joins_rx: mpsc::UnboundedReceiver<BotJoin>,
    tasks: JoinSet<()>,
}

impl Flood {
    pub fn new(bots: usize, rate: u32, connector: Arc<Connector>, stop: watch::Receiver<bool>) -> Flood {
        let (joins_tx, joins_rx) = mpsc::unbounded_channel();
        Flood { bots, rate, connector, stop, started: None, joins_tx, joins_rx, tasks: JoinSet::new() }
    }

    /// Sends every bot, spread over the rooms (`codes`) in turn, each joining as a new
    /// participant under a random name: all at once (as many connecting at a time as the
    /// hall's phones do), or one every 1/`rate` s.
    pub fn start(&mut self, codes: &[JoinCode]) -> Instant {
        let started = Instant::now();
        self.started = Some(started);
        let gate = Arc::new(Semaphore::new(MAX_CONNECTING));
        for (index, &code) in codes.iter().cycle().take(self.bots).enumerate() {
            let join = Join {
                v: 1,
                code,
                role: Role::Participant,
                name: Some(format!("bot{index}-{:06x}", rand::random::<u32>() & 0xff_ffff)),
                zone: None,
                resume: None,
                key: None,
            };
            let due = tokio::time::Instant::from_std(started) + pace(index, self.rate);
            let bot = bot(
                join,
                due,
                Arc::clone(&self.connector),
                Arc::clone(&gate),
                self.joins_tx.clone(),
                self.stop.clone(),
            );
            self.tasks.spawn(bot);
        }
        started
    }

    /// Waits until every bot has been admitted or refused (or a minute has passed) and
    /// returns how each join went; the admitted bots hold on until `send_home`.
    pub async fn settle(&mut self) -> Vec<BotJoin> {
        let mut joins = Vec::with_capacity(self.bots);
        if self.started.is_none() {
            return joins;
        }
        let deadline = tokio::time::Instant::now() + SETTLE;
        while joins.len() < self.bots {
            match tokio::time::timeout_at(deadline, self.joins_rx.recv()).await {
                Ok(Some(join)) => joins.push(join),
                Ok(None) | Err(_) => break,
            }
        }
        joins
    }

    /// The bots' tasks, to be sent home with the hall's.
    pub fn tasks(&mut self) -> &mut JoinSet<()> {
        &mut self.tasks
    }

    pub fn started(&self) -> Option<Instant> {
        self.started
    }

    /// Frames the bots received, every one of them dropped unread.
    pub fn frames_in(&self) -> u64 {
        self.connector.traffic.frames_in.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// One bot: joins, reports how that went, and if admitted holds its connection (reading and
/// dropping whatever comes, as an idle phone would) until the run sends everyone home.
async fn bot(
    join: Join,
    due: tokio::time::Instant,
    connector: Arc<Connector>,
    gate: Arc<Semaphore>,
    joins: mpsc::UnboundedSender<BotJoin>,
    mut stop: watch::Receiver<bool>,
) {
    tokio::time::sleep_until(due).await;
    let Ok(permit) = gate.acquire().await else { return };
    let sent = Instant::now();
    let joined = connector.join(join).await;
    let settled = Instant::now();
    drop(permit);
    let outcome = match &joined {
        Ok(_) => Outcome::Admitted,
        Err(err) => match err.downcast_ref::<JoinRefused>() {
            Some(refused) => Outcome::Refused(refused.code),
            None => Outcome::Failed(format!("{err:#}")),
        },
    };
    // A send fails only once the run has stopped listening.
    drop(joins.send(BotJoin { sent, settled, outcome }));
    let Ok((mut client, _welcome)) = joined else { return };
    loop {
        tokio::select! {
            biased;
            received = client.recv_text() => if received.is_err() { return },
            _ = stop.changed() => break,
        }
    }
    client.close().await;
}

/// How long after the flood's start bot `index` may join, at `rate` joins a second (0: at once).
pub fn pace(index: usize, rate: u32) -> Duration {
    match rate {
        0 => Duration::ZERO,
        rate => Duration::from_secs_f64(index as f64 / f64::from(rate)),
    }
}

/// When a round started, against the flood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Before,
    During,
    After,
}

/// Whether a round whose `phase.next` went at `advanced_at` started before the flood, while
/// bots were still joining (from the flood's start to its last answer), or after.
pub fn classify(advanced_at: Instant, started: Instant, ended: Instant) -> When {
    if advanced_at < started {
        When::Before
    } else if advanced_at < ended {
        When::During
    } else {
        When::After
    }
}

/// One round's honest fan-out in one room: when its `phase.next` went, and each hand's delay.
pub struct RoundFanout {
    pub round: u32,
    pub advanced_at: Instant,
    pub took: Vec<Duration>,
}

/// What the flood did, for the report. Times in ms from the flood's start.
#[derive(Debug, Default, Serialize)]
pub struct FloodFigures {
    pub bots: usize,
    pub admitted: u64,
    pub refused_locked: u64,
    /// Refusals with any other code, by code.
    pub refused_other: BTreeMap<String, u64>,
    /// Joins with no answer (connection failed or ended, or too slow).
    pub failed: u64,
    /// Bots that never answered within the run's patience.
    pub unsettled: u64,
    /// Frames the bots received (hands, progress, the lock), all dropped unread.
    pub bot_frames_in: u64,
    /// Admitted although the join was sent after the lock was acknowledged: a broken lock.
    pub admitted_after_lock: u64,
    /// The last bot's answer.
    pub flood_ms: Option<f64>,
    /// The last admitted bot's `welcome`.
    pub last_admitted_ms: Option<f64>,
    pub lock_sent_ms: Option<f64>,
    pub lock_acked_ms: Option<f64>,
    /// Honest round fan-out of the rounds started while bots were still joining, and after.
    pub rounds_during: Vec<u32>,
    pub fanout_during_ms: Option<Summary>,
    pub rounds_after: Vec<u32>,
    pub fanout_after_ms: Option<Summary>,
    pub problems: Problems,
}

impl FloodFigures {
    /// Counts the bots' joins against the lock (sent and acknowledged at these instants, in
    /// the room that took longest) and splits the honest fan-out by round.
    pub fn new(
        bots: usize,
        started: Instant,
        joins: &[BotJoin],
        lock: Option<(Instant, Instant)>,
        rounds: &[RoundFanout],
    ) -> FloodFigures {
        let ms =
            |at: Instant| (at.saturating_duration_since(started).as_secs_f64() * 100_000.0).round() / 100.0;
        let mut figures =
            FloodFigures { bots, unsettled: (bots - joins.len().min(bots)) as u64, ..Default::default() };
        for join in joins {
            match &join.outcome {
                Outcome::Admitted => {
                    figures.admitted += 1;
                    if lock.is_some_and(|(_, acked)| join.sent > acked) {
                        figures.admitted_after_lock += 1;
                        figures.problems.note(format!(
                            "a bot was admitted although its join went {} ms after the lock was acknowledged",
                            ms(join.sent)
                        ));
                    }
                }
                Outcome::Refused(ErrorCode::Locked) => figures.refused_locked += 1,
                Outcome::Refused(code) => *figures.refused_other.entry(code.to_string()).or_default() += 1,
                Outcome::Failed(why) => {
                    figures.failed += 1;
                    figures.problems.note(format!("a bot's join failed: {why}"));
                }
            }
        }
        let ended = joins.iter().map(|join| join.settled).max().unwrap_or(started);
        figures.flood_ms = (!joins.is_empty()).then(|| ms(ended));
        figures.last_admitted_ms = joins
            .iter()
            .filter(|join| join.outcome == Outcome::Admitted)
            .map(|join| join.settled)
            .max()
            .map(ms);
        figures.lock_sent_ms = lock.map(|(sent, _)| ms(sent));
        figures.lock_acked_ms = lock.map(|(_, acked)| ms(acked));
        let (mut during, mut after) = (Latency::new(), Latency::new());
        for round in rounds {
            let (latency, listed) = match classify(round.advanced_at, started, ended) {
                When::Before => continue,
                When::During => (&mut during, &mut figures.rounds_during),
                When::After => (&mut after, &mut figures.rounds_after),
            };
            if !listed.contains(&round.round) {
                listed.push(round.round);
            }
            round.took.iter().for_each(|&took| latency.record(took));
        }
        figures.fanout_during_ms = during.summary(&["p50", "p99", "max"]);
        figures.fanout_after_ms = after.summary(&["p50", "p99", "max"]);
        figures
    }

    /// Whether the lock held: no bot got in with a join sent after it was acknowledged.
    pub fn passed(&self) -> bool {
        self.admitted_after_lock == 0
    }

    pub fn print(&self) {
        let opt = |ms: Option<f64>| ms.map_or("-".to_owned(), |ms| format!("{ms:.0} ms"));
        println!(
            "{:<22}{} bots: {} admitted (last at {}), {} refused with locked, other refusals {:?}, {} failed, {} unanswered",
            "flood",
            self.bots,
            self.admitted,
            opt(self.last_admitted_ms),
            self.refused_locked,
            self.refused_other,
            self.failed,
            self.unsettled
        );
        println!(
            "{:<22}sent at {}, acked at {}; the last bot answered at {}; admitted after the lock {}; bots received {} frames",
            "lock",
            opt(self.lock_sent_ms),
            opt(self.lock_acked_ms),
            opt(self.flood_ms),
            self.admitted_after_lock,
            self.bot_frames_in
        );
        let row = |name: &str, rounds: &[u32], summary: &Option<Summary>| {
            let cell = |point| {
                summary.as_ref().and_then(|s| s.get(point)).map_or("-".to_owned(), |ms| format!("{ms:.2}"))
            };
            println!(
                "{name:<22}rounds {rounds:?}: p50 {} p99 {} max {}",
                cell("p50"),
                cell("p99"),
                cell("max")
            );
        };
        row("fan-out, flooding", &self.rounds_during, &self.fanout_during_ms);
        row("fan-out, after", &self.rounds_after, &self.fanout_after_ms);
        for problem in &self.problems.listed {
            println!("  - {problem}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    fn join(base: Instant, sent: u64, settled: u64, outcome: Outcome) -> BotJoin {
        BotJoin { sent: at(base, sent), settled: at(base, settled), outcome }
    }

    #[test]
    fn bots_are_paced_by_the_rate() {
        assert_eq!(pace(1_999, 0), Duration::ZERO);
        assert_eq!(pace(0, 500), Duration::ZERO);
        assert_eq!(pace(1_000, 500), Duration::from_secs(2));
    }

    #[test]
    fn rounds_are_split_by_when_they_started() {
        let base = Instant::now();
        let (started, ended) = (at(base, 100), at(base, 200));
        assert_eq!(classify(base, started, ended), When::Before);
        assert_eq!(classify(started, started, ended), When::During);
        assert_eq!(classify(at(base, 199), started, ended), When::During);
        assert_eq!(classify(ended, started, ended), When::After);
    }

    #[test]
    fn joins_are_counted_by_outcome_and_against_the_lock() {
        let base = Instant::now();
        let joins = [
            join(base, 0, 10, Outcome::Admitted),
            join(base, 5, 30, Outcome::Admitted),
            join(base, 40, 45, Outcome::Refused(ErrorCode::Locked)),
            join(base, 41, 46, Outcome::Refused(ErrorCode::Locked)),
            join(base, 42, 47, Outcome::Refused(ErrorCode::SessionFull)),
            join(base, 43, 60, Outcome::Failed("reset".into())),
            // Sent after the lock was acked, and still let in.
            join(base, 50, 55, Outcome::Admitted),
        ];
        let rounds = [
            RoundFanout {
                round: 1,
                advanced_at: base - Duration::from_millis(1),
                took: vec![Duration::from_millis(1)],
            },
            RoundFanout { round: 2, advanced_at: at(base, 20), took: vec![Duration::from_millis(30)] },
            RoundFanout { round: 3, advanced_at: at(base, 70), took: vec![Duration::from_millis(5)] },
        ];
        let lock = Some((at(base, 35), at(base, 38)));
        let figures = FloodFigures::new(8, base, &joins, lock, &rounds);
        assert_eq!((figures.admitted, figures.refused_locked, figures.failed), (3, 2, 1));
        assert_eq!(figures.refused_other.get("session_full"), Some(&1));
        assert_eq!(figures.unsettled, 1);
        assert_eq!(figures.admitted_after_lock, 1);
        assert!(!figures.passed());
        assert_eq!(figures.flood_ms, Some(60.0));
        assert_eq!(figures.last_admitted_ms, Some(55.0));
        assert_eq!((figures.lock_sent_ms, figures.lock_acked_ms), (Some(35.0), Some(38.0)));
        assert_eq!((figures.rounds_during, figures.rounds_after), (vec![2], vec![3]));
        assert!(figures.fanout_during_ms.is_some() && figures.fanout_after_ms.is_some());
    }

    #[test]
    fn a_lock_that_held_passes() {
        let base = Instant::now();
        let joins =
            [join(base, 0, 10, Outcome::Admitted), join(base, 50, 51, Outcome::Refused(ErrorCode::Locked))];
        let figures = FloodFigures::new(2, base, &joins, Some((at(base, 20), at(base, 21))), &[]);
        assert!(figures.passed());
        assert_eq!(figures.fanout_during_ms, None);
    }
}
