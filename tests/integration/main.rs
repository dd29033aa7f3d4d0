//! Integration tests: the real service over HTTP with a fresh SQLite file
//! and a loopback fake of Meta's Graph API.

#[macro_use]
mod helpers;

mod abuse;
mod acknowledgements;
mod browser;
mod compose;
mod context;
mod delivery;
mod faq;
mod gaps;
mod graph_client;
mod intake;
mod keys_browser;
mod knowledge_quality;
mod loadgen;
mod media;
mod media_send;
mod metrics;
mod mfa;
mod privacy;
mod processing;
mod proxies;
mod public_ids;
mod queue;
mod report;
mod report_browser;
mod report_page;
mod retention;
mod rights;
mod scale_out;
mod security;
mod send_limits;
mod signals;
mod sso;
mod usage;
mod webchat;
mod webhook;
mod webhook_properties;
mod widget_browser;
