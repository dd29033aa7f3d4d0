//! `loket eval`: measures the bot's decisions on a file of questions with
//! the expected entry (or `null`: the bot must leave it to a person), and
//! calibrates the thresholds on such a file.
//!
//! A question counts the way the bot would treat it as the first message
//! of a conversation: the same routing (emergency, asking for a person,
//! personal case, small talk) and the same search.

use super::FaqId;
use super::base::KnowledgeBase;
use super::decision::{self, FaqDecision, Thresholds};
use super::search::Hit;
use crate::config::Settings;
use crate::processing::rules;
use crate::reply::{Route, language, route_before_faq};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One line of an eval file.
#[derive(Debug, Clone, Deserialize)]
pub struct EvalCase {
    pub q: String,
    pub expect: Option<String>,
}

/// Reads a JSONL eval file; an unreadable line is an error naming it.
pub fn read_cases(path: &Path) -> Result<Vec<EvalCase>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            serde_json::from_str(line).map_err(|e| {
                format!(
                    "{}:{}: {e}; each line must be {{\"q\": \"...\", \"expect\": \"<id>\"}} or {{\"q\": \"...\", \"expect\": null}}",
                    path.display(),
                    number + 1
                )
            })
        })
        .collect()
}

/// A case with what does not depend on the thresholds.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub case: EvalCase,
    /// Routed to a person (or small talk) before the knowledge base.
    pub routed: bool,
    pub hits: Vec<Hit>,
    /// For a question about the citizen's own case: the hits whose entries
    /// take that kind of question; any other decision hands it over.
    pub own_case_takers: Option<Vec<FaqId>>,
}

/// Runs routing and search once per case.
pub fn prepare(
    cases: Vec<EvalCase>,
    settings: &Settings,
    knowledge: &KnowledgeBase,
    date: NaiveDate,
) -> Vec<Prepared> {
    let rules = rules(settings, Some(knowledge));
    cases
        .into_iter()
        .map(|case| {
            let route = route_before_faq(&case.q, &rules);
            let own_case = route == Some(Route::PersonalCase);
            let mut routed = route.is_some() && !own_case;
            let hits = if routed {
                Vec::new()
            } else {
                knowledge
                    .ask(
                        &case.q,
                        language::detect(&case.q),
                        date,
                        &settings.faq.thresholds(),
                    )
                    .hits
            };
            // As in the reply: the refusal model hands over what the
            // patterns did not, unless an own-case answer may take it.
            if route.is_none() && knowledge.must_refuse(&case.q, &hits) {
                routed = true;
            }
            let own_case_takers = own_case.then(|| {
                let patterns = settings.faq.personal_case_matches(&case.q);
                let entries = knowledge.index.entries();
                hits.iter()
                    .filter(|hit| {
                        entries.get(hit.entry).is_some_and(|entry| {
                            settings.faq.entry_takes_own_case(entry, &patterns)
                        })
                    })
                    .map(|hit| hit.id.clone())
                    .collect()
            });
            Prepared {
                case,
                routed,
                hits,
                own_case_takers,
            }
        })
        .collect()
}

/// A question the bot got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub q: String,
    pub expect: Option<String>,
    pub decision: String,
    pub got: Option<String>,
    pub hits: Vec<(String, f64)>,
}

