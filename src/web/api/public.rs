//! Routes without a login: availability (for a website's chat button) and
//! the OpenAPI document. Neither says anything about a citizen.

use crate::web::AppState;
use actix_web::{HttpResponse, web};
use serde_json::json;

/// The OpenAPI 3.1 document of the staff API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /api/availability`
pub async fn availability(state: web::Data<AppState>) -> HttpResponse {
    let now = state.clock.now();
    let online = match state.store.staff_online(super::online_since(&state)).await {
        Ok(names) => names.len(),
        Err(error) => {
            tracing::error!(error = %error, "reading who is online failed");
            0
        }
    };
    let hours = &state.settings.hours;
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(json!({
            "open": hours.is_open(now),
            "staff_online": online,
            "next_opening": hours.next_opening(now),
        }))
}

/// `GET /api/openapi.json`
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
