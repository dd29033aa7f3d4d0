//! Staff accounts: roles, password hashing (argon2id) and the random tokens
//! behind a login. Storage is in `db::accounts`; the HTTP side in
//! `web::auth`.

pub mod mfa;
pub mod password;
pub mod sso;
pub mod token;

/// Roles and accounts are domain vocabulary (a conversation's rules name
/// them); staff code finds them here too.
pub use crate::domain::{Account, Role};

/// Why a username is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a valid username: use 2 to 40 characters: lowercase letters, digits, '.', '-' or '_', starting with a letter"
)]
pub struct BadUsername(pub String);

/// Longest username, in characters.
pub const MAX_USERNAME: usize = 40;

/// Usernames appear in URLs, logs and the audit trail: keep them plain.
pub fn check_username(name: &str) -> Result<String, BadUsername> {
    let name = name.trim();
    // Refuse a huge input before walking or copying it: the error keeps
    // only its start.
    if name.len() > 4 * MAX_USERNAME {
        let start: String = name.chars().take(MAX_USERNAME).collect();
        return Err(BadUsername(format!("{start}…")));
    }
    let ok = (2..=MAX_USERNAME).contains(&name.chars().count())
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(BadUsername(name.to_owned()))
    }
}

/// A name typed at the login form as an account name: trimmed, lower
/// case, and refused unless it could be one (see [`check_username`]).
/// The login checks this before it looks anything up, counts a failure
/// or logs, so a name of 60 KB, with a line break or with control
/// characters never reaches the database or the logs.
pub fn login_name(typed: &str) -> Result<String, BadUsername> {
    let typed = typed.trim();
    if typed.len() > 4 * MAX_USERNAME {
        return check_username(typed);
    }
    check_username(&typed.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_names_are_bounded_and_plain_before_anything_else() {
        assert_eq!(login_name(" Anna "), Ok("anna".to_owned()));
        let huge = "a".repeat(60_000);
        let refused = login_name(&huge).expect_err("too long");
        assert!(refused.0.chars().count() <= MAX_USERNAME + 1, "{refused}");
        assert!(login_name(&"a".repeat(MAX_USERNAME)).is_ok());
        assert!(login_name(&"a".repeat(MAX_USERNAME + 1)).is_err());
        for forged in [
            "anna\n2026-01-01T00:00:00Z  INFO loket: staff login",
            "anna\u{1b}[2K",
            "anna lead",
            "Welkom01!",
            "",
        ] {
            assert!(login_name(forged).is_err(), "{forged:?}");
        }
    }

    #[test]
    fn usernames_are_plain() {
        assert_eq!(
            check_username(" anna.de-vries "),
            Ok("anna.de-vries".to_owned())
        );
        assert!(check_username("Anna").is_err());
        assert!(check_username("a").is_err());
        assert!(check_username("1anna").is_err());
        assert!(check_username("anna<script>").is_err());
    }
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(transparent)]
    Username(#[from] BadUsername),
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    #[error("an account named {0:?} exists already; pick another name or disable the old one")]
    Taken(String),
    #[error(transparent)]
    Store(#[from] crate::db::StoreError),
}

/// Creates an account with an argon2id hash of `password`.
pub async fn create(
    store: &crate::db::Store,
    username: &str,
    role: Role,
    password: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Account, CreateError> {
    let username = check_username(username)?;
    let password = password.to_owned();
    // argon2 is deliberately slow: keep it off the async threads.
    let hash = tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| password::PasswordError::Hash(e.to_string()))??;
    store
        .add_user(&username, role, &hash, now)
        .await?
        .ok_or(CreateError::Taken(username))
}
