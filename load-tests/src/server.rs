//! The server under load: a Lapp server on loopback given by `--url`, or a process this
//! driver starts (`lapp`, or the baseline server) whose memory and CPU it samples from /proc;
//! and the HTTP calls a run makes.

use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use lapp_protocol::{
    AgendaItem, CreateSession, GroupingConfig, JoinCode, ScoringConfig, SessionCreated, SessionExport,
};
use reqwest::Url;
use reqwest::header::HeaderValue;

/// The question of every 25/10 the driver plays.
pub const PROMPT: &str = "What slows you down?";

/// How long a started server may take to answer.
const STARTUP_PATIENCE: Duration = Duration::from_secs(15);

/// How many times a request a node answers 503 (it does not serve the session, another live
/// node does) is sent again, each after the `Retry-After` it asked for.
const UNAVAILABLE_TRIES: u32 = 30;

/// How often a started server's memory and CPU are read.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// `utime` and `stime` in /proc count clock ticks; Linux uses 100 a second on every platform
/// this runs on (reading `sysconf(_SC_CLK_TCK)` would need `unsafe` FFI).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// Where the Lapp server under load is.
#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// The Lapp server to load, or the proxy in front of several nodes; loopback only
    /// (127.0.0.0/8 or localhost).
    #[arg(long, visible_alias = "server", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Start this `lapp` binary on a free loopback port instead, with a temporary data folder,
    /// and report its peak memory and CPU time.
    #[arg(long, conflicts_with = "url")]
    pub spawn_server: Option<PathBuf>,
    /// Spread client sockets over this many source addresses, 127.0.0.1 to 127.0.0.N.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=254))]
    pub sources: u8,
}

/// A Lapp server ready for load, and the process when this driver started it.
pub struct Target {
    pub addr: SocketAddr,
    pub api: Api,
    pub process: Option<ServerProcess>,
}

impl Target {
    /// Checks the `--url` server answers, or starts `--spawn-server` admitting
    /// `max_participants` per session.
    pub async fn open(args: &TargetArgs, max_participants: usize) -> anyhow::Result<Target> {
        if let Some(binary) = &args.spawn_server {
            let (process, addr) = ServerProcess::start_lapp(binary, max_participants).await?;
            return Ok(Target { addr, api: Api::new(addr)?, process: Some(process) });
        }
        let addr = loopback_addr(&args.url)?;
        let api = Api::new(addr)?;
        if !api.healthy().await {
            bail!("no Lapp server answers /healthz at {}", args.url);
        }
        Ok(Target { addr, api, process: None })
    }
}

/// The socket address of a `--url`, which must be on this machine's loopback.
fn loopback_addr(url: &str) -> anyhow::Result<SocketAddr> {
    let parsed = Url::parse(url).with_context(|| format!("--url {url:?} is not a URL"))?;
    if parsed.scheme() != "http" {
        bail!("--url must be http://, not {}", parsed.scheme());
    }
    let ip = match parsed.host_str() {
        Some("localhost") => Ipv4Addr::LOCALHOST,
        Some(host) => match host.parse::<Ipv4Addr>() {
            Ok(ip) if ip.is_loopback() => ip,
            _ => bail!("--url must point at 127.0.0.0/8 or localhost: this driver loads only loopback"),
        },
        None => bail!("--url {url:?} names no host"),
    };
    let port = parsed.port_or_known_default().context("--url has no port")?;
    Ok(SocketAddr::new(IpAddr::V4(ip), port))
}

