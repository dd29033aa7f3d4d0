//! Staff accounts: roles, password hashing (argon2id) and the random tokens
//! behind a login. Storage is in `db::accounts`; the HTTP side in
//! `web::auth`.

pub mod password;
pub mod token;

use serde::{Deserialize, Serialize};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// KCC staff: the queue.
    Staff,
    /// Content editors: the knowledge base tools, not citizens' messages.
    Editor,
    /// Team leads and operators: everything, including other staff's threads.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "staff" => Some(Role::Staff),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// May read and answer citizens' conversations.
    pub fn works_the_queue(self) -> bool {
        matches!(self, Role::Staff | Role::Admin)
    }

    /// May read the editors' views: unanswered questions and answer use.
    pub fn edits_knowledge(self) -> bool {
        matches!(self, Role::Editor | Role::Admin)
    }
}

/// A staff account as the rest of the service sees it (no hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
}

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
    fn roles_parse_and_only_staff_and_admin_work_the_queue() {
        assert_eq!(Role::parse("Admin"), Some(Role::Admin));
        assert_eq!(Role::parse("boss"), None);
        assert!(Role::Staff.works_the_queue());
        assert!(Role::Admin.works_the_queue());
        assert!(!Role::Editor.works_the_queue());
        assert!(Role::Editor.edits_knowledge());
        assert!(Role::Admin.edits_knowledge());
        assert!(!Role::Staff.edits_knowledge());
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
