//! The outbox's side of the store: taking due replies and recording what
//! became of them.
//!
//! A sender takes whole conversations: every pending reply of the
//! conversation that may go now, oldest first, and sends them one after
//! the other. A reply may go when it is due, nobody holds it, and no older
//! pending reply of the same conversation is held back (backing off,
//! deferred by the pair limit, or held by another sender): that older
//! reply goes first. So one citizen's replies arrive in order, and a
//! question's read receipt, answer and buttons go out in one sender turn
//! instead of one turn (a query, a send and a commit) each.

use super::{Doing, Store, StoreError, from_millis, millis, param_after, rows_of_placeholders};
use crate::db::OutboxRow;
use crate::db::dialect::Dialect;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::time::Duration;

/// What became of one outbox row in a sender turn.
#[derive(Debug, Clone, PartialEq)]
pub enum SendRecord {
    /// Meta accepted it (with the message id it gave, if any).
    Sent { id: i64, wamid: Option<String> },
    /// A reply to a web chat: recorded as sent, which is what makes it
    /// visible on the session's stream (no Graph API, no message id).
    Delivered {
        id: i64,
        /// The chat's citizen key, whose widget stream is woken.
        citizen: String,
    },
    /// Failed; tried again at `next_attempt_at`.
    Retry {
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: String,
        code: Option<i64>,
    },
    /// Not tried: held back (pair limit) until `until`. No attempt counted.
    Deferred { id: i64, until: DateTime<Utc> },
    /// Failed for good (Meta's code and title when known).
    Failed {
        id: i64,
        code: Option<i64>,
        title: String,
    },
    /// Taken but not tried because an older reply of its conversation did
    /// not go: handed back at once instead of when its lease runs out.
    Released { id: i64 },
}

/// Rows whose conversation has an older pending row that may not go now.
const HELD_BACK_BEHIND_OLDER: &str = "EXISTS (SELECT 1 FROM outbox p
        WHERE p.conversation_id = o.conversation_id AND p.state = 'pending' AND p.id < o.id
          AND (p.next_attempt_at > $1 OR (p.leased_until IS NOT NULL AND p.leased_until > $1)))";

/// A row that may go at `$1` by itself.
const MAY_GO: &str = "o.state = 'pending' AND o.next_attempt_at <= $1
        AND (o.leased_until IS NULL OR o.leased_until <= $1)";

/// Sent rows recorded per statement (two parameters each, well below
/// SQLite's limit of 32,766).
const SENT_PER_STATEMENT: usize = 500;

const COLUMNS: &str = "o.id, o.conversation_id, o.kind, o.payload, o.attempts, o.created_at";

impl Store {
    /// Takes up to `conversations` conversations with replies that may go
    /// now (see the module documentation), leaving out `busy` ones (this
    /// sender is still sending or recording them). Returns each
    /// conversation's rows, oldest first.
    ///
    /// On PostgreSQL, where several instances send, the conversations are
    /// locked (`SKIP LOCKED`) while their rows are leased until `now +
    /// lease`: no other sender takes them before then, and if this one dies
    /// they are taken again when the lease runs out. The rows are read in
    /// a second statement, after the lock, so they reflect what a sender
    /// that held the lock just before us committed. On SQLite there is one
    /// instance with one sender, which knows what it is busy with, so the
    /// rows are only read: a lease would cost a durable commit per turn.
    /// (On PostgreSQL `busy` needs no filter: those rows are still leased
    /// until they are recorded.)
    pub async fn take_due_outbox(
        &self,
        now: DateTime<Utc>,
        conversations: usize,
        lease: Duration,
        busy: &HashSet<i64>,
    ) -> Result<Vec<Vec<OutboxRow>>, StoreError> {
        if conversations == 0 {
            return Ok(Vec::new());
        }
        // Conversations whose oldest pending row may go now; the callers
        // take them in the order they became due, which walks the pending
        // index and stops at the limit instead of sorting a whole backlog.
        // The SQL text never changes, so each database prepares it once.
        const HEADS: &str = "SELECT h.conversation_id FROM outbox h
             WHERE h.state = 'pending' AND h.next_attempt_at <= $1
               AND (h.leased_until IS NULL OR h.leased_until <= $1)
               AND NOT EXISTS (SELECT 1 FROM outbox p
                               WHERE p.conversation_id = h.conversation_id
                                 AND p.state = 'pending' AND p.id < h.id)";
        let limit = i64::try_from(conversations).unwrap_or(i64::MAX);
        let rows = match self.dialect {
            Dialect::Sqlite => {
                // This sender's busy conversations, as a JSON array: their
                // rows are not leased on SQLite, so they are left out here.
                let mut busy: Vec<i64> = busy.iter().copied().collect();
                busy.sort_unstable();
                let busy = serde_json::to_string(&busy).unwrap_or_else(|_| "[]".to_owned());
                let sql = format!(
                    "SELECT {COLUMNS} FROM outbox o
                     WHERE o.conversation_id IN ({HEADS}
                           AND h.conversation_id NOT IN (SELECT value FROM json_each($3))
                           ORDER BY h.next_attempt_at, h.id LIMIT $2)
                       AND {MAY_GO} AND NOT {HELD_BACK_BEHIND_OLDER}"
                );
                sqlx::query(&sql)
                    .bind(millis(now))
                    .bind(limit)
                    .bind(busy)
                    .fetch_all(&self.pool)
                    .await
                    .doing("reading due replies")?
            }
            Dialect::Postgres => {
                let lease =
                    chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
                let mut tx = self.begin_write("starting to take due replies").await?;
                // FOR NO KEY UPDATE: does not wait for (or block) the key-share
                // locks that inserting a reply takes on its conversation.
                let picked: Vec<i64> = sqlx::query_scalar(&format!(
                    "SELECT c.id FROM conversations c
                     WHERE c.id IN ({HEADS} ORDER BY h.next_attempt_at, h.id LIMIT $3)
                     ORDER BY c.id LIMIT $2 FOR NO KEY UPDATE OF c SKIP LOCKED"
                ))
                .bind(millis(now))
                .bind(limit)
                // Room for conversations another instance holds right now.
                .bind(limit.saturating_mul(4))
                .fetch_all(&mut *tx)
                .await
                .doing("picking conversations with due replies")?;
                if picked.is_empty() {
                    return Ok(Vec::new());
                }
                // One parameter for the list, so the text stays the same.
                let ids = picked
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                let rows = sqlx::query(&format!(
                    "UPDATE outbox SET leased_until = $2 WHERE id IN (
                        SELECT o.id FROM outbox o
                        WHERE o.conversation_id IN
                              (SELECT CAST(x AS BIGINT) FROM unnest(string_to_array($3, ',')) AS x)
                          AND {MAY_GO} AND NOT {HELD_BACK_BEHIND_OLDER})
                     RETURNING id, conversation_id, kind, payload, attempts, created_at"
                ))
                .bind(millis(now))
                .bind(millis(now + lease))
                .bind(ids)
                .fetch_all(&mut *tx)
                .await
                .doing("taking due replies")?;
                tx.commit().await.doing("committing taken replies")?;
                rows
            }
        };
        let mut due = rows
            .iter()
            .map(OutboxRow::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        due.sort_by_key(|row| (row.conversation_id, row.id));
        let mut groups: Vec<Vec<OutboxRow>> = Vec::new();
        for row in due {
            match groups.last_mut() {
                Some(group) if group[0].conversation_id == row.conversation_id => group.push(row),
                _ => groups.push(vec![row]),
            }
        }
        // Oldest conversation turn first.
        groups.sort_by_key(|group| group[0].id);
        Ok(groups)
    }

