//! The embedded store: one SQLite file (WAL) with a table of sessions and an append-only
//! table of events. A committed `append` survives a crash of the process, and with
//! `Sync::Full` a loss of power too.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};
use std::time::Duration;

use lapp_protocol::JoinCode;
use rusqlite::{Connection, OptionalExtension, params};

use super::{SessionRecord, Store, StoreError};
use crate::session::SessionEvent;

/// How hard SQLite works to make a commit durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sync {
    /// A commit survives the process crashing (the OS still has it); the default.
    Normal,
    /// A commit survives the machine losing power: every commit waits for the disk.
    Full,
}

/// The file name under the data directory.
pub const FILE_NAME: &str = "lapp.sqlite3";

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS sessions (
        code          TEXT PRIMARY KEY,
        created_at_ms INTEGER NOT NULL,
        record        TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS events (
        id    INTEGER PRIMARY KEY,
        code  TEXT NOT NULL REFERENCES sessions(code) ON DELETE CASCADE,
        event TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_by_session ON events(code, id);
";

/// How often the log's pages are copied into the database, away from the commits.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

pub struct SqliteStore {
    connection: Mutex<Connection>,
    /// Ends the checkpointer when the store is dropped (the sender goes first), then waits
    /// for it.
    checkpointer: Option<(mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

fn failed(err: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(err.to_string())
}

impl SqliteStore {
    /// Opens (or creates) the store in `data_dir`.
    pub fn open(data_dir: &Path, sync: Sync) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|err| failed(format!("cannot create {}: {err}", data_dir.display())))?;
        let connection = Connection::open(data_dir.join(FILE_NAME)).map_err(failed)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(failed)?;
        let synchronous = match sync {
            Sync::Normal => "NORMAL",
            Sync::Full => "FULL",
        };
        connection.pragma_update(None, "synchronous", synchronous).map_err(failed)?;
        connection.pragma_update(None, "foreign_keys", "ON").map_err(failed)?;
        // A commit never copies the log into the database itself (SQLite's default, every
        // 1,000 pages, syncs the file and stalled the commits queued behind it by 10 to 50 ms);
        // a thread of the store's own does it, with a connection of its own.
        connection.pragma_update(None, "wal_autocheckpoint", 0).map_err(failed)?;
        connection.busy_timeout(Duration::from_secs(5)).map_err(failed)?;
        // What is deleted (a session, a secret rewritten as its hash) is overwritten in the
        // file, not only unlinked from it.
        connection.pragma_update(None, "secure_delete", "ON").map_err(failed)?;
        connection.execute_batch(SCHEMA).map_err(failed)?;
        hash_stored_secrets(&connection)?;
        let checkpointer = Some(checkpointer(data_dir, synchronous)?);
        Ok(SqliteStore { connection: Mutex::new(connection), checkpointer })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        let connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        // A panic while holding the lock cannot leave a transaction half-done for the next
        // holder: what it began is rolled back here (rusqlite's own transactions roll back when
        // dropped; `append` begins and commits with kept statements of its own).
        if !connection.is_autocommit() {
            let _rolled_back = connection.execute_batch("ROLLBACK");
        }
        connection
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Some((stop, thread)) = self.checkpointer.take() {
            drop(stop);
            let _ended = thread.join();
        }
    }
}

/// Starts the thread that copies the log into the database every [`CHECKPOINT_EVERY`]. Its
/// checkpoints are PASSIVE: they take no lock that a commit waits for, and copy what no
/// reader still needs; the next commit after a whole copy starts the log from its beginning,
/// so it does not grow.
fn checkpointer(
    data_dir: &Path,
    synchronous: &str,
) -> Result<(mpsc::Sender<()>, std::thread::JoinHandle<()>), StoreError> {
    let connection = Connection::open(data_dir.join(FILE_NAME)).map_err(failed)?;
    connection.pragma_update(None, "synchronous", synchronous).map_err(failed)?;
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("lapp-checkpoint".into())
        .spawn(move || {
            let mut failing = false;
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                match connection.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
                    // Said once when it starts failing and once when it works again, not twice
                    // a second; commits go on meanwhile, into a log that grows.
                    Err(err) if !failing => {
                        tracing::warn!(%err, "cannot checkpoint the store's log; trying again");
                        failing = true;
                    }
                    Ok(()) if failing => {
                        tracing::info!("the store's log is checkpointed again");
                        failing = false;
                    }
                    _ => {}
                }
            }
        })
        .map_err(failed)?;
    Ok((stop, thread))
}

