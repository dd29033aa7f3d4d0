//! Staff accounts: roles, password hashing (argon2id) and the random tokens
//! behind a login. Storage is in `db::accounts`; the HTTP side in
//! `web::auth`.

pub mod password;
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

/// Usernames appear in URLs, logs and the audit trail: keep them plain.
pub fn check_username(name: &str) -> Result<String, BadUsername> {
    let name = name.trim();
    let ok = (2..=40).contains(&name.chars().count())
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

#[cfg(test)]
mod tests {
    use super::*;

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
