//! A request id and a timing for every webhook call. Each request runs in
//! a `webhook` tracing span carrying `request_id`, so all log lines of one
//! POST can be found together; the id is returned as `X-Request-Id`. A
//! proxy's own `X-Request-Id` is reused when it is short and plain, so
//! ids line up across the proxy's logs and ours; anything else is replaced
//! (a header is caller-controlled and must not inject text into logs).

use super::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use rand::Rng;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// Longest caller-supplied id kept.
const MAX_LEN: usize = 64;

/// Wraps a webhook request in a span with its id, times it and sets the
/// `X-Request-Id` response header.
pub async fn webhook(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(sanitise)
        .unwrap_or_else(new_id);
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let span = tracing::info_span!("webhook", request_id = %id, method = %req.method());
    let started = std::time::Instant::now();
    let result = next.call(req).instrument(span).await;
    if let Some(metrics) = metrics {
        metrics.webhook_duration(started.elapsed().as_secs_f64());
    }
    let mut response = result?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
}

/// Keeps an incoming id only if it is 1..=64 characters of `A-Z a-z 0-9 . _ -`.
fn sanitise(id: &str) -> Option<String> {
    let plain = !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    plain.then(|| id.to_owned())
}

/// 12 random hex digits: short enough to read, unique enough per day.
fn new_id() -> String {
    let bits: u64 = rand::thread_rng().r#gen::<u64>() & 0xffff_ffff_ffff;
    format!("{bits:012x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_are_kept_and_odd_ones_replaced() {
        assert_eq!(sanitise("abc-123_x.y").as_deref(), Some("abc-123_x.y"));
        assert_eq!(sanitise(""), None);
        assert_eq!(sanitise("a b"), None);
        assert_eq!(sanitise("evil\nline"), None);
        assert_eq!(sanitise(&"a".repeat(65)), None);
    }

    #[test]
    fn new_ids_are_twelve_hex_digits() {
        let id = new_id();
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
