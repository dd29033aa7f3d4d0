//! Processing stored inbound messages into conversation updates and
//! outbox rows, many messages per transaction.
//!
//! A batch first reads what it needs with a few set-wise statements (the
//! citizens' locks on PostgreSQL, which messages are still unprocessed,
//! their conversations), then decides every message in memory, in order,
//! each seeing the conversation as the earlier ones left it, and then
//! writes with a few multi-row statements. On SQLite every statement is a
//! round trip to the connection's worker thread; one per message and step
//! is what used to limit processing.

use super::dialect::LockClass;
use super::{
    Doing, NewOutbound, Processed, Store, StoreError, StoredInbound, Tx, millis, queue, usage,
};
use crate::domain::CitizenRef;
use crate::queue::State;
use crate::queue::events::Change;
use crate::reply::{ConversationMemory, Decision};
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// Rows per multi-row insert: 7 parameters each, well below the limits
/// of both databases.
const ROWS_PER_STATEMENT: usize = 300;

impl Store {
    /// Processes one stored inbound message in one transaction: finds or
    /// starts the citizen's conversation (reopening one closed less than
    /// `reopen_within` ago), runs `decide` on its memory, stores the
    /// outbound messages and marks the inbound one processed. Returns
    /// `None` when another worker processed it already, or an older
    /// message of the same citizen still waits.
    pub async fn process_inbound<F>(
        &self,
        inbound: &StoredInbound,
        now: DateTime<Utc>,
        reopen_within: chrono::Duration,
        mut decide: F,
    ) -> Result<Option<Processed>, StoreError>
    where
        F: FnMut(&ConversationMemory) -> (Decision, Vec<NewOutbound>),
    {
        let mut results = self
            .try_batch(
                std::slice::from_ref(inbound),
                now,
                reopen_within,
                &mut |_, memory| decide(memory),
            )
            .await?;
        Ok(results.pop().flatten())
    }

    /// Processes stored inbound messages (oldest first) in one
    /// transaction, so the batch costs one commit instead of one per
    /// message. A citizen's later message sees the memory its earlier one
    /// wrote. Returns one result per message, in the same order
    /// (`Ok(None)`: left for another worker or a later round, see
    /// [`Store::process_inbound`]).
    ///
    /// When anything fails, the whole transaction is rolled back and the
    /// batch is processed again one message per transaction, so one
    /// message that cannot be processed costs only its own result and the
    /// others still go through (a later message of the same citizen waits
    /// behind it, keeping the order).
    pub async fn process_batch<F>(
        &self,
        batch: &[StoredInbound],
        now: DateTime<Utc>,
        reopen_within: chrono::Duration,
        mut decide: F,
    ) -> Vec<Result<Option<Processed>, StoreError>>
    where
        F: FnMut(&StoredInbound, &ConversationMemory) -> (Decision, Vec<NewOutbound>),
    {
        match self.try_batch(batch, now, reopen_within, &mut decide).await {
            Ok(results) => return results.into_iter().map(Ok).collect(),
            Err(error) if batch.len() > 1 => {
                tracing::warn!(
                    error = %error,
                    messages = batch.len(),
                    "processing a batch failed; processing its messages one by one"
                );
            }
            Err(error) => return vec![Err(error)],
        }
        let mut results = Vec::with_capacity(batch.len());
        for inbound in batch {
            results.push(
                self.try_batch(
                    std::slice::from_ref(inbound),
                    now,
                    reopen_within,
                    &mut decide,
                )
                .await
                .map(|mut one| one.pop().flatten()),
            );
        }
        results
    }

