//! How common a word is in general language, and so how little it says
//! about what a question is about. A citizen's long message is full of
//! everyday words ("ik begreep dat je niet zomaar binnen kan lopen") that
//! no answer uses; counted like topic words they drown the one word that
//! says what the message is about ("afspraak"). Weighted by how common they
//! are, they still count, but less.
//!
//! The frequencies come from `words/common-*.txt` (built from `wordfreq`,
//! see `words/README.md`), aggregated per stem, because the search compares
//! stems: "kost" and "kosten" are one term.

use super::analysis::stemmer;
use crate::domain::Language;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Words at most this common (Zipf frequency: log10 of the occurrences per
/// billion words; "paspoort" 4.3, "afspraak" 4.8, "nooit" 5.8, "wordt"
/// 6.4) count in full.
const FULL_UP_TO: f64 = 4.5;
/// How much weight a word loses per Zipf step above `FULL_UP_TO`: half, so
/// a word ten times as common as "paspoort" (5.5) counts half.
const LOSS_PER_STEP: f64 = 0.5;
/// The least a word counts: even the most common word may be the point of
/// a short question.
const FLOOR: f64 = 0.25;

static DUTCH: LazyLock<Commonness> =
    LazyLock::new(|| Commonness::parse(Language::Nl, include_str!("words/common-nl.txt")));
static ENGLISH: LazyLock<Commonness> =
    LazyLock::new(|| Commonness::parse(Language::En, include_str!("words/common-en.txt")));

/// Zipf frequencies per stem of one language.
#[derive(Debug)]
pub struct Commonness {
    zipf: HashMap<String, f64>,
}

impl Commonness {
    /// The frequencies of a language, parsed once per process.
    pub fn of(lang: Language) -> &'static Commonness {
        match lang {
            Language::Nl => &DUTCH,
            Language::En => &ENGLISH,
        }
    }

    /// Parses "word zipf" lines; the frequencies of words with one stem
    /// add up (as occurrences, not as Zipf values).
    fn parse(lang: Language, list: &str) -> Self {
        let stemmer = stemmer(lang);
        let mut per_billion: HashMap<String, f64> = HashMap::new();
        for line in list.lines() {
            let Some((word, zipf)) = line.split_once(' ') else {
                continue;
            };
            let Ok(zipf) = zipf.parse::<f64>() else {
                continue;
            };
            *per_billion
                .entry(stemmer.stem(word).into_owned())
                .or_default() += 10f64.powf(zipf);
        }
        Self {
            zipf: per_billion
                .into_iter()
                .map(|(stem, count)| (stem, count.log10()))
                .collect(),
        }
    }

    /// The Zipf frequency of a stem, if it is a common word's.
    pub fn zipf(&self, stem: &str) -> Option<f64> {
        self.zipf.get(stem).copied()
    }

    /// How much a question term counts against an answer that lacks it:
    /// 1 for topic words and words the list does not know (names, numbers,
    /// rare words), down to `FLOOR` for the most common words.
    pub fn missing_weight(&self, stem: &str) -> f64 {
        self.zipf(stem).map_or(1.0, |zipf| {
            (1.0 - LOSS_PER_STEP * (zipf - FULL_UP_TO)).clamp(FLOOR, 1.0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyday_words_count_less_than_topic_words() {
        let dutch = Commonness::of(Language::Nl);
        let stem = |word: &str| stemmer(Language::Nl).stem(word).into_owned();
        let topic = dutch.missing_weight(&stem("grofvuil"));
        let everyday = dutch.missing_weight(&stem("nooit"));
        assert_eq!(topic, 1.0);
        assert!(everyday < 0.6, "nooit counts {everyday}");
        assert!(everyday >= FLOOR);
        // Not in the list at all (a made-up street name): counts in full.
        assert_eq!(dutch.missing_weight("kwakkelsteeg"), 1.0);
    }

    #[test]
    fn inflections_add_up_per_stem() {
        let dutch = Commonness::of(Language::Nl);
        let stem = stemmer(Language::Nl).stem("kosten").into_owned();
        assert_eq!(stemmer(Language::Nl).stem("kost"), stem);
        // "kost" (4.91) and "kosten" (4.94) together are more common than
        // either alone.
        let together = dutch.zipf(&stem).unwrap_or_default();
        assert!(together > 5.1, "kost+kosten zipf {together}");
    }

    #[test]
    fn english_has_its_own_list() {
        let english = Commonness::of(Language::En);
        let stem = |word: &str| stemmer(Language::En).stem(word).into_owned();
        assert!(english.missing_weight(&stem("understand")) < 1.0);
        assert_eq!(english.missing_weight(&stem("passport")), 1.0);
    }
}
