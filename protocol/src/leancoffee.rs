//! Lean Coffee at every table: the participants of one zone (or the whole session, without
//! zones) are a table with its own topics, dots, ranking, timer and thumbs. The facilitator
//! moves the hall's phases (lobby → collect → vote → discuss → done) and may act at any table.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actions::Person;
use crate::client::Role;
use crate::error::ErrorCode;
use crate::ids::{ItemId, Pid, TopicId};

/// Settings of a Lean Coffee activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeanCoffeeConfig {
    /// Topics each participant may add.
    pub max_topics: u32,
    /// Longest topic or action item, in characters.
    pub max_chars: u32,
    /// Dots each participant may put on their table's topics.
    pub dots: u32,
    /// Most dots one participant may put on one topic; none means all of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_dots_per_topic: Option<u32>,
    /// Seconds for a topic, then for each extension the table votes for.
    pub timeboxes: Vec<u32>,
    /// Seconds the thumbs vote stays open when a timebox ends.
    pub vote_seconds: u32,
}

impl Default for LeanCoffeeConfig {
    fn default() -> Self {
        LeanCoffeeConfig {
            max_topics: 5,
            max_chars: 140,
            dots: 3,
            max_dots_per_topic: None,
            timeboxes: vec![420, 180, 120],
            vote_seconds: 30,
        }
    }
}

impl LeanCoffeeConfig {
    /// The most dots one participant may put on one topic.
    pub fn per_topic(&self) -> u32 {
        self.max_dots_per_topic.unwrap_or(self.dots).min(self.dots)
    }
}

/// A thumb in the vote on extending the topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Thumb {
    Up,
    Sideways,
    Down,
}

/// Lean Coffee's requests; in [`crate::ClientMsg::LeanCoffee`]. A participant acts at their own
/// table; a facilitator names the table (`table`), or the topic, and may act at any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum LeanCoffeeMsg {
    /// Adds a topic to one's table (collect); the `ack` names it (`topic`).
    #[serde(rename = "topic.add")]
    TopicAdd { text: String },
    /// Deletes one's own topic (collect), unless another was merged into it.
    #[serde(rename = "topic.delete")]
    TopicDelete { topic: TopicId },
    /// Merges `topic` into `into`, both of the same table (collect and vote): `into` keeps both
    /// texts and every dot of both.
    #[serde(rename = "topic.merge")]
    TopicMerge { topic: TopicId, into: TopicId },
    /// Puts `count` of one's dots on a topic of one's table (vote); 0 takes them back.
    #[serde(rename = "dots.set")]
    DotsSet { topic: TopicId, count: u32 },
    /// Ends the current topic and starts the next one (discuss). `from` is the topic the sender
    /// saw as current (none before the first): if the table has moved on, `stale`.
    #[serde(rename = "topic.next")]
    TopicNext {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        table: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<TopicId>,
    },
    /// One's thumb in the table's open vote on extending the topic; may be changed while open.
    #[serde(rename = "thumb")]
    Thumb { vote: Thumb },
    /// Facilitators: extends the table's current topic by its next timebox (or the last one
    /// again), closing any open vote.
    #[serde(rename = "topic.extend")]
    TopicExtend { table: String },
    /// Facilitators: starts the current timebox of the table again from its full length.
    #[serde(rename = "timebox.reset")]
    TimeboxReset { table: String },
    /// Adds an action item to the table's current topic (discuss), with an optional owner from
    /// the table's members; the `ack` names it (`item`).
    #[serde(rename = "item.add")]
    ItemAdd {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<Pid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        table: Option<String>,
    },
    /// Deletes an action item: its author, or a facilitator.
    #[serde(rename = "item.delete")]
    ItemDelete { item: ItemId },
}

impl LeanCoffeeMsg {
    /// The wire `type` of every Lean Coffee request.
    pub const TYPES: [&str; 10] = [
        "topic.add",
        "topic.delete",
        "topic.merge",
        "dots.set",
        "topic.next",
        "thumb",
        "topic.extend",
        "timebox.reset",
        "item.add",
        "item.delete",
    ];

    /// Who may send it: `None` for both participants and facilitators.
    pub fn role(&self) -> Option<Role> {
        match self {
            LeanCoffeeMsg::TopicAdd { .. }
            | LeanCoffeeMsg::TopicDelete { .. }
            | LeanCoffeeMsg::DotsSet { .. }
            | LeanCoffeeMsg::Thumb { .. } => Some(Role::Participant),
            LeanCoffeeMsg::TopicExtend { .. } | LeanCoffeeMsg::TimeboxReset { .. } => Some(Role::Facilitator),
            LeanCoffeeMsg::TopicMerge { .. }
            | LeanCoffeeMsg::TopicNext { .. }
            | LeanCoffeeMsg::ItemAdd { .. }
            | LeanCoffeeMsg::ItemDelete { .. } => None,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            LeanCoffeeMsg::TopicAdd { .. } => "topic.add",
            LeanCoffeeMsg::TopicDelete { .. } => "topic.delete",
            LeanCoffeeMsg::TopicMerge { .. } => "topic.merge",
            LeanCoffeeMsg::DotsSet { .. } => "dots.set",
            LeanCoffeeMsg::TopicNext { .. } => "topic.next",
            LeanCoffeeMsg::Thumb { .. } => "thumb",
            LeanCoffeeMsg::TopicExtend { .. } => "topic.extend",
            LeanCoffeeMsg::TimeboxReset { .. } => "timebox.reset",
            LeanCoffeeMsg::ItemAdd { .. } => "item.add",
            LeanCoffeeMsg::ItemDelete { .. } => "item.delete",
        }
    }

