//! The website chat's API (issue 24), for the widget (`widget.js`):
//! start a session, send a message, and read the session's messages as
//! server-sent events that resume after a network drop. Thin handlers over
//! `webchat` (sessions, checks, limits) and the store; a message goes
//! through the same intake as a WhatsApp webhook.
//!
//! The widget runs on the organisation's own site, so these routes answer
//! browsers of other origins: those in `[webchat] allowed_origins` (and
//! Loket's own) get CORS headers, any other gets 403. The session token
//! travels as `Authorization: Bearer`, never in a cookie or URL, so no
//! third-party cookie is set and no request can be forged by another site.

use super::error::{ApiError, ErrorBody};
use super::events::KEEP_ALIVE;
use crate::domain::Language;
use crate::domain::web_chat::{Cursor, WebMessage};
use crate::web::AppState;
use crate::web::client::Client;
use crate::webchat::{self, WidgetMessage};
use actix_web::http::{StatusCode, header};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::time::Duration;

/// How often an idle stream looks for messages anyway: replies recorded
/// by another instance whose notice was missed, and the citizen's own
/// message once processed.
/// A stream looks at the database when woken for its chat (see
/// `queue::events::WebWake`); this slow look is only the safety net and
/// the beat of its keep-alive.
const POLL: Duration = Duration::from_secs(10);
/// How often an open stream marks its session seen: well inside the
/// shortest `[webchat] idle_timeout` (2 minutes).
const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// Messages read per query.
const PAGE: i64 = 100;

/// Starting a session: the language the widget shows (the page's, or the
/// citizen's choice).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSessionRequest {
    /// `nl` (default) or `en`.
    #[schema(pattern = "^(nl|en)$")]
    pub language: Option<String>,
}

/// A new session. Keep the token in `sessionStorage`: closing the tab ends
/// the chat.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewSessionResponse {
    /// Send as `Authorization: Bearer <token>`. 256 random bits; Loket
    /// stores only its SHA-256.
    pub token: String,
    pub language: Language,
}

/// A citizen's message.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// The widget's own id for this message (8 to 64 of `A-Za-z0-9_-`):
    /// the same id sent again is stored once.
    #[schema(pattern = "^[A-Za-z0-9_-]{8,64}$")]
    pub id: String,
    /// What the citizen typed, or the title of the choice they picked.
    pub text: String,
    /// The id of the choice (button) picked, if any.
    pub choice: Option<String>,
}

/// What became of a message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageAccepted {
    /// `false`: this id was stored before (a repeated POST).
    pub stored: bool,
}

/// One server-sent event of the chat stream: `id` (the cursor to resume
/// from, as `Last-Event-ID`), `event: message` and `data`, a `WebMessage`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChatEvent {
    pub id: String,
    /// Always `message`.
    pub event: String,
    /// JSON: a `WebMessage`.
    #[schema(content_media_type = "application/json")]
    pub data: String,
}

/// `Origin` of this request against Loket's own and the allowed ones:
/// `Ok(Some(origin))` to echo in CORS headers, `Ok(None)` without one.
fn allowed_origin(req: &HttpRequest, state: &AppState) -> Result<Option<String>, ApiError> {
    let origin = match req.headers().get(header::ORIGIN) {
        None => return Ok(None),
        Some(value) => value.to_str().unwrap_or("invalid").to_owned(),
    };
    let own: Vec<String> = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| {
            let host = host.to_ascii_lowercase();
            vec![format!("http://{host}"), format!("https://{host}")]
        })
        .unwrap_or_default();
    if webchat::origin_allowed(Some(&origin), &own, &state.settings.webchat.origins) {
        Ok(Some(origin.to_ascii_lowercase()))
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            format!(
                "De chat mag niet worden gebruikt vanaf {origin}: die website staat niet in [webchat] allowed_origins."
            ),
        ))
    }
}

