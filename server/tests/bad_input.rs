//! Bad input over real sockets: each bad frame gets its `error` code and `rid`, the connection
//! stays open, and the session completes normally for everyone else.

mod support;

use std::collections::HashMap;

use lapp_protocol::ScoringMsg;
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
    // The message budget has its own test; here one client sends every case in a burst.
    let limits =
        lapp_server::Limits { messages_per_second: 1_000, message_burst: 1_000, ..Default::default() };
    let server = TestServer::start_with(limits).await;
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
        .join(Join { name: Some("Stranger".into()), ..Join::new(created.code, Role::Participant) })
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
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    // Lobby.
    check(&mut people[0].0, r#"{"type":"card.write","rid":8,"text":"early"}"#, WrongPhase, Some(8)).await;
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());

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
        let ack = client
            .request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: format!("card of {pid}") }))
            .await;
        let Ok(ServerMsg::Ack { card: Some(card), .. }) = ack else { panic!("{ack:?}") };
        authors.insert(card, *pid);
    }

    // Round 1.
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
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
            assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
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
                .request(ClientMsg::Scoring(ScoringMsg::CardScore {
                    round,
                    card,
                    score: Score::new(score).expect("score"),
                }))
                .await;
            assert!(ack.is_ok(), "{ack:?}");
            let entry = expected.entry(card).or_default();
            entry.0 += u32::from(score);
            entry.1 += 1;
        }
    }
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
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

/// What a hostile input must get.
enum Expect {
    /// An `error` with this code (and the frame's `rid` when it had one); the connection
    /// stays open.
    Error(ErrorCode),
    /// The connection is closed with this WebSocket close code (the input broke the
    /// WebSocket protocol itself, so no `error` frame can answer it).
    Close(u16),
}

/// Who sends a hostile input: a participant who holds a card, the screen, or a fresh
/// connection that has not joined.
#[derive(Clone, Copy)]
enum From {
    Participant,
    Screen,
    Stranger,
}

enum Input {
    Text(String),
    Binary(Vec<u8>),
    RawText(Vec<u8>),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_inputs_each_get_their_answer_and_the_session_completes() {
    use ErrorCode::*;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

    // The message budget has its own test; here one client sends every case in a burst.
    let limits =
        lapp_server::Limits { messages_per_second: 1_000, message_burst: 1_000, ..Default::default() };
    let server = TestServer::start_with(limits).await;
    // Another session, for foreign card ids and resume tokens, and a deleted one.
    let other = server.scoring_session(2).await;
    let mut others = Vec::new();
    for _ in 0..6 {
        others.push(server.join(other.code, Role::Participant, None, None).await);
    }
    let foreign_token = others[0].1.resume.clone().expect("token");
    let deleted = server.scoring_session(2).await;
    let gone = reqwest::Client::new()
        .delete(server.url(&format!("/api/sessions/{}", deleted.code)))
        .bearer_auth(&deleted.key)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(gone.status().as_u16(), 204);

    let created = server.scoring_session(2).await;
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    let (mut screen, _) = server.join(code, Role::Screen, None, None).await;
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(server.join(code, Role::Participant, Some(&format!("P{i}")), None).await.0);
    }
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    let mut own = Vec::new();
    for (i, person) in people.iter_mut().enumerate() {
        // Control characters and direction overrides are taken out of what people write.
        let text = format!("\u{202E}card {i}\u{7}");
        let ack = person.request(ClientMsg::Scoring(ScoringMsg::CardWrite { text })).await;
        let Ok(ServerMsg::Ack { card: Some(card), .. }) = ack else { panic!("{ack:?}") };
        own.push(card);
        let mine = person
            .until(|msg| {
                if let ServerMsg::Mine { card: Some(card) } = msg { Some(card.text.clone()) } else { None }
            })
            .await;
        assert_eq!(mine, format!("card {i}"));
    }
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    let held = people[0]
        .until(|msg| if let ServerMsg::Hand(hand) = msg { hand.card.clone() } else { None })
        .await
        .id;

