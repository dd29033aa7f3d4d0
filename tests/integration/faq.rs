//! The FAQ answer flow through the real webhook: answers from the shipped
//! knowledge base with the feedback buttons, the feedback taps, the
//! waste-calendar postcode dialog, computed dates, the reasons a
//! conversation goes to a person, and hot reload of the knowledge folder.
//! At the end, unit tests of the reply decision on a hand-made knowledge
//! base.

use crate::helpers::*;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use loket::db::ConversationRow;
use loket_testkit::payload;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const TS: i64 = 1_763_759_700;

/// "maandag 23 november om 12:30": Saturday 21 November 22:15 plus four
/// working hours from Monday's 08:30 opening.
const MONDAY_DEADLINE: &str = "maandag 23 november om 12:30";

fn knowledge_path(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("knowledge")
        .join(relative)
}

fn read_knowledge(relative: &str) -> String {
    let path = knowledge_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A tap on a reply button (`button_reply`) or a list row (`list_reply`),
/// shaped like `tests/fixtures/webhooks/interactive_*.json`.
fn interactive_reply(kind: &str, wamid: &str, id: &str, title: &str, timestamp: i64) -> String {
    let mut interactive = json!({ "type": kind });
    interactive[kind] = json!({ "id": id, "title": title });
    payload::batch(&[json!({
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": payload::DISPLAY_PHONE_NUMBER,
            "phone_number_id": payload::BUSINESS_PHONE_NUMBER_ID,
        },
        "contacts": [{ "profile": { "name": payload::PROFILE_NAME }, "wa_id": CITIZEN }],
        "messages": [{
            "from": CITIZEN,
            "id": wamid,
            "timestamp": timestamp.to_string(),
            "type": "interactive",
            "interactive": interactive,
            "context": { "from": payload::DISPLAY_PHONE_NUMBER, "id": "wamid.bot-question" },
        }],
    })])
}

async fn ask(app: &TestApp, wamid: &str, question: &str) {
    let body = payload::text_message(CITIZEN, wamid, question, TS);
    assert_eq!(app.post_webhook(&body).await.status(), 200, "{question}");
}

async fn tap(app: &TestApp, kind: &str, wamid: &str, id: &str, title: &str) {
    let body = interactive_reply(kind, wamid, id, title, TS + 30);
    assert_eq!(app.post_webhook(&body).await.status(), 200, "{id}");
}

/// The citizen's one conversation, once every inbound message is processed.
async fn conversation(app: &TestApp) -> ConversationRow {
    app.wait_until_processed().await;
    let conversations = app.store().conversations(10).await.expect("list");
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    conversations.into_iter().next().expect("one conversation")
}

/// The request bodies the fake Graph API accepted (no read receipts).
fn sent_bodies(app: &TestApp) -> Vec<Value> {
    app.graph
        .sent_messages()
        .into_iter()
        .map(|m| m.body)
        .collect()
}

