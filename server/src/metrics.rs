//! What operators see at `/metrics` (Prometheus text format): connections, sessions, frames
//! in and out by type, errors by code, acknowledgement and store-commit latency, clients
//! closed for being too slow.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const CONNECTIONS: &str = "lapp_connections";
pub const SESSIONS: &str = "lapp_sessions";
pub const FRAMES_IN: &str = "lapp_frames_in_total";
pub const FRAMES_OUT: &str = "lapp_frames_out_total";
pub const ERRORS: &str = "lapp_errors_total";
pub const ACK_SECONDS: &str = "lapp_ack_seconds";
pub const COMMIT_SECONDS: &str = "lapp_store_commit_seconds";
pub const CLOSED_TOO_SLOW: &str = "lapp_closed_too_slow_total";
pub const SESSIONS_TAKEN: &str = "lapp_sessions_taken_total";
pub const SESSIONS_LOST: &str = "lapp_sessions_lost_total";

/// The process-wide recorder, installed once however many servers a process runs (tests
/// run many).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0];
        let recorder = PrometheusBuilder::new()
            .set_buckets(&buckets)
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may be installed already (a host application's); ours then renders
        // only what it sees, which is nothing, rather than taking the process down.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        describe();
        start_at_zero();
        handle
    })
}

fn describe() {
    metrics::describe_gauge!(CONNECTIONS, "WebSocket connections open");
    metrics::describe_gauge!(SESSIONS, "sessions with a running actor");
    metrics::describe_counter!(FRAMES_IN, "frames received, by type");
    metrics::describe_counter!(FRAMES_OUT, "frames sent, by type");
    metrics::describe_counter!(ERRORS, "error frames sent, by code");
    metrics::describe_histogram!(ACK_SECONDS, "request received to its ack queued, in seconds");
    metrics::describe_histogram!(COMMIT_SECONDS, "one batch written to the store, in seconds");
    metrics::describe_counter!(CLOSED_TOO_SLOW, "connections closed for not reading (4004)");
    metrics::describe_counter!(SESSIONS_TAKEN, "sessions this node started serving from a shared store");
    metrics::describe_counter!(
        SESSIONS_LOST,
        "sessions this node stopped serving: another node writes them now"
    );
}

/// Every series exists from the start, at 0, so dashboards and alerts set up before the first
/// hall see them (a series appears in Prometheus only once it has been touched).
fn start_at_zero() {
    metrics::gauge!(CONNECTIONS).set(0.0);
    metrics::gauge!(SESSIONS).set(0.0);
    for kind in lapp_protocol::client_types().chain(["invalid"]) {
        metrics::counter!(FRAMES_IN, "type" => kind).increment(0);
    }
    for kind in lapp_protocol::SERVER_TYPES {
        metrics::counter!(FRAMES_OUT, "type" => kind).increment(0);
    }
    for code in lapp_protocol::ErrorCode::ALL {
        metrics::counter!(ERRORS, "code" => code.as_str()).increment(0);
    }
    metrics::counter!(CLOSED_TOO_SLOW).increment(0);
    metrics::counter!(SESSIONS_TAKEN).increment(0);
    metrics::counter!(SESSIONS_LOST).increment(0);
    // A registered histogram renders with empty buckets until its first sample.
    let _registered = (metrics::histogram!(ACK_SECONDS), metrics::histogram!(COMMIT_SECONDS));
}

pub fn record_duration(name: &'static str, duration: Duration) {
    metrics::histogram!(name).record(duration.as_secs_f64());
}

pub async fn render() -> String {
    handle().render()
}
