//! The front matter as a whole: the YAML, the keys (known, required) and
//! how they relate to each other and to the file's name and folder.

use chrono::NaiveDate;
use serde_norway::{Mapping, Value};

use super::Parser;
use super::model::{Computed, FaqId, Link, RECOMMENDED_QUESTIONS};
use super::values::kind_of;
use crate::domain::Language;

/// The front matter keys, in the order the README shows them.
const ALLOWED_KEYS: [&str; 15] = [
    "id",
    "title",
    "lang",
    "upl",
    "sources",
    "questions",
    "keywords",
    "links",
    "valid_from",
    "valid_until",
    "handover",
    "computed",
    "urgent",
    "refer_to",
    "smalltalk",
];

/// The front matter values, checked one by one.
#[derive(Default)]
pub(super) struct Fields {
    pub(super) id: Option<FaqId>,
    pub(super) title: Option<String>,
    pub(super) lang: Language,
    pub(super) lang_given: bool,
    pub(super) questions: Option<Vec<String>>,
    /// Items under `questions` as written, empty ones included; `None`
    /// when `questions` is not a list (already reported).
    pub(super) questions_written: Option<usize>,
    pub(super) keywords: Vec<String>,
    pub(super) links: Vec<Link>,
    pub(super) valid_from: Option<NaiveDate>,
    pub(super) valid_until: Option<NaiveDate>,
    pub(super) handover: bool,
    pub(super) computed: Option<Computed>,
    pub(super) upl: Option<String>,
    pub(super) sources: Option<Vec<String>>,
    pub(super) urgent: bool,
    pub(super) refer_to: Option<String>,
    pub(super) smalltalk: bool,
}

