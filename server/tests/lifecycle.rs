//! A connection's and a session's life around the requests: the join deadline, timers,
//! moderation, and shutting down.

mod support;

use std::time::Duration;

use lapp_protocol::ScoringMsg;
use lapp_protocol::{ClientMsg, Phase, Role, ServerMsg};
use lapp_server::Limits;
use support::TestServer;

#[tokio::test]
async fn a_connection_that_never_joins_is_closed_with_4001() {
    let limits = Limits { join_timeout: Duration::from_millis(300), ..Limits::default() };
    let server = TestServer::start_with(limits).await;
    let mut idle = server.connect().await;
    // Frames other than join do not extend the deadline.
    idle.assert_open().await;
    assert_eq!(idle.closed_with().await, 4001);
    let created = server.scoring_session(5).await;
    let (mut joined, _) = server.join(created.code, Role::Screen, None, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    joined.assert_open().await;
}

#[tokio::test]
async fn shutting_down_closes_every_client_with_1001() {
    let server = TestServer::start().await;
    let created = server.scoring_session(5).await;
    let (mut participant, _) = server.join(created.code, Role::Participant, None, None).await;
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let mut unjoined = server.connect().await;
    let addr = server.addr;
    server.shut_down().await;
    assert_eq!(participant.closed_with().await, 1001);
    assert_eq!(facilitator.closed_with().await, 1001);
    assert_eq!(unjoined.closed_with().await, 1001);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn a_timer_with_advance_moves_the_activity_on_at_zero() {
    let server = TestServer::start().await;
    let created = server.scoring_session(5).await;
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let (mut participant, _) = server.join(created.code, Role::Participant, None, None).await;
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::TimerSet { seconds: 1, advance: true }).await.is_ok());
    let counting = participant
        .until(|msg| match msg {
            ServerMsg::Activity(activity) if activity.deadline.is_some() => Some(activity.clone()),
            _ => None,
        })
        .await;
    let (deadline, now) = (counting.deadline.expect("deadline"), counting.now.expect("now"));
    assert_eq!(counting.phase, Phase::Lobby);
    assert!((900..=1000).contains(&(deadline - now)), "one second to go: {}", deadline - now);
    let moved = participant
        .until(|msg| match msg {
            ServerMsg::Activity(activity) if activity.phase != Phase::Lobby => Some(activity.clone()),
            _ => None,
        })
        .await;
    assert_eq!((moved.phase, moved.deadline), (Phase::Writing, None), "moved on, and the countdown is gone");

    // A timer without advance only counts down; zero seconds clears it.
    assert!(facilitator.request(ClientMsg::TimerSet { seconds: 60, advance: false }).await.is_ok());
    assert!(facilitator.request(ClientMsg::TimerSet { seconds: 0, advance: false }).await.is_ok());
    let cleared = participant
        .until(|msg| match msg {
            ServerMsg::Activity(activity) if activity.deadline.is_none() => Some(activity.clone()),
            _ => None,
        })
        .await;
    assert_eq!(cleared.phase, Phase::Writing);
}

#[tokio::test]
async fn a_hidden_card_leaves_the_hand_and_the_leaderboard() {
    let server = TestServer::start().await;
    let created = server.scoring_session(2).await;
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let mut people = Vec::new();
    for _ in 0..3 {
        people.push(server.join(created.code, Role::Participant, None, None).await.0);
    }
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
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
    let hand = people[0]
        .until(|msg| match msg {
            ServerMsg::Hand(hand) => Some(hand.clone()),
            _ => None,
        })
        .await;
    let card = hand.card.expect("three writers: a card in every hand").id;
    assert!(
        facilitator.request(ClientMsg::Scoring(ScoringMsg::CardHide { card, hidden: true })).await.is_ok()
    );
    let emptied = people[0]
        .until(|msg| match msg {
            ServerMsg::Hand(hand) => Some(hand.clone()),
            _ => None,
        })
        .await;
    assert_eq!((emptied.round, emptied.card), (1, None));
    let board = facilitator
        .until(|msg| match msg {
            ServerMsg::Leaderboard(board) if !board.hidden.is_empty() => Some(board.clone()),
            _ => None,
        })
        .await;
    assert!(board.entries.iter().all(|entry| entry.card != card));
    assert_eq!(board.hidden.iter().map(|c| c.id).collect::<Vec<_>>(), vec![card]);
    assert!(
        facilitator.request(ClientMsg::Scoring(ScoringMsg::CardHide { card, hidden: false })).await.is_ok()
    );
    let board = facilitator
        .until(|msg| match msg {
            ServerMsg::Leaderboard(board) if board.hidden.is_empty() => Some(board.clone()),
            _ => None,
        })
        .await;
    assert!(board.entries.iter().any(|entry| entry.card == card), "shown again");
}

