//! One WebSocket connection: a reader that decodes frames and passes requests to the session
//! actor, and a writer that drains the connection's bounded outbound queue. When either ends
//! the other is stopped, and a guard tells the actor the connection left.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use lapp_protocol::{ClientFrame, ClientMsg, ErrorCode, JoinCode, Role, ServerMsg};
use tokio::sync::{mpsc, oneshot};

use std::net::IpAddr;

use tracing::Instrument;

use crate::AppState;
use crate::abuse::{Budget, ConnectionSlot};
use crate::actor::{ConnId, SessionHandle, ToActor};
use crate::outbox::{Closer, Outbox, close};
use crate::owner::Missing;

/// How long a close frame may take to leave before the socket is simply dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Serves one upgraded socket from `peer`; `slot` holds its place in the per-address count.
/// `url_code` is the join code in the address (`/ws?code=…`), which a proxy routes on; the
/// `join` must then name the same.
pub async fn serve(
    socket: WebSocket,
    state: AppState,
    peer: IpAddr,
    slot: ConnectionSlot,
    url_code: Option<JoinCode>,
) {
    let (sink, stream) = socket.split();
    // No address in the span: logs keep no personal data, at any level.
    let span = tracing::debug_span!("connection");
    serve_halves(sink, stream, state, peer, url_code).instrument(span).await;
    drop(slot);
}

/// The connection over any sink and stream of messages, so it can be driven without a socket.
pub async fn serve_halves<W, R, E>(
    sink: W,
    stream: R,
    state: AppState,
    peer: IpAddr,
    url_code: Option<JoinCode>,
) where
    W: Sink<Message> + Unpin + Send + 'static,
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: std::error::Error + 'static,
{
    let conn = ConnId::next();
    metrics::gauge!(crate::metrics::CONNECTIONS).increment(1.0);
    let closer = Arc::new(Closer::new(state.shutdown.child_token()));
    let (frames_tx, frames_rx) = mpsc::channel(state.limits.outbox_frames);
    let outbox = Outbox::new(frames_tx, Arc::clone(&closer));
    let writer = tokio::spawn(write_frames(sink, frames_rx, Arc::clone(&closer), state.limits.ping_interval));
    read_frames(stream, conn, &outbox, &closer, &state, peer, url_code).await;
    closer.close(close::NORMAL);
    // The writer ends once every sender of its queue is gone: this one, and the session's,
    // which it drops on hearing the connection left. If it panicked there is nothing left to
    // clean.
    drop(outbox);
    let _ended = writer.await;
    metrics::gauge!(crate::metrics::CONNECTIONS).decrement(1.0);
}

/// Tells the session the connection left, however the reader ends.
struct Membership {
    session: SessionHandle,
    conn: ConnId,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.session.leave(self.conn);
    }
}

fn error_frame(rid: Option<u64>, code: ErrorCode, message: impl Into<String>) -> Utf8Bytes {
    metrics::counter!(crate::metrics::ERRORS, "code" => code.as_str()).increment(1);
    metrics::counter!(crate::metrics::FRAMES_OUT, "type" => "error").increment(1);
    Utf8Bytes::from(ServerMsg::error(rid, code, message).encode())
}

