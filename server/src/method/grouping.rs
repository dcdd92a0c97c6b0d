//! The 1-3-9 as a method: its requests, views, export and what each change tells whom, over
//! the pure engine in `engine::grouping`.

use std::collections::HashSet;

use lapp_protocol::{
    ActivityExport, FeedNote, GroupExport, GroupId, GroupView, GroupingMsg, Member, NoteExport, NoteId,
    NoteView, Phase, Pid, PosterGroup, Progress, Role, ServerMsg, View,
};
use rand::Rng;

use super::{Batched, Hall, Item, Method, Named, Pending, Position};
use crate::actor::{Fanout, Frame, Target};
use crate::engine::Refusal;
use crate::engine::grouping::{Group, Grouping, GroupingEvent, Note, Shown};
use crate::engine::labels;
use crate::session::Sender;

/// How many of the latest notes a facilitator's `welcome` holds, to moderate.
pub const FEED_NOTES: usize = 100;

/// How many of the hall's most-starred notes a phone's poster shows.
pub const POSTER_TOP: usize = 10;

impl Method for Grouping {
    type Event = GroupingEvent;
    type Msg = GroupingMsg;

    fn decide(
        &self,
        _hall: &Hall<'_>,
        sender: Sender,
        msg: &GroupingMsg,
        _rng: &mut impl Rng,
    ) -> Result<Vec<GroupingEvent>, Refusal> {
        let name = msg.type_name();
        match msg {
            GroupingMsg::NoteAdd { text } => Ok(vec![self.add_note(sender.participant(name)?, text)?]),
            GroupingMsg::NoteStar { note, on } => {
                Ok(self.star(sender.participant(name)?, *note, *on)?.into_iter().collect())
            }
            GroupingMsg::NoteEdit { note, text } => {
                Ok(self.edit(sender.participant(name)?, *note, text)?.into_iter().collect())
            }
            GroupingMsg::NoteDelete { note } => Ok(vec![self.delete(sender.participant(name)?, *note)?]),
            GroupingMsg::NoteHide { note, hidden } => {
                sender.facilitator(name)?;
                Ok(vec![self.hide(*note, *hidden)?])
            }
        }
    }

    fn apply(&mut self, event: &GroupingEvent) {
        Grouping::apply(self, event);
    }

    fn next_phase(&self, hall: &Hall<'_>, rng: &mut impl Rng) -> Result<GroupingEvent, Refusal> {
        let present: Vec<(Pid, Option<String>)> =
            hall.present.iter().map(|&pid| (pid, hall.zone(pid).map(str::to_owned))).collect();
        Grouping::next_phase(self, &present, rng)
    }

    fn step_back(&self) -> Result<GroupingEvent, Refusal> {
        Grouping::step_back(self)
    }

    fn position(&self) -> Position {
        let (phase, level) = self.phase();
        Position { phase, round: None, level }
    }

    fn late_arrival(&self, hall: &Hall<'_>, pid: Pid) -> Option<GroupingEvent> {
        self.late_join(pid, hall.zone(pid))
    }

    fn author(&self, item: Item) -> Option<Pid> {
        match item {
            Item::Note(note) => self.note(note).map(|note| note.author),
            _ => None,
        }
    }

    fn hide_author(&self, pid: Pid) -> Vec<GroupingEvent> {
        self.notes()
            .iter()
            .filter(|note| note.author == pid && !note.gone())
            .map(|note| GroupingEvent::NoteHidden { note: note.id, hidden: true })
            .collect()
    }

    fn named(&self, _pid: Option<Pid>, _msg: &GroupingMsg, events: &[GroupingEvent]) -> Named {
        let note = events.iter().find_map(|event| match event {
            GroupingEvent::NoteAdded { note, .. } => Some(*note),
            _ => None,
        });
        Named { note, ..Named::default() }
    }

