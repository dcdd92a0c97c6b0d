//! `GET /api/sessions/{code}/export`: everything a session holds, authors and scorers by pid
//! only (names are not exported).

use serde::{Deserialize, Serialize};

use crate::actions::ActionExport;
use crate::agenda::{ActivityKind, AgendaItem};
use crate::grouping::{GroupExport, NoteExport};
use crate::ids::{JoinCode, Pid};
use crate::leancoffee::TableExport;
use crate::retro::RetroNoteExport;
use crate::scoring::CardExport;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionExport {
    pub code: JoinCode,
    pub title: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    pub agenda: Vec<AgendaItem>,
    pub participants: Vec<ExportParticipant>,
    /// The activities that have been started, by agenda index.
    pub activities: Vec<ActivityExport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportParticipant {
    pub pid: Pid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Removed by a facilitator: their cards and notes are hidden.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityExport {
    pub index: u32,
    pub kind: ActivityKind,
    pub prompt: String,
    #[serde(default)]
    pub cards: Vec<CardExport>,
    #[serde(default)]
    pub groups: Vec<GroupExport>,
    #[serde(default)]
    pub notes: Vec<NoteExport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionExport>,
    /// Lean Coffee: each table's topics, dots, votes and action items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableExport>,
    /// A retrospective's notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retro: Vec<RetroNoteExport>,
}
