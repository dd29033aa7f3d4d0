//! The reply decision: given one inbound message, what the conversation
//! knows so far, the opening hours and the time, decide what to send. Pure
//! and synchronous (no IO, no clock), so the server, `loket simulate` and
//! the tests run exactly the same code.
//!
//! Invariants: one acknowledgement per conversation per open or closed
//! period; the emergency referral goes out at once, at any hour; a promised
//! deadline is kept, not moved, while it lies in the future.

/// Language detection lives with the languages, in `domain`; this path
/// stays for the callers that know it here.
pub use crate::domain::language;

pub mod flood;

use crate::config::{EmergencySettings, FaqSettings, ReplyKey, ReplyTexts, Settings};
use crate::domain::{
    InteractiveKind, Language, ListRow, MessageContent, OutgoingContent, ReplyButton,
};
use crate::hours::{OpeningHours, wording::format_moment};
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::compose::{Composed, compose};
use crate::knowledge::search::Hit;
use crate::knowledge::triage::{HandOver, Outcome, Triaged, triage};
use crate::knowledge::usage::{FaqUse, UseEvent};
use crate::knowledge::{Entry, FaqId, extract_postcode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the decision needs from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct ReplyRules<'a> {
    pub hours: &'a OpeningHours,
    pub texts: &'a ReplyTexts,
    pub emergency: &'a EmergencySettings,
    pub organisation: &'a str,
    pub faq: &'a FaqSettings,
    /// `None` when no knowledge base is loaded: every question goes to a person.
    pub knowledge: Option<&'a KnowledgeBase>,
}

impl<'a> ReplyRules<'a> {
    /// The rules of the loaded configuration and knowledge base.
    pub fn from_settings(settings: &'a Settings, knowledge: Option<&'a KnowledgeBase>) -> Self {
        ReplyRules {
            hours: &settings.hours,
            texts: &settings.replies,
            emergency: &settings.emergency,
            organisation: &settings.organisation,
            faq: &settings.faq,
            knowledge,
        }
    }
}

/// What the decision needs to know of the conversation; the decision
/// returns the updated version, which the caller stores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversationMemory {
    /// Language of the conversation so far (`None`: nothing clear yet).
    pub language: Option<Language>,
    /// Marked urgent by the emergency rule.
    pub urgent: bool,
    /// Start of the open/closed period in which we last acknowledged.
    pub ack_period_start: Option<DateTime<Utc>>,
    /// When a person promised to answer.
    pub reply_deadline: Option<DateTime<Utc>>,
    /// Waiting for a postcode to answer this (waste calendar) entry.
    pub awaiting_postcode: Option<String>,
    /// The entry just answered, whose yes/no feedback may come next.
    pub feedback_for: Option<String>,
    /// Why the conversation was handed to a person (first reason).
    pub handover_reason: Option<HandoverReason>,
    /// The last question put to the knowledge base (personal data masked)
    /// and the entry that answered it: a "Nee" to that answer is a
    /// knowledge gap for editors.
    pub last_question: Option<String>,
    pub last_answer: Option<String>,
    /// The citizen was asked not to share personal data (once per
    /// conversation; memories stored before this field read as `false`).
    pub privacy_warned: bool,
}

/// Why a conversation goes to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoverReason {
    /// The bot had no confident answer.
    NoAnswer,
    /// The citizen asked for a person.
    AskedForPerson,
    /// "Nee" to "did this help?".
    FeedbackNo,
    /// Photo, voice note, document, location...
    Media,
    /// The emergency rule matched.
    Emergency,
    /// The answer's entry says a person follows up.
    EntryHandover,
    /// A question about the citizen's own case.
    PersonalCase,
    /// Another organisation's topic: the citizen got the referral, and a
    /// person checks it.
    NotOurs,
    /// The number sent more than `[privacy] auto_replies_per_minute`
    /// messages in a minute: the bot stopped answering, so a person reads
    /// them ([`flood`]).
    Flood,
}

impl HandoverReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HandoverReason::NoAnswer => "no_answer",
            HandoverReason::AskedForPerson => "asked_for_person",
            HandoverReason::FeedbackNo => "feedback_no",
            HandoverReason::Media => "media",
            HandoverReason::Emergency => "emergency",
            HandoverReason::EntryHandover => "entry_handover",
            HandoverReason::PersonalCase => "personal_case",
            HandoverReason::NotOurs => "not_ours",
            HandoverReason::Flood => "flood",
        }
    }
}