/// The figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub n: usize,
    pub answerable: usize,
    /// Answerable questions whose first offered entry is the expected one.
    pub top1: f64,
    /// Mean reciprocal rank of the expected entry in the top 3 hits.
    pub mrr3: f64,
    /// Of the questions the bot left to a person, the share it should have.
    pub abstain_precision: f64,
    /// Of the questions it should leave to a person, the share it did.
    pub abstain_recall: f64,
    /// Answerable questions answered directly and rightly.
    pub answered_correctly: f64,
    /// Questions answered directly with a wrong entry, or answered when
    /// they should have been left to a person (share of all questions): the
    /// harm a choice list or a hand-over avoids.
    pub answered_wrongly: f64,
    pub thresholds: Thresholds,
    pub misses: Vec<Miss>,
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Scores prepared cases with `thresholds`.
pub fn score(prepared: &[Prepared], thresholds: &Thresholds) -> EvalReport {
    let (mut answerable, mut top1, mut answered, mut mrr) = (0usize, 0usize, 0usize, 0.0);
    let (mut abstained, mut abstained_right, mut should_abstain) = (0usize, 0usize, 0usize);
    let mut wrong_answers = 0usize;
    let mut misses = Vec::new();
    for p in prepared {
        let decision = if p.routed {
            FaqDecision::Abstain
        } else {
            let decided = decision::decide(&p.hits, thresholds);
            match &p.own_case_takers {
                Some(takers) => decision::for_own_case(decided, |hit| takers.contains(&hit.id)),
                None => decided,
            }
        };
        let first = match &decision {
            FaqDecision::Answer(hit) => Some(hit.id.as_str().to_owned()),
            FaqDecision::Choose(hits) => hits.first().map(|h| h.id.as_str().to_owned()),
            FaqDecision::Abstain => None,
        };
        let is_abstain = matches!(decision, FaqDecision::Abstain);
        if let FaqDecision::Answer(hit) = &decision
            && p.case.expect.as_deref() != Some(hit.id.as_str())
        {
            wrong_answers += 1;
        }
        let correct = match &p.case.expect {
            Some(expect) => {
                answerable += 1;
                if let Some(rank) = p.hits.iter().take(3).position(|h| h.id.as_str() == expect) {
                    mrr += 1.0 / (rank + 1) as f64;
                }
                let right = first.as_deref() == Some(expect.as_str());
                if right {
                    top1 += 1;
                    if matches!(decision, FaqDecision::Answer(_)) {
                        answered += 1;
                    }
                }
                right
            }
            None => {
                should_abstain += 1;
                is_abstain
            }
        };
        if is_abstain {
            abstained += 1;
            if p.case.expect.is_none() {
                abstained_right += 1;
            }
        }
        if !correct {
            misses.push(Miss {
                q: p.case.q.clone(),
                expect: p.case.expect.clone(),
                decision: decision.name().to_owned(),
                got: first,
                hits: p
                    .hits
                    .iter()
                    .take(3)
                    .map(|h| {
                        (
                            h.id.as_str().to_owned(),
                            (h.score * 1000.0).round() / 1000.0,
                        )
                    })
                    .collect(),
            });
        }
    }
    EvalReport {
        n: prepared.len(),
        answerable,
        top1: ratio(top1, answerable),
        mrr3: if answerable == 0 {
            1.0
        } else {
            mrr / answerable as f64
        },
        abstain_precision: ratio(abstained_right, abstained),
        abstain_recall: ratio(abstained_right, should_abstain),
        answered_correctly: ratio(answered, answerable),
        answered_wrongly: if prepared.is_empty() {
            0.0
        } else {
            wrong_answers as f64 / prepared.len() as f64
        },
        thresholds: *thresholds,
        misses,
    }
}

/// Differences in the weakest figure up to this count as a tie when
/// calibrating: about one question in a set of a few hundred, which is
/// noise, not a better threshold.
const CALIBRATION_TIE: f64 = 0.005;

/// What a wrong direct answer costs against a right one when calibrating:
/// "a wrong answer is worse than a colleague's reply" (the issue). At 2,
/// a threshold that adds one right answer must not add more than half a
/// wrong one.
const WRONG_ANSWER_COST: i64 = 2;

/// Searches the thresholds that maximise the weakest of top-1,
/// abstention precision and abstention recall. Among thresholds within
/// [`CALIBRATION_TIE`] of the best, it takes the one with the most right
/// direct answers less [`WRONG_ANSWER_COST`] times the wrong ones (the
/// margin hardly moves the three figures, since a choice list whose first
/// row is right counts as right, but it decides how often a citizen must
/// tap, and how often a tap is not needed because the answer was wrong),
/// then the one that refuses most of what must be refused.
pub fn calibrate(prepared: &[Prepared]) -> EvalReport {
    let steps = |from: f64, to: f64, step: f64| {
        let count = ((to - from) / step).round() as usize;
        (0..=count).map(move |i| from + step * i as f64)
    };
    // (thresholds, weakest, right less wrong direct answers, recall) per
    // candidate: higher is better in each.
    let mut candidates = Vec::new();
    for answer in steps(0.14, 0.90, 0.02) {
        // A margin of at least 0.04 keeps the "Bedoel je ...?" choice for near ties.
        for margin in steps(0.04, 0.30, 0.02) {
            // A choice list is for near misses, not for weak guesses: keep
            // its threshold close under the answer threshold.
            for choose in steps((answer - 0.08).max(0.1), answer, 0.02) {
                let thresholds = Thresholds {
                    answer,
                    margin,
                    choose,
                };
                let report = score(prepared, &thresholds);
                let weakest = report
                    .top1
                    .min(report.abstain_precision)
                    .min(report.abstain_recall);
                candidates.push((
                    thresholds,
                    weakest,
                    net_direct_answers(&report),
                    report.abstain_recall,
                ));
            }
        }
    }
    let best_weakest = candidates
        .iter()
        .map(|c| c.1)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut best: Option<&(Thresholds, f64, i64, f64)> = None;
    for candidate in candidates
        .iter()
        .filter(|c| c.1 >= best_weakest - CALIBRATION_TIE - 1e-9)
    {
        // The figures are ratios of whole counts: equal counts give equal
        // floats, so tuples compare exactly. The first of equals stays.
        let key = |c: &(Thresholds, f64, i64, f64)| (c.2, c.3, c.1);
        let better = best.is_none_or(|b| key(candidate) > key(b));
        if better {
            best = Some(candidate);
        }
    }
    best.map_or_else(
        || score(prepared, &Thresholds::default()),
        |(thresholds, ..)| score(prepared, thresholds),
    )
}

