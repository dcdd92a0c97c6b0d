//! A Plus/Delta retrospective (or any other columns, such as Start/Stop/Continue): everyone
//! adds short notes to the columns, live on the screen, with an optional dot vote that orders
//! one column. Phases: lobby → collect → vote (only with `dots`) → done.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Role;
use crate::error::ErrorCode;
use crate::ids::RetroNoteId;

/// Settings of a retrospective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetroConfig {
    /// The columns' labels, 2 to 4 of them.
    pub columns: Vec<String>,
    /// Notes each participant may add to each column.
    pub max_notes: u32,
    /// Longest note, in characters.
    pub max_chars: u32,
    /// Dots each participant may put on the notes of `vote_column`; 0 means no vote.
    pub dots: u32,
    /// The column the vote orders (0-based); by default Delta, what to change.
    pub vote_column: u32,
}

impl Default for RetroConfig {
    fn default() -> Self {
        RetroConfig {
            columns: vec!["Plus".into(), "Delta".into()],
            max_notes: 10,
            max_chars: 140,
            dots: 0,
            vote_column: 1,
        }
    }
}

/// The retrospective's requests; in [`crate::ClientMsg::Retro`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum RetroMsg {
    /// Adds a note to a column (collect); the `ack` names it (`retro`).
    #[serde(rename = "retro.add")]
    RetroAdd { column: u32, text: String },
    /// Deletes one's own note (collect).
    #[serde(rename = "retro.delete")]
    RetroDelete { note: RetroNoteId },
    /// Puts `count` of one's dots on a note of the vote column (vote); 0 takes them back.
    #[serde(rename = "retro.dots")]
    RetroDots { note: RetroNoteId, count: u32 },
    /// Facilitators: hides a note from everyone but facilitators, or shows it again.
    #[serde(rename = "retro.hide")]
    RetroHide { note: RetroNoteId, hidden: bool },
}

impl RetroMsg {
    /// The wire `type` of every retrospective request.
    pub const TYPES: [&str; 4] = ["retro.add", "retro.delete", "retro.dots", "retro.hide"];

    /// Who may send it.
    pub fn role(&self) -> Role {
        match self {
            RetroMsg::RetroHide { .. } => Role::Facilitator,
            _ => Role::Participant,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            RetroMsg::RetroAdd { .. } => "retro.add",
            RetroMsg::RetroDelete { .. } => "retro.delete",
            RetroMsg::RetroDots { .. } => "retro.dots",
            RetroMsg::RetroHide { .. } => "retro.hide",
        }
    }

    /// The fields whose bad values have an error code of their own rather than `bad_json`.
    pub(crate) fn check_fields(
        type_name: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), (ErrorCode, String)> {
        match type_name {
            "retro.delete" | "retro.dots" | "retro.hide" => {
                crate::client::id_field::<RetroNoteId>(fields, "note")
            }
            _ => Ok(()),
        }
    }
}

/// A note on the board: anonymous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroNoteView {
    pub id: RetroNoteId,
    pub column: u32,
    pub text: String,
    /// The participant wrote it (only in a whole `retro` frame, and in the update its author
    /// alone gets when it is shown again; a phone remembers its own notes from their `ack`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
    /// All dots on it, on the vote column's notes when there is a vote: facilitators always,
    /// everyone once the vote has closed (`done`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dots: Option<u32>,
    /// The participant's own dots on it (only in a whole `retro` frame).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub my_dots: u32,
    /// Hidden by a facilitator: only facilitators get it, marked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// How far the hall is, in `progress.retro`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroProgress {
    /// Notes per column, not hidden or deleted.
    pub notes: Vec<u32>,
    /// Participants with at least one note on the board (not hidden or deleted).
    pub writers: u32,
    /// Participants who have placed at least one dot.
    pub voters: u32,
}

/// A note in the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroNoteExport {
    pub id: RetroNoteId,
    pub column: u32,
    /// The column's label.
    pub label: String,
    pub author: crate::ids::Pid,
    pub text: String,
    pub dots: u32,
    pub hidden: bool,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}
