//! Routes without a login: availability (for a website's chat button).
//! It says nothing about a citizen. (The OpenAPI document, the other
//! public route, is in `doc`.)

use crate::web::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Whether someone can answer now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Availability {
    /// Within opening hours.
    pub open: bool,
    /// Staff and admins with the staff page open (editors do not answer chats).
    pub staff_online: usize,
    /// When the office opens next; `null` while it is open.
    pub next_opening: Option<DateTime<Utc>>,
}

/// Whether someone can answer now (public, for a website's chat button).
#[utoipa::path(get, path = "/api/availability", tag = "public", responses((status = 200, description = "Now",
    body = Availability, headers(("Access-Control-Allow-Origin" = String, description = "`*`: any website may ask")))))]
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
        .json(Availability {
            open: hours.is_open(now),
            staff_online: online,
            next_opening: hours.next_opening(now),
        })
}