    /// [`Store::process_batch`]'s single transaction; any error rolls it
    /// all back (the transaction is dropped uncommitted).
    async fn try_batch<F>(
        &self,
        batch: &[StoredInbound],
        now: DateTime<Utc>,
        reopen_within: chrono::Duration,
        decide: &mut F,
    ) -> Result<Vec<Option<Processed>>, StoreError>
    where
        F: FnMut(&StoredInbound, &ConversationMemory) -> (Decision, Vec<NewOutbound>),
    {
        let _write = self.write_turn().await;
        let mut tx = self.begin_write("starting to process messages").await?;

        // One citizen's messages are processed one at a time and in order,
        // also across instances: whoever holds the citizen's lock goes on,
        // the others leave the message to it (and to the next round).
        let keys: Vec<String> = distinct(batch.iter().map(|m| citizen_key(&m.from)));
        let locked = self
            .dialect
            .try_lock_many(&mut tx, LockClass::Citizen, &keys)
            .await?;
        let citizens: Vec<&CitizenRef> = batch.iter().map(|m| &m.from).collect();
        let max_id = batch.iter().map(|m| m.id).max().unwrap_or(0);
        let unprocessed = unprocessed_of(&mut tx, &citizens, max_id).await?;
        let oldest_cutoff = batch
            .iter()
            .map(|m| m.received_at - reopen_within)
            .min()
            .unwrap_or(now);
        let mut conversations = conversations_of(&mut tx, &citizens, oldest_cutoff).await?;

        // Decide each message in order, in memory.
        let mut steps: Vec<Option<Step>> = Vec::with_capacity(batch.len());
        let mut done: HashSet<i64> = HashSet::new();
        for inbound in batch {
            let key = citizen_key(&inbound.from);
            let waits_behind_older = unprocessed.iter().any(|(id, from)| {
                *id < inbound.id && same_citizen(from, &inbound.from) && !done.contains(id)
            });
            let still_unprocessed = unprocessed.iter().any(|(id, _)| *id == inbound.id);
            if !locked.contains(&key) || waits_behind_older || !still_unprocessed {
                steps.push(None);
                continue;
            }
            done.insert(inbound.id);
            let at = inbound.received_at;
            let (slot, reopened) =
                match find(&conversations, &inbound.from, |c| c.state != State::Closed) {
                    Some(slot) => (slot, false),
                    None => match find(&conversations, &inbound.from, |c| {
                        c.state == State::Closed
                            && c.closed_at
                                .is_some_and(|closed| closed >= millis(at - reopen_within))
                    }) {
                        Some(slot) => {
                            conversations[slot].state = State::Queued;
                            (slot, true)
                        }
                        None => {
                            conversations.push(Working::started_by(inbound));
                            (conversations.len() - 1, false)
                        }
                    },
                };
            let conversation = &mut conversations[slot];
            let state_before = conversation.state;
            let (decision, outbound) = decide(inbound, &conversation.memory);
            conversation.memory = decision.memory.clone();
            let (state, change) = match (state_before, decision.handover) {
                _ if reopened => (State::Queued, Some(Change::Reopened)),
                (State::Bot, Some(_)) => (State::Queued, Some(Change::Queued)),
                (State::Bot, None) => (State::Bot, None),
                (state, _) => (state, Some(Change::Message)),
            };
            conversation.state = state;
            steps.push(Some(Step {
                slot,
                reopened,
                queued_from_bot: state_before == State::Bot && decision.handover.is_some(),
                decision,
                outbound,
                state,
                change,
            }));
        }

        // Write: conversations started, reopened and updated, then the
        // messages' links, the events and the replies.
        start_conversations(&mut tx, &mut conversations, now).await?;
        let id_of = |slot: usize| conversations[slot].id.unwrap_or_default();
        for (inbound, step) in batch.iter().zip(&steps) {
            if let Some(step) = step.as_ref().filter(|s| s.reopened) {
                reopen(&mut tx, id_of(step.slot), inbound.received_at).await?;
            }
        }
        update_conversations(&mut tx, batch, &steps, &conversations, now).await?;
        let links: Vec<(i64, i64)> = batch
            .iter()
            .zip(&steps)
            .filter_map(|(inbound, step)| Some((inbound.id, id_of(step.as_ref()?.slot))))
            .collect();
        mark_processed(&mut tx, &links, now).await?;
        for (inbound, step) in batch.iter().zip(&steps) {
            if let Some(step) = step.as_ref().filter(|s| s.queued_from_bot && !s.reopened) {
                let reason = step.decision.handover.map(|r| r.as_str());
                queue::insert_event(
                    &mut tx,
                    id_of(step.slot),
                    "bot",
                    "queued",
                    reason,
                    inbound.received_at,
                )
                .await?;
            }
        }
        let replies: Vec<(i64, i64, &NewOutbound)> = batch
            .iter()
            .zip(&steps)
            .filter_map(|(inbound, step)| {
                let step = step.as_ref()?;
                Some((id_of(step.slot), inbound.id, &step.outbound))
            })
            .flat_map(|(conversation, inbound, outbound)| {
                outbound.iter().map(move |new| (conversation, inbound, new))
            })
            .collect();
        insert_bot_replies(&mut tx, &replies, now).await?;

        let results: Vec<Option<Processed>> = steps
            .into_iter()
            .map(|step| {
                step.map(|step| Processed {
                    conversation_id: id_of(step.slot),
                    decision: step.decision,
                    state: step.state,
                    change: step.change,
                })
            })
            .collect();
        let processed: Vec<&Processed> = results.iter().flatten().collect();
        if !processed.is_empty() {
            count_usage(&mut tx, &processed).await?;
            tx.commit().await.doing("committing processed messages")?;
        }
        Ok(results)
    }
}

