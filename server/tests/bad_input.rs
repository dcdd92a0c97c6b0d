//! Bad input over real sockets: each bad frame gets its `error` code and `rid`, the connection
//! stays open, and the session completes normally for everyone else.

mod support;

use std::collections::HashMap;

use lapp_protocol::{CardId, ClientMsg, ErrorCode, Join, Phase, Pid, Role, Score, ServerMsg};
use support::{Client, TestServer};

/// Sends `text`, expects an `error` with `code` and `rid`, and proves the connection still
/// answers.
async fn check(client: &mut Client, text: &str, code: ErrorCode, rid: Option<u64>) {
    client.send_text(text).await;
    let got = client
        .until(|msg| match msg {
            ServerMsg::Error { rid, code, message } => Some((*code, *rid, message.clone())),
            ServerMsg::Ack { .. } => panic!("{text} was accepted"),
            _ => None,
        })
        .await;
    assert_eq!((got.0, got.1), (code, rid), "{text}: {}", got.2);
    assert!(!got.2.is_empty(), "{text}: an error says what went wrong");
    client.assert_open().await;
}

fn join_text(code: &str, role: &str, extra: &str) -> String {
    format!(r#"{{"type":"join","v":1,"code":"{code}","role":"{role}"{extra}}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_frame_gets_its_code_and_the_session_goes_on() {
    use ErrorCode::*;
    let server = TestServer::start().await;
    let created = server.scoring_session(2).await;
    let code = created.code.to_string();
    let other_code = if code == "999999" { "999998" } else { "999999" };

    // Before joining.
    let mut stranger = server.connect().await;
    check(&mut stranger, "{", BadJson, None).await;
    check(&mut stranger, "[]", BadJson, None).await;
    check(&mut stranger, r#"{"type":"dance","rid":1}"#, UnknownType, Some(1)).await;
    check(&mut stranger, r#"{"type":"card.write","rid":2,"text":"hi"}"#, NotJoined, Some(2)).await;
    check(&mut stranger, r#"{"type":"phase.next","rid":3}"#, NotJoined, Some(3)).await;
    check(&mut stranger, &join_text(other_code, "participant", ""), UnknownSession, None).await;
    check(&mut stranger, &join_text("12ab56", "participant", ""), UnknownSession, None).await;
    check(
        &mut stranger,
        &join_text(&code, "participant", "").replace("\"v\":1", "\"v\":2"),
        UnsupportedVersion,
        None,
    )
    .await;
    check(&mut stranger, &join_text(&code, "facilitator", ""), Forbidden, None).await;
    let wrong_key = if created.key.starts_with('0') { "1" } else { "0" }.repeat(32);
    check(
        &mut stranger,
        &join_text(&code, "facilitator", &format!(r#","key":"{wrong_key}""#)),
        Forbidden,
        None,
    )
    .await;
    check(&mut stranger, &join_text(&code, "facilitator", r#","key":"short""#), Forbidden, None).await;
    check(&mut stranger, &join_text(&code, "participant", r#","resume":"nonsense""#), BadResume, None).await;
    // After all that, the same connection can still join.
    let welcome = stranger
        .join(Join {
            v: 1,
            code: created.code,
            role: Role::Participant,
            name: Some("Stranger".into()),
            zone: None,
            resume: None,
            key: None,
        })
        .await
        .expect("joins after its mistakes");
    check(&mut stranger, &join_text(&code, "participant", r#","rid":4"#), WrongPhase, Some(4)).await;

    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let (mut screen, _) = server.join(created.code, Role::Screen, None, None).await;
    let mut people = vec![(stranger, welcome.you.pid.expect("pid"))];
    for i in 0..4 {
        let (client, welcome) =
            server.join(created.code, Role::Participant, Some(&format!("P{i}")), None).await;
        people.push((client, welcome.you.pid.expect("pid")));
    }

    // No activity yet.
    check(&mut people[0].0, r#"{"type":"card.write","rid":5,"text":"early"}"#, WrongPhase, Some(5)).await;
    check(&mut facilitator, r#"{"type":"phase.next","rid":6}"#, WrongPhase, Some(6)).await;
    check(&mut facilitator, r#"{"type":"activity.start","rid":7,"index":3}"#, UnknownItem, Some(7)).await;
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0 }).await.is_ok());
    // Lobby.
    check(&mut people[0].0, r#"{"type":"card.write","rid":8,"text":"early"}"#, WrongPhase, Some(8)).await;
    assert!(facilitator.request(ClientMsg::PhaseNext {}).await.is_ok());

    // Writing.
    let (participant, _) = &mut people[1];
    check(participant, r#"{"type":"card.write","rid":10,"text":""}"#, EmptyText, Some(10)).await;
    check(participant, r#"{"type":"card.write","rid":11,"text":"  \n "}"#, EmptyText, Some(11)).await;
    let long = "é".repeat(281);
    check(
        participant,
        &format!(r#"{{"type":"card.write","rid":12,"text":"{long}"}}"#),
        TextTooLong,
        Some(12),
    )
    .await;
    check(
        participant,
        r#"{"type":"card.score","rid":13,"round":1,"card":"c1","score":3}"#,
        WrongPhase,
        Some(13),
    )
    .await;
    check(participant, r#"{"type":"phase.next","rid":14}"#, Forbidden, Some(14)).await;
    check(participant, r#"{"type":"reveal","rid":15,"count":3}"#, Forbidden, Some(15)).await;
    check(participant, r#"{"type":"card.hide","rid":16,"card":"c1","hidden":true}"#, Forbidden, Some(16))
        .await;
    check(&mut screen, r#"{"type":"phase.next","rid":17}"#, Forbidden, Some(17)).await;
    check(&mut screen, r#"{"type":"card.write","rid":18,"text":"hi"}"#, Forbidden, Some(18)).await;
    check(&mut facilitator, r#"{"type":"card.write","rid":19,"text":"hi"}"#, Forbidden, Some(19)).await;
    check(&mut facilitator, r#"{"type":"timer.set","rid":20,"seconds":99999}"#, BadJson, Some(20)).await;
    check(
        &mut facilitator,
        r#"{"type":"note.hide","rid":21,"note":"n1","hidden":true}"#,
        WrongPhase,
        Some(21),
    )
    .await;

    let mut authors: HashMap<CardId, Pid> = HashMap::new();
    for (client, pid) in &mut people {
        let ack = client.request(ClientMsg::CardWrite { text: format!("card of {pid}") }).await;
        let Ok(ServerMsg::Ack { card: Some(card), .. }) = ack else { panic!("{ack:?}") };
        authors.insert(card, *pid);
    }

    // Round 1.
    assert!(facilitator.request(ClientMsg::PhaseNext {}).await.is_ok());
    let mut hands = Vec::new();
    for (client, pid) in &mut people {
        let card = client
            .until(|msg| match msg {
                ServerMsg::Hand(hand) if hand.round == 1 => Some(hand.card.clone()),
                _ => None,
            })
            .await
            .expect("five writers: everyone holds a card")
            .id;
        hands.push((*pid, card));
    }
    let (participant, pid) = &mut people[2];
    let held = hands[2].1;
    let own = authors.iter().find_map(|(card, author)| (author == pid).then_some(*card)).expect("own card");
    let other = authors.keys().copied().find(|&card| card != held && card != own).expect("another card");
    for score in ["0", "6", "2.5", "\"5\"", "-3", "true"] {
        let text = format!(r#"{{"type":"card.score","rid":30,"round":1,"card":"{held}","score":{score}}}"#);
        check(participant, &text, InvalidScore, Some(30)).await;
    }
    let score_text = |rid: u64, round: i64, card: &str| {
        format!(r#"{{"type":"card.score","rid":{rid},"round":{round},"card":"{card}","score":4}}"#)
    };
    check(participant, &score_text(31, 1, &other.to_string()), NotYourCard, Some(31)).await;
    check(participant, &score_text(32, 1, &own.to_string()), OwnCard, Some(32)).await;
    check(participant, &score_text(33, 2, &held.to_string()), WrongPhase, Some(33)).await;
    check(participant, &score_text(34, 1, "c999"), UnknownItem, Some(34)).await;
    check(participant, &score_text(35, 1, "card"), UnknownItem, Some(35)).await;
    check(participant, &score_text(36, -1, &held.to_string()), BadJson, Some(36)).await;
    check(participant, r#"{"type":"card.write","rid":37,"text":"late"}"#, WrongPhase, Some(37)).await;
    check(participant, r#"{"type":"note.add","rid":38,"text":"no grouping"}"#, WrongPhase, Some(38)).await;
    check(participant, r#"{"type":"reveal","rid":39,"count":3}"#, Forbidden, Some(39)).await;
    check(&mut facilitator, r#"{"type":"reveal","rid":40,"count":3}"#, WrongPhase, Some(40)).await;
    check(
        &mut facilitator,
        r#"{"type":"card.hide","rid":41,"card":"c999","hidden":true}"#,
        UnknownItem,
        Some(41),
    )
    .await;

    // Everyone still scores, and every acknowledged score counts.
    let mut expected: HashMap<CardId, (u32, u32)> = HashMap::new();
    for round in 1..=2u32 {
        if round == 2 {
            assert!(facilitator.request(ClientMsg::PhaseNext {}).await.is_ok());
        }
        for (i, (client, _)) in people.iter_mut().enumerate() {
            let card = match round {
                1 => hands[i].1, // read above
                _ => {
                    client
                        .until(|msg| match msg {
                            ServerMsg::Hand(hand) if hand.round == round => Some(hand.card.clone()),
                            _ => None,
                        })
                        .await
                        .expect("everyone holds a card")
                        .id
                }
            };
            let score = (i as u8 % 5) + 1;
            let ack = client
                .request(ClientMsg::CardScore { round, card, score: Score::new(score).expect("score") })
                .await;
            assert!(ack.is_ok(), "{ack:?}");
            let entry = expected.entry(card).or_default();
            entry.0 += u32::from(score);
            entry.1 += 1;
        }
    }
    assert!(facilitator.request(ClientMsg::PhaseNext {}).await.is_ok());
    facilitator
        .until(|msg| matches!(msg, ServerMsg::Activity(a) if a.phase == Phase::Results).then_some(()))
        .await;
    let board = facilitator
        .until(|msg| match msg {
            ServerMsg::Leaderboard(board) => Some(board.clone()),
            _ => None,
        })
        .await;
    let got: HashMap<CardId, (u32, u32)> =
        board.entries.iter().map(|entry| (entry.card, (entry.total, entry.count))).collect();
    assert_eq!(got, expected);
    server.shut_down().await;
}

#[tokio::test]
async fn bad_session_requests_get_a_json_error() {
    let server = TestServer::start().await;
    let cases = [
        ("{", "bad_json"),
        (r#"{"title":"x"}"#, "bad_json"),
        (r#"{"title":"","agenda":[{"kind":"scoring","prompt":"q"}]}"#, "bad_json"),
        (r#"{"title":"x","agenda":[]}"#, "bad_json"),
        (r#"{"title":"x","agenda":[{"kind":"scoring","prompt":""}]}"#, "bad_json"),
        (r#"{"title":"x","agenda":[{"kind":"scoring","prompt":"q","rounds":0}]}"#, "bad_json"),
        (r#"{"title":"x","agenda":[{"kind":"scoring","prompt":"q","rounds":11}]}"#, "bad_json"),
        (r#"{"title":"x","agenda":[{"kind":"dancing","prompt":"q"}]}"#, "bad_json"),
        (r#"{"title":"x","agenda":[{"kind":"grouping","prompt":"q","sizes":[1]}]}"#, "bad_json"),
        (r#"{"title":"x","agenda":[{"kind":"grouping","prompt":"q","sizes":[9,3]}]}"#, "bad_json"),
        (r#"{"title":"x","agenda":[{"kind":"grouping","prompt":"q","sizes":[]}]}"#, "bad_json"),
        (r#"{"title":"x","language":"de","agenda":[{"kind":"scoring","prompt":"q"}]}"#, "bad_json"),
    ];
    for (body, code) in cases {
        let (status, answer) = server.post_session(body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["code"], code, "{body}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}: {answer}");
    }
}
