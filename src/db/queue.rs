//! The human queue's storage: listing, claiming, answering, passing on and
//! closing threads. Every change writes a `conversation_events` row (who
//! and when) in the same transaction. Changes start with `BEGIN IMMEDIATE`
//! on SQLite, which takes the write lock up front: two claims of one thread
//! then queue up behind each other instead of failing on a stale snapshot.
//! On PostgreSQL (several instances) each change locks the conversation
//! row first, and a claim also the staff member (advisory lock), so the
//! same holds across instances.

use super::dialect::LockClass;
use super::rows::{citizen, flag, get};
use super::{Doing, NewOutbound, Store, StoreError, Tx, from_millis, insert_outbox, millis};
use crate::domain::thread::{
    Event, Summary, Thread, ThreadMessage, WINDOW, citizen_label, describe_inbound,
    describe_outgoing, preview, window,
};
use crate::domain::{
    Account, Channel, Conversation, ConversationState, Language, MessageContent, OutgoingContent,
    OutgoingMessage, Transition, TransitionError,
};
use crate::reply::ReplyKind;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

/// Why a queue action was refused: a move the conversation's rules do
/// not allow (the same words as [`TransitionError`]), or what the
/// database found (no such thread, a full hand, a closed window).
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("conversation not found")]
    NotFound,
    #[error("already claimed by {claimed_by}")]
    AlreadyClaimed { claimed_by: String },
    #[error("{who} already holds {limit} threads")]
    ClaimLimit { who: String, limit: u32 },
    #[error("the conversation is not in the queue (state {state})")]
    NotQueued { state: &'static str },
    #[error("the conversation is held by {claimed_by:?}, not by you")]
    NotYours { claimed_by: Option<String> },
    #[error(
        "WhatsApp's 24-hour window closed at {expires_at}; only the approved template can be sent"
    )]
    WindowClosed { expires_at: DateTime<Utc> },
    #[error("no template is configured ([queue] template in loket.toml)")]
    NoTemplate,
    #[error("unknown or disabled colleague {0:?}")]
    UnknownUser(String),
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TransitionError> for QueueError {
    fn from(refused: TransitionError) -> Self {
        match refused {
            TransitionError::AlreadyClaimed { claimed_by } => {
                QueueError::AlreadyClaimed { claimed_by }
            }
            TransitionError::NotQueued { state } => QueueError::NotQueued { state },
            TransitionError::NotYours { claimed_by } => QueueError::NotYours { claimed_by },
            TransitionError::UnknownUser(name) => QueueError::UnknownUser(name),
            // Staff actions never move a citizen's message; if one did,
            // the stored state is not what the rules expect.
            refused @ (TransitionError::Closed | TransitionError::NotClosed { .. }) => {
                QueueError::Store(StoreError::Corrupt {
                    what: "conversation state",
                    detail: refused.to_string(),
                })
            }
        }
    }
}

const SUMMARY_COLUMNS: &str = "c.id, c.public_id, c.wa_id, c.user_id, c.channel, c.state, c.queue_reason, c.language, c.urgent,
    c.reply_deadline, c.claimed_by, c.queue_topic, c.queued_at, c.last_inbound_at,
    (SELECT i.content FROM inbound_messages i WHERE i.conversation_id = c.id ORDER BY i.id DESC LIMIT 1) AS last_content,
    (SELECT MAX(o.created_at) FROM outbox o WHERE o.conversation_id = c.id
        AND (o.author LIKE 'staff:%' OR o.kind = 'followup')) AS last_answer_at,
    (SELECT MIN(o.created_at) FROM outbox o WHERE o.conversation_id = c.id
        AND o.author LIKE 'staff:%' AND o.created_at >= COALESCE(c.queued_at, 0)) AS first_reply_at";