async fn read_frames<R, E>(
    mut stream: R,
    conn: ConnId,
    outbox: &Outbox,
    closer: &Closer,
    state: &AppState,
    peer: IpAddr,
    url_code: Option<JoinCode>,
) where
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: std::error::Error + 'static,
{
    let join_deadline = tokio::time::sleep(state.limits.join_timeout);
    tokio::pin!(join_deadline);
    // The writer pings a quiet client; one that answers nothing for this long is gone (a
    // phone that lost its network), and must not be handed cards meanwhile.
    let silence = tokio::time::sleep(state.limits.silence_timeout);
    tokio::pin!(silence);
    let mut membership: Option<Membership> = None;
    let mut budget = Budget::new(state.limits.messages_per_second, state.limits.message_burst);
    let mut refused_in_a_row = 0;
    let minute = Duration::from_secs(60);
    loop {
        let message = tokio::select! {
            () = closer.token().cancelled() => break,
            () = &mut join_deadline, if membership.is_none() => {
                outbox.close(close::NO_JOIN);
                break;
            }
            () = &mut silence => {
                tracing::debug!("closing a connection that went silent");
                outbox.close(close::GOING_AWAY);
                break;
            }
            message = stream.next() => message,
        };
        silence.as_mut().reset(tokio::time::Instant::now() + state.limits.silence_timeout);
        if matches!(message, Some(Ok(Message::Text(_) | Message::Binary(_)))) && !budget.spend() {
            refused_in_a_row += 1;
            if refused_in_a_row > state.limits.max_refused_in_a_row {
                tracing::info!("closing a connection that kept sending too fast");
                outbox.close(close::POLICY_VIOLATION);
                break;
            }
            let rid = match &message {
                Some(Ok(Message::Text(text))) => {
                    ClientFrame::decode(text.as_str()).ok().and_then(|frame| frame.rid)
                }
                _ => None,
            };
            outbox.send(error_frame(rid, ErrorCode::RateLimited, "too many messages; slow down"));
            continue;
        }
        refused_in_a_row = 0;
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                outbox.send(error_frame(None, ErrorCode::BadJson, "frames are JSON text, not binary"));
                continue;
            }
            // Pings are answered by the socket layer itself; pongs need nothing.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Err(err)) => {
                outbox.close(close_code_for(&err));
                break;
            }
            Some(Ok(Message::Close(_))) | None => break,
        };
        let frame = match ClientFrame::decode(text.as_str()) {
            Ok(frame) => {
                metrics::counter!(crate::metrics::FRAMES_IN, "type" => frame.msg.type_name()).increment(1);
                frame
            }
            Err(err) => {
                metrics::counter!(crate::metrics::FRAMES_IN, "type" => "invalid").increment(1);
                outbox.send(error_frame(err.rid, err.code, err.message));
                continue;
            }
        };
        match (frame.msg, &membership) {
            (ClientMsg::Ping {}, _) => {
                metrics::counter!(crate::metrics::FRAMES_OUT, "type" => "pong").increment(1);
                outbox.send(Utf8Bytes::from(ServerMsg::Pong {}.encode()));
            }
            (ClientMsg::Join(_), Some(_)) => {
                outbox.send(error_frame(
                    frame.rid,
                    ErrorCode::WrongPhase,
                    "this connection has already joined",
                ));
            }
            (ClientMsg::Join(join), None) => {
                let limit = match state.limits.limits_address(peer) {
                    true => state.limits.failed_joins_per_address_per_minute,
                    false => u32::MAX,
                };
                if state.failed_joins.exceeded(peer, limit, minute) {
                    outbox.send(error_frame(
                        frame.rid,
                        ErrorCode::RateLimited,
                        "too many failed joins; wait a minute",
                    ));
                    continue;
                }
                // Behind a proxy routing on the code, a client without it could land on any node
                // and pull the session away from the one its other clients reach.
                let routed = url_code.or(if state.store.shared() { None } else { Some(join.code) });
                if routed != Some(join.code) {
                    outbox.send(error_frame(
                        frame.rid,
                        ErrorCode::UnknownSession,
                        "the join's code must be the one in the address (/ws?code=…)",
                    ));
                    continue;
                }
                let session = match crate::owner::find(state, join.code).await {
                    Ok(session) => session,
                    Err(Missing::Unknown) => {
                        state.failed_joins.allow(peer, limit, minute);
                        outbox.send(error_frame(
                            frame.rid,
                            ErrorCode::UnknownSession,
                            format!("no session {}", join.code),
                        ));
                        continue;
                    }
                    // Another node serves it, or the store could not say: come back in a moment.
                    Err(Missing::Elsewhere | Missing::Failed) => {
                        outbox.close(close::ELSEWHERE);
                        break;
                    }
                };
                // A new participant waits their turn: a hall arriving at once goes in at
                // `joins_per_second`, and a flood is still queued when the facilitator locks.
                if join.role == Role::Participant && join.resume.is_none() {
                    let Some(turn) = session.newcomer_turn(state.limits.join_queue_patience) else {
                        outbox.send(error_frame(
                            frame.rid,
                            ErrorCode::RateLimited,
                            "too many people are joining this session right now; try again in a minute",
                        ));
                        continue;
                    };
                    tokio::select! {
                        () = closer.token().cancelled() => break,
                        () = tokio::time::sleep_until(turn) => {}
                    }
                }
                let (joined_tx, joined_rx) = oneshot::channel();
                let request =
                    ToActor::Join { conn, rid: frame.rid, join, outbox: outbox.clone(), joined: joined_tx };
                // Boxed: an idle connection's task should not carry room for a join it made once.
                if !Box::pin(session.send(request)).await {
                    // With a shared store the session may only have moved to another node: the
                    // client comes back and the lookup then says where, or that it is gone.
                    if state.store.shared() {
                        outbox.close(close::ELSEWHERE);
                        break;
                    }
                    outbox.send(error_frame(frame.rid, ErrorCode::UnknownSession, "this session has ended"));
                    continue;
                }
                match joined_rx.await {
                    Ok(Ok(())) => membership = Some(Membership { session, conn }),
                    // The right code of a session closed to newcomers is no guess: a hall behind
                    // one address, arriving after the lock, must not lock out its own resumes.
                    Ok(Err(ErrorCode::Locked)) => {}
                    Ok(Err(_)) => {
                        state.failed_joins.allow(peer, limit, minute);
                    }
                    // The actor stopped before it answered: this node lost the session.
                    Err(_) => {
                        outbox.close(close::ELSEWHERE);
                        break;
                    }
                }
            }
            (msg, None) => {
                tracing::debug!(request = msg.type_name(), "request before join");
                outbox.send(error_frame(frame.rid, ErrorCode::NotJoined, "send join first"));
            }
            (msg, Some(member)) => {
                let request =
                    ToActor::Request { conn, rid: frame.rid, msg, received: tokio::time::Instant::now() };
                if !Box::pin(member.session.send(request)).await {
                    if state.store.shared() {
                        outbox.close(close::ELSEWHERE);
                        break;
                    }
                    outbox.send(error_frame(frame.rid, ErrorCode::UnknownSession, "this session has ended"));
                    break;
                }
            }
        }
    }
}

