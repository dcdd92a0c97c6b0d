//! What operators rely on: secrets kept only as hashes (and older stores migrated), who may
//! create sessions, proxies' forwarded addresses believed only from trusted proxies, metrics
//! there from the start, a server that ends with its standard input.

mod support;

use std::sync::Arc;

use lapp_protocol::{Join, JoinCode, Role};
use lapp_server::store::MemoryStore;
use lapp_server::{Config, Limits};
use serde_json::{Value, json};
use support::{LappProcess, PATIENCE, TestServer};

/// Every byte of every file in `dir` (the database, its log and shared memory).
fn bytes_of(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).expect("data dir") {
        all.extend(std::fs::read(entry.expect("entry").path()).expect("read"));
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

async fn post(url: &str, token: Option<&str>, forwarded_for: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .json(&json!({"title": "Day", "agenda": [{"kind": "scoring", "prompt": "Why?"}]}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await.expect("POST");
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_files_hold_no_key_and_no_resume_token() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut lapp = LappProcess::start(data.path(), LappProcess::free_addr()).await;
    let (status, created) = post(&lapp.url("/api/sessions"), None, None).await;
    assert_eq!(status, 201);
    let key = created["key"].as_str().expect("key").to_owned();
    let code: JoinCode = created["code"].as_str().expect("code").parse().expect("a code");
    let mut secrets = vec![key.clone()];
    let mut facilitator = support::Client::connect(lapp.addr).await;
    facilitator
        .join(Join { key: Some(key), ..Join::new(code, Role::Facilitator) })
        .await
        .expect("the key works");
    for i in 0..3 {
        let mut phone = support::Client::connect(lapp.addr).await;
        let welcome = phone
            .join(Join { name: Some(format!("P{i}")), ..Join::new(code, Role::Participant) })
            .await
            .expect("joined");
        let token = welcome.resume.expect("a resume token");
        // The token still works after its welcome: the server keeps its hash.
        let mut again = support::Client::connect(lapp.addr).await;
        let resumed = again
            .join(Join { resume: Some(token.clone()), ..Join::new(code, Role::Participant) })
            .await
            .expect("resumed");
        assert_eq!(resumed.you.pid, welcome.you.pid);
        assert_eq!(resumed.resume.as_deref(), Some(token.as_str()), "the welcome hands the token back");
        secrets.push(token);
    }
    assert!(lapp.terminate().await);
    let stored = bytes_of(data.path());
    assert!(!stored.is_empty());
    for secret in &secrets {
        assert!(!contains(&stored, secret), "a secret is in the data files");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_written_before_hashing_is_migrated_at_start() {
    let data = tempfile::tempdir().expect("temp dir");
    let key = "00112233445566778899aabbccddeeff";
    let token = "ffeeddccbbaa99887766554433221100";
    {
        // The file as an older server left it: the key and the token themselves.
        let old = rusqlite::Connection::open(data.path().join("lapp.sqlite3")).expect("open");
        old.execute_batch(
            "CREATE TABLE sessions (code TEXT PRIMARY KEY, created_at_ms INTEGER NOT NULL, record TEXT NOT NULL);
             CREATE TABLE events (id INTEGER PRIMARY KEY, code TEXT NOT NULL REFERENCES sessions(code) ON DELETE CASCADE, event TEXT NOT NULL);",
        )
        .expect("schema");
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis()
                as i64;
        let record = json!({"code": "123456", "title": "Old", "key": key, "created_at_ms": now, "language": "en",
            "agenda": [{"kind": "scoring", "prompt": "Why?", "rounds": 5, "top": 10, "max_chars": 280}]});
        old.execute(
            "INSERT INTO sessions VALUES ('123456', ?1, ?2)",
            rusqlite::params![now, record.to_string()],
        )
        .expect("record");
        let joined =
            json!({"type": "participant_joined", "pid": "p1", "name": "Kari", "zone": null, "resume": token});
        old.execute("INSERT INTO events (code, event) VALUES ('123456', ?1)", [joined.to_string()])
            .expect("event");
    }
    assert!(contains(&bytes_of(data.path()), key), "the old file holds the key");
    let mut lapp = LappProcess::start(data.path(), LappProcess::free_addr()).await;
    let code: JoinCode = "123456".parse().expect("code");
    let mut facilitator = support::Client::connect(lapp.addr).await;
    facilitator
        .join(Join { key: Some(key.into()), ..Join::new(code, Role::Facilitator) })
        .await
        .expect("the old key");
    let mut phone = support::Client::connect(lapp.addr).await;
    let welcome = phone
        .join(Join { resume: Some(token.into()), ..Join::new(code, Role::Participant) })
        .await
        .expect("old token");
    assert_eq!(welcome.you.name.as_deref(), Some("Kari"));
    assert!(lapp.terminate().await);
    let stored = bytes_of(data.path());
    assert!(!contains(&stored, key) && !contains(&stored, token), "the secrets were left in the file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_session_needs_the_token_when_one_is_set() {
    let config =
        Config { create_token: Some("s3cret-token".into()), ..Config::new(Arc::new(MemoryStore::default())) };
    let server = TestServer::start_with_config(config).await;
    let url = server.url("/api/sessions");
    for token in [None, Some("wrong"), Some("s3cret-token-and-more"), Some("")] {
        let (status, body) = post(&url, token, None).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{token:?}");
    }
    assert_eq!(post(&url, Some("s3cret-token"), None).await.0, 201);
    let about: Value = reqwest::get(server.url("/api/about")).await.expect("GET").json().await.expect("JSON");
    assert_eq!(about["create_token"], json!(true));
    assert_eq!(about["retention_days"], json!(30));
    assert!(about["version"].as_str().is_some_and(|version| version.len() == 16), "{about}");
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    // One session an hour per address, loopback counted, so each address shows in the limit.
    let limits = Limits { sessions_per_address_per_hour: 1, limit_loopback: true, ..Limits::default() };
    let untrusted = TestServer::start_with_config(Config {
        limits: limits.clone(),
        ..Config::new(Arc::new(MemoryStore::default()))
    })
    .await;
    let url = untrusted.url("/api/sessions");
    assert_eq!(post(&url, None, Some("203.0.113.5")).await.0, 201);
    // A forged header from an untrusted peer changes nothing: it is still 127.0.0.1.
    assert_eq!(post(&url, None, Some("198.51.100.7")).await.0, 429);
    untrusted.shut_down().await;

    let trusted = TestServer::start_with_config(Config {
        limits,
        trusted_proxies: vec!["127.0.0.0/8".parse().expect("a block")],
        ..Config::new(Arc::new(MemoryStore::default()))
    })
    .await;
    let url = trusted.url("/api/sessions");
    assert_eq!(post(&url, None, Some("203.0.113.5")).await.0, 201);
    assert_eq!(post(&url, None, Some("198.51.100.7")).await.0, 201, "another phone behind the proxy");
    assert_eq!(post(&url, None, Some("203.0.113.5")).await.0, 429, "the same phone again");
    // The nearest untrusted address counts, not whatever the client put first.
    assert_eq!(post(&url, None, Some("10.9.9.9, 203.0.113.5")).await.0, 429);
    trusted.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_is_there_at_zero_from_the_start() {
    let data = tempfile::tempdir().expect("temp dir");
    let lapp = LappProcess::start(data.path(), LappProcess::free_addr()).await;
    let text = reqwest::get(lapp.url("/metrics")).await.expect("GET").text().await.expect("text");
    for name in [
        "lapp_connections",
        "lapp_sessions",
        "lapp_frames_in_total{type=\"phase.next\"}",
        "lapp_frames_out_total{type=\"hand\"}",
        "lapp_errors_total{code=\"stale\"}",
        "lapp_ack_seconds_count",
        "lapp_store_commit_seconds_count",
        "lapp_closed_too_slow_total",
        "lapp_sessions_taken_total",
        "lapp_sessions_lost_total",
    ] {
        let line = text
            .lines()
            .find(|line| line.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"));
        assert!(line.ends_with(" 0"), "{line}");
        let family = name.split('{').next().unwrap_or(name).trim_end_matches("_count");
        assert!(text.contains(&format!("# HELP {family} ")), "{family} is described");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_ends_with_its_standard_input() {
    let data = tempfile::tempdir().expect("temp dir");
    let addr = LappProcess::free_addr();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lapp"))
        .args(["--listen", &addr.to_string(), "--exit-with-stdin", "--data-dir"])
        .arg(data.path())
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("start lapp");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while reqwest::get(format!("http://{addr}/healthz")).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "lapp did not come up");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(child.stdin.take());
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "lapp went on after its standard input ended");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_code_guesses_are_stopped_at_the_limit_whichever_way_they_ask() {
    // Loopback counted, as any address on the internet is.
    let limits = Limits { limit_loopback: true, ..Limits::default() };
    let allowed = limits.failed_joins_per_address_per_minute as usize;
    let server = TestServer::start_with(limits).await;
    let real = server.scoring_session(1).await;
    let http = reqwest::Client::new();
    let mut socket = server.connect().await;
    let mut told = 0;
    for guess in 0..1_000u32 {
        let code = format!("{:06}", 999_999 - guess);
        if code == real.code.to_string() {
            continue;
        }
        let answer = match guess % 5 {
            0 => http
                .get(server.url(&format!("/api/sessions/{code}/qr.svg")))
                .send()
                .await
                .expect("GET")
                .status()
                .as_u16(),
            1 => http
                .get(server.url(&format!("/api/sessions/{code}")))
                .send()
                .await
                .expect("GET")
                .status()
                .as_u16(),
            2 => http
                .get(server.url(&format!("/api/sessions/{code}/export")))
                .bearer_auth("00000000000000000000000000000000")
                .send()
                .await
                .expect("GET")
                .status()
                .as_u16(),
            3 => http
                .delete(server.url(&format!("/api/sessions/{code}")))
                .send()
                .await
                .expect("DELETE")
                .status()
                .as_u16(),
            _ => match socket.join(Join::new(code.parse().expect("six digits"), Role::Participant)).await {
                Err((lapp_protocol::ErrorCode::UnknownSession, _)) => 404,
                Err((lapp_protocol::ErrorCode::RateLimited, _)) => 429,
                other => panic!("a guessed join got {other:?}"),
            },
        };
        match answer {
            404 => told += 1,
            429 => {}
            other => panic!("guess {guess} got {other}"),
        }
        if guess % 5 == 4 {
            // A connection may try again within its join deadline; a fresh one each round keeps
            // this test clear of it.
            socket = server.connect().await;
        }
    }
    assert_eq!(told, allowed, "only the first {allowed} guesses learn anything");
    // Once over the limit, even the right code tells nothing for the rest of the minute.
    let status = http
        .get(server.url(&format!("/api/sessions/{}/qr.svg", real.code)))
        .send()
        .await
        .expect("GET")
        .status();
    assert_eq!(status.as_u16(), 429);
    server.shut_down().await;
}
