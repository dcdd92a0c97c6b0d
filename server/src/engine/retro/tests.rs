//! The retrospective's rules as properties over random halls: the note limit and the dot
//! budget hold, the vote is blind, hidden notes reach facilitators only, a phone that merges
//! the change frames sees what a fresh `welcome` shows, and replaying the events rebuilds it.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

/// Something someone in the hall does.
#[derive(Debug, Clone)]
enum Step {
    Add {
        who: u32,
        column: u32,
        text: Text,
    },
    Delete {
        who: u32,
        note: u32,
    },
    Dots {
        who: u32,
        note: u32,
        count: u32,
    },
    Hide {
        note: u32,
        hidden: bool,
    },
    /// A facilitator removes a participant: their notes are hidden.
    Remove {
        who: u32,
    },
    Next,
    Back,
    /// The actor's tick: the changes since the last one go out.
    Tick,
}

#[derive(Debug, Clone, Copy)]
enum Text {
    Fine,
    Empty,
    TooLong,
}

const PEOPLE: u32 = 6;

fn config() -> impl Strategy<Value = RetroConfig> {
    (2..=4usize, 1..=4u32, 0..=5u32, 0..4u32).prop_map(|(columns, max_notes, dots, vote_column)| {
        RetroConfig {
            columns: (0..columns).map(|column| format!("Column {column}")).collect(),
            max_notes,
            max_chars: 20,
            dots,
            vote_column: vote_column % columns as u32,
        }
    })
}

fn step() -> impl Strategy<Value = Step> {
    let who = 1..=PEOPLE;
    let note = 0..40u32;
    prop_oneof![
        8 => (who.clone(), 0..5u32, prop_oneof![8 => Just(Text::Fine), 1 => Just(Text::Empty), 1 => Just(Text::TooLong)])
            .prop_map(|(who, column, text)| Step::Add { who, column, text }),
        2 => (who.clone(), note.clone()).prop_map(|(who, note)| Step::Delete { who, note }),
        8 => (who.clone(), note.clone(), 0..4u32).prop_map(|(who, note, count)| Step::Dots { who, note, count }),
        2 => (note, any::<bool>()).prop_map(|(note, hidden)| Step::Hide { note, hidden }),
        1 => who.prop_map(|who| Step::Remove { who }),
        2 => Just(Step::Next),
        1 => Just(Step::Back),
        3 => Just(Step::Tick),
    ]
}

/// The events a step decides, or its refusal.
fn decide(retro: &Retro, step: &Step) -> Result<Vec<RetroEvent>, Refusal> {
    match *step {
        Step::Add { who, column, text } => {
            let text = match text {
                Text::Fine => format!("note by {who}"),
                Text::Empty => " \n ".into(),
                Text::TooLong => "x".repeat(21),
            };
            retro.add(Pid(who), column, &text).map(|event| vec![event])
        }
        Step::Delete { who, note } => retro.delete(Pid(who), RetroNoteId(note)).map(|event| vec![event]),
        Step::Dots { who, note, count } => {
            retro.set_dots(Pid(who), RetroNoteId(note), count).map(|event| event.into_iter().collect())
        }
        Step::Hide { note, hidden } => {
            retro.hide(RetroNoteId(note), hidden).map(|event| event.into_iter().collect())
        }
        Step::Remove { who } => Ok(retro.hide_author(Pid(who))),
        Step::Next => retro.next_phase().map(|event| vec![event]),
        Step::Back => retro.step_back().map(|event| vec![event]),
        Step::Tick => Ok(Vec::new()),
    }
}