/// Why a message is sent; stored with each outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    ClosedAck,
    OpenAck,
    Handover,
    Emergency,
    FaqAnswer,
    FaqChoice,
    /// Where to go with another organisation's topic.
    Referral,
    Feedback,
    FeedbackThanks,
    AskPostcode,
    UnknownPostcode,
    Greeting,
    PrivacyWarning,
    MarkRead,
    /// Written by staff.
    StaffReply,
    /// The approved template, sent by staff outside the 24-hour window.
    StaffTemplate,
    /// The template sent at opening to threads whose window expired.
    Followup,
}

impl ReplyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyKind::ClosedAck => "closed_ack",
            ReplyKind::OpenAck => "open_ack",
            ReplyKind::Handover => "handover",
            ReplyKind::Emergency => "emergency",
            ReplyKind::FaqAnswer => "faq_answer",
            ReplyKind::FaqChoice => "faq_choice",
            ReplyKind::Referral => "referral",
            ReplyKind::Feedback => "feedback",
            ReplyKind::FeedbackThanks => "feedback_thanks",
            ReplyKind::AskPostcode => "ask_postcode",
            ReplyKind::UnknownPostcode => "unknown_postcode",
            ReplyKind::Greeting => "greeting",
            ReplyKind::PrivacyWarning => "privacy_warning",
            ReplyKind::MarkRead => "mark_read",
            ReplyKind::StaffReply => "staff_reply",
            ReplyKind::StaffTemplate => "staff_template",
            ReplyKind::Followup => "followup",
        }
    }
}

/// One message the bot will send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedReply {
    pub kind: ReplyKind,
    pub content: OutgoingContent,
}

/// What the knowledge base said about a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaqOutcome {
    /// The triage's outcome: `answer`, `choose`, `hand_over`, `urgent` or
    /// `small_talk`.
    pub decision: &'static str,
    /// The entry answered, if any.
    pub faq_id: Option<String>,
    /// Candidate ids with their confidence.
    pub hits: Vec<(String, f64)>,
}

/// The outcome for one inbound message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub language: Language,
    pub open: bool,
    pub next_opening: Option<DateTime<Utc>>,
    /// When a person promised to answer; `None` while the bot handles it.
    pub reply_deadline: Option<DateTime<Utc>>,
    pub urgent: bool,
    pub replies: Vec<PlannedReply>,
    /// Set when this message hands the conversation to a person.
    pub handover: Option<HandoverReason>,
    /// The knowledge base's verdict, when it was asked.
    pub faq: Option<FaqOutcome>,
    /// Answers given and feedback received, for the anonymous usage counts.
    pub usage: Vec<FaqUse>,
    /// The conversation as it is after this message.
    pub memory: ConversationMemory,
}

/// Prefix of list-row ids that name an entry.
const FAQ_ROW: &str = "faq:";
/// List row for "none of these".
const NONE_ROW: &str = "faq:-";
/// Reply-button ids of the feedback question.
const FEEDBACK_YES: &str = "feedback:yes:";
const FEEDBACK_NO: &str = "feedback:no:";

struct Builder<'a> {
    rules: ReplyRules<'a>,
    at: DateTime<Utc>,
    language: Language,
    memory: ConversationMemory,
    replies: Vec<PlannedReply>,
    handover: Option<HandoverReason>,
    faq: Option<FaqOutcome>,
    usage: Vec<FaqUse>,
}

