//! The shared store: PostgreSQL, so several Lapp nodes can serve the same sessions. A session
//! has one writer at a time, the node that holds its advisory lock; every commit also checks
//! the session's fencing epoch, so a node that lost its lock without noticing yet cannot commit.
//!
//! A node that gets a client for a session another node serves asks for it (`NOTIFY
//! lapp_wanted`), and the serving node hands it over if it has served it for a few seconds: when
//! the proxy's ring changes (a node comes back, or is added), the sessions that belong to the
//! new node follow their clients there instead of being split between two nodes.
//!
//! The `Store` methods are synchronous and wait on the runtime the store was opened in: call
//! them from blocking threads (`spawn_blocking`, as the actor does) or at start-up, never from
//! async code, where waiting would panic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use futures_util::StreamExt;
use lapp_protocol::JoinCode;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};
use tokio_util::sync::CancellationToken;

use super::{Claim, SessionRecord, Store, StoreError};
use crate::session::SessionEvent;

/// The first key of every advisory lock Lapp takes ("LAPP" in ASCII), so that Lapp's locks
/// cannot be taken for another program's in a database they share. The second key is the
/// join code read as a number (six digits always fit an `int4`).
pub const LOCK_NAMESPACE: i32 = 0x4C41_5050;

/// The second key of the lock held while migrating: no join code is negative.
const MIGRATION_LOCK: i32 = -1;

/// The `application_name` of the lock connection, to find it in `pg_stat_activity`.
pub const LOCK_APPLICATION_NAME: &str = "lapp-lock";

/// Schema changes in order; `schema_version` holds how many of them a database has.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE sessions (
        code          TEXT PRIMARY KEY,
        created_at_ms BIGINT NOT NULL,
        record        TEXT NOT NULL,
        epoch         BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE events (
        id    BIGSERIAL PRIMARY KEY,
        code  TEXT NOT NULL REFERENCES sessions(code) ON DELETE CASCADE,
        event TEXT NOT NULL
    );
    CREATE INDEX events_by_session ON events(code, id);
",
    "
    -- Epochs from one sequence: a code deleted and created again never repeats an epoch a
    -- stale writer of the old session could still hold.
    CREATE SEQUENCE session_epochs;
    SELECT setval('session_epochs', COALESCE((SELECT MAX(epoch) FROM sessions), 0) + 1);
",
];

/// Appends a batch in one statement, so in one round trip and one transaction, and only while
/// the session's epoch is still the writer's: `FOR SHARE` makes another node's claim (which
/// bumps the epoch) wait until this commit, or this statement see the bumped epoch and write
/// nothing. Returns whether the writer was still the writer.
const APPEND: &str = "
    WITH writer AS (
        SELECT code FROM sessions WHERE code = $1 AND epoch = $2 FOR SHARE
    ), appended AS (
        INSERT INTO events (code, event)
        SELECT writer.code, batch.event
        FROM writer, unnest($3::text[]) WITH ORDINALITY AS batch(event, n)
        ORDER BY batch.n
    )
    SELECT EXISTS (SELECT 1 FROM writer)
";

/// How long a query waits for a pooled connection, or to open one, before failing.
const POOL_PATIENCE: Duration = Duration::from_secs(5);

/// The channel on which nodes ask for a session another node serves; the payload is its code.
const WANTED_CHANNEL: &str = "lapp_wanted";

/// A node serves a session at least this long before handing it over when another node asks,
/// so that two nodes a proxy routes one session's clients to pass it back and forth at most
/// once in this time (until the proxy settles, as on a node's death or return).
const HAND_OVER_AFTER: Duration = Duration::from_secs(5);

/// A node asks for one session at most this often.
const ASK_EVERY: Duration = Duration::from_secs(1);

/// How long the lock connection waits before trying again to reopen: first, doubling up to most.
const RECONNECT_FIRST_WAIT: Duration = Duration::from_millis(200);
const RECONNECT_MOST_WAIT: Duration = Duration::from_secs(2);

