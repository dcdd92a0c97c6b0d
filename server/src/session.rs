//! One session's state: its participants, agenda and activities. Pure like the engines: the
//! actor feeds it commands with the time and the people present, and applies the events it
//! returns; the same events replayed rebuild the same session.

use std::collections::HashMap;

use lapp_protocol::limits::{MAX_NAME_CHARS, MAX_TIMER_SECONDS};
use lapp_protocol::{
    ActivityExport, ActivityInfo, AgendaItem, ClientMsg, ErrorCode, Expected, ExportParticipant, Join,
    JoinCode, Language, Names, Phase, Pid, Progress, Role, SessionExport, SessionInfo, View, validate_agenda,
};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::engine::Refusal;
use crate::engine::labels;
use crate::method::{Activity, Hall, Item, MethodEvent};
use crate::secret::{Secret, SecretHash};

/// What a session is created with; its events hold everything after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub code: JoinCode,
    pub title: String,
    /// The facilitator key's hash: the key itself is shown once, at creation, and kept nowhere.
    pub key: SecretHash,
    pub agenda: Vec<AgendaItem>,
    pub created_at_ms: u64,
    #[serde(default)]
    pub language: Language,
    #[serde(default)]
    pub names: Names,
}

/// Every change to a session, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SessionEvent {
    ParticipantJoined {
        pid: Pid,
        name: Option<String>,
        zone: Option<String>,
        resume: SecretHash,
        /// The hash of their follow-up token (see [`Secret::follow_up`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        follow_up: Option<SecretHash>,
    },
    ActivityStarted {
        index: u32,
    },
    /// The activity starts again from its lobby, as if never run (for rehearsals).
    ActivityReset {
        index: u32,
    },
    /// The agenda as a facilitator edited it; started activities keep their place.
    AgendaSet {
        agenda: Vec<AgendaItem>,
    },
    /// A facilitator removed this participant: their resume token stops working (their cards
    /// and notes are hidden by the events stored with this one).
    ParticipantRemoved {
        pid: Pid,
    },
    /// Closed to new participants, or open again.
    LockSet {
        locked: bool,
    },
    TimerSet {
        timer: Option<Timer>,
    },
    /// A change to one activity, made by its method.
    #[serde(untagged)]
    Method(MethodEvent),
}

/// A countdown shown to everyone; with `advance` the activity moves on at zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub deadline_ms: u64,
    pub advance: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub pid: Pid,
    pub name: Option<String>,
    pub zone: Option<String>,
    resume: SecretHash,
    pub removed: bool,
}

/// Who sent a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sender {
    pub role: Role,
    pub pid: Option<Pid>,
}

impl Sender {
    /// The sender's pid, if a participant sent `request`.
    pub fn participant(self, request: &str) -> Result<Pid, Refusal> {
        match (self.role, self.pid) {
            (Role::Participant, Some(pid)) => Ok(pid),
            _ => Err(Refusal::new(ErrorCode::Forbidden, format!("only participants may send {request}"))),
        }
    }

    /// Whether a facilitator sent `request`.
    pub fn facilitator(self, request: &str) -> Result<(), Refusal> {
        match self.role {
            Role::Facilitator => Ok(()),
            _ => Err(Refusal::new(ErrorCode::Forbidden, format!("only facilitators may send {request}"))),
        }
    }
}

/// What a command may know of the world outside the session.
pub struct Context<'a> {
    pub now_ms: u64,
    /// Participants connected now, in pid order.
    pub present: &'a [Pid],
}

impl Context<'_> {
    /// A context for what needs neither the time nor who is here: views of the past.
    pub const NOBODY: Context<'static> = Context { now_ms: 0, present: &[] };
}

/// A join the session accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub role: Role,
    pub pid: Option<Pid>,
    /// A first-time participant's record, to be stored before they are welcomed.
    pub event: Option<SessionEvent>,
    /// A participant's resume token, for their `welcome`: a new one, or the one they came
    /// back with. Only its hash is kept.
    pub resume: Option<Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub code: JoinCode,
    pub title: String,
    key: SecretHash,
    pub agenda: Vec<AgendaItem>,
    pub created_at_ms: u64,
    pub language: Language,
    pub names: Names,
    /// Indexed by `pid.index() - 1`.
    participants: Vec<Participant>,
    resume: HashMap<SecretHash, Pid>,
    follow_ups: HashMap<SecretHash, Pid>,
    current: Option<usize>,
    activities: Vec<Option<Activity>>,
    timer: Option<Timer>,
    locked: bool,
}

impl Session {
    pub fn new(record: SessionRecord) -> Session {
        let SessionRecord { code, title, key, agenda, created_at_ms, language, names } = record;
        let activities = agenda.iter().map(|_| None).collect();
        Session {
            code,
            title,
            key,
            agenda,
            created_at_ms,
            language,
            names,
            participants: Vec::new(),
            resume: HashMap::new(),
            follow_ups: HashMap::new(),
            current: None,
            activities,
            timer: None,
            locked: false,
        }
    }