impl Builder<'_> {
    fn text(&self, key: ReplyKey, extra: &[(&str, &str)]) -> String {
        let tz = self.rules.hours.timezone();
        let moment = |when: Option<DateTime<Utc>>| {
            when.map(|w| format_moment(w, self.at, tz, self.language))
                .unwrap_or_default()
        };
        let deadline = moment(self.memory.reply_deadline);
        let next_opening = moment(self.rules.hours.next_opening(self.at));
        let mut values = vec![
            ("deadline", deadline.as_str()),
            ("next_opening", next_opening.as_str()),
            ("organisation", self.rules.organisation),
        ];
        values.extend_from_slice(extra);
        self.rules.texts.render(key, self.language, &values)
    }

    /// Counts a use of entry `faq_id` in `lang` on today's date.
    fn count(&mut self, faq_id: &str, lang: Language, event: UseEvent) {
        let day = self
            .at
            .with_timezone(&self.rules.hours.timezone())
            .date_naive();
        self.usage.push(FaqUse {
            day,
            at: self.at,
            faq_id: faq_id.to_owned(),
            lang,
            event,
        });
    }

    /// Counts "Ja" or "Nee" to the answer of `faq_id`, but only when that
    /// answer is the one that asked "did this help?" (`asked`): a button
    /// pressed twice, or on an older answer, is not counted again.
    fn count_feedback(&mut self, faq_id: &str, asked: Option<&str>, helpful: bool) {
        if asked != Some(faq_id) {
            return;
        }
        // The answer went out in this language (or the fallback `answer` used).
        let lang = FaqId::parse(faq_id)
            .ok()
            .and_then(|id| self.rules.knowledge?.index.find(&id, self.language))
            .map_or(self.language, |entry| entry.lang);
        let event = if helpful {
            UseEvent::Helpful
        } else {
            UseEvent::NotHelpful
        };
        self.count(faq_id, lang, event);
    }

    fn send(&mut self, kind: ReplyKind, content: OutgoingContent) {
        self.replies.push(PlannedReply { kind, content });
    }

    fn send_text(&mut self, kind: ReplyKind, key: ReplyKey, extra: &[(&str, &str)]) {
        let body = self.text(key, extra);
        self.send(kind, OutgoingContent::Text { body });
    }

    /// Hands the conversation to a person. `explicit`: the citizen asked
    /// for it, so they always get a confirmation; otherwise the usual
    /// acknowledgement, once per open or closed period.
    fn hand_over(&mut self, reason: HandoverReason, explicit: bool) {
        self.handover.get_or_insert(reason);
        self.memory.handover_reason.get_or_insert(reason);
        self.memory.awaiting_postcode = None;
        // An entry that answers and also hands over still asks "did this
        // help?": a typed "ja"/"nee" must keep working then.
        if reason != HandoverReason::EntryHandover {
            self.memory.feedback_for = None;
        }
        if !matches!(self.memory.reply_deadline, Some(promised) if promised > self.at) {
            self.memory.reply_deadline = self.rules.hours.deadline(self.at);
        }
        let period = self.rules.hours.current_period(self.at);
        if explicit {
            self.send_text(ReplyKind::Handover, ReplyKey::Handover, &[]);
            self.memory.ack_period_start = Some(period.started_at);
        } else if self.memory.ack_period_start != Some(period.started_at) {
            let (kind, key) = if period.open {
                (ReplyKind::OpenAck, ReplyKey::OpenAck)
            } else {
                (ReplyKind::ClosedAck, ReplyKey::ClosedAck)
            };
            self.send_text(kind, key, &[]);
            self.memory.ack_period_start = Some(period.started_at);
        }
    }

    /// Sends the answer of `entry` (or asks for the postcode first), then
    /// the "did this help?" buttons.
    fn answer(&mut self, entry: &Entry, question: &str) {
        let Some(knowledge) = self.rules.knowledge else {
            return;
        };
        // The answer goes out in the language of the question.
        let entry = knowledge
            .index
            .find(&entry.id, self.language)
            .unwrap_or(entry);
        match compose(entry, knowledge, self.rules.hours, question, self.at) {
            Composed::NeedPostcode => {
                self.memory.awaiting_postcode = Some(entry.id.as_str().to_owned());
                self.send_text(ReplyKind::AskPostcode, ReplyKey::AskPostcode, &[]);
            }
            Composed::UnknownPostcode(postcode) => {
                self.memory.awaiting_postcode = Some(entry.id.as_str().to_owned());
                self.send_text(
                    ReplyKind::UnknownPostcode,
                    ReplyKey::UnknownPostcode,
                    &[("postcode", &postcode)],
                );
            }
            Composed::Answer(body) => {
                self.memory.awaiting_postcode = None;
                self.memory.last_answer = Some(entry.id.as_str().to_owned());
                self.send(ReplyKind::FaqAnswer, OutgoingContent::Text { body });
                self.count(entry.id.as_str(), entry.lang, UseEvent::Answered);
                let id = entry.id.as_str();
                let buttons = vec![
                    ReplyButton {
                        id: format!("{FEEDBACK_YES}{id}"),
                        title: self.text(ReplyKey::FeedbackYesButton, &[]),
                    },
                    ReplyButton {
                        id: format!("{FEEDBACK_NO}{id}"),
                        title: self.text(ReplyKey::FeedbackNoButton, &[]),
                    },
                ];
                let body = self.text(ReplyKey::FeedbackQuestion, &[]);
                self.send(
                    ReplyKind::Feedback,
                    OutgoingContent::Buttons { body, buttons },
                );
                self.memory.feedback_for = Some(id.to_owned());
                if entry.handover {
                    self.hand_over(HandoverReason::EntryHandover, false);
                }
            }
        }
    }

    /// "Bedoel je ...?" with up to three entries and "none of these".
    fn offer_choice(&mut self, entries: &[&Entry]) {
        let mut rows: Vec<ListRow> = entries
            .iter()
            .map(|entry| ListRow {
                id: format!("{FAQ_ROW}{}", entry.id.as_str()),
                title: shorten(&entry.title, 24),
                description: None,
            })
            .collect();
        rows.push(ListRow {
            id: NONE_ROW.to_owned(),
            title: shorten(&self.text(ReplyKey::ChoiceNone, &[]), 24),
            description: None,
        });
        let body = self.text(ReplyKey::ChoiceQuestion, &[]);
        let button = shorten(&self.text(ReplyKey::ChoiceButton, &[]), 20);
        self.send(
            ReplyKind::FaqChoice,
            OutgoingContent::List { body, button, rows },
        );
    }

    /// The date of the message in the organisation's time zone.
    fn today(&self) -> chrono::NaiveDate {
        self.at
            .with_timezone(&self.rules.hours.timezone())
            .date_naive()
    }

    /// The referral of an urgent entry (or the general emergency text),
    /// with an honest word on when a person reads the message: now while
    /// open, else at the next opening. Sent once per conversation; the
    /// conversation goes to the queue, marked urgent.
    fn urgent(&mut self, hit: Option<&Hit>) {
        if !self.memory.urgent {
            let entry = hit.and_then(|hit| {
                self.rules
                    .knowledge
                    .and_then(|k| k.index.find(&hit.id, self.language))
            });
            let referral = match entry {
                Some(entry) => entry.body.clone(),
                None => self.text(ReplyKey::Emergency, &[]),
            };
            let period = self.rules.hours.current_period(self.at);
            let read = if period.open {
                self.text(ReplyKey::UrgentReadOpen, &[])
            } else {
                self.text(ReplyKey::UrgentReadClosed, &[])
            };
            self.send(
                ReplyKind::Emergency,
                OutgoingContent::Text {
                    body: format!("{referral}\n\n{read}"),
                },
            );
            // The referral said when a person reads it: no second
            // acknowledgement in this period.
            self.memory.ack_period_start = Some(period.started_at);
        }
        self.memory.urgent = true;
        self.hand_over(HandoverReason::Emergency, false);
    }

    /// Acts on the triage of a fresh question (`question`: masked).
    fn act_on(&mut self, triaged: Triaged, question: &str, detected: Option<Language>) {
        if detected.is_none() && self.memory.language.is_none() {
            self.language = triaged.language;
        }
        let Some(knowledge) = self.rules.knowledge else {
            self.memory.last_question = Some(question.to_owned());
            self.hand_over(HandoverReason::NoAnswer, false);
            return;
        };
        let entries = knowledge.index.entries();
        self.faq = Some(FaqOutcome {
            decision: triaged.outcome.name(),
            faq_id: triaged
                .outcome
                .answered()
                .map(|hit| hit.id.as_str().to_owned()),
            hits: triaged
                .hits
                .iter()
                .take(5)
                .map(|h| (h.id.as_str().to_owned(), h.score))
                .collect(),
        });
        let in_language = |hit: &Hit| {
            entries
                .get(hit.entry)
                .map(|e| knowledge.index.find(&e.id, self.language).unwrap_or(e))
        };
        match triaged.outcome {
            Outcome::Urgent(hit) => self.urgent(hit.as_ref()),
            Outcome::HandOver(HandOver::AskedForPerson) => {
                self.hand_over(HandoverReason::AskedForPerson, true)
            }
            Outcome::HandOver(HandOver::OwnCase) => {
                self.hand_over(HandoverReason::PersonalCase, false)
            }
            Outcome::SmallTalk(hit) => {
                if let Some(entry) = in_language(&hit) {
                    let body = entry.body.clone();
                    self.send(ReplyKind::Greeting, OutgoingContent::Text { body });
                }
            }
            outcome => {
                // A question for the knowledge base: a "Nee" to its answer
                // is a gap for editors.
                self.memory.last_question = Some(question.to_owned());
                self.memory.last_answer = None;
                match outcome {
                    Outcome::Answer(hit) => {
                        if let Some(entry) = entries.get(hit.entry) {
                            let entry = entry.clone();
                            self.answer(&entry, question);
                        }
                    }
                    Outcome::Choose(hits) => {
                        let chosen: Vec<&Entry> = hits.iter().filter_map(in_language).collect();
                        self.offer_choice(&chosen);
                    }
                    Outcome::HandOver(HandOver::NotOurs { id, .. }) => {
                        let entry = FaqId::parse(&id)
                            .ok()
                            .and_then(|id| knowledge.index.find(&id, self.language));
                        if let Some(entry) = entry {
                            let body = entry.body.clone();
                            self.send(ReplyKind::Referral, OutgoingContent::Text { body });
                        }
                        self.hand_over(HandoverReason::NotOurs, false);
                    }
                    _ => self.hand_over(HandoverReason::NoAnswer, false),
                }
            }
        }
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        text.chars().take(max - 1).collect::<String>() + "…"
    }
}