/// Adds the CORS headers for an allowed origin.
fn with_cors(mut response: HttpResponse, origin: Option<&str>) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    if let Some(value) = origin.and_then(|o| header::HeaderValue::from_str(o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    response
}

/// The answer, with CORS headers when the origin may have them.
fn answer(origin: Option<&str>, result: Result<HttpResponse, ApiError>) -> HttpResponse {
    match result {
        Ok(response) => with_cors(response, origin),
        Err(error) => with_cors(error.error_response(), origin),
    }
}

/// The request's JSON body, or why it is not one, as an [`ApiError`]. The
/// routes take the body as a `Result`, so that a malformed or oversized
/// body is refused inside [`guarded`], with the CORS headers the widget
/// on another site needs to read the refusal (an extractor's error would
/// leave before them, and the browser would show only "failed").
fn body_of<T>(body: Result<web::Json<T>, actix_web::Error>) -> Result<T, ApiError> {
    match body {
        Ok(body) => Ok(body.into_inner()),
        Err(error) => Err(match error.as_error::<ApiError>() {
            Some(refused) => refused.clone(),
            None => ApiError::invalid(format!("Ongeldige JSON: {error}")),
        }),
    }
}

/// Runs `handle` for a request from an allowed origin within its
/// address's quota, and answers with CORS headers for that origin. (The
/// future does nothing until awaited here.)
async fn guarded(
    req: &HttpRequest,
    state: &AppState,
    handle: impl Future<Output = Result<HttpResponse, ApiError>>,
) -> HttpResponse {
    let origin = match allowed_origin(req, state) {
        Ok(origin) => origin,
        Err(error) => return answer(None, Err(error)),
    };
    let result = match address_quota(req, state) {
        Ok(()) => handle.await,
        Err(error) => Err(error),
    };
    answer(origin.as_deref(), result)
}

/// The client address's request quota (`[webchat] requests_per_minute_per_ip`).
fn address_quota(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let client = Client::of(req, &state.settings);
    if state.webchat_limits.address_may(&client.key()) {
        Ok(())
    } else {
        Err(too_many(
            "Te veel verzoeken vanaf dit adres. Probeer het over een minuut opnieuw.",
        ))
    }
}

fn too_many(message: &str) -> ApiError {
    let mut error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        .with("retry_after_seconds", 60);
    error.retry_after = Some(60);
    error
}

fn no_session() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "no_chat_session",
        "Deze chat bestaat niet (meer). Begin een nieuw gesprek.",
    )
}

/// The session of the request's bearer token.
async fn session(req: &HttpRequest, state: &AppState) -> Result<crate::db::WebSession, ApiError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(no_session)?;
    state
        .store
        .web_session(&webchat::token_sha256(token), state.clock.now())
        .await?
        .ok_or_else(no_session)
}

/// Starts an anonymous chat session (the widget, when the citizen first
/// opens it).
#[utoipa::path(post, path = "/api/webchat/sessions", tag = "webchat",
    request_body(content = NewSessionRequest, description = "Optional; `{}` for Dutch"),
    responses(
        (status = 201, description = "The session", body = NewSessionResponse),
        (status = 403, description = "A browser on a website not in `[webchat] allowed_origins` (`origin_not_allowed`)", body = ErrorBody),
        (status = 429, description = "Too many requests from this address (`rate_limited`, with `retry_after_seconds`)", body = ErrorBody),
        (status = 500, description = "The session could not be stored (`internal`)", body = ErrorBody)))]
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<web::Json<NewSessionRequest>, actix_web::Error>,
) -> HttpResponse {
    guarded(&req, &state, async {
        let body = body_of(body)?;
        let language = match body.language.as_deref() {
            None | Some("nl") => Language::Nl,
            Some("en") => Language::En,
            Some(_) => return Err(ApiError::invalid("language: nl of en.")),
        };
        let session = webchat::NewSession::random();
        state
            .store
            .create_web_session(
                &session.token_sha256,
                &session.citizen,
                language,
                state.clock.now(),
            )
            .await?;
        Ok(HttpResponse::Created()
            .insert_header(("Cache-Control", "no-store"))
            .json(NewSessionResponse {
                token: session.token,
                language,
            }))
    })
    .await
}

