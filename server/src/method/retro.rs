//! STUB: to be replaced by the method.
use lapp_protocol::{ActivityExport, ErrorCode, Phase, Pid, Progress, RetroMsg, Role, View};
use rand::Rng;

use super::{Hall, Item, Method, Named, Position};
use crate::actor::Fanout;
use crate::engine::Refusal;
pub use crate::engine::retro::{Retro, RetroEvent};
use crate::session::Sender;

fn todo() -> Refusal {
    Refusal::new(ErrorCode::WrongPhase, "not yet")
}

impl Method for Retro {
    type Event = RetroEvent;
    type Msg = RetroMsg;

    fn decide(
        &self,
        _: &Hall<'_>,
        _: Sender,
        _: &RetroMsg,
        _: &mut impl Rng,
    ) -> Result<Vec<RetroEvent>, Refusal> {
        Err(todo())
    }
    fn apply(&mut self, _: &RetroEvent) {}
    fn next_phase(&self, _: &Hall<'_>, _: &mut impl Rng) -> Result<RetroEvent, Refusal> {
        Err(todo())
    }
    fn step_back(&self) -> Result<RetroEvent, Refusal> {
        Err(todo())
    }
    fn position(&self) -> Position {
        Position { phase: Phase::Lobby, round: None, level: None }
    }
    fn late_arrival(&self, _: &Hall<'_>, _: Pid) -> Option<RetroEvent> {
        None
    }
    fn author(&self, _: Item) -> Option<Pid> {
        None
    }
    fn hide_author(&self, _: Pid) -> Vec<RetroEvent> {
        Vec::new()
    }
    fn named(&self, _: Option<Pid>, _: &RetroMsg, _: &[RetroEvent]) -> Named {
        Named::default()
    }
    fn progress(&self, _: &Hall<'_>, _: &mut Progress) {}
    fn view(&self, _: &Hall<'_>, _: Role, _: Option<Pid>, _: &mut View) {}
    fn export(&self, _: &Hall<'_>, _: &mut ActivityExport) {}
    fn announce(&self, _: &Hall<'_>, _: &RetroEvent, _: Vec<Pid>, _: &mut Fanout<'_>) {}
    fn show_afresh(&self, _: &Hall<'_>, _: &mut Fanout<'_>) {}
}

pub fn outcome(_: &Retro, _: bool, _: &mut Vec<crate::followup::Block>) {}
