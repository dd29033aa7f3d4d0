//! The search index over the knowledge base: tantivy (BM25) finds the
//! candidate entries for a question, then a confidence in [0, 1] is
//! computed for each candidate from how much of the question it covers,
//! weighted by how telling each word is (idf). Words of the question that
//! the knowledge base does not know at all count against every candidate:
//! a question about Christmas trees must not be answered with the waste
//! calendar because it also says "ophalen". A word counts against an entry
//! that lacks it less the more common it is in general language
//! (`commonness`): the story around a question is told in everyday words.
//!
//! Invariant: a `SearchIndex` is immutable once built; reloading builds a
//! new one and swaps it in whole, so a query never sees half an index.

use super::analysis::{Vocabulary, stemmer};
use super::commonness::Commonness;
use super::{Entry, FaqId, NotOurs, Synonyms};
use crate::domain::Language;
use chrono::NaiveDate;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{Index, IndexReader, Term, doc};

/// Name under which the pass-through tokenizer is registered: the text is
/// analysed by `analysis` before tantivy sees it.
const TOKENIZER: &str = "loket_terms";
/// The fast field with an entry's position in `SearchIndex::entries`.
const ENTRY_FIELD: &str = "entry";
/// Candidates taken from BM25 before confidence scoring.
const CANDIDATES: usize = 12;
/// Weight of a word no entry has, relative to a word only one entry has.
/// Twice: a word the knowledge base never uses ("kerstbomen", "zwembad")
/// is strong evidence that the question is about something else, stronger
/// than one shared rare word is evidence for an entry (calibrated on
/// `tests/eval/dev.jsonl`: 1.0 left too many near-topic questions answered).
const UNKNOWN_WEIGHT: f64 = 2.0;
/// Confidence factor for an entry when the question names another
/// organisation's topic (`not-ours.toml`) that the entry does not name. A
/// factor, not a veto: "de notaris vraagt een uittreksel" is still ours
/// when the rest of the question fits an entry well.
const NOT_OURS_FACTOR: f64 = 0.3;
/// A question word counts as a topic word, not an everyday one, from this
/// `Commonness::missing_weight` on (1.0 for rare words, 0.25 for the
/// commonest).
const TOPIC_WORD_MISSING_WEIGHT: f64 = 0.75;
/// Weight of a question word found only in an entry's body.
const BODY_MATCH: f64 = 0.5;
/// A question whose every term counts less than this when missing (only
/// the most common words; the floor is 0.25) names no topic. "open" (0.37)
/// and "geld" are topic words too, so the bar stays low.
const NO_TOPIC_BELOW: f64 = 0.3;

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

/// A term as a number, unique within one language: comparing entries'
/// terms with the question's is then a binary search over integers, not a
/// string hash per term (hashing was the largest share of query time).
type TermId = u32;

/// An entry's terms, each list sorted and without duplicates.
#[derive(Debug, Default)]
struct EntryTerms {
    /// Terms of title, questions and keywords.
    strong: Vec<TermId>,
    /// Terms of the body.
    weak: Vec<TermId>,
    /// Terms of each example question.
    questions: Vec<Vec<TermId>>,
}

#[derive(Debug)]
struct LanguageModel {
    vocabulary: Vocabulary,
    /// Every term of the language's entries and its number.
    ids: HashMap<String, TermId>,
    /// Document frequency per term (entries containing it).
    df: HashMap<String, u32>,
    entries: u32,
    /// How common each word is in general language.
    commonness: &'static Commonness,
}

