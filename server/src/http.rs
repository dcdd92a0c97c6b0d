//! The HTTP side: the router, session creation, health, and the WebSocket upgrade.

use axum::extract::rejection::JsonRejection;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Path, Query};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lapp_protocol::limits::{MAX_FRAME_BYTES, SECRET_HEX_CHARS};
use lapp_protocol::{
    CreateSession, ErrorCode, HttpError, JoinCode, SessionCreated, SessionSummary, SessionUrls,
};
use rand::Rng;
use subtle::ConstantTimeEq;

use crate::actor::SessionHandle;
use crate::owner::Missing;
use crate::secret::{Secret, SecretHash};
use crate::session::Session;
use crate::store::{SessionRecord, StoreError};
use crate::{AppState, web};

/// Largest request body the API reads.
const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let named = state.clone();
    Router::new()
        .route("/ws", get(upgrade))
        .route("/api/sessions", post(create_session))
        .route("/api/sessions/{code}", get(session_summary).delete(delete_session))
        .route("/api/sessions/{code}/export", get(export_session))
        .route("/api/sessions/{code}/qr.svg", get(web::qr))
        .route("/api/sessions/{code}/summary", get(crate::followup::summary))
        .route(
            "/api/sessions/{code}/follow-up/{token}",
            get(crate::followup::show).post(crate::followup::set_status),
        )
        .route("/api/sessions/{code}/follow-up/{token}/calendar.ics", get(crate::followup::calendar))
        .route("/api/about", get(about))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(crate::metrics::render))
        .route("/", get(web::page))
        .route("/j/{code}", get(web::page))
        .route("/f/{code}", get(web::page))
        .route("/a/{code}", get(web::page))
        .route("/screen/{code}", get(web::page))
        .route("/privacy", get(web::page))
        .route("/assets/{*path}", get(web::asset))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(web::security_headers))
        .layer(axum::middleware::from_fn_with_state(named, node_header))
        .with_state(state)
}

/// Names this node in every response (`x-lapp-node`, with `--node`), so an operator can see
/// which node behind the proxy answered.
async fn node_header(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    if let Some(node) = &state.node {
        response.headers_mut().insert(HeaderName::from_static("x-lapp-node"), node.clone());
    }
    response
}

/// Where people reach this server: `--public-url`, else the address the request came to.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    match &state.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host =
                headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("127.0.0.1:8080");
            format!("http://{host}")
        }
    }
}

/// The address a request comes from: its peer's, or, when the peer is a trusted proxy, the
/// nearest address before the trusted proxies in `Forwarded` (its `for=`) or, without that
/// header, `X-Forwarded-For`. From an untrusted peer both headers are ignored: anyone can
/// write them.
pub fn client_address(trusted: &[ipnet::IpNet], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    let values = |name| headers.get_all(name).into_iter().filter_map(|value| value.to_str().ok());
    let mut chain: Vec<IpAddr> = values(header::FORWARDED)
        .flat_map(|value| value.split([',', ';']))
        .filter_map(|pair| {
            let (key, node) = pair.trim().split_once('=')?;
            key.eq_ignore_ascii_case("for").then(|| forwarded_node(node)).flatten()
        })
        .collect();
    if chain.is_empty() {
        chain = values(HeaderName::from_static("x-forwarded-for"))
            .flat_map(|value| value.split(','))
            .filter_map(forwarded_node)
            .collect();
    }
    chain.iter().rev().find(|address| !is_trusted(address)).or(chain.first()).copied().unwrap_or(peer)
}

/// One address of a forwarding header: `192.0.2.60`, `"[2001:db8::17]:4711"`, `192.0.2.60:80`.
fn forwarded_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|address| address.ip()))
        .or_else(|| node.strip_prefix('[')?.split(']').next()?.parse().ok())
}

#[derive(Debug, serde::Deserialize)]
struct WsQuery {
    code: Option<String>,
}

