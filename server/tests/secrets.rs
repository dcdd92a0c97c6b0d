//! Facilitator keys and resume tokens never reach the logs: a whole session, with every
//! place a secret travels (joins, resumes, a wrong key, export, delete), logged at TRACE.

mod support;

use lapp_protocol::ScoringMsg;
use lapp_protocol::{ClientMsg, Join, Role};
use support::{CapturedLogs, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_is_ever_logged() {
    let logs = CapturedLogs::default();
    // The filter the binary uses, at its most talkative.
    tracing_subscriber::fmt()
        .with_env_filter(lapp_server::log_filter("trace"))
        .with_writer(logs.clone())
        .with_ansi(false)
        .init();

    let server = TestServer::start().await;
    let created = server.scoring_session(2).await;
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    let mut tokens = Vec::new();
    let mut people = Vec::new();
    for i in 0..3 {
        let (client, welcome) = server.join(code, Role::Participant, Some(&format!("P{i}")), None).await;
        tokens.push(welcome.resume.expect("token"));
        people.push(client);
    }
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    assert!(facilitator.request(ClientMsg::PhaseNext { from: None }).await.is_ok());
    for person in &mut people {
        assert!(
            person.request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: "card".into() })).await.is_ok()
        );
    }
    // A resume, a foreign token and a wrong key.
    let mut again = server.connect().await;
    let join =
        |resume: Option<String>, role, key: Option<String>| Join { resume, key, ..Join::new(code, role) };
    again.join(join(Some(tokens[0].clone()), Role::Participant, None)).await.expect("resume");
    let forged = tokens[1].chars().rev().collect::<String>();
    assert!(server.connect().await.join(join(Some(forged.clone()), Role::Participant, None)).await.is_err());
    let wrong_key = created.key.chars().rev().collect::<String>();
    assert!(
        server.connect().await.join(join(None, Role::Facilitator, Some(wrong_key.clone()))).await.is_err()
    );
    let http = reqwest::Client::new();
    let export =
        http.get(server.url(&format!("/api/sessions/{code}/export"))).bearer_auth(&created.key).send().await;
    assert_eq!(export.expect("export").status().as_u16(), 200);
    let deleted =
        http.delete(server.url(&format!("/api/sessions/{code}"))).bearer_auth(&created.key).send().await;
    assert_eq!(deleted.expect("delete").status().as_u16(), 204);
    server.shut_down().await;

    let text = logs.text();
    assert!(text.contains("session created"), "the logs were captured:\n{text}");
    assert!(text.lines().count() > 10, "a whole session logs more than this:\n{text}");
    for secret in tokens.iter().chain([&created.key, &forged, &wrong_key]) {
        if let Some(line) = text.lines().find(|line| line.contains(secret.as_str())) {
            panic!("a secret reached the logs: {line}");
        }
        assert!(!text.contains(&secret.to_uppercase()), "a secret reached the logs");
    }
}
