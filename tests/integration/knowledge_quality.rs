//! The shipped knowledge base: it lints clean and the bot's decisions on
//! the eval sets stay above a floor (a regression guard; the figures
//! themselves are in README.md, measured with `loket eval`).

use crate::helpers::{knowledge_entry, knowledge_of};
use chrono::NaiveDate;
use loket::config::Settings;
use loket::domain::Language;
use loket::knowledge::base::KnowledgeBase;
use loket::knowledge::eval::{prepare, read_cases, score};
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
fn the_eval_sets_stay_above_the_floor() {
    let settings = shipped_settings();
    let knowledge = shipped_knowledge();
    let date = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    for file in ["tests/eval/dev.jsonl", "tests/eval/test.jsonl"] {
        let cases = read_cases(&root().join(file)).expect("eval file reads");
        assert!(cases.len() >= 180, "{file} has {} questions", cases.len());
        let refusals = cases.iter().filter(|c| c.expect.is_none()).count();
        assert!(refusals >= 40, "{file} has {refusals} questions to refuse");
        let report = score(
            &prepare(cases, &settings, &knowledge, date),
            &settings.faq.thresholds(),
        );
        // Figures in README.md are about 0.92 to 0.99; the floor leaves room
        // for content edits without letting a real regression through.
        let floor = 0.80;
        assert!(
            report.top1 >= floor
                && report.abstain_precision >= floor
                && report.abstain_recall >= floor,
            "{file}: top-1 {:.3}, abstention precision {:.3}, recall {:.3} (floor {floor})",
            report.top1,
            report.abstain_precision,
            report.abstain_recall
        );
    }
}

/// What the bot decides for `question` with the shipped files and config.
fn decision(knowledge: &KnowledgeBase, settings: &Settings, question: &str) -> String {
    let date = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let asked = knowledge.ask(
        question,
        loket::reply::language::detect(question),
        date,
        &settings.faq.thresholds(),
    );
    match asked.decision {
        loket::knowledge::decision::FaqDecision::Answer(hit) => {
            format!("answer {}", hit.id.as_str())
        }
        other => other.name().to_owned(),
    }
}

