//! The few places where SQLite and PostgreSQL need different SQL. Every
//! other statement is written once, with `$1, $2` placeholders (both
//! drivers accept them), integer columns (BIGINT on PostgreSQL) and times
//! as milliseconds.

use super::{Doing, StoreError, Tx};

/// Which database a [`super::Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Advisory-lock classes (PostgreSQL): the first half of the two-part key,
/// so locks for different purposes never collide.
#[derive(Debug, Clone, Copy)]
pub(super) enum LockClass {
    /// One citizen's inbound messages are processed by one instance at a time.
    Citizen = 7_001,
    /// One staff member's claims are counted and taken one at a time.
    Staff = 7_002,
    /// One retention purge at a time across instances.
    Purge = 7_003,
}

impl Dialect {
    /// The dialect of a database URL; `None` when it is neither.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Self::Postgres)
        } else {
            None
        }
    }

    /// How a transaction that writes starts. SQLite takes its single write
    /// lock up front, so two writers queue up instead of one failing on a
    /// stale snapshot; PostgreSQL locks rows as it goes (see the callers).
    pub(super) fn begin_write(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }

    /// Locks one conversation row until the transaction ends (PostgreSQL;
    /// on SQLite the transaction already holds the database's write lock).
    pub(super) async fn lock_conversation(
        self,
        tx: &mut Tx<'_>,
        id: i64,
    ) -> Result<(), StoreError> {
        if self == Self::Postgres {
            sqlx::query("SELECT id FROM conversations WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .doing("locking a conversation")?;
        }
        Ok(())
    }

    /// Waits for the transaction-scoped lock on `key` (PostgreSQL; a
    /// no-op on SQLite, whose write transactions are serial anyway).
    pub(super) async fn lock(
        self,
        tx: &mut Tx<'_>,
        class: LockClass,
        key: &str,
    ) -> Result<(), StoreError> {
        if self == Self::Postgres {
            // `SELECT 1 FROM`: the function returns `void`, which the `Any` driver cannot decode.
            sqlx::query("SELECT 1 FROM pg_advisory_xact_lock($1, hashtext($2))")
                .bind(class as i32)
                .bind(key)
                .execute(&mut **tx)
                .await
                .doing("taking a lock")?;
        }
        Ok(())
    }

    /// Takes the locks on `keys` that nobody holds, in one statement,
    /// without waiting for the others; returns the keys this transaction
    /// now holds (all of them on SQLite, whose write transactions are
    /// serial anyway).
    pub(super) async fn try_lock_many(
        self,
        tx: &mut Tx<'_>,
        class: LockClass,
        keys: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        if self == Self::Sqlite || keys.is_empty() {
            return Ok(keys.iter().cloned().collect());
        }
        let values = super::rows_of_placeholders(self, keys.len(), 1);
        let class_param = super::param_after(keys.len(), 1, 1);
        let sql = format!(
            "SELECT v.column1 FROM (VALUES {values}) AS v
             WHERE pg_try_advisory_xact_lock({class_param}, hashtext(v.column1))"
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for key in keys {
            query = query.bind(key.as_str());
        }
        let held = query
            .bind(class as i32)
            .fetch_all(&mut **tx)
            .await
            .doing("taking locks")?;
        Ok(held.into_iter().collect())
    }
}
