//! Loading a whole knowledge folder: the answer files in `nl/` and `en/`,
//! `synonyms.toml` and the data files in `data/`, and the checks across
//! files (unique ids, a question leads to one answer, translations).
//!
//! Invariant: loading never fails as a whole. A broken file becomes an
//! error [`Problem`] and is left out, so one editor's typo never takes
//! the other answers down; what is loaded has unique ids per language.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::data::{BenefitCalendar, WasteCalendar};
use super::entry::{Computed, Entry, EntryLines, Problem, parse_entry_with_lines};
use super::synonyms::Synonyms;
use crate::domain::Language;

/// Where the synonyms are, relative to the knowledge folder.
pub const SYNONYMS_FILE: &str = "synonyms.toml";
/// The word list of other organisations' topics that earlier versions
/// read; its place is now taken by entries with `refer_to:`.
pub const NOT_OURS_FILE: &str = "not-ours.toml";
/// Where the benefit payment dates are.
pub const BENEFIT_FILE: &str = "data/uitkering-betaaldata.toml";
/// Where the waste collection calendar is.
pub const WASTE_FILE: &str = "data/afvalkalender.toml";

/// Everything in a knowledge folder, with what is wrong in it.
#[derive(Debug, Clone, Default)]
pub struct LoadedKnowledge {
    /// The usable answers, sorted by path.
    pub entries: Vec<Entry>,
    pub synonyms: Synonyms,
    /// The own-case and ask-for-a-person rules (`rules.toml`).
    pub rules: super::rules::Rules,
    pub benefit: BenefitCalendar,
    pub waste: WasteCalendar,
    /// Errors and warnings, sorted by path then line.
    pub problems: Vec<Problem>,
}

/// [`LoadedKnowledge`] plus where things are in each entry's file
/// (parallel to `entries`), for checks that `lint` adds.
pub(crate) struct Detailed {
    pub knowledge: LoadedKnowledge,
    pub lines: Vec<EntryLines>,
}

/// Loads the knowledge folder at `dir`. Never fails: see the module docs.
pub fn load_dir(dir: &Path) -> LoadedKnowledge {
    load_detailed(dir).knowledge
}

pub(crate) fn load_detailed(dir: &Path) -> Detailed {
    let mut problems = Vec::new();
    if !dir.is_dir() {
        problems.push(Problem::error(
            dir,
            0,
            "the knowledge folder does not exist; check LOKET_KNOWLEDGE_DIR or knowledge_dir under [service] in config/loket.toml",
        ));
        return Detailed {
            knowledge: LoadedKnowledge {
                problems,
                ..LoadedKnowledge::default()
            },
            lines: Vec::new(),
        };
    }

    let mut files = Vec::new();
    let mut folders = 0;
    for lang in [Language::Nl, Language::En] {
        let folder = dir.join(lang.code());
        if folder.is_dir() {
            folders += 1;
            collect_files(&folder, &mut files, &mut problems);
        }
    }
    // One missing language folder shows as missing translations already.
    if folders == 0 {
        problems.push(Problem::warning(
            dir,
            0,
            "there are no answers: put Dutch answers in nl/ and English ones in en/, one .md file each; see knowledge/README.md",
        ));
    }
    files.sort();

    let mut entries = Vec::new();
    let mut lines = Vec::new();
    for path in files {
        let text = match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    problems.push(Problem::error(
                        &path,
                        0,
                        "the file is not UTF-8 text; save it as UTF-8 in your editor",
                    ));
                    continue;
                }
            },
            Err(error) => {
                problems.push(Problem::error(
                    &path,
                    0,
                    format!("cannot read the file: {error}"),
                ));
                continue;
            }
        };
        match parse_entry_with_lines(&path, &text) {
            Ok((entry, warnings, entry_lines)) => {
                problems.extend(warnings);
                entries.push(entry);
                lines.push(entry_lines);
            }
            Err(errors) => problems.extend(errors),
        }
    }

    let (entries, lines) = check_across(dir, entries, lines, &mut problems);

    let synonyms = load_synonyms(dir, &mut problems);
    if dir.join(NOT_OURS_FILE).exists() {
        problems.push(Problem::warning(
            &dir.join(NOT_OURS_FILE),
            0,
            "this file is no longer read: write one entry per organisation with `refer_to: \"<organisation>\"` and the questions citizens ask about it (see docs/editors.md), then delete this file",
        ));
    }
    let rules = super::rules::Rules::load(dir, &mut problems);
    let benefit = load_data(
        dir,
        BENEFIT_FILE,
        Computed::BenefitPayment,
        &entries,
        BenefitCalendar::parse,
        &mut problems,
    );
    let waste = load_data(
        dir,
        WASTE_FILE,
        Computed::WasteCollection,
        &entries,
        WasteCalendar::parse,
        &mut problems,
    );

    sort_problems(&mut problems);
    Detailed {
        knowledge: LoadedKnowledge {
            entries,
            synonyms,
            rules,
            benefit,
            waste,
            problems,
        },
        lines,
    }
}

/// Sorts by path, then line; the order within a line stays as found.
pub(crate) fn sort_problems(problems: &mut [Problem]) {
    problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
}

/// The `.md` files under `folder`, also in subfolders (editors may group
/// answers by subject). Other visible files are reported: a `.txt` saved
/// by mistake would otherwise be silently ignored.
fn collect_files(folder: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let read = match std::fs::read_dir(folder) {
        Ok(read) => read,
        Err(error) => {
            problems.push(Problem::error(
                folder,
                0,
                format!("cannot read the folder: {error}"),
            ));
            return;
        }
    };
    for item in read.flatten() {
        let path = item.path();
        let hidden = item.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_files(&path, files, problems);
        } else if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        } else if !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with('~'))
        {
            problems.push(Problem::warning(
                &path,
                0,
                "not a .md file, so it is ignored; answers must be saved as <id>.md",
            ));
        }
    }
}