    fn progress(&self, _hall: &Hall<'_>, progress: &mut Progress) {
        (progress.phase, progress.level) = self.phase();
        let visible = || self.notes().iter().filter(|note| !note.gone());
        progress.notes = Some(visible().count() as u32);
        let mut writers: Vec<Pid> =
            visible().filter(|note| note.level == 0).map(|note| note.author).collect();
        writers.sort_unstable();
        writers.dedup();
        progress.solo_writers = Some(writers.len() as u32);
        if let Some(level) = progress.level {
            let (mut groups, mut starred, mut empty) = (0, 0, 0);
            for group in self.groups_at(level) {
                // What a group shows is found once for both counts: at later levels it is
                // gathered from the groups it merges.
                let shown = self.shown(group);
                groups += 1;
                starred += u32::from(shown.iter().any(|shown| shown.note.stars_at(level) > 0));
                empty += u32::from(shown.is_empty());
            }
            progress.groups = Some(groups);
            progress.groups_starred = Some(starred);
            progress.groups_empty = Some(empty);
        }
    }

    fn view(&self, hall: &Hall<'_>, role: Role, pid: Option<Pid>, view: &mut View) {
        match role {
            Role::Facilitator => {
                view.poster = poster(self, hall);
                view.feed = Some(feed(self, hall, FEED_NOTES));
            }
            Role::Screen => view.poster = poster(self, hall),
            Role::Participant => {
                let Some(pid) = pid else { return };
                match self.phase() {
                    (Phase::Solo, _) => view.notes = Some(note_views(self.solo_notes(pid))),
                    (Phase::Level, _) => {
                        view.group = self.current_group(pid).map(|group| group_view(self, hall, group));
                    }
                    (Phase::Poster, _) => {
                        let own =
                            self.group_of(pid, self.levels()).map(|group| poster_group(self, hall, group));
                        view.poster = Some(own.into_iter().collect());
                        view.top = Some(poster_top(self, hall, POSTER_TOP));
                    }
                    _ => {}
                }
            }
        }
    }

    fn export(&self, hall: &Hall<'_>, export: &mut ActivityExport) {
        export.groups = self
            .groups()
            .iter()
            .map(|group| GroupExport {
                id: group.id,
                level: group.level,
                label: labels::label(group.index, hall.language),
                members: group.members.clone(),
                merged: group.merged.clone(),
            })
            .collect();
        export.notes = self
            .notes()
            .iter()
            .map(|note| NoteExport {
                id: note.id,
                author: note.author,
                text: note.text.clone(),
                level: note.level,
                group: note.group,
                hidden: note.hidden,
                deleted: note.deleted,
                stars: note.stars.iter().map(|stars| stars.len() as u32).collect(),
            })
            .collect();
    }

    fn announce(&self, hall: &Hall<'_>, event: &GroupingEvent, _affected: Vec<Pid>, out: &mut Fanout<'_>) {
        match event {
            GroupingEvent::SoloOpened => out.send_activity(Target::Everyone),
            GroupingEvent::LevelStarted { level, .. } => {
                out.send_activity(Target::Everyone);
                out.batched.level_changed = true;
                changed_groups(self, out, |group| group.level == *level);
            }
            GroupingEvent::MemberJoined { group, .. } => out.batched.groups.push(group.0),
            GroupingEvent::GroupOpened { group, .. } => out.batched.groups.push(group.id.0),
            GroupingEvent::NoteAdded { note, .. }
            | GroupingEvent::NoteEdited { note, .. }
            | GroupingEvent::NoteDeleted { note } => {
                out.batched.notes.extend(changed_in(self, event).map(|(group, note)| (group.0, note.0)));
                out.pending.changed.push(note.0);
            }
            GroupingEvent::NoteStarred { .. } => {
                out.batched.notes.extend(changed_in(self, event).map(|(group, note)| (group.0, note.0)));
            }
            GroupingEvent::NoteHidden { note, .. } => {
                // A note may be shown in several groups: everyone at the current level gets
                // their group again, and the poster is sent again.
                let level = self.phase().1;
                changed_groups(self, out, |candidate| Some(candidate.level) == level);
                send_posters(self, hall, out);
                out.pending.changed.push(note.0);
            }
            GroupingEvent::PosterReached => {
                out.send_activity(Target::Everyone);
                send_posters(self, hall, out);
            }
            GroupingEvent::SteppedBack => {
                out.send_activity(Target::Everyone);
                out.batched.level_changed = true;
                let level = self.phase().1;
                changed_groups(self, out, |candidate| Some(candidate.level) == level);
            }
        }
        out.pending.progress = true;
    }