fn summary(row: &AnyRow) -> Result<Summary, StoreError> {
    let state: String = get(row, "state")?;
    let language: String = get(row, "language")?;
    let last_content: Option<String> = get(row, "last_content")?;
    let preview_text = last_content
        .and_then(|c| serde_json::from_str::<MessageContent>(&c).ok())
        .map(|c| {
            let masked = crate::privacy::pii::mask(&describe_inbound(&c));
            preview(&crate::privacy::for_staff(&masked), 80)
        })
        .unwrap_or_default();
    let to = citizen(row)?;
    let channel: String = get(row, "channel")?;
    Ok(Summary {
        id: super::rows::public_id(row)?,
        key: get(row, "id")?,
        state: ConversationState::parse(&state).ok_or(StoreError::Corrupt {
            what: "conversation state",
            detail: state.clone(),
        })?,
        reason: get(row, "queue_reason")?,
        urgent: flag(row, "urgent")?,
        deadline: get::<Option<i64>>(row, "reply_deadline")?.map(from_millis),
        claimed_by: get(row, "claimed_by")?,
        topic: get(row, "queue_topic")?,
        language: Language::parse(&language).unwrap_or_default(),
        queued_at: get::<Option<i64>>(row, "queued_at")?.map(from_millis),
        last_message_at: from_millis(get(row, "last_inbound_at")?),
        citizen: citizen_label(&to),
        channel: Channel::from_stored(&channel),
        preview: preview_text,
        to,
        last_answer_at: get::<Option<i64>>(row, "last_answer_at")?.map(from_millis),
        first_reply_at: get::<Option<i64>>(row, "first_reply_at")?.map(from_millis),
    })
}

/// How the history names a transfer to a team: `topic:<topic>` in place
/// of a colleague's user name.
pub const TOPIC_PREFIX: &str = "topic:";

/// Loket itself, as stored when it acts without a person (closing a web
/// chat whose citizen left); the staff page calls it "Loket".
pub const SYSTEM_ACTOR: &str = "system";

/// Who did something, as stored: `staff:<username>`.
pub fn staff_actor(account: &Account) -> String {
    format!("staff:{}", account.username)
}

pub(super) async fn insert_event(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    actor: &str,
    kind: &str,
    detail: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO conversation_events (conversation_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(conversation_id)
    .bind(millis(at))
    .bind(actor)
    .bind(kind)
    .bind(detail)
    .execute(&mut **tx)
    .await
    .doing("recording a conversation event")?;
    Ok(())
}

/// One thread's summary, inside a transaction or straight from the pool.
async fn summary_in<'e, E>(executor: E, id: i64) -> Result<Option<Summary>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM conversations c WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(executor)
    .await
    .doing("reading a conversation")?;
    row.as_ref().map(summary).transpose()
}

/// The conversation in a summary, as its rules see it.
fn conversation(current: &Summary) -> Conversation {
    Conversation::stored(current.state, current.claimed_by.clone())
}

/// A message staff send: free text, the configured template, or a file
/// (checked already) with an optional caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffMessage {
    Text(String),
    Template {
        name: String,
        language: String,
    },
    File {
        file: crate::media::Attachment,
        caption: Option<String>,
    },
}

