//! A fake of Meta's Graph API messages endpoint: a real HTTP server on
//! 127.0.0.1 (random port) for tests and the load tool, so the client is
//! exercised over real sockets, with real timeouts and real error bodies.
//!
//! It checks what Meta checks first (bearer token, phone number id, the
//! JSON shape of text, interactive-button and template messages and read
//! receipts) and answers with Meta's success or error JSON. Tests can
//! script faults ([`FakeGraphApi::fail_next`]), a throughput limit
//! ([`FakeGraphApi::set_rate_limit`], error 130429) and a pair rate limit
//! per recipient ([`FakeGraphApi::set_pair_limit`], error 131056).
//!
//! Invariant: every request ends up in exactly one of two records —
//! [`FakeGraphApi::received`] (accepted, answered 2xx or about to be) or
//! [`FakeGraphApi::rejected`] (answered with an error or dropped) — so tests
//! can count attempts.
//!
//! Media (download and upload) has its own endpoints and records: see
//! [`media`].
//!
//! It uses no type of the server crate's: it speaks HTTP and JSON, as Meta
//! does. `FakeGraphApi::client_settings`, which points the server's client
//! at it, lives in this crate's `client` module.
//!
//! Status codes: Meta documents 400 for the throughput (130429) and pair
//! rate (131056) errors and 429 for "too many calls" (code 4); the fake
//! follows that, which also proves the client sorts by Meta's code rather
//! than by HTTP status.

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub mod media;

/// Meta's limit on a text message body, in characters.
const MAX_TEXT_CHARS: usize = 4096;
/// Meta's limit on the body of an interactive message.
const MAX_INTERACTIVE_BODY_CHARS: usize = 1024;
/// Meta's limit on a reply button title.
const MAX_BUTTON_TITLE_CHARS: usize = 20;
/// Meta's limit on a reply button id.
const MAX_BUTTON_ID_CHARS: usize = 256;
/// Message types Meta's messages endpoint knows.
const KNOWN_TYPES: &[&str] = &[
    "audio",
    "button",
    "contacts",
    "document",
    "image",
    "interactive",
    "location",
    "reaction",
    "sticker",
    "template",
    "text",
    "video",
];

/// How the fake identifies the business account it pretends to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeGraphConfig {
    /// The only bearer token accepted.
    pub access_token: String,
    /// The only phone number id with a messages endpoint.
    pub phone_number_id: String,
    /// The only API version served, e.g. `v23.0`.
    pub api_version: String,
}

impl Default for FakeGraphConfig {
    fn default() -> Self {
        Self {
            access_token: "test-access-token".to_owned(),
            phone_number_id: "123456789012345".to_owned(),
            api_version: "v23.0".to_owned(),
        }
    }
}

/// A scripted failure for the next request(s), whatever they contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500 with Meta's "unknown error" (code 1).
    ServerError,
    /// Meta's throughput limit: HTTP 400, code 130429.
    RateLimited,
    /// Meta's pair rate limit (one citizen, too many messages): HTTP 400,
    /// code 131056.
    PairRateLimited,
    /// Meta's app call limit: HTTP 429, code 4, with a `Retry-After` header
    /// (whole seconds, rounded up).
    TooManyCalls {
        /// Value of the `Retry-After` header.
        retry_after: Duration,
    },
    /// HTTP 400 with this Meta code and title (e.g. 131047 "Re-engagement
    /// message").
    Permanent(i64, String),
    /// Handle the request normally but answer only after this delay; the
    /// request is recorded on arrival, as Meta may act on a request whose
    /// answer the client never sees.
    Delay(Duration),
    /// Drop the connection without a readable answer.
    Disconnect,
}

/// A request the fake accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Request path, e.g. `/v23.0/123456789012345/messages`.
    pub path: String,
    /// The parsed JSON body.
    pub body: Value,
    /// The bearer token sent (the fake's own test token).
    pub bearer: Option<String>,
    /// The wamid the fake answered with; `None` for read receipts.
    pub wamid: Option<String>,
    /// When the request arrived.
    pub received_at: Instant,
}

impl RecordedRequest {
    /// Whether this is a read receipt (`"status":"read"`) rather than a
    /// message.
    pub fn is_read_receipt(&self) -> bool {
        self.body.get("status").and_then(Value::as_str) == Some("read")
    }

    /// Who it was addressed to: `to` (phone) or else `recipient` (BSUID).
    pub fn recipient(&self) -> Option<&str> {
        self.body
            .get("to")
            .or_else(|| self.body.get("recipient"))
            .and_then(Value::as_str)
    }

