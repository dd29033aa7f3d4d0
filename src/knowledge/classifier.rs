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

use super::Entry;
use crate::domain::Language;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemLanguage, LowerCaser, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, TokenStream,
};

/// Candidate entries scored by the ranker per message.
const CANDIDATES: usize = 12;
/// Letter pieces shared by more than this share of the examples (and
/// more than `COMMON_PIECE_MIN` examples) are skipped when comparing: they
/// say little and would make a query touch every example.
const COMMON_PIECE_SHARE: f64 = 0.05;
const COMMON_PIECE_MIN: usize = 200;
/// Training asks at most this many held-out questions per language, spread
/// evenly over the entries, so start-up stays within seconds on a large base.
const MAX_TRAINING_QUESTIONS: usize = 6000;
/// Passes of gradient descent over the training rows, its step and the L2
/// penalty that keeps the few weights small.
const EPOCHS: usize = 300;
const STEP: f64 = 0.5;
const L2: f64 = 1e-4;

/// The evidence for one candidate entry, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Features {
    /// Best cosine of the message with one of the entry's examples (words).
    pub word_best: f64,
    /// The same with letter pieces.
    pub piece_best: f64,
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
}

/// Number of inputs of the ranker, bias included.
const INPUTS: usize = 10;

impl Features {
    fn inputs(&self) -> [f64; INPUTS] {
        [
            self.word_best,
            self.piece_best,
            self.word_entry,
            self.piece_entry,
            self.coverage,
            self.body_coverage,
            self.unknown,
            self.word_best * self.coverage,
            self.piece_best * self.piece_best,
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
    pub probability: f64,
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

    /// Fits the weights to `rows` (features, right entry or not), with
    /// both classes weighted equally.
    fn train(rows: &[(Features, bool)]) -> Self {
        let positives = rows.iter().filter(|(_, y)| *y).count();
        let negatives = rows.len() - positives;
        if positives == 0 || negatives == 0 {
            return Self::default();
        }
        let weight_pos = rows.len() as f64 / (2.0 * positives as f64);
        let weight_neg = rows.len() as f64 / (2.0 * negatives as f64);
        let inputs: Vec<([f64; INPUTS], f64, f64)> = rows
            .iter()
            .map(|(f, y)| {
                let (target, weight) = if *y {
                    (1.0, weight_pos)
                } else {
                    (0.0, weight_neg)
                };
                (f.inputs(), target, weight)
            })
            .collect();
        let n = rows.len() as f64;
        let mut ranker = Self::default();
        // Adagrad: every input gets its own step, so rare features (the
        // unknown share) learn as fast as the ever-present ones.
        let mut squared = [1e-8; INPUTS];
        for _ in 0..EPOCHS {
            let mut gradient = [0.0; INPUTS];
            for (x, target, weight) in &inputs {
                let z: f64 = ranker.weights.iter().zip(x).map(|(w, x)| w * x).sum();
                let error = (sigmoid(z) - target) * weight;
                for (g, xi) in gradient.iter_mut().zip(x) {
                    *g += error * xi;
                }
            }
            for i in 0..INPUTS {
                let g = gradient[i] / n + L2 * ranker.weights[i];
                squared[i] += g * g;
                ranker.weights[i] -= STEP * g / squared[i].sqrt();
            }
        }
        ranker
    }
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

/// The analysis of one language: tantivy's tokenizer, lower-casing, accent
/// folding, stop words and Snowball stemmer.
struct Analyzer {
    stemmed: TextAnalyzer,
    plain: TextAnalyzer,
}

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
        let stop = || {
            StopWordFilter::new(stem_lang).unwrap_or_else(|| StopWordFilter::remove(Vec::new()))
        };
        Self {
            stemmed: base().filter(stop()).filter(Stemmer::new(stem_lang)).build(),
            plain: base().filter(stop()).build(),
        }
    }

    /// Stemmed content words, in order.
    fn words(&mut self, text: &str) -> Vec<String> {
        collect(&mut self.stemmed, text)
    }

    /// Folded content words, not stemmed (for letter pieces).
    fn plain_words(&mut self, text: &str) -> Vec<String> {
        collect(&mut self.plain, text)
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
    word_terms: HashMap<u64, f64>,
    /// Hashed letter pieces with their counts.
    pieces: HashMap<u64, f64>,
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
    for word in analyzer.plain_words(text) {
        let marked: Vec<char> = format!("<{word}>").chars().collect();
        for n in 3..=5 {
            for window in marked.windows(n) {
                let piece: String = window.iter().collect();
                *out.pieces.entry(hash(&["#", &piece])).or_default() += 1.0;
            }
        }
    }
    out
}

/// Sparse vector: (feature, weight), L2-normalised.
type Vector = Vec<(u64, f32)>;

fn weigh(counts: &HashMap<u64, f64>, idf: &HashMap<u64, f64>, default_idf: f64) -> Vector {
    let mut v: Vec<(u64, f64)> = counts
        .iter()
        .map(|(f, c)| (*f, (1.0 + c.ln()) * idf.get(f).copied().unwrap_or(default_idf)))
        .collect();
    let norm = v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    if norm > 0.0 {
        for (_, w) in &mut v {
            *w /= norm;
        }
    }
    v.sort_unstable_by_key(|(f, _)| *f);
    v.into_iter().map(|(f, w)| (f, w as f32)).collect()
}

/// One training example: a title, keyword line or question of an entry.
#[derive(Debug)]
struct Example {
    /// Slot of the entry in `LanguageModel::entries`.
    slot: u32,
    /// A question (held out in training); titles and keywords never are.
    question: bool,
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
    word_postings: HashMap<u64, Vec<(u32, f32)>>,
    piece_postings: HashMap<u64, Vec<(u32, f32)>>,
    word_idf: HashMap<u64, f64>,
    piece_idf: HashMap<u64, f64>,
    /// Idf of a word no example has.
    unseen_idf: f64,
    /// Per slot: in how many of its examples each word occurs.
    strong_words: Vec<HashMap<u64, u32>>,
    /// Per slot: the words of the answer text.
    body_words: Vec<HashSet<u64>>,
    /// Per word: in how many examples and bodies of all entries it occurs.
    known: HashMap<u64, u32>,
    /// Per slot: squared norm of the sum of its example vectors, and the
    /// examples' positions.
    word_sum_sq: Vec<f64>,
    piece_sum_sq: Vec<f64>,
    slot_examples: Vec<Vec<u32>>,
}

/// What one query found: per-example cosines.
struct Dots {
    word: Vec<f32>,
    piece: Vec<f32>,
    touched: Vec<u32>,
}

impl LanguageModel {
    fn build(entries: &[Entry], lang: Language, positions: Vec<usize>) -> Self {
        let mut analyzer = Analyzer::new(lang);
        let mut model = LanguageModel {
            entries: positions,
            ..Default::default()
        };
        let mut raw: Vec<(u32, bool, Analysed)> = Vec::new();
        for (slot, &position) in model.entries.iter().enumerate() {
            let entry = &entries[position];
            let slot = slot as u32;
            raw.push((slot, false, analyse(&mut analyzer, &entry.title)));
            if !entry.keywords.is_empty() {
                raw.push((slot, false, analyse(&mut analyzer, &entry.keywords.join(" "))));
            }
            for question in &entry.questions {
                raw.push((slot, true, analyse(&mut analyzer, question)));
            }
            let body: HashSet<u64> = analyse(&mut analyzer, &entry.body)
                .unigrams
                .into_iter()
                .collect();
            for word in &body {
                *model.known.entry(*word).or_default() += 1;
            }
            model.body_words.push(body);
        }
        let n = raw.len().max(1) as f64;
        let mut word_df: HashMap<u64, u32> = HashMap::new();
        let mut piece_df: HashMap<u64, u32> = HashMap::new();
        for (_, _, a) in &raw {
            for f in a.word_terms.keys() {
                *word_df.entry(*f).or_default() += 1;
            }
            for f in a.pieces.keys() {
                *piece_df.entry(*f).or_default() += 1;
            }
        }
        let idf = |df: u32| ((n + 1.0) / (f64::from(df) + 1.0)).ln() + 1.0;
        model.word_idf = word_df.iter().map(|(f, df)| (*f, idf(*df))).collect();
        model.piece_idf = piece_df.iter().map(|(f, df)| (*f, idf(*df))).collect();
        model.unseen_idf = idf(0);
        let common = ((n * COMMON_PIECE_SHARE) as usize).max(COMMON_PIECE_MIN) as u32;
        let slots = model.entries.len();
        model.strong_words = vec![HashMap::new(); slots];
        model.slot_examples = vec![Vec::new(); slots];
        for (slot, question, a) in raw {
            let index = model.examples.len() as u32;
            let words = weigh(&a.word_terms, &model.word_idf, model.unseen_idf);
            let pieces = weigh(&a.pieces, &model.piece_idf, model.unseen_idf);
            for (f, w) in &words {
                model.word_postings.entry(*f).or_default().push((index, *w));
            }
            for (f, w) in &pieces {
                if piece_df.get(f).copied().unwrap_or(0) <= common {
                    model.piece_postings.entry(*f).or_default().push((index, *w));
                }
            }
            for u in &a.unigrams {
                *model.strong_words[slot as usize].entry(*u).or_default() += 1;
                *model.known.entry(*u).or_default() += 1;
            }
            model.slot_examples[slot as usize].push(index);
            model.examples.push(Example {
                slot,
                question,
                words,
                pieces,
                unigrams: a.unigrams,
            });
        }
        // ||sum of an entry's example vectors||², for the entry cosine.
        model.word_sum_sq = vec![0.0; slots];
        model.piece_sum_sq = vec![0.0; slots];
        for slot in 0..slots {
            let members = &model.slot_examples[slot];
            let sum_sq = |pick: fn(&Example) -> &Vector| {
                let mut sum: HashMap<u64, f64> = HashMap::new();
                for &i in members {
                    for (f, w) in pick(&model.examples[i as usize]) {
                        *sum.entry(*f).or_default() += f64::from(*w);
                    }
                }
                sum.values().map(|w| w * w).sum::<f64>()
            };
            model.word_sum_sq[slot] = sum_sq(|e| &e.words);
            model.piece_sum_sq[slot] = sum_sq(|e| &e.pieces);
        }
        model
    }

    /// Cosines of a query with every example it shares a feature with.
    fn dots(&self, words: &Vector, pieces: &Vector) -> Dots {
        let mut dots = Dots {
            word: vec![0.0; self.examples.len()],
            piece: vec![0.0; self.examples.len()],
            touched: Vec::new(),
        };
        let mut seen = vec![false; self.examples.len()];
        for (postings, query, out) in [
            (&self.word_postings, words, &mut dots.word),
            (&self.piece_postings, pieces, &mut dots.piece),
        ] {
            for (f, qw) in query {
                if let Some(list) = postings.get(f) {
                    for (i, w) in list {
                        out[*i as usize] += qw * w;
                        if !seen[*i as usize] {
                            seen[*i as usize] = true;
                            dots.touched.push(*i);
                        }
                    }
                }
            }
        }
        dots
    }

    /// The features of every candidate entry for a query, best candidates
    /// first by their best example. `held_out`: the example being asked in
    /// training, which must not count as evidence for its own entry.
    fn candidates(&self, query: &Analysed, held_out: Option<u32>) -> Vec<(u32, Features)> {
        let words = weigh(&query.word_terms, &self.word_idf, self.unseen_idf);
        let pieces = weigh(&query.pieces, &self.piece_idf, self.unseen_idf);
        let dots = self.dots(&words, &pieces);
        let slots = self.entries.len();
        let mut best = vec![(0.0f64, 0.0f64); slots];
        let mut sums = vec![(0.0f64, 0.0f64); slots];
        let mut touched_slots = Vec::new();
        for &i in &dots.touched {
            if Some(i) == held_out {
                continue;
            }
            let slot = self.examples[i as usize].slot as usize;
            let (w, p) = (
                f64::from(dots.word[i as usize]),
                f64::from(dots.piece[i as usize]),
            );
            if best[slot] == (0.0, 0.0) && sums[slot] == (0.0, 0.0) {
                touched_slots.push(slot);
            }
            best[slot].0 = best[slot].0.max(w);
            best[slot].1 = best[slot].1.max(p);
            sums[slot].0 += w;
            sums[slot].1 += p;
        }
        touched_slots.sort_unstable_by(|a, b| {
            let key = |s: usize| best[s].0 + best[s].1;
            key(*b).total_cmp(&key(*a)).then(a.cmp(b))
        });
        touched_slots.truncate(CANDIDATES);

        let held = held_out.map(|i| &self.examples[i as usize]);
        // The query's word weights, for coverage.
        let weight = |u: &u64| self.word_idf.get(u).copied().unwrap_or(self.unseen_idf);
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
        touched_slots
            .into_iter()
            .map(|slot| {
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
                    if sq > 0.0 { (sum / sq.sqrt()).min(1.0) } else { 0.0 }
                };
                let strong = &self.strong_words[slot];
                let covered: f64 = query
                    .unigrams
                    .iter()
                    .filter(|u| {
                        let count = strong.get(*u).copied().unwrap_or(0);
                        count > u32::from(own && held_has(u))
                    })
                    .map(weight)
                    .sum();
                let in_body: f64 = query
                    .unigrams
                    .iter()
                    .filter(|u| self.body_words[slot].contains(*u))
                    .map(weight)
                    .sum();
                let features = Features {
                    word_best: best[slot].0.min(1.0),
                    piece_best: best[slot].1.min(1.0),
                    word_entry: entry_cos(sums[slot].0, self.word_sum_sq[slot]),
                    piece_entry: entry_cos(sums[slot].1, self.piece_sum_sq[slot]),
                    coverage: share(covered),
                    body_coverage: share(in_body),
                    unknown: share(unknown),
                };
                (slot as u32, features)
            })
            .collect()
    }

    /// Training rows: each example question asked with itself left out,
    /// at most `MAX_TRAINING_QUESTIONS`, spread evenly.
    fn training_rows(&self, analyzer: &mut Analyzer, entries: &[Entry]) -> Vec<(Features, bool)> {
        let questions: Vec<u32> = (0..self.examples.len() as u32)
            .filter(|i| self.examples[*i as usize].question)
            .collect();
        let stride = questions.len().div_ceil(MAX_TRAINING_QUESTIONS).max(1);
        // Re-analyse the question text (the examples keep only vectors).
        let texts: Vec<&str> = self
            .entries
            .iter()
            .flat_map(|&p| entries[p].questions.iter().map(String::as_str))
            .collect();
        let mut rows = Vec::new();
        for (k, &i) in questions.iter().enumerate().step_by(stride) {
            let Some(text) = texts.get(k) else { continue };
            let example = &self.examples[i as usize];
            let query = analyse(analyzer, text);
            for (slot, features) in self.candidates(&query, Some(i)) {
                rows.push((features, slot == example.slot));
            }
        }
        rows
    }
}

/// The classifier over a whole knowledge base.
#[derive(Debug)]
pub struct Classifier {
    models: HashMap<Language, LanguageModel>,
    ranker: Ranker,
    /// Leave-one-out top-1 of the training questions (for `lint`).
    pub training_questions: usize,
}

impl Classifier {
    /// Builds the models and trains the ranker. `usable(i)` says whether
    /// entry `i` takes part (valid, loaded without errors).
    pub fn train(entries: &[Entry]) -> Self {
        let mut models = HashMap::new();
        let mut rows = Vec::new();
        for lang in [Language::Nl, Language::En] {
            let positions: Vec<usize> = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.lang == lang)
                .map(|(i, _)| i)
                .collect();
            let model = LanguageModel::build(entries, lang, positions);
            let mut analyzer = Analyzer::new(lang);
            rows.extend(model.training_rows(&mut analyzer, entries));
            models.insert(lang, model);
        }
        let training_questions = rows.iter().filter(|(_, y)| *y).count();
        let ranker = Ranker::train(&rows);
        Self {
            models,
            ranker,
            training_questions,
        }
    }

