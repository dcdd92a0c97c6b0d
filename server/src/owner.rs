//! Which node serves a session. On one node (SQLite) every session is started when the server
//! starts or the session is created, and this only finds it. With a shared store (PostgreSQL,
//! several nodes behind a proxy that routes by join code) a node starts a session when a client
//! first asks for it and no other live node serves it: it claims the session in the store,
//! replays its events and starts its actor, which stops the moment the claim is lost.

use std::sync::Arc;

use lapp_protocol::JoinCode;
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::actor::{self, SessionHandle};
use crate::session::Session;
use crate::store::{Claim, StoreError};

/// Why no session could be found for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// No session has that code.
    Unknown,
    /// Another live node serves it: try again in a moment (the proxy may route elsewhere by
    /// then, or the other node may have gone).
    Elsewhere,
    /// The store could not answer.
    Failed,
}

/// The running session with `code`, started here if the store is shared and no other node
/// serves it.
pub async fn find(state: &AppState, code: JoinCode) -> Result<SessionHandle, Missing> {
    if let Some(handle) = running(state, code) {
        return Ok(handle);
    }
    if !state.store.shared() {
        return Err(Missing::Unknown);
    }
    // Claimed, loaded and started in a task of its own: a request given up halfway (a phone
    // that closed its page) must not leave the session claimed with no actor to serve it.
    let state = state.clone();
    tokio::spawn(async move { claim_and_start(&state, code).await }).await.unwrap_or(Err(Missing::Failed))
}

async fn claim_and_start(state: &AppState, code: JoinCode) -> Result<SessionHandle, Missing> {
    // One claim at a time: a hall reconnecting after a node died asks for the same session a
    // thousand times at once, and only the first should load it.
    let _one_at_a_time = state.claiming.lock().await;
    if let Some(handle) = running(state, code) {
        return Ok(handle);
    }
    let store = Arc::clone(&state.store);
    let claimed = tokio::task::spawn_blocking(move || {
        let lost = match store.claim(code)? {
            Claim::Owned { lost } => lost,
            Claim::Elsewhere => return Ok(None),
        };
        match store.load(code) {
            Ok(Some(stored)) => Ok(Some((stored, lost))),
            Ok(None) => {
                store.release(code);
                Err(StoreError::UnknownSession(code))
            }
            Err(err) => {
                store.release(code);
                Err(err)
            }
        }
    })
    .await
    .unwrap_or_else(|panicked| Err(StoreError::Failed(panicked.to_string())));
    match claimed {
        Ok(Some(((record, events), lost))) => {
            let mut session = Session::replay(record, &events);
            session.hold_timer_after_restart();
            tracing::info!(%code, events = events.len(), "serving a session from the shared store");
            metrics::counter!(crate::metrics::SESSIONS_TAKEN).increment(1);
            Ok(start(state, session, lost))
        }
        Ok(None) => Err(Missing::Elsewhere),
        Err(StoreError::UnknownSession(_)) => Err(Missing::Unknown),
        Err(err) => {
            tracing::error!(%err, %code, "could not claim a session");
            Err(Missing::Failed)
        }
    }
}

/// Starts `session`'s actor and registers it. It stops when `lost` is cancelled.
pub fn start(state: &AppState, session: Session, lost: CancellationToken) -> SessionHandle {
    let code = session.code;
    let handle = actor::spawn(
        session,
        Arc::clone(&state.store),
        Arc::clone(&state.limits),
        Arc::clone(&state.client_version),
        actor::Stop { shutdown: state.shutdown.clone(), lost },
        &state.tracker,
    );
    state.registry.insert(code, handle.clone());
    handle
}

/// Deletes an expired session that no actor here serves, unless its follow-up links still
/// keep it; with a shared store, only if this node can claim it (another node serving it
/// deletes it itself). Whether it was deleted.
pub async fn expire_unserved(state: &AppState, code: JoinCode) -> Result<bool, StoreError> {
    let _one_at_a_time = state.claiming.lock().await;
    let store = Arc::clone(&state.store);
    tokio::task::spawn_blocking(move || {
        // Not asking the node that serves it to hand it over: that node deletes it itself.
        if let Claim::Elsewhere = store.claim_if_free(code)? {
            return Ok(false);
        }
        let kept = store.load(code).map(|stored| {
            stored
                .map(|(record, events)| Session::replay(record, &events))
                .is_some_and(|session| crate::followup::kept_until(&session) > crate::now_ms())
        });
        let deleted = match kept {
            Ok(false) => store.delete(code).map(|()| true),
            Ok(true) => Ok(false),
            Err(err) => Err(err),
        };
        // Whatever happened, no actor serves it here: the claim goes (deleting released it).
        store.release(code);
        deleted
    })
    .await
    .unwrap_or_else(|panicked| Err(StoreError::Failed(panicked.to_string())))
}

/// The session's actor, if it runs here. One that stopped (its claim was lost) is forgotten.
pub fn running(state: &AppState, code: JoinCode) -> Option<SessionHandle> {
    let handle = state.registry.get(&code)?.value().clone();
    if handle.stopped() {
        state.registry.remove_if(&code, |_, handle| handle.stopped());
        return None;
    }
    Some(handle)
}
