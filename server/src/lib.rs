//! The Lapp server.
pub mod engine;
