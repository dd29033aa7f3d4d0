//! Loket: WhatsApp webcare for Dutch public services.
//!
//! How a message flows:
//! 1. `web::webhook` checks Meta's signature over the raw bytes, parses the
//!    batch with `whatsapp::webhook` and stores it with `db::Store` before
//!    answering 200 (a redelivered message is stored once).
//! 2. `processing` takes stored messages in order and runs the pure
//!    `reply::decide` (opening hours from `hours`, texts from `config`),
//!    writing the conversation and the outbox rows in one transaction.
//! 3. `outbox` sends the rows through `whatsapp::client` with retries,
//!    within Meta's limits (`send_limits`).
//!
//! `startup` wires these together; `cli` exposes the same code as commands.

pub mod accounts;
pub mod alert;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod editors;
pub mod fetcher;
pub mod hours;
pub mod intake;
pub mod knowledge;
pub mod media;
pub mod metrics;
pub mod outbox;
pub mod privacy;
pub mod processing;
pub mod queue;
pub mod rate_limit;
pub mod reply;
pub mod report;
pub mod retention;
pub mod send_limits;
pub mod startup;
pub mod telemetry;
pub mod web;
pub mod webchat;
pub mod whatsapp;
