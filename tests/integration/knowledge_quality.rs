//! The shipped knowledge base: it lints clean, it is a starter base a
//! municipality can switch on, and the triage's decisions on the test set
//! stay above a floor (a regression guard; the figures themselves are in
//! docs/quality.md, measured with `loket eval`). The CI floor runs on the
//! test set, never read question by question, not on the dev set the
//! thresholds were calibrated on.

use crate::helpers::{knowledge_entry, knowledge_of};
use chrono::NaiveDate;
use loket::config::Settings;
use loket::domain::Language;
use loket::knowledge::base::KnowledgeBase;
use loket::knowledge::eval::{prepare, read_cases, score};
use loket::knowledge::triage::{HandOver, Outcome, triage};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped config (`config/`).
fn shipped_settings() -> Settings {
    Settings::load_dir(&root().join("config")).expect("config loads")
}

/// The shipped knowledge base (`knowledge/`).
fn shipped_knowledge() -> KnowledgeBase {
    KnowledgeBase::load(&root().join("knowledge")).expect("loads")
}

#[test]
fn the_shipped_knowledge_base_has_no_lint_errors() {
    let settings = shipped_settings();
    let report = loket::knowledge::check(
        &root().join("knowledge"),
        &settings.knowledge.link_allowlist,
    );
    let errors: Vec<String> = report
        .problems
        .iter()
        .filter(|p| p.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "lint errors:\n{}", errors.join("\n"));
    assert!(
        report.entries >= 44,
        "22 required ids in two languages, got {}",
        report.entries
    );
}

#[test]
fn every_required_entry_exists_in_dutch_and_english() {
    let knowledge = shipped_knowledge();
    let required = [
        "afval-ophaaldagen",
        "afval-grofvuil",
        "afval-containers-pas",
        "uitkering-betaaldatum",
        "paspoort-aanvragen",
        "id-kaart-aanvragen",
        "paspoort-kosten",
        "paspoort-kwijt",
        "rijbewijs-verlengen",
        "verhuizing-doorgeven",
        "openingstijden",
        "afspraak-maken",
        "melding-openbare-ruimte",
        "parkeervergunning",
        "geboorteaangifte",
        "huwelijk-trouwen",
        "uittreksel-brp",
        "hondenbelasting",
        "gemeentelijke-belastingen",
        "kwijtschelding",
        "wmo-hulp",
        "bijstand-aanvragen",
    ];
    for id in required {
        for lang in [loket::domain::Language::Nl, loket::domain::Language::En] {
            assert!(
                knowledge
                    .index
                    .entries()
                    .iter()
                    .any(|e| e.id.as_str() == id && e.lang == lang),
                "{id} ({}) is missing",
                lang.code()
            );
        }
    }
}

#[test]
fn the_starter_base_has_120_entries_per_language_with_8_questions_and_sources() {
    let knowledge = shipped_knowledge();
    for lang in [Language::Nl, Language::En] {
        let answers: Vec<_> = knowledge
            .index
            .entries()
            .iter()
            .filter(|e| e.lang == lang && e.kind == loket::knowledge::EntryKind::Answer)
            .collect();
        assert!(
            answers.len() >= 120,
            "{lang:?}: {} answer entries",
            answers.len()
        );
        for entry in answers {
            assert!(
                entry.questions.len() >= 8,
                "{}: {} questions",
                entry.path.display(),
                entry.questions.len()
            );
            assert!(
                !entry.sources.is_empty(),
                "{}: no sources",
                entry.path.display()
            );
        }
    }
}

#[test]
fn the_test_set_stays_above_the_floor() {
    let settings = shipped_settings();
    let knowledge = shipped_knowledge();
    let date = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let cases = read_cases(&root().join("tests/eval/test.jsonl")).expect("eval file reads");
    assert!(cases.len() >= 250, "test has {} questions", cases.len());
    let mut report = score(
        &prepare(cases, &knowledge, date),
        &settings.faq.thresholds(),
    );
    // The test set is scored, never read question by question: a failure
    // shows the figures, not the questions.
    report.misses.clear();
    // The figures in docs/quality.md; the floor leaves a little room for
    // content edits without letting a real regression through.
    assert!(
        report.top1 >= 0.90
            && report.answered_correctly >= 0.80
            && report.abstain_precision >= 0.70
            && report.abstain_recall >= 0.60
            && report.answered_wrongly <= 0.09,
        "test: {report:?}"
    );
    // Ranking must beat the plain BM25 baseline on the same questions.
    assert!(report.top1 > report.bm25_top1, "{report:?}");
}

