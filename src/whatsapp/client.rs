//! The outbound Graph API client: turns an [`OutgoingMessage`] into Meta's
//! Cloud API JSON, POSTs it to `/{version}/{phone_number_id}/messages` and
//! sorts every failure into [`SendError::Retryable`] or
//! [`SendError::Permanent`], so the outbox knows whether to try again.
//!
//! Invariants kept here:
//! - the access token never leaves this module in readable form: it is not
//!   in any `Debug` output, and every error title is scrubbed of it (and of
//!   the message text we tried to send) before it is returned;
//! - a citizen's reply is never thrown away because of something an
//!   operator can fix: auth and permission failures are retryable (and
//!   flagged with [`SendError::is_auth_problem`] so the caller can log
//!   loudly); only errors Meta attributes to the message or the recipient
//!   are permanent;
//! - the client never retries by itself; it reports `Retry-After` and lets
//!   the caller (the outbox) schedule the next attempt.
//!
//! [`Transport`] picks between this client and [`LogTransport`], which only
//! logs what the bot would have sent (for a newcomer running Loket without
//! WhatsApp credentials).

use crate::domain::{
    CitizenRef, GraphErrorDetail, MediaKind, OutgoingContent, OutgoingMessage, Wamid,
};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::fmt;
use std::time::Duration;

mod upload;

pub use upload::FileToUpload;

/// Where Meta's Graph API lives.
pub const DEFAULT_API_BASE: &str = "https://graph.facebook.com";
/// The Graph API version Loket is written against.
pub const DEFAULT_API_VERSION: &str = "v23.0";
/// Total time allowed for one send (connect, request and response).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Connecting should be quick; a slow connect means Meta (or our network)
/// is unreachable, and waiting the full request timeout would only delay the
/// retry.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Error titles end up in logs and in the staff screen; Meta's details can
/// be long, so keep them readable.
const MAX_TITLE_CHARS: usize = 300;
/// Message texts shorter than this are not scrubbed from error titles: a
/// button title like "Ja" would otherwise mangle every word containing it.
const MIN_SCRUB_CHARS: usize = 6;

/// Meta error codes that go away by themselves: throttling (4, 17, 80007,
/// 130429, 131048 spam rate, 131056 pair rate), unknown/temporary server
/// errors (1, 2, 131000, 131016, 133004) and maintenance mode (131057).
const RETRYABLE_CODES: &[i64] = &[
    1, 2, 4, 17, 80007, 130429, 131000, 131016, 131048, 131056, 131057, 133004,
];

/// Meta codes meaning our token or app permissions are wrong: 0
/// (AuthException), 3 (capability), 10 (permission denied), 190 (invalid or
/// expired token), 200-299 (API permission). An operator can fix all of
/// these, so they are retryable.
fn is_auth_code(code: i64) -> bool {
    matches!(code, 0 | 3 | 10 | 190 | 200..=299)
}

/// How to reach the Graph API for one business phone number.
#[derive(Clone)]
pub struct GraphSettings {
    /// Scheme and host of the Graph API, default [`DEFAULT_API_BASE`]; tests
    /// point it at the test kit's loopback fake (`loket_testkit::fake_graph`).
    pub api_base: String,
    /// Graph API version such as `v23.0`.
    pub api_version: String,
    /// Meta's id of the business phone number we send from (digits).
    pub phone_number_id: String,
    /// System-user access token; sent only as a bearer header.
    pub access_token: SecretString,
    /// Total time allowed for one send.
    pub timeout: Duration,
}

