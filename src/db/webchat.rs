//! The website chat's sessions and what a session's stream reads (issue
//! 24). A session's token is never stored, only its SHA-256; the session's
//! conversations carry its citizen key (`web.<hex>`) as their user id, so
//! everything else (intake, processing, the queue, retention) is shared
//! with WhatsApp.

use super::{Doing, Store, StoreError, from_millis, millis};
use crate::domain::web_chat::{Cursor, WebAuthor, WebChoice, WebMessage};
use crate::domain::{Language, MessageContent, OutgoingMessage};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A live web session, as its token finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// The citizen key its conversations carry (`web.<hex>`).
    pub citizen: String,
    pub language: Language,
}

impl Store {
    /// Stores a new session under the SHA-256 of its token.
    pub async fn create_web_session(
        &self,
        token_sha256: &str,
        citizen: &str,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO web_sessions (token_sha256, citizen, language, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(token_sha256)
        .bind(citizen)
        .bind(language.code())
        .bind(millis(now))
        .execute(&self.pool)
        .await
        .doing("starting a web chat session")?;
        Ok(())
    }

    /// The session whose token has this SHA-256, marked seen now; `None`
    /// when there is none (never was, or forgotten or purged since).
    pub async fn web_session(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WebSession>, StoreError> {
        let row = sqlx::query(
            "UPDATE web_sessions SET last_seen_at = $1 WHERE token_sha256 = $2
             RETURNING citizen, language",
        )
        .bind(millis(now))
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await
        .doing("reading a web chat session")?;
        let Some(row) = row else { return Ok(None) };
        let language: String = row
            .try_get("language")
            .doing("reading a web chat session")?;
        Ok(Some(WebSession {
            citizen: row.try_get("citizen").doing("reading a web chat session")?,
            language: Language::parse(&language).unwrap_or_default(),
        }))
    }

    /// The session's messages after `after`, oldest first, at most about
    /// `limit`, and the cursor after them (it also passes replies the
    /// widget has nothing to show of): the citizen's own (once processed, so in the order the
    /// conversation took them) and the replies recorded as sent. Only the
    /// conversations of `citizen` are read: a session sees its own chat
    /// and nothing else.
    pub async fn web_messages(
        &self,
        citizen: &str,
        after: Cursor,
        limit: i64,
    ) -> Result<(Vec<WebMessage>, Cursor), StoreError> {
        let inbound = self
            .session_rows(
                "SELECT i.id, i.content, i.received_at FROM inbound_messages i
                 WHERE i.conversation_id IN ({SESSION}) AND i.id > $2
                 ORDER BY i.id LIMIT $3",
                citizen,
                after.inbound,
                limit,
            )
            .await?;
        let replies = self
            .session_rows(
                "SELECT o.id, o.payload, o.author, o.sent_at FROM outbox o
                 WHERE o.conversation_id IN ({SESSION}) AND o.state = 'sent' AND o.id > $2
                 ORDER BY o.id LIMIT $3",
                citizen,
                after.outbox,
                limit,
            )
            .await?;

        // Each side in id order, merged by time; the cursor moves one side
        // at a time, so a reconnect resumes both exactly.
        let mut theirs = Vec::with_capacity(inbound.len());
        for row in &inbound {
            let id: i64 = row.try_get("id").doing("reading a web chat message")?;
            let content: String = row.try_get("content").doing("reading a web chat message")?;
            let at: i64 = row
                .try_get("received_at")
                .doing("reading a web chat message")?;
            let text = serde_json::from_str::<MessageContent>(&content)
                .ok()
                .and_then(|c| c.text().map(str::to_owned))
                .unwrap_or_default();
            theirs.push((id, at, text));
        }
        let mut ours = Vec::with_capacity(replies.len());
        for row in &replies {
            let id: i64 = row.try_get("id").doing("reading a web chat reply")?;
            let payload: String = row.try_get("payload").doing("reading a web chat reply")?;
            let author: String = row.try_get("author").doing("reading a web chat reply")?;
            let at: Option<i64> = row.try_get("sent_at").doing("reading a web chat reply")?;
            let shown = serde_json::from_str::<OutgoingMessage>(&payload)
                .ok()
                .and_then(|m| shown(&m));
            let author = if author.starts_with("staff:") {
                WebAuthor::Staff
            } else {
                WebAuthor::Bot
            };
            ours.push((id, at.unwrap_or_default(), author, shown));
        }
        let mut cursor = after;
        let mut messages = Vec::with_capacity(theirs.len() + ours.len());
        let (mut a, mut b) = (theirs.into_iter().peekable(), ours.into_iter().peekable());
        loop {
            let take_theirs = match (a.peek(), b.peek()) {
                (Some(t), Some(o)) => t.1 <= o.1,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_theirs {
                let Some((id, at, text)) = a.next() else {
                    break;
                };
                cursor.inbound = id;
                messages.push(WebMessage {
                    id: cursor.to_string(),
                    author: WebAuthor::Citizen,
                    at: from_millis(at),
                    text,
                    choices: Vec::new(),
                });
            } else {
                let Some((id, at, author, shown)) = b.next() else {
                    break;
                };
                cursor.outbox = id;
                // A row the widget has nothing to show of still moves the
                // cursor, so it is not read again.
                let Some((text, choices)) = shown else {
                    continue;
                };
                messages.push(WebMessage {
                    id: cursor.to_string(),
                    author,
                    at: from_millis(at),
                    text,
                    choices,
                });
            }
        }
        Ok((messages, cursor))
    }

    /// The rows `sql` selects from the session's conversations
    /// (`{SESSION}` stands for them; `$1` is the citizen key, `$2` the id
    /// to read after, `$3` the limit).
    async fn session_rows(
        &self,
        sql: &str,
        citizen: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        // Only this citizen key's web conversations: one session never
        // reads another's.
        let sql = sql.replace(
            "{SESSION}",
            "SELECT c.id FROM conversations c WHERE c.channel = 'web' AND c.user_id = $1",
        );
        sqlx::query(&sql)
            .bind(citizen)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .doing("reading a web chat")
    }

    /// The median wait, in whole seconds, of the conversations people
    /// took from the queue since `since` (queued until claimed); `None`
    /// when nobody took one. For the widget's "current wait".
    pub async fn median_wait_since(&self, since: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
        let mut waits: Vec<i64> = sqlx::query_scalar(
            "SELECT claimed_at - queued_at FROM conversations
             WHERE claimed_at >= $1 AND queued_at IS NOT NULL AND claimed_at >= queued_at",
        )
        .bind(millis(since))
        .fetch_all(&self.pool)
        .await
        .doing("reading the queue's waits")?;
        if waits.is_empty() {
            return Ok(None);
        }
        waits.sort_unstable();
        Ok(Some(waits[waits.len() / 2] / 1000))
    }

    /// Whether the session of this citizen key still exists (not
    /// forgotten or purged).
    pub async fn web_session_exists(&self, citizen: &str) -> Result<bool, StoreError> {
        let found = sqlx::query("SELECT 1 FROM web_sessions WHERE citizen = $1")
            .bind(citizen)
            .fetch_optional(&self.pool)
            .await
            .doing("reading a web chat session")?;
        Ok(found.is_some())
    }

    /// Marks the session of this citizen key seen at `now` (its chat is
    /// open: `[webchat] idle_timeout` counts from the last connection);
    /// `false` when it no longer exists.
    pub async fn touch_web_session(
        &self,
        citizen: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE web_sessions SET last_seen_at = $1 WHERE citizen = $2")
            .bind(millis(now))
            .bind(citizen)
            .execute(&self.pool)
            .await
            .doing("marking a web chat session seen")?;
        Ok(done.rows_affected() > 0)
    }
}

/// What the widget shows of a reply: its text and its buttons or list
/// rows as choices; `None` for a read receipt, a file or a template.
fn shown(message: &OutgoingMessage) -> Option<(String, Vec<WebChoice>)> {
    use crate::domain::OutgoingContent;
    match &message.content {
        OutgoingContent::Text { body } => Some((body.clone(), Vec::new())),
        OutgoingContent::Buttons { body, buttons } => Some((
            body.clone(),
            buttons
                .iter()
                .map(|b| WebChoice {
                    id: b.id.clone(),
                    title: b.title.clone(),
                })
                .collect(),
        )),
        OutgoingContent::List { body, rows, .. } => Some((
            body.clone(),
            rows.iter()
                .map(|r| WebChoice {
                    id: r.id.clone(),
                    title: r.title.clone(),
                })
                .collect(),
        )),
        OutgoingContent::Template { .. }
        | OutgoingContent::Media { .. }
        | OutgoingContent::MarkRead { .. } => None,
    }
}
