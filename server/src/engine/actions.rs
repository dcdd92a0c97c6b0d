//! The micro-actions engine (#mikrohandling): everyone writes one small action, pairs with a
//! buddy by a four-digit code (or is paired at random when pairing closes), chooses whether
//! the action goes on the wall, and later sets how it is going.
//!
//! The rules it keeps are in docs/protocol.md's actions section; `tests` checks the pairing
//! rules as properties over random halls.

use std::collections::HashMap;

use lapp_protocol::limits::{MAX_CONTACT_CHARS, MAX_STATUS_NOTE_CHARS};
use lapp_protocol::{ActionId, ActionsConfig, ErrorCode, Pid, Status};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::{Refusal, clean_text};

/// How many buddy codes there are: four digits.
const CODES: u16 = 10_000;

/// Where an actions activity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Lobby,
    Writing,
    Pairing,
    Wall,
}

/// Everything that changes an actions activity. Random pairings are stored as their outcome,
/// so replaying these never draws a random number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ActionsEvent {
    WritingOpened,
    PairingOpened,
    /// Pairing closed: those still alone were paired at random (`formed`), or joined a pair
    /// (`joined`: who, and the index of the buddies they joined).
    PairingClosed {
        formed: Vec<Vec<Pid>>,
        joined: Vec<(Pid, u32)>,
    },
    /// Back one step: from the wall to pairing, or from pairing to writing. Pairs stay.
    SteppedBack,
    ActionWritten {
        pid: Pid,
        action: ActionId,
        text: String,
        /// The writer's buddy code, drawn at their first write.
        code: u16,
    },
    WallSet {
        pid: Pid,
        shown: bool,
    },
    ActionHidden {
        action: ActionId,
        hidden: bool,
    },
    BuddyAsked {
        pid: Pid,
        to: Pid,
    },
    BuddyWithdrawn {
        pid: Pid,
    },
    BuddyDeclined {
        pid: Pid,
        from: Pid,
    },
    /// New buddies: by code (a request accepted) or, after pairing closed, at random.
    Paired {
        members: Vec<Pid>,
        random: bool,
    },
    /// Someone alone joined existing buddies, after pairing closed.
    Joined {
        pid: Pid,
        buddies: u32,
    },
    BuddyUndone {
        pid: Pid,
    },
    ContactSet {
        pid: Pid,
        contact: Option<String>,
    },
    StatusSet {
        pid: Pid,
        status: Status,
        note: Option<String>,
        at_ms: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub id: ActionId,
    pub author: Pid,
    pub text: String,
    pub code: u16,
    pub wall: bool,
    pub hidden: bool,
    /// Every status set, oldest first.
    pub statuses: Vec<(Status, Option<String>, u64)>,
}

impl Action {
    pub fn status(&self) -> Status {
        self.statuses.last().map_or(Status::NotStarted, |(status, _, _)| *status)
    }

    pub fn note(&self) -> Option<&str> {
        self.statuses.last().and_then(|(_, note, _)| note.as_deref())
    }
}

/// Two (or three) people who follow up each other's actions. Undone buddies keep their
/// place, empty, so indexes stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buddies {
    pub members: Vec<Pid>,
    pub random: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actions {
    config: ActionsConfig,
    stage: Stage,
    /// Indexed by `id.index() - 1`.
    actions: Vec<Action>,
    by_author: HashMap<Pid, ActionId>,
    codes: HashMap<u16, Pid>,
    buddies: Vec<Buddies>,
    buddies_of: HashMap<Pid, usize>,
    /// Who asked whom, until answered or withdrawn.
    asked: HashMap<Pid, Pid>,
    contacts: HashMap<Pid, String>,
}

impl Actions {
    pub fn new(config: ActionsConfig) -> Actions {
        Actions {
            config,
            stage: Stage::Lobby,
            actions: Vec::new(),
            by_author: HashMap::new(),
            codes: HashMap::new(),
            buddies: Vec::new(),
            buddies_of: HashMap::new(),
            asked: HashMap::new(),
            contacts: HashMap::new(),
        }
    }