impl GraphSettings {
    /// Settings for Meta's production Graph API with the default version and
    /// timeout.
    pub fn new(phone_number_id: impl Into<String>, access_token: SecretString) -> Self {
        Self {
            api_base: DEFAULT_API_BASE.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            phone_number_id: phone_number_id.into(),
            access_token,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl fmt::Debug for GraphSettings {
    // Written by hand so the token cannot leak through a derive, whatever
    // `SecretString`'s own Debug does in a future version.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphSettings")
            .field("api_base", &self.api_base)
            .field("api_version", &self.api_version)
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &"[redacted]")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a [`GraphClient`] could not be built. Never contains the token.
#[derive(Debug, thiserror::Error)]
pub enum GraphClientError {
    /// A setting is malformed; `reason` says how (not what the value was,
    /// when the value is secret).
    #[error("invalid WhatsApp setting {field}: {reason}")]
    InvalidSetting {
        /// Name of the [`GraphSettings`] field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client (TLS backend) could not be initialised.
    #[error("could not build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// What a successful send returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// Meta's id for the message; `None` for read receipts (Meta answers
    /// `{"success":true}`) and when a 2xx answer carried no usable id.
    pub wamid: Option<Wamid>,
}

/// Why a send failed. Holds Meta's error code and a short title only: never
/// the access token, never the text we tried to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later: network trouble, timeouts, 5xx, throttling, Meta's
    /// temporary errors, and auth problems an operator can fix.
    #[error("retryable WhatsApp send failure{}: {title}", code_suffix(*code))]
    Retryable {
        /// Meta's error code, if the answer carried one.
        code: Option<i64>,
        /// Short human-readable reason.
        title: String,
        /// How long Meta asked us to wait (`Retry-After`), if it did.
        retry_after: Option<Duration>,
    },
    /// Sending this message again will fail again (invalid parameter,
    /// undeliverable, outside the 24-hour window, template errors, ...).
    #[error("permanent WhatsApp send failure (code {code}): {title}")]
    Permanent {
        /// Meta's error code; the HTTP status when Meta gave none.
        code: i64,
        /// Short human-readable reason.
        title: String,
    },
}

fn code_suffix(code: Option<i64>) -> String {
    code.map(|code| format!(" (code {code})"))
        .unwrap_or_default()
}

impl SendError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retryable { .. })
    }

    /// Whether the failure is our token or app permissions: retryable, but
    /// nothing will be delivered until an operator fixes the configuration,
    /// so the caller should log it loudly.
    pub fn is_auth_problem(&self) -> bool {
        match self {
            SendError::Retryable { code, .. } => code.is_some_and(is_auth_code),
            SendError::Permanent { .. } => false,
        }
    }

    /// Meta's error code, if known.
    pub fn code(&self) -> Option<i64> {
        match self {
            SendError::Retryable { code, .. } => *code,
            SendError::Permanent { code, .. } => Some(*code),
        }
    }

    /// The short reason.
    pub fn title(&self) -> &str {
        match self {
            SendError::Retryable { title, .. } | SendError::Permanent { title, .. } => title,
        }
    }

    /// The delay Meta asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SendError::Retryable { retry_after, .. } => *retry_after,
            SendError::Permanent { .. } => None,
        }
    }

    /// The error as the domain stores it (same shape as a failed status
    /// callback), when there is a Meta code.
    pub fn detail(&self) -> Option<GraphErrorDetail> {
        self.code().map(|code| GraphErrorDetail {
            code,
            title: self.title().to_owned(),
        })
    }
}