/// The limits, the blind vote and hiding, checked on the state and on every view of it.
fn check_rules(retro: &Retro) -> Result<(), TestCaseError> {
    let config = retro.config();
    for pid in (1..=PEOPLE).map(Pid) {
        for column in 0..config.columns.len() as u32 {
            prop_assert!(
                retro.notes_in(pid, column) <= config.max_notes as usize,
                "{pid} in column {column}"
            );
        }
        prop_assert!(retro.spent(pid) <= config.dots, "{pid} spent {} of {}", retro.spent(pid), config.dots);
    }
    for note in retro.notes() {
        let placed: u32 = retro.votes().map(|(_, dots)| dots.get(&note.id).copied().unwrap_or(0)).sum();
        prop_assert_eq!(note.dots, placed, "{}'s count is its voters' dots", note.id);
        if note.dots > 0 {
            prop_assert!(note.shown() && note.column == config.vote_column, "dots only on the ballot");
        }
    }
    let everyone = retro.notes().iter().map(|note| note.id).collect::<Vec<_>>();
    let viewers = (1..=PEOPLE).map(|who| Viewer::Participant(Pid(who))).chain([Viewer::Audience]);
    for viewer in viewers {
        let (changed, _) = retro.changes(&everyone, viewer);
        for view in retro.board(viewer).iter().chain(&changed) {
            let note = retro.note(view.id).expect("a note that exists");
            prop_assert!(note.shown() && !view.hidden, "{viewer:?} was shown {}, hidden or deleted", view.id);
            if retro.stage() != Stage::Done {
                prop_assert_eq!(view.dots, None, "{:?} saw a count before the vote closed", viewer);
            }
            if let Viewer::Participant(pid) = viewer {
                prop_assert_eq!(view.mine, note.author == pid);
                prop_assert_eq!(view.my_dots, retro.dots_of(pid, note.id));
            } else {
                prop_assert!(!view.mine && view.my_dots == 0, "personal fields on a shared board");
            }
        }
        if let Viewer::Participant(pid) = viewer {
            // A phone's board marked on the audience's and unmarked again, as a phase change
            // sends them, leaves the audience's as it was.
            let audience = retro.board(Viewer::Audience);
            let mut board = audience.clone();
            let at = positions(&board);
            retro.mark(&mut board, &at, pid, true);
            prop_assert_eq!(&board, &retro.board(viewer));
            retro.mark(&mut board, &at, pid, false);
            prop_assert_eq!(board, audience);
        }
    }
    let facilitators = retro.board(Viewer::Facilitator);
    prop_assert_eq!(facilitators.len(), retro.notes().iter().filter(|note| !note.deleted).count());
    if retro.stage() == Stage::Done && retro.has_vote() {
        // Once done, the vote column is ordered by dots, ties to the earlier note.
        let ranked: Vec<(Reverse<u32>, RetroNoteId)> = facilitators
            .iter()
            .filter(|view| view.column == config.vote_column)
            .map(|view| (Reverse(view.dots.expect("counts once done")), view.id))
            .collect();
        prop_assert!(ranked.is_sorted(), "{ranked:?}");
    }
    Ok(())
}

/// A client's board as it builds it from `retro` frames: a whole board replaces it, an
/// update puts notes in place by id and takes the removed ones away. A phone keeps which
/// notes are its own (from whole boards, its acks, and the update of a note of its shown
/// again) and its own dots (from whole boards and its requests) across updates, and forgets
/// its dots on a note that is taken away.
#[derive(Debug, Default)]
struct Client {
    board: BTreeMap<RetroNoteId, RetroNoteView>,
    mine: BTreeSet<RetroNoteId>,
    my_dots: BTreeMap<RetroNoteId, u32>,
}

impl Client {
    fn whole(&mut self, notes: Vec<RetroNoteView>) {
        self.mine = notes.iter().filter(|note| note.mine).map(|note| note.id).collect();
        self.my_dots =
            notes.iter().filter(|note| note.my_dots > 0).map(|note| (note.id, note.my_dots)).collect();
        self.board = notes.into_iter().map(|note| (note.id, note)).collect();
    }

    fn update(&mut self, (notes, removed): (Vec<RetroNoteView>, Vec<RetroNoteId>)) {
        for note in notes {
            // Only an update made for this phone alone marks its own.
            if note.mine {
                self.mine.insert(note.id);
            }
            self.board.insert(note.id, note);
        }
        for id in removed {
            self.board.remove(&id);
            self.my_dots.remove(&id);
        }
    }

    /// What it shows: the board with its own notes and dots marked.
    fn shows(&self) -> Vec<RetroNoteView> {
        self.board
            .values()
            .map(|note| RetroNoteView {
                mine: self.mine.contains(&note.id),
                my_dots: self.my_dots.get(&note.id).copied().unwrap_or(0),
                ..note.clone()
            })
            .collect()
    }
}

fn by_id(mut notes: Vec<RetroNoteView>) -> Vec<RetroNoteView> {
    notes.sort_by_key(|note| note.id);
    notes
}

