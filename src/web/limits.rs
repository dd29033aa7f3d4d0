//! Request limits every route shares. Bodies are limited per route (the
//! webhook allows Meta's 3 MB batches, the API 64 KiB); headers here: a
//! legitimate client (Meta, a browser) sends a few kilobytes, so anything
//! far beyond that is refused before a handler runs.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// Total size of all request headers (names and values) allowed.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Refuses requests whose headers add up to more than [`MAX_HEADER_BYTES`]
/// with 431 Request Header Fields Too Large.
pub async fn header_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let size: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > MAX_HEADER_BYTES {
        let response = HttpResponse::build(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE).json(
            serde_json::json!({
                "error": "headers_too_large",
                "message": format!("request headers add up to {size} bytes; at most {MAX_HEADER_BYTES} are accepted"),
            }),
        );
        return Ok(req.into_response(response));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
