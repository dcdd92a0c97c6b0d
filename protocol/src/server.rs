//! Server → client frames.

use serde::{Deserialize, Serialize};

use crate::actions::{ActionsProgress, OwnAction, WallEntry};
use crate::agenda::{ActivityKind, AgendaItem, Language};
use crate::client::Role;
use crate::error::ErrorCode;
use crate::grouping::{FeedNote, GroupView, NoteView, PosterGroup};
use crate::ids::{ActionId, CardId, GroupId, ItemId, JoinCode, NoteId, Pid, RetroNoteId, TopicId};
use crate::leancoffee::{HallView, LeanCoffeeProgress, TableView};
use crate::retro::{RetroNoteView, RetroProgress};
use crate::scoring::{CardText, Hand, Leaderboard, Reveal, Yours};

/// Every frame the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerMsg {
    #[serde(rename = "welcome")]
    Welcome(Box<Welcome>),
    #[serde(rename = "activity")]
    Activity(ActivityInfo),
    #[serde(rename = "mine")]
    Mine { card: Option<CardText> },
    #[serde(rename = "hand")]
    Hand(Hand),
    #[serde(rename = "progress")]
    Progress(Progress),
    #[serde(rename = "leaderboard")]
    Leaderboard(Leaderboard),
    #[serde(rename = "results")]
    Results { yours: Option<Yours> },
    #[serde(rename = "group")]
    Group(GroupView),
    /// What changed in a participant's group since its last `group`: `notes` added or changed
    /// (see [`GroupView::apply`]) and `removed`.
    #[serde(rename = "notes")]
    Notes {
        group: GroupId,
        notes: Vec<NoteView>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        removed: Vec<NoteId>,
    },
    #[serde(rename = "poster")]
    Poster {
        groups: Vec<PosterGroup>,
        /// For participants: the hall's most-starred notes, best first.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        top: Vec<NoteView>,
    },
    #[serde(rename = "agenda")]
    Agenda {
        agenda: Vec<AgendaItem>,
        /// The items that have been started, as in `welcome.session.started`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        started: Vec<u32>,
    },
    #[serde(rename = "feed")]
    Feed { notes: Vec<FeedNote> },
    #[serde(rename = "lock")]
    Lock { locked: bool },
    #[serde(rename = "reveal")]
    Reveal(Reveal),
    #[serde(rename = "action")]
    Action(OwnAction),
    /// The wall; with `update`, only what changed since the last `wall`: `actions` to add or
    /// replace (by id) and `removed` to take away.
    #[serde(rename = "wall")]
    Wall {
        actions: Vec<WallEntry>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        removed: Vec<ActionId>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        update: bool,
    },
    /// One Lean Coffee table: to its members when it changes, to facilitators at the next tick.
    #[serde(rename = "table")]
    Table(TableView),
    /// Every Lean Coffee table in brief, to facilitators and screens at the tick after a change.
    #[serde(rename = "tables")]
    Tables(HallView),
    /// The retrospective's board; with `update`, only what changed since the last `retro`:
    /// `notes` to add or replace (by id) and `removed` to take away.
    #[serde(rename = "retro")]
    Retro {
        notes: Vec<RetroNoteView>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        removed: Vec<RetroNoteId>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        update: bool,
    },
    #[serde(rename = "ack")]
    Ack {
        rid: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card: Option<CardId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<NoteId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<ActionId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<TopicId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<ItemId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retro: Option<RetroNoteId>,
    },
    #[serde(rename = "error")]
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<u64>,
        code: ErrorCode,
        message: String,
    },
    #[serde(rename = "pong")]
    Pong {},
}

/// The wire `type` of every server frame.
pub const SERVER_TYPES: [&str; 21] = [
    "welcome",
    "activity",
    "mine",
    "hand",
    "progress",
    "leaderboard",
    "results",
    "group",
    "poster",
    "agenda",
    "feed",
    "lock",
    "reveal",
    "action",
    "wall",
    "table",
    "tables",
    "retro",
    "ack",
    "error",
    "pong",
];

impl ServerMsg {
    /// The frame as JSON text. Serializing these types cannot fail: no maps with non-string
    /// keys, no floats.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|err| {
            format!(r#"{{"type":"error","code":"internal","message":"encoding failed: {err}"}}"#)
        })
    }

    /// The wire name of this frame, as in its `type` field.
    pub fn type_name(&self) -> &'static str {
        match self {
            ServerMsg::Welcome(_) => "welcome",
            ServerMsg::Activity(_) => "activity",
            ServerMsg::Mine { .. } => "mine",
            ServerMsg::Hand(_) => "hand",
            ServerMsg::Progress(_) => "progress",
            ServerMsg::Leaderboard(_) => "leaderboard",
            ServerMsg::Results { .. } => "results",
            ServerMsg::Group(_) => "group",
            ServerMsg::Notes { .. } => "notes",
            ServerMsg::Poster { .. } => "poster",
            ServerMsg::Agenda { .. } => "agenda",
            ServerMsg::Feed { .. } => "feed",
            ServerMsg::Lock { .. } => "lock",
            ServerMsg::Reveal(_) => "reveal",
            ServerMsg::Action(_) => "action",
            ServerMsg::Wall { .. } => "wall",
            ServerMsg::Table(_) => "table",
            ServerMsg::Tables(_) => "tables",
            ServerMsg::Retro { .. } => "retro",
            ServerMsg::Ack { .. } => "ack",
            ServerMsg::Error { .. } => "error",
            ServerMsg::Pong {} => "pong",
        }
    }

    /// Reads a server frame (clients and tests use this).
    pub fn decode(text: &str) -> Result<ServerMsg, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn ack(rid: u64) -> ServerMsg {
        ServerMsg::Ack { rid, card: None, note: None, action: None, topic: None, item: None, retro: None }
    }

    pub fn error(rid: Option<u64>, code: ErrorCode, message: impl Into<String>) -> ServerMsg {
        ServerMsg::Error { rid, code, message: message.into() }
    }
}

