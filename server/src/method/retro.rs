//! The retrospective as a method: its requests, views, export, summary and what each change
//! tells whom, over the pure engine in `engine::retro`.
//!
//! The board goes whole with `welcome` and at each phase change, each phone's with its own
//! notes and dots marked; after that only the notes that changed go out, at most once a tick,
//! in one `retro {update: true}` frame encoded once for every phone, so a hall writing at
//! once costs each phone one small frame a tick rather than the whole board per note.

use lapp_protocol::{ActivityExport, Phase, Pid, Progress, RetroMsg, RetroNoteId, Role, ServerMsg, View};
use rand::Rng;

use super::{Hall, Item, Method, Named, Pending, Position};
use crate::actor::{Fanout, Frame, Target};
use crate::engine::Refusal;
pub use crate::engine::retro::{Retro, RetroEvent};
use crate::engine::retro::{Stage, Viewer, positions};
use crate::followup::Block;
use crate::session::Sender;

/// Marks a note in [`Pending::changed`] whose change only facilitators may see: its dots,
/// which participants and screens must not learn of before the vote closes (not even that
/// a note changed). Note ids stay far below it.
const FACILITATORS_ONLY: u32 = 1 << 31;

impl Method for Retro {
    type Event = RetroEvent;
    type Msg = RetroMsg;

    fn decide(
        &self,
        _hall: &Hall<'_>,
        sender: Sender,
        msg: &RetroMsg,
        _rng: &mut impl Rng,
    ) -> Result<Vec<RetroEvent>, Refusal> {
        let name = msg.type_name();
        match msg {
            RetroMsg::RetroAdd { column, text } => {
                Ok(vec![self.add(sender.participant(name)?, *column, text)?])
            }
            RetroMsg::RetroDelete { note } => Ok(vec![self.delete(sender.participant(name)?, *note)?]),
            RetroMsg::RetroDots { note, count } => {
                Ok(self.set_dots(sender.participant(name)?, *note, *count)?.into_iter().collect())
            }
            RetroMsg::RetroHide { note, hidden } => {
                sender.facilitator(name)?;
                Ok(self.hide(*note, *hidden)?.into_iter().collect())
            }
        }
    }

    fn apply(&mut self, event: &RetroEvent) {
        Retro::apply(self, event);
    }

    fn next_phase(&self, _hall: &Hall<'_>, _rng: &mut impl Rng) -> Result<RetroEvent, Refusal> {
        Retro::next_phase(self)
    }

    fn step_back(&self) -> Result<RetroEvent, Refusal> {
        Retro::step_back(self)
    }

    fn position(&self) -> Position {
        let phase = match self.stage() {
            Stage::Lobby => Phase::Lobby,
            Stage::Collect => Phase::Collect,
            Stage::Vote => Phase::Vote,
            Stage::Done => Phase::Done,
        };
        Position { phase, round: None, level: None }
    }

    fn late_arrival(&self, _hall: &Hall<'_>, _pid: Pid) -> Option<RetroEvent> {
        None
    }

    /// Retrospective notes are not among the items `participant.remove` names.
    fn author(&self, item: Item) -> Option<Pid> {
        match item {
            Item::RetroNote(note) => self.note(note).map(|note| note.author),
            _ => None,
        }
    }

    fn hide_author(&self, pid: Pid) -> Vec<RetroEvent> {
        Retro::hide_author(self, pid)
    }

    fn named(&self, _pid: Option<Pid>, _msg: &RetroMsg, events: &[RetroEvent]) -> Named {
        let retro = events.iter().find_map(|event| match event {
            RetroEvent::NoteAdded { note, .. } => Some(*note),
            _ => None,
        });
        Named { retro, ..Named::default() }
    }

    fn progress(&self, _hall: &Hall<'_>, progress: &mut Progress) {
        progress.phase = self.position().phase;
        progress.retro = Some(Retro::progress(self));
    }

    fn view(&self, _hall: &Hall<'_>, role: Role, pid: Option<Pid>, view: &mut View) {
        let open = self.stage() != Stage::Lobby;
        view.retro = match role {
            Role::Facilitator => Some(self.board(Viewer::Facilitator)),
            Role::Screen => open.then(|| self.board(Viewer::Audience)),
            Role::Participant => pid.filter(|_| open).map(|pid| self.board(Viewer::Participant(pid))),
        };
    }

    fn export(&self, _hall: &Hall<'_>, export: &mut ActivityExport) {
        export.retro = Retro::export(self);
    }

