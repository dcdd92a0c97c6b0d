//! Client → server frames: their shapes, and the decoder that turns text into them or into a
//! precise `error` code.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actions::ActionsMsg;
use crate::agenda::AgendaItem;
use crate::error::{DecodeError, ErrorCode};
use crate::grouping::GroupingMsg;
use crate::ids::{ActionId, CardId, JoinCode, NoteId, RetroNoteId, TopicId};
use crate::leancoffee::LeanCoffeeMsg;
use crate::limits::{MAX_FRAME_BYTES, PROTOCOL_VERSION};
use crate::retro::RetroMsg;
use crate::scoring::ScoringMsg;
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
    /// Removes the author of `card`, `note`, `action`, `topic` or `retro` (a retrospective note)
    /// of the current activity: facilitators never learn who wrote what, so they name the
    /// writing, not the person.
    #[serde(rename = "participant.remove")]
    ParticipantRemove {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card: Option<CardId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<NoteId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<ActionId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<TopicId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retro: Option<RetroNoteId>,
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
    #[serde(rename = "ping")]
    Ping {},
    /// A 25/10's requests (`card.*`, `reveal`).
    #[serde(untagged)]
    Scoring(ScoringMsg),
    /// A 1-3-9's requests (`note.*`).
    #[serde(untagged)]
    Grouping(GroupingMsg),
    /// The micro-actions' requests (`action.*`, `buddy.*`, `contact.set`).
    #[serde(untagged)]
    Actions(ActionsMsg),
    /// Lean Coffee's requests (`topic.*`, `dots.set`, `thumb`, `timebox.reset`, `item.*`).
    #[serde(untagged)]
    LeanCoffee(LeanCoffeeMsg),
    /// The retrospective's requests (`retro.*`).
    #[serde(untagged)]
    Retro(RetroMsg),
}

/// The `type` of every request that is not a method's own.
const SESSION_TYPES: [&str; 10] = [
    "join",
    "activity.start",
    "activity.reset",
    "agenda.set",
    "session.lock",
    "participant.remove",
    "phase.next",
    "phase.back",
    "timer.set",
    "ping",
];

/// The wire `type` of every client request, for telling `unknown_type` from `bad_json`.
pub fn client_types() -> impl Iterator<Item = &'static str> {
    OWNERS.into_iter().flat_map(|(_, types)| types.iter().copied())
}

/// Each enum that reads requests, with the `type`s it reads.
const OWNERS: [(Owner, &[&str]); 6] = [
    (Owner::Session, &SESSION_TYPES),
    (Owner::Scoring, &ScoringMsg::TYPES),
    (Owner::Grouping, &GroupingMsg::TYPES),
    (Owner::Actions, &ActionsMsg::TYPES),
    (Owner::LeanCoffee, &LeanCoffeeMsg::TYPES),
    (Owner::Retro, &RetroMsg::TYPES),
];

/// The enum a request's `type` belongs to: the session's own, or a method's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Session,
    Scoring,
    Grouping,
    Actions,
    LeanCoffee,
    Retro,
}

impl Owner {
    fn of(type_name: &str) -> Option<Owner> {
        OWNERS.into_iter().find(|(_, types)| types.contains(&type_name)).map(|(owner, _)| owner)
    }
}

impl ClientMsg {
    /// Who may send a method's request: one role, or `None` for participants and facilitators
    /// alike (and for the session's own requests, which check their senders themselves).
    pub fn method_role(&self) -> Option<Role> {
        match self {
            ClientMsg::Scoring(msg) => Some(msg.role()),
            ClientMsg::Grouping(msg) => Some(msg.role()),
            ClientMsg::Actions(msg) => Some(msg.role()),
            ClientMsg::LeanCoffee(msg) => msg.role(),
            ClientMsg::Retro(msg) => Some(msg.role()),
            _ => None,
        }
    }

    /// Whether a refusal of this request as `unknown_item` is a wrong guess (a buddy code),
    /// which the server allows only so often.
    pub fn is_guess(&self) -> bool {
        matches!(self, ClientMsg::Actions(ActionsMsg::BuddyAsk { .. }))
    }

