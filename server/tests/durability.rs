//! Nothing acknowledged is lost: the real `lapp` binary is killed with SIGKILL while scores
//! arrive, restarted on the same data folder, and every client comes back with its resume
//! token. Deleting a session erases it for good.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapp_protocol::ScoringMsg;
use lapp_protocol::{
    CardId, ClientMsg, ErrorCode, Join, JoinCode, Phase, Pid, Role, Score, ServerMsg, SessionCreated,
    SessionExport, Welcome,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use support::{Client, LappProcess};

const PARTICIPANTS: usize = 40;
const ROUNDS: u32 = 5;

async fn create_session(lapp: &LappProcess) -> SessionCreated {
    let body =
        json!({"title": "Crash day", "agenda": [{"kind": "scoring", "prompt": "Q", "rounds": ROUNDS}]});
    let response =
        reqwest::Client::new().post(lapp.url("/api/sessions")).json(&body).send().await.expect("POST");
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.expect("SessionCreated")
}

async fn export(lapp: &LappProcess, code: JoinCode, key: &str) -> (u16, Option<SessionExport>) {
    let response = reqwest::Client::new()
        .get(lapp.url(&format!("/api/sessions/{code}/export?format=json")))
        .bearer_auth(key)
        .send()
        .await
        .expect("GET export");
    let status = response.status().as_u16();
    (status, if status == 200 { Some(response.json().await.expect("export JSON")) } else { None })
}

async fn join(
    addr: std::net::SocketAddr,
    code: JoinCode,
    role: Role,
    resume: Option<String>,
    key: Option<&str>,
) -> (Client, Welcome) {
    let mut client = Client::connect(addr).await;
    let welcome = client
        .join(Join { resume, key: key.map(str::to_owned), ..Join::new(code, role) })
        .await
        .expect("join");
    (client, welcome)
}

async fn hand_of(client: &mut Client, round: u32) -> Option<CardId> {
    client
        .until(|msg| match msg {
            ServerMsg::Hand(hand) if hand.round == round => Some(hand.card.as_ref().map(|card| card.id)),
            _ => None,
        })
        .await
}

/// Every score the server acknowledged: (round, pid) → (card, score).
type Acked = HashMap<(u32, Pid), (CardId, u8)>;

/// The real binary on a data folder of its own, with a 25/10 open for writing and its
/// facilitator connected.
async fn writing_session() -> (tempfile::TempDir, LappProcess, SessionCreated, Client) {
    let data = tempfile::tempdir().expect("temp dir");
    let lapp = LappProcess::start(data.path(), LappProcess::free_addr()).await;
    let created = create_session(&lapp).await;
    let (mut facilitator, _) =
        join(lapp.addr, created.code, Role::Facilitator, None, Some(&created.key)).await;
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    (data, lapp, created, facilitator)
}

/// One participant as the test remembers them across the crash.
struct Person {
    pid: Pid,
    resume: String,
    card: CardId,
    text: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_loses_no_acknowledged_card_or_score() {
    let (data, mut lapp, created, mut facilitator) = writing_session().await;
    let (addr, code) = (lapp.addr, created.code);

    let mut people = Vec::new();
    let mut clients = Vec::new();
    for i in 0..PARTICIPANTS {
        let (mut client, welcome) = join(addr, code, Role::Participant, None, None).await;
        let text = format!("Challenge {i}");
        let ack = client.request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: text.clone() })).await;
        let Ok(ServerMsg::Ack { card: Some(card), .. }) = ack else { panic!("{ack:?}") };
        people.push(Person {
            pid: welcome.you.pid.expect("pid"),
            resume: welcome.resume.expect("token"),
            card,
            text,
        });
        clients.push(client);
    }

    let acked: Arc<Mutex<Acked>> = Arc::default();
    let mut rng = StdRng::seed_from_u64(99);
    for round in 1..=2 {
        assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
        for (client, person) in clients.iter_mut().zip(&people) {
            let card = hand_of(client, round).await.expect("40 writers: everyone holds a card");
            let score = rng.random_range(1..=5u8);
            let ack = client
                .request(ClientMsg::Scoring(ScoringMsg::CardScore {
                    round,
                    card,
                    score: Score::new(score).expect("score"),
                }))
                .await;
            assert!(ack.is_ok(), "{ack:?}");
            acked.lock().expect("lock").insert((round, person.pid), (card, score));
        }
    }

    // Round 3: everyone scores at once, and the server is killed while the scores arrive.
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    let mut hands_before = HashMap::new();
    let mut scorers = Vec::new();
    for (mut client, person) in clients.into_iter().zip(&people) {
        let card = hand_of(&mut client, 3).await.expect("a card");
        hands_before.insert(person.pid, card);
        let (pid, acked, delay, score) =
            (person.pid, Arc::clone(&acked), rng.random_range(0..60u64), rng.random_range(1..=5u8));
        scorers.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let msg = ClientMsg::Scoring(ScoringMsg::CardScore {
                round: 3,
                card,
                score: Score::new(score).expect("score"),
            });
            if let Some(Ok(_)) = client.try_request(msg).await {
                acked.lock().expect("lock").insert((3, pid), (card, score));
            }
        }));
    }
    while acked.lock().expect("lock").keys().filter(|(round, _)| *round == 3).count() < PARTICIPANTS / 3 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    lapp.kill();
    for scorer in scorers {
        scorer.await.expect("scorer task");
    }
    let acked_in_3 = acked.lock().expect("lock").keys().filter(|(round, _)| *round == 3).count();
    assert!(acked_in_3 >= PARTICIPANTS / 3, "the kill came while round 3 was being scored");

    // Restart on the same data; everyone comes back as themselves, holding the same card.
    let lapp = LappProcess::start(data.path(), addr).await;
    let (mut facilitator, welcome) = join(addr, code, Role::Facilitator, None, Some(&created.key)).await;
    let activity = welcome.view.activity.expect("the activity survived");
    assert_eq!((activity.phase, activity.round), (Phase::Round, Some(3)));
    let mut clients = Vec::new();
    for person in &people {
        let (mut client, welcome) =
            join(addr, code, Role::Participant, Some(person.resume.clone()), None).await;
        assert_eq!(welcome.you.pid, Some(person.pid));
        assert_eq!(welcome.view.mine.map(|card| card.id), Some(person.card), "{}'s own card", person.pid);
        let hand = welcome.view.hand.expect("round 3 is open");
        let held = hand.card.as_ref().map(|card| card.id);
        assert_eq!(held, Some(hands_before[&person.pid]), "{} holds the same card", person.pid);
        let before = acked.lock().expect("lock").get(&(3, person.pid)).map(|&(_, score)| score);
        if let Some(score) = before {
            assert_eq!(
                hand.score.map(Score::get),
                Some(score),
                "{}'s acknowledged score is back",
                person.pid
            );
        } else {
            // Not acknowledged before the crash: score it now.
            let card = held.expect("a card");
            let ack = client
                .request(ClientMsg::Scoring(ScoringMsg::CardScore {
                    round: 3,
                    card,
                    score: Score::new(2).expect("score"),
                }))
                .await;
            assert!(ack.is_ok(), "{ack:?}");
            acked.lock().expect("lock").insert((3, person.pid), (card, 2));
        }
        clients.push(client);
    }

    // The activity completes.
    for round in 4..=ROUNDS {
        assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
        for (client, person) in clients.iter_mut().zip(&people) {
            let Some(card) = hand_of(client, round).await else {
                continue;
            };
            let ack = client
                .request(ClientMsg::Scoring(ScoringMsg::CardScore {
                    round,
                    card,
                    score: Score::new(4).expect("score"),
                }))
                .await;
            assert!(ack.is_ok(), "{ack:?}");
            acked.lock().expect("lock").insert((round, person.pid), (card, 4));
        }
    }
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());

    // Every acknowledged card and score is in the export, each exactly once.
    let (status, export) = export(&lapp, code, &created.key).await;
    assert_eq!(status, 200);
    let export = export.expect("export");
    let cards = &export.activities[0].cards;
    for person in &people {
        let card = cards.iter().find(|card| card.id == person.card).expect("every acknowledged card");
        assert_eq!((card.author, &card.text), (person.pid, &person.text));
    }
    let mut seen = HashSet::new();
    let mut exported = HashMap::new();
    for card in cards {
        for score in &card.scores {
            assert!(
                seen.insert((score.round, score.pid)),
                "{} scored twice in round {}",
                score.pid,
                score.round
            );
            exported.insert((score.round, score.pid), (card.id, score.score.get()));
        }
        assert_eq!(card.count as usize, card.scores.len());
        assert_eq!(card.total, card.scores.iter().map(|s| u32::from(s.score.get())).sum::<u32>());
    }
    assert_eq!(exported, *acked.lock().expect("lock"), "the export holds exactly the acknowledged scores");
    assert!(export.participants.iter().all(|p| p.zone.is_none()));
    let csv = reqwest::Client::new()
        .get(lapp.url(&format!("/api/sessions/{code}/export?format=csv")))
        .bearer_auth(&created.key)
        .send()
        .await
        .expect("GET csv")
        .text()
        .await
        .expect("csv body");
    assert_eq!(csv.lines().count(), PARTICIPANTS + 1, "a header and one row per card");
    assert!(!csv.contains(&format!("P{}", 0)), "no names in the export");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_session_is_gone_for_good() {
    let data = tempfile::tempdir().expect("temp dir");
    let addr = LappProcess::free_addr();
    let mut lapp = LappProcess::start(data.path(), addr).await;
    let created = create_session(&lapp).await;
    let kept = create_session(&lapp).await;
    let code = created.code;
    let (mut participant, _) = join(addr, code, Role::Participant, None, None).await;

    let http = reqwest::Client::new();
    let url = lapp.url(&format!("/api/sessions/{code}"));
    let refused = http.delete(&url).send().await.expect("DELETE");
    assert_eq!(refused.status().as_u16(), 403, "no key, no deletion");
    let refused = http.delete(&url).bearer_auth(&kept.key).send().await.expect("DELETE");
    assert_eq!(refused.status().as_u16(), 403, "another session's key does not do");
    assert_eq!(export(&lapp, code, "wrong").await.0, 403);

    let deleted = http.delete(&url).bearer_auth(&created.key).send().await.expect("DELETE");
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(participant.closed_with().await, 4003);
    assert_eq!(export(&lapp, code, &created.key).await.0, 404);
    let mut late = Client::connect(addr).await;
    let refused = late.join(Join::new(code, Role::Participant)).await;
    assert_eq!(refused.map_err(|(code, _)| code).err(), Some(ErrorCode::UnknownSession));

    lapp.kill();
    let lapp = LappProcess::start(data.path(), addr).await;
    assert_eq!(export(&lapp, code, &created.key).await.0, 404, "a restart does not bring it back");
    assert_eq!(export(&lapp, kept.code, &kept.key).await.0, 200, "the other session is still there");
    let mut late = Client::connect(addr).await;
    let refused = late.join(Join::new(code, Role::Participant)).await;
    assert_eq!(refused.map_err(|(code, _)| code).err(), Some(ErrorCode::UnknownSession));
}

