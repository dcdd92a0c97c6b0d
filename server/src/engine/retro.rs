//! The retrospective engine: everyone adds short notes to a few columns (Plus and Delta, or
//! Start/Stop/Continue), deletes their own while collecting, and with `dots` puts a few dots
//! on the notes of one column, blind until the vote closes; facilitators may hide a note.
//!
//! It also decides who sees what of the board ([`Viewer`]): hidden notes reach facilitators
//! only, and dot counts reach participants and screens only once the retrospective is done.
//! `tests` checks the limits, those two rules and the replay as properties over random halls.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};

use lapp_protocol::{
    ErrorCode, Pid, RetroConfig, RetroNoteExport, RetroNoteId, RetroNoteView, RetroProgress,
};
use serde::{Deserialize, Serialize};

use super::{Refusal, clean_text};

/// Where a retrospective is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Lobby,
    Collect,
    Vote,
    Done,
}

/// Everything that changes a retrospective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RetroEvent {
    CollectOpened,
    VoteOpened,
    /// Done: after the vote, or after collecting when there is no vote.
    Finished,
    /// Back one step: done → vote (→ collect without a vote), vote → collect. Dots stay.
    SteppedBack,
    NoteAdded {
        pid: Pid,
        note: RetroNoteId,
        column: u32,
        text: String,
    },
    NoteDeleted {
        note: RetroNoteId,
    },
    /// `pid` now has `count` dots on `note` (0: none).
    DotsSet {
        pid: Pid,
        note: RetroNoteId,
        count: u32,
    },
    /// Hiding a note gives its dots back to their voters: they are gone from it for good.
    NoteHidden {
        note: RetroNoteId,
        hidden: bool,
    },
}