impl LanguageModel {
    /// The terms' numbers, sorted and deduplicated; new terms get one.
    fn intern<'a>(&mut self, terms: impl IntoIterator<Item = &'a String>) -> Vec<TermId> {
        let mut ids: Vec<TermId> = terms
            .into_iter()
            .map(|term| {
                let next = TermId::try_from(self.ids.len()).unwrap_or(TermId::MAX);
                *self.ids.entry(term.clone()).or_insert(next)
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The number of a term, if any entry of the language has it.
    fn id(&self, term: &str) -> Option<TermId> {
        self.ids.get(term).copied()
    }

    fn idf(&self, term: &str) -> f64 {
        let n = f64::from(self.entries.max(1));
        match self.df.get(term) {
            Some(&df) => ((n + 1.0) / (f64::from(df) + 0.5)).ln().max(0.05),
            // A word no entry has: the question is (partly) about
            // something else. UNKNOWN_WEIGHT times a rare word's weight.
            None => UNKNOWN_WEIGHT * ((n + 1.0) / 1.5).ln(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    entry: Field,
    lang: Field,
    strong: Field,
    body: Field,
}

/// The searchable knowledge base.
pub struct SearchIndex {
    entries: Vec<Entry>,
    terms: Vec<EntryTerms>,
    models: HashMap<Language, LanguageModel>,
    not_ours: NotOurs,
    reader: IndexReader,
    fields: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

fn strong_text(entry: &Entry) -> String {
    let mut text = entry.title.clone();
    for part in entry.questions.iter().chain(&entry.keywords) {
        text.push('\n');
        text.push_str(part);
    }
    text
}

impl SearchIndex {
    /// Builds the index (in memory) from loaded entries.
    pub fn build(
        entries: Vec<Entry>,
        synonyms: &Synonyms,
        not_ours: NotOurs,
    ) -> tantivy::Result<Self> {
        let mut models = HashMap::new();
        for lang in [Language::Nl, Language::En] {
            let texts: Vec<String> = entries
                .iter()
                .filter(|e| e.lang == lang)
                .flat_map(|e| [strong_text(e), e.body.clone()])
                .collect();
            let vocabulary = Vocabulary::build(
                lang,
                texts.iter().map(String::as_str),
                synonyms.groups(lang),
            );
            models.insert(
                lang,
                LanguageModel {
                    vocabulary,
                    ids: HashMap::new(),
                    df: HashMap::new(),
                    entries: 0,
                    commonness: Commonness::of(lang),
                },
            );
        }

        let mut terms = Vec::with_capacity(entries.len());
        // The analysed strong and body text of each entry, for tantivy.
        let mut texts = Vec::with_capacity(entries.len());
        for entry in &entries {
            let Some(model) = models.get_mut(&entry.lang) else {
                terms.push(EntryTerms::default());
                texts.push((String::new(), String::new()));
                continue;
            };
            let v = &model.vocabulary;
            let questions: Vec<Vec<String>> = entry
                .questions
                .iter()
                .map(|q| v.analyze_document(q))
                .collect();
            let strong: HashSet<String> = v
                .analyze_document(&strong_text(entry))
                .into_iter()
                .collect();
            let weak: HashSet<String> = v.analyze_document(&entry.body).into_iter().collect();
            for term in strong.union(&weak) {
                *model.df.entry(term.clone()).or_default() += 1;
            }
            model.entries += 1;
            let join = |set: &HashSet<String>| {
                set.iter().map(String::as_str).collect::<Vec<_>>().join(" ")
            };
            texts.push((join(&strong), join(&weak)));
            terms.push(EntryTerms {
                strong: model.intern(&strong),
                weak: model.intern(&weak),
                questions: questions.iter().map(|q| model.intern(q)).collect(),
            });
        }

        let mut builder = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            // A fast field (column), not a stored one: reading the stored
            // document of every candidate was most of tantivy's share.
            entry: builder.add_u64_field(ENTRY_FIELD, NumericOptions::default().set_fast()),
            lang: builder.add_text_field("lang", STRING),
            strong: builder.add_text_field("strong", text.clone()),
            body: builder.add_text_field("body", text),
        };
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::builder(WhitespaceTokenizer::default()).build(),
        );
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        for (position, (entry, (strong, body))) in entries.iter().zip(texts).enumerate() {
            writer.add_document(doc!(
                fields.entry => position as u64,
                fields.lang => entry.lang.code(),
                fields.strong => strong,
                fields.body => body,
            ))?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(Self {
            entries,
            terms,
            models,
            not_ours,
            reader,
            fields,
        })
    }

    /// Every entry, in index order.
    /// The terms a question is searched with (stemmed, synonyms and typo
    /// corrections applied): what "the same wording" means for grouping
    /// unanswered questions.
    pub fn query_terms(&self, question: &str, lang: Language) -> Vec<String> {
        self.models
            .get(&lang)
            .map(|model| model.vocabulary.analyze_query(question))
            .unwrap_or_default()
    }

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

    /// Candidates for `question` in `lang`, best first, with entries not
    /// valid on `date` left out.
    pub fn search(&self, question: &str, lang: Language, date: NaiveDate) -> Vec<Hit> {
        let Some(model) = self.models.get(&lang) else {
            return Vec::new();
        };
        let query_terms = model.vocabulary.analyze_query(question);
        // A question of only the most common words ("en die andere dan",
        // "wat is dat nou"), or of no words at all, names nothing to answer:
        // any hit would be an accident of wording.
        if query_terms
            .iter()
            .all(|term| model.commonness.missing_weight(term) < NO_TOPIC_BELOW)
        {
            return Vec::new();
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &query_terms {
            for (field, boost) in [(self.fields.strong, 2.0), (self.fields.body, 0.7)] {
                let query = TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost)),
                ));
            }
        }
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.lang, lang.code()),
                    IndexRecordOption::Basic,
                )),
            ),
            (Occur::Must, Box::new(BooleanQuery::new(should))),
        ]);
        let searcher = self.reader.searcher();
        let Ok(top) = searcher.search(&query, &TopDocs::with_limit(CANDIDATES)) else {
            return Vec::new();
        };
        let top_bm25 = top
            .first()
            .map_or(1.0, |(score, _)| f64::from(*score).max(f64::EPSILON));
        let weighted = WeightedQuery::new(&query_terms, model);
        // Another organisation named in the story before the question ("de
        // huisarts is net geweest", "the landlord said...") is context; only
        // the sentences that ask say whose question it is.
        let other_topics = self.other_topics(model, &asking_sentences(question), lang);
        let mut hits: Vec<Hit> = top
            .into_iter()
            .filter_map(|(bm25, address)| {
                let column = searcher
                    .segment_reader(address.segment_ord)
                    .fast_fields()
                    .u64(ENTRY_FIELD)
                    .ok()?;
                let position = usize::try_from(column.first(address.doc_id)?).ok()?;
                let entry = self.entries.get(position)?;
                if !entry.is_valid_on(date) {
                    return None;
                }
                // BM25 ranks well (it sees term frequencies and field
                // lengths); the coverage confidence says how sure to be. The
                // product keeps "nothing covered" at zero.
                let relative = f64::from(bm25) / top_bm25;
                let mut score =
                    confidence(&self.terms[position], &weighted) * (0.5 + 0.5 * relative);
                if !names_topics(model, entry, &self.terms[position], &other_topics)
                    || !matches_beyond(&self.terms[position], &weighted, &other_topics)
                {
                    score *= NOT_OURS_FACTOR;
                }
                Some(Hit {
                    entry: position,
                    id: entry.id.clone(),
                    lang: entry.lang,
                    score,
                })
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        hits
    }
}