proptest! {
    /// Whatever the hall does: nobody has more notes in a column than allowed or more dots
    /// than their budget, counts reach participants and screens only once done, hidden notes
    /// reach facilitators only, and the stored events (through JSON) rebuild the same state.
    #[test]
    fn the_rules_hold_and_replay_rebuilds(config in config(), steps in prop::collection::vec(step(), 0..150)) {
        let mut live = Retro::new(config.clone());
        let mut log = Vec::new();
        for step in &steps {
            let Ok(events) = decide(&live, step) else { continue };
            for event in events {
                live.apply(&event);
                let stored = serde_json::to_string(&event).expect("serialize");
                log.push(serde_json::from_str::<RetroEvent>(&stored).expect("deserialize"));
            }
            check_rules(&live)?;
        }
        let mut replayed = Retro::new(config);
        log.iter().for_each(|event| replayed.apply(event));
        prop_assert_eq!(replayed, live);
    }

    /// A screen, a facilitator and every phone that take the whole board at each phase change
    /// and merge the change frames of each tick show exactly what a fresh `welcome` would.
    #[test]
    fn merged_changes_equal_the_whole_board(config in config(), steps in prop::collection::vec(step(), 0..150)) {
        let mut retro = Retro::new(config);
        let mut facilitator = Client::default();
        let mut screen = Client::default();
        let mut phones: Vec<Client> = (0..PEOPLE).map(|_| Client::default()).collect();
        let mut changed: Vec<(RetroNoteId, bool)> = Vec::new();
        let tick = |retro: &Retro, changed: &mut Vec<(RetroNoteId, bool)>, facilitator: &mut Client, screen: &mut Client, phones: &mut [Client]| {
            let all: BTreeSet<RetroNoteId> = changed.iter().map(|(id, _)| *id).collect();
            let shared: BTreeSet<RetroNoteId> = changed.iter().filter(|(_, shared)| *shared).map(|(id, _)| *id).collect();
            changed.clear();
            facilitator.update(retro.changes(&all.into_iter().collect::<Vec<_>>(), Viewer::Facilitator));
            let shared: Vec<RetroNoteId> = shared.into_iter().collect();
            if !shared.is_empty() {
                screen.update(retro.changes(&shared, Viewer::Audience));
                phones.iter_mut().for_each(|phone| phone.update(retro.changes(&shared, Viewer::Audience)));
            }
        };
        for step in &steps {
            if let Step::Tick = step {
                tick(&retro, &mut changed, &mut facilitator, &mut screen, &mut phones);
                continue;
            }
            let Ok(events) = decide(&retro, step) else { continue };
            for event in events {
                retro.apply(&event);
                match event.changed_note() {
                    Some(change) => changed.push(change),
                    None => {
                        changed.clear();
                        facilitator.whole(retro.board(Viewer::Facilitator));
                        screen.whole(retro.board(Viewer::Audience));
                        for (at, phone) in phones.iter_mut().enumerate() {
                            phone.whole(retro.board(Viewer::Participant(Pid(at as u32 + 1))));
                        }
                    }
                }
                // What the phone learns from its own request's ack, and the update an
                // author gets when their note is shown again.
                match event {
                    RetroEvent::NoteHidden { note, hidden: false } => {
                        let author = retro.note(note).expect("shown").author;
                        phones[author.index() - 1].update(retro.changes(&[note], Viewer::Participant(author)));
                    }
                    RetroEvent::NoteAdded { pid, note, .. } => _ = phones[pid.index() - 1].mine.insert(note),
                    RetroEvent::DotsSet { pid, note, count } => {
                        let phone = &mut phones[pid.index() - 1];
                        if count == 0 { phone.my_dots.remove(&note) } else { phone.my_dots.insert(note, count) };
                    }
                    _ => {}
                }
            }
        }
        tick(&retro, &mut changed, &mut facilitator, &mut screen, &mut phones);
        if retro.stage() == Stage::Lobby {
            return Ok(());
        }
        prop_assert_eq!(facilitator.shows(), by_id(retro.board(Viewer::Facilitator)));
        prop_assert_eq!(screen.shows(), by_id(retro.board(Viewer::Audience)));
        for (at, phone) in phones.iter().enumerate() {
            let pid = Pid(at as u32 + 1);
            prop_assert_eq!(phone.shows(), by_id(retro.board(Viewer::Participant(pid))), "{}", pid);
        }
    }
}

