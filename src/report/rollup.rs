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
//!   citizen answered "Ja, bedankt" to "did this help?" (the bot's thanks
//!   is the record of it) and asked nothing after, or has been quiet for
//!   `[report] settle_after` (1 hour by default): then "in one go" when the
//!   citizen asked one question (taps on buttons or list rows and reactions
//!   are not questions), else "after a longer exchange". Before that it is
//!   "in progress".
//! - Channel: the conversation's own (`whatsapp` or `web`), one row per
//!   day and channel, so the tables stay anonymous counts.
//! - Waiting time: from the first hand-over to the first staff reply,
//!   counting only office-hours time (a Friday 16:50 question answered on
//!   Monday 09:10 waited 50 minutes).
//! - Handling time: from the first claim to the close, summed over the
//!   cycles of a reopened conversation.
//! - Deadline: the promised moment is the stored one, except for urgent
//!   threads: for them it is `[promise] urgent` of working time from the
//!   first hand-over, the deadline the staff page shows them. A promise is
//!   "met" when the first staff reply came at or before that moment, "missed" when it came later or the moment
//!   passed without a reply; a thread closed without any staff reply (spam,
//!   "never mind") is not counted.
//!
//! An entry is recomputed on every rollup while its conversation exists,
//! so figures of recent days move as conversations go on; the entry last
//! stored when the purge deletes the conversation is final.