impl Store for SqliteStore {
    fn create(&self, record: &SessionRecord) -> Result<(), StoreError> {
        let json = serde_json::to_string(record).map_err(failed)?;
        let inserted = self.lock().execute(
            "INSERT INTO sessions (code, created_at_ms, record) VALUES (?1, ?2, ?3) ON CONFLICT (code) DO NOTHING",
            params![record.code.as_str(), record.created_at_ms as i64, json],
        );
        match inserted.map_err(failed)? {
            0 => Err(StoreError::Duplicate(record.code)),
            _ => Ok(()),
        }
    }

    fn append(&self, code: JoinCode, events: &[SessionEvent]) -> Result<(), StoreError> {
        let connection = self.lock();
        // Every statement here, BEGIN and COMMIT too, is prepared once and kept: parsing them
        // anew (as `Connection::transaction` does) was two fifths of each append's work.
        run_cached(&connection, "BEGIN")?;
        let appended =
            append_events(&connection, code, events).and_then(|()| run_cached(&connection, "COMMIT"));
        if appended.is_err() && !connection.is_autocommit() {
            // What was written goes; a failed ROLLBACK leaves nothing more to undo than the
            // error already reported.
            let _rolled_back = run_cached(&connection, "ROLLBACK");
        }
        appended
    }

    fn load(&self, code: JoinCode) -> Result<Option<(SessionRecord, Vec<SessionEvent>)>, StoreError> {
        let connection = self.lock();
        let record: Option<String> = connection
            .query_row("SELECT record FROM sessions WHERE code = ?1", [code.as_str()], |row| row.get(0))
            .optional()
            .map_err(failed)?;
        let Some(record) = record else { return Ok(None) };
        let record: SessionRecord = serde_json::from_str(&record).map_err(failed)?;
        let events = events_of(&connection, code)?;
        Ok(Some((record, events)))
    }

    fn delete(&self, code: JoinCode) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(failed)?;
        transaction.execute("DELETE FROM events WHERE code = ?1", [code.as_str()]).map_err(failed)?;
        transaction.execute("DELETE FROM sessions WHERE code = ?1", [code.as_str()]).map_err(failed)?;
        transaction.commit().map_err(failed)
    }

    fn load_all(&self) -> Result<Vec<(SessionRecord, Vec<SessionEvent>)>, StoreError> {
        let connection = self.lock();
        let mut sessions =
            connection.prepare("SELECT record FROM sessions ORDER BY created_at_ms").map_err(failed)?;
        let records = sessions
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(failed)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(failed)?;
        let mut events =
            connection.prepare("SELECT event FROM events WHERE code = ?1 ORDER BY id").map_err(failed)?;
        let mut loaded = Vec::with_capacity(records.len());
        for json in records {
            let record: SessionRecord = serde_json::from_str(&json).map_err(failed)?;
            let log = events
                .query_map([record.code.as_str()], |row| row.get::<_, String>(0))
                .map_err(failed)?
                .map(|json| {
                    let json = json.map_err(failed)?;
                    serde_json::from_str::<SessionEvent>(&json).map_err(failed)
                })
                .collect::<Result<Vec<_>, _>>()?;
            loaded.push((record, log));
        }
        Ok(loaded)
    }

    fn created_before(&self, before_ms: u64) -> Result<Vec<JoinCode>, StoreError> {
        let connection = self.lock();
        let mut query =
            connection.prepare("SELECT code FROM sessions WHERE created_at_ms < ?1").map_err(failed)?;
        let codes = query
            .query_map([before_ms as i64], |row| row.get::<_, String>(0))
            .map_err(failed)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(failed)?;
        codes.iter().map(|code| code.parse().map_err(failed)).collect()
    }
}

