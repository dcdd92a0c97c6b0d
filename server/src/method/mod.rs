//! A method is a module: each method the hall can run (the 25/10, the 1-3-9, the
//! micro-actions, Lean Coffee, the retrospective) implements [`Method`] in a file of its own here, over its pure engine in
//! `engine/`. The session and the actor know methods only through [`Activity`], which
//! dispatches to them; adding a method adds a module, a variant to [`Activity`] and
//! [`MethodEvent`], and its messages in `lapp_protocol`.

pub mod actions;
pub mod grouping;
pub mod leancoffee;
pub mod retro;
pub mod scoring;

use lapp_protocol::{
    ActionId, ActivityExport, AgendaItem, CardId, ClientMsg, ErrorCode, ItemId, Language, NoteId, Phase, Pid,
    Progress, RetroNoteId, Role, TopicId, View,
};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::actor::Fanout;
use crate::engine::Refusal;
use crate::session::{Participant, Sender};

pub use self::actions::{Actions, ActionsEvent};
pub use self::leancoffee::{LeanCoffee, LeanCoffeeEvent};
pub use self::retro::{Retro, RetroEvent};
pub use crate::engine::grouping::{Grouping, GroupingEvent};
pub use crate::engine::scoring::{Scoring, ScoringEvent};

/// What a method may know of the session around it.
pub struct Hall<'a> {
    /// Indexed by `pid.index() - 1`.
    pub participants: &'a [Participant],
    pub language: Language,
    pub now_ms: u64,
    /// Participants connected now, in pid order.
    pub present: &'a [Pid],
    /// How many cards a facilitator's leaderboard holds.
    pub leaderboard_entries: usize,
}

impl Hall<'_> {
    pub fn participant(&self, pid: Pid) -> Option<&Participant> {
        pid.index().checked_sub(1).and_then(|index| self.participants.get(index))
    }

    pub fn zone(&self, pid: Pid) -> Option<&str> {
        self.participant(pid).and_then(|participant| participant.zone.as_deref())
    }
}

/// Where a method is: what a request's `from` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub phase: Phase,
    pub round: Option<u32>,
    pub level: Option<u32>,
}

/// A piece of writing a facilitator names to remove its author.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Card(CardId),
    Note(NoteId),
    Action(ActionId),
    Topic(TopicId),
    RetroNote(RetroNoteId),
}

/// What an `ack` names: the card, note or action a write made or changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Named {
    pub card: Option<CardId>,
    pub note: Option<NoteId>,
    pub action: Option<ActionId>,
    pub topic: Option<TopicId>,
    pub item: Option<ItemId>,
    pub retro: Option<RetroNoteId>,
}

/// What the actor sends at its next tick rather than at once: many changes, one frame.
#[derive(Debug, Default)]
pub struct Pending {
    pub progress: bool,
    /// The method's board changed: a 25/10's leaderboard.
    pub board: bool,
    /// The method's items changed since the last tick, by the number of their id: a 1-3-9's
    /// notes for the moderation feed, the micro-actions of the wall.
    pub changed: Vec<u32>,
    /// A 1-3-9's notes that changed since the last tick, each with the group it shows in: the
    /// members who did not ask for a change get them at the tick, one `notes` frame per group.
    /// Kept sorted, without repeats.
    pub notes: Vec<(u32, u32)>,
}

/// What the actor sends once at the end of a batch, however many of its requests changed it:
/// a 1-3-9's groups, each to its members once per batch rather than once per note or star.
#[derive(Debug, Default)]
pub struct Batched {
    /// The ids of the groups to send whole at the end of this batch: their level or members
    /// changed, or a note was hidden or shown.
    pub groups: Vec<u32>,
    /// The notes that changed in this batch, each with the group it shows in: groups not sent
    /// whole send only these, in a `notes` frame.
    pub notes: Vec<(u32, u32)>,
    /// The level changed in this batch: its groups go after the `activity` that says so.
    pub level_changed: bool,
}

/// The shape every method has. Deciding and applying are pure, as in the engines; the views
/// are what each role may see; `announce` says who is told what after an event.
pub trait Method {
    type Event;
    type Msg;

