//! Web chats whose citizen has gone. The widget keeps its session in the
//! tab's `sessionStorage`, so a closed tab ends the chat for good: an
//! answer written afterwards would never be read. A web chat that waits
//! on staff (queued or claimed) while its citizen has had no connection
//! for `[webchat] idle_timeout` is closed by Loket, with a note telling
//! staff why. A chat only the bot handled is left alone: nobody waits for
//! it, and the report counts it as the bot's. WhatsApp threads never
//! qualify: a citizen there is reachable later.

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{QueueError, Store};
use crate::queue::events::{EventHub, QueueEvent};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The note staff find on a thread Loket closed; `minutes` is the idle
/// timeout. Dutch, as the staff page.
pub fn note_for_staff(minutes: u64) -> String {
    format!(
        "De inwoner heeft de webchat verlaten: al {minutes} minuten geen verbinding. \
         Loket heeft het gesprek gesloten; een antwoord komt niet meer aan."
    )
}

/// Closes every web chat whose citizen left; returns how many.
pub async fn close_left_chats(
    store: &Store,
    settings: &Settings,
    clock: &dyn Clock,
    events: &EventHub,
) -> Result<usize, QueueError> {
    let now = clock.now();
    let timeout = settings.webchat.idle_timeout.0;
    let seen_before = now - chrono::TimeDelta::from_std(timeout).unwrap_or(chrono::TimeDelta::MAX);
    let note = note_for_staff(timeout.as_secs() / 60);
    let mut closed = 0;
    for id in store.abandoned_web_chats(seen_before).await? {
        let Some(summary) = store.close_abandoned(id, &note, now).await? else {
            continue;
        };
        closed += 1;
        events.publish(QueueEvent::of(
            &summary,
            crate::domain::Change::Closed,
            None,
        ));
    }
    if closed > 0 {
        tracing::info!(threads = closed, "closed web chats whose citizen left");
    }
    Ok(closed)
}

/// Checks once a minute until `cancel` fires.
pub async fn run_until_stopped(
    store: Store,
    settings: Arc<Settings>,
    clock: Arc<dyn Clock>,
    events: EventHub,
    cancel: CancellationToken,
) {
    loop {
        if let Err(error) = close_left_chats(&store, &settings, clock.as_ref(), &events).await {
            tracing::error!(error = %error, "closing web chats whose citizen left failed; trying again in a minute");
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_says_why_and_that_no_answer_arrives() {
        let note = note_for_staff(30);
        assert!(note.contains("30 minuten"), "{note}");
        assert!(
            note.contains("verlaten") && note.contains("komt niet meer aan"),
            "{note}"
        );
        assert!(note.chars().count() <= crate::domain::context::MAX_NOTE_CHARS);
    }
}
