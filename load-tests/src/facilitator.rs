//! A room's facilitator, as every scenario plays it: sends what the conductor asks (every
//! room's `phase.next` at the same instant, the hall's worst case) and passes on what it hears.

use std::sync::Arc;
use std::time::Instant;

use lapp_protocol::{ClientFrame, ClientMsg, ErrorCode, Join, ServerMsg};
use tokio::sync::{Barrier, mpsc};

use crate::client::{Client, Connector, is_disconnect};
use crate::crash;

/// What the conductor asks of a room's facilitator.
#[derive(Debug, Clone, Copy)]
pub enum Command {
    /// Start the agenda's first activity.
    Start,
    PhaseNext,
    /// Close the session to new participants (`session.lock`). Answered on its own
    /// ([`Heard::Locked`]), even while another command waits for its answer, and not counted
    /// by the [`Desk`].
    Lock,
}

/// What a facilitator hears.
pub enum Heard {
    /// The answer to its last command: when that was sent, and why it was refused if it was.
    Answered { sent_at: Instant, refused: Option<(ErrorCode, String)> },
    /// The answer to `session.lock`: when that was sent, when the answer came, and why it was
    /// refused if it was.
    Locked { sent_at: Instant, answered_at: Instant, refused: Option<(ErrorCode, String)> },
    /// Any other frame, and when it came.
    Frame(ServerMsg, Instant),
    /// Its connection ended.
    Lost(String),
    /// It connected again after its connection ended; its `welcome`'s progress and
    /// leaderboard follow as frames.
    Back,
}

/// How a facilitator connects again when its connection ends (in a run with a crash); without
/// it, an ended connection ends the facilitator.
pub struct Rejoin {
    pub connector: Arc<Connector>,
    pub join: Join,
}

/// Plays the facilitator until the commands end or the connection does.
pub async fn facilitate(
    mut client: Client,
    mut commands: mpsc::UnboundedReceiver<Command>,
    barrier: Arc<Barrier>,
    rejoin: Option<Rejoin>,
    mut heard: impl FnMut(Heard),
) {
    let mut next_rid = 0;
    let mut waiting: Option<(u64, Instant)> = None;
    let mut locking: Option<(u64, Instant)> = None;
    loop {
        tokio::select! {
            command = commands.recv() => {
                let msg = match command {
                    None => break,
                    Some(Command::Lock) => {
                        next_rid += 1;
                        let sent_at = Instant::now();
                        let lock = ClientMsg::SessionLock { locked: true };
                        if let Err(err) = client.send(&ClientFrame::new(Some(next_rid), lock)).await {
                            return heard(Heard::Lost(format!("{err:#}")));
                        }
                        locking = Some((next_rid, sent_at));
                        continue;
                    }
                    Some(Command::Start) => ClientMsg::ActivityStart { index: 0, from: None },
                    Some(Command::PhaseNext) => {
                        barrier.wait().await;
                        ClientMsg::PhaseNext { from: None }
                    }
                };
                next_rid += 1;
                let sent_at = Instant::now();
                // A command lost with the connection is not sent again: the session may have
                // taken it, and a second `phase.next` would move the hall on twice.
                if let Err(err) = client.send(&ClientFrame::new(Some(next_rid), msg)).await {
                    return heard(Heard::Lost(format!("{err:#}")));
                }
                waiting = Some((next_rid, sent_at));
            }
            msg = client.recv() => {
                let at = Instant::now();
                match msg {
                    Err(err) => match &rejoin {
                        Some(rejoin) if waiting.is_none() && locking.is_none() && is_disconnect(&err) => {
                            match crash::reconnect(&rejoin.connector, rejoin.join.clone()).await {
                                Ok(back) => {
                                    client = back.client;
                                    heard(Heard::Back);
                                    let view = back.welcome.view;
                                    if let Some(progress) = view.progress {
                                        heard(Heard::Frame(ServerMsg::Progress(progress), back.at));
                                    }
                                    if let Some(board) = view.leaderboard {
                                        heard(Heard::Frame(ServerMsg::Leaderboard(board), back.at));
                                    }
                                }
                                Err(why) => return heard(Heard::Lost(format!("{err:#}; then {why}"))),
                            }
                        }
                        _ => return heard(Heard::Lost(format!("{err:#}"))),
                    },
                    Ok(ServerMsg::Ack { rid, .. }) if locking.is_some_and(|(sent, _)| sent == rid) => {
                        if let Some((_, sent_at)) = locking.take() {
                            heard(Heard::Locked { sent_at, answered_at: at, refused: None });
                        }
                    }
                    Ok(ServerMsg::Error { rid: Some(rid), code, message })
                        if locking.is_some_and(|(sent, _)| sent == rid) =>
                    {
                        if let Some((_, sent_at)) = locking.take() {
                            heard(Heard::Locked { sent_at, answered_at: at, refused: Some((code, message)) });
                        }
                    }
                    Ok(ServerMsg::Ack { rid, .. }) if waiting.is_some_and(|(waited, _)| waited == rid) => {
                        if let Some((_, sent_at)) = waiting.take() {
                            heard(Heard::Answered { sent_at, refused: None });
                        }
                    }
                    Ok(ServerMsg::Error { rid: Some(rid), code, message })
                        if waiting.is_some_and(|(waited, _)| waited == rid) =>
                    {
                        if let Some((_, sent_at)) = waiting.take() {
                            heard(Heard::Answered { sent_at, refused: Some((code, message)) });
                        }
                    }
                    Ok(msg) => heard(Heard::Frame(msg, at)),
                }
            }
        }
    }
    client.close().await;
}

/// A room's facilitator as the conductor holds it: where its commands go, and how many of
/// them it has answered.
pub struct Desk {
    /// Closed (`None`) once the activity is over, which lets the facilitator leave.
    commands: Option<mpsc::UnboundedSender<Command>>,
    sent: usize,
    answered: usize,
}

impl Desk {
    pub fn new(commands: mpsc::UnboundedSender<Command>) -> Desk {
        Desk { commands: Some(commands), sent: 0, answered: 0 }
    }

    /// Asks for `command`; false if the facilitator has gone.
    pub fn ask(&mut self, command: Command) -> bool {
        let sent = self.commands.as_ref().is_some_and(|commands| commands.send(command).is_ok());
        self.sent += usize::from(sent);
        sent
    }

    /// Has the facilitator lock the session at `at`, whatever else it is doing then; its
    /// answer comes as [`Heard::Locked`] and is not counted here.
    pub fn lock_at(&self, at: tokio::time::Instant) {
        let Some(commands) = self.commands.clone() else { return };
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            // A send fails only once the facilitator has gone.
            let _gone = commands.send(Command::Lock);
        });
    }

    pub fn answered(&mut self) {
        self.answered += 1;
    }

    pub fn caught_up(&self) -> bool {
        self.answered == self.sent
    }

    /// Closes the commands, which lets the facilitator leave.
    pub fn dismiss(&mut self) {
        self.commands = None;
    }
}
