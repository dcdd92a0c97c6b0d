//! Server → client frames.

use serde::{Deserialize, Serialize};

use crate::agenda::{ActivityKind, AgendaItem, Language};
use crate::client::Role;
use crate::error::ErrorCode;
use crate::ids::{CardId, GroupId, JoinCode, NoteId, Pid, Score};

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
    #[serde(rename = "ack")]
    Ack {
        rid: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card: Option<CardId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<NoteId>,
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
pub const SERVER_TYPES: [&str; 16] = [
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
            ServerMsg::Poster { .. } => "poster",
            ServerMsg::Agenda { .. } => "agenda",
            ServerMsg::Feed { .. } => "feed",
            ServerMsg::Lock { .. } => "lock",
            ServerMsg::Reveal(_) => "reveal",
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
        ServerMsg::Ack { rid, card: None, note: None }
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
}

/// Where an activity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Lobby,
    /// Scoring: everyone writes their card.
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

/// A card as its holder or writer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardText {
    pub id: CardId,
    pub text: String,
}

/// The card to score this round; `card: null` means sit this round out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hand {
    pub round: u32,
    pub card: Option<CardText>,
    /// The score already given this round (only in `welcome.view`, so a reload shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
}

impl Hand {
    /// The `hand` frame for these parts, the same bytes as `ServerMsg::Hand(..).encode()`
    /// gives, made without copying the card's text into a `Hand` first: a round's start
    /// encodes one for every phone of the hall.
    pub fn encode_from(round: u32, card: Option<(CardId, &str)>, score: Option<Score>) -> String {
        #[derive(Serialize)]
        #[serde(tag = "type", rename = "hand")]
        struct HandOf<'a> {
            round: u32,
            card: Option<CardOf<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            score: Option<Score>,
        }
        #[derive(Serialize)]
        struct CardOf<'a> {
            id: CardId,
            text: &'a str,
        }
        let card = card.map(|(id, text)| CardOf { id, text });
        serde_json::to_string(&HandOf { round, card, score }).unwrap_or_else(|err| {
            format!(r#"{{"type":"error","code":"internal","message":"encoding failed: {err}"}}"#)
        })
    }
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
}

/// The live ranking, facilitators only until revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leaderboard {
    pub entries: Vec<LeaderboardEntry>,
    /// Cards a facilitator has hidden, so they can be shown again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<CardText>,
}

/// One ranked card. Ranked by mean × rounds (the total when every round scored it), then by
/// `count`; cards with no score yet come last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardEntry {
    pub rank: u32,
    pub card: CardId,
    pub text: String,
    /// The sum of its scores.
    pub total: u32,
    /// How many scores it has.
    pub count: u32,
}

/// How a participant's own card did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Yours {
    pub total: u32,
    pub count: u32,
    pub rank: u32,
}

/// The top `count` cards, as the facilitator reveals them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reveal {
    pub count: u32,
    /// While the facilitator reveals one card at a time: how many of the top `count` are
    /// shown, from the bottom; `entries` then holds only those, so `entries[0]` is the card
    /// revealed last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<u32>,
    pub entries: Vec<LeaderboardEntry>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosterGroup {
    pub id: GroupId,
    pub label: String,
    pub notes: Vec<NoteView>,
}
