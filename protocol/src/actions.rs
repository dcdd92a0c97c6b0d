//! The micro-actions (#mikrohandling): everyone writes one small action to start tomorrow,
//! pairs with a buddy who will follow up, and chooses whether it goes on the wall. After the
//! event, each participant's follow-up link shows both actions and their statuses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Role;
use crate::error::ErrorCode;
use crate::ids::{ActionId, Pid};

/// Settings of an actions activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionsConfig {
    /// Longest action text, in characters.
    pub max_chars: u32,
    /// Days after the session on which buddies follow up; each gets a calendar reminder.
    pub follow_up_days: Vec<u32>,
}

impl Default for ActionsConfig {
    fn default() -> Self {
        ActionsConfig { max_chars: 280, follow_up_days: vec![7, 30] }
    }
}

/// The micro-actions' requests; in [`crate::ClientMsg::Actions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ActionsMsg {
    /// Writes or rewrites one's action (writing and pairing; a first one also later).
    #[serde(rename = "action.write")]
    ActionWrite { text: String },
    /// Whether one's action appears on the wall (anonymously); not shown until asked.
    #[serde(rename = "action.wall")]
    ActionWall { shown: bool },
    /// Facilitators: takes an action off the wall, or puts it back.
    #[serde(rename = "action.hide")]
    ActionHide { action: ActionId, hidden: bool },
    /// Asks the participant whose buddy code this is to be one's buddy (pairing).
    #[serde(rename = "buddy.ask")]
    BuddyAsk { code: String },
    /// Accepts or declines the request of `pid`.
    #[serde(rename = "buddy.answer")]
    BuddyAnswer { pid: Pid, accept: bool },
    /// Takes back one's own request.
    #[serde(rename = "buddy.withdraw")]
    BuddyWithdraw {},
    /// Undoes one's pairing, for both (pairing only).
    #[serde(rename = "buddy.undo")]
    BuddyUndo {},
    /// One contact line for one's buddies; empty clears it. A buddy sees it only when both
    /// have left one.
    #[serde(rename = "contact.set")]
    ContactSet { text: String },
    /// How one's action is going, with an optional short note.
    #[serde(rename = "action.status")]
    ActionStatus {
        status: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

impl ActionsMsg {
    /// The wire `type` of every micro-action request.
    pub const TYPES: [&str; 9] = [
        "action.write",
        "action.wall",
        "action.hide",
        "buddy.ask",
        "buddy.answer",
        "buddy.withdraw",
        "buddy.undo",
        "contact.set",
        "action.status",
    ];

    /// Who may send it.
    pub fn role(&self) -> Role {
        match self {
            ActionsMsg::ActionHide { .. } => Role::Facilitator,
            _ => Role::Participant,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            ActionsMsg::ActionWrite { .. } => "action.write",
            ActionsMsg::ActionWall { .. } => "action.wall",
            ActionsMsg::ActionHide { .. } => "action.hide",
            ActionsMsg::BuddyAsk { .. } => "buddy.ask",
            ActionsMsg::BuddyAnswer { .. } => "buddy.answer",
            ActionsMsg::BuddyWithdraw {} => "buddy.withdraw",
            ActionsMsg::BuddyUndo {} => "buddy.undo",
            ActionsMsg::ContactSet { .. } => "contact.set",
            ActionsMsg::ActionStatus { .. } => "action.status",
        }
    }

    /// The fields whose bad values have an error code of their own rather than `bad_json`.
    pub(crate) fn check_fields(
        type_name: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), (ErrorCode, String)> {
        match type_name {
            "action.hide" => crate::client::id_field::<ActionId>(fields, "action"),
            "buddy.answer" => crate::client::id_field::<Pid>(fields, "pid"),
            _ => Ok(()),
        }
    }
}

/// How an action is going.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    NotStarted,
    Started,
    Done,
}

/// Someone in the hall, as a buddy request shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub pid: Pid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// One's buddy: who they are, their action, and their contact line once both left one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buddy {
    pub pid: Pid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default)]
    pub status: Status,
}

/// A participant's own side of the activity: the `action` frame, and `welcome.view.action`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnAction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ActionId>,
    /// One's action; none until written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Shown on the wall.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wall: bool,
    /// One's buddy code (four digits), while pairing and without a buddy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// One's buddy, or two in a trio.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buddies: Vec<Buddy>,
    /// Paired at random when pairing closed, rather than by code.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub random: bool,
    /// Whom one has asked, until they answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked: Option<Person>,
    /// Who is asking to be one's buddy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asking: Vec<Person>,
    /// One's own contact line (never shown to anyone else unless both buddies left one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default)]
    pub status: Status,
}

/// An action on the wall: anonymous. Facilitators also get the hidden ones, marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WallEntry {
    pub id: ActionId,
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// How far the hall is with its actions, in `progress.actions`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionsProgress {
    pub written: u32,
    /// Participants paired by code (both sides count).
    pub paired_chosen: u32,
    /// Participants paired at random.
    pub paired_random: u32,
    /// Actions shown on the wall (not hidden).
    pub on_wall: u32,
    /// Buddy requests waiting for an answer.
    pub asking: u32,
    pub started: u32,
    pub done: u32,
}

/// One action in the export: never the contact lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionExport {
    pub id: ActionId,
    pub author: Pid,
    pub text: String,
    pub buddies: Vec<Pid>,
    /// Paired at random rather than by code.
    pub random: bool,
    pub wall: bool,
    pub hidden: bool,
    pub statuses: Vec<StatusExport>,
}

/// A status as it was set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusExport {
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// `GET /api/sessions/{code}/follow-up/{token}`: what a follow-up link shows, from any device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub title: String,
    /// When the session was created, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    pub language: crate::Language,
    /// One per actions activity the participant wrote an action in.
    pub actions: Vec<FollowUpItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpItem {
    /// The activity's agenda index, as `POST` names it.
    pub index: u32,
    pub prompt: String,
    pub text: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub buddies: Vec<Buddy>,
    /// The follow-up days, after the session's date.
    pub follow_up_days: Vec<u32>,
}

/// `POST /api/sessions/{code}/follow-up/{token}` body: the owner sets a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetStatus {
    pub index: u32,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
