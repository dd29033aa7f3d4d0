//! Staff accounts, sessions and failed logins.

use super::rows::{flag, get};
use super::{Doing, Store, StoreError, millis};
use crate::domain::{Account, Role};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

/// A live login.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub account: Account,
    pub csrf_token: String,
    pub last_seen_at: DateTime<Utc>,
    /// A password login that must first set up its second factor
    /// (`[staff] require_mfa`): it may only enrol or log out.
    pub enrolment_only: bool,
    /// When a single sign-on session last asked the provider about the
    /// user's groups; `None`: a password login.
    pub sso_checked_at: Option<DateTime<Utc>>,
}

fn account(row: &AnyRow) -> Result<Account, StoreError> {
    let role: String = get(row, "role")?;
    Ok(Account {
        id: get(row, "id")?,
        username: get(row, "username")?,
        role: Role::parse(&role).ok_or(StoreError::Corrupt {
            what: "role",
            detail: role,
        })?,
        disabled: flag(row, "disabled")?,
    })
}

impl Store {
    /// Adds an account. `Ok(None)` when the name is taken.
    pub async fn add_user(
        &self,
        username: &str,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError> {
        self.insert_user(username, role, password_hash, None, now)
            .await
    }

    /// Adds an account with a password hash, or (`sso_subject`) one that
    /// logs in through single sign-on. `Ok(None)` when the name is taken.
    pub(super) async fn insert_user(
        &self,
        username: &str,
        role: Role,
        password_hash: &str,
        sso_subject: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO staff_users (username, role, password_hash, sso_subject, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (username) DO NOTHING RETURNING id",
        )
        .bind(username)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(sso_subject)
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await
        .doing("adding an account")?;
        Ok(id.map(|id| Account {
            id,
            username: username.to_owned(),
            role,
            disabled: false,
        }))
    }

    /// Every account, by name.
    pub async fn users(&self) -> Result<Vec<Account>, StoreError> {
        let rows =
            sqlx::query("SELECT id, username, role, disabled FROM staff_users ORDER BY username")
                .fetch_all(&self.pool)
                .await
                .doing("listing accounts")?;
        rows.iter().map(account).collect()
    }

    /// One account by name.
    pub async fn user(&self, username: &str) -> Result<Option<Account>, StoreError> {
        let row =
            sqlx::query("SELECT id, username, role, disabled FROM staff_users WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await
                .doing("reading an account")?;
        row.as_ref().map(account).transpose()
    }

    /// An account with its password hash, for logging in.
    pub async fn user_for_login(
        &self,
        username: &str,
    ) -> Result<Option<(Account, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, username, role, disabled, password_hash FROM staff_users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .doing("reading an account")?;
        match row {
            Some(row) => Ok(Some((account(&row)?, get(&row, "password_hash")?))),
            None => Ok(None),
        }
    }

    /// Disables an account and ends its sessions. `false`: no such account.
    pub async fn disable_user(&self, username: &str) -> Result<bool, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .doing("starting to disable an account")?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE staff_users SET disabled = 1 WHERE username = $1 RETURNING id",
        )
        .bind(username)
        .fetch_optional(&mut *tx)
        .await
        .doing("disabling an account")?;
        if let Some(id) = id {
            sqlx::query("DELETE FROM staff_sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .doing("ending a disabled account's sessions")?;
        }
        tx.commit().await.doing("committing a disabled account")?;
        Ok(id.is_some())
    }

    /// Failed logins since `since` for this name and for this client.
    pub async fn login_failures(
        &self,
        username: &str,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError> {
        let by_name: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at >= $2",
        )
        .bind(failure_key(username))
        .bind(millis(since))
        .fetch_one(&self.pool)
        .await
        .doing("counting failed logins")?;
        let by_client: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE client = $1 AND at >= $2",
        )
        .bind(client)
        .bind(millis(since))
        .fetch_one(&self.pool)
        .await
        .doing("counting failed logins")?;
        Ok((by_name, by_client))
    }

    /// Oldest failure since `since` for this name or client (for Retry-After).
    pub async fn oldest_login_failure(
        &self,
        username: &str,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(at) FROM login_failures WHERE (username = $1 OR client = $2) AND at >= $3",
        )
        .bind(failure_key(username))
        .bind(client)
        .bind(millis(since))
        .fetch_one(&self.pool)
        .await
        .doing("reading failed logins")?;
        Ok(at.map(super::from_millis))
    }

    /// Records a failed login and forgets failures older than `forget_before`.
    pub async fn record_login_failure(
        &self,
        username: &str,
        client: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .doing("starting to record a failed login")?;
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(millis(forget_before))
            .execute(&mut *tx)
            .await
            .doing("forgetting old failed logins")?;
        sqlx::query("INSERT INTO login_failures (username, client, at) VALUES ($1, $2, $3)")
            .bind(failure_key(username))
            .bind(client)
            .bind(millis(now))
            .execute(&mut *tx)
            .await
            .doing("recording a failed login")?;
        tx.commit().await.doing("committing a failed login")
    }

    /// Starts a session; forgets the account's failed logins.
    pub async fn create_session(
        &self,
        account: &Account,
        token_hash: &str,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.doing("starting a login")?;
        sqlx::query("DELETE FROM staff_sessions WHERE expires_at < $1")
            .bind(millis(now))
            .execute(&mut *tx)
            .await
            .doing("removing expired sessions")?;
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(account.id)
        .bind(csrf_token)
        .bind(millis(now))
        .bind(millis(now))
        .bind(millis(expires_at))
        .execute(&mut *tx)
        .await
        .doing("storing a login")?;
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(failure_key(&account.username))
            .execute(&mut *tx)
            .await
            .doing("forgetting failed logins")?;
        tx.commit().await.doing("committing a login")
    }

    /// The live session of a token hash: not expired, not idle since
    /// `idle_since`, account enabled. Marks it seen (at most every 15 s,
    /// to spare the database a write per request).
    pub async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.role, u.disabled, s.csrf_token, s.last_seen_at, s.enrolment_only, s.sso_checked_at
             FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at >= $3 AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(millis(now))
        .bind(millis(idle_since))
        .fetch_optional(&self.pool)
        .await
        .doing("reading a login")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let last_seen: i64 = get(&row, "last_seen_at")?;
        if millis(now) - last_seen > 15_000 {
            self.touch_session(token_hash, now).await?;
        }
        Ok(Some(SessionRow {
            account: account(&row)?,
            csrf_token: get(&row, "csrf_token")?,
            last_seen_at: super::from_millis(last_seen),
            enrolment_only: flag(&row, "enrolment_only")?,
            sso_checked_at: get::<Option<i64>>(&row, "sso_checked_at")?.map(super::from_millis),
        }))
    }

    /// Marks a session seen now (the live page does so while connected).
    async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE staff_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(millis(now))
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .doing("marking a login seen")?;
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .doing("ending a login")?;
        Ok(())
    }

    /// Usernames of queue workers seen since `since` (online now).
    pub async fn staff_online(&self, since: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT DISTINCT u.username FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
             WHERE s.last_seen_at >= $1 AND u.disabled = 0 AND u.role IN ('staff', 'admin')
             ORDER BY u.username",
        )
        .bind(millis(since))
        .fetch_all(&self.pool)
        .await
        .doing("reading who is online")
    }
}

/// What `login_failures.username` holds for a typed name: its SHA-256, not
/// the name. The throttle only compares names, and a password typed into
/// the name field (a valid-looking name often enough) must not be kept in
/// the clear, not even for the throttle's window.
fn failure_key(typed: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(format!("login-failure:{typed}").as_bytes()))
}
