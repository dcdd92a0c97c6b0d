//! What a run measured: latency histograms, the problems it found, and the report it prints
//! as a table on stdout and writes as JSON for `--report`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use lapp_protocol::JoinCode;
use serde::Serialize;

use crate::actions::ActionsFigures;
use crate::client::Traffic;
use crate::crash::CrashFigures;
use crate::flood::FloodFigures;

/// Problems listed by name in a report; past this many they are only counted.
const PROBLEMS_LISTED: usize = 20;

/// Latencies in microseconds, reported in milliseconds.
pub struct Latency(Histogram<u64>);

/// Percentiles by name (`p50`, `max`, ...), in milliseconds with two decimals.
pub type Summary = BTreeMap<&'static str, f64>;

impl Latency {
    pub fn new() -> Latency {
        // Up to an hour, which no run reaches; these bounds are valid, so this cannot fail.
        Latency(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds"))
    }

    pub fn record(&mut self, took: Duration) {
        self.0.saturating_record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
    }

    /// The named points (`p50`, `p95`, `p99`, `max`); `None` when nothing was recorded.
    pub fn summary(&self, points: &[&'static str]) -> Option<Summary> {
        if self.0.is_empty() {
            return None;
        }
        let micros = |point: &str| match point {
            "max" => self.0.max(),
            percentile => {
                let quantile = percentile.trim_start_matches('p').parse::<f64>().unwrap_or(100.0) / 100.0;
                self.0.value_at_quantile(quantile)
            }
        };
        Some(points.iter().map(|&point| (point, round2(micros(point) as f64 / 1000.0))).collect())
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// What went wrong in a run, in words, for people reading the report.
#[derive(Debug, Default, Serialize)]
pub struct Problems {
    pub listed: Vec<String>,
    pub not_listed: usize,
}

impl Problems {
    pub fn note(&mut self, problem: impl Into<String>) {
        let problem = problem.into();
        if self.listed.len() < PROBLEMS_LISTED {
            tracing::warn!("{problem}");
            self.listed.push(problem);
        } else {
            self.not_listed += 1;
        }
    }
}

/// The figures of one run. Fields that do not apply to a subcommand stay `null` or 0.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub subcommand: &'static str,
    pub command: Vec<String>,
    /// Participants per room (for `idle`: connections in all).
    pub participants: usize,
    /// Rooms (for `idle`: sessions).
    pub rooms: usize,
    pub rounds: u32,
    pub churn: f64,
    pub connect_ms: Option<Summary>,
    pub reconnect_ms: Option<Summary>,
    pub fanout_ms: Option<Summary>,
    pub ack_ms: Option<Summary>,
    pub leaderboard_lag_ms: Option<Summary>,
    /// With `scoring --baseline`: the bare server's fan-out of the same shape, measured
    /// just before, and Lapp's fan-out p99 as a multiple of it.
    pub baseline_fanout_ms: Option<Summary>,
    pub fanout_p99_vs_baseline: Option<f64>,
    pub frames_in: u64,
    pub frames_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Joins a node answered "served by another node" (close 4006), each tried again.
    pub served_elsewhere: u64,
    /// The node that served each room, behind a proxy in front of several.
    pub nodes: Vec<RoomNode>,
    pub lost_scores: u64,
    pub duplicate_scores: u64,
    pub lost_cards: u64,
    pub lost_notes: u64,
    pub duplicate_notes: u64,
    pub lost_stars: u64,
    pub duplicate_stars: u64,
    pub rule_violations: u64,
    pub errors: u64,
    pub server_rss_peak_bytes: Option<u64>,
    pub server_cpu_s: Option<f64>,
    pub bytes_per_idle_conn: Option<f64>,
    pub duration_s: f64,
    /// With `--crash-at-round` / `--crash-at-level`: the crash and the hall's return.
    pub crash: Option<CrashFigures>,
    /// With `scoring --flood`: the bots, the lock, and the fan-out while they came.
    pub flood: Option<FloodFigures>,
    /// With `actions`: what was made, the acks by request, and the checks' counts.
    pub actions: Option<ActionsFigures>,
    pub problems: Problems,
}

/// The node that served a room when its facilitator joined (its `x-lapp-node` header).
#[derive(Debug, Clone, Serialize)]
pub struct RoomNode {
    pub room: usize,
    pub code: String,
    pub node: Option<String>,
}

impl RoomNode {
    /// Each room's join code and node, in room order.
    pub fn list<'a>(rooms: impl Iterator<Item = (JoinCode, Option<&'a str>)>) -> Vec<RoomNode> {
        let room_node = |(room, (code, node)): (usize, (JoinCode, Option<&str>))| RoomNode {
            room,
            code: code.to_string(),
            node: node.map(str::to_owned),
        };
        rooms.enumerate().map(room_node).collect()
    }
}

impl Report {
    pub fn new(subcommand: &'static str) -> Report {
        Report { subcommand, command: std::env::args().collect(), ..Report::default() }
    }

