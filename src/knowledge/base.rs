//! A loaded knowledge base: the search index plus the data calendars, and
//! `ask`, the one function the server, `loket ask`, `eval` and `simulate`
//! all use to search it.

use super::decision::{self, FaqDecision, Thresholds};
use super::search::{Hit, SearchIndex};
use super::{BenefitCalendar, LoadedKnowledge, Problem, Severity, WasteCalendar, load_dir};
use crate::domain::Language;
use chrono::NaiveDate;
use std::collections::HashSet;
use std::path::Path;

/// The knowledge base as served.
#[derive(Debug)]
pub struct KnowledgeBase {
    pub index: SearchIndex,
    pub benefit: BenefitCalendar,
    pub waste: WasteCalendar,
    /// Problems found while loading (errors left entries out).
    pub problems: Vec<Problem>,
    /// Which messages must not be answered (`refusal-model.tsv`; optional).
    pub refusal: Option<super::refusal::RefusalModel>,
}

/// A hit this sure is exempt from the refusal model (see
/// [`KnowledgeBase::must_refuse`]).
/// 0.8 is the lowest that cost no refusal on the read eval sets.
const REFUSAL_EXEMPT_FROM: f64 = 0.8;

/// The result of asking one question.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The language the question was searched in (and is answered in).
    pub language: Language,
    /// Candidates, best first, one per id.
    pub hits: Vec<Hit>,
    pub decision: FaqDecision,
}

impl KnowledgeBase {
    /// Builds the served form of loaded files.
    pub fn from_loaded(loaded: LoadedKnowledge) -> tantivy::Result<Self> {
        let index = SearchIndex::build(loaded.entries, &loaded.synonyms, loaded.not_ours)?;
        Ok(Self {
            index,
            benefit: loaded.benefit,
            waste: loaded.waste,
            problems: loaded.problems,
            refusal: loaded.refusal,
        })
    }

    /// Loads and indexes a knowledge folder.
    pub fn load(dir: &Path) -> tantivy::Result<Self> {
        Self::from_loaded(load_dir(dir))
    }

    /// Whether the refusal model says `question` is not for the knowledge
    /// base (an own case, another organisation, chat), given the `hits`
    /// the search found for it. Without a model: never.
    ///
    /// A hit of `REFUSAL_EXEMPT_FROM` or more is an editor's example
    /// question asked almost word for word: the editor's word beats the
    /// model, which learned from eval sets that may predate the entry
    /// ("wanneer worden de kerstbomen opgehaald" was a refusal until a
    /// page for it was written).
    pub fn must_refuse(&self, question: &str, hits: &[Hit]) -> bool {
        hits.first()
            .is_none_or(|top| top.score < REFUSAL_EXEMPT_FROM)
            && self
                .refusal
                .as_ref()
                .is_some_and(|model| model.refuses(question))
    }

    /// Number of errors found while loading.
    pub fn error_count(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }

    /// Searches `question`. With a known language only that language is
    /// searched; without one (an emoji, "1234 AB") both are, and the better
    /// one wins, Dutch on a tie.
    pub fn ask(
        &self,
        question: &str,
        language: Option<Language>,
        date: NaiveDate,
        thresholds: &Thresholds,
    ) -> Asked {
        let search = |lang| dedupe(self.index.search(question, lang, date));
        let (language, hits) = match language {
            Some(lang) => (lang, search(lang)),
            None => {
                let dutch = search(Language::Nl);
                let english = search(Language::En);
                let top = |hits: &[Hit]| hits.first().map_or(0.0, |h| h.score);
                if top(&english) > top(&dutch) {
                    (Language::En, english)
                } else {
                    (Language::Nl, dutch)
                }
            }
        };
        let decision = decision::decide(&hits, thresholds);
        Asked {
            language,
            hits,
            decision,
        }
    }
}

fn dedupe(hits: Vec<Hit>) -> Vec<Hit> {
    let mut seen = HashSet::new();
    hits.into_iter()
        .filter(|h| seen.insert(h.id.clone()))
        .collect()
}
