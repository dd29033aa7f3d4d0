//! Live updates for the staff page: every change to a queued or claimed
//! thread is published here and streamed to connected browsers as
//! server-sent events. One hub per instance; when several instances share
//! a PostgreSQL database, the hub also hands what it publishes to
//! `queue::relay`, which sends it to the other instances and delivers
//! theirs here (see README, several instances).
//!
//! The hub also wakes the website chat's widget streams: one wake per web
//! chat citizen whose chat has something new (their message processed, a
//! reply recorded), so that of a thousand open streams only the one
//! concerned reads the database.

use crate::domain::PublicId;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

/// What happened to a thread: a move of the conversation's state machine.
pub use crate::domain::Change;

/// One event as the browser receives it. No message content: a page that
/// wants the text fetches the thread, with its session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueEvent {
    /// The conversation's public id.
    pub id: PublicId,
    pub change: Change,
    pub state: String,
    pub claimed_by: Option<String>,
    pub urgent: bool,
    /// The colleague a thread was passed to.
    pub to: Option<String>,
}

impl QueueEvent {
    /// The event of `change` to the thread `summary` (after the change),
    /// passed `to` a colleague or team when it is a transfer.
    pub fn of(
        summary: &crate::domain::thread::Summary,
        change: Change,
        to: Option<String>,
    ) -> Self {
        Self {
            id: summary.id.clone(),
            change,
            state: summary.state.as_str().to_owned(),
            claimed_by: summary.claimed_by.clone(),
            urgent: summary.urgent,
            to,
        }
    }
}

/// Which widget streams should look at the database now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebWake {
    /// The chat of this citizen key (`web.` and hex digits).
    Citizen(std::sync::Arc<str>),
    /// Every chat (a notice from another instance that names none).
    Everyone,
}

impl WebWake {
    /// Whether a stream of `citizen` should look.
    pub fn concerns(&self, citizen: &str) -> bool {
        match self {
            WebWake::Citizen(key) => &**key == citizen,
            WebWake::Everyone => true,
        }
    }
}

/// Fan-out of queue events to every connected page.
#[derive(Debug, Clone)]
pub struct EventHub {
    sender: broadcast::Sender<QueueEvent>,
    /// This instance's own events, for the other instances (PostgreSQL).
    relay: Option<mpsc::Sender<QueueEvent>>,
    /// Wakes for the widget streams of this instance.
    web: broadcast::Sender<WebWake>,
}

/// Events queued for other instances at most; beyond that (the database
/// is far behind) an event is dropped and pages catch up on reload.
const RELAY_BACKLOG: usize = 1024;

impl Default for EventHub {
    fn default() -> Self {
        Self::new()
    }
}

impl EventHub {
    pub fn new() -> Self {
        // A page that falls this far behind gets a "lagged" notice and
        // reloads the queue, so the bound only limits memory.
        let (sender, _) = broadcast::channel(1024);
        // A stream that falls this far behind looks once anyway.
        let (web, _) = broadcast::channel(4096);
        Self {
            sender,
            relay: None,
            web,
        }
    }

    /// A hub whose own events also go to the returned receiver, for
    /// `queue::relay` to pass on to other instances.
    pub fn relayed() -> (Self, mpsc::Receiver<QueueEvent>) {
        let (relay, outgoing) = mpsc::channel(RELAY_BACKLOG);
        let mut hub = Self::new();
        hub.relay = Some(relay);
        (hub, outgoing)
    }

    /// Publishes an event of this instance; nobody listening is fine.
    pub fn publish(&self, event: QueueEvent) {
        if let Some(relay) = &self.relay
            && relay.try_send(event.clone()).is_err()
        {
            tracing::warn!("queue event not passed on to other instances: the database is behind");
        }
        let _ = self.sender.send(event);
    }

    /// Delivers an event another instance published, to this instance's
    /// pages only (it is not passed on again).
    pub fn deliver_remote(&self, event: QueueEvent) {
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<QueueEvent> {
        self.sender.subscribe()
    }

    /// Tells the widget stream of web chat `citizen` to look; nobody
    /// listening is fine.
    pub fn wake_web_chat(&self, citizen: &str) {
        let _ = self.web.send(WebWake::Citizen(citizen.into()));
    }

    /// Tells every widget stream to look.
    pub fn wake_every_web_chat(&self) {
        let _ = self.web.send(WebWake::Everyone);
    }

    /// The wakes for widget streams from now on.
    pub fn web_chat_wakes(&self) -> broadcast::Receiver<WebWake> {
        self.web.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_what_is_published_after_they_subscribed() {
        let hub = EventHub::new();
        let id = |digit: &str| PublicId::parse(&digit.repeat(32)).expect("an id");
        hub.publish(QueueEvent {
            id: id("1"),
            change: Change::Queued,
            state: "queued".into(),
            claimed_by: None,
            urgent: false,
            to: None,
        });
        let mut receiver = hub.subscribe();
        hub.publish(QueueEvent {
            id: id("2"),
            change: Change::Claimed,
            state: "claimed".into(),
            claimed_by: Some("anna".into()),
            urgent: false,
            to: None,
        });
        let event = receiver.recv().await.expect("event");
        assert_eq!(event.id, id("2"));
        assert_eq!(event.change, Change::Claimed);
    }

    #[tokio::test]
    async fn a_web_chat_wake_concerns_its_own_citizen_only() {
        let hub = EventHub::new();
        let mut wakes = hub.web_chat_wakes();
        hub.wake_web_chat("web.aa");
        hub.wake_every_web_chat();
        let first = wakes.recv().await.expect("a wake");
        assert!(first.concerns("web.aa"));
        assert!(!first.concerns("web.bb"));
        let second = wakes.recv().await.expect("a wake");
        assert!(second.concerns("web.bb"), "everyone");
    }
}