    /// Rebuilds a session from its record and its events, as it was when the last of them
    /// was applied.
    pub fn replay(record: SessionRecord, events: &[SessionEvent]) -> Session {
        let mut session = Session::new(record);
        for event in events {
            session.apply(event);
        }
        session
    }

    pub fn key(&self) -> SecretHash {
        self.key
    }

    pub fn participants(&self) -> &[Participant] {
        &self.participants
    }

    pub fn timer(&self) -> Option<Timer> {
        self.timer
    }

    /// The events of whatever the current method has due by `context.now_ms`.
    pub fn expire(&self, context: &Context<'_>, leaderboard_entries: usize) -> Vec<SessionEvent> {
        let Some((index, activity)) = self.current() else { return Vec::new() };
        let hall = self.hall(context, leaderboard_entries);
        activity.expire(index, &hall).into_iter().map(SessionEvent::Method).collect()
    }

    pub fn current(&self) -> Option<(usize, &Activity)> {
        let index = self.current?;
        Some((index, self.activities.get(index)?.as_ref()?))
    }

    /// What methods may know of the session: who is in it, and who is here now.
    pub fn hall<'a>(&'a self, context: &Context<'a>, leaderboard_entries: usize) -> Hall<'a> {
        Hall {
            participants: &self.participants,
            language: self.language,
            now_ms: context.now_ms,
            present: context.present,
            leaderboard_entries,
        }
    }

    // ---- commands -------------------------------------------------------------------------

    /// Decides who a `join` makes its sender. A participant without `resume` is new.
    pub fn admit(
        &self,
        join: &Join,
        max_participants: usize,
        rng: &mut impl Rng,
    ) -> Result<Admitted, Refusal> {
        match join.role {
            Role::Facilitator => {
                let key = join.key.as_deref().unwrap_or("");
                if !self.key.matches(key) {
                    return Err(Refusal::new(
                        ErrorCode::Forbidden,
                        "the facilitator key is missing or wrong",
                    ));
                }
                Ok(Admitted { role: Role::Facilitator, pid: None, event: None, resume: None })
            }
            Role::Screen => Ok(Admitted { role: Role::Screen, pid: None, event: None, resume: None }),
            Role::Participant => {
                if let Some(token) = &join.resume {
                    let (secret, pid) = Secret::parse(token)
                        .and_then(|secret| Some((secret, *self.resume.get(&SecretHash::of(&secret))?)))
                        .ok_or_else(|| {
                            Refusal::new(ErrorCode::BadResume, "this resume token is not of this session")
                        })?;
                    return Ok(Admitted {
                        role: Role::Participant,
                        pid: Some(pid),
                        event: None,
                        resume: Some(secret),
                    });
                }
                if self.locked {
                    return Err(Refusal::new(
                        ErrorCode::Locked,
                        "this session is closed to new participants",
                    ));
                }
                if self.participants.len() >= max_participants {
                    return Err(Refusal::new(ErrorCode::SessionFull, "this session is full"));
                }
                let pid = Pid(self.participants.len() as u32 + 1);
                let resume = Secret::generate(rng);
                let name = match self.names {
                    Names::Free => clean_label(join.name.as_deref()),
                    Names::Off => None,
                    Names::Generated => Some(labels::person_name(rng.random(), self.language)),
                };
                let event = SessionEvent::ParticipantJoined {
                    pid,
                    name,
                    zone: clean_label(join.zone.as_deref()),
                    resume: SecretHash::of(&resume),
                    follow_up: Some(SecretHash::of(&resume.follow_up())),
                };
                Ok(Admitted {
                    role: Role::Participant,
                    pid: Some(pid),
                    event: Some(event),
                    resume: Some(resume),
                })
            }
        }
    }

    /// Whose follow-up link `token` is.
    pub fn follow_up(&self, token: &str) -> Option<Pid> {
        self.follow_ups.get(&SecretHash::of_offered(token)?).copied()
    }

    /// The activities that have started, with their agenda index.
    pub fn activities(&self) -> impl Iterator<Item = (usize, &Activity)> {
        self.activities.iter().enumerate().filter_map(|(index, activity)| Some((index, activity.as_ref()?)))
    }

    pub fn participant(&self, pid: Pid) -> Option<&Participant> {
        pid.index().checked_sub(1).and_then(|index| self.participants.get(index))
    }