    pub fn config(&self) -> &ActionsConfig {
        &self.config
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    pub fn action(&self, id: ActionId) -> Option<&Action> {
        id.index().checked_sub(1).and_then(|index| self.actions.get(index))
    }

    pub fn mine(&self, pid: Pid) -> Option<&Action> {
        self.by_author.get(&pid).and_then(|&id| self.action(id))
    }

    /// Everyone `pid` is buddies with, not `pid`.
    pub fn buddies_of(&self, pid: Pid) -> Option<(&Buddies, impl Iterator<Item = Pid> + '_)> {
        let buddies = &self.buddies[*self.buddies_of.get(&pid)?];
        Some((buddies, buddies.members.iter().copied().filter(move |&other| other != pid)))
    }

    pub fn all_buddies(&self) -> impl Iterator<Item = &Buddies> {
        self.buddies.iter().filter(|buddies| !buddies.members.is_empty())
    }

    pub fn has_buddy(&self, pid: Pid) -> bool {
        self.buddies_of.contains_key(&pid)
    }

    pub fn asked(&self, pid: Pid) -> Option<Pid> {
        self.asked.get(&pid).copied()
    }

    /// Who is asking `pid`, in pid order.
    pub fn asking(&self, pid: Pid) -> Vec<Pid> {
        let mut asking: Vec<Pid> =
            self.asked.iter().filter(|&(_, &to)| to == pid).map(|(&from, _)| from).collect();
        asking.sort_unstable();
        asking
    }

    pub fn requests(&self) -> usize {
        self.asked.len()
    }

    pub fn contact(&self, pid: Pid) -> Option<&str> {
        self.contacts.get(&pid).map(String::as_str)
    }

    /// The buddy code shown while pairing, to whoever wrote an action and has no buddy.
    pub fn code(&self, pid: Pid) -> Option<u16> {
        let action = self.mine(pid)?;
        (self.stage == Stage::Pairing && !self.has_buddy(pid)).then_some(action.code)
    }

    // ---- commands -------------------------------------------------------------------------

    /// Writes or rewrites `pid`'s action: while writing and pairing, and a first one later
    /// (someone who arrived late).
    pub fn write(&self, pid: Pid, text: &str, rng: &mut impl Rng) -> Result<Option<ActionsEvent>, Refusal> {
        let mine = self.mine(pid);
        match (self.stage, mine) {
            (Stage::Lobby, _) => {
                return Err(Refusal::new(ErrorCode::WrongPhase, "writing has not opened yet"));
            }
            (Stage::Wall, Some(_)) => {
                return Err(Refusal::new(
                    ErrorCode::WrongPhase,
                    "pairing has closed: actions no longer change",
                ));
            }
            _ => {}
        }
        let text = clean_text(text, self.config.max_chars)?;
        if let Some(mine) = mine {
            return Ok((mine.text != text).then_some(ActionsEvent::ActionWritten {
                pid,
                action: mine.id,
                text,
                code: mine.code,
            }));
        }
        if self.codes.len() >= usize::from(CODES) {
            return Err(Refusal::new(ErrorCode::SessionFull, "every buddy code is taken"));
        }
        let code = loop {
            let code = rng.random_range(0..CODES);
            if !self.codes.contains_key(&code) {
                break code;
            }
        };
        Ok(Some(ActionsEvent::ActionWritten {
            pid,
            action: ActionId(self.actions.len() as u32 + 1),
            text,
            code,
        }))
    }

    pub fn set_wall(&self, pid: Pid, shown: bool) -> Result<Option<ActionsEvent>, Refusal> {
        let mine = self.mine(pid).ok_or_else(no_action)?;
        Ok((mine.wall != shown).then_some(ActionsEvent::WallSet { pid, shown }))
    }

    pub fn hide(&self, action: ActionId, hidden: bool) -> Result<ActionsEvent, Refusal> {
        self.action(action)
            .ok_or_else(|| Refusal::new(ErrorCode::UnknownItem, format!("no action {action}")))?;
        Ok(ActionsEvent::ActionHidden { action, hidden })
    }

    /// Asks the owner of `code` to be `pid`'s buddy. Asking someone who has already asked
    /// `pid` pairs them at once.
    pub fn ask(&self, pid: Pid, code: &str) -> Result<ActionsEvent, Refusal> {
        self.may_pair(pid)?;
        let to = code
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|_| code.trim().len() == 4)
            .and_then(|code| self.codes.get(&code).copied())
            .ok_or_else(|| {
                Refusal::new(ErrorCode::UnknownItem, format!("nobody has the buddy code {code:?}"))
            })?;
        if to == pid {
            return Err(Refusal::new(ErrorCode::Yourself, "that is your own buddy code"));
        }
        if self.has_buddy(to) || self.mine(to).is_none_or(|action| action.hidden) {
            return Err(Refusal::new(ErrorCode::Taken, "they already have a buddy"));
        }
        if self.asked(to) == Some(pid) {
            return Ok(ActionsEvent::Paired { members: vec![to, pid], random: false });
        }
        Ok(ActionsEvent::BuddyAsked { pid, to })
    }

