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

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_norway::{Mapping, Value};

use crate::domain::Language;

/// The longest id accepted.
pub const MAX_ID_CHARS: usize = 64;
/// WhatsApp refuses text messages longer than this.
pub const MAX_BODY_CHARS: usize = 4096;
/// Above this an answer is hard to read on a phone (a warning).
pub const LONG_BODY_CHARS: usize = 700;
/// Fewer questions than this give a warning: an answer is only found when
/// its questions resemble how citizens really ask.
pub const RECOMMENDED_QUESTIONS: usize = 3;
/// An answer entry with fewer example questions than this gets a warning
/// from `loket lint`: the classifier learns each entry from its questions,
/// and a starter base promises at least this many per entry.
pub const TRAINING_QUESTIONS: usize = 8;

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

/// The stable id of an answer: a slug of lowercase letters, digits and
/// single dashes (`afval-grofvuil`), at most 64 characters, the same in
/// every language.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FaqId(String);

impl FaqId {
    /// Accepts `^[a-z0-9]+(-[a-z0-9]+)*$` up to 64 characters; the error
    /// says what to write instead.
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.is_empty() {
            return Err("the id is empty; write a short name such as afval-grofvuil".to_owned());
        }
        if value.chars().count() > MAX_ID_CHARS {
            return Err(format!(
                "{value:?} is longer than {MAX_ID_CHARS} characters; use a shorter id"
            ));
        }
        let slug = value.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if !slug {
            return Err(format!(
                "{value:?} is not a valid id; use lowercase letters a-z, digits and single dashes between words, e.g. afval-grofvuil"
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FaqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for FaqId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FaqId> for String {
    fn from(value: FaqId) -> Self {
        value.0
    }
}

/// An answer whose core is computed from data at the moment of the
/// question (front matter `computed:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Computed {
    /// The next payment date from `data/uitkering-betaaldata.toml`.
    BenefitPayment,
    /// The next collection dates from `data/afvalkalender.toml`.
    WasteCollection,
    /// The opening hours from `config/hours.toml`.
    OpeningHours,
}

impl Computed {
    /// All kinds, for messages that list them.
    pub const ALL: [Computed; 3] = [
        Computed::BenefitPayment,
        Computed::WasteCollection,
        Computed::OpeningHours,
    ];

    /// The value as written in the front matter.
    pub fn as_str(self) -> &'static str {
        match self {
            Computed::BenefitPayment => "benefit_payment",
            Computed::WasteCollection => "waste_collection",
            Computed::OpeningHours => "opening_hours",
        }
    }

    /// The placeholder name (without braces) the computed sentence replaces.
    pub fn placeholder(self) -> &'static str {
        match self {
            Computed::BenefitPayment => "betaaldatum",
            Computed::WasteCollection => "ophaaldagen",
            Computed::OpeningHours => "openingstijden",
        }
    }

    /// The front matter value: `None` for `none`, an error for anything
    /// unknown.
    fn parse(value: &str) -> Result<Option<Self>, ()> {
        if value == "none" {
            return Ok(None);
        }
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == value)
            .map(Some)
            .ok_or(())
    }
}

/// A link shown under an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The text citizens see.
    pub label: String,
    /// An absolute http(s) URL.
    pub url: String,
}

/// One answer in one language, as loaded from its file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: FaqId,
    pub lang: Language,
    pub title: String,
    /// How citizens ask it, in their words (at least one).
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub links: Vec<Link>,
    /// Not used before this date.
    pub valid_from: Option<NaiveDate>,
    /// Not used after this date.
    pub valid_until: Option<NaiveDate>,
    /// Answer, and also put the question in the queue for a colleague.
    pub handover: bool,
    pub computed: Option<Computed>,
    /// What kind of message this entry recognises (an answer by default).
    pub kind: EntryKind,
    /// The Uniforme Productnamenlijst name, where one fits.
    pub upl: Option<String>,
    /// The public pages the facts come from (for editors; never sent).
    pub sources: Vec<String>,
    /// Facts an editor must adapt to the municipality (`[[...]]` in the
    /// body), with their file lines; `body` holds them without brackets.
    pub local_facts: Vec<LocalFact>,
    /// The answer text (WhatsApp markdown), trimmed.
    pub body: String,
    /// The file it came from.
    pub path: PathBuf,
}

/// What an entry stands for. Every kind is learned the same way, from the
/// entry's questions; the kind says what the triage does when it wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind", content = "refer_to")]
pub enum EntryKind {
    /// A question the knowledge base answers.
    #[default]
    Answer,
    /// A cry for help (`urgent: true`): the referral goes out at once, at
    /// any hour, and the conversation is marked urgent.
    Urgent,
    /// Another organisation's topic (`refer_to: UWV`): a person takes it,
    /// and the citizen is told at once where to go.
    NotOurs(String),
    /// Greetings, thanks, chat (`smalltalk: true`): a short friendly reply.
    SmallTalk,
}

impl EntryKind {
    /// `answer`, `urgent`, `not_ours` or `small_talk`.
    pub fn name(&self) -> &'static str {
        match self {
            EntryKind::Answer => "answer",
            EntryKind::Urgent => "urgent",
            EntryKind::NotOurs(_) => "not_ours",
            EntryKind::SmallTalk => "small_talk",
        }
    }
}

