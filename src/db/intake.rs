//! Storing webhook POSTs: the inbound messages (each once, by wamid) and
//! the delivery statuses of our replies.
//!
//! The group commit of [`crate::intake`] hands in many POSTs at once; they
//! are written with one multi-row statement per table (per chunk), since on
//! SQLite each statement is a round trip to the connection's worker thread
//! and that, not the commit, is what limits intake.

use super::{Dialect, Doing, RecordOutcome, Store, StoreError, Tx, millis, rows_of_placeholders};
use crate::domain::{InboundMessage, StatusUpdate, WebhookBatch};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// Rows per multi-row statement: 9 parameters each, well below SQLite's
/// limit of 32,766 and PostgreSQL's of 65,535.
const ROWS_PER_STATEMENT: usize = 200;

impl Store {
    /// Stores every message and status of one webhook POST in one
    /// transaction. A message seen before (same wamid) is not stored again.
    pub async fn record_webhook(
        &self,
        batch: &WebhookBatch,
        received_at: DateTime<Utc>,
    ) -> Result<RecordOutcome, StoreError> {
        let outcomes = self.record_webhooks(&[(batch, received_at)]).await?;
        Ok(outcomes.into_iter().next().unwrap_or_default())
    }

    /// Stores the batches of several webhook POSTs in one transaction (the
    /// group commit of [`crate::intake`]): one outcome per batch, in order.
    /// All or nothing: on error none of them is stored. A message is
    /// counted as stored for the first batch that carries it, and as a
    /// duplicate everywhere else (a redelivery in the same group too).
    pub async fn record_webhooks(
        &self,
        batches: &[(&WebhookBatch, DateTime<Utc>)],
    ) -> Result<Vec<RecordOutcome>, StoreError> {
        let mut first_seen = HashSet::new();
        let mut messages = Vec::new();
        for (batch, received_at) in batches {
            for message in &batch.messages {
                if first_seen.insert(message.wamid.as_str()) {
                    messages.push((message, *received_at));
                }
            }
        }
        let statuses = strongest_status_per_message(batches);
        let _write = self.write_turn(super::write_turn::Writer::Intake).await;
        let mut tx = self.begin_write("starting the webhook transaction").await?;
        let mut stored = HashSet::new();
        for chunk in messages.chunks(ROWS_PER_STATEMENT) {
            stored.extend(insert_inbound(&mut tx, self.dialect, chunk).await?);
        }
        // Files to fetch are noted in the same transaction, so none is
        // stored without its row and the fetcher never waits for a webhook.
        super::media::record_pending(&mut tx, &messages, &stored).await?;
        for chunk in statuses.chunks(ROWS_PER_STATEMENT) {
            upsert_statuses(&mut tx, self.dialect, chunk).await?;
        }
        tx.commit().await.doing("committing the webhooks")?;
        self.grew(stored.len());
        Ok(batches
            .iter()
            .map(|(batch, _)| {
                let mut outcome = RecordOutcome::default();
                for message in &batch.messages {
                    // `remove`: only the first carrier of a wamid stored it.
                    if stored.remove(message.wamid.as_str()) {
                        outcome.stored += 1;
                    } else {
                        outcome.duplicates += 1;
                    }
                }
                outcome.statuses = batch.statuses.len();
                outcome
            })
            .collect())
    }
}

/// One status per message: the highest ranked, which is what upserting
/// them one by one would keep. PostgreSQL refuses to update one
/// row twice in one statement, so duplicates must go before it.
fn strongest_status_per_message<'a>(
    batches: &[(&'a WebhookBatch, DateTime<Utc>)],
) -> Vec<&'a StatusUpdate> {
    let mut best: HashMap<&str, &StatusUpdate> = HashMap::new();
    let mut order = Vec::new();
    for (batch, _) in batches {
        for status in &batch.statuses {
            match best.get(status.wamid.as_str()) {
                None => {
                    order.push(status.wamid.as_str());
                    best.insert(status.wamid.as_str(), status);
                }
                // Equal ranks: the first stays, as the upsert would keep it.
                Some(kept) if status.status.rank() > kept.status.rank() => {
                    best.insert(status.wamid.as_str(), status);
                }
                Some(_) => {}
            }
        }
    }
    order
        .into_iter()
        .filter_map(|wamid| best.get(wamid).copied())
        .collect()
}

