//! Several nodes: the join code in the WebSocket address for a proxy to route on, each node
//! naming itself, and (over a real PostgreSQL) one node at a time serving a session, the next
//! taking it over when the first loses it, with nothing acknowledged lost.

mod support;

use std::sync::Arc;

use lapp_protocol::{ClientFrame, ClientMsg, ErrorCode, Join, Role, ScoringMsg, ServerMsg, Welcome};
use lapp_server::Config;
use lapp_server::store::MemoryStore;
use lapp_server::store::postgres::PostgresStore;
use support::postgres::TestPostgres;
use support::{Client, PATIENCE, TestServer};

async fn named_server(node: &str) -> TestServer {
    let config = Config { node: Some(node.to_owned()), ..Config::new(Arc::new(MemoryStore::default())) };
    TestServer::start_with_config(config).await
}

#[tokio::test]
async fn the_join_names_the_code_in_the_address_and_every_answer_names_the_node() {
    let server = named_server("n1").await;
    let created = server.scoring_session(2).await;
    let code = created.code;

    let health = reqwest::get(server.url("/healthz")).await.expect("healthz");
    assert_eq!(health.headers().get("x-lapp-node").map(|v| v.to_str().ok()), Some(Some("n1")));
    let page = reqwest::get(server.url(&format!("/j/{code}"))).await.expect("page");
    assert_eq!(page.headers().get("x-lapp-node").map(|v| v.to_str().ok()), Some(Some("n1")));

    // The address names another session than the join: refused, and the connection stays.
    let other = if code.as_str() == "000001" { "000002" } else { "000001" };
    let mut client = Client::connect_to(server.addr, &format!("/ws?code={other}")).await;
    let refused = client.join(Join { name: Some("Ada".into()), ..Join::new(code, Role::Participant) }).await;
    assert_eq!(refused.map(|_| ()).map_err(|(code, _)| code), Err(ErrorCode::UnknownSession));
    client.assert_open().await;

    // A code that is not one is refused before the upgrade.
    let bad = tokio_tungstenite::connect_async(format!("ws://{}/ws?code=12ab", server.addr)).await;
    match bad {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 400),
        other => panic!("expected 400, got {other:?}"),
    }

    // The same code in both: joined, and the upgrade names the node too.
    let (ws, response) = tokio_tungstenite::connect_async(format!("ws://{}/ws?code={code}", server.addr))
        .await
        .expect("upgrade");
    assert_eq!(response.headers().get("x-lapp-node").map(|v| v.to_str().ok()), Some(Some("n1")));
    drop(ws);
    let mut client = Client::connect_to(server.addr, &format!("/ws?code={code}")).await;
    let welcome = client.join(Join { name: Some("Ada".into()), ..Join::new(code, Role::Participant) }).await;
    assert!(welcome.is_ok(), "{welcome:?}");
}

/// Two nodes on one PostgreSQL database, each a whole server with its own name.
async fn two_nodes() -> (TestServer, Arc<PostgresStore>, TestServer, Arc<PostgresStore>) {
    let url = tokio::task::spawn_blocking(|| {
        let postgres = TestPostgres::shared();
        postgres.url(&postgres.fresh_database())
    })
    .await
    .expect("database");
    let mut nodes = Vec::new();
    for name in ["a", "b"] {
        let store = Arc::new(PostgresStore::connect(&url).await.expect("connect"));
        let config = Config { node: Some(name.to_owned()), ..Config::new(store.clone()) };
        nodes.push((TestServer::start_with_config(config).await, store));
    }
    let (b, b_store) = nodes.pop().expect("b");
    let (a, a_store) = nodes.pop().expect("a");
    (a, a_store, b, b_store)
}

/// Joins through `node` with the code in the address; a `welcome`, or the close code.
async fn join_at(node: &TestServer, join: Join) -> Result<(Client, Welcome), u16> {
    let mut client = Client::connect_to(node.addr, &format!("/ws?code={}", join.code)).await;
    client.send(&ClientFrame::new(None, ClientMsg::Join(join))).await;
    let welcome = client
        .until_or_closed(|msg| match msg {
            ServerMsg::Welcome(welcome) => Some((**welcome).clone()),
            ServerMsg::Error { code, message, .. } => panic!("join refused: {code:?} {message}"),
            _ => None,
        })
        .await;
    match welcome {
        Some(welcome) => Ok((client, welcome)),
        None => Err(client.closed.unwrap_or(1006)),
    }
}

