//! Turns stored inbound messages into conversation updates and outbox rows.
//! The webhook only stores; this worker decides, so a crash between the two
//! loses nothing: on restart every stored but unprocessed message is
//! processed, in the order it arrived.

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{NewOutbound, Processed, Store, StoreError, StoredInbound};
use crate::domain::{OutgoingContent, OutgoingMessage, Wamid};
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::gaps::Gap;
use crate::knowledge::watch::SharedKnowledge;
use crate::metrics::Metrics;
use crate::queue::events::{EventHub, QueueEvent};
use crate::reply::{self, Decision, HandoverReason, ReplyKind, ReplyRules};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Messages read per round.
const BATCH: i64 = 100;

/// Messages processed per write transaction. One commit (one fsync on
/// SQLite) is shared by this many messages; more would hold SQLite's one
/// writer longer and make the webhook intake, which waits for its turn,
/// slower to answer.
const PER_TRANSACTION: usize = 32;

/// The reply rules of the loaded configuration and knowledge base.
pub fn rules<'a>(settings: &'a Settings, knowledge: Option<&'a KnowledgeBase>) -> ReplyRules<'a> {
    ReplyRules::from_settings(settings, knowledge)
}

/// The outbox rows for one decision: the read receipt first (when
/// enabled), then the bot's replies in order.
pub fn outbound_for(
    decision: &Decision,
    to: &crate::domain::CitizenRef,
    wamid: &str,
    mark_as_read: bool,
) -> Vec<NewOutbound> {
    let mut out = Vec::with_capacity(decision.replies.len() + 1);
    if mark_as_read && let Ok(wamid) = Wamid::parse(wamid) {
        out.push(NewOutbound {
            kind: ReplyKind::MarkRead,
            message: OutgoingMessage {
                to: to.clone(),
                content: OutgoingContent::MarkRead { wamid },
            },
        });
    }
    out.extend(decision.replies.iter().map(|reply| NewOutbound {
        kind: reply.kind,
        message: OutgoingMessage {
            to: to.clone(),
            content: reply.content.clone(),
        },
    }));
    out
}

/// The unanswered question in a decision, if any: the bot abstained, or
/// the citizen said its answer did not help.
pub fn knowledge_gap(
    conversation_id: i64,
    decision: &Decision,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<Gap> {
    let memory = &decision.memory;
    let (reason, nearest, score) = match (decision.handover, &decision.faq) {
        (Some(HandoverReason::NoAnswer), Some(faq)) if faq.decision == "hand_over" => {
            let best = faq.hits.first();
            ("abstained", best.map(|h| h.0.clone()), best.map(|h| h.1))
        }
        (Some(HandoverReason::FeedbackNo), _) => ("feedback_no", memory.last_answer.clone(), None),
        _ => return None,
    };
    let question = memory.last_question.clone()?;
    Some(Gap {
        conversation_id: Some(conversation_id),
        at,
        reason: reason.to_owned(),
        language: decision.language,
        question,
        nearest_faq: nearest,
        nearest_score: score,
    })
}

/// Processes up to one round of stored messages, [`PER_TRANSACTION`] per
/// write transaction (see [`Store::process_batch`]); returns how many.
/// `outbox` is woken right after each commit, before the best-effort
/// bookkeeping that follows. A message that fails is logged and left
/// unprocessed for the next round; the error is returned only when
/// nothing at all got processed, so the worker then waits before trying
/// again.
pub async fn try_process_once(
    store: &Store,
    settings: &Settings,
    knowledge: &SharedKnowledge,
    clock: &dyn Clock,
    events: &EventHub,
    metrics: &Metrics,
    outbox: &Notify,
) -> Result<usize, StoreError> {
    let pending = store.unprocessed_inbound(BATCH).await?;
    // One snapshot per round: a reload in between never mixes two versions.
    let knowledge = knowledge.load();
    let mut done = 0;
    let mut first_error = None;
    for chunk in pending.chunks(PER_TRANSACTION) {
        match process_chunk(
            store, settings, &knowledge, clock, events, metrics, outbox, chunk,
        )
        .await
        {
            Ok(n) => done += n,
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) if done == 0 => Err(error),
        _ => Ok(done),
    }
}

/// One write transaction's worth of [`try_process_once`].
#[allow(clippy::too_many_arguments)]
async fn process_chunk(
    store: &Store,
    settings: &Settings,
    knowledge: &KnowledgeBase,
    clock: &dyn Clock,
    events: &EventHub,
    metrics: &Metrics,
    outbox: &Notify,
    pending: &[StoredInbound],
) -> Result<usize, StoreError> {
    let reopen_within = chrono::Duration::from_std(settings.queue.reopen_within.0)
        .unwrap_or(chrono::Duration::zero());
    // The flood rule's counts are reads: taken before the write
    // transaction, they do not make the webhook wait behind it. Processing
    // never changes what they count (messages sent per minute, by
    // WhatsApp's timestamps and their order; see `db::flood`).
    let limit = i64::from(settings.privacy.auto_replies_per_minute);
    let recent = store
        .messages_within(pending, chrono::Duration::minutes(1))
        .await?;
    let mut flooding = std::collections::HashSet::new();
    for (inbound, recent) in pending.iter().zip(recent) {
        if recent > limit {
            // Once per flood, not once per message of it.
            if recent == limit + 1 {
                tracing::warn!(
                    citizen = %inbound.from.log_label(),
                    messages_last_minute = recent,
                    limit,
                    "automatic replies withheld: this number sends faster than the limit; staff get the conversation"
                );
            }
            flooding.insert(inbound.id);
        }
    }
    let results = store
        .process_batch(pending, clock.now(), reopen_within, |inbound, memory| {
            let reply_rules = rules(settings, Some(knowledge));
            let flooded = flooding.contains(&inbound.id);
            let decision =
                reply::decide(&inbound.content, memory, reply_rules, inbound.received_at);
            let decision = if flooded {
                // Stored, processed and handed to staff, just not answered.
                reply::flood::withheld(decision, memory, reply_rules, inbound.received_at)
            } else {
                decision
            };
            let outbound = if flooded && decision.replies.is_empty() {
                // Not even a read receipt: it is a send like any other.
                Vec::new()
            } else {
                // Read receipts are WhatsApp's; the web chat has none.
                let mark_as_read = settings.whatsapp.mark_as_read
                    && inbound.from.channel() == crate::domain::Channel::Whatsapp;
                outbound_for(&decision, &inbound.from, &inbound.wamid, mark_as_read)
            };
            (decision, outbound)
        })
        .await;
    let mut done = Vec::with_capacity(pending.len());
    let mut first_error = None;
    for (inbound, result) in pending.iter().zip(results) {
        match result {
            Ok(Some(processed)) => done.push((inbound, processed)),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(error = %error, "processing an inbound message failed; it is tried again next round");
                first_error.get_or_insert(error);
            }
        }
    }
    if !done.is_empty() {
        outbox.notify_one();
    }
    let gaps: Vec<Gap> = done
        .iter()
        .filter_map(|(inbound, processed)| {
            knowledge_gap(
                processed.conversation_id,
                &processed.decision,
                inbound.received_at,
            )
        })
        .collect();
    // Best effort: a lost gap entry costs an editor a hint, not a citizen an answer.
    if let Err(error) = store.record_gaps(&gaps).await {
        tracing::warn!(error = %error, "could not record unanswered questions");
    }
    for (inbound, processed) in &done {
        announce(events, metrics, inbound, processed);
        // A referral just went out while closed: the people on call hear
        // of it now, not at the next opening.
        let referred = processed
            .decision
            .replies
            .iter()
            .any(|r| r.kind == crate::reply::ReplyKind::Emergency);
        if let Some(url) = &settings.alert_url
            && referred
            && !processed.decision.open
        {
            crate::alert::spawn(
                url,
                crate::alert::body(
                    &processed.public_id,
                    settings.emergency.staff_url.as_deref(),
                ),
            );
        }
    }
    match first_error {
        Some(error) if done.is_empty() => Err(error),
        _ => Ok(done.len()),
    }
}

