//! The only module with SQL. `Store` offers one method per unit of work, so
//! a transaction never crosses the module boundary: storing a webhook batch,
//! processing one inbound message (conversation + outbox rows + processed
//! mark in one transaction), and the outbox's state changes.
//!
//! Times are stored as milliseconds since the epoch (UTC).
//!
//! One `Store` serves SQLite and PostgreSQL through sqlx's `Any` driver:
//! the SQL is written once (`$N` placeholders, integers for times and
//! flags) and [`Dialect`] holds the few statements that differ. On
//! PostgreSQL several instances share one database: work is taken with row
//! locks (`FOR UPDATE SKIP LOCKED`), leases and advisory locks, so every
//! message is processed and every reply sent by exactly one of them.

mod accounts;
mod audit;
mod dialect;
mod gaps;
mod intake;
mod notify;
mod outbox;
mod queue;
mod reports;
mod retention;
mod rows;
mod usage;

pub use accounts::SessionRow;
pub use audit::AuditEntry;
pub use dialect::Dialect;
pub use gaps::Gap;
pub use outbox::SendRecord;
pub use queue::{StaffMessage, staff_actor};
pub use reports::RolledUp;
pub use retention::Removed;

pub use rows::{ConversationRow, DeliveryRow, OutboxRow, StoredInbound};

use crate::domain::{CitizenRef, OutgoingMessage};
use crate::reply::{ConversationMemory, Decision, ReplyKind};
use chrono::{DateTime, Utc};
use dialect::LockClass;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Executor, Row};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// A storage failure, with what we were doing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error while {doing}: {source}")]
    Query {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("stored data is not readable ({what}): {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error(
        "the database URL must start with sqlite:// or postgres:// (set LOKET_DATABASE_URL or [service] database_url)"
    )]
    Unsupported,
}

trait Doing<T> {
    fn doing(self, doing: &'static str) -> Result<T, StoreError>;
}
impl<T> Doing<T> for Result<T, sqlx::Error> {
    fn doing(self, doing: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Query { doing, source })
    }
}

/// Milliseconds since the epoch.
pub fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The inverse of [`millis`].
pub fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// What storing one webhook POST did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordOutcome {
    pub stored: usize,
    pub duplicates: usize,
    pub statuses: usize,
}

/// What processing one inbound message did.
#[derive(Debug, Clone)]
pub struct Processed {
    pub conversation_id: i64,
    pub decision: Decision,
    /// The conversation's state afterwards.
    pub state: crate::queue::State,
    /// What staff should hear about: `None` while the bot handles it.
    pub change: Option<crate::queue::events::Change>,
}

/// A new outbox row.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub kind: ReplyKind,
    pub message: OutgoingMessage,
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// Kept for PostgreSQL's LISTEN connection (see [`notify`]).
    url: std::sync::Arc<str>,
    /// Taken by the hot write transactions on SQLite (webhook intake,
    /// processing, the outbox's sent marks) so they queue here, in order,
    /// instead of in SQLite's busy handler, which sleeps up to 100 ms per
    /// retry and made webhook latency spike to seconds under load. Not used
    /// on PostgreSQL, whose row locks let writers run side by side.
    write: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// Set on every SQLite connection. WAL lets the staff page read while the
/// webhook writes; synchronous=FULL makes a commit durable before we answer
/// 200; secure_delete overwrites deleted rows with zeros, so a purged
/// conversation cannot be read back from free pages.
const SQLITE_PRAGMAS: [&str; 5] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA secure_delete = ON",
    "PRAGMA busy_timeout = 10000",
];

impl Store {
    /// Opens (creating when missing) the database and runs migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let dialect = Dialect::of_url(url).ok_or(StoreError::Unsupported)?;
        sqlx::any::install_default_drivers();
        let open = |source| StoreError::Open {
            url: crate::config::redact_url(url),
            source,
        };
        let pool = match dialect {
            Dialect::Sqlite => {
                create_sqlite_file(url)?;
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            for pragma in SQLITE_PRAGMAS {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await
                    .map_err(open)?
            }
            Dialect::Postgres => AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(open)?,
        };
        // The migrator takes a database-wide lock, so instances starting
        // together migrate once.
        match dialect {
            Dialect::Sqlite => {
                sqlx::migrate!("src/db/migrations/sqlite")
                    .run(&pool)
                    .await?
            }
            Dialect::Postgres => {
                sqlx::migrate!("src/db/migrations/postgres")
                    .run(&pool)
                    .await?
            }
        }
        Ok(Self {
            pool,
            dialect,
            url: url.into(),
            write: std::sync::Arc::default(),
        })
    }