    /// Records a sender turn's outcomes in one transaction (one commit for
    /// all of them instead of one per reply).
    pub async fn record_sends(
        &self,
        records: &[SendRecord],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let _write = self.write_turn(super::write_turn::Writer::Background).await;
        let mut tx = self.begin_write("starting to record sends").await?;
        // Successes are most of it: one statement for all of them (a
        // statement costs a round trip to SQLite's worker thread).
        let sent: Vec<(i64, Option<&str>)> = records
            .iter()
            .filter_map(|record| match record {
                SendRecord::Sent { id, wamid } => Some((*id, wamid.as_deref())),
                SendRecord::Delivered { id, .. } => Some((*id, None)),
                _ => None,
            })
            .collect();
        for chunk in sent.chunks(SENT_PER_STATEMENT) {
            let values = rows_of_placeholders(self.dialect, chunk.len(), 2);
            let now_param = param_after(chunk.len(), 2, 1);
            let sql = format!(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = {now_param}, wamid = v.column2,
                    last_error = NULL, leased_until = NULL
                 FROM (VALUES {values}) AS v
                 WHERE outbox.id = v.column1 AND outbox.state = 'pending'"
            );
            let mut query = sqlx::query(&sql);
            for (id, wamid) in chunk {
                query = query.bind(*id).bind(*wamid);
            }
            query
                .bind(millis(now))
                .execute(&mut *tx)
                .await
                .doing("recording sent replies")?;
        }
        for record in records {
            let query = match record {
                SendRecord::Sent { .. } | SendRecord::Delivered { .. } => continue,
                SendRecord::Retry {
                    id,
                    next_attempt_at,
                    error,
                    code,
                } => sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2,
                        error_code = $3, leased_until = NULL
                     WHERE id = $4 AND state = 'pending'",
                )
                .bind(millis(*next_attempt_at))
                .bind(error.as_str())
                .bind(*code)
                .bind(*id),
                SendRecord::Deferred { id, until } => sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $1, leased_until = NULL
                     WHERE id = $2 AND state = 'pending'",
                )
                .bind(millis(*until))
                .bind(*id),
                SendRecord::Failed { id, code, title } => sqlx::query(
                    "UPDATE outbox SET state = 'failed', attempts = attempts + 1, error_code = $1,
                        error_title = $2, last_error = $3, leased_until = NULL
                     WHERE id = $4 AND state = 'pending'",
                )
                .bind(*code)
                .bind(title.as_str())
                .bind(title.as_str())
                .bind(*id),
                SendRecord::Released { id } => sqlx::query(
                    "UPDATE outbox SET leased_until = NULL WHERE id = $1 AND state = 'pending'",
                )
                .bind(*id),
            };
            query.execute(&mut *tx).await.doing("recording a send")?;
        }
        tx.commit().await.doing("committing sends")?;
        Ok(())
    }

    /// Pending replies, oldest first, without taking them: for looking,
    /// not for sending.
    pub async fn pending_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM outbox o WHERE o.state = 'pending' ORDER BY o.id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .doing("reading pending replies")?;
        rows.iter().map(OutboxRow::from_row).collect()
    }

    /// When the next pending outbox row becomes due (or its lease runs out).
    pub async fn next_outbox_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(CASE WHEN leased_until > next_attempt_at THEN leased_until ELSE next_attempt_at END)
             FROM outbox WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .doing("reading the next due reply")?;
        Ok(next.map(from_millis))
    }
}
