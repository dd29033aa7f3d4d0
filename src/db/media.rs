//! Citizens' media (ADR 0028): a row per inbound file, written `pending`
//! at intake in the webhook's own transaction, and its bytes in chunks of
//! at most [`CHUNK_BYTES`]. The fetcher takes due rows under a lease
//! (several instances share the work on PostgreSQL), writes the chunks,
//! and marks the row `stored` or `failed`. Chunks of a row that is not
//! `stored` are never served, and a retry starts from no chunks.

use super::dialect::Dialect;
use super::{Doing, Store, StoreError, Tx, from_millis, millis};
use crate::domain::thread::{ThreadLocation, ThreadMedia};
use crate::domain::{InboundMessage, MediaKind, MessageContent, PublicId};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::time::Duration;

/// The largest chunk stored (256 KiB): small enough to hold a few in
/// memory, large enough that a 100 MB document is 400 rows.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// A file the fetcher should fetch now.
#[derive(Debug, Clone, PartialEq)]
pub struct DueMedia {
    pub id: i64,
    pub inbound_id: i64,
    /// Meta's media id.
    pub media_id: String,
    pub kind: MediaKind,
    pub declared_mime: Option<String>,
    /// Attempts made before this one.
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
}

/// A file's row as staff's API reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRow {
    pub id: i64,
    pub inbound_id: i64,
    pub kind: MediaKind,
    pub state: String,
    pub sniffed_mime: Option<String>,
    pub size: Option<i64>,
    pub failure: Option<String>,
}

/// What the checks found about a file that is now stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia<'a> {
    pub size: i64,
    pub sha256: &'a str,
    pub sniffed_mime: &'a str,
}

pub(super) fn kind_word(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "image",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
        MediaKind::Document => "document",
        MediaKind::Sticker => "sticker",
    }
}

fn kind_of(word: &str) -> Result<MediaKind, StoreError> {
    Ok(match word {
        "image" => MediaKind::Image,
        "audio" => MediaKind::Audio,
        "video" => MediaKind::Video,
        "document" => MediaKind::Document,
        "sticker" => MediaKind::Sticker,
        other => {
            return Err(StoreError::Corrupt {
                what: "media kind",
                detail: other.to_owned(),
            });
        }
    })
}

/// A [`MediaRow`] from a row with its columns.
fn media_row(row: &AnyRow, read: &'static str) -> Result<MediaRow, StoreError> {
    Ok(MediaRow {
        id: row.try_get("id").doing(read)?,
        inbound_id: row.try_get("inbound_id").doing(read)?,
        kind: kind_of(&row.try_get::<String, _>("kind").doing(read)?)?,
        state: row.try_get("state").doing(read)?,
        sniffed_mime: row.try_get("sniffed_mime").doing(read)?,
        size: row.try_get("size").doing(read)?,
        failure: row.try_get("failure").doing(read)?,
    })
}

/// Writes a `pending` row for every file among `messages` that this
/// transaction stored (a redelivery has its row already), due at once.
pub(super) async fn record_pending(
    tx: &mut Tx<'_>,
    messages: &[(&InboundMessage, DateTime<Utc>)],
    stored: &std::collections::HashSet<String>,
) -> Result<(), StoreError> {
    for (message, received_at) in messages {
        let MessageContent::Media {
            media,
            media_id: Some(media_id),
            mime_type,
            ..
        } = &message.content
        else {
            continue;
        };
        if !stored.contains(message.wamid.as_str()) {
            continue;
        }
        let at = millis(*received_at);
        sqlx::query(
            "INSERT INTO media (inbound_id, media_id, kind, declared_mime, next_attempt_at, created_at, updated_at)
             SELECT id, $1, $2, $3, $4, $4, $4 FROM inbound_messages WHERE wamid = $5",
        )
        .bind(media_id.as_str())
        .bind(kind_word(*media))
        .bind(mime_type.as_deref())
        .bind(at)
        .bind(message.wamid.as_str())
        .execute(&mut **tx)
        .await
        .doing("noting media to fetch")?;
    }
    Ok(())
}