/// Sends the citizen's message. It is stored, then answered by the same
/// triage as a WhatsApp message; what follows comes on the stream.
#[utoipa::path(post, path = "/api/webchat/messages", tag = "webchat", security(("webchat" = [])),
    request_body = MessageRequest,
    responses(
        (status = 202, description = "Stored (or stored before, `stored: false`); the reply comes on the stream", body = MessageAccepted),
        (status = 401, description = "No session, or it ended (`no_chat_session`)", body = ErrorBody),
        (status = 403, description = "A browser on a website not in `[webchat] allowed_origins` (`origin_not_allowed`)", body = ErrorBody),
        (status = 413, description = "The text is longer than `[webchat] max_message_chars` (`too_long`, with `limit`), or the body than 64 KiB (`too_large`)", body = ErrorBody),
        (status = 422, description = "Empty text, or an `id` or `choice` the widget never sends (`invalid_message`)", body = ErrorBody),
        (status = 429, description = "Too many messages from this session or address (`rate_limited`, with `retry_after_seconds`)", body = ErrorBody),
        (status = 500, description = "The message could not be stored (`internal`)", body = ErrorBody)))]
pub async fn send(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<web::Json<MessageRequest>, actix_web::Error>,
) -> HttpResponse {
    guarded(&req, &state, async {
        let session = session(&req, &state).await?;
        let body = body_of(body)?;
        let message = WidgetMessage {
            client_id: body.id,
            text: body.text,
            choice: body.choice,
        };
        match message.check(&state.settings.webchat) {
            Ok(()) => {}
            Err(webchat::Refusal::TooLong { max }) => {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_long",
                    format!("Dit bericht is te lang: hooguit {max} tekens."),
                )
                .with("limit", max));
            }
            Err(refusal) => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_message",
                    format!("Dit bericht kan niet worden verstuurd: {refusal}."),
                ));
            }
        }
        if !state.webchat_limits.session_may(&session.citizen) {
            return Err(too_many(
                "Je stuurt te veel berichten achter elkaar. Wacht even en probeer het dan opnieuw.",
            ));
        }
        let now = state.clock.now();
        let batch = message
            .into_batch(&session.citizen, now)
            .ok_or_else(ApiError::internal)?;
        let outcome = state.intake.record(batch, now).await.map_err(|error| {
            tracing::error!(error = %error, "storing a web chat message failed");
            ApiError::internal()
        })?;
        if outcome.stored > 0 {
            state.wake_processor.notify_one();
        }
        Ok(HttpResponse::Accepted().json(MessageAccepted {
            stored: outcome.stored > 0,
        }))
    })
    .await
}

/// The session's messages as server-sent events: first everything after
/// `Last-Event-ID` (everything, without it), then each new one as it comes.
/// Each event's `id` is the cursor to resume from, so a widget that lost
/// its connection reconnects with the last id it saw and gets exactly what
/// it missed.
#[utoipa::path(get, path = "/api/webchat/stream", tag = "webchat", security(("webchat" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event seen (`<n>.<n>`)")),
    responses(
        (status = 200, description = "The stream; each event as `ChatEvent` describes it", content_type = "text/event-stream", body = ChatEvent),
        (status = 400, description = "`Last-Event-ID` is not an id this stream sent (`invalid`)", body = ErrorBody),
        (status = 401, description = "No session, or it ended (`no_chat_session`)", body = ErrorBody),
        (status = 403, description = "A browser on a website not in `[webchat] allowed_origins` (`origin_not_allowed`)", body = ErrorBody),
        (status = 429, description = "Too many requests from this address (`rate_limited`, with `retry_after_seconds`)", body = ErrorBody),
        (status = 500, description = "The session could not be read (`internal`)", body = ErrorBody)))]
pub async fn stream(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    guarded(&req, &state, async {
        let session = session(&req, &state).await?;
        let cursor = match req.headers().get("Last-Event-ID") {
            None => Cursor::default(),
            Some(value) => value
                .to_str()
                .ok()
                .and_then(Cursor::parse)
                .ok_or_else(|| ApiError::invalid("Last-Event-ID: geen id van deze stroom."))?,
        };
        let mut poll = tokio::time::interval(POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let initial = Stream {
            state: state.clone(),
            citizen: session.citizen,
            cursor,
            wakes: state.events.web_chat_wakes(),
            poll,
            pending: VecDeque::new(),
            started: false,
            last_sent: tokio::time::Instant::now(),
            // Opening the stream marked the session seen (`session`).
            last_touched: tokio::time::Instant::now(),
        };
        Ok(super::events::event_stream(futures_util::stream::unfold(
            initial, next,
        )))
    })
    .await
}

/// The CORS preflight of the three routes above: allowed origins learn
/// they may send `Authorization`, `Content-Type` and `Last-Event-ID`.
#[utoipa::path(options, path = "/api/webchat/sessions", tag = "webchat", responses(
    (status = 204, description = "Allowed (CORS headers)"),
    (status = 403, description = "A website not in `[webchat] allowed_origins` (`origin_not_allowed`)", body = ErrorBody)))]