/// A fact an editor must adapt locally: `[[Markt 1]]` in a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalFact {
    pub line: usize,
    pub text: String,
}

impl Entry {
    /// Whether the answer may be given on `date` (both bounds inclusive).
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date)
            && self.valid_until.is_none_or(|until| date <= until)
    }
}

/// How bad a problem is: an error keeps the file (or data) out of use, a
/// warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Something an editor should fix, with the file and line to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: PathBuf,
    /// 1-based line in the file; 0 when the problem is about the whole
    /// file or folder (e.g. it is missing).
    pub line: usize,
    pub severity: Severity,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Problem {
    /// An error at `line` of `path`.
    pub fn error(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    /// A warning at `line` of `path`.
    pub fn warning(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `knowledge/nl/afval-grofvuil.md:7: error: questions[2] is empty; ...`,
/// the format editors and editors' tools know from compilers. Without a
/// line (0) the line part is left out.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(
                f,
                "{}: {}: {}",
                self.path.display(),
                self.severity,
                self.message
            )
        } else {
            write!(
                f,
                "{}:{}: {}: {}",
                self.path.display(),
                self.line,
                self.severity,
                self.message
            )
        }
    }
}

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
    let body = parser.body(split.body, split.body_first_line, fields.as_ref());
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

/// A file cut into its front matter and its body.
struct Split<'a> {
    front: &'a str,
    /// File line of the first front matter line (the one after `---`).
    front_first_line: usize,
    body: &'a str,
    /// File line of the first body line (the one after the closing `---`).
    body_first_line: usize,
}

/// The `[[...]]` facts of a body with their file lines.
fn local_facts(body: &str, first_line: usize) -> Vec<LocalFact> {
    let mut facts = Vec::new();
    for (i, line) in body.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("[[") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("]]") else { break };
            facts.push(LocalFact {
                line: first_line + i,
                text: after[..end].trim().to_owned(),
            });
            rest = &after[end + 2..];
        }
    }
    facts
}

/// The body as citizens see it: `[[Markt 1]]` becomes `Markt 1`.
pub fn strip_local_marks(body: &str) -> String {
    body.replace("[[", "").replace("]]", "")
}

fn is_delimiter(line: &str) -> bool {
    line.trim_end() == "---"
}

fn split_front_matter(text: &str) -> Result<Split<'_>, (usize, String)> {
    // Some editors on Windows save a byte order mark; it is invisible, so
    // it must not make the first line look wrong.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    if !is_delimiter(first) {
        return Err((
            1,
            "the file must start with a line `---`, then the front matter (id, title, questions, ...), then another `---` line and the answer; see knowledge/README.md".to_owned(),
        ));
    }
    let front_start = first.len();
    let mut offset = front_start;
    for (index, line) in lines.enumerate() {
        if is_delimiter(line) {
            return Ok(Split {
                front: &text[front_start..offset],
                front_first_line: 2,
                body: &text[offset + line.len()..],
                // The first line is 1, the front matter starts at 2, and
                // this delimiter is line `index + 2`.
                body_first_line: index + 3,
            });
        }
        offset += line.len();
    }
    Err((
        1,
        "the front matter that starts here is not closed; add a line `---` after the last key (before the answer text)".to_owned(),
    ))
}

/// Finds the file line of keys and list items in the front matter text,
/// so problems point where the editor has to look. YAML parsers do not
/// keep positions of values, and the files are simple enough (top-level
/// keys, block or flow lists) for a line scan.
struct Locator<'a> {
    /// (file line, text) per front matter line.
    lines: Vec<(usize, &'a str)>,
    /// The opening `---` line, for problems without a better place.
    start: usize,
}

impl<'a> Locator<'a> {
    fn new(front: &'a str, first_line: usize) -> Self {
        Self {
            lines: front
                .lines()
                .enumerate()
                .map(|(i, line)| (first_line + i, line))
                .collect(),
            start: first_line.saturating_sub(1),
        }
    }