    /// On SQLite, waits for this process's turn to write (see
    /// [`Store::write`]); on PostgreSQL there is nothing to wait for.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.dialect {
            Dialect::Sqlite => Some(self.write.lock().await),
            Dialect::Postgres => None,
        }
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Starts a transaction that writes (see [`Dialect::begin_write`]).
    async fn begin_write(&self, doing: &'static str) -> Result<Tx<'static>, StoreError> {
        self.pool
            .begin_with(self.dialect.begin_write())
            .await
            .doing(doing)
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .doing("checking the database")?;
        Ok(())
    }

    /// Stored inbound messages not processed yet, oldest first.
    pub async fn unprocessed_inbound(&self, limit: i64) -> Result<Vec<StoredInbound>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, wamid, wa_id, user_id, content, received_at FROM inbound_messages
             WHERE processed_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .doing("reading unprocessed messages")?;
        rows.iter().map(StoredInbound::from_row).collect()
    }

    /// Processes one stored inbound message in one transaction: finds or
    /// starts the citizen's conversation (reopening one closed less than
    /// `reopen_within` ago), runs `decide` on its memory, stores the
    /// outbound messages and marks the inbound one processed. Returns
    /// `None` when another worker processed it already.
    pub async fn process_inbound<F>(
        &self,
        inbound: &StoredInbound,
        now: DateTime<Utc>,
        reopen_within: chrono::Duration,
        decide: F,
    ) -> Result<Option<Processed>, StoreError>
    where
        F: FnOnce(&ConversationMemory) -> (Decision, Vec<NewOutbound>),
    {
        let _write = self.write_turn().await;
        let mut tx = self.begin_write("starting to process a message").await?;
        let processed = self
            .process_in(&mut tx, inbound, now, reopen_within, decide)
            .await?;
        if let Some(done) = &processed {
            count_usage(&mut tx, std::slice::from_ref(done)).await?;
            tx.commit().await.doing("committing a processed message")?;
        }
        Ok(processed)
    }

    /// Processes stored inbound messages (oldest first) in one
    /// transaction, so the batch costs one commit instead of one per
    /// message. A citizen's later message sees the memory its earlier one
    /// wrote, because both run in the same transaction in order. Returns
    /// one result per message, in the same order (`Ok(None)`: left for
    /// another worker or a later round, see [`Store::process_inbound`]).
    ///
    /// When any message fails, the whole transaction is rolled back and
    /// the batch is processed again one message per transaction, so one
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
                self.process_inbound(inbound, now, reopen_within, |memory| {
                    decide(inbound, memory)
                })
                .await,
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
        let mut results = Vec::with_capacity(batch.len());
        for inbound in batch {
            let processed = self
                .process_in(&mut tx, inbound, now, reopen_within, |memory| {
                    decide(inbound, memory)
                })
                .await?;
            results.push(processed);
        }
        let done: Vec<Processed> = results.iter().flatten().cloned().collect();
        if !done.is_empty() {
            count_usage(&mut tx, &done).await?;
            tx.commit().await.doing("committing processed messages")?;
        }
        Ok(results)
    }

    /// The work of [`Store::process_inbound`] inside a transaction the
    /// caller commits. Writes nothing when it returns `Ok(None)`.
    async fn process_in<F>(
        &self,
        tx: &mut Tx<'static>,
        inbound: &StoredInbound,
        now: DateTime<Utc>,
        reopen_within: chrono::Duration,
        decide: F,
    ) -> Result<Option<Processed>, StoreError>
    where
        F: FnOnce(&ConversationMemory) -> (Decision, Vec<NewOutbound>),
    {
        // One citizen's messages are processed one at a time and in order,
        // also across instances: whoever holds the citizen's lock goes on,
        // the others leave the message to it (and to the next round). The
        // lock is held to commit; taking it again in the same transaction
        // (a batch with two messages of one citizen) succeeds.
        if !self
            .dialect
            .try_lock(tx, LockClass::Citizen, &citizen_key(&inbound.from))
            .await?
            || earlier_unprocessed(tx, inbound).await?
        {
            return Ok(None);
        }
        // Claims the message: a concurrent worker's update would see processed_at set.
        let claimed = sqlx::query(
            "UPDATE inbound_messages SET processed_at = $1 WHERE id = $2 AND processed_at IS NULL",
        )
        .bind(millis(now))
        .bind(inbound.id)
        .execute(&mut **tx)
        .await
        .doing("claiming a message")?;
        if claimed.rows_affected() != 1 {
            return Ok(None);
        }
        let at = inbound.received_at;
        let mut reopened = false;
        let existing = match find_live_conversation(tx, &inbound.from).await? {
            Some(live) => Some(live),
            None => {
                let reopenable =
                    find_recently_closed(tx, &inbound.from, at - reopen_within).await?;
                if let Some((id, _, _)) = &reopenable {
                    reopen(tx, *id, at).await?;
                    reopened = true;
                }
                reopenable.map(|(id, memory, _)| (id, memory, crate::queue::State::Queued))
            }
        };
        let (conversation_id, memory, state_before) = match existing {
            Some(found) => found,
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO conversations (wa_id, user_id, last_inbound_at, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(inbound.from.wa_id.as_ref().map(|w| w.as_str()))
                .bind(inbound.from.user_id.as_ref().map(|u| u.as_str()))
                .bind(millis(at))
                .bind(millis(now))
                .bind(millis(now))
                .fetch_one(&mut **tx)
                .await
                .doing("starting a conversation")?;
                (id, ConversationMemory::default(), crate::queue::State::Bot)
            }
        };
        let (decision, outbound) = decide(&memory);
        let memory_json =
            serde_json::to_string(&decision.memory).map_err(|e| StoreError::Corrupt {
                what: "conversation memory",
                detail: e.to_string(),
            })?;
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
        .bind(inbound.from.wa_id.as_ref().map(|w| w.as_str()))
        .bind(inbound.from.user_id.as_ref().map(|u| u.as_str()))
        .bind(decision.language.code())
        .bind(i64::from(decision.urgent))
        .bind(memory_json)
        .bind(decision.reply_deadline.map(millis))
        .bind(millis(at))
        .bind(millis(at))
        .bind(millis(now))
        .bind(decision.handover.map(|r| r.as_str()))
        .bind(decision.handover.map(|r| r.as_str()))
        .bind(millis(at))
        .bind(decision.handover.map(|r| r.as_str()))
        .bind(conversation_id)
        .execute(&mut **tx)
        .await
        .doing("updating a conversation")?;
        sqlx::query("UPDATE inbound_messages SET conversation_id = $1 WHERE id = $2")
            .bind(conversation_id)
            .bind(inbound.id)
            .execute(&mut **tx)
            .await
            .doing("linking a message to its conversation")?;
        for new in &outbound {
            insert_outbox(tx, conversation_id, Some(inbound.id), "bot", new, now).await?;
        }
        // The answer counts are added by the caller, once per transaction
        // (see `count_usage`).
        use crate::queue::State;
        use crate::queue::events::Change;
        let (state, change) = match (state_before, decision.handover) {
            _ if reopened => (State::Queued, Some(Change::Reopened)),
            (State::Bot, Some(reason)) => {
                queue::insert_event(
                    tx,
                    conversation_id,
                    "bot",
                    "queued",
                    Some(reason.as_str()),
                    at,
                )
                .await?;
                (State::Queued, Some(Change::Queued))
            }
            (State::Bot, None) => (State::Bot, None),
            (state, _) => (state, Some(Change::Message)),
        };
        Ok(Some(Processed {
            conversation_id,
            decision,
            state,
            change,
        }))
    }

    /// One conversation by id.
    pub async fn conversation(&self, id: i64) -> Result<Option<ConversationRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, wa_id, user_id, state, queue_reason, language, urgent, reply_deadline, last_inbound_at, created_at
             FROM conversations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .doing("reading a conversation")?;
        row.as_ref().map(ConversationRow::from_row).transpose()
    }

    /// Every conversation, newest first (small deployments and tests).
    pub async fn conversations(&self, limit: i64) -> Result<Vec<ConversationRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, wa_id, user_id, state, queue_reason, language, urgent, reply_deadline, last_inbound_at, created_at
             FROM conversations ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .doing("listing conversations")?;
        rows.iter().map(ConversationRow::from_row).collect()
    }

    /// The outbound messages of a conversation with their delivery status.
    pub async fn deliveries(&self, conversation_id: i64) -> Result<Vec<DeliveryRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.id, o.kind, o.state, o.attempts, o.wamid, o.error_code, o.error_title, o.payload,
                    d.status AS delivery_status, d.error_code AS delivery_error_code, d.error_title AS delivery_error_title
             FROM outbox o LEFT JOIN delivery_statuses d ON d.wamid = o.wamid
             WHERE o.conversation_id = $1 ORDER BY o.id",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await
        .doing("reading a conversation's replies")?;
        rows.iter().map(DeliveryRow::from_row).collect()
    }

    /// Counts of stored rows, for tests and operators.
    pub async fn count(&self, table: CountedTable) -> Result<i64, StoreError> {
        let sql = match table {
            CountedTable::Inbound => "SELECT COUNT(*) FROM inbound_messages",
            CountedTable::UnprocessedInbound => {
                "SELECT COUNT(*) FROM inbound_messages WHERE processed_at IS NULL"
            }
            CountedTable::Conversations => "SELECT COUNT(*) FROM conversations",
            CountedTable::PendingOutbox => "SELECT COUNT(*) FROM outbox WHERE state = 'pending'",
            CountedTable::Statuses => "SELECT COUNT(*) FROM delivery_statuses",
        };
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .doing("counting rows")
    }

    /// Messages from this citizen received in `[since, until]`.
    pub async fn messages_from(
        &self,
        citizen: &CitizenRef,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbound_messages
             WHERE ((wa_id IS NOT NULL AND wa_id = $1) OR (user_id IS NOT NULL AND user_id = $2))
               AND received_at >= $3 AND received_at <= $4",
        )
        .bind(citizen.wa_id.as_ref().map(|w| w.as_str()))
        .bind(citizen.user_id.as_ref().map(|u| u.as_str()))
        .bind(millis(since))
        .bind(millis(until))
        .fetch_one(&self.pool)
        .await
        .doing("counting a citizen's recent messages")
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Tables whose size [`Store::count`] reports.
#[derive(Debug, Clone, Copy)]
pub enum CountedTable {
    Inbound,
    UnprocessedInbound,
    Conversations,
    PendingOutbox,
    Statuses,
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Creates the SQLite file (and its folder) when missing: the `Any` driver
/// opens SQLite URLs without `create_if_missing`.
fn create_sqlite_file(url: &str) -> Result<(), StoreError> {
    let options = SqliteConnectOptions::from_str(url).map_err(|source| StoreError::Open {
        url: url.to_owned(),
        source,
    })?;
    let file = Path::new(options.get_filename());
    if file.as_os_str().is_empty() || file.as_os_str() == ":memory:" || file.exists() {
        return Ok(());
    }
    let folder_error = |source| StoreError::Folder {
        path: file.display().to_string(),
        source,
    };
    if let Some(parent) = file.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(folder_error)?;
    }
    // An empty file is an empty SQLite database.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map_err(folder_error)?;
    Ok(())
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

/// Adds the answer counts of processed messages, in key order: two
/// PostgreSQL transactions that both count the same answers then lock the
/// shared `faq_usage` rows in the same order and cannot deadlock.
async fn count_usage(tx: &mut Tx<'_>, done: &[Processed]) -> Result<(), StoreError> {
    let mut uses: Vec<_> = done
        .iter()
        .flat_map(|p| p.decision.usage.iter().cloned())
        .collect();
    uses.sort_by(|a, b| (a.day, &a.faq_id, a.lang.code()).cmp(&(b.day, &b.faq_id, b.lang.code())));
    usage::count(tx, &uses).await
}

/// Whether an older message of the same citizen still waits: it goes
/// first, so a conversation's messages are handled in the order they came.
async fn earlier_unprocessed(tx: &mut Tx<'_>, inbound: &StoredInbound) -> Result<bool, StoreError> {
    let earlier: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM inbound_messages
         WHERE processed_at IS NULL AND id < $1
           AND ((wa_id IS NOT NULL AND wa_id = $2) OR (user_id IS NOT NULL AND user_id = $3))
         LIMIT 1",
    )
    .bind(inbound.id)
    .bind(inbound.from.wa_id.as_ref().map(|w| w.as_str()))
    .bind(inbound.from.user_id.as_ref().map(|u| u.as_str()))
    .fetch_optional(&mut **tx)
    .await
    .doing("looking for an earlier message")?;
    Ok(earlier.is_some())
}