#[test]
fn crisis_messages_are_urgent_and_ordinary_ones_rarely() {
    let settings = shipped_settings();
    let knowledge = shipped_knowledge();
    let date = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let cases = read_cases(&root().join("tests/eval/crisis.jsonl")).expect("reads");
    let mut report = score(
        &prepare(cases, &knowledge, date),
        &settings.faq.thresholds(),
    );
    report.misses.clear();
    assert!(report.urgent >= 60, "{report:?}");
    assert!(report.urgent_recall >= 0.95, "{report:?}");
    assert!(report.urgent_right_referral >= 0.90, "{report:?}");
}

/// What the triage decides for `question` with the shipped files and
/// config: "answer <id>", "urgent <id>", "small_talk <id>", "hand_over
/// <why>" or "choose".
fn decision(knowledge: &KnowledgeBase, settings: &Settings, question: &str) -> String {
    let date = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let triaged = triage(
        &loket::privacy::mask(question),
        loket::reply::language::detect(question),
        Some(knowledge),
        &settings.faq.thresholds(),
        date,
    );
    match triaged.outcome {
        Outcome::Answer(hit) => format!("answer {}", hit.id.as_str()),
        Outcome::Urgent(Some(hit)) => format!("urgent {}", hit.id.as_str()),
        Outcome::Urgent(None) => "urgent".to_owned(),
        Outcome::SmallTalk(hit) => format!("small_talk {}", hit.id.as_str()),
        Outcome::HandOver(HandOver::NotOurs { .. }) => "hand_over not_ours".to_owned(),
        Outcome::HandOver(HandOver::OwnCase) => "hand_over own_case".to_owned(),
        Outcome::HandOver(HandOver::AskedForPerson) => "hand_over person".to_owned(),
        Outcome::HandOver(HandOver::NoAnswer) => "hand_over no_answer".to_owned(),
        Outcome::Choose(_) => "choose".to_owned(),
    }
}

/// The three cries for help from the FAQ triage issue get the right
/// referral, whatever the hour.
#[test]
fn the_issues_cries_for_help_get_the_right_referral() {
    let settings = shipped_settings();
    let knowledge = shipped_knowledge();
    for (question, expected) in [
        ("ik wil er een eind aan maken", "urgent spoed-zelfdoding"),
        (
            "mijn man slaat me en ik durf niet naar huis",
            "urgent spoed-huiselijk-geweld",
        ),
        ("er is brand in de flat", "urgent spoed-brand-gevaar"),
    ] {
        assert_eq!(
            decision(&knowledge, &settings, question),
            expected,
            "{question}"
        );
    }
}

/// The failure types of the FAQ triage issue: a shared word must not win
/// over the subject, and small talk is not a topic.
#[test]
fn the_subject_wins_over_a_shared_word_and_small_talk_is_not_a_topic() {
    let settings = shipped_settings();
    let knowledge = shipped_knowledge();
    let answer = |q: &str| decision(&knowledge, &settings, q);
    assert_ne!(
        answer("hoe lang duurt het voor mijn nieuwe adres in de basisregistratie staat"),
        "answer afval-containers-pas"
    );
    assert_ne!(
        answer("waar staat de glasbak bij mij in de buurt"),
        "answer melding-openbare-ruimte"
    );
    assert!(
        answer("wat een mooi weer vandaag").starts_with("small_talk"),
        "{}",
        answer("wat een mooi weer vandaag")
    );
    assert!(
        answer("hallo").starts_with("small_talk"),
        "{}",
        answer("hallo")
    );
}

/// Own cases, other organisations and requests for a person go to a
/// person; the general question next to them is answered.
#[test]
fn own_cases_other_organisations_and_requests_for_a_person_go_to_a_person() {
    let settings = shipped_settings();
    let knowledge = shipped_knowledge();
    let answer = |q: &str| decision(&knowledge, &settings, q);
    assert_eq!(
        answer("waar blijft mijn uitkering van deze maand"),
        "hand_over own_case"
    );
    assert_eq!(answer("ik wil een medewerker spreken"), "hand_over person");
    assert_eq!(answer("hoe vraag ik huurtoeslag aan"), "hand_over not_ours");
    assert_eq!(
        answer("hoe vraag ik een nieuw paspoort aan"),
        "answer paspoort-aanvragen"
    );
}

