//! The confusion report for editors (`loket lint --confusions`, the
//! kennisbank page): every example question is asked with itself left
//! out, the way the classifier trains. A question that lands on another
//! entry shows where two entries overlap, so editors can sharpen a title,
//! a question or the keywords.

use super::base::KnowledgeBase;
use super::entry::EntryKind;
use crate::domain::Language;
use serde::Serialize;
use std::collections::BTreeMap;

/// One question that landed on another entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Confused {
    pub question: String,
    /// The entry it landed on.
    pub got: String,
    /// The classifier's probability for that entry.
    pub probability: f64,
}

/// How one entry's own questions fare.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryConfusion {
    pub id: String,
    pub lang: Language,
    pub questions: usize,
    /// Questions whose first candidate is the entry itself.
    pub right: usize,
    pub elsewhere: Vec<Confused>,
}

/// Two entries whose questions land on each other, in either direction.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConfusedPair {
    pub lang: Language,
    pub a: String,
    pub b: String,
    /// Questions of either entry that landed on the other.
    pub questions: Vec<String>,
}

/// Leave-one-out figures of the urgent entries: how their questions and
/// the other entries' questions score on them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UrgentLoo {
    pub threshold: f64,
    /// Urgent entries' own questions treated as urgent at the threshold.
    pub recall: f64,
    /// Other entries' questions treated as urgent at the threshold.
    pub false_rate: f64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConfusionReport {
    pub questions: usize,
    /// Share of questions whose first candidate is their own entry.
    pub top1: f64,
    /// Entries with at least one question elsewhere, worst first.
    pub entries: Vec<EntryConfusion>,
    /// Pairs, most confused first.
    pub pairs: Vec<ConfusedPair>,
    pub urgent: UrgentLoo,
}

