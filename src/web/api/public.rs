//! Routes without a login: availability (for a website's chat button and
//! the chat widget). It says nothing about a citizen, and nothing about
//! staff but whether anyone can answer: not how many are online (issue
//! 24). (The OpenAPI document, the other public route, is in `doc`.)

use crate::web::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Whether someone can answer now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Availability {
    /// Within opening hours.
    pub open: bool,
    /// Open, and someone who answers chats (staff or admin, not editors)
    /// has the staff page open: the widget offers live chat.
    pub online: bool,
    /// The median wait of the conversations people took from the queue in
    /// the last hour, in whole seconds; 0 when nobody waited ("geen
    /// wachttijd"). `null` when nobody is online.
    pub wait_seconds: Option<i64>,
    /// When the office opens next; `null` while it is open.
    pub next_opening: Option<DateTime<Utc>>,
    /// The organisation on WhatsApp (`https://wa.me/<number>`, from
    /// `[webchat] whatsapp_number`), for an answer on the phone; `null`
    /// when not set.
    pub whatsapp_url: Option<String>,
}

/// Whether someone can answer now (public, for a website's chat button).
#[utoipa::path(get, path = "/api/availability", tag = "public", responses((status = 200, description = "Now",
    body = Availability, headers(("Access-Control-Allow-Origin" = String, description = "`*`: any website may ask")))))]
pub async fn availability(state: web::Data<AppState>) -> HttpResponse {
    let now = state.clock.now();
    let hours = &state.settings.hours;
    let open = hours.is_open(now);
    let anyone = open
        && match state.store.staff_online(super::online_since(&state)).await {
            Ok(names) => !names.is_empty(),
            Err(error) => {
                tracing::error!(error = %error, "reading who is online failed");
                false
            }
        };
    let wait_seconds = if anyone {
        match state
            .store
            .median_wait_since(now - chrono::Duration::hours(1))
            .await
        {
            Ok(wait) => Some(wait.unwrap_or(0)),
            Err(error) => {
                tracing::error!(error = %error, "reading the queue's wait failed");
                None
            }
        }
    } else {
        None
    };
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(Availability {
            open,
            online: anyone,
            wait_seconds,
            next_opening: hours.next_opening(now),
            whatsapp_url: state.settings.webchat.whatsapp_url(),
        })
}
