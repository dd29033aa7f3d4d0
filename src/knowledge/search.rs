//! The served entries: the list every part of the knowledge base points
//! into (a [`Hit`] names a position in it), lookup by id and language, and
//! the chat analysis of a question's wording, which groups the unanswered
//! questions on the kennisbank page. Which entry a message is about is the
//! classifier's job (`knowledge::classifier`), not this module's.
//!
//! Invariant: a `SearchIndex` is immutable once built; reloading builds a
//! new one and swaps it in whole, so a query never sees half a base.

use super::analysis::Vocabulary;
use super::{Entry, FaqId, Synonyms};
use crate::domain::Language;
use std::collections::HashMap;

/// One candidate answer with its confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Position in [`SearchIndex::entries`].
    pub entry: usize,
    pub id: FaqId,
    pub lang: Language,
    /// Confidence in [0, 1].
    pub score: f64,
}

/// The served entries and the wording analysis per language.
pub struct SearchIndex {
    entries: Vec<Entry>,
    vocabularies: HashMap<Language, Vocabulary>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

fn entry_text(entry: &Entry) -> String {
    let mut text = entry.title.clone();
    for part in entry.questions.iter().chain(&entry.keywords) {
        text.push('\n');
        text.push_str(part);
    }
    text.push('\n');
    text.push_str(&entry.body);
    text
}

impl SearchIndex {
    /// Builds the index from loaded entries.
    pub fn build(entries: Vec<Entry>, synonyms: &Synonyms) -> Self {
        let mut vocabularies = HashMap::new();
        for lang in [Language::Nl, Language::En] {
            let texts: Vec<String> = entries
                .iter()
                .filter(|e| e.lang == lang)
                .map(entry_text)
                .collect();
            let vocabulary = Vocabulary::build(
                lang,
                texts.iter().map(String::as_str),
                synonyms.groups(lang),
            );
            vocabularies.insert(lang, vocabulary);
        }
        Self {
            entries,
            vocabularies,
        }
    }

    /// The terms of a question's wording (stemmed, synonyms and typo
    /// corrections applied): what "the same wording" means for grouping
    /// unanswered questions.
    pub fn query_terms(&self, question: &str, lang: Language) -> Vec<String> {
        self.vocabularies
            .get(&lang)
            .map(|vocabulary| vocabulary.analyze_query(question))
            .unwrap_or_default()
    }

    /// Every entry, in load order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with `id` in `lang`, falling back to any language.
    pub fn find(&self, id: &FaqId, lang: Language) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| &e.id == id && e.lang == lang)
            .or_else(|| self.entries.iter().find(|e| &e.id == id))
    }
}