    pub fn answer(&self, pid: Pid, from: Pid, accept: bool) -> Result<ActionsEvent, Refusal> {
        if self.asked(from) != Some(pid) {
            return Err(Refusal::new(ErrorCode::UnknownItem, "that request was withdrawn"));
        }
        if !accept {
            return Ok(ActionsEvent::BuddyDeclined { pid, from });
        }
        self.may_pair(pid)?;
        Ok(ActionsEvent::Paired { members: vec![from, pid], random: false })
    }

    pub fn withdraw(&self, pid: Pid) -> Result<ActionsEvent, Refusal> {
        self.asked(pid).ok_or_else(|| Refusal::new(ErrorCode::UnknownItem, "you have asked nobody"))?;
        Ok(ActionsEvent::BuddyWithdrawn { pid })
    }

    pub fn undo(&self, pid: Pid) -> Result<ActionsEvent, Refusal> {
        if self.stage != Stage::Pairing {
            return Err(Refusal::new(ErrorCode::WrongPhase, "buddies can be undone only while pairing"));
        }
        if !self.has_buddy(pid) {
            return Err(Refusal::new(ErrorCode::UnknownItem, "you have no buddy to undo"));
        }
        Ok(ActionsEvent::BuddyUndone { pid })
    }

    pub fn set_contact(&self, pid: Pid, text: &str) -> Result<Option<ActionsEvent>, Refusal> {
        if self.stage == Stage::Lobby {
            return Err(Refusal::new(ErrorCode::WrongPhase, "writing has not opened yet"));
        }
        let contact = match clean_text(&text.replace('\n', " "), MAX_CONTACT_CHARS as u32) {
            Ok(contact) => Some(contact),
            Err(refusal) if refusal.code == ErrorCode::EmptyText => None,
            Err(refusal) => return Err(refusal),
        };
        Ok((self.contacts.get(&pid) != contact.as_ref()).then_some(ActionsEvent::ContactSet { pid, contact }))
    }

    pub fn set_status(
        &self,
        pid: Pid,
        status: Status,
        note: Option<&str>,
        now_ms: u64,
    ) -> Result<ActionsEvent, Refusal> {
        self.mine(pid).ok_or_else(no_action)?;
        let note = match note.map(|note| clean_text(note, MAX_STATUS_NOTE_CHARS as u32)) {
            None => None,
            Some(Ok(note)) => Some(note),
            Some(Err(refusal)) if refusal.code == ErrorCode::EmptyText => None,
            Some(Err(refusal)) => return Err(refusal),
        };
        Ok(ActionsEvent::StatusSet { pid, status, note, at_ms: now_ms })
    }

    fn may_pair(&self, pid: Pid) -> Result<(), Refusal> {
        if self.stage != Stage::Pairing {
            return Err(Refusal::new(
                ErrorCode::WrongPhase,
                "buddies pair by code only while pairing is open",
            ));
        }
        self.mine(pid).ok_or_else(no_action)?;
        if self.has_buddy(pid) {
            return Err(Refusal::new(ErrorCode::Taken, "you already have a buddy"));
        }
        Ok(())
    }

    /// Moves on: lobby → writing → pairing → wall. Closing pairing pairs everyone present who
    /// wrote an action and is still alone (see [`Actions::pair_the_rest`]).
    pub fn next_phase(
        &self,
        present: &[(Pid, Option<String>)],
        rng: &mut impl Rng,
    ) -> Result<ActionsEvent, Refusal> {
        match self.stage {
            Stage::Lobby => Ok(ActionsEvent::WritingOpened),
            Stage::Writing => Ok(ActionsEvent::PairingOpened),
            Stage::Pairing => Ok(self.pair_the_rest(present, rng)),
            Stage::Wall => Err(Refusal::new(ErrorCode::WrongPhase, "the wall is the last step")),
        }
    }

