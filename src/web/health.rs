//! `/healthz` (the process answers) and `/readyz` (the database answers).

use super::AppState;
use actix_web::{HttpResponse, web};

/// Alive: the process serves HTTP.
pub async fn alive() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// Ready: the database answers a query.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready"),
        Err(error) => {
            tracing::error!(error = %error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("database unavailable")
        }
    }
}