/// The close code for a socket that failed to read: the WebSocket protocol's own codes for a
/// frame too big (1009), text that is not UTF-8 (1007) and a broken protocol (1002).
fn close_code_for(err: &(dyn std::error::Error + 'static)) -> u16 {
    use tokio_tungstenite::tungstenite::Error;
    let mut cause = Some(err);
    while let Some(err) = cause {
        match err.downcast_ref::<Error>() {
            Some(Error::Capacity(_)) => return close::MESSAGE_TOO_BIG,
            Some(Error::Utf8(_)) => return close::INVALID_DATA,
            Some(Error::Protocol(_)) => return close::PROTOCOL_ERROR,
            Some(_) => return close::NORMAL,
            None => cause = err.source(),
        }
    }
    close::NORMAL
}

/// Drains the outbound queue into the socket: every frame queued meanwhile is fed, then one
/// flush sends them together. Pings the client every `ping_every`, busy or not: its pong is
/// how the reader knows a client that only listens (a screen) is still there.
///
/// It ends when its queue has no sender left, which follows a close (the reader stops and the
/// session forgets the connection); a write that cannot finish also ends on the close itself.
/// An idle writer does not look at the close: in a round's hand-out every writer wakes at
/// once, and asking each one's cancellation token on every wake was a fifth of what a profile
/// found this server spending beyond the bare broadcast.
async fn write_frames<W>(
    mut sink: W,
    mut frames: mpsc::Receiver<Utf8Bytes>,
    closer: Arc<Closer>,
    ping_every: Duration,
) where
    W: Sink<Message> + Unpin,
{
    // The first ping comes at a random moment between half an interval and one and a half, so
    // that a hall that connected within seconds (after a restart, say) is not pinged all at
    // once, and does not answer all at once, every interval after.
    let first_ping = rand::random_range(ping_every / 2..=ping_every * 3 / 2);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + first_ping, ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let closed = closer.token().cancelled();
    tokio::pin!(closed);
    loop {
        let first = tokio::select! {
            biased;
            frame = frames.recv() => match frame {
                Some(frame) => Message::Text(frame),
                None => break,
            },
            _ = ping.tick() => Message::Ping(Default::default()),
        };
        let write = async {
            sink.feed(first).await?;
            while let Ok(frame) = frames.try_recv() {
                sink.feed(Message::Text(frame)).await?;
            }
            sink.flush().await
        };
        let written = tokio::select! {
            biased;
            written = write => written,
            () = &mut closed => break,
        };
        if written.is_err() {
            closer.close(close::NORMAL);
            return;
        }
    }
    // What was queued before the close (say, the error that explains it) still goes out, and
    // then the close frame; a peer that cannot take them in time is dropped without them.
    let farewell = async {
        while let Ok(frame) = frames.try_recv() {
            sink.feed(Message::Text(frame)).await?;
        }
        let close_frame = CloseFrame { code: closer.code(), reason: Utf8Bytes::from_static("") };
        sink.send(Message::Close(Some(close_frame))).await
    };
    let _sent = tokio::time::timeout(CLOSE_GRACE, farewell).await;
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::time::Instant;
    use tokio_util::sync::CancellationToken;

    use super::*;

    /// A hall that connected at one instant is pinged over a whole interval, not all at once,
    /// and each connection then every interval.
    #[tokio::test(start_paused = true)]
    async fn a_hall_connected_at_once_is_not_pinged_at_once() {
        let every = Duration::from_secs(20);
        let start = Instant::now();
        let pings = Arc::new(Mutex::new(Vec::new()));
        let mut queues = Vec::new();
        for writer in 0..50 {
            let pings = Arc::clone(&pings);
            let sink = futures_util::sink::unfold((), move |(), message: Message| {
                if matches!(message, Message::Ping(_)) {
                    pings.lock().expect("not poisoned").push((writer, Instant::now() - start));
                }
                async { Ok::<_, std::convert::Infallible>(()) }
            });
            let (queue, frames) = mpsc::channel(4);
            let closer = Arc::new(Closer::new(CancellationToken::new()));
            tokio::spawn(write_frames(Box::pin(sink), frames, closer, every));
            queues.push(queue);
        }
        tokio::time::sleep(every * 3 / 2 + every).await;
        let pings = pings.lock().expect("not poisoned").clone();
        let firsts: Vec<Duration> =
            (0..50).map(|writer| pings.iter().find(|(of, _)| *of == writer).expect("pinged").1).collect();
        assert!(firsts.iter().all(|first| (every / 2..=every * 3 / 2).contains(first)), "{firsts:?}");
        let earliest = firsts.iter().min().expect("50 writers");
        let latest = firsts.iter().max().expect("50 writers");
        assert!(*latest - *earliest >= every / 2, "50 first pings spread over a whole interval: {firsts:?}");
        for (writer, first) in firsts.iter().enumerate() {
            let second = pings.iter().filter(|(of, _)| *of == writer).nth(1).expect("pinged again").1;
            assert_eq!(second - *first, every, "then every interval");
        }
    }
}
