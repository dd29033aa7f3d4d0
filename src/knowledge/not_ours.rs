//! `not-ours.toml`: topics of other organisations (UWV, Belastingdienst,
//! the library, the GP...) that citizens bring to the municipality. A
//! question that names one is not answered from the knowledge base unless
//! an entry names the same word in its title, questions or keywords: a
//! near-topic answer ("ww aanvragen bij het uwv" → our bijstand page) is
//! worse than a colleague who refers the citizen to the right place.
//!
//! Words are matched after folding and synonym expansion, so a synonym the
//! editors made ours ("vakantietoeslag" = vakantiegeld) is never "not
//! ours". A word matches in any inflection (same stem) and, in Dutch, as
//! the first or last part of a compound ("huurtoeslag" names "toeslag").
//!
//! Invariant: words are folded and split into tokens at parse time; a
//! topic without words is left out with a warning.

use std::path::Path;

use rust_stemmers::Stemmer;
use serde::Deserialize;
use toml::Spanned;

use super::analysis::{fold, stemmer, tokens};
use super::data::{line_of, toml_problem};
use super::entry::Problem;
use crate::domain::Language;

/// Dutch words at least this long also match inside a compound; shorter
/// ones ("ww", "duo") would match by accident ("wwoord", "duodecimaal").
const MIN_COMPOUND_PART: usize = 5;

/// One word or phrase of a topic, folded, with the stems of its words
/// (computed once here, not per question).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phrase {
    pub words: Vec<String>,
    stems: Vec<String>,
    /// Letters per word (counting them per question was a tenth of the
    /// query time).
    lengths: Vec<usize>,
}

/// One other organisation (or a topic nobody here handles).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtherTopic {
    /// Who handles it, for editors and colleagues ("UWV").
    pub who: String,
    /// The words and phrases per language.
    pub nl: Vec<Phrase>,
    pub en: Vec<Phrase>,
}

impl OtherTopic {
    fn phrases(&self, lang: Language) -> &[Phrase] {
        match lang {
            Language::Nl => &self.nl,
            Language::En => &self.en,
        }
    }
}

/// Every topic of `not-ours.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotOurs {
    pub topics: Vec<OtherTopic>,
}

/// A place in a question where another organisation's topic is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Index into [`NotOurs::topics`].
    pub topic: usize,
    /// The citizen's words that matched (folded), joined by spaces.
    pub words: String,
    /// The listed words they matched, joined by spaces: "fiets" where the
    /// citizen wrote "fietspad".
    pub listed: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    other: Vec<RawTopic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    who: Spanned<String>,
    #[serde(default)]
    nl: Vec<String>,
    #[serde(default)]
    en: Vec<String>,
}

fn phrases(lang: Language, texts: &[String]) -> Vec<Phrase> {
    let stemmer = stemmer(lang);
    texts
        .iter()
        .map(|text| tokens(&fold(text)))
        .filter(|words| !words.is_empty())
        .map(|words| Phrase {
            stems: words.iter().map(|w| stemmer.stem(w).into_owned()).collect(),
            lengths: words.iter().map(|w| w.chars().count()).collect(),
            words,
        })
        .collect()
}

impl NotOurs {
    /// Parses `not-ours.toml`. `Ok` carries warnings, `Err` a syntax error
    /// with its line.
    pub fn parse(path: &Path, text: &str) -> Result<(Self, Vec<Problem>), Vec<Problem>> {
        const HINT: &str = "write [[other]] sections with who = \"UWV\", nl = [\"uwv\", \"ww\"] and en = [\"unemployment benefit\"]";
        let raw: RawFile =
            toml::from_str(text).map_err(|e| vec![toml_problem(path, text, &e, HINT)])?;
        let mut warnings = Vec::new();
        let mut topics = Vec::new();
        for topic in raw.other {
            let line = line_of(text, topic.who.span().start);
            let parsed = OtherTopic {
                who: topic.who.get_ref().trim().to_owned(),
                nl: phrases(Language::Nl, &topic.nl),
                en: phrases(Language::En, &topic.en),
            };
            if parsed.nl.is_empty() && parsed.en.is_empty() {
                warnings.push(Problem::warning(
                    path,
                    line,
                    format!(
                        "{:?} has no words, so it never matches; add nl = [...] or en = [...], or remove it",
                        parsed.who
                    ),
                ));
                continue;
            }
            topics.push(parsed);
        }
        Ok((Self { topics }, warnings))
    }