/// A conversation as the batch sees it: read from the database, or
/// started by the batch (`id` is set when it is inserted, before the
/// writes that need it).
#[derive(Debug)]
struct Working {
    id: Option<i64>,
    wa_id: Option<String>,
    user_id: Option<String>,
    state: State,
    memory: ConversationMemory,
    closed_at: Option<i64>,
    /// The message that started it (for `last_inbound_at`).
    started_at: Option<DateTime<Utc>>,
}

impl Working {
    fn started_by(inbound: &StoredInbound) -> Self {
        Self {
            id: None,
            wa_id: inbound.from.wa_id.as_ref().map(|w| w.as_str().to_owned()),
            user_id: inbound.from.user_id.as_ref().map(|u| u.as_str().to_owned()),
            state: State::Bot,
            memory: ConversationMemory::default(),
            closed_at: None,
            started_at: Some(inbound.received_at),
        }
    }

    fn belongs_to(&self, citizen: &CitizenRef) -> bool {
        let wa = matches!((&self.wa_id, &citizen.wa_id), (Some(a), Some(b)) if a == b.as_str());
        let user =
            matches!((&self.user_id, &citizen.user_id), (Some(a), Some(b)) if a == b.as_str());
        wa || user
    }
}

/// What the batch decided for one message.
struct Step {
    /// Index into the batch's conversations.
    slot: usize,
    reopened: bool,
    /// The bot handed the conversation to the queue with this message.
    queued_from_bot: bool,
    decision: Decision,
    outbound: Vec<NewOutbound>,
    state: State,
    change: Option<Change>,
}

/// The citizen's newest conversation that passes `wanted` (the database
/// lookup used to be "newest by id"; a conversation started by this batch
/// is newer than any stored one).
fn find(
    conversations: &[Working],
    citizen: &CitizenRef,
    wanted: impl Fn(&Working) -> bool,
) -> Option<usize> {
    conversations
        .iter()
        .enumerate()
        .filter(|(_, c)| c.belongs_to(citizen) && wanted(c))
        .max_by_key(|(slot, c)| (c.id.unwrap_or(i64::MAX), *slot))
        .map(|(slot, _)| slot)
}

/// The key a citizen's messages are serialised on: the phone number when
/// known, else the business-scoped user id.
fn citizen_key(citizen: &CitizenRef) -> String {
    match (&citizen.wa_id, &citizen.user_id) {
        (Some(wa_id), _) => format!("wa:{}", wa_id.as_str()),
        (None, Some(user_id)) => format!("user:{}", user_id.as_str()),
        (None, None) => String::new(),
    }
}

