//! `[faq]` in `loket.toml`: when the bot answers from the knowledge base
//! and when it leaves a question to a person.

use crate::knowledge::Entry;
use crate::knowledge::decision::Thresholds;
use regex::Regex;
use serde::Deserialize;

/// The FAQ decision settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaqSettings {
    /// Confidence from which the best hit answers alone (0 to 1).
    pub answer_threshold: f64,
    /// How far the runner-up must be behind for a single answer.
    pub margin: f64,
    /// Confidence from which close hits are offered as a choice.
    pub choose_threshold: f64,
    /// Questions about the citizen's own case go to a person (regular
    /// expressions), unless the answer the knowledge base finds takes that
    /// kind of question (see [`FaqSettings::entry_takes_own_case`]).
    #[serde(rename = "personal_case_patterns")]
    pub personal_case_sources: Vec<String>,
    /// Words that ask for a person (regular expressions).
    #[serde(rename = "person_patterns")]
    pub person_sources: Vec<String>,
    #[serde(skip)]
    pub personal_case: Vec<Regex>,
    #[serde(skip)]
    pub person: Vec<Regex>,
}

impl Default for FaqSettings {
    fn default() -> Self {
        let thresholds = Thresholds::default();
        Self {
            answer_threshold: thresholds.answer,
            margin: thresholds.margin,
            choose_threshold: thresholds.choose,
            personal_case_sources: Vec::new(),
            person_sources: Vec::new(),
            personal_case: Vec::new(),
            person: Vec::new(),
        }
    }
}

impl FaqSettings {
    /// The thresholds as the decision uses them.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            answer: self.answer_threshold,
            margin: self.margin,
            choose: self.choose_threshold,
        }
    }

    /// Whether the text is about the citizen's own case.
    pub fn is_personal_case(&self, text: &str) -> bool {
        self.personal_case.iter().any(|p| p.is_match(text))
    }

    /// Which own-case patterns the text matches (indices).
    pub fn personal_case_matches(&self, text: &str) -> Vec<usize> {
        self.personal_case
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_match(text))
            .map(|(index, _)| index)
            .collect()
    }

    /// Whether an entry answers own-case questions of this kind: each of
    /// the matched `patterns` matches its title, one of its example
    /// questions or keywords. The editor who gave the tax entry the
    /// example "hoe maak ik bezwaar tegen de aanslag" meant the objection
    /// procedure to be answered; "wat is de status van mijn bezwaar" also
    /// matches a status pattern that no line of the entry has, and stays a
    /// person's.
    pub fn entry_takes_own_case(&self, entry: &Entry, patterns: &[usize]) -> bool {
        !patterns.is_empty()
            && patterns.iter().all(|&index| {
                self.personal_case.get(index).is_some_and(|pattern| {
                    std::iter::once(&entry.title)
                        .chain(&entry.questions)
                        .chain(&entry.keywords)
                        .any(|line| pattern.is_match(line))
                })
            })
    }

    /// Whether the text asks for a person.
    pub fn asks_for_person(&self, text: &str) -> bool {
        self.person.iter().any(|p| p.is_match(text))
    }

    /// Checks ranges and compiles the patterns; errors name the key.
    pub(crate) fn validate(&mut self) -> Result<(), (String, String)> {
        for (key, value) in [
            ("faq.answer_threshold", self.answer_threshold),
            ("faq.margin", self.margin),
            ("faq.choose_threshold", self.choose_threshold),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err((
                    key.to_owned(),
                    format!("{value} is out of range; allowed is 0.0 to 1.0"),
                ));
            }
        }
        if self.choose_threshold > self.answer_threshold {
            return Err((
                "faq.choose_threshold".to_owned(),
                "must not be above faq.answer_threshold".to_owned(),
            ));
        }
        self.personal_case =
            super::patterns::compile("faq.personal_case_patterns", &self.personal_case_sources)?;
        self.person = super::patterns::compile("faq.person_patterns", &self.person_sources)?;
        Ok(())
    }
}
