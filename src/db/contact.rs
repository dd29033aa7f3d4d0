//! The citizen's own details that staff may reveal beside a thread: the
//! latest WhatsApp profile name (column `inbound_messages.profile_name`,
//! migration 0023). It lives on the message rows, so the purge and
//! `forget` delete it with them.

use super::{Doing, Store, StoreError};

impl Store {
    /// The profile name of conversation `id`'s most recent message that
    /// carried one; `None` when no message did. For the reveal only.
    pub async fn profile_name(&self, id: i64) -> Result<Option<String>, StoreError> {
        let name: Option<Option<String>> = sqlx::query_scalar(
            "SELECT profile_name FROM inbound_messages
             WHERE conversation_id = $1 AND profile_name IS NOT NULL
             ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .doing("reading a citizen's profile name")?;
        // Stored cleaned; marked like every text of people when shown.
        Ok(name
            .flatten()
            .map(|n| crate::privacy::for_staff(&n).into_owned()))
    }
}