use crate::domain::{Channel, ConversationState};
use crate::hours::OpeningHours;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

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
    pub channel: Channel,
    /// Handed over as urgent (an emergency, domestic violence).
    pub urgent: bool,
    /// `conversations.queued_at` (moved by a reopen; the first `queued`
    /// step wins when there is one).
    pub queued_at: Option<DateTime<Utc>>,
    pub first_staff_reply_at: Option<DateTime<Utc>>,
    pub reply_deadline: Option<DateTime<Utc>>,
    pub close_topic: Option<String>,
    /// The citizen's last message.
    pub last_inbound_at: DateTime<Utc>,
    /// The bot's last thanks for a "Ja, bedankt" (how that answer is
    /// recorded: a `feedback_thanks` message in the outbox).
    pub thanked_at: Option<DateTime<Utc>>,
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
    /// `[report] settle_after` of quiet.
    pub fn from_settings(settings: &crate::config::Settings) -> Rollup {
        Rollup {
            hours: settings.hours.clone(),
            settle_after: TimeDelta::from_std(settings.report.settle_after.0)
                .unwrap_or(TimeDelta::hours(1)),
        }
    }

    /// Whether a conversation only the bot handled has settled at `now`:
    /// the citizen said "Ja, bedankt" to their last question, or has been
    /// quiet for `settle_after`.
    pub fn settled(&self, facts: &Facts, now: DateTime<Utc>) -> bool {
        let thanked_last = facts
            .thanked_at
            .is_some_and(|thanked| thanked >= facts.last_inbound_at);
        thanked_last || now - facts.last_inbound_at >= self.settle_after
    }

    /// The moment a handed-over thread was promised an answer by: the
    /// stored promise, or for an urgent thread the urgent promise in
    /// working time from the hand-over (as the staff page shows it).
    fn promised(&self, facts: &Facts, queued: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        match (facts.urgent, queued) {
            (true, Some(queued)) => self
                .hours
                .add_working_time(queued, self.hours.urgent_promise()),
            _ => facts.reply_deadline,
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
        } else if !self.settled(facts, now) {
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
        let deadline_met = match (handed_over, self.promised(facts, first_queued)) {
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
            channel: facts.channel.as_str().to_owned(),
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
            channel: Channel::Whatsapp,
            urgent: false,
            queued_at: None,
            first_staff_reply_at: None,
            reply_deadline: None,
            close_topic: None,
            last_inbound_at: created,
            thanked_at: None,
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

    /// The shipped default: settled after an hour of quiet.
    fn hourly() -> Rollup {
        Rollup {
            settle_after: TimeDelta::hours(1),
            ..rollup()
        }
    }

    #[test]
    fn a_thanks_settles_at_once_and_silence_after_settle_after() {
        let asked = local(23, 10, 0);
        let facts = bot(asked, 1);
        // Silent 59 minutes: still going; 61 minutes: settled by the bot.
        let at_59 = hourly().entry(&facts, asked + TimeDelta::minutes(59));
        assert_eq!(at_59.outcome, Outcome::InProgress);
        let at_61 = hourly().entry(&facts, asked + TimeDelta::minutes(61));
        assert_eq!(at_61.outcome, Outcome::BotOneGo);
        // "Ja, bedankt" a minute after the answer: settled there and then.
        let thanked = Facts {
            last_inbound_at: asked + TimeDelta::minutes(1),
            thanked_at: Some(asked + TimeDelta::minutes(1)),
            ..facts.clone()
        };
        let now = asked + TimeDelta::minutes(2);
        assert_eq!(hourly().entry(&thanked, now).outcome, Outcome::BotOneGo);
        // A new question after the thanks: going again until it settles.
        let asked_again = Facts {
            last_inbound_at: asked + TimeDelta::minutes(5),
            questions: 2,
            ..thanked
        };
        let now = asked + TimeDelta::minutes(6);
        assert_eq!(
            hourly().entry(&asked_again, now).outcome,
            Outcome::InProgress
        );
        assert_eq!(
            hourly()
                .entry(&asked_again, now + TimeDelta::hours(1))
                .outcome,
            Outcome::BotExchange
        );
    }

    #[test]
    fn urgent_threads_are_judged_by_the_urgent_promise() {
        // Monday 23 November 10:00, open: the normal promise is 4 working
        // hours, the urgent one 15 minutes (config/hours.toml).
        let queued = local(23, 10, 0);
        let hours = &rollup().hours;
        let normal = hours.deadline(queued).expect("deadline");
        let facts = Facts {
            state: ConversationState::Claimed,
            queued_at: Some(queued),
            reply_deadline: Some(normal),
            first_staff_reply_at: Some(queued + TimeDelta::minutes(30)),
            steps: vec![(queued, Step::Queued)],
            ..bot(queued, 1)
        };
        let now = queued + TimeDelta::hours(1);
        assert_eq!(rollup().entry(&facts, now).deadline_met, Some(true));
        let urgent = Facts {
            urgent: true,
            ..facts.clone()
        };
        assert_eq!(
            rollup().entry(&urgent, now).deadline_met,
            Some(false),
            "30 minutes is late for a 15-minute promise"
        );
        let quick = Facts {
            first_staff_reply_at: Some(queued + hours.urgent_promise()),
            ..urgent.clone()
        };
        assert_eq!(rollup().entry(&quick, now).deadline_met, Some(true));
        // Unanswered: missed once the urgent moment passed, not the normal one.
        let waiting = Facts {
            first_staff_reply_at: None,
            ..urgent
        };
        let just_after = queued + hours.urgent_promise() + TimeDelta::minutes(1);
        assert_eq!(
            rollup().entry(&waiting, just_after).deadline_met,
            Some(false)
        );
        // Queued on Saturday night: the 15 minutes run from Monday's opening.
        let night = local(21, 23, 0);
        let weekend = Facts {
            queued_at: Some(night),
            steps: vec![(night, Step::Queued)],
            first_staff_reply_at: Some(local(23, 8, 40)),
            ..waiting
        };
        assert_eq!(
            rollup().entry(&weekend, local(23, 9, 0)).deadline_met,
            Some(true)
        );
    }

    #[test]
    fn the_entry_carries_the_conversations_channel() {
        let web = Facts {
            channel: Channel::Web,
            ..bot(local(23, 10, 0), 1)
        };
        assert_eq!(rollup().entry(&web, local(23, 11, 0)).channel, "web");
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