    /// Checks a request against the sender's role and the current phase, and returns the
    /// events that carry it out.
    pub fn decide(
        &self,
        sender: Sender,
        msg: &ClientMsg,
        context: &Context<'_>,
        rng: &mut impl Rng,
    ) -> Result<Vec<SessionEvent>, Refusal> {
        let as_facilitator = || sender.facilitator(msg.type_name());
        match msg {
            ClientMsg::Scoring(_)
            | ClientMsg::Grouping(_)
            | ClientMsg::Actions(_)
            | ClientMsg::LeanCoffee(_)
            | ClientMsg::Retro(_) => {
                match msg.method_role() {
                    Some(Role::Facilitator) => as_facilitator()?,
                    // Either role: a facilitator may act at any Lean Coffee table.
                    None if sender.role == Role::Facilitator => {}
                    _ => _ = sender.participant(msg.type_name())?,
                }
                let index = self.current.ok_or_else(|| {
                    Refusal::new(
                        ErrorCode::WrongPhase,
                        format!("no activity is running for {}", msg.type_name()),
                    )
                })?;
                self.decide_in(index, sender, msg, context, rng)
            }
            ClientMsg::ActivityStart { index, from } => {
                as_facilitator()?;
                self.check_from(from.as_ref())?;
                self.agenda_item(*index)?;
                Ok(vec![SessionEvent::ActivityStarted { index: *index }])
            }
            ClientMsg::ActivityReset { index, from } => {
                as_facilitator()?;
                self.check_from(from.as_ref())?;
                self.agenda_item(*index)?;
                Ok(vec![SessionEvent::ActivityReset { index: *index }])
            }
            ClientMsg::AgendaSet { agenda } => {
                as_facilitator()?;
                self.check_agenda(agenda)?;
                Ok(if *agenda == self.agenda {
                    Vec::new()
                } else {
                    vec![SessionEvent::AgendaSet { agenda: agenda.clone() }]
                })
            }
            ClientMsg::ParticipantRemove { card, note, action, topic, retro } => {
                as_facilitator()?;
                let named = [
                    card.map(Item::Card),
                    note.map(Item::Note),
                    action.map(Item::Action),
                    topic.map(Item::Topic),
                    retro.map(Item::RetroNote),
                ];
                let mut named = named.into_iter().flatten();
                let (Some(item), None) = (named.next(), named.next()) else {
                    return Err(Refusal::new(
                        ErrorCode::BadJson,
                        "name exactly one of card, note, action, topic or retro",
                    ));
                };
                self.remove_author(item)
            }
            ClientMsg::SessionLock { locked } => {
                as_facilitator()?;
                Ok(if *locked == self.locked {
                    Vec::new()
                } else {
                    vec![SessionEvent::LockSet { locked: *locked }]
                })
            }
            ClientMsg::PhaseNext { from } => {
                as_facilitator()?;
                self.check_from(from.as_ref())?;
                self.next_phase(context, rng)
            }
            ClientMsg::PhaseBack { from } => {
                as_facilitator()?;
                self.check_from(from.as_ref())?;
                let (index, activity) = self
                    .current()
                    .ok_or_else(|| Refusal::new(ErrorCode::WrongPhase, "no activity has been started"))?;
                Ok(vec![SessionEvent::Method(activity.step_back(index)?)])
            }
            ClientMsg::TimerSet { seconds, advance } => {
                as_facilitator()?;
                if self.current().is_none() {
                    return Err(Refusal::new(
                        ErrorCode::WrongPhase,
                        "start an activity before setting a timer",
                    ));
                }
                if *seconds > MAX_TIMER_SECONDS {
                    return Err(Refusal::new(
                        ErrorCode::BadJson,
                        format!("seconds must be 0 to {MAX_TIMER_SECONDS}"),
                    ));
                }
                let timer = (*seconds > 0).then(|| Timer {
                    deadline_ms: context.now_ms + u64::from(*seconds) * 1000,
                    advance: *advance,
                });
                Ok(vec![SessionEvent::TimerSet { timer }])
            }
            ClientMsg::Join(_) | ClientMsg::Ping {} => Err(Refusal::new(
                ErrorCode::Internal,
                format!("{} is not a session command", msg.type_name()),
            )),
        }
    }

    /// A method's request to the activity at `index` (the current one, or an earlier one a
    /// follow-up link names).
    pub fn decide_in(
        &self,
        index: usize,
        sender: Sender,
        msg: &ClientMsg,
        context: &Context<'_>,
        rng: &mut impl Rng,
    ) -> Result<Vec<SessionEvent>, Refusal> {
        let activity = self.activities.get(index).and_then(Option::as_ref).ok_or_else(|| {
            Refusal::new(ErrorCode::UnknownItem, format!("activity {index} has not started"))
        })?;
        let events = activity.decide(index, &self.hall(context, 0), sender, msg, rng)?;
        Ok(events.into_iter().map(SessionEvent::Method).collect())
    }

    /// The agenda items that have been started.
    pub fn started(&self) -> Vec<u32> {
        (0..self.activities.len() as u32).filter(|&index| self.activities[index as usize].is_some()).collect()
    }

    /// Removes the author of a card, note or action of the current activity, and hides
    /// everything they wrote in every activity: a hidden card leaves every hand, a hidden
    /// note every group.
    fn remove_author(&self, item: Item) -> Result<Vec<SessionEvent>, Refusal> {
        let pid = self.current().and_then(|(_, activity)| activity.author(item)).ok_or_else(|| {
            Refusal::new(ErrorCode::UnknownItem, "no such card, note, action, topic or retro note here")
        })?;
        if self.participant(pid).is_none_or(|participant| participant.removed) {
            return Err(Refusal::new(ErrorCode::UnknownItem, "its author has already been removed"));
        }
        let hidden = self.activities.iter().enumerate().filter_map(|(index, activity)| {
            activity.as_ref().map(|activity| activity.hide_author(index, pid))
        });
        let mut events = vec![SessionEvent::ParticipantRemoved { pid }];
        events.extend(hidden.flatten().map(SessionEvent::Method));
        Ok(events)
    }