/// Sends messages through Meta's Graph API. Cheap to clone (the connection
/// pool is shared).
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    settings: GraphSettings,
    messages_url: reqwest::Url,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("messages_url", &self.messages_url.as_str())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// Checks the settings and builds a rustls HTTP client with connect and
    /// total timeouts.
    pub fn new(settings: GraphSettings) -> Result<Self, GraphClientError> {
        let invalid = |field, reason: &str| GraphClientError::InvalidSetting {
            field,
            reason: reason.to_owned(),
        };
        let base = reqwest::Url::parse(&settings.api_base)
            .map_err(|err| invalid("api_base", &format!("not a URL ({err})")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(invalid("api_base", "must be an http(s) URL"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(invalid("api_base", "must not have a query or fragment"));
        }
        let version = settings.api_version.as_str();
        if version.is_empty()
            || !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            return Err(invalid("api_version", "must look like v23.0"));
        }
        let phone = settings.phone_number_id.as_str();
        if phone.is_empty() || !phone.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid("phone_number_id", "must be Meta's numeric id"));
        }
        let token = settings.access_token.expose_secret();
        // Checked here so a token with a newline fails at startup, not as a
        // confusing error on the first citizen's reply.
        if token.is_empty() || HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
            return Err(invalid(
                "access_token",
                "must be non-empty and contain only visible ASCII",
            ));
        }
        if settings.timeout.is_zero() {
            return Err(invalid("timeout", "must be more than zero"));
        }
        let messages_url = reqwest::Url::parse(&format!(
            "{}/{version}/{phone}/messages",
            settings.api_base.trim_end_matches('/')
        ))
        .map_err(|err| {
            invalid(
                "api_base",
                &format!("cannot build the messages URL ({err})"),
            )
        })?;

        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(settings.timeout.min(MAX_CONNECT_TIMEOUT))
            .timeout(settings.timeout)
            // Meta never redirects a POST; following one would turn it into
            // a GET somewhere else. Surface it instead (retryable, logged).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("loket/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(GraphClientError::Http)?;
        Ok(Self {
            http,
            settings,
            messages_url,
        })
    }

    /// The settings this client was built with.
    pub fn settings(&self) -> &GraphSettings {
        &self.settings
    }

    /// Sends one message (or read receipt). Makes exactly one HTTP request;
    /// retrying is the caller's decision.
    pub async fn send(&self, message: &OutgoingMessage) -> Result<SendOutcome, SendError> {
        let body = request_body(message)?;
        tracing::debug!(
            kind = content_kind(&message.content),
            to = %message.to.log_label(),
            "sending to the Graph API"
        );
        let request = self.http.post(self.messages_url.clone()).json(&body);
        let bytes = self.answer(request, message).await?;
        Ok(parse_success(&bytes, &message.content))
    }

    /// Makes `request` with the bearer token for `message` (sent, or its
    /// file uploaded) and returns the body of a 2xx answer, or the failure
    /// sorted and scrubbed.
    async fn answer(
        &self,
        request: reqwest::RequestBuilder,
        message: &OutgoingMessage,
    ) -> Result<Vec<u8>, SendError> {
        let result = request
            .bearer_auth(self.settings.access_token.expose_secret())
            .send()
            .await;
        let response = match result {
            Ok(response) => response,
            Err(err) => return Err(self.scrub(network_error(&err), message)),
        };
        let status = response.status();
        let retry_after = parse_retry_after(response.headers());
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            // The answer was cut off: we cannot know whether Meta accepted
            // the message. A possible duplicate beats a lost reply. (An
            // upload is only uploaded again: an unused file at Meta.)
            Err(err) => return Err(self.scrub(network_error(&err), message)),
        };
        if status.is_success() {
            // Meta's answers are a few hundred bytes.
            return Ok(bytes.to_vec());
        }
        let error = serde_json::from_slice::<ErrorEnvelope>(&bytes)
            .ok()
            .map(|envelope| envelope.error);
        Err(self.scrub(classify(status, retry_after, error), message))
    }

    /// Removes the token and the texts we sent from an error title, and
    /// shortens it. Meta does not echo either today; this keeps the promise
    /// of [`SendError`] even if a proxy or a future API version does.
    fn scrub(&self, error: SendError, message: &OutgoingMessage) -> SendError {
        let token = self.settings.access_token.expose_secret();
        let clean = |title: String| {
            let mut title = title.replace(token, "[redacted]");
            for text in message_texts(&message.content) {
                if text.chars().count() >= MIN_SCRUB_CHARS {
                    title = title.replace(text, "[message text]");
                }
            }
            // The recipient's number (Meta writes it without `+`, which the
            // personal-data rules would not see) and any other personal data.
            if let Some(wa_id) = &message.to.wa_id {
                title = title.replace(wa_id.as_str(), &wa_id.masked());
            }
            let title = crate::privacy::mask(&title);
            truncate_chars(&title, MAX_TITLE_CHARS)
        };
        match error {
            SendError::Retryable {
                code,
                title,
                retry_after,
            } => SendError::Retryable {
                code,
                title: clean(title),
                retry_after,
            },
            SendError::Permanent { code, title } => SendError::Permanent {
                code,
                title: clean(title),
            },
        }
    }
}