/// What follows a processed message's commit: metrics, the staff page's
/// event and the log line.
fn announce(events: &EventHub, metrics: &Metrics, inbound: &StoredInbound, processed: &Processed) {
    let (conversation_id, decision) = (processed.conversation_id, &processed.decision);
    metrics.inbound(inbound.content.kind_name());
    // The citizen's widget shows their message once it is processed.
    if inbound.from.channel() == crate::domain::Channel::Web
        && let Some(key) = &inbound.from.user_id
    {
        events.wake_web_chat(key.as_str());
    }
    if let Some(faq) = &decision.faq {
        metrics.faq_decision(faq.decision);
    }
    if let Some(change) = processed.change {
        events.publish(QueueEvent {
            id: processed.public_id.clone(),
            change,
            state: processed.state.as_str().to_owned(),
            claimed_by: None,
            urgent: decision.urgent,
            to: None,
        });
    }
    tracing::info!(
        conversation.id = conversation_id,
        message.kind = inbound.content.kind_name(),
        open = decision.open,
        urgent = decision.urgent,
        replies = decision.replies.len(),
        faq = decision.faq.as_ref().map_or("-", |f| f.decision),
        handover = decision.handover.map_or("-", |r| r.as_str()),
        "processed inbound message"
    );
}

/// What the processing worker works with.
pub struct Processor {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub knowledge: SharedKnowledge,
    pub clock: Arc<dyn Clock>,
    /// Where queue changes are announced to the staff page.
    pub events: EventHub,
    /// Notified when a webhook stored something.
    pub wake: Arc<Notify>,
    /// Notified after new outbox rows.
    pub outbox: Arc<Notify>,
    pub metrics: Metrics,
}

impl Processor {
    /// Runs [`try_process_once`] whenever `wake` is notified (and every
    /// second, as a safety net) until `cancel` fires.
    pub async fn run_until_stopped(self, cancel: CancellationToken) {
        loop {
            let round = try_process_once(
                &self.store,
                &self.settings,
                &self.knowledge,
                self.clock.as_ref(),
                &self.events,
                &self.metrics,
                &self.outbox,
            )
            .await;
            match round {
                Ok(0) => {}
                // More may be waiting: the outbox was woken after the commit.
                Ok(_) => continue,
                Err(error) => {
                    tracing::error!(error = %error, "processing inbound messages failed; retrying in a second");
                }
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        tracing::info!("message processor stopped");
    }
}
