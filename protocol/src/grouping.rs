//! The 1-3-9 (grouping): its settings, requests, frames and export. Everyone answers alone,
//! then in groups that merge level by level, starring notes, and the hall ends on a poster.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Role;
use crate::error::ErrorCode;
use crate::ids::{GroupId, NoteId, Pid};

/// The 1-3-9's requests; in [`crate::ClientMsg::Grouping`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum GroupingMsg {
    #[serde(rename = "note.add")]
    NoteAdd { text: String },
    #[serde(rename = "note.star")]
    NoteStar { note: NoteId, on: bool },
    #[serde(rename = "note.edit")]
    NoteEdit { note: NoteId, text: String },
    #[serde(rename = "note.delete")]
    NoteDelete { note: NoteId },
    #[serde(rename = "note.hide")]
    NoteHide { note: NoteId, hidden: bool },
}

impl GroupingMsg {
    /// The wire `type` of every 1-3-9 request.
    pub const TYPES: [&str; 5] = ["note.add", "note.star", "note.edit", "note.delete", "note.hide"];

    /// Who may send it.
    pub fn role(&self) -> Role {
        match self {
            GroupingMsg::NoteHide { .. } => Role::Facilitator,
            _ => Role::Participant,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            GroupingMsg::NoteAdd { .. } => "note.add",
            GroupingMsg::NoteStar { .. } => "note.star",
            GroupingMsg::NoteEdit { .. } => "note.edit",
            GroupingMsg::NoteDelete { .. } => "note.delete",
            GroupingMsg::NoteHide { .. } => "note.hide",
        }
    }

    /// The fields whose bad values have an error code of their own rather than `bad_json`.
    pub(crate) fn check_fields(
        type_name: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), (ErrorCode, String)> {
        match type_name {
            "note.add" => Ok(()),
            _ => crate::client::id_field::<NoteId>(fields, "note"),
        }
    }
}

/// Settings of a 1-3-9 (grouping) activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupingConfig {
    /// Target group size at each level: `[3, 9]`, `[3, 6]`, `[2, 4]`.
    pub sizes: Vec<u32>,
    /// Longest note text, in characters.
    pub max_chars: u32,
}

impl Default for GroupingConfig {
    fn default() -> Self {
        GroupingConfig { sizes: vec![3, 9], max_chars: 280 }
    }
}

/// A note as facilitators moderate it, in `feed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedNote {
    pub id: NoteId,
    pub text: String,
    /// 0 for a note written alone.
    pub level: u32,
    /// The label of the group it was written in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub hidden: bool,
    /// Deleted by its author: drop it (its text is gone).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub pid: Pid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteView {
    pub id: NoteId,
    pub text: String,
    pub stars: u32,
    /// The group the note was brought in from, at level 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<GroupId>,
    /// Who starred it at this level, so each member's phone shows their own star.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starred_by: Vec<Pid>,
}

/// A participant's group at a level: who is in it, its label and its notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub level: u32,
    pub id: GroupId,
    pub label: String,
    pub members: Vec<Member>,
    pub notes: Vec<NoteView>,
}

impl GroupView {
    /// Puts a `notes` frame's changes into the group it is for (one of another group changes
    /// nothing): each note replaces the one of its id where it stands, or, new, goes at the end
    /// in the order given; the removed ones are taken away. Applying the same frame twice
    /// changes nothing more.
    pub fn apply(&mut self, group: GroupId, notes: &[NoteView], removed: &[NoteId]) {
        if group != self.id {
            return;
        }
        self.notes.retain(|note| !removed.contains(&note.id));
        for changed in notes {
            match self.notes.iter_mut().find(|note| note.id == changed.id) {
                Some(note) => *note = changed.clone(),
                None => self.notes.push(changed.clone()),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosterGroup {
    pub id: GroupId,
    pub label: String,
    pub notes: Vec<NoteView>,
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
