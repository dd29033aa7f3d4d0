//! Errors of the JSON API: a status, a stable code for programs and a
//! Dutch sentence for staff, plus fields that help (who holds a thread).

use crate::queue::QueueError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};

/// An API error as sent: `{"error": code, "message": text, ...extra}`.
#[derive(Debug)]
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
        let mut body = self.extra.clone();
        body.insert("error".to_owned(), json!(self.code));
        body.insert("message".to_owned(), json!(self.message));
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(Value::Object(body))
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