fn same_citizen(a: &CitizenRef, b: &CitizenRef) -> bool {
    let wa = matches!((&a.wa_id, &b.wa_id), (Some(x), Some(y)) if x == y);
    let user = matches!((&a.user_id, &b.user_id), (Some(x), Some(y)) if x == y);
    wa || user
}

fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    values.filter(|v| seen.insert(v.clone())).collect()
}

/// `$first, $first+1, ...` for `count` parameters.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The citizens' phone numbers and user ids, each once.
fn ids_of(citizens: &[&CitizenRef]) -> (Vec<String>, Vec<String>) {
    let wa = distinct(
        citizens
            .iter()
            .filter_map(|c| c.wa_id.as_ref().map(|w| w.as_str().to_owned())),
    );
    let user = distinct(
        citizens
            .iter()
            .filter_map(|c| c.user_id.as_ref().map(|u| u.as_str().to_owned())),
    );
    (wa, user)
}

/// The citizens' unprocessed messages up to `max_id` (read after their
/// locks were taken, so another worker cannot change them under us).
async fn unprocessed_of(
    tx: &mut Tx<'_>,
    citizens: &[&CitizenRef],
    max_id: i64,
) -> Result<Vec<(i64, CitizenRef)>, StoreError> {
    let (wa, user) = ids_of(citizens);
    let mut found: HashMap<i64, CitizenRef> = HashMap::new();
    // One statement per column, each on its own index.
    for (column, values) in [("wa_id", wa), ("user_id", user)] {
        if values.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT id, wa_id, user_id FROM inbound_messages
             WHERE processed_at IS NULL AND id <= $1 AND {column} IN ({})",
            placeholders(2, values.len())
        );
        let mut query = sqlx::query(&sql).bind(max_id);
        for value in &values {
            query = query.bind(value.as_str());
        }
        for row in query
            .fetch_all(&mut **tx)
            .await
            .doing("reading unprocessed messages")?
        {
            let id: i64 = row.try_get("id").doing("reading a message id")?;
            let wa_id: Option<String> = row.try_get("wa_id").doing("reading a message")?;
            let user_id: Option<String> = row.try_get("user_id").doing("reading a message")?;
            found.insert(
                id,
                CitizenRef {
                    wa_id: wa_id.and_then(|w| crate::domain::WaId::parse(&w).ok()),
                    user_id: user_id.and_then(|u| crate::domain::UserId::parse(&u).ok()),
                },
            );
        }
    }
    Ok(found.into_iter().collect())
}

/// The citizens' live conversations and those closed since
/// `closed_since` (candidates for reopening).
async fn conversations_of(
    tx: &mut Tx<'_>,
    citizens: &[&CitizenRef],
    closed_since: DateTime<Utc>,
) -> Result<Vec<Working>, StoreError> {
    let (wa, user) = ids_of(citizens);
    let mut found: HashMap<i64, Working> = HashMap::new();
    // Each half on its own partial index (live, and closed by time).
    for (column, values) in [("wa_id", wa), ("user_id", user)] {
        if values.is_empty() {
            continue;
        }
        let list = placeholders(2, values.len());
        let sql = format!(
            "SELECT id, wa_id, user_id, memory, state, closed_at FROM conversations
             WHERE state <> 'closed' AND {column} IN ({list})
             UNION ALL
             SELECT id, wa_id, user_id, memory, state, closed_at FROM conversations
             WHERE state = 'closed' AND {column} IN ({list}) AND closed_at >= $1"
        );
        let mut query = sqlx::query(&sql).bind(millis(closed_since));
        for value in &values {
            query = query.bind(value.as_str());
        }
        for row in query
            .fetch_all(&mut **tx)
            .await
            .doing("finding conversations")?
        {
            let id: i64 = row.try_get("id").doing("reading a conversation id")?;
            let memory: String = row
                .try_get("memory")
                .doing("reading a conversation's memory")?;
            let state: String = row
                .try_get("state")
                .doing("reading a conversation's state")?;
            found.insert(
                id,
                Working {
                    id: Some(id),
                    wa_id: row.try_get("wa_id").doing("reading a conversation")?,
                    user_id: row.try_get("user_id").doing("reading a conversation")?,
                    state: State::parse(&state).unwrap_or(State::Bot),
                    memory: serde_json::from_str(&memory).unwrap_or_default(),
                    closed_at: row.try_get("closed_at").doing("reading a conversation")?,
                    started_at: None,
                },
            );
        }
    }
    Ok(found.into_values().collect())
}

