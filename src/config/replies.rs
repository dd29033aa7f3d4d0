//! `replies.toml`: every text the bot sends, in Dutch and English. Texts may
//! use placeholders in braces; which ones each text allows is checked at
//! start-up so a typo never reaches a citizen as a literal `{dedline}`.

use super::error::{ConfigError, toml_error};
use crate::domain::Language;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The texts Loket can send, by purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReplyKey {
    /// Acknowledgement while the office is closed, with the deadline.
    ClosedAck,
    /// Acknowledgement while the office is open.
    OpenAck,
    /// The emergency referral (112, 113, ...).
    Emergency,
    /// Confirmation when the citizen asked for a person.
    Handover,
    /// "Did this answer help?" under an FAQ answer.
    FeedbackQuestion,
    /// Title of the "yes" button (at most 20 characters).
    FeedbackYesButton,
    /// Title of the "no, a person" button (at most 20 characters).
    FeedbackNoButton,
    /// Reply to "yes, thanks" and to a plain thank-you.
    FeedbackThanks,
    /// Asks for the postcode before the waste calendar can answer.
    AskPostcode,
    /// The postcode is not in the waste calendar.
    UnknownPostcode,
    /// "Did you mean ...?" above a list of close answers.
    ChoiceQuestion,
    /// Label of the button that opens that list (at most 20 characters).
    ChoiceButton,
    /// The list row for "none of these" (at most 24 characters).
    ChoiceNone,
    /// Reply to a bare greeting.
    Greeting,
    /// Once per conversation, when the citizen sent personal data (BSN,
    /// IBAN, ...): please do not share it on WhatsApp.
    PrivacyWarning,
    /// Under an urgent referral while open: a person reads it now.
    UrgentReadOpen,
    /// Under an urgent referral while closed: when a person reads it.
    UrgentReadClosed,
}

impl ReplyKey {
    /// Every key; all must be present in the file.
    pub const ALL: [ReplyKey; 17] = [
        ReplyKey::ClosedAck,
        ReplyKey::OpenAck,
        ReplyKey::Emergency,
        ReplyKey::Handover,
        ReplyKey::FeedbackQuestion,
        ReplyKey::FeedbackYesButton,
        ReplyKey::FeedbackNoButton,
        ReplyKey::FeedbackThanks,
        ReplyKey::AskPostcode,
        ReplyKey::UnknownPostcode,
        ReplyKey::ChoiceQuestion,
        ReplyKey::ChoiceButton,
        ReplyKey::ChoiceNone,
        ReplyKey::Greeting,
        ReplyKey::PrivacyWarning,
        ReplyKey::UrgentReadOpen,
        ReplyKey::UrgentReadClosed,
    ];

    /// The section name in `replies.toml`.
    pub fn name(self) -> &'static str {
        match self {
            ReplyKey::ClosedAck => "closed_ack",
            ReplyKey::OpenAck => "open_ack",
            ReplyKey::Emergency => "emergency",
            ReplyKey::Handover => "handover",
            ReplyKey::FeedbackQuestion => "feedback_question",
            ReplyKey::FeedbackYesButton => "feedback_yes_button",
            ReplyKey::FeedbackNoButton => "feedback_no_button",
            ReplyKey::FeedbackThanks => "feedback_thanks",
            ReplyKey::AskPostcode => "ask_postcode",
            ReplyKey::UnknownPostcode => "unknown_postcode",
            ReplyKey::ChoiceQuestion => "choice_question",
            ReplyKey::ChoiceButton => "choice_button",
            ReplyKey::ChoiceNone => "choice_none",
            ReplyKey::Greeting => "greeting",
            ReplyKey::PrivacyWarning => "privacy_warning",
            ReplyKey::UrgentReadOpen => "urgent_read_open",
            ReplyKey::UrgentReadClosed => "urgent_read_closed",
        }
    }

    /// The most characters WhatsApp allows for this text (button titles
    /// and list labels are short).
    pub fn max_chars(self) -> usize {
        match self {
            ReplyKey::FeedbackYesButton | ReplyKey::FeedbackNoButton | ReplyKey::ChoiceButton => 20,
            ReplyKey::ChoiceNone => 24,
            ReplyKey::FeedbackQuestion | ReplyKey::ChoiceQuestion => 1024,
            _ => MAX_TEXT_CHARS,
        }
    }

    /// Placeholders this text may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            ReplyKey::ClosedAck
            | ReplyKey::OpenAck
            | ReplyKey::Handover
            | ReplyKey::UrgentReadClosed => &["deadline", "next_opening", "organisation"],
            ReplyKey::UnknownPostcode => &["postcode", "organisation"],
            _ => &["organisation"],
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LangTexts {
    nl: String,
    en: String,
}

/// Validated reply texts.
#[derive(Debug, Clone)]
pub struct ReplyTexts {
    texts: BTreeMap<ReplyKey, LangTexts>,
}

/// WhatsApp's limit for a text message body.
const MAX_TEXT_CHARS: usize = 4096;

