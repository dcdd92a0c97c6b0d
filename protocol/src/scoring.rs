//! The 25/10 (impromptu scoring): its settings, requests, frames and export. Everyone writes
//! a card, cards are handed on and scored for some rounds, and the best are revealed.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Role;
use crate::error::ErrorCode;
use crate::ids::{CardId, Pid, Score};

/// The 25/10's requests; in [`crate::ClientMsg::Scoring`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ScoringMsg {
    #[serde(rename = "card.write")]
    CardWrite { text: String },
    #[serde(rename = "card.score")]
    CardScore { round: u32, card: CardId, score: Score },
    #[serde(rename = "card.hide")]
    CardHide { card: CardId, hidden: bool },
    #[serde(rename = "reveal")]
    Reveal {
        count: u32,
        /// Revealing one card at a time: how many of the top `count` are shown, from the
        /// bottom. Left out: all of them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shown: Option<u32>,
    },
}

impl ScoringMsg {
    /// The wire `type` of every 25/10 request.
    pub const TYPES: [&str; 4] = ["card.write", "card.score", "card.hide", "reveal"];

    /// Who may send it.
    pub fn role(&self) -> Role {
        match self {
            ScoringMsg::CardWrite { .. } | ScoringMsg::CardScore { .. } => Role::Participant,
            ScoringMsg::CardHide { .. } | ScoringMsg::Reveal { .. } => Role::Facilitator,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            ScoringMsg::CardWrite { .. } => "card.write",
            ScoringMsg::CardScore { .. } => "card.score",
            ScoringMsg::CardHide { .. } => "card.hide",
            ScoringMsg::Reveal { .. } => "reveal",
        }
    }

    /// The fields whose bad values have an error code of their own rather than `bad_json`.
    pub(crate) fn check_fields(
        type_name: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), (ErrorCode, String)> {
        match type_name {
            "card.score" => {
                let valid = fields
                    .get("score")
                    .and_then(Value::as_u64)
                    .and_then(|score| u8::try_from(score).ok())
                    .and_then(Score::new)
                    .is_some();
                if !valid {
                    return Err((ErrorCode::InvalidScore, "score must be a whole number from 1 to 5".into()));
                }
                crate::client::id_field::<CardId>(fields, "card")
            }
            "card.hide" => crate::client::id_field::<CardId>(fields, "card"),
            _ => Ok(()),
        }
    }
}

/// Settings of a 25/10 (impromptu scoring) activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoringConfig {
    /// How many times each card is handed on and scored.
    pub rounds: u32,
    /// How many top cards the hall is meant to look at.
    pub top: u32,
    /// Longest card text, in characters.
    pub max_chars: u32,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig { rounds: 5, top: 10, max_chars: 280 }
    }
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

impl Reveal {
    /// Nothing revealed: what clears a screen.
    pub fn none() -> Reveal {
        Reveal { count: 0, shown: None, entries: Vec::new() }
    }
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