/// The texts of a message that must not end up in an error.
fn message_texts(content: &OutgoingContent) -> Vec<&str> {
    match content {
        OutgoingContent::Text { body } => vec![body.as_str()],
        OutgoingContent::Buttons { body, buttons } => std::iter::once(body.as_str())
            .chain(buttons.iter().map(|button| button.title.as_str()))
            .collect(),
        OutgoingContent::List { body, button, rows } => [body.as_str(), button.as_str()]
            .into_iter()
            .chain(rows.iter().flat_map(|row| {
                std::iter::once(row.title.as_str()).chain(row.description.as_deref())
            }))
            .collect(),
        OutgoingContent::Template {
            body_parameters, ..
        } => body_parameters.iter().map(String::as_str).collect(),
        OutgoingContent::Media {
            caption, filename, ..
        } => std::iter::once(filename.as_str())
            .chain(caption.as_deref())
            .collect(),
        OutgoingContent::MarkRead { .. } => Vec::new(),
    }
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Stable name of an outgoing kind, for logs.
fn content_kind(content: &OutgoingContent) -> &'static str {
    match content {
        OutgoingContent::Text { .. } => "text",
        OutgoingContent::Buttons { .. } => "buttons",
        OutgoingContent::List { .. } => "list",
        OutgoingContent::Template { .. } => "template",
        OutgoingContent::Media { .. } => "media",
        OutgoingContent::MarkRead { .. } => "mark_read",
    }
}

/// The JSON body Meta's Cloud API expects for `message`.
///
/// Fails (permanently, code 100 as Meta would answer) only when the message
/// has no recipient at all.
pub fn request_body(message: &OutgoingMessage) -> Result<Value, SendError> {
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    if let OutgoingContent::MarkRead { wamid } = &message.content {
        // A read receipt names the message, not the citizen.
        body.insert("status".into(), json!("read"));
        body.insert("message_id".into(), json!(wamid.as_str()));
        return Ok(Value::Object(body));
    }
    body.insert("recipient_type".into(), json!("individual"));
    insert_recipient(&mut body, &message.to)?;
    match &message.content {
        OutgoingContent::Text { body: text } => {
            body.insert("type".into(), json!("text"));
            body.insert("text".into(), json!({ "body": text, "preview_url": false }));
        }
        OutgoingContent::Buttons {
            body: text,
            buttons,
        } => {
            let buttons: Vec<Value> = buttons
                .iter()
                .map(|button| {
                    json!({ "type": "reply", "reply": { "id": button.id, "title": button.title } })
                })
                .collect();
            body.insert("type".into(), json!("interactive"));
            body.insert(
                "interactive".into(),
                json!({
                    "type": "button",
                    "body": { "text": text },
                    "action": { "buttons": buttons },
                }),
            );
        }
        OutgoingContent::List {
            body: text,
            button,
            rows,
        } => {
            let rows: Vec<Value> = rows
                .iter()
                .map(|row| {
                    let mut item = json!({ "id": row.id, "title": row.title });
                    if let Some(description) = &row.description {
                        item["description"] = json!(description);
                    }
                    item
                })
                .collect();
            body.insert("type".into(), json!("interactive"));
            body.insert(
                "interactive".into(),
                json!({
                    "type": "list",
                    "body": { "text": text },
                    "action": { "button": button, "sections": [ { "rows": rows } ] },
                }),
            );
        }
        OutgoingContent::Template {
            name,
            language,
            body_parameters,
        } => {
            let mut template = Map::new();
            template.insert("name".into(), json!(name));
            template.insert("language".into(), json!({ "code": language }));
            // Meta rejects an empty parameter list for a template without
            // variables, so leave `components` out entirely then.
            if !body_parameters.is_empty() {
                let parameters: Vec<Value> = body_parameters
                    .iter()
                    .map(|text| json!({ "type": "text", "text": text }))
                    .collect();
                template.insert(
                    "components".into(),
                    json!([{ "type": "body", "parameters": parameters }]),
                );
            }
            body.insert("type".into(), json!("template"));
            body.insert("template".into(), Value::Object(template));
        }
        OutgoingContent::Media {
            media,
            filename,
            caption,
            id,
        } => {
            let not_sendable = |title: &str| SendError::Permanent {
                code: 0,
                title: title.to_owned(),
            };
            // The sender fills in the id right after uploading the file.
            let id = id
                .as_deref()
                .ok_or_else(|| not_sendable("a file is sent only after its upload"))?;
            let kind = match media {
                MediaKind::Image => "image",
                MediaKind::Document => "document",
                _ => return Err(not_sendable("only images and documents are sent")),
            };
            let mut object = Map::new();
            object.insert("id".into(), json!(id));
            if let Some(caption) = caption {
                object.insert("caption".into(), json!(caption));
            }
            // Meta shows a document's name; an image has none.
            if *media == MediaKind::Document {
                object.insert("filename".into(), json!(filename));
            }
            body.insert("type".into(), json!(kind));
            body.insert(kind.into(), Value::Object(object));
        }
        OutgoingContent::MarkRead { .. } => {}
    }
    Ok(Value::Object(body))
}