    pub fn count_traffic(&mut self, traffic: &Traffic) {
        self.frames_in = traffic.frames_in.load(Ordering::Relaxed);
        self.bytes_in = traffic.bytes_in.load(Ordering::Relaxed);
        self.frames_out = traffic.frames_out.load(Ordering::Relaxed);
        self.bytes_out = traffic.bytes_out.load(Ordering::Relaxed);
        self.served_elsewhere = traffic.served_elsewhere.load(Ordering::Relaxed);
    }

    /// Takes in the fan-out of a baseline run of the same shape; its errors count too.
    pub fn compare_with_baseline(&mut self, baseline: Report) {
        let p99 =
            |summary: &Option<Summary>| summary.as_ref().and_then(|summary| summary.get("p99").copied());
        if let (Some(lapp), Some(bare)) = (p99(&self.fanout_ms), p99(&baseline.fanout_ms)) {
            self.fanout_p99_vs_baseline = Some(round2(lapp / bare.max(0.01)));
        }
        self.baseline_fanout_ms = baseline.fanout_ms;
        self.errors += baseline.errors;
        for problem in baseline.problems.listed {
            self.problems.note(format!("baseline: {problem}"));
        }
    }

    /// Whether every check held and nothing went wrong.
    pub fn passed(&self) -> bool {
        self.lost_scores == 0
            && self.duplicate_scores == 0
            && self.lost_cards == 0
            && self.lost_notes == 0
            && self.duplicate_notes == 0
            && self.lost_stars == 0
            && self.duplicate_stars == 0
            && self.rule_violations == 0
            && self.errors == 0
            && self.crash.as_ref().is_none_or(CrashFigures::passed)
            && self.flood.as_ref().is_none_or(FloodFigures::passed)
            && self.actions.as_ref().is_none_or(ActionsFigures::passed)
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("could not write {}", path.display()))
    }

