//! A whole 25/10 over real sockets: 30 participants, a facilitator and a screen; one
//! participant writes no card, one leaves in round 2, one joins in round 3. The rules are
//! checked on what the clients actually received.

mod support;

use std::collections::{HashMap, HashSet};

use lapp_protocol::ScoringMsg;
use lapp_protocol::{
    CardId, ClientMsg, ErrorCode, Hand, Leaderboard, Phase, Pid, Progress, Role, Score, ServerMsg,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::{Client, TestServer};

const PARTICIPANTS: usize = 30;
const ROUNDS: u32 = 5;
const NON_WRITER: usize = 7;
const LEAVER: usize = 12;

struct Person {
    client: Option<Client>,
    pid: Pid,
    card: Option<CardId>,
    /// The hand of each round this person was there for: (round, card).
    hands: Vec<(u32, Option<CardId>)>,
}

async fn next_phase(facilitator: &mut Client) {
    let ack = facilitator.request(ClientMsg::PhaseNext { from: None }).await;
    assert!(ack.is_ok(), "phase.next refused: {ack:?}");
}

async fn wait_for_connected(facilitator: &mut Client, connected: u32) -> Progress {
    facilitator
        .until(|msg| match msg {
            ServerMsg::Progress(progress) if progress.connected == connected => Some(progress.clone()),
            _ => None,
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_25_10_with_a_leaver_a_late_joiner_and_a_non_writer() {
    let mut rng = StdRng::seed_from_u64(2510);
    let server = TestServer::start().await;
    let created = server.scoring_session(ROUNDS).await;
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    let (mut screen, _) = server.join(code, Role::Screen, None, None).await;

    let mut people = Vec::new();
    for i in 0..PARTICIPANTS {
        let (client, welcome) = server.join(code, Role::Participant, Some(&format!("P{i}")), None).await;
        assert_eq!(welcome.you.role, Role::Participant);
        assert!(welcome.resume.as_deref().is_some_and(|token| token.len() == 32), "a resume token");
        let pid = welcome.you.pid.expect("participants get a pid");
        people.push(Person { client: Some(client), pid, card: None, hands: Vec::new() });
    }
    let pids: HashSet<Pid> = people.iter().map(|person| person.pid).collect();
    assert_eq!(pids.len(), PARTICIPANTS, "every participant has their own pid");

    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    next_phase(&mut facilitator).await;

    let mut authors: HashMap<CardId, Pid> = HashMap::new();
    for (i, person) in people.iter_mut().enumerate() {
        let client = person.client.as_mut().expect("connected");
        client
            .until(|msg| matches!(msg, ServerMsg::Activity(a) if a.phase == Phase::Writing).then_some(()))
            .await;
        if i == NON_WRITER {
            continue;
        }
        let ack = client
            .request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: format!("Challenge {i}") }))
            .await;
        let Ok(ServerMsg::Ack { card: Some(card), .. }) = ack else {
            panic!("card.write not acked: {ack:?}")
        };
        authors.insert(card, person.pid);
        person.card = Some(card);
    }
    assert_eq!(authors.len(), PARTICIPANTS - 1);

    // Every score the server acknowledged, per card: the final leaderboard must equal these.
    let mut acked: HashMap<CardId, Vec<(u32, Pid, u8)>> = HashMap::new();
    for round in 1..=ROUNDS {
        next_phase(&mut facilitator).await;
        if round == 3 {
            let (client, welcome) = server.join(code, Role::Participant, Some("Late"), None).await;
            let hand = welcome.view.hand.expect("a round is open");
            assert_eq!(hand.round, 3);
            // A free card, if the hand-out left one, goes to whoever arrives after it.
            let late_card = hand.card.map(|card| card.id);
            let pid = welcome.you.pid.expect("pid");
            people.push(Person { client: Some(client), pid, card: None, hands: vec![(3, late_card)] });
        }
        let mut handed_this_round: HashMap<CardId, Pid> = HashMap::new();
        for (i, person) in people.iter_mut().enumerate() {
            let Some(client) = person.client.as_mut() else {
                continue;
            };
            let card = match person.hands.iter().find(|&&(r, _)| r == round) {
                Some(&(_, card)) => card, // joined this round: its hand came in the welcome
                None => {
                    let hand = client
                        .until(|msg| match msg {
                            ServerMsg::Hand(Hand { round: r, card, .. }) if *r == round => Some(card.clone()),
                            _ => None,
                        })
                        .await;
                    let card = hand.map(|card| card.id);
                    person.hands.push((round, card));
                    card
                }
            };
            if round == 2 && i == LEAVER {
                person.client.take().expect("connected").leave().await;
                continue;
            }
            let Some(card) = card else { continue };
            if let Some(other) = handed_this_round.insert(card, person.pid) {
                panic!("round {round}: {card} is in the hands of both {other} and {}", person.pid);
            }
            let score = rng.random_range(1..=5u8);
            let ack = client
                .request(ClientMsg::Scoring(ScoringMsg::CardScore {
                    round,
                    card,
                    score: Score::new(score).expect("1..=5"),
                }))
                .await;
            assert!(ack.is_ok(), "score refused: {ack:?}");
            let mut kept = score;
            if rng.random_range(0..4) == 0 {
                kept = rng.random_range(1..=5u8);
                let ack = client
                    .request(ClientMsg::Scoring(ScoringMsg::CardScore {
                        round,
                        card,
                        score: Score::new(kept).expect("1..=5"),
                    }))
                    .await;
                assert!(ack.is_ok(), "changed score refused: {ack:?}");
            }
            acked.entry(card).or_default().push((round, person.pid, kept));
        }
        if round == 2 {
            // The next hand-out must see the leaver gone.
            wait_for_connected(&mut facilitator, PARTICIPANTS as u32 - 1).await;
        }
    }

    // A late score for a closed round is refused.
    next_phase(&mut facilitator).await;
    let scorer = people
        .iter_mut()
        .find(|p| p.client.is_some() && p.hands.iter().any(|h| h.1.is_some()))
        .expect("someone");
    let (round, card) = scorer.hands.iter().rev().find_map(|&(r, c)| Some((r, c?))).expect("a hand");
    let late = scorer
        .client
        .as_mut()
        .expect("connected")
        .request(ClientMsg::Scoring(ScoringMsg::CardScore {
            round,
            card,
            score: Score::new(1).expect("score"),
        }))
        .await;
    assert_eq!(late.map_err(|(code, _)| code).err(), Some(ErrorCode::WrongPhase));

    // Rules 1 and 2 on what each participant was handed.
    for person in &people {
        let cards: Vec<CardId> = person.hands.iter().filter_map(|&(_, card)| card).collect();
        let distinct: HashSet<&CardId> = cards.iter().collect();
        assert_eq!(distinct.len(), cards.len(), "{} was handed a card twice: {cards:?}", person.pid);
        assert!(
            person.card.is_none_or(|own| !cards.contains(&own)),
            "{} was handed their own card",
            person.pid
        );
    }
    // Rule 6: the non-writer and the late joiner scored too.
    let held = |person: &Person| person.hands.iter().filter(|(_, card)| card.is_some()).count();
    assert!(held(&people[NON_WRITER]) >= 3, "the non-writer held {} cards", held(&people[NON_WRITER]));
    let late_joiner = people.last().expect("late joiner");
    assert!(held(late_joiner) >= 1, "the late joiner held no card in rounds 4 and 5");
    // Rule 4 as far as membership was steady: every card was scored in round 1.
    assert!(acked.values().all(|scores| scores.iter().any(|&(round, _, _)| round == 1)));

    // At a round's start a participant's hand stands for the activity; facilitators get it.
    let round_activity = |msg: &ServerMsg| -> Option<u32> {
        match msg {
            ServerMsg::Activity(a) if a.phase == Phase::Round => a.round,
            _ => None,
        }
    };
    for person in &people {
        if let Some(client) = &person.client {
            let rounds: Vec<u32> = client.log.iter().filter_map(round_activity).collect();
            assert_eq!(
                rounds,
                Vec::<u32>::new(),
                "{} got a round's activity as well as its hand",
                person.pid
            );
        }
    }

    // The final leaderboard is exactly the sum of the acknowledged scores.
    facilitator
        .until(|msg| matches!(msg, ServerMsg::Activity(a) if a.phase == Phase::Results).then_some(()))
        .await;
    let rounds: Vec<u32> = facilitator.log.iter().filter_map(round_activity).collect();
    assert_eq!(rounds, (1..=ROUNDS).collect::<Vec<_>>(), "the facilitator sees every round start");
    let leaderboard: Leaderboard = facilitator
        .until(|msg| match msg {
            ServerMsg::Leaderboard(board) => Some(board.clone()),
            _ => None,
        })
        .await;
    assert_eq!(leaderboard.entries.len(), PARTICIPANTS - 1, "every card is on the leaderboard");
    for entry in &leaderboard.entries {
        let scores = acked.get(&entry.card).map_or(&[][..], Vec::as_slice);
        let total: u32 = scores.iter().map(|&(_, _, score)| u32::from(score)).sum();
        assert_eq!((entry.total, entry.count), (total, scores.len() as u32), "{}", entry.card);
        assert!(entry.count <= ROUNDS);
    }

    // Each participant learns how their own card did; the one without a card gets null.
    for person in people.iter_mut() {
        let Some(client) = person.client.as_mut() else {
            continue;
        };
        let yours = client
            .until(|msg| match msg {
                ServerMsg::Results { yours } => Some(*yours),
                _ => None,
            })
            .await;
        match person.card {
            None => assert_eq!(yours, None),
            Some(card) => {
                let entry = leaderboard.entries.iter().find(|e| e.card == card).expect("on the board");
                let yours = yours.expect("a writer gets results");
                assert_eq!((yours.total, yours.count, yours.rank), (entry.total, entry.count, entry.rank));
            }
        }
    }

    // The screen sees the top three once the facilitator reveals them, and nothing before.
    assert!(
        facilitator.request(ClientMsg::Scoring(ScoringMsg::Reveal { count: 3, shown: None })).await.is_ok()
    );
    let reveal = screen
        .until(|msg| match msg {
            ServerMsg::Reveal(reveal) if reveal.count > 0 => Some(reveal.clone()),
            _ => None,
        })
        .await;
    assert_eq!(reveal.count, 3);
    assert_eq!(reveal.entries, leaderboard.entries[..3].to_vec());
    // Rule 8: no score reached a screen or a participant before results.
    assert!(
        screen.log.iter().all(|msg| !matches!(msg, ServerMsg::Leaderboard(_))),
        "a screen saw the leaderboard"
    );
    let results_at = screen
        .log
        .iter()
        .position(|msg| matches!(msg, ServerMsg::Activity(a) if a.phase == Phase::Results))
        .expect("the screen saw results");
    assert!(
        screen.log[..results_at]
            .iter()
            .all(|msg| !matches!(msg, ServerMsg::Reveal(r) if !r.entries.is_empty()))
    );
    for person in &people {
        let Some(client) = &person.client else { continue };
        for msg in &client.log {
            assert!(
                !matches!(msg, ServerMsg::Leaderboard(_) | ServerMsg::Progress(_)),
                "{} saw {msg:?}",
                person.pid
            );
        }
    }
    let progress = facilitator
        .log
        .iter()
        .rev()
        .find_map(|msg| match msg {
            ServerMsg::Progress(progress) => Some(progress.clone()),
            _ => None,
        })
        .expect("the facilitator saw progress");
    assert_eq!((progress.participants, progress.cards), (PARTICIPANTS as u32 + 1, PARTICIPANTS as u32 - 1));
    server.shut_down().await;
}

/// A participant who reloads mid-round comes back as themselves, with the same hand and the
/// score already given, and can still change it; the older connection is closed with 4002.
#[tokio::test]
async fn resuming_mid_round_keeps_the_hand_and_score() {
    let server = TestServer::start().await;
    let created = server.scoring_session(3).await;
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(server.join(created.code, Role::Participant, Some(&format!("P{i}")), None).await);
    }
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    next_phase(&mut facilitator).await;
    for (client, _) in &mut people {
        assert!(
            client.request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: "card".into() })).await.is_ok()
        );
    }
    next_phase(&mut facilitator).await;
    let (client, welcome) = &mut people[0];
    let hand = client
        .until(|msg| match msg {
            ServerMsg::Hand(hand) => Some(hand.clone()),
            _ => None,
        })
        .await;
    let card = hand.card.expect("four writers: everyone holds a card").id;
    let four = Score::new(4).expect("score");
    assert!(
        client
            .request(ClientMsg::Scoring(ScoringMsg::CardScore { round: 1, card, score: four }))
            .await
            .is_ok()
    );

    let (mut again, resumed) = server.resume(created.code, welcome).await;
    assert_eq!(resumed.you.pid, welcome.you.pid);
    assert_eq!(resumed.you.name.as_deref(), Some("P0"));
    let view_hand = resumed.view.hand.expect("a round is open");
    assert_eq!((view_hand.round, view_hand.card.map(|c| c.id), view_hand.score), (1, Some(card), Some(four)));
    assert!(resumed.view.mine.is_some(), "the own card comes back");
    assert_eq!(client.closed_with().await, 4002, "the older connection is replaced");
    let two = Score::new(2).expect("score");
    assert!(
        again.request(ClientMsg::Scoring(ScoringMsg::CardScore { round: 1, card, score: two })).await.is_ok()
    );
    next_phase(&mut facilitator).await;
    let board = facilitator
        .until(|msg| match msg {
            ServerMsg::Leaderboard(board) if board.entries.iter().any(|e| e.card == card && e.count == 1) => {
                Some(board.clone())
            }
            _ => None,
        })
        .await;
    let entry = board.entries.iter().find(|e| e.card == card).expect("entry");
    assert_eq!((entry.total, entry.count), (2, 1), "the changed score replaced the first");

    let mut stranger = server.connect().await;
    let refused = stranger
        .join(lapp_protocol::Join {
            resume: Some("0".repeat(32)),
            ..lapp_protocol::Join::new(created.code, Role::Participant)
        })
        .await;
    assert_eq!(refused.map_err(|(code, _)| code).err(), Some(ErrorCode::BadResume));
    stranger.assert_open().await;
    server.shut_down().await;
}
