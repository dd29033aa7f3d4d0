//! What one conversation adds to the anonymous daily figures. Pure: the
//! facts of a conversation and the moment of the rollup in, an [`Entry`]
//! out; `db::reports` stores entries and keeps the day tables in step.
//!
//! Rules (the issue left these open; they are documented in the README):
//! - A conversation counts on the Amsterdam day it *started*, with every
//!   figure (outcome, waiting time, handling time, topic): a day's row says
//!   what became of the contacts of that day.
//! - Outcome: handed to a person as soon as it was ever queued (that cannot
//!   be undone). A conversation only the bot handled is settled once the
//!   citizen has been quiet for `settle_after` (the reopen window, 24h by
//!   default): then "in one go" when the citizen asked one question (taps on
//!   buttons or list rows and reactions are not questions), else "after a
//!   longer exchange". Before that it is "in progress".
//! - Waiting time: from the first hand-over to the first staff reply,
//!   counting only office-hours time (a Friday 16:50 question answered on
//!   Monday 09:10 waited 50 minutes).
//! - Handling time: from the first claim to the close, summed over the
//!   cycles of a reopened conversation.
//! - Deadline: a promise is "met" when the first staff reply came at or
//!   before the promised moment, "missed" when it came later or the moment
//!   passed without a reply; a thread closed without any staff reply (spam,
//!   "never mind") is not counted.
//!
//! An entry is recomputed on every rollup while its conversation exists,
//! so figures of recent days move as conversations go on; the entry last
//! stored when the purge deletes the conversation is final.

use crate::domain::ConversationState;
use crate::hours::OpeningHours;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// The only channel today; stored per row so another channel can join.
pub const WHATSAPP: &str = "whatsapp";

/// Longest topic kept; the staff API accepts 80 characters.
const TOPIC_CHARS: usize = 80;

/// What became of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    BotOneGo,
    BotExchange,
    HandedOver,
    InProgress,
}

/// One conversation's contribution to the figures. Stored as JSON on the
/// conversation row (and deleted with it), so the next rollup can take it
/// back out before adding the new one: running twice never counts twice.
/// It holds nothing about the citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub day: NaiveDate,
    pub channel: String,
    pub outside_hours: bool,
    pub outcome: Outcome,
    /// `Some(true)`: answered by the promised moment; `Some(false)`: not;
    /// `None`: nothing promised, or the moment has not come yet.
    pub deadline_met: Option<bool>,
    /// Office-hours seconds from hand-over to the first staff reply.
    pub first_reply_secs: Option<i64>,
    /// Seconds from claim to close.
    pub handling_secs: Option<i64>,
    /// The topic given at close (masked, lower case).
    pub topic: Option<String>,
}

/// A state change that matters for the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Queued,
    Claimed,
    Closed,
}

impl Step {
    /// The `conversation_events.kind` values that are steps.
    pub const KINDS: [&'static str; 3] = ["queued", "claimed", "closed"];

    pub fn parse(kind: &str) -> Option<Step> {
        match kind {
            "queued" => Some(Step::Queued),
            "claimed" => Some(Step::Claimed),
            "closed" => Some(Step::Closed),
            _ => None,
        }
    }
}

/// What the rollup reads of one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub created_at: DateTime<Utc>,
    pub state: ConversationState,
    /// `conversations.queued_at` (moved by a reopen; the first `queued`
    /// step wins when there is one).
    pub queued_at: Option<DateTime<Utc>>,
    pub first_staff_reply_at: Option<DateTime<Utc>>,
    pub reply_deadline: Option<DateTime<Utc>>,
    pub close_topic: Option<String>,
    /// The citizen's last message.
    pub last_inbound_at: DateTime<Utc>,
    /// Messages from the citizen that were not a tap or a reaction.
    pub questions: i64,
    /// Steps in the order they happened.
    pub steps: Vec<(DateTime<Utc>, Step)>,
}

/// How conversations become entries.
#[derive(Debug, Clone)]
pub struct Rollup {
    pub hours: OpeningHours,
    /// A bot-only conversation is settled after this much quiet.
    pub settle_after: TimeDelta,
}

