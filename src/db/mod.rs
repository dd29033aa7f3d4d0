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
mod contact;
mod dialect;
mod export;
mod flood;
mod gaps;
mod intake;
mod media;
mod mfa;
mod notes;
mod notify;
mod outbox;
mod outbox_media;
mod past;
mod processing;
mod public_id;
mod queue;
mod read_marks;
mod reports;
mod retention;
mod rows;
mod sso;
mod statistics;
mod usage;
mod webchat;
mod write_turn;

pub use accounts::SessionRow;
pub use audit::{AuditEntry, AuditFilter, NewAuditEntry};
pub use dialect::Dialect;
pub use export::{CitizenExport, Retention};
pub use media::{CHUNK_BYTES, DueMedia, MediaCounts, MediaRow, StoredMedia};
pub use mfa::TotpRow;
pub use notify::{QUEUE_CHANNEL, WEBCHAT_CHANNEL};
pub use outbox::SendRecord;
pub use outbox_media::OutboxFile;
pub use past::ClosedQuery;
pub use public_id::new_public_id;
pub use queue::{QueueError, StaffMessage, TOPIC_PREFIX, staff_actor};
pub use reports::RolledUp;
pub use retention::Removed;
pub use sso::PendingSsoLogin;
pub use webchat::WebSession;

pub use rows::{ConversationRow, DeliveryRow, OutboxRow, StoredInbound};

use crate::domain::OutgoingMessage;
use crate::reply::{Decision, ReplyKind};
use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
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
    #[error(
        "cannot create the database file or its folder, or make it private to this user: {path}: {source}"
    )]
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

impl StoreError {
    /// Whether PostgreSQL aborted the transaction to break a deadlock
    /// (40P01) or a serialization conflict (40001): the whole transaction
    /// may simply run again.
    pub fn is_transient_conflict(&self) -> bool {
        match self {
            Self::Query {
                source: sqlx::Error::Database(error),
                ..
            } => matches!(error.code().as_deref(), Some("40P01" | "40001")),
            _ => false,
        }
    }
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
    /// The conversation's public id, for what staff see of it.
    pub public_id: crate::domain::PublicId,
    pub decision: Decision,
    /// The conversation's state afterwards.
    pub state: crate::domain::ConversationState,
    /// What staff should hear about: `None` while the bot handles it.
    pub change: Option<crate::domain::Change>,
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
    /// Taken by the hot write transactions on SQLite, webhook intake first
    /// (see [`write_turn`]). Not used on PostgreSQL, whose row locks let
    /// writers run side by side.
    write: std::sync::Arc<write_turn::WriteTurn>,
    /// Rows added to the hot tables, for PostgreSQL's statistics (see
    /// [`statistics`]).
    growth: std::sync::Arc<statistics::Growth>,
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
            growth: std::sync::Arc::default(),
        })
    }

    /// On SQLite, waits for this process's turn to write (see
    /// [`write_turn`]); on PostgreSQL there is nothing to wait for.
    async fn write_turn(&self, writer: write_turn::Writer) -> Option<write_turn::Turn<'_>> {
        match self.dialect {
            Dialect::Sqlite => Some(self.write.take(writer).await),
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
            "SELECT id, wamid, wa_id, user_id, content, sent_at, received_at FROM inbound_messages
             WHERE processed_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .doing("reading unprocessed messages")?;
        rows.iter().map(StoredInbound::from_row).collect()
    }

    /// One conversation by id.
    pub async fn conversation(&self, id: i64) -> Result<Option<ConversationRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, public_id, wa_id, user_id, state, queue_reason, language, urgent, reply_deadline, last_inbound_at, created_at
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
            "SELECT id, public_id, wa_id, user_id, state, queue_reason, language, urgent, reply_deadline, last_inbound_at, created_at
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
/// opens SQLite URLs without `create_if_missing`. The file is made
/// readable by the service's user only (0600), and one that exists is
/// narrowed to that, with its `-wal` and `-shm` files: they hold
/// citizens' messages. SQLite gives the `-wal` and `-shm` files it
/// creates the main file's permissions, so they are 0600 too.
fn create_sqlite_file(url: &str) -> Result<(), StoreError> {
    let options = SqliteConnectOptions::from_str(url).map_err(|source| StoreError::Open {
        url: url.to_owned(),
        source,
    })?;
    let file = Path::new(options.get_filename());
    if file.as_os_str().is_empty() || file.as_os_str() == ":memory:" {
        return Ok(());
    }
    let folder_error = |source| StoreError::Folder {
        path: file.display().to_string(),
        source,
    };
    if file.exists() {
        return owner_only(file).map_err(folder_error);
    }
    if let Some(parent) = file.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(folder_error)?;
    }
    // An empty file is an empty SQLite database.
    let mut create = std::fs::OpenOptions::new();
    create.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
    create.open(file).map_err(folder_error)?;
    Ok(())
}

