//! Lapp's wire protocol, v1: every frame clients and the server exchange, as Rust types.
//!
//! This crate is the only place that knows the JSON wire format. It does no I/O.
//!
//! # Layout
//! - [`ids`]: participant, card, group and note ids, join codes, scores: values whose rules
//!   live in their types.
//! - [`client`]: client → server frames and [`ClientFrame::decode`], which maps every bad
//!   frame to its protocol error code.
//! - [`server`]: server → client frames.
//! - [`agenda`]: the agenda, activity settings and the HTTP bodies that create a session.
//! - [`export`]: the body of a session's export.
//! - [`error`]: the error codes.
//! - [`limits`]: the bounds every peer keeps.

pub mod agenda;
pub mod client;
pub mod error;
pub mod export;
pub mod ids;
pub mod limits;
pub mod server;

pub use agenda::{
    ActivityKind, AgendaItem, CreateSession, GroupingConfig, HttpError, Language, Names, ScoringConfig,
    SessionCreated, SessionSummary, SessionUrls, validate_agenda,
};
pub use client::{CLIENT_TYPES, ClientFrame, ClientMsg, Expected, Join, Role};
pub use error::{DecodeError, ErrorCode};
pub use export::{
    ActivityExport, CardExport, ExportParticipant, GroupExport, NoteExport, ScoreExport, SessionExport,
};
pub use ids::{CardId, GroupId, JoinCode, NoteId, Pid, Score};
pub use server::{
    ActivityInfo, CardText, FeedNote, GroupView, Hand, Leaderboard, LeaderboardEntry, Member, NoteView,
    Phase, PosterGroup, Progress, Reveal, SERVER_TYPES, ServerMsg, SessionInfo, View, Welcome, You, Yours,
};
