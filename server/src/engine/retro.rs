//! STUB: to be replaced by the engine.
use lapp_protocol::RetroConfig;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retro {
    config: RetroConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RetroEvent {
    Opened,
}

impl Retro {
    pub fn new(config: RetroConfig) -> Retro {
        Retro { config }
    }
}
