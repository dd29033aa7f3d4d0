//! Integration tests: the real service over HTTP with a fresh SQLite file
//! and a loopback fake of Meta's Graph API.

mod abuse;
mod acknowledgements;
mod browser;
mod delivery;
mod faq;
mod gaps;
mod helpers;
mod knowledge_quality;
mod loadgen;
mod metrics;
mod privacy;
mod queue;
mod retention;
mod send_limits;
mod webhook;
mod webhook_properties;
