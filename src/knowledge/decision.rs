//! From ranked hits to a decision: answer one entry, offer a short choice,
//! or abstain and let a person answer. The thresholds come from config and
//! are calibrated with `loket eval --calibrate`, not tuned per question.

use super::search::Hit;
use serde::{Deserialize, Serialize};

/// Confidence thresholds, calibrated on the eval set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// The best hit answers alone from this confidence on...
    pub answer: f64,
    /// ...when the runner-up is at least this far behind.
    pub margin: f64,
    /// Close hits from this confidence on are offered as a choice.
    pub choose: f64,
    /// An urgent entry from this probability on is treated as a cry for
    /// help, whatever else the message matches (recall first).
    pub urgent: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            answer: 0.30,
            margin: 0.125,
            choose: 0.15,
            urgent: 0.40,
        }
    }
}

/// What to do with a question.
#[derive(Debug, Clone, PartialEq)]
pub enum FaqDecision {
    Answer(Hit),
    /// Two or three close candidates: "Bedoel je ...?"
    Choose(Vec<Hit>),
    Abstain,
}

impl FaqDecision {
    /// `answer`, `choose` or `abstain`.
    pub fn name(&self) -> &'static str {
        match self {
            FaqDecision::Answer(_) => "answer",
            FaqDecision::Choose(_) => "choose",
            FaqDecision::Abstain => "abstain",
        }
    }
}

/// Decides from hits sorted best first (one hit per id).
pub fn decide(hits: &[Hit], thresholds: &Thresholds) -> FaqDecision {
    let Some(best) = hits.first() else {
        return FaqDecision::Abstain;
    };
    let runner_up = hits.get(1).map_or(0.0, |h| h.score);
    if best.score >= thresholds.answer && best.score - runner_up >= thresholds.margin {
        return FaqDecision::Answer(best.clone());
    }
    if best.score >= thresholds.choose {
        let close: Vec<Hit> = hits
            .iter()
            .take(3)
            .filter(|h| h.score >= thresholds.choose && best.score - h.score < thresholds.margin)
            .cloned()
            .collect();
        if close.len() >= 2 {
            return FaqDecision::Choose(close);
        }
        if best.score >= thresholds.answer {
            return FaqDecision::Answer(best.clone());
        }
    }
    FaqDecision::Abstain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;
    use crate::knowledge::FaqId;

    /// Fixed thresholds, so these tests do not move with calibration.
    fn thresholds() -> Thresholds {
        Thresholds {
            answer: 0.55,
            margin: 0.12,
            choose: 0.40,
            urgent: 0.5,
        }
    }

    fn hit(id: &str, score: f64) -> Hit {
        Hit {
            entry: 0,
            id: FaqId::parse(id).expect("valid id"),
            lang: Language::Nl,
            score,
        }
    }

    #[test]
    fn one_clear_hit_answers() {
        let t = thresholds();
        assert_eq!(decide(&[hit("a", 0.9), hit("b", 0.3)], &t).name(), "answer");
    }

    #[test]
    fn two_close_hits_give_a_choice_of_at_most_three() {
        let t = thresholds();
        let hits = [
            hit("a", 0.7),
            hit("b", 0.68),
            hit("c", 0.66),
            hit("d", 0.65),
        ];
        match decide(&hits, &t) {
            FaqDecision::Choose(choices) => assert_eq!(choices.len(), 3),
            other => panic!("expected a choice, got {other:?}"),
        }
    }

    #[test]
    fn weak_hits_abstain() {
        let t = thresholds();
        assert_eq!(
            decide(&[hit("a", 0.3), hit("b", 0.1)], &t),
            FaqDecision::Abstain
        );
        assert_eq!(decide(&[], &t), FaqDecision::Abstain);
    }
}