    /// The text the citizen would read: a text body or an interactive body.
    pub fn text(&self) -> Option<&str> {
        self.body
            .pointer("/text/body")
            .or_else(|| self.body.pointer("/interactive/body/text"))
            .and_then(Value::as_str)
    }
}

/// A request the fake answered with an error or dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRequest {
    /// Request path.
    pub path: String,
    /// The parsed JSON body (`Null` if it was not JSON).
    pub body: Value,
    /// The HTTP status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// Meta's error code answered, if any.
    pub code: Option<i64>,
    /// Why, for test failure messages.
    pub reason: String,
    /// When the request arrived.
    pub received_at: Instant,
}

#[derive(Default)]
struct State {
    received: Vec<RecordedRequest>,
    rejected: Vec<RejectedRequest>,
    faults: VecDeque<Fault>,
    rate_limit: Option<u32>,
    /// Arrival times of accepted messages within the last second.
    window: VecDeque<Instant>,
    /// At most this many messages per recipient within the duration.
    pair_limit: Option<(u32, Duration)>,
    /// Arrival times of accepted messages per recipient, within the pair window.
    pair_windows: HashMap<String, VecDeque<Instant>>,
    next_id: u64,
}

struct Shared {
    config: FakeGraphConfig,
    state: Mutex<State>,
    /// Woken whenever a request is recorded, for `wait_for_messages`.
    changed: Notify,
    /// Files, download URLs and uploads of the media endpoints.
    media: Mutex<media::Library>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the records from the others.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running fake Graph API. Stops its server on [`FakeGraphApi::shutdown`]
/// or when dropped.
pub struct FakeGraphApi {
    shared: Arc<Shared>,
    base_url: String,
    handle: ServerHandle,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for FakeGraphApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGraphApi")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl FakeGraphApi {
    /// Binds 127.0.0.1 on a free port and serves on the current tokio
    /// runtime (one worker thread: plenty for tests and a load run on two
    /// cores).
    pub async fn start(config: FakeGraphConfig) -> std::io::Result<Self> {
        Self::start_on(config, std::net::TcpListener::bind("127.0.0.1:0")?).await
    }

