//! The audit log: who did what and when, without message content or
//! other free text.

use super::rows::get;
use super::{Doing, Store, StoreError, from_millis, millis};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub conversation_id: Option<i64>,
    pub detail: Option<String>,
}

impl Store {
    /// Writes one audit entry. Callers pass no free text as `detail`
    /// (counts, account names, configured words); personal data in it is
    /// masked all the same, so a slip cannot keep a BSN for a year.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        conversation_id: Option<i64>,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, conversation_id, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(millis(at))
        .bind(actor)
        .bind(action)
        .bind(conversation_id)
        .bind(detail.map(crate::privacy::mask))
        .execute(&self.pool)
        .await
        .doing("writing the audit log")?;
        Ok(())
    }

    /// The newest entries first, at most `limit`, optionally since a moment.
    pub async fn audit_log(
        &self,
        since: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, conversation_id, detail FROM audit_log
             WHERE at >= $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(since.map_or(i64::MIN, millis))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .doing("reading the audit log")?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: from_millis(get(row, "at")?),
                    actor: get(row, "actor")?,
                    action: get(row, "action")?,
                    conversation_id: get(row, "conversation_id")?,
                    detail: get(row, "detail")?,
                })
            })
            .collect()
    }

    /// Forgets audit entries older than `before`.
    pub async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM audit_log WHERE at < $1")
            .bind(millis(before))
            .execute(&self.pool)
            .await
            .doing("pruning the audit log")?;
        Ok(done.rows_affected())
    }
}
