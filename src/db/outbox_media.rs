//! Files staff send (issue 21, step 5; migration 0017): the checked bytes
//! of a reply's attachment, kept with its outbox row in chunks of at most
//! [`CHUNK_BYTES`] from the moment the reply is queued. The sender reads
//! them back to upload on each attempt; `purge` and `forget` delete them
//! with the reply.

use super::media::{CHUNK_BYTES, kind_word};
use super::{Doing, Store, StoreError, Tx, millis};
use crate::media::Attachment;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Stores `file` for the outbox row `outbox_id`, in the reply's own
/// transaction: the reply and its file are queued together or not at all.
pub(super) async fn insert(
    tx: &mut Tx<'_>,
    outbox_id: i64,
    file: &Attachment,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let doing = "storing a reply's file";
    sqlx::query(
        "INSERT INTO outbox_media (outbox_id, kind, mime, filename, size, sha256, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(outbox_id)
    .bind(kind_word(file.kind))
    .bind(file.mime)
    .bind(file.filename.as_str())
    .bind(i64::try_from(file.bytes.len()).unwrap_or(i64::MAX))
    .bind(hex::encode(Sha256::digest(&file.bytes)))
    .bind(millis(now))
    .execute(&mut **tx)
    .await
    .doing(doing)?;
    for (seq, chunk) in file.bytes.chunks(CHUNK_BYTES).enumerate() {
        sqlx::query("INSERT INTO outbox_media_chunks (outbox_id, seq, bytes) VALUES ($1, $2, $3)")
            .bind(outbox_id)
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(chunk.to_vec())
            .execute(&mut **tx)
            .await
            .doing(doing)?;
    }
    Ok(())
}

/// A reply's file as the sender uploads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxFile {
    pub mime: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl Store {
    /// The file of the outbox row `outbox_id`, whole (at most the upload
    /// cap, 16 MiB by default), or `None` when it has none (or was purged).
    pub async fn outbox_file(&self, outbox_id: i64) -> Result<Option<OutboxFile>, StoreError> {
        let doing = "reading a reply's file";
        let row = sqlx::query_as::<_, (String, String, i64)>(
            "SELECT mime, filename, size FROM outbox_media WHERE outbox_id = $1",
        )
        .bind(outbox_id)
        .fetch_optional(&self.pool)
        .await
        .doing(doing)?;
        let Some((mime, filename, size)) = row else {
            return Ok(None);
        };
        let chunks = sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT bytes FROM outbox_media_chunks WHERE outbox_id = $1 ORDER BY seq",
        )
        .bind(outbox_id)
        .fetch_all(&self.pool)
        .await
        .doing(doing)?;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or_default());
        for chunk in chunks {
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some(OutboxFile {
            mime,
            filename,
            bytes,
        }))
    }
}
