//! Counters and gauges for operators, served as Prometheus text on
//! `/metrics`. One [`Metrics`] is created at startup and cloned into the
//! web handlers and the workers; clones share the same values.
//!
//! Labels only ever hold fixed words (message kinds, statuses, Meta's
//! numeric error codes): never phone numbers, names or message text, so a
//! scrape cannot leak personal data and the number of series stays small.

use crate::db::Removed;
use crate::whatsapp::client::SendError;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutboundLabels {
    kind: String,
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabel {
    decision: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WhatLabel {
    what: &'static str,
}

/// What happened to one outbox row in one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundStatus {
    Sent,
    Failed,
    Retried,
}

impl OutboundStatus {
    fn as_str(self) -> &'static str {
        match self {
            OutboundStatus::Sent => "sent",
            OutboundStatus::Failed => "failed",
            OutboundStatus::Retried => "retried",
        }
    }
}

/// The service's metrics. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    inbound: Family<KindLabel, Counter>,
    outbound: Family<OutboundLabels, Counter>,
    graph_errors: Family<CodeLabel, Counter>,
    webhook_seconds: Histogram,
    faq: Family<DecisionLabel, Counter>,
    acknowledgements: Family<KindLabel, Counter>,
    purged: Family<WhatLabel, Counter>,
    queue_threads: Family<StateLabel, Gauge>,
    oldest_waiting: Gauge<f64, AtomicU64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let inbound = Family::default();
        // The text encoder appends `_total` to counter names.
        registry.register(
            "loket_inbound_messages",
            "Inbound messages processed, by message type",
            inbound.clone(),
        );
        let outbound = Family::default();
        registry.register(
            "loket_outbound_messages",
            "Delivery attempts of outgoing messages, by reply kind and outcome (sent, failed, retried)",
            outbound.clone(),
        );
        let graph_errors = Family::default();
        registry.register(
            "loket_graph_api_errors",
            "Errors returned by the WhatsApp Graph API, by Meta's error code (none: no code, e.g. a timeout)",
            graph_errors.clone(),
        );
        // 1 ms .. ~4 s: a webhook POST only verifies and stores, so most
        // land in the low buckets; the top ones show a struggling database.
        let webhook_seconds = Histogram::new(
            prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 13),
        );
        registry.register(
            "loket_webhook_request_duration_seconds",
            "Time to answer a webhook request (GET and POST)",
            webhook_seconds.clone(),
        );
        let faq = Family::default();
        registry.register(
            "loket_faq_decisions",
            "Knowledge base verdicts on questions: answer, choose (offered a choice) or abstain",
            faq.clone(),
        );
        let acknowledgements = Family::default();
        registry.register(
            "loket_acknowledgements_sent",
            "Acknowledgements delivered, by kind (closed_ack, open_ack)",
            acknowledgements.clone(),
        );
        let purged = Family::default();
        registry.register(
            "loket_purged",
            "Rows removed by the retention purge (conversations, messages, replies)",
            purged.clone(),
        );
        let queue_threads = Family::default();
        registry.register(
            "loket_queue_threads",
            "Threads in the staff queue by state, read at scrape time",
            queue_threads.clone(),
        );
        let oldest_waiting = Gauge::default();
        registry.register(
            "loket_queue_oldest_waiting_seconds",
            "Age of the oldest queued (unclaimed) thread, 0 when none waits; read at scrape time",
            oldest_waiting.clone(),
        );
        Self {
            registry: Arc::new(registry),
            inbound,
            outbound,
            graph_errors,
            webhook_seconds,
            faq,
            acknowledgements,
            purged,
            queue_threads,
            oldest_waiting,
        }
    }

    pub fn inbound(&self, kind: &'static str) {
        self.inbound.get_or_create(&KindLabel { kind }).inc();
    }

    /// One delivery attempt of an outbox row of `kind`.
    pub fn outbound(&self, kind: &str, status: OutboundStatus) {
        self.outbound
            .get_or_create(&OutboundLabels {
                kind: kind.to_owned(),
                status: status.as_str(),
            })
            .inc();
        if status == OutboundStatus::Sent
            && let Some(kind) = acknowledgement(kind)
        {
            self.acknowledgements
                .get_or_create(&KindLabel { kind })
                .inc();
        }
    }

    /// An error the Graph API (or the way to it) gave on a send.
    pub fn graph_error(&self, error: &SendError) {
        let code = match error {
            SendError::Retryable { code: None, .. } => "none".to_owned(),
            SendError::Retryable {
                code: Some(code), ..
            }
            | SendError::Permanent { code, .. } => code.to_string(),
        };
        self.graph_errors.get_or_create(&CodeLabel { code }).inc();
    }

    pub fn webhook_duration(&self, seconds: f64) {
        self.webhook_seconds.observe(seconds);
    }

    /// `decision` is [`crate::reply::FaqOutcome::decision`].
    pub fn faq_decision(&self, decision: &'static str) {
        self.faq.get_or_create(&DecisionLabel { decision }).inc();
    }

    pub fn purged(&self, removed: &Removed) {
        for (what, count) in [
            ("conversations", removed.conversations),
            ("messages", removed.messages),
            ("replies", removed.replies),
        ] {
            self.purged
                .get_or_create(&WhatLabel { what })
                .inc_by(u64::try_from(count).unwrap_or(0));
        }
    }

    /// Sets the queue gauges (called just before encoding).
    pub fn set_queue(&self, queued: usize, claimed: usize, oldest_waiting_seconds: f64) {
        for (state, count) in [("queued", queued), ("claimed", claimed)] {
            self.queue_threads
                .get_or_create(&StateLabel { state })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        self.oldest_waiting.set(oldest_waiting_seconds.max(0.0));
    }

    /// Everything in the Prometheus text exposition format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The acknowledgement kinds, as static label values.
fn acknowledgement(kind: &str) -> Option<&'static str> {
    match kind {
        "closed_ack" => Some("closed_ack"),
        "open_ack" => Some("open_ack"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_up_with_total_suffix_and_labels() {
        let metrics = Metrics::new();
        metrics.inbound("text");
        metrics.outbound("closed_ack", OutboundStatus::Sent);
        metrics.outbound("faq_answer", OutboundStatus::Retried);
        metrics.set_queue(2, 1, 90.0);
        let text = metrics.encode().expect("encodes");
        assert!(
            text.contains("loket_inbound_messages_total{kind=\"text\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "loket_outbound_messages_total{kind=\"faq_answer\",status=\"retried\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("loket_acknowledgements_sent_total{kind=\"closed_ack\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("loket_queue_threads{state=\"queued\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("loket_queue_oldest_waiting_seconds 90.0"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn clones_share_values() {
        let metrics = Metrics::new();
        metrics.clone().faq_decision("abstain");
        let text = metrics.encode().expect("encodes");
        assert!(
            text.contains("loket_faq_decisions_total{decision=\"abstain\"} 1"),
            "{text}"
        );
    }
}
