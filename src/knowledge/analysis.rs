//! Text analysis for chat questions, the same for the index and for the
//! question so both sides meet: case and accent folding, chat
//! abbreviations, synonyms to one preferred form, stop words and chat noise
//! out, compounds split into known parts, typos corrected against the
//! knowledge base's own vocabulary (questions only), then Snowball stemming
//! (Dutch or English).
//!
//! Invariant: analysis is deterministic and needs nothing but the
//! `Vocabulary` built from the entries, so `ask`, `eval`, `simulate` and
//! the server give the same result for the same files.

use crate::domain::Language;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::{HashMap, HashSet};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercases and removes accents ("Één" → "een", "café" → "cafe").
pub fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Splits folded text into word tokens (letters and digits; an apostrophe
/// inside a word is kept so "m'n" stays one token).
pub fn tokens(folded: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = folded.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            current.push(c);
        } else if (c == '\'' || c == '’')
            && !current.is_empty()
            && chars.peek().is_some_and(|n| n.is_alphanumeric())
        {
            current.push('\'');
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Chat abbreviations, expanded before anything else.
fn abbreviations(lang: Language) -> &'static [(&'static str, &'static str)] {
    match lang {
        Language::Nl => &[
            ("wnr", "wanneer"),
            ("wanner", "wanneer"),
            ("hoelaat", "hoe laat"),
            ("hvl", "hoeveel"),
            ("ff", "even"),
            ("mn", "mijn"),
            ("m'n", "mijn"),
            ("zn", "zijn"),
            ("z'n", "zijn"),
            ("d'r", "haar"),
            ("kzou", "ik zou"),
            ("kheb", "ik heb"),
            ("kwil", "ik wil"),
            ("kan't", "kan het"),
            ("tis", "het is"),
            ("'t", "het"),
            ("idkaart", "id kaart"),
            ("gem", "gemeente"),
            ("info", "informatie"),
            ("tel", "telefoon"),
            ("telnr", "telefoonnummer"),
            ("nr", "nummer"),
        ],
        Language::En => &[
            ("pls", "please"),
            ("plz", "please"),
            ("thx", "thanks"),
            ("u", "you"),
            ("ur", "your"),
            ("r", "are"),
            ("im", "i am"),
            ("i'm", "i am"),
            ("whats", "what is"),
            ("what's", "what is"),
            ("dont", "do not"),
            ("don't", "do not"),
            ("cant", "can not"),
            ("can't", "can not"),
            ("id", "id"),
        ],
    }
}

/// Function words and chat noise (greetings, thanks, politeness) that say
/// nothing about the topic. Words that do ("kosten", "kwijt", "niet") stay.
fn stop_words(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::Nl => &[
            "de",
            "het",
            "een",
            "en",
            "of",
            "ik",
            "je",
            "jij",
            "u",
            "jullie",
            "wij",
            "we",
            "ze",
            "zij",
            "hij",
            "mijn",
            "jouw",
            "uw",
            "ons",
            "onze",
            "hun",
            "haar",
            "is",
            "ben",
            "bent",
            "zijn",
            "was",
            "waren",
            "wordt",
            "word",
            "worden",
            "werd",
            "heb",
            "hebt",
            "heeft",
            "hebben",
            "had",
            "kan",
            "kun",
            "kunt",
            "kunnen",
            "wil",
            "wilt",
            "willen",
            "moet",
            "moeten",
            "mag",
            "mogen",
            "zou",
            "zouden",
            "zal",
            "zullen",
            "ga",
            "gaat",
            "gaan",
            "doe",
            "doet",
            "doen",
            "er",
            "daar",
            "hier",
            "dit",
            "dat",
            "die",
            "deze",
            "wat",
            "wie",
            "welke",
            "welk",
            "waar",
            "hoe",
            "wanneer",
            "waarom",
            "om",
            "te",
            "van",
            "voor",
            "in",
            "op",
            "aan",
            "met",
            "bij",
            "naar",
            "uit",
            "over",
            "tot",
            "door",
            "als",
            "dan",
            "maar",
            "ook",
            "nog",
            "al",
            "wel",
            // "weer" is nearly always "again" in a question ("wanneer is het
            // stadhuis weer open"), seldom the weather.
            "weer",
            "niet",
            "geen",
            "zo",
            "toch",
            "even",
            "eens",
            "nu",
            "graag",
            "alstublieft",
            "alsjeblieft",
            "aub",
            "svp",
            "hoi",
            "hallo",
            "hey",
            "hee",
            "hi",
            "hello",
            "goedemorgen",
            "goedemiddag",
            "goedenavond",
            "morgen",
            "middag",
            "avond",
            "goede",
            "goeie",
            "dag",
            "doei",
            "groetjes",
            "groet",
            "groeten",
            "mvg",
            "vriendelijke",
            "bedankt",
            "dank",
            "dankjewel",
            "dankuwel",
            "thanks",
            "alvast",
            "vraag",
            "vraagje",
            "vragen",
            "weten",
            "iemand",
            "gemeente",
            "beetje",
            "ok",
            "oke",
            "okay",
            "ja",
            "nee",
            "me",
            "mij",
            "jou",
            "jullie",
            "zich",
            "men",
            "iets",
            "wat",
            "welke",
            "ergens",
            "hoor",
            "he",
            "hè",
            "ff",
            "even",
            "precies",
            "eigenlijk",
            "misschien",
            "please",
            "sorry",
            "excuus",
            "mevrouw",
            "meneer",
            "beste",
            "hierbij",
            // Chat filler and function words of long, chatty messages ("ik wou
            // echt even vragen want..."): as words the knowledge base does not
            // know, they counted against every answer and drowned the topic.
            "want",
            "omdat",
            "dus",
            "toen",
            "veel",
            "meer",
            "alles",
            "altijd",
            "tegen",
            "na",
            "kon",
            "konden",
            "niets",
            "niks",
            "geweest",
            "hem",
            "der",
            "wou",
            "wouden",
            "wilde",
            "wilden",
            "echt",
            "gewoon",
            "helemaal",
            "heel",
            "erg",
            "zeg",
            "trouwens",
            "inmiddels",
            "nou",
            "joh",
            "ofzo",
            "enzo",
            "eh",
            "ehm",
            "uhm",
            "lol",
            "haha",
            "hihi",
            "xx",
            "xxx",
            "hmm",
            "pff",
            "thx",
            "tnx",
            "dankje",
            "bvd",
            "gr",
            "grt",
            "grtz",
            "hartelijk",
            "vriendelijk",
            "zit",
            "zitten",
            "zat",
            "effe",
            "ofzoiets",
            "eventjes",
            "zeker",
            "soms",
        ],
        Language::En => &[
            "the",
            "a",
            "an",
            "and",
            "or",
            "i",
            "you",
            "we",
            "they",
            "he",
            "she",
            "it",
            "my",
            "your",
            "our",
            "their",
            "me",
            "us",
            "is",
            "am",
            "are",
            "was",
            "were",
            "be",
            "been",
            "being",
            "do",
            "does",
            "did",
            "have",
            "has",
            "had",
            "can",
            "could",
            "will",
            "would",
            "shall",
            "should",
            "may",
            "might",
            "must",
            "there",
            "here",
            "this",
            "that",
            "these",
            "those",
            "what",
            "who",
            "which",
            "where",
            "how",
            "when",
            "why",
            "to",
            "of",
            "for",
            "in",
            "on",
            "at",
            "with",
            "by",
            "from",
            "about",
            "into",
            "as",
            "then",
            "but",
            "also",
            "still",
            "already",
            "not",
            "no",
            "so",
            "just",
            "now",
            "please",
            "hi",
            "hello",
            "hey",
            "good",
            "morning",
            "afternoon",
            "evening",
            "thanks",
            "thank",
            "cheers",
            "regards",
            "kind",
            "question",
            "questions",
            "know",
            "someone",
            "municipality",
            "ok",
            "okay",
            "yes",
            "get",
            "if",
            "any",
            "some",
            "i'm",
            "im",
            "dear",
            "sir",
            "madam",
            "hoi",
            "hallo",
            "again",
            // Chat filler and function words of long, chatty messages ("ik wou
            // echt even vragen want..."): as words the knowledge base does not
            // know, they counted against every answer and drowned the topic.
            "really",
            "wanted",
            "want",
            "wondering",
            "wonder",
            "ask",
            "asking",
            "i've",
            "i'd",
            "i'll",
            "it's",
            "that's",
            "there's",
            "we're",
            "we've",
            "you're",
            "lol",
            "haha",
            "btw",
            "thx",
            "pls",
            "plz",
            "very",
            "kindly",
            "maybe",
            "actually",
            "anyway",
            "basically",
            "hope",
            "hoping",
            "because",
            "since",
            "all",
            "too",
            "quick",
            "quickly",
            "like",
            "um",
            "uh",
            "hmm",
            "mine",
            "currently",
            "totally",
            "completely",
        ],
    }
}

