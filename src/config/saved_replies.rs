//! `saved-replies/*.md` in the config folder: the replies staff insert with
//! `/` in the reply box (issue 22). One markdown file per reply and
//! language, with a small front matter (`id`, `title`, `lang`) and the
//! text as WhatsApp shows it, in the formal "u" form by default.
//!
//! The shipped starter set is compiled into the binary; a config folder
//! with its own `saved-replies/` folder replaces it as a whole (so an
//! organisation can also remove a reply). A reply may use only the
//! placeholders in [`PLACEHOLDERS`]; anything else in braces is an error
//! naming the file and line, and the file is left out, so
//! `{naam_medewerkr}` never reaches a citizen.
//! The server fills the placeholders (see [`fill`]) when it lists the
//! replies, so the page inserts finished text.

use crate::domain::Language;
use crate::knowledge::entry::MAX_BODY_CHARS;
use crate::knowledge::{FaqId, Problem};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The folder under the config folder.
pub const FOLDER: &str = "saved-replies";

/// The placeholders a saved reply may use, and what fills them.
pub const PLACEHOLDERS: [(&str, &str); 3] = [
    (
        "naam_medewerker",
        "the first name of the colleague who inserts the reply (their user name, capitalised: ilse → Ilse)",
    ),
    (
        "deadline",
        "the answer time Loket promises from now, in the reply's language (\"morgen (dinsdag 3 december) om 12:30\")",
    ),
    (
        "organisatie",
        "the organisation's name (`[service] organisation` in loket.toml)",
    ),
];

/// The starter set shipped in `config/saved-replies/`, compiled in.
const EMBEDDED: [(&str, &str); 10] = [
    (
        "ontvangen-uitzoeken.nl.md",
        include_str!("../../config/saved-replies/ontvangen-uitzoeken.nl.md"),
    ),
    (
        "ontvangen-uitzoeken.en.md",
        include_str!("../../config/saved-replies/ontvangen-uitzoeken.en.md"),
    ),
    (
        "terugbellen.nl.md",
        include_str!("../../config/saved-replies/terugbellen.nl.md"),
    ),
    (
        "terugbellen.en.md",
        include_str!("../../config/saved-replies/terugbellen.en.md"),
    ),
    (
        "geen-persoonsgegevens.nl.md",
        include_str!("../../config/saved-replies/geen-persoonsgegevens.nl.md"),
    ),
    (
        "geen-persoonsgegevens.en.md",
        include_str!("../../config/saved-replies/geen-persoonsgegevens.en.md"),
    ),
    (
        "afspraak-maken.nl.md",
        include_str!("../../config/saved-replies/afspraak-maken.nl.md"),
    ),
    (
        "afspraak-maken.en.md",
        include_str!("../../config/saved-replies/afspraak-maken.en.md"),
    ),
    (
        "afsluiten.nl.md",
        include_str!("../../config/saved-replies/afsluiten.nl.md"),
    ),
    (
        "afsluiten.en.md",
        include_str!("../../config/saved-replies/afsluiten.en.md"),
    ),
];

/// One saved reply in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedReply {
    /// A slug, the same in every language (`terugbellen`).
    pub id: String,
    /// What the picker shows.
    pub title: String,
    pub language: Language,
    /// The text with its placeholders still in braces, trimmed.
    pub body: String,
    /// The file it came from (under the config folder, or the embedded
    /// name when it is the starter set).
    pub path: PathBuf,
}

/// Every saved reply that loaded, sorted by language, then title, and the
/// problems of the files.
#[derive(Debug, Clone, Default)]
pub struct SavedReplies {
    replies: Vec<SavedReply>,
    problems: Vec<Problem>,
}

impl SavedReplies {
    /// The replies of the config folder `dir`: its `saved-replies/` folder
    /// when there is one, else the starter set. As with the knowledge
    /// base, a file with an error is left out (and reported by
    /// [`Self::problems`], `loket lint` and `loket config check`) rather
    /// than stopping the service: staff lose one reply, not the queue.
    pub fn load(dir: &Path) -> Self {
        let (replies, problems) = check_dir(dir);
        Self { replies, problems }
    }

