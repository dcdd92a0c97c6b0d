//! `lapp-load`: plays halls of participants through whole activities against a Lapp server
//! on loopback and reports figures.
//!
//! # Layout
//! - [`scoring`]: whole 25/10 activities, room by room, checked against the export.
//! - [`grouping`]: whole 1-3-9 activities, room by room, checked against the export.
//! - [`actions`]: whole micro-actions (write, pair by code, close, statuses), room by room,
//!   checked against the export.
//! - [`leancoffee`]: a whole Lean Coffee at tables of a hall (topics, merges, dots, every
//!   table's timebox running out at once, thumbs, `topic.next` raced, items), checked against
//!   the export.
//! - [`idle`]: many joined connections that only hold, for memory per connection.
//! - [`baseline`]: the same fan-out against a bare tokio-tungstenite server, and that server.
//! - [`crash`]: a server killed mid-round and started again, phones coming back with backoff,
//!   and the figures of one crash or of several trials pooled.
//! - [`client`]: connecting WebSocket clients and counting their traffic.
//! - [`facilitator`]: a room's facilitator, as every scenario plays it.
//! - [`flood`]: `scoring --flood`, bots joining at full speed until the session is locked.
//! - [`hall`]: what the scenarios share: the hall's size, the conductor, joining.
//! - [`server`]: the server under load, the process started for it and its /proc figures.
//! - [`report`]: latency histograms and the report (a table on stdout, JSON on request).
//! - [`windows`]: each round's fan-out window on the monotonic clock, for a profiler.

mod actions;
mod baseline;
mod client;
mod crash;
mod facilitator;
mod flood;
mod grouping;
mod hall;
mod idle;
mod leancoffee;
mod report;
mod scoring;
mod server;
mod windows;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Plays halls of Lapp participants through whole activities and reports figures.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Write the report as JSON to this file too.
    #[arg(long, global = true)]
    report: Option<PathBuf>,
    /// Fail a run that has not finished after this many seconds (each trial, with `--trials`).
    #[arg(long, global = true, default_value_t = 300)]
    timeout_secs: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Run(Scenario),
    /// Play a whole Lean Coffee at tables and check every acknowledged topic, merge, dot, thumb
    /// and item.
    #[command(name = "leancoffee")]
    LeanCoffee(leancoffee::Args),
    /// The bare broadcast server `baseline` starts.
    #[command(hide = true)]
    BaselineServer(baseline::ServerArgs),
}

/// What a run plays and measures.
#[derive(Debug, Subcommand)]
enum Scenario {
    /// Play whole 25/10 activities and check every acknowledged score.
    Scoring(scoring::Args),
    /// Play whole 1-3-9 activities and check every acknowledged note and star, and the groups.
    Grouping(grouping::Args),
    /// Play whole micro-actions and check every acknowledged action, pairing and status, and
    /// the buddies.
    Actions(actions::Args),
    /// Open connections that join and then hold, and measure their cost.
    Idle(idle::Args),
    /// Measure the same fan-out against a bare tokio-tungstenite broadcast server.
    Baseline(baseline::Args),
}

impl Scenario {
    /// Whole runs to make of this command, one after another.
    fn trials(&self) -> u64 {
        match self {
            Scenario::Scoring(args) => args.trials,
            Scenario::Grouping(args) => args.trials,
            Scenario::Actions(_) | Scenario::Idle(_) | Scenario::Baseline(_) => 1,
        }
    }
}

async fn run(scenario: &Scenario) -> anyhow::Result<report::Report> {
    match scenario {
        Scenario::Scoring(args) => scoring::run(args).await,
        Scenario::Grouping(args) => grouping::run(args).await,
        Scenario::Actions(args) => actions::run(args).await,
        Scenario::Idle(args) => idle::run(args).await,
        Scenario::Baseline(args) => baseline::run(args).await,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")))
        .init();
    let cli = Cli::parse();
    // Every client is a socket: allow as many open files as this process may have.
    if let Err(err) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(%err, "could not raise the open-file limit");
    }
    let scenario = match cli.command {
        // It serves until the driver that started it goes away, so it has no time limit.
        Command::BaselineServer(args) => return baseline::serve(&args).await.map(|()| ExitCode::SUCCESS),
        // It has figures of its own, so it makes and prints its own report.
        Command::LeanCoffee(args) => {
            let limit = Duration::from_secs(cli.timeout_secs);
            return leancoffee::play_and_report(&args, limit, cli.report.as_deref()).await;
        }
        Command::Run(scenario) => scenario,
    };
    let limit = Duration::from_secs(cli.timeout_secs);
    let trials = scenario.trials();
    if trials <= 1 {
        let report = run_once(&scenario, limit).await?;
        report.print_table();
        if let Some(path) = &cli.report {
            report.write_json(path)?;
        }
        return Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    let mut all = crash::Trials::default();
    for trial in 1..=trials {
        println!("\n== trial {trial} of {trials}");
        match run_once(&scenario, limit).await {
            Ok(report) => {
                report.print_table();
                all.add(report);
            }
            Err(err) => {
                println!("trial {trial} stopped: {err:#}");
                all.stopped(format!("trial {trial}: {err:#}"));
            }
        }
        // What was learnt so far is kept even if a later trial stops the command.
        if let Some(path) = &cli.report {
            all.write_json(path)?;
        }
    }
    all.print();
    Ok(if all.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// One whole run, within `limit` (`--timeout-secs`, which holds for each trial).
async fn run_once(scenario: &Scenario, limit: Duration) -> anyhow::Result<report::Report> {
    let started = Instant::now();
    let mut report = tokio::time::timeout(limit, run(scenario))
        .await
        .with_context(|| format!("the run did not finish within {} s (--timeout-secs)", limit.as_secs()))??;
    report.duration_s = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;
    Ok(report)
}
