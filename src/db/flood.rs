//! The flood rule's count: how many messages a citizen sent in the window
//! up to each message, by the messages' own WhatsApp timestamps and their
//! order, not by when they reached us.
//!
//! Arrival time cannot tell the messages of one POST apart (they all
//! arrive at once), nor a backlog Meta delivers late from a real burst.
//! WhatsApp's timestamp has whole seconds, so messages of the same second
//! are ordered by their id: the order they were stored in, which within
//! one POST is the order of the POST.

use super::processing::{citizen_of, rows_of_citizens, same_citizen};
use super::{Doing, Store, StoreError, StoredInbound, millis};
use crate::domain::CitizenRef;
use sqlx::Row;

/// A stored message as the count sees it.
#[derive(Debug, Clone)]
struct Sent {
    id: i64,
    from: CitizenRef,
    /// WhatsApp's timestamp, in milliseconds since the epoch.
    at: i64,
}

impl Store {
    /// For each message of `batch`, how many messages its citizen sent in
    /// the `window` up to it, itself included, counting only messages sent
    /// before it (by timestamp, then by id): the flood rule's count. One
    /// statement per id column for the whole batch.
    pub async fn messages_within(
        &self,
        batch: &[StoredInbound],
        window: chrono::Duration,
    ) -> Result<Vec<i64>, StoreError> {
        let (Some(from), Some(until)) = (
            batch.iter().map(|m| m.sent_at - window).min(),
            batch.iter().map(|m| m.sent_at).max(),
        ) else {
            return Ok(Vec::new());
        };
        let citizens: Vec<&CitizenRef> = batch.iter().map(|m| &m.from).collect();
        let mut connection = self
            .pool
            .acquire()
            .await
            .doing("counting citizens' recent messages")?;
        let rows = rows_of_citizens(
            &mut connection,
            &citizens,
            &[millis(from), millis(until)],
            |column, list| {
                format!(
                    "SELECT id, wa_id, user_id, sent_at FROM inbound_messages
                     WHERE {column} IN ({list}) AND sent_at >= $1 AND sent_at <= $2"
                )
            },
            "counting citizens' recent messages",
        )
        .await?;
        let mut sent = Vec::with_capacity(rows.len());
        for row in rows {
            sent.push(Sent {
                id: row.try_get("id").doing("reading a message id")?,
                from: citizen_of(&row)?,
                at: row.try_get("sent_at").doing("reading a message")?,
            });
        }
        let batch: Vec<Sent> = batch
            .iter()
            .map(|m| Sent {
                id: m.id,
                from: m.from.clone(),
                at: millis(m.sent_at),
            })
            .collect();
        Ok(preceding_counts(&batch, sent, window.num_milliseconds()))
    }
}

/// For each of `batch`, how many of `sent` (which holds the batch's own
/// rows too) came from the same citizen within `window_ms` before it and
/// not after it in the order (timestamp, id).
fn preceding_counts(batch: &[Sent], mut sent: Vec<Sent>, window_ms: i64) -> Vec<i64> {
    // A message found by phone number and again by user id counts once.
    sent.sort_by_key(|s| s.id);
    sent.dedup_by_key(|s| s.id);
    batch
        .iter()
        .map(|message| {
            let since = message.at - window_ms;
            let count = sent
                .iter()
                .filter(|other| {
                    other.at >= since
                        && (other.at, other.id) <= (message.at, message.id)
                        && same_citizen(&other.from, &message.from)
                })
                .count();
            i64::try_from(count).unwrap_or(i64::MAX)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::WaId;

    const MINUTE: i64 = 60_000;

    fn citizen(number: &str) -> CitizenRef {
        CitizenRef {
            wa_id: Some(WaId::parse(number).expect("a valid number")),
            user_id: None,
        }
    }

    fn sent(id: i64, number: &str, at_s: i64) -> Sent {
        Sent {
            id,
            from: citizen(number),
            at: at_s * 1000,
        }
    }

    /// Messages of one number: `(id, seconds)` each.
    fn of_one_number(messages: &[(i64, i64)]) -> Vec<Sent> {
        messages
            .iter()
            .map(|&(id, at_s)| sent(id, "31600000001", at_s))
            .collect()
    }

    #[test]
    fn messages_of_one_second_are_counted_in_their_order() {
        // Eleven messages in one POST: one timestamp, ids in POST order.
        let batch: Vec<Sent> = (1..=11).map(|id| sent(id, "31600000001", 100)).collect();
        let counts = preceding_counts(&batch, batch.clone(), MINUTE);
        assert_eq!(counts, (1..=11).collect::<Vec<i64>>());
    }

    #[test]
    fn messages_spread_over_minutes_stay_under_the_count_of_one_minute() {
        // One message every 20 seconds for four minutes.
        let batch: Vec<Sent> = (0..12)
            .map(|n| sent(n + 1, "31600000001", 1000 + 20 * n))
            .collect();
        let counts = preceding_counts(&batch, batch.clone(), MINUTE);
        assert_eq!(counts[..4], [1, 2, 3, 4]);
        // From then on the minute before a message holds it and three more.
        assert!(counts[4..].iter().all(|&c| c == 4), "{counts:?}");
    }

    #[test]
    fn a_late_arrival_counts_by_when_it_was_sent() {
        // Stored last (highest id), sent first: only itself counts for it,
        // and the others count it as before them.
        let stored = of_one_number(&[(1, 110), (2, 120), (3, 100)]);
        let counts = preceding_counts(&stored, stored.clone(), MINUTE);
        assert_eq!(counts, [2, 3, 1]);
    }

    #[test]
    fn only_the_same_citizens_messages_within_the_window_count() {
        let stored = vec![
            sent(1, "31600000001", 0),
            sent(2, "31600000002", 50),
            sent(3, "31600000001", 61),
            // The same row found through both id columns.
            sent(3, "31600000001", 61),
        ];
        let batch = vec![sent(3, "31600000001", 61)];
        assert_eq!(preceding_counts(&batch, stored, MINUTE), [1]);
    }
}