impl SearchIndex {
    /// The analysed terms of each word of the question that names another
    /// organisation's topic (`not-ours.toml`).
    fn other_topics(
        &self,
        model: &LanguageModel,
        question: &str,
        lang: Language,
    ) -> Vec<OtherTopic> {
        if self.not_ours.topics.is_empty() {
            return Vec::new();
        }
        let words = model.vocabulary.words(question);
        let mut mentions = self.not_ours.mentions(lang, &words, &stemmer(lang));
        // Expats name Dutch things in English ("can I get huurtoeslag",
        // "Dutch citizenship (naturalisatie)"): an English question is also
        // checked against the Dutch words.
        if lang == Language::En {
            mentions.extend(
                self.not_ours
                    .mentions(Language::Nl, &words, &stemmer(Language::Nl)),
            );
        }
        mentions
            .into_iter()
            .map(|mention| {
                let terms = model.vocabulary.analyze_document(&mention.words);
                let listed = model.vocabulary.analyze_document(&mention.listed);
                OtherTopic {
                    terms: terms.iter().map(|t| model.id(t)).collect(),
                    listed: listed.iter().filter_map(|t| model.id(t)).collect(),
                    words: mention
                        .words
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect(),
                }
            })
            .collect()
    }
}

/// The sentences of a message that ask (end in a question mark), when it
/// also has sentences that do not: the story before a question. A message
/// without a question mark, or with nothing but questions, is returned
/// whole.
fn asking_sentences(text: &str) -> Cow<'_, str> {
    let sentences: Vec<&str> = text
        .split_inclusive(['.', '!', '?', '\n'])
        .filter(|sentence| sentence.chars().any(char::is_alphanumeric))
        .collect();
    let asking: Vec<&str> = sentences
        .iter()
        .copied()
        .filter(|sentence| sentence.trim_end().ends_with('?'))
        .collect();
    if asking.is_empty() || asking.len() == sentences.len() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(asking.join(" "))
    }
}

