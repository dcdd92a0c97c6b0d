//! The 1-3-9 engine: everyone answers alone, then in groups of `sizes[0]`, then in groups
//! of `sizes[1]` made of whole earlier groups, and the final groups' starred notes make the
//! poster.
//!
//! The rules it keeps are those of PROTOCOL.md's grouping section; `tests` checks them as
//! properties over random halls.

use std::collections::{BTreeMap, BTreeSet};

use lapp_protocol::{ErrorCode, GroupId, GroupingConfig, NoteId, Phase, Pid};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::{Refusal, clean_text};

/// Most notes one participant may add at one level, so one phone cannot flood a group.
pub const MAX_NOTES_PER_LEVEL: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Stage {
    Lobby,
    Solo,
    Level { level: u32 },
    Poster,
}

/// A group as formed: who is in it, where, and which groups of the level before it merges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormedGroup {
    pub id: GroupId,
    pub zone: Option<String>,
    pub members: Vec<Pid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<GroupId>,
}

/// Everything that changes a grouping activity. Group formation is stored as its outcome,
/// so replaying these never draws a random number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum GroupingEvent {
    SoloOpened,
    LevelStarted {
        level: u32,
        groups: Vec<FormedGroup>,
    },
    /// A participant who arrived after the level started joins a group of it.
    MemberJoined {
        level: u32,
        group: GroupId,
        pid: Pid,
    },
    /// A group made for someone who arrived when no group of the level could take them.
    GroupOpened {
        level: u32,
        group: FormedGroup,
    },
    NoteAdded {
        note: NoteId,
        pid: Pid,
        text: String,
        level: u32,
        group: Option<GroupId>,
    },
    NoteStarred {
        note: NoteId,
        pid: Pid,
        level: u32,
        on: bool,
    },
    NoteHidden {
        note: NoteId,
        hidden: bool,
    },
    /// Its author rewrote it while its level was open.
    NoteEdited {
        note: NoteId,
        text: String,
    },
    /// Its author deleted it while its level was open: its text is gone for good.
    NoteDeleted {
        note: NoteId,
    },
    PosterReached,
    /// The facilitator's undo of the poster: the last level is open again, as it was.
    SteppedBack,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub level: u32,
    /// Its place among its level's groups, from 0: what its label is made from.
    pub index: u32,
    pub zone: Option<String>,
    pub members: Vec<Pid>,
    pub merged: Vec<GroupId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: NoteId,
    pub author: Pid,
    pub text: String,
    /// 0 for a note written alone.
    pub level: u32,
    pub group: Option<GroupId>,
    pub hidden: bool,
    pub deleted: bool,
    /// Who starred it at each level: `stars[0]` is level 1.
    pub stars: Vec<BTreeSet<Pid>>,
}

impl Note {
    /// Whether it has left every view: hidden by a facilitator or deleted by its author.
    pub fn gone(&self) -> bool {
        self.hidden || self.deleted
    }

    /// Who starred it at `level`.
    pub fn starred_by(&self, level: u32) -> Vec<Pid> {
        level
            .checked_sub(1)
            .and_then(|at| self.stars.get(at as usize))
            .map_or_else(Vec::new, |stars| stars.iter().copied().collect())
    }

    pub fn stars_at(&self, level: u32) -> u32 {
        level.checked_sub(1).and_then(|at| self.stars.get(at as usize)).map_or(0, |stars| stars.len() as u32)
    }
}

/// A note as a group sees it: brought in from `from`, or written in the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown<'a> {
    pub note: &'a Note,
    pub from: Option<GroupId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    config: GroupingConfig,
    stage: Stage,
    groups: Vec<Group>,
    notes: Vec<Note>,
    /// The group of each participant at each level: `member_of[0]` is level 1.
    member_of: Vec<BTreeMap<Pid, GroupId>>,
    /// The notes each participant wrote, and those written in each group, in order: what a
    /// group shows is found from these, not by reading every note of the hall each time.
    by_author: BTreeMap<Pid, Vec<NoteId>>,
    by_group: BTreeMap<GroupId, Vec<NoteId>>,
}

