//! A connection's bounded outbound queue, as the session actor holds it: sending never waits,
//! and a connection whose queue is full is closed rather than waited for.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Close codes of the protocol.
pub mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    /// The client broke the WebSocket protocol.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// A frame far over the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The client kept breaking the rules (sending too fast).
    pub const POLICY_VIOLATION: u16 = 1008;
    /// The server could not store a change; the client should resume.
    pub const INTERNAL_ERROR: u16 = 1011;
    pub const NO_JOIN: u16 = 4001;
    pub const REPLACED: u16 = 4002;
    pub const SESSION_DELETED: u16 = 4003;
    pub const TOO_SLOW: u16 = 4004;
    /// A facilitator removed this participant; their resume token no longer works.
    pub const REMOVED: u16 = 4005;
    /// Another node serves the session now (or already did): reconnect after a moment, and
    /// the proxy routes to it.
    pub const ELSEWHERE: u16 = 4006;
}

/// Ends a connection once, with the first close code asked for. Cancelled by the server's
/// shutdown without a code, it closes with 1001.
#[derive(Debug)]
pub struct Closer {
    code: AtomicU16,
    token: CancellationToken,
}

impl Closer {
    pub fn new(token: CancellationToken) -> Closer {
        Closer { code: AtomicU16::new(0), token }
    }

    pub fn close(&self, code: u16) {
        if self.token.is_cancelled() {
            return; // already closing, perhaps for shutdown: the first reason stands
        }
        // Only the first reason counts: a slow client later replaced is still "too slow".
        let _first = self.code.compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
        self.token.cancel();
    }

    pub fn code(&self) -> u16 {
        match self.code.load(Ordering::SeqCst) {
            0 => close::GOING_AWAY,
            code => code,
        }
    }

    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

#[derive(Debug, Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Utf8Bytes>,
    closer: Arc<Closer>,
}

impl Outbox {
    pub fn new(frames: mpsc::Sender<Utf8Bytes>, closer: Arc<Closer>) -> Outbox {
        Outbox { frames, closer }
    }

    /// Queues a frame without waiting. Returns false if the connection is gone or was too
    /// slow, in which case it is being closed with 4004.
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        match self.frames.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::info!("closing a connection too slow to read");
                metrics::counter!(crate::metrics::CLOSED_TOO_SLOW).increment(1);
                self.closer.close(close::TOO_SLOW);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    pub fn close(&self, code: u16) {
        self.closer.close(code);
    }
}