async fn find_live_conversation(
    tx: &mut Tx<'_>,
    citizen: &CitizenRef,
) -> Result<Option<(i64, ConversationMemory, crate::queue::State)>, StoreError> {
    find_conversation(tx, citizen, "state <> 'closed'", None).await
}

/// The citizen's conversation closed at or after `closed_since`, if any.
async fn find_recently_closed(
    tx: &mut Tx<'_>,
    citizen: &CitizenRef,
    closed_since: DateTime<Utc>,
) -> Result<Option<(i64, ConversationMemory, crate::queue::State)>, StoreError> {
    find_conversation(
        tx,
        citizen,
        "state = 'closed' AND closed_at >= $2",
        Some(millis(closed_since)),
    )
    .await
}

async fn find_conversation(
    tx: &mut Tx<'_>,
    citizen: &CitizenRef,
    condition: &'static str,
    bound: Option<i64>,
) -> Result<Option<(i64, ConversationMemory, crate::queue::State)>, StoreError> {
    // One lookup per known id, each on its own index; with `wa_id = ? OR
    // user_id = ?` in one query SQLite scanned the whole table for every
    // processed message (quadratic under load).
    let mut found: Option<(i64, sqlx::any::AnyRow)> = None;
    let ids = [
        ("wa_id", citizen.wa_id.as_ref().map(|w| w.as_str())),
        ("user_id", citizen.user_id.as_ref().map(|u| u.as_str())),
    ];
    for (column, value) in ids {
        let Some(value) = value else { continue };
        let sql = format!(
            "SELECT id, memory, state FROM conversations
             WHERE {column} = $1 AND {condition}
             ORDER BY id DESC LIMIT 1"
        );
        let mut query = sqlx::query(&sql).bind(value);
        if let Some(bound) = bound {
            query = query.bind(bound);
        }
        let row = query
            .fetch_optional(&mut **tx)
            .await
            .doing("finding a conversation")?;
        if let Some(row) = row {
            let id: i64 = row.try_get("id").doing("reading a conversation id")?;
            if found.as_ref().is_none_or(|(best, _)| id > *best) {
                found = Some((id, row));
            }
        }
    }
    let Some((id, row)) = found else {
        return Ok(None);
    };
    let memory: String = row
        .try_get("memory")
        .doing("reading a conversation's memory")?;
    let memory = serde_json::from_str(&memory).unwrap_or_default();
    let state: String = row
        .try_get("state")
        .doing("reading a conversation's state")?;
    let state = crate::queue::State::parse(&state).unwrap_or(crate::queue::State::Bot);
    Ok(Some((id, memory, state)))
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

/// Inserts one outbox row inside a transaction.
pub(crate) async fn insert_outbox(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    inbound_id: Option<i64>,
    author: &str,
    new: &NewOutbound,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let payload = serde_json::to_string(&new.message).map_err(|e| StoreError::Corrupt {
        what: "outbound message",
        detail: e.to_string(),
    })?;
    sqlx::query_scalar(
        "INSERT INTO outbox (conversation_id, inbound_id, kind, author, payload, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(conversation_id)
    .bind(inbound_id)
    .bind(new.kind.as_str())
    .bind(author)
    .bind(payload)
    .bind(millis(now))
    .bind(millis(now))
    .fetch_one(&mut **tx)
    .await
    .doing("queueing a reply")
}
