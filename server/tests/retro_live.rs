//! The retrospective over real sockets: a small hall adds notes to Plus and Delta, every bad
//! request is answered with its code and changes nothing, the screen and the phones that merge
//! the change frames show what a fresh `welcome` shows, a facilitator hides and shows a note,
//! the dot vote is blind until it closes and then orders Delta, and the export and the
//! summary hold every acknowledged note and dot. A Start/Stop/Continue retrospective has its
//! own columns, and every acknowledged note and dot survives `kill -9` of the real binary.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use lapp_protocol::{
    ClientMsg, ErrorCode, Join, JoinCode, Phase, Pid, RetroMsg, RetroNoteExport, RetroNoteId, RetroNoteView,
    Role, ServerMsg, SessionCreated, SessionExport, Welcome,
};
use lapp_server::store::MemoryStore;
use lapp_server::{Config, Limits};
use serde_json::json;
use support::{Client, LappProcess, PATIENCE, TestServer};

fn retro(msg: RetroMsg) -> ClientMsg {
    ClientMsg::Retro(msg)
}

fn add(column: u32, text: &str) -> ClientMsg {
    retro(RetroMsg::RetroAdd { column, text: text.to_owned() })
}

fn dots(note: RetroNoteId, count: u32) -> ClientMsg {
    retro(RetroMsg::RetroDots { note, count })
}

fn hide(note: RetroNoteId, hidden: bool) -> ClientMsg {
    retro(RetroMsg::RetroHide { note, hidden })
}

fn refused(answer: Result<ServerMsg, (ErrorCode, String)>) -> Option<ErrorCode> {
    answer.map_err(|(code, _)| code).err()
}

/// A note acknowledged to its writer.
#[derive(Debug, Clone)]
struct Written {
    id: RetroNoteId,
    author: Pid,
    column: u32,
    text: String,
}

/// Adds a note and returns what its `ack` names.
async fn write(client: &mut Client, author: Pid, column: u32, text: &str) -> Written {
    match client.request(add(column, text)).await {
        Ok(ServerMsg::Ack { retro: Some(id), .. }) => Written { id, author, column, text: text.to_owned() },
        other => panic!("{text:?} was not acknowledged with its id: {other:?}"),
    }
}

/// The board a client shows after every frame it received: a `welcome` or a whole `retro`
/// replaces it, an update puts notes in place by id and takes the removed ones away. The
/// personal fields are left out, to compare with another role's board.
fn merged(log: &[ServerMsg]) -> BTreeMap<RetroNoteId, RetroNoteView> {
    let mut board = BTreeMap::new();
    for msg in log {
        match msg {
            ServerMsg::Welcome(welcome) => board = by_id(welcome.view.retro.clone().unwrap_or_default()),
            ServerMsg::Retro { notes, update: false, .. } => board = by_id(notes.clone()),
            ServerMsg::Retro { notes, removed, update: true } => {
                board.extend(by_id(notes.clone()));
                removed.iter().for_each(|id| _ = board.remove(id));
            }
            _ => {}
        }
    }
    board
}

fn by_id(notes: Vec<RetroNoteView>) -> BTreeMap<RetroNoteId, RetroNoteView> {
    notes.into_iter().map(|note| (note.id, RetroNoteView { mine: false, my_dots: 0, ..note })).collect()
}

