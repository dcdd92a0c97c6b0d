//! `idle`: opens many participant connections that join and then only hold, to measure how
//! many a server keeps and how much memory each costs it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use lapp_protocol::{Join, JoinCode, Role};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::client::{Connector, MAX_CLIENTS, MAX_CONNECTING, send_home};
use crate::report::{Latency, Problems, Report, progress_bar};
use crate::server::{Target, TargetArgs};

/// Most participants put in one session.
const PER_SESSION: usize = 4_000;

/// How long the server gets to settle after the last join before its memory is read.
const SETTLE: Duration = Duration::from_secs(2);

/// File descriptors this process needs besides its connections.
const SPARE_FILES: u64 = 64;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Connections to open, each joined as a participant (at most 100,000).
    #[arg(long, default_value_t = 1_000)]
    pub connections: usize,
    /// Seconds to hold every connection open once all have joined (at least the 2 s the
    /// server gets to settle before its memory is read).
    #[arg(long, default_value_t = 5)]
    pub hold_secs: u64,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// What a connection task tells the run.
enum Event {
    Joined(Duration),
    Failed(String),
    /// A joined connection ended while it should have been held.
    Lost(String),
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    if args.connections == 0 || args.connections > MAX_CLIENTS {
        bail!("--connections must be 1 to {MAX_CLIENTS}");
    }
    let (open_files, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).context("the open-file limit")?;
    if args.connections as u64 + SPARE_FILES > open_files {
        bail!(
            "{} connections need more open files than this process may have ({open_files})",
            args.connections
        );
    }
    let target = Target::open(&args.target, PER_SESSION).await?;
    let sessions = args.connections.div_ceil(PER_SESSION);
    let mut codes = Vec::with_capacity(sessions);
    for session in 0..sessions {
        codes.push(target.api.create_scoring_session(&format!("Idle hall {session}"), 5).await?.code);
    }
    let rss_before = target.process.as_ref().and_then(|process| process.rss_bytes());

    let connector = Arc::new(Connector::new(target.addr, args.target.sources));
    let gate = Arc::new(Semaphore::new(MAX_CONNECTING));
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (stop, stop_rx) = watch::channel(false);
    let mut holders = JoinSet::new();
    for index in 0..args.connections {
        // Round-robin keeps every session at or under PER_SESSION.
        let code = codes[index % sessions];
        holders.spawn(hold(
            code,
            Arc::clone(&connector),
            Arc::clone(&gate),
            events_tx.clone(),
            stop_rx.clone(),
        ));
    }
    drop(events_tx);

    let bar = progress_bar(args.connections as u64);
    bar.set_message("joining");
    let mut connect = Latency::new();
    let mut problems = Problems::default();
    let mut errors = 0;
    for _ in 0..args.connections {
        match events.recv().await.context("every connection has gone")? {
            Event::Joined(took) => connect.record(took),
            Event::Failed(error) | Event::Lost(error) => {
                errors += 1;
                problems.note(error);
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let joined_at = Instant::now();
    tokio::time::sleep(SETTLE).await;
    let rss_after = target.process.as_ref().and_then(|process| process.rss_bytes());
    tokio::time::sleep(Duration::from_secs(args.hold_secs).saturating_sub(joined_at.elapsed())).await;

    let mut report = Report::new("idle");
    if let Some(process) = &target.process {
        report.server_rss_peak_bytes = Some(process.peak_rss_bytes());
        report.server_cpu_s = Some(process.cpu_seconds());
    }
    send_home(&mut holders, &stop).await;
    while let Ok(event) = events.try_recv() {
        if let Event::Failed(error) | Event::Lost(error) = event {
            errors += 1;
            problems.note(error);
        }
    }

    report.participants = args.connections;
    report.rooms = sessions;
    report.connect_ms = connect.summary(&["p50", "p99"]);
    report.errors = errors;
    report.problems = problems;
    report.count_traffic(&connector.traffic);
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        report.bytes_per_idle_conn = Some(after.saturating_sub(before) as f64 / args.connections as f64);
    }
    Ok(report)
}

/// One phone that joins and then sits in the hall until told to leave.
async fn hold(
    code: JoinCode,
    connector: Arc<Connector>,
    gate: Arc<Semaphore>,
    events: mpsc::UnboundedSender<Event>,
    mut stop: watch::Receiver<bool>,
) {
    // A send fails only once the run has stopped listening, and then nobody needs it.
    let report = |event| drop(events.send(event));
    let join = Join::new(code, Role::Participant);
    let joined = async {
        let _permit = gate.acquire().await?;
        let started = Instant::now();
        let (client, _welcome) = connector.join(join).await?;
        anyhow::Ok((client, started.elapsed()))
    };
    let mut client = match joined.await {
        Ok((client, took)) => {
            report(Event::Joined(took));
            client
        }
        Err(err) => return report(Event::Failed(format!("could not join {code}: {err:#}"))),
    };
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            // Reading answers the server's pings; with no activity running a participant is
            // sent nothing else.
            received = client.recv_text() => if let Err(err) = received {
                return report(Event::Lost(format!("an idle connection to {code} ended: {err:#}")));
            },
        }
    }
    client.close().await;
}