/// A retrospective with two participants' notes: p1 wrote r0 (Plus) and r1 (Delta), p2 wrote
/// r2 (Delta); r3 (Delta, by p2) is hidden.
fn board_of_four(dots: u32) -> Retro {
    let mut retro = Retro::new(RetroConfig { dots, ..RetroConfig::default() });
    let events = [
        RetroEvent::CollectOpened,
        RetroEvent::NoteAdded { pid: Pid(1), note: RetroNoteId(0), column: 0, text: "Good talks".into() },
        RetroEvent::NoteAdded { pid: Pid(1), note: RetroNoteId(1), column: 1, text: "Fewer slides".into() },
        RetroEvent::NoteAdded { pid: Pid(2), note: RetroNoteId(2), column: 1, text: "Longer breaks".into() },
        RetroEvent::NoteAdded { pid: Pid(2), note: RetroNoteId(3), column: 1, text: "Rude".into() },
        RetroEvent::NoteHidden { note: RetroNoteId(3), hidden: true },
    ];
    events.iter().for_each(|event| retro.apply(event));
    retro
}

/// Every bad request gets its code.
#[test]
fn bad_requests_are_refused_with_their_codes() {
    let check = |retro: &Retro, refused: Result<Option<RetroEvent>, Refusal>, expected: ErrorCode| {
        assert_eq!(refused.map_err(|refusal| refusal.code), Err(expected), "{:?}", retro.stage());
    };
    let some = |result: Result<RetroEvent, Refusal>| result.map(Some);
    let lobby = Retro::new(RetroConfig::default());
    check(&lobby, some(lobby.add(Pid(1), 0, "Too early")), ErrorCode::WrongPhase);
    check(&lobby, some(lobby.step_back()), ErrorCode::WrongPhase);

    let mut retro = board_of_four(3);
    let (p1, p2) = (Pid(1), Pid(2));
    check(&retro, some(retro.add(p1, 2, "No such column")), ErrorCode::UnknownItem);
    check(&retro, some(retro.add(p1, 0, "   ")), ErrorCode::EmptyText);
    check(&retro, some(retro.add(p1, 0, &"x".repeat(141))), ErrorCode::TextTooLong);
    assert!(retro.add(p1, 0, &"x".repeat(140)).is_ok(), "140 characters are allowed");
    check(&retro, some(retro.delete(p2, RetroNoteId(0))), ErrorCode::Forbidden);
    check(&retro, some(retro.delete(p1, RetroNoteId(3))), ErrorCode::UnknownItem);
    check(&retro, some(retro.delete(p2, RetroNoteId(3))), ErrorCode::UnknownItem);
    check(&retro, some(retro.delete(p1, RetroNoteId(9))), ErrorCode::UnknownItem);
    check(&retro, retro.set_dots(p1, RetroNoteId(1), 1), ErrorCode::WrongPhase);
    check(&retro, retro.hide(RetroNoteId(9), true), ErrorCode::UnknownItem);
    for n in 1..=10 {
        retro.apply(&retro.add(p2, 0, &format!("Plus {n}")).expect("within the limit"));
    }
    check(&retro, some(retro.add(p2, 0, "The eleventh")), ErrorCode::TooMany);
    assert!(retro.add(p2, 1, "Another column").is_ok(), "the limit is per column");

    retro.apply(&retro.next_phase().expect("vote"));
    check(&retro, some(retro.add(p1, 0, "Too late")), ErrorCode::WrongPhase);
    check(&retro, some(retro.delete(p1, RetroNoteId(0))), ErrorCode::WrongPhase);
    check(&retro, retro.set_dots(p1, RetroNoteId(0), 1), ErrorCode::UnknownItem);
    check(&retro, retro.set_dots(p1, RetroNoteId(3), 1), ErrorCode::UnknownItem);
    check(&retro, retro.set_dots(p1, RetroNoteId(1), 4), ErrorCode::TooMany);
    check(&retro, retro.set_dots(p1, RetroNoteId(1), u32::MAX), ErrorCode::TooMany);
    retro.apply(&retro.set_dots(p1, RetroNoteId(1), 2).expect("two").expect("a change"));
    check(&retro, retro.set_dots(p1, RetroNoteId(2), 2), ErrorCode::TooMany);
    assert_eq!(retro.set_dots(p1, RetroNoteId(1), 2), Ok(None), "the same count changes nothing");
    assert!(retro.set_dots(p1, RetroNoteId(1), 3).is_ok(), "moving dots within the budget");
    retro.apply(&retro.next_phase().expect("done"));
    check(&retro, retro.set_dots(p1, RetroNoteId(1), 1), ErrorCode::WrongPhase);
    check(&retro, some(retro.next_phase()), ErrorCode::WrongPhase);

    let without_vote = board_of_four(0);
    check(&without_vote, without_vote.set_dots(p1, RetroNoteId(1), 1), ErrorCode::WrongPhase);
    assert_eq!(without_vote.next_phase(), Ok(RetroEvent::Finished), "no vote: straight to done");
}