/// Builds the report; `urgent_threshold` is the configured one.
pub fn confusions(knowledge: &KnowledgeBase, urgent_threshold: f64) -> ConfusionReport {
    let entries = knowledge.index.entries();
    let mut per_entry: BTreeMap<(Language, String), EntryConfusion> = BTreeMap::new();
    let mut pairs: BTreeMap<(Language, String, String), Vec<String>> = BTreeMap::new();
    let (mut total, mut right_total) = (0usize, 0usize);
    let (mut urgent_n, mut urgent_hit, mut other_n, mut other_hit) =
        (0usize, 0usize, 0usize, 0usize);
    for lang in [Language::Nl, Language::En] {
        for (position, question, ranked) in knowledge.classifier.leave_one_out(entries, lang) {
            let Some(entry) = entries.get(position) else {
                continue;
            };
            total += 1;
            let id = entry.id.as_str().to_owned();
            let record = per_entry
                .entry((lang, id.clone()))
                .or_insert_with(|| EntryConfusion {
                    id: id.clone(),
                    lang,
                    questions: 0,
                    right: 0,
                    elsewhere: Vec::new(),
                });
            record.questions += 1;
            let flagged = knowledge.urgency(&ranked) >= urgent_threshold;
            if entry.kind == EntryKind::Urgent {
                urgent_n += 1;
                urgent_hit += usize::from(flagged);
            } else {
                other_n += 1;
                other_hit += usize::from(flagged);
            }
            match ranked
                .first()
                .and_then(|s| entries.get(s.entry).map(|e| (s, e)))
            {
                Some((_, top)) if top.id == entry.id => {
                    record.right += 1;
                    right_total += 1;
                }
                Some((scored, top)) => {
                    let got = top.id.as_str().to_owned();
                    record.elsewhere.push(Confused {
                        question: question.clone(),
                        got: got.clone(),
                        probability: (scored.probability * 1000.0).round() / 1000.0,
                    });
                    let (a, b) = if id < got { (id, got) } else { (got, id) };
                    pairs.entry((lang, a, b)).or_default().push(question);
                }
                None => record.elsewhere.push(Confused {
                    question,
                    got: String::new(),
                    probability: 0.0,
                }),
            }
        }
    }
    let mut entries_out: Vec<EntryConfusion> = per_entry
        .into_values()
        .filter(|e| !e.elsewhere.is_empty())
        .collect();
    entries_out.sort_by(|x, y| {
        let share = |e: &EntryConfusion| e.right as f64 / e.questions.max(1) as f64;
        share(x).total_cmp(&share(y)).then(x.id.cmp(&y.id))
    });
    let mut pairs_out: Vec<ConfusedPair> = pairs
        .into_iter()
        .map(|((lang, a, b), questions)| ConfusedPair {
            lang,
            a,
            b,
            questions,
        })
        .collect();
    pairs_out.sort_by_key(|p| std::cmp::Reverse(p.questions.len()));
    let share = |part: usize, whole: usize| {
        if whole == 0 {
            1.0
        } else {
            part as f64 / whole as f64
        }
    };
    ConfusionReport {
        questions: total,
        top1: share(right_total, total),
        entries: entries_out,
        pairs: pairs_out,
        urgent: UrgentLoo {
            threshold: urgent_threshold,
            recall: share(urgent_hit, urgent_n),
            false_rate: if other_n == 0 {
                0.0
            } else {
                other_hit as f64 / other_n as f64
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::LoadedKnowledge;
    use crate::knowledge::classifier::tests::entry;
    use std::sync::Arc;

    /// Two entries about the same thing in other words (their questions
    /// land on each other) and one that stands apart.
    fn base() -> KnowledgeBase {
        let entries = vec![
            entry(
                "grofvuil",
                &[
                    "grofvuil ophalen",
                    "mijn oude bank moet weg",
                    "matras laten ophalen",
                    "wanneer komt de grofvuilwagen",
                    "kast wegbrengen",
                ],
                "",
            ),
            entry(
                "milieustraat",
                &[
                    "openingstijden milieustraat",
                    "wat mag naar de milieustraat",
                    "oude bank naar de milieustraat brengen",
                    "matras wegbrengen naar de milieustraat",
                    "grofvuil zelf wegbrengen",
                ],
                "",
            ),
            entry(
                "paspoort",
                &[
                    "paspoort aanvragen",
                    "nieuw paspoort nodig",
                    "paspoort verlengen",
                    "wat kost een paspoort",
                    "paspoort kwijt",
                ],
                "",
            ),
        ];
        KnowledgeBase::from_loaded(LoadedKnowledge {
            entries,
            ..LoadedKnowledge::default()
        })
        .expect("builds")
    }

    #[test]
    fn every_question_is_counted_and_overlap_is_named_as_a_pair() {
        let knowledge = base();
        let report = confusions(&knowledge, 0.4);
        assert_eq!(report.questions, 15);
        assert!(
            report.top1 > 0.0 && report.top1 < 1.0,
            "top1 {}",
            report.top1
        );
        for pair in &report.pairs {
            assert!(pair.a < pair.b, "a pair is named once, in order: {pair:?}");
            assert!(!pair.questions.is_empty());
        }
        // The waste entries share words; the passport stands apart.
        assert!(
            report
                .pairs
                .iter()
                .any(|p| p.a == "grofvuil" && p.b == "milieustraat"),
            "pairs: {:?}",
            report.pairs
        );
        assert!(
            report
                .pairs
                .iter()
                .all(|p| p.a != "paspoort" && p.b != "paspoort")
        );
        for entry in &report.entries {
            assert_eq!(entry.right + entry.elsewhere.len(), entry.questions);
        }
    }

    #[test]
    fn the_report_is_computed_once_per_base_and_threshold() {
        let knowledge = base();
        let first = knowledge.confusion_report(0.4);
        let again = knowledge.confusion_report(0.4);
        assert!(Arc::ptr_eq(&first, &again));
        let other = knowledge.confusion_report(0.9);
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(other.urgent.threshold, 0.9);
    }
}
