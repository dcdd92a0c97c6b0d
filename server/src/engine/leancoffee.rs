//! STUB: to be replaced by the engine.
use lapp_protocol::LeanCoffeeConfig;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeanCoffee {
    config: LeanCoffeeConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LeanCoffeeEvent {
    Opened,
}

impl LeanCoffee {
    pub fn new(config: LeanCoffeeConfig) -> LeanCoffee {
        LeanCoffee { config }
    }
}