/// Inserts the conversations the batch started and fills in their ids.
async fn start_conversations(
    tx: &mut Tx<'_>,
    conversations: &mut [Working],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for conversation in conversations.iter_mut().filter(|c| c.id.is_none()) {
        let started_at = conversation.started_at.unwrap_or(now);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (wa_id, user_id, last_inbound_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(conversation.wa_id.as_deref())
        .bind(conversation.user_id.as_deref())
        .bind(millis(started_at))
        .bind(millis(now))
        .bind(millis(now))
        .fetch_one(&mut **tx)
        .await
        .doing("starting a conversation")?;
        conversation.id = Some(id);
    }
    Ok(())
}

/// Puts a recently closed conversation back in the queue: the citizen
/// wrote again about what staff just handled.
async fn reopen(tx: &mut Tx<'_>, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
    let previous: Option<String> = sqlx::query_scalar(
        "UPDATE conversations SET state = 'queued', queue_reason = 'reopened', queued_at = $1,
            claimed_by = NULL, claimed_at = NULL, closed_at = NULL, closed_by = NULL,
            followup_sent_at = NULL, updated_at = $2
         WHERE id = $3 RETURNING close_topic",
    )
    .bind(millis(at))
    .bind(millis(at))
    .bind(id)
    .fetch_one(&mut **tx)
    .await
    .doing("reopening a conversation")?;
    queue::insert_event(tx, id, "citizen", "reopened", previous.as_deref(), at).await
}

/// One update per conversation the batch touched, with what its messages
/// left: the last message's language, memory and deadline, the newest
/// message time, and the first hand-over (state, time and reason), the
/// same as updating once per message in order would leave it.
async fn update_conversations(
    tx: &mut Tx<'_>,
    batch: &[StoredInbound],
    steps: &[Option<Step>],
    conversations: &[Working],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    #[derive(Default)]
    struct Update<'a> {
        wa_id: Option<&'a str>,
        user_id: Option<&'a str>,
        last: Option<&'a Decision>,
        newest: Option<DateTime<Utc>>,
        handover: Option<(&'static str, DateTime<Utc>)>,
    }
    let mut updates: Vec<(usize, Update)> = Vec::new();
    for (inbound, step) in batch.iter().zip(steps) {
        let Some(step) = step else { continue };
        let index = match updates.iter().position(|(slot, _)| *slot == step.slot) {
            Some(index) => index,
            None => {
                updates.push((step.slot, Update::default()));
                updates.len() - 1
            }
        };
        let update = &mut updates[index].1;
        update.wa_id = update
            .wa_id
            .or(inbound.from.wa_id.as_ref().map(|w| w.as_str()));
        update.user_id = update
            .user_id
            .or(inbound.from.user_id.as_ref().map(|u| u.as_str()));
        update.last = Some(&step.decision);
        update.newest = update.newest.max(Some(inbound.received_at));
        if update.handover.is_none()
            && let Some(reason) = step.decision.handover
        {
            update.handover = Some((reason.as_str(), inbound.received_at));
        }
    }
    for (slot, update) in updates {
        let (Some(id), Some(decision), Some(newest)) =
            (conversations[slot].id, update.last, update.newest)
        else {
            continue;
        };
        let memory = serde_json::to_string(&decision.memory).map_err(|e| StoreError::Corrupt {
            what: "conversation memory",
            detail: e.to_string(),
        })?;
        let (reason, queued_at) = update.handover.unzip();
        sqlx::query(
            "UPDATE conversations SET
                wa_id = COALESCE(wa_id, $1), user_id = COALESCE(user_id, $2),
                language = $3, urgent = $4, memory = $5, reply_deadline = $6,
                last_inbound_at = CASE WHEN last_inbound_at > $7 THEN last_inbound_at ELSE $8 END,
                updated_at = $9,
                state = CASE WHEN $10 IS NOT NULL AND state = 'bot' THEN 'queued' ELSE state END,
                queued_at = CASE WHEN $11 IS NOT NULL AND state = 'bot' THEN $12 ELSE queued_at END,
                queue_reason = COALESCE(queue_reason, $13)
             WHERE id = $14",
        )
        .bind(update.wa_id)
        .bind(update.user_id)
        .bind(decision.language.code())
        .bind(i64::from(decision.urgent))
        .bind(memory)
        .bind(decision.reply_deadline.map(millis))
        .bind(millis(newest))
        .bind(millis(newest))
        .bind(millis(now))
        .bind(reason)
        .bind(reason)
        .bind(queued_at.map(millis))
        .bind(reason)
        .bind(id)
        .execute(&mut **tx)
        .await
        .doing("updating a conversation")?;
    }
    Ok(())
}

/// Marks messages processed and links each to its conversation. Every one
/// was unprocessed when read under its citizen's lock, so all must change;
/// anything else means another worker got there, and the batch rolls back.
async fn mark_processed(
    tx: &mut Tx<'_>,
    links: &[(i64, i64)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in links.chunks(ROWS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 2 * i + 2, 2 * i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE inbound_messages SET processed_at = $1, conversation_id = v.column2
             FROM (VALUES {values}) AS v
             WHERE inbound_messages.id = v.column1 AND inbound_messages.processed_at IS NULL"
        );
        let mut query = sqlx::query(&sql).bind(millis(now));
        for (message, conversation) in chunk {
            query = query.bind(*message).bind(*conversation);
        }
        let changed = query
            .execute(&mut **tx)
            .await
            .doing("marking messages processed")?
            .rows_affected();
        if changed != chunk.len() as u64 {
            return Err(StoreError::Corrupt {
                what: "inbound messages",
                detail: format!(
                    "{} of {} messages were processed by another worker meanwhile",
                    chunk.len() as u64 - changed,
                    chunk.len()
                ),
            });
        }
    }
    Ok(())
}

/// Queues the bot's replies, in order (ids ascend with the rows, which is
/// the order they are sent in).
async fn insert_bot_replies(
    tx: &mut Tx<'_>,
    replies: &[(i64, i64, &NewOutbound)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in replies.chunks(ROWS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|i| {
                let n = 4 * i + 3;
                format!("(${n}, ${}, ${}, 'bot', ${}, $1, $2)", n + 1, n + 2, n + 3)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO outbox (conversation_id, inbound_id, kind, author, payload, next_attempt_at, created_at)
             VALUES {values}"
        );
        let mut query = sqlx::query(&sql).bind(millis(now)).bind(millis(now));
        for (conversation, inbound, new) in chunk {
            let payload = serde_json::to_string(&new.message).map_err(|e| StoreError::Corrupt {
                what: "outbound message",
                detail: e.to_string(),
            })?;
            query = query
                .bind(*conversation)
                .bind(*inbound)
                .bind(new.kind.as_str())
                .bind(payload);
        }
        query.execute(&mut **tx).await.doing("queueing replies")?;
    }
    Ok(())
}

/// Adds the answer counts of processed messages (see [`usage::count`]).
async fn count_usage(tx: &mut Tx<'_>, done: &[&Processed]) -> Result<(), StoreError> {
    let uses: Vec<_> = done
        .iter()
        .flat_map(|p| p.decision.usage.iter().cloned())
        .collect();
    usage::count(tx, &uses).await
}