/// Narrows a database file and its `-wal` and `-shm` files (where they
/// exist) to read and write by the owner only.
fn owner_only(file: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut files = vec![file.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            files.push(name.into());
        }
        for path in files {
            match std::fs::metadata(&path) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
                }
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// `$first, $first+1, ...` for `count` parameters.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The values of a multi-row statement, `rows` rows of `columns`
/// parameters, bound first and row by row: `(?, ?), (?, ?)` on SQLite,
/// `($1, $2), ($3, $4)` on PostgreSQL. A statement's other parameters are
/// bound after them, named with [`param_after`].
///
/// Why not `$n` on SQLite too: SQLite looks every named parameter up in the
/// list of the names before it when it prepares a statement, and sqlx asks
/// SQLite for each parameter's name, again a walk along that list, when it
/// binds; both are quadratic in the parameters. A 200-row insert of 1,800
/// parameters spent more time there than inserting (`perf`: a seventh of
/// the service's CPU at 4,000 messages/s). Anonymous `?` are numbered in
/// order without either walk, and sqlx binds them in order; the few named
/// parameters after them stay cheap to look up.
fn rows_of_placeholders(dialect: Dialect, rows: usize, columns: usize) -> String {
    rows_of_placeholders_and(dialect, rows, columns, "")
}

/// [`rows_of_placeholders`] with `tail` (expressions the same in every row,
/// such as `, $9, 'bot'`) at the end of each row.
fn rows_of_placeholders_and(dialect: Dialect, rows: usize, columns: usize, tail: &str) -> String {
    let row = |index: usize| match dialect {
        Dialect::Sqlite => vec!["?"; columns].join(", "),
        Dialect::Postgres => placeholders(index * columns + 1, columns),
    };
    (0..rows)
        .map(|index| format!("({}{tail})", row(index)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$n` for the `k`-th (1-based) parameter bound after the values of
/// [`rows_of_placeholders`]`(rows, columns)`.
fn param_after(rows: usize, columns: usize, k: usize) -> String {
    format!("${}", rows * columns + k)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rows_are_anonymous_on_sqlite_and_numbered_on_postgres() {
        assert_eq!(
            rows_of_placeholders(Dialect::Sqlite, 2, 3),
            "(?, ?, ?), (?, ?, ?)"
        );
        assert_eq!(
            rows_of_placeholders(Dialect::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(
            rows_of_placeholders_and(Dialect::Postgres, 2, 1, ", $3, 'x'"),
            "($1, $3, 'x'), ($2, $3, 'x')"
        );
        assert_eq!(param_after(2, 3, 1), "$7");
    }

    /// What the statements rely on: sqlx binds anonymous `?` in order and a
    /// named `$n` after them by its number, wherever either stands.
    #[tokio::test]
    async fn sqlite_binds_rows_then_the_named_parameters_after_them() {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        let values = rows_of_placeholders_and(
            Dialect::Sqlite,
            2,
            2,
            &format!(", {}", param_after(2, 2, 1)),
        );
        let sql = format!(
            "SELECT {} AS head, v.column1 AS a, v.column2 AS b, v.column3 AS tail
             FROM (VALUES {values}) AS v ORDER BY a",
            param_after(2, 2, 2)
        );
        let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(&sql)
            .bind(1_i64)
            .bind(2_i64)
            .bind(3_i64)
            .bind(4_i64)
            .bind("after")
            .bind("head")
            .fetch_all(&pool)
            .await
            .expect("query runs");
        assert_eq!(
            rows,
            vec![
                ("head".to_owned(), 1, 2, "after".to_owned()),
                ("head".to_owned(), 3, 4, "after".to_owned()),
            ]
        );
    }
}
