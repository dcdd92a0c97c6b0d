//! Client → server frames: their shapes, and the decoder that turns text into them or into a
//! precise `error` code.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::agenda::AgendaItem;
use crate::error::{DecodeError, ErrorCode};
use crate::ids::{CardId, JoinCode, NoteId, Score};
use crate::limits::{MAX_FRAME_BYTES, PROTOCOL_VERSION};
use crate::server::Phase;

/// Who a connection is in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A phone in the hall.
    Participant,
    /// Holds the session key and runs the activities.
    Facilitator,
    /// The projector: read-only, sees only what has been revealed.
    Screen,
}

/// The first frame of every connection. Its `Debug` hides `key` and `resume`, so a stray log
/// line cannot leak them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Join {
    pub v: u32,
    pub code: JoinCode,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Join {
    /// A `join` of this protocol version as `role`, with nothing optional set.
    pub fn new(code: JoinCode, role: Role) -> Join {
        Join { v: PROTOCOL_VERSION, code, role, name: None, zone: None, resume: None, key: None }
    }
}

impl std::fmt::Debug for Join {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |secret: &Option<String>| secret.as_ref().map(|_| "…");
        f.debug_struct("Join")
            .field("v", &self.v)
            .field("code", &self.code)
            .field("role", &self.role)
            .field("name", &self.name)
            .field("zone", &self.zone)
            .field("resume", &hidden(&self.resume))
            .field("key", &hidden(&self.key))
            .finish()
    }
}

/// Where a facilitator saw the session when it asked to move it: the state a `phase.next`,
/// `phase.back`, `activity.start` or `activity.reset` expects to leave. A request whose `from`
/// no longer matches is refused (`stale`), so a double click, a retry or a second tab moves
/// the session once. `phase` left out means no activity is current; `index` left out is not
/// checked; `round` and `level` left out mean none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
}

/// Every request a client can make. `rid` travels beside it in [`ClientFrame`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ClientMsg {
    #[serde(rename = "join")]
    Join(Join),
    #[serde(rename = "card.write")]
    CardWrite { text: String },
    #[serde(rename = "card.score")]
    CardScore { round: u32, card: CardId, score: Score },
    #[serde(rename = "note.add")]
    NoteAdd { text: String },
    #[serde(rename = "note.star")]
    NoteStar { note: NoteId, on: bool },
    #[serde(rename = "note.edit")]
    NoteEdit { note: NoteId, text: String },
    #[serde(rename = "note.delete")]
    NoteDelete { note: NoteId },
    #[serde(rename = "activity.start")]
    ActivityStart {
        index: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Expected>,
    },
    #[serde(rename = "activity.reset")]
    ActivityReset {
        index: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Expected>,
    },
    #[serde(rename = "agenda.set")]
    AgendaSet { agenda: Vec<AgendaItem> },
    #[serde(rename = "session.lock")]
    SessionLock { locked: bool },
    /// Removes the author of `card` or `note` (of the current activity): facilitators never
    /// learn who wrote what, so they name the writing, not the person.
    #[serde(rename = "participant.remove")]
    ParticipantRemove {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card: Option<CardId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<NoteId>,
    },
    #[serde(rename = "phase.next")]
    PhaseNext {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Expected>,
    },
    #[serde(rename = "phase.back")]
    PhaseBack {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Expected>,
    },
    #[serde(rename = "timer.set")]
    TimerSet {
        seconds: u32,
        #[serde(default)]
        advance: bool,
    },
    #[serde(rename = "card.hide")]
    CardHide { card: CardId, hidden: bool },
    #[serde(rename = "note.hide")]
    NoteHide { note: NoteId, hidden: bool },
    #[serde(rename = "reveal")]
    Reveal {
        count: u32,
        /// Revealing one card at a time: how many of the top `count` are shown, from the
        /// bottom. Left out: all of them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shown: Option<u32>,
    },
    #[serde(rename = "ping")]
    Ping {},
}

/// The wire `type` of every client request, for telling `unknown_type` from `bad_json`.
pub const CLIENT_TYPES: [&str; 19] = [
    "join",
    "card.write",
    "card.score",
    "note.add",
    "note.star",
    "note.edit",
    "note.delete",
    "activity.start",
    "activity.reset",
    "agenda.set",
    "session.lock",
    "participant.remove",
    "phase.next",
    "phase.back",
    "timer.set",
    "card.hide",
    "note.hide",
    "reveal",
    "ping",
];