/// Stores written before secrets were kept as hashes hold facilitator keys and resume tokens
/// themselves: rewrites each record and join with the hash (reading a stored secret hashes
/// it), once, then checkpoints so no old page lingers in the log.
fn hash_stored_secrets(connection: &Connection) -> Result<(), StoreError> {
    const HASHED: i64 = 1;
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(failed)?;
    if version >= HASHED {
        return Ok(());
    }
    let rewrite = |select: &str, update: &str, again: fn(&str) -> Result<String, StoreError>| {
        let rows = connection
            .prepare(select)
            .and_then(|mut query| {
                query.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?.collect()
            })
            .map_err(failed)?;
        let rows: Vec<(String, String)> = rows;
        for (id, json) in rows {
            let hashed = again(&json)?;
            if hashed != json {
                connection.execute(update, params![hashed, id]).map_err(failed)?;
            }
        }
        Ok::<(), StoreError>(())
    };
    let record = |json: &str| {
        let record: SessionRecord = serde_json::from_str(json).map_err(failed)?;
        serde_json::to_string(&record).map_err(failed)
    };
    let event = |json: &str| {
        let event: SessionEvent = serde_json::from_str(json).map_err(failed)?;
        serde_json::to_string(&event).map_err(failed)
    };
    connection.execute_batch("BEGIN").map_err(failed)?;
    rewrite("SELECT code, record FROM sessions", "UPDATE sessions SET record = ?1 WHERE code = ?2", record)?;
    rewrite(
        "SELECT CAST(id AS TEXT), event FROM events WHERE event LIKE '%participant_joined%'",
        "UPDATE events SET event = ?1 WHERE id = CAST(?2 AS INTEGER)",
        event,
    )?;
    connection.execute_batch(&format!("PRAGMA user_version = {HASHED}; COMMIT")).map_err(failed)?;
    connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").map_err(failed)?;
    Ok(())
}

/// Runs a statement without parameters, prepared once per connection.
fn run_cached(connection: &Connection, sql: &str) -> Result<(), StoreError> {
    connection.prepare_cached(sql).and_then(|mut statement| statement.execute([])).map(drop).map_err(failed)
}

/// Adds `events` to the log of the session `code`, which must exist, inside the caller's
/// transaction.
fn append_events(connection: &Connection, code: JoinCode, events: &[SessionEvent]) -> Result<(), StoreError> {
    let known: Option<i64> = connection
        .prepare_cached("SELECT 1 FROM sessions WHERE code = ?1")
        .and_then(|mut select| select.query_row([code.as_str()], |row| row.get(0)).optional())
        .map_err(failed)?;
    if known.is_none() {
        return Err(StoreError::UnknownSession(code));
    }
    let mut insert =
        connection.prepare_cached("INSERT INTO events (code, event) VALUES (?1, ?2)").map_err(failed)?;
    for event in events {
        let json = serde_json::to_string(event).map_err(failed)?;
        insert.execute(params![code.as_str(), json]).map_err(failed)?;
    }
    Ok(())
}

/// One session's events, in the order they were stored.
fn events_of(connection: &Connection, code: JoinCode) -> Result<Vec<SessionEvent>, StoreError> {
    let mut query =
        connection.prepare_cached("SELECT event FROM events WHERE code = ?1 ORDER BY id").map_err(failed)?;
    query
        .query_map([code.as_str()], |row| row.get::<_, String>(0))
        .map_err(failed)?
        .map(|json| serde_json::from_str::<SessionEvent>(&json.map_err(failed)?).map_err(failed))
        .collect()
}

#[cfg(test)]
mod tests {
    use lapp_protocol::{AgendaItem, Pid, ScoringConfig};
    use rand::SeedableRng;

    use super::*;
    use crate::secret::{Secret, SecretHash};

