//! Delivers outbox rows through the transport (Graph API or log). A reply
//! is stored before it is sent, so nothing is lost when Meta is down or the
//! service restarts. Retryable errors back off exponentially with jitter up
//! to a cap; permanent errors and replies older than `give_up_after` are
//! marked failed with Meta's code and title, visibly.
//!
//! The sender keeps up to `[outbox] concurrency` conversations in flight.
//! Each is one turn: its replies that may go now (see
//! [`Store::take_due_outbox`]) are sent one after the other, so a
//! conversation's replies arrive in order, while other conversations go
//! side by side. A reply held back by the pair limit or backing off after
//! Meta's 130429/131056 stays pending and the rest of its conversation
//! waits behind it. What the turns report is recorded together, in one
//! transaction, while they go on; a conversation is only taken again once
//! its turn ended and is recorded, so nothing is sent twice.
//!
//! Sends stay within Meta's throughput and pair limits ([`SendLimits`]).

use crate::clock::Clock;
use crate::config::OutboxSettings;
use crate::db::{OutboxRow, SendRecord, Store};
use crate::metrics::{Metrics, OutboundStatus};
use crate::send_limits::SendLimits;
use crate::whatsapp::client::{SendError, Transport};
use chrono::{DateTime, Utc};
use rand::Rng;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

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

/// The conversation a finished turn task sent for. A turn that panicked
/// is logged; its conversation stays busy, so nothing of it is sent twice
/// (its rows go again after a restart).
fn turn_ended(
    joined: Result<(tokio::task::Id, ()), tokio::task::JoinError>,
    turn_of: &mut HashMap<tokio::task::Id, i64>,
) -> Option<i64> {
    match joined {
        Ok((id, ())) => turn_of.remove(&id),
        Err(error) => {
            let conversation = turn_of.remove(&error.id());
            tracing::error!(conversation.id = ?conversation, error = %error, "a send turn failed; its conversation waits for a restart");
            None
        }
    }
}

/// What the outbox sender works with.
pub struct Sender {
    pub store: Store,
    pub transport: Arc<Transport>,
    pub settings: OutboxSettings,
    /// Citizens only get links to these domains.
    pub link_allowlist: Vec<String>,
    pub clock: Arc<dyn Clock>,
    /// Notified after new outbox rows.
    pub wake: Arc<Notify>,
    pub metrics: Metrics,
    /// Bumped after replies to web chats are recorded as sent: the open
    /// widget streams of this instance then look for them at once.
    pub web_wakes: crate::queue::events::EventHub,
}