/// Inserts messages not seen before; returns the wamids it stored.
async fn insert_inbound(
    tx: &mut Tx<'_>,
    dialect: Dialect,
    messages: &[(&InboundMessage, DateTime<Utc>)],
) -> Result<Vec<String>, StoreError> {
    let values = rows_of_placeholders(dialect, messages.len(), 10);
    let sql = format!(
        "INSERT INTO inbound_messages
            (wamid, wa_id, user_id, profile_name, business_phone_number_id, kind, content, reply_to, sent_at, received_at)
         VALUES {values}
         ON CONFLICT (wamid) DO NOTHING
         RETURNING wamid"
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for (message, received_at) in messages {
        let content = serde_json::to_string(&message.content).map_err(|e| StoreError::Corrupt {
            what: "message content",
            detail: e.to_string(),
        })?;
        query = query
            .bind(message.wamid.as_str())
            .bind(message.from.wa_id.as_ref().map(|w| w.as_str()))
            .bind(message.from.user_id.as_ref().map(|u| u.as_str()))
            .bind(message.profile_name.as_ref().map(|n| n.as_str()))
            .bind(message.business_phone_number_id.as_deref())
            .bind(message.content.kind_name())
            .bind(content)
            .bind(message.reply_to.as_ref().map(|w| w.as_str()))
            .bind(millis(message.sent_at))
            .bind(millis(*received_at));
    }
    query
        .fetch_all(&mut **tx)
        .await
        .doing("storing inbound messages")
}

async fn upsert_statuses(
    tx: &mut Tx<'_>,
    dialect: Dialect,
    statuses: &[&StatusUpdate],
) -> Result<(), StoreError> {
    let values = rows_of_placeholders(dialect, statuses.len(), 6);
    // A later status only replaces an earlier one of lower rank, so a
    // `delivered` that arrives after `read` changes nothing.
    let sql = format!(
        "INSERT INTO delivery_statuses (wamid, status, status_rank, error_code, error_title, updated_at)
         VALUES {values}
         ON CONFLICT (wamid) DO UPDATE SET
            status = excluded.status, status_rank = excluded.status_rank,
            error_code = excluded.error_code, error_title = excluded.error_title,
            updated_at = excluded.updated_at
         WHERE excluded.status_rank > delivery_statuses.status_rank"
    );
    let mut query = sqlx::query(&sql);
    for status in statuses {
        query = query
            .bind(status.wamid.as_str())
            .bind(status.status.as_str())
            .bind(status.status.rank())
            .bind(status.error.as_ref().map(|e| e.code))
            .bind(status.error.as_ref().map(|e| e.title.as_str()))
            .bind(millis(status.at));
    }
    query
        .execute(&mut **tx)
        .await
        .doing("storing delivery statuses")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DeliveryStatus, GraphErrorDetail, Wamid};

    fn status(wamid: &str, status: DeliveryStatus, error: Option<&str>) -> StatusUpdate {
        StatusUpdate {
            wamid: Wamid::parse(wamid).expect("wamid"),
            status,
            at: DateTime::UNIX_EPOCH,
            error: error.map(|title| GraphErrorDetail {
                code: 1,
                title: title.to_owned(),
            }),
        }
    }

    #[test]
    fn one_status_per_message_the_highest_ranked_and_of_equals_the_first() {
        let first = WebhookBatch {
            statuses: vec![
                status("wamid.A", DeliveryStatus::Delivered, None),
                status("wamid.B", DeliveryStatus::Failed, Some("eerste")),
            ],
            ..WebhookBatch::default()
        };
        let second = WebhookBatch {
            statuses: vec![
                status("wamid.A", DeliveryStatus::Read, None),
                status("wamid.A", DeliveryStatus::Sent, None),
                status("wamid.B", DeliveryStatus::Failed, Some("tweede")),
            ],
            ..WebhookBatch::default()
        };
        let kept = strongest_status_per_message(&[
            (&first, DateTime::UNIX_EPOCH),
            (&second, DateTime::UNIX_EPOCH),
        ]);
        let kept: Vec<_> = kept
            .iter()
            .map(|s| {
                (
                    s.wamid.as_str(),
                    s.status,
                    s.error.as_ref().map(|e| e.title.as_str()),
                )
            })
            .collect();
        assert_eq!(
            kept,
            vec![
                ("wamid.A", DeliveryStatus::Read, None),
                ("wamid.B", DeliveryStatus::Failed, Some("eerste")),
            ]
        );
    }
}