    /// The summary table on stdout.
    pub fn print_table(&self) {
        let shape = match self.subcommand {
            "idle" => format!("{} connections in {} sessions", self.participants, self.rooms),
            "baseline" => {
                format!("{} rooms x {} listeners, {} rounds", self.rooms, self.participants, self.rounds)
            }
            "actions" => format!(
                "{} rooms x {} participants, {} zones",
                self.rooms,
                self.participants,
                self.actions.as_ref().map_or(0, |actions| actions.zones)
            ),
            "grouping" => format!(
                "{} rooms x {} participants, {} levels, churn {:.2}",
                self.rooms, self.participants, self.rounds, self.churn
            ),
            _ => format!(
                "{} rooms x {} participants, {} rounds, churn {:.2}",
                self.rooms, self.participants, self.rounds, self.churn
            ),
        };
        println!("lapp-load {}: {shape}, {:.1} s", self.subcommand, self.duration_s);
        println!("{:<22}{:>10}{:>10}{:>10}{:>10}", "latency (ms)", "p50", "p95", "p99", "max");
        let grouping = self.subcommand == "grouping";
        let (fanout, ack) = match self.subcommand {
            "grouping" => ("level fan-out", "note/star -> ack"),
            "actions" => ("pairing close fan-out", "any request -> ack"),
            _ => ("round fan-out", "score -> ack"),
        };
        let rows = [
            ("connect", &self.connect_ms),
            ("reconnect (churn)", &self.reconnect_ms),
            (fanout, &self.fanout_ms),
            (ack, &self.ack_ms),
            ("leaderboard lag", &self.leaderboard_lag_ms),
            ("bare fan-out", &self.baseline_fanout_ms),
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
        if let Some(actions) = &self.actions {
            actions.print();
        }
        if let Some(crash) = &self.crash {
            crash.print();
        }
        if let Some(flood) = &self.flood {
            flood.print();
        }
        if let Some(ratio) = self.fanout_p99_vs_baseline {
            println!("{:<22}{ratio:.2} x the bare server's", "fan-out p99");
        }
        println!("{:<22}{} in, {} out", "frames", self.frames_in, self.frames_out);
        println!("{:<22}{} in, {} out", "bytes", self.bytes_in, self.bytes_out);
        if self.nodes.iter().any(|room| room.node.is_some()) {
            let rooms: Vec<String> = self
                .nodes
                .iter()
                .map(|room| {
                    format!("{} ({}) on {}", room.room, room.code, room.node.as_deref().unwrap_or("?"))
                })
                .collect();
            println!("{:<22}{}", "rooms", rooms.join(", "));
        }
        if self.served_elsewhere > 0 {
            println!(
                "{:<22}{} joins answered 4006 (served by another node), each tried again",
                "served elsewhere", self.served_elsewhere
            );
        }
        if let (Some(rss), Some(cpu)) = (self.server_rss_peak_bytes, self.server_cpu_s) {
            println!("{:<22}peak RSS {:.1} MiB, CPU {cpu:.2} s", "server", rss as f64 / 1048576.0);
        }
        if let Some(bytes) = self.bytes_per_idle_conn {
            println!("{:<22}{bytes:.0} bytes of server memory each", "idle connections");
        }
        let lost = match (grouping, &self.actions) {
            (_, Some(actions)) => actions.checks(),
            (true, None) => format!(
                "lost notes {}, duplicate notes {}, lost stars {}, duplicate stars {}",
                self.lost_notes, self.duplicate_notes, self.lost_stars, self.duplicate_stars
            ),
            (false, None) => format!(
                "lost scores {}, duplicate scores {}, lost cards {}",
                self.lost_scores, self.duplicate_scores, self.lost_cards
            ),
        };
        println!(
            "{:<22}{lost}, rule violations {}, errors {}: {}",
            "checks",
            self.rule_violations,
            self.errors,
            if self.passed() { "PASS" } else { "FAIL" }
        );
        for problem in &self.problems.listed {
            println!("  - {problem}");
        }
        if self.problems.not_listed > 0 {
            println!("  - and {} more", self.problems.not_listed);
        }
    }
}

/// A progress bar on stderr when it is a terminal; hidden otherwise, so logs stay clean.
pub fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:<28} [{bar:40}] {pos}/{len} {elapsed}") {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_milliseconds_with_two_decimals() {
        let mut latency = Latency::new();
        assert_eq!(latency.summary(&["p50"]), None);
        for micros in [1_000, 2_000, 3_000, 40_000] {
            latency.record(Duration::from_micros(micros));
        }
        let summary = latency.summary(&["p50", "max"]).expect("recorded");
        assert_eq!(summary.get("p50"), Some(&2.0));
        // Three significant figures: 40 ms is kept as the top of its 32 µs bucket.
        assert_eq!(summary.get("max"), Some(&40.03));
    }
}