impl Grouping {
    pub fn new(config: GroupingConfig) -> Grouping {
        let levels = config.sizes.len();
        Grouping {
            config,
            stage: Stage::Lobby,
            groups: Vec::new(),
            notes: Vec::new(),
            member_of: vec![BTreeMap::new(); levels],
            by_author: BTreeMap::new(),
            by_group: BTreeMap::new(),
        }
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    pub fn phase(&self) -> (Phase, Option<u32>) {
        match self.stage {
            Stage::Lobby => (Phase::Lobby, None),
            Stage::Solo => (Phase::Solo, None),
            Stage::Level { level } => (Phase::Level, Some(level)),
            Stage::Poster => (Phase::Poster, None),
        }
    }

    pub fn levels(&self) -> u32 {
        self.config.sizes.len() as u32
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    pub fn group(&self, id: GroupId) -> Option<&Group> {
        id.index().checked_sub(1).and_then(|index| self.groups.get(index))
    }

    pub fn note(&self, id: NoteId) -> Option<&Note> {
        id.index().checked_sub(1).and_then(|index| self.notes.get(index))
    }

    fn note_mut(&mut self, id: NoteId) -> Option<&mut Note> {
        id.index().checked_sub(1).and_then(|index| self.notes.get_mut(index))
    }

    /// The groups of one level.
    pub fn groups_at(&self, level: u32) -> impl Iterator<Item = &Group> {
        self.groups.iter().filter(move |group| group.level == level)
    }

    /// The group `pid` is in at `level`.
    pub fn group_of(&self, pid: Pid, level: u32) -> Option<&Group> {
        let at = level.checked_sub(1)? as usize;
        self.member_of.get(at)?.get(&pid).and_then(|&id| self.group(id))
    }

    /// The group `pid` is in now, if a level is open.
    pub fn current_group(&self, pid: Pid) -> Option<&Group> {
        match self.stage {
            Stage::Level { level } => self.group_of(pid, level),
            _ => None,
        }
    }

    /// The notes `pid` wrote alone, not hidden.
    pub fn solo_notes(&self, pid: Pid) -> impl Iterator<Item = &Note> {
        self.notes_in(self.by_author.get(&pid)).filter(|note| note.level == 0 && !note.gone())
    }

    /// The notes `ids` names, in the order they were written.
    fn notes_in<'a>(&'a self, ids: Option<&'a Vec<NoteId>>) -> impl Iterator<Item = &'a Note> + 'a {
        ids.into_iter().flatten().filter_map(|&id| self.note(id))
    }

    /// What a group sees: at level 1 its members' notes written alone; at later levels the
    /// notes starred in the groups it merges; and the notes written in it. Hidden notes
    /// leave every view.
    pub fn shown(&self, group: &Group) -> Vec<Shown<'_>> {
        let mut shown = Vec::new();
        if group.level == 1 {
            for member in &group.members {
                shown.extend(self.solo_notes(*member).map(|note| Shown { note, from: None }));
            }
        } else {
            for merged in group.merged.iter().filter_map(|&id| self.group(id)) {
                for earlier in self.shown(merged) {
                    if earlier.note.stars_at(merged.level) > 0 {
                        shown.push(Shown { note: earlier.note, from: Some(merged.id) });
                    }
                }
            }
        }
        shown.extend(
            self.notes_in(self.by_group.get(&group.id))
                .filter(|note| !note.gone())
                .map(|note| Shown { note, from: None }),
        );
        shown
    }

    /// Whether some note shown in `group` is starred at its level.
    pub fn has_starred(&self, group: &Group) -> bool {
        self.shown(group).iter().any(|shown| shown.note.stars_at(group.level) > 0)
    }

    // ---- commands -------------------------------------------------------------------------

    /// lobby → solo → level 1 → … → poster. `present` are the participants connected now,
    /// with their zones.
    pub fn next_phase(
        &self,
        present: &[(Pid, Option<String>)],
        rng: &mut impl Rng,
    ) -> Result<GroupingEvent, Refusal> {
        match self.stage {
            Stage::Lobby => Ok(GroupingEvent::SoloOpened),
            Stage::Solo => {
                Ok(GroupingEvent::LevelStarted { level: 1, groups: self.form_first_level(present, rng) })
            }
            Stage::Level { level } if level < self.levels() => {
                Ok(GroupingEvent::LevelStarted { level: level + 1, groups: self.merge_level(level + 1, rng) })
            }
            Stage::Level { .. } => Ok(GroupingEvent::PosterReached),
            Stage::Poster => Err(Refusal::new(ErrorCode::WrongPhase, "this activity is finished")),
        }
    }

