//! `loket eval`: measures the triage on a file of questions with the
//! expected entry (or `null`: the bot must leave it to a person), beside a
//! plain BM25 baseline on the same questions, and calibrates the
//! thresholds on such a file.
//!
//! A question counts the way the bot treats the first message of a
//! conversation: the same [`triage`](super::triage) (urgent entries,
//! rules, classifier, entry kinds). The evidence is gathered once per
//! question; deciding with other thresholds is then cheap, which is what
//! calibration needs. Calibrate on the dev set only: the test set is
//! scored, never read question by question, and a fresh set is spent once.

use super::FaqId;
use super::base::KnowledgeBase;
use super::baseline::Bm25;
use super::decision::Thresholds;
use super::search::Hit;
use super::triage::{Evidence, HandOver, Outcome, decide, gather};
use crate::domain::language;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One line of an eval file. Other fields (`source`, `why`, `style`,
/// `lang`) document the question and are not read.
#[derive(Debug, Clone, Deserialize)]
pub struct EvalCase {
    pub q: String,
    pub expect: Option<String>,
    /// Other entries that count as right (a question that names both the
    /// passport and the ID card).
    #[serde(default)]
    pub also: Vec<String>,
}

impl EvalCase {
    fn accepts(&self, id: &str) -> bool {
        self.expect.as_deref() == Some(id) || self.also.iter().any(|a| a == id)
    }
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
    pub evidence: Evidence,
    /// The plain BM25 baseline's first entry, if any.
    pub baseline: Option<FaqId>,
}

/// Gathers the triage's evidence and the baseline's answer once per case.
pub fn prepare(cases: Vec<EvalCase>, knowledge: &KnowledgeBase, date: NaiveDate) -> Vec<Prepared> {
    let baseline = Bm25::build(knowledge.index.entries());
    cases
        .into_iter()
        .map(|case| {
            let masked = crate::privacy::mask(&case.q);
            let detected = language::detect(&case.q);
            let evidence = gather(&masked, detected, knowledge, date);
            let baseline = baseline.top(&case.q, evidence.language);
            Prepared {
                case,
                evidence,
                baseline,
            }
        })
        .collect()
}

/// One case as the triage saw it, for `loket eval --cases`: the
/// decision and the evidence behind it, to study the decisions outside
/// (say, how confidence separates right from wrong answers).
#[derive(Debug, Clone, Serialize)]
pub struct CaseTrace {
    pub q: String,
    pub expect: Option<String>,
    pub also: Vec<String>,
    pub language: String,
    pub decision: String,
    pub got: Option<String>,
    pub urgency: f64,
    pub crisis: f64,
    pub person_rule: Option<String>,
    pub own_case_rule: Option<String>,
    /// The first candidates, best first.
    pub candidates: Vec<CandidateTrace>,
}

/// One candidate of a [`CaseTrace`].
#[derive(Debug, Clone, Serialize)]
pub struct CandidateTrace {
    pub id: String,
    pub kind: String,
    /// The confidence the decision uses.
    pub score: f64,
    /// The ranker's probability alone, and its features.
    pub probability: Option<f64>,
    pub features: Option<super::classifier::Features>,
}

/// How many candidates a trace keeps.
const TRACE_CANDIDATES: usize = 5;

/// The trace of every case, decided with `thresholds`.
pub fn trace(prepared: &[Prepared], thresholds: &Thresholds) -> Vec<CaseTrace> {
    prepared
        .iter()
        .map(|p| {
            let (outcome, _) = decide(&p.evidence, thresholds);
            let got = replied_entry(&outcome);
            let e = &p.evidence;
            CaseTrace {
                q: p.case.q.clone(),
                expect: p.case.expect.clone(),
                also: p.case.also.clone(),
                language: e.language.code().to_owned(),
                decision: match &outcome {
                    Outcome::HandOver(HandOver::NotOurs { .. }) => "not_ours".to_owned(),
                    other => other.name().to_owned(),
                },
                got,
                urgency: e.urgency,
                crisis: e.crisis,
                person_rule: e.person_rule.clone(),
                own_case_rule: e.own_case_rule.clone(),
                candidates: e
                    .hits
                    .iter()
                    .enumerate()
                    .take(TRACE_CANDIDATES)
                    .map(|(i, h)| CandidateTrace {
                        id: h.id.as_str().to_owned(),
                        kind: format!("{:?}", e.kinds[i]).to_lowercase(),
                        score: h.score,
                        probability: e.scored.get(i).map(|s| s.probability),
                        features: e.scored.get(i).map(|s| s.features),
                    })
                    .collect(),
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
    /// Questions with an expected entry (urgent and small talk included).
    pub answerable: usize,
    /// Answerable questions whose first candidate (the classifier's
    /// ranking, before any threshold) is right.
    pub top1: f64,
    /// The same for a plain BM25 over the entries' files, no stemming.
    pub bm25_top1: f64,
    /// Mean reciprocal rank of the expected entry in the top 3 candidates.
    pub mrr3: f64,
    /// Of the questions the bot handed to a person, the share it should have.
    pub abstain_precision: f64,
    /// Of the questions it should hand to a person, the share it did.
    pub abstain_recall: f64,
    /// Answerable questions answered directly and rightly.
    pub answered_correctly: f64,
    /// Direct answers that were wrong (a wrong entry, or an answer where a
    /// person should reply), as a share of all questions.
    pub answered_wrongly: f64,
    /// Questions expecting an urgent entry.
    pub urgent: usize,
    /// Of those, the share treated as urgent.
    pub urgent_recall: f64,
    /// Of those, the share referred by the expected urgent entry.
    pub urgent_right_referral: f64,
    /// Of the other questions, the share wrongly treated as urgent.
    pub urgent_false_rate: f64,
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

fn is_urgent_id(knowledge_kind: &Evidence, id: &str) -> bool {
    knowledge_kind
        .hits
        .iter()
        .zip(&knowledge_kind.kinds)
        .any(|(h, k)| h.id.as_str() == id && *k == super::EntryKind::Urgent)
}

/// The entry the bot's reply is about: the answer, the small-talk reply,
/// the other organisation's referral, the urgent referral, or the first
/// option of a choice; `None` when the message goes to a person unanswered.
fn replied_entry(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Answer(hit) | Outcome::SmallTalk(hit) | Outcome::Urgent(Some(hit)) => {
            Some(hit.id.as_str().to_owned())
        }
        Outcome::Urgent(None) => Some("emergency".to_owned()),
        Outcome::Choose(hits) => hits.first().map(|h| h.id.as_str().to_owned()),
        Outcome::HandOver(HandOver::NotOurs { id, .. }) => Some(id.clone()),
        Outcome::HandOver(_) => None,
    }
}

/// How a decision counts for a case: as the bot's own reply with one
/// entry, as a message left to a person, or as neither (a choice, an
/// urgent referral: counted apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counted {
    Reply,
    ToPerson,
    Neither,
}

/// A referral to another organisation is both: the bot names where to go
/// and a colleague sees the thread afterwards. The case says which part
/// it is judged on: a case that expects an entry (the referral itself)
/// judges the reply, right or wrong; a case that expects a person judges
/// the hand-over, which happens. Older sets label other organisations'
/// questions "to a person", newer ones with the referral entry; both
/// conventions score the same behaviour the same way.
fn counted(outcome: &Outcome, expects_entry: bool) -> Counted {
    match outcome {
        Outcome::Answer(_) | Outcome::SmallTalk(_) => Counted::Reply,
        Outcome::HandOver(HandOver::NotOurs { .. }) if expects_entry => Counted::Reply,
        Outcome::HandOver(_) => Counted::ToPerson,
        Outcome::Choose(_) | Outcome::Urgent(_) => Counted::Neither,
    }
}

/// Scores prepared cases with `thresholds`.
pub fn score(prepared: &[Prepared], thresholds: &Thresholds) -> EvalReport {
    let (mut answerable, mut top1, mut bm25, mut answered, mut mrr) =
        (0usize, 0usize, 0usize, 0usize, 0.0);
    let (mut abstained, mut abstained_right, mut should_abstain) = (0usize, 0usize, 0usize);
    let (mut urgent, mut urgent_hit, mut urgent_right, mut not_urgent, mut urgent_false) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut wrong_answers = 0usize;
    let mut misses = Vec::new();
    for p in prepared {
        let (outcome, _) = decide(&p.evidence, thresholds);
        // The ranking as the bot offers it: urgent entries are a separate
        // decision, so they are not counted as a first choice unless the
        // question expects one.
        let expects_urgent = p
            .case
            .expect
            .as_deref()
            .is_some_and(|id| id.starts_with("spoed-") || is_urgent_id(&p.evidence, id));
        let ranked: Vec<&Hit> = p
            .evidence
            .hits
            .iter()
            .zip(&p.evidence.kinds)
            .filter(|(_, k)| expects_urgent || **k != super::EntryKind::Urgent)
            .map(|(h, _)| h)
            .collect();
        let direct = replied_entry(&outcome);
        let counts_as = counted(&outcome, p.case.expect.is_some());
        let is_handover = counts_as == Counted::ToPerson;
        let is_urgent = matches!(outcome, Outcome::Urgent(_));
        if expects_urgent {
            urgent += 1;
            if is_urgent {
                urgent_hit += 1;
                if direct.as_deref().is_some_and(|id| p.case.accepts(id)) {
                    urgent_right += 1;
                }
            }
        } else {
            not_urgent += 1;
            if is_urgent {
                urgent_false += 1;
            }
        }
        if counts_as == Counted::Reply && !direct.as_deref().is_some_and(|id| p.case.accepts(id)) {
            wrong_answers += 1;
        }
        let correct = match &p.case.expect {
            Some(_) => {
                answerable += 1;
                if ranked
                    .first()
                    .is_some_and(|h| p.case.accepts(h.id.as_str()))
                {
                    top1 += 1;
                }
                if p.baseline
                    .as_ref()
                    .is_some_and(|id| p.case.accepts(id.as_str()))
                {
                    bm25 += 1;
                }
                if let Some(rank) = ranked
                    .iter()
                    .take(3)
                    .position(|h| p.case.accepts(h.id.as_str()))
                {
                    mrr += 1.0 / (rank + 1) as f64;
                }
                let right = direct.as_deref().is_some_and(|id| p.case.accepts(id));
                if right && !matches!(outcome, Outcome::Choose(_)) {
                    answered += 1;
                }
                right
            }
            None => {
                should_abstain += 1;
                is_handover
            }
        };
        if is_handover {
            abstained += 1;
            if p.case.expect.is_none() {
                abstained_right += 1;
            }
        }
        if !correct {
            misses.push(Miss {
                q: p.case.q.clone(),
                expect: p.case.expect.clone(),
                decision: match &outcome {
                    Outcome::HandOver(HandOver::NotOurs { refer_to, .. }) => {
                        format!("hand_over (not ours: {refer_to})")
                    }
                    other => other.name().to_owned(),
                },
                got: direct,
                hits: p
                    .evidence
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
        bm25_top1: ratio(bm25, answerable),
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
        urgent,
        urgent_recall: ratio(urgent_hit, urgent),
        urgent_right_referral: ratio(urgent_right, urgent),
        urgent_false_rate: if not_urgent == 0 {
            0.0
        } else {
            urgent_false as f64 / not_urgent as f64
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
/// a wrong answer is worse than a colleague's reply. At 2, a threshold
/// that adds one right answer must not add more than half a wrong one.
const WRONG_ANSWER_COST: i64 = 2;

/// Searches the answer, margin and choice thresholds that maximise the
/// weakest of answered-correctly, abstention precision and abstention
/// recall. Among thresholds within [`CALIBRATION_TIE`] of the best, it
/// takes the one with the most right direct answers less
/// [`WRONG_ANSWER_COST`] times the wrong ones, then the one that refuses
/// most of what must be refused. The urgent threshold is not searched
/// here: it is recall-first and set from the urgent set (see docs).
pub fn calibrate(prepared: &[Prepared], base: &Thresholds) -> EvalReport {
    let steps = |from: f64, to: f64, step: f64| {
        let count = ((to - from) / step).round() as usize;
        (0..=count).map(move |i| from + step * i as f64)
    };
    let mut candidates = Vec::new();
    for answer in steps(0.10, 0.95, 0.025) {
        // A margin keeps the "Bedoel je ...?" choice for near ties.
        for margin in steps(0.0, 0.40, 0.025) {
            // A choice list is for near misses, not for weak guesses.
            for choose in steps((answer - 0.15).max(0.05), answer, 0.025) {
                let thresholds = Thresholds {
                    answer,
                    margin,
                    choose,
                    urgent: base.urgent,
                };
                let report = score(prepared, &thresholds);
                let weakest = report
                    .answered_correctly
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
        if best.is_none_or(|b| key(candidate) > key(b)) {
            best = Some(candidate);
        }
    }
    best.map_or_else(
        || score(prepared, base),
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
    use crate::knowledge::EntryKind;

    fn thresholds(answer: f64) -> Thresholds {
        Thresholds {
            answer,
            margin: 0.04,
            choose: answer - 0.1,
            urgent: 0.3,
        }
    }

    /// A case whose one candidate is `id` at `score` (one hit: never a choice).
    fn case(expect: Option<&str>, id: &str, score: f64) -> Prepared {
        let kind = if id.starts_with("spoed-") {
            EntryKind::Urgent
        } else if id.starts_with("elders-") {
            EntryKind::NotOurs("de Belastingdienst".to_owned())
        } else {
            EntryKind::Answer
        };
        Prepared {
            case: EvalCase {
                q: format!("{id} {score} {expect:?}"),
                expect: expect.map(str::to_owned),
                also: Vec::new(),
            },
            evidence: Evidence {
                language: Language::Nl,
                hits: vec![Hit {
                    entry: 0,
                    id: FaqId::parse(id).expect("valid id"),
                    lang: Language::Nl,
                    score,
                }],
                scored: Vec::new(),
                kinds: vec![kind],
                urgency: if id.starts_with("spoed-") { score } else { 0.0 },
                crisis: 0.0,
                urgent_rank: 0.0,
                urgent_entry: None,
                person_rule: None,
                own_case_rule: None,
                takes_own_case: vec![false],
            },
            baseline: FaqId::parse(id).ok(),
        }
    }

    impl Prepared {
        /// The urgent referral is the case's own (first) candidate.
        fn urgent_right(mut self) -> Self {
            self.evidence.urgent_entry = self.evidence.hits.first().cloned();
            self
        }
    }

    /// Within one question's worth of the best weakest figure, and with as
    /// many right direct answers, the calibration refuses what must be
    /// refused rather than answer it.
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
        let report = calibrate(&cases, &Thresholds::default());
        assert!(report.thresholds.answer > 0.25, "{:?}", report.thresholds);
        assert!(report.answered_wrongly < 1e-9, "{report:?}");
    }

    /// A wrong direct answer counts in `answered_wrongly`, a right one and a
    /// hand-over do not; the baseline is scored on the same questions.
    #[test]
    fn wrong_direct_answers_are_counted() {
        let report = score(
            &[
                case(Some("paspoort"), "paspoort", 0.8),
                case(Some("paspoort"), "rijbewijs", 0.8),
                case(None, "paspoort", 0.8),
                case(None, "paspoort", 0.1),
            ],
            &thresholds(0.3),
        );
        assert!((report.answered_wrongly - 0.5).abs() < 1e-9, "{report:?}");
        assert!((report.top1 - 0.5).abs() < 1e-9, "{report:?}");
        assert!((report.bm25_top1 - 0.5).abs() < 1e-9, "{report:?}");
        assert!((report.abstain_recall - 0.5).abs() < 1e-9, "{report:?}");
    }

    /// Urgent questions are counted apart: recall, the right referral, and
    /// ordinary questions wrongly made urgent.
    #[test]
    fn urgent_figures_are_counted_apart() {
        let report = score(
            &[
                case(Some("spoed-zelfdoding"), "spoed-zelfdoding", 0.5).urgent_right(),
                case(Some("spoed-zelfdoding"), "spoed-zelfdoding", 0.1),
                case(Some("paspoort"), "spoed-brand-gevaar", 0.9),
                case(Some("paspoort"), "paspoort", 0.9),
            ],
            &thresholds(0.3),
        );
        assert_eq!(report.urgent, 2);
        assert!((report.urgent_recall - 0.5).abs() < 1e-9, "{report:?}");
        assert!((report.urgent_right_referral - 0.5).abs() < 1e-9);
        assert!((report.urgent_false_rate - 0.5).abs() < 1e-9);
    }

    /// A referral to another organisation is judged as the reply when the
    /// question expects an entry (right for that entry, wrong for another)
    /// and as the hand-over it also is when the question expects a person.
    #[test]
    fn a_referral_elsewhere_is_judged_by_what_the_case_expects() {
        let report = score(
            &[
                case(
                    Some("elders-belastingdienst"),
                    "elders-belastingdienst",
                    0.8,
                ),
                case(Some("paspoort"), "elders-belastingdienst", 0.8),
                case(None, "elders-belastingdienst", 0.8),
                case(None, "paspoort", 0.8),
            ],
            &thresholds(0.3),
        );
        // One of the two answerable questions is answered rightly; the
        // referral given for the passport question and the answer given to
        // a question for a person are the two wrong replies.
        assert!((report.answered_correctly - 0.5).abs() < 1e-9, "{report:?}");
        assert!((report.answered_wrongly - 0.5).abs() < 1e-9, "{report:?}");
        // The referral on the question for a person is its hand-over.
        assert!((report.abstain_precision - 1.0).abs() < 1e-9, "{report:?}");
        assert!((report.abstain_recall - 0.5).abs() < 1e-9, "{report:?}");
    }
}