    /// What is wrong in the files, errors and warnings, by file and line.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// All replies.
    pub fn all(&self) -> &[SavedReply] {
        &self.replies
    }

    /// The replies in `language` (all when `None`).
    pub fn in_language(&self, language: Option<Language>) -> impl Iterator<Item = &SavedReply> {
        self.replies
            .iter()
            .filter(move |r| language.is_none_or(|l| r.language == l))
    }
}

/// The replies that parse and every problem (errors and warnings) of the
/// config folder `dir`'s saved replies, sorted by file then line: what
/// `loket lint` prints and what [`SavedReplies::load`] refuses on.
pub fn check_dir(dir: &Path) -> (Vec<SavedReply>, Vec<Problem>) {
    let folder = dir.join(FOLDER);
    let files: Vec<(PathBuf, String)> = if folder.is_dir() {
        match read_folder(&folder) {
            Ok(files) => files,
            Err(problem) => return (Vec::new(), vec![problem]),
        }
    } else {
        EMBEDDED
            .iter()
            .map(|(name, text)| {
                (
                    Path::new("config").join(FOLDER).join(name),
                    (*text).to_owned(),
                )
            })
            .collect()
    };
    let mut replies = Vec::new();
    let mut problems = Vec::new();
    for (path, text) in &files {
        let (reply, found) = parse(path, text);
        problems.extend(found);
        replies.extend(reply);
    }
    let mut seen = BTreeSet::new();
    for reply in &replies {
        if !seen.insert((reply.id.clone(), reply.language)) {
            problems.push(Problem::error(
                &reply.path,
                2,
                format!(
                    "another file already has id {} in {}; give every reply its own id (the same id only for its translation)",
                    reply.id,
                    reply.language.code()
                ),
            ));
        }
    }
    problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    replies.sort_by(|a, b| {
        (a.language.code(), &a.title, &a.id).cmp(&(b.language.code(), &b.title, &b.id))
    });
    (replies, problems)
}

/// The `.md` files of `folder`, by name.
fn read_folder(folder: &Path) -> Result<Vec<(PathBuf, String)>, Problem> {
    let cannot = |e: std::io::Error| Problem::error(folder, 0, format!("cannot read: {e}"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(cannot)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "md") && path.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            std::fs::read_to_string(&path)
                .map(|text| (path.clone(), text))
                .map_err(|e| Problem::error(&path, 0, format!("cannot read: {e}")))
        })
        .collect()
}

/// Parses one file: the reply when it has no error, and its problems.
pub fn parse(path: &Path, text: &str) -> (Option<SavedReply>, Vec<Problem>) {
    let mut problems = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        problems.push(Problem::error(
            path,
            1,
            "the file must start with a line `---`, then id, title and lang, then another `---` line and the reply",
        ));
        return (None, problems);
    }
    let Some(close) = lines.iter().skip(1).position(|l| l.trim_end() == "---") else {
        problems.push(Problem::error(
            path,
            1,
            "the front matter that starts here is not closed; add a line `---` after the last key",
        ));
        return (None, problems);
    };
    // Index of the closing `---` in `lines`; file lines are 1-based.
    let close = close + 1;
    let (mut id, mut title, mut language) = (None, None, Language::Nl);
    let mut keys = BTreeSet::new();
    for (index, line) in lines.iter().enumerate().take(close).skip(1) {
        let number = index + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            problems.push(Problem::error(
                path,
                number,
                "write `key: value` (id, title or lang)",
            ));
            continue;
        };
        let value = unquote(value.trim());
        keys.insert(key.trim().to_owned());
        match key.trim() {
            "id" => match FaqId::parse(value) {
                Ok(valid) => id = Some(valid.as_str().to_owned()),
                Err(message) => problems.push(Problem::error(path, number, message)),
            },
            "title" if value.is_empty() => {
                problems.push(Problem::error(path, number, "title is empty"));
            }
            "title" => title = Some(value.to_owned()),
            "lang" => match Language::parse(value) {
                Some(lang) => language = lang,
                None => problems.push(Problem::error(
                    path,
                    number,
                    format!("lang {value:?} is not nl or en"),
                )),
            },
            other => problems.push(Problem::error(
                path,
                number,
                format!("unknown key {other:?}; a saved reply has id, title and lang"),
            )),
        }
    }
    for key in ["id", "title"] {
        if !keys.contains(key) {
            problems.push(Problem::error(
                path,
                1,
                format!("{key} is missing from the front matter"),
            ));
        }
    }
    let body_lines = &lines[close + 1..];
    let first_body_line = close + 2;
    for (offset, line) in body_lines.iter().enumerate() {
        let number = first_body_line + offset;
        for name in placeholders_in(line) {
            if !PLACEHOLDERS.iter().any(|(known, _)| *known == name) {
                problems.push(Problem::error(
                    path,
                    number,
                    format!(
                        "unknown placeholder {{{name}}}; the known ones are {}",
                        known_placeholders()
                    ),
                ));
            }
        }
        if language == Language::Nl && informal(line) {
            problems.push(Problem::warning(
                path,
                number,
                "informal \"je\"/\"jij\"/\"jouw\": saved replies use the formal \"u\" form",
            ));
        }
    }
    let body = body_lines.join("\n").trim().to_owned();
    if body.is_empty() {
        problems.push(Problem::error(
            path,
            close + 1,
            "the reply is empty; write its text below the second `---` line",
        ));
    } else if body.chars().count() > MAX_BODY_CHARS {
        problems.push(Problem::error(
            path,
            first_body_line,
            format!("the reply is longer than WhatsApp allows ({MAX_BODY_CHARS} characters)"),
        ));
    }
    if problems.iter().any(Problem::is_error) {
        return (None, problems);
    }
    match (id, title) {
        (Some(id), Some(title)) => (
            Some(SavedReply {
                id,
                title,
                language,
                body,
                path: path.to_path_buf(),
            }),
            problems,
        ),
        _ => (None, problems),
    }
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