/// The Snowball stemmer of a language.
pub(crate) fn stemmer(lang: Language) -> Stemmer {
    Stemmer::create(match lang {
        Language::Nl => Algorithm::Dutch,
        Language::En => Algorithm::English,
    })
}

/// Longer "words" are not words (a pasted link, a key, "aaaa…"): they are
/// skipped, which also bounds the typo search (its work grows with the
/// square of the length) and the compound split.
const MAX_WORD: usize = 40;
/// Only the first words of a very long message are analysed.
const MAX_WORDS: usize = 200;

/// Linking sounds between the parts of a Dutch compound
/// (paspoort-s-aanvraag, boek-en-kast).
const LINKS: [&str; 3] = ["s", "en", "e"];
/// Parts shorter than this are not split off (avoids "aan" + "vraag" noise).
const MIN_PART: usize = 3;
/// Particles of Dutch separable verbs (aan-vragen, op-halen, af-zeggen).
const PARTICLES: [&str; 12] = [
    "aan", "af", "op", "in", "uit", "door", "mee", "terug", "om", "over", "weg", "bij",
];
/// Derivational endings that look like words but make a new word of the
/// stem: "waardeloos" is not about "waard" and "loos", "zondag" not about
/// "zon" (and "dag" is a stop word anyway).
const SUFFIXES: [&str; 9] = [
    "loos", "baar", "heid", "lijk", "lijke", "schap", "achtig", "zaam", "isch",
];