fn is_yes(text: &str) -> bool {
    matches!(
        crate::knowledge::analysis::fold(text.trim()).trim_end_matches(['!', '.']),
        "ja" | "yes"
            | "ja bedankt"
            | "ja, bedankt"
            | "yes thanks"
            | "yes, thanks"
            | "jazeker"
            | "jep"
    )
}

fn is_no(text: &str) -> bool {
    matches!(
        crate::knowledge::analysis::fold(text.trim()).trim_end_matches(['!', '.']),
        "nee" | "no" | "neen" | "nope" | "niet echt" | "not really"
    )
}

/// Whether the citizen typed personal data (a BSN, IBAN, e-mail address
/// or phone number) in a text or a caption. Button and list titles are
/// ours, so they are not looked at.
fn shares_personal_data(content: &MessageContent) -> bool {
    match content {
        MessageContent::Text { body } => crate::privacy::contains_personal_data(body),
        MessageContent::Media {
            caption: Some(caption),
            ..
        } => crate::privacy::contains_personal_data(caption),
        _ => false,
    }
}

/// Decides what to send for `content`, received at `at`.
pub fn decide(
    content: &MessageContent,
    memory: &ConversationMemory,
    rules: ReplyRules<'_>,
    at: DateTime<Utc>,
) -> Decision {
    let text = content.text().unwrap_or_default();
    let detected = language::detect(text);
    let language = detected.or(memory.language).unwrap_or_default();
    let period = rules.hours.current_period(at);
    let mut b = Builder {
        rules,
        at,
        language,
        memory: memory.clone(),
        replies: Vec::new(),
        handover: None,
        faq: None,
        usage: Vec::new(),
    };
    let feedback_for = b.memory.feedback_for.take();
    // One triage per message with text (a caption too): a cry for help is
    // recognised whatever state the conversation is in. An IBAN's letters
    // are words no answer knows: the triage sees the text masked.
    let masked = crate::privacy::mask(text);
    let triaged = (!masked.trim().is_empty()).then(|| {
        triage(
            &masked,
            detected.or(memory.language),
            rules.knowledge,
            &rules.faq.thresholds(),
            b.today(),
        )
    });
    // "Nee" to "did this help?" and a postcode asked for are answers to
    // our question, not new messages: they never read as a crisis.
    // A tapped button or list row is ours, not the citizen's words.
    let expected_reply = matches!(content, MessageContent::Interactive { .. })
        || (matches!(content, MessageContent::Text { .. })
            && ((feedback_for.is_some() && (is_yes(text) || is_no(text)))
                || (b.memory.awaiting_postcode.is_some() && extract_postcode(text).is_some())));
    let urgent = match triaged.as_ref().map(|t| &t.outcome) {
        Some(Outcome::Urgent(hit)) if !expected_reply => Some(hit.clone()),
        _ => None,
    };

    match content {
        // Reactions and system notices are not questions: nobody needs to answer them.
        MessageContent::Reaction { .. } | MessageContent::System { .. } => {}
        _ if urgent.is_some() => b.urgent(urgent.flatten().as_ref()),
        MessageContent::Interactive {
            interactive, id, ..
        } => match (interactive, id.as_str()) {
            (InteractiveKind::ButtonReply, id) if id.starts_with(FEEDBACK_YES) => {
                b.count_feedback(&id[FEEDBACK_YES.len()..], feedback_for.as_deref(), true);
                b.send_text(ReplyKind::FeedbackThanks, ReplyKey::FeedbackThanks, &[]);
            }
            (InteractiveKind::ButtonReply, id) if id.starts_with(FEEDBACK_NO) => {
                b.count_feedback(&id[FEEDBACK_NO.len()..], feedback_for.as_deref(), false);
                b.hand_over(HandoverReason::FeedbackNo, true)
            }
            (InteractiveKind::ListReply, NONE_ROW) => {
                b.hand_over(HandoverReason::AskedForPerson, true)
            }
            (InteractiveKind::ListReply, id) if id.starts_with(FAQ_ROW) => {
                let entry = FaqId::parse(&id[FAQ_ROW.len()..]).ok().and_then(|faq_id| {
                    rules
                        .knowledge
                        .and_then(|k| k.index.find(&faq_id, language))
                });
                match entry {
                    Some(entry) => {
                        let entry = entry.clone();
                        b.answer(&entry, "");
                    }
                    None => b.hand_over(HandoverReason::NoAnswer, false),
                }
            }
            _ => match triaged {
                Some(triaged) => b.act_on(triaged, &masked, detected),
                None => b.hand_over(HandoverReason::NoAnswer, false),
            },
        },
        MessageContent::Text { .. } | MessageContent::Button { .. } => {
            let awaiting = b.memory.awaiting_postcode.take();
            let postcode_answer = awaiting
                .as_ref()
                .filter(|_| extract_postcode(text).is_some())
                .and_then(|id| {
                    let faq_id = FaqId::parse(id).ok()?;
                    rules
                        .knowledge
                        .and_then(|k| k.index.find(&faq_id, language))
                        .cloned()
                });
            if let Some(entry) = postcode_answer {
                b.answer(&entry, text);
            } else if let Some(asked) = feedback_for.as_deref().filter(|_| is_no(text)) {
                b.count_feedback(asked, Some(asked), false);
                b.hand_over(HandoverReason::FeedbackNo, true);
            } else if let Some(asked) = feedback_for.as_deref().filter(|_| is_yes(text)) {
                b.count_feedback(asked, Some(asked), true);
                b.send_text(ReplyKind::FeedbackThanks, ReplyKey::FeedbackThanks, &[]);
            } else if let Some(reason) = b.memory.handover_reason {
                // A person has this conversation now: the bot stops
                // answering and only acknowledges (once per period), so
                // staff and bot never talk over each other.
                b.hand_over(reason, false);
            } else {
                match triaged {
                    Some(triaged) => b.act_on(triaged, &masked, detected),
                    None => b.hand_over(HandoverReason::NoAnswer, false),
                }
            }
        }
        // Media with a caption: the caption may be a question, but the
        // photo needs a person's eyes.
        _ => b.hand_over(HandoverReason::Media, false),
    }

    if !b.memory.privacy_warned && shares_personal_data(content) {
        // First, so it is read next to the message that prompted it; only
        // the emergency referral goes before it. The answer and its "did
        // this help?" buttons stay last.
        let body = b.text(ReplyKey::PrivacyWarning, &[]);
        let at = usize::from(
            b.replies
                .first()
                .is_some_and(|r| r.kind == ReplyKind::Emergency),
        );
        b.replies.insert(
            at,
            PlannedReply {
                kind: ReplyKind::PrivacyWarning,
                content: OutgoingContent::Text { body },
            },
        );
        b.memory.privacy_warned = true;
    }

    let urgent = b.memory.urgent;
    let mut memory = b.memory;
    memory.language = Some(b.language);
    let reply_deadline = if memory.handover_reason.is_some() {
        memory.reply_deadline
    } else {
        None
    };
    Decision {
        language: b.language,
        open: period.open,
        next_opening: rules.hours.next_opening(at),
        reply_deadline,
        urgent,
        replies: b.replies,
        handover: b.handover,
        faq: b.faq,
        usage: b.usage,
        memory,
    }
}

#[cfg(test)]
mod tests;
