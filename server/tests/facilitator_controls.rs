//! The facilitator's controls over real sockets: a double click and two tabs move a session on
//! once, a step back reopens a round with its hands and scores, the agenda can be edited, an
//! activity reset, and a participant edits and deletes their own notes.

mod support;

use lapp_protocol::GroupingMsg;
use lapp_protocol::ScoringMsg;
use lapp_protocol::{
    AgendaItem, ClientFrame, ClientMsg, ErrorCode, Expected, NoteId, Phase, Role, Score, ServerMsg,
};
use serde_json::{Value, json};
use support::{Client, TestServer};

fn at_round(round: u32) -> Option<Expected> {
    Some(Expected { index: Some(0), phase: Some(Phase::Round), round: Some(round), level: None })
}

/// Every `hand` a client has received, in order, as (round, card id).
fn hands(client: &Client) -> Vec<(u32, Option<String>)> {
    client
        .log
        .iter()
        .filter_map(|msg| match msg {
            ServerMsg::Hand(hand) => Some((hand.round, hand.card.as_ref().map(|card| card.id.to_string()))),
            _ => None,
        })
        .collect()
}

/// A 25/10 of `rounds` with `n` participants who have all written, in round 1.
async fn in_round_one(
    server: &TestServer,
    n: usize,
    rounds: u32,
) -> (Client, Vec<Client>, lapp_protocol::JoinCode, String) {
    let created = server.scoring_session(rounds).await;
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let mut people = Vec::new();
    for i in 0..n {
        people.push(server.join(created.code, Role::Participant, Some(&format!("P{i}")), None).await.0);
    }
    assert!(
        facilitator
            .request(ClientMsg::ActivityStart { index: 0, from: Some(Expected::default()) })
            .await
            .is_ok()
    );
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    for (i, person) in people.iter_mut().enumerate() {
        assert!(
            person
                .request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: format!("card {i}") }))
                .await
                .is_ok()
        );
    }
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    for person in &mut people {
        person.until(|msg| matches!(msg, ServerMsg::Hand(hand) if hand.round == 1).then_some(())).await;
    }
    (facilitator, people, created.code, created.key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_click_and_a_second_tab_move_on_once() {
    let server = TestServer::start().await;
    let (mut facilitator, mut people, code, key) = in_round_one(&server, 6, 5).await;
    let (mut second_tab, _) = server.join(code, Role::Facilitator, None, Some(&key)).await;

    // Both clicks leave before either is answered, as a double click does.
    facilitator.send(&ClientFrame::new(Some(101), ClientMsg::PhaseNext { from: at_round(1) })).await;
    facilitator.send(&ClientFrame::new(Some(102), ClientMsg::PhaseNext { from: at_round(1) })).await;
    second_tab.send(&ClientFrame::new(Some(7), ClientMsg::PhaseNext { from: at_round(1) })).await;
    let answers = [facilitator.answer(101).await, facilitator.answer(102).await, second_tab.answer(7).await];
    let moved = answers.iter().filter(|answer| answer.is_ok()).count();
    assert_eq!(moved, 1, "exactly one click moves on: {answers:?}");
    for answer in answers.iter().filter_map(|answer| answer.as_ref().err()) {
        assert_eq!(answer.0, ErrorCode::Stale, "{}", answer.1);
        assert!(answer.1.contains("round 2"), "the error says where the session is: {}", answer.1);
    }

    // Every phone was handed round 2 and nothing after it.
    for person in &mut people {
        person.until(|msg| matches!(msg, ServerMsg::Hand(hand) if hand.round == 2).then_some(())).await;
        person.assert_open().await;
        assert_eq!(hands(person).iter().map(|(round, _)| *round).max(), Some(2));
    }

    // An old client without `from` still moves on.
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    people[0].until(|msg| matches!(msg, ServerMsg::Hand(hand) if hand.round == 3).then_some(())).await;
    // Starting another activity names the state it leaves too.
    let stale_start = facilitator.request(ClientMsg::ActivityStart { index: 0, from: at_round(2) }).await;
    assert_eq!(stale_start.map_err(|err| err.0).err(), Some(ErrorCode::Stale));
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_back_reopens_the_round_with_its_hands_and_scores() {
    let server = TestServer::start().await;
    let (mut facilitator, mut people, code, key) = in_round_one(&server, 5, 3).await;
    assert!(facilitator.request(ClientMsg::PhaseNext { from: at_round(1) }).await.is_ok());
    // Round 2: everyone scores but the last.
    let mut round_two = Vec::new();
    for (i, person) in people.iter_mut().enumerate() {
        let card = person
            .until(|msg| match msg {
                ServerMsg::Hand(hand) if hand.round == 2 => Some(hand.card.as_ref().map(|card| card.id)),
                _ => None,
            })
            .await;
        let score = (i < 4).then(|| Score::new(i as u8 + 1).expect("1..=5"));
        if let (Some(card), Some(score)) = (card, score) {
            assert!(
                person
                    .request(ClientMsg::Scoring(ScoringMsg::CardScore { round: 2, card, score }))
                    .await
                    .is_ok()
            );
        }
        round_two.push((card, score));
    }
    // A slip: round 3 starts, someone scores in it, and the facilitator steps back.
    assert!(facilitator.request(ClientMsg::PhaseNext { from: at_round(2) }).await.is_ok());
    let hand = people[0]
        .until(|msg| match msg {
            ServerMsg::Hand(hand) if hand.round == 3 => Some(hand.clone()),
            _ => None,
        })
        .await;
    if let Some(card) = hand.card {
        let score = Score::new(5).expect("5");
        assert!(
            people[0]
                .request(ClientMsg::Scoring(ScoringMsg::CardScore { round: 3, card: card.id, score }))
                .await
                .is_ok()
        );
    }
    assert!(facilitator.request(ClientMsg::PhaseBack { from: at_round(3) }).await.is_ok());
    // A second click on "back" names round 3, which is gone: refused.
    let again = facilitator.request(ClientMsg::PhaseBack { from: at_round(3) }).await;
    assert_eq!(again.map_err(|err| err.0).err(), Some(ErrorCode::Stale));

    for (person, (card, score)) in people.iter_mut().zip(&round_two) {
        let hand = person
            .until(|msg| match msg {
                ServerMsg::Hand(hand) if hand.round == 2 => Some(hand.clone()),
                _ => None,
            })
            .await;
        assert_eq!(hand.card.map(|card| card.id), *card, "the same card as before");
        assert_eq!(hand.score, *score, "with the score given");
    }
    let export: Value = server.export(code, &key).await;
    let rounds: Vec<u64> = export["activities"][0]["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .flat_map(|card| {
            card["scores"].as_array().expect("scores").iter().map(|s| s["round"].as_u64().expect("round"))
        })
        .collect();
    assert!(!rounds.contains(&3), "round 3's scores were taken back: {rounds:?}");
    assert_eq!(rounds.iter().filter(|&&round| round == 2).count(), 4);
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agenda_is_edited_and_an_activity_reset() {
    let server = TestServer::start().await;
    let (mut facilitator, mut people, code, _) = in_round_one(&server, 3, 2).await;
    let (status, summary) = {
        let response = reqwest::get(server.url(&format!("/api/sessions/{code}"))).await.expect("GET");
        (response.status().as_u16(), response.json::<Value>().await.expect("JSON"))
    };
    assert_eq!(
        (status, &summary),
        (200, &json!({"code": code.to_string(), "title": "Test day", "language": "nb", "names": "free"}))
    );
    let unknown = reqwest::get(server.url("/api/sessions/000000")).await.expect("GET");
    assert_eq!(unknown.status().as_u16(), 404);

    let started = facilitator.log.iter().find_map(|msg| match msg {
        ServerMsg::Welcome(welcome) => Some(welcome.session.agenda.clone()),
        _ => None,
    });
    let mut agenda = started.expect("a welcome");
    let grouping: AgendaItem =
        serde_json::from_value(json!({"kind": "grouping", "prompt": "What first?", "sizes": [2]}))
            .expect("item");
    agenda.push(grouping);
    assert!(facilitator.request(ClientMsg::AgendaSet { agenda: agenda.clone() }).await.is_ok());
    let seen = people[0]
        .until(|msg| match msg {
            ServerMsg::Agenda { agenda, .. } => Some(agenda.clone()),
            _ => None,
        })
        .await;
    assert_eq!(seen, agenda);
    // The running activity keeps its settings.
    let mut changed = agenda.clone();
    if let AgendaItem::Scoring { prompt, .. } = &mut changed[0] {
        prompt.push_str(" (edited)");
    }
    let refused = facilitator.request(ClientMsg::AgendaSet { agenda: changed }).await;
    assert_eq!(refused.map_err(|err| err.0).err(), Some(ErrorCode::WrongPhase));

    // A reset takes the running activity back to its lobby, with no cards.
    assert!(facilitator.request(ClientMsg::ActivityReset { index: 0, from: at_round(1) }).await.is_ok());
    people[1]
        .until(|msg| matches!(msg, ServerMsg::Activity(info) if info.phase == Phase::Lobby).then_some(()))
        .await;
    people[1].until(|msg| matches!(msg, ServerMsg::Mine { card: None }).then_some(())).await;
    let progress = facilitator
        .until(|msg| match msg {
            ServerMsg::Progress(progress) if progress.phase == Phase::Lobby => Some(progress.clone()),
            _ => None,
        })
        .await;
    assert_eq!(progress.cards, 0);
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_edits_and_deletes_their_own_notes() {
    let server = TestServer::start().await;
    let body =
        json!({"title": "Notes", "agenda": [{"kind": "grouping", "prompt": "What first?", "sizes": [2]}]});
    let (status, created) = server.post_session(&body.to_string()).await;
    assert_eq!(status, 201);
    let code = created["code"].as_str().expect("code").parse().expect("a code");
    let key = created["key"].as_str().expect("key");
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(key)).await;
    let (mut kari, _) = server.join(code, Role::Participant, Some("Kari"), None).await;
    let (mut ola, _) = server.join(code, Role::Participant, Some("Ola"), None).await;
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());

    let add = |text: &str| ClientMsg::Grouping(GroupingMsg::NoteAdd { text: text.into() });
    let note_of = |ack: ServerMsg| match ack {
        ServerMsg::Ack { note: Some(note), .. } => note,
        other => panic!("no note in {other:?}"),
    };
    let alone = note_of(kari.request(add("Ask teh users")).await.expect("added"));
    assert!(
        kari.request(ClientMsg::Grouping(GroupingMsg::NoteEdit {
            note: alone,
            text: "Ask the users".into()
        }))
        .await
        .is_ok()
    );
    let other = note_of(kari.request(add("Delete me")).await.expect("added"));
    assert!(kari.request(ClientMsg::Grouping(GroupingMsg::NoteDelete { note: other })).await.is_ok());
    // Someone else's note is not theirs to change.
    let olas = note_of(ola.request(add("Fewer meetings")).await.expect("added"));
    let refused = kari
        .request(ClientMsg::Grouping(GroupingMsg::NoteEdit { note: olas, text: "mine now".into() }))
        .await;
    assert_eq!(refused.map_err(|err| err.0).err(), Some(ErrorCode::UnknownItem));

    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    let group = ola.group_until(|_| true).await;
    let mut texts: Vec<&str> = group.notes.iter().map(|note| note.text.as_str()).collect();
    texts.sort_unstable();
    assert_eq!(texts, ["Ask the users", "Fewer meetings"], "the edit shows, the deleted note does not");
    // A note written alone can no longer be changed once the groups formed.
    let late = kari
        .request(ClientMsg::Grouping(GroupingMsg::NoteEdit { note: alone, text: "too late".into() }))
        .await;
    assert_eq!(late.map_err(|err| err.0).err(), Some(ErrorCode::WrongPhase));
    // At the level, an edit reaches the other members.
    let in_group = note_of(kari.request(add("Start small")).await.expect("added"));
    assert!(
        kari.request(ClientMsg::Grouping(GroupingMsg::NoteEdit {
            note: in_group,
            text: "Start with one team".into()
        }))
        .await
        .is_ok()
    );
    ola.group_until(|group| group.notes.iter().any(|note| note.text == "Start with one team")).await;
    // Stars were given to the old words: an edit takes them away.
    let starred = note_of(kari.request(add("Pilot it")).await.expect("added"));
    assert!(
        ola.request(ClientMsg::Grouping(GroupingMsg::NoteStar { note: starred, on: true })).await.is_ok()
    );
    assert!(
        kari.request(ClientMsg::Grouping(GroupingMsg::NoteEdit {
            note: starred,
            text: "Pilot it twice".into()
        }))
        .await
        .is_ok()
    );
    let group = ola.group_until(|group| group.notes.iter().any(|note| note.text == "Pilot it twice")).await;
    let edited = group.notes.iter().find(|note| note.text == "Pilot it twice");
    assert_eq!(edited.map(|note| note.stars), Some(0), "an edit takes the stars away");
    assert!(kari.request(ClientMsg::Grouping(GroupingMsg::NoteDelete { note: in_group })).await.is_ok());
    ola.group_until(|group| group.notes.iter().all(|note| note.id != in_group)).await;
    // The facilitators' feed carried every note, the deleted ones marked as such.
    facilitator.drain_for(std::time::Duration::from_millis(400)).await;
    let deleted: Vec<NoteId> = facilitator
        .log
        .iter()
        .filter_map(|msg| match msg {
            ServerMsg::Feed { notes } => Some(notes.iter().filter(|note| note.deleted).map(|note| note.id)),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(deleted.contains(&other) && deleted.contains(&in_group), "{deleted:?}");
    // Starting the activity again gives the facilitators its whole feed, deleted notes left out.
    let before = facilitator.log.len();
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    let whole = facilitator.log[before..]
        .iter()
        .find_map(|msg| match msg {
            ServerMsg::Feed { notes } => Some(notes.iter().map(|note| note.id).collect::<Vec<_>>()),
            _ => None,
        })
        .expect("a feed on activity.start");
    assert_eq!(whole, [alone, olas, starred]);
    // A note hidden before a facilitator's page reloads is in the new welcome, to show again.
    assert!(
        facilitator
            .request(ClientMsg::Grouping(GroupingMsg::NoteHide { note: olas, hidden: true }))
            .await
            .is_ok()
    );
    let (_, welcome) = server.join(code, Role::Facilitator, None, Some(key)).await;
    let feed = welcome.view.feed.expect("a grouping activity's feed");
    assert!(feed.iter().any(|note| note.id == olas && note.hidden), "{feed:?}");
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_hidden_in_the_results_loses_its_rank_on_its_authors_phone() {
    let server = TestServer::start().await;
    let (mut facilitator, mut people, _, _) = in_round_one(&server, 4, 1).await;
    for person in &mut people {
        let hand = person
            .log
            .iter()
            .find_map(|msg| match msg {
                ServerMsg::Hand(hand) => hand.card.clone(),
                _ => None,
            })
            .expect("everyone holds a card");
        let score = Score::new(3).expect("3");
        assert!(
            person
                .request(ClientMsg::Scoring(ScoringMsg::CardScore { round: 1, card: hand.id, score }))
                .await
                .is_ok()
        );
    }
    assert!(facilitator.request(ClientMsg::PhaseNext { from: at_round(1) }).await.is_ok());
    let mine = people[0]
        .log
        .iter()
        .find_map(|msg| match msg {
            ServerMsg::Mine { card: Some(card) } => Some(card.id),
            _ => None,
        })
        .expect("a card written");
    let ranked = people[0]
        .until(|msg| match msg {
            ServerMsg::Results { yours } => Some(*yours),
            _ => None,
        })
        .await;
    assert!(ranked.is_some(), "ranked before it is hidden");
    assert!(
        facilitator
            .request(ClientMsg::Scoring(ScoringMsg::CardHide { card: mine, hidden: true }))
            .await
            .is_ok()
    );
    let after = people[0]
        .until(|msg| match msg {
            ServerMsg::Results { yours } => Some(*yours),
            _ => None,
        })
        .await;
    assert_eq!(after, None, "a hidden card has no rank on its author's phone");
    // Everyone else's rank is sent again too: ranks move when a card leaves.
    people[1].until(|msg| matches!(msg, ServerMsg::Results { yours: Some(_) }).then_some(())).await;
    people[1].until(|msg| matches!(msg, ServerMsg::Results { yours: Some(_) }).then_some(())).await;
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_who_arrived_in_the_round_undone_is_dealt_into_the_round_reopened() {
    let server = TestServer::start().await;
    let (mut facilitator, mut people, code, _) = in_round_one(&server, 5, 3).await;
    // One writer leaves: their card is free in every round after.
    drop(people.pop());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: at_round(1) }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: at_round(2) }).await.is_ok());
    let (mut newcomer, welcome) = server.join(code, Role::Participant, Some("Late"), None).await;
    assert!(
        welcome.view.hand.is_some_and(|hand| hand.round == 3 && hand.card.is_some()),
        "a free card on arrival"
    );
    assert!(facilitator.request(ClientMsg::PhaseBack { from: at_round(3) }).await.is_ok());
    let hand = newcomer
        .until(|msg| match msg {
            ServerMsg::Hand(hand) if hand.round == 2 && hand.card.is_some() => Some(hand.clone()),
            _ => None,
        })
        .await;
    assert_eq!(hand.score, None);
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_session_keeps_newcomers_out_and_lets_its_people_back() {
    let server = TestServer::start().await;
    let created = server.scoring_session(2).await;
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    let (mut screen, _) = server.join(code, Role::Screen, None, None).await;
    let (kari, welcome) = server.join(code, Role::Participant, Some("Kari"), None).await;
    drop(kari);
    assert!(facilitator.request(ClientMsg::SessionLock { locked: true }).await.is_ok());
    screen.until(|msg| matches!(msg, ServerMsg::Lock { locked: true }).then_some(())).await;

    let mut stranger = server.connect().await;
    let refused = stranger.join(lapp_protocol::Join::new(code, Role::Participant)).await;
    assert_eq!(refused.map(|_| ()).map_err(|err| err.0), Err(ErrorCode::Locked));
    let (_, back) = server.resume(code, &welcome).await;
    assert_eq!(back.you.pid, welcome.you.pid, "a participant from before comes back while locked");
    assert!(back.session.locked, "the welcome says the session is locked");

    assert!(facilitator.request(ClientMsg::SessionLock { locked: false }).await.is_ok());
    let (_, newcomer) = server.join(code, Role::Participant, Some("Ola"), None).await;
    assert!(newcomer.you.pid.is_some() && !newcomer.session.locked);
    let refused = screen.request(ClientMsg::SessionLock { locked: true }).await;
    assert_eq!(refused.map_err(|err| err.0).err(), Some(ErrorCode::Forbidden), "only facilitators lock");
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_participant_is_closed_out_and_their_card_leaves_every_hand() {
    let server = TestServer::start().await;
    let created = server.scoring_session(3).await;
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    let mut people = Vec::new();
    for i in 0..5 {
        people.push(server.join(code, Role::Participant, Some(&format!("P{i}")), None).await);
    }
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    let mut cards = Vec::new();
    for (i, (person, _)) in people.iter_mut().enumerate() {
        let ack = person
            .request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: format!("card {i}") }))
            .await
            .expect("written");
        let ServerMsg::Ack { card: Some(card), .. } = ack else { panic!("no card in {ack:?}") };
        cards.push(card);
    }
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    // The facilitator removes the author of card 0 by naming the card, mid-round.
    let offending = cards[0];
    assert!(
        facilitator
            .request(ClientMsg::ParticipantRemove {
                card: Some(offending),
                note: None,
                action: None,
                topic: None,
                retro: None,
            })
            .await
            .is_ok()
    );
    let (removed, removed_welcome) = &mut people[0];
    assert_eq!(removed.closed_with().await, 4005, "the removed phone is closed with 4005");
    let mut again = server.connect().await;
    let back = again
        .join(lapp_protocol::Join {
            resume: removed_welcome.resume.clone(),
            ..lapp_protocol::Join::new(code, Role::Participant)
        })
        .await;
    assert_eq!(back.map(|_| ()).map_err(|err| err.0), Err(ErrorCode::BadResume), "its token no longer works");
    // Whoever held the card has an empty hand now, and no later round hands it out.
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    for (person, _) in people.iter_mut().skip(1) {
        let hand = person
            .until(|msg| match msg {
                ServerMsg::Hand(hand) if hand.round == 2 => Some(hand.clone()),
                _ => None,
            })
            .await;
        assert_ne!(hand.card.map(|card| card.id), Some(offending), "the removed card was handed out");
    }
    let export: Value = server.export(code, &created.key).await;
    assert_eq!(export["participants"][0]["removed"], json!(true));
    let hidden: Vec<bool> = export["activities"][0]["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|card| card["hidden"] == json!(true))
        .collect();
    assert_eq!(hidden, [true, false, false, false, false], "only the removed author's card is hidden");
    // Naming a card whose author is gone already, or nothing, changes nothing.
    let again = facilitator
        .request(ClientMsg::ParticipantRemove {
            card: Some(offending),
            note: None,
            action: None,
            topic: None,
            retro: None,
        })
        .await;
    assert_eq!(again.map_err(|err| err.0).err(), Some(ErrorCode::UnknownItem));
    let neither = facilitator
        .request(ClientMsg::ParticipantRemove {
            card: None,
            note: None,
            action: None,
            topic: None,
            retro: None,
        })
        .await;
    assert_eq!(neither.map_err(|err| err.0).err(), Some(ErrorCode::BadJson));
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_names_leave_nothing_to_type_and_off_means_none() {
    let server = TestServer::start().await;
    for (names, language) in [("generated", "nb"), ("off", "en")] {
        let body = json!({"title": "Hall", "language": language, "names": names,
            "agenda": [{"kind": "grouping", "prompt": "What first?", "sizes": [2]}]});
        let (status, created) = server.post_session(&body.to_string()).await;
        assert_eq!(status, 201, "{created}");
        let code: lapp_protocol::JoinCode = created["code"].as_str().expect("code").parse().expect("a code");
        let summary: Value = reqwest::get(server.url(&format!("/api/sessions/{code}")))
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON");
        assert_eq!(summary["names"], json!(names), "a phone knows before it asks for a name");
        let mut given = std::collections::HashSet::new();
        for _ in 0..6 {
            let (_, welcome) = server.join(code, Role::Participant, Some("Something rude"), None).await;
            assert_eq!(welcome.session.names, serde_json::from_value(json!(names)).expect("a names setting"));
            match (names, welcome.you.name) {
                ("off", name) => assert_eq!(name, None),
                (_, Some(name)) => {
                    assert_ne!(name, "Something rude");
                    assert_eq!(name.split(' ').count(), 2, "two words: {name}");
                    given.insert(name);
                }
                (_, None) => panic!("no generated name"),
            }
        }
        if names == "generated" {
            assert!(given.len() > 1, "names are drawn, not all the same: {given:?}");
        }
    }
    server.shut_down().await;
}
