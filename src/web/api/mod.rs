//! The JSON API behind the staff page (and for other tools). Routes are
//! listed once, here; `openapi.json` documents the same list and a test
//! checks the two agree.

pub mod audit;
pub mod editors;
pub mod error;
pub mod events;
pub mod knowledge;
pub mod public;
pub mod queue;
pub mod report;
pub mod session;

use super::AppState;
use actix_web::web;

/// Staff who had the page open this recently count as online.
pub fn online_since(state: &AppState) -> chrono::DateTime<chrono::Utc> {
    state.clock.now() - chrono::Duration::minutes(2)
}

/// Every API route: (method, path). The OpenAPI test reads this list.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/session"),
    ("get", "/api/session"),
    ("delete", "/api/session"),
    ("get", "/api/queue"),
    ("get", "/api/conversations/{id}"),
    ("post", "/api/conversations/{id}/reveal"),
    ("post", "/api/conversations/{id}/claim"),
    ("post", "/api/conversations/{id}/release"),
    ("post", "/api/conversations/{id}/reply"),
    ("post", "/api/conversations/{id}/transfer"),
    ("post", "/api/conversations/{id}/close"),
    ("get", "/api/staff"),
    ("get", "/api/knowledge/search"),
    ("get", "/api/knowledge/gaps"),
    ("get", "/api/knowledge/usage"),
    ("get", "/api/knowledge/confusions"),
    ("get", "/api/events"),
    ("get", "/api/availability"),
    ("get", "/api/openapi.json"),
    ("get", "/api/audit"),
    ("get", "/api/report"),
];

/// Registers the API routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // JSON bodies here are small; refuse big ones early.
    let json = web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| error::ApiError::invalid(format!("Ongeldige JSON: {err}")).into());
    cfg.service(
        web::scope("/api")
            .app_data(json)
            .service(
                web::resource("/session")
                    .route(web::post().to(session::login))
                    .route(web::get().to(session::current))
                    .route(web::delete().to(session::logout)),
            )
            .route("/queue", web::get().to(queue::list))
            .route("/conversations/{id}", web::get().to(queue::show))
            .route("/conversations/{id}/reveal", web::post().to(queue::reveal))
            .route("/conversations/{id}/claim", web::post().to(queue::claim))
            .route(
                "/conversations/{id}/release",
                web::post().to(queue::release),
            )
            .route("/conversations/{id}/reply", web::post().to(queue::reply))
            .route(
                "/conversations/{id}/transfer",
                web::post().to(queue::transfer),
            )
            .route("/conversations/{id}/close", web::post().to(queue::close))
            .route("/staff", web::get().to(queue::colleagues))
            .route("/knowledge/search", web::get().to(knowledge::search))
            .route("/knowledge/gaps", web::get().to(editors::gaps))
            .route("/knowledge/usage", web::get().to(editors::usage))
            .route("/knowledge/confusions", web::get().to(editors::confusions))
            .route("/events", web::get().to(events::stream))
            .route("/availability", web::get().to(public::availability))
            .route("/openapi.json", web::get().to(public::openapi))
            .route("/audit", web::get().to(audit::list))
            .route("/report", web::get().to(report::show)),
    );
}
