//! The protocol's error codes, and the error a frame that cannot be decoded gives.

use serde::{Deserialize, Serialize};

/// Every `error.code` the server sends. Clients switch on these, not on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadJson,
    UnknownType,
    TooLarge,
    RateLimited,
    NotJoined,
    UnknownSession,
    UnsupportedVersion,
    Forbidden,
    BadResume,
    WrongPhase,
    NotYourCard,
    OwnCard,
    InvalidScore,
    EmptyText,
    TextTooLong,
    UnknownItem,
    SessionFull,
    /// A new participant's `join` while the facilitator has closed the session to newcomers.
    Locked,
    /// A request's `from` no longer matches the session: someone (another click, another tab,
    /// the timer) moved it first.
    Stale,
    /// A buddy request to someone who already has a buddy, or from someone who has one.
    Taken,
    /// A buddy request to one's own code.
    Yourself,
    /// More topics, notes or dots than the activity allows one participant.
    TooMany,
    /// A topic, table or vote of another table than the sender's.
    OtherTable,
    /// A topic merged into itself, into a topic merged away, or from another table.
    BadMerge,
    /// A thumb when the table has no open vote.
    NoVote,
    /// Another node serves the session right now (several nodes share a store): try again in a
    /// moment.
    Elsewhere,
    Internal,
}

impl ErrorCode {
    /// Every code, in the order they are declared.
    pub const ALL: [ErrorCode; 27] = [
        ErrorCode::BadJson,
        ErrorCode::UnknownType,
        ErrorCode::TooLarge,
        ErrorCode::RateLimited,
        ErrorCode::NotJoined,
        ErrorCode::UnknownSession,
        ErrorCode::UnsupportedVersion,
        ErrorCode::Forbidden,
        ErrorCode::BadResume,
        ErrorCode::WrongPhase,
        ErrorCode::NotYourCard,
        ErrorCode::OwnCard,
        ErrorCode::InvalidScore,
        ErrorCode::EmptyText,
        ErrorCode::TextTooLong,
        ErrorCode::UnknownItem,
        ErrorCode::SessionFull,
        ErrorCode::Locked,
        ErrorCode::Stale,
        ErrorCode::Taken,
        ErrorCode::Yourself,
        ErrorCode::TooMany,
        ErrorCode::OtherTable,
        ErrorCode::BadMerge,
        ErrorCode::NoVote,
        ErrorCode::Elsewhere,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad_json",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::NotJoined => "not_joined",
            ErrorCode::UnknownSession => "unknown_session",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::BadResume => "bad_resume",
            ErrorCode::WrongPhase => "wrong_phase",
            ErrorCode::NotYourCard => "not_your_card",
            ErrorCode::OwnCard => "own_card",
            ErrorCode::InvalidScore => "invalid_score",
            ErrorCode::EmptyText => "empty_text",
            ErrorCode::TextTooLong => "text_too_long",
            ErrorCode::UnknownItem => "unknown_item",
            ErrorCode::SessionFull => "session_full",
            ErrorCode::Locked => "locked",
            ErrorCode::Stale => "stale",
            ErrorCode::Taken => "taken",
            ErrorCode::Yourself => "yourself",
            ErrorCode::TooMany => "too_many",
            ErrorCode::OtherTable => "other_table",
            ErrorCode::BadMerge => "bad_merge",
            ErrorCode::NoVote => "no_vote",
            ErrorCode::Elsewhere => "elsewhere",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A frame the server could not turn into a request; becomes an `error` frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DecodeError {
    /// The frame's `rid` when it could still be read, so the client can match the error.
    pub rid: Option<u64>,
    pub code: ErrorCode,
    pub message: String,
}

impl DecodeError {
    pub fn new(rid: Option<u64>, code: ErrorCode, message: impl Into<String>) -> DecodeError {
        DecodeError { rid, code, message: message.into() }
    }
}
