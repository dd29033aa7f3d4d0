//! The edge towards Meta's WhatsApp Business Cloud API: checking that a
//! webhook POST really comes from Meta, turning its JSON into domain types,
//! and sending through the Graph API. (Bodies of Meta's shape for tests,
//! and a fake of the Graph API, are in the test kit, `loket-testkit`.)
//!
//! Invariant kept here: nothing from Meta reaches the rest of Loket
//! unchecked. The signature is verified over the raw bytes before anything
//! is parsed, and the parser yields only domain types (`crate::domain`) with
//! validated identifiers; whatever it cannot make sense of becomes a line in
//! `WebhookBatch::skipped`, never a panic and never half-filled data.

pub mod client;
pub mod media;
pub mod signature;
pub mod webhook;
