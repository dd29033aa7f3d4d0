//! Forgetting: the retention purge and `forget` for one citizen. Deleted
//! rows are overwritten on disk (`secure_delete`) and the write-ahead log
//! is checkpointed and truncated afterwards, so the text and numbers of a
//! purged conversation cannot be read back from the database files.

use super::dialect::{Dialect, LockClass};
use super::{Doing, Store, StoreError, Tx, millis};
use crate::report::rollup::Rollup;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a purge or forget removed (or would remove, in a dry run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Removed {
    pub conversations: i64,
    pub messages: i64,
    pub replies: i64,
    pub statuses: i64,
    pub events: i64,
    /// Unanswered questions kept for editors.
    pub gaps: i64,
    /// Media files (with their bytes) citizens sent and staff sent.
    pub media: i64,
}

impl Removed {
    pub fn total(&self) -> i64 {
        self.conversations
            + self.messages
            + self.replies
            + self.statuses
            + self.events
            + self.gaps
            + self.media
    }
}

/// How often a purge or forget runs when PostgreSQL aborts it to break a
/// deadlock with a worker writing to the same conversations (the deletes
/// lock many rows, children first; a worker may lock a conversation and
/// then one of its children). Running the transaction again is the
/// documented remedy; its deletes are idempotent.
const ATTEMPTS: u32 = 3;

/// Runs `transaction` (a purge or a forget) and, when PostgreSQL aborts
/// it as a transient conflict, again, up to [`ATTEMPTS`] times in all.
async fn again_on_conflict<F, Fut>(what: &str, mut transaction: F) -> Result<Removed, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Removed, StoreError>>,
{
    let mut attempt = 1;
    loop {
        match transaction().await {
            Err(error) if error.is_transient_conflict() && attempt < ATTEMPTS => {
                tracing::warn!(attempt, error = %error, "{what} aborted by the database; trying again");
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// Which conversations go. `$1` is the cutoff (purge) or the number (forget).
const EXPIRED: &str = "SELECT id FROM conversations
    WHERE (state = 'closed' AND closed_at < $1)
       OR (state <> 'closed' AND updated_at < $1 AND last_inbound_at < $1)";
const OF_CITIZEN: &str = "SELECT id FROM conversations WHERE wa_id = $1 OR user_id = $1";

/// The one value the statements of a purge or forget refer to as `$1`.
#[derive(Debug, Clone)]
enum Key {
    Cutoff(i64),
    Citizen(String),
}

fn bind<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    key: &Key,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match key {
        Key::Cutoff(at) => query.bind(*at),
        Key::Citizen(id) => query.bind(id.clone()),
    }
}

/// Deletes (or, `dry_run`, counts) the conversations selected by `set`
/// and everything hanging off them, plus messages that never got a
/// conversation and match `loose`.
async fn remove(
    tx: &mut Tx<'_>,
    set: &str,
    loose: &str,
    key: &Key,
    dry_run: bool,
) -> Result<Removed, StoreError> {
    let statuses = format!(
        "delivery_statuses WHERE wamid IN (SELECT wamid FROM outbox WHERE wamid IS NOT NULL AND conversation_id IN ({set}))"
    );
    let outbox = format!("outbox WHERE conversation_id IN ({set})");
    // Files staff sent hang off their replies, and go before them.
    let sent_chunks = format!(
        "outbox_media_chunks WHERE outbox_id IN (SELECT id FROM outbox WHERE conversation_id IN ({set}))"
    );
    let sent_files = format!(
        "outbox_media WHERE outbox_id IN (SELECT id FROM outbox WHERE conversation_id IN ({set}))"
    );
    let events = format!("conversation_events WHERE conversation_id IN ({set})");
    let read_marks = format!("read_marks WHERE conversation_id IN ({set})");
    let notes = format!("conversation_notes WHERE conversation_id IN ({set})");
    let gaps = format!("knowledge_gaps WHERE conversation_id IN ({set})");
    let messages =
        format!("SELECT id FROM inbound_messages WHERE conversation_id IN ({set}) OR ({loose})");
    // A file's chunks go with it; they are not counted apart.
    let chunks = format!(
        "media_chunks WHERE media_id IN (SELECT id FROM media WHERE inbound_id IN ({messages}))"
    );
    let media = format!("media WHERE inbound_id IN ({messages})");
    let inbound = format!("inbound_messages WHERE conversation_id IN ({set}) OR ({loose})");
    let conversations = format!("conversations WHERE id IN ({set})");
    let mut removed = Removed::default();
    let mut chunk_rows = 0;
    let mut sent_chunk_rows = 0;
    let mut sent_file_rows = 0;
    // Staff's read marks and notes go with the conversation; not counted
    // apart.
    let mut read_mark_rows = 0;
    let mut note_rows = 0;
    // Children first: foreign keys point from replies to messages to
    // conversations, and from chunks to files to messages.
    let parts: [(&str, &mut i64); 12] = [
        (&statuses, &mut removed.statuses),
        (&sent_chunks, &mut sent_chunk_rows),
        (&sent_files, &mut sent_file_rows),
        (&outbox, &mut removed.replies),
        (&events, &mut removed.events),
        (&read_marks, &mut read_mark_rows),
        (&notes, &mut note_rows),
        (&gaps, &mut removed.gaps),
        (&chunks, &mut chunk_rows),
        (&media, &mut removed.media),
        (&inbound, &mut removed.messages),
        (&conversations, &mut removed.conversations),
    ];
    for (table, slot) in parts {
        *slot = if dry_run {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let row = bind(sqlx::query(&sql), key)
                .fetch_one(&mut **tx)
                .await
                .doing("counting what to forget")?;
            sqlx::Row::try_get(&row, 0).doing("counting what to forget")?
        } else {
            let sql = format!("DELETE FROM {table}");
            let done = bind(sqlx::query(&sql), key)
                .execute(&mut **tx)
                .await
                .doing("forgetting conversations")?;
            i64::try_from(done.rows_affected()).unwrap_or(i64::MAX)
        };
    }
    removed.media += sent_file_rows;
    Ok(removed)
}

impl Store {
    /// Deletes conversations closed before `cutoff` or without activity
    /// since, with their messages, replies, statuses and history. The
    /// report's rollup runs first in the same transaction, so the anonymous
    /// figures hold every deleted conversation as it was at `now`.
    pub async fn purge(
        &self,
        cutoff: DateTime<Utc>,
        dry_run: bool,
        rollup: &Rollup,
        now: DateTime<Utc>,
    ) -> Result<Removed, StoreError> {
        again_on_conflict("purge", || self.purge_once(cutoff, dry_run, rollup, now)).await
    }

    async fn purge_once(
        &self,
        cutoff: DateTime<Utc>,
        dry_run: bool,
        rollup: &Rollup,
        now: DateTime<Utc>,
    ) -> Result<Removed, StoreError> {
        let cutoff = millis(cutoff);
        let key = Key::Cutoff(cutoff);
        let mut tx = self.begin_write("starting a purge").await?;
        // Instances sharing a database purge one at a time.
        self.dialect
            .lock(&mut tx, LockClass::Purge, "retention")
            .await?;
        if !dry_run {
            super::reports::roll_up_in(&mut tx, rollup, now).await?;
        }
        let removed = remove(
            &mut tx,
            EXPIRED,
            "conversation_id IS NULL AND processed_at IS NOT NULL AND received_at < $1",
            &key,
            dry_run,
        )
        .await?;
        if !dry_run {
            sqlx::query("DELETE FROM knowledge_gaps WHERE at < $1")
                .bind(cutoff)
                .execute(&mut *tx)
                .await
                .doing("forgetting old unanswered questions")?;
            // Statuses of messages that were never ours to keep.
            sqlx::query(
                "DELETE FROM delivery_statuses WHERE updated_at < $1
                 AND wamid NOT IN (SELECT wamid FROM outbox WHERE wamid IS NOT NULL)",
            )
            .bind(cutoff)
            .execute(&mut *tx)
            .await
            .doing("forgetting old delivery statuses")?;
            // Web chat sessions unused since the cutoff: their
            // conversations went above, by the same rule.
            sqlx::query("DELETE FROM web_sessions WHERE last_seen_at < $1")
                .bind(cutoff)
                .execute(&mut *tx)
                .await
                .doing("forgetting old web chat sessions")?;
        }
        tx.commit().await.doing("committing a purge")?;
        if !dry_run && removed.total() > 0 {
            self.scrub_log().await?;
        }
        Ok(removed)
    }

    /// Erases everything about one citizen now (their request): every
    /// conversation of the number or user id, also unprocessed messages.
    pub async fn forget(&self, citizen: &str, dry_run: bool) -> Result<Removed, StoreError> {
        again_on_conflict("forget", || self.forget_once(citizen, dry_run)).await
    }

    async fn forget_once(&self, citizen: &str, dry_run: bool) -> Result<Removed, StoreError> {
        let key = Key::Citizen(citizen.to_owned());
        let mut tx = self.begin_write("starting to forget a citizen").await?;
        self.dialect
            .lock(&mut tx, LockClass::Purge, "retention")
            .await?;
        let removed = remove(
            &mut tx,
            OF_CITIZEN,
            "wa_id = $1 OR user_id = $1",
            &key,
            dry_run,
        )
        .await?;
        if !dry_run {
            // A web citizen is their session: it goes too, so its token
            // opens nothing any more.
            sqlx::query("DELETE FROM web_sessions WHERE citizen = $1")
                .bind(citizen)
                .execute(&mut *tx)
                .await
                .doing("forgetting a web chat session")?;
        }
        tx.commit().await.doing("committing a forget")?;
        if !dry_run {
            self.scrub_log().await?;
        }
        Ok(removed)
    }

    /// Moves everything from the write-ahead log into the database file and
    /// empties the log, so deleted text does not linger in it. (SQLite only:
    /// PostgreSQL's VACUUM reclaims dead rows on its own schedule; see
    /// README, privacy on PostgreSQL.)
    async fn scrub_log(&self) -> Result<(), StoreError> {
        if self.dialect != Dialect::Sqlite {
            return Ok(());
        }
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
            .doing("checkpointing the write-ahead log")?;
        Ok(())
    }
}