impl ReplyTexts {
    /// Reads and validates `replies.toml`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates the text of `replies.toml`; `path` is for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: BTreeMap<String, LangTexts> =
            toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        let allowed = || ReplyKey::ALL.map(ReplyKey::name).join(", ");
        let mut texts = BTreeMap::new();
        for (name, value) in raw {
            let key = ReplyKey::from_name(&name).ok_or_else(|| {
                ConfigError::value(
                    path,
                    &name,
                    format!("unknown text; the known texts are {}", allowed()),
                )
            })?;
            for (lang, body) in [("nl", &value.nl), ("en", &value.en)] {
                check_text(key, body)
                    .map_err(|m| ConfigError::value(path, format!("{name}.{lang}"), m))?;
            }
            texts.insert(key, value);
        }
        if let Some(missing) = ReplyKey::ALL.into_iter().find(|k| !texts.contains_key(k)) {
            return Err(ConfigError::value(
                path,
                missing.name(),
                format!(
                    "missing; add a [{}] section with nl = \"...\" and en = \"...\"",
                    missing.name()
                ),
            ));
        }
        Ok(Self { texts })
    }

    /// The text for `key` in `lang` with its placeholders filled in.
    /// Placeholders without a value are left out rather than shown raw.
    pub fn render(&self, key: ReplyKey, lang: Language, values: &[(&str, &str)]) -> String {
        let Some(texts) = self.texts.get(&key) else {
            return String::new();
        };
        let template = match lang {
            Language::Nl => &texts.nl,
            Language::En => &texts.en,
        };
        fill(template, values)
    }
}

fn check_text(key: ReplyKey, body: &str) -> Result<(), String> {
    if body.trim().is_empty() {
        return Err("is empty; every text needs words".to_owned());
    }
    if body.chars().count() > key.max_chars() {
        return Err(format!(
            "is longer than WhatsApp allows here ({} characters)",
            key.max_chars()
        ));
    }
    for name in placeholders_in(body) {
        if !key.placeholders().contains(&name) {
            return Err(format!(
                "uses {{{name}}}, which this text does not know; allowed: {}",
                key.placeholders()
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(())
}

fn placeholders_in(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    fill_placeholders(template, values, false)
}

/// `template` with each `{name}` replaced by its value in `values`. A
/// placeholder without a value is dropped, or kept as written with
/// `keep_unknown` (saved replies: staff then see it and fill it in).
pub(super) fn fill_placeholders(
    template: &str,
    values: &[(&str, &str)],
    keep_unknown: bool,
) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(k, _)| *k == name) {
                    Some((_, value)) => out.push_str(value),
                    None if keep_unknown => out.push_str(&rest[open..open + close + 2]),
                    None => {}
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file with every key: simple texts, and the ones the tests look at.
    fn valid() -> String {
        let mut text = String::new();
        for key in ReplyKey::ALL {
            let (nl, en) = match key {
                ReplyKey::ClosedAck => (
                    "Gesloten. Antwoord uiterlijk {deadline}.",
                    "Closed. Answer by {deadline}.",
                ),
                ReplyKey::Emergency => ("Bel 112.", "Call 112."),
                _ => ("Tekst", "Text"),
            };
            text.push_str(&format!("[{}]\nnl = \"{nl}\"\nen = \"{en}\"\n", key.name()));
        }
        text
    }

    #[test]
    fn the_shipped_file_is_valid() {
        ReplyTexts::parse(
            include_str!("../../config/replies.toml"),
            Path::new("config/replies.toml"),
        )
        .expect("shipped replies.toml is valid");
    }

    #[test]
    fn placeholders_are_filled_in_the_language_asked() {
        let texts = ReplyTexts::parse(&valid(), Path::new("replies.toml")).expect("valid");
        let nl = texts.render(
            ReplyKey::ClosedAck,
            Language::Nl,
            &[("deadline", "maandag 2 december om 10:00")],
        );
        assert_eq!(
            nl,
            "Gesloten. Antwoord uiterlijk maandag 2 december om 10:00."
        );
        let en = texts.render(ReplyKey::ClosedAck, Language::En, &[("deadline", "Monday")]);
        assert_eq!(en, "Closed. Answer by Monday.");
    }

    #[test]
    fn an_unknown_placeholder_names_the_key_and_the_allowed_ones() {
        let text = valid().replace("{deadline}.\"\nen", "{dedline}.\"\nen");
        let err = ReplyTexts::parse(&text, Path::new("config/replies.toml")).expect_err("typo");
        let message = err.to_string();
        assert!(message.contains("closed_ack.nl"), "{message}");
        assert!(message.contains("{deadline}"), "{message}");
    }

    #[test]
    fn a_missing_text_is_named() {
        let text = valid().replace("[emergency]\nnl = \"Bel 112.\"\nen = \"Call 112.\"\n", "");
        let err = ReplyTexts::parse(&text, Path::new("replies.toml")).expect_err("missing");
        assert!(err.to_string().contains("emergency"), "{err}");
    }

    #[test]
    fn a_missing_english_version_is_reported_with_its_line() {
        let text = valid().replace("en = \"Call 112.\"", "");
        let err = ReplyTexts::parse(&text, Path::new("replies.toml")).expect_err("missing en");
        assert!(err.to_string().contains("line"), "{err}");
        assert!(err.to_string().contains("en"), "{err}");
    }

    #[test]
    fn a_button_title_over_whatsapps_limit_is_refused() {
        let text = valid().replacen(
            "[feedback_yes_button]\nnl = \"Tekst\"",
            "[feedback_yes_button]\nnl = \"Ja, heel erg bedankt hoor\"",
            1,
        );
        let err = ReplyTexts::parse(&text, Path::new("replies.toml")).expect_err("too long");
        assert!(err.to_string().contains("feedback_yes_button.nl"), "{err}");
        assert!(err.to_string().contains("20"), "{err}");
    }
}