/// Another organisation's topic as the question names it.
struct OtherTopic {
    /// Its analysed terms (None: no entry has the term).
    terms: Vec<Option<TermId>>,
    /// Its words as the question spells them (folded).
    words: Vec<String>,
    /// The terms of the listed words it matched: only "fiets" of
    /// "fietspad", which is also the public-space report's topic.
    listed: Vec<TermId>,
}

/// Whether an entry names every other-organisation topic of the question:
/// by its terms, and in English also by its words (see `names_words`).
fn names_topics(
    model: &LanguageModel,
    entry: &Entry,
    terms: &EntryTerms,
    topics: &[OtherTopic],
) -> bool {
    if topics.is_empty() {
        return true;
    }
    names_all(terms, topics)
        && (entry.lang != Language::En
            || names_words(&model.vocabulary.words(&strong_text(entry)), topics))
}

/// Whether an entry that names the question's other-organisation topics
/// also matches the question beyond them: a topic word and nothing else in
/// common is no answer. The death entry names the Belastingdienst ("moet ik
/// de belastingdienst inlichten na een overlijden"), which did not make it
/// the answer to "hoeveel krijg ik terug van de belastingdienst".
/// Everyday words ("krijg", "terug") do not count as a match.
fn matches_beyond(entry: &EntryTerms, query: &WeightedQuery, topics: &[OtherTopic]) -> bool {
    topics.is_empty()
        || query.known.iter().any(|&(id, _, missing)| {
            missing >= TOPIC_WORD_MISSING_WEIGHT
                && !topics.iter().any(|topic| topic.listed.contains(&id))
                && entry.strong.binary_search(&id).is_ok()
        })
}

/// Whether an entry names every other-organisation topic of the question
/// in its title, questions or keywords: only then is it about that topic
/// (the bijstand entry asked "mijn ww is bijna op"). A mention in the body
/// does not count: bodies refer citizens elsewhere ("huurtoeslag? kijk bij
/// de Belastingdienst").
fn names_all(entry: &EntryTerms, topics: &[OtherTopic]) -> bool {
    topics.iter().all(|topic| {
        topic
            .terms
            .iter()
            .all(|id| id.is_some_and(|id| entry.strong.binary_search(&id).is_ok()))
    })
}

/// English stems meet by accident ("residence" and "resident" both stem to
/// "resid", so the parking permit for residents named the IND's residence
/// permit): in English an entry names a topic only with the same words, a
/// plural s aside. Checked only for the few candidates of a question that
/// names another organisation's topic.
fn names_words(strong_words: &[String], topics: &[OtherTopic]) -> bool {
    let same = |a: &str, b: &str| {
        a == b || a.strip_suffix('s') == Some(b) || b.strip_suffix('s') == Some(a)
    };
    topics.iter().all(|topic| {
        topic
            .words
            .iter()
            .all(|word| strong_words.iter().any(|known| same(known, word)))
    })
}

/// The question's terms with their weights, computed once per question
/// (not once per candidate: that hash map was a third of the query time).
struct WeightedQuery {
    /// The question's terms that some entry has: the term, its weight, and
    /// the share of that weight that counts against an entry without it.
    known: Vec<(TermId, f64, f64)>,
    /// What the words no entry has count against every entry.
    unknown: f64,
    /// The sum of all weights, unknown terms included.
    total: f64,
    /// The weight of an average question word.
    average: f64,
}

