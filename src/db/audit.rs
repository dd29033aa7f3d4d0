//! The audit log: who did what and when, without message content or
//! other free text.

use super::rows::get;
use super::{Doing, Store, StoreError, from_millis, millis};
use crate::domain::PublicId;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    /// The conversation's public id, when the action was on one.
    pub conversation: Option<PublicId>,
    pub detail: Option<String>,
    /// The client address of an action over HTTP (behind a trusted
    /// proxy: the address it forwards); none for the command line.
    pub client: Option<String>,
}

/// Which audit entries to read; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// From this moment on.
    pub since: Option<DateTime<Utc>>,
    /// Before this moment.
    pub until: Option<DateTime<Utc>>,
    /// One account: its own actions (`staff:<name>`) and the login
    /// attempts made with its name (`login:<name>`); or an actor as
    /// written (`cli`, `system`).
    pub user: Option<String>,
    /// One action (`login`, `claim`, `export`, ...).
    pub action: Option<String>,
}

/// An audit entry to write.
#[derive(Debug, Clone, Copy)]
pub struct NewAuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    /// By its public id: the audit log is served to admins and outlives
    /// the conversation, and the integer key is the service's own.
    pub conversation: Option<&'a PublicId>,
    pub detail: Option<&'a str>,
    pub client: Option<&'a str>,
}

impl Store {
    /// Writes one audit entry. Callers pass no free text as `detail`
    /// (counts, account names, configured words); personal data in it is
    /// masked all the same, so a slip cannot keep a BSN for a year.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        conversation: Option<&PublicId>,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let entry = NewAuditEntry {
            actor,
            action,
            conversation,
            detail,
            client: None,
        };
        self.audit_entry(&entry, at).await
    }

    /// Writes one audit entry, with the client address when there is one.
    pub async fn audit_entry(
        &self,
        entry: &NewAuditEntry<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, conversation, detail, client) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(millis(at))
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.conversation.map(PublicId::as_str))
        .bind(entry.detail.map(crate::privacy::mask))
        .bind(entry.client)
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
        let filter = AuditFilter {
            since,
            ..AuditFilter::default()
        };
        self.audit_log_filtered(&filter, limit).await
    }

    /// The newest entries that pass `filter` first, at most `limit`.
    pub async fn audit_log_filtered(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        // Only the conditions asked for, each with its own placeholder.
        let mut conditions = vec!["at >= $1".to_owned(), "at < $2".to_owned()];
        let mut texts = Vec::new();
        if let Some(user) = &filter.user {
            let n = 3 + texts.len();
            conditions.push(format!(
                "(actor = ${n} OR actor = 'staff:' || ${n} OR actor = 'login:' || ${n})"
            ));
            texts.push(user.clone());
        }
        if let Some(action) = &filter.action {
            conditions.push(format!("action = ${}", 3 + texts.len()));
            texts.push(action.clone());
        }
        let sql = format!(
            "SELECT at, actor, action, conversation, detail, client FROM audit_log
             WHERE {} ORDER BY id DESC LIMIT ${}",
            conditions.join(" AND "),
            3 + texts.len()
        );
        let mut query = sqlx::query(&sql)
            .bind(filter.since.map_or(i64::MIN, millis))
            .bind(filter.until.map_or(i64::MAX, millis));
        for text in texts {
            query = query.bind(text);
        }
        let rows = query
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
                    conversation: get::<Option<String>>(row, "conversation")?
                        .map(|text| PublicId::parse(&text))
                        .transpose()
                        .map_err(|e| StoreError::Corrupt {
                            what: "audit_log.conversation",
                            detail: e.to_string(),
                        })?,
                    detail: get(row, "detail")?,
                    client: get(row, "client")?,
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