impl Rollup {
    /// Office hours from `hours.toml`; a bot conversation settles after
    /// `[queue] reopen_within`, the same quiet after which a citizen's
    /// next message counts as a new contact with staff.
    pub fn from_settings(settings: &crate::config::Settings) -> Rollup {
        Rollup {
            hours: settings.hours.clone(),
            settle_after: TimeDelta::from_std(settings.queue.reopen_within.0)
                .unwrap_or(TimeDelta::hours(24)),
        }
    }

    /// The entry of one conversation as things stand at `now`.
    pub fn entry(&self, facts: &Facts, now: DateTime<Utc>) -> Entry {
        let tz = self.hours.timezone();
        let first_queued = facts
            .steps
            .iter()
            .find(|(_, step)| *step == Step::Queued)
            .map(|(at, _)| *at)
            .or(facts.queued_at);
        let handed_over = facts.state != ConversationState::Bot || first_queued.is_some();
        let outcome = if handed_over {
            Outcome::HandedOver
        } else if now - facts.last_inbound_at < self.settle_after {
            Outcome::InProgress
        } else if facts.questions <= 1 {
            Outcome::BotOneGo
        } else {
            Outcome::BotExchange
        };
        let first_reply_secs = match (first_queued, facts.first_staff_reply_at) {
            (Some(queued), Some(reply)) => {
                Some(self.hours.working_time_between(queued, reply).num_seconds())
            }
            _ => None,
        };
        let deadline_met = match (handed_over, facts.reply_deadline) {
            (true, Some(deadline)) => match facts.first_staff_reply_at {
                Some(reply) => Some(reply <= deadline),
                None if facts.state == ConversationState::Closed => None,
                None if now > deadline => Some(false),
                None => None,
            },
            _ => None,
        };
        let topic = match (facts.state, &facts.close_topic) {
            (ConversationState::Closed, Some(topic)) => clean_topic(topic),
            _ => None,
        };
        Entry {
            day: facts.created_at.with_timezone(&tz).date_naive(),
            channel: WHATSAPP.to_owned(),
            outside_hours: !self.hours.is_open(facts.created_at),
            outcome,
            deadline_met,
            first_reply_secs,
            handling_secs: handling(&facts.steps).map(|d| d.num_seconds()),
            topic,
        }
    }
}

/// Claim to close, summed over the cycles of a reopened conversation.
/// `None` until a claimed thread has been closed.
fn handling(steps: &[(DateTime<Utc>, Step)]) -> Option<TimeDelta> {
    let mut total: Option<TimeDelta> = None;
    let mut claimed: Option<DateTime<Utc>> = None;
    for (at, step) in steps {
        match step {
            // A transfer or a second claim after a release does not restart the clock.
            Step::Claimed => {
                claimed.get_or_insert(*at);
            }
            Step::Closed => {
                if let Some(start) = claimed.take() {
                    total = Some(total.unwrap_or_default() + (*at - start));
                }
            }
            Step::Queued => {}
        }
    }
    total
}