    fn announce(&self, hall: &Hall<'_>, event: &RetroEvent, _affected: Vec<Pid>, out: &mut Fanout<'_>) {
        match event.changed_note() {
            None => self.show_afresh(hall, out),
            Some((note, shared)) => {
                out.pending.changed.push(if shared { note.0 } else { note.0 | FACILITATORS_ONLY });
                out.pending.progress = true;
            }
        }
        // The change frames are shared, so they cannot say whose a note is: the author of a
        // note shown again, which their phone may never have had, is told it is theirs.
        if let RetroEvent::NoteHidden { note, hidden: false } = event
            && let Some(author) = self.note(*note).map(|found| found.author)
        {
            let (notes, removed) = self.changes(&[*note], Viewer::Participant(author));
            out.send(Target::Participant(author), &ServerMsg::Retro { notes, removed, update: true });
        }
    }

    fn send_pending(&self, _hall: &Hall<'_>, pending: &mut Pending, out: &mut Fanout<'_>) {
        let changed = std::mem::take(&mut pending.changed);
        if changed.is_empty() {
            return;
        }
        let ids = |shared_only: bool| {
            let mut ids: Vec<RetroNoteId> = changed
                .iter()
                .filter(|&&id| !shared_only || id & FACILITATORS_ONLY == 0)
                .map(|&id| RetroNoteId(id & !FACILITATORS_ONLY))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let update = |(notes, removed)| ServerMsg::Retro { notes, removed, update: true };
        out.send(Target::Facilitators, &update(self.changes(&ids(false), Viewer::Facilitator)));
        let shared = ids(true);
        if !shared.is_empty() {
            // One frame for every phone and screen: encoded once, the same bytes to all.
            out.send(Target::Audience, &update(self.changes(&shared, Viewer::Audience)));
        }
    }

    fn show_afresh(&self, _hall: &Hall<'_>, out: &mut Fanout<'_>) {
        let activity = out.activity();
        let open = self.stage() != Stage::Lobby;
        // The whole board replaces whatever changes were waiting for the tick.
        out.pending.changed.clear();
        // The audience's board is made once; each phone's is it with the phone's own notes
        // and dots marked while its frame is encoded.
        let board = if open { self.board(Viewer::Audience) } else { Vec::new() };
        let at = positions(&board);
        let mut whole = ServerMsg::Retro { notes: board, removed: Vec::new(), update: false };
        out.bring_up_to_date(activity.as_ref(), true, |pid| {
            if !open {
                return None;
            }
            let ServerMsg::Retro { notes, .. } = &mut whole else { return None };
            self.mark(notes, &at, pid, true);
            let frame = Frame::of(&whole);
            if let ServerMsg::Retro { notes, .. } = &mut whole {
                self.mark(notes, &at, pid, false);
            }
            Some(frame)
        });
        if open {
            // Screens' board: there is no target for screens alone, so facilitators get it too
            // and then their own, which replaces it.
            out.send(Target::Watchers, &whole);
        }
        out.send(
            Target::Facilitators,
            &ServerMsg::Retro { notes: self.board(Viewer::Facilitator), removed: Vec::new(), update: false },
        );
        out.pending.progress = true;
    }
}

/// For the organisers' summary: how many wrote and voted, then each column's label and its
/// notes (never the hidden ones), the vote column by dots if there was a vote.
pub fn outcome(retro: &Retro, english: bool, blocks: &mut Vec<Block>) {
    let progress = Retro::progress(retro);
    let notes: u32 = progress.notes.iter().sum();
    let vote_column = retro.config().vote_column;
    let mut text = if english {
        format!("{notes} notes from {} people.", progress.writers)
    } else {
        format!("{notes} lapper fra {} personer.", progress.writers)
    };
    if retro.vote_held() {
        let label = retro.label(vote_column);
        text.push_str(&if english {
            format!(" {} voted with dots on {label}.", progress.voters)
        } else {
            format!(" {} stemte med prikker på {label}.", progress.voters)
        });
    }
    blocks.push(Block::Text(text));
    for (column, label) in (0..).zip(&retro.config().columns) {
        blocks.push(Block::Subheading(label.clone()));
        let ranked = retro.vote_held() && column == vote_column;
        let notes: Vec<String> = retro
            .column(column)
            .into_iter()
            .map(|note| if ranked { format!("{} (● {})", note.text, note.dots) } else { note.text.clone() })
            .collect();
        if notes.is_empty() {
            blocks.push(Block::Text(if english { "No notes.".into() } else { "Ingen lapper.".into() }));
        } else {
            blocks.push(Block::List(notes));
        }
    }
}
