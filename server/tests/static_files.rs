//! The web client over the wire: scripts and style sheets minified, each file precompressed as
//! the request accepts (brotli, gzip, or as it is), strong ETags per encoding that turn a
//! revalidation into a bodiless 304, and the whole client within its budget of 60,000 bytes
//! gzip-compressed.

mod support;

use std::io::Read;

use support::TestServer;

/// What the whole client may weigh on the wire, gzip-compressed as the server sends it.
const CLIENT_BUDGET_GZIP_BYTES: usize = 60_000;

struct Fetched {
    status: u16,
    encoding: Option<String>,
    etag: String,
    vary: String,
    content_type: String,
    cache_control: String,
    body: Vec<u8>,
}

async fn fetch(
    server: &TestServer,
    path: &str,
    accept_encoding: Option<&str>,
    if_none_match: Option<&str>,
) -> Fetched {
    let mut request = reqwest::Client::new().get(server.url(path));
    if let Some(accept) = accept_encoding {
        request = request.header("accept-encoding", accept);
    }
    if let Some(etag) = if_none_match {
        request = request.header("if-none-match", etag);
    }
    let response = request.send().await.expect("GET");
    let header = |name: &str| {
        response.headers().get(name).map(|value| value.to_str().expect("ascii header").to_owned())
    };
    Fetched {
        status: response.status().as_u16(),
        encoding: header("content-encoding"),
        etag: header("etag").unwrap_or_default(),
        vary: header("vary").unwrap_or_default(),
        content_type: header("content-type").unwrap_or_default(),
        cache_control: header("cache-control").unwrap_or_default(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

fn decode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    match encoding {
        None => decoded.extend_from_slice(body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(body).read_to_end(&mut decoded).expect("valid gzip");
        }
        Some("br") => {
            brotli::Decompressor::new(body, 4096).read_to_end(&mut decoded).expect("valid brotli");
        }
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    }
    decoded
}

/// Fetches `path` with each `Accept-Encoding` and checks the encoding chosen, that every
/// variant decodes to the same bytes, and that each one's ETag revalidates to a bodiless 304
/// while another encoding's ETag does not.
async fn check(server: &TestServer, path: &str, content_type: &str) {
    let cases = [
        (None, None),
        (Some("gzip"), Some("gzip")),
        (Some("br"), Some("br")),
        (Some("gzip, deflate, br, zstd"), Some("br")),
        (Some("br;q=0.5, gzip"), Some("gzip")),
        (Some("br;q=0, gzip;q=0"), None),
        (Some("identity"), None),
        (Some("*"), Some("br")),
    ];
    let identity = fetch(server, path, None, None).await;
    assert_eq!(identity.status, 200, "{path}");
    assert!(!identity.body.is_empty(), "{path}");
    let mut etags = Vec::new();
    for (accept, expected) in cases {
        let fetched = fetch(server, path, accept, None).await;
        assert_eq!(fetched.status, 200, "{path} {accept:?}");
        assert_eq!(fetched.encoding.as_deref(), expected, "{path} {accept:?}");
        assert!(
            fetched.content_type.starts_with(content_type),
            "{path} {accept:?}: {}",
            fetched.content_type
        );
        assert_eq!(fetched.cache_control, "no-cache", "{path} {accept:?}");
        assert!(fetched.vary.to_ascii_lowercase().contains("accept-encoding"), "{path} {accept:?}");
        assert!(
            fetched.etag.starts_with('"') && fetched.etag.ends_with('"'),
            "strong ETag: {}",
            fetched.etag
        );
        if expected.is_some() {
            assert!(fetched.body.len() < identity.body.len(), "{path} {accept:?}: compressed is smaller");
        }
        assert_eq!(decode(expected, &fetched.body), identity.body, "{path} {accept:?}");

        let revalidated = fetch(server, path, accept, Some(&fetched.etag)).await;
        assert_eq!(revalidated.status, 304, "{path} {accept:?}");
        assert!(revalidated.body.is_empty(), "{path} {accept:?}: a 304 has no body");
        assert_eq!(revalidated.etag, fetched.etag, "{path} {accept:?}");
        assert!(revalidated.vary.to_ascii_lowercase().contains("accept-encoding"), "{path} {accept:?}");
        let listed = format!("\"other\", W/{}", fetched.etag);
        assert_eq!(fetch(server, path, accept, Some(&listed)).await.status, 304, "{path} {accept:?}");
        etags.push((expected, fetched.etag));
    }
    // One ETag per encoding: a cached gzip body never revalidates as the brotli one.
    for (encoding, etag) in &etags {
        for (other_encoding, other_etag) in &etags {
            assert_eq!(encoding == other_encoding, etag == other_etag, "{path}: {etag} / {other_etag}");
        }
    }
    let gzip_etag = &etags.iter().find(|(encoding, _)| *encoding == Some("gzip")).expect("gzip case").1;
    let stale = fetch(server, path, Some("br"), Some(gzip_etag)).await;
    assert_eq!((stale.status, stale.encoding.as_deref()), (200, Some("br")), "{path}");
}

#[tokio::test]
async fn assets_and_the_page_go_out_precompressed_with_etags() {
    let server = TestServer::start().await;
    check(&server, "/assets/app.js", "text/javascript").await;
    check(&server, "/assets/app.css", "text/css").await;
    check(&server, "/", "text/html").await;
    check(&server, "/privacy", "text/html").await;

    // The page is the same bytes at every route, so one ETag serves them all.
    let home = fetch(&server, "/", Some("br"), None).await;
    let join = fetch(&server, "/j/123456", Some("br"), Some(&home.etag)).await;
    assert_eq!(join.status, 304);

    let head = reqwest::Client::new()
        .head(server.url("/assets/app.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("HEAD");
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(head.headers()["content-encoding"], "gzip");
    assert!(head.bytes().await.expect("body").is_empty());

    let missing = fetch(&server, "/assets/nothing.js", Some("br"), None).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn web_dir_files_are_compressed_and_follow_edits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let module = |greeting: &str| {
        (0..40)
            .map(|n| format!("// Greeting {n}.\nexport const greeting{n} = '{greeting}';\n"))
            .collect::<String>()
    };
    let script = module("hei");
    std::fs::write(dir.path().join("index.html"), "<!doctype html><main></main>".repeat(20)).expect("write");
    std::fs::write(dir.path().join("app.js"), &script).expect("write");
    let store = std::sync::Arc::new(lapp_server::store::MemoryStore::default());
    let config =
        lapp_server::Config { web_dir: Some(dir.path().to_path_buf()), ..lapp_server::Config::new(store) };
    let server = TestServer::start_with_config(config).await;
    check(&server, "/assets/app.js", "text/javascript").await;
    check(&server, "/", "text/html").await;

    let before = fetch(&server, "/assets/app.js", Some("gzip"), None).await;
    let edited = module("hallo");
    std::fs::write(dir.path().join("app.js"), &edited).expect("write");
    let after = fetch(&server, "/assets/app.js", Some("gzip"), Some(&before.etag)).await;
    assert_eq!(after.status, 200, "an edited file is no longer the one the client has");
    assert_ne!(after.etag, before.etag);
    let served = String::from_utf8(decode(Some("gzip"), &after.body)).expect("UTF-8");
    assert!(served.contains("hallo") && !served.contains("hei"), "{served}");
    assert!(served.len() < edited.len() && !served.contains("// Greeting"), "served minified: {served}");

    // A script that does not parse goes out as written, for the browser to report.
    let broken = format!("{edited}export const = ;\n");
    std::fs::write(dir.path().join("app.js"), &broken).expect("write");
    let fetched = fetch(&server, "/assets/app.js", Some("gzip"), None).await;
    assert_eq!(decode(Some("gzip"), &fetched.body), broken.as_bytes());
}

/// Scripts go out minified, smaller than written, and still import what they import as
/// written; each page's `Link` header, read from the files as written, still names them.
#[tokio::test]
async fn scripts_go_out_minified_and_keep_their_imports() {
    let server = TestServer::start().await;
    let public = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web-client/public");
    let source = std::fs::read_to_string(public.join("participant.js")).expect("participant.js");
    let served =
        String::from_utf8(fetch(&server, "/assets/participant.js", None, None).await.body).expect("UTF-8");
    assert!(served.len() < source.len() * 9 / 10, "{} B served, {} B written", served.len(), source.len());
    let imports: Vec<&str> = source
        .lines()
        .filter(|line| line.starts_with("import "))
        .filter_map(|line| line.split(" from './").nth(1)?.split('\'').next())
        .collect();
    assert!(imports.contains(&"ui.js"), "{imports:?}");
    let link = reqwest::get(server.url("/j/123456")).await.expect("GET");
    let link = link.headers()["link"].to_str().expect("ascii").to_owned();
    for module in imports {
        let specifier = format!("./{module}");
        assert!(
            ["\"", "'"].iter().any(|quote| served.contains(&format!("from{quote}{specifier}{quote}"))),
            "participant.js served without its import of {module}"
        );
        assert!(link.contains(&format!("</assets/{module}>; rel=modulepreload")), "{module} in {link}");
    }
}

/// The budget: every file of the client, fetched as a phone fetches it, adds up to at most
/// 60,000 bytes gzip-compressed. Prints the figures (`-- --nocapture` shows them).
#[tokio::test]
async fn the_whole_client_fits_its_budget() {
    let server = TestServer::start().await;
    let public = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web-client/public");
    let mut names: Vec<String> = std::fs::read_dir(&public)
        .expect("web-client/public")
        .map(|entry| entry.expect("entry").file_name().into_string().expect("UTF-8 name"))
        .collect();
    names.sort();
    let (mut identity, mut gzip, mut brotli) = (0, 0, 0);
    for name in &names {
        let path = format!("/assets/{name}");
        let sizes = [None, Some("gzip"), Some("br")];
        let mut on_wire = [0; 3];
        for (size, accept) in on_wire.iter_mut().zip(sizes) {
            let fetched = fetch(&server, &path, accept, None).await;
            assert_eq!(fetched.status, 200, "{path}");
            *size = fetched.body.len();
        }
        println!("{name:>16} {:>7} B, gzip {:>6} B, brotli {:>6} B", on_wire[0], on_wire[1], on_wire[2]);
        identity += on_wire[0];
        gzip += on_wire[1];
        brotli += on_wire[2];
    }
    println!(
        "web client, {} files: {identity} B as they are, {gzip} B gzip (budget {CLIENT_BUDGET_GZIP_BYTES} B), {brotli} B brotli",
        names.len()
    );
    assert!(
        gzip <= CLIENT_BUDGET_GZIP_BYTES,
        "the web client is {gzip} B gzip-compressed, over its budget of {CLIENT_BUDGET_GZIP_BYTES} B"
    );
}
