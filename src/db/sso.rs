//! Single sign-on storage (ADR 0026): logins under way, accounts made by
//! a provider, and the refresh token of a session started by one.

use super::{Doing, Store, StoreError, millis};
use crate::domain::{Account, Role};
use chrono::{DateTime, Utc};

/// What Loket keeps of a login under way, found again by its state.
#[derive(Debug, Clone)]
pub struct PendingSsoLogin {
    pub nonce: String,
    pub pkce_verifier: String,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Remembers a login under way; forgets those that expired.
    pub async fn add_sso_login(
        &self,
        state_hash: &str,
        pending: &PendingSsoLogin,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.doing("starting a single sign-on")?;
        sqlx::query("DELETE FROM sso_logins WHERE expires_at < $1")
            .bind(millis(now))
            .execute(&mut *tx)
            .await
            .doing("forgetting expired single sign-ons")?;
        sqlx::query(
            "INSERT INTO sso_logins (state_hash, nonce, pkce_verifier, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(state_hash)
        .bind(&pending.nonce)
        .bind(&pending.pkce_verifier)
        .bind(millis(pending.expires_at))
        .execute(&mut *tx)
        .await
        .doing("storing a single sign-on")?;
        tx.commit().await.doing("committing a single sign-on")
    }

    /// Takes (deletes and returns) a login under way: a state works once,
    /// even when two answers race. Expired ones are returned too; the
    /// caller refuses them.
    pub async fn take_sso_login(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingSsoLogin>, StoreError> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "DELETE FROM sso_logins WHERE state_hash = $1 RETURNING nonce, pkce_verifier, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await
        .doing("taking a single sign-on")?;
        Ok(
            row.map(|(nonce, pkce_verifier, expires_at)| PendingSsoLogin {
                nonce,
                pkce_verifier,
                expires_at: super::from_millis(expires_at),
            }),
        )
    }

    /// The account a provider's user logged in with before.
    pub async fn sso_user(&self, subject: &str) -> Result<Option<Account>, StoreError> {
        let row: Option<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, username, role, disabled FROM staff_users WHERE sso_subject = $1",
        )
        .bind(subject)
        .fetch_optional(&self.pool)
        .await
        .doing("reading a single sign-on account")?;
        row.map(|(id, username, role, disabled)| {
            Ok(Account {
                id,
                username,
                role: Role::parse(&role).ok_or(StoreError::Corrupt {
                    what: "role",
                    detail: role,
                })?,
                disabled: disabled != 0,
            })
        })
        .transpose()
    }

    /// Adds an account for a provider's user, without a password.
    /// `Ok(None)` when the name is taken.
    pub async fn add_sso_user(
        &self,
        username: &str,
        role: Role,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError> {
        // No password: an empty hash never verifies.
        self.insert_user(username, role, "", Some(subject), now)
            .await
    }

    /// Gives an account the role its groups now map to.
    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<(), StoreError> {
        sqlx::query("UPDATE staff_users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user_id)
            .execute(&self.pool)
            .await
            .doing("changing an account's role")?;
        Ok(())
    }

    /// Marks a session as started by single sign-on, checked `now`, with
    /// the provider's refresh token (if it gave one).
    pub async fn mark_sso_session(
        &self,
        token_hash: &str,
        refresh_token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE staff_sessions SET sso_refresh_token = $1, sso_checked_at = $2 WHERE token_hash = $3",
        )
        .bind(refresh_token)
        .bind(millis(now))
        .bind(token_hash)
        .execute(&self.pool)
        .await
        .doing("marking a single sign-on session")?;
        Ok(())
    }

    /// Claims the group check of a single sign-on session last checked
    /// before `due`: only one request (of one instance) wins and asks the
    /// provider. `None`: not due or claimed by another; `Some(token)`: the
    /// refresh token to ask with (`Some(None)`: the provider gave none).
    pub async fn claim_sso_recheck(
        &self,
        token_hash: &str,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Option<String>>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "UPDATE staff_sessions SET sso_checked_at = $1
             WHERE token_hash = $2 AND sso_checked_at IS NOT NULL AND sso_checked_at < $3
             RETURNING sso_refresh_token",
        )
        .bind(millis(now))
        .bind(token_hash)
        .bind(millis(due))
        .fetch_optional(&self.pool)
        .await
        .doing("claiming a single sign-on check")?;
        Ok(row.map(|(token,)| token))
    }
}
