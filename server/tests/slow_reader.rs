//! One phone that stops reading must not hold up the hall: its bounded queue fills, it is
//! closed with 4004, and every other participant gets their hand as usual.

mod support;

use lapp_protocol::ScoringMsg;
use lapp_protocol::{ClientMsg, Join, Role, ServerMsg};
use lapp_server::Limits;
use support::{Client, TestServer};

const PARTICIPANTS: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_client_is_closed_and_the_others_are_served() {
    let limits = Limits {
        outbox_frames: 16,
        messages_per_second: 100_000,
        message_burst: 100_000,
        ..Limits::default()
    };
    let server = TestServer::start_with(limits).await;
    let created = server.scoring_session(1).await;
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());

    // The others read everything, all the time, in their own tasks.
    let mut readers = Vec::new();
    for i in 0..PARTICIPANTS - 1 {
        let (mut client, welcome) = server.join(code, Role::Participant, None, None).await;
        assert!(
            client
                .request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: format!("card {i}") }))
                .await
                .is_ok()
        );
        let pid = welcome.you.pid.expect("pid");
        readers.push(tokio::spawn(async move {
            let hand = client
                .until(|msg| match msg {
                    ServerMsg::Hand(hand) if hand.round == 1 => Some(hand.clone()),
                    _ => None,
                })
                .await;
            // Every countdown was sent before the round: all of them came before the hand.
            let countdowns = client
                .log
                .iter()
                .filter(|m| matches!(m, ServerMsg::Activity(a) if a.deadline.is_some()))
                .count();
            (pid, hand, countdowns)
        }));
    }
    let mut frozen = Client::connect_with_small_buffer(server.addr).await;
    let join = Join::new(code, Role::Participant);
    frozen.send(&lapp_protocol::ClientFrame::new(None, ClientMsg::Join(join))).await;
    facilitator
        .until(|msg| {
            matches!(msg, ServerMsg::Progress(p) if p.connected == PARTICIPANTS as u32).then_some(())
        })
        .await;

    // Every countdown change goes to everyone; the frozen client reads none of them.
    let mut closed = false;
    let mut countdowns_sent = 0;
    for seconds in 1..=20_000u32 {
        assert!(
            facilitator
                .request(ClientMsg::TimerSet { seconds: 60 + seconds % 600, advance: false })
                .await
                .is_ok()
        );
        countdowns_sent += 1;
        let connected = facilitator.log.iter().rev().find_map(|msg| match msg {
            ServerMsg::Progress(progress) => Some(progress.connected),
            _ => None,
        });
        if connected == Some(PARTICIPANTS as u32 - 1) {
            closed = true;
            break;
        }
    }
    assert!(closed, "the frozen client was never closed");

    // The round goes out to everyone else, in order.
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    let mut handed = std::collections::HashSet::new();
    for reader in readers {
        let (pid, hand, countdowns) = reader.await.expect("reader");
        let card = hand.card.unwrap_or_else(|| panic!("{pid} got no card"));
        assert!(handed.insert(card.id), "{} handed twice", card.id);
        assert_eq!(countdowns, countdowns_sent, "{pid} got its hand before every countdown");
    }
    assert_eq!(handed.len(), PARTICIPANTS - 1);
    // The server closed it for being too slow (4004). Whether that close frame reaches a client
    // that reads nothing depends on what its socket buffers can still take: after a grace of
    // 1 s the server drops the connection without it, and the client sees 1006 (docs/protocol.md).
    let metrics =
        reqwest::get(server.url("/metrics")).await.expect("GET /metrics").text().await.expect("body");
    assert!(
        metrics.lines().any(|line| line == "lapp_closed_too_slow_total 1"),
        "one connection closed as too slow:\n{metrics}"
    );
    let code = frozen.closed_with().await;
    assert!(code == 4004 || code == 1006, "the frozen client ended with {code}");
}