impl Store {
    /// Takes up to `limit` files due at `now`, oldest first, and leases
    /// them until `now + lease`: no other fetcher takes them before then,
    /// and a fetcher that dies leaves them to the next one afterwards.
    pub async fn take_due_media(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<DueMedia>, StoreError> {
        let now_ms = millis(now);
        let until = millis(now + chrono::Duration::from_std(lease).unwrap_or_default());
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let _write = self.write_turn(super::write_turn::Writer::Background).await;
        let mut tx = self.begin_write("starting to take media to fetch").await?;
        let rows = sqlx::query(&format!(
            "SELECT id, inbound_id, media_id, kind, declared_mime, attempts, created_at FROM media
             WHERE state = 'pending' AND next_attempt_at <= $1
               AND (leased_until IS NULL OR leased_until <= $1)
             ORDER BY id LIMIT $2{lock}"
        ))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .doing("reading media to fetch")?;
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("id").doing("reading media to fetch")?;
            sqlx::query("UPDATE media SET leased_until = $1 WHERE id = $2")
                .bind(until)
                .bind(id)
                .execute(&mut *tx)
                .await
                .doing("leasing media to fetch")?;
            due.push(DueMedia {
                id,
                inbound_id: row.try_get("inbound_id").doing("reading media to fetch")?,
                media_id: row.try_get("media_id").doing("reading media to fetch")?,
                kind: kind_of(
                    &row.try_get::<String, _>("kind")
                        .doing("reading media to fetch")?,
                )?,
                declared_mime: row
                    .try_get("declared_mime")
                    .doing("reading media to fetch")?,
                attempts: row.try_get("attempts").doing("reading media to fetch")?,
                created_at: from_millis(row.try_get("created_at").doing("reading media to fetch")?),
            });
        }
        tx.commit().await.doing("leasing media to fetch")?;
        Ok(due)
    }

    /// Writes one chunk of a file being fetched (`seq` from 0).
    pub async fn write_media_chunk(
        &self,
        id: i64,
        seq: i64,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let _write = self.write_turn(super::write_turn::Writer::Background).await;
        sqlx::query("INSERT INTO media_chunks (media_id, seq, bytes) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(seq)
            .bind(bytes.to_vec())
            .execute(&self.pool)
            .await
            .doing("storing a media chunk")?;
        Ok(())
    }

    /// Marks a fetched file stored, with what its checks found.
    pub async fn media_stored(
        &self,
        id: i64,
        found: &StoredMedia<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _write = self.write_turn(super::write_turn::Writer::Background).await;
        sqlx::query(
            "UPDATE media SET state = 'stored', size = $1, sha256 = $2, sniffed_mime = $3,
                attempts = attempts + 1, leased_until = NULL, updated_at = $4
             WHERE id = $5 AND state = 'pending'",
        )
        .bind(found.size)
        .bind(found.sha256)
        .bind(found.sniffed_mime)
        .bind(millis(now))
        .bind(id)
        .execute(&self.pool)
        .await
        .doing("marking media stored")?;
        Ok(())
    }

    /// Drops what was written of a file and either tries again at
    /// `retry_at` or, without one, marks it failed for `failure`.
    pub async fn media_not_stored(
        &self,
        id: i64,
        failure: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _write = self.write_turn(super::write_turn::Writer::Background).await;
        let mut tx = self
            .begin_write("starting to drop a media download")
            .await?;
        sqlx::query("DELETE FROM media_chunks WHERE media_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .doing("dropping a media download")?;
        let update = match retry_at {
            Some(_) => {
                "UPDATE media SET attempts = attempts + 1, next_attempt_at = $1, leased_until = NULL,
                    updated_at = $2 WHERE id = $3 AND state = 'pending'"
            }
            None => {
                "UPDATE media SET state = 'failed', failure = $4, attempts = attempts + 1,
                    next_attempt_at = $1, leased_until = NULL, updated_at = $2
                 WHERE id = $3 AND state = 'pending'"
            }
        };
        let mut query = sqlx::query(update)
            .bind(millis(retry_at.unwrap_or(now)))
            .bind(millis(now))
            .bind(id);
        if retry_at.is_none() {
            query = query.bind(failure);
        }
        query
            .execute(&mut *tx)
            .await
            .doing("recording a media failure")?;
        tx.commit().await.doing("recording a media failure")?;
        Ok(())
    }

    /// The file of an inbound message, if it had one.
    pub async fn media_of_message(&self, inbound_id: i64) -> Result<Option<MediaRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, inbound_id, kind, state, sniffed_mime, size, failure FROM media WHERE inbound_id = $1",
        )
        .bind(inbound_id)
        .fetch_optional(&self.pool)
        .await
        .doing("reading a message's media")?;
        row.map(|row| media_row(&row, "reading a message's media"))
            .transpose()
    }

