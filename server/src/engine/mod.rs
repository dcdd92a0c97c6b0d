//! The activity engines: deterministic state machines with no I/O.
//!
//! **Architecture Invariant:** nothing under `engine` knows of tokio, sockets or storage.
//! Given a state, a command and a random source an engine returns events or an error;
//! applying events is deterministic, which is what makes the engines property-testable and
//! their event logs replayable.

pub mod grouping;
pub mod labels;
pub mod scoring;

use lapp_protocol::ErrorCode;

/// A command an engine refused: the protocol code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into() }
    }
}

/// Checks a card's or note's text: trimmed, not empty, not longer than `max_chars`.
pub fn clean_text(text: &str, max_chars: u32) -> Result<String, Refusal> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Refusal::new(ErrorCode::EmptyText, "the text is empty"));
    }
    if trimmed.chars().count() > max_chars as usize {
        return Err(Refusal::new(
            ErrorCode::TextTooLong,
            format!("the text is longer than {max_chars} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}
