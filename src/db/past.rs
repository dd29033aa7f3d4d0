//! Conversations staff look back on: a citizen's earlier conversations
//! beside the open thread, and the search of closed threads. Both see only
//! what retention still holds: a conversation the purge would delete at
//! `cutoff` is left out even before the purge has run.

use super::rows::get;
use super::{Doing, Store, StoreError, from_millis, millis};
use crate::domain::context::{PastConversation, reference_of};
use crate::domain::{Channel, ConversationState};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

/// The most either list shows.
const LIMIT: i64 = 50;

const COLUMNS: &str = "c.public_id, c.created_at, c.closed_at, c.close_topic, c.state, c.channel";

/// Still held at `$1` (the retention cutoff): the purge's rule, negated.
const KEPT: &str = "NOT ((c.state = 'closed' AND c.closed_at < $1)
    OR (c.state <> 'closed' AND c.updated_at < $1 AND c.last_inbound_at < $1))";

fn past(row: &AnyRow) -> Result<PastConversation, StoreError> {
    let id = super::rows::public_id(row)?;
    let state: String = get(row, "state")?;
    let channel: String = get(row, "channel")?;
    Ok(PastConversation {
        reference: reference_of(&id),
        id,
        started_at: from_millis(get(row, "created_at")?),
        closed_at: get::<Option<i64>>(row, "closed_at")?.map(from_millis),
        topic: get::<Option<String>>(row, "close_topic")?
            .map(|t| crate::privacy::for_staff(&t).into_owned()),
        state: ConversationState::parse(&state).ok_or(StoreError::Corrupt {
            what: "conversation state",
            detail: state.clone(),
        })?,
        channel: Channel::from_stored(&channel),
    })
}

/// Closed threads matching a search. Times are milliseconds; `None` is
/// open-ended.
#[derive(Debug, Clone, Default)]
pub struct ClosedQuery {
    /// Lower-case hex digits the public id starts with.
    pub reference: Option<String>,
    /// Closed at or after.
    pub closed_from: Option<DateTime<Utc>>,
    /// Closed before.
    pub closed_before: Option<DateTime<Utc>>,
    /// Part of the close topic, any case.
    pub topic: Option<String>,
}

impl Store {
    /// The other conversations of the citizen of conversation `id` (the
    /// same number or user id) that retention still holds, newest first.
    pub async fn earlier_conversations(
        &self,
        id: i64,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<PastConversation>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM conversations c, conversations me
             WHERE me.id = $2 AND c.id <> me.id AND {KEPT}
               AND ((c.wa_id IS NOT NULL AND c.wa_id = me.wa_id)
                 OR (c.user_id IS NOT NULL AND c.user_id = me.user_id))
             ORDER BY c.created_at DESC, c.id DESC LIMIT {LIMIT}"
        ))
        .bind(millis(cutoff))
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .doing("reading a citizen's earlier conversations")?
        .iter()
        .map(past)
        .collect()
    }

    /// Closed threads that retention still holds and that match `query`,
    /// most recently closed first.
    pub async fn search_closed(
        &self,
        query: &ClosedQuery,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<PastConversation>, StoreError> {
        // Absent criteria match everything, so the statement stays one.
        let reference = query
            .reference
            .as_ref()
            .map(|r| format!("{r}%"))
            .unwrap_or_else(|| "%".to_owned());
        let topic = query
            .topic
            .as_ref()
            .map(|t| format!("%{}%", escape_like(&t.to_lowercase())))
            .unwrap_or_else(|| "%".to_owned());
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM conversations c
             WHERE c.state = 'closed' AND {KEPT}
               AND c.public_id LIKE $2
               AND c.closed_at >= $3 AND c.closed_at < $4
               AND LOWER(COALESCE(c.close_topic, '')) LIKE $5 ESCAPE '\\'
             ORDER BY c.closed_at DESC, c.id DESC LIMIT {LIMIT}"
        ))
        .bind(millis(cutoff))
        .bind(reference)
        .bind(query.closed_from.map_or(i64::MIN, millis))
        .bind(query.closed_before.map_or(i64::MAX, millis))
        .bind(topic)
        .fetch_all(&self.pool)
        .await
        .doing("searching closed conversations")?
        .iter()
        .map(past)
        .collect()
    }
}

/// `text` with LIKE's wildcards taken literally.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