    /// Index into `lines` of the top-level `key:` line.
    fn key_index(&self, key: &str) -> Option<usize> {
        self.lines.iter().position(|(_, line)| {
            [key.to_owned(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .any(|written| {
                    line.strip_prefix(written.as_str())
                        .is_some_and(|rest| rest.trim_start().starts_with(':'))
                })
        })
    }

    /// The line of `key:`, or the opening `---` when the key is absent.
    fn key_or_start(&self, key: &str) -> usize {
        self.key_index(key)
            .and_then(|i| self.lines.get(i))
            .map_or(self.start, |(line, _)| *line)
    }

    /// Indexes into `lines` of the block list items under `key`.
    fn item_indexes(&self, key: &str) -> Vec<usize> {
        let Some(key_index) = self.key_index(key) else {
            return Vec::new();
        };
        let mut items = Vec::new();
        let mut item_indent = None;
        for (index, (_, line)) in self.lines.iter().enumerate().skip(key_index + 1) {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            // The block ends at the next top-level key; a list may sit at
            // column 0 under its key (`- item`), which YAML allows.
            if indent == 0 && !trimmed.is_empty() && !trimmed.starts_with(['-', '#']) {
                break;
            }
            if trimmed == "-" || trimmed.starts_with("- ") {
                let level = *item_indent.get_or_insert(indent);
                if indent == level {
                    items.push(index);
                }
            }
        }
        items
    }

    /// The line of item `index` (0-based) of the list under `key`; the
    /// key's line for flow lists (`[a, b]`) or when not found.
    fn item(&self, key: &str, index: usize) -> usize {
        self.item_indexes(key)
            .get(index)
            .and_then(|&i| self.lines.get(i))
            .map_or_else(|| self.key_or_start(key), |(line, _)| *line)
    }

    /// The line of `field:` inside mapping item `index` of the list under
    /// `key` (e.g. `url` of the second link); the item's line otherwise.
    fn item_field(&self, key: &str, index: usize, field: &str) -> usize {
        let items = self.item_indexes(key);
        let Some(&start) = items.get(index) else {
            return self.key_or_start(key);
        };
        let end = items
            .get(index + 1)
            .copied()
            .unwrap_or_else(|| self.block_end(start));
        let is_field = |text: &str| {
            let text = text.trim_start();
            let text = text.strip_prefix('-').unwrap_or(text).trim_start();
            text.strip_prefix(field)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        };
        self.lines[start..end]
            .iter()
            .find(|(_, text)| is_field(text))
            .or_else(|| self.lines.get(start))
            .map_or(self.start, |(line, _)| *line)
    }

    /// The index of the next top-level key after `from` (or the end).
    fn block_end(&self, from: usize) -> usize {
        self.lines
            .iter()
            .enumerate()
            .skip(from + 1)
            .find(|(_, (_, line))| {
                !line.is_empty()
                    && !line.starts_with([' ', '\t', '-', '#'])
                    && !line.trim().is_empty()
            })
            .map_or(self.lines.len(), |(i, _)| i)
    }
}

/// The front matter values, checked one by one.
#[derive(Default)]
struct Fields {
    id: Option<FaqId>,
    title: Option<String>,
    lang: Language,
    lang_given: bool,
    questions: Option<Vec<String>>,
    /// Items under `questions` as written, empty ones included; `None`
    /// when `questions` is not a list (already reported).
    questions_written: Option<usize>,
    keywords: Vec<String>,
    links: Vec<Link>,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    handover: bool,
    computed: Option<Computed>,
    upl: Option<String>,
    sources: Option<Vec<String>>,
    urgent: bool,
    refer_to: Option<String>,
    smalltalk: bool,
}

struct Parser<'a> {
    path: &'a Path,
    problems: Vec<Problem>,
    locator: Locator<'a>,
}

/// Text of a scalar; `None` for lists and mappings. An empty value
/// (`title:`) is empty text, so it gets the "is empty" message.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => None,
    }
}

/// What a value is, for type errors.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a group of keys",
        Value::Tagged(_) => "a tagged value (!something)",
    }
}