impl ClientMsg {
    /// The wire name of this request, as in its `type` field.
    pub fn type_name(&self) -> &'static str {
        match self {
            ClientMsg::Join(_) => "join",
            ClientMsg::CardWrite { .. } => "card.write",
            ClientMsg::CardScore { .. } => "card.score",
            ClientMsg::NoteAdd { .. } => "note.add",
            ClientMsg::NoteStar { .. } => "note.star",
            ClientMsg::NoteEdit { .. } => "note.edit",
            ClientMsg::NoteDelete { .. } => "note.delete",
            ClientMsg::ActivityStart { .. } => "activity.start",
            ClientMsg::ActivityReset { .. } => "activity.reset",
            ClientMsg::AgendaSet { .. } => "agenda.set",
            ClientMsg::SessionLock { .. } => "session.lock",
            ClientMsg::ParticipantRemove { .. } => "participant.remove",
            ClientMsg::PhaseNext { .. } => "phase.next",
            ClientMsg::PhaseBack { .. } => "phase.back",
            ClientMsg::TimerSet { .. } => "timer.set",
            ClientMsg::CardHide { .. } => "card.hide",
            ClientMsg::NoteHide { .. } => "note.hide",
            ClientMsg::Reveal { .. } => "reveal",
            ClientMsg::Ping {} => "ping",
        }
    }
}

/// One decoded client frame: the request and the `rid` its answer must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFrame {
    pub rid: Option<u64>,
    pub msg: ClientMsg,
}

impl ClientFrame {
    pub fn new(rid: Option<u64>, msg: ClientMsg) -> ClientFrame {
        ClientFrame { rid, msg }
    }

    /// Reads one text frame. Every failure says which protocol error code it is, and carries
    /// the `rid` whenever the frame was an object with a readable one.
    pub fn decode(text: &str) -> Result<ClientFrame, DecodeError> {
        if text.len() > MAX_FRAME_BYTES {
            return Err(DecodeError::new(
                None,
                ErrorCode::TooLarge,
                format!("a frame may be at most {MAX_FRAME_BYTES} bytes"),
            ));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|err| DecodeError::new(None, ErrorCode::BadJson, format!("not JSON: {err}")))?;
        let Value::Object(mut fields) = value else {
            return Err(DecodeError::new(None, ErrorCode::BadJson, "a frame is a JSON object"));
        };
        let rid = match fields.remove("rid") {
            None | Some(Value::Null) => None,
            Some(rid) => Some(rid.as_u64().ok_or_else(|| {
                DecodeError::new(None, ErrorCode::BadJson, "rid must be a non-negative integer")
            })?),
        };
        let bad = |code, message: String| DecodeError::new(rid, code, message);
        let type_name = match fields.get("type") {
            Some(Value::String(name)) => name.as_str(),
            _ => return Err(bad(ErrorCode::BadJson, "a frame needs a string \"type\"".into())),
        };
        if !CLIENT_TYPES.contains(&type_name) {
            return Err(bad(ErrorCode::UnknownType, format!("unknown type {type_name:?}")));
        }
        check_fields_with_own_codes(type_name, &fields).map_err(|(code, message)| bad(code, message))?;
        let msg = serde_json::from_value(Value::Object(fields))
            .map_err(|err| bad(ErrorCode::BadJson, err.to_string()))?;
        Ok(ClientFrame { rid, msg })
    }

    /// The frame as JSON text, `rid` included.
    pub fn encode(&self) -> String {
        let mut value = serde_json::to_value(&self.msg).unwrap_or(Value::Null);
        if let (Some(rid), Value::Object(fields)) = (self.rid, &mut value) {
            fields.insert("rid".into(), rid.into());
        }
        value.to_string()
    }
}

/// The fields whose bad values have an error code of their own rather than `bad_json`.
fn check_fields_with_own_codes(
    type_name: &str,
    fields: &Map<String, Value>,
) -> Result<(), (ErrorCode, String)> {
    let id_field = |name: &str, parses: fn(&str) -> bool| match fields.get(name) {
        Some(Value::String(id)) if !parses(id) => {
            Err((ErrorCode::UnknownItem, format!("no such item {id:?}")))
        }
        _ => Ok(()), // well-formed, or missing or not a string: the shape check says bad_json
    };
    let card_id = |id: &str| id.parse::<CardId>().is_ok();
    let note_id = |id: &str| id.parse::<NoteId>().is_ok();
    match type_name {
        "join" => {
            match fields.get("v") {
                Some(v) if v.as_u64() == Some(u64::from(PROTOCOL_VERSION)) => {}
                Some(v) => {
                    return Err((
                        ErrorCode::UnsupportedVersion,
                        format!("this server speaks v {PROTOCOL_VERSION}, not {v}"),
                    ));
                }
                None => {}
            }
            if let Some(Value::String(code)) = fields.get("code")
                && code.parse::<JoinCode>().is_err()
            {
                return Err((ErrorCode::UnknownSession, format!("no session {code:?}")));
            }
            Ok(())
        }
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
            id_field("card", card_id)
        }
        "card.hide" => id_field("card", card_id),
        "participant.remove" => id_field("card", card_id).and_then(|()| id_field("note", note_id)),
        "note.star" | "note.hide" | "note.edit" | "note.delete" => id_field("note", note_id),
        _ => Ok(()),
    }
}