/// `to` (phone) when we know the number, otherwise `recipient` (BSUID).
/// Meta lets `to` win when both are present, so sending only one keeps the
/// request unambiguous.
fn insert_recipient(body: &mut Map<String, Value>, to: &CitizenRef) -> Result<(), SendError> {
    match (&to.wa_id, &to.user_id) {
        (Some(wa_id), _) => {
            body.insert("to".into(), json!(wa_id.as_str()));
        }
        (None, Some(user_id)) => {
            body.insert("recipient".into(), json!(user_id.as_str()));
        }
        (None, None) => {
            return Err(SendError::Permanent {
                code: 100,
                title: "message has neither a phone number nor a BSUID to send to".to_owned(),
            });
        }
    }
    Ok(())
}

/// Meta's success answer; both shapes (message and read receipt) in one.
#[derive(Deserialize)]
struct SuccessBody {
    #[serde(default)]
    messages: Vec<MessageRef>,
    success: Option<bool>,
}

#[derive(Deserialize)]
struct MessageRef {
    id: String,
}

/// A 2xx means Meta accepted the request, so this never fails: an answer we
/// cannot read is logged and reported without a wamid rather than retried
/// (which would send the citizen the same reply twice).
fn parse_success(bytes: &[u8], content: &OutgoingContent) -> SendOutcome {
    let parsed = serde_json::from_slice::<SuccessBody>(bytes).ok();
    if let OutgoingContent::MarkRead { .. } = content {
        if parsed.as_ref().and_then(|body| body.success) != Some(true) {
            tracing::warn!("Graph API accepted a read receipt without {{\"success\":true}}");
        }
        return SendOutcome { wamid: None };
    }
    let wamid = parsed
        .and_then(|body| body.messages.into_iter().next())
        .and_then(|message| Wamid::parse(&message.id).ok());
    if wamid.is_none() {
        tracing::warn!(
            "Graph API accepted a message but returned no usable message id; status callbacks for it cannot be matched"
        );
    }
    SendOutcome { wamid }
}

/// Meta's error envelope: `{"error": {...}}`.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: GraphErrorBody,
}