/// The closest allowed key when `key` looks like a typo of it.
fn suggest(key: &str, allowed: &[&'static str]) -> Option<&'static str> {
    let key = key.to_lowercase();
    allowed
        .iter()
        .map(|candidate| (edit_distance(&key, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Renumbers every "line N" in a parser message by `offset`, so lines
/// counted from the front matter become lines of the file.
fn renumber_lines(message: &str, offset: usize) -> String {
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

/// A markdown heading: up to 3 spaces, 1 to 6 `#`, then a space or the end.
fn is_heading(line: &str) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    indent <= 3
        && (1..=6).contains(&hashes)
        && rest[hashes..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

/// Markdown links `[text](target)` on one line.
fn markdown_links(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = line[from..].find('[').map(|i| i + from) {
        // The first `]` closes the text; a link needs `(` right after it.
        let link = line[open..]
            .find(']')
            .map(|close| open + close + 1)
            .filter(|&target| line[target..].starts_with('('))
            .and_then(|target| {
                line[target..]
                    .find(')')
                    .map(|end| &line[open..target + end + 1])
            });
        match link {
            Some(link) => {
                found.push(link);
                from = open + link.len();
            }
            None => from = open + 1,
        }
    }
    found
}

/// The names inside `{{...}}` placeholders on one line, trimmed.
fn placeholders(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        // The innermost `{{` counts, so `{{{x}}` still yields `x`.
        let inner = inner.trim_start_matches('{');
        match inner.find("}}") {
            Some(close) if !inner[..close].contains(['{', '}']) => {
                found.push(inner[..close].trim());
                rest = &inner[close + 2..];
            }
            _ => rest = inner,
        }
    }
    found
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

    /// Parses and checks the YAML; `None` when it is not a usable mapping
    /// (the reason is reported).
    fn front_matter(&mut self, front: &str, first_line: usize) -> Option<Fields> {
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

    fn id(&mut self, value: &Value, line: usize) -> Option<FaqId> {
        let text = self.text("id", value, line)?;
        match FaqId::parse(&text) {
            Ok(id) => Some(id),
            Err(message) => {
                self.error(line, format!("id: {message}"));
                None
            }
        }
    }

    /// A non-empty scalar as trimmed text; problems name `key`.
    fn text(&mut self, key: &str, value: &Value, line: usize) -> Option<String> {
        let Some(text) = scalar_text(value) else {
            self.error(
                line,
                format!(
                    "{key} must be text on the same line, not {}",
                    kind_of(value)
                ),
            );
            return None;
        };
        let text = text.trim().to_owned();
        if text.is_empty() {
            self.error(line, format!("{key} is empty; write it after `{key}: `"));
            return None;
        }
        Some(text)
    }

    fn lang(&mut self, value: &Value, line: usize) -> Language {
        match scalar_text(value) {
            Some(code) if code.trim().is_empty() => Language::Nl,
            Some(code) => Language::parse(code.trim()).unwrap_or_else(|| {
                self.error(
                    line,
                    format!("lang: {code:?} is not a supported language; write nl or en"),
                );
                Language::Nl
            }),
            None => {
                self.error(
                    line,
                    format!("lang must be nl or en, not {}", kind_of(value)),
                );
                Language::Nl
            }
        }
    }

    /// `true` or `false`; problems name `key`.
    fn flag(&mut self, key: &str, value: &Value, line: usize) -> bool {
        match value {
            Value::Bool(b) => *b,
            Value::Null => false,
            other => {
                self.error(
                    line,
                    format!("{key} must be true or false, not {}", kind_of(other)),
                );
                false
            }
        }
    }

    /// `sources:`: absolute http(s) addresses of public pages.
    fn sources(&mut self, value: &Value, line: usize) -> Vec<String> {
        let texts = self.list("sources", value, line);
        for (index, text) in texts.iter().enumerate() {
            let ok = url::Url::parse(text)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                let item_line = self.locator.item("sources", index);
                self.warning(
                    item_line,
                    format!(
                        "sources[{}] {text:?} is not a web address; write the full address of the public page, starting with https://",
                        index + 1
                    ),
                );
            }
        }
        texts
    }

    /// A list of non-empty texts (`questions`, `keywords`).
    fn list(&mut self, key: &'static str, value: &Value, line: usize) -> Vec<String> {
        let items = match value {
            Value::Sequence(items) => items,
            Value::Null => return Vec::new(),
            other => {
                self.error(
                    line,
                    format!(
                        "{key} must be a list, not {}: put each item on its own line below `{key}:`, starting with `  - `",
                        kind_of(other)
                    ),
                );
                return Vec::new();
            }
        };
        let mut texts = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_line = self.locator.item(key, index);
            let number = index + 1;
            match scalar_text(item) {
                Some(text) if text.trim().is_empty() => {
                    let what = if key == "questions" {
                        "write how a citizen would ask it, or remove the line"
                    } else {
                        "write a word, or remove it"
                    };
                    self.error(item_line, format!("{key}[{number}] is empty; {what}"));
                }
                Some(text) => texts.push(text.trim().to_owned()),
                None => self.error(
                    item_line,
                    format!(
                        "{key}[{number}] is {}, but must be text; check the indentation",
                        kind_of(item)
                    ),
                ),
            }
        }
        texts
    }

    fn links(&mut self, value: &Value, line: usize) -> Vec<Link> {
        let items = match value {
            Value::Sequence(items) => items,
            Value::Null => return Vec::new(),
            other => {
                self.error(
                    line,
                    format!(
                        "links must be a list, not {}: write each link as `  - label: ...` with `    url: https://...` below it",
                        kind_of(other)
                    ),
                );
                return Vec::new();
            }
        };
        let mut links = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let number = index + 1;
            let item_line = self.locator.item("links", index);
            let Value::Mapping(map) = item else {
                self.error(
                    item_line,
                    format!(
                        "links[{number}] is {}, but must have a label and a url: `  - label: ...` with `    url: https://...` below it",
                        kind_of(item)
                    ),
                );
                continue;
            };
            for key in map.keys() {
                let name = key.as_str().unwrap_or("?");
                if name != "label" && name != "url" {
                    let field_line = self.locator.item_field("links", index, name);
                    self.error(
                        field_line,
                        format!(
                            "links[{number}]: unknown key `{name}`; a link has only label and url"
                        ),
                    );
                }
            }
            let label_line = self.locator.item_field("links", index, "label");
            let label = match map.get("label").map(scalar_text) {
                None => {
                    self.error(
                        item_line,
                        format!(
                            "links[{number}] has no label; add `label: ...`, the text citizens see"
                        ),
                    );
                    None
                }
                Some(Some(text)) if text.trim().is_empty() => {
                    self.error(
                        label_line,
                        format!("links[{number}].label is empty; write the text citizens see, e.g. \"Grofvuil aanmelden\""),
                    );
                    None
                }
                Some(Some(text)) => Some(text.trim().to_owned()),
                Some(None) => {
                    self.error(label_line, format!("links[{number}].label must be text"));
                    None
                }
            };
            let url_line = self.locator.item_field("links", index, "url");
            let url = match map.get("url").map(scalar_text) {
                None => {
                    self.error(
                        item_line,
                        format!("links[{number}] has no url; add `url: https://...`"),
                    );
                    None
                }
                Some(Some(text)) => match check_url(text.trim()) {
                    Ok(url) => Some(url),
                    Err(message) => {
                        self.error(url_line, format!("links[{number}].url: {message}"));
                        None
                    }
                },
                Some(None) => {
                    self.error(url_line, format!("links[{number}].url must be text"));
                    None
                }
            };
            if let (Some(label), Some(url)) = (label, url) {
                links.push(Link { label, url });
            }
        }
        links
    }

    fn date(&mut self, key: &str, value: &Value, line: usize) -> Option<NaiveDate> {
        if value.is_null() {
            return None;
        }
        let text = scalar_text(value).unwrap_or_default();
        match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                self.error(
                    line,
                    format!(
                        "{key}: {} is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31",
                        if text.is_empty() {
                            kind_of(value).to_owned()
                        } else {
                            format!("{text:?}")
                        }
                    ),
                );
                None
            }
        }
    }

    fn computed(&mut self, value: &Value, line: usize) -> Option<Computed> {
        let text = scalar_text(value).unwrap_or_else(|| kind_of(value).to_owned());
        if text.trim().is_empty() {
            return None;
        }
        Computed::parse(text.trim()).unwrap_or_else(|()| {
            self.error(
                line,
                format!(
                    "computed: {text:?} is not known; write none, {}",
                    Computed::ALL.map(Computed::as_str).join(", ")
                ),
            );
            None
        })
    }

    /// Checks the answer text and returns it trimmed.
    fn body(&mut self, raw: &str, first_line: usize, fields: Option<&Fields>) -> String {
        let body = raw.trim().to_owned();
        // Problems about the text as a whole point at its first line, not
        // at blank lines an editor left after the `---`.
        let lines: Vec<(usize, &str)> = raw
            .lines()
            .enumerate()
            .map(|(i, text)| (first_line + i, text))
            .collect();
        let body_line = lines
            .iter()
            .find(|(_, text)| !text.trim().is_empty())
            .map_or(first_line, |(line, _)| *line);
        let chars = body.chars().count();
        if body.is_empty() {
            self.error(
                first_line.saturating_sub(1),
                "the answer text is empty; write the answer citizens get below the second `---` line",
            );
        } else if chars > MAX_BODY_CHARS {
            self.error(
                body_line,
                format!(
                    "the answer is {chars} characters; WhatsApp allows at most {MAX_BODY_CHARS}: shorten it, or split it into two answers"
                ),
            );
        } else if chars > LONG_BODY_CHARS {
            self.warning(
                body_line,
                format!(
                    "the answer is {chars} characters; above {LONG_BODY_CHARS} it is hard to read on a phone: shorten it, or move details behind a link"
                ),
            );
        }
        let computed = fields.and_then(|f| f.computed);
        for (line, text) in &lines {
            if is_heading(text) {
                self.warning(
                    *line,
                    "markdown heading: WhatsApp shows the # as it is; write the heading as *bold text* on its own line",
                );
            }
            for link in markdown_links(text) {
                self.warning(
                    *line,
                    format!(
                        "markdown link {}: WhatsApp shows it as it is; put the link under `links:` in the front matter, or write the plain address",
                        link
                    ),
                );
            }
            for name in placeholders(text) {
                match Computed::ALL.into_iter().find(|c| c.placeholder() == name) {
                    None => self.error(
                        *line,
                        format!(
                            "unknown placeholder {{{{{name}}}}}; the known ones are {}",
                            Computed::ALL
                                .map(|c| format!(
                                    "{{{{{}}}}} (with computed: {})",
                                    c.placeholder(),
                                    c.as_str()
                                ))
                                .join(", ")
                        ),
                    ),
                    Some(kind) if Some(kind) != computed && fields.is_some() => self.error(
                        *line,
                        format!(
                            "{{{{{name}}}}} is only filled in with `computed: {}`; set that in the front matter, or remove the placeholder",
                            kind.as_str()
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
        if let Some(kind) = computed {
            let wanted = kind.placeholder();
            let present = placeholders(&body).contains(&wanted);
            if !present && !body.is_empty() {
                self.warning(
                    body_line,
                    format!(
                        "computed: {} but the answer has no {{{{{wanted}}}}}; the computed sentence will be put in front of the answer: add {{{{{wanted}}}}} where it should go",
                        kind.as_str()
                    ),
                );
            }
        }
        body
    }
}

/// Checks an absolute http(s) URL; the message says what to write.
pub(crate) fn check_url(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("the url is empty; write the full address, starting with https://".to_owned());
    }
    let url = url::Url::parse(text).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => format!(
            "{text:?} is not a full address; write it with https:// in front, e.g. https://www.voorbeeldstad.nl/..."
        ),
        other => format!("{text:?} is not a valid address ({other}); copy it from the browser's address bar"),
    })?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(format!(
            "{text:?} is not a web address; only https:// (or http://) links can be opened from WhatsApp"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "{text:?} has no domain name; write e.g. https://www.voorbeeldstad.nl/..."
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's example, one key per line, so line numbers are easy to
    /// read off: the front matter runs from line 1 to 17, the answer
    /// starts on line 18.
    const GOOD: &str = "---
id: afval-grofvuil
title: Grofvuil laten ophalen
lang: nl
questions:
  - Hoe laat ik grofvuil ophalen?
  - mijn oude bank moet weg
  - wanneer komt de grofvuilwagen
keywords: [grofvuil, bankstel]
links:
  - label: Grofvuil aanmelden
    url: https://www.voorbeeldstad.nl/grofvuil
valid_from: 2026-01-01
valid_until: 2026-12-31
handover: false
computed: none
---
Grofvuil halen we gratis op, op afspraak.

*Zo werkt het*
1. Meld je grofvuil aan via de link hieronder.
";

    const PATH: &str = "knowledge/nl/afval-grofvuil.md";

    fn parse(text: &str) -> Result<(Entry, Vec<Problem>), Vec<Problem>> {
        parse_entry(Path::new(PATH), text)
    }

    /// Replaces one line of GOOD (1-based) by `with` (may be several lines).
    fn with_line(line: usize, with: &str) -> String {
        GOOD.lines()
            .enumerate()
            .map(|(i, l)| if i + 1 == line { with } else { l })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    fn errors(text: &str) -> Vec<Problem> {
        match parse(text) {
            Ok((entry, warnings)) => panic!("expected errors, got {entry:?} {warnings:?}"),
            Err(problems) => problems.into_iter().filter(Problem::is_error).collect(),
        }
    }

    fn warnings(text: &str) -> Vec<Problem> {
        match parse(text) {
            Ok((_, warnings)) => warnings,
            Err(problems) => panic!("expected only warnings, got {problems:?}"),
        }
    }

    /// The one problem in `problems`, checking its line and that its
    /// message contains `needle`.
    fn single(problems: &[Problem], line: usize, needle: &str) {
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].line, line, "{}", problems[0]);
        assert!(problems[0].message.contains(needle), "{}", problems[0]);
    }

    #[test]
    fn a_complete_file_parses_into_an_entry_without_problems() {
        let (entry, warnings) = parse(GOOD).expect("valid");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(entry.id.as_str(), "afval-grofvuil");
        assert_eq!(entry.lang, Language::Nl);
        assert_eq!(entry.title, "Grofvuil laten ophalen");
        assert_eq!(entry.questions.len(), 3);
        assert_eq!(entry.questions[1], "mijn oude bank moet weg");
        assert_eq!(entry.keywords, vec!["grofvuil", "bankstel"]);
        assert_eq!(
            entry.links,
            vec![Link {
                label: "Grofvuil aanmelden".into(),
                url: "https://www.voorbeeldstad.nl/grofvuil".into()
            }]
        );
        assert_eq!(entry.valid_from, NaiveDate::from_ymd_opt(2026, 1, 1));
        assert_eq!(entry.valid_until, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert!(!entry.handover);
        assert_eq!(entry.computed, None);
        assert!(entry.body.starts_with("Grofvuil halen"));
        assert!(entry.body.ends_with("hieronder."), "body is trimmed");
        assert_eq!(entry.path, Path::new(PATH));
    }

    #[test]
    fn optional_keys_may_be_left_out_and_lang_defaults_to_dutch() {
        let text = "---\nid: paspoort\ntitle: Paspoort\nquestions:\n- a\n- b\n- c\n---\nTekst\n";
        let (entry, warnings) =
            parse_entry(Path::new("paspoort.md"), text).expect("minimal file is valid");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(entry.lang, Language::Nl);
        assert!(entry.links.is_empty() && entry.keywords.is_empty());
        assert_eq!(entry.computed, None);
        assert_eq!(entry.questions, vec!["a", "b", "c"]);
    }

    #[test]
    fn an_empty_question_points_at_its_own_line() {
        let problems = errors(&with_line(7, "  - \"\""));
        single(
            &problems,
            7,
            "questions[2] is empty; write how a citizen would ask it, or remove the line",
        );
        assert_eq!(
            problems[0].to_string(),
            "knowledge/nl/afval-grofvuil.md:7: error: questions[2] is empty; write how a citizen would ask it, or remove the line"
        );
    }

    #[test]
    fn a_bare_dash_is_an_empty_question_too() {
        single(&errors(&with_line(8, "  -")), 8, "questions[3] is empty");
    }

    #[test]
    fn an_invalid_id_points_at_the_id_line_and_says_how_to_write_one() {
        let problems = errors(&with_line(2, "id: Afval_Grofvuil"));
        single(&problems, 2, "lowercase letters");
        assert!(problems[0].message.starts_with("id: "), "{}", problems[0]);
    }

    #[test]
    fn an_unknown_key_is_named_with_the_allowed_keys_and_a_suggestion() {
        let problems = errors(&with_line(
            15,
            "handover: false\ncategorie: afval\nhandovr: true",
        ));
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert_eq!(problems[0].line, 16);
        assert!(problems[0].message.contains("unknown key `categorie`"));
        assert!(
            problems[0]
                .message
                .contains("allowed keys are: id, title, lang, upl, sources, questions")
        );
        assert_eq!(problems[1].line, 17);
        assert!(
            problems[1].message.contains("did you mean `handover`?"),
            "{}",
            problems[1]
        );
    }

    #[test]
    fn a_wrong_type_names_the_key() {
        single(
            &errors(&with_line(15, "handover: ja")),
            15,
            "handover must be true or false",
        );
        single(
            &errors(&with_line(3, "title: [a, b]")),
            3,
            "title must be text",
        );
        single(
            &errors(&with_line(5, "questions: hoe dan?")),
            5,
            "questions must be a list",
        );
    }

    #[test]
    fn an_unknown_language_points_at_the_lang_line() {
        single(&errors(&with_line(4, "lang: de")), 4, "write nl or en");
    }

    #[test]
    fn an_empty_title_points_at_the_title_line() {
        single(&errors(&with_line(3, "title:")), 3, "title is empty");
    }

    #[test]
    fn a_missing_title_points_at_the_start_of_the_front_matter() {
        single(&errors(&with_line(3, "")), 1, "title is missing");
    }

    #[test]
    fn no_questions_at_all_is_an_error_at_the_questions_line() {
        let text = GOOD.replace(
            "questions:\n  - Hoe laat ik grofvuil ophalen?\n  - mijn oude bank moet weg\n  - wanneer komt de grofvuilwagen\n",
            "questions: []\n",
        );
        single(&errors(&text), 5, "questions has no questions");
    }

    #[test]
    fn fewer_than_three_questions_is_a_warning_at_the_questions_line() {
        let text = GOOD.replace("  - wanneer komt de grofvuilwagen\n", "");
        single(&warnings(&text), 5, "only 2 questions");
    }

    #[test]
    fn an_empty_keyword_is_an_error_on_the_keywords_line() {
        single(
            &errors(&with_line(9, "keywords: [grofvuil, \"\"]")),
            9,
            "keywords[2] is empty",
        );
        single(
            &errors(&with_line(9, "keywords:\n  - grofvuil\n  - \"  \"")),
            11,
            "keywords[2] is empty",
        );
    }

    #[test]
    fn an_empty_link_label_points_at_the_label_line() {
        single(
            &errors(&with_line(11, "  - label: \"\"")),
            11,
            "links[1].label is empty",
        );
    }

    #[test]
    fn a_relative_link_url_points_at_the_url_line() {
        single(
            &errors(&with_line(12, "    url: /grofvuil")),
            12,
            "not a full address; write it with https://",
        );
    }

    #[test]
    fn a_link_that_is_not_http_is_an_error() {
        single(
            &errors(&with_line(12, "    url: ftp://voorbeeldstad.nl/x")),
            12,
            "only https://",
        );
        single(
            &errors(&with_line(12, "    url: https://exa mple.nl/")),
            12,
            "not a valid address",
        );
    }

    #[test]
    fn the_url_of_the_second_link_is_found_on_its_own_line() {
        let problems = errors(&with_line(
            12,
            "    url: https://www.voorbeeldstad.nl/grofvuil\n  - label: Tarieven\n    url: www.voorbeeldstad.nl/tarieven",
        ));
        single(&problems, 14, "links[2].url");
    }

    #[test]
    fn a_link_without_url_points_at_its_item() {
        single(&errors(&with_line(12, "")), 11, "links[1] has no url");
    }

    #[test]
    fn valid_until_before_valid_from_points_at_valid_until() {
        single(
            &errors(&with_line(14, "valid_until: 2025-12-31")),
            14,
            "is before valid_from",
        );
    }

    #[test]
    fn a_date_that_does_not_exist_points_at_its_key() {
        single(
            &errors(&with_line(13, "valid_from: 2026-02-30")),
            13,
            "YYYY-MM-DD",
        );
    }

    #[test]
    fn an_unknown_computed_value_lists_the_allowed_ones() {
        single(
            &errors(&with_line(16, "computed: weather")),
            16,
            "none, benefit_payment, waste_collection, opening_hours",
        );
    }

    #[test]
    fn an_empty_body_is_an_error() {
        let text = GOOD
            .split("---\nGrofvuil")
            .next()
            .unwrap_or_default()
            .to_owned()
            + "---\n\n";
        single(&errors(&text), 17, "the answer text is empty");
    }

    #[test]
    fn a_body_over_700_characters_is_a_warning_at_its_first_line() {
        let text = with_line(18, &"a".repeat(701));
        single(&warnings(&text), 18, "hard to read on a phone");
        // Blank lines after the `---` are skipped.
        let text = with_line(18, &format!("\n\n{}", "a".repeat(701)));
        single(&warnings(&text), 20, "hard to read on a phone");
    }

    #[test]
    fn a_body_of_exactly_700_characters_gives_no_warning() {
        let text = GOOD
            .split("---\nGrofvuil")
            .next()
            .unwrap_or_default()
            .to_owned()
            + "---\n"
            + &"é".repeat(700);
        assert!(warnings(&text).is_empty());
    }

    #[test]
    fn a_body_over_4096_characters_is_an_error() {
        let problems = errors(&with_line(18, &"a".repeat(4097)));
        single(&problems, 18, "at most 4096");
    }

    #[test]
    fn markdown_headings_and_links_are_warnings_on_their_lines() {
        let text = with_line(
            20,
            "# Zo werkt het\nKijk op [de site](https://voorbeeldstad.nl).\n#hashtag",
        );
        let problems = warnings(&text);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert_eq!(problems[0].line, 20);
        assert!(problems[0].message.contains("markdown heading"));
        assert_eq!(problems[1].line, 21);
        assert!(
            problems[1]
                .message
                .contains("[de site](https://voorbeeldstad.nl)")
        );
    }

    #[test]
    fn a_computed_answer_without_its_placeholder_is_a_warning_at_the_body() {
        let text = with_line(16, "computed: waste_collection");
        single(&warnings(&text), 18, "no {{ophaaldagen}}");
        let text = with_line(16, "computed: benefit_payment")
            .replace("op afspraak.", "op afspraak.\n{{ betaaldatum }}");
        assert!(warnings(&text).is_empty());
        let (entry, _) = parse(&text).expect("valid");
        assert_eq!(entry.computed, Some(Computed::BenefitPayment));
    }

    #[test]
    fn an_unknown_placeholder_is_an_error_on_its_line() {
        let text = with_line(20, "*Zo werkt het* {{datum}}");
        single(&errors(&text), 20, "unknown placeholder {{datum}}");
    }

    #[test]
    fn a_known_placeholder_without_its_computed_is_an_error() {
        let text = with_line(20, "{{openingstijden}}");
        single(
            &errors(&text),
            20,
            "only filled in with `computed: opening_hours`",
        );
    }

    #[test]
    fn a_file_name_other_than_the_id_is_a_warning_at_the_id_line() {
        let (_, warnings) =
            parse_entry(Path::new("knowledge/nl/grofvuil.md"), GOOD).expect("valid");
        single(&warnings, 2, "should be afval-grofvuil.md");
    }

    #[test]
    fn an_english_file_in_the_dutch_folder_is_a_warning_at_the_lang_line() {
        single(&warnings(&with_line(4, "lang: en")), 4, "set `lang: nl`");
    }

    #[test]
    fn a_yaml_syntax_error_points_at_the_line_in_the_file() {
        // An unquoted ": " in a value is the classic editor mistake.
        let problems = errors(&with_line(3, "title: Grofvuil: laten ophalen"));
        single(&problems, 3, "not valid YAML");
        assert!(
            problems[0].message.contains("double quotes"),
            "{}",
            problems[0]
        );
        assert!(problems[0].message.contains("line 3"), "{}", problems[0]);
        // A list item indented less than its siblings.
        let problems = errors(&with_line(7, " - mijn oude bank moet weg"));
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].line, 7, "{}", problems[0]);
    }

    #[test]
    fn a_tab_in_the_front_matter_gets_its_own_hint() {
        let problems = errors(&with_line(7, "\t- mijn oude bank moet weg"));
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].line, 7, "{}", problems[0]);
        assert!(problems[0].message.contains("tab"), "{}", problems[0]);
    }

    #[test]
    fn a_duplicated_key_is_a_yaml_error_at_the_second_one() {
        let problems = errors(&with_line(4, "lang: nl\ntitle: Nog een titel"));
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].message.contains("title"), "{}", problems[0]);
    }

    #[test]
    fn a_file_without_front_matter_is_an_error_at_line_one() {
        single(
            &errors("Grofvuil halen we op.\n"),
            1,
            "must start with a line `---`",
        );
        single(
            &errors("---\nid: x\ntitle: y\n"),
            1,
            "not closed; add a line `---`",
        );
    }

    #[test]
    fn all_errors_of_a_file_are_reported_at_once() {
        let text = with_line(2, "id: Fout!")
            .replace("  - mijn oude bank moet weg", "  - \"\"")
            .replace("valid_until: 2026-12-31", "valid_until: morgen");
        let problems = errors(&text);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 7, 14], "{problems:#?}");
    }

    #[test]
    fn a_byte_order_mark_and_windows_line_endings_are_accepted() {
        let text = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
        let (entry, warnings) = parse(&text).expect("valid");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(entry.title, "Grofvuil laten ophalen");
    }

    #[test]
    fn an_entry_is_valid_between_its_dates_inclusive() {
        let (entry, _) = parse(GOOD).expect("valid");
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("date");
        assert!(entry.is_valid_on(day(1, 1)));
        assert!(entry.is_valid_on(day(12, 31)));
        assert!(!entry.is_valid_on(day(1, 1).pred_opt().expect("date")));
        let open = Entry {
            valid_from: None,
            valid_until: None,
            ..entry
        };
        assert!(open.is_valid_on(day(6, 1)));
    }

    #[test]
    fn faq_ids_are_lowercase_slugs_of_at_most_64_characters() {
        assert!(FaqId::parse("afval-grofvuil").is_ok());
        assert!(FaqId::parse("id-kaart-2026").is_ok());
        for bad in [
            "",
            "Afval",
            "afval--grofvuil",
            "-afval",
            "afval-",
            "afval grofvuil",
            "ä",
        ] {
            assert!(FaqId::parse(bad).is_err(), "{bad:?} must be rejected");
        }
        assert!(FaqId::parse(&"a".repeat(64)).is_ok());
        assert!(FaqId::parse(&"a".repeat(65)).is_err());
        let id = FaqId::parse("paspoort").expect("valid");
        assert_eq!(serde_json::to_string(&id).expect("json"), "\"paspoort\"");
        assert_eq!(id.to_string(), "paspoort");
    }

    #[test]
    fn a_problem_without_a_line_leaves_the_line_out() {
        let problem = Problem::warning(Path::new("knowledge/synonyms.toml"), 0, "missing");
        assert_eq!(
            problem.to_string(),
            "knowledge/synonyms.toml: warning: missing"
        );
    }

    #[test]
    fn parser_messages_are_renumbered_to_file_lines() {
        assert_eq!(
            renumber_lines("x at line 2 column 3, while parsing at line 1", 1),
            "x at line 3 column 3, while parsing at line 2"
        );
        assert_eq!(
            renumber_lines("no numbers, line x", 1),
            "no numbers, line x"
        );
    }

    #[test]
    fn markdown_links_and_placeholders_are_found_in_a_line() {
        assert_eq!(
            markdown_links("a [b](c) d [e] (f) [g](h)"),
            vec!["[b](c)", "[g](h)"]
        );
        assert_eq!(
            placeholders("{{ a }} and {{b}} but not {c}"),
            vec!["a", "b"]
        );
        assert!(is_heading("## Kop"));
        assert!(is_heading("#"));
        assert!(!is_heading("#hashtag"));
        assert!(!is_heading("    # code"));
    }
}
