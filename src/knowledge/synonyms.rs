//! `synonyms.toml`: groups of words that mean the same to citizens, per
//! language (`[nl] groups = [["id-kaart", "identiteitskaart"]]`).
//!
//! Invariant: words are trimmed and lowercase, every group has at least
//! two different words, and no empty word is kept. A word in two groups is
//! kept in both but warned about, since search would then mix two meanings.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::data::{line_of, toml_problem};
use super::entry::Problem;
use crate::domain::Language;

/// Synonym groups per language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    pub nl: Vec<Vec<String>>,
    pub en: Vec<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    nl: Option<RawLanguage>,
    en: Option<RawLanguage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLanguage {
    #[serde(default)]
    groups: Vec<Vec<Spanned<String>>>,
}

impl Synonyms {
    /// The groups of one language.
    pub fn groups(&self, lang: Language) -> &[Vec<String>] {
        match lang {
            Language::Nl => &self.nl,
            Language::En => &self.en,
        }
    }

    /// Parses `synonyms.toml`. `Ok` carries warnings (a word in two
    /// groups, a group of one word), `Err` a syntax error with its line.
    pub fn parse(path: &Path, text: &str) -> Result<(Self, Vec<Problem>), Vec<Problem>> {
        const HINT: &str =
            "write [nl] and [en] sections with groups = [[\"word\", \"same word\"], ...]";
        let raw: RawFile =
            toml::from_str(text).map_err(|e| vec![toml_problem(path, text, &e, HINT)])?;
        let mut warnings = Vec::new();
        let mut groups_of = |section: Option<RawLanguage>, lang: Language| {
            let mut groups = Vec::new();
            // word -> line of the group it first appeared in
            let mut seen: HashMap<String, usize> = HashMap::new();
            for raw_group in section.map(|s| s.groups).unwrap_or_default() {
                let group_line = raw_group
                    .first()
                    .map_or(0, |w| line_of(text, w.span().start));
                let mut group: Vec<String> = Vec::new();
                for word in &raw_group {
                    let line = line_of(text, word.span().start);
                    let normalised = word.get_ref().trim().to_lowercase();
                    if normalised.is_empty() {
                        warnings.push(Problem::warning(
                            path,
                            line,
                            format!("[{}] an empty word in a group; remove it", lang.code()),
                        ));
                        continue;
                    }
                    if group.contains(&normalised) {
                        continue;
                    }
                    if let Some(first) = seen.get(&normalised) {
                        warnings.push(Problem::warning(
                            path,
                            line,
                            format!(
                                "[{}] {normalised:?} is also in the group on line {first}; a word should be in one group only: merge the groups, or remove it from one",
                                lang.code()
                            ),
                        ));
                    } else {
                        seen.insert(normalised.clone(), group_line);
                    }
                    group.push(normalised);
                }
                if group.len() < 2 {
                    warnings.push(Problem::warning(
                        path,
                        group_line,
                        format!(
                            "[{}] a group needs at least two words that mean the same; add one or remove the group",
                            lang.code()
                        ),
                    ));
                    continue;
                }
                groups.push(group);
            }
            groups
        };
        let nl = groups_of(raw.nl, Language::Nl);
        let en = groups_of(raw.en, Language::En);
        Ok((Self { nl, en }, warnings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::entry::Severity;

    fn parse(text: &str) -> Result<(Synonyms, Vec<Problem>), Vec<Problem>> {
        Synonyms::parse(Path::new("knowledge/synonyms.toml"), text)
    }

    #[test]
    fn groups_are_read_per_language_trimmed_and_lowercase() {
        let (synonyms, warnings) = parse(
            "[nl]\ngroups = [[\"ID-kaart \", \"identiteitskaart\"], [\"gft\", \"groente-, fruit- en tuinafval\"]]\n[en]\ngroups = [[\"id card\", \"identity card\"]]\n",
        )
        .expect("valid");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            synonyms.groups(Language::Nl)[0],
            vec!["id-kaart".to_owned(), "identiteitskaart".to_owned()]
        );
        assert_eq!(synonyms.groups(Language::En).len(), 1);
    }

    #[test]
    fn a_word_in_two_groups_is_a_warning_on_its_line() {
        let (_, warnings) =
            parse("[nl]\ngroups = [\n  [\"pas\", \"paspoort\"],\n  [\"pas\", \"bankpas\"],\n]\n")
                .expect("valid with a warning");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, 4);
        assert_eq!(warnings[0].severity, Severity::Warning);
        assert!(warnings[0].message.contains("line 3"), "{}", warnings[0]);
    }

    #[test]
    fn a_syntax_error_is_an_error_with_its_line() {
        let problems = parse("[nl]\ngroups = [[\"a\" \"b\"]]\n").expect_err("missing comma");
        assert_eq!(problems[0].severity, Severity::Error);
        assert_eq!(problems[0].line, 2, "{}", problems[0]);
        assert!(!problems[0].message.contains('\n'), "{}", problems[0]);
    }

    #[test]
    fn an_unknown_section_is_an_error() {
        let problems = parse("[de]\ngroups = []\n").expect_err("unknown language");
        assert!(problems[0].message.contains("de"), "{}", problems[0]);
        assert_eq!(problems[0].line, 1);
    }
}