/// A knowledge-base word used at most this often can be a misspelling of
/// one of its words (see `Vocabulary::misspellings`)...
const MISSPELLING_MAX_COUNT: u32 = 2;
/// ...when the word meant is used at least this many times as often.
const MISSPELLING_RATIO: u32 = 3;

/// Real words of each language (folded, 4 to 12 letters, sorted by byte):
/// a real word is never "corrected" into a knowledge-base word ("graf" is
/// not a typo of "eraf"). Sources and licences: `words/README.md`.
const DUTCH_WORDS: &str = include_str!("words/nl.txt");
const ENGLISH_WORDS: &str = include_str!("words/en.txt");

/// Whether `word` (folded) is in the language's real-word list.
pub fn is_real_word(lang: Language, word: &str) -> bool {
    let list = match lang {
        Language::Nl => DUTCH_WORDS,
        Language::En => ENGLISH_WORDS,
    };
    sorted_lines_contain(list, word)
}

/// Binary search over a text of byte-sorted lines, without building an
/// index: `lo` and `hi` are always line starts.
fn sorted_lines_contain(list: &str, word: &str) -> bool {
    let bytes = list.as_bytes();
    let (mut lo, mut hi) = (0, bytes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = bytes[lo..mid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(lo, |p| lo + p + 1);
        let end = bytes[start..hi]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(hi, |p| start + p);
        match list[start..end].cmp(word) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

/// One synonym variant and the preferred form it stands for.
#[derive(Debug, Clone)]
struct Synonym {
    variant: Vec<String>,
    preferred: Vec<String>,
}

/// What analysis knows of the knowledge base: its words (folded, before
/// stemming) with how often they occur, for compounds and typos, and the
/// synonym groups.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    lang: Language,
    words: HashMap<String, u32>,
    /// Stems of the words, so a compound's part is known in any inflection
    /// ("paspoortaanvraag" splits on "aanvragen").
    stems: HashSet<String>,
    /// Deletion neighbourhood (SymSpell): a word with one letter removed →
    /// the words it came from. Finds typo candidates without scanning.
    deletes: HashMap<String, Vec<String>>,
    /// Synonym variants by their first token: (variant as folded tokens,
    /// preferred form), longest variant first so "groene container" wins
    /// over "container". Looked up per token instead of scanning every
    /// variant, which made analysis a third of the query time.
    synonyms: HashMap<String, Vec<Synonym>>,
    /// One-word synonym variants by their stem → the preferred form: a
    /// separable verb joined from its parts ("hoe *zeg* ik *af*" → "afzeg")
    /// is a stem, not the variant's spelling ("afzeggen").
    synonym_stems: HashMap<String, Vec<String>>,
    stop: HashSet<&'static str>,
    abbreviations: HashMap<&'static str, &'static str>,
    /// Misspellings in the knowledge base's own text → the word meant:
    /// editors write typos into example questions ("rijbwijs kwijt") so
    /// citizens' typos match, but a typo only one entry has pins every
    /// question with that typo to that entry ("rijbwijs vernieuwen" went
    /// to the lost-licence answer). Read as the word meant, in entries and
    /// in questions alike.
    misspellings: HashMap<String, String>,
}

impl Vocabulary {
    /// Builds the vocabulary from every text of one language's entries and
    /// the synonym groups (the first word of a group is the preferred one).
    pub fn build<'a>(
        lang: Language,
        texts: impl IntoIterator<Item = &'a str>,
        synonym_groups: &[Vec<String>],
    ) -> Self {
        let stop: HashSet<&'static str> = stop_words(lang).iter().copied().collect();
        let abbreviations: HashMap<&'static str, &'static str> =
            abbreviations(lang).iter().copied().collect();
        let mut synonyms: HashMap<String, Vec<Synonym>> = HashMap::new();
        for group in synonym_groups {
            let Some(preferred) = group.first() else {
                continue;
            };
            let preferred_tokens = tokens(&fold(preferred));
            if preferred_tokens.is_empty() {
                continue;
            }
            for variant in group.iter().skip(1) {
                let variant_tokens = tokens(&fold(variant));
                if let Some(first) = variant_tokens.first()
                    && variant_tokens != preferred_tokens
                {
                    synonyms.entry(first.clone()).or_default().push(Synonym {
                        variant: variant_tokens.clone(),
                        preferred: preferred_tokens.clone(),
                    });
                }
            }
        }
        for variants in synonyms.values_mut() {
            // Longest first; a stable sort keeps the file's order on a tie.
            variants.sort_by_key(|s| std::cmp::Reverse(s.variant.len()));
        }
        let stemmer = stemmer(lang);
        let mut synonym_stems: HashMap<String, Vec<String>> = HashMap::new();
        for synonym in synonyms.values().flatten() {
            if let [word] = synonym.variant.as_slice() {
                synonym_stems
                    .entry(stemmer.stem(word).into_owned())
                    .or_insert_with(|| synonym.preferred.clone());
            }
        }
        let mut vocabulary = Self {
            lang,
            words: HashMap::new(),
            stems: HashSet::new(),
            deletes: HashMap::new(),
            synonyms,
            synonym_stems,
            stop,
            abbreviations,
            misspellings: HashMap::new(),
        };
        let mut words: HashMap<String, u32> = HashMap::new();
        let synonym_words: Vec<String> = synonym_groups
            .iter()
            .flatten()
            .flat_map(|w| tokens(&fold(w)))
            .collect();
        for text in texts {
            for token in vocabulary.expand(tokens(&fold(text))) {
                *words.entry(token).or_default() += 1;
            }
        }
        for token in synonym_words {
            words.entry(token).or_insert(1);
        }
        words.retain(|w, _| !vocabulary.stop.contains(w.as_str()) && w.chars().count() >= 2);
        let mut deletes: HashMap<String, Vec<String>> = HashMap::new();
        for word in words.keys() {
            if word.chars().count() >= 4 {
                for variant in one_deleted(word) {
                    deletes.entry(variant).or_default().push(word.clone());
                }
            }
        }
        vocabulary.stems = words.keys().map(|w| stemmer.stem(w).into_owned()).collect();
        vocabulary.words = words;
        vocabulary.deletes = deletes;
        vocabulary.misspellings = vocabulary.find_misspellings(&stemmer);
        vocabulary
    }

    /// Whether `word` (folded) occurs in the knowledge base.
    pub fn contains(&self, word: &str) -> bool {
        self.words.contains_key(word)
    }

    /// Number of distinct words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when nothing was indexed.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether `part` is a known word or an inflection of one.
    fn known_part(&self, part: &str, stemmer: &Stemmer) -> bool {
        self.contains(part) || self.stems.contains(stemmer.stem(part).as_ref())
    }

    /// Whether `part` can be a part of a compound: neither a stop word nor
    /// a derivational ending, and a word the knowledge base uses, or a real
    /// word of the language in an inflection the knowledge base uses. A
    /// bare stem is no word: "kermis" is not "ker" (keren) + "mis".
    fn compound_part(&self, part: &str, stemmer: &Stemmer) -> bool {
        !self.stop.contains(part)
            && !SUFFIXES.contains(&part)
            && (self.contains(part)
                || (is_real_word(self.lang, part) && self.known_part(part, stemmer)))
    }

    /// Abbreviations and synonyms applied to a token sequence.
    fn expand(&self, raw: Vec<String>) -> Vec<String> {
        let mut expanded = Vec::with_capacity(raw.len());
        for token in raw {
            match self.abbreviations.get(token.as_str()) {
                Some(long) => expanded.extend(long.split(' ').map(str::to_owned)),
                None => expanded.push(token),
            }
        }
        let mut out = Vec::with_capacity(expanded.len());
        let mut i = 0;
        while i < expanded.len() {
            let found = self.synonyms.get(&expanded[i]).and_then(|variants| {
                variants
                    .iter()
                    .find(|s| expanded[i..].starts_with(&s.variant))
            });
            match found {
                Some(synonym) => {
                    out.extend(synonym.preferred.iter().cloned());
                    i += synonym.variant.len();
                }
                None => {
                    out.push(expanded[i].clone());
                    i += 1;
                }
            }
        }
        out
    }

    /// Splits an unknown word into two known parts (with an optional
    /// linking s/e/en), preferring the split with the longest head.
    fn split_compound(&self, word: &str) -> Option<Vec<String>> {
        let stemmer = stemmer(self.lang);
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < MIN_PART * 2 {
            return None;
        }
        for cut in (MIN_PART..=chars.len() - MIN_PART).rev() {
            let head: String = chars[..cut].iter().collect();
            if !self.compound_part(&head, &stemmer) {
                continue;
            }
            let tail: String = chars[cut..].iter().collect();
            if self.compound_part(&tail, &stemmer) {
                return Some(vec![head, tail]);
            }
            for link in LINKS {
                if let Some(rest) = tail.strip_prefix(link)
                    && rest.chars().count() >= MIN_PART
                    && self.compound_part(rest, &stemmer)
                {
                    return Some(vec![head, rest.to_owned()]);
                }
            }
            // Three parts: head + a tail that itself splits.
            if let Some(mut parts) = self.split_known(&tail) {
                parts.insert(0, head);
                return Some(parts);
            }
        }
        None
    }

    fn split_known(&self, word: &str) -> Option<Vec<String>> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < MIN_PART * 2 {
            return None;
        }
        (MIN_PART..=chars.len() - MIN_PART).rev().find_map(|cut| {
            let head: String = chars[..cut].iter().collect();
            let tail: String = chars[cut..].iter().collect();
            let whole_words = self.contains(&head) && self.contains(&tail);
            (whole_words && !SUFFIXES.contains(&tail.as_str())).then(|| vec![head, tail])
        })
    }

    /// The knowledge base's rare words that are typos of a common one of
    /// its words: not a real word, not a compound of known words, another
    /// stem than the word meant, and that word used at least
    /// `MISSPELLING_RATIO` times as often. Only words of five letters or
    /// more with the same first letter: short words and a different start
    /// are more often a word the word lists lack ("babs", the wedding
    /// registrar; "deregistering") than a typo.
    fn find_misspellings(&self, stemmer: &Stemmer) -> HashMap<String, String> {
        self.words
            .iter()
            .filter(|&(_, &count)| count <= MISSPELLING_MAX_COUNT)
            .filter_map(|(word, &count)| {
                let meant = self.closest(word, false)?;
                let meant_count = self.words.get(&meant).copied().unwrap_or(0);
                let plausible = meant_count >= MISSPELLING_RATIO * count
                    && word.chars().count() >= 5
                    && word.chars().next() == meant.chars().next()
                    && stemmer.stem(word) != stemmer.stem(&meant)
                    && self.split_known(word).is_none();
                plausible.then(|| (word.clone(), meant))
            })
            .collect()
    }

    /// The closest known word for a typo: edit distance 1 for short words,
    /// up to 2 for words of 8 letters or more; the most frequent wins a tie.
    fn correct(&self, word: &str) -> Option<String> {
        self.closest(word, true)
    }

    /// The closest known word to `word`, itself included or not.
    fn closest(&self, word: &str, itself: bool) -> Option<String> {
        let length = word.chars().count();
        // A number is not a typo ("2025" is not "2026"), nor is a real word
        // the knowledge base happens not to use.
        if length < 4 || word.chars().any(|c| c.is_ascii_digit()) || is_real_word(self.lang, word) {
            return None;
        }
        let max_distance = if length >= 8 { 2 } else { 1 };
        let mut candidates: HashSet<&String> = HashSet::new();
        let mut probes = vec![word.to_owned()];
        probes.extend(one_deleted(word));
        if max_distance >= 2 {
            let second: Vec<String> = probes.iter().skip(1).flat_map(|p| one_deleted(p)).collect();
            probes.extend(second);
        }
        for probe in &probes {
            if let Some(words) = self.deletes.get(probe) {
                candidates.extend(words);
            }
            if let Some((known, _)) = self.words.get_key_value(probe.as_str())
                && known.chars().count() >= 4
            {
                candidates.insert(known);
            }
        }
        candidates
            .into_iter()
            .filter(|candidate| itself || candidate.as_str() != word)
            .filter_map(|candidate| {
                let distance = strsim::damerau_levenshtein(word, candidate);
                (distance <= max_distance).then(|| {
                    (
                        distance,
                        std::cmp::Reverse(self.words.get(candidate).copied().unwrap_or(0)),
                        candidate,
                    )
                })
            })
            .min()
            .map(|(_, _, candidate)| candidate.clone())
    }

    /// Analyses an entry's text for the index: no typo correction (editors
    /// spell what they mean), compounds split when both parts are known.
    pub fn analyze_document(&self, text: &str) -> Vec<String> {
        self.analyze(text, false)
    }

    /// Analyses a citizen's question: as for documents, plus typo
    /// correction of words the knowledge base does not know.
    pub fn analyze_query(&self, text: &str) -> Vec<String> {
        self.analyze(text, true)
    }

    /// The folded content words of a question that the knowledge base does
    /// not know and could not be corrected: a sign the question is about
    /// something else.
    pub fn unknown_words(&self, text: &str) -> Vec<String> {
        self.content_words(text, true)
            .into_iter()
            .filter_map(|(word, known)| (!known).then_some(word))
            .collect()
    }

    /// Dutch separable verbs put their particle at the end ("hoe *vraag*
    /// ik een paspoort *aan*", "hoe *zeg* ik *af*"): joins a particle with
    /// an earlier word when the joined word is known ("aanvraag").
    fn separable_verbs(&self, words: &[String]) -> Vec<String> {
        if self.lang != Language::Nl {
            return Vec::new();
        }
        let stemmer = stemmer(self.lang);
        let mut joined = Vec::new();
        for (i, particle) in words.iter().enumerate() {
            if !PARTICLES.contains(&particle.as_str()) {
                continue;
            }
            let found = words[..i]
                .iter()
                .rev()
                // Three letters at least: "bij ons in de straat" must not
                // join "in" + "de" into "inde".
                .filter(|verb| verb.chars().count() >= 3 && !PARTICLES.contains(&verb.as_str()))
                .flat_map(|verb| {
                    // "zeg af" is "afzeggen": a short vowel doubles the
                    // consonant before the ending, and the stem keeps it.
                    let doubled = verb
                        .chars()
                        .last()
                        .filter(|c| c.is_alphabetic() && !"aeiouy".contains(*c))
                        .map(|c| format!("{particle}{verb}{c}"));
                    std::iter::once(format!("{particle}{verb}")).chain(doubled)
                })
                .find(|candidate| self.known_part(candidate, &stemmer));
            if let Some(found) = found {
                // "afzeg" is "afzeggen", a synonym of "annuleren".
                match self.synonym_stems.get(stemmer.stem(&found).as_ref()) {
                    Some(preferred) => joined.extend(preferred.iter().cloned()),
                    None => joined.push(found),
                }
            }
        }
        joined
    }

    /// The folded words of a text with abbreviations and synonyms applied,
    /// stop words still in: what phrase matching (`not-ours.toml`) sees.
    pub fn words(&self, text: &str) -> Vec<String> {
        let mut raw = tokens(&fold(text));
        raw.retain(|w| w.chars().count() <= MAX_WORD);
        raw.truncate(MAX_WORDS);
        self.expand(raw)
    }

    /// A Dutch past participle as the verb form the knowledge base uses
    /// ("opgehaald" → "ophaal", which stems like "ophalen"; "aangevraagd" →
    /// "aanvraag"; "doorgegeven" → "doorgeven"), so "wanneer wordt het
    /// papier opgehaald" meets "papier ophalen". Only when the result is
    /// known: "getuigen" is not a participle of "tuigen".
    fn participle_base(&self, word: &str, stemmer: &Stemmer) -> Option<String> {
        if self.lang != Language::Nl {
            return None;
        }
        let (particle, rest) = PARTICLES
            .iter()
            .find_map(|p| {
                word.strip_prefix(p)
                    .and_then(|r| r.strip_prefix("ge"))
                    .map(|r| (*p, r))
            })
            .or_else(|| word.strip_prefix("ge").map(|r| ("", r)))?;
        if rest.chars().count() < 3 {
            return None;
        }
        // Weak verbs end in -d or -t (ge-haal-d, ge-stort), strong ones in -en.
        let cores = [rest.strip_suffix(['d', 't']), Some(rest)];
        cores
            .into_iter()
            .flatten()
            .filter(|core| core.chars().count() >= 3)
            .map(|core| format!("{particle}{core}"))
            .find(|base| self.stems.contains(stemmer.stem(base).as_ref()))
    }

    fn content_words(&self, text: &str, correct: bool) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let stemmer = stemmer(self.lang);
        let words = self.words(text);
        let separable = self.separable_verbs(&words);
        for token in words.into_iter().chain(separable) {
            if self.stop.contains(token.as_str()) || token.chars().count() < 2 {
                continue;
            }
            if let Some(base) = self.participle_base(&token, &stemmer) {
                out.push((base, true));
                continue;
            }
            if let Some(meant) = self.misspellings.get(&token) {
                out.push((meant.clone(), true));
            } else if self.contains(&token) {
                // Known as a whole; its parts still help ("afvalkalender" → afval, kalender).
                if let Some(parts) = self.split_known(&token) {
                    out.extend(parts.into_iter().map(|p| (p, true)));
                }
                out.push((token, true));
            } else if let Some(parts) = self.split_compound(&token) {
                out.extend(parts.into_iter().map(|p| (p, true)));
            } else if correct && let Some(fixed) = self.correct(&token) {
                out.push((fixed, true));
            } else if token.chars().all(|c| c.is_ascii_digit()) {
                // Numbers (a postcode, a year) carry no topic.
                continue;
            } else {
                out.push((token, false));
            }
        }
        out
    }

    fn analyze(&self, text: &str, correct: bool) -> Vec<String> {
        let stemmer = stemmer(self.lang);
        let mut terms: Vec<String> = Vec::new();
        for (word, _) in self.content_words(text, correct) {
            let stem = stemmer.stem(&word).into_owned();
            if !terms.contains(&stem) {
                terms.push(stem);
            }
        }
        terms
    }
}