    let text = |s: &str| Input::Text(s.to_owned());
    let score = |rid: u64, round: &str, card: &str, score: &str| {
        Input::Text(format!(
            r#"{{"type":"card.score","rid":{rid},"round":{round},"card":"{card}","score":{score}}}"#
        ))
    };
    let join = |extra: &str| {
        Input::Text(format!(r#"{{"type":"join","v":1,"code":"{code}","role":"participant"{extra}}}"#))
    };
    let nested = format!(r#"{{"type":"ping","rid":9,"x":{}{}}}"#, "[".repeat(5_000), "]".repeat(5_000));
    let forged = "ab".repeat(16);
    let cases: Vec<(&str, From, Input, Option<u64>, Expect)> = vec![
        ("binary frame", From::Participant, Input::Binary(vec![1, 2, 3]), None, Expect::Error(BadJson)),
        (
            "text not UTF-8",
            From::Stranger,
            Input::RawText(vec![b'{', 0xc3, 0x28, b'}']),
            None,
            Expect::Close(1007),
        ),
        ("malformed JSON", From::Participant, text("{"), None, Expect::Error(BadJson)),
        (
            "truncated frame",
            From::Participant,
            text(r#"{"type":"card.score","rid":1,"round":1"#),
            None,
            Expect::Error(BadJson),
        ),
        ("deeply nested JSON", From::Participant, Input::Text(nested), None, Expect::Error(BadJson)),
        (
            "20 KB string",
            From::Participant,
            Input::Text(format!(r#"{{"type":"card.write","text":"{}"}}"#, "x".repeat(20_000))),
            None,
            Expect::Error(TooLarge),
        ),
        (
            "1 MB string",
            From::Stranger,
            Input::Text(format!(r#"{{"type":"card.write","text":"{}"}}"#, "x".repeat(1_000_000))),
            None,
            Expect::Close(1009),
        ),
        (
            "score out of range",
            From::Participant,
            score(2, "1", &held.to_string(), "1e308"),
            Some(2),
            Expect::Error(InvalidScore),
        ),
        (
            "score 0",
            From::Participant,
            score(3, "1", &held.to_string(), "0"),
            Some(3),
            Expect::Error(InvalidScore),
        ),
        (
            "score as text",
            From::Participant,
            score(4, "1", &held.to_string(), "\"5\""),
            Some(4),
            Expect::Error(InvalidScore),
        ),
        (
            "round beyond u32",
            From::Participant,
            score(5, "4294967296", &held.to_string(), "3"),
            Some(5),
            Expect::Error(BadJson),
        ),
        (
            "negative round",
            From::Participant,
            score(6, "-1", &held.to_string(), "3"),
            Some(6),
            Expect::Error(BadJson),
        ),
        (
            "another session's card id",
            From::Participant,
            score(7, "1", "c6", "3"),
            Some(7),
            Expect::Error(UnknownItem),
        ),
        (
            "own card",
            From::Participant,
            score(8, "1", &own[0].to_string(), "3"),
            Some(8),
            Expect::Error(OwnCard),
        ),
        (
            "forged resume",
            From::Stranger,
            join(&format!(r#","resume":"{forged}""#)),
            None,
            Expect::Error(BadResume),
        ),
        (
            "another session's resume",
            From::Stranger,
            join(&format!(r#","resume":"{foreign_token}""#)),
            None,
            Expect::Error(BadResume),
        ),
        (
            "join after deletion",
            From::Stranger,
            Input::Text(format!(r#"{{"type":"join","v":1,"code":"{}","role":"screen"}}"#, deleted.code)),
            None,
            Expect::Error(UnknownSession),
        ),
        (
            "participant: phase.next",
            From::Participant,
            text(r#"{"type":"phase.next","rid":10}"#),
            Some(10),
            Expect::Error(Forbidden),
        ),
        (
            "participant: reveal",
            From::Participant,
            text(r#"{"type":"reveal","rid":11,"count":3}"#),
            Some(11),
            Expect::Error(Forbidden),
        ),
        (
            "participant: activity.start",
            From::Participant,
            text(r#"{"type":"activity.start","rid":12,"index":0}"#),
            Some(12),
            Expect::Error(Forbidden),
        ),
        (
            "participant: timer.set",
            From::Participant,
            text(r#"{"type":"timer.set","rid":13,"seconds":5}"#),
            Some(13),
            Expect::Error(Forbidden),
        ),
        (
            "participant: card.hide",
            From::Participant,
            text(r#"{"type":"card.hide","rid":14,"card":"c1","hidden":true}"#),
            Some(14),
            Expect::Error(Forbidden),
        ),
        (
            "screen: card.write",
            From::Screen,
            text(r#"{"type":"card.write","rid":15,"text":"hi"}"#),
            Some(15),
            Expect::Error(Forbidden),
        ),
        ("screen: card.score", From::Screen, score(16, "1", "c1", "3"), Some(16), Expect::Error(Forbidden)),
        (
            "screen: note.add",
            From::Screen,
            text(r#"{"type":"note.add","rid":17,"text":"hi"}"#),
            Some(17),
            Expect::Error(Forbidden),
        ),
        (
            "unknown type",
            From::Participant,
            text(r#"{"type":"admin.delete","rid":18}"#),
            Some(18),
            Expect::Error(UnknownType),
        ),
        (
            "type not a string",
            From::Participant,
            text(r#"{"type":7,"rid":19}"#),
            Some(19),
            Expect::Error(BadJson),
        ),
        (
            "rid not a number",
            From::Participant,
            text(r#"{"type":"ping","rid":"1"}"#),
            None,
            Expect::Error(BadJson),
        ),
        ("second join", From::Participant, join(r#","rid":20"#), Some(20), Expect::Error(WrongPhase)),
        (
            "writing in a round",
            From::Participant,
            text(r#"{"type":"card.write","rid":21,"text":"late"}"#),
            Some(21),
            Expect::Error(WrongPhase),
        ),
        (
            "request before join",
            From::Stranger,
            text(r#"{"type":"card.write","rid":22,"text":"hi"}"#),
            Some(22),
            Expect::Error(NotJoined),
        ),
    ];
    assert!(cases.len() >= 25);
    for (name, from, input, rid, expect) in cases {
        let mut stranger;
        let client = match from {
            From::Participant => &mut people[0],
            From::Screen => &mut screen,
            From::Stranger => {
                stranger = server.connect().await;
                &mut stranger
            }
        };
        match input {
            Input::Text(text) => client.send_text(&text).await,
            Input::Binary(bytes) => client.send_raw(Message::Binary(bytes.into())).await,
            Input::RawText(bytes) => {
                let header = FrameHeader { opcode: OpCode::Data(Data::Text), ..FrameHeader::default() };
                client.send_raw(Message::Frame(Frame::from_payload(header, bytes.into()))).await;
            }
        }
        match expect {
            Expect::Error(code) => {
                let got = client
                    .until(|msg| match msg {
                        ServerMsg::Error { rid, code, .. } => Some((*code, *rid)),
                        ServerMsg::Ack { .. } | ServerMsg::Welcome(_) => panic!("{name}: accepted"),
                        _ => None,
                    })
                    .await;
                assert_eq!(got, (code, rid), "{name}");
                client.assert_open().await;
            }
            Expect::Close(close) => assert_eq!(client.closed_with().await, close, "{name}"),
        }
    }

    // A name with control characters and direction overrides comes back clean.
    let (_, welcome) = server.join(code, Role::Participant, Some("\u{202E}Kari\u{0}\u{2066}"), None).await;
    assert_eq!(welcome.you.name.as_deref(), Some("Kari"));

    // After all that, the 25/10 completes for everyone with every score counted.
    let mut expected: HashMap<CardId, (u32, u32)> = HashMap::new();
    for round in 1..=2u32 {
        if round == 2 {
            assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
        }
        for (i, person) in people.iter_mut().enumerate() {
            let card = if round == 1 && i == 0 {
                held
            } else {
                person
                    .until(|msg| match msg {
                        ServerMsg::Hand(hand) if hand.round == round => Some(hand.card.clone()),
                        _ => None,
                    })
                    .await
                    .expect("four writers: everyone holds a card")
                    .id
            };
            let value = 1 + i as u8;
            let ack = person
                .request(ClientMsg::Scoring(ScoringMsg::CardScore {
                    round,
                    card,
                    score: Score::new(value).expect("score"),
                }))
                .await;
            assert!(ack.is_ok(), "{ack:?}");
            let entry = expected.entry(card).or_default();
            entry.0 += u32::from(value);
            entry.1 += 1;
        }
    }
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    facilitator
        .until(|msg| matches!(msg, ServerMsg::Activity(a) if a.phase == Phase::Results).then_some(()))
        .await;
    let board = facilitator
        .until(|msg| if let ServerMsg::Leaderboard(board) = msg { Some(board.clone()) } else { None })
        .await;
    let got: HashMap<CardId, (u32, u32)> =
        board.entries.iter().map(|e| (e.card, (e.total, e.count))).collect();
    assert_eq!(got, expected);
}
