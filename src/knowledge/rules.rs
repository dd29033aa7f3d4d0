//! `knowledge/rules.toml`: the few general rules that decide, before the
//! classifier's answer counts, that a message is for a person: the citizen
//! asks for one, or asks about their own case (a status, a payment that
//! did not come, a decision about them). They live with the knowledge, not
//! in the operator's config, because they are language: editors keep them,
//! and `loket lint` checks each against its own test phrases.
//!
//! A rule must be general: one kind of message, documented in `why`, with
//! `examples` it must match and `not` phrases it must leave alone. A rule
//! written for one eval question is over-fitting and does not belong here.

use super::entry::{Entry, Problem};
use regex::Regex;
use serde::Deserialize;
use std::path::Path;

/// The file name in the knowledge folder.
pub const FILE: &str = "rules.toml";

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub pattern: Regex,
}

/// The loaded rules.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// The message is about the citizen's own case.
    pub own_case: Vec<Rule>,
    /// The message asks for a person.
    pub person: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    why: String,
    pattern: String,
    examples: Vec<String>,
    #[serde(default)]
    not: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    own_case: Vec<RawRule>,
    #[serde(default)]
    person: Vec<RawRule>,
}

/// Line of `needle`'s first occurrence in `text` (1-based), or 1.
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map_or(1, |at| text[..at].matches('\n').count() + 1)
}

impl Rules {
    /// Loads and checks `dir/rules.toml`. A missing file means no rules.
    /// A rule that does not compile, or fails one of its own test phrases,
    /// is reported with its line and left out; the others stay in use.
    pub fn load(dir: &Path, problems: &mut Vec<Problem>) -> Self {
        let path = dir.join(FILE);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Self::default();
        };
        Self::parse(&path, &text, problems)
    }

    pub fn parse(path: &Path, text: &str, problems: &mut Vec<Problem>) -> Self {
        let raw: RawFile = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(error) => {
                let line = error
                    .span()
                    .map_or(1, |span| text[..span.start].matches('\n').count() + 1);
                problems.push(Problem::error(
                    path,
                    line,
                    format!(
                        "{}; each rule is [[own_case]] or [[person]] with name, why, pattern, examples (and optionally not)",
                        error.message()
                    ),
                ));
                return Self::default();
            }
        };
        let mut check = |rules: Vec<RawRule>| -> Vec<Rule> {
            rules
                .into_iter()
                .filter_map(|raw| {
                    let line = line_of(text, &format!("name = \"{}\"", raw.name));
                    let pattern = match Regex::new(&raw.pattern) {
                        Ok(pattern) => pattern,
                        Err(e) => {
                            problems.push(Problem::error(
                                path,
                                line,
                                format!("rule {}: the pattern is not a valid regular expression: {e}", raw.name),
                            ));
                            return None;
                        }
                    };
                    if raw.why.trim().is_empty() || raw.examples.is_empty() {
                        problems.push(Problem::error(
                            path,
                            line,
                            format!("rule {}: write in `why` what kind of message it is for, and at least one phrase in `examples` that it must match", raw.name),
                        ));
                        return None;
                    }
                    let missed: Vec<&String> =
                        raw.examples.iter().filter(|e| !pattern.is_match(e)).collect();
                    let caught: Vec<&String> = raw.not.iter().filter(|e| pattern.is_match(e)).collect();
                    if !missed.is_empty() || !caught.is_empty() {
                        problems.push(Problem::error(
                            path,
                            line,
                            format!(
                                "rule {}: its pattern does not match its examples {missed:?} or matches its `not` phrases {caught:?}; fix the pattern or the phrases",
                                raw.name
                            ),
                        ));
                        return None;
                    }
                    Some(Rule {
                        name: raw.name,
                        pattern,
                    })
                })
                .collect()
        };
        let own_case = check(raw.own_case);
        let person = check(raw.person);
        Self { own_case, person }
    }

    /// The own-case rules `text` matches.
    pub fn own_case_matches(&self, text: &str) -> Vec<&Rule> {
        self.own_case
            .iter()
            .filter(|r| r.pattern.is_match(text))
            .collect()
    }

    /// The first rule by which `text` asks for a person.
    pub fn asks_for_person(&self, text: &str) -> Option<&Rule> {
        self.person.iter().find(|r| r.pattern.is_match(text))
    }

    /// Whether an entry takes own-case questions of this kind: each
    /// matched rule also matches its title, one of its example questions
    /// or keywords. The editor who gave the tax entry the example "hoe
    /// maak ik bezwaar tegen de aanslag" meant objecting to be answered.
    pub fn entry_takes(entry: &Entry, matched: &[&Rule]) -> bool {
        !matched.is_empty()
            && matched.iter().all(|rule| {
                std::iter::once(&entry.title)
                    .chain(&entry.questions)
                    .chain(&entry.keywords)
                    .any(|line| rule.pattern.is_match(line))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Rules, Vec<Problem>) {
        let mut problems = Vec::new();
        let rules = Rules::parse(Path::new("knowledge/rules.toml"), text, &mut problems);
        (rules, problems)
    }

    #[test]
    fn a_rule_that_fails_its_own_examples_is_reported_with_its_line_and_left_out() {
        let (rules, problems) = parse(
            "[[own_case]]\nname = \"ok\"\nwhy = \"x\"\npattern = '(?i)status'\nexamples = [\"status van mijn aanvraag\"]\n\n[[own_case]]\nname = \"bad\"\nwhy = \"x\"\npattern = '(?i)nakijken'\nexamples = [\"kunt u dit checken\"]\n",
        );
        assert_eq!(rules.own_case.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 8, "{}", problems[0]);
        assert!(problems[0].message.contains("kunt u dit checken"));
    }

    #[test]
    fn a_not_phrase_the_pattern_matches_is_an_error() {
        let (rules, problems) = parse(
            "[[person]]\nname = \"p\"\nwhy = \"x\"\npattern = '(?i)medewerker'\nexamples = [\"mag ik een medewerker\"]\nnot = [\"medewerker van de maand\"]\n",
        );
        assert!(rules.person.is_empty());
        assert!(problems[0].message.contains("medewerker van de maand"));
    }

    #[test]
    fn broken_toml_names_the_line() {
        let (_, problems) = parse("[[own_case]]\nname = \"x\nwhy = 1\n");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].line >= 2, "{}", problems[0]);
    }

    #[test]
    fn the_shipped_rules_all_pass_their_own_phrases() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let mut problems = Vec::new();
        let rules = Rules::load(&dir, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(rules.own_case.len() >= 5);
        assert!(rules.person.len() >= 2);
    }
}