/// Reads frames until what `client` merged equals `expected`.
async fn converges(client: &mut Client, expected: &BTreeMap<RetroNoteId, RetroNoteView>, who: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        client.drain_for(Duration::from_millis(100)).await;
        let board = merged(client.log());
        if board == *expected {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{who}: merged {board:#?}\nexpected {expected:#?}");
    }
}

/// What a fresh connection of `role` is shown now.
async fn fresh(server: &TestServer, code: JoinCode, role: Role, key: Option<&str>) -> Vec<RetroNoteView> {
    let (client, welcome) = server.join(code, role, None, key).await;
    drop(client.leave().await);
    welcome.view.retro.expect("a board")
}

/// The `retro` frames in a log, up to the `activity` frame of phase `until`.
fn retro_frames_before(log: &[ServerMsg], until: Phase) -> Vec<&ServerMsg> {
    log.iter()
        .take_while(|msg| !matches!(msg, ServerMsg::Activity(info) if info.phase == until))
        .filter(|msg| matches!(msg, ServerMsg::Retro { .. }))
        .collect()
}

/// The `retro` frames in a log after the `activity` frame of phase `from`, up to that of
/// phase `until`.
fn retro_frames_between(log: &[ServerMsg], from: Phase, until: Phase) -> Vec<&ServerMsg> {
    let start = log.iter().position(|msg| matches!(msg, ServerMsg::Activity(info) if info.phase == from));
    retro_frames_before(&log[start.map_or(log.len(), |at| at + 1)..], until)
}

/// Checks the export against every acknowledged note (`hidden` are the hidden ones) and the
/// dots acknowledged last for each voter and note.
fn check_export(
    export: &SessionExport,
    labels: &[&str],
    written: &[Written],
    hidden: &[RetroNoteId],
    placed: &HashMap<(Pid, RetroNoteId), u32>,
) {
    let exported: &[RetroNoteExport] = &export.activities[0].retro;
    assert_eq!(exported.len(), written.len(), "{exported:#?}");
    for note in written {
        let found =
            exported.iter().find(|e| e.id == note.id).unwrap_or_else(|| panic!("{} exported", note.id));
        let dots: u32 = placed.iter().filter(|((_, id), _)| *id == note.id).map(|(_, count)| count).sum();
        let expected = RetroNoteExport {
            id: note.id,
            column: note.column,
            label: labels[note.column as usize].to_owned(),
            author: note.author,
            text: note.text.clone(),
            dots,
            hidden: hidden.contains(&note.id),
        };
        assert_eq!(*found, expected);
    }
}

async fn server() -> TestServer {
    // Some phones here send bursts of requests faster than a person would.
    let limits = Limits { messages_per_second: 1_000, message_burst: 1_000, ..Limits::default() };
    TestServer::start_with_config(Config { limits, ..Config::new(Arc::new(MemoryStore::default())) }).await
}

async fn session(server: &TestServer, item: serde_json::Value) -> SessionCreated {
    let body = json!({"title": "Retro day", "language": "en", "agenda": [item]});
    let (status, body) = server.post_session(&body.to_string()).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_value(body).expect("created")
}

async fn next_phase(facilitator: &mut Client, phase: Phase) {
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("moved on");
    facilitator
        .until(|msg| matches!(msg, ServerMsg::Activity(info) if info.phase == phase).then_some(()))
        .await;
}

#[tokio::test]
async fn a_hall_writes_votes_blind_and_exports_every_note_and_dot() {
    let server = server().await;
    let created =
        session(&server, json!({"kind": "retro", "prompt": "How did the day go?", "dots": 3})).await;
    let (code, key) = (created.code, created.key.as_str());
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(key)).await;
    let (mut screen, _) = server.join(code, Role::Screen, None, None).await;
    let mut people: Vec<(Client, Welcome)> = Vec::new();
    for index in 0..6 {
        people.push(server.join(code, Role::Participant, Some(&format!("P{index}")), None).await);
    }
    let pids: Vec<Pid> = people.iter().map(|(_, welcome)| welcome.you.pid.expect("pid")).collect();

    assert_eq!(refused(people[0].0.request(add(0, "Too early")).await), Some(ErrorCode::WrongPhase));
    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    assert_eq!(refused(people[0].0.request(add(0, "In the lobby")).await), Some(ErrorCode::WrongPhase));
    next_phase(&mut facilitator, Phase::Collect).await;

    // Everyone adds two notes to each column.
    let mut written = Vec::new();
    for (at, (client, _)) in people.iter_mut().enumerate() {
        for column in [0, 1] {
            for n in 0..2 {
                let text = format!("{} {at}.{n}", ["Plus", "Delta"][column as usize]);
                written.push(write(client, pids[at], column, &text).await);
            }
        }
    }
    // Up to ten in a column, and not one more.
    for n in 2..10 {
        written.push(write(&mut people[0].0, pids[0], 0, &format!("Plus 0.{n}")).await);
    }

    // Every bad request gets its code and changes nothing.
    let before = server.export(code, key).await;
    let someone_elses = written[4].id;
    assert_eq!(refused(people[0].0.request(add(0, "The eleventh")).await), Some(ErrorCode::TooMany));
    assert_eq!(refused(people[1].0.request(add(2, "No such column")).await), Some(ErrorCode::UnknownItem));
    assert_eq!(refused(people[1].0.request(add(0, " \n\t ")).await), Some(ErrorCode::EmptyText));
    assert_eq!(refused(people[1].0.request(add(0, &"x".repeat(141))).await), Some(ErrorCode::TextTooLong));
    let delete = |note| retro(RetroMsg::RetroDelete { note });
    assert_eq!(refused(people[0].0.request(delete(someone_elses)).await), Some(ErrorCode::Forbidden));
    assert_eq!(refused(people[0].0.request(delete(RetroNoteId(999))).await), Some(ErrorCode::UnknownItem));
    people[0].0.send_text(r#"{"type":"retro.delete","rid":900,"note":"x1"}"#).await;
    assert_eq!(refused(people[0].0.answer(900).await), Some(ErrorCode::UnknownItem));
    assert_eq!(refused(people[0].0.request(dots(written[2].id, 1)).await), Some(ErrorCode::WrongPhase));
    assert_eq!(refused(people[0].0.request(hide(someone_elses, true)).await), Some(ErrorCode::Forbidden));
    assert_eq!(
        refused(facilitator.request(add(0, "Facilitators do not write")).await),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(server.export(code, key).await, before, "refused requests changed nothing");

    // A phone deletes its own note.
    let deleted = written.remove(4);
    assert_eq!(deleted.author, pids[1]);
    people[1].0.request(delete(deleted.id)).await.expect("deleted");
    assert_eq!(refused(people[1].0.request(delete(deleted.id)).await), Some(ErrorCode::UnknownItem));

    // The screen, a phone and the facilitator, merging the change frames, show what a fresh
    // welcome shows; the screen got the whole board once, when collecting opened.
    let expected = by_id(fresh(&server, code, Role::Screen, None).await);
    assert_eq!(expected.len(), written.len());
    converges(&mut screen, &expected, "the screen").await;
    converges(&mut people[5].0, &expected, "a phone").await;
    let for_facilitators = by_id(fresh(&server, code, Role::Facilitator, Some(key)).await);
    converges(&mut facilitator, &for_facilitators, "the facilitator").await;
    let frames = retro_frames_before(screen.log(), Phase::Vote);
    let whole = frames.iter().filter(|msg| matches!(msg, ServerMsg::Retro { update: false, .. })).count();
    assert_eq!(whole, 1, "one whole board, then only changes");
    for msg in &frames {
        if let ServerMsg::Retro { notes, update: true, .. } = msg {
            assert!(notes.iter().all(|note| !note.mine && note.my_dots == 0), "changes are shared");
        }
    }

    // Hidden, a note leaves every board but the facilitators'; shown again, it comes back,
    // and its author is told it is theirs.
    let rude =
        written.iter().find(|note| note.author == pids[2] && note.column == 1).expect("a note").clone();
    facilitator.request(hide(rude.id, true)).await.expect("hidden");
    let mut without = expected.clone();
    without.remove(&rude.id);
    converges(&mut screen, &without, "the screen without the hidden note").await;
    let (back, welcome) = server.resume(code, &people[3].1).await;
    assert!(welcome.view.retro.expect("board").iter().all(|note| note.id != rude.id));
    people[3].0 = back;
    let marked = fresh(&server, code, Role::Facilitator, Some(key)).await;
    assert!(marked.iter().any(|note| note.id == rude.id && note.hidden));
    facilitator.request(hide(rude.id, false)).await.expect("shown again");
    converges(&mut screen, &expected, "the screen with the note shown again").await;
    people[2]
        .0
        .until(|msg| match msg {
            ServerMsg::Retro { notes, update: true, .. } => {
                notes.iter().any(|note| note.id == rude.id && note.mine).then_some(())
            }
            _ => None,
        })
        .await;
    // This one stays hidden.
    let hidden = written.iter().find(|note| note.author == pids[3] && note.column == 1).expect("a note").id;
    facilitator.request(hide(hidden, true)).await.expect("hidden");

    // The vote on Delta: blind for phones and screens, live for facilitators.
    next_phase(&mut facilitator, Phase::Vote).await;
    let delta: Vec<RetroNoteId> =
        written.iter().filter(|note| note.column == 1 && note.id != hidden).map(|note| note.id).collect();
    let (a, b, c) = (delta[0], delta[1], delta[2]);
    let mut placed: HashMap<(Pid, RetroNoteId), u32> = HashMap::new();
    for (who, note, count) in [(0, a, 2), (0, b, 1), (1, a, 3), (1, a, 0), (1, b, 1), (2, b, 1), (3, c, 2)] {
        people[who].0.request(dots(note, count)).await.expect("dots placed");
        placed.insert((pids[who], note), count);
    }
    placed.retain(|_, count| *count > 0);
    let plus = written[0].id;
    let before = server.export(code, key).await;
    assert_eq!(refused(people[0].0.request(dots(c, 1)).await), Some(ErrorCode::TooMany));
    assert_eq!(refused(people[4].0.request(dots(a, 4)).await), Some(ErrorCode::TooMany));
    assert_eq!(refused(people[4].0.request(dots(plus, 1)).await), Some(ErrorCode::UnknownItem));
    assert_eq!(refused(people[4].0.request(dots(hidden, 1)).await), Some(ErrorCode::UnknownItem));
    assert_eq!(refused(facilitator.request(dots(a, 1)).await), Some(ErrorCode::Forbidden));
    assert_eq!(refused(people[4].0.request(add(1, "Too late")).await), Some(ErrorCode::WrongPhase));
    assert_eq!(refused(people[0].0.request(delete(written[0].id)).await), Some(ErrorCode::WrongPhase));
    assert_eq!(server.export(code, key).await, before, "refused requests changed nothing");
    let counts = |board: &BTreeMap<RetroNoteId, RetroNoteView>| [a, b, c].map(|id| board[&id].dots);
    let live = by_id(fresh(&server, code, Role::Facilitator, Some(key)).await);
    assert_eq!(counts(&live), [Some(2), Some(3), Some(2)], "facilitators see the dots live");
    converges(&mut facilitator, &live, "the facilitator during the vote").await;
    let (back, welcome) = server.resume(code, &people[0].1).await;
    people[0].0 = back;
    let own: Vec<(RetroNoteId, u32, Option<u32>)> = welcome
        .view
        .retro
        .expect("board")
        .iter()
        .filter(|note| note.my_dots > 0)
        .map(|note| (note.id, note.my_dots, note.dots))
        .collect();
    assert_eq!(own, [(a, 2, None), (b, 1, None)], "a phone sees its own dots, no counts");
    let screen_board = by_id(fresh(&server, code, Role::Screen, None).await);
    assert_eq!(counts(&screen_board), [None; 3]);

    // Done: everyone sees the counts, and the vote orders Delta (ties to the earlier note).
    next_phase(&mut facilitator, Phase::Done).await;
    let done = screen
        .until(|msg| match msg {
            ServerMsg::Retro { notes, update: false, .. } if notes.iter().any(|note| note.dots.is_some()) => {
                Some(notes.clone())
            }
            _ => None,
        })
        .await;
    assert!(done.iter().all(|note| !note.mine && note.my_dots == 0), "no personal marks for a screen");
    // Each phone's whole board marks its own notes and dots.
    let phone = people[0]
        .0
        .until(|msg| match msg {
            ServerMsg::Retro { notes, update: false, .. } if notes.iter().any(|note| note.dots.is_some()) => {
                Some(notes.clone())
            }
            _ => None,
        })
        .await;
    let own: Vec<RetroNoteId> = phone.iter().filter(|note| note.mine).map(|note| note.id).collect();
    let mut expected_own: Vec<RetroNoteId> =
        written.iter().filter(|note| note.author == pids[0]).map(|note| note.id).collect();
    expected_own.sort_by_key(|&id| phone.iter().position(|note| note.id == id));
    assert_eq!(own, expected_own);
    let own_dots: Vec<(RetroNoteId, u32)> =
        phone.iter().filter(|note| note.my_dots > 0).map(|note| (note.id, note.my_dots)).collect();
    assert_eq!(own_dots, [(b, 1), (a, 2)], "in board order: b has more dots");
    let order: Vec<(RetroNoteId, Option<u32>)> =
        done.iter().filter(|note| note.column == 1).map(|note| (note.id, note.dots)).collect();
    let mut expected_order = vec![(b, Some(3)), (a, Some(2)), (c, Some(2))];
    expected_order.extend(delta[3..].iter().map(|&id| (id, Some(0))));
    assert_eq!(order, expected_order);
    for (client, _) in &mut people[4..] {
        client.drain_for(Duration::from_millis(100)).await;
    }
    for log in [screen.log()].into_iter().chain(people[4..].iter().map(|(client, _)| client.log())) {
        for msg in retro_frames_before(log, Phase::Done) {
            let ServerMsg::Retro { notes, .. } = msg else { continue };
            assert!(notes.iter().all(|note| note.dots.is_none()), "a count before the vote closed: {msg:?}");
        }
        assert!(!merged(log).contains_key(&hidden), "a hidden note on a phone or screen");
        // Not even which notes took dots: the vote's only frame is its whole board.
        let during = retro_frames_between(log, Phase::Vote, Phase::Done);
        assert!(matches!(during[..], [ServerMsg::Retro { update: false, .. }]), "{during:?}");
    }

    let export: SessionExport = serde_json::from_value(server.export(code, key).await).expect("the export");
    check_export(&export, &["Plus", "Delta"], &written, &[hidden], &placed);
    let summary = reqwest::Client::new()
        .get(server.url(&format!("/api/sessions/{code}/summary?format=md")))
        .bearer_auth(key)
        .send()
        .await
        .expect("summary")
        .text()
        .await
        .expect("text");
    let text_of = |id: RetroNoteId| written.iter().find(|note| note.id == id).expect("written").text.clone();
    let ranked = format!("- {} (● 3)\n- {} (● 2)\n- {} (● 2)\n", text_of(b), text_of(a), text_of(c));
    assert!(summary.contains("### Plus\n\n- Plus 0.0\n- Plus 0.1\n"), "{summary}");
    assert!(summary.contains(&format!("### Delta\n\n{ranked}")), "{summary}");
    assert!(summary.contains("30 notes from 6 people. 4 voted with dots on Delta."), "{summary}");
    assert!(!summary.contains(&text_of(hidden)), "a hidden note in the summary");

    // Back to the vote: blind again.
    facilitator.request(ClientMsg::PhaseBack { from: None }).await.expect("back");
    let again = screen
        .until(|msg| match msg {
            ServerMsg::Retro { notes, update: false, .. } => Some(notes.clone()),
            _ => None,
        })
        .await;
    assert!(again.iter().all(|note| note.dots.is_none()));
    server.shut_down().await;
}

#[tokio::test]
async fn start_stop_continue_has_its_own_columns() {
    let server = server().await;
    let item = json!({"kind": "retro", "prompt": "What now?", "columns": ["Start", "Stop", "Continue"]});
    let created = session(&server, item).await;
    let (code, key) = (created.code, created.key.as_str());
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(key)).await;
    let (mut phone, welcome) = server.join(code, Role::Participant, None, None).await;
    let pid = welcome.you.pid.expect("pid");
    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    next_phase(&mut facilitator, Phase::Collect).await;
    let mut written = Vec::new();
    for (column, text) in [(0, "Pair on reviews"), (1, "Status meetings"), (2, "Demo Fridays")] {
        written.push(write(&mut phone, pid, column, text).await);
    }
    assert_eq!(refused(phone.request(add(3, "A fourth column")).await), Some(ErrorCode::UnknownItem));
    // Without dots there is no vote: collecting moves straight to done.
    next_phase(&mut facilitator, Phase::Done).await;
    assert_eq!(refused(phone.request(dots(written[2].id, 1)).await), Some(ErrorCode::WrongPhase));
    let board = fresh(&server, code, Role::Screen, None).await;
    let columns: Vec<(u32, &str, Option<u32>)> =
        board.iter().map(|note| (note.column, note.text.as_str(), note.dots)).collect();
    assert_eq!(
        columns,
        [(0, "Pair on reviews", None), (1, "Status meetings", None), (2, "Demo Fridays", None)]
    );
    let export: SessionExport = serde_json::from_value(server.export(code, key).await).expect("the export");
    check_export(&export, &["Start", "Stop", "Continue"], &written, &[], &HashMap::new());
    let summary = reqwest::Client::new()
        .get(server.url(&format!("/api/sessions/{code}/summary?format=md")))
        .bearer_auth(key)
        .send()
        .await
        .expect("summary")
        .text()
        .await
        .expect("text");
    for heading in
        ["### Start\n\n- Pair on reviews", "### Stop\n\n- Status meetings", "### Continue\n\n- Demo Fridays"]
    {
        assert!(summary.contains(heading), "{summary}");
    }
    assert!(!summary.contains("voted"), "{summary}");
    server.shut_down().await;
}

/// Every acknowledged note and dot survives `kill -9` of the real binary on SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_loses_no_acknowledged_note_or_dot() {
    let data = tempfile::tempdir().expect("temp dir");
    let addr = LappProcess::free_addr();
    let mut lapp = LappProcess::start(data.path(), addr).await;
    let body = json!({"title": "Crash retro",
        "agenda": [{"kind": "retro", "prompt": "How was it?", "dots": 2, "max_notes": 3}]});
    let created: SessionCreated = reqwest::Client::new()
        .post(lapp.url("/api/sessions"))
        .json(&body)
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("created");
    let (code, key) = (created.code, created.key.clone());
    let connect = |join: Join| async move {
        let mut client = Client::connect(addr).await;
        let welcome = client.join(join).await.expect("joined");
        (client, welcome)
    };
    let facilitator_join = || Join { key: Some(key.clone()), ..Join::new(code, Role::Facilitator) };
    let (mut facilitator, _) = connect(facilitator_join()).await;
    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("collect");
    let mut people = Vec::new();
    let mut written = Vec::new();
    for index in 0..4 {
        let (mut client, welcome) = connect(Join::new(code, Role::Participant)).await;
        let pid = welcome.you.pid.expect("pid");
        for (n, column) in [0, 1, 1].into_iter().enumerate() {
            written.push(write(&mut client, pid, column, &format!("Note {index}.{n}")).await);
        }
        people.push((client, welcome));
    }
    let hidden = written[1].id;
    facilitator.request(hide(hidden, true)).await.expect("hidden");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("vote");
    let delta: Vec<RetroNoteId> =
        written.iter().filter(|note| note.column == 1 && note.id != hidden).map(|note| note.id).collect();
    let mut placed = HashMap::new();
    for (at, (client, welcome)) in people.iter_mut().enumerate() {
        let (note, count) = (delta[at % 3], 1 + at as u32 % 2);
        client.request(dots(note, count)).await.expect("dots");
        placed.insert((welcome.you.pid.expect("pid"), note), count);
    }

    lapp.kill();
    let lapp = LappProcess::start(data.path(), addr).await;
    for (_, welcome) in &people {
        let pid = welcome.you.pid.expect("pid");
        let (_, back) =
            connect(Join { resume: welcome.resume.clone(), ..Join::new(code, Role::Participant) }).await;
        let board = back.view.retro.expect("the board");
        let mine: Vec<RetroNoteId> = board.iter().filter(|note| note.mine).map(|note| note.id).collect();
        let expected: Vec<RetroNoteId> = written
            .iter()
            .filter(|note| note.author == pid && note.id != hidden)
            .map(|note| note.id)
            .collect();
        assert_eq!(mine, expected, "{pid}'s notes");
        let own_dots: Vec<(RetroNoteId, u32)> =
            board.iter().filter(|note| note.my_dots > 0).map(|note| (note.id, note.my_dots)).collect();
        let expected: Vec<(RetroNoteId, u32)> = placed
            .iter()
            .filter(|((voter, _), _)| *voter == pid)
            .map(|((_, note), count)| (*note, *count))
            .collect();
        assert_eq!(own_dots, expected, "{pid}'s dots");
        assert!(
            board.iter().all(|note| note.dots.is_none() && note.id != hidden),
            "still blind, still hidden"
        );
    }
    let (_, welcome) = connect(facilitator_join()).await;
    let board = welcome.view.retro.expect("the board");
    assert_eq!(board.len(), written.len());
    for &note in &delta {
        let dots: u32 = placed.iter().filter(|((_, id), _)| *id == note).map(|(_, count)| count).sum();
        assert_eq!(board.iter().find(|view| view.id == note).and_then(|view| view.dots), Some(dots));
    }
    let export: SessionExport = reqwest::Client::new()
        .get(lapp.url(&format!("/api/sessions/{code}/export")))
        .bearer_auth(&key)
        .send()
        .await
        .expect("export")
        .json()
        .await
        .expect("JSON");
    check_export(&export, &["Plus", "Delta"], &written, &[hidden], &placed);
}
