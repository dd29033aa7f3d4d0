//! One answer file of the knowledge base: YAML front matter between two
//! `---` lines, then the answer as WhatsApp markdown (see
//! `knowledge/README.md`, which this parser implements).
//!
//! Invariant: every [`Problem`] names the file and the line an editor has
//! to look at, and says what to do; a key's problem points at the line of
//! that key (or list item), a problem with the text at the line concerned
//! or else the first line of the answer. [`parse_entry`] reports all
//! problems of a file at once, not just the first, so one `loket lint`
//! run is enough to fix a file.
//!
//! Layout: `split` cuts a file into front matter and body, `front_matter`
//! checks the keys and how they relate, `values` checks each value, `body`
//! checks the answer text, and `locator` finds the line of a key or list
//! item; `model` and `problem` hold what comes out.

mod body;
mod front_matter;
mod locator;
mod model;
mod problem;
mod split;
mod values;

use std::path::Path;

pub use body::strip_local_marks;
pub use model::{
    Computed, Entry, EntryKind, FaqId, LONG_BODY_CHARS, Link, LocalFact, MAX_BODY_CHARS,
    MAX_ID_CHARS, RECOMMENDED_QUESTIONS, TRAINING_QUESTIONS,
};
pub use problem::{Problem, Severity};

use body::local_facts;
use locator::Locator;
pub use split::U_VERSION_LINE;
use split::{split_front_matter, split_u_version};

/// Where things are in a parsed file, for the checks across files
/// (duplicate questions, links against the allowlist) that run later.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EntryLines {
    pub id: usize,
    pub questions: Vec<usize>,
    pub link_urls: Vec<usize>,
}

/// Parses one answer file. `Ok` carries the warnings, `Err` every error
/// found (and the warnings, which are still worth fixing).
pub fn parse_entry(path: &Path, text: &str) -> Result<(Entry, Vec<Problem>), Vec<Problem>> {
    parse_entry_with_lines(path, text).map(|(entry, warnings, _)| (entry, warnings))
}

/// [`parse_entry`], also returning where the id, questions and links are.
pub(crate) fn parse_entry_with_lines(
    path: &Path,
    text: &str,
) -> Result<(Entry, Vec<Problem>, EntryLines), Vec<Problem>> {
    let split = match split_front_matter(text) {
        Ok(split) => split,
        Err((line, message)) => return Err(vec![Problem::error(path, line, message)]),
    };
    let mut parser = Parser {
        path,
        problems: Vec::new(),
        locator: Locator::new(split.front, split.front_first_line),
    };
    let fields = parser.front_matter(split.front, split.front_first_line);
    let (bot_text, u_version) = split_u_version(split.body, split.body_first_line);
    let body = parser.body(bot_text, split.body_first_line, fields.as_ref());
    let body_u = u_version.map(|(text, first)| parser.body(text, first, fields.as_ref()));
    let mut problems = parser.problems;
    let has_error = problems.iter().any(Problem::is_error);
    match fields {
        Some(fields) if !has_error => {
            let (Some(id), Some(title), Some(questions)) =
                (fields.id, fields.title, fields.questions)
            else {
                // A missing required key is always reported as an error,
                // so this is not reached; stay safe anyway.
                problems.push(Problem::error(path, 1, "id, title or questions is missing"));
                return Err(problems);
            };
            let lines = EntryLines {
                id: parser.locator.key_or_start("id"),
                questions: (0..questions.len())
                    .map(|i| parser.locator.item("questions", i))
                    .collect(),
                link_urls: (0..fields.links.len())
                    .map(|i| parser.locator.item_field("links", i, "url"))
                    .collect(),
            };
            let entry = Entry {
                id,
                lang: fields.lang,
                title,
                questions,
                keywords: fields.keywords,
                links: fields.links,
                valid_from: fields.valid_from,
                valid_until: fields.valid_until,
                handover: fields.handover,
                computed: fields.computed,
                kind: if fields.urgent {
                    EntryKind::Urgent
                } else if let Some(who) = fields.refer_to {
                    EntryKind::NotOurs(who)
                } else if fields.smalltalk {
                    EntryKind::SmallTalk
                } else {
                    EntryKind::Answer
                },
                upl: fields.upl,
                sources: fields.sources.unwrap_or_default(),
                local_facts: local_facts(split.body, split.body_first_line),
                body: strip_local_marks(&body),
                body_u: body_u.map(|text| strip_local_marks(&text)),
                path: path.to_path_buf(),
            };
            Ok((entry, problems, lines))
        }
        _ => {
            if !has_error {
                problems.push(Problem::error(path, 1, "the front matter is not usable"));
            }
            Err(problems)
        }
    }
}

/// Checks one file, collecting its problems; the checks live in
/// `front_matter`, `values` and `body`.
struct Parser<'a> {
    path: &'a Path,
    problems: Vec<Problem>,
    locator: Locator<'a>,
}

impl Parser<'_> {
    fn error(&mut self, line: usize, message: impl Into<String>) {
        self.problems
            .push(Problem::error(self.path, line, message.into()));
    }

    fn warning(&mut self, line: usize, message: impl Into<String>) {
        self.problems
            .push(Problem::warning(self.path, line, message.into()));
    }
}

#[cfg(test)]
mod tests;