    /// Each group that changed in the batch, once, to its connected members, if it is still of
    /// the open level (a level that ended in the batch takes its groups with it). A group sent
    /// whole goes to all its members: before the answers to their requests, or, after a change
    /// of level, after the `activity`. When only notes changed, the members who asked for
    /// something in the batch get those notes in a `notes` frame before their answers, so a
    /// note's author sees it in the group before its `ack`; the other members get them at the
    /// next tick (see [`Method::send_pending`]), with whatever else changed by then.
    fn send_batched(&self, hall: &Hall<'_>, batched: &mut Batched, out: &mut Fanout<'_>) {
        let level_changed = std::mem::take(&mut batched.level_changed);
        let mut whole = std::mem::take(&mut batched.groups);
        let mut notes = std::mem::take(&mut batched.notes);
        let Some(level) = self.phase().1 else { return };
        whole.sort_unstable();
        whole.dedup();
        notes.sort_unstable();
        notes.dedup();
        let open = |id: u32| self.group(GroupId(id)).filter(|group| group.level == level);
        let mut send = |group: &Group, frame: Frame| {
            for &pid in &group.members {
                match level_changed {
                    true => out.send_frame(Target::Participant(pid), &frame),
                    false => out.send_before_answers(pid, &frame),
                }
            }
        };
        for group in whole.iter().filter_map(|&id| open(id)) {
            send(group, Frame::of(&ServerMsg::Group(group_view(self, hall, group))));
        }
        // What changed since the last tick, this batch included: a member who asks now gets all
        // of it for their group, as a member who did not ask in an earlier batch lacks what that
        // batch changed, and a note put in out of its order would stay out of it.
        let since_tick = &mut out.pending.notes;
        since_tick.extend_from_slice(&notes);
        since_tick.sort_unstable();
        since_tick.dedup();
        for run in notes.chunk_by(|a, b| a.0 == b.0) {
            let id = run[0].0;
            let Some(group) = open(id).filter(|_| whole.binary_search(&id).is_err()) else { continue };
            if !group.members.iter().any(|&pid| out.asked(pid)) {
                continue;
            }
            let since_tick = &out.pending.notes;
            let from = since_tick.partition_point(|&(group, _)| group < id);
            let to = since_tick.partition_point(|&(group, _)| group <= id);
            let frame = notes_frame(self, group, &since_tick[from..to]);
            for &pid in &group.members {
                if out.asked(pid) {
                    out.send_before_answers(pid, &frame);
                }
            }
        }
    }

    fn show_afresh(&self, hall: &Hall<'_>, out: &mut Fanout<'_>) {
        let activity = out.activity();
        out.bring_up_to_date(activity.as_ref(), true, |_| None);
        if let Some(level) = self.phase().1 {
            send_groups(self, hall, out, |group| group.level == level);
        }
        send_posters(self, hall, out);
        // Facilitators moderate this activity's notes: all they need, as a `welcome` has it.
        out.pending.changed.clear();
        out.send(Target::Facilitators, &ServerMsg::Feed { notes: feed(self, hall, FEED_NOTES) });
    }

    /// The notes changed since the last tick to every member of their groups still open (the
    /// frame is made now, so it shows each note as it stands), and the changed notes to the
    /// facilitators' moderation feed.
    fn send_pending(&self, hall: &Hall<'_>, pending: &mut Pending, out: &mut Fanout<'_>) {
        let notes = std::mem::take(&mut pending.notes); // sorted by `send_batched`
        let level = self.phase().1;
        for (id, changed) in notes.chunk_by(|a, b| a.0 == b.0).map(|run| (run[0].0, run)) {
            let Some(group) = self.group(GroupId(id)).filter(|group| Some(group.level) == level) else {
                continue;
            };
            let frame = notes_frame(self, group, changed);
            for &pid in &group.members {
                out.send_frame(Target::Participant(pid), &frame);
            }
        }
        if pending.changed.is_empty() {
            return;
        }
        let mut ids = std::mem::take(&mut pending.changed);
        ids.sort_unstable();
        ids.dedup();
        let notes = ids
            .into_iter()
            .filter_map(|id| self.note(NoteId(id)))
            .map(|note| feed_note(self, hall, note))
            .collect();
        out.send(Target::Facilitators, &ServerMsg::Feed { notes });
    }
}

