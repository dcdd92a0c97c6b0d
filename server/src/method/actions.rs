//! The micro-actions as a method: requests, views, export and what each change tells whom,
//! over the pure engine in `engine::actions`. Contact lines are shown only to a buddy who
//! left one too, and never exported.

use lapp_protocol::{
    ActionExport, ActionId, ActionsMsg, ActionsProgress, ActivityExport, Buddy, OwnAction, Person, Phase,
    Pid, Progress, Role, ServerMsg, Status, StatusExport, View, WallEntry,
};
use rand::Rng;

use super::{Hall, Item, Method, Named, Pending, Position};
use crate::actor::{Fanout, Frame, Target};
use crate::engine::Refusal;
use crate::engine::actions::Stage;
pub use crate::engine::actions::{Actions, ActionsEvent};
use crate::session::Sender;

impl Method for Actions {
    type Event = ActionsEvent;
    type Msg = ActionsMsg;

    fn decide(
        &self,
        hall: &Hall<'_>,
        sender: Sender,
        msg: &ActionsMsg,
        rng: &mut impl Rng,
    ) -> Result<Vec<ActionsEvent>, Refusal> {
        let name = msg.type_name();
        match msg {
            ActionsMsg::ActionWrite { text } => {
                let pid = sender.participant(name)?;
                let Some(written) = self.write(pid, text, rng)? else { return Ok(Vec::new()) };
                // A first action written after pairing closed gets its writer a buddy at once.
                let mut after = self.clone();
                after.apply(&written);
                let late = after.late_buddy(pid, &present_with_zones(hall));
                Ok(std::iter::once(written).chain(late).collect())
            }
            ActionsMsg::ActionWall { shown } => {
                Ok(self.set_wall(sender.participant(name)?, *shown)?.into_iter().collect())
            }
            ActionsMsg::ActionHide { action, hidden } => {
                sender.facilitator(name)?;
                Ok(vec![self.hide(*action, *hidden)?])
            }
            ActionsMsg::BuddyAsk { code } => Ok(vec![self.ask(sender.participant(name)?, code)?]),
            ActionsMsg::BuddyAnswer { pid, accept } => {
                Ok(vec![self.answer(sender.participant(name)?, *pid, *accept)?])
            }
            ActionsMsg::BuddyWithdraw {} => Ok(vec![self.withdraw(sender.participant(name)?)?]),
            ActionsMsg::BuddyUndo {} => Ok(vec![self.undo(sender.participant(name)?)?]),
            ActionsMsg::ContactSet { text } => {
                Ok(self.set_contact(sender.participant(name)?, text)?.into_iter().collect())
            }
            ActionsMsg::ActionStatus { status, note } => {
                Ok(vec![self.set_status(sender.participant(name)?, *status, note.as_deref(), hall.now_ms)?])
            }
        }
    }

    fn apply(&mut self, event: &ActionsEvent) {
        Actions::apply(self, event);
    }

    fn next_phase(&self, hall: &Hall<'_>, rng: &mut impl Rng) -> Result<ActionsEvent, Refusal> {
        Actions::next_phase(self, &present_with_zones(hall), rng)
    }

    fn step_back(&self) -> Result<ActionsEvent, Refusal> {
        Actions::step_back(self)
    }

    fn position(&self) -> Position {
        let phase = match self.stage() {
            Stage::Lobby => Phase::Lobby,
            Stage::Writing => Phase::Writing,
            Stage::Pairing => Phase::Pairing,
            Stage::Wall => Phase::Wall,
        };
        Position { phase, round: None, level: None }
    }

    fn late_arrival(&self, hall: &Hall<'_>, pid: Pid) -> Option<ActionsEvent> {
        self.late_buddy(pid, &present_with_zones(hall))
    }

    fn author(&self, item: Item) -> Option<Pid> {
        match item {
            Item::Action(action) => self.action(action).map(|action| action.author),
            _ => None,
        }
    }

    fn hide_author(&self, pid: Pid) -> Vec<ActionsEvent> {
        self.mine(pid)
            .filter(|action| !action.hidden)
            .map(|action| ActionsEvent::ActionHidden { action: action.id, hidden: true })
            .into_iter()
            .collect()
    }

    fn named(&self, pid: Option<Pid>, msg: &ActionsMsg, _events: &[ActionsEvent]) -> Named {
        let action = match msg {
            ActionsMsg::ActionWrite { .. } => pid.and_then(|pid| self.mine(pid)).map(|action| action.id),
            _ => None,
        };
        Named { action, ..Named::default() }
    }

    fn progress(&self, _hall: &Hall<'_>, progress: &mut Progress) {
        progress.phase = self.position().phase;
        progress.actions = Some(counts(self));
    }

