//! The FAQ classifier: which entry a message is about, learned from the
//! editors' own data, the way intent-based assistants learn.
//!
//! Each entry's title, keyword line and example questions are its training
//! examples. A message is compared with every example in two spaces: words
//! (stemmed, stop words left out, word pairs too) and letter pieces (3 to 5
//! letters of each word, so "kerstboominzameling" meets "kerstboom" and a
//! typo still shares most pieces). From those similarities come a few
//! features per candidate entry (best example, the entry as a whole, how
//! much of the message the entry's words cover). A small logistic ranker
//! weighs them; it is trained at load time by leaving each example
//! question out in turn and asking it, so it learns how a question the
//! entry has never seen looks. No eval set is used; it trains in well under
//! a second for this base and in seconds at 1,000 entries.
//!
//! The ranker has a handful of weights shared by all entries, not weights
//! per word: it cannot memorise phrases, only learn how much each kind of
//! evidence is worth. Its output is a probability that the candidate is
//! the right entry, which the triage compares with calibrated thresholds.
//!
//! Invariant: building is deterministic (no randomness, fixed hashing), so
//! the same files always give the same answers.

mod documents;
mod space;

use super::Entry;
use crate::domain::Language;
use documents::{Documents, HeldOut, TermCounts};
use serde::Serialize;
use space::{Counts, Space, Vector};
use std::collections::{HashMap, HashSet};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemLanguage, LowerCaser, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, TokenStream,
};

/// Candidate entries scored by the ranker per message.
const CANDIDATES: usize = 12;
/// Entries whose whole text scores best by BM25 join the candidates.
const DOCUMENT_CANDIDATES: usize = 3;
/// Letter pieces shared by more than this share of the examples (and
/// more than `COMMON_PIECE_MIN` examples) are skipped when comparing: they
/// say little and would make a query touch every example.
const COMMON_PIECE_SHARE: f64 = 0.05;
const COMMON_PIECE_MIN: usize = 200;
/// Training asks at most this many held-out questions per language, spread
/// evenly over the entries, so start-up stays within seconds on a large base.
const MAX_TRAINING_QUESTIONS: usize = 6000;
/// Threads that ask the held-out training questions. Fixed, not the
/// machine's core count, so the chunks (and the rows) never differ.
const TRAINING_THREADS: usize = 2;
/// Passes of gradient descent over the training rows, its step and the L2
/// penalty that keeps the few weights small.
const EPOCHS: usize = 150;
const STEP: f64 = 0.5;
const L2: f64 = 1e-4;

/// The evidence for one candidate entry, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Features {
    /// Best cosine of the message with one of the entry's examples (words).
    pub word_best: f64,
    /// The same with letter pieces.
    pub piece_best: f64,
    /// Mean of the two best example cosines (words, then letter pieces):
    /// two examples agreeing is stronger evidence than one.
    pub word_two: f64,
    pub piece_two: f64,
    /// Cosine with the entry's examples taken together (words).
    pub word_entry: f64,
    /// The same with letter pieces.
    pub piece_entry: f64,
    /// Share of the message's word weight that the entry's title,
    /// questions and keywords contain.
    pub coverage: f64,
    /// Share of the message's word weight found in the entry's answer text.
    pub body_coverage: f64,
    /// Share of the message's word weight in words no entry of the
    /// language has: a message about something else.
    pub unknown: f64,
    /// BM25 of the entry's whole text (title, keywords, questions,
    /// answer) relative to the best entry's for this message: 1 for the
    /// best document ([`documents`]).
    pub document: f64,
    /// BM25 of the entry's whole text as a share of the most any
    /// document could score for this message.
    pub document_fit: f64,
}

/// Number of inputs of the ranker, bias included.
const INPUTS: usize = 12;

impl Features {
    /// The ranker's inputs. `unknown` is left out: it is the same for
    /// every candidate of a message, so it cannot rank; it would only
    /// shift every probability of a message up or down.
    fn inputs(&self) -> [f64; INPUTS] {
        [
            self.word_best,
            self.piece_best,
            self.word_two,
            self.piece_two,
            self.word_entry,
            self.piece_entry,
            self.coverage,
            self.body_coverage,
            self.word_best * self.coverage,
            self.piece_best * self.piece_best,
            // Relative alone lifts the best document of a message no entry
            // answers; the fit alone ranks less well (cross-validated on
            // the base's own questions, docs/quality.md).
            self.document * self.document_fit,
            1.0,
        ]
    }
}

/// One candidate: an entry (position in the base's entry list), the
/// ranker's probability that it is the right one, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    #[serde(skip)]
    pub entry: usize,
    /// The ranker's probability that this candidate is right, alone.
    pub probability: f64,
    /// Its share among the message's candidates and "none of these" (a
    /// softmax of the ranker's logits with a null logit of 0): two
    /// candidates that both fit well share the evidence, so the decision
    /// offers a choice instead of guessing; one candidate alone gets its
    /// probability.
    pub share: f64,
    pub features: Features,
}

/// The learned ranker: a logistic regression over `Features`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ranker {
    pub weights: [f64; INPUTS],
}

impl Default for Ranker {
    /// Before training (an empty base): trust the best example match.
    fn default() -> Self {
        let mut weights = [0.0; INPUTS];
        weights[0] = 4.0;
        weights[1] = 4.0;
        weights[INPUTS - 1] = -4.0;
        Self { weights }
    }
}

impl Ranker {
    pub fn probability(&self, features: &Features) -> f64 {
        let z: f64 = self
            .weights
            .iter()
            .zip(features.inputs())
            .map(|(w, x)| w * x)
            .sum();
        sigmoid(z)
    }

    /// Fits the weights to `rows` (a candidate's inputs, right entry or
    /// not), with both classes weighted equally.
    fn train(rows: &[([f64; INPUTS], bool)]) -> Self {
        let positives = rows.iter().filter(|(_, y)| *y).count();
        let negatives = rows.len() - positives;
        if positives == 0 || negatives == 0 {
            return Self::default();
        }
        Self {
            weights: fit_logistic(rows, Self::default().weights),
        }
    }
}