    /// One chunk of a stored file, `None` past the last.
    pub async fn media_chunk(&self, id: i64, seq: i64) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT c.bytes FROM media_chunks c JOIN media m ON m.id = c.media_id
             WHERE c.media_id = $1 AND c.seq = $2 AND m.state = 'stored'",
        )
        .bind(id)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await
        .doing("reading a media chunk")
    }

    /// How many files are in each state, and the failures by reason: the
    /// load tool's check that no file was lost under load.
    pub async fn media_counts(&self) -> Result<MediaCounts, StoreError> {
        let rows = sqlx::query(
            "SELECT state, COALESCE(failure, '') AS failure, COUNT(*) AS n FROM media GROUP BY state, failure",
        )
        .fetch_all(&self.pool)
        .await
        .doing("counting media")?;
        let mut counts = MediaCounts::default();
        for row in rows {
            let read = "counting media";
            let state: String = row.try_get("state").doing(read)?;
            let failure: String = row.try_get("failure").doing(read)?;
            let n: i64 = row.try_get("n").doing(read)?;
            let n = u64::try_from(n).unwrap_or(0);
            match state.as_str() {
                "stored" => counts.stored += n,
                "pending" => counts.pending += n,
                _ => {
                    counts.failed += n;
                    counts.failures.push((failure, n));
                }
            }
        }
        Ok(counts)
    }
}

/// Files per state ([`Store::media_counts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaCounts {
    pub stored: u64,
    pub pending: u64,
    pub failed: u64,
    /// Failed files by reason word.
    pub failures: Vec<(String, u64)>,
}

/// The media columns a thread reads beside each inbound message (`i`),
/// through [`THREAD_JOIN`]; [`thread_media`] reads them back.
pub(super) const THREAD_COLUMNS: &str = "m.id AS media_row, m.kind AS media_kind, \
    m.state AS media_state, m.failure AS media_failure, m.size AS media_size, \
    m.sniffed_mime AS media_mime";

/// Joins a message's file, if it has one, to the inbound message `i`.
pub(super) const THREAD_JOIN: &str = "LEFT JOIN media m ON m.inbound_id = i.id";

/// The file of one thread row read with [`THREAD_COLUMNS`]: its state,
/// the failure worded for staff, and the URL of its bytes once stored.
pub(super) fn thread_media(
    row: &AnyRow,
    conversation: &PublicId,
    content: Option<&MessageContent>,
) -> Result<Option<ThreadMedia>, StoreError> {
    let read = "reading a thread's media";
    let Some(id) = row.try_get::<Option<i64>, _>("media_row").doing(read)? else {
        return Ok(None);
    };
    let kind = kind_of(&row.try_get::<String, _>("media_kind").doing(read)?)?;
    let state: String = row.try_get("media_state").doing(read)?;
    let failure: Option<String> = row.try_get("media_failure").doing(read)?;
    let reason = failure.as_deref().and_then(crate::media::Failure::parse);
    let voice = matches!(content, Some(MessageContent::Media { voice: true, .. }));
    Ok(Some(ThreadMedia {
        id,
        kind,
        voice,
        url: (state == "stored").then(|| format!("/api/conversations/{conversation}/media/{id}")),
        state,
        failure_nl: reason.map(|reason| reason.wording(kind)),
        failure_en: reason.map(|reason| reason.wording_en(kind)),
        failure,
        size: row.try_get("media_size").doing(read)?,
        mime: row.try_get("media_mime").doing(read)?,
    }))
}

/// A shared location for the thread; a place's name and address are
/// typed by people, so they are masked like the message's text.
pub(super) fn thread_location(content: &MessageContent, reveal: bool) -> Option<ThreadLocation> {
    let MessageContent::Location {
        latitude,
        longitude,
        name,
        address,
    } = content
    else {
        return None;
    };
    let shown = |text: &Option<String>| {
        text.clone()
            .map(|text| crate::privacy::citizen_text(text, reveal).0)
    };
    Some(ThreadLocation {
        latitude: *latitude,
        longitude: *longitude,
        name: shown(name),
        address: shown(address),
    })
}

impl Store {
    /// File `id`, only if it belongs to a message of conversation
    /// `conversation` (the key): another conversation's file is `None`.
    pub async fn media_in_conversation(
        &self,
        conversation: i64,
        id: i64,
    ) -> Result<Option<MediaRow>, StoreError> {
        let read = "reading a conversation's file";
        let row = sqlx::query(
            "SELECT m.id, m.inbound_id, m.kind, m.state, m.sniffed_mime, m.size, m.failure FROM media m
             JOIN inbound_messages i ON i.id = m.inbound_id
             WHERE m.id = $1 AND i.conversation_id = $2",
        )
        .bind(id)
        .bind(conversation)
        .fetch_optional(&self.pool)
        .await
        .doing(read)?;
        row.map(|row| media_row(&row, read)).transpose()
    }
}
