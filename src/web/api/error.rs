//! Errors of the JSON API: a status, a stable code for programs and a
//! Dutch sentence for staff, plus fields that help (who holds a thread).

use crate::queue::QueueError;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Map, Value};

/// An API error as the client receives it; also its schema in the OpenAPI
/// document, so the two cannot differ.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// A stable code for programs, e.g. `unauthenticated`, `csrf`,
    /// `not_found`, `already_claimed`, `invalid`.
    pub error: &'static str,
    /// A Dutch sentence for staff.
    pub message: String,
    /// Fields that help, by code: `claimed_by`, `limit`, `user`, `state`,
    /// `expires_at`, `template`, `domain`, `retry_after_seconds`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

/// An API error as sent: `{"error": code, "message": text, ...extra}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub extra: Map<String, Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Je bent niet (meer) ingelogd. Log opnieuw in.",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Je account heeft geen toegang tot dit onderdeel.",
        )
    }

    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "De beveiligingscode (X-CSRF-Token) ontbreekt of klopt niet. Herlaad de pagina.",
        )
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    /// Too many failed logins (or wrong second-factor codes): wait
    /// `wait` seconds (`Retry-After`).
    pub fn too_many_attempts(wait: i64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "Te veel mislukte pogingen. Probeer het over {} minuten opnieuw.",
                (wait + 59) / 60
            ),
        )
        .with("retry_after_seconds", wait);
        error.retry_after = u64::try_from(wait).ok();
        error
    }

    /// A request body larger than the API accepts.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("Het verzoek is te groot: hooguit {limit} bytes."),
        )
    }

    /// A body that is not `application/json`.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Stuur de gegevens als JSON (Content-Type: application/json).",
        )
    }

    /// A method the path does not serve; `allow` lists those it does.
    pub fn method_not_allowed(allow: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("Deze methode kan hier niet; wel: {allow}."),
        )
    }

    /// A JSON body that could not be read.
    pub fn from_json(error: &JsonPayloadError, limit: usize) -> Self {
        match error {
            JsonPayloadError::ContentType => Self::unsupported_media_type(),
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                Self::too_large(limit)
            }
            other => Self::invalid(format!("Ongeldige JSON: {other}")),
        }
    }

    /// A query string that does not fit the route's parameters.
    pub fn from_query(error: &QueryPayloadError) -> Self {
        Self::invalid(format!("Ongeldige zoekparameters: {error}"))
    }

    /// A path segment of the wrong type: an id that is not a number names
    /// nothing, so the answer is the same as for an id that does not exist.
    pub fn from_path(error: &PathError) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Dit adres bestaat niet: {error}."),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Er ging iets mis aan onze kant. Probeer het zo nog eens; het is gelogd.",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut extra = self.extra.clone();
        // The two fixed fields win over an extra of the same name.
        extra.remove("error");
        extra.remove("message");
        let body = ErrorBody {
            error: self.code,
            message: self.message.clone(),
            extra,
        };
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(body)
    }
}

impl From<crate::db::StoreError> for ApiError {
    fn from(error: crate::db::StoreError) -> Self {
        tracing::error!(error = %error, "database error in the staff API");
        ApiError::internal()
    }
}

impl From<QueueError> for ApiError {
    fn from(error: QueueError) -> Self {
        match error {
            QueueError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Dit gesprek bestaat niet (meer).",
            ),
            QueueError::AlreadyClaimed { claimed_by } => ApiError::new(
                StatusCode::CONFLICT,
                "already_claimed",
                format!("Dit gesprek is al opgepakt door {claimed_by}."),
            )
            .with("claimed_by", claimed_by),
            QueueError::ClaimLimit { who, limit } => ApiError::new(
                StatusCode::CONFLICT,
                "claim_limit",
                format!("{who} heeft al {limit} gesprekken; sluit er eerst een af of geef er een terug."),
            )
            .with("limit", limit)
            .with("user", who),
            QueueError::NotQueued { state } => ApiError::new(
                StatusCode::CONFLICT,
                "not_queued",
                "Dit gesprek staat niet (meer) in de wachtrij.",
            )
            .with("state", state),
            QueueError::NotYours { claimed_by } => ApiError::new(
                StatusCode::FORBIDDEN,
                "not_yours",
                match &claimed_by {
                    Some(who) => format!("Dit gesprek is van {who}; pak het eerst op of vraag het over te dragen."),
                    None => "Pak dit gesprek eerst op.".to_owned(),
                },
            )
            .with("claimed_by", claimed_by),
            QueueError::WindowClosed { expires_at } => ApiError::new(
                StatusCode::CONFLICT,
                "window_closed",
                "Het 24-uursvenster van WhatsApp is dicht: de inwoner schreef meer dan 24 uur geleden. Stuur het goedgekeurde sjabloon; als de inwoner reageert, kun je weer vrij typen.",
            )
            .with("expires_at", expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            QueueError::NoTemplate => ApiError::new(
                StatusCode::CONFLICT,
                "no_template",
                "Er is geen goedgekeurd sjabloon ingesteld ([queue] template in loket.toml).",
            ),
            QueueError::UnknownUser(name) => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_user",
                format!("Collega {name:?} bestaat niet of kan geen gesprekken aannemen."),
            ),
            QueueError::Invalid(message) => ApiError::invalid(message),
            QueueError::Store(error) => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body(error: &ApiError) -> Value {
        let bytes = error
            .error_response()
            .into_body()
            .try_into_bytes()
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[test]
    fn unreadable_bodies_get_the_status_that_names_the_problem() {
        let wrong_type = ApiError::from_json(&JsonPayloadError::ContentType, 10);
        assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let too_big = ApiError::from_json(
            &JsonPayloadError::OverflowKnownLength {
                length: 11,
                limit: 10,
            },
            10,
        );
        assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
        let broken = serde_json::from_str::<Value>("{").map_err(JsonPayloadError::Deserialize);
        let broken = ApiError::from_json(&broken.expect_err("not JSON"), 10);
        assert_eq!(
            (broken.status, broken.code),
            (StatusCode::BAD_REQUEST, "invalid")
        );
    }

    #[test]
    fn the_body_has_code_message_and_extras_and_the_code_wins() {
        let error = ApiError::new(StatusCode::CONFLICT, "already_claimed", "Bezet.")
            .with("claimed_by", "bram")
            .with("error", "overruled?");
        let sent = body(&error);
        assert_eq!(sent["error"], "already_claimed");
        assert_eq!(sent["message"], "Bezet.");
        assert_eq!(sent["claimed_by"], "bram");
    }
}
