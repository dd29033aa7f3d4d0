//! What an answer file becomes: the entry, its id, its kind and its
//! computed part, and the limits the checks hold it to.

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::Language;

/// The longest id accepted.
pub const MAX_ID_CHARS: usize = 64;
/// WhatsApp refuses text messages longer than this.
pub const MAX_BODY_CHARS: usize = 4096;
/// Above this an answer is hard to read on a phone (a warning).
pub const LONG_BODY_CHARS: usize = 700;
/// Fewer questions than this give a warning: an answer is only found when
/// its questions resemble how citizens really ask.
pub const RECOMMENDED_QUESTIONS: usize = 3;
/// An answer entry with fewer example questions than this gets a warning
/// from `loket lint`: the classifier learns each entry from its questions,
/// and a starter base promises at least this many per entry.
pub const TRAINING_QUESTIONS: usize = 8;

/// The stable id of an answer: a slug of lowercase letters, digits and
/// single dashes (`afval-grofvuil`), at most 64 characters, the same in
/// every language.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FaqId(String);

impl FaqId {
    /// Accepts `^[a-z0-9]+(-[a-z0-9]+)*$` up to 64 characters; the error
    /// says what to write instead.
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.is_empty() {
            return Err("the id is empty; write a short name such as afval-grofvuil".to_owned());
        }
        if value.chars().count() > MAX_ID_CHARS {
            return Err(format!(
                "{value:?} is longer than {MAX_ID_CHARS} characters; use a shorter id"
            ));
        }
        let slug = value.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if !slug {
            return Err(format!(
                "{value:?} is not a valid id; use lowercase letters a-z, digits and single dashes between words, e.g. afval-grofvuil"
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FaqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for FaqId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FaqId> for String {
    fn from(value: FaqId) -> Self {
        value.0
    }
}

/// An answer whose core is computed from data at the moment of the
/// question (front matter `computed:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Computed {
    /// The next payment date from `data/uitkering-betaaldata.toml`.
    BenefitPayment,
    /// The next collection dates from `data/afvalkalender.toml`.
    WasteCollection,
    /// The opening hours from `config/hours.toml`.
    OpeningHours,
}

impl Computed {
    /// All kinds, for messages that list them.
    pub const ALL: [Computed; 3] = [
        Computed::BenefitPayment,
        Computed::WasteCollection,
        Computed::OpeningHours,
    ];

    /// The value as written in the front matter.
    pub fn as_str(self) -> &'static str {
        match self {
            Computed::BenefitPayment => "benefit_payment",
            Computed::WasteCollection => "waste_collection",
            Computed::OpeningHours => "opening_hours",
        }
    }

    /// The placeholder name (without braces) the computed sentence replaces.
    pub fn placeholder(self) -> &'static str {
        match self {
            Computed::BenefitPayment => "betaaldatum",
            Computed::WasteCollection => "ophaaldagen",
            Computed::OpeningHours => "openingstijden",
        }
    }

    /// The front matter value: `None` for `none`, an error for anything
    /// unknown.
    pub(super) fn parse(value: &str) -> Result<Option<Self>, ()> {
        if value == "none" {
            return Ok(None);
        }
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == value)
            .map(Some)
            .ok_or(())
    }
}

/// A link shown under an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The text citizens see.
    pub label: String,
    /// An absolute http(s) URL.
    pub url: String,
}

/// One answer in one language, as loaded from its file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: FaqId,
    pub lang: Language,
    pub title: String,
    /// How citizens ask it, in their words (at least one).
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub links: Vec<Link>,
    /// Not used before this date.
    pub valid_from: Option<NaiveDate>,
    /// Not used after this date.
    pub valid_until: Option<NaiveDate>,
    /// Answer, and also put the question in the queue for a colleague.
    pub handover: bool,
    pub computed: Option<Computed>,
    /// What kind of message this entry recognises (an answer by default).
    pub kind: EntryKind,
    /// The Uniforme Productnamenlijst name, where one fits.
    pub upl: Option<String>,
    /// The public pages the facts come from (for editors; never sent).
    pub sources: Vec<String>,
    /// Facts an editor must adapt to the municipality (`[[...]]` in the
    /// body), with their file lines; `body` holds them without brackets.
    pub local_facts: Vec<LocalFact>,
    /// The answer text (WhatsApp markdown), trimmed: what the bot sends.
    pub body: String,
    /// The same answer in the formal "u" form (below a `--- u ---` line in
    /// the file), for staff replies under `[staff] form = "u"`; never sent
    /// by the bot and not learned from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_u: Option<String>,
    /// The file it came from.
    pub path: PathBuf,
}

/// What an entry stands for. Every kind is learned the same way, from the
/// entry's questions; the kind says what the triage does when it wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind", content = "refer_to")]
pub enum EntryKind {
    /// A question the knowledge base answers.
    #[default]
    Answer,
    /// A cry for help (`urgent: true`): the referral goes out at once, at
    /// any hour, and the conversation is marked urgent.
    Urgent,
    /// Another organisation's topic (`refer_to: UWV`): a person takes it,
    /// and the citizen is told at once where to go.
    NotOurs(String),
    /// Greetings, thanks, chat (`smalltalk: true`): a short friendly reply.
    SmallTalk,
}

impl EntryKind {
    /// `answer`, `urgent`, `not_ours` or `small_talk`.
    pub fn name(&self) -> &'static str {
        match self {
            EntryKind::Answer => "answer",
            EntryKind::Urgent => "urgent",
            EntryKind::NotOurs(_) => "not_ours",
            EntryKind::SmallTalk => "small_talk",
        }
    }
}

/// A fact an editor must adapt locally: `[[Markt 1]]` in a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalFact {
    pub line: usize,
    pub text: String,
}

impl Entry {
    /// Whether the answer may be given on `date` (both bounds inclusive).
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date)
            && self.valid_until.is_none_or(|until| date <= until)
    }
}