/// The HTTP API of a Lapp server.
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(addr: SocketAddr) -> anyhow::Result<Api> {
        // A proxy from the environment must never see loopback traffic.
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build()?;
        Ok(Api { http, base: format!("http://{addr}") })
    }

    pub async fn healthy(&self) -> bool {
        let answer = self.http.get(format!("{}/healthz", self.base)).send().await;
        answer.is_ok_and(|response| response.status().is_success())
    }

    /// `POST /api/sessions` with one 25/10 of `rounds` rounds, asking [`PROMPT`].
    pub async fn create_scoring_session(&self, title: &str, rounds: u32) -> anyhow::Result<SessionCreated> {
        let config = ScoringConfig { rounds, ..ScoringConfig::default() };
        self.create_session(title, AgendaItem::Scoring { prompt: PROMPT.to_owned(), config }).await
    }

    /// `POST /api/sessions` with one 1-3-9 of the default sizes, asking [`PROMPT`].
    pub async fn create_grouping_session(&self, title: &str) -> anyhow::Result<SessionCreated> {
        let config = GroupingConfig::default();
        self.create_session(title, AgendaItem::Grouping { prompt: PROMPT.to_owned(), config }).await
    }

    /// `POST /api/sessions` with `activity` alone on the agenda.
    pub async fn create_session(&self, title: &str, activity: AgendaItem) -> anyhow::Result<SessionCreated> {
        let body = CreateSession {
            title: title.to_owned(),
            agenda: vec![activity],
            language: Default::default(),
            names: Default::default(),
        };
        let response = self.http.post(format!("{}/api/sessions", self.base)).json(&body).send().await?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!("POST /api/sessions answered {status}: {text}");
        }
        response.json().await.context("POST /api/sessions: not a SessionCreated")
    }

    /// `GET /api/sessions/{code}/export?format=json`, with the facilitator key. Behind a
    /// proxy, a node that does not serve the session answers 503 with `Retry-After`; the
    /// request is sent again after that wait, as often as [`UNAVAILABLE_TRIES`].
    pub async fn export(&self, code: JoinCode, key: &str) -> anyhow::Result<SessionExport> {
        let url = format!("{}/api/sessions/{code}/export?format=json", self.base);
        let bearer = HeaderValue::from_str(&format!("Bearer {key}")).context("a key fit for a header")?;
        let mut tries = 1;
        let response = loop {
            let response =
                self.http.get(&url).header(reqwest::header::AUTHORIZATION, bearer.clone()).send().await?;
            if response.status() != reqwest::StatusCode::SERVICE_UNAVAILABLE || tries >= UNAVAILABLE_TRIES {
                break response;
            }
            tries += 1;
            tokio::time::sleep(retry_after(response.headers())).await;
        };
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!("export of {code} answered {status}: {text}");
        }
        response.json().await.with_context(|| format!("export of {code}: not a SessionExport"))
    }
}

/// The wait a 503's `Retry-After` asks for, in seconds; 1 s when it names none.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    let seconds = headers.get(reqwest::header::RETRY_AFTER).and_then(|value| value.to_str().ok());
    Duration::from_secs(seconds.and_then(|seconds| seconds.trim().parse().ok()).unwrap_or(1).min(30))
}

/// A server process this driver started. Dropping it kills the process.
pub struct ServerProcess {
    child: Child,
    /// The server stops when this closes (the baseline server always; `lapp` with
    /// `--exit-with-stdin`), so it never outlives its driver, however the driver ends.
    _stdin: Option<ChildStdin>,
    /// How a `lapp` was started, to start it again after a crash.
    launch: Option<Launch>,
    _data_dir: Option<tempfile::TempDir>,
    peak_rss: Arc<AtomicU64>,
    cpu_ticks: Arc<AtomicU64>,
    /// CPU ticks of the processes this one replaced after a crash.
    earlier_ticks: u64,
    sampler: tokio::task::JoinHandle<()>,
}

/// A `lapp` command line: the same binary, port and data folder serve again after a crash.
struct Launch {
    binary: PathBuf,
    addr: SocketAddr,
    data_dir: PathBuf,
    max_participants: usize,
    /// Whether this `lapp` knows `--exit-with-stdin` (older builds, measured against, do not).
    exit_with_stdin: bool,
}

impl Launch {
    fn spawn(&self) -> anyhow::Result<(Child, Option<ChildStdin>)> {
        let mut command = Command::new(&self.binary);
        command
            .arg("--listen")
            .arg(self.addr.to_string())
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--max-participants")
            .arg(self.max_participants.to_string())
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null());
        if self.exit_with_stdin {
            command.arg("--exit-with-stdin").stdin(Stdio::piped());
        } else {
            command.stdin(Stdio::null());
        }
        let mut child =
            command.spawn().with_context(|| format!("could not start {}", self.binary.display()))?;
        let stdin = child.stdin.take();
        Ok((child, stdin))
    }
}