    /// Checks a request of this method and returns the events that carry it out (none when it
    /// changes nothing).
    fn decide(
        &self,
        hall: &Hall<'_>,
        sender: Sender,
        msg: &Self::Msg,
        rng: &mut impl Rng,
    ) -> Result<Vec<Self::Event>, Refusal>;
    fn apply(&mut self, event: &Self::Event);
    /// Moves on to the next phase; also what a timer with `advance` does at zero.
    fn next_phase(&self, hall: &Hall<'_>, rng: &mut impl Rng) -> Result<Self::Event, Refusal>;
    fn step_back(&self) -> Result<Self::Event, Refusal>;
    fn position(&self) -> Position;
    /// What someone who arrives (or comes back) now is given: a free card, a group, a buddy.
    fn late_arrival(&self, hall: &Hall<'_>, pid: Pid) -> Option<Self::Event>;
    fn author(&self, item: Item) -> Option<Pid>;
    /// Hides everything `pid` wrote here.
    fn hide_author(&self, pid: Pid) -> Vec<Self::Event>;
    /// What the `ack` of `msg` from `pid` names, once its events are applied.
    fn named(&self, pid: Option<Pid>, msg: &Self::Msg, events: &[Self::Event]) -> Named;
    fn progress(&self, hall: &Hall<'_>, progress: &mut Progress);
    fn view(&self, hall: &Hall<'_>, role: Role, pid: Option<Pid>, view: &mut View);
    fn export(&self, hall: &Hall<'_>, export: &mut ActivityExport);
    /// Who an event concerns that applying it hides (the holder of a card being hidden, who
    /// had been asked by someone now paired).
    fn affected(&self, _event: &Self::Event) -> Vec<Pid> {
        Vec::new()
    }
    /// Tells everyone what `event`, just applied, changed for them.
    fn announce(&self, hall: &Hall<'_>, event: &Self::Event, affected: Vec<Pid>, out: &mut Fanout<'_>);
    /// Shows the whole activity to everyone, after it started or was reset.
    fn show_afresh(&self, hall: &Hall<'_>, out: &mut Fanout<'_>);
    /// Sends what was left for the tick.
    fn send_pending(&self, _hall: &Hall<'_>, _pending: &mut Pending, _out: &mut Fanout<'_>) {}
    /// Sends what was left for the end of the batch.
    fn send_batched(&self, _hall: &Hall<'_>, _batched: &mut Batched, _out: &mut Fanout<'_>) {}
    /// When the method next needs the clock, in milliseconds since the Unix epoch: a table's
    /// timebox or thumbs vote ending. The actor calls [`Method::expire`] then.
    fn due(&self) -> Option<u64> {
        None
    }
    /// The events of whatever is due by `hall.now_ms`.
    fn expire(&self, _hall: &Hall<'_>) -> Vec<Self::Event> {
        Vec::new()
    }
}

/// An activity of the agenda, run by its method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Activity {
    Scoring(Scoring),
    Grouping(Grouping),
    Actions(Actions),
    LeanCoffee(LeanCoffee),
    Retro(Retro),
}

/// A method's event, stored with the index of the activity it belongs to. Its JSON is that of
/// a session event: `{"type": "scoring", "index": 0, "event": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MethodEvent {
    Scoring {
        index: u32,
        event: ScoringEvent,
    },
    Grouping {
        index: u32,
        event: GroupingEvent,
    },
    Actions {
        index: u32,
        event: ActionsEvent,
    },
    #[serde(rename = "leancoffee")]
    LeanCoffee {
        index: u32,
        event: LeanCoffeeEvent,
    },
    Retro {
        index: u32,
        event: RetroEvent,
    },
}

/// The event of method `$variant` inside a [`MethodEvent`], if it is one.
macro_rules! typed {
    ($event:expr, $variant:ident) => {
        match $event {
            MethodEvent::$variant { event, .. } => Some(event),
            _ => None,
        }
    };
}

/// Runs `$body` with `$method` bound to the activity's method, whichever it is.
macro_rules! with_method {
    ($activity:expr, $method:ident => $body:expr) => {
        match $activity {
            Activity::Scoring($method) => $body,
            Activity::Grouping($method) => $body,
            Activity::Actions($method) => $body,
            Activity::LeanCoffee($method) => $body,
            Activity::Retro($method) => $body,
        }
    };
}

/// Runs `$body` with the method's event, for the activity it belongs to; nothing when the
/// event is of another method.
macro_rules! with_event {
    ($activity:expr, $event:expr, $method:ident, $typed:ident => $body:expr) => {
        match ($activity, $event) {
            (Activity::Scoring($method), MethodEvent::Scoring { event: $typed, .. }) => Some($body),
            (Activity::Grouping($method), MethodEvent::Grouping { event: $typed, .. }) => Some($body),
            (Activity::Actions($method), MethodEvent::Actions { event: $typed, .. }) => Some($body),
            (Activity::LeanCoffee($method), MethodEvent::LeanCoffee { event: $typed, .. }) => Some($body),
            (Activity::Retro($method), MethodEvent::Retro { event: $typed, .. }) => Some($body),
            _ => None,
        }
    };
}

impl MethodEvent {
    pub fn index(&self) -> usize {
        match self {
            MethodEvent::Scoring { index, .. }
            | MethodEvent::Grouping { index, .. }
            | MethodEvent::Actions { index, .. }
            | MethodEvent::LeanCoffee { index, .. }
            | MethodEvent::Retro { index, .. } => *index as usize,
        }
    }
}

impl Activity {
    /// An activity as it is before it starts.
    pub fn new(item: &AgendaItem) -> Activity {
        match item {
            AgendaItem::Scoring { config, .. } => Activity::Scoring(Scoring::new(*config)),
            AgendaItem::Grouping { config, .. } => Activity::Grouping(Grouping::new(config.clone())),
            AgendaItem::Actions { config, .. } => Activity::Actions(Actions::new(config.clone())),
            AgendaItem::LeanCoffee { config, .. } => Activity::LeanCoffee(LeanCoffee::new(config.clone())),
            AgendaItem::Retro { config, .. } => Activity::Retro(Retro::new(config.clone())),
        }
    }

    /// The events of one of this method's requests; `wrong_phase` for another method's.
    pub fn decide(
        &self,
        index: usize,
        hall: &Hall<'_>,
        sender: Sender,
        msg: &ClientMsg,
        rng: &mut impl Rng,
    ) -> Result<Vec<MethodEvent>, Refusal> {
        let index = index as u32;
        match (self, msg) {
            (Activity::Scoring(method), ClientMsg::Scoring(msg)) => Ok(method
                .decide(hall, sender, msg, rng)?
                .into_iter()
                .map(|event| MethodEvent::Scoring { index, event })
                .collect()),
            (Activity::Grouping(method), ClientMsg::Grouping(msg)) => Ok(method
                .decide(hall, sender, msg, rng)?
                .into_iter()
                .map(|event| MethodEvent::Grouping { index, event })
                .collect()),
            (Activity::Actions(method), ClientMsg::Actions(msg)) => Ok(method
                .decide(hall, sender, msg, rng)?
                .into_iter()
                .map(|event| MethodEvent::Actions { index, event })
                .collect()),
            (Activity::LeanCoffee(method), ClientMsg::LeanCoffee(msg)) => Ok(method
                .decide(hall, sender, msg, rng)?
                .into_iter()
                .map(|event| MethodEvent::LeanCoffee { index, event })
                .collect()),
            (Activity::Retro(method), ClientMsg::Retro(msg)) => Ok(method
                .decide(hall, sender, msg, rng)?
                .into_iter()
                .map(|event| MethodEvent::Retro { index, event })
                .collect()),
            _ => Err(not_running(msg)),
        }
    }

    pub fn apply(&mut self, event: &MethodEvent) {
        with_event!(self, event, method, event => Method::apply(method, event));
    }

    pub fn next_phase(
        &self,
        index: usize,
        hall: &Hall<'_>,
        rng: &mut impl Rng,
    ) -> Result<MethodEvent, Refusal> {
        self.wrap(index, |activity| match activity {
            Activity::Scoring(method) => Method::next_phase(method, hall, rng).map(Typed::Scoring),
            Activity::Grouping(method) => Method::next_phase(method, hall, rng).map(Typed::Grouping),
            Activity::Actions(method) => Method::next_phase(method, hall, rng).map(Typed::Actions),
            Activity::LeanCoffee(method) => Method::next_phase(method, hall, rng).map(Typed::LeanCoffee),
            Activity::Retro(method) => Method::next_phase(method, hall, rng).map(Typed::Retro),
        })
    }

    pub fn step_back(&self, index: usize) -> Result<MethodEvent, Refusal> {
        self.wrap(index, |activity| match activity {
            Activity::Scoring(method) => Method::step_back(method).map(Typed::Scoring),
            Activity::Grouping(method) => Method::step_back(method).map(Typed::Grouping),
            Activity::Actions(method) => Method::step_back(method).map(Typed::Actions),
            Activity::LeanCoffee(method) => Method::step_back(method).map(Typed::LeanCoffee),
            Activity::Retro(method) => Method::step_back(method).map(Typed::Retro),
        })
    }

    pub fn late_arrival(&self, index: usize, hall: &Hall<'_>, pid: Pid) -> Option<MethodEvent> {
        self.wrap(index, |activity| {
            match activity {
                Activity::Scoring(method) => Method::late_arrival(method, hall, pid).map(Typed::Scoring),
                Activity::Grouping(method) => Method::late_arrival(method, hall, pid).map(Typed::Grouping),
                Activity::Actions(method) => Method::late_arrival(method, hall, pid).map(Typed::Actions),
                Activity::LeanCoffee(method) => {
                    Method::late_arrival(method, hall, pid).map(Typed::LeanCoffee)
                }
                Activity::Retro(method) => Method::late_arrival(method, hall, pid).map(Typed::Retro),
            }
            .ok_or(())
        })
        .ok()
    }

    pub fn hide_author(&self, index: usize, pid: Pid) -> Vec<MethodEvent> {
        let index = index as u32;
        match self {
            Activity::Scoring(method) => Method::hide_author(method, pid)
                .into_iter()
                .map(|event| MethodEvent::Scoring { index, event })
                .collect(),
            Activity::Grouping(method) => Method::hide_author(method, pid)
                .into_iter()
                .map(|event| MethodEvent::Grouping { index, event })
                .collect(),
            Activity::Actions(method) => Method::hide_author(method, pid)
                .into_iter()
                .map(|event| MethodEvent::Actions { index, event })
                .collect(),
            Activity::LeanCoffee(method) => Method::hide_author(method, pid)
                .into_iter()
                .map(|event| MethodEvent::LeanCoffee { index, event })
                .collect(),
            Activity::Retro(method) => Method::hide_author(method, pid)
                .into_iter()
                .map(|event| MethodEvent::Retro { index, event })
                .collect(),
        }
    }

    pub fn author(&self, item: Item) -> Option<Pid> {
        with_method!(self, method => Method::author(method, item))
    }

    pub fn position(&self) -> Position {
        with_method!(self, method => Method::position(method))
    }

    pub fn progress(&self, hall: &Hall<'_>, progress: &mut Progress) {
        with_method!(self, method => Method::progress(method, hall, progress));
    }

    pub fn view(&self, hall: &Hall<'_>, role: Role, pid: Option<Pid>, view: &mut View) {
        with_method!(self, method => Method::view(method, hall, role, pid, view));
    }

    pub fn export(&self, hall: &Hall<'_>, export: &mut ActivityExport) {
        with_method!(self, method => Method::export(method, hall, export));
    }

    pub fn named(&self, pid: Option<Pid>, msg: &ClientMsg, events: &[MethodEvent]) -> Named {
        match (self, msg) {
            (Activity::Scoring(method), ClientMsg::Scoring(msg)) => {
                let events: Vec<_> = events.iter().filter_map(|e| typed!(e, Scoring)).cloned().collect();
                Method::named(method, pid, msg, &events)
            }
            (Activity::Grouping(method), ClientMsg::Grouping(msg)) => {
                let events: Vec<_> = events.iter().filter_map(|e| typed!(e, Grouping)).cloned().collect();
                Method::named(method, pid, msg, &events)
            }
            (Activity::Actions(method), ClientMsg::Actions(msg)) => {
                let events: Vec<_> = events.iter().filter_map(|e| typed!(e, Actions)).cloned().collect();
                Method::named(method, pid, msg, &events)
            }
            (Activity::LeanCoffee(method), ClientMsg::LeanCoffee(msg)) => {
                let events: Vec<_> = events.iter().filter_map(|e| typed!(e, LeanCoffee)).cloned().collect();
                Method::named(method, pid, msg, &events)
            }
            (Activity::Retro(method), ClientMsg::Retro(msg)) => {
                let events: Vec<_> = events.iter().filter_map(|e| typed!(e, Retro)).cloned().collect();
                Method::named(method, pid, msg, &events)
            }
            _ => Named::default(),
        }
    }

    pub fn affected(&self, event: &MethodEvent) -> Vec<Pid> {
        with_event!(self, event, method, event => Method::affected(method, event)).unwrap_or_default()
    }

    pub fn announce(&self, hall: &Hall<'_>, event: &MethodEvent, affected: Vec<Pid>, out: &mut Fanout<'_>) {
        with_event!(self, event, method, event => Method::announce(method, hall, event, affected, out));
    }

    pub fn show_afresh(&self, hall: &Hall<'_>, out: &mut Fanout<'_>) {
        with_method!(self, method => Method::show_afresh(method, hall, out));
    }

    pub fn send_pending(&self, hall: &Hall<'_>, pending: &mut Pending, out: &mut Fanout<'_>) {
        with_method!(self, method => Method::send_pending(method, hall, pending, out));
    }

    pub fn send_batched(&self, hall: &Hall<'_>, batched: &mut Batched, out: &mut Fanout<'_>) {
        with_method!(self, method => Method::send_batched(method, hall, batched, out));
    }

    pub fn due(&self) -> Option<u64> {
        with_method!(self, method => Method::due(method))
    }

    pub fn expire(&self, index: usize, hall: &Hall<'_>) -> Vec<MethodEvent> {
        let index = index as u32;
        match self {
            Activity::LeanCoffee(method) => Method::expire(method, hall)
                .into_iter()
                .map(|event| MethodEvent::LeanCoffee { index, event })
                .collect(),
            Activity::Retro(method) => Method::expire(method, hall)
                .into_iter()
                .map(|event| MethodEvent::Retro { index, event })
                .collect(),
            Activity::Scoring(method) => Method::expire(method, hall)
                .into_iter()
                .map(|event| MethodEvent::Scoring { index, event })
                .collect(),
            Activity::Grouping(method) => Method::expire(method, hall)
                .into_iter()
                .map(|event| MethodEvent::Grouping { index, event })
                .collect(),
            Activity::Actions(method) => Method::expire(method, hall)
                .into_iter()
                .map(|event| MethodEvent::Actions { index, event })
                .collect(),
        }
    }

    /// Wraps what a method returns in its [`MethodEvent`].
    fn wrap<E>(
        &self,
        index: usize,
        typed: impl FnOnce(&Activity) -> Result<Typed, E>,
    ) -> Result<MethodEvent, E> {
        let index = index as u32;
        Ok(match typed(self)? {
            Typed::Scoring(event) => MethodEvent::Scoring { index, event },
            Typed::Grouping(event) => MethodEvent::Grouping { index, event },
            Typed::Actions(event) => MethodEvent::Actions { index, event },
            Typed::LeanCoffee(event) => MethodEvent::LeanCoffee { index, event },
            Typed::Retro(event) => MethodEvent::Retro { index, event },
        })
    }
}

/// A method's event before it is given its activity's index.
enum Typed {
    Scoring(ScoringEvent),
    Grouping(GroupingEvent),
    Actions(ActionsEvent),
    LeanCoffee(LeanCoffeeEvent),
    Retro(RetroEvent),
}

fn not_running(msg: &ClientMsg) -> Refusal {
    Refusal::new(ErrorCode::WrongPhase, format!("{} is not for the activity running now", msg.type_name()))
}
