//! Counts the sends that were in flight when a service died: replies the
//! Graph API had accepted but the outbox had not recorded as sent. They are
//! sent again after the restart (Meta offers no idempotency key), so this
//! count is the honest upper bound for duplicates after a kill -9.

use crate::fake_graph::RecordedRequest;
use loket::db::{OutboxRow, Store, StoreError};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Pending outbox rows whose request the Graph API already accepted.
///
/// A sender sends a conversation's pending rows in order, so the rows in
/// flight are the first pending rows of their conversation, and the
/// requests the Graph API accepted last for that citizen are exactly
/// those, in the same order: the count for a conversation is the longest
/// run of its first pending messages that matches the end of what the
/// citizen was sent. A read receipt is in flight when one for the same
/// message was accepted.
pub async fn sends_in_flight(
    store: &Store,
    received: &[RecordedRequest],
) -> Result<u64, StoreError> {
    let pending = store.pending_outbox(i64::MAX).await?;
    Ok(count(&pending, received))
}

fn count(pending: &[OutboxRow], received: &[RecordedRequest]) -> u64 {
    let mut sent_to: HashMap<&str, Vec<&serde_json::Value>> = HashMap::new();
    let mut receipts = HashSet::new();
    for request in received {
        if request.is_read_receipt() {
            if let Some(id) = request.body.get("message_id").and_then(|v| v.as_str()) {
                receipts.insert(id.to_owned());
            }
        } else if let Some(to) = request.recipient() {
            sent_to.entry(to).or_default().push(&request.body);
        }
    }
    let mut in_flight = 0u64;
    // Each conversation's pending messages (not receipts), oldest first.
    let mut messages: BTreeMap<i64, Vec<serde_json::Value>> = BTreeMap::new();
    for row in pending {
        let Ok(body) = loket::whatsapp::client::request_body(&row.message) else {
            continue;
        };
        if body.get("status").is_some() {
            let id = body.get("message_id").and_then(|v| v.as_str());
            in_flight += u64::from(id.is_some_and(|id| receipts.contains(id)));
        } else {
            messages.entry(row.conversation_id).or_default().push(body);
        }
    }
    for bodies in messages.values() {
        let Some(to) = bodies[0]
            .get("to")
            .or_else(|| bodies[0].get("recipient"))
            .and_then(|v| v.as_str())
        else {
            continue;
        };
        let sent = sent_to.get(to).map(Vec::as_slice).unwrap_or_default();
        let run = (1..=bodies.len().min(sent.len()))
            .rev()
            .find(|&k| {
                sent[sent.len() - k..]
                    .iter()
                    .zip(&bodies[..k])
                    .all(|(sent, pending)| **sent == *pending)
            })
            .unwrap_or(0);
        in_flight += run as u64;
    }
    in_flight
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket::domain::{CitizenRef, OutgoingContent, OutgoingMessage, WaId, Wamid};

    fn citizen(number: &str) -> CitizenRef {
        CitizenRef {
            wa_id: Some(WaId::parse(number).expect("number")),
            user_id: None,
        }
    }

    fn row(id: i64, conversation_id: i64, to: &str, content: OutgoingContent) -> OutboxRow {
        OutboxRow {
            id,
            conversation_id,
            kind: "faq".to_owned(),
            message: OutgoingMessage {
                to: citizen(to),
                content,
            },
            attempts: 0,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn text(body: &str) -> OutgoingContent {
        OutgoingContent::Text {
            body: body.to_owned(),
        }
    }

    fn received(row: &OutboxRow) -> RecordedRequest {
        RecordedRequest {
            path: "/v23.0/1/messages".to_owned(),
            body: loket::whatsapp::client::request_body(&row.message).expect("body"),
            bearer: None,
            wamid: None,
            received_at: std::time::Instant::now(),
        }
    }

    #[test]
    fn counts_the_first_pending_replies_the_graph_api_already_took() {
        let earlier = row(1, 7, "31600000001", text("Goedemorgen"));
        let a = row(2, 7, "31600000001", text("Antwoord"));
        let b = row(3, 7, "31600000001", text("Was dit een antwoord?"));
        let c = row(4, 7, "31600000001", text("Nog een"));
        let receipt = row(
            5,
            8,
            "31600000002",
            OutgoingContent::MarkRead {
                wamid: Wamid::parse("wamid.X1").expect("wamid"),
            },
        );
        let untouched = row(6, 9, "31600000003", text("Antwoord"));
        let pending = [a.clone(), b.clone(), c, receipt.clone(), untouched];
        let seen = [
            received(&earlier),
            received(&a),
            received(&b),
            received(&receipt),
        ];
        // a and b (in order, at the end of what 31600000001 got) and the receipt.
        assert_eq!(count(&pending, &seen), 3);
        // Something else was sent after a: a is no longer in flight.
        let other = row(10, 7, "31600000001", text("Iets anders"));
        let later = [received(&a), received(&other)];
        assert_eq!(count(&pending, &later), 0);
        assert_eq!(count(&pending, &[]), 0);
    }
}