impl WeightedQuery {
    fn new(terms: &[String], model: &LanguageModel) -> Self {
        let mut total = 0.0;
        let mut known = Vec::with_capacity(terms.len());
        let mut unknown = 0.0_f64;
        let mut unknown_count = 0usize;
        for term in terms {
            let weight = model.idf(term);
            let missing = model.commonness.missing_weight(term);
            if let Some(id) = model.id(term) {
                total += weight;
                known.push((id, weight, missing));
            } else {
                unknown += weight * missing;
                unknown_count += 1;
            }
        }
        // The evidence of unknown words saturates: n of them weigh like
        // sqrt(n). One or two unknown words in a short question still say
        // "this is about something else" ("kerstbomen", "zwembad"), but
        // the street name, the neighbour and the smell in a long message
        // no longer drown the one word that says what it is about.
        if unknown_count > 0 {
            unknown /= (unknown_count as f64).sqrt();
            total += unknown;
        }
        Self {
            known,
            unknown,
            total,
            average: total / terms.len().max(1) as f64,
        }
    }

    /// Whether the question has a term. A question has few terms: a scan
    /// beats a hash.
    fn has(&self, id: TermId) -> bool {
        self.known.iter().any(|(t, _, _)| *t == id)
    }

    /// The covered weight and the whole it is a share of, for a match that
    /// covers each known term by `covers(term)` (1 fully, 0 not at all).
    /// The whole is the covered weight plus what counts against the match:
    /// the uncovered part of each term, discounted by how common the word
    /// is, and the words no entry has.
    fn share(&self, mut covers: impl FnMut(TermId) -> f64) -> (f64, f64) {
        let mut covered = 0.0;
        let mut against = self.unknown;
        for &(id, weight, missing) in &self.known {
            let part = covers(id);
            covered += weight * part;
            against += weight * (1.0 - part) * missing;
        }
        (covered, covered + against)
    }
}

/// How well an entry answers the question: 60 % coverage of the question's
/// words (idf-weighted; body matches count half), 40 % the best overlap with
/// one of the entry's example questions (weighted Jaccard). In both, a
/// question word the entry lacks counts against it less the more common it
/// is (see `WeightedQuery::share`).
fn confidence(entry: &EntryTerms, query: &WeightedQuery) -> f64 {
    if query.total <= 0.0 {
        return 0.0;
    }
    let (covered, whole) = query.share(|id| {
        if entry.strong.binary_search(&id).is_ok() {
            1.0
        } else if entry.weak.binary_search(&id).is_ok() {
            BODY_MATCH
        } else {
            0.0
        }
    });
    let coverage = if whole > 0.0 { covered / whole } else { 0.0 };
    let best_question = entry
        .questions
        .iter()
        .map(|question| {
            let (shared, whole) =
                query.share(|id| f64::from(u8::from(question.binary_search(&id).is_ok())));
            // Terms of the example question that the citizen did not use
            // weigh like an average query word.
            let unused = question.iter().filter(|&&id| !query.has(id)).count();
            let denominator = whole + unused as f64 * query.average;
            if denominator > 0.0 {
                shared / denominator
            } else {
                0.0
            }
        })
        .fold(0.0_f64, f64::max);
    0.6 * coverage + 0.4 * best_question
}

#[cfg(test)]
mod tests {
    use super::asking_sentences;

    #[test]
    fn the_asking_sentences_of_a_story_are_its_questions() {
        assert_eq!(
            asking_sentences(
                "Mijn vader is vanochtend overleden. De huisarts is net geweest. Wat moet ik nu regelen?"
            ),
            " Wat moet ik nu regelen?"
        );
        // Only questions, no question mark, or a question mark alone: whole.
        for text in [
            "hoe vraag ik ww aan bij het uwv?",
            "huisarts is geweest, wat moet ik regelen",
            "Is het stadhuis open? En op zaterdag?",
            "paspoort kwijt ?!",
        ] {
            assert_eq!(asking_sentences(text), text);
        }
        assert_eq!(
            asking_sentences("De NS heeft niks gevonden.\nMoet ik dit bij jullie melden??"),
            "Moet ik dit bij jullie melden?"
        );
    }
}
