//! `loket lint`'s checks: everything [`super::load_dir`] reports, plus the
//! rules that need configuration (links only to allowlisted domains).
//!
//! Invariant: the result is sorted by path, then line, so the output reads
//! file by file, top to bottom, and is stable between runs.

use crate::privacy::links::host_allowed;
use std::path::Path;

use super::entry::{EntryKind, Problem, RECOMMENDED_QUESTIONS, TRAINING_QUESTIONS};
use super::loader::{load_detailed, sort_problems};

/// What `loket lint` found in a knowledge folder.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// How many answers loaded (per language file, broken ones excluded).
    pub entries: usize,
    /// Sorted by path, then line.
    pub problems: Vec<Problem>,
}

impl LintReport {
    /// The number of errors.
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.is_error()).count()
    }

    /// The number of warnings.
    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }
}

/// Every problem in the folder, sorted by path then line.
pub fn lint(dir: &Path, link_allowlist: &[String]) -> Vec<Problem> {
    check(dir, link_allowlist).problems
}

/// [`lint`], with the number of answers that loaded.
pub fn check(dir: &Path, link_allowlist: &[String]) -> LintReport {
    let detailed = load_detailed(dir);
    let mut problems = detailed.knowledge.problems;
    for (entry, lines) in detailed.knowledge.entries.iter().zip(&detailed.lines) {
        for (index, link) in entry.links.iter().enumerate() {
            let line = lines.link_urls.get(index).copied().unwrap_or(0);
            let host = url::Url::parse(&link.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            if !host_allowed(&host, link_allowlist) {
                problems.push(Problem::error(
                    &entry.path,
                    line,
                    format!(
                        "links[{}].url: {host} is not on the link allowlist ({}); link only to these trusted sites, or ask the administrator to add the domain to link_allowlist under [knowledge] in config/loket.toml",
                        index + 1,
                        if link_allowlist.is_empty() {
                            "empty".to_owned()
                        } else {
                            link_allowlist.join(", ")
                        }
                    ),
                ));
            }
        }
    }
    for (entry, lines) in detailed.knowledge.entries.iter().zip(&detailed.lines) {
        // What a starter base promises editors: where each fact comes
        // from, and enough questions for the classifier to learn from.
        if entry.kind == EntryKind::SmallTalk {
            continue;
        }
        if entry.sources.is_empty() {
            problems.push(Problem::warning(
                &entry.path,
                lines.id,
                "no sources; add `sources:` with the public page(s) the facts come from, so the next editor can check them",
            ));
        }
        if entry.questions.len() < TRAINING_QUESTIONS
            && entry.questions.len() >= RECOMMENDED_QUESTIONS
        {
            problems.push(Problem::warning(
                &entry.path,
                lines.id,
                format!(
                    "only {} questions; add at least {TRAINING_QUESTIONS} ways a citizen would ask this, in their own words: the bot learns the answer from them",
                    entry.questions.len()
                ),
            ));
        }
    }
    for entry in &detailed.knowledge.entries {
        let bad = crate::privacy::links::disallowed_domains(&entry.body, link_allowlist);
        if bad.is_empty() {
            continue;
        }
        let file = std::fs::read_to_string(&entry.path).unwrap_or_default();
        for domain in bad {
            let line = file
                .lines()
                .position(|l| l.to_lowercase().contains(&domain))
                .map_or(0, |i| i + 1);
            problems.push(Problem::error(
                &entry.path,
                line,
                format!(
                    "a link in the answer text goes to {domain}, which is not on the link allowlist; link only to trusted sites ({}), or ask the administrator to add the domain to link_allowlist under [knowledge] in config/loket.toml",
                    link_allowlist.join(", ")
                ),
            ));
        }
    }
    sort_problems(&mut problems);
    LintReport {
        entries: detailed.knowledge.entries.len(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// What `lint` says of a folder with one answer file, `content`.
    fn lint_one(content: &str, allowlist: &[&str]) -> Vec<Problem> {
        let dir = tempfile::tempdir().expect("temp dir");
        let nl = dir.path().join("nl");
        std::fs::create_dir_all(&nl).expect("folder");
        std::fs::write(nl.join("test.md"), content).expect("write");
        lint(dir.path(), &list(allowlist))
    }

    #[test]
    fn a_link_in_the_answer_text_must_be_on_the_allowlist_too() {
        let problems = lint_one(
            "---\nid: test-link\ntitle: Test\nlang: nl\nquestions:\n  - hoe test ik een link\n  - waar staat de link\n  - welke link is goed\n---\nBetaal via https://betaal-voorbeeldstad.example/nu of lees\nhttps://www.voorbeeldstad.nl/info\n",
            &["voorbeeldstad.nl"],
        );
        let link_problems: Vec<&Problem> = problems
            .iter()
            .filter(|p| p.message.contains("betaal-voorbeeldstad.example"))
            .collect();
        assert_eq!(link_problems.len(), 1, "{problems:?}");
        assert_eq!(link_problems[0].line, 10);
        assert!(
            !problems
                .iter()
                .any(|p| p.message.contains("www.voorbeeldstad.nl"))
        );
    }

    #[test]
    fn a_bare_domain_under_any_public_suffix_is_checked_too() {
        let problems = lint_one(
            "---\nid: test-bare\ntitle: Test\nlang: nl\nquestions:\n  - hoe betaal ik\n  - waar betaal ik\n  - kan ik online betalen\n---\nBetaal op voorbeeldstad-betalen.nu/ideal,\nvoorbeeldstad.zip of betaal-gemeente.help.\nOf op voorbeeldstad.nl/betalen.\n",
            &["voorbeeldstad.nl"],
        );
        for (domain, line) in [
            ("voorbeeldstad-betalen.nu", 10),
            ("voorbeeldstad.zip", 11),
            ("betaal-gemeente.help", 11),
        ] {
            let found: Vec<&Problem> = problems
                .iter()
                .filter(|p| p.message.contains(&format!("goes to {domain},")))
                .collect();
            assert_eq!(found.len(), 1, "{domain}: {problems:?}");
            assert_eq!(found[0].line, line, "{domain}");
        }
        assert!(
            !problems
                .iter()
                .any(|p| p.message.contains("goes to voorbeeldstad.nl,"))
        );
    }
}
