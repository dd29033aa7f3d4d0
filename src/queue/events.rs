//! Live updates for the staff page: every change to a queued or claimed
//! thread is published here and streamed to connected browsers as
//! server-sent events. One hub per process; when several instances share a
//! database, each publishes its own changes (see README, scale-out).

use serde::Serialize;
use tokio::sync::broadcast;

/// What happened to a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Handed to a person (new in the queue).
    Queued,
    /// The citizen wrote again.
    Message,
    Claimed,
    Released,
    Transferred,
    Replied,
    Closed,
    Reopened,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Queued => "queued",
            Change::Message => "message",
            Change::Claimed => "claimed",
            Change::Released => "released",
            Change::Transferred => "transferred",
            Change::Replied => "replied",
            Change::Closed => "closed",
            Change::Reopened => "reopened",
        }
    }
}

/// One event as the browser receives it. No message content: a page that
/// wants the text fetches the thread, with its session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueEvent {
    pub id: i64,
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
}

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
        Self { sender }
    }

    /// Publishes an event; nobody listening is fine.
    pub fn publish(&self, event: QueueEvent) {
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
        hub.publish(QueueEvent {
            id: 1,
            change: Change::Queued,
            state: "queued".into(),
            claimed_by: None,
            urgent: false,
            to: None,
        });
        let mut receiver = hub.subscribe();
        hub.publish(QueueEvent {
            id: 2,
            change: Change::Claimed,
            state: "claimed".into(),
            claimed_by: Some("anna".into()),
            urgent: false,
            to: None,
        });
        let event = receiver.recv().await.expect("event");
        assert_eq!(event.id, 2);
        assert_eq!(event.change, Change::Claimed);
    }
}