async fn upgrade(
    upgrade: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
) -> Response {
    // The code in the address is for a proxy to route on (several nodes); the join names it too.
    let url_code = match query.code.as_deref().map(str::parse::<JoinCode>).transpose() {
        Ok(code) => code,
        Err(_) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::UnknownSession,
                "code must be 6 digits",
            )
            .into_response();
        }
    };
    let peer = client_address(&state.trusted_proxies, peer.ip(), &headers);
    let limit = match state.limits.limits_address(peer) {
        true => state.limits.connections_per_address,
        false => u32::MAX,
    };
    let Some(slot) = state.connections.open(peer, limit) else {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many connections from your address",
        )
        .into_response();
    };
    // Frames are small JSON: buffers sized for them, not tungstenite's 128 KiB defaults. A
    // phone's frames are mostly under 200 bytes; a larger one is read in a few pieces. Kept in
    // step with the load driver's bare baseline server.
    // Frames a little over the protocol limit are read so they can be answered `too_large`;
    // far larger ones end the connection.
    upgrade
        .read_buffer_size(512)
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(256 * 1024)
        .max_message_size(MAX_FRAME_BYTES * 4)
        .max_frame_size(MAX_FRAME_BYTES * 4)
        .on_upgrade(move |socket| {
            let tracker = state.tracker.clone();
            tracker.track_future(crate::connection::serve(socket, state, peer, slot, url_code))
        })
}

pub struct ApiError {
    status: StatusCode,
    body: HttpError,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { status, body: HttpError { code, message: message.into() } }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = self.status == StatusCode::SERVICE_UNAVAILABLE;
        let mut response = (self.status, Json(self.body)).into_response();
        if retry {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

async fn create_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<CreateSession>, JsonRejection>,
) -> Result<(StatusCode, Json<SessionCreated>), ApiError> {
    if let Some(token) = &state.create_token {
        let offered = bearer(&headers).unwrap_or("");
        if !bool::from(offered.as_bytes().ct_eq(token.as_bytes())) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "creating sessions here needs the creation token (Authorization: Bearer)",
            ));
        }
    }
    let peer = client_address(&state.trusted_proxies, peer.ip(), &headers);
    let Json(request) = body.map_err(|rejection| {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadJson, rejection.body_text())
    })?;
    request
        .validate()
        .map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadJson, message))?;
    let hour = std::time::Duration::from_secs(3_600);
    if state.limits.limits_address(peer)
        && !state.sessions_created.allow(peer, state.limits.sessions_per_address_per_hour, hour)
    {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many sessions created from your address this hour",
        ));
    }

    let key = Secret::generate(&mut rand::rng());
    debug_assert_eq!(key.to_hex().len(), SECRET_HEX_CHARS);
    let internal = |message: &'static str| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, message)
    };
    // A code is drawn until one is free; the store refuses a code it already has, so two
    // requests drawing the same code at once cannot both get it.
    let mut tries = 0;
    let code = loop {
        tries += 1;
        if tries > 100 {
            return Err(internal("no free session code; try again later"));
        }
        let code = JoinCode::from_number(rand::rng().random_range(0..1_000_000))
            .ok_or_else(|| internal("could not draw a code"))?;
        let record = SessionRecord {
            code,
            title: request.title.trim().to_owned(),
            key: SecretHash::of(&key),
            agenda: request.agenda.clone(),
            created_at_ms: crate::now_ms(),
            language: request.language,
            names: request.names,
        };
        let store = state.store.clone();
        let stored_record = record.clone();
        // SQLite blocks; a blocking thread keeps the runtime's workers free.
        let created = tokio::task::spawn_blocking(move || store.create(&stored_record))
            .await
            .map_err(|_| internal("could not store the session"))?;
        match created {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => continue,
            Err(err) => {
                tracing::error!(%err, "could not store a new session");
                return Err(internal("could not store the session"));
            }
        }
        // With a shared store, the node the proxy routes the session's clients to starts it.
        if !state.store.shared() {
            crate::owner::start(&state, Session::new(record), tokio_util::sync::CancellationToken::new());
        }
        break code;
    };
    tracing::info!(%code, activities = request.agenda.len(), "session created");

    let base = base_url(&state, &headers);
    let key = key.to_hex();
    let urls = SessionUrls {
        participant: format!("{base}/j/{code}"),
        facilitator: format!("{base}/f/{code}#key={key}"),
        screen: format!("{base}/screen/{code}"),
    };
    Ok((StatusCode::CREATED, Json(SessionCreated { code, key, urls })))
}

