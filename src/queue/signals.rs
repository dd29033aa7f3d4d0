//! What a thread signals to staff: whom it waits on and which deadline, if
//! any, still runs. Decided here once, from a thread's facts and the time,
//! for the queue list and the thread view alike (the reports count a
//! promise as met by the first staff reply too, see `report::rollup`).
//!
//! Rules (docs/staff.md, "Signals"):
//! - A thread waits on us when the citizen spoke last, or when nobody of
//!   ours answered since the hand-over; it waits on the citizen when staff
//!   (or the follow-up template) spoke after the citizen's last message.
//!   The bot's own acknowledgement at the hand-over is no answer: it
//!   promises one.
//! - The deadline applies only while the thread waits on us and stops at
//!   the first staff reply since the hand-over: a thread answered in time
//!   never turns late afterwards, whatever the citizen writes next.
//! - An urgent thread's deadline is the urgent promise (`[promise] urgent`,
//!   working time) from the hand-over; while the office is closed it is "as
//!   soon as possible" instead of a time. Other threads keep the moment
//!   promised to the citizen.

use crate::domain::ConversationState;
use crate::domain::thread::Summary;
use crate::hours::OpeningHours;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Whose turn it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitingOn {
    /// The citizen spoke last, or has had no answer since the hand-over.
    Us,
    /// Staff answered after the citizen's last message.
    Citizen,
}

/// A thread's signals as the staff page shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Signals {
    pub waiting_on: WaitingOn,
    /// The deadline that still runs: only while the thread waits on us and
    /// no staff reply came since the hand-over. `null` otherwise, and for
    /// an urgent thread while the office is closed.
    pub due: Option<DateTime<Utc>>,
    /// An urgent thread while the office is closed: answered "as soon as
    /// possible" ("zo snel mogelijk"), not by a clock time.
    pub as_soon_as_possible: bool,
    /// `due` has passed.
    pub late: bool,
}

/// What the decision needs to know of a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub state: ConversationState,
    pub urgent: bool,
    /// The hand-over (moved by a reopen).
    pub queued_at: Option<DateTime<Utc>>,
    /// The moment promised to the citizen.
    pub promised: Option<DateTime<Utc>>,
    /// The citizen's last message.
    pub last_citizen_at: DateTime<Utc>,
    /// The last staff message, or the follow-up template.
    pub last_answer_at: Option<DateTime<Utc>>,
    /// The first staff message since the hand-over.
    pub first_reply_at: Option<DateTime<Utc>>,
}

impl Facts {
    pub fn of(summary: &Summary) -> Facts {
        Facts {
            state: summary.state,
            urgent: summary.urgent,
            queued_at: summary.queued_at,
            promised: summary.deadline,
            last_citizen_at: summary.last_message_at,
            last_answer_at: summary.last_answer_at,
            first_reply_at: summary.first_reply_at,
        }
    }
}

/// The signals of a thread with `facts` at `now`.
pub fn decide(facts: &Facts, hours: &OpeningHours, now: DateTime<Utc>) -> Signals {
    let answered_since_handover = match (facts.last_answer_at, facts.queued_at) {
        (Some(answer), Some(queued)) => answer >= queued,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let citizen_spoke_last = facts
        .last_answer_at
        .is_none_or(|answer| facts.last_citizen_at > answer);
    let waiting_on = if citizen_spoke_last || !answered_since_handover {
        WaitingOn::Us
    } else {
        WaitingOn::Citizen
    };
    let open_thread = matches!(
        facts.state,
        ConversationState::Queued | ConversationState::Claimed
    );
    let runs = open_thread && waiting_on == WaitingOn::Us && facts.first_reply_at.is_none();
    if !runs {
        return Signals {
            waiting_on,
            due: None,
            as_soon_as_possible: false,
            late: false,
        };
    }
    let (due, as_soon_as_possible) = if facts.urgent {
        if hours.is_open(now) {
            let from = facts.queued_at.unwrap_or(facts.last_citizen_at);
            (hours.add_working_time(from, hours.urgent_promise()), false)
        } else {
            (None, true)
        }
    } else {
        (facts.promised, false)
    };
    Signals {
        waiting_on,
        due,
        as_soon_as_possible,
        late: due.is_some_and(|due| now > due),
    }
}

/// One listed thread's unread count and holder, for [`unread_total`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unread<'a> {
    /// Citizen messages after the reader last looked at the thread.
    pub count: i64,
    pub claimed_by: Option<&'a str>,
}