#[test]
fn other_organisations_topics_are_left_to_a_person_unless_an_answer_names_them() {
    let settings = shipped_settings();
    let knowledge = shipped_knowledge();
    // Near our topics (payment dates, opening hours, applying) but another
    // organisation's work: none of these is in the eval sets.
    for question in [
        "wanneer wordt de kinderbijslag betaald",
        "wanneer betaalt de svb de aow uit",
        "tot hoe laat is de bieb open op zaterdag",
        "when does the library open on saturday",
        "hoe vraag ik zorgtoeslag aan",
        // "residence" and "resident" share their English stem; the parking
        // permit for residents is not about the IND's residence permit.
        "how do I extend my residence permit",
        "mijn bankpas is geblokkeerd",
        // The police, events and the council: no page of ours.
        "mijn e-bike is gestolen uit de schuur",
        "my bike was stolen at the station",
        "wanneer is de kerstmarkt",
        "who is the mayor of Voorbeeldstad",
        "sorry, verkeerd nummer",
        "ik heb een parkeerboete gekregen terwijl ik een vergunning heb",
        // The death entry names the Belastingdienst, but nothing else of
        // this question: a topic word alone is no answer.
        "hoeveel krijg ik terug van de belastingdienst",
        // Municipal work without a page: a colleague refers.
        "werken jullie nog met vacatures, ik zoek een baan bij de gemeente",
        "how do I get a disabled parking card",
        "is there a food bank in Voorbeeldstad",
        "ik wil schuldhulp aanvragen",
        "hoe vraag ik een vog aan voor mijn nieuwe baan",
        "wanneer is de naturalisatieceremonie",
        "mag ik mijn zoon een week eerder uit school halen",
        "mijn rijbewijs is ingevorderd, hoe krijg ik het terug",
        // Expats name Dutch things in English questions.
        "can I apply for huurtoeslag here as an expat",
        "how do I apply for Dutch citizenship",
        "ik heb een auto gekocht, hoe zet ik het kenteken op mijn naam",
        "hoe vraag ik jeugdzorg aan voor mijn dochter",
        "mag ik vuurwerk afsteken in mijn straat",
        "wordt er gestrooid als het glad is",
        "de buren maken elke nacht herrie",
        "hoe lang blijft een graf op de begraafplaats liggen",
        "oeps verkeerde chat sorry",
        // Only the most common words: nothing to answer.
        "en die andere dan",
        "wat is dat nou weer",
    ] {
        assert_ne!(
            decision(&knowledge, &settings, question).split(' ').next(),
            Some("answer"),
            "{question:?} must not be answered from the knowledge base"
        );
    }
    // ...while a question about what the entry is about still gets it.
    assert_eq!(
        decision(
            &knowledge,
            &settings,
            "moet ik de belastingdienst inlichten als mijn vader overleden is"
        ),
        "answer overlijden-aangeven"
    );
    // "fietspad" is a compound of the listed "fiets", and the report
    // entry's own word.
    assert_eq!(
        decision(
            &knowledge,
            &settings,
            "er is een boom omgewaaid over het fietspad"
        ),
        "answer melding-openbare-ruimte"
    );
    // The bijstand answer names "ww" in its example questions.
    assert_eq!(
        decision(&knowledge, &settings, "mijn ww is bijna op, wat nu?"),
        "answer bijstand-aanvragen"
    );
    assert_eq!(
        decision(
            &knowledge,
            &settings,
            "how do I apply for a resident parking permit"
        ),
        "answer parkeervergunning"
    );
    // Another organisation in the story before the question is context:
    // the sentence that asks says whose question it is.
    assert_eq!(
        decision(
            &knowledge,
            &settings,
            "Mijn moeder is vannacht overleden, de huisarts heeft het vastgesteld. Wat moet ik bij de gemeente doen?"
        ),
        "answer overlijden-aangeven"
    );
    assert_eq!(
        decision(
            &knowledge,
            &settings,
            "We zijn net verhuisd. De woningcorporatie zegt dat we zelf een pasje voor de container moeten regelen. Hoe krijg ik dat?"
        ),
        "answer afval-containers-pas"
    );
    assert_ne!(
        decision(
            &knowledge,
            &settings,
            "Ik heb een vraag. Hoe vraag ik zorgtoeslag aan?"
        )
        .split(' ')
        .next(),
        Some("answer")
    );
    // The report entry names abandoned bikes; the supermarket is no market.
    assert_eq!(
        decision(
            &knowledge,
            &settings,
            "er ligt een kapotte fiets op het fietspad"
        ),
        "answer melding-openbare-ruimte"
    );
    assert_eq!(
        decision(
            &knowledge,
            &settings,
            "er staat een gedumpte bank naast de supermarkt"
        ),
        "answer melding-openbare-ruimte"
    );
    // A train is where documents get lost, not only the NS's business.
    assert_eq!(
        decision(
            &knowledge,
            &settings,
            "paspoort verloren in de trein wat nu"
        ),
        "answer paspoort-kwijt"
    );
}