/// The session named in the path, if the request carries its key as `Bearer`.
pub async fn authorized(
    state: &AppState,
    address: IpAddr,
    code: &str,
    headers: &HeaderMap,
) -> Result<(JoinCode, SessionHandle), ApiError> {
    let (code, handle) = find_session(state, address, code).await?;
    if !handle.key_matches(bearer(headers).unwrap_or("")) {
        failed_lookup(state, address);
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "the facilitator key is missing or wrong",
        ));
    }
    Ok((code, handle))
}

#[derive(Debug, serde::Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

async fn export_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(query): Query<ExportQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let peer = client_address(&state.trusted_proxies, peer.ip(), &headers);
    let (code, handle) = authorized(&state, peer, &code, &headers).await?;
    let unavailable = || {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Internal, "the session is not available")
    };
    match query.format.as_deref().unwrap_or("json") {
        "json" => {
            let export = handle.export().await.ok_or_else(unavailable)?;
            let disposition = format!("attachment; filename=\"lapp-{code}.json\"");
            Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(export)).into_response())
        }
        "csv" => {
            let export = handle.export().await.ok_or_else(unavailable)?;
            let body = crate::export::to_csv(&export).map_err(|err| {
                tracing::error!(%err, "could not write CSV");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "could not write the CSV",
                )
            })?;
            let disposition = format!("attachment; filename=\"lapp-{code}.csv\"");
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                body,
            )
                .into_response())
        }
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadJson,
            format!("format must be json or csv, not {other:?}"),
        )),
    }
}

/// What a phone shows before its owner joins: the session's title and language. An unknown
/// code counts as a failed join of the address, as a `join` with it would.
async fn session_summary(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Json<SessionSummary>, ApiError> {
    let peer = client_address(&state.trusted_proxies, peer.ip(), &headers);
    let (_, handle) = find_session(&state, peer, &code).await?;
    Ok(Json(handle.summary().clone()))
}

/// The session of `code`, for a request from `address`. An unknown code counts as a failed
/// join of the address, whichever way it was asked (a `join`, the title, the QR code, an
/// export), so no way of learning whether a code exists is unlimited; past the limit every
/// lookup from the address is refused for the rest of the minute.
pub async fn find_session(
    state: &AppState,
    address: IpAddr,
    code: &str,
) -> Result<(JoinCode, SessionHandle), ApiError> {
    let (limit, minute) = failed_join_limit(state, address);
    if state.failed_joins.exceeded(address, limit, minute) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many failed joins; wait a minute",
        ));
    }
    let unknown = || {
        failed_lookup(state, address);
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::UnknownSession, format!("no session {code:?}"))
    };
    let code = code.parse::<JoinCode>().map_err(|_| unknown())?;
    match crate::owner::find(state, code).await {
        Ok(handle) => Ok((code, handle)),
        Err(Missing::Unknown) => Err(unknown()),
        Err(Missing::Elsewhere) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Elsewhere,
            "another node serves this session right now; try again in a moment",
        )),
        Err(Missing::Failed) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal,
            "the session could not be loaded; try again in a moment",
        )),
    }
}

/// Counts a failed join (an unknown code, a wrong key) against `address`.
pub fn failed_lookup(state: &AppState, address: IpAddr) {
    let (limit, minute) = failed_join_limit(state, address);
    state.failed_joins.allow(address, limit, minute);
}

fn failed_join_limit(state: &AppState, address: IpAddr) -> (u32, std::time::Duration) {
    let limit = match state.limits.limits_address(address) {
        true => state.limits.failed_joins_per_address_per_minute,
        false => u32::MAX,
    };
    (limit, std::time::Duration::from_secs(60))
}

/// The `Bearer` credential of a request, if it has one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, credential)| credential.trim())
}

/// What the web client needs to know of this server: how long data is kept and whom to ask
/// about it (the privacy page), whether creating a session needs a token, the client version.
async fn about(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "retention_days": state.retention.as_secs() / 86_400,
        "privacy_contact": state.privacy_contact.as_deref(),
        "create_token": state.create_token.is_some(),
        "version": &*state.client_version,
    }))
}

async fn delete_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let peer = client_address(&state.trusted_proxies, peer.ip(), &headers);
    let (code, handle) = authorized(&state, peer, &code, &headers).await?;
    crate::delete_session(&state, code, &handle).await.map_err(|err| {
        tracing::error!(%err, %code, "could not delete a session");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "could not delete the session")
    })?;
    Ok(StatusCode::NO_CONTENT)
}