    /// The other organisations' topics named in `words` (folded tokens
    /// after synonym expansion), topic by topic.
    pub fn mentions(&self, lang: Language, words: &[String], stemmer: &Stemmer) -> Vec<Mention> {
        let stems: Vec<String> = words.iter().map(|w| stemmer.stem(w).into_owned()).collect();
        let lengths: Vec<usize> = words.iter().map(|w| w.chars().count()).collect();
        let mut found = Vec::new();
        for (topic_index, topic) in self.topics.iter().enumerate() {
            for phrase in topic.phrases(lang) {
                let length = phrase.words.len();
                for start in 0..words.len() {
                    let Some(window) = words.get(start..start + length) else {
                        break;
                    };
                    let matched = (0..length).all(|i| {
                        word_matches(
                            lang,
                            (&window[i], &stems[start + i], lengths[start + i]),
                            (&phrase.words[i], &phrase.stems[i], phrase.lengths[i]),
                        )
                    });
                    if matched {
                        found.push(Mention {
                            topic: topic_index,
                            words: window.join(" "),
                            listed: phrase.words.join(" "),
                        });
                    }
                }
            }
        }
        found
    }
}

/// Whether the citizen's word (with its stem and length in letters) is a
/// word of a phrase (with its stem and length).
fn word_matches(
    lang: Language,
    (word, stem, length): (&str, &str, usize),
    (part, part_stem, part_length): (&str, &str, usize),
) -> bool {
    if word == part || stem == part_stem {
        return true;
    }
    // Dutch writes compounds as one word: "huurtoeslag", "bibliotheekpas".
    lang == Language::Nl
        && part_length >= MIN_COMPOUND_PART
        && length > part_length
        && (word.starts_with(part) || word.ends_with(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[other]]
who = "UWV"
nl = ["uwv", "ww"]
en = ["unemployment benefit"]

[[other]]
who = "Belastingdienst"
nl = ["toeslag", "belastingdienst"]
en = ["rent allowance"]
"#;

    fn parse(text: &str) -> Result<(NotOurs, Vec<Problem>), Vec<Problem>> {
        NotOurs::parse(Path::new("knowledge/not-ours.toml"), text)
    }

    fn words(text: &str) -> Vec<String> {
        tokens(&fold(text))
    }

    fn named(not_ours: &NotOurs, lang: Language, text: &str) -> Vec<String> {
        not_ours
            .mentions(lang, &words(text), &stemmer(lang))
            .into_iter()
            .map(|m| format!("{}:{}", not_ours.topics[m.topic].who, m.words))
            .collect()
    }

    #[test]
    fn organisations_are_found_as_words_compound_parts_and_phrases() {
        let (not_ours, warnings) = parse(FILE).expect("valid");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            named(&not_ours, Language::Nl, "hoe vraag ik WW aan bij het UWV?"),
            vec!["UWV:uwv", "UWV:ww"]
        );
        assert_eq!(
            named(&not_ours, Language::Nl, "mijn huurtoeslag is gestopt"),
            vec!["Belastingdienst:huurtoeslag"]
        );
        assert_eq!(
            named(
                &not_ours,
                Language::En,
                "How do I get unemployment benefits?"
            ),
            vec!["UWV:unemployment benefits"]
        );
    }

    #[test]
    fn short_words_and_other_languages_do_not_match_by_accident() {
        let (not_ours, _) = parse(FILE).expect("valid");
        // "ww" is too short to be a compound part.
        assert!(named(&not_ours, Language::Nl, "mijn wwachtwoord").is_empty());
        // A phrase needs all its words, in order.
        assert!(named(&not_ours, Language::En, "benefit for the unemployed").is_empty());
        // Dutch words are not searched in English questions.
        assert!(named(&not_ours, Language::En, "toeslag").is_empty());
    }

    #[test]
    fn a_topic_without_words_is_a_warning_and_a_syntax_error_an_error() {
        let (not_ours, warnings) = parse("[[other]]\nwho = \"CAK\"\n").expect("valid");
        assert!(not_ours.topics.is_empty());
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, 2, "{}", warnings[0]);
        let errors = parse("[[other]]\nwho = \"CAK\nnl = []\n").expect_err("broken string");
        assert_eq!(errors[0].line, 2, "{}", errors[0]);
    }
}