impl RetroEvent {
    /// The note an event changes, and whether participants and screens may learn that it
    /// changed: not of dots, since the vote is blind. `None` for a phase change, which shows
    /// the whole board afresh.
    pub fn changed_note(&self) -> Option<(RetroNoteId, bool)> {
        match self {
            RetroEvent::CollectOpened
            | RetroEvent::VoteOpened
            | RetroEvent::Finished
            | RetroEvent::SteppedBack => None,
            RetroEvent::NoteAdded { note, .. }
            | RetroEvent::NoteDeleted { note }
            | RetroEvent::NoteHidden { note, .. } => Some((*note, true)),
            RetroEvent::DotsSet { note, .. } => Some((*note, false)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: RetroNoteId,
    pub author: Pid,
    pub column: u32,
    pub text: String,
    pub hidden: bool,
    /// Deleted by its author; it keeps its place so ids stay indexes.
    pub deleted: bool,
    /// Every dot on it.
    pub dots: u32,
}

impl Note {
    /// On the board for everyone: neither deleted nor hidden.
    pub fn shown(&self) -> bool {
        !self.deleted && !self.hidden
    }
}

/// Who a board is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Hidden notes too (marked), and every dot count live.
    Facilitator,
    /// Screens, and the change frames every phone shares: no personal fields.
    Audience,
    /// A phone's whole board: also which notes are its own and its own dots.
    Participant(Pid),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retro {
    config: RetroConfig,
    stage: Stage,
    /// Indexed by id.
    notes: Vec<Note>,
    /// Every note each participant added, deleted ones too.
    by_author: HashMap<Pid, Vec<RetroNoteId>>,
    /// Each voter's dots by note; no zero counts, and no voter without a dot.
    votes: HashMap<Pid, BTreeMap<RetroNoteId, u32>>,
}

impl Retro {
    pub fn new(config: RetroConfig) -> Retro {
        Retro {
            config,
            stage: Stage::Lobby,
            notes: Vec::new(),
            by_author: HashMap::new(),
            votes: HashMap::new(),
        }
    }

    pub fn config(&self) -> &RetroConfig {
        &self.config
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Every note ever added, deleted ones too, by id.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    pub fn note(&self, id: RetroNoteId) -> Option<&Note> {
        self.notes.get(id.index())
    }

    /// Whether the retrospective has a dot vote at all.
    pub fn has_vote(&self) -> bool {
        self.config.dots > 0
    }

    /// Whether dots order the vote column: the vote has opened, or left dots behind after a
    /// step back.
    pub fn vote_held(&self) -> bool {
        self.has_vote() && (self.stage >= Stage::Vote || !self.votes.is_empty())
    }

    pub fn label(&self, column: u32) -> &str {
        self.config.columns.get(column as usize).map_or("", String::as_str)
    }

    /// `pid`'s dots on `note`.
    pub fn dots_of(&self, pid: Pid, note: RetroNoteId) -> u32 {
        self.votes.get(&pid).and_then(|dots| dots.get(&note)).copied().unwrap_or(0)
    }

    /// All of `pid`'s dots placed.
    pub fn spent(&self, pid: Pid) -> u32 {
        self.votes.get(&pid).map_or(0, |dots| dots.values().sum())
    }

    /// The voters and their dots, by note.
    pub fn votes(&self) -> impl Iterator<Item = (Pid, &BTreeMap<RetroNoteId, u32>)> {
        self.votes.iter().map(|(pid, dots)| (*pid, dots))
    }

    /// How many notes `pid` has in `column`, hidden ones included: a hidden note may be shown
    /// again, and the column must not then hold more of theirs than `max_notes`.
    pub fn notes_in(&self, pid: Pid, column: u32) -> usize {
        self.by_author.get(&pid).map_or(0, |ids| {
            ids.iter().filter_map(|&id| self.note(id)).filter(|n| !n.deleted && n.column == column).count()
        })
    }

    // ---- commands -------------------------------------------------------------------------

    pub fn add(&self, pid: Pid, column: u32, text: &str) -> Result<RetroEvent, Refusal> {
        if self.stage != Stage::Collect {
            return Err(Refusal::new(ErrorCode::WrongPhase, "notes are added only while collecting"));
        }
        let Some(label) = self.config.columns.get(column as usize) else {
            return Err(Refusal::new(
                ErrorCode::UnknownItem,
                format!(
                    "there is no column {column}: there are {} columns, from 0",
                    self.config.columns.len()
                ),
            ));
        };
        let text = clean_text(text, self.config.max_chars)?;
        if self.notes_in(pid, column) >= self.config.max_notes as usize {
            return Err(Refusal::new(
                ErrorCode::TooMany,
                format!(
                    "you already have {} notes in {label:?}, the most one may add",
                    self.config.max_notes
                ),
            ));
        }
        Ok(RetroEvent::NoteAdded { pid, note: RetroNoteId(self.notes.len() as u32), column, text })
    }

    pub fn delete(&self, pid: Pid, note: RetroNoteId) -> Result<RetroEvent, Refusal> {
        if self.stage != Stage::Collect {
            return Err(Refusal::new(ErrorCode::WrongPhase, "notes are deleted only while collecting"));
        }
        let found = self.shown_note(note)?;
        if found.author != pid {
            return Err(Refusal::new(ErrorCode::Forbidden, format!("{note} is someone else's note")));
        }
        Ok(RetroEvent::NoteDeleted { note })
    }

    /// Sets `pid`'s dots on `note`; `None` when they are already that.
    pub fn set_dots(&self, pid: Pid, note: RetroNoteId, count: u32) -> Result<Option<RetroEvent>, Refusal> {
        if self.stage != Stage::Vote {
            return Err(Refusal::new(ErrorCode::WrongPhase, "dots are placed only while the vote is open"));
        }
        let found = self.shown_note(note)?;
        if found.column != self.config.vote_column {
            return Err(Refusal::new(
                ErrorCode::UnknownItem,
                format!(
                    "{note} is not on the ballot: only the notes of {:?} take dots",
                    self.label(self.config.vote_column)
                ),
            ));
        }
        let current = self.dots_of(pid, note);
        let elsewhere = self.spent(pid) - current;
        if u64::from(elsewhere) + u64::from(count) > u64::from(self.config.dots) {
            return Err(Refusal::new(
                ErrorCode::TooMany,
                format!("you have {} dots in all and {} on other notes", self.config.dots, elsewhere),
            ));
        }
        Ok((count != current).then_some(RetroEvent::DotsSet { pid, note, count }))
    }

    /// Hides a note from everyone but facilitators, or shows it again; `None` when it already is.
    pub fn hide(&self, note: RetroNoteId, hidden: bool) -> Result<Option<RetroEvent>, Refusal> {
        let found = self
            .note(note)
            .filter(|found| !found.deleted)
            .ok_or_else(|| Refusal::new(ErrorCode::UnknownItem, format!("no note {note}")))?;
        Ok((found.hidden != hidden).then_some(RetroEvent::NoteHidden { note, hidden }))
    }

    /// Hides every note of `pid` still shown, as when a facilitator removes them.
    pub fn hide_author(&self, pid: Pid) -> Vec<RetroEvent> {
        let ids = self.by_author.get(&pid).map_or(&[][..], Vec::as_slice);
        ids.iter()
            .filter_map(|&id| self.note(id))
            .filter(|note| note.shown())
            .map(|note| RetroEvent::NoteHidden { note: note.id, hidden: true })
            .collect()
    }

    /// lobby → collect → vote (only with dots) → done.
    pub fn next_phase(&self) -> Result<RetroEvent, Refusal> {
        match self.stage {
            Stage::Lobby => Ok(RetroEvent::CollectOpened),
            Stage::Collect if self.has_vote() => Ok(RetroEvent::VoteOpened),
            Stage::Collect | Stage::Vote => Ok(RetroEvent::Finished),
            Stage::Done => {
                Err(Refusal::new(ErrorCode::WrongPhase, "the retrospective is done: the last step"))
            }
        }
    }

    pub fn step_back(&self) -> Result<RetroEvent, Refusal> {
        match self.stage {
            Stage::Vote | Stage::Done => Ok(RetroEvent::SteppedBack),
            Stage::Lobby | Stage::Collect => {
                Err(Refusal::new(ErrorCode::WrongPhase, "there is no step to go back to"))
            }
        }
    }

    /// A note participants may act on: there, and neither deleted nor hidden (they never see
    /// hidden notes, so those are unknown to them).
    fn shown_note(&self, note: RetroNoteId) -> Result<&Note, Refusal> {
        self.note(note)
            .filter(|found| found.shown())
            .ok_or_else(|| Refusal::new(ErrorCode::UnknownItem, format!("no note {note}")))
    }

    // ---- events ---------------------------------------------------------------------------

    pub fn apply(&mut self, event: &RetroEvent) {
        match event {
            RetroEvent::CollectOpened => self.stage = Stage::Collect,
            RetroEvent::VoteOpened => self.stage = Stage::Vote,
            RetroEvent::Finished => self.stage = Stage::Done,
            RetroEvent::SteppedBack => {
                self.stage = match self.stage {
                    Stage::Done if self.has_vote() => Stage::Vote,
                    _ => Stage::Collect,
                };
            }
            RetroEvent::NoteAdded { pid, note, column, text } => {
                // Ids are handed out in order, so a note's id is its index.
                if note.index() == self.notes.len() {
                    self.notes.push(Note {
                        id: *note,
                        author: *pid,
                        column: *column,
                        text: text.clone(),
                        hidden: false,
                        deleted: false,
                        dots: 0,
                    });
                    self.by_author.entry(*pid).or_default().push(*note);
                }
            }
            RetroEvent::NoteDeleted { note } => {
                if let Some(found) = self.notes.get_mut(note.index()) {
                    found.deleted = true;
                }
                self.release_dots(*note);
            }
            RetroEvent::DotsSet { pid, note, count } => {
                let Some(found) = self.notes.get_mut(note.index()) else { return };
                let dots = self.votes.entry(*pid).or_default();
                let before = if *count == 0 { dots.remove(note) } else { dots.insert(*note, *count) };
                found.dots = found.dots - before.unwrap_or(0) + count;
                if dots.is_empty() {
                    self.votes.remove(pid);
                }
            }
            RetroEvent::NoteHidden { note, hidden } => {
                if let Some(found) = self.notes.get_mut(note.index()) {
                    found.hidden = *hidden;
                }
                if *hidden {
                    self.release_dots(*note);
                }
            }
        }
    }

    /// Gives the dots on `note` back to their voters.
    fn release_dots(&mut self, note: RetroNoteId) {
        let Some(found) = self.notes.get_mut(note.index()) else { return };
        if std::mem::take(&mut found.dots) == 0 {
            return;
        }
        self.votes.retain(|_, dots| {
            dots.remove(&note);
            !dots.is_empty()
        });
    }

    // ---- views ----------------------------------------------------------------------------

    /// The whole board as `viewer` sees it, column by column: oldest first, but for the vote
    /// column once done, which is ordered by dots (ties to the earlier note).
    pub fn board(&self, viewer: Viewer) -> Vec<RetroNoteView> {
        let shared = match viewer {
            Viewer::Participant(_) => Viewer::Audience,
            other => other,
        };
        let mut notes: Vec<&Note> = self.notes.iter().filter(|note| self.shows(note, shared)).collect();
        self.sort(&mut notes, self.has_vote() && self.stage == Stage::Done);
        let mut board: Vec<RetroNoteView> =
            notes.into_iter().map(|note| self.view_of(note, shared)).collect();
        if let Viewer::Participant(pid) = viewer {
            let at = positions(&board);
            self.mark(&mut board, &at, pid, true);
        }
        board
    }

    /// Marks `pid`'s own notes and dots on the audience's board (`at` holds where each note
    /// is on it), or with `on` false takes the marks away again: each phone's whole board
    /// without building the board again for every phone.
    pub fn mark(&self, board: &mut [RetroNoteView], at: &HashMap<RetroNoteId, usize>, pid: Pid, on: bool) {
        for id in self.by_author.get(&pid).into_iter().flatten() {
            if let Some(view) = at.get(id).and_then(|&index| board.get_mut(index)) {
                view.mine = on;
            }
        }
        for (id, &count) in self.votes.get(&pid).into_iter().flatten() {
            if let Some(view) = at.get(id).and_then(|&index| board.get_mut(index)) {
                view.my_dots = if on { count } else { 0 };
            }
        }
    }

    /// What `changed` notes are now, as `viewer` sees them: those to put in place (by id),
    /// and those to take away (deleted, hidden, or never seen).
    pub fn changes(&self, changed: &[RetroNoteId], viewer: Viewer) -> (Vec<RetroNoteView>, Vec<RetroNoteId>) {
        let (mut notes, mut removed) = (Vec::new(), Vec::new());
        for &id in changed {
            match self.note(id).filter(|note| self.shows(note, viewer)) {
                Some(note) => notes.push(self.view_of(note, viewer)),
                None => removed.push(id),
            }
        }
        (notes, removed)
    }

    /// A column's notes on the board (not hidden or deleted), for the organisers: oldest
    /// first, or by dots in the vote column once a vote was held.
    pub fn column(&self, column: u32) -> Vec<&Note> {
        let mut notes: Vec<&Note> =
            self.notes.iter().filter(|note| note.column == column && note.shown()).collect();
        self.sort(&mut notes, self.vote_held());
        notes
    }

    /// Column by column, oldest first; with `by_dots`, the vote column by dots (ties to the
    /// earlier note).
    fn sort(&self, notes: &mut [&Note], by_dots: bool) {
        let vote_column = self.config.vote_column;
        notes.sort_by_key(|note| {
            let dots = if by_dots && note.column == vote_column { note.dots } else { 0 };
            (note.column, Reverse(dots), note.id)
        });
    }

    fn shows(&self, note: &Note, viewer: Viewer) -> bool {
        !note.deleted && (viewer == Viewer::Facilitator || !note.hidden)
    }

    fn view_of(&self, note: &Note, viewer: Viewer) -> RetroNoteView {
        // The vote is blind: counts reach participants and screens only once it has closed.
        let counted = self.has_vote()
            && note.column == self.config.vote_column
            && (viewer == Viewer::Facilitator || self.stage == Stage::Done);
        let (mine, my_dots) = match viewer {
            Viewer::Participant(pid) => (note.author == pid, self.dots_of(pid, note.id)),
            Viewer::Facilitator | Viewer::Audience => (false, 0),
        };
        RetroNoteView {
            id: note.id,
            column: note.column,
            text: note.text.clone(),
            mine,
            dots: counted.then_some(note.dots),
            my_dots,
            hidden: note.hidden,
        }
    }

    pub fn progress(&self) -> RetroProgress {
        let mut notes = vec![0; self.config.columns.len()];
        let mut writers = HashSet::new();
        for note in self.notes.iter().filter(|note| note.shown()) {
            if let Some(count) = notes.get_mut(note.column as usize) {
                *count += 1;
            }
            writers.insert(note.author);
        }
        RetroProgress { notes, writers: writers.len() as u32, voters: self.votes.len() as u32 }
    }

    /// Every note not deleted, by id, with its author and dots.
    pub fn export(&self) -> Vec<RetroNoteExport> {
        self.notes
            .iter()
            .filter(|note| !note.deleted)
            .map(|note| RetroNoteExport {
                id: note.id,
                column: note.column,
                label: self.label(note.column).to_owned(),
                author: note.author,
                text: note.text.clone(),
                dots: note.dots,
                hidden: note.hidden,
            })
            .collect()
    }
}

/// Where each note is on a board.
pub fn positions(board: &[RetroNoteView]) -> HashMap<RetroNoteId, usize> {
    board.iter().enumerate().map(|(index, view)| (view.id, index)).collect()
}

#[cfg(test)]
mod tests;
