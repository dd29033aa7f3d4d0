//! The second factor of local accounts: the TOTP secret, the last step a
//! code was accepted for, and the hashed recovery codes (ADR 0027). Every
//! change that must happen once (accepting a step, using a recovery code,
//! confirming an enrolment) is one conditional statement, so two logins
//! racing with the same code cannot both win.

use super::rows::get;
use super::{Doing, Store, StoreError, millis};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

/// An account's authenticator as stored.
#[derive(Debug, Clone)]
pub struct TotpRow {
    /// Base32, as the authenticator app got it. `SecretString` keeps it
    /// out of `Debug` output and so out of logs.
    pub secret: SecretString,
    /// Confirmed with a code: logins need one from now on.
    pub enabled: bool,
}

impl Store {
    /// The account's authenticator, confirmed or still being set up.
    pub async fn totp(&self, user_id: i64) -> Result<Option<TotpRow>, StoreError> {
        let row = sqlx::query("SELECT secret, enabled_at FROM staff_totp WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .doing("reading a second factor")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let secret: String = get(&row, "secret")?;
        let enabled_at: Option<i64> = get(&row, "enabled_at")?;
        Ok(Some(TotpRow {
            secret: SecretString::from(secret),
            enabled: enabled_at.is_some(),
        }))
    }

    /// Stores a new secret for an enrolment, replacing one that was never
    /// confirmed. `false`: the account has a confirmed one already.
    pub async fn start_totp(
        &self,
        user_id: i64,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO staff_totp (user_id, secret, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret,
                 created_at = excluded.created_at, last_step = NULL
             WHERE staff_totp.enabled_at IS NULL",
        )
        .bind(user_id)
        .bind(secret)
        .bind(millis(now))
        .execute(&self.pool)
        .await
        .doing("starting a second factor")?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that a code of time step `step` was accepted. `false`: a
    /// code of this step or a later one was accepted before (a replay).
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE staff_totp SET last_step = $1
             WHERE user_id = $2 AND (last_step IS NULL OR last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .doing("accepting a second-factor code")?;
        Ok(done.rows_affected() == 1)
    }

    /// Confirms an enrolment with a code of time step `step`: the second
    /// factor is on, the recovery codes (their hashes) replace any old
    /// ones, and the session `token_hash` is no longer enrolment-only.
    /// `false`: nothing to confirm (none started, already on, or the step
    /// was used).
    pub async fn enable_totp(
        &self,
        user_id: i64,
        step: i64,
        recovery_hashes: &[String],
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .doing("starting to enable a second factor")?;
        let done = sqlx::query(
            "UPDATE staff_totp SET enabled_at = $1, last_step = $2
             WHERE user_id = $3 AND enabled_at IS NULL AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(millis(now))
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .doing("enabling a second factor")?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM staff_recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .doing("removing old recovery codes")?;
        for hash in recovery_hashes {
            sqlx::query("INSERT INTO staff_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut *tx)
                .await
                .doing("storing a recovery code")?;
        }
        sqlx::query(
            "UPDATE staff_sessions SET enrolment_only = 0 WHERE token_hash = $1 AND user_id = $2",
        )
        .bind(token_hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .doing("completing an enrolment session")?;
        tx.commit()
            .await
            .doing("committing a second factor")
            .map(|()| true)
    }

    /// Uses a recovery code (by its hash). `false`: no such unused code.
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE staff_recovery_codes SET used_at = $1
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(millis(now))
        .bind(user_id)
        .bind(code_hash)
        .execute(&self.pool)
        .await
        .doing("using a recovery code")?;
        Ok(done.rows_affected() >= 1)
    }

    /// How many recovery codes the account has left.
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM staff_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .doing("counting recovery codes")
    }

    /// Removes the account's second factor and recovery codes. `false`:
    /// it had none.
    pub async fn remove_totp(&self, user_id: i64) -> Result<bool, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .doing("starting to remove a second factor")?;
        let removed = remove_totp_in(&mut tx, user_id).await?;
        tx.commit()
            .await
            .doing("committing a removed second factor")
            .map(|()| removed)
    }

    /// The admin's reset (`loket user reset-mfa`): removes the account's
    /// second factor and recovery codes and ends its sessions. `None`: no
    /// such account; `Some(false)`: it had no second factor.
    pub async fn reset_mfa(&self, username: &str) -> Result<Option<bool>, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .doing("starting to reset a second factor")?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM staff_users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await
            .doing("reading an account")?;
        let Some(id) = id else {
            return Ok(None);
        };
        let removed = remove_totp_in(&mut tx, id).await?;
        sqlx::query("DELETE FROM staff_sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .doing("ending the sessions of a reset account")?;
        tx.commit()
            .await
            .doing("committing a reset second factor")
            .map(|()| Some(removed))
    }

    /// Marks a new session as one that may only set up the second factor
    /// (`[staff] require_mfa`).
    pub async fn restrict_to_enrolment(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE staff_sessions SET enrolment_only = 1 WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .doing("restricting a login to enrolment")?;
        Ok(())
    }

    /// Ends every session of the account, on every instance (they all read
    /// this table); returns the token hashes that ended.
    pub async fn end_sessions(&self, user_id: i64) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("DELETE FROM staff_sessions WHERE user_id = $1 RETURNING token_hash")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .doing("ending an account's sessions")
    }
}

async fn remove_totp_in(tx: &mut super::Tx<'_>, user_id: i64) -> Result<bool, StoreError> {
    sqlx::query("DELETE FROM staff_recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .doing("removing recovery codes")?;
    let done = sqlx::query("DELETE FROM staff_totp WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .doing("removing a second factor")?;
    Ok(done.rows_affected() == 1)
}