/// Sessions in a PostgreSQL database that several nodes share; see the module's doc.
pub struct PostgresStore {
    pool: Pool,
    runtime: Handle,
    ownership: Arc<Ownership>,
    /// Stops the task that keeps the lock connection open, when the store is dropped.
    stop: CancellationToken,
}

fn failed(err: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(err.to_string())
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/database`), brings its
    /// schema up to date and opens the lock connection.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let config: Config = url.parse().map_err(|err| failed(format!("bad PostgreSQL URL: {err}")))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_PATIENCE))
            .create_timeout(Some(POOL_PATIENCE))
            .recycle_timeout(Some(POOL_PATIENCE))
            .build()
            .map_err(failed)?;
        migrate(&pool).await?;

        let lock_config = lock_connection_config(config);
        let (wanted_tx, wanted) = mpsc::unbounded_channel();
        let (connection, ended) = open_lock_connection(&lock_config, wanted_tx.clone())
            .await
            .map_err(|err| failed(format!("cannot open the lock connection: {err}")))?;
        let ownership = Arc::new(Ownership {
            owners: Mutex::new(Owners {
                lock_connection: Some(connection),
                generation: 0,
                owned: HashMap::new(),
                asked: HashMap::new(),
            }),
            claiming: Mutex::new(()),
        });
        let stop = CancellationToken::new();
        let kept = keep_lock_connection(ownership.clone(), lock_config, ended, wanted_tx, stop.clone());
        tokio::spawn(kept);
        tokio::spawn(hand_over_when_wanted(ownership.clone(), wanted, stop.clone()));
        Ok(PostgresStore { pool, runtime: Handle::current(), ownership, stop })
    }

    /// The server process id of the lock connection, while it is open: tests end it to play
    /// a node losing its locks.
    #[doc(hidden)]
    pub fn lock_backend_pid(&self) -> Option<i32> {
        self.ownership.owners().lock_connection.as_ref().map(|connection| connection.backend_pid)
    }

    /// Waits for `work` on the store's runtime; see the module's doc for where this may be called.
    fn wait<T>(&self, work: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        self.runtime.block_on(work)
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(failed)
    }

    /// Makes every other node's claim of `code` fail from now on, and returns the new epoch.
    async fn bump_epoch(&self, code: JoinCode) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "UPDATE sessions SET epoch = nextval('session_epochs') WHERE code = $1 RETURNING epoch",
                &[&code.as_str()],
            )
            .await
            .map_err(failed)?
            .ok_or(StoreError::UnknownSession(code))?;
        row.try_get(0).map_err(failed)
    }

    /// `claim`, asking the node that serves `code` to hand it over if `ask`.
    fn claim_asking(&self, code: JoinCode, ask: bool) -> Result<Claim, StoreError> {
        let _one_claim_at_a_time = self.ownership.claiming.lock().unwrap_or_else(PoisonError::into_inner);
        let (lock, generation) = {
            let owners = self.ownership.owners();
            if let Some(owned) = owners.owned.get(&code) {
                return Ok(Claim::Owned { lost: owned.lost.clone() });
            }
            let Some(lock) = owners.lock_connection.clone() else {
                return Err(failed("no connection to PostgreSQL holds session locks now; reopening it"));
            };
            (lock, owners.generation)
        };
        let epoch = self.wait(async {
            let granted: bool = lock
                .client
                .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LOCK_NAMESPACE, &lock_key(code)])
                .await
                .map_err(failed)?
                .try_get(0)
                .map_err(failed)?;
            if !granted {
                return Ok(None);
            }
            match self.bump_epoch(code).await {
                Ok(epoch) => Ok(Some(epoch)),
                Err(err) => {
                    unlock(&lock.client, code).await;
                    Err(err)
                }
            }
        })?;
        let Some(epoch) = epoch else {
            if ask {
                self.ask_for(code, &lock);
            }
            return Ok(Claim::Elsewhere);
        };
        let mut owners = self.ownership.owners();
        if owners.generation != generation {
            // The lock went with the connection that was granted it; the epoch bumped still
            // fences off whoever wrote before.
            return Err(failed("the connection holding session locks closed during the claim"));
        }
        let lost = CancellationToken::new();
        owners.owned.insert(code, Owned { epoch, lost: lost.clone(), since: Instant::now() });
        tracing::info!(%code, epoch, "owning session");
        Ok(Claim::Owned { lost })
    }

    /// Tells the node serving `code` that clients ask this node for it (at most every
    /// `ASK_EVERY`); not waited for.
    fn ask_for(&self, code: JoinCode, lock: &LockConnection) {
        {
            let mut owners = self.ownership.owners();
            let now = Instant::now();
            owners.asked.retain(|_, at| now.duration_since(*at) < ASK_EVERY);
            if owners.asked.contains_key(&code) {
                return;
            }
            owners.asked.insert(code, now);
        }
        let client = Arc::clone(&lock.client);
        self.runtime.spawn(async move {
            let asked = client.execute("SELECT pg_notify($1, $2)", &[&WANTED_CHANNEL, &code.as_str()]).await;
            if let Err(err) = asked {
                tracing::debug!(%code, %err, "could not ask for a session");
            }
        });
    }

    /// Why an append wrote nothing: the session is gone, or another node writes it now.
    async fn refusal(&self, code: JoinCode) -> Result<StoreError, StoreError> {
        let client = self.client().await?;
        let stored = client
            .query_opt("SELECT 1 FROM sessions WHERE code = $1", &[&code.as_str()])
            .await
            .map_err(failed)?;
        Ok(match stored {
            None => StoreError::UnknownSession(code),
            Some(_) => StoreError::NotOwner(code),
        })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Store for PostgresStore {
    fn create(&self, record: &SessionRecord) -> Result<(), StoreError> {
        let json = serde_json::to_string(record).map_err(failed)?;
        let created_at_ms = i64::try_from(record.created_at_ms).map_err(failed)?;
        let inserted = self.wait(async {
            let client = self.client().await?;
            client
                .execute(
                    "INSERT INTO sessions (code, created_at_ms, record) VALUES ($1, $2, $3) \
                     ON CONFLICT (code) DO NOTHING",
                    &[&record.code.as_str(), &created_at_ms, &json],
                )
                .await
                .map_err(failed)
        })?;
        match inserted {
            0 => Err(StoreError::Duplicate(record.code)),
            _ => Ok(()),
        }
    }

    fn append(&self, code: JoinCode, events: &[SessionEvent]) -> Result<(), StoreError> {
        let epoch = self.ownership.epoch_if_owned(code).ok_or(StoreError::NotOwner(code))?;
        let events =
            events.iter().map(serde_json::to_string).collect::<Result<Vec<String>, _>>().map_err(failed)?;
        let refused = self.wait(async {
            let client = self.client().await?;
            let append = client.prepare_cached(APPEND).await.map_err(failed)?;
            let row = client.query_one(&append, &[&code.as_str(), &epoch, &events]).await.map_err(failed)?;
            let still_writer: bool = row.try_get(0).map_err(failed)?;
            match still_writer {
                true => Ok(None),
                false => self.refusal(code).await.map(Some),
            }
        })?;
        match refused {
            None => Ok(()),
            Some(refusal) => {
                // Whoever bumped the epoch writes the session now, or nobody does: either way
                // this node's actor must stop.
                tracing::warn!(%code, %refusal, "append refused");
                self.release(code);
                Err(refusal)
            }
        }
    }

    fn load(&self, code: JoinCode) -> Result<Option<(SessionRecord, Vec<SessionEvent>)>, StoreError> {
        self.wait(async {
            let client = self.client().await?;
            let record = client
                .query_opt("SELECT record FROM sessions WHERE code = $1", &[&code.as_str()])
                .await
                .map_err(failed)?;
            let Some(record) = record else { return Ok(None) };
            let record: SessionRecord =
                serde_json::from_str(record.try_get(0).map_err(failed)?).map_err(failed)?;
            let events = client
                .query("SELECT event FROM events WHERE code = $1 ORDER BY id", &[&code.as_str()])
                .await
                .map_err(failed)?
                .iter()
                .map(|row| serde_json::from_str(row.try_get(0).map_err(failed)?).map_err(failed))
                .collect::<Result<Vec<SessionEvent>, _>>()?;
            Ok(Some((record, events)))
        })
    }

    fn delete(&self, code: JoinCode) -> Result<(), StoreError> {
        self.wait(async {
            let client = self.client().await?;
            client.execute("DELETE FROM sessions WHERE code = $1", &[&code.as_str()]).await.map_err(failed)
        })?;
        self.release(code);
        Ok(())
    }

    fn load_all(&self) -> Result<Vec<(SessionRecord, Vec<SessionEvent>)>, StoreError> {
        self.wait(async {
            let client = self.client().await?;
            let records = client
                .query("SELECT record FROM sessions ORDER BY created_at_ms", &[])
                .await
                .map_err(failed)?;
            let mut events: HashMap<String, Vec<SessionEvent>> = HashMap::new();
            for row in
                client.query("SELECT code, event FROM events ORDER BY code, id", &[]).await.map_err(failed)?
            {
                let event = serde_json::from_str(row.try_get(1).map_err(failed)?).map_err(failed)?;
                events.entry(row.try_get(0).map_err(failed)?).or_default().push(event);
            }
            records
                .iter()
                .map(|row| {
                    let record: SessionRecord =
                        serde_json::from_str(row.try_get(0).map_err(failed)?).map_err(failed)?;
                    let log = events.remove(record.code.as_str()).unwrap_or_default();
                    Ok((record, log))
                })
                .collect()
        })
    }

    fn created_before(&self, before_ms: u64) -> Result<Vec<JoinCode>, StoreError> {
        let before_ms = i64::try_from(before_ms).unwrap_or(i64::MAX);
        self.wait(async {
            let client = self.client().await?;
            let rows = client
                .query("SELECT code FROM sessions WHERE created_at_ms < $1", &[&before_ms])
                .await
                .map_err(failed)?;
            rows.iter()
                .map(|row| row.try_get::<_, &str>(0).map_err(failed)?.parse().map_err(failed))
                .collect()
        })
    }

    fn claim(&self, code: JoinCode) -> Result<Claim, StoreError> {
        self.claim_asking(code, true)
    }

    fn claim_if_free(&self, code: JoinCode) -> Result<Claim, StoreError> {
        self.claim_asking(code, false)
    }

    fn release(&self, code: JoinCode) {
        let lock = {
            let mut owners = self.ownership.owners();
            let Some(owned) = owners.owned.remove(&code) else { return };
            owned.lost.cancel();
            owners.lock_connection.clone()
        };
        tracing::info!(%code, "no longer owning session");
        if let Some(lock) = lock {
            // Not waited for, so that an actor may release from async code: until the unlock
            // arrives, other nodes see the session as still owned and try again later.
            self.runtime.spawn(async move { unlock(&lock.client, code).await });
        }
    }

    fn shared(&self) -> bool {
        true
    }
}

/// Which sessions this node writes, and the connection whose advisory locks say so.
struct Ownership {
    owners: Mutex<Owners>,
    /// Held through a whole claim: an advisory lock is re-entrant within its connection, so
    /// two claims of one code racing on this node would both be granted it.
    claiming: Mutex<()>,
}

struct Owners {
    /// The connection holding this node's advisory locks; `None` while it is being reopened.
    lock_connection: Option<LockConnection>,
    /// How many lock connections were lost: a lock granted on one that has closed since is
    /// not held.
    generation: u64,
    owned: HashMap<JoinCode, Owned>,
    /// When this node last asked for a session another node serves.
    asked: HashMap<JoinCode, Instant>,
}

#[derive(Clone)]
struct LockConnection {
    client: Arc<Client>,
    backend_pid: i32,
    /// When the server started its side (as text), which tells it from a later connection
    /// given the same pid.
    backend_start: String,
}

struct Owned {
    /// The session's epoch as this node's claim left it; a commit with another is refused.
    epoch: i64,
    lost: CancellationToken,
    since: Instant,
}

impl Ownership {
    fn owners(&self) -> MutexGuard<'_, Owners> {
        // Every change under the lock is a single insert, remove or replacement.
        self.owners.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The epoch to commit `code` with, if this node writes it and still holds its lock.
    fn epoch_if_owned(&self, code: JoinCode) -> Option<i64> {
        let owners = self.owners();
        let alive = owners.lock_connection.as_ref().is_some_and(|lock| !lock.client.is_closed());
        owners.owned.get(&code).filter(|_| alive).map(|owned| owned.epoch)
    }

    /// The lock connection closed, and every lock with it: no session is this node's now.
    fn lose_all(&self) {
        let mut owners = self.owners();
        owners.lock_connection = None;
        owners.generation += 1;
        for (code, owned) in owners.owned.drain() {
            owned.lost.cancel();
            tracing::info!(%code, "lost session ownership");
        }
    }
}

/// Hands a session over when another node asks for it and this node has served it for
/// `HAND_OVER_AFTER`: its actor stops (sending its clients on) and releases it.
async fn hand_over_when_wanted(
    ownership: Arc<Ownership>,
    mut wanted: mpsc::UnboundedReceiver<String>,
    stop: CancellationToken,
) {
    loop {
        let code = tokio::select! {
            () = stop.cancelled() => return,
            code = wanted.recv() => match code {
                Some(code) => code,
                None => return,
            },
        };
        let Ok(code) = code.parse::<JoinCode>() else { continue };
        let owners = ownership.owners();
        if let Some(owned) = owners.owned.get(&code)
            && owned.since.elapsed() >= HAND_OVER_AFTER
            && !owned.lost.is_cancelled()
        {
            tracing::info!(%code, "another node asks for this session: handing it over");
            owned.lost.cancel();
        }
    }
}

/// Keeps a lock connection open while the store lives: when one closes, every session it held
/// is lost at once and a new one is opened, so later claims work again.
async fn keep_lock_connection(
    ownership: Arc<Ownership>,
    config: Config,
    mut ended: JoinHandle<Result<(), tokio_postgres::Error>>,
    wanted: mpsc::UnboundedSender<String>,
    stop: CancellationToken,
) {
    'kept: loop {
        tokio::select! {
            () = stop.cancelled() => break 'kept,
            end = &mut ended => {
                let why = match end {
                    Ok(Ok(())) => "closed".to_string(),
                    Ok(Err(err)) => err.to_string(),
                    Err(err) => err.to_string(),
                };
                tracing::warn!(%why, "the connection holding session locks ended");
            }
        }
        let ended_here = ownership.owners().lock_connection.clone();
        ownership.lose_all();
        let mut backoff = RECONNECT_FIRST_WAIT;
        loop {
            let opened = tokio::select! {
                () = stop.cancelled() => break 'kept,
                opened = open_lock_connection(&config, wanted.clone()) => opened,
            };
            match opened {
                Ok((connection, next_ended)) => {
                    tracing::info!("the connection holding session locks is open again");
                    // If only this side saw the old connection end (a network cut), the server
                    // still holds its locks: end it there, so this node and others may claim.
                    if let Some(old) = &ended_here {
                        let ended = connection
                            .client
                            .execute(
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                                 WHERE pid = $1 AND backend_start::text = $2",
                                &[&old.backend_pid, &old.backend_start],
                            )
                            .await;
                        if let Err(err) = ended {
                            tracing::debug!(%err, "could not end the old lock connection at the server");
                        }
                    }
                    ownership.owners().lock_connection = Some(connection);
                    ended = next_ended;
                    break;
                }
                Err(err) => {
                    tracing::warn!(%err, "cannot reopen the connection holding session locks");
                    tokio::select! {
                        () = stop.cancelled() => break 'kept,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(RECONNECT_MOST_WAIT);
                }
            }
        }
    }
    // Ending the connection ends its locks at the server at once.
    ended.abort();
    ownership.lose_all();
}

/// The lock connection's settings: the store's, named, and quick to notice a dead peer.
fn lock_connection_config(mut config: Config) -> Config {
    config
        .application_name(LOCK_APPLICATION_NAME)
        .connect_timeout(POOL_PATIENCE)
        // Correctness does not depend on noticing (the epoch fences a stale writer), but an
        // actor that stops soon after its node is cut off lets clients move on sooner.
        .keepalives_idle(Duration::from_secs(10))
        .keepalives_interval(Duration::from_secs(2))
        .keepalives_retries(3)
        // The server's side too: a node whose machine vanished holds its locks (and so its
        // sessions, which no other node can then claim) until the server notices, by default
        // after two hours.
        .options("-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3");
    config
}

/// Opens a lock connection, which also listens for sessions other nodes ask for (their codes go
/// to `wanted`); the handle returned finishes when the connection does.
async fn open_lock_connection(
    config: &Config,
    wanted: mpsc::UnboundedSender<String>,
) -> Result<(LockConnection, JoinHandle<Result<(), tokio_postgres::Error>>), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let ended = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            if let AsyncMessage::Notification(asked) = message? {
                // The store may be gone; then nobody needs to hear it.
                let _unheard = wanted.send(asked.payload().to_owned());
            }
        }
        Ok(())
    });
    client.batch_execute(&format!("LISTEN {WANTED_CHANNEL}")).await?;
    let backend = client
        .query_one("SELECT pid, backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()", &[])
        .await?;
    let (backend_pid, backend_start) = (backend.try_get(0)?, backend.try_get(1)?);
    Ok((LockConnection { client: Arc::new(client), backend_pid, backend_start }, ended))
}

/// Gives up `code`'s advisory lock, if it is still held.
async fn unlock(client: &Client, code: JoinCode) {
    let unlocked =
        client.execute("SELECT pg_advisory_unlock($1, $2)", &[&LOCK_NAMESPACE, &lock_key(code)]).await;
    if let Err(err) = unlocked {
        // A failed unlock means the connection failed, and its locks went with it.
        tracing::debug!(%code, %err, "unlock failed");
    }
}

/// The join code's six digits as the number that keys its advisory lock.
fn lock_key(code: JoinCode) -> i32 {
    code.as_str().bytes().fold(0, |number, digit| number * 10 + i32::from(digit - b'0'))
}

/// Brings the schema up to date. Nodes starting together wait on one lock: the first applies
/// what is missing and the others then find nothing left to do.
async fn migrate(pool: &Pool) -> Result<(), StoreError> {
    let mut client = pool.get().await.map_err(failed)?;
    let transaction = client.transaction().await.map_err(failed)?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1, $2)", &[&LOCK_NAMESPACE, &MIGRATION_LOCK])
        .await
        .map_err(failed)?;
    transaction
        .batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .await
        .map_err(failed)?;
    let applied: i32 = transaction
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .map_err(failed)?
        .try_get(0)
        .map_err(failed)?;
    for (version, migration) in (1..).zip(MIGRATIONS).skip(usize::try_from(applied).unwrap_or(0)) {
        transaction.batch_execute(migration).await.map_err(failed)?;
        transaction
            .execute("INSERT INTO schema_version (version) VALUES ($1)", &[&version])
            .await
            .map_err(|err| failed(format!("migration {version}: {err}")))?;
        tracing::info!(version, "migrated the PostgreSQL schema");
    }
    transaction.commit().await.map_err(failed)
}