    pub fn ranker(&self) -> &Ranker {
        &self.ranker
    }

    /// Candidates for `text` in `lang`, most probable first.
    pub fn classify(&self, text: &str, lang: Language) -> Vec<Scored> {
        let Some(model) = self.models.get(&lang) else {
            return Vec::new();
        };
        let mut analyzer = Analyzer::new(lang);
        let query = analyse(&mut analyzer, text);
        self.rank(model, model.candidates(&query, None))
    }

    fn rank(&self, model: &LanguageModel, candidates: Vec<(u32, Features)>) -> Vec<Scored> {
        let mut scored: Vec<Scored> = candidates
            .into_iter()
            .map(|(slot, features)| Scored {
                entry: model.entries[slot as usize],
                probability: self.ranker.probability(&features),
                features,
            })
            .collect();
        scored.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then(a.entry.cmp(&b.entry))
        });
        scored
    }

    /// Leave-one-out: every example question of `lang` asked with itself
    /// left out, with the entry it belongs to and the ranked candidates.
    /// For the confusion report and for calibrating the urgent threshold.
    pub fn leave_one_out(&self, entries: &[Entry], lang: Language) -> Vec<(usize, String, Vec<Scored>)> {
        let Some(model) = self.models.get(&lang) else {
            return Vec::new();
        };
        let mut analyzer = Analyzer::new(lang);
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
            out.push((model.entries[example.slot as usize], (*text).to_owned(), ranked));
        }
        out
    }
}