/// Marks each group that `which` picks as changed, to be sent at the end of the batch.
fn changed_groups(grouping: &Grouping, out: &mut Fanout<'_>, which: impl Fn(&Group) -> bool) {
    out.batched.groups.extend(grouping.groups().iter().filter(|group| which(group)).map(|group| group.id.0));
}

/// Each group that `which` picks, encoded once and sent to its connected members.
fn send_groups(grouping: &Grouping, hall: &Hall<'_>, out: &mut Fanout<'_>, which: impl Fn(&Group) -> bool) {
    for group in grouping.groups().iter().filter(|group| which(group)) {
        let frame = Frame::of(&ServerMsg::Group(group_view(grouping, hall, group)));
        for &pid in &group.members {
            out.send_frame(Target::Participant(pid), &frame);
        }
    }
}

/// At the poster: the whole poster to facilitators and screens, and to each phone its own
/// final group with the hall's most-starred notes (each group's frame encoded once).
fn send_posters(grouping: &Grouping, hall: &Hall<'_>, out: &mut Fanout<'_>) {
    let Some(groups) = poster(grouping, hall) else { return };
    let top = poster_top(grouping, hall, POSTER_TOP);
    out.send(Target::Watchers, &ServerMsg::Poster { groups, top: Vec::new() });
    let mut placed = HashSet::new();
    for group in grouping.groups_at(grouping.levels()) {
        let own = poster_group(grouping, hall, group);
        let frame = Frame::of(&ServerMsg::Poster { groups: vec![own], top: top.clone() });
        for &pid in &group.members {
            out.send_frame(Target::Participant(pid), &frame);
            placed.insert(pid);
        }
    }
    let without_group = Frame::of(&ServerMsg::Poster { groups: Vec::new(), top });
    for pid in out.connected().into_iter().filter(|pid| !placed.contains(pid)) {
        out.send_frame(Target::Participant(pid), &without_group);
    }
}

/// A note as facilitators moderate it.
fn feed_note(grouping: &Grouping, hall: &Hall<'_>, note: &Note) -> FeedNote {
    FeedNote {
        id: note.id,
        text: note.text.clone(),
        level: note.level,
        group: note
            .group
            .and_then(|id| grouping.group(id))
            .map(|group| labels::label(group.index, hall.language)),
        hidden: note.hidden,
        deleted: note.deleted,
    }
}

/// For a facilitator to moderate, oldest first: the latest `limit` notes, and every hidden
/// one (so it can be shown again).
fn feed(grouping: &Grouping, hall: &Hall<'_>, limit: usize) -> Vec<FeedNote> {
    let notes = grouping.notes();
    let latest_from = notes.len().saturating_sub(limit);
    notes
        .iter()
        .enumerate()
        .filter(|(at, note)| !note.deleted && (*at >= latest_from || note.hidden))
        .map(|(_, note)| feed_note(grouping, hall, note))
        .collect()
}

/// The group whose members must hear of a note that `event`, just applied, changed, and the
/// note: the group it was written in (a note changes only while its level is open), or, for a
/// star, the starrer's (a note shows in one group of each level). `None` for a note written
/// alone, and for events that change no note.
fn changed_in(grouping: &Grouping, event: &GroupingEvent) -> Option<(GroupId, NoteId)> {
    match event {
        GroupingEvent::NoteAdded { note, group, .. } => group.map(|group| (group, *note)),
        GroupingEvent::NoteEdited { note, .. } | GroupingEvent::NoteDeleted { note } => {
            grouping.note(*note).and_then(|found| found.group).map(|group| (group, *note))
        }
        GroupingEvent::NoteStarred { note, pid, level, .. } => {
            grouping.group_of(*pid, *level).map(|group| (group.id, *note))
        }
        _ => None,
    }
}

