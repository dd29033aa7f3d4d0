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

use super::dialect::{Dialect, LockClass};
use super::{
    Doing, NewOutbound, Processed, Store, StoreError, StoredInbound, Tx, millis, param_after,
    placeholders, queue, rows_of_placeholders, rows_of_placeholders_and, usage,
};
use crate::domain::{
    Change, Channel, CitizenRef, Conversation, ConversationState, PublicId, Transition,
    TransitionError,
};
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
    /// all back, at once.
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
        let _write = self.write_turn(super::write_turn::Writer::Background).await;
        let mut tx = self.begin_write("starting to process messages").await?;
        match self
            .batch_in(&mut tx, batch, now, reopen_within, decide)
            .await
        {
            Ok(results) => {
                if results.iter().any(Option::is_some) {
                    tx.commit().await.doing("committing processed messages")?;
                } else {
                    // Nothing written; let go of the locks at once.
                    let _ = tx.rollback().await;
                }
                Ok(results)
            }
            Err(error) => {
                // Roll back now, not when the dropped transaction's
                // connection is next used: until then PostgreSQL still
                // holds the citizens' locks, and the one-by-one retry
                // would find them taken.
                let _ = tx.rollback().await;
                Err(error)
            }
        }
    }

    /// The work of [`Store::try_batch`] inside its transaction.
    async fn batch_in<F>(
        &self,
        tx: &mut Tx<'static>,
        batch: &[StoredInbound],
        now: DateTime<Utc>,
        reopen_within: chrono::Duration,
        decide: &mut F,
    ) -> Result<Vec<Option<Processed>>, StoreError>
    where
        F: FnMut(&StoredInbound, &ConversationMemory) -> (Decision, Vec<NewOutbound>),
    {
        // One citizen's messages are processed one at a time and in order,
        // also across instances: whoever holds the citizen's lock goes on,
        // the others leave the message to it (and to the next round).
        let keys: Vec<String> = distinct(batch.iter().map(|m| citizen_key(&m.from)));
        let locked = self
            .dialect
            .try_lock_many(tx, LockClass::Citizen, &keys)
            .await?;
        let citizens: Vec<&CitizenRef> = batch.iter().map(|m| &m.from).collect();
        let max_id = batch.iter().map(|m| m.id).max().unwrap_or(0);
        let unprocessed = unprocessed_of(tx, &citizens, max_id).await?;
        let oldest_cutoff = batch
            .iter()
            .map(|m| m.received_at - reopen_within)
            .min()
            .unwrap_or(now);
        let mut conversations = conversations_of(tx, &citizens, oldest_cutoff).await?;

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
            let open = |c: &Working| c.conversation.state() != ConversationState::Closed;
            let (slot, reopening) = match find(&conversations, &inbound.from, open) {
                Some(slot) => (slot, None),
                None => match find(&conversations, &inbound.from, |c| {
                    c.conversation.state() == ConversationState::Closed
                        && c.closed_at
                            .is_some_and(|closed| closed >= millis(at - reopen_within))
                }) {
                    Some(slot) => {
                        let reopening =
                            conversations[slot].conversation.reopen().map_err(refused)?;
                        conversations[slot].conversation = reopening.to.clone();
                        (slot, Some(reopening))
                    }
                    None => {
                        conversations.push(Working::started_by(inbound));
                        (conversations.len() - 1, None)
                    }
                },
            };
            let reopened = reopening.is_some();
            let conversation = &mut conversations[slot];
            let state_before = conversation.conversation.state();
            let (decision, outbound) = decide(inbound, &conversation.memory);
            conversation.memory = decision.memory.clone();
            // The rules say where the message leaves the conversation; a
            // reopened one is back in the queue whatever the bot decided.
            let Transition { to, change } = match reopening {
                Some(reopening) => reopening,
                None if decision.handover.is_some() => {
                    conversation.conversation.hand_over().map_err(refused)?
                }
                None => conversation.conversation.citizen_wrote().map_err(refused)?,
            };
            conversation.conversation = to.clone();
            steps.push(Some(Step {
                slot,
                reopened,
                queued_from_bot: state_before == ConversationState::Bot
                    && decision.handover.is_some(),
                decision,
                outbound,
                to,
                change,
            }));
        }

        // Write: conversations reopened, updated and started, then the
        // messages' links, the events and the replies.
        for (inbound, step) in batch.iter().zip(&steps) {
            if let Some(step) = step.as_ref().filter(|s| s.reopened) {
                let id = conversations[step.slot].id.unwrap_or_default();
                reopen(tx, id, &step.to, inbound.received_at).await?;
            }
        }
        write_conversations(tx, self.dialect, batch, &steps, &mut conversations, now).await?;
        let id_of = |slot: usize| conversations[slot].id.unwrap_or_default();
        let links: Vec<(i64, i64)> = batch
            .iter()
            .zip(&steps)
            .filter_map(|(inbound, step)| Some((inbound.id, id_of(step.as_ref()?.slot))))
            .collect();
        mark_processed(tx, self.dialect, &links, now).await?;
        let events: Vec<(i64, &str, DateTime<Utc>)> = batch
            .iter()
            .zip(&steps)
            .filter_map(|(inbound, step)| {
                let step = step.as_ref().filter(|s| s.queued_from_bot && !s.reopened)?;
                let reason = step.decision.handover?.as_str();
                Some((id_of(step.slot), reason, inbound.received_at))
            })
            .collect();
        insert_queued_events(tx, self.dialect, &events).await?;
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
        insert_bot_replies(tx, self.dialect, &replies, now).await?;
        // Counted before the commit: the statistics need not be exact.
        self.grew(replies.len());

        let results: Vec<Option<Processed>> = steps
            .into_iter()
            .map(|step| {
                step.map(|step| Processed {
                    conversation_id: id_of(step.slot),
                    public_id: conversations[step.slot].public_id.clone(),
                    decision: step.decision,
                    state: step.to.state(),
                    change: step.change,
                })
            })
            .collect();
        let processed: Vec<&Processed> = results.iter().flatten().collect();
        count_usage(tx, &processed).await?;
        Ok(results)
    }
}

