use super::*;
use crate::knowledge::entry::Severity;
use crate::knowledge::lint::lint;

/// An answer file; the id is on line 2, the questions on lines 6-8.
fn answer(id: &str, lang: &str, questions: [&str; 3], extra: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: Titel van {id}\nlang: {lang}\nquestions:\n  - {}\n  - {}\n  - {}\n{extra}---\nHet antwoord.\n",
        questions[0], questions[1], questions[2]
    )
}

const SYNONYMS: &str = "[nl]\ngroups = [[\"id-kaart\", \"identiteitskaart\"]]\n";

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

fn messages(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_broken_file_is_left_out_with_an_error_and_the_good_one_is_loaded() {
    let good = answer("paspoort", "nl", ["a", "b", "c"], "");
    let dir = folder(&[
        ("nl/paspoort.md", &good),
        (
            "en/paspoort.md",
            &answer("paspoort", "en", ["d", "e", "f"], ""),
        ),
        (
            "nl/rijbewijs.md",
            "---\nid: rijbewijs\ntitle: [\n---\nTekst\n",
        ),
        ("synonyms.toml", SYNONYMS),
    ]);
    let loaded = load_dir(dir.path());
    assert_eq!(loaded.entries.len(), 2, "{}", messages(&loaded.problems));
    assert!(loaded.entries.iter().all(|e| e.id.as_str() == "paspoort"));
    let broken = dir.path().join("nl/rijbewijs.md");
    let errors: Vec<&Problem> = loaded.problems.iter().filter(|p| p.is_error()).collect();
    assert_eq!(errors.len(), 1, "{}", messages(&loaded.problems));
    assert_eq!(errors[0].path, broken);
    assert!(
        errors[0].message.contains("not valid YAML"),
        "{}",
        errors[0]
    );
    assert_eq!(loaded.synonyms.nl.len(), 1);
}

#[test]
fn a_duplicate_id_is_an_error_on_the_second_file_naming_the_first() {
    let dir = folder(&[
        (
            "nl/a-paspoort.md",
            &answer("paspoort", "nl", ["a", "b", "c"], ""),
        ),
        (
            "nl/b-paspoort.md",
            &answer("paspoort", "nl", ["d", "e", "f"], ""),
        ),
        (
            "en/paspoort.md",
            &answer("paspoort", "en", ["g", "h", "i"], ""),
        ),
        ("synonyms.toml", SYNONYMS),
    ]);
    let loaded = load_dir(dir.path());
    let first = dir.path().join("nl/a-paspoort.md");
    let second = dir.path().join("nl/b-paspoort.md");
    let errors: Vec<&Problem> = loaded.problems.iter().filter(|p| p.is_error()).collect();
    assert_eq!(errors.len(), 1, "{}", messages(&loaded.problems));
    assert_eq!(errors[0].path, second);
    assert_eq!(errors[0].line, 2);
    assert!(
        errors[0].message.contains(&first.display().to_string()),
        "{}",
        errors[0]
    );
    // The second one is left out so ids stay unique.
    assert_eq!(loaded.entries.len(), 2);
    let dutch: Vec<&Entry> = loaded
        .entries
        .iter()
        .filter(|e| e.lang == Language::Nl)
        .collect();
    assert_eq!(dutch.len(), 1);
    assert_eq!(dutch[0].path, first);
}

#[test]
fn the_same_question_under_two_ids_is_an_error_naming_both() {
    let dir = folder(&[
        (
            "nl/paspoort.md",
            &answer("paspoort", "nl", ["a", "Hoe vraag ik het aan?", "c"], ""),
        ),
        (
            "nl/rijbewijs.md",
            &answer("rijbewijs", "nl", ["d", "e", "hoe  vraag ik HET aan?"], ""),
        ),
        (
            "en/paspoort.md",
            &answer("paspoort", "en", ["Hoe vraag ik het aan?", "b", "c"], ""),
        ),
        (
            "en/rijbewijs.md",
            &answer("rijbewijs", "en", ["d", "e", "f"], ""),
        ),
        ("synonyms.toml", SYNONYMS),
    ]);
    let problems = load_dir(dir.path()).problems;
    assert_eq!(problems.len(), 1, "{}", messages(&problems));
    let problem = &problems[0];
    assert_eq!(problem.severity, Severity::Error);
    assert_eq!(problem.path, dir.path().join("nl/rijbewijs.md"));
    assert_eq!(problem.line, 8);
    assert!(problem.message.contains("questions[3]"), "{problem}");
    assert!(
        problem.message.contains("questions[2] of paspoort"),
        "{problem}"
    );
    assert!(
        problem
            .message
            .contains(&dir.path().join("nl/paspoort.md").display().to_string()),
        "{problem}"
    );
}

#[test]
fn a_missing_translation_is_a_warning_saying_which_file_to_add() {
    let dir = folder(&[
        (
            "nl/paspoort.md",
            &answer("paspoort", "nl", ["a", "b", "c"], ""),
        ),
        (
            "en/parking.md",
            &answer("parking", "en", ["a", "b", "c"], ""),
        ),
        ("synonyms.toml", SYNONYMS),
    ]);
    let problems = load_dir(dir.path()).problems;
    assert_eq!(problems.len(), 2, "{}", messages(&problems));
    assert!(
        problems
            .iter()
            .all(|p| p.severity == Severity::Warning && p.line == 2)
    );
    let en = problems
        .iter()
        .find(|p| p.path.ends_with("nl/paspoort.md"))
        .expect("warning on the Dutch file");
    assert_eq!(
        en.message,
        format!(
            "no English translation: add {} with id: paspoort",
            dir.path().join("en/paspoort.md").display()
        )
    );
    let nl = problems
        .iter()
        .find(|p| p.path.ends_with("en/parking.md"))
        .expect("warning on the English file");
    assert!(nl.message.starts_with("no Dutch translation: add"), "{nl}");
}

#[test]
fn a_translation_that_fails_to_load_is_not_reported_as_missing() {
    let dir = folder(&[
        (
            "nl/paspoort.md",
            &answer("paspoort", "nl", ["a", "b", "c"], ""),
        ),
        ("en/paspoort.md", "no front matter\n"),
        ("synonyms.toml", SYNONYMS),
    ]);
    let problems = load_dir(dir.path()).problems;
    assert_eq!(problems.len(), 1, "{}", messages(&problems));
    assert!(problems[0].path.ends_with("en/paspoort.md"));
    assert!(problems[0].is_error());
}

#[test]
fn a_missing_synonyms_file_is_a_warning_and_gives_no_synonyms() {
    let dir = folder(&[]);
    std::fs::create_dir_all(dir.path().join("nl")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("en")).expect("mkdir");
    let loaded = load_dir(dir.path());
    assert_eq!(loaded.problems.len(), 1, "{}", messages(&loaded.problems));
    assert_eq!(loaded.problems[0].severity, Severity::Warning);
    assert_eq!(loaded.problems[0].path, dir.path().join("synonyms.toml"));
    assert_eq!(loaded.synonyms, Synonyms::default());
}

#[test]
fn a_missing_data_file_is_an_error_only_when_an_answer_computes_from_it() {
    let waste = answer(
        "afval-ophaaldagen",
        "nl",
        ["a", "b", "c"],
        "computed: waste_collection\n",
    )
    .replace("Het antwoord.", "{{ophaaldagen}}");
    let en = waste.replace("lang: nl", "lang: en");
    let dir = folder(&[
        ("nl/afval-ophaaldagen.md", &waste),
        ("en/afval-ophaaldagen.md", &en),
        ("synonyms.toml", SYNONYMS),
    ]);
    let loaded = load_dir(dir.path());
    assert_eq!(loaded.problems.len(), 1, "{}", messages(&loaded.problems));
    let problem = &loaded.problems[0];
    assert_eq!(problem.severity, Severity::Error);
    assert_eq!(problem.path, dir.path().join(WASTE_FILE));
    assert!(
        problem
            .message
            .contains("2 answers use computed: waste_collection"),
        "{problem}"
    );
    // The benefit file is missing too, but nothing needs it.
    assert!(loaded.benefit.payments().is_empty());
}

#[test]
fn data_files_are_loaded_and_their_errors_have_line_numbers() {
    let dir = folder(&[
        ("nl/x.md", &answer("x", "nl", ["a", "b", "c"], "")),
        ("en/x.md", &answer("x", "en", ["a", "b", "c"], "")),
        ("synonyms.toml", SYNONYMS),
        (
            BENEFIT_FILE,
            "[[payment]]\nmonth = \"2026-01\"\ndate = \"2026-01-23\"\n",
        ),
        (
            WASTE_FILE,
            "[[area]]\nname = \"Centrum\"\npostcodes = [\"12\"]\n",
        ),
    ]);
    let loaded = load_dir(dir.path());
    assert_eq!(loaded.benefit.payments().len(), 1);
    assert!(
        loaded.waste.areas().is_empty(),
        "an invalid calendar is not used"
    );
    let waste: Vec<&Problem> = loaded
        .problems
        .iter()
        .filter(|p| p.path.ends_with("afvalkalender.toml"))
        .collect();
    assert!(waste.iter().all(|p| p.is_error()));
    assert_eq!(waste[0].line, 2, "{}", messages(&loaded.problems));
    assert_eq!(waste[0].line, 2);
    assert!(
        waste
            .iter()
            .any(|p| p.line == 3 && p.message.contains("\"12\""))
    );
}

#[test]
fn a_missing_folder_is_one_error() {
    let dir = folder(&[]);
    let loaded = load_dir(&dir.path().join("nope"));
    assert_eq!(loaded.problems.len(), 1);
    assert!(loaded.problems[0].is_error());
    assert!(loaded.entries.is_empty());
}

#[test]
fn files_in_subfolders_are_loaded_and_other_files_are_warned_about() {
    let dir = folder(&[
        ("nl/afval/x.md", &answer("x", "nl", ["a", "b", "c"], "")),
        ("en/x.md", &answer("x", "en", ["a", "b", "c"], "")),
        ("nl/notities.txt", "los"),
        ("nl/.x.md.swp", "editor"),
        ("synonyms.toml", SYNONYMS),
    ]);
    let loaded = load_dir(dir.path());
    assert_eq!(loaded.entries.len(), 2);
    assert_eq!(loaded.problems.len(), 1, "{}", messages(&loaded.problems));
    assert!(loaded.problems[0].path.ends_with("nl/notities.txt"));
}

#[test]
fn lint_adds_the_link_allowlist_and_sorts_by_path_and_line() {
    let links = "links:\n  - label: Site\n    url: https://www.voorbeeldstad.nl/a\n  - label: Elders\n    url: https://example.com/b\n";
    let dir = folder(&[
        ("nl/x.md", &answer("x", "nl", ["a", "b", ""], links)),
        ("en/x.md", &answer("x", "en", ["a", "A", "c"], links)),
        ("synonyms.toml", SYNONYMS),
    ]);
    let allowlist = vec!["voorbeeldstad.nl".to_owned()];
    let problems = lint(dir.path(), &allowlist);
    let found: Vec<(String, usize)> = problems
        .iter()
        .map(|p| {
            let relative = p.path.strip_prefix(dir.path()).expect("inside the folder");
            (relative.display().to_string(), p.line)
        })
        .collect();
    // en/x.md: no sources and too few questions at its id (line 2,
    // found by lint), a repeated question on line 7 (found while
    // loading), example.com on line 13 (found by lint, later); nl/x.md
    // is broken (empty question on line 8), so its links are not checked.
    assert_eq!(
        found,
        vec![
            ("en/x.md".to_owned(), 2),
            ("en/x.md".to_owned(), 2),
            ("en/x.md".to_owned(), 7),
            ("en/x.md".to_owned(), 13),
            ("nl/x.md".to_owned(), 8)
        ],
        "{}",
        messages(&problems)
    );
    assert!(
        problems[3]
            .message
            .contains("example.com is not on the link allowlist")
    );
    assert!(problems[3].is_error());
    // load_dir does not know the allowlist.
    assert!(
        !load_dir(dir.path())
            .problems
            .iter()
            .any(|p| p.message.contains("allowlist"))
    );
}