/// Fits a logistic regression to `rows` (inputs, label) from `start`, with
/// both classes weighted equally, by full-batch Adagrad: every input gets
/// its own step, so rare features learn as fast as the ever-present ones.
/// One function for the ranker and the urgency model.
fn fit_logistic<const N: usize>(rows: &[([f64; N], bool)], start: [f64; N]) -> [f64; N] {
    let positives = rows.iter().filter(|(_, y)| *y).count();
    let negatives = rows.len() - positives;
    let weight_pos = rows.len() as f64 / (2.0 * positives.max(1) as f64);
    let weight_neg = rows.len() as f64 / (2.0 * negatives.max(1) as f64);
    let n = rows.len().max(1) as f64;
    let mut weights = start;
    let mut squared = [1e-8; N];
    for _ in 0..EPOCHS {
        let mut gradient = [0.0; N];
        for (x, y) in rows {
            let z: f64 = weights.iter().zip(x).map(|(w, x)| w * x).sum();
            let (target, weight) = if *y {
                (1.0, weight_pos)
            } else {
                (0.0, weight_neg)
            };
            let error = (sigmoid(z) - target) * weight;
            for (g, xi) in gradient.iter_mut().zip(x) {
                *g += error * xi;
            }
        }
        for i in 0..N {
            let g = gradient[i] / n + L2 * weights[i];
            squared[i] += g * g;
            weights[i] -= STEP * g / squared[i].sqrt();
        }
    }
    weights
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// 64-bit FNV-1a: fast, and fixed, so the model is the same on every run.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0x1f;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for byte in part.bytes() {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The hash of a letter piece, in another space than words (the seed
/// differs), without building a string for it.
fn hash_piece(chars: &[char]) -> u64 {
    let mut h: u64 = 0x84222325_cbf29ce4;
    let mut buffer = [0u8; 4];
    for c in chars {
        for byte in c.encode_utf8(&mut buffer).bytes() {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The analysis of one language: tantivy's tokenizer, lower-casing, accent
/// folding, stop words and Snowball stemmer.
struct Analyzer {
    stemmed: TextAnalyzer,
    plain: TextAnalyzer,
    /// The same two without the stop-word filter, for a text made only of
    /// stop words ([`Analyzer::words`]).
    stemmed_all: TextAnalyzer,
    plain_all: TextAnalyzer,
    /// Dutch only: the stemmer for the verb left when a separable prefix
    /// is taken off ("aanvragen" also counts as "vragen", so "hoe vraag
    /// ik een paspoort aan" meets "paspoort aanvragen").
    separable: Option<rust_stemmers::Stemmer>,
}

impl Clone for Analyzer {
    /// Cheap: tantivy's analyzers share their stop-word sets.
    fn clone(&self) -> Self {
        Self {
            stemmed: self.stemmed.clone(),
            plain: self.plain.clone(),
            stemmed_all: self.stemmed_all.clone(),
            plain_all: self.plain_all.clone(),
            separable: self
                .separable
                .as_ref()
                .map(|_| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Dutch)),
        }
    }
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analyzer")
    }
}

/// Dutch separable verb prefixes: "vraag ... aan" is "aanvragen", "haal
/// ... op" is "ophalen". A general rule of the language, not a word list
/// of one topic.
const SEPARABLE_PREFIXES: [&str; 12] = [
    "aan", "af", "door", "in", "mee", "na", "om", "op", "terug", "toe", "uit", "weg",
];
/// The verb left after the prefix must be at least this long, so "opa"
/// or "inkomen" does not lose a prefix it never had.
const MIN_SEPARATED: usize = 5;

impl Analyzer {
    fn new(lang: Language) -> Self {
        let stem_lang = match lang {
            Language::Nl => StemLanguage::Dutch,
            Language::En => StemLanguage::English,
        };
        let base = || {
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
        };
        let stop =
            || StopWordFilter::new(stem_lang).unwrap_or_else(|| StopWordFilter::remove(Vec::new()));
        Self {
            stemmed: base()
                .filter(stop())
                .filter(Stemmer::new(stem_lang))
                .build(),
            plain: base().filter(stop()).build(),
            stemmed_all: base().filter(Stemmer::new(stem_lang)).build(),
            plain_all: base().build(),
            separable: (lang == Language::Nl)
                .then(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Dutch)),
        }
    }

    /// Stemmed content words, in order. A text made only of stop words
    /// keeps them all: "ik kan niet meer" or "i can't anymore" is a whole
    /// message whose words are all function words, and without them it
    /// would be empty and meet no entry at all.
    fn words(&mut self, text: &str) -> Vec<String> {
        let words = collect(&mut self.stemmed, text);
        if words.is_empty() {
            collect(&mut self.stemmed_all, text)
        } else {
            words
        }
    }

    /// Folded content words, not stemmed (for letter pieces); the same
    /// fall-back as [`Analyzer::words`].
    fn plain_words(&mut self, text: &str) -> Vec<String> {
        let words = collect(&mut self.plain, text);
        if words.is_empty() {
            collect(&mut self.plain_all, text)
        } else {
            words
        }
    }
}

fn collect(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// A text as the classifier sees it.
#[derive(Debug, Clone, Default)]
struct Analysed {
    /// Hashed stemmed words (deduplicated), for coverage.
    unigrams: Vec<u64>,
    /// Hashed words and word pairs with their counts.
    word_terms: Counts,
    /// Hashed letter pieces with their counts.
    pieces: Counts,
}

fn analyse(analyzer: &mut Analyzer, text: &str) -> Analysed {
    let words = analyzer.words(text);
    let mut out = Analysed::default();
    let mut seen = HashSet::new();
    for (i, word) in words.iter().enumerate() {
        let h = hash(&[word]);
        if seen.insert(h) {
            out.unigrams.push(h);
        }
        *out.word_terms.entry(h).or_default() += 1.0;
        if let Some(next) = words.get(i + 1) {
            *out.word_terms.entry(hash(&[word, next])).or_default() += 1.0;
        }
    }
    let plain = analyzer.plain_words(text);
    if let Some(stemmer) = &analyzer.separable {
        for word in &plain {
            let Some(rest) = SEPARABLE_PREFIXES
                .iter()
                .find_map(|p| word.strip_prefix(p))
                .filter(|rest| rest.chars().count() >= MIN_SEPARATED)
            else {
                continue;
            };
            let h = hash(&[&stemmer.stem(rest)]);
            if seen.insert(h) {
                out.unigrams.push(h);
            }
            *out.word_terms.entry(h).or_default() += 1.0;
        }
    }
    let mut marked: Vec<char> = Vec::new();
    for word in plain {
        marked.clear();
        marked.push('<');
        marked.extend(word.chars());
        marked.push('>');
        for n in 3..=5 {
            for window in marked.windows(n) {
                *out.pieces.entry(hash_piece(window)).or_default() += 1.0;
            }
        }
    }
    out
}

/// One training example: a title, keyword line or question of an entry.
#[derive(Debug)]
struct Example {
    /// Slot of the entry in `LanguageModel::entries`.
    slot: u32,
    /// A question (held out in training); titles and keywords never are.
    question: bool,
    /// Unit tf-idf vectors in the word and the piece space, kept only
    /// while training.
    words: Vector,
    pieces: Vector,
    unigrams: Vec<u64>,
}

/// The model of one language.
#[derive(Debug, Default)]
struct LanguageModel {
    /// Positions in the base's entry list.
    entries: Vec<usize>,
    examples: Vec<Example>,
    /// Stemmed words and word pairs.
    words: Space,
    /// Letter pieces.
    pieces: Space,
    /// Per slot: in how many of its examples each word occurs, by word.
    strong_words: Vec<Vec<(u64, u32)>>,
    /// Per slot: the words of the answer text, sorted.
    body_words: Vec<Vec<u64>>,
    /// BM25 over each entry's whole text.
    documents: Documents,
    /// Per word: in how many examples and bodies of all entries it occurs.
    known: HashMap<u64, u32>,
    /// Per slot: an urgent entry.
    urgent: Vec<bool>,
    /// Per urgent entry (slot): words and pieces that tell its cries for
    /// help from every other message.
    crisis: Vec<(u32, CrisisWords)>,
    /// Per slot: squared norm of the sum of its example vectors, and the
    /// examples' positions.
    word_sum_sq: Vec<f64>,
    piece_sum_sq: Vec<f64>,
    slot_examples: Vec<Vec<u32>>,
}

/// A linear model over the same word and piece features that tells the
/// urgent entries' examples from all the others: it learns which words
/// carry a crisis ("dood", "slaat", "brand", "bewusteloos") and which
/// make a message ordinary, which similarity to examples alone cannot.
#[derive(Debug, Default)]
struct CrisisWords {
    /// Per feature: word ids first, then piece ids after `word_count`.
    /// 0 for a feature the model does not know.
    weights: Vec<f64>,
    word_count: usize,
    bias: f64,
}

/// How much more a cry for help weighs than another example when training
/// `CrisisWords`: recall first, without tipping the intercept.
const CRISIS_POSITIVE_WEIGHT: f64 = 4.0;

/// At most this many other examples train each crisis model.
const CRISIS_MAX_NEGATIVES: usize = 20_000;

/// Passes over the examples when training `CrisisWords`.
const CRISIS_EPOCHS: usize = 20;

impl CrisisWords {
    /// The features of a message, in one index over both spaces.
    fn features<'a>(
        word_count: usize,
        words: &'a Vector,
        pieces: &'a Vector,
    ) -> impl Iterator<Item = (usize, f64)> + 'a {
        words
            .iter()
            .map(|(id, w)| (*id as usize, f64::from(*w)))
            .chain(
                pieces
                    .iter()
                    .map(move |(id, w)| (word_count + *id as usize, f64::from(*w))),
            )
    }

    /// The probability that the message is this crisis. A message with
    /// no word or piece the model knows ("👍", an unknown language) has no
    /// evidence either way: 0, not the intercept.
    fn score(&self, words: &Vector, pieces: &Vector) -> f64 {
        let mut known = false;
        let z: f64 = Self::features(self.word_count, words, pieces)
            .filter_map(|(i, v)| {
                self.weights
                    .get(i)
                    .filter(|weight| **weight != 0.0)
                    .map(|weight| weight * v)
            })
            .inspect(|_| known = true)
            .sum();
        if known { sigmoid(z + self.bias) } else { 0.0 }
    }

    /// Trains on `examples` (word and piece vectors, urgent or not) over
    /// `word_count` word ids and `piece_count` piece ids.
    fn train(examples: &[(&Vector, &Vector, bool)], word_count: usize, piece_count: usize) -> Self {
        let positives = examples.iter().filter(|e| e.2).count();
        let negatives = examples.len() - positives;
        if positives == 0 || negatives == 0 {
            return Self {
                weights: Vec::new(),
                word_count,
                bias: -20.0,
            };
        }
        // On a large base every k-th other example is enough to learn
        // what is not a crisis, and training stays within seconds; the
        // shipped base is far below the cap and uses them all.
        let stride = negatives.div_ceil(CRISIS_MAX_NEGATIVES).max(1);
        let mut seen_negatives = 0usize;
        let rows: Vec<&(&Vector, &Vector, bool)> = examples
            .iter()
            .filter(|(_, _, urgent)| {
                if *urgent {
                    return true;
                }
                seen_negatives += 1;
                (seen_negatives - 1) % stride == 0
            })
            .collect();
        // Positives weigh CRISIS_POSITIVE_WEIGHT times a negative, not as
        // much as all negatives together: with fully balanced classes the
        // intercept turns positive, and a message with no known word at
        // all ("👍") would look like a cry for help.
        let (weight_pos, weight_neg) = (CRISIS_POSITIVE_WEIGHT, 1.0);
        let mut weights = vec![0.0f64; word_count + piece_count];
        let mut squared = vec![1e-8f64; word_count + piece_count];
        let (mut bias, mut bias_squared) = (0.0f64, 1e-8f64);
        for _ in 0..CRISIS_EPOCHS {
            for (words, pieces, urgent) in &rows {
                let z: f64 = Self::features(word_count, words, pieces)
                    .map(|(i, v)| weights[i] * v)
                    .sum::<f64>()
                    + bias;
                let (target, weight) = if *urgent {
                    (1.0, weight_pos)
                } else {
                    (0.0, weight_neg)
                };
                let error = (sigmoid(z) - target) * weight;
                for (i, v) in Self::features(word_count, words, pieces) {
                    let g = error * v + L2 * weights[i];
                    squared[i] += g * g;
                    weights[i] -= STEP * g / squared[i].sqrt();
                }
                bias_squared += error * error;
                bias -= STEP * error / bias_squared.sqrt();
            }
        }
        Self {
            weights,
            word_count,
            bias,
        }
    }
}