pub async fn preflight_sessions(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    preflight(&req, &state, "POST")
}

/// CORS preflight for sending messages.
#[utoipa::path(options, path = "/api/webchat/messages", tag = "webchat", responses(
    (status = 204, description = "Allowed (CORS headers)"),
    (status = 403, description = "A website not in `[webchat] allowed_origins` (`origin_not_allowed`)", body = ErrorBody)))]
pub async fn preflight_messages(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    preflight(&req, &state, "POST")
}

/// CORS preflight for the stream.
#[utoipa::path(options, path = "/api/webchat/stream", tag = "webchat", responses(
    (status = 204, description = "Allowed (CORS headers)"),
    (status = 403, description = "A website not in `[webchat] allowed_origins` (`origin_not_allowed`)", body = ErrorBody)))]
pub async fn preflight_stream(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    preflight(&req, &state, "GET")
}

fn preflight(req: &HttpRequest, state: &AppState, method: &'static str) -> HttpResponse {
    match allowed_origin(req, state) {
        Ok(origin) => with_cors(
            HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, method))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "Authorization, Content-Type, Last-Event-ID",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .finish(),
            origin.as_deref(),
        ),
        Err(error) => with_cors(error.error_response(), None),
    }
}

struct Stream {
    state: web::Data<AppState>,
    citizen: String,
    cursor: Cursor,
    wakes: tokio::sync::broadcast::Receiver<crate::queue::events::WebWake>,
    poll: tokio::time::Interval,
    pending: VecDeque<Bytes>,
    started: bool,
    last_sent: tokio::time::Instant,
    /// When this stream last marked its session seen.
    last_touched: tokio::time::Instant,
}

fn frame(message: &WebMessage) -> Bytes {
    let data = serde_json::to_string(message).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!(
        "id: {}\nevent: message\ndata: {data}\n\n",
        message.id
    ))
}

async fn next(mut s: Stream) -> Option<(Result<Bytes, std::convert::Infallible>, Stream)> {
    if !s.started {
        s.started = true;
        s.last_sent = tokio::time::Instant::now();
        return Some((Ok(Bytes::from_static(b"retry: 2000\n: connected\n\n")), s));
    }
    let stopping = s.state.streams.clone();
    loop {
        if let Some(bytes) = s.pending.pop_front() {
            s.last_sent = tokio::time::Instant::now();
            return Some((Ok(bytes), s));
        }
        match s.state.store.web_messages(&s.citizen, s.cursor, PAGE).await {
            Ok((messages, cursor)) => {
                let moved = cursor != s.cursor;
                s.cursor = cursor;
                s.pending.extend(messages.iter().map(frame));
                if moved {
                    continue;
                }
            }
            // The widget reconnects (`retry`) and resumes from its last id.
            Err(error) => {
                tracing::warn!(error = %error, "reading a web chat failed; its stream ends");
                return None;
            }
        }
        if s.last_sent.elapsed() >= KEEP_ALIVE {
            // Still there? A session forgotten meanwhile ends its stream.
            // An open stream is a citizen still there: now and then it
            // marks the session seen, a write, so not at every keep-alive.
            let exists = if s.last_touched.elapsed() >= TOUCH_EVERY {
                s.last_touched = tokio::time::Instant::now();
                let now = s.state.clock.now();
                s.state.store.touch_web_session(&s.citizen, now).await
            } else {
                s.state.store.web_session_exists(&s.citizen).await
            };
            return match exists {
                Ok(true) => {
                    s.last_sent = tokio::time::Instant::now();
                    Some((Ok(Bytes::from_static(b": keep-alive\n\n")), s))
                }
                _ => None,
            };
        }
        // Wait until this chat has news (or the slow beat): wakes for
        // other chats pass without a database read.
        loop {
            tokio::select! {
                () = stopping.cancelled() => return None,
                woke = s.wakes.recv() => match woke {
                    Ok(wake) if !wake.concerns(&s.citizen) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    // Ours, or lagged behind: look.
                    _ => break,
                },
                _ = s.poll.tick() => break,
            }
        }
    }
}