/// Right direct answers less [`WRONG_ANSWER_COST`] times the wrong ones,
/// in questions.
fn net_direct_answers(report: &EvalReport) -> i64 {
    let count = |share: f64, whole: usize| (share * whole as f64).round() as i64;
    count(report.answered_correctly, report.answerable)
        - WRONG_ANSWER_COST * count(report.answered_wrongly, report.n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    /// A case whose one hit is `id` at `score` (one hit: never a choice).
    fn case(expect: Option<&str>, id: &str, score: f64) -> Prepared {
        Prepared {
            case: EvalCase {
                q: format!("{id} {score} {expect:?}"),
                expect: expect.map(str::to_owned),
            },
            routed: false,
            own_case_takers: None,
            hits: vec![Hit {
                entry: 0,
                id: FaqId::parse(id).expect("valid id"),
                lang: Language::Nl,
                score,
            }],
        }
    }

    /// The near-tie case: 1000 clear answerable questions, `wrong` that
    /// find only a wrong entry at 0.25, 200 clear refusals and one that
    /// looks like an answer at 0.25.
    fn near_tie(wrong: usize) -> Vec<Prepared> {
        let mut cases = Vec::new();
        for _ in 0..1000 {
            cases.push(case(Some("paspoort"), "paspoort", 0.8));
        }
        for _ in 0..wrong {
            cases.push(case(Some("paspoort"), "rijbewijs", 0.25));
        }
        for _ in 0..200 {
            cases.push(case(None, "paspoort", 0.1));
        }
        cases.push(case(None, "paspoort", 0.25));
        cases
    }

    /// Within one question's worth of the best weakest figure, and with as
    /// many right direct answers, the calibration refuses what must be
    /// refused rather than answer it.
    #[test]
    fn a_near_tie_is_settled_for_refusing() {
        // Under 0.25 the weakest figure is recall 200/201 = 0.9950; above
        // it, precision 201/203 = 0.9901: within CALIBRATION_TIE.
        let report = calibrate(&near_tie(2));
        assert!(report.thresholds.answer > 0.25, "{:?}", report.thresholds);
        assert!((report.abstain_recall - 1.0).abs() < 1e-9);
        assert!((report.answered_correctly - 1000.0 / 1002.0).abs() < 1e-9);

        // Four wrong hits: precision 201/205 = 0.9805 above 0.25 is a real
        // difference, and the one refusal is answered.
        let report = calibrate(&near_tie(4));
        assert!(report.thresholds.answer <= 0.25, "{:?}", report.thresholds);
        assert!((report.abstain_recall - 200.0 / 201.0).abs() < 1e-9);
    }

    /// Among near ties, one more right answer does not pay for one more
    /// wrong one: a wrong answer costs more than a colleague's reply.
    #[test]
    fn a_right_answer_bought_with_a_wrong_one_is_not_worth_it() {
        let mut cases = Vec::new();
        for _ in 0..1000 {
            cases.push(case(Some("paspoort"), "paspoort", 0.8));
        }
        for _ in 0..200 {
            cases.push(case(None, "paspoort", 0.1));
        }
        // At 0.25 or under, both are answered: one right, one wrong.
        cases.push(case(Some("paspoort"), "paspoort", 0.25));
        cases.push(case(None, "paspoort", 0.25));
        let report = calibrate(&cases);
        assert!(report.thresholds.answer > 0.25, "{:?}", report.thresholds);
        assert!(report.answered_wrongly < 1e-9, "{report:?}");
    }

    /// A wrong direct answer counts in `answered_wrongly`, a right one and a
    /// hand-over do not.
    #[test]
    fn wrong_direct_answers_are_counted() {
        let thresholds = Thresholds {
            answer: 0.3,
            margin: 0.04,
            choose: 0.2,
        };
        let report = score(
            &[
                case(Some("paspoort"), "paspoort", 0.8),
                case(Some("paspoort"), "rijbewijs", 0.8),
                case(None, "paspoort", 0.8),
                case(None, "paspoort", 0.1),
            ],
            &thresholds,
        );
        assert!((report.answered_wrongly - 0.5).abs() < 1e-9, "{report:?}");
    }
}