    /// Places someone who arrived after the level started: into the smallest group of their
    /// zone, else the smallest group of the level, else a group of their own.
    pub fn late_join(&self, pid: Pid, zone: Option<&str>) -> Option<GroupingEvent> {
        let Stage::Level { level } = self.stage else { return None };
        if self.group_of(pid, level).is_some() {
            return None;
        }
        let smallest = |in_zone: bool| {
            self.groups_at(level)
                .filter(|group| !in_zone || group.zone.as_deref() == zone)
                .min_by_key(|group| (group.members.len(), group.id))
        };
        match smallest(true).or_else(|| smallest(false)) {
            Some(group) => Some(GroupingEvent::MemberJoined { level, group: group.id, pid }),
            None => Some(GroupingEvent::GroupOpened {
                level,
                group: FormedGroup {
                    id: GroupId(self.groups.len() as u32 + 1),
                    zone: zone.map(str::to_owned),
                    members: vec![pid],
                    merged: Vec::new(),
                },
            }),
        }
    }

    /// A note: alone while `solo`, else in the writer's group.
    pub fn add_note(&self, pid: Pid, text: &str) -> Result<GroupingEvent, Refusal> {
        let (level, group) = match self.stage {
            Stage::Solo => (0, None),
            Stage::Level { level } => {
                let group = self
                    .group_of(pid, level)
                    .ok_or_else(|| Refusal::new(ErrorCode::WrongPhase, "you are not in a group yet"))?;
                (level, Some(group.id))
            }
            Stage::Lobby | Stage::Poster => {
                return Err(Refusal::new(ErrorCode::WrongPhase, "notes are written alone or in groups"));
            }
        };
        let text = clean_text(text, self.config.max_chars)?;
        let written = self.notes_in(self.by_author.get(&pid)).filter(|note| note.level == level).count();
        if written >= MAX_NOTES_PER_LEVEL {
            return Err(Refusal::new(
                ErrorCode::RateLimited,
                format!("at most {MAX_NOTES_PER_LEVEL} notes each at a time"),
            ));
        }
        Ok(GroupingEvent::NoteAdded { note: NoteId(self.notes.len() as u32 + 1), pid, text, level, group })
    }

    /// A member stars (or unstars) a note shown in their group. `None`: nothing changes.
    pub fn star(&self, pid: Pid, note: NoteId, on: bool) -> Result<Option<GroupingEvent>, Refusal> {
        let Stage::Level { level } = self.stage else {
            return Err(Refusal::new(ErrorCode::WrongPhase, "notes are starred in groups"));
        };
        let group = self
            .group_of(pid, level)
            .ok_or_else(|| Refusal::new(ErrorCode::WrongPhase, "you are not in a group yet"))?;
        let shown = self.shown(group).into_iter().find(|shown| shown.note.id == note);
        let Some(shown) = shown else {
            return Err(Refusal::new(ErrorCode::UnknownItem, format!("no note {note} in your group")));
        };
        let starred = shown.note.stars.get(level as usize - 1).is_some_and(|stars| stars.contains(&pid));
        Ok((starred != on).then_some(GroupingEvent::NoteStarred { note, pid, level, on }))
    }

    pub fn hide(&self, note: NoteId, hidden: bool) -> Result<GroupingEvent, Refusal> {
        if self.note(note).is_none_or(|note| note.deleted) {
            return Err(Refusal::new(ErrorCode::UnknownItem, format!("no note {note}")));
        }
        Ok(GroupingEvent::NoteHidden { note, hidden })
    }

    /// Its author rewrites a note while its level is open. `None`: the text is the same.
    pub fn edit(&self, pid: Pid, note: NoteId, text: &str) -> Result<Option<GroupingEvent>, Refusal> {
        let current = self.own_open_note(pid, note)?;
        let text = clean_text(text, self.config.max_chars)?;
        Ok((current.text != text).then_some(GroupingEvent::NoteEdited { note, text }))
    }

    /// Its author deletes a note while its level is open.
    pub fn delete(&self, pid: Pid, note: NoteId) -> Result<GroupingEvent, Refusal> {
        self.own_open_note(pid, note)?;
        Ok(GroupingEvent::NoteDeleted { note })
    }

