//! The static web client, embedded into the binary at build time (or served from a folder
//! with `--web-dir` while editing it) and served minified and precompressed (brotli or gzip,
//! as the request accepts) with strong ETags, the join QR code, and the security headers every
//! response carries.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lapp_protocol::JoinCode;

use crate::AppState;

#[derive(rust_embed::Embed)]
#[folder = "../web-client/public/"]
struct Embedded;

/// A short hash of the client's files (names and bytes as written, in name order): what a page
/// compares to know the server now serves another client. The files as written, not as served
/// minified: a server that minifies the same files differently serves the same client.
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
    crate::secret::to_hex(&hash.finalize()[..8])
}

/// Every route of the client is the same page; its script picks the view from the address.
/// The answer names every module that view runs (`Link: rel=modulepreload`), so that a phone
/// asks for them all at once rather than one import, one round trip, after another; a join
/// link names its session's lookup too, which the join form waits for.
pub async fn page(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let mut response = file(state.web_dir.as_deref(), "index.html", &headers).await;
    if let Some(link) = preloads(state.web_dir.clone(), uri.path()).await {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// The `Link` header of the page at `path`: app.js, the view it picks for that address (as
/// app.js does) and every module those import, read from the files themselves so that the
/// list follows the code.
async fn preloads(web_dir: Option<PathBuf>, path: &str) -> Option<HeaderValue> {
    let mut parts = path.trim_matches('/').split('/');
    let (route, code) =
        (parts.next().unwrap_or_default(), parts.next().and_then(|code| code.parse::<JoinCode>().ok()));
    let view = match route {
        "j" => "participant",
        "f" => "facilitator",
        "screen" => "screen",
        "a" => "followup",
        "privacy" => "privacy",
        _ => "home",
    };
    let read = move |name: &str| match &web_dir {
        Some(dir) => std::fs::read(dir.join(name)).ok(),
        None => Embedded::get(name).map(|file| file.data.into_owned()),
    };
    let modules = tokio::task::spawn_blocking(move || imported(&read, &["app.js", &format!("{view}.js")]))
        .await
        .ok()?;
    // The lookup first: the smallest, it gives its connection back soonest (HTTP/1.1 has six).
    let lookup = code
        .filter(|_| route == "j")
        .map(|code| format!("</api/sessions/{}>; rel=preload; as=fetch; crossorigin", code.as_str()));
    let modules = modules.iter().map(|name| format!("</assets/{name}>; rel=modulepreload"));
    HeaderValue::from_str(&lookup.into_iter().chain(modules).collect::<Vec<_>>().join(", ")).ok()
}

/// `entries` and every module they import, directly or not: the `import … from './x.js'`
/// lines of the client's files as written (each import on one line, as the client writes
/// them; `read` gives the files as written, before `Prepared` minifies them onto one line).
fn imported(read: &dyn Fn(&str) -> Option<Vec<u8>>, entries: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = entries.iter().map(|&entry| entry.to_owned()).collect();
    let mut next = 0;
    while let Some(name) = found.get(next).cloned() {
        next += 1;
        let text = read(&name).map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).unwrap_or_default();
        for line in text.lines().filter(|line| line.starts_with("import ")) {
            let Some(module) = line.split(" from './").nth(1).and_then(|rest| rest.split('\'').next()) else {
                continue;
            };
            if !found.iter().any(|known| known == module) {
                found.push(module.to_owned());
            }
        }
    }
    found
}

pub async fn asset(
    State(state): State<AppState>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    file(state.web_dir.as_deref(), &path, &headers).await
}

async fn file(web_dir: Option<&Path>, path: &str, request: &HeaderMap) -> Response {
    // Only plain relative names: no way out of the folder.
    if path.split('/').any(|part| part.is_empty() || part == "." || part == ".." || part.contains('\\')) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let prepared = match web_dir {
        Some(dir) => from_disk(dir.join(path)).await,
        None => embedded().await.get(path).cloned(),
    };
    match prepared {
        Some(prepared) => prepared.respond(request),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// One file of the client as it goes over the wire: its bytes (minified, for scripts and style
/// sheets) and, where that is smaller, brotli- and gzip-compressed, each with its own strong
/// ETag.
struct Prepared {
    mime: &'static str,
    identity: Variant,
    gzip: Option<Variant>,
    brotli: Option<Variant>,
}

struct Variant {
    bytes: Bytes,
    etag: HeaderValue,
}

impl Prepared {
    /// Minifies `source` (see [`minified`]) and compresses it both ways. This is done once per
    /// file (at first use for the embedded client, once per change under `--web-dir`, so the
    /// browser tests run what ships) at the highest levels, so each phone of a hall downloads
    /// the least we can make. The ETags hash the bytes served, which change with the minifier.
    fn new(path: &str, source: &[u8]) -> Prepared {
        use sha2::{Digest, Sha256};
        // A minifier that panics on some file must not take the whole client down with it.
        let minified = std::panic::catch_unwind(|| minified(path, source)).ok().flatten();
        let bytes = minified.unwrap_or_else(|| source.to_vec());
        let hash = crate::secret::to_hex(&Sha256::digest(&bytes)[..12]);
        let variant = |bytes: Vec<u8>, suffix: &str| Variant {
            bytes: bytes.into(),
            etag: HeaderValue::from_str(&format!("\"{hash}{suffix}\"")).expect("hex is a valid header value"),
        };
        // A compressed copy is only worth its header when it is smaller (fonts and images are
        // compressed already).
        let smaller =
            |compressed: Option<Vec<u8>>| compressed.filter(|compressed| compressed.len() < bytes.len());
        let gzip = smaller(compress_gzip(&bytes)).map(|compressed| variant(compressed, "-gz"));
        let brotli = smaller(compress_brotli(&bytes)).map(|compressed| variant(compressed, "-br"));
        Prepared { mime: mime_type(path), identity: variant(bytes, ""), gzip, brotli }
    }

    /// The variant the request accepts, or 304 when the client already has it. Every answer
    /// says that it depends on `Accept-Encoding`, and `no-cache` keeps phones asking, which
    /// the ETag makes cheap.
    fn respond(&self, request: &HeaderMap) -> Response {
        let accepted = Accepted::from(request);
        let offers = [(&self.brotli, accepted.brotli, "br"), (&self.gzip, accepted.gzip, "gzip")];
        // The heaviest weight wins, brotli at a tie (it is the smaller).
        let chosen = offers
            .into_iter()
            .filter_map(|(variant, weight, name)| Some((variant.as_ref()?, weight, name)))
            .filter(|(_, weight, _)| *weight > 0.0)
            .reduce(|best, next| if next.1 > best.1 { next } else { best });
        let (variant, encoding) = match chosen {
            Some((variant, _, name)) => (variant, Some(name)),
            None => (&self.identity, None),
        };
        let headers = [
            (header::ETAG, variant.etag.clone()),
            (header::VARY, HeaderValue::from_static("accept-encoding")),
            // Pages and scripts change with each release; phones revalidate every time.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ];
        if matches_etag(request, &variant.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let mut response =
            (headers, [(header::CONTENT_TYPE, self.mime)], variant.bytes.clone()).into_response();
        if let Some(encoding) = encoding {
            response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    }
}

/// The embedded client, compressed once on first use (off the async threads: brotli at its
/// highest level takes a moment).
async fn embedded() -> &'static HashMap<String, Arc<Prepared>> {
    static FILES: tokio::sync::OnceCell<HashMap<String, Arc<Prepared>>> = tokio::sync::OnceCell::const_new();
    FILES
        .get_or_init(|| async {
            let prepare = || {
                Embedded::iter()
                    .filter_map(|name| {
                        let source = Embedded::get(&name)?.data;
                        Some((name.to_string(), Arc::new(Prepared::new(&name, &source))))
                    })
                    .collect()
            };
            tokio::task::spawn_blocking(prepare).await.unwrap_or_default()
        })
        .await
}

/// A file under `--web-dir`, read on every request so edits show at once, and minified and
/// compressed again only when its bytes changed (the cache keeps them as written to compare).
async fn from_disk(path: PathBuf) -> Option<Arc<Prepared>> {
    type Cache = BTreeMap<PathBuf, (Vec<u8>, Arc<Prepared>)>;
    static CACHE: Mutex<Cache> = Mutex::new(BTreeMap::new());
    let source = tokio::fs::read(&path).await.ok()?;
    let cached = CACHE.lock().unwrap_or_else(PoisonError::into_inner).get(&path).cloned();
    if let Some((_, prepared)) = cached.filter(|(cached, _)| *cached == source) {
        return Some(prepared);
    }
    let name = path.to_string_lossy().into_owned();
    let (source, prepared) = tokio::task::spawn_blocking(move || {
        let prepared = Arc::new(Prepared::new(&name, &source));
        (source, prepared)
    })
    .await
    .ok()?;
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).insert(path, (source, prepared.clone()));
    Some(prepared)
}

/// A script or style sheet without its comments and the whitespace that means nothing: the
/// client is written to be read, and this way a phone downloads (and parses) less of it.
/// Nothing is renamed or folded (a script may come back with other quotes, or without
/// needless parentheses). `None` for other files (the page is left as written), and
/// for a script that does not parse, which goes out as written so that the browser reports
/// its error where it is.
fn minified(path: &str, source: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(source).ok()?;
    match Path::new(path).extension().and_then(|ext| ext.to_str()) {
        Some("js") => {
            let script = minify_script(text);
            if script.is_none() {
                tracing::warn!(%path, "script does not parse; served as written");
            }
            script.map(String::into_bytes)
        }
        Some("css") => Some(minify_style_sheet(text).into_bytes()),
        _ => None,
    }
}

// Scripts: oxc's parser and printer (the toolchain behind Rolldown and Oxlint), which parse
// the module and print it back without comments or layout, renaming and folding nothing.
// Token-level minifiers get wrong what only a parser knows: `minifier` (rustdoc's) joins
// `x - -y` into `x--y`, `return` with the next line, and ends a regular expression at a `/`
// inside its `[...]`; `minify-js` does not parse optional chaining or `export async function`,
// and renames.
fn minify_script(source: &str) -> Option<String> {
    let allocator = oxc_allocator::Allocator::default();
    let parsed = oxc_parser::Parser::new(&allocator, source, oxc_span::SourceType::mjs()).parse();
    if parsed.panicked || !parsed.diagnostics.is_empty() {
        return None;
    }
    let options = oxc_codegen::CodegenOptions::minify();
    Some(oxc_codegen::Codegen::new().with_options(options).build(&parsed.program).code)
}

// Style sheets: comments go, whitespace shrinks to one space, and none is kept next to
// `{`, `}`, `;` or `,`, where it never means anything; the last `;` of a block goes too.
// Strings, escapes and `url(...)` are copied as they are. Nothing else is touched: whitespace
// means something around `+` and `-` in `calc()`/`clamp()` and before `:` in a selector.
// Written here because the crates do more: `minifier`'s CSS joins `1rem + 3vw` inside
// `clamp()` (which drops the declaration), and `lightningcss` is a compiler that rewrites
// for a set of browser targets (media queries into range syntax with none given, `clamp()`
// into `max(min())`, fonts and shorthands with old ones).
fn minify_style_sheet(source: &str) -> String {
    let bytes = source.as_bytes();
    let loose = |byte: u8| matches!(byte, b'{' | b'}' | b';' | b',');
    let mut out = Vec::with_capacity(bytes.len());
    // The last byte written when it was punctuation (not inside a string or an escape), and
    // whether whitespace, or only a comment, came after it.
    let (mut punctuation, mut space, mut comment) = (None, false, false);
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let end = match byte {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                space = true;
                at += 1;
                continue;
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                // A comment is not whitespace: `.a/**/.b` is one compound selector and
                // `1px/**/solid` two tokens, so between two tokens it stays as an empty one.
                comment = true;
                at = find(bytes, at + 2, b"*/").map_or(bytes.len(), |close| close + 2);
                continue;
            }
            b'"' | b'\'' => string_end(bytes, at),
            b'\\' => at + 2,
            b'(' if out.len() >= 3 && out[out.len() - 3..].eq_ignore_ascii_case(b"url") => {
                unquoted_url_end(bytes, at).unwrap_or(at + 1)
            }
            _ => at + 1,
        }
        .min(bytes.len());
        let plain = end == at + 1 && loose(byte);
        if plain && byte == b'}' && punctuation == Some(b';') {
            out.pop();
        }
        let after_loose = punctuation.is_some() || out.is_empty();
        if !after_loose && !plain {
            if space {
                out.push(b' ');
            } else if comment {
                out.extend_from_slice(b"/**/");
            }
        }
        out.extend_from_slice(&bytes[at..end]);
        (punctuation, space, comment) = (plain.then_some(byte), false, false);
        at = end;
    }
    // Only ASCII whitespace and whole comments were left out, so the rest is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| source.to_owned())
}

/// Where `needle` next starts in `bytes`, from `from` on.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|window| window == needle).map(|found| from + found)
}

/// Where the `url(` whose parenthesis is at `open` ends (after its `)`) when its address is
/// unquoted, which makes `/*` or a space inside it part of the address; `None` when quoted (a
/// string in parentheses, like any other).
fn unquoted_url_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut at = open + 1;
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    if matches!(bytes.get(at), Some(b'"' | b'\'')) {
        return None;
    }
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\\' => at += 2,
            b')' => return Some(at + 1),
            _ => at += 1,
        }
    }
    Some(bytes.len())
}

