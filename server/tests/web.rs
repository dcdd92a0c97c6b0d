//! The web client as the server hands it out: every route gets the page, with the security
//! headers; assets have their types; nothing outside the client can be fetched; the join QR.

mod support;

use support::TestServer;

#[tokio::test]
async fn pages_assets_and_headers() {
    let server = TestServer::start().await;
    let created = server.scoring_session(5).await;
    let code = created.code;
    for path in ["/".to_owned(), format!("/j/{code}"), format!("/f/{code}"), format!("/screen/{code}")] {
        let response = reqwest::get(server.url(&path)).await.expect("GET page");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let headers = response.headers().clone();
        let csp = headers["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-type"].to_str().expect("ascii").starts_with("text/html"));
        assert!(response.text().await.expect("body").contains("<main"), "{path}");
    }
    let script = reqwest::get(server.url("/assets/app.js")).await.expect("GET script");
    assert_eq!(script.status().as_u16(), 200);
    assert!(script.headers()["content-type"].to_str().expect("ascii").starts_with("text/javascript"));
    for path in ["/assets/../Cargo.toml", "/assets/%2e%2e/Cargo.toml", "/assets/nothing.js", "/assets/"] {
        let status = reqwest::get(server.url(path)).await.expect("GET").status().as_u16();
        assert_eq!(status, 404, "{path}");
    }

    let qr = reqwest::get(server.url(&format!("/api/sessions/{code}/qr.svg"))).await.expect("GET qr");
    assert_eq!(qr.status().as_u16(), 200);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.expect("svg").contains("<svg"));
    let other = if code.as_str() == "000000" { "000001" } else { "000000" };
    let missing = reqwest::get(server.url(&format!("/api/sessions/{other}/qr.svg"))).await.expect("GET qr");
    assert_eq!(missing.status().as_u16(), 404);
}

/// Each page names the modules its view runs, so a phone fetches them at once instead of one
/// import after another; a join link also names its session's lookup. Every one is served. A
/// phone's view fetches a method's module only when its activity shows, so joining waits for
/// none of them.
#[tokio::test]
async fn pages_preload_what_their_view_runs() {
    let server = TestServer::start().await;
    let code = server.scoring_session(5).await.code;
    let lookup = format!("</api/sessions/{code}>; rel=preload; as=fetch; crossorigin");
    let views: [(String, &[&str]); 4] = [
        (format!("/j/{code}"), &["participant.js", "socket.js"]),
        (format!("/f/{code}"), &["facilitator.js", "facilitator-actions.js", "socket.js"]),
        (format!("/screen/{code}"), &["screen.js", "screen-actions.js", "socket.js"]),
        ("/".to_owned(), &["home.js"]),
    ];
    for (path, own) in views {
        let response = reqwest::get(server.url(&path)).await.expect("GET page");
        let link = response.headers()["link"].to_str().expect("ascii").to_owned();
        for module in ["app.js", "ui.js", "i18n.js"].iter().chain(own) {
            assert!(link.contains(&format!("</assets/{module}>; rel=modulepreload")), "{path}: {link}");
        }
        assert_eq!(link.contains(&lookup), path.starts_with("/j/"), "{path}: {link}");
        if path.starts_with("/j/") {
            assert!(!link.contains("participant-"), "{path} preloads a method's module: {link}");
        }
        for target in link.split(", ").filter_map(|part| part.strip_prefix('<')?.split('>').next()) {
            let status = reqwest::get(server.url(target)).await.expect("GET preloaded").status().as_u16();
            assert_eq!(status, 200, "{path} preloads {target}");
        }
    }
}

#[tokio::test]
async fn metrics_show_what_the_server_does() {
    let server = TestServer::start().await;
    let created = server.scoring_session(5).await;
    let (mut participant, _) = server.join(created.code, lapp_protocol::Role::Participant, None, None).await;
    let refused = participant
        .request(lapp_protocol::ClientMsg::Scoring(lapp_protocol::ScoringMsg::CardWrite {
            text: "too early".into(),
        }))
        .await;
    assert!(refused.is_err());
    participant.assert_open().await;
    let text = reqwest::get(server.url("/metrics")).await.expect("GET /metrics").text().await.expect("body");
    for expected in [
        "lapp_connections",
        "lapp_sessions",
        "lapp_frames_in_total{type=\"join\"}",
        "lapp_frames_out_total{type=\"welcome\"}",
        "lapp_errors_total{code=\"wrong_phase\"}",
        "lapp_ack_seconds_bucket",
        "lapp_store_commit_seconds_bucket",
    ] {
        assert!(text.contains(expected), "/metrics lacks {expected}:\n{text}");
    }
}
