//! `GET /api/events`: server-sent events for the staff page. Each event
//! names a thread and what changed; the page then reloads what it shows.
//! A keep-alive comment every 15 seconds keeps proxies from closing the
//! stream and marks the staff member online; the stream ends at once when
//! its login logs out, within 15 seconds when the session ends otherwise
//! (expiry, another instance, a disabled account), and when the service
//! stops.

use super::doc::Forbidden;
use super::error::ApiError;
use crate::queue::events::QueueEvent;
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How often a quiet stream sends a comment, so proxies keep it open.
pub(super) const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The response for a server-sent event stream: never cached, and not
/// buffered by nginx, so each event reaches the browser at once.
pub(super) fn event_stream<S>(body: S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> + 'static,
{
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StreamEventKind {
    /// A thread changed; `data` is a `QueueEvent`.
    Conversation,
    /// The page fell behind: reload the whole queue; `data` is `{}`.
    Resync,
}

impl StreamEventKind {
    fn as_str(self) -> &'static str {
        match self {
            StreamEventKind::Conversation => "conversation",
            StreamEventKind::Resync => "resync",
        }
    }
}

/// One server-sent event as the stream writes it: an `event:` line and a
/// `data:` line. Comments (`: keep-alive`) carry no event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StreamEvent {
    pub event: StreamEventKind,
    /// JSON: a `QueueEvent` for `conversation`, `{}` for `resync`.
    #[schema(content_media_type = "application/json")]
    pub data: String,
}

impl StreamEvent {
    fn frame(&self) -> Bytes {
        Bytes::from(format!(
            "event: {}\ndata: {}\n\n",
            self.event.as_str(),
            self.data
        ))
    }
}

struct Stream {
    events: tokio::sync::broadcast::Receiver<QueueEvent>,
    /// Sessions that ended on this instance (see `AppState::ended_sessions`).
    ended: tokio::sync::broadcast::Receiver<String>,
    keep_alive: tokio::time::Interval,
    state: web::Data<AppState>,
    token_hash: String,
    started: bool,
}

fn frame(event: &QueueEvent) -> Bytes {
    StreamEvent {
        event: StreamEventKind::Conversation,
        data: serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned()),
    }
    .frame()
}

fn resync() -> Bytes {
    StreamEvent {
        event: StreamEventKind::Resync,
        data: "{}".to_owned(),
    }
    .frame()
}

async fn next(mut s: Stream) -> Option<(Result<Bytes, std::convert::Infallible>, Stream)> {
    if !s.started {
        s.started = true;
        // `retry`: how long the browser waits before reconnecting.
        return Some((Ok(Bytes::from_static(b"retry: 3000\n: connected\n\n")), s));
    }
    let stopping = s.state.streams.clone();
    loop {
        tokio::select! {
            () = stopping.cancelled() => return None,
            ended = s.ended.recv() => match ended {
                // This login ended: so does its stream.
                Ok(hash) if hash == s.token_hash => return None,
                Ok(_) => {}
                // Missed some: ask the database whether this one is still live.
                Err(RecvError::Lagged(_)) => {
                    if !matches!(crate::web::auth::live_session(&s.state, &s.token_hash).await, Ok(Some(_))) {
                        return None;
                    }
                }
                Err(RecvError::Closed) => return None,
            },
            received = s.events.recv() => return match received {
                Ok(event) => {
                    let bytes = frame(&event);
                    Some((Ok(bytes), s))
                }
                // Fell behind: tell the page to reload the whole queue.
                Err(RecvError::Lagged(_)) => Some((Ok(resync()), s)),
                Err(RecvError::Closed) => None,
            },
            _ = s.keep_alive.tick() => {
                // The open page counts as activity: staff watching the queue
                // stay logged in (reading the session marks it seen). A
                // session ended elsewhere (another instance, `user
                // disable`) ends the stream here.
                return match crate::web::auth::live_session(&s.state, &s.token_hash).await {
                    Ok(Some(_)) => Some((Ok(Bytes::from_static(b": keep-alive\n\n")), s)),
                    _ => None,
                };
            }
        }
    }
}

/// Server-sent events for new and changed conversations (staff, admins).
/// The stream starts with `retry: 3000` and a comment, sends a
/// `: keep-alive` comment every 15 seconds and ends with the session.
#[utoipa::path(get, path = "/api/events", tag = "queue", security(("session" = [])), responses(
    (status = 200, description = "The stream; each event as `StreamEvent` describes it", content_type = "text/event-stream", body = StreamEvent),
    (status = 403, response = Forbidden)))]
pub async fn stream(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick fires at once; skip it.
    keep_alive.reset();
    let initial = Stream {
        events: state.events.subscribe(),
        ended: state.ended_sessions.subscribe(),
        keep_alive,
        state: state.clone(),
        token_hash: staff.token_hash,
        started: false,
    };
    Ok(event_stream(futures_util::stream::unfold(initial, next)))
}
