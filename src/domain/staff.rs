//! Who works with Loket: a staff account and what its role allows. Pure
//! data; hashing, tokens and storage are in `accounts` and `db`.

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

    /// May read the team lead's report and its "nu" panel (the queue's
    /// figures and each colleague's load): those who work the queue.
    pub fn sees_reports(self) -> bool {
        self.works_the_queue()
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

impl Account {
    /// May hold threads: an enabled account whose role works the queue
    /// (a thread can be claimed by, or passed on to, such an account).
    pub fn can_hold_threads(&self) -> bool {
        !self.disabled && self.role.works_the_queue()
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
        assert!(Role::Staff.sees_reports() && Role::Admin.sees_reports());
        assert!(!Role::Editor.sees_reports());
    }

    #[test]
    fn only_an_enabled_account_that_works_the_queue_holds_threads() {
        let account = |role, disabled| Account {
            id: 1,
            username: "anna".to_owned(),
            role,
            disabled,
        };
        assert!(account(Role::Staff, false).can_hold_threads());
        assert!(account(Role::Admin, false).can_hold_threads());
        assert!(!account(Role::Editor, false).can_hold_threads());
        assert!(!account(Role::Staff, true).can_hold_threads());
    }
}