impl Store {
    /// The queue: queued and claimed threads, urgent first, then by the
    /// promised deadline (none last), then by arrival.
    pub async fn queue(&self) -> Result<Vec<Summary>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM conversations c
             WHERE c.state IN ('queued', 'claimed')
             ORDER BY c.urgent DESC, c.reply_deadline IS NULL, c.reply_deadline, c.queued_at, c.id"
        ))
        .fetch_all(&self.pool)
        .await
        .doing("reading the queue")?;
        rows.iter().map(summary).collect()
    }

    /// One thread's summary.
    pub async fn summary(&self, id: i64) -> Result<Option<Summary>, StoreError> {
        summary_in(&self.pool, id).await
    }

    /// A whole thread: citizen, bot and staff messages in order, with the
    /// state changes.
    pub async fn thread(
        &self,
        id: i64,
        now: DateTime<Utc>,
        reveal: bool,
    ) -> Result<Option<Thread>, StoreError> {
        let Some(summary) = self.summary(id).await? else {
            return Ok(None);
        };
        let inbound = sqlx::query(&format!(
            "SELECT i.content, i.received_at, {} FROM inbound_messages i {}
             WHERE i.conversation_id = $1 ORDER BY i.id",
            super::media::THREAD_COLUMNS,
            super::media::THREAD_JOIN
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .doing("reading a thread's messages")?;
        let mut messages = Vec::with_capacity(inbound.len());
        for row in &inbound {
            let content: String = get(row, "content")?;
            let content = serde_json::from_str::<MessageContent>(&content).ok();
            let (kind, text) = match &content {
                Some(content) => (content.kind_name().to_owned(), describe_inbound(content)),
                None => ("unsupported".to_owned(), "[onleesbaar bericht]".to_owned()),
            };
            let (text, masked, link_domains) = crate::privacy::citizen_text(text, reveal);
            messages.push(ThreadMessage {
                at: from_millis(get(row, "received_at")?),
                author: "citizen".to_owned(),
                kind,
                text,
                masked,
                link_domains,
                status: None,
                media: super::media::thread_media(row, &summary.id, content.as_ref())?,
                location: content
                    .as_ref()
                    .and_then(|content| super::media::thread_location(content, reveal)),
            });
        }
        let outbound = sqlx::query(
            "SELECT o.author, o.kind, o.payload, o.state, o.created_at, d.status AS delivery_status
             FROM outbox o LEFT JOIN delivery_statuses d ON d.wamid = o.wamid
             WHERE o.conversation_id = $1 AND o.kind <> 'mark_read' ORDER BY o.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .doing("reading a thread's replies")?;
        for row in &outbound {
            let payload: String = get(row, "payload")?;
            // A staff reply may quote the citizen: shown the same way.
            let text = serde_json::from_str::<OutgoingMessage>(&payload)
                .map(|m| crate::privacy::for_staff(&describe_outgoing(&m.content)).into_owned())
                .unwrap_or_else(|_| "[onleesbaar bericht]".to_owned());
            let state: String = get(row, "state")?;
            let delivery: Option<String> = get(row, "delivery_status")?;
            messages.push(ThreadMessage {
                at: from_millis(get(row, "created_at")?),
                author: get(row, "author")?,
                kind: get(row, "kind")?,
                text,
                masked: false,
                link_domains: Vec::new(),
                media: None,
                location: None,
                // Meta's callback says more than our own state, except a failure on our side.
                status: Some(if state == "failed" {
                    state
                } else {
                    delivery.unwrap_or(state)
                }),
            });
        }
        // Stable: a citizen's message and the bot's answer share a
        // millisecond now and then; the question stays first.
        messages.sort_by_key(|m| m.at);
        let events = sqlx::query(
            "SELECT at, actor, kind, detail FROM conversation_events WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .doing("reading a thread's history")?
        .iter()
        .map(|row| {
            Ok(Event {
                at: from_millis(get(row, "at")?),
                actor: get(row, "actor")?,
                kind: get(row, "kind")?,
                // A close topic is typed by staff.
                detail: get::<Option<String>>(row, "detail")?
                    .map(|d| crate::privacy::for_staff(&d).into_owned()),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(Thread {
            // The 24-hour rule is WhatsApp's: a web chat's window is always open.
            window: match summary.channel {
                Channel::Web => window(now, now),
                Channel::Whatsapp => window(summary.last_message_at, now),
            },
            summary,
            messages,
            events,
        }))
    }

    /// Claims a queued thread for `who`. Atomic: of simultaneous claims
    /// exactly one wins; the others learn who has it.
    pub async fn claim(
        &self,
        id: i64,
        who: &Account,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Summary, QueueError> {
        let mut tx = self.begin_write("starting a claim").await?;
        // The claim limit counts this person's threads: two claims by the
        // same person on two instances must not both count below it.
        self.dialect
            .lock(&mut tx, LockClass::Staff, &who.username)
            .await?;
        self.dialect.lock_conversation(&mut tx, id).await?;
        let current = summary_in(&mut *tx, id)
            .await?
            .ok_or(QueueError::NotFound)?;
        let Transition { to, change } = conversation(&current).claim(who)?;
        let Some(change) = change else {
            // The holder claimed again: nothing to store.
            return Ok(current);
        };
        // The rules chose the new state; the statement still only claims a
        // queued thread, and only below the claimer's limit.
        let claimed = sqlx::query(
            "UPDATE conversations SET state = $1, claimed_by = $2, claimed_at = $3, updated_at = $4
             WHERE id = $5 AND state = 'queued'
               AND (SELECT COUNT(*) FROM conversations WHERE state = 'claimed' AND claimed_by = $6) < $7",
        )
        .bind(to.state().as_str())
        .bind(to.claimed_by())
        .bind(millis(now))
        .bind(millis(now))
        .bind(id)
        .bind(&who.username)
        .bind(i64::from(limit))
        .execute(&mut *tx)
        .await
        .doing("claiming a conversation")?;
        if claimed.rows_affected() != 1 {
            // The claimer's hands are full, unless the thread moved after
            // all: then the rules answer for the thread as it is now.
            let again = current_in(&mut tx, id).await?;
            return match conversation(&again).claim(who)? {
                Transition { change: None, .. } => Ok(again),
                Transition {
                    change: Some(_), ..
                } => Err(QueueError::ClaimLimit {
                    who: who.username.clone(),
                    limit,
                }),
            };
        }
        let after = summary_in(&mut *tx, id)
            .await?
            .ok_or(QueueError::NotFound)?;
        insert_event(&mut tx, id, &staff_actor(who), change.as_str(), None, now).await?;
        tx.commit().await.doing("committing a claim")?;
        Ok(after)
    }

    /// Puts a claimed thread back in the queue.
    pub async fn release(
        &self,
        id: i64,
        actor: &Account,
        now: DateTime<Utc>,
    ) -> Result<Summary, QueueError> {
        let mut tx = self.begin_write("starting a release").await?;
        self.dialect.lock_conversation(&mut tx, id).await?;
        let current = current_in(&mut tx, id).await?;
        let (to, change) = moved(conversation(&current).release(actor)?)?;
        sqlx::query(
            "UPDATE conversations SET state = $1, claimed_by = $2, claimed_at = NULL, updated_at = $3 WHERE id = $4",
        )
        .bind(to.state().as_str())
        .bind(to.claimed_by())
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .doing("releasing a conversation")?;
        insert_event(
            &mut tx,
            id,
            &staff_actor(actor),
            change.as_str(),
            current.claimed_by.as_deref(),
            now,
        )
        .await?;
        let after = summary_in(&mut *tx, id)
            .await?
            .ok_or(QueueError::NotFound)?;
        tx.commit().await.doing("committing a release")?;
        Ok(after)
    }

    /// Queues a staff message to the citizen. Free text only inside
    /// WhatsApp's 24-hour window; the template at any time.
    pub async fn staff_send(
        &self,
        id: i64,
        actor: &Account,
        message: StaffMessage,
        now: DateTime<Utc>,
    ) -> Result<i64, QueueError> {
        let mut tx = self.begin_write("starting a reply").await?;
        self.dialect.lock_conversation(&mut tx, id).await?;
        let current = current_in(&mut tx, id).await?;
        let (_, change) = moved(conversation(&current).reply(actor)?)?;
        // Anything but the template goes only inside the 24-hour window,
        // which is WhatsApp's rule: a web chat has none.
        if current.channel == Channel::Whatsapp && !matches!(message, StaffMessage::Template { .. })
        {
            let open = window(current.last_message_at, now);
            if !open.open {
                return Err(QueueError::WindowClosed {
                    expires_at: open.expires_at,
                });
            }
        }
        let mut file = None;
        let (kind, content, detail) = match message {
            StaffMessage::Text(body) => {
                (ReplyKind::StaffReply, OutgoingContent::Text { body }, None)
            }
            StaffMessage::File {
                file: attachment,
                caption,
            } => {
                let content = OutgoingContent::Media {
                    media: attachment.kind,
                    filename: attachment.filename.clone(),
                    caption,
                    id: None,
                };
                file = Some(attachment);
                (ReplyKind::StaffReply, content, None)
            }
            StaffMessage::Template { name, language } => {
                let detail = Some(format!("template {name}"));
                (
                    ReplyKind::StaffTemplate,
                    OutgoingContent::Template {
                        name,
                        language,
                        body_parameters: Vec::new(),
                    },
                    detail,
                )
            }
        };
        let new = NewOutbound {
            kind,
            message: OutgoingMessage {
                to: current.to.clone(),
                content,
            },
        };
        let actor_name = staff_actor(actor);
        let outbox_id = insert_outbox(&mut tx, id, None, &actor_name, &new, now).await?;
        if let Some(file) = &file {
            super::outbox_media::insert(&mut tx, outbox_id, file, now).await?;
        }
        sqlx::query(
            "UPDATE conversations SET first_staff_reply_at = COALESCE(first_staff_reply_at, $1), updated_at = $2 WHERE id = $3",
        )
        .bind(millis(now))
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .doing("recording a reply")?;
        insert_event(
            &mut tx,
            id,
            &actor_name,
            change.as_str(),
            detail.as_deref(),
            now,
        )
        .await?;
        tx.commit().await.doing("committing a reply")?;
        Ok(outbox_id)
    }

    /// Passes a claimed thread to a colleague, who then holds it, with an
    /// optional internal note (checked already) stored in the same step.
    pub async fn transfer(
        &self,
        id: i64,
        actor: &Account,
        to: &Account,
        note: Option<&str>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Summary, QueueError> {
        // Refused before any lock is taken; the rules check the same.
        if !to.can_hold_threads() {
            return Err(QueueError::UnknownUser(to.username.clone()));
        }
        let mut tx = self.begin_write("starting a transfer").await?;
        // Staff before conversation, as in `claim`, so the two never deadlock.
        self.dialect
            .lock(&mut tx, LockClass::Staff, &to.username)
            .await?;
        self.dialect.lock_conversation(&mut tx, id).await?;
        let current = current_in(&mut tx, id).await?;
        let (after_move, change) = moved(conversation(&current).transfer(actor, to)?)?;
        if current.claimed_by.as_deref() != Some(to.username.as_str()) {
            let held: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM conversations WHERE state = 'claimed' AND claimed_by = $1",
            )
            .bind(&to.username)
            .fetch_one(&mut *tx)
            .await
            .doing("counting a colleague's threads")?;
            if held >= i64::from(limit) {
                return Err(QueueError::ClaimLimit {
                    who: to.username.clone(),
                    limit,
                });
            }
        }
        sqlx::query(
            "UPDATE conversations SET state = $1, claimed_by = $2, claimed_at = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(after_move.state().as_str())
        .bind(after_move.claimed_by())
        .bind(millis(now))
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .doing("passing a conversation on")?;
        insert_event(
            &mut tx,
            id,
            &staff_actor(actor),
            change.as_str(),
            Some(&to.username),
            now,
        )
        .await?;
        if let Some(note) = note {
            super::notes::insert_note(&mut tx, id, &staff_actor(actor), note, now).await?;
        }
        let after = summary_in(&mut *tx, id)
            .await?
            .ok_or(QueueError::NotFound)?;
        tx.commit().await.doing("committing a transfer")?;
        Ok(after)
    }

    /// Passes a claimed thread to a team: back in the queue, marked with
    /// the topic (one of `[queue] topics`, checked already) for whoever
    /// works it, with an optional internal note. The rules are those of a
    /// release: only the holder (or an admin) may.
    pub async fn transfer_to_topic(
        &self,
        id: i64,
        actor: &Account,
        topic: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Summary, QueueError> {
        let mut tx = self.begin_write("starting a transfer to a team").await?;
        self.dialect.lock_conversation(&mut tx, id).await?;
        let current = current_in(&mut tx, id).await?;
        let (to, _) = moved(conversation(&current).release(actor)?)?;
        sqlx::query(
            "UPDATE conversations SET state = $1, claimed_by = $2, claimed_at = NULL, queue_topic = $3, updated_at = $4
             WHERE id = $5",
        )
        .bind(to.state().as_str())
        .bind(to.claimed_by())
        .bind(topic)
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .doing("passing a conversation to a team")?;
        let actor_name = staff_actor(actor);
        // A user name has no colon, so `topic:` cannot be read as one.
        let detail = format!("{TOPIC_PREFIX}{topic}");
        insert_event(
            &mut tx,
            id,
            &actor_name,
            crate::domain::Change::Transferred.as_str(),
            Some(&detail),
            now,
        )
        .await?;
        if let Some(note) = note {
            super::notes::insert_note(&mut tx, id, &actor_name, note, now).await?;
        }
        let after = summary_in(&mut *tx, id)
            .await?
            .ok_or(QueueError::NotFound)?;
        tx.commit().await.doing("committing a transfer to a team")?;
        Ok(after)
    }

    /// Closes a thread with a topic (for the team lead's report).
    pub async fn close_conversation(
        &self,
        id: i64,
        actor: &Account,
        topic: &str,
        now: DateTime<Utc>,
    ) -> Result<Summary, QueueError> {
        let mut tx = self.begin_write("starting a close").await?;
        self.dialect.lock_conversation(&mut tx, id).await?;
        let current = current_in(&mut tx, id).await?;
        let (to, change) = moved(conversation(&current).close(actor)?)?;
        sqlx::query(
            "UPDATE conversations SET state = $1, closed_at = $2, closed_by = $3, close_topic = $4, updated_at = $5
             WHERE id = $6",
        )
        .bind(to.state().as_str())
        .bind(millis(now))
        .bind(&actor.username)
        .bind(topic)
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .doing("closing a conversation")?;
        insert_event(
            &mut tx,
            id,
            &staff_actor(actor),
            change.as_str(),
            Some(topic),
            now,
        )
        .await?;
        let after = summary_in(&mut *tx, id)
            .await?
            .ok_or(QueueError::NotFound)?;
        tx.commit().await.doing("committing a close")?;
        Ok(after)
    }

    /// Web chats waiting on staff (queued or claimed) whose citizen has had
    /// no connection since `seen_before`: the session was last seen before
    /// it, or is gone. Oldest first, at most 500 per call.
    pub async fn abandoned_web_chats(
        &self,
        seen_before: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        sqlx::query_scalar(
            "SELECT c.id FROM conversations c
             WHERE c.channel = 'web' AND c.state IN ('queued', 'claimed')
               AND c.last_inbound_at < $1
               AND NOT EXISTS (SELECT 1 FROM web_sessions s
                               WHERE s.citizen = c.user_id AND s.last_seen_at >= $1)
             ORDER BY c.id LIMIT 500",
        )
        .bind(millis(seen_before))
        .fetch_all(&self.pool)
        .await
        .doing("finding web chats whose citizen left")
    }

    /// Closes a web chat whose citizen left, as Loket (`system`), with
    /// `note` for staff. `None` when it no longer waits on staff (closed
    /// or taken back by the bot meanwhile).
    pub async fn close_abandoned(
        &self,
        id: i64,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Summary>, QueueError> {
        let mut tx = self
            .begin_write("starting to close a left web chat")
            .await?;
        self.dialect.lock_conversation(&mut tx, id).await?;
        let current = current_in(&mut tx, id).await?;
        let Ok(transition) = conversation(&current).close_abandoned() else {
            return Ok(None);
        };
        let (to, change) = moved(transition)?;
        sqlx::query(
            "UPDATE conversations SET state = $1, closed_at = $2, closed_by = NULL, close_topic = NULL, updated_at = $3
             WHERE id = $4",
        )
        .bind(to.state().as_str())
        .bind(millis(now))
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .doing("closing a left web chat")?;
        insert_event(&mut tx, id, SYSTEM_ACTOR, change.as_str(), None, now).await?;
        super::notes::insert_note(&mut tx, id, SYSTEM_ACTOR, note, now).await?;
        let after = summary_in(&mut *tx, id)
            .await?
            .ok_or(QueueError::NotFound)?;
        tx.commit()
            .await
            .doing("committing the close of a left web chat")?;
        Ok(Some(after))
    }

    /// Queued threads whose window has expired and that have not had the
    /// follow-up template yet.
    pub async fn followups_due(&self, now: DateTime<Utc>) -> Result<Vec<Summary>, StoreError> {
        let expired_before = now - WINDOW;
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM conversations c
             WHERE c.state = 'queued' AND c.followup_sent_at IS NULL AND c.last_inbound_at <= $1
               AND c.channel = 'whatsapp'
             ORDER BY c.id LIMIT 500"
        ))
        .bind(millis(expired_before))
        .fetch_all(&self.pool)
        .await
        .doing("reading threads that need a follow-up")?;
        rows.iter().map(summary).collect()
    }

    /// Queues the follow-up template for a thread, once.
    pub async fn send_followup(
        &self,
        id: i64,
        name: &str,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write("starting a follow-up").await?;
        let marked = sqlx::query(
            "UPDATE conversations SET followup_sent_at = $1 WHERE id = $2 AND followup_sent_at IS NULL AND state = 'queued'",
        )
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .doing("marking a follow-up")?;
        if marked.rows_affected() != 1 {
            return Ok(false);
        }
        let Some(current) = summary_in(&mut *tx, id).await? else {
            return Ok(false);
        };
        let new = NewOutbound {
            kind: ReplyKind::Followup,
            message: OutgoingMessage {
                to: current.to,
                content: OutgoingContent::Template {
                    name: name.to_owned(),
                    language: language.to_owned(),
                    body_parameters: Vec::new(),
                },
            },
        };
        insert_outbox(&mut tx, id, None, "bot", &new, now).await?;
        insert_event(&mut tx, id, SYSTEM_ACTOR, "followup", Some(name), now).await?;
        tx.commit().await.doing("committing a follow-up")?;
        Ok(true)
    }
}

/// The thread as it stands, read under its lock.
async fn current_in(tx: &mut Tx<'_>, id: i64) -> Result<Summary, QueueError> {
    summary_in(&mut **tx, id).await?.ok_or(QueueError::NotFound)
}

/// A staff move's outcome: the conversation afterwards and the event to
/// record (every staff move the rules allow records one, except a repeated
/// claim, which `claim` handles before this).
fn moved(transition: Transition) -> Result<(Conversation, crate::domain::Change), QueueError> {
    match transition.change {
        Some(change) => Ok((transition.to, change)),
        None => Err(QueueError::Store(StoreError::Corrupt {
            what: "conversation state",
            detail: "a staff action that changed nothing".to_owned(),
        })),
    }
}