/// A conversation as the batch sees it: read from the database, or
/// started by the batch (`id` is set when it is inserted, before the
/// writes that need it; the public id is made when the batch starts it).
#[derive(Debug)]
struct Working {
    id: Option<i64>,
    public_id: PublicId,
    wa_id: Option<String>,
    user_id: Option<String>,
    conversation: Conversation,
    memory: ConversationMemory,
    closed_at: Option<i64>,
}

impl Working {
    fn started_by(inbound: &StoredInbound) -> Self {
        Self {
            id: None,
            public_id: super::new_public_id(),
            wa_id: inbound.from.wa_id.as_ref().map(|w| w.as_str().to_owned()),
            user_id: inbound.from.user_id.as_ref().map(|u| u.as_str().to_owned()),
            conversation: Conversation::started(),
            memory: ConversationMemory::default(),
            closed_at: None,
        }
    }

    /// A conversation started by a web session's key is a web chat.
    fn channel(&self) -> Channel {
        crate::domain::channel::channel_of(self.wa_id.as_deref(), self.user_id.as_deref())
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
    /// The conversation after this message.
    to: Conversation,
    change: Option<Change>,
}

/// A move the rules refused while processing: the conversations read do
/// not hold what the lookup promised (a closed one to write to, or an open
/// one to reopen), so the stored data is not what it should be.
fn refused(error: TransitionError) -> StoreError {
    StoreError::Corrupt {
        what: "conversation state",
        detail: error.to_string(),
    }
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

pub(super) fn same_citizen(a: &CitizenRef, b: &CitizenRef) -> bool {
    let wa = matches!((&a.wa_id, &b.wa_id), (Some(x), Some(y)) if x == y);
    let user = matches!((&a.user_id, &b.user_id), (Some(x), Some(y)) if x == y);
    wa || user
}

/// The sender of a stored message row (`wa_id`, `user_id` columns).
pub(super) fn citizen_of(row: &sqlx::any::AnyRow) -> Result<CitizenRef, StoreError> {
    let wa_id: Option<String> = row.try_get("wa_id").doing("reading a message")?;
    let user_id: Option<String> = row.try_get("user_id").doing("reading a message")?;
    Ok(CitizenRef {
        wa_id: wa_id.and_then(|w| crate::domain::WaId::parse(&w).ok()),
        user_id: user_id.and_then(|u| crate::domain::UserId::parse(&u).ok()),
    })
}

fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    values.filter(|v| seen.insert(v.clone())).collect()
}

/// The rows `sql(column, list)` selects for the citizens, once by phone
/// number and once by user id (each column on its own index; with
/// `wa_id IN .. OR user_id IN ..` SQLite would scan). `leading` is bound
/// as `$1, $2, ...` and `list` holds the citizens' placeholders after them.
/// A row found both ways comes back twice.
pub(super) async fn rows_of_citizens(
    connection: &mut sqlx::AnyConnection,
    citizens: &[&CitizenRef],
    leading: &[i64],
    sql: impl Fn(&str, &str) -> String,
    doing: &'static str,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let (wa, user) = ids_of(citizens);
    let mut rows = Vec::new();
    for (column, values) in [("wa_id", wa), ("user_id", user)] {
        if values.is_empty() {
            continue;
        }
        let sql = sql(column, &placeholders(leading.len() + 1, values.len()));
        let mut query = sqlx::query(&sql);
        for value in leading {
            query = query.bind(*value);
        }
        for value in &values {
            query = query.bind(value.as_str());
        }
        rows.extend(query.fetch_all(&mut *connection).await.doing(doing)?);
    }
    Ok(rows)
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
    let rows = rows_of_citizens(
        tx,
        citizens,
        &[max_id],
        |column, list| {
            format!(
                "SELECT id, wa_id, user_id FROM inbound_messages
                 WHERE processed_at IS NULL AND id <= $1 AND {column} IN ({list})"
            )
        },
        "reading unprocessed messages",
    )
    .await?;
    let mut found: HashMap<i64, CitizenRef> = HashMap::new();
    for row in rows {
        let id: i64 = row.try_get("id").doing("reading a message id")?;
        found.insert(id, citizen_of(&row)?);
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
    // Each half on its own partial index (live, and closed by time).
    let rows = rows_of_citizens(
        tx,
        citizens,
        &[millis(closed_since)],
        |column, list| {
            format!(
                "SELECT id, public_id, wa_id, user_id, memory, state, claimed_by, closed_at FROM conversations
                 WHERE state <> 'closed' AND {column} IN ({list})
                 UNION ALL
                 SELECT id, public_id, wa_id, user_id, memory, state, claimed_by, closed_at FROM conversations
                 WHERE state = 'closed' AND {column} IN ({list}) AND closed_at >= $1"
            )
        },
        "finding conversations",
    )
    .await?;
    let mut found: HashMap<i64, Working> = HashMap::new();
    for row in rows {
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
                public_id: super::rows::public_id(&row)?,
                wa_id: row.try_get("wa_id").doing("reading a conversation")?,
                user_id: row.try_get("user_id").doing("reading a conversation")?,
                conversation: Conversation::stored(
                    ConversationState::parse(&state).unwrap_or(ConversationState::Bot),
                    row.try_get("claimed_by")
                        .doing("reading who holds a conversation")?,
                ),
                memory: serde_json::from_str(&memory).unwrap_or_default(),
                closed_at: row.try_get("closed_at").doing("reading a conversation")?,
            },
        );
    }
    Ok(found.into_values().collect())
}