impl Sender {
    /// Delivers until `cancel` fires: whenever woken, whenever a
    /// conversation's turn ends, and whenever a retry becomes due (checked
    /// at least every second). Each turn runs as a task of its own and
    /// reports every row as soon as it is done; the loop records whatever
    /// was reported, in one transaction, while the turns go on. So the
    /// sends that could go out twice after a crash are only those of the
    /// last moments. On `cancel` it takes nothing new, lets the turns in
    /// flight finish and records them.
    pub async fn run_until_stopped(self, cancel: CancellationToken) {
        let sender = Arc::new(self);
        let limits = Arc::new(SendLimits::new(&sender.settings));
        let (report, mut reports) = tokio::sync::mpsc::unbounded_channel();
        let mut turns: JoinSet<()> = JoinSet::new();
        // Which conversation each running turn sends for.
        let mut turn_of: HashMap<tokio::task::Id, i64> = HashMap::new();
        // Conversations with a turn running, or ended but not yet recorded:
        // not taken again before their rows are recorded.
        let mut busy: HashSet<i64> = HashSet::new();
        let mut ended: Vec<i64> = Vec::new();
        let mut unrecorded: Vec<SendRecord> = Vec::new();
        // Kept apart: a failed take is tried again after a second even when
        // there is nothing to record (with one flag, cleared only by a
        // record, a take that failed while nothing was in flight stopped
        // the sender for good).
        let mut take_failing = false;
        let mut record_failing = false;
        let mut look_for_work = true;
        let mut last_forget = std::time::Instant::now();
        loop {
            let stopping = cancel.is_cancelled();
            if last_forget.elapsed() > Duration::from_secs(60) {
                limits.forget_idle();
                last_forget = std::time::Instant::now();
            }
            // Turns that ended first, then every report: a turn reports all
            // its rows before it ends, so its rows are all in `unrecorded`.
            while let Some(joined) = turns.try_join_next_with_id() {
                ended.extend(turn_ended(joined, &mut turn_of));
            }
            while let Ok(record) = reports.try_recv() {
                unrecorded.push(record);
            }
            // New work first: a reply that just became due should not wait
            // for the bookkeeping of earlier sends (a write turn). The
            // conversations whose turns ended but are not recorded yet are
            // still busy, so they are not taken before their records.
            let room = sender.settings.concurrency.saturating_sub(turns.len());
            if look_for_work && !stopping && !record_failing && room > 0 {
                match sender
                    .store
                    .take_due_outbox(sender.clock.now(), room, sender.settings.lease.0, &busy)
                    .await
                {
                    Ok(conversations) => {
                        take_failing = false;
                        for rows in conversations {
                            let Some(conversation) = rows.first().map(|r| r.conversation_id) else {
                                continue;
                            };
                            busy.insert(conversation);
                            let (sender, limits, report) =
                                (sender.clone(), limits.clone(), report.clone());
                            let task = turns.spawn(async move {
                                sender.send_turn(&limits, rows, &report).await;
                            });
                            turn_of.insert(task.id(), conversation);
                        }
                    }
                    Err(error) => {
                        take_failing = true;
                        tracing::error!(error = %error, "reading due replies failed; retrying in a second");
                    }
                }
            }
            if !unrecorded.is_empty() || !ended.is_empty() {
                match sender
                    .store
                    .record_sends(&unrecorded, sender.clock.now())
                    .await
                {
                    Ok(()) => {
                        let mut delivered: Vec<String> = unrecorded
                            .iter()
                            .filter_map(|r| match r {
                                SendRecord::Delivered { citizen, .. } => Some(citizen.clone()),
                                _ => None,
                            })
                            .collect();
                        delivered.sort_unstable();
                        delivered.dedup();
                        if !delivered.is_empty() {
                            for citizen in &delivered {
                                sender.web_wakes.wake_web_chat(citizen);
                            }
                            // Streams on other instances (PostgreSQL) too.
                            if let Err(error) = sender.store.notify_web_delivered(&delivered).await
                            {
                                tracing::warn!(error = %error, "other instances not told of web chat replies; their widgets find them at their next poll");
                            }
                        }
                        unrecorded.clear();
                        for conversation in ended.drain(..) {
                            busy.remove(&conversation);
                        }
                        record_failing = false;
                    }
                    Err(error) => {
                        record_failing = true;
                        tracing::error!(error = %error, "recording sent replies failed; retrying in a second");
                    }
                }
            }
            if stopping && turns.is_empty() && (unrecorded.is_empty() || record_failing) {
                if !unrecorded.is_empty() {
                    tracing::error!(
                        replies = unrecorded.len(),
                        "stopping with sends that could not be recorded; they may be sent again after the restart"
                    );
                }
                break;
            }
            // Only worth a query when nothing else will wake the sender.
            let idle_wait = if take_failing || record_failing || !turns.is_empty() {
                Duration::from_secs(1)
            } else {
                sender.until_next_due().await
            };
            look_for_work = tokio::select! {
                Some(joined) = turns.join_next_with_id(), if !turns.is_empty() => {
                    ended.extend(turn_ended(joined, &mut turn_of));
                    true
                }
                Some(record) = reports.recv() => {
                    unrecorded.push(record);
                    false
                }
                () = sender.wake.notified(), if !stopping && turns.len() < sender.settings.concurrency => true,
                () = cancel.cancelled(), if !stopping => false,
                () = tokio::time::sleep(idle_wait) => true,
            };
        }
        tracing::info!("outbox sender stopped");
    }

    /// How long the sender may sleep when nothing is in flight: until the
    /// next pending row is due, at most a second.
    async fn until_next_due(&self) -> Duration {
        match self.store.next_outbox_due().await {
            Ok(Some(due)) => (due - self.clock.now())
                .to_std()
                .unwrap_or_default()
                .min(Duration::from_secs(1)),
            _ => Duration::from_secs(1),
        }
    }