    /// The fields whose bad values have an error code of their own rather than `bad_json`.
    pub(crate) fn check_fields(
        type_name: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), (ErrorCode, String)> {
        use crate::client::id_field;
        match type_name {
            "topic.delete" | "dots.set" => id_field::<TopicId>(fields, "topic"),
            "topic.merge" => id_field::<TopicId>(fields, "topic").and(id_field::<TopicId>(fields, "into")),
            "topic.next" => id_field::<TopicId>(fields, "from"),
            "item.add" => id_field::<Pid>(fields, "owner"),
            "item.delete" => id_field::<ItemId>(fields, "item"),
            _ => Ok(()),
        }
    }
}

/// A topic as its table sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicView {
    pub id: TopicId,
    pub text: String,
    /// The texts of the topics merged into this one, in the order they were merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<String>,
    /// The participant wrote it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
    /// All dots on it: facilitators always, everyone once voting has closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dots: Option<u32>,
    /// The participant's own dots on it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub my_dots: u32,
    /// Discussed already (discuss, done).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub discussed: bool,
    /// Times the table extended it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extended: u32,
}

/// An open thumbs vote on extending the current topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThumbsView {
    /// When it closes, in server milliseconds since the Unix epoch.
    pub closes: u64,
    pub up: u32,
    pub sideways: u32,
    pub down: u32,
    /// Members who can vote: those connected when it opened.
    pub voters: u32,
    /// The participant's own thumb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine: Option<Thumb>,
}

/// An action item of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    pub id: ItemId,
    pub topic: TopicId,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Person>,
    /// The participant wrote it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
}

/// One table: the `table` frame, `welcome.view.table` for a participant, and each of
/// `welcome.view.tables` for a facilitator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableView {
    /// The table's name: its zone, or `""` when the session has no zones.
    pub table: String,
    pub members: Vec<Person>,
    /// In collect and vote in the order added; from discuss on, ranked by dots (ties to the
    /// earlier topic). Merged topics are folded into theirs.
    pub topics: Vec<TopicView>,
    /// A participant's dots not yet placed (vote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dots_left: Option<u32>,
    /// The topic being discussed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<TopicId>,
    /// When the current timebox ends, in server milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends: Option<u64>,
    /// The current timebox's length in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<ThumbsView>,
    /// The outcome of the last closed vote, for the current topic: extended, or moved on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_vote: Option<VoteOutcome>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemView>,
    /// Every topic has been discussed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finished: bool,
    /// The server's clock when this frame was made: remaining = ends - now.
    pub now: u64,
}

/// How a thumbs vote ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteOutcome {
    pub up: u32,
    pub sideways: u32,
    pub down: u32,
    pub extended: bool,
}

/// One table in the hall's view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSummary {
    pub table: String,
    pub members: u32,
    pub topics: u32,
    /// The current topic's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voting: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finished: bool,
}

/// A most-voted topic across the hall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopTopic {
    pub table: String,
    pub text: String,
    pub dots: u32,
}

/// The hall's view of every table: the `tables` frame and `welcome.view.hall`, for screens and
/// facilitators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HallView {
    pub tables: Vec<TableSummary>,
    /// Once voting has closed: the most-dotted topics across tables, best first (at most 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<TopTopic>,
    pub now: u64,
}

/// How far the hall is, in `progress.leancoffee`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeanCoffeeProgress {
    pub tables: u32,
    /// Topics not merged into another.
    pub topics: u32,
    /// Participants who have placed at least one dot.
    pub voters: u32,
    pub dots: u32,
    /// Tables discussing a topic now.
    pub discussing: u32,
    /// Tables that have discussed every topic.
    pub finished: u32,
    pub items: u32,
}

/// A table in the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableExport {
    pub table: String,
    pub members: Vec<Pid>,
    /// Every topic, merged ones too; those left after merging carry their `rank` from voting.
    pub topics: Vec<TopicExport>,
    /// Each participant's dots on each topic, as they stand (moved to the topic merged into).
    pub dots: Vec<DotsExport>,
    pub votes: Vec<VoteExport>,
    pub items: Vec<ItemExport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicExport {
    pub id: TopicId,
    pub author: Pid,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<TopicId>,
    pub dots: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    pub discussed: bool,
    pub extended: u32,
    /// Its author was removed: it is shown nowhere, and the dots on it went back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DotsExport {
    pub pid: Pid,
    pub topic: TopicId,
    pub count: u32,
}

/// One thumb, as it stood when its vote closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteExport {
    pub topic: TopicId,
    /// Which vote on the topic: 0 after its first timebox.
    pub vote: u32,
    pub pid: Pid,
    pub thumb: Thumb,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemExport {
    pub id: ItemId,
    pub topic: TopicId,
    pub text: String,
    /// Who wrote it; none when a facilitator did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Pid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Pid>,
    /// Its author was removed: it is shown nowhere.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}
