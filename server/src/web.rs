//! The static web client, embedded into the binary at build time (or served from a folder
//! with `--web-dir` while editing it), the join QR code, and the security headers every
//! response carries.

use std::path::{Path, PathBuf};

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

#[derive(rust_embed::Embed)]
#[folder = "../web-client/public/"]
struct Embedded;

/// A short hash of the client's files (names and bytes, in name order): what a page compares
/// to know the server now serves another client.
pub fn client_version(web_dir: Option<&Path>) -> String {
    use sha2::{Digest, Sha256};
    let mut files: Vec<(String, Vec<u8>)> = match web_dir {
        Some(dir) => std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                Some((name, std::fs::read(entry.path()).ok()?))
            })
            .collect(),
        None => Embedded::iter()
            .filter_map(|name| Some((name.to_string(), Embedded::get(&name)?.data.into_owned())))
            .collect(),
    };
    files.sort();
    let mut hash = Sha256::new();
    for (name, bytes) in &files {
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    hash.finalize().iter().take(8).map(|byte| format!("{byte:02x}")).collect()
}

/// Every route of the client is the same page; its script picks the view from the address.
pub async fn page(State(state): State<AppState>) -> Response {
    file(state.web_dir.as_deref(), "index.html").await
}

pub async fn asset(State(state): State<AppState>, UrlPath(path): UrlPath<String>) -> Response {
    file(state.web_dir.as_deref(), &path).await
}

async fn file(web_dir: Option<&Path>, path: &str) -> Response {
    // Only plain relative names: no way out of the folder.
    if path.split('/').any(|part| part.is_empty() || part == "." || part == ".." || part.contains('\\')) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let bytes = match web_dir {
        Some(dir) => tokio::fs::read(dir.join(path)).await.ok(),
        None => Embedded::get(path).map(|file| file.data.into_owned()),
    };
    let Some(bytes) = bytes else { return StatusCode::NOT_FOUND.into_response() };
    let mime = mime_type(path);
    // Pages and scripts change with each release; a short cache keeps phones current.
    ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "no-cache")], bytes).into_response()
}

fn mime_type(path: &str) -> &'static str {
    match Path::new(path).extension().and_then(|ext| ext.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The participant join link as a QR code, for the screen and the facilitator. An unknown
/// code counts as a failed join of the address, as every lookup of a code does.
pub async fn qr(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(code): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let peer = crate::http::client_address(&state.trusted_proxies, peer.ip(), &headers);
    let code = match crate::http::find_session(&state, peer, &code) {
        Ok((code, _)) => code,
        Err(refused) => return refused.into_response(),
    };
    let link = format!("{}/j/{code}", crate::http::base_url(&state, &headers));
    let Ok(qr) = qrcode::QrCode::new(link.as_bytes()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "max-age=3600")], svg).into_response()
}

/// Scripts only from this server, no inline script, no framing; the browser must not guess
/// content types; the address (with its join code) goes nowhere else.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Where `--web-dir` points, if the client is served from disk.
pub fn check_web_dir(dir: &Path) -> Result<PathBuf, String> {
    let index = dir.join("index.html");
    if index.is_file() { Ok(dir.to_path_buf()) } else { Err(format!("{} has no index.html", dir.display())) }
}