/// The answer to `join`: who you are and the whole present state for your role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub you: You,
    /// Send it back as `join.resume` to come back as the same participant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<String>,
    /// A participant's follow-up link token: `/a/{code}#{follow_up}` shows their actions and
    /// buddies from any device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<String>,
    pub session: SessionInfo,
    pub view: View,
    /// The web client this server serves (a hash of its files): a page loaded from another
    /// version reloads itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct You {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<Pid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub code: JoinCode,
    pub title: String,
    pub agenda: Vec<AgendaItem>,
    /// The index of the current activity; `null` before the first is started.
    pub current: Option<u32>,
    /// The language group labels are worded in.
    #[serde(default)]
    pub language: Language,
    /// The agenda items that have been started: they keep their place and settings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub started: Vec<u32>,
    /// Closed to new participants (those who joined before still come back).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub locked: bool,
    /// What participants are called; left out when `free` (what they type).
    #[serde(default, skip_serializing_if = "crate::agenda::Names::is_free")]
    pub names: crate::agenda::Names,
}

/// The present state for one role: whatever of these applies now. A client that renders
/// this needs no history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine: Option<CardText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand: Option<Hand>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaderboard: Option<Leaderboard>,
    /// A participant's own result, once scoring has reached `results`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<Yours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal: Option<Reveal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<Vec<PosterGroup>>,
    /// A participant's own notes written alone (grouping, `solo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<NoteView>>,
    /// A participant at the poster: the hall's most-starred notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<Vec<NoteView>>,
    /// Facilitators, in a grouping activity: the latest notes, newest last, to moderate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<Vec<FeedNote>>,
    /// A participant in an actions activity: their action and buddies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<OwnAction>,
    /// An actions activity at its wall (facilitators also see the hidden actions, marked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall: Option<Vec<WallEntry>>,
    /// A participant in a Lean Coffee: their table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableView>,
    /// Facilitators in a Lean Coffee: every table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<Vec<TableView>>,
    /// Facilitators and screens in a Lean Coffee: the hall's view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hall: Option<HallView>,
    /// A retrospective's board (facilitators also get the hidden notes, marked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retro: Option<Vec<RetroNoteView>>,
}

/// Where an activity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Lobby,
    /// Scoring: everyone writes their card; actions: everyone writes their action.
    Writing,
    /// Scoring: cards are handed out and scored; `round` says which.
    Round,
    /// Scoring: done; participants see how their card did.
    Results,
    /// Grouping: everyone answers alone.
    Solo,
    /// Grouping: in groups; `level` says which size.
    Level,
    /// Grouping: the starred notes of every final group.
    Poster,
    /// Actions: buddies find each other by code.
    Pairing,
    /// Actions: everyone has a buddy; the wall shows the actions their writers chose to show.
    Wall,
    /// Lean Coffee: tables add topics; retro: everyone adds notes.
    Collect,
    /// Lean Coffee and retro: dots on topics or notes, blind until it closes.
    Vote,
    /// Lean Coffee: each table works through its ranked topics.
    Discuss,
    /// Lean Coffee and retro: finished; everything stays to read.
    Done,
}

impl Phase {
    /// The phase's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Lobby => "lobby",
            Phase::Writing => "writing",
            Phase::Round => "round",
            Phase::Results => "results",
            Phase::Solo => "solo",
            Phase::Level => "level",
            Phase::Poster => "poster",
            Phase::Pairing => "pairing",
            Phase::Wall => "wall",
            Phase::Collect => "collect",
            Phase::Vote => "vote",
            Phase::Discuss => "discuss",
            Phase::Done => "done",
        }
    }
}

/// Sent to everyone on every phase change, and whenever the timer changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityInfo {
    pub index: u32,
    pub kind: ActivityKind,
    pub prompt: String,
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    /// When the countdown ends, in server milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<u64>,
    /// The server's clock when this frame was made, so a phone with a wrong clock can still
    /// count down: remaining = deadline - now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<u64>,
}

/// How far the hall is, for facilitators and the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// The grouping level, while one is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    /// Participants who have ever joined the session.
    pub participants: u32,
    /// Participants connected now.
    pub connected: u32,
    /// Cards written (scoring).
    pub cards: u32,
    /// Hands given out this round (scoring).
    pub handed: u32,
    /// Hands scored this round (scoring).
    pub scored: u32,
    /// Groups at the current level (grouping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<u32>,
    /// Groups that have starred at least one note at the current level (grouping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_starred: Option<u32>,
    /// Groups at the current level that show no note at all (grouping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_empty: Option<u32>,
    /// Notes in the activity, not hidden or deleted (grouping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<u32>,
    /// Participants who have written a note alone (grouping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solo_writers: Option<u32>,
    /// Connected participants with no card in hand this round (scoring, in a round).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sitting_out: Option<u32>,
    /// Actions written, paired, on the wall and followed up (actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<ActionsProgress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leancoffee: Option<LeanCoffeeProgress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retro: Option<RetroProgress>,
}