    fn record(code: u32, created_at_ms: u64) -> SessionRecord {
        let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(code));
        SessionRecord {
            code: JoinCode::from_number(code).expect("code"),
            title: "Day".into(),
            key: SecretHash::of(&Secret::generate(&mut rng)),
            agenda: vec![AgendaItem::Scoring { prompt: "Q".into(), config: ScoringConfig::default() }],
            created_at_ms,
            language: lapp_protocol::Language::English,
            names: lapp_protocol::Names::Generated,
        }
    }

    #[test]
    fn sessions_and_events_survive_reopening_and_deletion_is_final() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = record(1, 1_000);
        let second = record(2, 5_000);
        let events = vec![
            SessionEvent::ParticipantJoined {
                pid: Pid(1),
                name: Some("Kari".into()),
                zone: None,
                resume: SecretHash::of(&Secret::generate(&mut rand::rngs::StdRng::seed_from_u64(9))),
                follow_up: None,
            },
            SessionEvent::ActivityStarted { index: 0 },
        ];
        {
            let store = SqliteStore::open(dir.path(), Sync::Normal).expect("open");
            store.create(&first).expect("create");
            store.create(&second).expect("create");
            assert!(matches!(store.create(&second), Err(StoreError::Duplicate(_))));
            store.append(first.code, &events[..1]).expect("append");
            store.append(first.code, &events[1..]).expect("append");
            assert!(matches!(
                store.append(JoinCode::from_number(3).expect("code"), &events),
                Err(StoreError::UnknownSession(_))
            ));
        }
        let store = SqliteStore::open(dir.path(), Sync::Full).expect("reopen");
        let loaded = store.load_all().expect("load");
        assert_eq!(loaded, vec![(first.clone(), events.clone()), (second.clone(), vec![])]);
        assert_eq!(store.load(first.code).expect("load one"), Some((first.clone(), events)));
        assert_eq!(store.load(JoinCode::from_number(3).expect("code")).expect("load none"), None);
        assert_eq!(store.created_before(2_000).expect("expired"), vec![first.code]);
        store.delete(first.code).expect("delete");
        drop(store);
        let store = SqliteStore::open(dir.path(), Sync::Normal).expect("reopen");
        assert_eq!(store.load_all().expect("load"), vec![(second, vec![])]);
    }

    /// A transaction left open on the connection, as by a panic while the lock was held, is
    /// undone before the next append, which commits; so is a refused append's.
    #[test]
    fn an_append_after_an_abandoned_or_refused_one_commits_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = record(1, 1_000);
        let events = [SessionEvent::ActivityStarted { index: 0 }, SessionEvent::ActivityStarted { index: 1 }];
        let store = SqliteStore::open(dir.path(), Sync::Normal).expect("open");
        store.create(&first).expect("create");
        {
            let abandoned = store.lock();
            let json = serde_json::to_string(&events[1]).expect("json");
            abandoned.execute_batch("BEGIN").expect("begin");
            abandoned
                .execute(
                    "INSERT INTO events (code, event) VALUES (?1, ?2)",
                    params![first.code.as_str(), json],
                )
                .expect("insert");
        }
        store.append(first.code, &events[..1]).expect("append after an abandoned transaction");
        let unknown = JoinCode::from_number(3).expect("code");
        assert!(matches!(store.append(unknown, &events), Err(StoreError::UnknownSession(_))));
        store.append(first.code, &events[1..]).expect("append after a refused one");
        drop(store);
        let store = SqliteStore::open(dir.path(), Sync::Normal).expect("reopen");
        assert_eq!(store.load(first.code).expect("load"), Some((first, events.to_vec())));
    }

    /// The log is copied into the database while the store stays open, by the store's own
    /// thread: commits do not do it, and without that thread the log would only grow.
    #[test]
    fn the_log_reaches_the_database_while_the_store_is_open() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = record(1, 1_000);
        let store = SqliteStore::open(dir.path(), Sync::Normal).expect("open");
        store.create(&first).expect("create");
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let joined = |pid| SessionEvent::ParticipantJoined {
            pid: Pid(pid),
            name: Some("n".repeat(3_000)),
            zone: None,
            resume: SecretHash::of(&Secret::generate(&mut rng)),
            follow_up: None,
        };
        let events: Vec<_> = (1..=1_500).map(joined).collect();
        for event in &events {
            store.append(first.code, std::slice::from_ref(event)).expect("append");
        }
        let written: u64 = 1_500 * 3_000;
        let database = dir.path().join(FILE_NAME);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(&database).expect("database").len() < written {
            assert!(std::time::Instant::now() < deadline, "the log was not copied into the database");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(store.load(first.code).expect("load"), Some((first, events)));
    }
}
