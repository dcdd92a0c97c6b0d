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
//! - [`agenda`]: the agenda and the HTTP bodies that create a session.
//! - a module per method, with its settings, requests, frames and export: [`scoring`] (25/10),
//!   [`grouping`] (1-3-9), [`actions`] (micro-actions and buddies), [`leancoffee`] (Lean Coffee at
//!   every table) and [`retro`] (Plus/Delta).
//! - [`export`]: the body of a session's export.
//! - [`error`]: the error codes.
//! - [`limits`]: the bounds every peer keeps.

pub mod actions;
pub mod agenda;
pub mod client;
pub mod error;
pub mod export;
pub mod grouping;
pub mod ids;
pub mod leancoffee;
pub mod limits;
pub mod retro;
pub mod scoring;
pub mod server;

pub use actions::{
    ActionExport, ActionsConfig, ActionsMsg, ActionsProgress, Buddy, FollowUp, FollowUpItem, OwnAction,
    Person, SetStatus, Status, StatusExport, WallEntry,
};
pub use agenda::{
    ActivityKind, AgendaItem, CreateSession, HttpError, Language, Names, SessionCreated, SessionSummary,
    SessionUrls, validate_agenda,
};
pub use client::{ClientFrame, ClientMsg, Expected, Join, Role, client_types};
pub use error::{DecodeError, ErrorCode};
pub use export::{ActivityExport, ExportParticipant, SessionExport};
pub use grouping::{
    FeedNote, GroupExport, GroupView, GroupingConfig, GroupingMsg, Member, NoteExport, NoteView, PosterGroup,
};
pub use ids::{ActionId, CardId, GroupId, ItemId, JoinCode, NoteId, Pid, RetroNoteId, Score, TopicId};
pub use leancoffee::{
    DotsExport, HallView, ItemExport, ItemView, LeanCoffeeConfig, LeanCoffeeMsg, LeanCoffeeProgress,
    TableExport, TableSummary, TableView, Thumb, ThumbsView, TopTopic, TopicExport, TopicView, VoteExport,
    VoteOutcome,
};
pub use retro::{RetroConfig, RetroMsg, RetroNoteExport, RetroNoteView, RetroProgress};
pub use scoring::{
    CardExport, CardText, Hand, Leaderboard, LeaderboardEntry, Reveal, ScoreExport, ScoringConfig,
    ScoringMsg, Yours,
};
pub use server::{ActivityInfo, Phase, Progress, SERVER_TYPES, ServerMsg, SessionInfo, View, Welcome, You};
