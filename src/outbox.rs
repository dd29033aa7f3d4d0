//! Delivers outbox rows through the transport (Graph API or log). A reply
//! is stored before it is sent, so nothing is lost when Meta is down or the
//! service restarts. Retryable errors back off exponentially with jitter up
//! to a cap; permanent errors and replies older than `give_up_after` are
//! marked failed with Meta's code and title, visibly.
//!
//! Invariant: at most one pending row per conversation is in flight, the
//! oldest, so a conversation's replies arrive in order. A row held back by
//! the pair limit or backing off after Meta's 130429/131056 stays pending,
//! so the conversation's later rows wait behind it.
//!
//! Sends stay within Meta's throughput and pair limits ([`SendLimits`]).

use crate::clock::Clock;
use crate::config::OutboxSettings;
use crate::db::{OutboxRow, Store, StoreError};
use crate::metrics::{Metrics, OutboundStatus};
use crate::send_limits::SendLimits;
use crate::whatsapp::client::{SendError, Transport};
use chrono::{DateTime, Utc};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What one round of deliveries did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Held back by the pair limit (not attempted, not counted as handled).
    pub deferred: usize,
}

impl DeliveryRound {
    /// Rows handled in this round.
    pub fn handled(&self) -> usize {
        self.sent + self.retried + self.failed
    }
}

/// Delay before attempt `attempts + 1`: `initial * 2^attempts`, capped at
/// `max`, with "equal jitter" (half fixed, half random) so many replies that
/// failed together do not retry together. `retry_after` from Meta is a floor.
pub fn backoff(
    settings: &OutboxSettings,
    attempts: i64,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 30)).unwrap_or(30);
    let base = settings
        .initial_backoff
        .0
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(settings.max_backoff.0);
    let half = base / 2;
    let delay = half + half.mul_f64(jitter.clamp(0.0, 1.0));
    delay.max(retry_after.unwrap_or_default())
}

/// What became of one due row in a round.
enum Attempt {
    Sent(Result<crate::whatsapp::client::SendOutcome, SendError>),
    /// Not attempted: the citizen's pair budget is used up for this long.
    Deferred(Duration),
}

/// The key of Meta's pair limit: the citizen's number (or BSUID). `None`
/// for read receipts, which are not messages and are not limited.
fn pair_key(message: &crate::domain::OutgoingMessage) -> Option<&str> {
    if matches!(
        message.content,
        crate::domain::OutgoingContent::MarkRead { .. }
    ) {
        return None;
    }
    let to = &message.to;
    Some(
        to.wa_id
            .as_ref()
            .map(|w| w.as_str())
            .or_else(|| to.user_id.as_ref().map(|u| u.as_str()))
            .unwrap_or_default(),
    )
}

/// Sends every due row once (up to `settings.concurrency` at a time),
/// within the throughput and pair limits.
#[allow(clippy::too_many_arguments)] // each is a separate piece of the worker's wiring
pub async fn try_deliver_once(
    store: &Store,
    transport: &Transport,
    settings: &OutboxSettings,
    limits: &SendLimits,
    link_allowlist: &[String],
    clock: &dyn Clock,
    metrics: &Metrics,
) -> Result<DeliveryRound, StoreError> {
    let limit = i64::try_from(settings.concurrency).unwrap_or(16);
    let due = store
        .due_outbox(clock.now(), limit, settings.lease.0)
        .await?;
    let sends = due.iter().map(|row| async move {
        // The last line of defence: whatever wrote this text (an editor,
        // a colleague), citizens only get links to allowed domains.
        if let Some(bad) = unsafe_link(&row.message, link_allowlist) {
            return (
                row,
                Attempt::Sent(Err(SendError::Permanent {
                    code: 0,
                    title: format!(
                        "not sent: link to {bad}, which is not on [knowledge] link_allowlist"
                    ),
                })),
            );
        }
        if let Some(key) = pair_key(&row.message) {
            if let Err(wait) = limits.take_pair(key) {
                return (row, Attempt::Deferred(wait));
            }
            limits.until_throughput_allows().await;
        }
        let result = transport.send(&row.message).await;
        if let Err(error) = &result {
            metrics.graph_error(error);
        }
        (row, Attempt::Sent(result))
    });
    let results = futures_util::future::join_all(sends).await;
    let mut round = DeliveryRound::default();
    // Successes are recorded together, in one transaction, after the loop.
    let mut sent = Vec::new();
    for (row, attempt) in results {
        let now = clock.now();
        let result = match attempt {
            Attempt::Sent(result) => result,
            Attempt::Deferred(wait) => {
                let until = now
                    + chrono::Duration::from_std(wait)
                        .unwrap_or_else(|_| chrono::Duration::seconds(6));
                store.defer_outbox(row.id, until).await?;
                round.deferred += 1;
                continue;
            }
        };
        match result {
            Ok(outcome) => {
                sent.push((row.id, outcome.wamid.map(|w| w.as_str().to_owned())));
                tracing::info!(conversation.id = row.conversation_id, outbox.id = row.id, kind = %row.kind, "reply sent");
                round.sent += 1;
                metrics.outbound(&row.kind, OutboundStatus::Sent);
            }
            Err(error) => {
                record_failure(store, settings, row, &error, now).await?;
                if matches!(error, SendError::Retryable { .. }) && !gave_up(settings, row, now) {
                    round.retried += 1;
                    metrics.outbound(&row.kind, OutboundStatus::Retried);
                } else {
                    round.failed += 1;
                    metrics.outbound(&row.kind, OutboundStatus::Failed);
                }
            }
        }
    }
    store.mark_sent_many(&sent, clock.now()).await?;
    Ok(round)
}