fn one_deleted(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len())
        .map(|skip| {
            chars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, c)| *c)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        let texts = [
            "Grofvuil laten ophalen op afspraak",
            "Paspoort aanvragen: maak een afspraak",
            "Wat kost een paspoort",
            "De afvalkalender met ophaaldagen voor gft, pmd en papier",
            "Identiteitskaart aanvragen",
            "Wanneer wordt de uitkering betaald",
            "afval kalender ophaaldag",
        ];
        let synonyms = vec![
            vec![
                "identiteitskaart".to_owned(),
                "id-kaart".to_owned(),
                "id kaart".to_owned(),
            ],
            vec![
                "gft".to_owned(),
                "groene bak".to_owned(),
                "groente-, fruit- en tuinafval".to_owned(),
            ],
            vec!["uitkering".to_owned(), "bijstand".to_owned()],
        ];
        Vocabulary::build(Language::Nl, texts, &synonyms)
    }

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("Één CAFÉ, reünie"), "een cafe, reunie");
        assert_eq!(
            tokens("m'n id-kaart!! 😊 1234ab"),
            vec!["m'n", "id", "kaart", "1234ab"]
        );
    }

    #[test]
    fn compounds_match_their_parts() {
        let v = vocabulary();
        let query = v.analyze_query("grofvuilafspraak");
        let document = v.analyze_document("grofvuil op afspraak");
        for term in &document {
            assert!(query.contains(term), "{term} missing from {query:?}");
        }
        let q = v.analyze_query("paspoortaanvraag");
        assert!(q.contains(&"paspoort".to_owned()), "{q:?}");
        let known = v.analyze_query("afvalkalender");
        assert!(
            known.contains(&"afval".to_owned()) && known.contains(&"kalender".to_owned()),
            "{known:?}"
        );
    }

    #[test]
    fn typos_are_corrected_against_the_knowledge_base() {
        let v = vocabulary();
        assert_eq!(v.analyze_query("paspport"), v.analyze_query("paspoort"));
        assert_eq!(v.analyze_query("grofvuill"), v.analyze_query("grofvuil"));
        assert_eq!(
            v.analyze_query("identitijtskaart"),
            v.analyze_query("identiteitskaart")
        );
    }

    #[test]
    fn chat_abbreviations_noise_and_synonyms_are_normalised() {
        let v = vocabulary();
        assert_eq!(
            v.analyze_query("hoi! wnr wordt de bijstand betaald? alvast bedankt 🙏"),
            v.analyze_query("uitkering betaald")
        );
        assert_eq!(
            v.analyze_query("mijn id-kaart"),
            v.analyze_query("identiteitskaart")
        );
        assert_eq!(
            v.analyze_query("ophaaldag groene bak"),
            v.analyze_query("ophaaldag gft")
        );
    }

    #[test]
    fn a_typo_in_an_example_question_is_read_as_the_word_meant() {
        let v = Vocabulary::build(
            Language::Nl,
            [
                "Rijbewijs kwijt",
                "rijbwijs kwijt",
                "Rijbewijs verlengen",
                "rijbewijs vernieuwen",
                "rijbewijs verlengen",
                "stoep verleggen",
            ],
            &[],
        );
        // Only one entry's example has "rijbwijs": kept as a word, it
        // pinned every question with that typo to that entry.
        assert_eq!(
            v.analyze_query("rijbwijs vernieuwen"),
            v.analyze_query("rijbewijs vernieuwen")
        );
        assert_eq!(
            v.analyze_document("rijbwijs kwijt"),
            v.analyze_document("rijbewijs kwijt")
        );
        // A real word stays itself, however close to a common one.
        assert_ne!(v.analyze_query("verleggen"), v.analyze_query("verlengen"));
    }

    #[test]
    fn chat_abbreviations_are_expanded() {
        let v = Vocabulary::build(Language::Nl, ["Telefoonnummer van de gemeente"], &[]);
        assert_eq!(
            v.analyze_query("tel nr gemeente"),
            v.analyze_query("telefoon nummer gemeente")
        );
    }

    #[test]
    fn chat_filler_is_no_topic() {
        let v = vocabulary();
        assert_eq!(
            v.analyze_query(
                "ja hallo ik wou echt even vragen want het grofvuil moet gewoon weg lol"
            ),
            v.analyze_query("grofvuil moet weg")
        );
    }

    #[test]
    fn an_absurdly_long_word_is_skipped_quickly() {
        let v = vocabulary();
        let long = "a".repeat(3000);
        // Without the cap the typo search over this word needs gigabytes.
        assert!(
            v.analyze_query(&format!("{long} paspoort"))
                .contains(&"paspoort".to_owned())
        );
        assert!(v.unknown_words(&long).is_empty());
    }

    #[test]
    fn a_separable_verb_is_joined_again() {
        let v = vocabulary();
        let query = v.analyze_query("hoe vraag ik een paspoort aan?");
        let joined = v.analyze_query("paspoort aanvragen");
        for term in &joined {
            assert!(query.contains(term), "{term} missing from {query:?}");
        }
    }

    #[test]
    fn a_separable_verb_that_is_a_synonym_meets_the_preferred_word() {
        let v = Vocabulary::build(
            Language::Nl,
            ["Afspraak annuleren of verzetten"],
            &[vec!["annuleren".to_owned(), "afzeggen".to_owned()]],
        );
        let query = v.analyze_query("hoe zeg ik mijn afspraak af");
        for term in v.analyze_query("afspraak annuleren") {
            assert!(query.contains(&term), "{term} missing from {query:?}");
        }
    }

    #[test]
    fn real_words_and_numbers_are_not_corrected_into_knowledge_base_words() {
        let v = Vocabulary::build(
            Language::Nl,
            ["De kaart van 2026", "Grofvuil laten ophalen"],
            &[],
        );
        // "kaars" (candle) is one letter from "kaart" but a word of its own.
        assert_ne!(v.analyze_query("kaars"), v.analyze_query("kaart"));
        assert_eq!(v.unknown_words("kaars 2025"), vec!["kaars"]);
        // A typo that is no word is still corrected.
        assert_eq!(v.analyze_query("grofvuill"), v.analyze_query("grofvuil"));
    }

    #[test]
    fn the_real_word_lists_are_sorted_folded_and_searchable() {
        for (lang, list) in [(Language::Nl, DUTCH_WORDS), (Language::En, ENGLISH_WORDS)] {
            let lines: Vec<&str> = list.lines().collect();
            assert!(lines.len() > 10_000, "{} words", lines.len());
            assert!(lines.windows(2).all(|w| w[0] < w[1]), "not sorted");
            assert!(lines.iter().all(|w| fold(w) == *w && w.len() >= 4));
            for word in [lines[0], lines[lines.len() / 2], lines[lines.len() - 1]] {
                assert!(is_real_word(lang, word), "{word}");
            }
        }
        assert!(is_real_word(Language::Nl, "paspoort"));
        assert!(is_real_word(Language::En, "passport"));
        assert!(!is_real_word(Language::Nl, "paspport"));
        assert!(!is_real_word(Language::Nl, ""));
        assert!(!is_real_word(Language::Nl, "zzzzzzzz"));
    }

    #[test]
    fn suffixes_and_stop_words_are_no_compound_parts() {
        let v = Vocabulary::build(
            Language::Nl,
            ["de waarde van de zon", "het huis is waard", "los papier"],
            &[],
        );
        // Not "zon" + "dag", not "waard" + "loos".
        assert_eq!(v.unknown_words("zondag"), vec!["zondag"]);
        assert_eq!(v.unknown_words("waardeloos"), vec!["waardeloos"]);
        // A real compound still splits.
        assert_eq!(
            v.analyze_query("zonhuis"),
            vec!["zon".to_owned(), "huis".to_owned()]
        );
    }

    #[test]
    fn a_bare_stem_is_no_compound_part() {
        let v = Vocabulary::build(
            Language::Nl,
            [
                "we keren het geld terug",
                "het ging mis",
                "grofvuil op afspraak",
            ],
            &[],
        );
        // "ker" is the stem of "keren", not a word: "kermis" stays whole.
        assert_eq!(v.unknown_words("kermis"), vec!["kermis"]);
        // A real word in an inflection the knowledge base does not use is
        // still a part ("afspraken" for "afspraak").
        assert_eq!(
            v.analyze_query("grofvuilafspraken"),
            v.analyze_query("grofvuil afspraak")
        );
    }

    #[test]
    fn a_participle_meets_its_verb() {
        let v = vocabulary();
        assert_eq!(
            v.analyze_query("wanneer wordt het grofvuil opgehaald"),
            v.analyze_query("grofvuil ophalen")
        );
        assert_eq!(
            v.analyze_query("paspoort aangevraagd"),
            v.analyze_query("paspoort aanvragen")
        );
        // Not every "ge-" word is a participle.
        assert_eq!(v.unknown_words("getuigen"), vec!["getuigen"]);
    }

    #[test]
    fn the_longest_synonym_variant_wins() {
        let synonyms = vec![
            vec!["gft".to_owned(), "groene container".to_owned()],
            vec!["container".to_owned(), "kliko".to_owned()],
        ];
        let v = Vocabulary::build(Language::Nl, ["gft container"], &synonyms);
        assert_eq!(v.words("de groene container"), vec!["de", "gft"]);
        assert_eq!(v.words("mijn kliko"), vec!["mijn", "container"]);
    }

    #[test]
    fn unknown_words_are_reported_but_numbers_are_not() {
        let v = vocabulary();
        assert_eq!(
            v.unknown_words("wanneer worden de kerstbomen opgehaald in 2026"),
            // "opgehaald" is known as the participle of "ophalen".
            vec!["kerstbomen"]
        );
        assert!(v.unknown_words("paspport aanvragen").is_empty());
    }
}