/// The fields of Meta's error object we use. `code` is read leniently
/// (number or numeric string) because some proxies stringify it.
#[derive(Deserialize)]
struct GraphErrorBody {
    message: Option<String>,
    title: Option<String>,
    code: Option<Value>,
    error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
struct ErrorData {
    details: Option<String>,
}

impl GraphErrorBody {
    fn code(&self) -> Option<i64> {
        match self.code.as_ref()? {
            Value::Number(number) => number.as_i64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// `title` if present (webhook-style errors), otherwise the message
    /// without its `(#code) ` prefix, followed by the details when they add
    /// something.
    fn title(&self) -> Option<String> {
        if let Some(title) = self.title.as_deref().filter(|t| !t.trim().is_empty()) {
            return Some(title.trim().to_owned());
        }
        let message = self
            .message
            .as_deref()
            .map(strip_code_prefix)
            .filter(|m| !m.is_empty());
        let details = self
            .error_data
            .as_ref()
            .and_then(|data| data.details.as_deref())
            .map(str::trim)
            .filter(|d| !d.is_empty());
        match (message, details) {
            (Some(message), Some(details)) if message != details => {
                Some(format!("{message}: {details}"))
            }
            (Some(message), _) => Some(message.to_owned()),
            (None, Some(details)) => Some(details.to_owned()),
            (None, None) => None,
        }
    }
}

/// `"(#131047) Re-engagement message"` → `"Re-engagement message"`.
fn strip_code_prefix(message: &str) -> &str {
    let message = message.trim();
    if message.starts_with("(#") {
        if let Some(end) = message.find(')') {
            return message[end + 1..].trim_start();
        }
    }
    message
}

/// Sorts a non-2xx answer. Meta's code decides first (Meta documents that
/// the code, not the HTTP status, is what to build on; throughput errors
/// have come with 400 as well as 429); the status decides when there is no
/// code.
fn classify(
    status: StatusCode,
    retry_after: Option<Duration>,
    error: Option<GraphErrorBody>,
) -> SendError {
    let mut code = error.as_ref().and_then(GraphErrorBody::code);
    let title = error
        .as_ref()
        .and_then(GraphErrorBody::title)
        .unwrap_or_else(|| format!("HTTP {status} without a Graph API error body"));
    if status == StatusCode::UNAUTHORIZED && code.is_none() {
        // A bare 401 (e.g. from a proxy) is still a token problem; give it
        // Meta's "invalid token" code so `is_auth_problem` holds.
        code = Some(190);
    }
    let retryable = code.is_some_and(|c| is_auth_code(c) || RETRYABLE_CODES.contains(&c))
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        // Only 4xx are the request's own fault; 5xx and anything odd (a
        // redirect, a 1xx) is the server's or the configuration's.
        || !status.is_client_error();
    if retryable {
        SendError::Retryable {
            code,
            title,
            retry_after,
        }
    } else {
        SendError::Permanent {
            code: code.unwrap_or_else(|| i64::from(status.as_u16())),
            title,
        }
    }
}

/// A failure before a complete answer arrived: always retryable.
fn network_error(err: &reqwest::Error) -> SendError {
    let cause = root_cause(err);
    let title = if err.is_timeout() {
        format!("Graph API did not answer in time (timed out: {cause})")
    } else if err.is_connect() {
        format!("could not connect to the Graph API: {cause}")
    } else if err.is_body() || err.is_decode() {
        format!("connection lost while reading the Graph API answer: {cause}")
    } else {
        format!("request to the Graph API failed: {cause}")
    };
    SendError::Retryable {
        code: None,
        title,
        retry_after: None,
    }
}

/// The innermost error's text (e.g. "Connection refused (os error 111)"),
/// which says more than reqwest's "error sending request".
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    // An HTTP date is relative to the wall clock by definition.
    let wait =
        at.with_timezone(&chrono::Utc) - crate::clock::Clock::now(&crate::clock::SystemClock);
    // A date in the past means "now".
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Logs what the bot would send instead of sending it; used when no
/// WhatsApp credentials are configured, so Loket runs out of the box.
#[derive(Debug, Clone, Default)]
pub struct LogTransport;

impl LogTransport {
    /// A log transport.
    pub fn new() -> Self {
        Self
    }

    /// Logs the message (kind, masked recipient, the bot's text) at info
    /// level and returns a synthetic `log.<random>` wamid. Read receipts get
    /// no wamid, as from the Graph API.
    pub async fn send(&self, message: &OutgoingMessage) -> Result<SendOutcome, SendError> {
        // Our own texts, but staff replies and echoed input (a postcode)
        // may quote the citizen: personal data is masked.
        let text = crate::privacy::mask(&preview(&message.content));
        tracing::info!(
            kind = content_kind(&message.content),
            to = %message.to.log_label(),
            // Debug: a line break in a staff reply stays `\n`, so it
            // cannot start a forged log line.
            text = ?text,
            "WhatsApp not configured; would send"
        );
        if let OutgoingContent::MarkRead { .. } = message.content {
            return Ok(SendOutcome { wamid: None });
        }
        let id = format!("log.{:016x}", rand::random::<u64>());
        let wamid = Wamid::parse(&id).map_err(|_| SendError::Permanent {
            code: 0,
            title: "could not make a synthetic message id".to_owned(),
        })?;
        Ok(SendOutcome { wamid: Some(wamid) })
    }
}

/// What the citizen would see, on one line: the text, button titles in
/// brackets, or the template with its parameters.
pub fn preview(content: &OutgoingContent) -> String {
    match content {
        OutgoingContent::Text { body } => body.clone(),
        OutgoingContent::Buttons { body, buttons } => {
            let titles: Vec<String> = buttons
                .iter()
                .map(|button| format!("[{}]", button.title))
                .collect();
            format!("{body} {}", titles.join(" "))
        }
        OutgoingContent::List { body, rows, .. } => {
            let titles: Vec<String> = rows.iter().map(|row| format!("[{}]", row.title)).collect();
            format!("{body} {}", titles.join(" "))
        }
        OutgoingContent::Template {
            name,
            language,
            body_parameters,
        } => format!(
            "template {name} ({language}) with parameters {:?}",
            body_parameters
        ),
        OutgoingContent::Media {
            filename, caption, ..
        } => format!("file {filename} {}", caption.as_deref().unwrap_or_default()),
        OutgoingContent::MarkRead { wamid } => format!("mark {wamid} as read"),
    }
}

/// Where outgoing messages go: Meta's Graph API, or the log when no
/// credentials are configured.
#[derive(Debug, Clone)]
pub enum Transport {
    /// Real sends through the Graph API.
    Graph(GraphClient),
    /// Log only.
    Log(LogTransport),
}

impl Transport {
    /// [`Transport::Graph`] when settings are given, else [`Transport::Log`].
    pub fn from_settings(settings: Option<GraphSettings>) -> Result<Self, GraphClientError> {
        Ok(match settings {
            Some(settings) => Transport::Graph(GraphClient::new(settings)?),
            None => Transport::Log(LogTransport::new()),
        })
    }

    /// Sends (or logs) one message.
    pub async fn send(&self, message: &OutgoingMessage) -> Result<SendOutcome, SendError> {
        match self {
            Transport::Graph(client) => client.send(message).await,
            Transport::Log(log) => log.send(message).await,
        }
    }

    /// Uploads a file to send (or, logging, pretends to) and returns
    /// Meta's media id for it.
    pub async fn upload(
        &self,
        message: &OutgoingMessage,
        file: FileToUpload,
    ) -> Result<String, SendError> {
        match self {
            Transport::Graph(client) => client.upload(message, file).await,
            Transport::Log(_) => {
                tracing::info!(
                    bytes = file.bytes.len(),
                    mime = %file.mime,
                    "WhatsApp not configured; would upload a file"
                );
                Ok(format!("log-media.{:016x}", rand::random::<u64>()))
            }
        }
    }

    /// A short label for the startup log.
    pub fn describe(&self) -> String {
        match self {
            Transport::Graph(client) => format!(
                "graph: {} {}",
                client.settings.api_base, client.settings.api_version
            ),
            Transport::Log(_) => "log (no WhatsApp credentials)".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_401_without_a_graph_body_still_counts_as_an_auth_problem() {
        let error = classify(StatusCode::UNAUTHORIZED, None, None);
        assert!(error.is_retryable() && error.is_auth_problem(), "{error:?}");
    }

    #[test]
    fn errors_are_sorted_by_metas_code_before_the_http_status() {
        let body = |code: i64| GraphErrorBody {
            message: Some(format!("(#{code}) Something")),
            title: None,
            code: Some(json!(code)),
            error_data: None,
        };
        let bad_request = StatusCode::BAD_REQUEST;
        for code in [
            1, 2, 4, 17, 80007, 130429, 131000, 131016, 131048, 131056, 131057, 133004,
        ] {
            assert!(
                classify(bad_request, None, Some(body(code))).is_retryable(),
                "{code} should be retryable"
            );
        }
        for code in [0, 10, 190, 200] {
            let error = classify(StatusCode::FORBIDDEN, None, Some(body(code)));
            assert!(error.is_retryable() && error.is_auth_problem(), "{code}");
        }
        for code in [100, 131026, 131047, 131051, 131062, 132000, 132001, 132069] {
            let error = classify(bad_request, None, Some(body(code)));
            assert_eq!(error.code(), Some(code));
            assert!(!error.is_retryable(), "{code} should be permanent");
        }
        assert!(classify(StatusCode::TOO_MANY_REQUESTS, None, None).is_retryable());
        assert!(classify(StatusCode::BAD_GATEWAY, None, None).is_retryable());
        assert_eq!(
            classify(StatusCode::NOT_FOUND, None, None).code(),
            Some(404),
            "no Meta code: the HTTP status stands in"
        );
    }

    #[test]
    fn a_title_prefers_metas_message_without_the_code_and_adds_details() {
        let body = GraphErrorBody {
            message: Some("(#100) Invalid parameter".into()),
            title: None,
            code: Some(json!("100")),
            error_data: Some(ErrorData {
                details: Some("Param text['body'] is required.".into()),
            }),
        };
        assert_eq!(body.code(), Some(100));
        assert_eq!(
            body.title().as_deref(),
            Some("Invalid parameter: Param text['body'] is required.")
        );
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_an_http_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("12"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(12)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn a_message_without_any_recipient_is_refused_before_sending() {
        let message = OutgoingMessage {
            to: CitizenRef {
                wa_id: None,
                user_id: None,
            },
            content: OutgoingContent::Text { body: "Hoi".into() },
        };
        let error = request_body(&message).expect_err("no recipient");
        assert_eq!(error.code(), Some(100));
        assert!(!error.is_retryable());
    }

    #[test]
    fn bad_settings_are_refused_without_echoing_the_token() {
        let mut settings = GraphSettings::new("123456789012345", "bad\ntoken".into());
        let error = GraphClient::new(settings.clone()).expect_err("bad token");
        assert!(!error.to_string().contains("bad\ntoken"));
        settings.access_token = "ok".into();
        settings.phone_number_id = "+3161".into();
        assert!(GraphClient::new(settings.clone()).is_err());
        settings.phone_number_id = "123".into();
        settings.api_base = "ftp://graph.facebook.com".into();
        assert!(GraphClient::new(settings).is_err());
    }

    #[test]
    fn a_graph_transport_describes_its_base_and_version() {
        let transport =
            Transport::from_settings(Some(GraphSettings::new("123456789012345", "token".into())))
                .expect("graph transport");
        assert_eq!(
            transport.describe(),
            "graph: https://graph.facebook.com v23.0"
        );
    }
}