/// Question text compared without case and extra spaces.
fn normalise_question(question: &str) -> String {
    question
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Unique ids, one answer per question, translations. A duplicate id is
/// left out (the first file, by path, wins), so ids stay unique.
fn check_across(
    dir: &Path,
    entries: Vec<Entry>,
    lines: Vec<EntryLines>,
    problems: &mut Vec<Problem>,
) -> (Vec<Entry>, Vec<EntryLines>) {
    let mut kept: Vec<Entry> = Vec::new();
    let mut kept_lines = Vec::new();
    let mut ids: HashMap<(Language, String), PathBuf> = HashMap::new();
    for (entry, entry_lines) in entries.into_iter().zip(lines) {
        let key = (entry.lang, entry.id.as_str().to_owned());
        if let Some(first) = ids.get(&key) {
            problems.push(Problem::error(
                &entry.path,
                entry_lines.id,
                format!(
                    "id {} is already used by {} ({}); give this answer its own id, or merge the two files",
                    entry.id,
                    first.display(),
                    entry.lang.code()
                ),
            ));
            continue;
        }
        ids.insert(key, entry.path.clone());
        kept.push(entry);
        kept_lines.push(entry_lines);
    }

    // (lang, question) -> (id, path, 1-based question number)
    let mut questions: HashMap<(Language, String), (String, PathBuf, usize)> = HashMap::new();
    for (entry, entry_lines) in kept.iter().zip(&kept_lines) {
        for (index, question) in entry.questions.iter().enumerate() {
            let line = entry_lines.questions.get(index).copied().unwrap_or(0);
            let key = (entry.lang, normalise_question(question));
            match questions.get(&key) {
                Some((id, path, number)) if id == entry.id.as_str() => {
                    problems.push(Problem::warning(
                        &entry.path,
                        line,
                        format!(
                            "questions[{}] repeats questions[{number}] of {}; remove one",
                            index + 1,
                            path.display()
                        ),
                    ));
                }
                Some((id, path, number)) => problems.push(Problem::error(
                    &entry.path,
                    line,
                    format!(
                        "questions[{}] {question:?} is also questions[{number}] of {id} ({}); a question must lead to one answer: remove it from one of the two, or make it more specific",
                        index + 1,
                        path.display()
                    ),
                )),
                None => {
                    questions.insert(key, (entry.id.as_str().to_owned(), entry.path.clone(), index + 1));
                }
            }
        }
    }

    for (entry, entry_lines) in kept.iter().zip(&kept_lines) {
        let other = match entry.lang {
            Language::Nl => Language::En,
            Language::En => Language::Nl,
        };
        let wanted = dir.join(other.code()).join(format!("{}.md", entry.id));
        // When the translation's file exists it failed to load, and that
        // file's own errors already say what to fix.
        if !ids.contains_key(&(other, entry.id.as_str().to_owned())) && !wanted.exists() {
            let language = match other {
                Language::Nl => "Dutch",
                Language::En => "English",
            };
            problems.push(Problem::warning(
                &entry.path,
                entry_lines.id,
                format!(
                    "no {language} translation: add {} with id: {}",
                    wanted.display(),
                    entry.id
                ),
            ));
        }
    }
    (kept, kept_lines)
}

fn load_synonyms(dir: &Path, problems: &mut Vec<Problem>) -> Synonyms {
    let path = dir.join(SYNONYMS_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => match Synonyms::parse(&path, &text) {
            Ok((synonyms, warnings)) => {
                problems.extend(warnings);
                synonyms
            }
            Err(errors) => {
                problems.extend(errors);
                Synonyms::default()
            }
        },
        Err(error) => {
            let message = if error.kind() == std::io::ErrorKind::NotFound {
                "there is no synonyms file, so words citizens use for the same thing are not matched; add it with [nl] groups = [[\"id-kaart\", \"identiteitskaart\"]] and [en] groups = [...]".to_owned()
            } else {
                format!("cannot read the file: {error}")
            };
            problems.push(Problem::warning(&path, 0, message));
            Synonyms::default()
        }
    }
}

/// A data file's parser: the data with warnings, or all errors.
type ParseData<T> = fn(&Path, &str) -> Result<(T, Vec<Problem>), Vec<Problem>>;

/// Loads one data file. A missing file is only a problem (an error) when
/// an answer needs it; an unreadable or invalid file always is.
fn load_data<T: Default>(
    dir: &Path,
    file: &str,
    needed_by: Computed,
    entries: &[Entry],
    parse: ParseData<T>,
    problems: &mut Vec<Problem>,
) -> T {
    let path = dir.join(file);
    let users: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.computed == Some(needed_by))
        .collect();
    match std::fs::read_to_string(&path) {
        Ok(text) => match parse(&path, &text) {
            Ok((data, warnings)) => {
                problems.extend(warnings);
                data
            }
            Err(errors) => {
                problems.extend(errors);
                T::default()
            }
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(first) = users.first() {
                problems.push(Problem::error(
                    &path,
                    0,
                    format!(
                        "the file is missing, but {} answer{} use{} computed: {} (e.g. {}); add the file, see knowledge/README.md",
                        users.len(),
                        if users.len() == 1 { "" } else { "s" },
                        if users.len() == 1 { "s" } else { "" },
                        needed_by.as_str(),
                        first.path.display()
                    ),
                ));
            }
            T::default()
        }
        Err(error) => {
            problems.push(Problem::error(
                &path,
                0,
                format!("cannot read the file: {error}"),
            ));
            T::default()
        }
    }
}

#[cfg(test)]
mod tests;