fn unsafe_link(message: &crate::domain::OutgoingMessage, allowlist: &[String]) -> Option<String> {
    use crate::domain::OutgoingContent;
    let text = match &message.content {
        OutgoingContent::Text { body }
        | OutgoingContent::Buttons { body, .. }
        | OutgoingContent::List { body, .. } => body,
        OutgoingContent::Template { .. } | OutgoingContent::MarkRead { .. } => return None,
    };
    crate::privacy::links::disallowed_domains(text, allowlist)
        .into_iter()
        .next()
}

fn gave_up(settings: &OutboxSettings, row: &OutboxRow, now: DateTime<Utc>) -> bool {
    let age = (now - row.created_at).to_std().unwrap_or_default();
    age >= settings.give_up_after.0
}

async fn record_failure(
    store: &Store,
    settings: &OutboxSettings,
    row: &OutboxRow,
    error: &SendError,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match error {
        SendError::Retryable {
            code,
            title,
            retry_after,
        } => {
            if gave_up(settings, row, now) {
                let message = format!("gave up after {} attempts: {title}", row.attempts + 1);
                tracing::error!(conversation.id = row.conversation_id, outbox.id = row.id, code = ?code, "{message}");
                return store.mark_failed(row.id, *code, &message).await;
            }
            let delay = backoff(
                settings,
                row.attempts,
                *retry_after,
                rand::thread_rng().r#gen::<f64>(),
            );
            let next = now
                + chrono::Duration::from_std(delay)
                    .unwrap_or_else(|_| chrono::Duration::seconds(60));
            if error.is_auth_problem() {
                tracing::error!(
                    conversation.id = row.conversation_id,
                    outbox.id = row.id,
                    "the Graph API refused our access token; check LOKET_WHATSAPP_ACCESS_TOKEN. The reply is kept and retried"
                );
            } else {
                tracing::warn!(
                    conversation.id = row.conversation_id,
                    outbox.id = row.id,
                    code = ?code,
                    attempt = row.attempts + 1,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "send failed, will retry: {title}"
                );
            }
            store.mark_retry(row.id, next, title, *code).await
        }
        SendError::Permanent { code, title } => {
            tracing::error!(
                conversation.id = row.conversation_id,
                outbox.id = row.id,
                code,
                "send failed permanently: {title}"
            );
            store.mark_failed(row.id, Some(*code), title).await
        }
    }
}

/// Delivers until `cancel` fires: after every wake-up and whenever a
/// retry becomes due (checked at least every second).
#[allow(clippy::too_many_arguments)] // each is a separate piece of the worker's wiring
pub async fn run_until_stopped(
    store: Store,
    transport: Arc<Transport>,
    settings: OutboxSettings,
    link_allowlist: Vec<String>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    metrics: Metrics,
    cancel: CancellationToken,
) {
    let limits = SendLimits::new(&settings);
    let mut last_forget = std::time::Instant::now();
    loop {
        // Checked every round, so a long backlog does not hold up shutdown.
        if cancel.is_cancelled() {
            break;
        }
        if last_forget.elapsed() > Duration::from_secs(60) {
            limits.forget_idle();
            last_forget = std::time::Instant::now();
        }
        let round = try_deliver_once(
            &store,
            &transport,
            &settings,
            &limits,
            &link_allowlist,
            clock.as_ref(),
            &metrics,
        )
        .await;
        match round {
            Ok(round) if round.handled() > 0 => continue,
            Ok(_) => {}
            Err(error) => {
                tracing::error!(error = %error, "delivering replies failed; retrying in a second")
            }
        }
        let wait = match store.next_outbox_due().await {
            Ok(Some(due)) => (due - clock.now())
                .to_std()
                .unwrap_or_default()
                .min(Duration::from_secs(1)),
            _ => Duration::from_secs(1),
        };
        tokio::select! {
            () = cancel.cancelled() => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    tracing::info!("outbox sender stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HumanDuration;

    fn settings() -> OutboxSettings {
        OutboxSettings {
            initial_backoff: HumanDuration(Duration::from_secs(2)),
            max_backoff: HumanDuration(Duration::from_secs(60)),
            give_up_after: HumanDuration(Duration::from_secs(3600)),
            concurrency: 4,
            lease: HumanDuration(Duration::from_secs(60)),
            ..OutboxSettings::default()
        }
    }

    #[test]
    fn backoff_doubles_per_attempt_and_stops_at_the_cap() {
        let s = settings();
        assert_eq!(backoff(&s, 0, None, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(&s, 1, None, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(&s, 3, None, 1.0), Duration::from_secs(16));
        assert_eq!(backoff(&s, 20, None, 1.0), Duration::from_secs(60));
    }

    #[test]
    fn jitter_keeps_at_least_half_the_delay() {
        let s = settings();
        assert_eq!(backoff(&s, 2, None, 0.0), Duration::from_secs(4));
        assert_eq!(backoff(&s, 2, None, 0.5), Duration::from_secs(6));
    }

    #[test]
    fn metas_retry_after_is_a_floor() {
        let s = settings();
        assert_eq!(
            backoff(&s, 0, Some(Duration::from_secs(30)), 0.0),
            Duration::from_secs(30)
        );
    }
}
