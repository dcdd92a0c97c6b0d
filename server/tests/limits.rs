//! Every limit against abuse, each over real sockets: messages per connection, connections,
//! sessions and failed joins per address, participants per session, frame sizes.

mod support;

use std::time::Duration;

use lapp_protocol::{ClientFrame, ClientMsg, ErrorCode, Join, Role, ServerMsg};
use lapp_server::Limits;
use support::{Client, TestServer};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

/// Per-address limits also on loopback, where every test client comes from.
fn strict(limits: Limits) -> Limits {
    Limits { limit_loopback: true, ..limits }
}

fn ping(rid: u64) -> String {
    ClientFrame::new(Some(rid), ClientMsg::Ping {}).encode()
}

#[tokio::test]
async fn a_connection_sending_too_fast_is_refused_then_closed() {
    let limits =
        Limits { messages_per_second: 1, message_burst: 5, max_refused_in_a_row: 10, ..Limits::default() };
    let server = TestServer::start_with(limits).await;
    let mut flood = server.connect().await;
    for rid in 1..=8 {
        flood.send_text(&ping(rid)).await;
    }
    let mut pongs = 0;
    let mut limited = Vec::new();
    while pongs + limited.len() < 8 {
        match flood.next().await {
            ServerMsg::Pong {} => pongs += 1,
            ServerMsg::Error { rid, code: ErrorCode::RateLimited, .. } => limited.push(rid),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(pongs, 5, "the burst goes through");
    assert_eq!(limited, vec![Some(6), Some(7), Some(8)], "the rest is refused, each with its rid");
    for rid in 9..=30 {
        flood.send_text(&ping(rid)).await;
    }
    assert_eq!(flood.closed_with().await, 1008, "a client that keeps going is closed");
}

#[tokio::test]
async fn an_address_may_hold_only_so_many_connections() {
    let server =
        TestServer::start_with(strict(Limits { connections_per_address: 3, ..Limits::default() })).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(server.connect().await);
    }
    let refused = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr)).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("a fourth connection was accepted");
    };
    assert_eq!(response.status().as_u16(), 429);
    held.pop().expect("one").leave().await;
    // The slot comes back once the server has seen the connection end.
    let mut accepted = false;
    for _ in 0..50 {
        if tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr)).await.is_ok() {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(accepted, "a closed connection frees its place");
}

#[tokio::test]
async fn an_address_may_create_only_so_many_sessions_an_hour() {
    let server =
        TestServer::start_with(strict(Limits { sessions_per_address_per_hour: 2, ..Limits::default() }))
            .await;
    server.scoring_session(5).await;
    server.scoring_session(5).await;
    let body = r#"{"title":"x","agenda":[{"kind":"scoring","prompt":"q"}]}"#;
    let (status, answer) = server.post_session(body).await;
    assert_eq!((status, answer["code"].as_str()), (429, Some("rate_limited")), "{answer}");
}

