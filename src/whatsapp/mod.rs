//! The edge towards Meta's WhatsApp Business Cloud API: checking that a
//! webhook POST really comes from Meta, turning its JSON into domain types,
//! and building bodies of the same shape for tests and load tools.
//!
//! Invariant kept here: nothing from Meta reaches the rest of Loket
//! unchecked. The signature is verified over the raw bytes before anything
//! is parsed, and the parser yields only domain types (`crate::domain`) with
//! validated identifiers; whatever it cannot make sense of becomes a line in
//! `WebhookBatch::skipped`, never a panic and never half-filled data.

pub mod client;
pub mod fake_graph;
pub mod payload;
pub mod signature;
pub mod webhook;