    /// Sends one conversation's rows in order, reporting each as it is
    /// done. A row that fails for good does not hold up the next; a row
    /// that waits (retry, pair limit) holds up the rest, which is handed
    /// back untried.
    async fn send_turn(
        &self,
        limits: &SendLimits,
        rows: Vec<OutboxRow>,
        report: &UnboundedSender<SendRecord>,
    ) {
        let mut rows = rows.into_iter();
        for row in rows.by_ref() {
            let (record, holds_up) = self.send_row(limits, &row).await;
            // The receiver lives as long as the loop that awaits this task.
            let _ = report.send(record);
            if holds_up {
                break;
            }
        }
        for row in rows {
            let _ = report.send(SendRecord::Released { id: row.id });
        }
    }

    /// Sends one row; returns its record and whether the conversation's
    /// later rows must wait.
    async fn send_row(&self, limits: &SendLimits, row: &OutboxRow) -> (SendRecord, bool) {
        // The last line of defence: whatever wrote this text (an editor,
        // a colleague), citizens only get links to allowed domains.
        if let Some(bad) = unsafe_link(&row.message, &self.link_allowlist) {
            let error = SendError::Permanent {
                code: 0,
                title: format!(
                    "not sent: link to {bad}, which is not on [knowledge] link_allowlist"
                ),
            };
            return (self.failure(row, &error), false);
        }
        if row.message.to.channel() == crate::domain::Channel::Web {
            return (self.deliver_to_web(row), false);
        }
        if let Some(key) = pair_key(&row.message) {
            if let Err(wait) = limits.take_pair(key) {
                let until = self.clock.now()
                    + chrono::Duration::from_std(wait)
                        .unwrap_or_else(|_| chrono::Duration::seconds(6));
                return (SendRecord::Deferred { id: row.id, until }, true);
            }
            limits.until_throughput_allows().await;
        }
        let sent = match self.with_uploaded_file(row).await {
            Ok(message) => self.transport.send(&message).await,
            Err(error) => Err(error),
        };
        match sent {
            Ok(outcome) => {
                tracing::info!(conversation.id = row.conversation_id, outbox.id = row.id, kind = %row.kind, "reply sent");
                self.metrics.outbound(&row.kind, OutboundStatus::Sent);
                let wamid = outcome.wamid.map(|w| w.as_str().to_owned());
                (SendRecord::Sent { id: row.id, wamid }, false)
            }
            Err(error) => {
                self.metrics.graph_error(&error);
                let record = self.failure(row, &error);
                let holds_up = matches!(record, SendRecord::Retry { .. });
                (record, holds_up)
            }
        }
    }

    /// A reply to a web chat goes to no API: recorded as sent, the
    /// session's stream shows it. Only what the widget can show goes; a
    /// file or a template (WhatsApp's) fails visibly in the thread.
    fn deliver_to_web(&self, row: &OutboxRow) -> SendRecord {
        use crate::domain::OutgoingContent;
        match &row.message.content {
            OutgoingContent::Text { .. }
            | OutgoingContent::Buttons { .. }
            | OutgoingContent::List { .. }
            | OutgoingContent::MarkRead { .. } => {
                tracing::info!(conversation.id = row.conversation_id, outbox.id = row.id, kind = %row.kind, "reply delivered to the web chat");
                self.metrics.outbound(&row.kind, OutboundStatus::Sent);
                SendRecord::Delivered {
                    id: row.id,
                    citizen: row
                        .message
                        .to
                        .user_id
                        .as_ref()
                        .map(|key| key.as_str().to_owned())
                        .unwrap_or_default(),
                }
            }
            OutgoingContent::Media { .. } | OutgoingContent::Template { .. } => {
                self.failure(
                    row,
                    &SendError::Permanent {
                        code: 0,
                        title: "not sent: the web chat shows text only (files and WhatsApp templates cannot go there yet)".to_owned(),
                    },
                )
            }
        }
    }