#[tokio::test]
async fn guessing_codes_is_cut_short() {
    let server = TestServer::start_with(strict(Limits {
        failed_joins_per_address_per_minute: 3,
        ..Limits::default()
    }))
    .await;
    let created = server.scoring_session(5).await;
    let wrong = if created.code.as_str() == "000000" { "000001" } else { "000000" };
    let mut guesser = server.connect().await;
    let join = |code: &str| format!(r#"{{"type":"join","v":1,"code":"{code}","role":"participant"}}"#);
    for _ in 0..3 {
        guesser.send_text(&join(wrong)).await;
        let code = guesser
            .until(|msg| if let ServerMsg::Error { code, .. } = msg { Some(*code) } else { None })
            .await;
        assert_eq!(code, ErrorCode::UnknownSession);
    }
    // Even the right code is refused for the rest of the minute.
    guesser.send_text(&join(created.code.as_str())).await;
    let code =
        guesser.until(|msg| if let ServerMsg::Error { code, .. } = msg { Some(*code) } else { None }).await;
    assert_eq!(code, ErrorCode::RateLimited);
    guesser.assert_open().await;
}

#[tokio::test]
async fn a_full_session_says_so() {
    let server = TestServer::start_with(Limits { max_participants: 2, ..Limits::default() }).await;
    let created = server.scoring_session(5).await;
    server.join(created.code, Role::Participant, None, None).await;
    server.join(created.code, Role::Participant, None, None).await;
    let mut third = server.connect().await;
    let refused = third.join(Join::new(created.code, Role::Participant)).await;
    assert_eq!(refused.map_err(|(code, _)| code).err(), Some(ErrorCode::SessionFull));
    third.assert_open().await;
    // Screens and facilitators are not participants and still get in.
    server.join(created.code, Role::Screen, None, None).await;
}

#[tokio::test]
async fn frames_over_the_limit_are_refused_and_far_over_it_closed() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    let big = format!(r#"{{"type":"card.write","rid":1,"text":"{}"}}"#, "x".repeat(20_000));
    client.send_text(&big).await;
    let code =
        client.until(|msg| if let ServerMsg::Error { code, .. } = msg { Some(*code) } else { None }).await;
    assert_eq!(code, ErrorCode::TooLarge);
    client.assert_open().await;
    let huge = format!(r#"{{"type":"card.write","rid":2,"text":"{}"}}"#, "x".repeat(1_000_000));
    client.send_text(&huge).await;
    assert_eq!(client.closed_with().await, 1009);
}

#[tokio::test]
async fn text_that_is_not_utf8_closes_with_1007() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    let header = FrameHeader { opcode: OpCode::Data(Data::Text), ..FrameHeader::default() };
    client.send_raw(Message::Frame(Frame::from_payload(header, vec![0xff, 0xfe, b'{', b'}'].into()))).await;
    assert_eq!(client.closed_with().await, 1007);
    // The server goes on.
    let mut other: Client = server.connect().await;
    other.assert_open().await;
}

/// New participants of one session go in a few a second, queued rather than refused; those
/// still queued when the facilitator locks the session are refused, and resuming never waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newcomers_are_queued_so_a_flood_cannot_outrun_the_lock() {
    let server = TestServer::start_with(Limits { joins_per_second: 2, ..Limits::default() }).await;
    let created = server.scoring_session(2).await;
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;

    // A hall of 6 at once: queued, not refused; all in.
    let mut first = Vec::new();
    for i in 0..6 {
        let mut client = server.connect().await;
        let join = Join { name: Some(format!("P{i}")), ..Join::new(code, Role::Participant) };
        client.send(&ClientFrame::new(None, ClientMsg::Join(join))).await;
        first.push(client);
    }
    let mut welcomes = Vec::new();
    for client in &mut first {
        let welcome = client
            .until(|msg| match msg {
                ServerMsg::Welcome(welcome) => Some((**welcome).clone()),
                ServerMsg::Error { code, .. } => panic!("a newcomer was refused: {code:?}"),
                _ => None,
            })
            .await;
        welcomes.push(welcome);
    }

    // A flood of 20, then the lock: only the burst's worth can be in before it.
    let mut flood = Vec::new();
    for i in 0..20 {
        let mut client = server.connect().await;
        let join = Join { name: Some(format!("Bot{i}")), ..Join::new(code, Role::Participant) };
        client.send(&ClientFrame::new(None, ClientMsg::Join(join))).await;
        flood.push(client);
    }
    assert!(facilitator.request(ClientMsg::SessionLock { locked: true }).await.is_ok());
    // Resuming does not queue behind the flood.
    let (_, back) = server.resume(code, &welcomes[0]).await;
    assert_eq!(back.you.pid, welcomes[0].you.pid);
    let mut admitted = 0;
    for client in &mut flood {
        let answer = client
            .until(|msg| match msg {
                ServerMsg::Welcome(_) => Some(Ok(())),
                ServerMsg::Error { code, .. } => Some(Err(*code)),
                _ => None,
            })
            .await;
        match answer {
            Ok(()) => admitted += 1,
            Err(code) => assert_eq!(code, ErrorCode::Locked),
        }
    }
    assert!(admitted <= 5, "{admitted} of the flood got in before the lock");
}