#[tokio::test]
async fn health_answers() {
    let server = TestServer::start().await;
    let body = reqwest::get(server.url("/healthz")).await.expect("GET /healthz").text().await.expect("body");
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn a_phone_back_after_the_hand_out_gets_a_free_card() {
    let server = TestServer::start().await;
    let created = server.scoring_session(3).await;
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let mut people = Vec::new();
    for _ in 0..4 {
        people.push(server.join(created.code, Role::Participant, None, None).await);
    }
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    let mut own = Vec::new();
    for (client, _) in &mut people {
        let ack = client.request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: "card".into() })).await;
        let Ok(ServerMsg::Ack { card: Some(card), .. }) = ack else { panic!("{ack:?}") };
        own.push(card);
    }
    // One phone drops before the round is handed out.
    let (dropped, welcome) = people.pop().expect("four people");
    dropped.leave().await;
    facilitator.until(|msg| matches!(msg, ServerMsg::Progress(p) if p.connected == 3).then_some(())).await;
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());

    let (mut back, resumed) = server.resume(created.code, &welcome).await;
    let hand = resumed.view.hand.expect("round 1 is open");
    let card = hand.card.expect("the card nobody was handed goes to the phone that came back").id;
    assert_ne!(card, own[3], "never their own card");
    let mut held = Vec::new();
    for (client, _) in &mut people {
        let hand = client
            .until(|msg| match msg {
                ServerMsg::Hand(hand) => Some(hand.card.clone()),
                _ => None,
            })
            .await;
        held.extend(hand.map(|card| card.id));
    }
    assert!(!held.contains(&card), "a card is in one hand only");
    let score = lapp_protocol::Score::new(5).expect("score");
    assert!(back.request(ClientMsg::Scoring(ScoringMsg::CardScore { round: 1, card, score })).await.is_ok());
}

/// When the store cannot take a change, nobody is told it happened: the request gets
/// `internal` with its `rid`, clients are closed with 1011, and on resuming they see what the
/// store holds.
#[tokio::test]
async fn a_failed_commit_acknowledges_nothing_and_clients_resume_to_the_stored_state() {
    let store = std::sync::Arc::new(support::FlakyStore::default());
    let server = TestServer::start_with_store(Limits::default(), store.clone()).await;
    let created = server.scoring_session(3).await;
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let (mut writer, welcome) = server.join(created.code, Role::Participant, None, None).await;
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());

    store.failing.store(true, std::sync::atomic::Ordering::SeqCst);
    let refused = writer.request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: "lost".into() })).await;
    assert_eq!(refused.map_err(|(code, _)| code).err(), Some(lapp_protocol::ErrorCode::Internal));
    assert_eq!(writer.closed_with().await, 1011);
    assert_eq!(facilitator.closed_with().await, 1011);
    store.failing.store(false, std::sync::atomic::Ordering::SeqCst);

    let (mut back, resumed) = server.resume(created.code, &welcome).await;
    assert_eq!(resumed.view.mine, None, "the card that was not stored is not there");
    assert_eq!(resumed.view.activity.map(|a| a.phase), Some(Phase::Writing));
    let ack = back.request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: "kept".into() })).await;
    assert!(matches!(ack, Ok(ServerMsg::Ack { card: Some(_), .. })), "{ack:?}");
}

/// After a restart nobody is connected yet, so a countdown set to move on by itself only
/// counts down: no round is handed out to an empty hall.
#[tokio::test]
async fn a_restart_does_not_let_a_timer_advance_into_an_empty_hall() {
    let store: std::sync::Arc<dyn lapp_server::store::Store> =
        std::sync::Arc::new(lapp_server::store::MemoryStore::default());
    let server = TestServer::start_with_store(Limits::default(), store.clone()).await;
    let created = server.scoring_session(3).await;
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::TimerSet { seconds: 1, advance: true }).await.is_ok());
    server.shut_down().await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    let server = TestServer::start_with_store(Limits::default(), store).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, welcome) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let activity = welcome.view.activity.expect("restored");
    assert_eq!(activity.phase, Phase::Lobby, "nothing moved on while nobody was there");
}

/// A client that only listens (a screen) answers the server's pings and stays; one that
/// answers nothing at all is taken for gone.
#[tokio::test]
async fn silent_clients_are_pinged_and_dead_ones_closed() {
    let limits = Limits {
        ping_interval: Duration::from_millis(200),
        silence_timeout: Duration::from_millis(1_500),
        messages_per_second: 1_000,
        coalesce: Duration::from_millis(50),
        ..Limits::default()
    };
    let server = TestServer::start_with(limits).await;
    let created = server.scoring_session(5).await;
    let (mut screen, _) = server.join(created.code, Role::Screen, None, None).await;
    let (mut dead, _) = server.join(created.code, Role::Screen, None, None).await;
    // A busy session: a new countdown every 50 ms goes to everyone, so the screen is never
    // without frames; it must still be pinged.
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    let busy = tokio::spawn(async move {
        for seconds in 0..70 {
            assert!(
                facilitator
                    .request(ClientMsg::TimerSet { seconds: 60 + seconds, advance: false })
                    .await
                    .is_ok()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    // Reading is what answers pings; the screen reads for over twice the silence allowed,
    // the dead one never.
    screen.drain_for(Duration::from_millis(3_500)).await;
    busy.await.expect("facilitator");
    assert_eq!(screen.closed, None, "a listening screen stays");
    screen.assert_open().await;
    // Closed with 1001; the close frame may be lost to the reset of a socket with unread data.
    let code = dead.closed_with().await;
    assert!(code == 1001 || code == 1006, "a client that answers nothing is closed, not {code}");
}