/// Where the string that opens at `start` ends (after its closing quote), escapes included.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut at = start + 1;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\\' => at += 2,
            _ if byte == quote => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

// flate2 and brotli are the maintained pure-Rust encoders that most of the ecosystem
// (reqwest, tower-http, hyper's users) already relies on. tower-http's compression layer
// compresses each response again and its `ServeDir` precompression wants `.gz`/`.br` files
// on disk, neither of which fits a client embedded in the binary.

fn compress_gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

fn compress_brotli(bytes: &[u8]) -> Option<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut compressed = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut compressed, &params).ok()?;
    Some(compressed)
}

/// The weights (`q`) `Accept-Encoding` gives brotli and gzip; 0 for what it does not name,
/// so a request without the header gets the bytes as they are.
struct Accepted {
    brotli: f32,
    gzip: f32,
}

impl From<&HeaderMap> for Accepted {
    fn from(request: &HeaderMap) -> Accepted {
        let (mut brotli, mut gzip, mut any) = (None, None, None);
        let values = request.get_all(header::ACCEPT_ENCODING).iter().filter_map(|value| value.to_str().ok());
        for offer in values.flat_map(|value| value.split(',')) {
            let mut parts = offer.split(';');
            let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|param| {
                    param.trim().strip_prefix("q=").or_else(|| param.trim().strip_prefix("Q="))
                })
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match name.as_str() {
                "br" => brotli = Some(weight),
                "gzip" | "x-gzip" => gzip = Some(weight),
                "*" => any = Some(weight),
                _ => {}
            }
        }
        Accepted { brotli: brotli.or(any).unwrap_or(0.0), gzip: gzip.or(any).unwrap_or(0.0) }
    }
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for this header).
fn matches_etag(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else { return false };
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
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
    let code = match crate::http::find_session(&state, peer, &code).await {
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

#[cfg(test)]
mod tests {
    use super::minified;

    /// `source` as `path` is served: minified, or `None` when it goes out as written.
    #[track_caller]
    fn check(path: &str, source: &str, expected: Option<&str>) {
        let served = minified(path, source.as_bytes()).map(|bytes| String::from_utf8(bytes).expect("UTF-8"));
        assert_eq!(served.as_deref(), expected, "{path}: {source}");
    }

    #[test]
    fn style_sheets_lose_comments_and_meaningless_whitespace_only() {
        check(
            "a.css",
            "/* head */\na ,\n b {\n  color : red ;\n  margin: 0  auto;\n}\n",
            Some("a,b{color : red;margin: 0 auto}"),
        );
        // Whitespace that means something stays: around + and - in math, before : in a selector.
        check(
            "a.css",
            "h1 { font-size: clamp(1rem, 1rem + 3vw, 2rem - 1px) }",
            Some("h1{font-size: clamp(1rem,1rem + 3vw,2rem - 1px)}"),
        );
        // A comment is no whitespace: between two tokens it stays as an empty one.
        check("a.css", "main :focus-visible, a/* x */b { x: 1 }", Some("main :focus-visible,a/**/b{x: 1}"));
        check("a.css", ".a/* x */.b { border: 1px/**/solid }", Some(".a/**/.b{border: 1px/**/solid}"));
        check("a.css", ".a /* x */ .b {}", Some(".a .b{}"));
        check(
            "a.css",
            "@media (min-width: 48rem) and (min-height: 36rem) { .a { b: c } }",
            Some("@media (min-width: 48rem) and (min-height: 36rem){.a{b: c}}"),
        );
        // Strings, escapes and unquoted addresses are copied as they are.
        check(
            "a.css",
            "a::after { content: \"a ;  /* } \\\" b\" ; }",
            Some("a::after{content: \"a ;  /* } \\\" b\"}"),
        );
        check("a.css", ".a\\, .b\\;  { x: y\\; }", Some(".a\\, .b\\;{x: y\\;}"));
        check(
            "a.css",
            "a { b: url( x/*y*/z.png ) , url( 'a  b' ) }",
            Some("a{b: url( x/*y*/z.png ),url( 'a  b' )}"),
        );
        check("a.css", "a { content: 'æ  ø' } /* å */", Some("a{content: 'æ  ø'}"));
    }

    #[test]
    fn scripts_are_printed_back_without_comments_or_layout() {
        check(
            "a.js",
            "// hi\nimport { a } from './a.js';\nexport const b = a?.c ?? 1; /* x */\n",
            Some("import{a}from\"./a.js\";export const b=a?.c??1;"),
        );
        // What a token-level minifier breaks: ASI after return, unary signs, `/` in a class.
        check(
            "a.js",
            "function f(x, y) {\n  return\n  x - -y;\n}\nconst r = /[/]\\//g;\n",
            Some("function f(x,y){return;x- -y}const r=/[/]\\//g;"),
        );
        check("a.js", "const t = `a  ${`b ${1} // c`}  d`;\n", Some("const t=`a  ${`b ${1} // c`}  d`;"));
        // A script that does not parse goes out as written, for the browser to report.
        check("a.js", "export const = 1;", None);
        check("index.html", "<!doctype html>\n<p>  a  </p>\n", None);
    }
}