/// Topics are typed by staff: mask anything that looks like personal data,
/// show invisible formatting, and group "Paspoort" with "paspoort".
fn clean_topic(topic: &str) -> Option<String> {
    let masked = crate::privacy::pii::mask(topic.trim()).to_lowercase();
    let masked = crate::privacy::for_staff(&masked);
    let short: String = masked.chars().take(TOPIC_CHARS).collect();
    (!short.is_empty()).then_some(short)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Amsterdam;

    fn local(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Amsterdam
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .expect("valid time")
    }

    fn rollup() -> Rollup {
        let text = include_str!("../../config/hours.toml");
        Rollup {
            hours: OpeningHours::from_toml_str(text, "config/hours.toml").expect("hours"),
            settle_after: TimeDelta::hours(24),
        }
    }

    fn bot(created: DateTime<Utc>, questions: i64) -> Facts {
        Facts {
            created_at: created,
            state: ConversationState::Bot,
            queued_at: None,
            first_staff_reply_at: None,
            reply_deadline: None,
            close_topic: None,
            last_inbound_at: created,
            questions,
            steps: Vec::new(),
        }
    }

    #[test]
    fn a_bot_conversation_settles_after_a_quiet_day() {
        // Monday 23 November 2026, 10:00: open.
        let facts = bot(local(23, 10, 0), 1);
        let soon = rollup().entry(&facts, local(23, 12, 0));
        assert_eq!(soon.outcome, Outcome::InProgress);
        assert!(!soon.outside_hours);
        let later = rollup().entry(&facts, local(24, 10, 0));
        assert_eq!(later.outcome, Outcome::BotOneGo);
        assert_eq!(
            later.day,
            NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
        );
        let chatty = rollup().entry(&bot(local(23, 10, 0), 3), local(25, 0, 0));
        assert_eq!(chatty.outcome, Outcome::BotExchange);
    }

    #[test]
    fn the_day_is_the_amsterdam_day_and_night_is_outside_hours() {
        // Sunday 22 November 00:30 in Amsterdam is still Saturday in UTC.
        let entry = rollup().entry(&bot(local(22, 0, 30), 1), local(25, 0, 0));
        assert_eq!(
            entry.day,
            NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
        );
        assert!(entry.outside_hours);
    }

    #[test]
    fn a_handed_over_thread_measures_office_time_handling_and_the_deadline() {
        // Queued Friday 27 November 16:50, answered Monday 30 November 09:10.
        let queued = local(27, 16, 50);
        let facts = Facts {
            state: ConversationState::Closed,
            queued_at: Some(local(30, 9, 0)), // moved by a reopen: the step wins
            first_staff_reply_at: Some(local(30, 9, 10)),
            reply_deadline: rollup().hours.deadline(queued),
            close_topic: Some("  Paspoort ".to_owned()),
            steps: vec![
                (queued, Step::Queued),
                (local(30, 9, 0), Step::Claimed),
                (local(30, 9, 30), Step::Closed),
                (local(30, 10, 0), Step::Claimed),
                (local(30, 10, 5), Step::Closed),
            ],
            ..bot(queued, 1)
        };
        let entry = rollup().entry(&facts, local(30, 12, 0));
        assert_eq!(entry.outcome, Outcome::HandedOver);
        assert_eq!(entry.first_reply_secs, Some(50 * 60));
        assert_eq!(entry.handling_secs, Some(35 * 60));
        assert_eq!(entry.deadline_met, Some(true));
        assert_eq!(entry.topic.as_deref(), Some("paspoort"));
    }

    #[test]
    fn a_missed_promise_counts_once_the_moment_has_passed() {
        let queued = local(23, 10, 0);
        let deadline = rollup().hours.deadline(queued).expect("deadline");
        let facts = Facts {
            state: ConversationState::Queued,
            queued_at: Some(queued),
            reply_deadline: Some(deadline),
            steps: vec![(queued, Step::Queued)],
            ..bot(queued, 1)
        };
        let before = rollup().entry(&facts, deadline - TimeDelta::minutes(1));
        assert_eq!(before.deadline_met, None);
        let after = rollup().entry(&facts, deadline + TimeDelta::minutes(1));
        assert_eq!(after.deadline_met, Some(false));
        let late = Facts {
            first_staff_reply_at: Some(deadline + TimeDelta::seconds(1)),
            ..facts.clone()
        };
        assert_eq!(rollup().entry(&late, deadline).deadline_met, Some(false));
        let closed_unanswered = Facts {
            state: ConversationState::Closed,
            ..facts
        };
        assert_eq!(
            rollup()
                .entry(&closed_unanswered, deadline + TimeDelta::days(1))
                .deadline_met,
            None
        );
    }

    #[test]
    fn topics_are_masked() {
        let topic = clean_topic("bsn 111222333 van 06-12345678").expect("topic");
        assert!(
            !topic.contains("111222333") && !topic.contains("12345678"),
            "{topic}"
        );
        assert_eq!(clean_topic("   "), None);
    }
}
