//! The once-per-conversation privacy warning. Without a knowledge base
//! every question goes to a person, which keeps these tests about the
//! warning alone. All numbers are fictional.

use super::*;
use crate::config::Settings;
use crate::domain::MediaKind;
use chrono::TimeZone;
use std::path::Path;

pub(super) fn settings() -> Settings {
    Settings::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config"))
        .expect("shipped config loads")
}

/// Saturday 21 November 2026, 22:15 in Amsterdam (21:15 UTC): closed.
fn saturday_night() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 21, 15, 0)
        .single()
        .expect("valid time")
}

pub(super) fn text(body: &str) -> MessageContent {
    MessageContent::Text {
        body: body.to_owned(),
    }
}

pub(super) fn kinds(decision: &Decision) -> Vec<ReplyKind> {
    decision.replies.iter().map(|r| r.kind).collect()
}

fn body(reply: &PlannedReply) -> &str {
    match &reply.content {
        OutgoingContent::Text { body } => body,
        _ => "",
    }
}

#[test]
fn personal_data_gets_the_warning_first_and_then_the_usual_reply() {
    let settings = settings();
    let rules = ReplyRules::from_settings(&settings, None);
    let message = text("Mijn bsn is 111222333, waarom is mijn uitkering nog niet betaald?");
    let decision = decide(
        &message,
        &ConversationMemory::default(),
        rules,
        saturday_night(),
    );
    assert_eq!(
        kinds(&decision),
        vec![ReplyKind::PrivacyWarning, ReplyKind::ClosedAck]
    );
    assert!(body(&decision.replies[0]).contains("BSN"), "{decision:?}");
    assert!(body(&decision.replies[0]).starts_with("Let op"));
    assert!(decision.memory.privacy_warned);
}

#[test]
fn the_warning_is_sent_once_per_conversation() {
    let settings = settings();
    let rules = ReplyRules::from_settings(&settings, None);
    let first = decide(
        &text("mijn iban is NL91ABNA0417164300"),
        &ConversationMemory::default(),
        rules,
        saturday_night(),
    );
    assert!(kinds(&first).contains(&ReplyKind::PrivacyWarning));
    let second = decide(
        &text("en mijn telefoon is 06-12345678"),
        &first.memory,
        rules,
        saturday_night(),
    );
    assert!(
        !kinds(&second).contains(&ReplyKind::PrivacyWarning),
        "{second:?}"
    );
    assert!(second.memory.privacy_warned);
}

#[test]
fn a_message_without_personal_data_gets_no_warning() {
    let settings = settings();
    let rules = ReplyRules::from_settings(&settings, None);
    for message in [
        "Wanneer wordt het grofvuil opgehaald in 1234 AB?",
        "Mijn bsn is 111222334",
        "afspraak op 21-11-2026 om 10:00",
    ] {
        let decision = decide(
            &text(message),
            &ConversationMemory::default(),
            rules,
            saturday_night(),
        );
        assert!(
            !kinds(&decision).contains(&ReplyKind::PrivacyWarning),
            "{message}: {decision:?}"
        );
        assert!(!decision.memory.privacy_warned);
    }
}

#[test]
fn the_warning_is_in_the_citizens_language() {
    let settings = settings();
    let rules = ReplyRules::from_settings(&settings, None);
    let decision = decide(
        &text("Hello, my bank account is GB82WEST12345698765432, why was my benefit not paid?"),
        &ConversationMemory::default(),
        rules,
        saturday_night(),
    );
    assert_eq!(decision.language, Language::En);
    assert!(
        body(&decision.replies[0]).starts_with("Please note"),
        "{decision:?}"
    );
}

pub(super) fn shipped_knowledge() -> crate::knowledge::base::KnowledgeBase {
    crate::knowledge::base::KnowledgeBase::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
    )
    .expect("shipped knowledge loads")
}

/// The urgent referral goes first, names the number, and says honestly
/// when a person reads the message: at night, only at the next opening.
#[test]
fn an_emergency_referral_still_goes_first_and_promises_nothing_false() {
    let settings = settings();
    let knowledge = shipped_knowledge();
    let rules = ReplyRules::from_settings(&settings, Some(&knowledge));
    let decision = decide(
        &text("help er is brand in de flat! bel me op 06-12345678"),
        &ConversationMemory::default(),
        rules,
        saturday_night(),
    );
    assert_eq!(
        kinds(&decision)[..2],
        [ReplyKind::Emergency, ReplyKind::PrivacyWarning],
        "{decision:?}"
    );
    let referral = body(&decision.replies[0]);
    assert!(referral.contains("112"), "{referral}");
    assert!(referral.contains("maandag"), "{referral}");
    assert!(
        !referral.contains("doorgezet naar een medewerker"),
        "{referral}"
    );
    assert!(decision.urgent);
    assert_eq!(decision.handover, Some(HandoverReason::Emergency));
    // No second acknowledgement in the same period.
    assert!(
        !kinds(&decision).contains(&ReplyKind::ClosedAck),
        "{decision:?}"
    );
}

#[test]
fn a_photo_caption_with_personal_data_gets_the_warning() {
    let settings = settings();
    let rules = ReplyRules::from_settings(&settings, None);
    let photo = MessageContent::Media {
        media: MediaKind::Image,
        media_id: Some("1234".to_owned()),
        mime_type: Some("image/jpeg".to_owned()),
        caption: Some("mijn pas, bsn 1112.22.333".to_owned()),
        filename: None,
        voice: false,
    };
    let decision = decide(
        &photo,
        &ConversationMemory::default(),
        rules,
        saturday_night(),
    );
    assert_eq!(kinds(&decision)[0], ReplyKind::PrivacyWarning);
}

#[test]
fn a_memory_stored_before_the_flag_existed_still_loads() {
    let stored = r#"{"language":"nl","urgent":false,"ack_period_start":null}"#;
    let memory: ConversationMemory = serde_json::from_str(stored).expect("old memory loads");
    assert!(!memory.privacy_warned);
}

#[test]
fn personal_data_does_not_spoil_the_faq_answer() {
    let settings = settings();
    let knowledge = crate::knowledge::base::KnowledgeBase::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
    )
    .expect("shipped knowledge loads");
    let rules = ReplyRules::from_settings(&settings, Some(&knowledge));
    let decision = decide(
        &text("Hoi, mijn iban is nl91 abna 0417 1643 00, wanneer wordt mijn uitkering betaald?"),
        &ConversationMemory::default(),
        rules,
        saturday_night(),
    );
    assert_eq!(
        kinds(&decision)[..2],
        [ReplyKind::PrivacyWarning, ReplyKind::FaqAnswer],
        "{decision:?}"
    );
}