/// The shipped `personal_case_patterns` send a citizen's own case to a
/// person and leave general questions about the same topics to the
/// knowledge base.
#[test]
fn own_cases_go_to_a_person_and_general_questions_do_not() {
    let settings = shipped_settings();
    let own_case = [
        "het is al de 3e en er staat nog steeds niks op mijn rekening",
        "ik heb 2 weken geleden een melding gedaan en er is nog niemand geweest",
        "ik heb in maart kwijtschelding aangevraagd, wanneer hoor ik nou eens iets",
        "mijn wmo aanvraag loopt al 10 weken",
        "hoe ver is mijn vergunningaanvraag?",
        "er is deze maand 200 euro minder gestort, klopt dat wel?",
        "waarom krijg ik 50 euro minder dan vorige maand",
        "ze hebben mijn grofvuil niet meegenomen",
        "is mijn verhuizing al verwerkt?",
        "klopt het dat mijn hondenbelasting 2x is afgeschreven",
        "waar blijft mijn parkeervergunning",
        "my benefit payment is too low",
        "the broken street light I reported wasn't fixed",
        "where is my permit? I paid and still nothing",
        "waarom krijg ik deze maand 200 euro minder",
        "al 2 weken niks gebeurd met mijn melding",
        "ik heb een aanslag gekregen maar ik heb geen hond meer",
        "het grofvuil zou vanochtend opgehaald worden maar het staat er nog",
        "I moved 6 weeks ago and still got no confirmation",
        "mijn container is vandaag weer niet geleegd, 3e keer al",
        "kunt u nakijken of mijn betaling is aangekomen",
        "can you check if my parking permit has been sent? order number 12345",
        "vorige week melding gedaan over een kapotte lantaarnpaal, wanneer wordt die gemaakt",
        "wanneer krijg ik de beslissing over mijn aanvraag",
        "de woz waarde van ons huis is veel te hoog",
        "waarom kreeg ik een aanmaning",
        "my request for remission was refused",
        "zaaknummer 2024-118, hoe ver is het",
        "I was charged twice for the dog tax",
        "mijn uitkering is er nog niet",
        "my benefit payment is late",
        "mijn wmo-aanvraag duurt zo lang",
        "ik heb vorige week gemaild maar krijg geen antwoord",
        "hallo?? is daar iemand",
        "ik heb nog nooit een ontvangstbevestiging gekregen",
        "is mijn verhuizing wel goed doorgegeven",
        "I moved last month but got no confirmation",
        "mijn rekening is geblokkeerd, kan de gemeente helpen",
        "mijn moeder krijgt huishoudelijke hulp maar de hulp komt steeds niet opdagen",
        "ik heb mijn id kaart opgehaald maar er staat een fout in mijn naam",
        "mijn uitkering is stopgezet en ik weet niet waarom",
        "I got a letter from the municipality about my taxes and I don't understand it",
        "I have a question about my personal situation",
        "op de aanslag staat de verkeerde naam, kunnen jullie dat corrigeren",
        "kunt u mijn parkeervergunning intrekken en het geld terugstorten",
        "could someone look into why the tax bill is so high",
        "can you send me a corrected assessment",
        "de bijstand van mijn broer is sinds januari gestopt",
        "my housing allowance has been stopped",
        "wat een schandalige behandeling aan de balie vandaag",
        "complimenten voor de nieuwe bankjes in het park",
        "kunnen jullie mijn afspraak van donderdag verzetten naar maandag",
        "my appointment is on Tuesday, could you move it to next week",
        "can you confirm the time of our wedding ceremony",
        "de voornaam van onze zoon is verkeerd gespeld, hoe lossen jullie dat op",
        "is de parkeervergunning van mijn vader al verlengd?",
        "ik heb in april een vergunning aangevraagd, is er al iets bekend",
        "bijstand aangevraagd maar nog steeds geen besluit",
        "omgevingsvergunning ingediend in mei, hoe ver is het nu",
        "het grofvuil staat er nog terwijl ik het wel had aangemeld",
        "mijn kapvergunning ligt al 6 weken bij jullie",
        "wanneer krijg ik nou eindelijk antwoord over mijn bezwaar",
        "kunnen jullie dat even fixen",
        "kunnen jullie de akte naar mijn mail sturen",
        "kunnen jullie hem uitschrijven, hij woont hier niet meer",
        "could you send me the form again",
        "I posted the documents last week, did you receive them?",
        "hebben jullie mijn formulier al ontvangen",
        "afspraak voor een rijbewijs op naam van P. Jansen, graag verzetten",
        "aanslagnummer: 0000-2222, klopt dit bedrag",
        "wanneer wordt die nieuwe container gebracht",
        "hoeveel moet ik nog betalen voor de rioolheffing",
        "heeft het invloed op mijn uitkering als ik een bijbaantje neem",
        "my allowance was 50 euros lower this month than usual",
        "op de brief staat nog het oude adres",
        "heeft de buurman wel een vergunning voor die dakkapel",
        "wie heeft dit besloten, dit is waardeloos",
    ];
    let general = [
        "wanneer wordt de uitkering betaald",
        "wanneer staat mijn uitkering op mijn rekening",
        "ik ben 2 weken geleden verhuisd, hoe geef ik dat door",
        "hoe lang duurt het voordat mijn paspoort klaar is",
        "klopt het dat je een afspraak moet maken voor een paspoort",
        "wat kost een id kaart",
        "wordt het afval op tweede kerstdag opgehaald",
        "mijn paspoort is gestolen wat nu",
        "how do I apply for a parking permit",
        "ik heb mijn paspoort aangevraagd, wanneer kan ik het ophalen",
        "do I still need a passport photo",
        // The collection days answer tells how to report a missed bin.
        "mijn container is niet geleegd",
        "my bin wasn't emptied this week",
        "wat kost een grofvuilafspraak, 25 euro?",
        "how can I check my collection days",
        "kan ik online checken wanneer het grofvuil komt",
        "hoe hoog is de hondenbelasting",
        "hoe lang duurt de beslissing over een omgevingsvergunning",
        "hoe lang duurt een wmo aanvraag",
        "is er een afspraak nodig voor een paspoort",
        "what if I am late for my appointment",
        "krijg ik een bevestiging van mijn afspraak",
        "op welke rekening wordt de uitkering gestort",
        "wat is rioolheffing en waarom moet ik dat betalen",
        "waarom moet ik een afspraak maken voor een paspoort",
        // Fetching and clearing away are what the bulky waste and report
        // answers are for.
        "kunnen jullie mijn oude kast komen ophalen",
        "er staat een kapotte fiets, kunnen jullie die weghalen",
        "kan ik mijn afspraak veranderen",
        "can you tell me when the bins are collected",
        "ik ben gestopt met werken, kan ik bijstand aanvragen",
        // Asking how, not asking us to do it.
        "kunt u mij vertellen hoe ik mijn afspraak kan verzetten",
        "how do I cancel my appointment",
        "is het stadhuis al open",
        "hoe lang is een paspoort geldig als het verlengd is",
        // Rubbish that has lain a while is a report, not a waiting case.
        "bij de speeltuin ligt al een paar dagen glas",
        "ik ben verhuisd, moet ik mijn oude adres ook afmelden",
        "how much does a passport cost",
    ];
    assert_sorted(
        |text| settings.faq.is_personal_case(text),
        (&own_case, "own case not recognised"),
        (&general, "general question taken for an own case"),
    );
}

