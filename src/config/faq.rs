//! `[faq]` in `loket.toml`: when the bot answers from the knowledge base
//! and when it leaves a question to a person.

use crate::knowledge::decision::Thresholds;
use serde::Deserialize;

/// The FAQ decision settings: numbers only. The language rules (own case,
/// asking for a person) live with the knowledge in `rules.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaqSettings {
    /// Probability from which the best entry answers alone (0 to 1).
    pub answer_threshold: f64,
    /// How far the runner-up must be behind for a single answer.
    pub margin: f64,
    /// Probability from which close entries are offered as a choice.
    pub choose_threshold: f64,
    /// Probability from which an urgent entry makes a message urgent.
    pub urgent_threshold: f64,
}

impl Default for FaqSettings {
    fn default() -> Self {
        let thresholds = Thresholds::default();
        Self {
            answer_threshold: thresholds.answer,
            margin: thresholds.margin,
            choose_threshold: thresholds.choose,
            urgent_threshold: thresholds.urgent,
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
            urgent: self.urgent_threshold,
        }
    }

    /// Checks ranges; errors name the key.
    pub(crate) fn validate(&mut self) -> Result<(), (String, String)> {
        for (key, value) in [
            ("faq.answer_threshold", self.answer_threshold),
            ("faq.margin", self.margin),
            ("faq.choose_threshold", self.choose_threshold),
            ("faq.urgent_threshold", self.urgent_threshold),
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
        Ok(())
    }
}