/// The working memory of one query: per example its cosines, per entry
/// (slot) its best, second best and summed cosines (words, pieces).
///
/// Kept per thread between queries and reset only where a query wrote:
/// allocating and zeroing arrays as long as the base's examples (about
/// 48,000 per language at 10,000 entries) for every message was a large
/// share of a query's time on a large base.
#[derive(Default)]
struct Scratch {
    word: Vec<f32>,
    piece: Vec<f32>,
    seen: Vec<bool>,
    touched: Vec<u32>,
    best: Vec<(f64, f64)>,
    second: Vec<(f64, f64)>,
    sums: Vec<(f64, f64)>,
    touched_slots: Vec<usize>,
    /// Per slot: BM25 of its document, and the slots it was set for.
    document: Vec<f64>,
    document_slots: Vec<usize>,
}

impl Scratch {
    /// Sizes the arrays for a model; clean after [`Scratch::reset`], and
    /// wiped whole if a query stopped half-way (a panic) and left marks.
    fn prepare(&mut self, examples: usize, slots: usize) {
        if !self.touched.is_empty()
            || !self.touched_slots.is_empty()
            || !self.document_slots.is_empty()
        {
            *self = Self::default();
        }
        self.word.resize(examples, 0.0);
        self.piece.resize(examples, 0.0);
        self.seen.resize(examples, false);
        self.best.resize(slots, (0.0, 0.0));
        self.second.resize(slots, (0.0, 0.0));
        self.sums.resize(slots, (0.0, 0.0));
        self.document.resize(slots, 0.0);
    }

