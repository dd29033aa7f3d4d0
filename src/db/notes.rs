//! Staff's internal notes on a conversation (table `conversation_notes`,
//! migration 0020): written beside the thread, never sent to the citizen,
//! and deleted with the conversation by the purge and `forget`.

use super::rows::get;
use super::{Doing, Store, StoreError, Tx, from_millis, millis};
use crate::domain::context::Note;
use chrono::{DateTime, Utc};

/// Stores a note inside a transaction (a note of its own, or the note a
/// transfer carries).
pub(super) async fn insert_note(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    author: &str,
    text: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO conversation_notes (conversation_id, at, author, body) VALUES ($1, $2, $3, $4)",
    )
    .bind(conversation_id)
    .bind(millis(at))
    .bind(author)
    .bind(text)
    .execute(&mut **tx)
    .await
    .doing("storing a note")?;
    Ok(())
}

impl Store {
    /// Adds a note (checked already, see `domain::context::note_text`) by
    /// `author` (`staff:<username>`) to conversation `id`.
    pub async fn add_note(
        &self,
        id: i64,
        author: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Note, StoreError> {
        let mut tx = self.begin_write("starting a note").await?;
        insert_note(&mut tx, id, author, text, now).await?;
        tx.commit().await.doing("committing a note")?;
        Ok(Note {
            at: now,
            author: author.to_owned(),
            text: text.to_owned(),
        })
    }

    /// A conversation's notes, oldest first. Staff wrote them: shown with
    /// invisible characters marked, as every text of people.
    pub async fn notes(&self, id: i64) -> Result<Vec<Note>, StoreError> {
        sqlx::query(
            "SELECT at, author, body FROM conversation_notes WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .doing("reading a conversation's notes")?
        .iter()
        .map(|row| {
            Ok(Note {
                at: from_millis(get(row, "at")?),
                author: get(row, "author")?,
                text: crate::privacy::for_staff(&get::<String>(row, "body")?).into_owned(),
            })
        })
        .collect()
    }
}