/// The notes `changed` as `group` shows them now, in the order it shows them, and those of them
/// it no longer shows.
fn changed_notes(
    grouping: &Grouping,
    group: &Group,
    changed: impl Iterator<Item = NoteId>,
) -> (Vec<NoteView>, Vec<NoteId>) {
    let mut removed: Vec<NoteId> = changed.collect();
    removed.sort_unstable();
    removed.dedup();
    let mut notes = Vec::new();
    for shown in grouping.shown(group) {
        if let Some(at) = removed.iter().position(|&id| id == shown.note.id) {
            removed.swap_remove(at);
            notes.push(note_view(&shown, group.level));
        }
    }
    (notes, removed)
}

/// A `notes` frame for `group` with the `changed` notes, given as (group, note) pairs.
fn notes_frame(grouping: &Grouping, group: &Group, changed: &[(u32, u32)]) -> Frame {
    let (notes, removed) = changed_notes(grouping, group, changed.iter().map(|&(_, note)| NoteId(note)));
    Frame::of(&ServerMsg::Notes { group: group.id, notes, removed })
}

fn note_view(shown: &Shown<'_>, level: u32) -> NoteView {
    NoteView {
        id: shown.note.id,
        text: shown.note.text.clone(),
        stars: shown.note.stars_at(level),
        from: shown.from,
        starred_by: shown.note.starred_by(level),
    }
}

/// What a group's members see of it.
fn group_view(grouping: &Grouping, hall: &Hall<'_>, group: &Group) -> GroupView {
    GroupView {
        level: group.level,
        id: group.id,
        label: labels::label(group.index, hall.language),
        // A removed participant's name leaves every group's screen.
        members: group
            .members
            .iter()
            .filter_map(|&pid| hall.participant(pid).filter(|p| !p.removed).map(|p| (pid, p)))
            .map(|(pid, participant)| Member { pid, name: participant.name.clone() })
            .collect(),
        notes: grouping.shown(group).iter().map(|shown| note_view(shown, group.level)).collect(),
    }
}

/// The poster: every final group with its starred notes, once grouping reaches it.
pub fn poster(grouping: &Grouping, hall: &Hall<'_>) -> Option<Vec<PosterGroup>> {
    if grouping.phase().0 != Phase::Poster {
        return None;
    }
    Some(grouping.groups_at(grouping.levels()).map(|group| poster_group(grouping, hall, group)).collect())
}

/// The poster's `limit` most-starred notes across every group, best first.
fn poster_top(grouping: &Grouping, hall: &Hall<'_>, limit: usize) -> Vec<NoteView> {
    let mut notes: Vec<NoteView> =
        poster(grouping, hall).unwrap_or_default().into_iter().flat_map(|group| group.notes).collect();
    notes.sort_by(|a, b| b.stars.cmp(&a.stars).then(a.id.cmp(&b.id)));
    notes.truncate(limit);
    // Every phone gets these: who starred them in other groups is not theirs to see.
    for note in &mut notes {
        note.starred_by.clear();
    }
    notes
}

fn poster_group(grouping: &Grouping, hall: &Hall<'_>, group: &Group) -> PosterGroup {
    let view = group_view(grouping, hall, group);
    let notes = view.notes.into_iter().filter(|note| note.stars > 0).collect();
    PosterGroup { id: view.id, label: view.label, notes }
}

