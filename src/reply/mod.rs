//! The reply decision: given one inbound message, what the conversation
//! knows so far, the opening hours and the time, decide what to send. Pure
//! and synchronous (no IO, no clock), so the server, `loket simulate` and
//! the tests run exactly the same code.
//!
//! Invariants: one acknowledgement per conversation per open or closed
//! period; the emergency referral goes out at once, at any hour; a promised
//! deadline is kept, not moved, while it lies in the future.

pub mod language;

use crate::config::{EmergencySettings, ReplyKey, ReplyTexts};
use crate::domain::{Language, MessageContent, OutgoingContent};
use crate::hours::{OpeningHours, wording::format_moment};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the decision needs from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct ReplyRules<'a> {
    pub hours: &'a OpeningHours,
    pub texts: &'a ReplyTexts,
    pub emergency: &'a EmergencySettings,
    pub organisation: &'a str,
}

/// What the decision needs to know of the conversation; the decision
/// returns the updated version, which the caller stores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationMemory {
    /// Language of the conversation so far (`None`: nothing clear yet).
    pub language: Option<Language>,
    /// Marked urgent by the emergency rule.
    pub urgent: bool,
    /// Start of the open/closed period in which we last acknowledged.
    pub ack_period_start: Option<DateTime<Utc>>,
    /// When a person promised to answer.
    pub reply_deadline: Option<DateTime<Utc>>,
}

/// Why a message is sent; stored with each outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    ClosedAck,
    OpenAck,
    Emergency,
    MarkRead,
}

impl ReplyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyKind::ClosedAck => "closed_ack",
            ReplyKind::OpenAck => "open_ack",
            ReplyKind::Emergency => "emergency",
            ReplyKind::MarkRead => "mark_read",
        }
    }
}

/// One message the bot will send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedReply {
    pub kind: ReplyKind,
    pub content: OutgoingContent,
}

/// The outcome for one inbound message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub language: Language,
    pub open: bool,
    pub next_opening: Option<DateTime<Utc>>,
    pub reply_deadline: Option<DateTime<Utc>>,
    pub urgent: bool,
    pub replies: Vec<PlannedReply>,
    /// The conversation as it is after this message.
    pub memory: ConversationMemory,
}

/// Decides what to send for `content`, received at `at`.
pub fn decide(
    content: &MessageContent,
    memory: &ConversationMemory,
    rules: ReplyRules<'_>,
    at: DateTime<Utc>,
) -> Decision {
    let text = content.text().unwrap_or_default();
    let language = language::detect(text)
        .or(memory.language)
        .unwrap_or_default();
    let period = rules.hours.current_period(at);
    let open = period.open;
    let next_opening = rules.hours.next_opening(at);
    let mut next = memory.clone();
    next.language = Some(language);
    let mut replies = Vec::new();

    // Reactions and system notices are not questions: nobody needs to answer them.
    let needs_answer = !matches!(
        content,
        MessageContent::Reaction { .. } | MessageContent::System { .. }
    );
    if !needs_answer {
        return Decision {
            language,
            open,
            next_opening,
            reply_deadline: memory.reply_deadline,
            urgent: memory.urgent,
            replies,
            memory: next,
        };
    }

    let reply_deadline = match memory.reply_deadline {
        Some(promised) if promised > at => Some(promised),
        _ => rules.hours.deadline(at),
    };
    next.reply_deadline = reply_deadline;

    let tz = rules.hours.timezone();
    let moment = |when: Option<DateTime<Utc>>| {
        when.map(|w| format_moment(w, at, tz, language))
            .unwrap_or_default()
    };
    let deadline_words = moment(reply_deadline);
    let opening_words = moment(next_opening);
    let values = [
        ("deadline", deadline_words.as_str()),
        ("next_opening", opening_words.as_str()),
        ("organisation", rules.organisation),
    ];

    if rules.emergency.matches(text) {
        if !memory.urgent {
            replies.push(PlannedReply {
                kind: ReplyKind::Emergency,
                content: OutgoingContent::Text {
                    body: rules.texts.render(ReplyKey::Emergency, language, &values),
                },
            });
        }
        next.urgent = true;
    }

    if memory.ack_period_start != Some(period.started_at) {
        let (kind, key) = if open {
            (ReplyKind::OpenAck, ReplyKey::OpenAck)
        } else {
            (ReplyKind::ClosedAck, ReplyKey::ClosedAck)
        };
        replies.push(PlannedReply {
            kind,
            content: OutgoingContent::Text {
                body: rules.texts.render(key, language, &values),
            },
        });
        next.ack_period_start = Some(period.started_at);
    }

    Decision {
        language,
        open,
        next_opening,
        reply_deadline,
        urgent: next.urgent,
        replies,
        memory: next,
    }
}