    fn view(&self, hall: &Hall<'_>, role: Role, pid: Option<Pid>, view: &mut View) {
        match role {
            Role::Facilitator => view.wall = Some(wall(self, true)),
            Role::Screen => view.wall = (self.stage() == Stage::Wall).then(|| wall(self, false)),
            Role::Participant => {
                view.action =
                    pid.filter(|_| self.stage() != Stage::Lobby).map(|pid| own_action(self, hall, pid));
                view.wall = (self.stage() == Stage::Wall).then(|| wall(self, false));
            }
        }
    }

    fn export(&self, _hall: &Hall<'_>, export: &mut ActivityExport) {
        export.actions = self
            .actions()
            .iter()
            .map(|action| ActionExport {
                id: action.id,
                author: action.author,
                text: action.text.clone(),
                buddies: self
                    .buddies_of(action.author)
                    .map(|(_, others)| others.collect())
                    .unwrap_or_default(),
                random: self.buddies_of(action.author).is_some_and(|(buddies, _)| buddies.random),
                wall: action.wall,
                hidden: action.hidden,
                statuses: action
                    .statuses
                    .iter()
                    .map(|(status, note, at_ms)| StatusExport {
                        status: *status,
                        note: note.clone(),
                        at_ms: *at_ms,
                    })
                    .collect(),
            })
            .collect();
    }

    fn affected(&self, event: &ActionsEvent) -> Vec<Pid> {
        // Who saw a request or buddies that the event ends: known only before it applies.
        let buddies =
            |pid: &Pid| self.buddies_of(*pid).map(|(_, others)| others.collect()).unwrap_or_default();
        match event {
            ActionsEvent::BuddyAsked { pid, .. } | ActionsEvent::BuddyWithdrawn { pid } => {
                self.asked(*pid).into_iter().collect()
            }
            ActionsEvent::Paired { members, .. } => {
                let mut asking: Vec<Pid> = members.iter().flat_map(|&member| self.asking(member)).collect();
                asking.extend(members.iter().filter_map(|&member| self.asked(member)));
                asking
            }
            ActionsEvent::BuddyUndone { pid } => buddies(pid),
            _ => Vec::new(),
        }
    }

    fn announce(&self, hall: &Hall<'_>, event: &ActionsEvent, affected: Vec<Pid>, out: &mut Fanout<'_>) {
        let tell = |out: &mut Fanout<'_>, pids: &mut dyn Iterator<Item = Pid>| {
            for pid in pids {
                out.send(Target::Participant(pid), &ServerMsg::Action(own_action(self, hall, pid)));
            }
        };
        let with_buddies = |pid: Pid| {
            std::iter::once(pid).chain(self.buddies_of(pid).into_iter().flat_map(|(_, others)| others))
        };
        match event {
            ActionsEvent::WritingOpened
            | ActionsEvent::PairingOpened
            | ActionsEvent::PairingClosed { .. }
            | ActionsEvent::SteppedBack => {
                self.show_afresh(hall, out);
                return;
            }
            ActionsEvent::ActionWritten { pid, action, .. } => {
                tell(out, &mut with_buddies(*pid));
                out.pending.changed.push(action.0);
            }
            ActionsEvent::WallSet { pid, .. } => {
                tell(out, &mut std::iter::once(*pid));
                out.pending.changed.extend(self.mine(*pid).map(|action| action.id.0));
            }
            ActionsEvent::ActionHidden { action, .. } => out.pending.changed.push(action.0),
            ActionsEvent::BuddyAsked { pid, to } => tell(out, &mut [*pid, *to].into_iter().chain(affected)),
            ActionsEvent::BuddyWithdrawn { pid } => tell(out, &mut std::iter::once(*pid).chain(affected)),
            ActionsEvent::BuddyDeclined { pid, from } => tell(out, &mut [*pid, *from].into_iter()),
            ActionsEvent::Paired { members, .. } => tell(out, &mut members.iter().copied().chain(affected)),
            ActionsEvent::Joined { pid, .. } => tell(out, &mut with_buddies(*pid)),
            ActionsEvent::BuddyUndone { pid } => tell(out, &mut std::iter::once(*pid).chain(affected)),
            ActionsEvent::ContactSet { pid, .. } | ActionsEvent::StatusSet { pid, .. } => {
                tell(out, &mut with_buddies(*pid));
            }
        }
        out.pending.progress = true;
    }

    fn send_pending(&self, _hall: &Hall<'_>, pending: &mut Pending, out: &mut Fanout<'_>) {
        let mut changed = std::mem::take(&mut pending.changed);
        changed.sort_unstable();
        changed.dedup();
        if !changed.is_empty() {
            send_wall_changes(self, &changed, out);
        }
    }

    fn show_afresh(&self, hall: &Hall<'_>, out: &mut Fanout<'_>) {
        let activity = out.activity();
        let lobby = self.stage() == Stage::Lobby;
        out.pending.changed.clear();
        out.bring_up_to_date(activity.as_ref(), true, |pid| {
            (!lobby).then(|| Frame::of(&ServerMsg::Action(own_action(self, hall, pid))))
        });
        send_wall(self, out);
        out.pending.progress = true;
    }
}

