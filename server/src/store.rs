//! Where sessions and their events are kept. The session actor writes every batch of events
//! here before it acknowledges any of them; at start the server replays them.

pub mod postgres;
pub mod sqlite;

use std::collections::HashMap;
use std::sync::Mutex;

use lapp_protocol::JoinCode;
use tokio_util::sync::CancellationToken;

use crate::session::SessionEvent;
pub use crate::session::SessionRecord;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("session {0} is not in the store")]
    UnknownSession(JoinCode),
    #[error("session {0} exists already")]
    Duplicate(JoinCode),
    #[error("the store failed: {0}")]
    Failed(String),
    #[error("this node no longer owns session {0}")]
    NotOwner(JoinCode),
}

/// Whether this node may write a session.
#[derive(Debug, Clone)]
pub enum Claim {
    /// This node is the session's one writer until `lost` is cancelled (never, for a single-node store).
    Owned { lost: CancellationToken },
    /// Another live node writes it.
    Elsewhere,
}

/// A session store. `append` returning `Ok` means the events are durable.
pub trait Store: Send + Sync + 'static {
    fn create(&self, record: &SessionRecord) -> Result<(), StoreError>;
    fn append(&self, code: JoinCode, events: &[SessionEvent]) -> Result<(), StoreError>;
    /// One session's record and events, if it is stored.
    fn load(&self, code: JoinCode) -> Result<Option<(SessionRecord, Vec<SessionEvent>)>, StoreError>;
    /// Erases a session and every event of it.
    fn delete(&self, code: JoinCode) -> Result<(), StoreError>;
    /// Every session with its events in order, oldest session first, for replay at start.
    fn load_all(&self) -> Result<Vec<(SessionRecord, Vec<SessionEvent>)>, StoreError>;
    /// Sessions created before `before_ms` (milliseconds since the Unix epoch).
    fn created_before(&self, before_ms: u64) -> Result<Vec<JoinCode>, StoreError>;

    /// Makes this node the one writer of `code`, if no other live node is.
    fn claim(&self, _code: JoinCode) -> Result<Claim, StoreError> {
        Ok(Claim::Owned { lost: CancellationToken::new() })
    }

    /// Like `claim`, but without asking a node that serves `code` to hand it over.
    fn claim_if_free(&self, code: JoinCode) -> Result<Claim, StoreError> {
        self.claim(code)
    }

    /// Gives up being `code`'s writer (its actor stopped).
    fn release(&self, _code: JoinCode) {}

    /// Whether other nodes share this store: sessions are then loaded when a client asks for
    /// them, not all at start.
    fn shared(&self) -> bool {
        false
    }
}

/// Keeps everything in memory: for tests, and for running without a disk.
#[derive(Default)]
pub struct MemoryStore {
    sessions: Mutex<HashMap<JoinCode, (SessionRecord, Vec<SessionEvent>)>>,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JoinCode, (SessionRecord, Vec<SessionEvent>)>> {
        // A panic while holding the lock leaves the map whole: every change is one insert or push.
        self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Store for MemoryStore {
    fn create(&self, record: &SessionRecord) -> Result<(), StoreError> {
        match self.lock().entry(record.code) {
            std::collections::hash_map::Entry::Occupied(_) => Err(StoreError::Duplicate(record.code)),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((record.clone(), Vec::new()));
                Ok(())
            }
        }
    }

    fn load(&self, code: JoinCode) -> Result<Option<(SessionRecord, Vec<SessionEvent>)>, StoreError> {
        Ok(self.lock().get(&code).cloned())
    }

    fn append(&self, code: JoinCode, events: &[SessionEvent]) -> Result<(), StoreError> {
        let mut sessions = self.lock();
        let (_, log) = sessions.get_mut(&code).ok_or(StoreError::UnknownSession(code))?;
        log.extend_from_slice(events);
        Ok(())
    }

    fn delete(&self, code: JoinCode) -> Result<(), StoreError> {
        self.lock().remove(&code);
        Ok(())
    }

    fn load_all(&self) -> Result<Vec<(SessionRecord, Vec<SessionEvent>)>, StoreError> {
        let mut sessions: Vec<_> = self.lock().values().cloned().collect();
        sessions.sort_by_key(|(record, _)| record.created_at_ms);
        Ok(sessions)
    }

    fn created_before(&self, before_ms: u64) -> Result<Vec<JoinCode>, StoreError> {
        Ok(self
            .lock()
            .values()
            .filter(|(record, _)| record.created_at_ms < before_ms)
            .map(|(r, _)| r.code)
            .collect())
    }
}