/// Joins through `node`, trying again while it answers 4006 (its claim may lag a moment
/// behind the other node's loss).
async fn join_when_served(node: &TestServer, join: Join) -> (Client, Welcome) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match join_at(node, join.clone()).await {
            Ok(joined) => return joined,
            Err(4006) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(code) => panic!("closed with {code}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_at_a_time_serves_a_session_and_the_next_takes_it_over_losing_nothing_acknowledged() {
    let (a, _a_store, b, b_store) = two_nodes().await;
    // Created through A, which starts nothing: the node the proxy routes clients to serves it.
    let created = a.scoring_session(2).await;
    let (code, key) = (created.code, created.key.clone());
    let facilitator_join = Join { key: Some(key.clone()), ..Join::new(code, Role::Facilitator) };

    // B serves it first; A then refuses its clients (4006) and its HTTP (503, elsewhere).
    let (mut facilitator, _) = join_at(&b, facilitator_join.clone()).await.expect("B serves the session");
    let stray = join_at(&a, Join { name: Some("Stray".into()), ..Join::new(code, Role::Participant) }).await;
    assert_eq!(stray.err(), Some(4006));
    let elsewhere = reqwest::get(a.url(&format!("/api/sessions/{code}"))).await.expect("GET");
    assert_eq!(elsewhere.status().as_u16(), 503);
    assert_eq!(elsewhere.headers()["retry-after"], "1");
    assert_eq!(elsewhere.json::<serde_json::Value>().await.expect("JSON")["code"], "elsewhere");

    // What B acknowledges: two participants and their cards.
    let mut people = Vec::new();
    for name in ["Ada", "Bo"] {
        let join = Join { name: Some(name.into()), ..Join::new(code, Role::Participant) };
        people.push(join_at(&b, join).await.expect("joined at B"));
    }
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    let mut cards = Vec::new();
    for (i, (client, _)) in people.iter_mut().enumerate() {
        let written =
            client.request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: format!("Card {i}") })).await;
        let Ok(ServerMsg::Ack { card: Some(card), .. }) = written else { panic!("not acked: {written:?}") };
        cards.push(card);
    }

    // B's lock connection is cut: B stops at once and sends every client on (4006).
    let pid = b_store.lock_backend_pid().expect("B holds locks");
    tokio::task::spawn_blocking(move || {
        TestPostgres::shared()
            .query_i64("postgres", &format!("SELECT pg_terminate_backend({pid})::int::int8"))
    })
    .await
    .expect("terminate");
    assert_eq!(facilitator.closed_with().await, 4006);
    for (client, _) in &mut people {
        assert_eq!(client.closed_with().await, 4006);
    }

    // Everyone comes back through A as themselves, and A has everything B acknowledged.
    let (mut facilitator, _) = join_when_served(&a, facilitator_join).await;
    for ((_, welcome), card) in people.iter().zip(&cards) {
        let resume = Join { resume: welcome.resume.clone(), ..Join::new(code, Role::Participant) };
        let (_, resumed) = join_when_served(&a, resume).await;
        assert_eq!(resumed.you.pid, welcome.you.pid);
        assert_eq!(resumed.view.mine.as_ref().map(|mine| mine.id), Some(*card));
    }
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok(), "A writes the session");
    // B, with its lock connection back, does not take the session from A.
    let refused = join_at(&b, Join { name: Some("Late".into()), ..Join::new(code, Role::Participant) }).await;
    assert_eq!(refused.err(), Some(4006));
    let export = a.export(code, &key).await;
    assert_eq!(export["participants"].as_array().map(Vec::len), Some(2), "{export}");
}

/// When clients of a session reach another node (the proxy's ring changed: a node came back),
/// the node serving it hands it over, after serving it a few seconds, and everyone follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_follows_its_clients_to_the_node_they_reach() {
    let (a, _a_store, b, _b_store) = two_nodes().await;
    let created = b.scoring_session(2).await;
    let code = created.code;
    let (mut ada, welcome) =
        join_at(&a, Join { name: Some("Ada".into()), ..Join::new(code, Role::Participant) })
            .await
            .expect("A");
    // Served for longer than a node keeps a session it was just given.
    tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
    ada.assert_open().await;

    // Bo reaches B: B asks, A hands over and sends Ada on; both are served by B.
    let bo = Join { name: Some("Bo".into()), ..Join::new(code, Role::Participant) };
    assert_eq!(join_at(&b, bo.clone()).await.err(), Some(4006));
    assert_eq!(ada.closed_with().await, 4006);
    join_when_served(&b, bo).await;
    let resume = Join { resume: welcome.resume.clone(), ..Join::new(code, Role::Participant) };
    let (_, resumed) = join_when_served(&b, resume).await;
    assert_eq!(resumed.you.pid, welcome.you.pid);
}