    /// The row's message as it is sent: a file staff attached is uploaded
    /// first (again on every attempt: an upload id that Meta may have let
    /// expire is never reused) and the message names the new id. Upload
    /// failures are sorted as send failures, so they are retried or shown
    /// failed in the thread the same way.
    async fn with_uploaded_file<'row>(
        &self,
        row: &'row OutboxRow,
    ) -> Result<std::borrow::Cow<'row, crate::domain::OutgoingMessage>, SendError> {
        use crate::domain::OutgoingContent;
        use std::borrow::Cow;
        let OutgoingContent::Media { .. } = &row.message.content else {
            return Ok(Cow::Borrowed(&row.message));
        };
        let file = match self.store.outbox_file(row.id).await {
            Ok(Some(file)) => file,
            Ok(None) => {
                return Err(SendError::Permanent {
                    code: 0,
                    title: "not sent: the file is no longer stored".to_owned(),
                });
            }
            Err(error) => {
                return Err(SendError::Retryable {
                    code: None,
                    title: format!("reading the file to send failed: {error}"),
                    retry_after: None,
                });
            }
        };
        let file = crate::whatsapp::client::FileToUpload {
            bytes: file.bytes,
            mime: file.mime,
            filename: file.filename,
        };
        let uploaded = self.transport.upload(&row.message, file).await?;
        let mut message = row.message.clone();
        if let OutgoingContent::Media { id, .. } = &mut message.content {
            *id = Some(uploaded);
        }
        Ok(Cow::Owned(message))
    }

    /// What a failed attempt becomes: a retry with backoff, or a failure
    /// for good (permanent error, or the reply is too old to keep trying).
    fn failure(&self, row: &OutboxRow, error: &SendError) -> SendRecord {
        let now = self.clock.now();
        match error {
            SendError::Retryable {
                code,
                title,
                retry_after,
            } => {
                if gave_up(&self.settings, row, now) {
                    let message = format!("gave up after {} attempts: {title}", row.attempts + 1);
                    // Meta's words go in a field, escaped, never into the line itself.
                    tracing::error!(conversation.id = row.conversation_id, outbox.id = row.id, code = ?code, attempts = row.attempts + 1, title = ?title, "send failed: gave up");
                    self.metrics.outbound(&row.kind, OutboundStatus::Failed);
                    return SendRecord::Failed {
                        id: row.id,
                        code: *code,
                        title: message,
                    };
                }
                let delay = backoff(
                    &self.settings,
                    row.attempts,
                    *retry_after,
                    rand::thread_rng().r#gen::<f64>(),
                );
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
                        title = ?title,
                        "send failed, will retry"
                    );
                }
                self.metrics.outbound(&row.kind, OutboundStatus::Retried);
                SendRecord::Retry {
                    id: row.id,
                    next_attempt_at: now
                        + chrono::Duration::from_std(delay)
                            .unwrap_or_else(|_| chrono::Duration::seconds(60)),
                    error: title.clone(),
                    code: *code,
                }
            }
            SendError::Permanent { code, title } => {
                tracing::error!(
                    conversation.id = row.conversation_id,
                    outbox.id = row.id,
                    code,
                    title = ?title,
                    "send failed permanently"
                );
                self.metrics.outbound(&row.kind, OutboundStatus::Failed);
                SendRecord::Failed {
                    id: row.id,
                    code: Some(*code),
                    title: title.clone(),
                }
            }
        }
    }
}

fn unsafe_link(message: &crate::domain::OutgoingMessage, allowlist: &[String]) -> Option<String> {
    use crate::domain::OutgoingContent;
    let text = match &message.content {
        OutgoingContent::Text { body }
        | OutgoingContent::Buttons { body, .. }
        | OutgoingContent::List { body, .. } => body,
        OutgoingContent::Media {
            caption: Some(caption),
            ..
        } => caption,
        OutgoingContent::Media { .. }
        | OutgoingContent::Template { .. }
        | OutgoingContent::MarkRead { .. } => return None,
    };
    crate::privacy::links::disallowed_domains(text, allowlist)
        .into_iter()
        .next()
}

fn gave_up(settings: &OutboxSettings, row: &OutboxRow, now: DateTime<Utc>) -> bool {
    let age = (now - row.created_at).to_std().unwrap_or_default();
    age >= settings.give_up_after.0
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