/// Puts a recently closed conversation back in the queue: the citizen
/// wrote again about what staff just handled.
async fn reopen(
    tx: &mut Tx<'_>,
    id: i64,
    to: &Conversation,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let previous: Option<String> = sqlx::query_scalar(
        "UPDATE conversations SET state = $1, queue_reason = 'reopened', queued_at = $2,
            claimed_by = $3, claimed_at = NULL, closed_at = NULL, closed_by = NULL,
            followup_sent_at = NULL, updated_at = $4
         WHERE id = $5 RETURNING close_topic",
    )
    .bind(to.state().as_str())
    .bind(millis(at))
    .bind(to.claimed_by())
    .bind(millis(at))
    .bind(id)
    .fetch_one(&mut **tx)
    .await
    .doing("reopening a conversation")?;
    queue::insert_event(
        tx,
        id,
        "citizen",
        Change::Reopened.as_str(),
        previous.as_deref(),
        at,
    )
    .await
}

/// What a batch's messages left of one conversation: the last message's
/// language, memory and deadline, the newest message time, and the first
/// hand-over (time and reason), the same as updating once per message in
/// order would leave it.
struct Outcome<'a> {
    slot: usize,
    wa_id: Option<&'a str>,
    user_id: Option<&'a str>,
    last: &'a Decision,
    newest: DateTime<Utc>,
    handover: Option<(&'static str, DateTime<Utc>)>,
}

impl Outcome<'_> {
    fn memory_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(&self.last.memory).map_err(|e| StoreError::Corrupt {
            what: "conversation memory",
            detail: e.to_string(),
        })
    }
}

