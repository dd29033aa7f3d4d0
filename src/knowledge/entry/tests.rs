use super::body::{is_heading, markdown_links, placeholders};
use super::front_matter::{renumber_lines, suggest};
use super::*;
use crate::domain::Language;
use chrono::NaiveDate;

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
fn a_suggestion_is_the_nearest_allowed_key_within_two_edits() {
    let keys = ["id", "title", "lang", "links", "questions"];
    // Case is ignored; a swap of two letters counts as two edits.
    assert_eq!(suggest("Titel", &keys), Some("title"));
    assert_eq!(suggest("questoins", &keys), Some("questions"));
    // Equally near keys: the first in the list wins, as in the README.
    assert_eq!(suggest("lnk", &keys), Some("lang"));
    assert_eq!(suggest("lnk", &["links", "lang"]), Some("links"));
    assert_eq!(suggest("categorie", &keys), None);
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
    let (_, warnings) = parse_entry(Path::new("knowledge/nl/grofvuil.md"), GOOD).expect("valid");
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

#[test]
fn a_u_version_below_its_line_is_kept_apart_from_the_bots_text() {
    let text = format!(
        "{GOOD}--- u ---\nGrofvuil halen wij gratis op, op afspraak.\n\n1. Meldt u uw grofvuil aan via de link hieronder.\n"
    );
    let (entry, problems) = parse(&text).expect("valid");
    assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
    assert!(
        !entry.body.contains("u uw"),
        "the bot's text: {}",
        entry.body
    );
    assert!(entry.body.ends_with("hieronder."), "{}", entry.body);
    let formal = entry.body_u.expect("a u-version");
    assert!(formal.starts_with("Grofvuil halen wij"), "{formal}");
    assert!(formal.contains("Meldt u uw grofvuil"), "{formal}");
    let (plain, _) = parse(GOOD).expect("valid");
    assert_eq!(plain.body_u, None);
}

#[test]
fn a_problem_in_the_u_version_names_its_own_line() {
    // GOOD has 21 lines; the separator is line 22, the u-version starts at 23.
    let text = format!("{GOOD}--- u ---\nMeldt u zich aan: {{{{onbekend}}}}\n");
    let problems = parse(&text).expect_err("unknown placeholder");
    let error = problems
        .iter()
        .find(|p| p.message.contains("onbekend"))
        .expect("the placeholder error");
    assert_eq!(error.line, 23, "{problems:?}");
}
