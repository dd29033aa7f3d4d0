//! Counts the replies the fake Graph API received against what the load
//! tool expects.
//!
//! Attribution: the service queues, for each inbound message, its read
//! receipt first and then the replies, and sends a conversation's rows one
//! at a time in order. So at the fake, every message to a number after the
//! read receipt of inbound W (and before the next receipt for that number)
//! answers W. The read receipt names W; the load tool knows W's number.
//!
//! - expected: an inbound message that needs a reply and got a 200;
//! - lost: expected, but no message was attributed to it;
//! - duplicated: a read receipt accepted twice for one inbound message, or
//!   the same message body twice in the replies to one inbound message
//!   (the service never sends one reply twice on purpose);
//! - end-to-end latency: from the webhook's 200 to the first reply message.

use super::traffic::Expect;
use crate::fake_graph::RecordedRequest;
use hdrhistogram::Histogram;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// An inbound message the load tool sent.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub expect: Expect,
    /// When the first 200 for it came back.
    pub accepted_at: Option<Instant>,
}

/// The outcome of counting.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub expected: u64,
    pub answered: u64,
    pub lost: u64,
    pub duplicated: u64,
    /// Messages (not read receipts) the fake accepted.
    pub sent: u64,
    pub read_receipts: u64,
    /// Messages the fake accepted that no read receipt announced (a
    /// service with read receipts off, or a bug).
    pub unattributed: u64,
    /// Wamids of expected messages without a reply (for a closer look).
    pub lost_examples: Vec<String>,
}

/// The end-to-end latency histogram (microseconds) and the counts.
pub fn count(
    tracked: &HashMap<String, Tracked>,
    received: &[RecordedRequest],
) -> (Counts, Histogram<u64>) {
    let mut counts = Counts::default();
    let mut e2e = new_histogram();
    // The inbound message each number's replies currently belong to.
    let mut current: HashMap<&str, &str> = HashMap::new();
    let mut receipts: HashSet<&str> = HashSet::new();
    let mut bodies: HashMap<&str, HashSet<String>> = HashMap::new();
    for request in received {
        if request.is_read_receipt() {
            counts.read_receipts += 1;
            let Some(wamid) = request.body.get("message_id").and_then(|v| v.as_str()) else {
                continue;
            };
            if !receipts.insert(wamid) {
                counts.duplicated += 1;
            }
            if let Some(tracked) = tracked.get(wamid) {
                current.insert(tracked.expect.number.as_str(), wamid);
            }
            continue;
        }
        counts.sent += 1;
        let Some(to) = request.recipient() else {
            counts.unattributed += 1;
            continue;
        };
        let Some(wamid) = current.get(to).copied() else {
            counts.unattributed += 1;
            continue;
        };
        let replies = bodies.entry(wamid).or_default();
        let first = replies.is_empty();
        if !replies.insert(request.body.to_string()) {
            counts.duplicated += 1;
        }
        if first && let Some(accepted) = tracked.get(wamid).and_then(|t| t.accepted_at) {
            let micros = request
                .received_at
                .saturating_duration_since(accepted)
                .as_micros();
            record(&mut e2e, u64::try_from(micros).unwrap_or(u64::MAX));
        }
    }
    for (wamid, tracked) in tracked {
        if !tracked.expect.reply || tracked.accepted_at.is_none() {
            continue;
        }
        counts.expected += 1;
        if bodies.contains_key(wamid.as_str()) {
            counts.answered += 1;
        } else {
            counts.lost += 1;
            if counts.lost_examples.len() < 5 {
                counts.lost_examples.push(wamid.clone());
            }
        }
    }
    (counts, e2e)
}

/// A histogram of microseconds from 1 µs to 10 minutes, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    // Constant bounds that hdrhistogram accepts: not an input path.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// Records a value, clamped into the histogram's range.
pub fn record(histogram: &mut Histogram<u64>, micros: u64) {
    let value = micros.clamp(1, histogram.high());
    // Clamped into range, so recording cannot fail.
    let _ = histogram.record(value);
}

/// A quantile in milliseconds (0 when empty).
pub fn quantile_ms(histogram: &Histogram<u64>, q: f64) -> f64 {
    if histogram.is_empty() {
        return 0.0;
    }
    histogram.value_at_quantile(q) as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inbound(wamid: &str, number: &str) -> (String, Tracked) {
        (
            wamid.to_owned(),
            Tracked {
                expect: Expect {
                    wamid: wamid.to_owned(),
                    number: number.to_owned(),
                    reply: true,
                },
                accepted_at: Some(Instant::now()),
            },
        )
    }

    fn receipt(wamid: &str) -> RecordedRequest {
        RecordedRequest {
            path: String::new(),
            body: json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid }),
            bearer: None,
            wamid: None,
            received_at: Instant::now(),
        }
    }

    fn text(to: &str, body: &str) -> RecordedRequest {
        RecordedRequest {
            path: String::new(),
            body: json!({ "to": to, "type": "text", "text": { "body": body } }),
            bearer: None,
            wamid: Some("wamid.x".to_owned()),
            received_at: Instant::now(),
        }
    }

    #[test]
    fn replies_are_attributed_by_the_read_receipt_before_them() {
        let tracked: HashMap<_, _> = [
            inbound("w1", "31600000001"),
            inbound("w2", "31600000001"),
            inbound("w3", "31600000002"),
        ]
        .into_iter()
        .collect();
        let received = vec![
            receipt("w1"),
            text("31600000001", "antwoord 1"),
            text("31600000001", "geholpen?"),
            receipt("w2"),
            text("31600000001", "antwoord 2"),
            text("31600000001", "antwoord 2"),
            receipt("w2"),
        ];
        let (counts, e2e) = count(&tracked, &received);
        assert_eq!(counts.expected, 3);
        assert_eq!(counts.answered, 2);
        assert_eq!(counts.lost, 1, "w3 got nothing");
        assert_eq!(counts.lost_examples, vec!["w3".to_owned()]);
        assert_eq!(
            counts.duplicated, 2,
            "a doubled reply and a doubled receipt"
        );
        assert_eq!(counts.sent, 4);
        assert_eq!(e2e.len(), 2, "one latency per answered message");
    }
}