/// A hurried application is no emergency.
#[test]
fn a_hurried_application_is_no_emergency() {
    let settings = shipped_settings();
    let knowledge = shipped_knowledge();
    for question in [
        "spoedaanvraag paspoort",
        "ik heb met spoed een nieuwe id-kaart nodig",
    ] {
        assert!(
            !decision(&knowledge, &settings, question).starts_with("urgent"),
            "{question}"
        );
    }
}

/// An empty knowledge base hands every question over.
#[test]
fn an_empty_knowledge_base_hands_every_question_over() {
    let (_dir, knowledge) = knowledge_of(&[]);
    let settings = shipped_settings();
    for question in [
        "hoe vraag ik een paspoort aan",
        "hallo",
        "wanneer komt het grofvuil",
    ] {
        assert_eq!(
            decision(&knowledge, &settings, question),
            "hand_over no_answer"
        );
    }
}

/// A tiny base learns from its questions: a question in other words than
/// the examples still finds its entry, and a question about something else
/// does not.
#[test]
fn a_small_base_learns_its_entries_from_their_questions() {
    let files: Vec<(&str, String)> = vec![
        (
            "sportpas-aanvragen",
            knowledge_entry(
                "sportpas-aanvragen",
                "Sportpas aanvragen",
                &[
                    "hoe vraag ik een sportpas aan",
                    "sportpas aanvragen",
                    "nieuwe sportpas nodig",
                    "waar haal ik een sportpas",
                ],
                "Een sportpas vraag je online aan.",
            ),
        ),
        (
            "zwemles",
            knowledge_entry(
                "zwemles",
                "Zwemles voor kinderen",
                &[
                    "wanneer is er zwemles",
                    "zwemles kinderen",
                    "mijn dochter wil leren zwemmen",
                    "kosten zwemles",
                ],
                "Zwemles is op woensdag.",
            ),
        ),
    ];
    let (_dir, knowledge) = knowledge_of(&files);
    let settings = shipped_settings();
    assert_eq!(
        decision(&knowledge, &settings, "ik wil een sportpas aanvragen"),
        "answer sportpas-aanvragen"
    );
    assert_eq!(
        decision(&knowledge, &settings, "mijn zoon wil zwemles"),
        "answer zwemles"
    );
    assert!(
        decision(
            &knowledge,
            &settings,
            "wanneer wordt het grofvuil opgehaald"
        )
        .starts_with("hand_over")
    );
}

/// An editor's `loket eval ... | head` ends quietly when `head` has read
/// enough, instead of a panic with a backtrace on the broken pipe.
#[cfg(unix)]
#[test]
fn a_command_piped_into_a_reader_that_leaves_stops_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_loket"))
        .args(["eval", "tests/eval/dev.jsonl"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("loket starts");
    // The reader leaves before the first line is written.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("loket ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}

/// `loket eval A B` measures the files as one set (thresholds are
/// calibrated on several sets at once), and a broken line in the second
/// file is reported with that file's name and line number.
#[test]
fn eval_measures_several_files_as_one_set_and_names_a_broken_line() {
    use std::process::Command;
    let dir = tempfile::tempdir().expect("temp dir");
    let answerable = dir.path().join("answerable.jsonl");
    let refused = dir.path().join("refused.jsonl");
    std::fs::write(
        &answerable,
        "{\"q\": \"wanneer wordt het grofvuil opgehaald\", \"expect\": \"afval-grofvuil\"}\n",
    )
    .expect("write");
    std::fs::write(
        &refused,
        "{\"q\": \"wat vinden jullie van de kermis\", \"expect\": null}\n\
         {\"q\": \"hoe vraag ik ww aan bij het uwv\", \"expect\": null}\n",
    )
    .expect("write");
    let eval = |files: &[&Path]| {
        Command::new(env!("CARGO_BIN_EXE_loket"))
            .arg("eval")
            .args(files)
            .arg("--json")
            .current_dir(root())
            .output()
            .expect("loket runs")
    };
    let output = eval(&[&answerable, &refused]);
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["n"], 3, "{report}");
    assert_eq!(report["answerable"], 1, "{report}");

    let broken = dir.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        "{\"q\": \"paspoort kwijt\", \"expect\": \"paspoort-kwijt\"}\n{\"q\": \"half\n",
    )
    .expect("write");
    let output = eval(&[&answerable, &broken]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:2:", broken.display())),
        "{stderr}"
    );
}
