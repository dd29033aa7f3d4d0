//! Live updates for the staff page: every change to a queued or claimed
//! thread is published here and streamed to connected browsers as
//! server-sent events. One hub per instance; when several instances share
//! a PostgreSQL database, the hub also hands what it publishes to
//! `queue::relay`, which sends it to the other instances and delivers
//! theirs here (see README, several instances).

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

/// Fan-out of queue events to every connected page.
#[derive(Debug, Clone)]
pub struct EventHub {
    sender: broadcast::Sender<QueueEvent>,
    /// This instance's own events, for the other instances (PostgreSQL).
    relay: Option<mpsc::Sender<QueueEvent>>,
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
        Self {
            sender,
            relay: None,
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
}