/// Whether `binary --help` lists `--exit-with-stdin`.
fn knows_exit_with_stdin(binary: &Path) -> bool {
    Command::new(binary)
        .arg("--help")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains("--exit-with-stdin"))
}

/// When a crashed server was killed, started again, and answered `/healthz` again.
#[derive(Debug, Clone, Copy)]
pub struct Restart {
    pub killed: Instant,
    pub spawned: Instant,
    pub healthy: Instant,
}

impl ServerProcess {
    /// Starts `lapp` on a free loopback port with a temporary data folder and waits until it
    /// answers `/healthz`.
    async fn start_lapp(
        binary: &Path,
        max_participants: usize,
    ) -> anyhow::Result<(ServerProcess, SocketAddr)> {
        let data_dir = tempfile::tempdir().context("a temporary data folder")?;
        let addr = free_loopback_addr()?;
        let launch = Launch {
            binary: binary.to_owned(),
            addr,
            data_dir: data_dir.path().to_owned(),
            max_participants,
            exit_with_stdin: knows_exit_with_stdin(binary),
        };
        if !launch.exit_with_stdin {
            tracing::warn!(
                "{} has no --exit-with-stdin: a killed driver leaves it running",
                binary.display()
            );
        }
        let (child, stdin) = launch.spawn()?;
        let mut process = ServerProcess::watch(child, stdin, Some(data_dir));
        let api = Api::new(addr)?;
        process.wait_until_healthy(&api, Duration::from_millis(50)).await?;
        process.launch = Some(launch);
        Ok((process, addr))
    }

    /// Kills the server with SIGKILL, as a crash would, and starts it again on the same port
    /// and data folder; returns once it answers `/healthz`. A port still held for a moment
    /// after the kill makes the new server exit at once; then it is started again, for up to
    /// [`STARTUP_PATIENCE`].
    pub async fn crash_and_restart(&mut self) -> anyhow::Result<Restart> {
        let launch = self.launch.take().context("only a spawned lapp can be restarted")?;
        self.sampler.abort();
        self.earlier_ticks += self.cpu_ticks.swap(0, Ordering::Relaxed);
        // `Child::kill` is SIGKILL on Unix: no shutdown, no flush, as in a crash.
        self.child.kill().context("kill -9 the server")?;
        let killed = Instant::now();
        self.child.wait().context("reap the killed server")?;
        let api = Api::new(launch.addr)?;
        let started = Instant::now();
        let restart = loop {
            let (child, stdin) = launch.spawn()?;
            let spawned = Instant::now();
            self.child = child;
            self._stdin = stdin;
            self.sampler = tokio::spawn(sample(
                self.child.id(),
                Arc::clone(&self.peak_rss),
                Arc::clone(&self.cpu_ticks),
            ));
            match self.wait_until_healthy(&api, Duration::from_millis(5)).await {
                Ok(()) => break Restart { killed, spawned, healthy: Instant::now() },
                Err(err) if started.elapsed() < STARTUP_PATIENCE && self.child.try_wait()?.is_some() => {
                    tracing::warn!("the restarted server exited ({err:#}); starting it again");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => return Err(err),
            }
        };
        self.launch = Some(launch);
        Ok(restart)
    }

    /// Polls `/healthz` every `every` until it answers; fails if the process exits or takes
    /// longer than [`STARTUP_PATIENCE`].
    async fn wait_until_healthy(&mut self, api: &Api, every: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        while !api.healthy().await {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited at start ({status})");
            }
            if started.elapsed() > STARTUP_PATIENCE {
                bail!("the server did not answer /healthz within {STARTUP_PATIENCE:?}");
            }
            tokio::time::sleep(every).await;
        }
        Ok(())
    }

