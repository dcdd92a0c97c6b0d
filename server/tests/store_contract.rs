//! What every store promises, checked the same way against each (memory, SQLite, PostgreSQL),
//! and how PostgreSQL nodes sharing a database hand the writing of a session between them.

mod support;

use std::time::{Duration, Instant};

use lapp_protocol::{AgendaItem, JoinCode, Language, Names, Pid, ScoringConfig};
use lapp_server::secret::{Secret, SecretHash};
use lapp_server::session::SessionEvent;
use lapp_server::store::postgres::PostgresStore;
use lapp_server::store::sqlite::{SqliteStore, Sync as SqliteSync};
use lapp_server::store::{Claim, MemoryStore, SessionRecord, Store, StoreError};
use rand::SeedableRng;
use support::postgres::TestPostgres;
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

/// How long a test waits for something another node or the database does in the background.
const PATIENCE: Duration = Duration::from_secs(5);

/// Runs each check against each store, as a test of its own.
macro_rules! every_store {
    ($($check:ident),* $(,)?) => {
        mod memory {
            $(#[test] fn $check() { let fixture = super::memory(); super::$check(&*fixture.store) })*
        }
        mod sqlite {
            $(#[test] fn $check() { let fixture = super::sqlite(); super::$check(&*fixture.store) })*
        }
        mod postgres {
            $(#[test] fn $check() { let fixture = super::postgres(); super::$check(&*fixture.store) })*
        }
    };
}

every_store!(
    a_code_is_created_once,
    appending_to_an_unknown_session_fails,
    batches_load_in_the_order_they_were_appended,
    load_all_returns_every_session_oldest_first,
    created_before_lists_the_sessions_older_than_the_cutoff,
    a_deleted_session_is_gone_and_its_code_free_again,
);

fn a_code_is_created_once(store: &dyn Store) {
    let first = record(1, 1_000);
    store.create(&first).expect("create");
    let again = SessionRecord { title: "Another day".into(), ..record(1, 2_000) };
    let created = store.create(&again);
    assert!(matches!(created, Err(StoreError::Duplicate(code)) if code == first.code), "{created:?}");
    assert_eq!(store.load(first.code).expect("load"), Some((first, vec![])));
}

fn appending_to_an_unknown_session_fails(store: &dyn Store) {
    let unknown = code(404);
    let appended = claim(store, unknown).and_then(|()| store.append(unknown, &[event(1)]));
    assert!(matches!(appended, Err(StoreError::UnknownSession(code)) if code == unknown), "{appended:?}");
    assert_eq!(store.load(unknown).expect("load"), None);
}

fn batches_load_in_the_order_they_were_appended(store: &dyn Store) {
    let (one, two) = (record(1, 1_000), record(2, 2_000));
    for session in [&one, &two] {
        store.create(session).expect("create");
        claim(store, session.code).expect("claim");
    }
    let batches = [vec![event(1)], vec![event(2), event(3), event(4)], vec![], vec![event(5)]];
    for (n, batch) in (10..).zip(&batches) {
        store.append(one.code, batch).expect("append");
        store.append(two.code, &[event(n)]).expect("append");
    }
    assert_eq!(store.load(one.code).expect("load"), Some((one, batches.concat())));
    assert_eq!(store.load(two.code).expect("load"), Some((two, (10..14).map(event).collect())));
}

fn load_all_returns_every_session_oldest_first(store: &dyn Store) {
    let sessions = [record(3, 3_000), record(1, 1_000), record(2, 2_000)];
    for session in &sessions {
        store.create(session).expect("create");
        claim(store, session.code).expect("claim");
    }
    store.append(code(3), &[event(1), event(2)]).expect("append");
    store.append(code(2), &[event(3)]).expect("append");
    store.append(code(3), &[event(4)]).expect("append");
    assert_eq!(
        store.load_all().expect("load all"),
        vec![
            (record(1, 1_000), vec![]),
            (record(2, 2_000), vec![event(3)]),
            (record(3, 3_000), vec![event(1), event(2), event(4)]),
        ]
    );
}

fn created_before_lists_the_sessions_older_than_the_cutoff(store: &dyn Store) {
    for session in [record(1, 1_000), record(2, 2_000), record(3, 3_000)] {
        store.create(&session).expect("create");
    }
    let created_before = |before_ms| {
        let mut codes = store.created_before(before_ms).expect("created before");
        codes.sort();
        codes
    };
    assert_eq!(created_before(1_000), vec![]);
    assert_eq!(created_before(2_500), vec![code(1), code(2)]);
    assert_eq!(created_before(1_000_000), vec![code(1), code(2), code(3)]);
}

fn a_deleted_session_is_gone_and_its_code_free_again(store: &dyn Store) {
    let (gone, kept) = (record(1, 1_000), record(2, 2_000));
    store.create(&gone).expect("create");
    store.create(&kept).expect("create");
    claim(store, gone.code).expect("claim");
    store.append(gone.code, &[event(1), event(2)]).expect("append");

    store.delete(gone.code).expect("delete");
    assert_eq!(store.load(gone.code).expect("load"), None);
    assert_eq!(store.load_all().expect("load all"), vec![(kept.clone(), vec![])]);
    assert_eq!(store.created_before(1_000_000).expect("created before"), vec![kept.code]);
    store.delete(code(404)).expect("deleting what is not stored does nothing");

    let reborn = SessionRecord { title: "Again".into(), ..record(1, 3_000) };
    store.create(&reborn).expect("the code is free again");
    claim(store, reborn.code).expect("claim");
    store.append(reborn.code, &[event(3)]).expect("append");
    assert_eq!(store.load(reborn.code).expect("load"), Some((reborn, vec![event(3)])));
}

/// A store and what must outlive it (fields drop in order: the store first).
struct Fixture {
    store: Box<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    _runtime: Option<Runtime>,
}

fn memory() -> Fixture {
    Fixture { store: Box::new(MemoryStore::default()), _dir: None, _runtime: None }
}

fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path(), SqliteSync::Normal).expect("open");
    Fixture { store: Box::new(store), _dir: Some(dir), _runtime: None }
}

fn postgres() -> Fixture {
    let cluster = Cluster::new();
    let store = cluster.node();
    Fixture { store: Box::new(store), _dir: None, _runtime: Some(cluster.runtime) }
}

/// Makes this node `code`'s writer, as the actor does before it writes.
fn claim(store: &dyn Store, code: JoinCode) -> Result<(), StoreError> {
    match store.claim(code)? {
        Claim::Owned { .. } => Ok(()),
        Claim::Elsewhere => panic!("no other node shares this store, yet {code} is written elsewhere"),
    }
}

// Nodes: several `PostgresStore`s on one database, as several Lapp processes would be.

#[test]
fn a_session_has_one_writer_at_a_time() {
    let cluster = Cluster::new();
    let (a, b) = (cluster.node(), cluster.node());
    let session = record(1, 1_000);
    a.create(&session).expect("create");
    let created = b.create(&session);
    assert!(matches!(created, Err(StoreError::Duplicate(_))), "a code is unique across nodes: {created:?}");

    let a_lost = owned(a.claim(session.code));
    let a_lost_again = owned(a.claim(session.code));
    assert!(matches!(b.claim(session.code), Ok(Claim::Elsewhere)));
    assert_not_owner(b.append(session.code, &[event(1)]));
    a.append(session.code, &[event(1)]).expect("A writes");

    a.release(session.code);
    assert!(a_lost.is_cancelled() && a_lost_again.is_cancelled(), "a claim made again is the same claim");
    assert_not_owner(a.append(session.code, &[event(2)]));
    let b_lost = eventually("B owns the session A released", || match b.claim(session.code) {
        Ok(Claim::Owned { lost }) => Some(lost),
        Ok(Claim::Elsewhere) => None,
        Err(err) => panic!("claim: {err}"),
    });
    b.append(session.code, &[event(3)]).expect("B writes");
    assert!(matches!(a.claim(session.code), Ok(Claim::Elsewhere)));
    assert!(!b_lost.is_cancelled());
    assert_eq!(events_of(&a, session.code), vec![event(1), event(3)]);
}

#[test]
fn a_node_that_loses_its_lock_connection_stops_writing_at_once() {
    let cluster = Cluster::new();
    let (a, b) = (cluster.node(), cluster.node());
    let session = record(1, 1_000);
    a.create(&session).expect("create");
    let a_lost = owned(a.claim(session.code));
    a.append(session.code, &[event(1)]).expect("A writes");
    a.append(session.code, &[event(2), event(3)]).expect("A writes");

    cluster.terminate_lock_connection_of(&a);
    assert!(cluster.cancelled_soon(&a_lost), "A noticed within {PATIENCE:?} that its lock is gone");
    assert_not_owner(a.append(session.code, &[event(4)]));

    let b_lost = eventually("B owns the session A lost", || match b.claim(session.code) {
        Ok(Claim::Owned { lost }) => Some(lost),
        Ok(Claim::Elsewhere) => None,
        Err(err) => panic!("claim: {err}"),
    });
    b.append(session.code, &[event(5)]).expect("B writes");
    assert_not_owner(a.append(session.code, &[event(6)]));
    assert!(!b_lost.is_cancelled());
    assert_eq!(events_of(&b, session.code), vec![event(1), event(2), event(3), event(5)]);
}

#[test]
fn a_writer_whose_epoch_moved_on_cannot_commit_even_before_it_notices() {
    // What another node's claim does once this node's lock is gone but before this node has
    // seen its lock connection close: the epoch moves on.
    let cluster = Cluster::new();
    let a = cluster.node();
    let session = record(1, 1_000);
    a.create(&session).expect("create");
    let a_lost = owned(a.claim(session.code));
    a.append(session.code, &[event(1)]).expect("A writes");

    cluster.execute(&format!("UPDATE sessions SET epoch = epoch + 1 WHERE code = '{}'", session.code));
    assert!(!a_lost.is_cancelled(), "A's lock connection is alive: nothing told A yet");
    assert_not_owner(a.append(session.code, &[event(2)]));
    assert!(a_lost.is_cancelled(), "a refused commit makes A give the session up");
    assert_eq!(events_of(&a, session.code), vec![event(1)]);

    // Nobody else holds the lock here, so A may take the session back, at a new epoch.
    owned(a.claim(session.code));
    a.append(session.code, &[event(3)]).expect("A writes again");
    assert_eq!(events_of(&a, session.code), vec![event(1), event(3)]);
}

#[test]
fn the_lock_connection_is_reopened_after_it_is_lost() {
    let cluster = Cluster::new();
    let a = cluster.node();
    let (first, second) = (record(1, 1_000), record(2, 2_000));
    a.create(&first).expect("create");
    a.create(&second).expect("create");
    let first_lost = owned(a.claim(first.code));
    let old_pid = cluster.terminate_lock_connection_of(&a);
    assert!(cluster.cancelled_soon(&first_lost), "A noticed within {PATIENCE:?} that its lock is gone");

    let second_lost = eventually("A can claim again", || match a.claim(second.code) {
        Ok(Claim::Owned { lost }) => Some(lost),
        Ok(Claim::Elsewhere) => panic!("nobody else holds {}", second.code),
        Err(StoreError::Failed(_)) => None, // still reopening
        Err(err) => panic!("claim: {err}"),
    });
    assert_ne!(a.lock_backend_pid(), Some(old_pid));
    a.append(second.code, &[event(1)]).expect("A writes");
    assert!(!second_lost.is_cancelled());
    assert_eq!(events_of(&a, second.code), vec![event(1)]);
}

#[test]
fn a_session_deleted_by_another_node_is_no_longer_written() {
    let cluster = Cluster::new();
    let (a, b) = (cluster.node(), cluster.node());
    let session = record(1, 1_000);
    a.create(&session).expect("create");
    let a_lost = owned(a.claim(session.code));
    b.delete(session.code).expect("B deletes an expired session");
    let appended = a.append(session.code, &[event(1)]);
    assert!(matches!(appended, Err(StoreError::UnknownSession(_))), "{appended:?}");
    assert!(a_lost.is_cancelled());
    assert_eq!(a.load(session.code).expect("load"), None);
}

#[test]
fn deleting_a_session_gives_its_writing_up() {
    let cluster = Cluster::new();
    let (a, b) = (cluster.node(), cluster.node());
    let session = record(1, 1_000);
    a.create(&session).expect("create");
    let a_lost = owned(a.claim(session.code));
    a.delete(session.code).expect("delete");
    assert!(a_lost.is_cancelled());

    b.create(&session).expect("the code is free again");
    eventually("B owns the session A deleted", || match b.claim(session.code) {
        Ok(Claim::Owned { lost }) => Some(lost),
        Ok(Claim::Elsewhere) => None,
        Err(err) => panic!("claim: {err}"),
    });
    b.append(session.code, &[event(1)]).expect("B writes");
}

#[test]
fn claiming_an_unknown_session_holds_nothing() {
    let cluster = Cluster::new();
    let (a, b) = (cluster.node(), cluster.node());
    let unknown = code(404);
    assert!(matches!(a.claim(unknown), Err(StoreError::UnknownSession(_))));
    a.create(&record(404, 1_000)).expect("create");
    owned(b.claim(unknown));
}

#[test]
fn nodes_starting_together_migrate_the_schema_once() {
    let cluster = Cluster::new();
    let url = TestPostgres::shared().url(&cluster.database);
    let (a, b, c) = cluster.runtime.block_on(async {
        tokio::join!(PostgresStore::connect(&url), PostgresStore::connect(&url), PostgresStore::connect(&url))
    });
    let nodes = [a.expect("node A"), b.expect("node B"), c.expect("node C")];
    let versions = "SELECT count(*) - count(DISTINCT version) FROM schema_version";
    assert_eq!(TestPostgres::shared().query_i64(&cluster.database, versions), 0, "each migration once");
    let applied = "SELECT count(*) FROM schema_version";
    assert_eq!(TestPostgres::shared().query_i64(&cluster.database, applied), 2);
    nodes[0].create(&record(1, 1_000)).expect("create");
    assert!(nodes.iter().all(|node| node.shared()));
    assert_eq!(nodes[2].load_all().expect("load all"), vec![(record(1, 1_000), vec![])]);
}

/// A fresh database on the shared test server, and the runtime its nodes' stores wait on.
struct Cluster {
    database: String,
    runtime: Runtime,
}

impl Cluster {
    fn new() -> Cluster {
        let database = TestPostgres::shared().fresh_database();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        Cluster { database, runtime }
    }

    /// One more node on the database.
    fn node(&self) -> PostgresStore {
        let url = TestPostgres::shared().url(&self.database);
        self.runtime.block_on(PostgresStore::connect(&url)).expect("connect")
    }

    fn execute(&self, sql: &str) {
        TestPostgres::shared().execute(&self.database, sql);
    }

    /// Ends `node`'s lock connection at the server, as a network cut or a failover would;
    /// returns the ended connection's server pid.
    fn terminate_lock_connection_of(&self, node: &PostgresStore) -> i32 {
        let pid = node.lock_backend_pid().expect("the node has a lock connection");
        let terminated = TestPostgres::shared()
            .query_i64("postgres", &format!("SELECT pg_terminate_backend({pid})::int::int8"));
        assert_eq!(terminated, 1, "the lock connection {pid} was found and ended");
        pid
    }

    fn cancelled_soon(&self, token: &CancellationToken) -> bool {
        self.runtime.block_on(async { tokio::time::timeout(PATIENCE, token.cancelled()).await }).is_ok()
    }
}

fn owned(claim: Result<Claim, StoreError>) -> CancellationToken {
    match claim {
        Ok(Claim::Owned { lost }) => lost,
        other => panic!("expected to own the session, got {other:?}"),
    }
}

fn assert_not_owner(appended: Result<(), StoreError>) {
    assert!(matches!(appended, Err(StoreError::NotOwner(_))), "expected NotOwner, got {appended:?}");
}

fn events_of(store: &dyn Store, code: JoinCode) -> Vec<SessionEvent> {
    store.load(code).expect("load").expect("stored").1
}

/// Waits until `attempt` gives a value, for at most `PATIENCE`.
fn eventually<T>(what: &str, mut attempt: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = attempt() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {PATIENCE:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn code(number: u32) -> JoinCode {
    JoinCode::from_number(number).expect("a code below one million")
}

fn record(number: u32, created_at_ms: u64) -> SessionRecord {
    let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(number));
    SessionRecord {
        code: code(number),
        title: "Day".into(),
        key: SecretHash::of(&Secret::generate(&mut rng)),
        agenda: vec![AgendaItem::Scoring { prompt: "Q".into(), config: ScoringConfig::default() }],
        created_at_ms,
        language: Language::English,
        names: Names::Generated,
    }
}

/// The `n`th of a few kinds of events, so a mix-up of order or session shows.
fn event(n: u32) -> SessionEvent {
    match n % 3 {
        0 => SessionEvent::ActivityStarted { index: n },
        1 => SessionEvent::ParticipantJoined {
            pid: Pid(n),
            name: Some(format!("Person {n}")),
            zone: None,
            resume: SecretHash::of(&Secret::generate(&mut rand::rngs::StdRng::seed_from_u64(u64::from(n)))),
            follow_up: None,
        },
        _ => SessionEvent::LockSet { locked: n % 2 == 0 },
    }
}