fn outcomes<'a>(batch: &'a [StoredInbound], steps: &'a [Option<Step>]) -> Vec<Outcome<'a>> {
    let mut outcomes: Vec<Outcome> = Vec::new();
    for (inbound, step) in batch.iter().zip(steps) {
        let Some(step) = step else { continue };
        let wa_id = inbound.from.wa_id.as_ref().map(|w| w.as_str());
        let user_id = inbound.from.user_id.as_ref().map(|u| u.as_str());
        let handover = step
            .decision
            .handover
            .map(|reason| (reason.as_str(), inbound.received_at));
        match outcomes.iter_mut().find(|o| o.slot == step.slot) {
            Some(outcome) => {
                outcome.wa_id = outcome.wa_id.or(wa_id);
                outcome.user_id = outcome.user_id.or(user_id);
                outcome.last = &step.decision;
                outcome.newest = outcome.newest.max(inbound.received_at);
                outcome.handover = outcome.handover.or(handover);
            }
            None => outcomes.push(Outcome {
                slot: step.slot,
                wa_id,
                user_id,
                last: &step.decision,
                newest: inbound.received_at,
                handover,
            }),
        }
    }
    outcomes
}

/// Writes what the batch did to its conversations: one multi-row update
/// for those that existed, one multi-row insert for those it started
/// (which fills in their ids).
async fn write_conversations(
    tx: &mut Tx<'_>,
    dialect: Dialect,
    batch: &[StoredInbound],
    steps: &[Option<Step>],
    conversations: &mut [Working],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let all = outcomes(batch, steps);
    let (existing, started): (Vec<&Outcome>, Vec<&Outcome>) =
        all.iter().partition(|o| conversations[o.slot].id.is_some());
    const UPDATE_COLUMNS: usize = 11;
    for chunk in existing.chunks(ROWS_PER_STATEMENT / 2) {
        let values = rows_of_placeholders(dialect, chunk.len(), UPDATE_COLUMNS);
        let now_param = param_after(chunk.len(), UPDATE_COLUMNS, 1);
        // v: id, wa_id, user_id, language, urgent, memory, reply_deadline,
        // newest message, hand-over reason, hand-over time, and the state
        // the rules left the conversation in (the binds below). Every
        // expression sees the row as it was, like one update per message in
        // order: the first hand-over queues a bot conversation. Only a bot
        // conversation takes the new state: one with a person is staff's to
        // move, and a claim or close since the read stands.
        let sql = format!(
            "UPDATE conversations SET
                wa_id = COALESCE(conversations.wa_id, v.column2),
                user_id = COALESCE(conversations.user_id, v.column3),
                language = v.column4, urgent = v.column5, memory = v.column6,
                reply_deadline = v.column7,
                last_inbound_at = CASE WHEN conversations.last_inbound_at > v.column8
                                       THEN conversations.last_inbound_at ELSE v.column8 END,
                updated_at = {now_param},
                queued_at = CASE WHEN v.column9 IS NOT NULL AND conversations.state = 'bot'
                                 THEN v.column10 ELSE conversations.queued_at END,
                state = CASE WHEN conversations.state = 'bot'
                             THEN v.column11 ELSE conversations.state END,
                queue_reason = COALESCE(conversations.queue_reason, v.column9)
             FROM (VALUES {values}) AS v
             WHERE conversations.id = v.column1"
        );
        let mut query = sqlx::query(&sql);
        for outcome in chunk {
            let (reason, queued_at) = outcome.handover.unzip();
            query = query
                .bind(conversations[outcome.slot].id)
                .bind(outcome.wa_id)
                .bind(outcome.user_id)
                .bind(outcome.last.language.code())
                .bind(i64::from(outcome.last.urgent))
                .bind(outcome.memory_json()?)
                .bind(outcome.last.reply_deadline.map(millis))
                .bind(millis(outcome.newest))
                .bind(reason)
                .bind(queued_at.map(millis))
                .bind(conversations[outcome.slot].conversation.state().as_str());
        }
        query
            .bind(millis(now))
            .execute(&mut **tx)
            .await
            .doing("updating conversations")?;
    }
    const INSERT_COLUMNS: usize = 12;
    for chunk in started.chunks(ROWS_PER_STATEMENT / 2) {
        // Each row's last two columns (created, updated) are the one
        // parameter bound after the rows: `(.., $n, $n)`.
        let now_param = param_after(chunk.len(), INSERT_COLUMNS, 1);
        let values = rows_of_placeholders_and(
            dialect,
            chunk.len(),
            INSERT_COLUMNS,
            &format!(", {now_param}, {now_param}"),
        );
        let sql = format!(
            "INSERT INTO conversations
                (public_id, wa_id, user_id, language, urgent, memory, reply_deadline,
                 last_inbound_at, state, queued_at, queue_reason, channel, created_at, updated_at)
             VALUES {values}
             RETURNING id, public_id"
        );
        let mut query = sqlx::query(&sql);
        for outcome in chunk {
            let (reason, queued_at) = outcome.handover.unzip();
            query = query
                .bind(conversations[outcome.slot].public_id.as_str())
                .bind(outcome.wa_id)
                .bind(outcome.user_id)
                .bind(outcome.last.language.code())
                .bind(i64::from(outcome.last.urgent))
                .bind(outcome.memory_json()?)
                .bind(outcome.last.reply_deadline.map(millis))
                .bind(millis(outcome.newest))
                .bind(conversations[outcome.slot].conversation.state().as_str())
                .bind(queued_at.map(millis))
                .bind(reason)
                .bind(conversations[outcome.slot].channel().as_str());
        }
        let rows = query
            .bind(millis(now))
            .fetch_all(&mut **tx)
            .await
            .doing("starting conversations")?;
        // The public id, made for the row, finds its conversation.
        for row in rows {
            let id: i64 = row.try_get("id").doing("reading a conversation id")?;
            let public_id = super::rows::public_id(&row)?;
            if let Some(outcome) = chunk
                .iter()
                .find(|o| conversations[o.slot].public_id == public_id)
            {
                conversations[outcome.slot].id = Some(id);
            }
        }
        if let Some(lost) = chunk.iter().find(|o| conversations[o.slot].id.is_none()) {
            return Err(StoreError::Corrupt {
                what: "conversations",
                detail: format!(
                    "a started conversation came back without its id (slot {})",
                    lost.slot
                ),
            });
        }
    }
    Ok(())
}