    /// A note `pid` wrote, still in view, at the level open now.
    fn own_open_note(&self, pid: Pid, id: NoteId) -> Result<&Note, Refusal> {
        let note = self
            .note(id)
            .filter(|note| note.author == pid && !note.gone())
            .ok_or_else(|| Refusal::new(ErrorCode::UnknownItem, format!("no note {id} of yours")))?;
        let open = match self.stage {
            Stage::Solo => note.level == 0,
            Stage::Level { level } => note.level == level,
            Stage::Lobby | Stage::Poster => false,
        };
        if !open {
            return Err(Refusal::new(
                ErrorCode::WrongPhase,
                "a note can be changed only while the step it was written in is open",
            ));
        }
        Ok(note)
    }

    /// The facilitator's undo: only the poster goes back (to the last level, as it was).
    pub fn step_back(&self) -> Result<GroupingEvent, Refusal> {
        match self.stage {
            Stage::Poster => Ok(GroupingEvent::SteppedBack),
            _ => Err(Refusal::new(ErrorCode::WrongPhase, "only the poster can go back to the last level")),
        }
    }

    // ---- events ---------------------------------------------------------------------------

    pub fn apply(&mut self, event: &GroupingEvent) {
        match event {
            GroupingEvent::SoloOpened => self.stage = Stage::Solo,
            GroupingEvent::LevelStarted { level, groups } => {
                self.stage = Stage::Level { level: *level };
                for (index, formed) in groups.iter().enumerate() {
                    self.add_group(*level, index as u32, formed);
                }
            }
            GroupingEvent::MemberJoined { level, group, pid } => {
                if let Some(target) =
                    group.index().checked_sub(1).and_then(|index| self.groups.get_mut(index))
                {
                    target.members.push(*pid);
                }
                if let Some(members) = self.member_of.get_mut(*level as usize - 1) {
                    members.insert(*pid, *group);
                }
            }
            GroupingEvent::GroupOpened { level, group } => {
                let index = self.groups_at(*level).count() as u32;
                self.add_group(*level, index, group);
            }
            GroupingEvent::NoteAdded { note, pid, text, level, group } => {
                // A note's id is its place in the list: the indexes and `note` rely on it.
                debug_assert_eq!(note.index(), self.notes.len() + 1);
                self.notes.push(Note {
                    id: *note,
                    author: *pid,
                    text: text.clone(),
                    level: *level,
                    group: *group,
                    hidden: false,
                    deleted: false,
                    stars: Vec::new(),
                });
                self.by_author.entry(*pid).or_default().push(*note);
                if let Some(group) = group {
                    self.by_group.entry(*group).or_default().push(*note);
                }
            }
            GroupingEvent::NoteStarred { note, pid, level, on } => {
                if let Some(note) = self.note_mut(*note) {
                    let at = *level as usize - 1;
                    if note.stars.len() <= at {
                        note.stars.resize_with(at + 1, BTreeSet::new);
                    }
                    if *on {
                        note.stars[at].insert(*pid);
                    } else {
                        note.stars[at].remove(pid);
                    }
                }
            }
            GroupingEvent::NoteHidden { note, hidden } => {
                if let Some(note) = self.note_mut(*note) {
                    note.hidden = *hidden;
                }
            }
            GroupingEvent::NoteEdited { note, text } => {
                if let Some(note) = self.note_mut(*note) {
                    note.text.clone_from(text);
                    // Stars were given to the old words: the new ones start again at 0.
                    if let Some(stars) =
                        (note.level as usize).checked_sub(1).and_then(|at| note.stars.get_mut(at))
                    {
                        stars.clear();
                    }
                }
            }
            GroupingEvent::NoteDeleted { note } => {
                if let Some(note) = self.note_mut(*note) {
                    note.deleted = true;
                    note.text.clear();
                }
            }
            GroupingEvent::PosterReached => self.stage = Stage::Poster,
            GroupingEvent::SteppedBack => {
                if self.stage == Stage::Poster {
                    self.stage = Stage::Level { level: self.levels() };
                }
            }
        }
    }

    fn add_group(&mut self, level: u32, index: u32, formed: &FormedGroup) {
        if let Some(members) = self.member_of.get_mut(level as usize - 1) {
            for pid in &formed.members {
                members.insert(*pid, formed.id);
            }
        }
        self.groups.push(Group {
            id: formed.id,
            level,
            index,
            zone: formed.zone.clone(),
            members: formed.members.clone(),
            merged: formed.merged.clone(),
        });
    }