/// The feedback buttons as (id, title) pairs; panics unless `body` is an
/// interactive reply-button message.
fn buttons(body: &Value) -> Vec<(String, String)> {
    assert_eq!(body["type"], "interactive", "{body}");
    assert_eq!(body["interactive"]["type"], "button", "{body}");
    body["interactive"]["action"]["buttons"]
        .as_array()
        .unwrap_or_else(|| panic!("no buttons: {body}"))
        .iter()
        .map(|b| {
            assert_eq!(b["type"], "reply", "{b}");
            (
                b["reply"]["id"].as_str().unwrap_or_default().to_owned(),
                b["reply"]["title"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn text_of(body: &Value) -> &str {
    assert_eq!(body["type"], "text", "{body}");
    body["text"]["body"].as_str().unwrap_or_default()
}

/// The first sentence of an entry's body (after the front matter).
fn first_body_line(relative: &str) -> String {
    let text = read_knowledge(relative);
    let body = text
        .splitn(3, "---")
        .nth(2)
        .unwrap_or_else(|| panic!("{relative} has front matter"));
    // As citizens see it: local facts without their [[ ]] marks.
    body.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_else(|| panic!("{relative} has a body"))
        .replace("[[", "")
        .replace("]]", "")
}

/// Asks the paspoort question and returns the buttons message's buttons.
async fn answered_paspoort_question(app: &TestApp) -> Vec<(String, String)> {
    ask(app, "wamid.faq.pas1", "Hoe vraag ik een paspoort aan?").await;
    app.wait_for_sent(2).await;
    let bodies = sent_bodies(app);
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    buttons(&bodies[1])
}

on_both_databases! {
#[tokio::test]
async fn a_common_question_on_saturday_night_is_answered_with_feedback_buttons_and_no_closed_notice()
 {
    let app = spawn_app_at(saturday_night()).await;
    ask(&app, "wamid.faq.pas1", "Hoe vraag ik een paspoort aan?").await;
    let sent = app.wait_for_sent(2).await;
    assert_eq!(sent.len(), 2, "answer and buttons, nothing else: {sent:?}");

    let bodies = sent_bodies(&app);
    let answer = text_of(&bodies[0]);
    assert!(
        answer.contains("Dat doe je persoonlijk in het stadhuis, op afspraak."),
        "{answer}"
    );
    assert!(
        answer
            .contains("🔗 Afspraak maken voor je paspoort: https://www.voorbeeldstad.nl/paspoort"),
        "the entry's links go under the answer: {answer}"
    );
    assert_eq!(bodies[0]["to"], CITIZEN);

    assert_eq!(
        bodies[1]["interactive"]["body"]["text"],
        "Heeft dit antwoord je geholpen?"
    );
    assert_eq!(
        buttons(&bodies[1]),
        vec![
            (
                "feedback:yes:paspoort-aanvragen".to_owned(),
                "Ja, bedankt".to_owned()
            ),
            (
                "feedback:no:paspoort-aanvragen".to_owned(),
                "Nee, een medewerker".to_owned()
            ),
        ]
    );
    assert!(
        !sent.iter().any(|t| t.to_lowercase().contains("gesloten")),
        "an answered question needs no closed notice: {sent:?}"
    );

    let conversation = conversation(&app).await;
    assert_eq!(conversation.state, "bot");
    assert_eq!(conversation.queue_reason, None);
    assert_eq!(
        conversation.reply_deadline, None,
        "nobody promised anything"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn tapping_no_on_the_feedback_buttons_hands_over_with_mondays_deadline() {
    let app = spawn_app_at(saturday_night()).await;
    let buttons = answered_paspoort_question(&app).await;
    let (no_id, no_title) = &buttons[1];

    tap(&app, "button_reply", "wamid.faq.no", no_id, no_title).await;
    app.wait_for_sent(3).await;
    let bodies = sent_bodies(&app);
    assert_eq!(bodies.len(), 3, "{bodies:#?}");
    assert_eq!(
        text_of(&bodies[2]),
        format!(
            "Ik zet je vraag door naar een medewerker. Je krijgt uiterlijk *{MONDAY_DEADLINE}* antwoord."
        )
    );

    let conversation = conversation(&app).await;
    assert_eq!(conversation.state, "queued");
    assert_eq!(conversation.queue_reason.as_deref(), Some("feedback_no"));
    assert_eq!(
        conversation.reply_deadline,
        Some(amsterdam(2026, 11, 23, 12, 30))
    );
}
}

on_both_databases! {
#[tokio::test]
async fn tapping_yes_on_the_feedback_buttons_gets_thanks_and_stays_with_the_bot() {
    let app = spawn_app_at(saturday_night()).await;
    let buttons = answered_paspoort_question(&app).await;
    let (yes_id, yes_title) = &buttons[0];

    tap(&app, "button_reply", "wamid.faq.yes", yes_id, yes_title).await;
    app.wait_for_sent(3).await;
    let bodies = sent_bodies(&app);
    assert_eq!(bodies.len(), 3, "{bodies:#?}");
    assert_eq!(
        text_of(&bodies[2]),
        "Graag gedaan! Heb je nog een vraag? Stel hem gerust."
    );

    let conversation = conversation(&app).await;
    assert_eq!(conversation.state, "bot");
    assert_eq!(conversation.queue_reason, None);
}
}

const DUTCH_WEEKDAYS: [&str; 7] = [
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
];
const DUTCH_MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// "maandag 23 november", written here and not by the library.
fn dutch_day(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        DUTCH_WEEKDAYS[date.weekday().num_days_from_monday() as usize],
        date.day(),
        DUTCH_MONTHS[date.month0() as usize]
    )
}

fn toml_date(value: &toml::Value) -> NaiveDate {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => panic!("not a date: {other}"),
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The next collection of `fraction` for `postcode` on or after `today`,
/// worked out from `afvalkalender.toml`'s `first` and `every_weeks` (and
/// its shifted holidays) by hand. Returns the area name and the date.
fn next_collection_by_hand(
    postcode: &str,
    fraction: &str,
    today: NaiveDate,
) -> (String, NaiveDate) {
    let file: toml::Value = read_knowledge("data/afvalkalender.toml")
        .parse()
        .expect("afvalkalender.toml is TOML");
    let area = file["area"]
        .as_array()
        .expect("areas")
        .iter()
        .find(|a| {
            a["postcodes"]
                .as_array()
                .expect("postcodes")
                .iter()
                .any(|p| p.as_str() == Some(postcode))
        })
        .unwrap_or_else(|| panic!("{postcode} is in an area"));
    let rule = &area["collection"][fraction];
    let first = toml_date(&rule["first"]);
    let every =
        u64::try_from(rule["every_weeks"].as_integer().expect("every_weeks")).expect("positive");
    let shifts: Vec<(NaiveDate, NaiveDate)> = file
        .get("shift")
        .and_then(toml::Value::as_array)
        .map(|shifts| {
            shifts
                .iter()
                .map(|s| (toml_date(&s["from"]), toml_date(&s["to"])))
                .collect()
        })
        .unwrap_or_default();
    let mut regular = first;
    loop {
        let actual = shifts
            .iter()
            .find(|(from, _)| *from == regular)
            .map_or(regular, |(_, to)| *to);
        if actual >= today {
            let name = area["name"].as_str().expect("name").to_owned();
            return (name, actual);
        }
        regular = regular + Days::new(7 * every);
    }
}

on_both_databases! {
#[tokio::test]
async fn a_waste_question_asks_for_the_postcode_and_then_lists_the_next_collection_days() {
    let app = spawn_app_at(saturday_night()).await;
    ask(&app, "wamid.faq.gft1", "wanneer wordt mijn gft opgehaald").await;
    let sent = app.wait_for_sent(1).await;
    assert_eq!(
        sent,
        vec![
            "Wat is je postcode? Dan zoek ik de ophaaldagen voor je op. Bijvoorbeeld: 1234 AB"
                .to_owned()
        ]
    );

    ask(&app, "wamid.faq.gft2", "1234 AB").await;
    app.wait_for_sent(3).await;
    let bodies = sent_bodies(&app);
    assert_eq!(bodies.len(), 3, "question, answer, buttons: {bodies:#?}");
    let answer = text_of(&bodies[1]);

    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let (area, gft) = next_collection_by_hand("1234", "gft", today);
    assert_eq!(area, "Noord");
    assert_eq!(gft.weekday(), Weekday::Mon);
    assert!(
        answer.contains(&format!("Ophaaldagen voor postcodegebied {area}:")),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("- GFT: {}", dutch_day(gft))),
        "GFT on {gft}: {answer}"
    );
    for (fraction, name) in [
        ("pmd", "PMD"),
        ("papier", "Papier"),
        ("restafval", "Restafval"),
    ] {
        let (_, date) = next_collection_by_hand("1234", fraction, today);
        assert!(
            answer.contains(&format!("- {name}: {}", dutch_day(date))),
            "{name} on {date}: {answer}"
        );
    }
    assert!(
        !answer.contains("{{ophaaldagen}}"),
        "placeholder filled: {answer}"
    );
    let buttons = buttons(&bodies[2]);
    assert_eq!(buttons[0].0, "feedback:yes:afval-ophaaldagen");

    let conversation = conversation(&app).await;
    assert_eq!(conversation.state, "bot");
}
}

on_both_databases! {
#[tokio::test]
async fn the_benefit_question_names_novembers_payment_date_from_the_data_file() {
    let app = spawn_app_at(saturday_night()).await;
    ask(
        &app,
        "wamid.faq.bijstand",
        "wanneer wordt de bijstand betaald",
    )
    .await;
    app.wait_for_sent(2).await;
    let bodies = sent_bodies(&app);
    assert_eq!(bodies.len(), 2, "{bodies:#?}");

    let file: toml::Value = read_knowledge("data/uitkering-betaaldata.toml")
        .parse()
        .expect("uitkering-betaaldata.toml is TOML");
    let november = file["payment"]
        .as_array()
        .expect("payments")
        .iter()
        .find(|p| p["month"].as_str() == Some("2026-11"))
        .expect("a payment for November 2026");
    let date = toml_date(&november["date"]);
    assert!(date > NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"));

    let answer = text_of(&bodies[0]);
    assert!(
        answer.starts_with(&format!(
            "De uitkering over november wordt op {} betaald.",
            dutch_day(date)
        )),
        "{answer}"
    );
    assert_eq!(
        buttons(&bodies[1])[0].0,
        "feedback:yes:uitkering-betaaldatum"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn an_english_question_gets_the_english_answer_and_english_buttons() {
    let app = spawn_app_at(saturday_night()).await;
    ask(&app, "wamid.faq.en", "How much does a passport cost?").await;
    app.wait_for_sent(2).await;
    let bodies = sent_bodies(&app);
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    let answer = text_of(&bodies[0]);
    assert!(answer.contains("18 and over: around €85"), "{answer}");
    assert!(
        answer.contains("18 and over: around €85"),
        "{answer}"
    );
    assert_eq!(
        bodies[1]["interactive"]["body"]["text"],
        "Did this answer help you?"
    );
    assert_eq!(
        buttons(&bodies[1]),
        vec![
            (
                "feedback:yes:paspoort-kosten".to_owned(),
                "Yes, thanks".to_owned()
            ),
            (
                "feedback:no:paspoort-kosten".to_owned(),
                "No, a colleague".to_owned()
            ),
        ]
    );
    let conversation = conversation(&app).await;
    assert_eq!(conversation.language.code(), "en");
    assert_eq!(conversation.state, "bot");
}
}

/// Posts `message`, expects exactly one text back and returns it with the
/// conversation.
async fn one_reply(app: &TestApp, body: &str) -> (String, ConversationRow) {
    assert_eq!(app.post_webhook(body).await.status(), 200);
    let sent = app.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    (sent[0].clone(), conversation(app).await)
}

on_both_databases! {
#[tokio::test]
async fn a_question_the_knowledge_base_cannot_answer_gets_the_closed_notice_and_is_queued() {
    let app = spawn_app_at(saturday_night()).await;
    // No entry is about this question.
    let body = payload::text_message(
        CITIZEN,
        "wamid.faq.kermis",
        "Wat vinden jullie van de nieuwe kermis?",
        TS,
    );
    let (reply, conversation) = one_reply(&app, &body).await;
    assert_eq!(
        reply,
        format!(
            "Bedankt voor je bericht! We zijn nu gesloten. Je krijgt uiterlijk *{MONDAY_DEADLINE}* antwoord van een medewerker."
        )
    );
    assert_eq!(conversation.state, "queued");
    assert_eq!(conversation.queue_reason.as_deref(), Some("no_answer"));
    assert_eq!(
        conversation.reply_deadline,
        Some(amsterdam(2026, 11, 23, 12, 30))
    );
}
}

on_both_databases! {
#[tokio::test]
async fn asking_for_a_person_gets_the_handover_text_and_is_queued() {
    let app = spawn_app_at(saturday_night()).await;
    let body = payload::text_message(
        CITIZEN,
        "wamid.faq.mens",
        "Ik wil een medewerker spreken",
        TS,
    );
    let (reply, conversation) = one_reply(&app, &body).await;
    assert_eq!(
        reply,
        format!(
            "Ik zet je vraag door naar een medewerker. Je krijgt uiterlijk *{MONDAY_DEADLINE}* antwoord."
        )
    );
    assert_eq!(conversation.state, "queued");
    assert_eq!(
        conversation.queue_reason.as_deref(),
        Some("asked_for_person")
    );
}
}

on_both_databases! {
#[tokio::test]
async fn a_photo_gets_the_closed_notice_and_is_queued_for_a_person_to_look_at() {
    let app = spawn_app_at(saturday_night()).await;
    let body = payload::media_message(CITIZEN, "wamid.faq.foto", "image", TS);
    let (reply, conversation) = one_reply(&app, &body).await;
    assert!(reply.contains("We zijn nu gesloten"), "{reply}");
    assert!(reply.contains(MONDAY_DEADLINE), "{reply}");
    assert_eq!(conversation.state, "queued");
    assert_eq!(conversation.queue_reason.as_deref(), Some("media"));
}
}

on_both_databases! {
#[tokio::test]
async fn an_entry_marked_handover_is_answered_and_also_queued_for_a_person() {
    let app = spawn_app_at(saturday_night()).await;
    ask(
        &app,
        "wamid.faq.wmo",
        "hoe vraag ik ondersteuning via de wmo aan",
    )
    .await;
    let sent = app.wait_for_sent(3).await;
    let bodies = sent_bodies(&app);
    assert_eq!(
        bodies.len(),
        3,
        "answer, buttons, closed notice: {bodies:#?}"
    );
    let answer = text_of(&bodies[0]);
    assert!(
        answer.contains(&first_body_line("nl/wmo-hulp.md")),
        "{answer}"
    );
    assert!(
        answer.contains("Ik zet je vraag ook door naar het Wmo-team."),
        "{answer}"
    );
    assert_eq!(buttons(&bodies[1])[1].0, "feedback:no:wmo-hulp");
    assert!(sent[2].contains("We zijn nu gesloten"), "{sent:?}");
    assert!(sent[2].contains(MONDAY_DEADLINE), "{sent:?}");

    let conversation = conversation(&app).await;
    assert_eq!(conversation.state, "queued");
    assert_eq!(conversation.queue_reason.as_deref(), Some("entry_handover"));
}
}

/// Copies a folder tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for item in std::fs::read_dir(from).expect("read dir") {
        let item = item.expect("dir entry");
        let target = to.join(item.file_name());
        if item.file_type().expect("file type").is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), &target).expect("copy file");
        }
    }
}

const KERSTBOMEN_V1: &str = "---
id: kerstbomen
title: IJsbaan op de Markt
lang: nl
questions:
  - wanneer gaat de ijsbaan open
  - hoe laat is de ijsbaan open
  - kan ik schaatsen op de markt
  - ijsbaan openingstijden
  - wat kost schaatsen op de ijsbaan
  - schaatsen huren bij de ijsbaan
keywords: [ijsbaan, schaatsen, schaatsbaan]
links:
  - label: IJsbaan
    url: https://www.voorbeeldstad.nl/ijsbaan
---
De ijsbaan op de Markt is open van 12 december tot 3 januari, elke dag van 10:00 tot 22:00 uur.
";

/// Broken front matter (an unclosed list) with a different body, which
/// must not be served.
const KERSTBOMEN_BROKEN: &str = "---
id: kerstbomen
title: IJsbaan op de Markt
lang: nl
questions: [wanneer gaat de ijsbaan open
keywords: [ijsbaan
---
KAPOTTE VERSIE: deze tekst mag nooit verstuurd worden.
";

on_both_databases! {
#[tokio::test]
async fn a_new_answer_is_served_without_a_restart_and_survives_a_broken_edit() {
    let knowledge = tempfile::tempdir().expect("temp dir");
    copy_dir(&knowledge_path(""), knowledge.path());
    let dir = knowledge.path().to_owned();
    let app = spawn_app_with(saturday_night(), |settings| {
        settings.knowledge_dir = dir.clone();
    })
    .await;
    let question = "Wanneer gaat de ijsbaan open?";
    let phrase = "De ijsbaan op de Markt is open van 12 december tot 3 januari";
    let file = dir.join("nl/kerstbomen.md");

    // (a) A new file is picked up by the watcher. Every try is a new
    // citizen, so each gets a fresh conversation.
    std::fs::write(&file, KERSTBOMEN_V1).expect("write entry");
    let mut tries = 0_u64;
    app.eventually("the new entry answers the question", || {
        tries += 1;
        let citizen = format!("316000001{tries:02}");
        let app = &app;
        async move {
            let before = app.graph.sent_messages().len();
            let body =
                payload::text_message(&citizen, &format!("wamid.faq.reload{tries}"), question, TS);
            assert_eq!(app.post_webhook(&body).await.status(), 200);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while app.graph.sent_messages().len() == before
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            app.graph.sent_messages()[before..].iter().any(|m| {
                m.body["to"] == citizen.as_str()
                    && m.body["text"]["body"]
                        .as_str()
                        .is_some_and(|t| t.contains(phrase))
            })
        }
    })
    .await;

    // (b) A broken edit: the error is reported and the last good version
    // stays served.
    std::fs::write(&file, KERSTBOMEN_BROKEN).expect("break entry");
    let shared = app.knowledge();
    app.eventually("the broken file is reported after a reload", || {
        let knowledge = shared.load_full();
        async move {
            knowledge
                .problems
                .iter()
                .any(|p| p.path.ends_with("nl/kerstbomen.md"))
        }
    })
    .await;
    let citizen = "31600000199";
    let before = app.graph.sent_messages().len();
    let body = payload::text_message(citizen, "wamid.faq.reload-broken", question, TS);
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    app.wait_for_sent(before + 2).await;
    let replies: Vec<Value> = sent_bodies(&app)
        .into_iter()
        .filter(|b| b["to"] == citizen)
        .collect();
    assert_eq!(replies.len(), 2, "answer and buttons: {replies:#?}");
    let answer = text_of(&replies[0]);
    assert!(answer.contains(phrase), "the last good version: {answer}");
    assert!(!answer.contains("KAPOTTE VERSIE"), "{answer}");
    assert_eq!(buttons(&replies[1])[0].0, "feedback:yes:kerstbomen");
}
}

on_both_databases! {
#[tokio::test]
async fn an_ambiguous_question_offers_a_choice_and_tapping_a_row_gets_that_answer() {
    let app = spawn_app_at(saturday_night()).await;
    // Several tax entries score within the margin of each other ("belasting"
    // alone goes to the overview of the municipal taxes).
    ask(&app, "wamid.faq.belasting", "belasting betalen").await;
    app.wait_for_sent(1).await;
    let bodies = sent_bodies(&app);
    assert_eq!(bodies.len(), 1, "only the list: {bodies:#?}");
    let list = &bodies[0];
    assert_eq!(list["type"], "interactive", "{list}");
    assert_eq!(list["interactive"]["type"], "list", "{list}");
    assert_eq!(
        list["interactive"]["body"]["text"],
        "Bedoel je een van deze onderwerpen?"
    );
    assert_eq!(
        list["interactive"]["action"]["button"],
        "Kies een onderwerp"
    );
    let mut rows: Vec<(String, String)> = list["interactive"]["action"]["sections"][0]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_owned(),
                r["title"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let last = rows.pop().expect("rows");
    assert_eq!(
        last,
        ("faq:-".to_owned(), "Iets anders: medewerker".to_owned()),
        "'none of these' comes last"
    );
    // Two or three tax entries share the evidence for one word.
    assert!((2..=3).contains(&rows.len()), "{rows:?}");
    // The municipal tax entries: the overview, paying, instalments,
    // remission, the charges and the WOZ.
    let tax = |id: &str| {
        ["belasting", "kwijtschelding", "heffing", "ozb", "woz"]
            .iter()
            .any(|word| id.contains(word))
    };
    assert!(
        rows.iter().all(|(id, title)| tax(id) && title.chars().count() <= 24),
        "tax entries, titles cut to WhatsApp's 24 characters: {rows:?}"
    );
    assert!(
        rows.contains(&(
            "faq:gemeentelijke-belastingen".to_owned(),
            "Gemeentelijke belasting…".to_owned()
        )),
        "{rows:?}"
    );
    rows.sort_by_key(|(id, _)| id != "faq:gemeentelijke-belastingen");
    let conversation_after_list = conversation(&app).await;
    assert_eq!(conversation_after_list.state, "bot");
    assert_eq!(conversation_after_list.reply_deadline, None);

    let (id, title) = &rows[0];
    tap(&app, "list_reply", "wamid.faq.row", id, title).await;
    app.wait_for_sent(3).await;
    let bodies = sent_bodies(&app);
    assert_eq!(bodies.len(), 3, "list, answer, buttons: {bodies:#?}");
    let answer = text_of(&bodies[1]);
    assert!(
        answer.contains(&first_body_line("nl/gemeentelijke-belastingen.md")),
        "{answer}"
    );
    assert_eq!(
        buttons(&bodies[2])[0].0,
        "feedback:yes:gemeentelijke-belastingen"
    );
    let conversation = conversation(&app).await;
    assert_eq!(conversation.state, "bot");
    assert_eq!(conversation.queue_reason, None);
}
}

/// Unit tests of the reply decision (`reply::decide`), no server.
mod decision {
    use crate::helpers::{knowledge_entry, knowledge_of, saturday_night};
    use loket::config::Settings;
    use loket::domain::{InteractiveKind, MessageContent, OutgoingContent};
    use loket::knowledge::base::KnowledgeBase;
    use loket::processing::rules;
    use loket::reply::{ConversationMemory, Decision, HandoverReason, ReplyKind, decide};
    use std::path::Path;

    fn settings() -> Settings {
        Settings::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config"))
            .expect("shipped config loads")
    }

    fn shipped_knowledge() -> KnowledgeBase {
        KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
            .expect("shipped knowledge loads")
    }

    /// Two entries about the same pass that a one-word question cannot
    /// tell apart.
    fn near_identical_knowledge() -> (tempfile::TempDir, KnowledgeBase) {
        knowledge_of(&[
            (
                "sportpas-aanvragen",
                knowledge_entry(
                    "sportpas-aanvragen",
                    "Sportpas aanvragen",
                    &[
                        "sportpas aanvragen",
                        "hoe krijg ik een sportpas",
                        "sportpas nieuw",
                    ],
                    "Een sportpas vraag je online aan.",
                ),
            ),
            (
                "sportpas-verlengen",
                knowledge_entry(
                    "sportpas-verlengen",
                    "Sportpas verlengen",
                    &[
                        "sportpas verlengen",
                        "sportpas verlopen",
                        "sportpas opnieuw",
                    ],
                    "Je sportpas verleng je elk jaar voor 1 januari.",
                ),
            ),
        ])
    }

    fn text(body: &str) -> MessageContent {
        MessageContent::Text {
            body: body.to_owned(),
        }
    }

    fn list_reply(id: &str, title: &str) -> MessageContent {
        MessageContent::Interactive {
            interactive: InteractiveKind::ListReply,
            id: id.to_owned(),
            title: title.to_owned(),
        }
    }

    fn texts(decision: &Decision) -> Vec<(ReplyKind, String)> {
        decision
            .replies
            .iter()
            .map(|r| {
                let body = match &r.content {
                    OutgoingContent::Text { body }
                    | OutgoingContent::Buttons { body, .. }
                    | OutgoingContent::List { body, .. } => body.clone(),
                    other => format!("{other:?}"),
                };
                (r.kind, body)
            })
            .collect()
    }

    #[test]
    fn near_identical_entries_are_offered_as_a_choice_and_a_picked_row_is_answered() {
        let settings = settings();
        let (_dir, knowledge) = near_identical_knowledge();
        let rules = rules(&settings, Some(&knowledge));
        let first = decide(
            &text("sportpas"),
            &ConversationMemory::default(),
            rules,
            saturday_night(),
        );
        let faq = first.faq.as_ref().expect("the knowledge base was asked");
        assert_eq!(faq.decision, "choose", "{faq:?}");
        assert_eq!(first.handover, None);
        assert_eq!(first.replies.len(), 1, "{:?}", first.replies);
        assert_eq!(first.replies[0].kind, ReplyKind::FaqChoice);
        let OutgoingContent::List { body, rows, .. } = &first.replies[0].content else {
            panic!("a list: {:?}", first.replies[0]);
        };
        assert_eq!(body, "Bedoel je een van deze onderwerpen?");
        let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.pop(), Some("faq:-"), "'none of these' comes last");
        ids.sort_unstable();
        assert_eq!(ids, ["faq:sportpas-aanvragen", "faq:sportpas-verlengen"]);

        let picked = decide(
            &list_reply("faq:sportpas-verlengen", "Sportpas verlengen"),
            &first.memory,
            rules,
            saturday_night(),
        );
        assert_eq!(picked.handover, None);
        assert_eq!(
            texts(&picked),
            vec![
                (
                    ReplyKind::FaqAnswer,
                    "Je sportpas verleng je elk jaar voor 1 januari.".to_owned()
                ),
                (
                    ReplyKind::Feedback,
                    "Heeft dit antwoord je geholpen?".to_owned()
                ),
            ]
        );
        assert_eq!(
            picked.memory.feedback_for.as_deref(),
            Some("sportpas-verlengen")
        );
    }

    #[test]
    fn none_of_these_in_the_list_hands_over_with_a_confirmation() {
        let settings = settings();
        let (_dir, knowledge) = near_identical_knowledge();
        let decision = decide(
            &list_reply("faq:-", "Iets anders: medewerker"),
            &ConversationMemory::default(),
            rules(&settings, Some(&knowledge)),
            saturday_night(),
        );
        assert_eq!(decision.handover, Some(HandoverReason::AskedForPerson));
        assert_eq!(
            texts(&decision),
            vec![(
                ReplyKind::Handover,
                "Ik zet je vraag door naar een medewerker. Je krijgt uiterlijk *maandag 23 november om 12:30* antwoord.".to_owned()
            )]
        );
    }

    #[test]
    fn a_typed_nee_after_an_answer_hands_over_and_a_typed_ja_says_thanks() {
        let settings = settings();
        let knowledge = shipped_knowledge();
        let rules = rules(&settings, Some(&knowledge));
        let answered = decide(
            &text("Hoe kan ik een paspoort aanvragen?"),
            &ConversationMemory::default(),
            rules,
            saturday_night(),
        );
        assert_eq!(
            answered.memory.feedback_for.as_deref(),
            Some("paspoort-aanvragen")
        );

        let no = decide(&text("Nee."), &answered.memory, rules, saturday_night());
        assert_eq!(no.handover, Some(HandoverReason::FeedbackNo));
        assert_eq!(no.replies.len(), 1, "{:?}", no.replies);
        assert_eq!(no.replies[0].kind, ReplyKind::Handover);
        assert_eq!(no.memory.feedback_for, None);

        let yes = decide(
            &text("ja, bedankt!"),
            &answered.memory,
            rules,
            saturday_night(),
        );
        assert_eq!(yes.handover, None);
        assert_eq!(
            texts(&yes),
            vec![(
                ReplyKind::FeedbackThanks,
                "Graag gedaan! Heb je nog een vraag? Stel hem gerust.".to_owned()
            )]
        );
        assert_eq!(yes.reply_deadline, None);
    }

    #[test]
    fn an_unknown_postcode_is_asked_again_and_a_known_one_is_then_answered() {
        let settings = settings();
        let knowledge = shipped_knowledge();
        let rules = rules(&settings, Some(&knowledge));
        let asked = decide(
            &text("wanneer wordt mijn gft opgehaald"),
            &ConversationMemory::default(),
            rules,
            saturday_night(),
        );
        assert_eq!(asked.replies[0].kind, ReplyKind::AskPostcode);
        assert_eq!(
            asked.memory.awaiting_postcode.as_deref(),
            Some("afval-ophaaldagen")
        );

        let unknown = decide(&text("9999 ZZ"), &asked.memory, rules, saturday_night());
        assert_eq!(unknown.handover, None);
        assert_eq!(unknown.replies.len(), 1, "{:?}", unknown.replies);
        assert_eq!(unknown.replies[0].kind, ReplyKind::UnknownPostcode);
        assert!(
            texts(&unknown)[0]
                .1
                .starts_with("Postcode 9999ZZ ligt niet in onze gemeente"),
            "{:?}",
            texts(&unknown)
        );
        assert_eq!(
            unknown.memory.awaiting_postcode.as_deref(),
            Some("afval-ophaaldagen"),
            "still waiting for a postcode"
        );

        let known = decide(&text("1231ab"), &unknown.memory, rules, saturday_night());
        assert_eq!(known.replies[0].kind, ReplyKind::FaqAnswer);
        assert!(
            texts(&known)[0]
                .1
                .contains("Ophaaldagen voor postcodegebied Centrum:"),
            "{:?}",
            texts(&known)
        );
        assert_eq!(known.memory.awaiting_postcode, None);
    }
}