/// SIGTERM while scores arrive: clients are closed with 1001, the process exits cleanly, and
/// every acknowledged score is there after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_loses_nothing_acknowledged() {
    let (data, mut lapp, created, mut facilitator) = writing_session().await;
    let (addr, code) = (lapp.addr, created.code);
    let mut clients = Vec::new();
    for i in 0..12 {
        let (mut client, welcome) = join(addr, code, Role::Participant, None, None).await;
        assert!(
            client
                .request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: format!("card {i}") }))
                .await
                .is_ok()
        );
        clients.push((client, welcome.you.pid.expect("pid")));
    }
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let mut scorers = Vec::new();
    for (i, (mut client, pid)) in clients.into_iter().enumerate() {
        let card = hand_of(&mut client, 1).await.expect("a card");
        let acked = Arc::clone(&acked);
        scorers.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(i as u64 * 3)).await;
            let score = Score::new(1 + (i % 5) as u8).expect("score");
            if let Some(Ok(_)) =
                client.try_request(ClientMsg::Scoring(ScoringMsg::CardScore { round: 1, card, score })).await
            {
                acked.lock().expect("lock").insert((1, pid), (card, score.get()));
            }
            client.closed_with().await
        }));
    }
    while acked.lock().expect("lock").is_empty() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(lapp.terminate().await, "lapp exits cleanly on SIGTERM");
    for scorer in scorers {
        assert_eq!(scorer.await.expect("scorer"), 1001, "clients are told the server is going away");
    }

    let lapp = LappProcess::start(data.path(), addr).await;
    let (status, export) = export(&lapp, code, &created.key).await;
    assert_eq!(status, 200);
    let exported: Acked = export.expect("export").activities[0]
        .cards
        .iter()
        .flat_map(|card| card.scores.iter().map(move |s| ((s.round, s.pid), (card.id, s.score.get()))))
        .collect();
    for (key, value) in acked.lock().expect("lock").iter() {
        assert_eq!(exported.get(key), Some(value), "acknowledged score {key:?} survived");
    }
}