/// The count in the tab title: unread citizen messages in the threads
/// `me` holds. Threads still in the queue (or a colleague's) show their
/// own count in the list, but are not this person's to answer yet.
pub fn unread_total<'a>(threads: impl IntoIterator<Item = Unread<'a>>, me: &str) -> i64 {
    threads
        .into_iter()
        .filter(|thread| thread.claimed_by == Some(me))
        .map(|thread| thread.count.max(0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FixedClock};
    use chrono::{NaiveDate, TimeDelta, TimeZone};
    use chrono_tz::Europe::Amsterdam;

    /// Open Monday to Friday 08:30-17:00, a 4h promise, urgent 15m.
    fn hours() -> OpeningHours {
        let week = ["monday", "tuesday", "wednesday", "thursday", "friday"]
            .map(|day| format!("{day} = [\"08:30-17:00\"]\n"))
            .concat();
        let text = format!(
            "timezone = \"Europe/Amsterdam\"\n[week]\n{week}saturday = []\nsunday = []\n[promise]\nworking_time = \"4h\"\nurgent = \"15m\"\n[holidays]\nclosed = []\n"
        );
        OpeningHours::from_toml_str(&text, "hours.toml").expect("valid hours")
    }

    fn amsterdam(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        let local = NaiveDate::from_ymd_opt(2026, 12, day)
            .and_then(|d| d.and_hms_opt(hour, minute, 0))
            .expect("a date");
        Amsterdam
            .from_local_datetime(&local)
            .single()
            .expect("unambiguous")
            .with_timezone(&Utc)
    }

    /// Tuesday 8 December 2026, 10:00: a citizen was handed over and
    /// promised an answer by 14:00.
    fn queued_at_ten() -> Facts {
        let at = amsterdam(8, 10, 0);
        Facts {
            state: ConversationState::Queued,
            urgent: false,
            queued_at: Some(at),
            promised: Some(amsterdam(8, 14, 0)),
            last_citizen_at: at,
            last_answer_at: None,
            first_reply_at: None,
        }
    }

    #[test]
    fn a_thread_nobody_answered_waits_on_us_with_the_promised_deadline() {
        let clock = FixedClock::new(amsterdam(8, 11, 0));
        let signals = decide(&queued_at_ten(), &hours(), clock.now());
        assert_eq!(signals.waiting_on, WaitingOn::Us);
        assert_eq!(signals.due, Some(amsterdam(8, 14, 0)));
        assert!(!signals.late);
        clock.set(amsterdam(8, 14, 25));
        let signals = decide(&queued_at_ten(), &hours(), clock.now());
        assert!(signals.late, "{signals:?}");
    }

    #[test]
    fn the_deadline_stops_at_the_first_staff_reply_and_never_turns_late() {
        let clock = FixedClock::new(amsterdam(8, 11, 0));
        let mut facts = queued_at_ten();
        facts.state = ConversationState::Claimed;
        facts.last_answer_at = Some(amsterdam(8, 10, 30));
        facts.first_reply_at = Some(amsterdam(8, 10, 30));
        let signals = decide(&facts, &hours(), clock.now());
        assert_eq!(signals.waiting_on, WaitingOn::Citizen);
        assert_eq!(signals.due, None);
        // Long past the promised 14:00: still not late.
        clock.set(amsterdam(8, 16, 0));
        assert!(!decide(&facts, &hours(), clock.now()).late);
        // The citizen writes again: it waits on us, without a deadline.
        facts.last_citizen_at = amsterdam(8, 15, 0);
        let signals = decide(&facts, &hours(), clock.now());
        assert_eq!(signals.waiting_on, WaitingOn::Us);
        assert_eq!(signals.due, None);
        assert!(!signals.late);
    }

    #[test]
    fn the_bots_acknowledgement_is_no_answer_but_the_follow_up_is() {
        let clock = FixedClock::new(amsterdam(8, 11, 0));
        // Only the bot spoke since the hand-over: nothing of ours counts.
        let facts = queued_at_ten();
        assert_eq!(
            decide(&facts, &hours(), clock.now()).waiting_on,
            WaitingOn::Us
        );
        // An answer from before a reopen does not count either.
        let mut reopened = facts;
        reopened.last_answer_at = Some(amsterdam(7, 16, 0));
        reopened.last_citizen_at = amsterdam(7, 15, 0);
        let signals = decide(&reopened, &hours(), clock.now());
        assert_eq!(signals.waiting_on, WaitingOn::Us);
        assert_eq!(signals.due, Some(amsterdam(8, 14, 0)));
        // The follow-up template asked the citizen a question.
        let mut followed_up = facts;
        followed_up.last_answer_at = Some(amsterdam(8, 10, 45));
        assert_eq!(
            decide(&followed_up, &hours(), clock.now()).waiting_on,
            WaitingOn::Citizen
        );
    }

    #[test]
    fn an_urgent_thread_has_its_own_short_deadline_in_working_time() {
        let clock = FixedClock::new(amsterdam(8, 10, 5));
        let mut facts = queued_at_ten();
        facts.urgent = true;
        let signals = decide(&facts, &hours(), clock.now());
        assert_eq!(signals.due, Some(amsterdam(8, 10, 15)));
        assert!(!signals.as_soon_as_possible);
        clock.advance(TimeDelta::minutes(11));
        assert!(decide(&facts, &hours(), clock.now()).late);
        // Handed over at 16:55: five minutes today, ten tomorrow morning.
        let mut late_in_the_day = facts;
        late_in_the_day.queued_at = Some(amsterdam(8, 16, 55));
        clock.set(amsterdam(9, 8, 35));
        assert_eq!(
            decide(&late_in_the_day, &hours(), clock.now()).due,
            Some(amsterdam(9, 8, 40))
        );
    }

    #[test]
    fn an_urgent_thread_while_closed_is_as_soon_as_possible_not_a_time() {
        let clock = FixedClock::new(amsterdam(8, 22, 0));
        let mut facts = queued_at_ten();
        facts.urgent = true;
        facts.queued_at = Some(amsterdam(8, 21, 50));
        facts.last_citizen_at = amsterdam(8, 21, 50);
        let signals = decide(&facts, &hours(), clock.now());
        assert!(signals.as_soon_as_possible);
        assert_eq!(signals.due, None);
        assert!(!signals.late);
    }

    #[test]
    fn closed_and_bot_threads_have_no_deadline() {
        let clock = FixedClock::new(amsterdam(8, 16, 0));
        for state in [ConversationState::Closed, ConversationState::Bot] {
            let mut facts = queued_at_ten();
            facts.state = state;
            let signals = decide(&facts, &hours(), clock.now());
            assert_eq!((signals.due, signals.late), (None, false), "{state:?}");
        }
    }

    #[test]
    fn the_tab_title_counts_unread_messages_in_my_threads_only() {
        let threads = [
            Unread {
                count: 2,
                claimed_by: Some("ilse"),
            },
            Unread {
                count: 5,
                claimed_by: None,
            },
            Unread {
                count: 3,
                claimed_by: Some("anna"),
            },
            Unread {
                count: 1,
                claimed_by: Some("ilse"),
            },
        ];
        assert_eq!(unread_total(threads, "ilse"), 3);
        assert_eq!(unread_total(threads, "anna"), 3);
        assert_eq!(unread_total(threads, "bram"), 0);
    }
}