/// The "bot handed it to the queue" events, in one statement.
async fn insert_queued_events(
    tx: &mut Tx<'_>,
    dialect: Dialect,
    events: &[(i64, &str, DateTime<Utc>)],
) -> Result<(), StoreError> {
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let values = rows_of_placeholders_and(dialect, chunk.len(), 3, ", 'bot', 'queued'");
        let sql = format!(
            "INSERT INTO conversation_events (conversation_id, detail, at, actor, kind) VALUES {values}"
        );
        let mut query = sqlx::query(&sql);
        for (conversation, reason, at) in chunk {
            query = query.bind(*conversation).bind(*reason).bind(millis(*at));
        }
        query
            .execute(&mut **tx)
            .await
            .doing("recording conversation events")?;
    }
    Ok(())
}

/// Marks messages processed and links each to its conversation. Every one
/// was unprocessed when read under its citizen's lock, so all must change;
/// anything else means another worker got there, and the batch rolls back.
async fn mark_processed(
    tx: &mut Tx<'_>,
    dialect: Dialect,
    links: &[(i64, i64)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in links.chunks(ROWS_PER_STATEMENT) {
        let values = rows_of_placeholders(dialect, chunk.len(), 2);
        let now_param = param_after(chunk.len(), 2, 1);
        let sql = format!(
            "UPDATE inbound_messages SET processed_at = {now_param}, conversation_id = v.column2
             FROM (VALUES {values}) AS v
             WHERE inbound_messages.id = v.column1 AND inbound_messages.processed_at IS NULL"
        );
        let mut query = sqlx::query(&sql);
        for (message, conversation) in chunk {
            query = query.bind(*message).bind(*conversation);
        }
        let changed = query
            .bind(millis(now))
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
    dialect: Dialect,
    replies: &[(i64, i64, &NewOutbound)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in replies.chunks(ROWS_PER_STATEMENT) {
        // Each row ends with the time bound after the rows, twice (due and
        // created now).
        let now_param = param_after(chunk.len(), 4, 1);
        let values = rows_of_placeholders_and(
            dialect,
            chunk.len(),
            4,
            &format!(", {now_param}, {now_param}, 'bot'"),
        );
        let sql = format!(
            "INSERT INTO outbox (conversation_id, inbound_id, kind, payload, next_attempt_at, created_at, author)
             VALUES {values}"
        );
        let mut query = sqlx::query(&sql);
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
        query
            .bind(millis(now))
            .execute(&mut **tx)
            .await
            .doing("queueing replies")?;
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