    /// Where the session is now, as a request's `from` would name it.
    pub fn position(&self) -> Expected {
        let Some((index, activity)) = self.current() else { return Expected::default() };
        let position = activity.position();
        Expected {
            index: Some(index as u32),
            phase: Some(position.phase),
            round: position.round,
            level: position.level,
        }
    }

    /// Refuses a request that expects to leave a state the session has already left.
    fn check_from(&self, from: Option<&Expected>) -> Result<(), Refusal> {
        let Some(from) = from else { return Ok(()) };
        let now = self.position();
        let index_matches = from.index.is_none() || from.index == now.index;
        if index_matches && (from.phase, from.round, from.level) == (now.phase, now.round, now.level) {
            return Ok(());
        }
        let at = match (now.index, now.phase) {
            (Some(index), Some(phase)) => {
                let step = now.round.map(|r| format!(" {r}")).or(now.level.map(|l| format!(" {l}")));
                format!("activity {index} is in {}{}", phase.as_str(), step.unwrap_or_default())
            }
            _ => "no activity is running".to_owned(),
        };
        Err(Refusal::new(ErrorCode::Stale, format!("the session has moved on: {at}")))
    }

    fn agenda_item(&self, index: u32) -> Result<&AgendaItem, Refusal> {
        self.agenda
            .get(index as usize)
            .ok_or_else(|| Refusal::new(ErrorCode::UnknownItem, format!("the agenda has no item {index}")))
    }

    /// An edited agenda keeps its bounds, and every activity that has started keeps its place
    /// and settings: its events name it by index.
    fn check_agenda(&self, agenda: &[AgendaItem]) -> Result<(), Refusal> {
        validate_agenda(agenda).map_err(|message| Refusal::new(ErrorCode::BadJson, message))?;
        for (index, activity) in self.activities.iter().enumerate() {
            if activity.is_some() && agenda.get(index) != Some(&self.agenda[index]) {
                return Err(Refusal::new(
                    ErrorCode::WrongPhase,
                    format!("activity {index} has started: it keeps its place and settings"),
                ));
            }
        }
        Ok(())
    }

    /// What a participant who arrived (or came back) after the current step began is given:
    /// a free card, a group, a buddy.
    pub fn late_arrival(&self, pid: Pid, context: &Context<'_>) -> Option<SessionEvent> {
        let (index, activity) = self.current()?;
        activity.late_arrival(index, &self.hall(context, 0), pid).map(SessionEvent::Method)
    }

    /// After a restart nobody is connected yet: a countdown that would move the activity on
    /// by itself only counts down now, and the facilitator moves on when people are back.
    pub fn hold_timer_after_restart(&mut self) {
        if let Some(timer) = &mut self.timer {
            timer.advance = false;
        }
    }

    /// Moves the current activity on; also what a timer with `advance` does at zero.
    pub fn next_phase(
        &self,
        context: &Context<'_>,
        rng: &mut impl Rng,
    ) -> Result<Vec<SessionEvent>, Refusal> {
        let (index, activity) = self
            .current()
            .ok_or_else(|| Refusal::new(ErrorCode::WrongPhase, "no activity has been started"))?;
        Ok(vec![SessionEvent::Method(activity.next_phase(index, &self.hall(context, 0), rng)?)])
    }

    // ---- events ---------------------------------------------------------------------------

    pub fn apply(&mut self, event: &SessionEvent) {
        match event {
            SessionEvent::ParticipantJoined { pid, name, zone, resume, follow_up } => {
                self.follow_ups.extend(follow_up.map(|hash| (hash, *pid)));
                self.participants.push(Participant {
                    pid: *pid,
                    name: name.clone(),
                    zone: zone.clone(),
                    resume: *resume,
                    removed: false,
                });
                self.resume.insert(*resume, *pid);
            }
            SessionEvent::ActivityStarted { index } => {
                let index = *index as usize;
                self.current = Some(index);
                self.timer = None;
                if let Some(slot @ None) = self.activities.get_mut(index) {
                    *slot = Some(Activity::new(&self.agenda[index]));
                }
            }
            SessionEvent::ActivityReset { index } => {
                let index = *index as usize;
                if let Some(slot) = self.activities.get_mut(index) {
                    *slot = (self.current == Some(index)).then(|| Activity::new(&self.agenda[index]));
                    if self.current == Some(index) {
                        self.timer = None;
                    }
                }
            }
            SessionEvent::AgendaSet { agenda } => {
                self.agenda.clone_from(agenda);
                self.activities.resize_with(agenda.len(), || None);
            }
            SessionEvent::ParticipantRemoved { pid } => {
                if let Some(participant) =
                    pid.index().checked_sub(1).and_then(|at| self.participants.get_mut(at))
                {
                    participant.removed = true;
                    self.resume.remove(&participant.resume);
                }
            }
            SessionEvent::LockSet { locked } => self.locked = *locked,
            SessionEvent::TimerSet { timer } => self.timer = *timer,
            SessionEvent::Method(event) => {
                if let Some(Some(activity)) = self.activities.get_mut(event.index()) {
                    let before = activity.position();
                    activity.apply(event);
                    // A countdown belongs to the step it was set in.
                    if activity.position() != before {
                        self.timer = None;
                    }
                }
            }
        }
    }