    /// Zeroes what the last query wrote.
    fn reset(&mut self) {
        for &i in &self.touched {
            let i = i as usize;
            self.word[i] = 0.0;
            self.piece[i] = 0.0;
            self.seen[i] = false;
        }
        for &slot in &self.touched_slots {
            self.best[slot] = (0.0, 0.0);
            self.second[slot] = (0.0, 0.0);
            self.sums[slot] = (0.0, 0.0);
        }
        for &slot in &self.document_slots {
            self.document[slot] = 0.0;
        }
        self.touched.clear();
        self.touched_slots.clear();
        self.document_slots.clear();
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// One candidate entry's cosines: best, second best and summed, each
/// (words, pieces).
struct SlotCosines {
    slot: usize,
    best: (f64, f64),
    second: (f64, f64),
    sums: (f64, f64),
    /// BM25 of the entry's document relative to the best document's,
    /// and as a share of the most a document could score.
    document: f64,
    document_fit: f64,
}

/// Word counts of an analysed text, for BM25.
fn term_counts(analysed: &Analysed) -> TermCounts {
    analysed
        .unigrams
        .iter()
        .map(|u| {
            (
                *u,
                analysed.word_terms.get(u).copied().unwrap_or(1.0) as f32,
            )
        })
        .collect()
}

impl LanguageModel {
    fn build(entries: &[Entry], lang: Language, positions: Vec<usize>) -> Self {
        let mut analyzer = Analyzer::new(lang);
        let mut model = LanguageModel {
            entries: positions,
            ..Default::default()
        };
        model.urgent = model
            .entries
            .iter()
            .map(|&p| entries[p].kind == super::EntryKind::Urgent)
            .collect();
        let slots = model.entries.len();
        model.strong_words = Vec::with_capacity(slots);
        model.slot_examples = vec![Vec::new(); slots];
        let mut documents: Vec<TermCounts> = Vec::with_capacity(slots);
        // Each text is analysed once and kept only as counts over dense
        // ids; the examples of an entry are consecutive.
        for (slot, &position) in model.entries.iter().enumerate() {
            let entry = &entries[position];
            let slot = slot as u32;
            let mut texts: Vec<(bool, &str)> = Vec::new();
            let keywords = entry.keywords.join(" ");
            texts.push((false, &entry.title));
            if !entry.keywords.is_empty() {
                texts.push((false, &keywords));
            }
            texts.extend(entry.questions.iter().map(|q| (true, q.as_str())));
            let mut strong: HashMap<u64, u32> = HashMap::new();
            let mut document: Vec<TermCounts> = Vec::new();
            for (question, text) in texts {
                let a = analyse(&mut analyzer, text);
                document.push(term_counts(&a));
                for u in &a.unigrams {
                    *strong.entry(*u).or_default() += 1;
                    *model.known.entry(*u).or_default() += 1;
                }
                model.slot_examples[slot as usize].push(model.examples.len() as u32);
                model.examples.push(Example {
                    slot,
                    question,
                    words: model.words.intern(&a.word_terms),
                    pieces: model.pieces.intern(&a.pieces),
                    unigrams: a.unigrams,
                });
            }
            let mut strong: Vec<(u64, u32)> = strong.into_iter().collect();
            strong.sort_unstable();
            model.strong_words.push(strong);
            let body = analyse(&mut analyzer, &entry.body);
            document.push(term_counts(&body));
            documents.push(documents::merge(document));
            let mut body = body.unigrams;
            body.sort_unstable();
            body.dedup();
            for word in &body {
                *model.known.entry(*word).or_default() += 1;
            }
            model.body_words.push(body);
        }
        model.documents = Documents::build(&documents);
        drop(documents);
        model.words.set_idf(model.examples.iter().map(|e| &e.words));
        model
            .pieces
            .set_idf(model.examples.iter().map(|e| &e.pieces));
        for example in &mut model.examples {
            model.words.weigh_example(&mut example.words);
            model.pieces.weigh_example(&mut example.pieces);
        }
        let n = model.examples.len();
        let common = ((n as f64 * COMMON_PIECE_SHARE) as usize).max(COMMON_PIECE_MIN) as u32;
        model
            .words
            .index(model.examples.iter().map(|e| &e.words), u32::MAX);
        model
            .pieces
            .index(model.examples.iter().map(|e| &e.pieces), common);
        // ||sum of an entry's example vectors||², for the entry cosine.
        model.word_sum_sq = vec![0.0; slots];
        model.piece_sum_sq = vec![0.0; slots];
        for slot in 0..slots {
            let members = &model.slot_examples[slot];
            let sum_sq = |pick: fn(&Example) -> &Vector| {
                let mut sum: HashMap<u32, f64> = HashMap::new();
                for &i in members {
                    for (f, w) in pick(&model.examples[i as usize]) {
                        *sum.entry(*f).or_default() += f64::from(*w);
                    }
                }
                let mut values: Vec<(u32, f64)> = sum.into_iter().collect();
                values.sort_unstable_by_key(|(f, _)| *f);
                values.iter().map(|(_, w)| w * w).sum::<f64>()
            };
            model.word_sum_sq[slot] = sum_sq(|e| &e.words);
            model.piece_sum_sq[slot] = sum_sq(|e| &e.pieces);
        }
        // One model per urgent entry against all other examples: the
        // words of suicide are not those of a fire.
        let (word_count, piece_count) = (model.words.len(), model.pieces.len());
        let crisis = (0..slots as u32)
            .filter(|s| model.urgent[*s as usize])
            .map(|slot| {
                let labelled: Vec<(&Vector, &Vector, bool)> = model
                    .examples
                    .iter()
                    .map(|e| (&e.words, &e.pieces, e.slot == slot))
                    .collect();
                (slot, CrisisWords::train(&labelled, word_count, piece_count))
            })
            .collect();
        model.crisis = crisis;
        model
    }

    /// Drops what only training needs (each example's vectors; the
    /// postings keep their weights), so a served base of 10,000 entries
    /// does not hold every vector twice.
    fn forget_vectors(&mut self) {
        for example in &mut self.examples {
            example.words = Vec::new();
            example.pieces = Vec::new();
        }
    }

    /// The urgent entry (slot) whose crisis words fit an analysed message
    /// best, with that model's probability.
    fn crisis_score(&self, query: &Analysed) -> Option<(u32, f64)> {
        let words = self.words.weigh_query(&query.word_terms);
        let pieces = self.pieces.weigh_query(&query.pieces);
        self.crisis
            .iter()
            .map(|(slot, model)| (*slot, model.score(&words, &pieces)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Cosines of a query with every example it shares a feature with,
    /// into `scratch`.
    fn dots(&self, words: &Vector, pieces: &Vector, scratch: &mut Scratch) {
        let Scratch {
            word,
            piece,
            seen,
            touched,
            ..
        } = scratch;
        for (space, query, out) in [(&self.words, words, word), (&self.pieces, pieces, piece)] {
            for (f, qw) in query {
                for (i, w) in space.postings(*f) {
                    out[*i as usize] += qw * w;
                    if !seen[*i as usize] {
                        seen[*i as usize] = true;
                        touched.push(*i);
                    }
                }
            }
        }
    }

    /// The best `CANDIDATES` entries for a query by their best example,
    /// with their cosines. `held_out`: an example that must not count.
    fn best_slots(
        &self,
        words: &Vector,
        pieces: &Vector,
        terms: &TermCounts,
        held_out: Option<u32>,
    ) -> Vec<SlotCosines> {
        SCRATCH.with_borrow_mut(|scratch| {
            scratch.prepare(self.examples.len(), self.entries.len());
            self.dots(words, pieces, scratch);
            // The held-out question is the query itself: its words and
            // length leave its own entry's document.
            let held = held_out.map(|i| HeldOut {
                slot: self.examples[i as usize].slot as usize,
                terms,
                length: terms.iter().map(|(_, c)| c).sum(),
            });
            self.documents.score(
                terms,
                held.as_ref(),
                &mut scratch.document,
                &mut scratch.document_slots,
            );
            let Scratch {
                word,
                piece,
                touched,
                best,
                second,
                sums,
                touched_slots,
                document,
                document_slots,
                ..
            } = &mut *scratch;
            for &i in touched.iter() {
                if Some(i) == held_out {
                    continue;
                }
                let slot = self.examples[i as usize].slot as usize;
                let (w, p) = (f64::from(word[i as usize]), f64::from(piece[i as usize]));
                if best[slot] == (0.0, 0.0) && sums[slot] == (0.0, 0.0) {
                    touched_slots.push(slot);
                }
                if w > best[slot].0 {
                    second[slot].0 = best[slot].0;
                    best[slot].0 = w;
                } else if w > second[slot].0 {
                    second[slot].0 = w;
                }
                if p > best[slot].1 {
                    second[slot].1 = best[slot].1;
                    best[slot].1 = p;
                } else if p > second[slot].1 {
                    second[slot].1 = p;
                }
                sums[slot].0 += w;
                sums[slot].1 += p;
            }
            // A total order (ties by slot), so selecting the first
            // CANDIDATES and sorting only those gives what a full sort did.
            let order = |a: &usize, b: &usize| {
                let key = |s: usize| best[s].0 + best[s].1;
                key(*b).total_cmp(&key(*a)).then(a.cmp(b))
            };
            let mut top = touched_slots.clone();
            if top.len() > CANDIDATES {
                top.select_nth_unstable_by(CANDIDATES - 1, order);
                top.truncate(CANDIDATES);
            }
            top.sort_unstable_by(order);
            // The best documents are candidates too, even when no single
            // example comes close.
            let by_document =
                |a: &usize, b: &usize| document[*b].total_cmp(&document[*a]).then(a.cmp(b));
            let mut documents = document_slots.clone();
            if documents.len() > DOCUMENT_CANDIDATES {
                documents.select_nth_unstable_by(DOCUMENT_CANDIDATES - 1, by_document);
                documents.truncate(DOCUMENT_CANDIDATES);
            }
            documents.sort_unstable_by(by_document);
            let best_document = documents.first().map_or(0.0, |s| document[*s]);
            let ceiling = self.documents.ceiling(terms);
            for slot in documents {
                if !top.contains(&slot) {
                    top.push(slot);
                }
            }
            let found = top
                .into_iter()
                .map(|slot| SlotCosines {
                    slot,
                    best: best[slot],
                    second: second[slot],
                    sums: sums[slot],
                    document: if best_document > 0.0 {
                        document[slot] / best_document
                    } else {
                        0.0
                    },
                    document_fit: if ceiling > 0.0 {
                        (document[slot] / ceiling).min(1.0)
                    } else {
                        0.0
                    },
                })
                .collect();
            scratch.reset();
            found
        })
    }

    /// The features of every candidate entry for a query, best candidates
    /// first by their best example. `held_out`: the example being asked in
    /// training, which must not count as evidence for its own entry.
    fn candidates(&self, query: &Analysed, held_out: Option<u32>) -> Vec<(u32, Features)> {
        let words = self.words.weigh_query(&query.word_terms);
        let pieces = self.pieces.weigh_query(&query.pieces);
        let found = self.best_slots(&words, &pieces, &term_counts(query), held_out);

        let held = held_out.map(|i| &self.examples[i as usize]);
        // The query's word weights, for coverage.
        let weight = |u: &u64| self.words.idf_of(*u);
        let total: f64 = query.unigrams.iter().map(weight).sum();
        let held_has = |u: &u64| held.is_some_and(|h| h.unigrams.contains(u));
        let unknown: f64 = query
            .unigrams
            .iter()
            .filter(|u| {
                let count = self.known.get(*u).copied().unwrap_or(0);
                count <= u32::from(held_has(u))
            })
            .map(weight)
            .sum();
        let share = |part: f64| if total > 0.0 { part / total } else { 0.0 };
        found
            .into_iter()
            .map(
                |SlotCosines {
                     slot,
                     best,
                     second,
                     sums,
                     document,
                     document_fit,
                 }| {
                    let own = held.is_some_and(|h| h.slot as usize == slot);
                    // An entry's sum vector without the held-out example:
                    // |S - x|² = |S|² - 2 S·x + 1, with S·x = (dots of the
                    // others with x) + 1.
                    let entry_cos = |sum: f64, sum_sq: f64| {
                        let sq = if own {
                            (sum_sq - 2.0 * (sum + 1.0) + 1.0).max(0.0)
                        } else {
                            sum_sq
                        };
                        if sq > 0.0 {
                            (sum / sq.sqrt()).min(1.0)
                        } else {
                            0.0
                        }
                    };
                    let strong = &self.strong_words[slot];
                    let covered: f64 = query
                        .unigrams
                        .iter()
                        .filter(|u| {
                            let count = strong
                                .binary_search_by_key(*u, |(word, _)| *word)
                                .map_or(0, |at| strong[at].1);
                            count > u32::from(own && held_has(u))
                        })
                        .map(weight)
                        .sum();
                    let in_body: f64 = query
                        .unigrams
                        .iter()
                        .filter(|u| self.body_words[slot].binary_search(*u).is_ok())
                        .map(weight)
                        .sum();
                    let features = Features {
                        word_best: best.0.min(1.0),
                        piece_best: best.1.min(1.0),
                        word_two: ((best.0 + second.0) / 2.0).min(1.0),
                        piece_two: ((best.1 + second.1) / 2.0).min(1.0),
                        word_entry: entry_cos(sums.0, self.word_sum_sq[slot]),
                        piece_entry: entry_cos(sums.1, self.piece_sum_sq[slot]),
                        coverage: share(covered),
                        body_coverage: share(in_body),
                        unknown: share(unknown),
                        document,
                        document_fit,
                    };
                    (slot as u32, features)
                },
            )
            .collect()
    }

    /// The model of one language, its analyzer and its held-out training
    /// rows. The training vectors are dropped before the rows are asked,
    /// so they and the rows' scratch space are never alive together.
    fn train(entries: &[Entry], lang: Language) -> (Self, Analyzer, Vec<Group>) {
        let positions: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.lang == lang)
            .map(|(i, _)| i)
            .collect();
        let mut model = Self::build(entries, lang, positions);
        model.forget_vectors();
        let analyzer = Analyzer::new(lang);
        let rows = model.training_rows(&analyzer, entries);
        (model, analyzer, rows)
    }

    /// Training rows: each example question asked with itself left out,
    /// at most `MAX_TRAINING_QUESTIONS`, spread evenly. Asking them is
    /// most of the training time, and each is independent of the others:
    /// they are asked on `TRAINING_THREADS` threads, in fixed chunks joined
    /// in order, so the rows are the same on any machine.
    fn training_rows(&self, analyzer: &Analyzer, entries: &[Entry]) -> Vec<Group> {
        let questions: Vec<u32> = (0..self.examples.len() as u32)
            .filter(|i| self.examples[*i as usize].question)
            .collect();
        let stride = questions.len().div_ceil(MAX_TRAINING_QUESTIONS).max(1);
        // Re-analyse the question text (the examples keep no vectors).
        let texts: Vec<&str> = self
            .entries
            .iter()
            .flat_map(|&p| entries[p].questions.iter().map(String::as_str))
            .collect();
        let picked: Vec<(&str, u32)> = questions
            .iter()
            .enumerate()
            .step_by(stride)
            .filter_map(|(k, &i)| texts.get(k).map(|text| (*text, i)))
            .collect();
        let chunk = picked.len().div_ceil(TRAINING_THREADS).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = picked
                .chunks(chunk)
                .map(|part| {
                    let mut analyzer = analyzer.clone();
                    scope.spawn(move || {
                        part.iter()
                            .map(|(text, i)| self.held_out_group(&mut analyzer, text, *i))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| {
                    worker
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }

    /// Example question `i` (with `text`) asked with itself left out.
    fn held_out_group(&self, analyzer: &mut Analyzer, text: &str, i: u32) -> Group {
        let example = &self.examples[i as usize];
        let query = analyse(analyzer, text);
        let candidates = self
            .candidates(&query, Some(i))
            .into_iter()
            .map(|(slot, features)| (features, slot == example.slot, self.urgent[slot as usize]))
            .collect();
        Group {
            candidates,
            urgent: self.urgent[example.slot as usize],
        }
    }
}

/// One held-out question in training: its candidates (features, the
/// right entry, an urgent entry) and whether the question is urgent.
struct Group {
    candidates: Vec<(Features, bool, bool)>,
    urgent: bool,
}

/// Number of inputs of the urgency model, bias included.
const URGENT_INPUTS: usize = 6;

/// Whether a message is a cry for help, from its candidates: how good the
/// best urgent entry is, and how it compares with the best ordinary one.
/// Trained on the held-out questions like the ranker, with both classes
/// weighted equally, so its threshold can be set for recall.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UrgencyModel {
    pub weights: [f64; URGENT_INPUTS],
}

impl UrgencyModel {
    /// `(ranker probability, features)` of the best urgent and the best
    /// ordinary candidate.
    fn inputs(urgent: Option<(f64, &Features)>, ordinary: Option<f64>) -> [f64; URGENT_INPUTS] {
        let (p, f) = match urgent {
            Some((p, f)) => (p, *f),
            None => (0.0, Features::default()),
        };
        let other = ordinary.unwrap_or(0.0);
        [p, f.piece_best, f.word_two, f.coverage, p - other, 1.0]
    }

    pub fn probability(&self, urgent: Option<(f64, &Features)>, ordinary: Option<f64>) -> f64 {
        let x = Self::inputs(urgent, ordinary);
        sigmoid(self.weights.iter().zip(x).map(|(w, x)| w * x).sum())
    }

    fn train(rows: &[([f64; URGENT_INPUTS], bool)]) -> Self {
        let positives = rows.iter().filter(|(_, y)| *y).count();
        let negatives = rows.len() - positives;
        let mut model = Self {
            weights: [0.0; URGENT_INPUTS],
        };
        if positives == 0 || negatives == 0 {
            // No urgent entries: never urgent.
            model.weights[URGENT_INPUTS - 1] = -20.0;
            return model;
        }
        model.weights = fit_logistic(rows, model.weights);
        model
    }
}

/// A message as the classifier sees it, for comparing two messages with
/// each other: its stemmed words and word pairs, and its letter pieces,
/// each a unit tf-idf vector weighed with the language's idf (the same
/// analysis and weights a message meets the examples with). Features no
/// example has are kept, with the idf of an unseen word: two questions
/// the base has no answer for are alike mostly by such words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageVector {
    words: Vec<(u64, f64)>,
    pieces: Vec<(u64, f64)>,
}

/// How alike two messages are: the cosines of their word and their
/// letter-piece vectors, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Likeness {
    pub words: f64,
    pub pieces: f64,
}

impl Likeness {
    /// The two cosines together, as the classifier orders a message's
    /// nearest examples (the sum of both, here halved into [0, 1]).
    pub fn combined(&self) -> f64 {
        (self.words + self.pieces) / 2.0
    }
}

/// The dot product of two sparse vectors sorted by key; for unit vectors,
/// their cosine. Also for the kennisbank's ranking vectors.
pub fn sparse_dot<K: Ord>(a: &[(K, f64)], b: &[(K, f64)]) -> f64 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

impl MessageVector {
    /// How alike this message is to `other` (of the same language).
    pub fn likeness(&self, other: &MessageVector) -> Likeness {
        Likeness {
            words: sparse_dot(&self.words, &other.words).clamp(0.0, 1.0),
            pieces: sparse_dot(&self.pieces, &other.pieces).clamp(0.0, 1.0),
        }
    }

    /// No word or piece at all (an emoji, only punctuation).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.pieces.is_empty()
    }
}

/// The classifier over a whole knowledge base.
#[derive(Debug)]
pub struct Classifier {
    models: HashMap<Language, LanguageModel>,
    /// Built once: building one per message (its stop-word sets) was most
    /// of a query's time.
    analyzers: HashMap<Language, Analyzer>,
    ranker: Ranker,
    urgency: UrgencyModel,
    /// Held-out questions the ranker was trained on.
    pub training_questions: usize,
}

impl Classifier {
    /// Builds the models and trains the ranker. `usable(i)` says whether
    /// entry `i` takes part (valid, loaded without errors).
    pub fn train(entries: &[Entry]) -> Self {
        // One language after the other: each one's training vectors are
        // dropped before the next is built, which keeps the peak memory of
        // a large base to one language's (the held-out questions, most of
        // the time, run on several threads within a language instead).
        let per_language: Vec<_> = [Language::Nl, Language::En]
            .into_iter()
            .map(|lang| (lang, LanguageModel::train(entries, lang)))
            .collect();
        let mut models = HashMap::new();
        let mut analyzers = HashMap::new();
        let mut groups = Vec::new();
        for (lang, (model, analyzer, rows)) in per_language {
            groups.extend(rows);
            models.insert(lang, model);
            analyzers.insert(lang, analyzer);
        }
        let rows: Vec<([f64; INPUTS], bool)> = groups
            .iter()
            .flat_map(|g| {
                g.candidates
                    .iter()
                    .map(|(f, right, _)| (f.inputs(), *right))
            })
            .collect();
        let ranker = Ranker::train(&rows);
        drop(rows);
        let urgent_rows: Vec<([f64; URGENT_INPUTS], bool)> = groups
            .iter()
            .map(|g| {
                let best = |urgent: bool| {
                    g.candidates
                        .iter()
                        .filter(|c| c.2 == urgent)
                        .map(|(f, _, _)| (ranker.probability(f), f))
                        .max_by(|a, b| a.0.total_cmp(&b.0))
                };
                let ordinary = best(false).map(|(p, _)| p);
                (UrgencyModel::inputs(best(true), ordinary), g.urgent)
            })
            .collect();
        let urgency = UrgencyModel::train(&urgent_rows);
        Self {
            models,
            analyzers,
            ranker,
            urgency,
            training_questions: groups.len(),
        }
    }

    pub fn urgency_model(&self) -> &UrgencyModel {
        &self.urgency
    }

    /// How likely `scored` (one message's candidates, best first) is a
    /// cry for help; `is_urgent(entry)` tells the urgent entries.
    pub fn urgency(&self, scored: &[Scored], is_urgent: impl Fn(usize) -> bool) -> f64 {
        let urgent = scored
            .iter()
            .find(|s| is_urgent(s.entry))
            .map(|s| (s.probability, &s.features));
        if urgent.is_none() {
            return 0.0;
        }
        let ordinary = scored
            .iter()
            .find(|s| !is_urgent(s.entry))
            .map(|s| s.probability);
        self.urgency.probability(urgent, ordinary)
    }

    fn analyzer(&self, lang: Language) -> Analyzer {
        self.analyzers
            .get(&lang)
            .cloned()
            .unwrap_or_else(|| Analyzer::new(lang))
    }

    pub fn ranker(&self) -> &Ranker {
        &self.ranker
    }

    /// Candidates for `text` in `lang`, most probable first.
    pub fn classify(&self, text: &str, lang: Language) -> Vec<Scored> {
        let Some(model) = self.models.get(&lang) else {
            return Vec::new();
        };
        let mut analyzer = self.analyzer(lang);
        let query = analyse(&mut analyzer, text);
        self.rank(model, model.candidates(&query, None))
    }

    fn rank(&self, model: &LanguageModel, candidates: Vec<(u32, Features)>) -> Vec<Scored> {
        let mut scored: Vec<Scored> = candidates
            .into_iter()
            .map(|(slot, features)| Scored {
                entry: model.entries[slot as usize],
                probability: self.ranker.probability(&features),
                share: 0.0,
                features,
            })
            .collect();
        // Logits from probabilities; exp(z) = p / (1 - p).
        let odds: Vec<f64> = scored
            .iter()
            .map(|s| s.probability / (1.0 - s.probability).max(1e-12))
            .collect();
        let total: f64 = 1.0 + odds.iter().sum::<f64>();
        for (s, o) in scored.iter_mut().zip(odds) {
            s.share = o / total;
        }
        scored.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then(a.entry.cmp(&b.entry))
        });
        scored
    }

    /// `text` in `lang` as the classifier sees it, for comparing it with
    /// another message ([`MessageVector::likeness`]). A language without
    /// entries has no idf: every feature then weighs the same.
    pub fn message_vector(&self, text: &str, lang: Language) -> MessageVector {
        let mut analyzer = self.analyzer(lang);
        let analysed = analyse(&mut analyzer, text);
        match self.models.get(&lang) {
            Some(model) => MessageVector {
                words: model.words.weigh_message(&analysed.word_terms),
                pieces: model.pieces.weigh_message(&analysed.pieces),
            },
            None => {
                let mut flat = Space::default();
                flat.set_idf(std::iter::empty());
                MessageVector {
                    words: flat.weigh_message(&analysed.word_terms),
                    pieces: flat.weigh_message(&analysed.pieces),
                }
            }
        }
    }

    /// The urgent entry (position in the base) whose crisis words fit
    /// `text` in `lang` best, with its probability (0 to 1); `None` when
    /// the language has no urgent entries.
    pub fn crisis(&self, text: &str, lang: Language) -> Option<(usize, f64)> {
        let model = self.models.get(&lang)?;
        let mut analyzer = self.analyzer(lang);
        model
            .crisis_score(&analyse(&mut analyzer, text))
            .map(|(slot, p)| (model.entries[slot as usize], p))
    }

    /// Leave-one-out: every example question of `lang` asked with itself
    /// left out, with the entry it belongs to and the ranked candidates.
    /// For the confusion report and for calibrating the urgent threshold.
    pub fn leave_one_out(
        &self,
        entries: &[Entry],
        lang: Language,
    ) -> Vec<(usize, String, Vec<Scored>)> {
        let Some(model) = self.models.get(&lang) else {
            return Vec::new();
        };
        let mut analyzer = self.analyzer(lang);
        let mut out = Vec::new();
        let mut k = 0usize;
        let texts: Vec<&str> = model
            .entries
            .iter()
            .flat_map(|&p| entries[p].questions.iter().map(String::as_str))
            .collect();
        for (i, example) in model.examples.iter().enumerate() {
            if !example.question {
                continue;
            }
            let Some(text) = texts.get(k) else { break };
            k += 1;
            let query = analyse(&mut analyzer, text);
            let ranked = self.rank(model, model.candidates(&query, Some(i as u32)));
            out.push((
                model.entries[example.slot as usize],
                (*text).to_owned(),
                ranked,
            ));
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::knowledge::parse_entry;
    use std::path::Path;

    /// An entry with these questions; `extra` is more front matter.
    pub(crate) fn entry(id: &str, questions: &[&str], extra: &str) -> Entry {
        let list: String = questions.iter().map(|q| format!("  - {q}\n")).collect();
        let text =
            format!("---\nid: {id}\ntitle: {id}\n{extra}questions:\n{list}---\nTekst over {id}.\n");
        parse_entry(Path::new(&format!("nl/{id}.md")), &text)
            .expect("valid")
            .0
    }

    fn base() -> Vec<Entry> {
        vec![
            entry(
                "paspoort",
                &[
                    "paspoort aanvragen",
                    "nieuw paspoort nodig",
                    "paspoort verlengen",
                    "wat moet ik meenemen voor mijn paspoort",
                ],
                "",
            ),
            entry(
                "grofvuil",
                &[
                    "grofvuil ophalen",
                    "mijn oude bank moet weg",
                    "matras laten ophalen",
                    "wanneer komt de grofvuilwagen",
                ],
                "",
            ),
            entry(
                "zelfdoding",
                &[
                    "ik wil dood",
                    "ik wil er een eind aan maken",
                    "ik zie het niet meer zitten",
                    "ik wil niet meer leven",
                ],
                "urgent: true\n",
            ),
        ]
    }

    #[test]
    fn training_is_deterministic() {
        let entries = base();
        let a = Classifier::train(&entries);
        let b = Classifier::train(&entries);
        assert_eq!(a.ranker, b.ranker);
        assert_eq!(
            a.classify("paspoort kwijt", Language::Nl),
            b.classify("paspoort kwijt", Language::Nl)
        );
    }

    #[test]
    fn a_query_leaves_nothing_behind_for_the_next_one() {
        // The per-thread working memory is shared by every base and
        // language on a thread: a query on one base, and the held-out
        // questions of another, must not change the next answer.
        let small = base();
        let mut large = base();
        large.push(entry(
            "parkeren",
            &[
                "parkeervergunning aanvragen",
                "waar mag ik parkeren",
                "bezoekersvergunning voor mijn paspoort afspraak",
            ],
            "",
        ));
        let a = Classifier::train(&small);
        let b = Classifier::train(&large);
        let first = a.classify("paspoort kwijt grofvuil", Language::Nl);
        assert!(!first.is_empty());
        let other = b.classify("parkeervergunning paspoort grofvuil", Language::Nl);
        assert!(!other.is_empty());
        let _ = b.leave_one_out(&large, Language::Nl);
        assert_eq!(a.classify("paspoort kwijt grofvuil", Language::Nl), first);
        let on_a_fresh_thread = std::thread::scope(|scope| {
            scope
                .spawn(|| a.classify("paspoort kwijt grofvuil", Language::Nl))
                .join()
                .expect("no panic")
        });
        assert_eq!(on_a_fresh_thread, first);
    }

    #[test]
    fn a_separable_verb_meets_its_whole_form() {
        let entries = base();
        let classifier = Classifier::train(&entries);
        let ranked = classifier.classify("hoe vraag ik een paspoort aan", Language::Nl);
        assert_eq!(
            ranked.first().map(|s| entries[s.entry].id.as_str()),
            Some("paspoort")
        );
        let mut analyzer = Analyzer::new(Language::Nl);
        let whole = analyse(&mut analyzer, "aanvragen");
        let split = analyse(&mut analyzer, "vraag aan");
        assert!(
            whole.unigrams.iter().any(|u| split.unigrams.contains(u)),
            "{whole:?} {split:?}"
        );
    }

    #[test]
    fn a_message_of_only_stop_words_keeps_its_words() {
        // Each of these is made of stop words only; with them left out the
        // message would be empty and meet no entry.
        for (lang, text) in [
            (Language::Nl, "ik kan niet meer"),
            (Language::Nl, "ik wil er niet meer zijn"),
            (Language::En, "is it not there"),
        ] {
            let mut analyzer = Analyzer::new(lang);
            assert!(collect(&mut analyzer.stemmed, text).is_empty(), "{text}");
            let analysed = analyse(&mut analyzer, text);
            assert!(!analysed.unigrams.is_empty(), "{text}");
            assert!(!analysed.pieces.is_empty(), "{text}");
        }
        // A message with a content word still drops its stop words.
        let mut analyzer = Analyzer::new(Language::Nl);
        let with_content = analyse(&mut analyzer, "ik wil een paspoort");
        assert_eq!(with_content.unigrams.len(), 1, "{with_content:?}");
    }

    #[test]
    fn shares_split_between_candidates_that_fit_equally() {
        let entries = base();
        let classifier = Classifier::train(&entries);
        for scored in classifier.classify("paspoort grofvuil", Language::Nl) {
            assert!(scored.share <= scored.probability + 1e-12, "{scored:?}");
        }
    }

    #[test]
    fn crisis_words_find_the_urgent_entry_and_an_empty_message_is_no_crisis() {
        let entries = base();
        let classifier = Classifier::train(&entries);
        let (position, p) = classifier
            .crisis("ik wil dood", Language::Nl)
            .expect("an urgent entry");
        assert_eq!(entries[position].id.as_str(), "zelfdoding");
        assert!(p > 0.5, "{p}");
        assert_eq!(
            classifier.crisis("👍", Language::Nl).map(|c| c.1),
            Some(0.0)
        );
        let (_, ordinary) = classifier
            .crisis("mijn oude bank moet weg", Language::Nl)
            .expect("scored");
        assert!(ordinary < p, "{ordinary} vs {p}");
    }
}
