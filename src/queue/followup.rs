//! At opening time, threads that waited in the queue until WhatsApp's
//! 24-hour window closed get the approved "does your question still need
//! an answer?" template, so staff can pick them up once the citizen
//! replies (which reopens the window).

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{Store, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Sends the follow-up template to every thread that needs one, when the
/// office is open. Returns how many were queued for sending.
pub async fn send_due(
    store: &Store,
    settings: &Settings,
    clock: &dyn Clock,
) -> Result<usize, StoreError> {
    let now = clock.now();
    if !settings.queue.followup_on_opening || !settings.hours.is_open(now) {
        return Ok(0);
    }
    let mut sent = 0;
    for thread in store.followups_due(now).await? {
        let Some((name, language)) = settings.queue.template_for(thread.language) else {
            return Ok(0);
        };
        if store
            .send_followup(thread.key, &name, &language, now)
            .await?
        {
            sent += 1;
        }
    }
    if sent > 0 {
        tracing::info!(
            threads = sent,
            "sent the follow-up template to threads whose window expired"
        );
    }
    Ok(sent)
}

/// Checks once a minute until `cancel` fires.
pub async fn run_until_stopped(
    store: Store,
    settings: Arc<Settings>,
    clock: Arc<dyn Clock>,
    outbox: Arc<Notify>,
    cancel: CancellationToken,
) {
    loop {
        match send_due(&store, &settings, clock.as_ref()).await {
            Ok(0) => {}
            Ok(_) => outbox.notify_one(),
            Err(error) => {
                tracing::error!(error = %error, "sending follow-up templates failed; trying again in a minute")
            }
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}
