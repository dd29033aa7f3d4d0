//! Read marks: how far each staff member has read each conversation, for
//! the staff page's unread counts (migration 0019). A citizen message is
//! unread for a staff member when it came after the last one they had
//! seen; a thread they never opened counts all its citizen messages.

use super::{Doing, Store, StoreError, millis};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Unread citizen messages of conversation `c` for the user bound as `$1`.
const UNREAD: &str = "(SELECT COUNT(*) FROM inbound_messages i WHERE i.conversation_id = c.id
    AND i.id > COALESCE((SELECT m.last_inbound_id FROM read_marks m
                         WHERE m.conversation_id = c.id AND m.username = $1), 0))";

impl Store {
    /// Marks every citizen message of conversation `id` so far as read by
    /// `username`. A mark never moves back.
    pub async fn mark_read(
        &self,
        id: i64,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write("starting a read mark").await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM inbound_messages WHERE conversation_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .doing("finding a thread's last message")?;
        sqlx::query(
            "INSERT INTO read_marks (conversation_id, username, last_inbound_id, read_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (conversation_id, username) DO UPDATE
             SET last_inbound_id = CASE WHEN excluded.last_inbound_id > read_marks.last_inbound_id
                                        THEN excluded.last_inbound_id ELSE read_marks.last_inbound_id END,
                 read_at = excluded.read_at",
        )
        .bind(id)
        .bind(username)
        .bind(last.unwrap_or(0))
        .bind(millis(now))
        .execute(&mut *tx)
        .await
        .doing("marking a thread read")?;
        tx.commit().await.doing("committing a read mark")?;
        Ok(())
    }

    /// Unread citizen messages for `username` in every queued or claimed
    /// conversation, by conversation key (threads without any are left
    /// out).
    pub async fn unread_counts(&self, username: &str) -> Result<HashMap<i64, i64>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT c.id, {UNREAD} AS unread FROM conversations c
             WHERE c.state IN ('queued', 'claimed')"
        ))
        .bind(username)
        .fetch_all(&self.pool)
        .await
        .doing("counting unread messages")?;
        Ok(rows.into_iter().filter(|(_, unread)| *unread > 0).collect())
    }

    /// Unread citizen messages for `username` in conversation `id`.
    pub async fn unread(&self, id: i64, username: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar(&format!(
            "SELECT {UNREAD} FROM conversations c WHERE c.id = $2"
        ))
        .bind(username)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .doing("counting a thread's unread messages")
        .map(Option::unwrap_or_default)
    }

    /// How many read marks conversation `id` has (for tests of the purge).
    pub async fn read_marks(&self, id: i64) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM read_marks WHERE conversation_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .doing("counting read marks")
    }
}