    // ---- views ----------------------------------------------------------------------------

    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            code: self.code,
            title: self.title.clone(),
            agenda: self.agenda.clone(),
            current: self.current.map(|index| index as u32),
            language: self.language,
            started: self.started(),
            locked: self.locked,
            names: self.names,
        }
    }

    /// The `activity` frame for the current activity.
    pub fn activity_info(&self, now_ms: u64) -> Option<ActivityInfo> {
        let (index, activity) = self.current()?;
        let item = &self.agenda[index];
        let position = activity.position();
        Some(ActivityInfo {
            index: index as u32,
            kind: item.kind(),
            prompt: item.prompt().to_owned(),
            phase: position.phase,
            round: position.round,
            level: position.level,
            deadline: self.timer.map(|timer| timer.deadline_ms),
            now: self.timer.map(|_| now_ms),
        })
    }

    /// How far the hall is; `present` are the participants connected now.
    pub fn progress(&self, present: &[Pid]) -> Progress {
        let mut progress = Progress {
            phase: Phase::Lobby,
            round: None,
            level: None,
            participants: self.participants.len() as u32,
            connected: present.len() as u32,
            cards: 0,
            handed: 0,
            scored: 0,
            groups: None,
            groups_starred: None,
            groups_empty: None,
            notes: None,
            solo_writers: None,
            sitting_out: None,
            actions: None,
            leancoffee: None,
            retro: None,
        };
        if let Some((_, activity)) = self.current() {
            activity.progress(&self.hall(&Context { now_ms: 0, present }, 0), &mut progress);
        }
        progress
    }

    /// Everything `role` may see now; a client that renders it needs no history.
    pub fn view(
        &self,
        role: Role,
        pid: Option<Pid>,
        present: &[Pid],
        now_ms: u64,
        leaderboard_limit: usize,
    ) -> View {
        let mut view = View { activity: self.activity_info(now_ms), ..View::default() };
        if role != Role::Participant {
            view.progress = Some(self.progress(present));
        }
        if let Some((_, activity)) = self.current() {
            activity.view(&self.hall(&Context { now_ms, present }, leaderboard_limit), role, pid, &mut view);
        }
        view
    }
}

impl Session {
    /// Everything the session holds, for its facilitators: authors and scorers by pid only.
    pub fn export(&self) -> SessionExport {
        let activities = self
            .activities
            .iter()
            .enumerate()
            .filter_map(|(index, activity)| {
                let item = &self.agenda[index];
                let mut export = ActivityExport {
                    index: index as u32,
                    kind: item.kind(),
                    prompt: item.prompt().to_owned(),
                    cards: Vec::new(),
                    groups: Vec::new(),
                    notes: Vec::new(),
                    actions: Vec::new(),
                    tables: Vec::new(),
                    retro: Vec::new(),
                };
                let hall = self.hall(&Context::NOBODY, 0);
                activity.as_ref()?.export(&hall, &mut export);
                Some(export)
            })
            .collect();
        SessionExport {
            code: self.code,
            title: self.title.clone(),
            created_at_ms: self.created_at_ms,
            agenda: self.agenda.clone(),
            participants: self
                .participants
                .iter()
                .map(|participant| ExportParticipant {
                    pid: participant.pid,
                    zone: participant.zone.clone(),
                    removed: participant.removed,
                })
                .collect(),
            activities,
        }
    }
}