    /// Like [`FakeGraphApi::start`], on a listener the caller bound (the
    /// load tool's `--graph-listen`, so a running service can be
    /// configured with a known URL beforehand).
    pub async fn start_on(
        config: FakeGraphConfig,
        listener: std::net::TcpListener,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
            media: Mutex::default(),
        });
        let base_url = format!("http://{}", listener.local_addr()?);
        let data = web::Data::from(Arc::clone(&shared));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .configure(media::routes)
                .route(
                    "/{version}/{phone_number_id}/messages",
                    web::post().to(messages),
                )
                .default_service(web::to(unknown_path))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        Ok(Self {
            shared,
            base_url,
            handle,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:<port>`, to use as the client's `api_base`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The account it pretends to be: the token, phone number id and
    /// version it accepts.
    pub fn config(&self) -> &FakeGraphConfig {
        &self.shared.config
    }

    /// Every accepted request, in arrival order.
    pub fn received(&self) -> Vec<RecordedRequest> {
        self.shared.state().received.clone()
    }

    /// Accepted messages, without read receipts.
    pub fn sent_messages(&self) -> Vec<RecordedRequest> {
        let state = self.shared.state();
        state
            .received
            .iter()
            .filter(|request| !request.is_read_receipt())
            .cloned()
            .collect()
    }

    /// Accepted read receipts.
    pub fn read_receipts(&self) -> Vec<RecordedRequest> {
        let state = self.shared.state();
        state
            .received
            .iter()
            .filter(|request| request.is_read_receipt())
            .cloned()
            .collect()
    }

    /// Every request answered with an error or dropped, in arrival order.
    pub fn rejected(&self) -> Vec<RejectedRequest> {
        self.shared.state().rejected.clone()
    }

    /// How many requests were answered with an error or dropped.
    pub fn failed_requests(&self) -> usize {
        self.shared.state().rejected.len()
    }

    /// Waits until at least `n` messages (not read receipts) were accepted,
    /// or `timeout` passed; returns what was accepted by then.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register interest before looking, so a request recorded in
            // between still wakes us.
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let sent = self.sent_messages();
            if sent.len() >= n {
                return sent;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.sent_messages();
            }
        }
    }

    /// Makes the next `n` requests fail with `fault` (after any faults
    /// already queued).
    pub fn fail_next(&self, n: usize, fault: Fault) {
        let mut state = self.shared.state();
        state.faults.extend(std::iter::repeat_n(fault, n));
    }

    /// Limits accepted messages per second (a sliding one-second window);
    /// beyond it the fake answers Meta's throughput error 130429. `None`
    /// lifts the limit.
    pub fn set_rate_limit(&self, per_second: Option<u32>) {
        let mut state = self.shared.state();
        state.rate_limit = per_second;
        state.window.clear();
    }

    /// Limits accepted messages per recipient: at most `max` within `per`
    /// (a sliding window); beyond it the fake answers Meta's pair rate
    /// error 131056. `None` lifts the limit.
    pub fn set_pair_limit(&self, limit: Option<(u32, Duration)>) {
        let mut state = self.shared.state();
        state.pair_limit = limit;
        state.pair_windows.clear();
    }

    /// How many requests were accepted so far (messages and read
    /// receipts), without copying the records.
    pub fn accepted_count(&self) -> usize {
        self.shared.state().received.len()
    }

    /// Forgets all records and queued faults (the rate limit stays).
    pub fn clear(&self) {
        let mut state = self.shared.state();
        state.received.clear();
        state.rejected.clear();
        state.faults.clear();
        state.window.clear();
        state.pair_windows.clear();
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        self.handle.stop(false).await;
        if let Some(task) = self.task.take() {
            // The server's own result does not matter once we stop it.
            let _ = task.await;
        }
    }
}

impl Drop for FakeGraphApi {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // `stop` sends the command at once; its future only waits for
            // completion, which a destructor cannot do.
            drop(self.handle.stop(false));
            task.abort();
        }
    }
}

/// An error answer, shaped like Meta's.
struct GraphFailure {
    status: StatusCode,
    code: i64,
    kind: &'static str,
    message: String,
    details: Option<String>,
    retry_after: Option<Duration>,
}

impl GraphFailure {
    fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            kind: "OAuthException",
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// Meta's "(#100) The parameter X is required."
    fn required(parameter: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            100,
            format!("(#100) The parameter {parameter} is required."),
        )
    }

    /// Meta's "(#100) Invalid parameter" with the reason in the details.
    fn invalid(details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 100, "(#100) Invalid parameter").details(details)
    }

    /// Meta's code for a bad interactive message value.
    fn bad_value(details: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            131009,
            "(#131009) Parameter value is not valid",
        )
        .details(details)
    }

    fn from_fault(fault: &Fault) -> Self {
        match fault {
            Fault::ServerError => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                1,
                "An unknown error occurred",
            ),
            Fault::RateLimited => throughput_error(),
            Fault::PairRateLimited => Self::new(
                StatusCode::BAD_REQUEST,
                131056,
                "(#131056) (Business Account, Consumer Account) pair rate limit hit",
            )
            .details(
                "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
            ),
            Fault::TooManyCalls { retry_after } => {
                let mut failure = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    4,
                    "(#4) Application request limit reached",
                );
                failure.retry_after = Some(*retry_after);
                failure
            }
            Fault::Permanent(code, title) => {
                Self::new(StatusCode::BAD_REQUEST, *code, format!("(#{code}) {title}"))
                    .details(title.clone())
            }
            // Not failures by themselves; handled by the caller.
            Fault::Delay(_) | Fault::Disconnect => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                1,
                "An unknown error occurred",
            ),
        }
    }

    fn respond(&self) -> HttpResponse {
        let mut error = Map::new();
        error.insert("message".into(), json!(self.message));
        error.insert("type".into(), json!(self.kind));
        error.insert("code".into(), json!(self.code));
        if let Some(details) = &self.details {
            error.insert(
                "error_data".into(),
                json!({ "messaging_product": "whatsapp", "details": details }),
            );
        }
        error.insert("fbtrace_id".into(), json!(fbtrace_id()));
        let mut response = HttpResponse::build(self.status);
        if let Some(wait) = self.retry_after {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(json!({ "error": error }))
    }
}

fn throughput_error() -> GraphFailure {
    GraphFailure::new(StatusCode::BAD_REQUEST, 130429, "(#130429) Rate limit hit")
        .details("Cloud API message throughput has been reached.")
}

/// A random trace id like Meta's, so answers differ the way real ones do.
fn fbtrace_id() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(23)
        .map(char::from)
        .collect()
}

/// A body that fails on its first chunk: actix then closes the connection
/// without a complete answer, which the client sees as a network error.
struct BrokenBody;

impl MessageBody for BrokenBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "fake Graph API: scripted disconnect",
        ))))
    }
}

/// What a valid request asks for.
enum Accepted {
    Message {
        recipient: String,
        by_bsuid: bool,
        kind: String,
    },
    ReadReceipt,
}

async fn messages(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let arrived = Instant::now();
    let path_text = request.path().to_owned();
    let json_body = serde_json::from_slice::<Value>(&body).ok();
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned);
    let reject = |failure: GraphFailure, reason: &str| {
        shared.state().rejected.push(RejectedRequest {
            path: path_text.clone(),
            body: json_body.clone().unwrap_or(Value::Null),
            status: Some(failure.status.as_u16()),
            code: Some(failure.code),
            reason: reason.to_owned(),
            received_at: arrived,
        });
        shared.changed.notify_waiters();
        failure.respond()
    };

    let fault = shared.state().faults.pop_front();
    let delay = match fault {
        None => None,
        Some(Fault::Delay(delay)) => Some(delay),
        Some(Fault::Disconnect) => {
            shared.state().rejected.push(RejectedRequest {
                path: path_text.clone(),
                body: json_body.clone().unwrap_or(Value::Null),
                status: None,
                code: None,
                reason: "scripted disconnect".to_owned(),
                received_at: arrived,
            });
            shared.changed.notify_waiters();
            return HttpResponse::Ok()
                .content_type("application/json")
                .body(BrokenBody);
        }
        Some(fault) => {
            return reject(GraphFailure::from_fault(&fault), &format!("{fault:?}"));
        }
    };

    let config = &shared.config;
    if bearer.as_deref() != Some(config.access_token.as_str()) {
        let failure =
            GraphFailure::new(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.");
        return reject(failure, "wrong or missing bearer token");
    }
    let (version, phone_number_id) = path.into_inner();
    if version != config.api_version {
        return reject(unknown_path_failure(&path_text), "unknown API version");
    }
    if phone_number_id != config.phone_number_id {
        let failure = GraphFailure::new(
            StatusCode::BAD_REQUEST,
            100,
            format!(
                "Unsupported post request. Object with ID '{phone_number_id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
        );
        return reject(failure, "unknown phone number id");
    }
    let Some(json_body) = json_body.clone() else {
        return reject(
            GraphFailure::invalid("The request body is not valid JSON."),
            "body is not JSON",
        );
    };
    let accepted = match validate(&json_body) {
        Ok(accepted) => accepted,
        Err(failure) => {
            let reason = failure.details.clone().unwrap_or(failure.message.clone());
            return reject(failure, &reason);
        }
    };

    let wamid = {
        let mut state = shared.state();
        if matches!(accepted, Accepted::Message { .. }) {
            if let Some(limit) = state.rate_limit {
                while state
                    .window
                    .front()
                    .is_some_and(|at| arrived.duration_since(*at) >= Duration::from_secs(1))
                {
                    state.window.pop_front();
                }
                if state.window.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                    drop(state);
                    return reject(throughput_error(), "over the configured rate limit");
                }
                state.window.push_back(arrived);
            }
            if let (Some((max, per)), Accepted::Message { recipient, .. }) =
                (state.pair_limit, &accepted)
            {
                let window = state.pair_windows.entry(recipient.clone()).or_default();
                while window
                    .front()
                    .is_some_and(|at| arrived.duration_since(*at) >= per)
                {
                    window.pop_front();
                }
                if window.len() >= usize::try_from(max).unwrap_or(usize::MAX) {
                    drop(state);
                    return reject(
                        GraphFailure::from_fault(&Fault::PairRateLimited),
                        "over the configured pair rate limit",
                    );
                }
                window.push_back(arrived);
            }
        }
        let wamid = match accepted {
            Accepted::Message { .. } => {
                state.next_id += 1;
                Some(format!(
                    "wamid.HBgL{:012}FQIAERgS{:016X}",
                    state.next_id,
                    rand::random::<u64>()
                ))
            }
            Accepted::ReadReceipt => None,
        };
        state.received.push(RecordedRequest {
            path: path_text,
            body: json_body,
            bearer,
            wamid: wamid.clone(),
            received_at: arrived,
        });
        wamid
    };
    shared.changed.notify_waiters();

    let answer = match (accepted, wamid) {
        (
            Accepted::Message {
                recipient,
                by_bsuid,
                kind,
            },
            Some(wamid),
        ) => {
            let contact = if by_bsuid {
                json!({ "input": recipient, "user_id": recipient })
            } else {
                json!({ "input": recipient, "wa_id": recipient })
            };
            let mut message = Map::new();
            message.insert("id".into(), json!(wamid));
            if kind == "template" {
                message.insert("message_status".into(), json!("accepted"));
            }
            json!({
                "messaging_product": "whatsapp",
                "contacts": [contact],
                "messages": [message],
            })
        }
        _ => json!({ "success": true }),
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    HttpResponse::Ok().json(answer)
}

fn unknown_path_failure(path: &str) -> GraphFailure {
    GraphFailure::new(
        StatusCode::BAD_REQUEST,
        2500,
        format!("Unknown path components: {path}"),
    )
}

async fn unknown_path(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let failure = unknown_path_failure(request.path());
    shared.state().rejected.push(RejectedRequest {
        path: request.path().to_owned(),
        body: Value::Null,
        status: Some(failure.status.as_u16()),
        code: Some(failure.code),
        reason: "unknown path".to_owned(),
        received_at: Instant::now(),
    });
    shared.changed.notify_waiters();
    failure.respond()
}

fn string_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// Meta's checks on the request body, in roughly Meta's order.
fn validate(body: &Value) -> Result<Accepted, GraphFailure> {
    if !body.is_object() {
        return Err(GraphFailure::invalid(
            "The request body must be a JSON object.",
        ));
    }
    match body.get("messaging_product").and_then(Value::as_str) {
        None => return Err(GraphFailure::required("messaging_product")),
        Some("whatsapp") => {}
        Some(other) => {
            return Err(GraphFailure::invalid(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."
            )));
        }
    }
    if let Some(status) = body.get("status") {
        if status.as_str() != Some("read") {
            return Err(GraphFailure::invalid(format!(
                "Param status must be one of {{READ}} - got {status}."
            )));
        }
        return match string_at(body, "/message_id") {
            Some(id) if !id.is_empty() => Ok(Accepted::ReadReceipt),
            _ => Err(GraphFailure::required("message_id")),
        };
    }
    if let Some(kind) = body.get("recipient_type") {
        if !matches!(kind.as_str(), Some("individual" | "group")) {
            return Err(GraphFailure::invalid(format!(
                "Param recipient_type must be one of {{INDIVIDUAL, GROUP}} - got {kind}."
            )));
        }
    }
    // Meta: "if both are present `to` wins".
    let (recipient, by_bsuid) = match (string_at(body, "/to"), string_at(body, "/recipient")) {
        (Some(to), _) if !to.is_empty() => (to.to_owned(), false),
        (_, Some(user_id)) if !user_id.is_empty() => (user_id.to_owned(), true),
        _ => return Err(GraphFailure::required("to")),
    };
    // Meta treats a missing type as text.
    let kind = match body.get("type") {
        None => "text",
        Some(Value::String(kind)) if KNOWN_TYPES.contains(&kind.as_str()) => kind.as_str(),
        Some(other) => {
            return Err(GraphFailure::invalid(format!(
                "Param type must be one of {{{}}} - got {other}.",
                KNOWN_TYPES.join(", ").to_uppercase()
            )));
        }
    };
    match kind {
        "text" => validate_text(body)?,
        "interactive" => validate_interactive(body)?,
        "template" => validate_template(body)?,
        other => {
            if body.get(other).is_none() {
                return Err(GraphFailure::required(other));
            }
        }
    }
    Ok(Accepted::Message {
        recipient,
        by_bsuid,
        kind: kind.to_owned(),
    })
}

fn validate_text(body: &Value) -> Result<(), GraphFailure> {
    let Some(text) = string_at(body, "/text/body") else {
        return Err(GraphFailure::required("text['body']"));
    };
    let length = text.chars().count();
    if text.trim().is_empty() {
        return Err(GraphFailure::invalid(
            "Param text['body'] must be at least 1 character long.",
        ));
    }
    if length > MAX_TEXT_CHARS {
        return Err(GraphFailure::invalid(format!(
            "Param text['body'] must be at most {MAX_TEXT_CHARS} characters long."
        )));
    }
    Ok(())
}

/// Meta's limits for list messages: button label 20, row title 24, row
/// description 72 characters, at most 10 rows, unique row ids.
fn validate_list(body: &Value) -> Result<(), GraphFailure> {
    let text = string_at(body, "/interactive/body/text").unwrap_or_default();
    let length = text.chars().count();
    if length == 0 || length > MAX_INTERACTIVE_BODY_CHARS {
        return Err(GraphFailure::bad_value(format!(
            "Body text length invalid. Min length: 1, Max length: {MAX_INTERACTIVE_BODY_CHARS}"
        )));
    }
    let button = string_at(body, "/interactive/action/button").unwrap_or_default();
    if button.is_empty() || button.chars().count() > MAX_BUTTON_TITLE_CHARS {
        return Err(GraphFailure::bad_value(
            "Button label length invalid. Min length: 1, Max length: 20",
        ));
    }
    let rows: Vec<&Value> = body
        .pointer("/interactive/action/sections")
        .and_then(Value::as_array)
        .map(|sections| {
            sections
                .iter()
                .filter_map(|section| section.get("rows").and_then(Value::as_array))
                .flatten()
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() || rows.len() > 10 {
        return Err(GraphFailure::bad_value(format!(
            "Rows count invalid. Min count: 1, Max count: 10 - got {}",
            rows.len()
        )));
    }
    let mut ids = Vec::new();
    for row in rows {
        let id = string_at(row, "/id").unwrap_or_default();
        let title = string_at(row, "/title").unwrap_or_default().chars().count();
        let description = string_at(row, "/description")
            .unwrap_or_default()
            .chars()
            .count();
        if id.is_empty() || id.chars().count() > 200 || ids.contains(&id) {
            return Err(GraphFailure::bad_value(
                "Row ids must be 1 to 200 characters and unique.",
            ));
        }
        if title == 0 || title > 24 {
            return Err(GraphFailure::bad_value(
                "Row title length invalid. Min length: 1, Max length: 24",
            ));
        }
        if description > 72 {
            return Err(GraphFailure::bad_value(
                "Row description length invalid. Max length: 72",
            ));
        }
        ids.push(id);
    }
    Ok(())
}

fn validate_interactive(body: &Value) -> Result<(), GraphFailure> {
    let Some(kind) = string_at(body, "/interactive/type") else {
        return Err(GraphFailure::required("interactive['type']"));
    };
    if kind == "list" {
        return validate_list(body);
    }
    if kind != "button" {
        // CTA URLs, flows...: Loket does not send them; accept as is.
        return Ok(());
    }
    let text = string_at(body, "/interactive/body/text").unwrap_or_default();
    let length = text.chars().count();
    if length == 0 || length > MAX_INTERACTIVE_BODY_CHARS {
        return Err(GraphFailure::bad_value(format!(
            "Body text length invalid. Min length: 1, Max length: {MAX_INTERACTIVE_BODY_CHARS}"
        )));
    }
    let buttons = body
        .pointer("/interactive/action/buttons")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if buttons.is_empty() || buttons.len() > 3 {
        return Err(GraphFailure::bad_value(format!(
            "Buttons count invalid. Min count: 1, Max count: 3 - got {}",
            buttons.len()
        )));
    }
    let mut ids = Vec::new();
    let mut titles = Vec::new();
    for button in buttons {
        if string_at(button, "/type") != Some("reply") {
            return Err(GraphFailure::bad_value("Button type must be reply."));
        }
        let id = string_at(button, "/reply/id").unwrap_or_default();
        let title = string_at(button, "/reply/title").unwrap_or_default();
        let title_length = title.chars().count();
        if title_length == 0 || title_length > MAX_BUTTON_TITLE_CHARS {
            return Err(GraphFailure::bad_value(format!(
                "Button title length invalid. Min length: 1, Max length: {MAX_BUTTON_TITLE_CHARS}"
            )));
        }
        if id.is_empty() || id.chars().count() > MAX_BUTTON_ID_CHARS {
            return Err(GraphFailure::bad_value(format!(
                "Button id length invalid. Min length: 1, Max length: {MAX_BUTTON_ID_CHARS}"
            )));
        }
        if ids.contains(&id) || titles.contains(&title) {
            return Err(GraphFailure::bad_value(
                "Button ids and titles must be unique.",
            ));
        }
        ids.push(id);
        titles.push(title);
    }
    Ok(())
}

fn validate_template(body: &Value) -> Result<(), GraphFailure> {
    if string_at(body, "/template/name").is_none_or(str::is_empty) {
        return Err(GraphFailure::required("template['name']"));
    }
    if string_at(body, "/template/language/code").is_none_or(str::is_empty) {
        return Err(GraphFailure::required("template['language']['code']"));
    }
    if let Some(components) = body.pointer("/template/components") {
        if !components.is_array() {
            return Err(GraphFailure::invalid(
                "Param template['components'] must be an array.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fake() -> FakeGraphApi {
        FakeGraphApi::start(FakeGraphConfig::default())
            .await
            .expect("fake Graph API starts")
    }

    fn url(fake: &FakeGraphApi, phone_number_id: &str) -> String {
        format!("{}/v23.0/{phone_number_id}/messages", fake.base_url())
    }

    async fn post(fake: &FakeGraphApi, body: Value) -> (u16, Value) {
        post_to(fake, "123456789012345", Some("test-access-token"), body).await
    }

    async fn post_to(
        fake: &FakeGraphApi,
        phone_number_id: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(url(fake, phone_number_id))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("fake answers");
        let status = response.status().as_u16();
        let json = response.json::<Value>().await.expect("JSON answer");
        (status, json)
    }

    fn text_message(body: &str) -> Value {
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "31600000001",
            "type": "text",
            "text": { "body": body },
        })
    }

    #[tokio::test]
    async fn a_valid_text_gets_metas_success_answer_with_a_fresh_wamid() {
        let fake = fake().await;
        let (status, first) = post(&fake, text_message("Hallo")).await;
        let (_, second) = post(&fake, text_message("Hallo")).await;

        assert_eq!(status, 200);
        assert_eq!(first["messaging_product"], json!("whatsapp"));
        assert_eq!(
            first["contacts"],
            json!([{ "input": "31600000001", "wa_id": "31600000001" }])
        );
        let id = first["messages"][0]["id"].as_str().expect("id");
        assert!(id.starts_with("wamid."));
        assert_ne!(Some(id), second["messages"][0]["id"].as_str());
        assert_eq!(fake.sent_messages().len(), 2);
        assert_eq!(fake.sent_messages()[0].text(), Some("Hallo"));
    }

    #[tokio::test]
    async fn a_missing_or_wrong_token_gets_401_with_oauth_code_190() {
        let fake = fake().await;
        for token in [None, Some("wrong")] {
            let (status, answer) =
                post_to(&fake, "123456789012345", token, text_message("Hallo")).await;
            assert_eq!(status, 401);
            assert_eq!(answer["error"]["code"], json!(190));
            assert_eq!(answer["error"]["type"], json!("OAuthException"));
            assert_eq!(
                answer["error"]["message"],
                json!("Invalid OAuth access token.")
            );
        }
        assert!(fake.received().is_empty());
        assert_eq!(fake.failed_requests(), 2);
    }

    #[tokio::test]
    async fn an_unknown_phone_number_id_gets_400_with_code_100() {
        let fake = fake().await;
        let (status, answer) = post_to(
            &fake,
            "999",
            Some("test-access-token"),
            text_message("Hallo"),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(answer["error"]["code"], json!(100));
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("'999' does not exist"))
        );
    }

    #[tokio::test]
    async fn malformed_messages_are_refused_like_meta_does() {
        let fake = fake().await;
        let too_long = "a".repeat(MAX_TEXT_CHARS + 1);
        let cases = [
            (
                json!({ "to": "31600000001", "type": "text", "text": { "body": "x" } }),
                "messaging_product",
            ),
            (
                json!({ "messaging_product": "whatsapp", "type": "text", "text": { "body": "x" } }),
                "to",
            ),
            (
                json!({ "messaging_product": "whatsapp", "to": "316", "type": "fax" }),
                "type must be one of",
            ),
            (text_message(""), "at least 1 character"),
            (text_message(&too_long), "at most 4096"),
            (
                json!({ "messaging_product": "whatsapp", "to": "316", "type": "template", "template": { "language": { "code": "nl" } } }),
                "template['name']",
            ),
            (
                json!({ "messaging_product": "whatsapp", "status": "read" }),
                "message_id",
            ),
        ];
        for (body, expected) in cases {
            let (status, answer) = post(&fake, body.clone()).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(answer["error"]["code"], json!(100), "{body}");
            let error = answer["error"].to_string();
            assert!(error.contains(expected), "{expected:?} not in {error}");
        }
        assert!(fake.received().is_empty());
        assert_eq!(fake.failed_requests(), 7);
    }

    #[tokio::test]
    async fn too_many_or_too_long_buttons_are_refused_with_131009() {
        let fake = fake().await;
        let buttons = |titles: &[&str]| {
            let buttons: Vec<Value> = titles
                .iter()
                .enumerate()
                .map(|(i, title)| json!({ "type": "reply", "reply": { "id": format!("b{i}"), "title": title } }))
                .collect();
            json!({
                "messaging_product": "whatsapp",
                "to": "31600000001",
                "type": "interactive",
                "interactive": { "type": "button", "body": { "text": "Kies" }, "action": { "buttons": buttons } },
            })
        };
        let (status, _) = post(&fake, buttons(&["Ja", "Nee"])).await;
        assert_eq!(status, 200);
        for titles in [
            &["a", "b", "c", "d"][..],
            &["Een titel die veel te lang is"][..],
        ] {
            let (status, answer) = post(&fake, buttons(titles)).await;
            assert_eq!(status, 400);
            assert_eq!(answer["error"]["code"], json!(131009));
        }
    }

    #[tokio::test]
    async fn a_bsuid_recipient_is_accepted_and_echoed_as_user_id() {
        let fake = fake().await;
        let body = json!({
            "messaging_product": "whatsapp",
            "recipient": "NL.1502576394655843",
            "type": "text",
            "text": { "body": "Hoi" },
        });
        let (status, answer) = post(&fake, body).await;
        assert_eq!(status, 200);
        assert_eq!(
            answer["contacts"][0]["user_id"],
            json!("NL.1502576394655843")
        );
        assert_eq!(
            fake.sent_messages()[0].recipient(),
            Some("NL.1502576394655843")
        );
    }

    #[tokio::test]
    async fn scripted_faults_apply_to_the_next_requests_only_and_are_recorded() {
        let fake = fake().await;
        fake.fail_next(2, Fault::ServerError);
        fake.fail_next(1, Fault::PairRateLimited);

        let statuses = [
            post(&fake, text_message("1")).await.0,
            post(&fake, text_message("2")).await.0,
            post(&fake, text_message("3")).await.0,
            post(&fake, text_message("4")).await.0,
        ];
        assert_eq!(statuses, [500, 500, 400, 200]);
        let codes: Vec<Option<i64>> = fake.rejected().iter().map(|r| r.code).collect();
        assert_eq!(codes, [Some(1), Some(1), Some(131056)]);
        assert_eq!(fake.failed_requests(), 3);
        assert_eq!(fake.sent_messages().len(), 1);
    }

    #[tokio::test]
    async fn beyond_the_rate_limit_the_fake_answers_130429() {
        let fake = fake().await;
        fake.set_rate_limit(Some(2));
        let mut statuses = Vec::new();
        for i in 0..4 {
            let (status, answer) = post(&fake, text_message(&i.to_string())).await;
            statuses.push((status, answer["error"]["code"].as_i64()));
        }
        assert_eq!(
            statuses,
            [
                (200, None),
                (200, None),
                (400, Some(130429)),
                (400, Some(130429))
            ]
        );

        fake.set_rate_limit(None);
        assert_eq!(post(&fake, text_message("later")).await.0, 200);
    }

    #[tokio::test]
    async fn beyond_the_pair_limit_one_recipient_gets_131056_and_others_are_served() {
        let fake = fake().await;
        fake.set_pair_limit(Some((2, Duration::from_secs(60))));
        let mut codes = Vec::new();
        for i in 0..3 {
            let (status, answer) = post(&fake, text_message(&i.to_string())).await;
            codes.push((status, answer["error"]["code"].as_i64()));
        }
        assert_eq!(codes, [(200, None), (200, None), (400, Some(131056))]);
        let mut other = text_message("someone else");
        other["to"] = json!("31600000002");
        assert_eq!(post(&fake, other).await.0, 200);
        assert_eq!(fake.accepted_count(), 3);
        assert_eq!(fake.rejected()[0].code, Some(131056));
    }

    #[tokio::test]
    async fn wait_for_messages_returns_once_enough_arrived_or_at_the_timeout() {
        let fake = fake().await;
        let base = fake.base_url().to_owned();
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            reqwest::Client::new()
                .post(format!("{base}/v23.0/123456789012345/messages"))
                .bearer_auth("test-access-token")
                .json(&text_message("later"))
                .send()
                .await
                .map(|response| response.status().as_u16())
        });
        let got = fake.wait_for_messages(1, Duration::from_secs(5)).await;
        assert_eq!(got.len(), 1);
        assert_eq!(sender.await.expect("task").expect("sent"), 200);

        let started = Instant::now();
        let got = fake.wait_for_messages(2, Duration::from_millis(200)).await;
        assert_eq!(got.len(), 1, "returns what it has at the timeout");
        assert!(started.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn after_shutdown_the_port_is_closed() {
        let fake = fake().await;
        let target = url(&fake, "123456789012345");
        fake.shutdown().await;
        let result = reqwest::Client::new()
            .post(target)
            .json(&text_message("x"))
            .send()
            .await;
        assert!(result.is_err(), "{result:?}");
    }
}