    pub fn step_back(&self) -> Result<ActionsEvent, Refusal> {
        match self.stage {
            Stage::Pairing | Stage::Wall => Ok(ActionsEvent::SteppedBack),
            Stage::Lobby | Stage::Writing => {
                Err(Refusal::new(ErrorCode::WrongPhase, "there is no step to go back to"))
            }
        }
    }

    /// Pairs those present who wrote an action and have no buddy: within their zone first,
    /// then across zones; with one left over, they join a pair just made (of their zone if
    /// one is), or else the smallest buddies there are.
    pub fn pair_the_rest(&self, present: &[(Pid, Option<String>)], rng: &mut impl Rng) -> ActionsEvent {
        let mut by_zone: Vec<(Option<&str>, Vec<Pid>)> = Vec::new();
        for (pid, zone) in present.iter().filter(|(pid, _)| self.alone_with_action(*pid)) {
            match by_zone.iter_mut().find(|(known, _)| *known == zone.as_deref()) {
                Some((_, pids)) => pids.push(*pid),
                None => by_zone.push((zone.as_deref(), vec![*pid])),
            }
        }
        let mut formed: Vec<Vec<Pid>> = Vec::new();
        let mut zone_of_formed = Vec::new();
        let mut left = Vec::new();
        for (zone, mut pids) in by_zone {
            pids.shuffle(rng);
            let mut pairs = pids.chunks_exact(2);
            for pair in pairs.by_ref() {
                formed.push(pair.to_vec());
                zone_of_formed.push(zone);
            }
            left.extend(pairs.remainder().iter().map(|&pid| (pid, zone)));
        }
        left.shuffle(rng);
        let mut pairs = left.chunks_exact(2);
        for pair in pairs.by_ref() {
            formed.push(vec![pair[0].0, pair[1].0]);
            zone_of_formed.push(None);
        }
        let mut joined = Vec::new();
        if let Some(&(pid, zone)) = pairs.remainder().first() {
            let same_zone = zone_of_formed.iter().position(|&formed_in| zone.is_some() && formed_in == zone);
            if let Some(at) =
                same_zone.or_else(|| (!formed.is_empty()).then(|| rng.random_range(0..formed.len())))
            {
                formed[at].push(pid);
            } else if let Some(buddies) = self.smallest_buddies(zone, present) {
                joined.push((pid, buddies));
            }
        }
        ActionsEvent::PairingClosed { formed, joined }
    }

    /// Someone present who wrote an action after pairing closed (or was away then): paired
    /// with someone else left alone, or else joins the smallest buddies of their zone.
    pub fn late_buddy(&self, pid: Pid, present: &[(Pid, Option<String>)]) -> Option<ActionsEvent> {
        if self.stage != Stage::Wall || !self.alone_with_action(pid) {
            return None;
        }
        let zone = present.iter().find(|(other, _)| *other == pid).and_then(|(_, zone)| zone.as_deref());
        let alone: Vec<&(Pid, Option<String>)> =
            present.iter().filter(|(other, _)| *other != pid && self.alone_with_action(*other)).collect();
        let partner = alone.iter().find(|(_, other)| other.as_deref() == zone).or(alone.first());
        if let Some((partner, _)) = partner {
            return Some(ActionsEvent::Paired { members: vec![*partner, pid], random: true });
        }
        let buddies = self.smallest_buddies(zone, present)?;
        Some(ActionsEvent::Joined { pid, buddies })
    }

    fn alone_with_action(&self, pid: Pid) -> bool {
        self.mine(pid).is_some_and(|action| !action.hidden) && !self.has_buddy(pid)
    }