/// A name or zone as people typed it, trimmed and bounded; blank means none.
fn clean_label(text: Option<&str>) -> Option<String> {
    let cleaned: String = text?.chars().filter(|&c| c != '\n' && crate::engine::is_allowed_char(c)).collect();
    let cleaned: String = cleaned.trim().chars().take(MAX_NAME_CHARS).collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use lapp_protocol::{
        ActionsMsg, CardId, GroupingConfig, GroupingMsg, LeanCoffeeMsg, NoteId, RetroMsg, RetroNoteId, Score,
        ScoringConfig, ScoringMsg, Thumb, TopicId,
    };
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    /// One thing that can happen to a session; indexes pick among what exists at the time.
    #[derive(Debug, Clone)]
    enum Step {
        Join,
        Leave(usize),
        Return(usize),
        Start(u32),
        Next,
        Timer(u32),
        Write(usize),
        Score(usize, u8),
        ScoreAny(usize, u32, u8),
        Hide(u32, bool),
        Reveal(u32, Option<u32>),
        /// A double click: `phase.next` twice, both naming where the session was.
        DoubleNext,
        Back,
        Reset(u32),
        /// The prompt of an agenda item changed.
        Edit(u32),
        Note(usize),
        NoteEdit(usize, u32),
        NoteDelete(usize, u32),
        Lock(bool),
        Remove(u32),
        Act(usize),
        Ask(usize, usize),
        Answer(usize, usize, bool),
        Contact(usize),
        Wall(usize, bool),
        Status(usize),
        Undo(usize),
        Topic(usize),
        Merge(usize, u32, u32),
        Dots(usize, u32, u32),
        NextTopic(usize),
        Thumb(usize, u8),
        Item(usize),
        Extend(u8),
        RetroAdd(usize, u32),
        RetroDots(usize, u32, u32),
        RetroHide(u32, bool),
        /// The clock reaches what the current method waits for (a Lean Coffee table's timebox).
        Expire,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => Just(Step::Join),
            1 => any::<usize>().prop_map(Step::Leave),
            1 => any::<usize>().prop_map(Step::Return),
            2 => (0..6u32).prop_map(Step::Start),
            3 => Just(Step::Next),
            1 => (0..100u32).prop_map(Step::Timer),
            4 => any::<usize>().prop_map(Step::Write),
            6 => (any::<usize>(), 1..=5u8).prop_map(|(who, score)| Step::Score(who, score)),
            1 => (any::<usize>(), 0..12u32, 0..=6u8).prop_map(|(who, card, score)| Step::ScoreAny(who, card, score)),
            1 => (0..12u32, any::<bool>()).prop_map(|(card, hidden)| Step::Hide(card, hidden)),
            1 => (0..12u32, prop::option::of(0..12u32)).prop_map(|(count, shown)| Step::Reveal(count, shown)),
            1 => Just(Step::DoubleNext),
            1 => Just(Step::Back),
            1 => (0..6u32).prop_map(Step::Reset),
            1 => (0..6u32).prop_map(Step::Edit),
            2 => any::<usize>().prop_map(Step::Note),
            1 => (any::<usize>(), 1..20u32).prop_map(|(who, note)| Step::NoteEdit(who, note)),
            1 => (any::<usize>(), 1..20u32).prop_map(|(who, note)| Step::NoteDelete(who, note)),
            1 => any::<bool>().prop_map(Step::Lock),
            1 => (1..12u32).prop_map(Step::Remove),
            3 => any::<usize>().prop_map(Step::Act),
            3 => (any::<usize>(), any::<usize>()).prop_map(|(who, whom)| Step::Ask(who, whom)),
            3 => (any::<usize>(), any::<usize>(), any::<bool>()).prop_map(|(who, whom, yes)| Step::Answer(who, whom, yes)),
            1 => any::<usize>().prop_map(Step::Contact),
            1 => (any::<usize>(), any::<bool>()).prop_map(|(who, shown)| Step::Wall(who, shown)),
            1 => any::<usize>().prop_map(Step::Status),
            1 => any::<usize>().prop_map(Step::Undo),
            3 => any::<usize>().prop_map(Step::Topic),
            1 => (any::<usize>(), 0..12u32, 0..12u32).prop_map(|(who, topic, into)| Step::Merge(who, topic, into)),
            3 => (any::<usize>(), 0..12u32, 0..4u32).prop_map(|(who, topic, count)| Step::Dots(who, topic, count)),
            1 => any::<usize>().prop_map(Step::NextTopic),
            2 => (any::<usize>(), 0..3u8).prop_map(|(who, thumb)| Step::Thumb(who, thumb)),
            1 => any::<usize>().prop_map(Step::Item),
            1 => (0..3u8).prop_map(Step::Extend),
            3 => (any::<usize>(), 0..3u32).prop_map(|(who, column)| Step::RetroAdd(who, column)),
            2 => (any::<usize>(), 0..12u32, 0..3u32).prop_map(|(who, note, count)| Step::RetroDots(who, note, count)),
            1 => (0..12u32, any::<bool>()).prop_map(|(note, hidden)| Step::RetroHide(note, hidden)),
            2 => Just(Step::Expire),
        ]
    }

    fn grouping() -> AgendaItem {
        AgendaItem::Grouping {
            prompt: "G".into(),
            config: GroupingConfig { sizes: vec![2, 4], max_chars: 50 },
        }
    }

    fn record() -> SessionRecord {
        let scoring = |rounds| AgendaItem::Scoring {
            prompt: "Q".into(),
            config: ScoringConfig { rounds, top: 10, max_chars: 50 },
        };
        SessionRecord {
            code: JoinCode::from_number(123_456).expect("code"),
            title: "Day".into(),
            key: SecretHash::of(&Secret::generate(&mut StdRng::seed_from_u64(1))),
            agenda: vec![
                scoring(3),
                scoring(2),
                grouping(),
                AgendaItem::Actions { prompt: "A".into(), config: lapp_protocol::ActionsConfig::default() },
                AgendaItem::LeanCoffee {
                    prompt: "L".into(),
                    config: lapp_protocol::LeanCoffeeConfig {
                        max_topics: 2,
                        dots: 3,
                        max_dots_per_topic: Some(2),
                        timeboxes: vec![10, 10, 10],
                        vote_seconds: 5,
                        ..lapp_protocol::LeanCoffeeConfig::default()
                    },
                },
                AgendaItem::Retro {
                    prompt: "R".into(),
                    config: lapp_protocol::RetroConfig {
                        max_notes: 2,
                        dots: 2,
                        ..lapp_protocol::RetroConfig::default()
                    },
                },
            ],
            created_at_ms: 1_000,
            language: Language::Bokmal,
            names: Names::Free,
        }
    }

    proptest! {
        /// Whatever happens, the session rebuilt from its stored events (through JSON, as
        /// the store keeps them) equals the live one.
        #[test]
        fn replaying_the_event_log_rebuilds_the_live_session(steps in prop::collection::vec(step(), 0..200), seed: u64) {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut live = Session::new(record());
            let mut log: Vec<SessionEvent> = Vec::new();
            let mut present: Vec<Pid> = Vec::new();
            let mut gone: Vec<Pid> = Vec::new();
            let facilitator = Sender { role: Role::Facilitator, pid: None };
            for (at, step) in steps.into_iter().enumerate() {
                let now_ms = 10_000 + at as u64 * 100;
                let participant = |pick: usize| present.get(pick % present.len().max(1)).copied();
                let decided = match step {
                    Step::Join => {
                        let join = Join {
                            v: 1,
                            code: live.code,
                            role: Role::Participant,
                            name: Some(format!("P{at}")),
                            // Two tables for a Lean Coffee, and some without a zone.
                            zone: [None, Some("A".to_owned()), Some("B".to_owned())][at % 3].clone(),
                            resume: None,
                            key: None,
                        };
                        live.admit(&join, 10_000, &mut rng).map(|admitted| admitted.event.into_iter().collect())
                    }
                    Step::Leave(pick) => {
                        if !present.is_empty() {
                            gone.push(present.remove(pick % present.len()));
                        }
                        continue;
                    }
                    Step::Return(pick) => {
                        if !gone.is_empty() {
                            present.push(gone.remove(pick % gone.len()));
                            present.sort();
                        }
                        continue;
                    }
                    Step::Expire => {
                        // A clock far enough on for any timebox or vote to be due.
                        let later = now_ms + 60_000;
                        Ok(live.expire(&Context { now_ms: later, present: &present }, 0))
                    }
                    other => {
                        let (sender, msg) = match other {
                            Step::Start(index) => (facilitator, ClientMsg::ActivityStart { index, from: Some(live.position()) }),
                            Step::Next => (facilitator, ClientMsg::PhaseNext { from: Some(live.position()) }),
                            Step::DoubleNext => {
                                let from = Some(live.position());
                                let first = live.decide(facilitator, &ClientMsg::PhaseNext { from }, &Context { now_ms, present: &present }, &mut rng);
                                let Ok(events) = first else { continue };
                                for event in events {
                                    live.apply(&event);
                                    log.push(event);
                                }
                                // The second click names the same step: it must not move on again.
                                let before = live.clone();
                                let second = live.decide(facilitator, &ClientMsg::PhaseNext { from }, &Context { now_ms, present: &present }, &mut rng);
                                prop_assert_eq!(second.map_err(|refusal| refusal.code), Err(ErrorCode::Stale));
                                prop_assert_eq!(&live, &before);
                                continue;
                            }
                            Step::Back => (facilitator, ClientMsg::PhaseBack { from: Some(live.position()) }),
                            Step::Lock(locked) => (facilitator, ClientMsg::SessionLock { locked }),
                            Step::Remove(card) => (facilitator, ClientMsg::ParticipantRemove { card: Some(CardId(card)), note: None, action: None, topic: None, retro: None }),
                            Step::Reset(index) => (facilitator, ClientMsg::ActivityReset { index, from: None }),
                            Step::Edit(index) => {
                                let mut agenda = live.agenda.clone();
                                if let Some(AgendaItem::Scoring { prompt, .. } | AgendaItem::Grouping { prompt, .. } | AgendaItem::Actions { prompt, .. } | AgendaItem::LeanCoffee { prompt, .. } | AgendaItem::Retro { prompt, .. }) = agenda.get_mut(index as usize) {
                                    prompt.push('!');
                                }
                                (facilitator, ClientMsg::AgendaSet { agenda })
                            }
                            Step::Note(pick) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Grouping(GroupingMsg::NoteAdd { text: format!("note {at}") }))
                            }
                            Step::NoteEdit(pick, note) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Grouping(GroupingMsg::NoteEdit { note: NoteId(note), text: format!("edited {at}") }))
                            }
                            Step::NoteDelete(pick, note) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Grouping(GroupingMsg::NoteDelete { note: NoteId(note) }))
                            }
                            Step::Timer(seconds) => (facilitator, ClientMsg::TimerSet { seconds, advance: seconds % 2 == 0 }),
                            Step::Hide(card, hidden) => (facilitator, ClientMsg::Scoring(ScoringMsg::CardHide { card: CardId(card), hidden })),
                            Step::Reveal(count, shown) => (facilitator, ClientMsg::Scoring(ScoringMsg::Reveal { count, shown })),
                            Step::Write(pick) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Scoring(ScoringMsg::CardWrite { text: format!("card {at}") }))
                            }
                            Step::Score(pick, score) => {
                                let Some(pid) = participant(pick) else { continue };
                                let Some((_, Activity::Scoring(scoring))) = live.current() else { continue };
                                let (Phase::Round, Some(round)) = scoring.phase() else { continue };
                                let Some((card, _)) = scoring.hand(pid) else { continue };
                                let score = Score::new(score).expect("1..=5");
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Scoring(ScoringMsg::CardScore { round, card: card.id, score }))
                            }
                            Step::ScoreAny(pick, card, score) => {
                                let Some(pid) = participant(pick) else { continue };
                                let Some(score) = Score::new(score) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Scoring(ScoringMsg::CardScore { round: 1, card: CardId(card), score }))
                            }
                            Step::Act(pick) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Actions(ActionsMsg::ActionWrite { text: format!("I will {at}") }))
                            }
                            Step::Ask(pick, whom) => {
                                let Some(pid) = participant(pick) else { continue };
                                let Some((_, Activity::Actions(actions))) = live.current() else { continue };
                                let code = participant(whom).and_then(|whom| actions.code(whom)).unwrap_or(0);
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Actions(ActionsMsg::BuddyAsk { code: format!("{code:04}") }))
                            }
                            Step::Answer(pick, whom, accept) => {
                                let (Some(pid), Some(from)) = (participant(pick), participant(whom)) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Actions(ActionsMsg::BuddyAnswer { pid: from, accept }))
                            }
                            Step::Contact(pick) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Actions(ActionsMsg::ContactSet { text: format!("me{at}@example.no") }))
                            }
                            Step::Wall(pick, shown) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Actions(ActionsMsg::ActionWall { shown }))
                            }
                            Step::Status(pick) => {
                                let Some(pid) = participant(pick) else { continue };
                                let msg = ActionsMsg::ActionStatus { status: lapp_protocol::Status::Started, note: Some(format!("day {at}")) };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Actions(msg))
                            }
                            Step::Undo(pick) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Actions(ActionsMsg::BuddyUndo {}))
                            }
                            Step::Topic(pick) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::LeanCoffee(LeanCoffeeMsg::TopicAdd { text: format!("topic {at}") }))
                            }
                            Step::Merge(pick, topic, into) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::LeanCoffee(LeanCoffeeMsg::TopicMerge { topic: TopicId(topic), into: TopicId(into) }))
                            }
                            Step::Dots(pick, topic, count) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::LeanCoffee(LeanCoffeeMsg::DotsSet { topic: TopicId(topic), count }))
                            }
                            Step::NextTopic(pick) => {
                                let Some(pid) = participant(pick) else { continue };
                                let current = live.view(Role::Participant, Some(pid), &present, now_ms, 0).table.and_then(|table| table.current);
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::LeanCoffee(LeanCoffeeMsg::TopicNext { table: None, from: current }))
                            }
                            Step::Thumb(pick, thumb) => {
                                let Some(pid) = participant(pick) else { continue };
                                let vote = [Thumb::Up, Thumb::Sideways, Thumb::Down][thumb as usize % 3];
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::LeanCoffee(LeanCoffeeMsg::Thumb { vote }))
                            }
                            Step::Item(pick) => {
                                let Some(pid) = participant(pick) else { continue };
                                let msg = LeanCoffeeMsg::ItemAdd { text: format!("do {at}"), owner: Some(pid), table: None };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::LeanCoffee(msg))
                            }
                            Step::Extend(table) => {
                                let table = ["", "A", "B"][table as usize % 3].to_owned();
                                (facilitator, ClientMsg::LeanCoffee(LeanCoffeeMsg::TopicExtend { table }))
                            }
                            Step::RetroAdd(pick, column) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Retro(RetroMsg::RetroAdd { column, text: format!("retro {at}") }))
                            }
                            Step::RetroDots(pick, note, count) => {
                                let Some(pid) = participant(pick) else { continue };
                                (Sender { role: Role::Participant, pid: Some(pid) }, ClientMsg::Retro(RetroMsg::RetroDots { note: RetroNoteId(note), count }))
                            }
                            Step::RetroHide(note, hidden) => (facilitator, ClientMsg::Retro(RetroMsg::RetroHide { note: RetroNoteId(note), hidden })),
                            Step::Join | Step::Leave(_) | Step::Return(_) | Step::Expire => unreachable!("handled above"),
                        };
                        live.decide(sender, &msg, &Context { now_ms, present: &present }, &mut rng)
                    }
                };
                let Ok(events) = decided else { continue };
                for event in events {
                    if let SessionEvent::ParticipantJoined { pid, .. } = &event {
                        present.push(*pid);
                    }
                    live.apply(&event);
                    let stored = serde_json::to_string(&event).expect("events serialize");
                    log.push(serde_json::from_str(&stored).expect("events deserialize"));
                }
            }
            let replayed = Session::replay(record(), &log);
            prop_assert_eq!(&replayed, &live);
            prop_assert_eq!(replayed.export(), live.export());
        }
    }
}
