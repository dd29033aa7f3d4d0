//! Live updates across instances (PostgreSQL): every queue event this
//! instance publishes goes out with NOTIFY, and what other instances send
//! is delivered to this instance's pages. Each event carries the sending
//! instance's random id, so an instance skips its own (it delivered those
//! locally already). Events hold ids, states and staff names only, never
//! message content or citizen numbers.

use super::events::{EventHub, QueueEvent};
use crate::db::Store;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// One event on the wire.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The instance that published it.
    origin: u64,
    event: QueueEvent,
}

/// Passes events between this instance's hub and the other instances
/// until `cancel` fires.
pub async fn run_until_stopped(
    store: Store,
    hub: EventHub,
    mut outgoing: mpsc::Receiver<QueueEvent>,
    origin: u64,
    cancel: CancellationToken,
) {
    let Some(mut listener) = store
        .listen_until_up(crate::db::QUEUE_CHANNEL, &cancel)
        .await
    else {
        return;
    };
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            Some(event) = outgoing.recv() => {
                let payload = match serde_json::to_string(&Envelope { origin, event }) {
                    Ok(payload) => payload,
                    Err(error) => {
                        tracing::error!(error = %error, "cannot encode a queue event");
                        continue;
                    }
                };
                if let Err(error) = store.notify_instances(&payload).await {
                    tracing::warn!(error = %error, "queue event not passed on to other instances");
                }
            }
            received = listener.recv() => match received {
                Ok(payload) => match serde_json::from_str::<Envelope>(&payload) {
                    Ok(envelope) if envelope.origin != origin => hub.deliver_remote(envelope.event),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(error = %error, "unreadable queue event from another instance"),
                },
                Err(error) => {
                    tracing::warn!(error = %error, "listening for other instances failed; retrying in a second");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
        }
    }
    tracing::info!("queue event relay stopped");
}