/// Notes as their writer sees them.
fn note_views<'a>(notes: impl Iterator<Item = &'a Note>) -> Vec<NoteView> {
    notes
        .map(|note| NoteView {
            id: note.id,
            text: note.text.clone(),
            stars: 0,
            from: None,
            starred_by: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use lapp_protocol::GroupingConfig;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// What the members of each group of `level` see of its notes.
    fn views(grouping: &Grouping, level: u32) -> BTreeMap<GroupId, GroupView> {
        grouping
            .groups_at(level)
            .map(|group| {
                let notes = grouping.shown(group).iter().map(|shown| note_view(shown, level)).collect();
                (
                    group.id,
                    GroupView { level, id: group.id, label: String::new(), members: Vec::new(), notes },
                )
            })
            .collect()
    }

    /// One member's random request at the open level: a star or unstar of a note in their
    /// group, a new note, or an edit or deletion of one of their own.
    fn act(grouping: &Grouping, pid: Pid, level: u32, rng: &mut StdRng) -> Option<GroupingEvent> {
        let group = grouping.group_of(pid, level)?;
        let shown: Vec<NoteId> = grouping.shown(group).iter().map(|shown| shown.note.id).collect();
        let own: Vec<NoteId> = grouping
            .notes()
            .iter()
            .filter(|note| note.author == pid && note.group == Some(group.id) && !note.gone())
            .map(|note| note.id)
            .collect();
        let pick =
            |ids: &[NoteId], rng: &mut StdRng| (!ids.is_empty()).then(|| ids[rng.random_range(0..ids.len())]);
        match rng.random_range(0..5) {
            0 | 1 => grouping.star(pid, pick(&shown, rng)?, rng.random_bool(0.7)).ok().flatten(),
            2 => grouping.add_note(pid, "in the group").ok(),
            3 => grouping.edit(pid, pick(&own, rng)?, "edited").ok().flatten(),
            _ => grouping.delete(pid, pick(&own, rng)?).ok(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Batches of random requests at a level, with ticks between some of them. Every frame
        /// holds the notes changed since the last tick: a member who asks in a batch gets one
        /// at its end, and every member gets one at each tick. Three members of each group, one
        /// who asks in every batch, one now and then, one never: each, with every frame put into
        /// what they last saw, sees the group as it then stands: notes and their order, stars
        /// and starrers.
        #[test]
        fn a_groups_notes_frames_rebuild_it(seed in any::<u64>(), people in 2u32..30, level in 1u32..=2, batches in 1usize..8) {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut grouping = Grouping::new(GroupingConfig { sizes: vec![3, 9], max_chars: 280 });
            let present: Vec<(Pid, Option<String>)> = (1..=people).map(|pid| (Pid(pid), None)).collect();
            let step = |grouping: &mut Grouping, rng: &mut StdRng| {
                let event = grouping.next_phase(&present, rng).expect("the next phase");
                grouping.apply(&event);
            };
            step(&mut grouping, &mut rng); // solo
            for pid in 1..=people {
                if rng.random_bool(0.8) {
                    let event = grouping.add_note(Pid(pid), "alone").expect("a note alone");
                    grouping.apply(&event);
                }
            }
            for reached in 1..=level {
                step(&mut grouping, &mut rng);
                // Some stars at level 1 bring notes on to level 2.
                for pid in (1..=people).filter(|_| reached < level) {
                    if let Some(event) = act(&grouping, Pid(pid), reached, &mut rng) {
                        grouping.apply(&event);
                    }
                }
            }
            // What each of the three members last saw of every group.
            let mut seen = [views(&grouping, level), views(&grouping, level), views(&grouping, level)];
            let mut since_tick: Vec<(u32, u32)> = Vec::new();
            let frame_into = |seen: &mut BTreeMap<GroupId, GroupView>, grouping: &Grouping, since_tick: &[(u32, u32)]| {
                for run in since_tick.chunk_by(|a, b| a.0 == b.0) {
                    let group = grouping.group(GroupId(run[0].0)).expect("a group of the level");
                    let (notes, removed) = changed_notes(grouping, group, run.iter().map(|&(_, note)| NoteId(note)));
                    seen.get_mut(&group.id).expect("seen").apply(group.id, &notes, &removed);
                }
            };
            for batch in 0..batches {
                for _ in 0..rng.random_range(1..=3 * people) {
                    let pid = Pid(rng.random_range(1..=people));
                    if let Some(event) = act(&grouping, pid, level, &mut rng) {
                        grouping.apply(&event);
                        since_tick.extend(changed_in(&grouping, &event).map(|(group, note)| (group.0, note.0)));
                    }
                }
                since_tick.sort_unstable();
                since_tick.dedup();
                let asking = [true, rng.random_bool(0.5), false];
                for (seen, _) in seen.iter_mut().zip(asking).filter(|(_, asks)| *asks) {
                    frame_into(seen, &grouping, &since_tick);
                    prop_assert_eq!(&*seen, &views(&grouping, level));
                }
                if rng.random_bool(0.5) || batch + 1 == batches {
                    for seen in &mut seen {
                        frame_into(seen, &grouping, &since_tick);
                        prop_assert_eq!(&*seen, &views(&grouping, level));
                    }
                    since_tick.clear();
                }
            }
        }
    }
}