fn known_placeholders() -> String {
    PLACEHOLDERS
        .iter()
        .map(|(name, _)| format!("{{{name}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names in `{...}` on one line (a `{` without a `}` is text).
fn placeholders_in(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find(['{', '}']) {
            Some(close) if after[close..].starts_with('}') => {
                found.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    found
}

/// Whether a Dutch line addresses the citizen informally.
fn informal(line: &str) -> bool {
    line.split(|c: char| !c.is_alphanumeric())
        .any(|word| matches!(word.to_lowercase().as_str(), "je" | "jij" | "jou" | "jouw"))
}

/// `body` with its placeholders filled from `values` (name, text); a
/// placeholder without a value is left as it is, so staff see it.
pub fn fill(body: &str, values: &[(&str, &str)]) -> String {
    super::replies::fill_placeholders(body, values, true)
}

/// A user name as a first name: `ilse` → `Ilse`.
pub fn staff_name(username: &str) -> String {
    let mut chars = username.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: terugbellen\ntitle: Terugbellen\nlang: nl\n---\nGoedemiddag, u spreekt met {naam_medewerker}.\nWij bellen u uiterlijk {deadline} terug.\n";

    #[test]
    fn a_reply_file_parses_into_its_id_title_language_and_text() {
        let (reply, problems) = parse(Path::new("x/terugbellen.nl.md"), GOOD);
        assert!(problems.is_empty(), "{problems:?}");
        let reply = reply.expect("valid");
        assert_eq!(reply.id, "terugbellen");
        assert_eq!(reply.title, "Terugbellen");
        assert_eq!(reply.language, Language::Nl);
        assert!(reply.body.starts_with("Goedemiddag"), "{}", reply.body);
        assert!(reply.body.ends_with("terug."), "{}", reply.body);
        let english = GOOD.replace("lang: nl", "lang: \"en\"");
        let (reply, _) = parse(Path::new("x/terugbellen.en.md"), &english);
        assert_eq!(reply.map(|r| r.language), Some(Language::En));
    }

    #[test]
    fn an_unknown_placeholder_is_an_error_naming_file_and_line() {
        let text = GOOD.replace("{deadline}", "{dedline}");
        let path = Path::new("config/saved-replies/terugbellen.nl.md");
        let (reply, problems) = parse(path, &text);
        assert!(reply.is_none(), "a reply with an error is not used");
        let errors: Vec<&Problem> = problems.iter().filter(|p| p.is_error()).collect();
        assert_eq!(errors.len(), 1, "{problems:?}");
        assert_eq!(errors[0].path, path);
        assert_eq!(errors[0].line, 7, "the line of {{dedline}} in the file");
        assert!(errors[0].message.contains("{dedline}"), "{}", errors[0]);
        assert!(errors[0].message.contains("{deadline}"), "{}", errors[0]);
        assert!(
            errors[0]
                .to_string()
                .starts_with("config/saved-replies/terugbellen.nl.md:7: error:"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn front_matter_mistakes_are_reported_on_their_lines() {
        let text = GOOD
            .replace("id: terugbellen", "id: Terug Bellen")
            .replace("lang: nl", "lang: de\ntaal: nl");
        let (reply, problems) = parse(Path::new("r.md"), &text);
        assert!(reply.is_none());
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 4, 5], "{problems:?}");
        let (_, problems) = parse(Path::new("r.md"), "geen front matter\n");
        assert_eq!(problems[0].line, 1);
    }

    #[test]
    fn informal_dutch_is_a_warning_only() {
        let text = GOOD.replace("Wij bellen u", "We bellen je");
        let (reply, problems) = parse(Path::new("r.md"), &text);
        assert!(reply.is_some(), "a warning keeps the reply");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(!problems[0].is_error());
        assert_eq!(problems[0].line, 7);
    }

    #[test]
    fn placeholders_are_filled_and_unknown_braces_stay() {
        let filled = fill(
            "Met {naam_medewerker} van {organisatie}, uiterlijk {deadline}. {onbekend} {",
            &[
                ("naam_medewerker", "Ilse"),
                ("deadline", "morgen om 12:30"),
                ("organisatie", "Gemeente Voorbeeldstad"),
            ],
        );
        assert_eq!(
            filled,
            "Met Ilse van Gemeente Voorbeeldstad, uiterlijk morgen om 12:30. {onbekend} {"
        );
        assert_eq!(staff_name("ilse"), "Ilse");
        assert_eq!(staff_name(""), "");
    }

    #[test]
    fn the_starter_set_is_valid_formal_and_complete_in_both_languages() {
        let missing = tempfile::tempdir().expect("temp dir");
        let (replies, problems) = check_dir(missing.path());
        assert!(problems.is_empty(), "{problems:?}");
        let ids = |lang| {
            replies
                .iter()
                .filter(|r| r.language == lang)
                .map(|r| r.id.clone())
                .collect::<BTreeSet<_>>()
        };
        assert!(ids(Language::Nl).len() >= 4);
        assert_eq!(ids(Language::Nl), ids(Language::En), "nl and en alike");
        // The shipped folder is the same set as the compiled-in one.
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let (from_folder, problems) = check_dir(&shipped);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(from_folder.len(), replies.len());
        assert_eq!(
            std::fs::read_dir(shipped.join(FOLDER))
                .expect("folder")
                .count(),
            EMBEDDED.len(),
            "every shipped file is compiled in"
        );
    }

    #[test]
    fn a_folder_of_its_own_replaces_the_starter_set_and_a_broken_file_is_left_out() {
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join(FOLDER);
        std::fs::create_dir(&folder).expect("folder");
        std::fs::write(folder.join("terugbellen.nl.md"), GOOD).expect("write");
        let loaded = SavedReplies::load(dir.path());
        assert_eq!(loaded.all().len(), 1);
        assert!(loaded.problems().is_empty());
        assert_eq!(loaded.in_language(Some(Language::En)).count(), 0);
        std::fs::write(
            folder.join("fout.nl.md"),
            GOOD.replace("id: terugbellen", "id: fout")
                .replace("{deadline}", "{morgen}"),
        )
        .expect("write");
        let loaded = SavedReplies::load(dir.path());
        assert_eq!(loaded.all().len(), 1, "the broken file is left out");
        let text = loaded.problems()[0].to_string();
        assert!(text.contains("fout.nl.md:7: error:"), "{text}");
        std::fs::write(folder.join("fout.nl.md"), GOOD).expect("write");
        let (_, problems) = check_dir(dir.path());
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("already has id")),
            "{problems:?}"
        );
    }
}
