//! `GET /metrics` for Prometheus. With `LOKET_METRICS_TOKEN` set, a scrape
//! must send `Authorization: Bearer <token>` (else 401). Without a token
//! the endpoint answers only a direct client on loopback (else 403), so a
//! fresh install never shows its figures to the internet by accident. A
//! reverse proxy on the same machine is loopback too, so a request that
//! comes through a trusted proxy is refused whatever address it forwards.

use super::AppState;
use super::webhook::constant_time_eq;
use crate::queue::State;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;

/// The content type `prometheus-client` writes (OpenMetrics text, which
/// Prometheus negotiates and parses).
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn scrape(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    if let Err(refusal) = allowed(&state, &request) {
        return refusal;
    }
    if let Err(error) = refresh_queue_gauges(&state).await {
        // Serve the counters anyway; the gauges keep their last value.
        tracing::error!(error = %error, "metrics: reading the queue failed");
    }
    match state.metrics.encode() {
        Ok(body) => HttpResponse::Ok().content_type(CONTENT_TYPE).body(body),
        Err(_) => HttpResponse::InternalServerError().body("metrics could not be encoded"),
    }
}

fn allowed(state: &AppState, request: &HttpRequest) -> Result<(), HttpResponse> {
    let Some(expected) = &state.settings.metrics_token else {
        let client = super::client::Client::of(request, &state.settings);
        return if client.is_direct_loopback() {
            Ok(())
        } else {
            Err(HttpResponse::Forbidden().body(
                "metrics are only served to a direct client on loopback unless LOKET_METRICS_TOKEN is set",
            ))
        };
    };
    let given = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(given) if constant_time_eq(given.as_bytes(), expected.expose_secret().as_bytes()) => {
            Ok(())
        }
        _ => Err(HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer"))
            .body("a valid bearer token is required")),
    }
}

/// Queue length and the oldest unclaimed thread's age, read now so a
/// scrape always shows the database's state, not a cached one.
async fn refresh_queue_gauges(state: &AppState) -> Result<(), crate::db::StoreError> {
    let threads = state.store.queue().await?;
    let now = state.clock.now();
    let queued = threads.iter().filter(|t| t.state == State::Queued).count();
    let claimed = threads.iter().filter(|t| t.state == State::Claimed).count();
    let oldest = threads
        .iter()
        .filter(|t| t.state == State::Queued)
        .filter_map(|t| t.queued_at)
        .min()
        .map_or(0.0, |at| (now - at).num_milliseconds() as f64 / 1000.0);
    state.metrics.set_queue(queued, claimed, oldest);
    Ok(())
}
