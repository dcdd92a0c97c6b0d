//! STUB: to be replaced by the method.
use lapp_protocol::{ActivityExport, ErrorCode, LeanCoffeeMsg, Phase, Pid, Progress, Role, View};
use rand::Rng;

use super::{Hall, Item, Method, Named, Position};
use crate::actor::Fanout;
use crate::engine::Refusal;
pub use crate::engine::leancoffee::{LeanCoffee, LeanCoffeeEvent};
use crate::session::Sender;

fn todo() -> Refusal {
    Refusal::new(ErrorCode::WrongPhase, "not yet")
}

impl Method for LeanCoffee {
    type Event = LeanCoffeeEvent;
    type Msg = LeanCoffeeMsg;

    fn decide(
        &self,
        _: &Hall<'_>,
        _: Sender,
        _: &LeanCoffeeMsg,
        _: &mut impl Rng,
    ) -> Result<Vec<LeanCoffeeEvent>, Refusal> {
        Err(todo())
    }
    fn apply(&mut self, _: &LeanCoffeeEvent) {}
    fn next_phase(&self, _: &Hall<'_>, _: &mut impl Rng) -> Result<LeanCoffeeEvent, Refusal> {
        Err(todo())
    }
    fn step_back(&self) -> Result<LeanCoffeeEvent, Refusal> {
        Err(todo())
    }
    fn position(&self) -> Position {
        Position { phase: Phase::Lobby, round: None, level: None }
    }
    fn late_arrival(&self, _: &Hall<'_>, _: Pid) -> Option<LeanCoffeeEvent> {
        None
    }
    fn author(&self, _: Item) -> Option<Pid> {
        None
    }
    fn hide_author(&self, _: Pid) -> Vec<LeanCoffeeEvent> {
        Vec::new()
    }
    fn named(&self, _: Option<Pid>, _: &LeanCoffeeMsg, _: &[LeanCoffeeEvent]) -> Named {
        Named::default()
    }
    fn progress(&self, _: &Hall<'_>, _: &mut Progress) {}
    fn view(&self, _: &Hall<'_>, _: Role, _: Option<Pid>, _: &mut View) {}
    fn export(&self, _: &Hall<'_>, _: &mut ActivityExport) {}
    fn announce(&self, _: &Hall<'_>, _: &LeanCoffeeEvent, _: Vec<Pid>, _: &mut Fanout<'_>) {}
    fn show_afresh(&self, _: &Hall<'_>, _: &mut Fanout<'_>) {}
}

pub fn outcome(_: &LeanCoffee, _: &Hall<'_>, _: bool, _: &mut Vec<crate::followup::Block>) {}