/// The closest allowed key when `key` looks like a typo of it.
pub(super) fn suggest(key: &str, allowed: &[&'static str]) -> Option<&'static str> {
    let key = key.to_lowercase();
    // Plain Levenshtein: a swap of two letters counts 2, still close enough.
    allowed
        .iter()
        .map(|candidate| (strsim::levenshtein(&key, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Renumbers every "line N" in a parser message by `offset`, so lines
/// counted from the front matter become lines of the file.
pub(super) fn renumber_lines(message: &str, offset: usize) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        let (before, after) = rest.split_at(at + "line ".len());
        out.push_str(before);
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match after[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

impl Parser<'_> {
    /// Parses and checks the YAML; `None` when it is not a usable mapping
    /// (the reason is reported).
    pub(super) fn front_matter(&mut self, front: &str, first_line: usize) -> Option<Fields> {
        let start = first_line.saturating_sub(1);
        let value: Value = match serde_norway::from_str(front) {
            Ok(value) => value,
            Err(error) => {
                let offset = first_line - 1;
                let line = error
                    .location()
                    .map_or(start, |location| location.line() + offset);
                // The parser counts lines from the front matter; renumber
                // every "line N" in its message to lines of the file.
                let message = renumber_lines(&error.to_string(), offset);
                let tab_hint = self
                    .locator
                    .lines
                    .iter()
                    .find(|(l, _)| *l == line)
                    .is_some_and(|(_, text)| text.contains('\t'));
                let hint = if tab_hint {
                    "this line contains a tab; indent with spaces only"
                } else {
                    "check the indentation, and put text that contains \": \" or starts with a special character ([ { * & ! | > ' \" % @ `) in double quotes"
                };
                self.error(
                    line,
                    format!("the front matter is not valid YAML: {message}; {hint}"),
                );
                return None;
            }
        };
        let mapping = match value {
            Value::Mapping(mapping) => mapping,
            Value::Null => {
                self.error(
                    start,
                    "the front matter is empty; write at least id, title and questions between the two `---` lines",
                );
                return None;
            }
            other => {
                self.error(
                    start,
                    format!(
                        "the front matter is {}, but must be keys with values (`id: ...`, `title: ...`); see knowledge/README.md",
                        kind_of(&other)
                    ),
                );
                return None;
            }
        };
        Some(self.fields(&mapping))
    }

    fn fields(&mut self, mapping: &Mapping) -> Fields {
        let mut fields = Fields::default();
        for (key, value) in mapping {
            let Some(key) = key.as_str() else {
                self.error(
                    self.locator.start,
                    format!(
                        "a key is {}, not a name; allowed keys are: {}",
                        kind_of(key),
                        ALLOWED_KEYS.join(", ")
                    ),
                );
                continue;
            };
            let line = self.locator.key_or_start(key);
            match key {
                "id" => fields.id = self.id(value, line),
                "title" => fields.title = self.text(key, value, line),
                "lang" => {
                    fields.lang_given = true;
                    fields.lang = self.lang(value, line);
                }
                "questions" => {
                    fields.questions_written = match value {
                        Value::Sequence(items) => Some(items.len()),
                        Value::Null => Some(0),
                        _ => None,
                    };
                    fields.questions = Some(self.list("questions", value, line));
                }
                "keywords" => fields.keywords = self.list("keywords", value, line),
                "links" => fields.links = self.links(value, line),
                "valid_from" | "valid_until" => {
                    let date = self.date(key, value, line);
                    if key == "valid_from" {
                        fields.valid_from = date;
                    } else {
                        fields.valid_until = date;
                    }
                }
                "handover" => match value {
                    Value::Bool(b) => fields.handover = *b,
                    Value::Null => {}
                    other => self.error(
                        line,
                        format!("handover must be true or false, not {}", kind_of(other)),
                    ),
                },
                "computed" => fields.computed = self.computed(value, line),
                "upl" => fields.upl = self.text(key, value, line),
                "sources" => fields.sources = Some(self.sources(value, line)),
                "urgent" => fields.urgent = self.flag(key, value, line),
                "smalltalk" => fields.smalltalk = self.flag(key, value, line),
                "refer_to" => fields.refer_to = self.text(key, value, line),
                unknown => {
                    let hint = suggest(unknown, &ALLOWED_KEYS)
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    self.error(
                        line,
                        format!(
                            "unknown key `{unknown}`; {hint}allowed keys are: {}",
                            ALLOWED_KEYS.join(", ")
                        ),
                    );
                }
            }
        }
        self.required(&fields);
        self.relations(&fields);
        fields
    }

    fn required(&mut self, fields: &Fields) {
        let start = self.locator.start;
        let id_present = self.locator.key_index("id").is_some();
        let title_present = self.locator.key_index("title").is_some();
        if fields.id.is_none() && !id_present {
            self.error(
                start,
                "id is missing; add `id: <name>`, e.g. `id: afval-grofvuil` (the same in every language)",
            );
        }
        if fields.title.is_none() && !title_present {
            self.error(
                start,
                "title is missing; add `title: ...`, the subject of the answer in a few words",
            );
        }
        match &fields.questions {
            None => self.error(
                start,
                "questions is missing; add `questions:` with, on the lines below it, `  - ` and how a citizen would ask it (at least 3)",
            ),
            Some(_) => {
                let line = self.locator.key_or_start("questions");
                // Counted as written: an empty item is reported on its
                // own line, and not again as a missing question.
                let Some(written) = fields.questions_written else {
                    return;
                };
                if written == 0 {
                    self.error(
                        line,
                        "questions has no questions; add at least one (3 or more is better), each on its own line starting with `  - `",
                    );
                } else if written < RECOMMENDED_QUESTIONS {
                    self.warning(
                        line,
                        format!(
                            "only {written} question{}; add at least {RECOMMENDED_QUESTIONS} ways a citizen would ask this, in their own words, so the answer is found",
                            if written == 1 { "" } else { "s" }
                        ),
                    );
                }
            }
        }
    }

    fn relations(&mut self, fields: &Fields) {
        let kinds = [
            fields.urgent.then_some("urgent"),
            fields.refer_to.as_ref().map(|_| "refer_to"),
            fields.smalltalk.then_some("smalltalk"),
        ];
        let named: Vec<&str> = kinds.into_iter().flatten().collect();
        if named.len() > 1 {
            let line = self.locator.key_or_start(named[1]);
            self.error(
                line,
                format!(
                    "{} cannot be combined in one entry: an entry is an answer, an urgent referral, another organisation's topic or small talk; keep one",
                    named.join(" and ")
                ),
            );
        }
        if let (Some(from), Some(until)) = (fields.valid_from, fields.valid_until)
            && from > until
        {
            let line = self.locator.key_or_start("valid_until");
            self.error(
                line,
                format!(
                    "valid_until ({until}) is before valid_from ({from}); the answer would never be used: swap or correct the dates"
                ),
            );
        }
        if let Some(id) = &fields.id {
            let line = self.locator.key_or_start("id");
            let stem = self.path.file_stem().and_then(|s| s.to_str());
            if stem.is_some_and(|stem| stem != id.as_str()) {
                self.warning(
                    line,
                    format!(
                        "the file name should be {id}.md, the same as the id, so the file is easy to find; rename the file or change the id"
                    ),
                );
            }
        }
        // The folder says which language editors meant; a mismatch means
        // a translation would be paired wrongly.
        let folder = self
            .path
            .ancestors()
            .skip(1)
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()))
            .find_map(Language::parse);
        if let Some(folder) = folder
            && folder != fields.lang
        {
            let line = if fields.lang_given {
                self.locator.key_or_start("lang")
            } else {
                self.locator.key_or_start("id")
            };
            self.warning(
                line,
                format!(
                    "lang is {} but the file is in the {}/ folder; move the file to {}/ or set `lang: {}`",
                    fields.lang.code(),
                    folder.code(),
                    fields.lang.code(),
                    folder.code()
                ),
            );
        }
    }
}
