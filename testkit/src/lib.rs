//! Test tools for Loket, in a crate of their own so that the server binary
//! carries none of them (ADR 0019):
//!
//! - [`fake_graph`]: a loopback fake of Meta's Graph API messages endpoint
//!   for tests and the load tool (ADR 0009);
//! - [`payload`]: webhook bodies shaped like Meta's, byte for byte;
//! - [`loadgen`]: the load generator behind the `loket-loadgen` binary,
//!   which drives a whole service with signed webhook traffic and counts
//!   the replies at the fake Graph API.
//!
//! The server crate uses this one only as a dev-dependency (its
//! integration tests, benches and examples).

mod client;
pub mod fake_graph;
pub mod loadgen;
pub mod payload;
