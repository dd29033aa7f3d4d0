//! Everything that speaks WhatsApp Business Cloud API (Meta's Graph API):
//! the outbound client that sends our replies, the log transport used when
//! no credentials are configured, and a fake Graph API server for tests and
//! load runs. Raw Meta JSON shapes stay inside this module; the rest of the
//! crate sees only `crate::domain` types.

pub mod client;
pub mod fake_graph;