    /// Starts this executable's hidden `baseline-server` and reads the address it prints.
    pub async fn start_baseline() -> anyhow::Result<(ServerProcess, SocketAddr)> {
        let exe = std::env::current_exe().context("this executable's path")?;
        let mut child = Command::new(exe)
            .args(["baseline-server", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("could not start the baseline server")?;
        let stdout = child.stdout.take().context("the baseline server's stdout")?;
        let stdin = child.stdin.take();
        let process = ServerProcess::watch(child, stdin, None);
        let (line_tx, line_rx) = tokio::sync::oneshot::channel();
        // A plain thread: the read blocks until the line comes or the process dies.
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = std::io::BufReader::new(stdout).read_line(&mut line).map(|_| line);
            // The driver may have given up waiting; then nobody needs the line.
            let _unwanted = line_tx.send(read);
        });
        let line = tokio::time::timeout(STARTUP_PATIENCE, line_rx)
            .await
            .context("the baseline server did not say its address in time")?
            .context("the baseline server's stdout reader stopped")?
            .context("reading the baseline server's address")?;
        let addr = line.trim().parse().with_context(|| format!("the baseline server said {line:?}"))?;
        Ok((process, addr))
    }

    fn watch(child: Child, stdin: Option<ChildStdin>, data_dir: Option<tempfile::TempDir>) -> ServerProcess {
        let pid = child.id();
        let peak_rss = Arc::new(AtomicU64::new(0));
        let cpu_ticks = Arc::new(AtomicU64::new(0));
        let sampler = tokio::spawn(sample(pid, Arc::clone(&peak_rss), Arc::clone(&cpu_ticks)));
        ServerProcess {
            child,
            _stdin: stdin,
            launch: None,
            _data_dir: data_dir,
            peak_rss,
            cpu_ticks,
            earlier_ticks: 0,
            sampler,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in bytes.
    pub fn rss_bytes(&self) -> Option<u64> {
        rss_bytes(self.child.id())
    }

    /// The most resident memory seen, in bytes, counting a reading taken now.
    pub fn peak_rss_bytes(&self) -> u64 {
        let now = self.rss_bytes().unwrap_or(0);
        self.peak_rss.fetch_max(now, Ordering::Relaxed).max(now)
    }

    /// User and system CPU time the process (and those it replaced after a crash) has used
    /// so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let ticks = cpu_ticks(self.child.id()).unwrap_or_else(|| self.cpu_ticks.load(Ordering::Relaxed));
        (self.earlier_ticks + ticks) as f64 / CLOCK_TICKS_PER_SECOND
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.sampler.abort();
        // Already gone is as good as killed.
        let _gone = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// Samples the process's memory and CPU until it goes away.
async fn sample(pid: u32, peak_rss: Arc<AtomicU64>, cpu: Arc<AtomicU64>) {
    let mut every = tokio::time::interval(SAMPLE_EVERY);
    loop {
        every.tick().await;
        let (Some(rss), Some(ticks)) = (rss_bytes(pid), cpu_ticks(pid)) else {
            return;
        };
        peak_rss.fetch_max(rss, Ordering::Relaxed);
        cpu.store(ticks, Ordering::Relaxed);
    }
}

/// `VmRSS` from /proc/PID/status, in bytes.
fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|line| line.strip_prefix("VmRSS:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024)
}

/// `utime + stime` from /proc/PID/stat, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat)
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name, in parentheses, may hold spaces: count fields after its last ')'.
    // There field 3 (state) comes first, so utime (field 14) and stime (15) are at 11 and 12.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// A loopback port nobody listens on now, for a server to bind a moment later.
fn free_loopback_addr() -> anyhow::Result<SocketAddr> {
    let probe = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("find a free port")?;
    Ok(probe.local_addr()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_cpu_from_proc_text() {
        let status = "Name:\tlapp\nVmPeak:\t  9000 kB\nVmRSS:\t   1234 kB\nThreads:\t3\n";
        assert_eq!(parse_vm_rss(status), Some(1234 * 1024));
        let stat = "4242 (la pp)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 70 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(320));
    }

    #[test]
    fn only_loopback_urls_are_loaded() {
        let check = |url: &str, ok: bool| assert_eq!(loopback_addr(url).is_ok(), ok, "{url}");
        check("http://127.0.0.1:8080", true);
        check("http://127.1.2.3:9000/", true);
        check("http://localhost:8080", true);
        check("http://10.0.0.1:8080", false);
        check("http://example.org", false);
        check("https://127.0.0.1", false);
    }

    #[test]
    fn a_503_is_tried_again_after_the_wait_it_asks_for() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers), Duration::from_secs(1));
        headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Duration::from_secs(2));
        headers
            .insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&headers), Duration::from_secs(1));
    }
}