    // ---- forming groups -------------------------------------------------------------------

    /// Level 1: groups of `sizes[0]` inside each zone; someone alone in their zone joins the
    /// smallest group elsewhere, since a group of one is no group.
    fn form_first_level(&self, present: &[(Pid, Option<String>)], rng: &mut impl Rng) -> Vec<FormedGroup> {
        let size = self.config.sizes[0] as usize;
        let mut zones: BTreeMap<Option<&str>, Vec<Pid>> = BTreeMap::new();
        for (pid, zone) in present {
            zones.entry(zone.as_deref()).or_default().push(*pid);
        }
        let mut formed: Vec<FormedGroup> = Vec::new();
        let mut alone: Vec<Pid> = Vec::new();
        for (zone, mut people) in zones {
            if people.len() == 1 {
                alone.extend(people);
                continue;
            }
            people.shuffle(rng);
            for chunk in split_evenly(&people, group_count(people.len(), size)) {
                formed.push(FormedGroup {
                    id: GroupId(0),
                    zone: zone.map(str::to_owned),
                    members: chunk.to_vec(),
                    merged: Vec::new(),
                });
            }
        }
        if formed.is_empty() && !alone.is_empty() {
            // Everyone is alone in their zone: they form groups together.
            alone.shuffle(rng);
            let count = group_count(alone.len(), size);
            for chunk in split_evenly(&alone, count) {
                formed.push(FormedGroup {
                    id: GroupId(0),
                    zone: None,
                    members: chunk.to_vec(),
                    merged: Vec::new(),
                });
            }
        } else {
            for pid in alone {
                if let Some(smallest) = formed.iter_mut().min_by_key(|group| group.members.len()) {
                    smallest.members.push(pid);
                }
            }
        }
        self.number(formed)
    }

    /// Level `level` ≥ 2: whole groups of the level before, merged inside their zone into
    /// groups of about `sizes[level - 1]`, keeping the merged groups' sizes balanced.
    fn merge_level(&self, level: u32, rng: &mut impl Rng) -> Vec<FormedGroup> {
        let size = self.config.sizes[level as usize - 1] as usize;
        let mut zones: BTreeMap<Option<&str>, Vec<&Group>> = BTreeMap::new();
        for group in self.groups_at(level - 1) {
            zones.entry(group.zone.as_deref()).or_default().push(group);
        }
        let mut formed = Vec::new();
        for (zone, mut earlier) in zones {
            earlier.shuffle(rng);
            earlier.sort_by_key(|group| std::cmp::Reverse(group.members.len()));
            let members: usize = earlier.iter().map(|group| group.members.len()).sum();
            let count = group_count(members, size).min(earlier.len()).max(1);
            let mut bins: Vec<FormedGroup> = (0..count)
                .map(|_| FormedGroup {
                    id: GroupId(0),
                    zone: zone.map(str::to_owned),
                    members: Vec::new(),
                    merged: Vec::new(),
                })
                .collect();
            for group in earlier {
                if let Some(bin) = bins.iter_mut().min_by_key(|bin| bin.members.len()) {
                    bin.members.extend(&group.members);
                    bin.merged.push(group.id);
                }
            }
            formed.extend(bins);
        }
        self.number(formed)
    }

    /// Gives freshly formed groups their ids, after every existing group.
    fn number(&self, mut formed: Vec<FormedGroup>) -> Vec<FormedGroup> {
        for (offset, group) in formed.iter_mut().enumerate() {
            group.id = GroupId(self.groups.len() as u32 + offset as u32 + 1);
        }
        formed
    }
}

/// How many groups `people` make at a target `size`: as near the target as can be, and never
/// a group of one.
pub fn group_count(people: usize, size: usize) -> usize {
    let rounded = (2 * people + size) / (2 * size);
    rounded.min(people / 2).max(1)
}

/// `items` in `count` runs whose lengths differ by at most one.
fn split_evenly<T>(items: &[T], count: usize) -> impl Iterator<Item = &[T]> {
    let (base, extra) = (items.len() / count, items.len() % count);
    let mut start = 0;
    (0..count).map(move |at| {
        let length = base + usize::from(at < extra);
        let run = &items[start..start + length];
        start += length;
        run
    })
}

#[cfg(test)]
mod tests;
