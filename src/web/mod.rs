//! HTTP routes: thin handlers over the library. Each handler parses the
//! request, calls one domain or store function and maps the result to a
//! status code.

pub mod api;
pub mod auth;
pub mod client;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod report_page; // the reports page (src/web/staff/rapport.*)
pub mod request_id;
pub mod sso; // single sign-on: /staff/sso/start and /staff/sso/callback
pub mod staff_page; // the staff page (src/web/staff/)
pub mod webhook;
pub mod widget; // the website chat widget: /widget.js, /widget/...

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Store;
use crate::knowledge::watch::SharedKnowledge;
use crate::queue::events::EventHub;
use actix_web::web;
use std::sync::Arc;
use tokio::sync::Notify;

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    /// Wakes the message processor after a webhook stored something.
    pub wake_processor: Arc<Notify>,
    /// Wakes the outbox after staff wrote something.
    pub wake_outbox: Arc<Notify>,
    /// Wakes the media fetcher: a stored message carries a file.
    pub wake_fetcher: Arc<Notify>,
    /// Live queue updates for the staff page.
    pub events: EventHub,
    /// The served knowledge base (staff search it for reply drafts).
    pub knowledge: SharedKnowledge,
    /// Cancelled first at shutdown, so open event streams end and the
    /// server does not wait for them.
    pub streams: tokio_util::sync::CancellationToken,
    /// Counters the handlers bump; served on `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// (session token hash, conversation) pairs whose personal data the
    /// staff member revealed: shown unmasked for the rest of that login
    /// without a new audit entry per reload.
    pub revealed: Arc<std::sync::Mutex<std::collections::HashSet<(String, i64)>>>,
    /// (session token hash, conversation) pairs whose reading outside
    /// the staff member's work is in the audit log already: one entry
    /// per login, not one per reload.
    pub read_audited: Arc<std::sync::Mutex<std::collections::HashSet<(String, i64)>>>,
    /// Token hashes of sessions that just ended (logout): their event
    /// streams stop at once instead of at the next keep-alive check.
    pub ended_sessions: tokio::sync::broadcast::Sender<String>,
    /// Stores webhook batches with group commit.
    pub intake: crate::intake::Intake,
    /// Single sign-on (`[sso]`); `None`: passwords only.
    pub sso: Option<Arc<crate::accounts::sso::Sso>>,
    /// The website chat's rate limits.
    pub webchat_limits: Arc<crate::webchat::Limits>,
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    staff_page::configure(cfg); // the staff page: /, /staff and its assets
    report_page::configure(cfg); // the reports page: /staff/rapport
    sso::configure(cfg);
    widget::configure(cfg);
    cfg.service(
        web::resource("/webhooks/whatsapp")
            .app_data(web::PayloadConfig::new(max_body_bytes))
            .route(web::get().to(webhook::verify))
            .route(web::post().to(webhook::receive))
            .wrap(actix_web::middleware::from_fn(request_id::webhook)),
    )
    .configure(api::configure)
    .route("/healthz", web::get().to(health::alive))
    .route("/readyz", web::get().to(health::ready))
    .route("/metrics", web::get().to(metrics::scrape));
}
