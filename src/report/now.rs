//! The reports page's "nu" panel: the queue as it stands, for the team
//! lead. Pure: the open threads, the accounts and who is online in, the
//! figures out. It names colleagues (their load is what a team lead
//! steers by) but never a citizen: no number, no text, no thread id.

use crate::domain::thread::Summary;
use crate::domain::{Account, ConversationState};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// One colleague's load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Load {
    pub username: String,
    /// Had a staff page open in the last two minutes.
    pub online: bool,
    /// Threads this colleague holds now (claimed, not closed).
    pub open_threads: i64,
}

/// The queue at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Now {
    /// Threads handed over and not yet claimed by anyone.
    pub waiting: i64,
    /// Of those, the urgent ones.
    pub waiting_urgent: i64,
    /// How long the longest-waiting of them has waited, in wall-clock
    /// seconds since its hand-over; `null` when none waits.
    pub oldest_wait_secs: Option<i64>,
    /// Queue workers online now.
    pub online: i64,
    /// Every enabled queue worker, and anyone else who still holds a
    /// thread (an account disabled since), by name.
    pub colleagues: Vec<Load>,
    /// When the figures were read.
    pub at: DateTime<Utc>,
}

/// What the panel reads of one open thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open<'a> {
    pub state: ConversationState,
    pub urgent: bool,
    pub claimed_by: Option<&'a str>,
    /// The hand-over (the citizen's last message when none is recorded).
    pub since: DateTime<Utc>,
}

impl<'a> Open<'a> {
    pub fn of(summary: &'a Summary) -> Open<'a> {
        Open {
            state: summary.state,
            urgent: summary.urgent,
            claimed_by: summary.claimed_by.as_deref(),
            since: summary.queued_at.unwrap_or(summary.last_message_at),
        }
    }
}

/// The figures of `open` (the queued and claimed threads) at `now`.
/// `online` are the usernames seen lately.
pub fn snapshot(
    open: &[Open<'_>],
    accounts: &[Account],
    online: &[String],
    now: DateTime<Utc>,
) -> Now {
    let waiting: Vec<&Open<'_>> = open
        .iter()
        .filter(|t| t.state == ConversationState::Queued)
        .collect();
    let oldest_wait_secs = waiting
        .iter()
        .map(|t| t.since)
        .min()
        .map(|since| (now - since).num_seconds().max(0));
    let is_online = |name: &str| online.iter().any(|seen| seen == name);
    let mut loads: BTreeMap<&str, Load> = BTreeMap::new();
    for account in accounts.iter().filter(|a| a.can_hold_threads()) {
        loads.insert(
            &account.username,
            Load {
                username: account.username.clone(),
                online: is_online(&account.username),
                open_threads: 0,
            },
        );
    }
    let held = open
        .iter()
        .filter(|t| t.state == ConversationState::Claimed)
        .filter_map(|t| t.claimed_by);
    for holder in held {
        loads
            .entry(holder)
            .or_insert_with(|| Load {
                username: holder.to_owned(),
                online: is_online(holder),
                open_threads: 0,
            })
            .open_threads += 1;
    }
    Now {
        waiting: waiting.len() as i64,
        waiting_urgent: waiting.iter().filter(|t| t.urgent).count() as i64,
        oldest_wait_secs,
        online: loads.values().filter(|l| l.online).count() as i64,
        colleagues: loads.into_values().collect(),
        at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;
    use chrono::TimeDelta;

    fn account(username: &str, role: Role, disabled: bool) -> Account {
        Account {
            id: 0,
            username: username.to_owned(),
            role,
            disabled,
        }
    }

    #[test]
    fn counts_the_waiting_the_oldest_wait_and_each_colleagues_threads() {
        // Monday 23 November 2026, 10:00 UTC.
        let now = DateTime::<Utc>::from_timestamp(1_795_428_000, 0).expect("time");
        let ago = |minutes| now - TimeDelta::minutes(minutes);
        let open = [
            Open {
                state: ConversationState::Queued,
                urgent: false,
                claimed_by: None,
                since: ago(5),
            },
            Open {
                state: ConversationState::Queued,
                urgent: true,
                claimed_by: None,
                since: ago(42),
            },
            Open {
                state: ConversationState::Claimed,
                urgent: false,
                claimed_by: Some("anna"),
                since: ago(90),
            },
            Open {
                state: ConversationState::Claimed,
                urgent: false,
                claimed_by: Some("anna"),
                since: ago(1),
            },
            // A thread held by an account disabled since: still counted.
            Open {
                state: ConversationState::Claimed,
                urgent: false,
                claimed_by: Some("oud"),
                since: ago(3),
            },
        ];
        let accounts = [
            account("anna", Role::Staff, false),
            account("bram", Role::Admin, false),
            account("eva", Role::Editor, false),
            account("oud", Role::Staff, true),
        ];
        let online = ["bram".to_owned(), "eva".to_owned()];
        let figures = snapshot(&open, &accounts, &online, now);
        assert_eq!(figures.waiting, 2);
        assert_eq!(figures.waiting_urgent, 1);
        assert_eq!(
            figures.oldest_wait_secs,
            Some(42 * 60),
            "a claimed thread is not waiting"
        );
        assert_eq!(figures.online, 1, "an editor does not work the queue");
        let loads: Vec<(&str, bool, i64)> = figures
            .colleagues
            .iter()
            .map(|l| (l.username.as_str(), l.online, l.open_threads))
            .collect();
        assert_eq!(
            loads,
            [("anna", false, 2), ("bram", true, 0), ("oud", false, 1)]
        );
        let quiet = snapshot(&[], &accounts, &[], now);
        assert_eq!((quiet.waiting, quiet.oldest_wait_secs), (0, None));
    }
}
