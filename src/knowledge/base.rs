//! A loaded knowledge base: the entries, the classifier trained on them,
//! the rules and the data calendars, and `ask`, the one function the
//! triage uses to classify a message.

use super::EntryKind;
use super::classifier::{Classifier, Scored};
use super::confusions::{ConfusionReport, confusions};
use super::decision::{self, FaqDecision, Thresholds};
use super::rules::Rules;
use super::search::{Hit, SearchIndex};
use super::{BenefitCalendar, LoadedKnowledge, Problem, Severity, WasteCalendar, load_dir};
use crate::domain::Language;
use chrono::NaiveDate;
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// The knowledge base as served.
#[derive(Debug)]
pub struct KnowledgeBase {
    pub index: SearchIndex,
    /// Which entry a message is about, learned from the entries.
    pub classifier: Classifier,
    /// Own-case and ask-for-a-person rules (`rules.toml`).
    pub rules: Rules,
    pub benefit: BenefitCalendar,
    pub waste: WasteCalendar,
    /// Problems found while loading (errors left entries out).
    pub problems: Vec<Problem>,
    /// The confusion report, computed on first request (about as long as
    /// the training) and kept with this version of the base: it changes
    /// only when the entries do. Keyed by the urgent threshold it used.
    confusions: Mutex<Option<(u64, Arc<ConfusionReport>)>>,
}

/// The result of asking one question.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The language the question was searched in (and is answered in).
    pub language: Language,
    /// Candidates, best first, one per id; `score` is the classifier's
    /// probability that the entry is the right one.
    pub hits: Vec<Hit>,
    /// The classifier's evidence per candidate, parallel to `hits`.
    pub evidence: Vec<Scored>,
    pub decision: FaqDecision,
}

impl KnowledgeBase {
    /// Builds the served form of loaded files: indexes them and trains the
    /// classifier on their questions (a fraction of a second per hundred
    /// entries), so editors never run a training command.
    pub fn from_loaded(loaded: LoadedKnowledge) -> tantivy::Result<Self> {
        let classifier = Classifier::train(&loaded.entries);
        let index = SearchIndex::build(loaded.entries, &loaded.synonyms);
        Ok(Self {
            index,
            classifier,
            rules: loaded.rules,
            benefit: loaded.benefit,
            waste: loaded.waste,
            problems: loaded.problems,
            confusions: Mutex::new(None),
        })
    }

    /// The confusion report for editors (`loket lint --confusions`, the
    /// kennisbank page), computed once per base and urgent threshold.
    /// It takes about as long as loading: call it off the async threads.
    pub fn confusion_report(&self, urgent_threshold: f64) -> Arc<ConfusionReport> {
        let key = urgent_threshold.to_bits();
        let mut cached = self
            .confusions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match cached.as_ref() {
            Some((k, report)) if *k == key => Arc::clone(report),
            _ => {
                let report = Arc::new(confusions(self, urgent_threshold));
                *cached = Some((key, Arc::clone(&report)));
                report
            }
        }
    }

    /// Loads and indexes a knowledge folder.
    pub fn load(dir: &Path) -> tantivy::Result<Self> {
        Self::from_loaded(load_dir(dir))
    }

    /// Number of errors found while loading.
    pub fn error_count(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }

    /// How likely candidates `scored` (best first) make a cry for help.
    pub fn urgency(&self, scored: &[Scored]) -> f64 {
        let entries = self.index.entries();
        self.classifier.urgency(scored, |i| {
            entries.get(i).is_some_and(|e| e.kind == EntryKind::Urgent)
        })
    }

    /// Classifies `question` in one language: candidates valid on `date`,
    /// best first, one per id.
    pub fn classify(
        &self,
        question: &str,
        lang: Language,
        date: NaiveDate,
    ) -> (Vec<Hit>, Vec<Scored>) {
        let entries = self.index.entries();
        let mut seen = HashSet::new();
        let mut hits = Vec::new();
        let mut evidence = Vec::new();
        for scored in self.classifier.classify(question, lang) {
            let Some(entry) = entries.get(scored.entry) else {
                continue;
            };
            if !entry.is_valid_on(date) || !seen.insert(entry.id.clone()) {
                continue;
            }
            hits.push(Hit {
                entry: scored.entry,
                id: entry.id.clone(),
                lang: entry.lang,
                score: scored.share,
            });
            evidence.push(scored);
        }
        (hits, evidence)
    }

    /// Classifies `question` in `language`, or, without one (an emoji,
    /// "1234 AB"), in both, where the more confident wins, Dutch on a tie.
    /// The one language choice of `ask` and the triage.
    pub fn classify_in(
        &self,
        question: &str,
        language: Option<Language>,
        date: NaiveDate,
    ) -> (Language, (Vec<Hit>, Vec<Scored>)) {
        match language {
            Some(lang) => (lang, self.classify(question, lang, date)),
            None => {
                let dutch = self.classify(question, Language::Nl, date);
                let english = self.classify(question, Language::En, date);
                let top = |hits: &[Hit]| hits.first().map_or(0.0, |h| h.score);
                if top(&english.0) > top(&dutch.0) {
                    (Language::En, english)
                } else {
                    (Language::Nl, dutch)
                }
            }
        }
    }

    /// Classifies `question`. With a known language only that language is
    /// asked; without one (an emoji, "1234 AB") both are, and the more
    /// confident one wins, Dutch on a tie.
    pub fn ask(
        &self,
        question: &str,
        language: Option<Language>,
        date: NaiveDate,
        thresholds: &Thresholds,
    ) -> Asked {
        let (language, (hits, evidence)) = self.classify_in(question, language, date);
        let decision = decision::decide(&hits, thresholds);
        Asked {
            language,
            hits,
            evidence,
            decision,
        }
    }
}