    /// The smallest buddies with someone of `zone` in them, else the smallest of all.
    fn smallest_buddies(&self, zone: Option<&str>, present: &[(Pid, Option<String>)]) -> Option<u32> {
        let zone_of =
            |pid: Pid| present.iter().find(|(other, _)| *other == pid).and_then(|(_, z)| z.as_deref());
        let candidates =
            || self.buddies.iter().enumerate().filter(|(_, buddies)| !buddies.members.is_empty());
        let in_zone = candidates()
            .filter(|(_, b)| zone.is_some() && b.members.iter().any(|&m| zone_of(m) == zone))
            .min_by_key(|(i, b)| (b.members.len(), *i));
        in_zone
            .or_else(|| candidates().min_by_key(|(i, b)| (b.members.len(), *i)))
            .map(|(index, _)| index as u32)
    }

    // ---- events ---------------------------------------------------------------------------

    pub fn apply(&mut self, event: &ActionsEvent) {
        match event {
            ActionsEvent::WritingOpened => self.stage = Stage::Writing,
            ActionsEvent::PairingOpened => self.stage = Stage::Pairing,
            ActionsEvent::PairingClosed { formed, joined } => {
                self.stage = Stage::Wall;
                self.asked.clear();
                for members in formed {
                    self.pair(members, true);
                }
                for &(pid, buddies) in joined {
                    self.join(pid, buddies as usize);
                }
            }
            ActionsEvent::SteppedBack => {
                self.stage = match self.stage {
                    Stage::Wall => Stage::Pairing,
                    _ => Stage::Writing,
                };
            }
            ActionsEvent::ActionWritten { pid, action, text, code } => match self.action_mut(*action) {
                Some(existing) => existing.text.clone_from(text),
                None => {
                    self.actions.push(Action {
                        id: *action,
                        author: *pid,
                        text: text.clone(),
                        code: *code,
                        wall: false,
                        hidden: false,
                        statuses: Vec::new(),
                    });
                    self.by_author.insert(*pid, *action);
                    self.codes.insert(*code, *pid);
                }
            },
            ActionsEvent::WallSet { pid, shown } => {
                if let Some(&id) = self.by_author.get(pid)
                    && let Some(action) = self.action_mut(id)
                {
                    action.wall = *shown;
                }
            }
            ActionsEvent::ActionHidden { action, hidden } => {
                if let Some(action) = self.action_mut(*action) {
                    action.hidden = *hidden;
                }
            }
            ActionsEvent::BuddyAsked { pid, to } => {
                self.asked.insert(*pid, *to);
            }
            ActionsEvent::BuddyWithdrawn { pid } => {
                self.asked.remove(pid);
            }
            ActionsEvent::BuddyDeclined { from, .. } => {
                self.asked.remove(from);
            }
            ActionsEvent::Paired { members, random } => self.pair(members, *random),
            ActionsEvent::Joined { pid, buddies } => self.join(*pid, *buddies as usize),
            ActionsEvent::BuddyUndone { pid } => {
                if let Some(index) = self.buddies_of.get(pid).copied() {
                    for member in std::mem::take(&mut self.buddies[index].members) {
                        self.buddies_of.remove(&member);
                    }
                }
            }
            ActionsEvent::ContactSet { pid, contact } => match contact {
                Some(contact) => {
                    self.contacts.insert(*pid, contact.clone());
                }
                None => {
                    self.contacts.remove(pid);
                }
            },
            ActionsEvent::StatusSet { pid, status, note, at_ms } => {
                if let Some(&id) = self.by_author.get(pid)
                    && let Some(action) = self.action_mut(id)
                {
                    action.statuses.push((*status, note.clone(), *at_ms));
                }
            }
        }
    }

    fn action_mut(&mut self, id: ActionId) -> Option<&mut Action> {
        id.index().checked_sub(1).and_then(|index| self.actions.get_mut(index))
    }

    /// New buddies: whatever they asked, and whoever asked them, is over.
    fn pair(&mut self, members: &[Pid], random: bool) {
        self.asked.retain(|from, to| !members.contains(from) && !members.contains(to));
        for &member in members {
            self.buddies_of.insert(member, self.buddies.len());
        }
        self.buddies.push(Buddies { members: members.to_vec(), random });
    }

    fn join(&mut self, pid: Pid, index: usize) {
        if let Some(buddies) = self.buddies.get_mut(index) {
            buddies.members.push(pid);
            self.buddies_of.insert(pid, index);
        }
    }
}

fn no_action() -> Refusal {
    Refusal::new(ErrorCode::UnknownItem, "write your action first")
}

#[cfg(test)]
mod tests;
