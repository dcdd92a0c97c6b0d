//! A throwaway PostgreSQL server for tests: Debian's binaries, a fresh cluster in a temporary
//! directory, one server per test binary and one database per test.
//!
//! Everything here is synchronous: call it from a test's own thread, not from async code.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long the server may take to accept connections.
const STARTUP_PATIENCE: Duration = Duration::from_secs(15);

/// The user `initdb` makes the superuser; connections are trusted, so no password.
const USER: &str = "lapp";

pub struct TestPostgres {
    port: u16,
    /// The server runs under a shell that stops it and removes its directory once this
    /// process's end closes the shell's standard input: a server in a `static` is never dropped.
    keeper: Child,
    databases: AtomicUsize,
}

impl TestPostgres {
    /// The server every test of this binary shares, started at first use.
    pub fn shared() -> &'static TestPostgres {
        static SERVER: OnceLock<TestPostgres> = OnceLock::new();
        SERVER.get_or_init(TestPostgres::start)
    }

    /// Starts a server of its own; it stops when this process ends.
    pub fn start() -> TestPostgres {
        let bin = postgres_bin_dir();
        let dir = tempfile::Builder::new().prefix("lapp-pg-").tempdir().expect("temp dir").keep();
        let as_postgres = running_as_root();
        if as_postgres {
            // initdb and postgres refuse to run as root.
            run(Command::new("chown").arg("-R").arg("postgres:postgres").arg(&dir));
        }
        let data = dir.join("data");
        run(command(as_postgres, &bin.join("initdb")).arg("-D").arg(&data).args([
            "--auth=trust",
            "-U",
            USER,
            "--no-sync",
            "--no-locale",
            "-E",
            "UTF8",
        ]));

        let port = free_port();
        let log = dir.join("postgres.log");
        // The shell removes the directory whether the server stopped or never started.
        let script = format!(
            "{postgres} -D {data} -k {dir} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off \
               -c max_connections=200 >{log} 2>&1 &\n\
             server=$!\n\
             read _\n\
             kill -QUIT $server 2>/dev/null\n\
             wait $server\n\
             rm -rf {dir}\n",
            postgres = quoted(&bin.join("postgres")),
            data = quoted(&data),
            dir = quoted(&dir),
            log = quoted(&log),
        );
        let keeper = command(as_postgres, Path::new("sh"))
            .arg("-c")
            .arg(script)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .expect("start postgres");
        let server = TestPostgres { port, keeper, databases: AtomicUsize::new(0) };
        server.wait_until_ready(&log);
        server
    }

    /// A URL to the database `name`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database for one test and returns its name.
    pub fn fresh_database(&self) -> String {
        let name = format!("t_{}", self.databases.fetch_add(1, Ordering::Relaxed));
        self.execute("postgres", &format!("CREATE DATABASE {name}"));
        name
    }

    /// Runs `sql` (one or more statements) in `database`, as the superuser.
    pub fn execute(&self, database: &str, sql: &str) {
        self.with_client(database, async |client| {
            client.batch_execute(sql).await.unwrap_or_else(|err| panic!("{sql}: {err}"));
        });
    }

    /// The one number that `sql` selects in `database`.
    pub fn query_i64(&self, database: &str, sql: &str) -> i64 {
        self.with_client(database, async |client| {
            let row = client.query_one(sql, &[]).await.unwrap_or_else(|err| panic!("{sql}: {err}"));
            row.try_get(0).unwrap_or_else(|err| panic!("{sql}: {err}"))
        })
    }

    fn with_client<T>(&self, database: &str, work: impl AsyncFnOnce(&tokio_postgres::Client) -> T) -> T {
        let url = self.url(database);
        runtime().block_on(async {
            let (client, connection) =
                tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("connect");
            let connection = tokio::spawn(connection);
            let result = work(&client).await;
            drop(client);
            let _ = connection.await; // it ends once its client is dropped; nothing to learn from how
            result
        })
    }

    fn wait_until_ready(&self, log: &Path) {
        let url = self.url("postgres");
        let deadline = Instant::now() + STARTUP_PATIENCE;
        loop {
            let connected = runtime().block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls));
            if connected.is_ok() {
                return;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(log).unwrap_or_default();
                panic!("PostgreSQL did not accept connections within {STARTUP_PATIENCE:?}; its log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Closing its input tells the shell to stop the server and remove its directory.
        drop(self.keeper.stdin.take());
        let _ = self.keeper.wait(); // it has nothing to report that a test could act on
    }
}

/// Where Debian's `initdb` and `postgres` are (the highest version installed), or else the
/// directory on `PATH` that has them.
fn postgres_bin_dir() -> PathBuf {
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin);
    let on_path = || {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists())
    };
    debian.or_else(on_path).unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed: the store tests need its initdb and postgres. \
             scripts/test installs Debian's `postgresql` package (apt-get install postgresql)."
        )
    })
}

fn running_as_root() -> bool {
    let id = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&id.stdout).trim() == "0"
}

/// `program`, run as the `postgres` system user when we are root.
fn command(as_postgres: bool, program: &Path) -> Command {
    if as_postgres {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|err| panic!("{command:?}: {err}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A port nothing listens on now; the server takes it a moment later.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local addr").port()
}

/// `path` quoted for `sh`.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// A small runtime for one administrative query, so this works from any test thread.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}