    /// The wire name of this request, as in its `type` field.
    pub fn type_name(&self) -> &'static str {
        match self {
            ClientMsg::Join(_) => "join",
            ClientMsg::ActivityStart { .. } => "activity.start",
            ClientMsg::ActivityReset { .. } => "activity.reset",
            ClientMsg::AgendaSet { .. } => "agenda.set",
            ClientMsg::SessionLock { .. } => "session.lock",
            ClientMsg::ParticipantRemove { .. } => "participant.remove",
            ClientMsg::PhaseNext { .. } => "phase.next",
            ClientMsg::PhaseBack { .. } => "phase.back",
            ClientMsg::TimerSet { .. } => "timer.set",
            ClientMsg::Ping {} => "ping",
            ClientMsg::Scoring(msg) => msg.type_name(),
            ClientMsg::Grouping(msg) => msg.type_name(),
            ClientMsg::Actions(msg) => msg.type_name(),
            ClientMsg::LeanCoffee(msg) => msg.type_name(),
            ClientMsg::Retro(msg) => msg.type_name(),
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
        let Some(owner) = Owner::of(type_name) else {
            return Err(bad(ErrorCode::UnknownType, format!("unknown type {type_name:?}")));
        };
        check_fields_with_own_codes(type_name, &fields).map_err(|(code, message)| bad(code, message))?;
        // Read by the enum that owns the type alone: through `ClientMsg`, serde would try each
        // method's enum in turn, and word (then drop) an error for every one that failed.
        let fields = Value::Object(fields);
        let msg = match owner {
            Owner::Session => serde_json::from_value(fields),
            Owner::Scoring => serde_json::from_value(fields).map(ClientMsg::Scoring),
            Owner::Grouping => serde_json::from_value(fields).map(ClientMsg::Grouping),
            Owner::Actions => serde_json::from_value(fields).map(ClientMsg::Actions),
            Owner::LeanCoffee => serde_json::from_value(fields).map(ClientMsg::LeanCoffee),
            Owner::Retro => serde_json::from_value(fields).map(ClientMsg::Retro),
        };
        let msg = msg.map_err(|err| bad(ErrorCode::BadJson, err.to_string()))?;
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
        "participant.remove" => id_field::<CardId>(fields, "card")
            .and(id_field::<NoteId>(fields, "note"))
            .and(id_field::<ActionId>(fields, "action"))
            .and(id_field::<TopicId>(fields, "topic"))
            .and(id_field::<RetroNoteId>(fields, "retro")),
        _ if ScoringMsg::TYPES.contains(&type_name) => ScoringMsg::check_fields(type_name, fields),
        _ if GroupingMsg::TYPES.contains(&type_name) => GroupingMsg::check_fields(type_name, fields),
        _ if ActionsMsg::TYPES.contains(&type_name) => ActionsMsg::check_fields(type_name, fields),
        _ if LeanCoffeeMsg::TYPES.contains(&type_name) => LeanCoffeeMsg::check_fields(type_name, fields),
        _ if RetroMsg::TYPES.contains(&type_name) => RetroMsg::check_fields(type_name, fields),
        _ => Ok(()),
    }
}

/// An id field that is a string but not an id of its kind is `unknown_item`; a missing one
/// or one that is not a string is left to the shape check (`bad_json`).
pub(crate) fn id_field<Id: std::str::FromStr>(
    fields: &Map<String, Value>,
    name: &str,
) -> Result<(), (ErrorCode, String)> {
    match fields.get(name) {
        Some(Value::String(id)) if id.parse::<Id>().is_err() => {
            Err((ErrorCode::UnknownItem, format!("no such item {id:?}")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each request is read by the enum its `type` is listed under, so every listed type must be
    /// one that enum reads: a frame of it either decodes or fails on its fields, never on its type.
    #[test]
    fn every_type_is_read_by_the_enum_that_lists_it() {
        fn reads<T: serde::de::DeserializeOwned>(type_name: &str) -> bool {
            match serde_json::from_value::<T>(serde_json::json!({ "type": type_name })) {
                Ok(_) => true,
                Err(err) => !err.to_string().contains("unknown variant"),
            }
        }
        let mut owned = 0;
        for type_name in client_types() {
            let read = match Owner::of(type_name) {
                Some(Owner::Session) => reads::<ClientMsg>(type_name),
                Some(Owner::Scoring) => reads::<ScoringMsg>(type_name),
                Some(Owner::Grouping) => reads::<GroupingMsg>(type_name),
                Some(Owner::Actions) => reads::<ActionsMsg>(type_name),
                Some(Owner::LeanCoffee) => reads::<LeanCoffeeMsg>(type_name),
                Some(Owner::Retro) => reads::<RetroMsg>(type_name),
                None => false,
            };
            assert!(read, "{type_name:?} is not read by the enum that lists it");
            owned += 1;
        }
        assert_eq!(owned, 42, "every request type");
        assert_eq!(Owner::of("note.teleport"), None);
        assert!(!reads::<GroupingMsg>("card.score"), "the check can fail");
    }

    /// A method's request with a bad field is refused with what is wrong with it.
    #[test]
    fn a_methods_bad_request_says_which_field() {
        let error = ClientFrame::decode(r#"{"type":"note.add","rid":3}"#).expect_err("no text");
        assert_eq!((error.rid, error.code), (Some(3), ErrorCode::BadJson));
        assert!(error.message.contains("missing field `text`"), "{}", error.message);
        let error = ClientFrame::decode(r#"{"type":"retro.add","text":"Good","column":"left"}"#);
        let error = error.expect_err("a column is a number");
        assert!(error.message.contains("invalid type"), "{}", error.message);
    }
}