/// Each note of the board `viewer` gets: its number, its count and the viewer's own dots.
fn counts(retro: &Retro, viewer: Viewer) -> Vec<(u32, Option<u32>, u32)> {
    retro.board(viewer).iter().map(|note| (note.id.0, note.dots, note.my_dots)).collect()
}

#[test]
fn the_vote_is_blind_and_orders_the_column_once_done() {
    let mut retro = board_of_four(3);
    retro.apply(&RetroEvent::VoteOpened);
    for (who, note, count) in [(1, 2, 2), (2, 2, 1), (2, 1, 1)] {
        retro.apply(&retro.set_dots(Pid(who), RetroNoteId(note), count).expect("allowed").expect("new"));
    }
    assert_eq!(counts(&retro, Viewer::Audience), [(0, None, 0), (1, None, 0), (2, None, 0)]);
    assert_eq!(counts(&retro, Viewer::Participant(Pid(2))), [(0, None, 0), (1, None, 1), (2, None, 1)]);
    assert_eq!(
        counts(&retro, Viewer::Facilitator),
        [(0, None, 0), (1, Some(1), 0), (2, Some(3), 0), (3, Some(0), 0)]
    );

    retro.apply(&RetroEvent::Finished);
    assert_eq!(
        counts(&retro, Viewer::Audience),
        [(0, None, 0), (2, Some(3), 0), (1, Some(1), 0)],
        "by dots once done"
    );
    assert_eq!(retro.column(1).iter().map(|note| note.id.0).collect::<Vec<_>>(), [2, 1]);

    // Back to the vote: blind again, and the dots are kept.
    retro.apply(&retro.step_back().expect("back"));
    assert_eq!(retro.stage(), Stage::Vote);
    assert_eq!(counts(&retro, Viewer::Audience), [(0, None, 0), (1, None, 0), (2, None, 0)]);
    assert_eq!(retro.spent(Pid(1)), 2);
    retro.apply(&retro.step_back().expect("back"));
    assert_eq!((retro.stage(), retro.spent(Pid(2))), (Stage::Collect, 2), "collect keeps the dots");
}

#[test]
fn hiding_or_deleting_a_note_gives_its_dots_back() {
    let mut retro = board_of_four(3);
    retro.apply(&RetroEvent::VoteOpened);
    retro.apply(&RetroEvent::DotsSet { pid: Pid(1), note: RetroNoteId(2), count: 3 });
    retro.apply(&retro.hide(RetroNoteId(2), true).expect("hide").expect("a change"));
    assert_eq!((retro.spent(Pid(1)), retro.note(RetroNoteId(2)).map(|note| note.dots)), (0, Some(0)));
    retro.apply(&retro.hide(RetroNoteId(2), false).expect("show").expect("a change"));
    assert_eq!(retro.note(RetroNoteId(2)).map(|note| note.dots), Some(0), "shown again without dots");
    retro.apply(&RetroEvent::DotsSet { pid: Pid(2), note: RetroNoteId(1), count: 1 });
    retro.apply(&RetroEvent::SteppedBack);
    retro.apply(&retro.delete(Pid(1), RetroNoteId(1)).expect("own note"));
    assert_eq!(retro.spent(Pid(2)), 0);
    assert_eq!(retro.hide_author(Pid(2)), [RetroEvent::NoteHidden { note: RetroNoteId(2), hidden: true }]);
    assert_eq!(retro.progress(), RetroProgress { notes: vec![1, 1], writers: 2, voters: 0 });
}
