//! `GET /api/sessions/{code}/export`: everything a session holds, authors and scorers by pid
//! only (names are not exported).

use serde::{Deserialize, Serialize};

use crate::agenda::{ActivityKind, AgendaItem};
use crate::ids::{CardId, GroupId, JoinCode, NoteId, Pid, Score};

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupExport {
    pub id: GroupId,
    pub level: u32,
    pub label: String,
    pub members: Vec<Pid>,
    /// The groups of the level before that were merged into this one.
    #[serde(default)]
    pub merged: Vec<GroupId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteExport {
    pub id: NoteId,
    pub author: Pid,
    pub text: String,
    /// 0 for a note written alone, else the level it was written at.
    pub level: u32,
    /// The group it was written in; none for a note written alone.
    pub group: Option<GroupId>,
    pub hidden: bool,
    /// Deleted by its author: its text is gone (empty) and it leaves every view.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Stars at each level, `stars[0]` being level 1, up to the last level where it was
    /// ever starred (a note never starred has none).
    pub stars: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardExport {
    pub id: CardId,
    pub author: Pid,
    pub text: String,
    pub hidden: bool,
    pub total: u32,
    pub count: u32,
    pub scores: Vec<ScoreExport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreExport {
    pub round: u32,
    pub pid: Pid,
    pub score: Score,
}