/// How many actions were written, paired (by choice and at random), shown and followed up.
pub fn counts(actions: &Actions) -> ActionsProgress {
    let mut counts =
        ActionsProgress { written: actions.actions().len() as u32, ..ActionsProgress::default() };
    for buddies in actions.all_buddies() {
        let paired = if buddies.random { &mut counts.paired_random } else { &mut counts.paired_chosen };
        *paired += buddies.members.len() as u32;
    }
    for action in actions.actions() {
        counts.on_wall += u32::from(action.wall && !action.hidden);
        counts.started += u32::from(action.status() == Status::Started);
        counts.done += u32::from(action.status() == Status::Done);
    }
    counts.asking = actions.requests() as u32;
    counts
}

/// Those connected now, with their zones, as the engine pairs them.
fn present_with_zones(hall: &Hall<'_>) -> Vec<(Pid, Option<String>)> {
    hall.present.iter().map(|&pid| (pid, hall.zone(pid).map(str::to_owned))).collect()
}

/// The wall to facilitators always, and to screens and phones once the activity is at it.
fn send_wall(actions: &Actions, out: &mut Fanout<'_>) {
    out.send(
        Target::Facilitators,
        &ServerMsg::Wall { actions: wall(actions, true), removed: Vec::new(), update: false },
    );
    if actions.stage() == Stage::Wall {
        out.send(
            Target::Audience,
            &ServerMsg::Wall { actions: wall(actions, false), removed: Vec::new(), update: false },
        );
    }
}

/// What changed on the wall since the last tick: with many people choosing at once, each
/// phone gets one small frame a tick rather than the whole wall for each choice.
fn send_wall_changes(actions: &Actions, changed: &[u32], out: &mut Fanout<'_>) {
    let changes = |with_hidden: bool| {
        let (mut shown, mut removed) = (Vec::new(), Vec::new());
        for action in changed.iter().filter_map(|&id| actions.action(ActionId(id))) {
            if action.wall && (with_hidden || !action.hidden) {
                shown.push(WallEntry { id: action.id, text: action.text.clone(), hidden: action.hidden });
            } else {
                removed.push(action.id);
            }
        }
        ServerMsg::Wall { actions: shown, removed, update: true }
    };
    out.send(Target::Facilitators, &changes(true));
    if actions.stage() == Stage::Wall {
        out.send(Target::Audience, &changes(false));
    }
}

/// The actions their writers chose to show, anonymous; with `hidden`, also those a
/// facilitator took off it, marked.
pub fn wall(actions: &Actions, hidden: bool) -> Vec<WallEntry> {
    actions
        .actions()
        .iter()
        .filter(|action| action.wall && (hidden || !action.hidden))
        .map(|action| WallEntry { id: action.id, text: action.text.clone(), hidden: action.hidden })
        .collect()
}

fn person(hall: &Hall<'_>, pid: Pid) -> Person {
    let participant = hall.participant(pid);
    Person {
        pid,
        name: participant.and_then(|p| p.name.clone()),
        zone: participant.and_then(|p| p.zone.clone()),
    }
}

/// `pid`'s buddies as they see them: a contact line only when both left one.
pub fn buddies(actions: &Actions, hall: &Hall<'_>, pid: Pid) -> Vec<Buddy> {
    let Some((_, others)) = actions.buddies_of(pid) else { return Vec::new() };
    let mutual = actions.contact(pid).is_some();
    others
        .map(|other| {
            let Person { pid, name, zone } = person(hall, other);
            let action = actions.mine(other);
            Buddy {
                pid,
                name,
                zone,
                action: action.filter(|action| !action.hidden).map(|action| action.text.clone()),
                contact: actions.contact(other).filter(|_| mutual).map(str::to_owned),
                status: action.map(|action| action.status()).unwrap_or_default(),
            }
        })
        .collect()
}

/// A participant's own side: their action, code, buddies and requests.
pub fn own_action(actions: &Actions, hall: &Hall<'_>, pid: Pid) -> OwnAction {
    let mine = actions.mine(pid);
    OwnAction {
        id: mine.map(|action| action.id),
        text: mine.map(|action| action.text.clone()),
        wall: mine.is_some_and(|action| action.wall),
        code: actions.code(pid).map(|code| format!("{code:04}")),
        buddies: buddies(actions, hall, pid),
        random: actions.buddies_of(pid).is_some_and(|(buddies, _)| buddies.random),
        asked: actions.asked(pid).map(|to| person(hall, to)),
        asking: actions.asking(pid).into_iter().map(|from| person(hall, from)).collect(),
        contact: actions.contact(pid).map(str::to_owned),
        status: mine.map(|action| action.status()).unwrap_or_default(),
    }
}
