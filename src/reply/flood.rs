//! What a message over the flood limit (`[privacy] auto_replies_per_minute`)
//! gets: the bot's automatic replies are withheld, but the citizen is never
//! hidden from staff. The conversation is handed to a person, with the
//! reason the bot found or else [`HandoverReason::Flood`], which the staff
//! page shows; a conversation already with a person keeps its reason.
//!
//! The one reply that still goes out is the emergency referral: it is sent
//! at most once per conversation, so it cannot be used to make the bot
//! send more, and a citizen in a crisis may well write many short messages.

use super::{ConversationMemory, Decision, HandoverReason, ReplyKind, ReplyRules};
use chrono::{DateTime, Utc};

/// `decided` (the bot's decision for a message over the limit, from
/// memory `before`, at `at`) as the flood rule lets it through: no replies
/// but an emergency referral, no answers counted, the conversation handed
/// over. The memory keeps what the withheld replies would have changed as
/// it was (no acknowledgement, warning, question or answer went out, so
/// they are still to come), and takes what staff need to know of the
/// message: its language and urgency.
pub fn withheld(
    decided: Decision,
    before: &ConversationMemory,
    rules: ReplyRules<'_>,
    at: DateTime<Utc>,
) -> Decision {
    let replies: Vec<_> = decided
        .replies
        .into_iter()
        .filter(|reply| reply.kind == ReplyKind::Emergency)
        .collect();
    let reason = decided.handover.unwrap_or(HandoverReason::Flood);
    let mut memory = before.clone();
    memory.language = decided.memory.language;
    memory.urgent = decided.memory.urgent;
    if !replies.is_empty() {
        // The referral says when a person reads the message.
        memory.ack_period_start = decided.memory.ack_period_start;
    }
    memory.handover_reason.get_or_insert(reason);
    // Nothing was asked, so no postcode or "did this help?" is awaited.
    memory.awaiting_postcode = None;
    memory.feedback_for = None;
    if !matches!(memory.reply_deadline, Some(promised) if promised > at) {
        memory.reply_deadline = rules.hours.deadline(at);
    }
    Decision {
        language: decided.language,
        open: decided.open,
        next_opening: decided.next_opening,
        reply_deadline: memory.reply_deadline,
        urgent: memory.urgent,
        replies,
        handover: Some(reason),
        // Not asked on the citizen's behalf: no knowledge gap, no usage.
        faq: None,
        usage: Vec::new(),
        memory,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::base::KnowledgeBase;
    use crate::reply::decide;
    use crate::reply::tests::{kinds, settings, shipped_knowledge, text};
    use chrono::TimeZone;

    /// Tuesday 24 November 2026, 10:00 in Amsterdam (09:00 UTC): open.
    fn tuesday_morning() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
            .single()
            .expect("valid time")
    }

    /// What the bot decides for `message` after `before` on Tuesday
    /// morning, and what the flood rule lets through of it.
    fn decided_and_withheld(
        message: &str,
        before: &ConversationMemory,
        knowledge: Option<&KnowledgeBase>,
    ) -> (Decision, Decision) {
        let settings = settings();
        let rules = ReplyRules::from_settings(&settings, knowledge);
        let at = tuesday_morning();
        let decided = decide(&text(message), before, rules, at);
        let flooded = withheld(decided.clone(), before, rules, at);
        (decided, flooded)
    }

    #[test]
    fn a_reply_over_the_limit_is_withheld_and_a_person_gets_the_conversation() {
        // "Ja" to "did this help?": the bot would thank and keep it.
        let before = ConversationMemory {
            feedback_for: Some("nl/paspoort".to_owned()),
            ..ConversationMemory::default()
        };
        let (decided, flooded) = decided_and_withheld("ja", &before, None);
        assert_eq!(kinds(&decided), [ReplyKind::FeedbackThanks]);
        assert_eq!(decided.handover, None);

        assert!(flooded.replies.is_empty(), "{flooded:?}");
        assert!(flooded.usage.is_empty(), "{flooded:?}");
        assert_eq!(flooded.handover, Some(HandoverReason::Flood));
        assert_eq!(flooded.memory.handover_reason, Some(HandoverReason::Flood));
        assert_eq!(flooded.memory.feedback_for, None);
        assert!(
            flooded
                .reply_deadline
                .is_some_and(|d| d > tuesday_morning()),
            "staff get a deadline: {flooded:?}"
        );
    }

    #[test]
    fn the_bots_own_reason_is_kept_and_its_acknowledgement_is_still_due() {
        // Without a knowledge base every question goes to a person.
        let before = ConversationMemory::default();
        let (decided, flooded) =
            decided_and_withheld("waarom is mijn uitkering laat", &before, None);
        assert_eq!(kinds(&decided), [ReplyKind::OpenAck]);

        assert!(flooded.replies.is_empty(), "{flooded:?}");
        assert_eq!(flooded.handover, Some(HandoverReason::NoAnswer));
        // The acknowledgement did not go out: the next message after the
        // flood may still send it.
        assert_eq!(flooded.memory.ack_period_start, None);
        let (later, _) = decided_and_withheld("hallo?", &flooded.memory, None);
        assert_eq!(kinds(&later), [ReplyKind::OpenAck]);
    }

    #[test]
    fn a_conversation_already_with_a_person_keeps_its_reason() {
        let before = ConversationMemory {
            handover_reason: Some(HandoverReason::Media),
            ..ConversationMemory::default()
        };
        let (_, flooded) = decided_and_withheld("nog een vraag", &before, None);
        assert_eq!(flooded.handover, Some(HandoverReason::Media));
        assert_eq!(flooded.memory.handover_reason, Some(HandoverReason::Media));
    }

    #[test]
    fn the_emergency_referral_still_goes_out_and_nothing_else() {
        let knowledge = shipped_knowledge();
        let (decided, flooded) = decided_and_withheld(
            "help er is brand in de flat! bel me op 06-12345678",
            &ConversationMemory::default(),
            Some(&knowledge),
        );
        assert!(kinds(&decided).len() > 1, "{decided:?}");

        assert_eq!(kinds(&flooded), [ReplyKind::Emergency]);
        assert!(flooded.urgent);
        assert_eq!(flooded.handover, Some(HandoverReason::Emergency));
        // The privacy warning was withheld, so it is still to come.
        assert!(!flooded.memory.privacy_warned);
    }
}