/// Asserts that `rule` holds for every text of `yes` and for none of `no`;
/// each list comes with what to say when one of its texts fails.
fn assert_sorted(rule: impl Fn(&str) -> bool, yes: (&[&str], &str), no: (&[&str], &str)) {
    for text in yes.0 {
        assert!(rule(text), "{}: {text}", yes.1);
    }
    for text in no.0 {
        assert!(!rule(text), "{}: {text}", no.1);
    }
}

/// An own-case pattern hands a question over unless the answer found
/// takes that kind of question: the tax entry's example questions are
/// about objecting ("hoe maak ik bezwaar tegen de aanslag"), so the
/// objection procedure is answered, while a status question about one's
/// objection, or a complaint about an employee, goes to a person. Checked
/// through `loket ask` (the reply path) and through `eval`'s scoring.
#[test]
fn an_answer_that_takes_an_own_case_kind_of_question_answers_it() {
    use std::process::Command;
    let cases = [
        (
            "hoe maak ik bezwaar tegen de woz-waarde van mijn huis",
            Some("gemeentelijke-belastingen"),
        ),
        (
            "I disagree with the WOZ value of my house",
            Some("gemeentelijke-belastingen"),
        ),
        ("wat is de status van mijn bezwaar tegen de aanslag", None),
        (
            "ik heb 6 weken geleden bezwaar gemaakt maar nog niks gehoord",
            None,
        ),
        (
            "I want to file a complaint about one of your employees",
            None,
        ),
        (
            "mijn uitkering is nog niet binnen en het is al de 28e",
            None,
        ),
    ];
    let settings = shipped_settings();
    for (question, expect) in cases {
        assert!(settings.faq.is_personal_case(question), "{question}");
        let output = Command::new(env!("CARGO_BIN_EXE_loket"))
            .args(["ask", "--json", question])
            .current_dir(root())
            .output()
            .expect("loket runs");
        assert!(output.status.success(), "{output:?}");
        let asked: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        match expect {
            Some(id) => {
                assert_eq!(asked["decision"], "answer", "{question}: {asked}");
                assert_eq!(asked["faq_id"], id, "{question}: {asked}");
            }
            None => assert_eq!(asked["handover"], "personal_case", "{question}: {asked}"),
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("own-case.jsonl");
    let lines: String = cases
        .iter()
        .map(|(q, expect)| format!("{}\n", serde_json::json!({"q": q, "expect": expect})))
        .collect();
    std::fs::write(&file, lines).expect("write");
    let report = score(
        &prepare(
            read_cases(&file).expect("cases"),
            &settings,
            &shipped_knowledge(),
            NaiveDate::from_ymd_opt(2026, 11, 21).expect("date"),
        ),
        &settings.faq.thresholds(),
    );
    assert!(report.misses.is_empty(), "{:?}", report.misses);
}

/// The shipped emergency rule refers real emergencies to 112 and leaves a
/// hurried application ("paspoort met spoed") to the knowledge base, which
/// has the fee for it.
#[test]
fn a_hurried_application_is_no_emergency() {
    let settings = shipped_settings();
    let emergencies = [
        "Het is spoed, mijn buurman is gevallen",
        "spoed er ligt een boom over de weg bij de school",
        "urgent: gas smell in our street",
        "spoed! ik heb mijn paspoort nodig maar mijn vader is onwel geworden",
    ];
    let hurried = [
        "hoeveel betaal je extra als je je paspoort met spoed wil",
        "kan ik mijn id kaart met spoed aanvragen",
        "spoedaanvraag rijbewijs",
        "I need an urgent passport, we fly on friday",
        "I came home on an emergency travel document, what now",
        "can I get an emergency passport at the town hall",
    ];
    assert_sorted(
        |text| settings.emergency.matches(text),
        (&emergencies, "emergency not recognised"),
        (&hurried, "hurried application taken for an emergency"),
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

/// A story told in everyday words ("nooit", "eerst", "nodig") weighs less
/// against an answer than as many rare words the knowledge base does not
/// know either: everyday words say little about what a message is about.
/// In a knowledge base of one entry, both stories are unknown words, so
/// only their commonness in general language tells them apart.
#[test]
fn everyday_words_in_a_story_weigh_less_than_rare_words() {
    let (_dir, knowledge) = knowledge_of(&[(
        "sportpas-aanvragen",
        knowledge_entry(
            "sportpas-aanvragen",
            "Sportpas aanvragen",
            &[
                "hoe vraag ik een sportpas aan",
                "sportpas aanvragen",
                "sportpas nieuw",
            ],
            "Een sportpas vraag je online aan.",
        ),
    )]);
    let everyday = "ik heb nooit eerst iets nodig gehad, maar hoe vraag ik een sportpas aan";
    let rare = "ik heb vulkaan pinguin trompetvis kapstok, maar hoe vraag ik een sportpas aan";
    let terms = |q: &str| knowledge.index.query_terms(q, Language::Nl);
    // The same number of terms, so only their weight can differ.
    assert_eq!(
        terms(everyday).len(),
        terms(rare).len(),
        "{:?} {:?}",
        terms(everyday),
        terms(rare)
    );
    let date = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let score = |q: &str| {
        knowledge
            .index
            .search(q, Language::Nl, date)
            .first()
            .map(|hit| hit.score)
            .unwrap_or_default()
    };
    let (everyday_score, rare_score) = (score(everyday), score(rare));
    assert!(
        everyday_score > rare_score + 0.05,
        "everyday story {everyday_score:.3}, rare-word story {rare_score:.3}"
    );
}

/// The eval sets the shipped refusal model is trained on: the read ones.
/// The blind sets (fresh5, 6, 7, 9, 11, 13, 15, 17) stay out, so they
/// still measure it.
const REFUSAL_TRAINING_SETS: [&str; 11] = [
    "dev", "test", "fresh", "fresh2", "fresh3", "fresh4", "fresh8", "fresh10", "fresh12",
    "fresh14", "fresh16",
];

/// `knowledge/refusal-model.tsv` is what `loket train-refusal` makes of
/// the read eval sets today: an edited eval set without a retrained model
/// fails here, with the command to run.
#[test]
fn the_shipped_refusal_model_is_trained_from_the_read_eval_sets() {
    use loket::knowledge::refusal::{RefusalModel, Training};
    let mut examples = Vec::new();
    for set in REFUSAL_TRAINING_SETS {
        let cases = read_cases(&root().join(format!("tests/eval/{set}.jsonl"))).expect("reads");
        examples.extend(cases.into_iter().map(|c| (c.q, c.expect.is_none())));
    }
    let model = RefusalModel::train(&examples, Training::default());
    let shipped = std::fs::read_to_string(root().join("knowledge/refusal-model.tsv"))
        .expect("the model is shipped");
    let files: Vec<String> = REFUSAL_TRAINING_SETS
        .iter()
        .map(|set| format!("tests/eval/{set}.jsonl"))
        .collect();
    assert!(
        shipped == model.to_file(examples.len()),
        "knowledge/refusal-model.tsv is stale; run: cargo run --release -- train-refusal {}",
        files.join(" ")
    );
}

/// The refusal model hands over what neither the own-case patterns nor
/// the search turn away, and leaves general questions alone.
#[test]
fn the_refusal_model_hands_over_what_the_patterns_miss() {
    let settings = shipped_settings();
    let knowledge = shipped_knowledge();
    let date = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let ask = |q: &str| {
        knowledge.ask(
            q,
            loket::reply::language::detect(q),
            date,
            &settings.faq.thresholds(),
        )
    };
    for question in [
        "ik kreeg een brief over de hondenbelasting maar mijn hond is al dood",
        "mijn huurtoeslag is te laag volgens mij",
        "kunnen jullie mijn dochter helpen met haar huiswerk",
    ] {
        assert!(
            !settings.faq.is_personal_case(question),
            "a pattern takes {question:?}; pick another example"
        );
        let asked = ask(question);
        assert!(
            knowledge.must_refuse(question, &asked.hits),
            "the refusal model lets {question:?} through: {:?}",
            asked.decision
        );
    }
    // At least one of them the search alone would have answered.
    assert!(
        ["ik kreeg een brief over de hondenbelasting maar mijn hond is al dood"]
            .iter()
            .any(|q| ask(q).decision.name() != "abstain")
    );
    for question in [
        "wat kost een paspoort voor een kind",
        "hoe vraag ik bijzondere bijstand aan voor een bril",
        "kan ik mijn rijbewijs online verlengen",
        "mijn parkeervergunning is verlopen, hoe verleng ik die",
        "where can I take my bulky waste",
    ] {
        let asked = ask(question);
        assert!(
            !knowledge.must_refuse(question, &asked.hits),
            "the refusal model turns away the general question {question:?}"
        );
    }
}
