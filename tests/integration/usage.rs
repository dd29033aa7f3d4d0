//! Per-answer usage for editors: answers given, "Ja, bedankt" and "Nee",
//! last used, counted through the real webhook; the counts are anonymous
//! and outlive the retention purge.

use crate::helpers::*;
use chrono::{DateTime, NaiveDate, Utc};
use loket::accounts::Role;
use loket::domain::Language;
use loket::knowledge::usage::FaqUsage;
use loket_testkit::payload;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const PASPOORT: &str = "paspoort-kosten";
const QUESTION: &str = "hoeveel kost een paspoort";

/// A tap on a reply button, shaped like `tests/fixtures/webhooks/interactive_*.json`.
fn button_tap(from: &str, wamid: &str, id: &str, title: &str, timestamp: i64) -> String {
    payload::batch(&[json!({
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": payload::DISPLAY_PHONE_NUMBER,
            "phone_number_id": payload::BUSINESS_PHONE_NUMBER_ID,
        },
        "contacts": [{ "profile": { "name": payload::PROFILE_NAME }, "wa_id": from }],
        "messages": [{
            "from": from,
            "id": wamid,
            "timestamp": timestamp.to_string(),
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": { "id": id, "title": title },
            },
            "context": { "from": payload::DISPLAY_PHONE_NUMBER, "id": "wamid.bot-question" },
        }],
    })])
}

async fn say(app: &TestApp, from: &str, wamid: &str, text: &str) {
    let at = app.clock.now().timestamp();
    let body = payload::text_message(from, wamid, text, at);
    assert_eq!(app.post_webhook(&body).await.status(), 200, "{text}");
    app.wait_until_processed().await;
}

async fn tap(app: &TestApp, from: &str, wamid: &str, helpful: bool) {
    let at = app.clock.now().timestamp();
    let (id, title) = if helpful {
        (format!("feedback:yes:{PASPOORT}"), "Ja, bedankt")
    } else {
        (format!("feedback:no:{PASPOORT}"), "Nee")
    };
    let body = button_tap(from, wamid, &id, title, at);
    assert_eq!(app.post_webhook(&body).await.status(), 200, "{id}");
    app.wait_until_processed().await;
}

fn find<'a>(usage: &'a [FaqUsage], id: &str) -> &'a FaqUsage {
    usage
        .iter()
        .find(|u| u.faq_id == id && u.lang == Language::Nl)
        .unwrap_or_else(|| panic!("no usage of {id} in {usage:#?}"))
}

fn day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Europe::Amsterdam).date_naive()
}

/// Three citizens get the paspoort answer: one taps "Ja, bedankt" (twice),
/// one types "nee", one taps "Nee". Returns when the last answer was given
/// (between the two moments).
async fn three_citizens_ask(app: &TestApp) -> (DateTime<Utc>, DateTime<Utc>) {
    say(app, "31600000011", "wamid.USE1", QUESTION).await;
    tap(app, "31600000011", "wamid.USE2", true).await;
    // The same button again is not a second "Ja".
    tap(app, "31600000011", "wamid.USE3", true).await;
    say(app, "31600000012", "wamid.USE4", QUESTION).await;
    say(app, "31600000012", "wamid.USE5", "nee").await;
    let before = app.clock.now();
    say(app, "31600000013", "wamid.USE6", QUESTION).await;
    let after = app.clock.now();
    tap(app, "31600000013", "wamid.USE7", false).await;
    (before, after)
}

on_both_databases! {
#[tokio::test]
async fn answers_and_feedback_are_counted_once_per_answer() {
    let app = spawn_app_at(tuesday_morning()).await;
    let (before, after) = three_citizens_ask(&app).await;
    // A question nobody's answer: no count for any entry.
    say(
        &app,
        "31600000014",
        "wamid.USE8",
        "Is het zwembad morgen open?",
    )
    .await;

    let today = day(app.clock.now());
    let usage = app.store().faq_usage(today, today).await.expect("usage");
    let paspoort = find(&usage, PASPOORT);
    assert_eq!(
        (paspoort.answered, paspoort.helpful, paspoort.not_helpful),
        (3, 1, 2),
        "{usage:#?}"
    );
    let last = paspoort.last_used_at.expect("last used");
    assert!(
        before - chrono::Duration::seconds(1) <= last && last <= after,
        "{last} not within {before}..{after}"
    );
    assert_eq!(
        usage.len(),
        1,
        "only the paspoort answer was given: {usage:#?}"
    );

    // Other days count nothing.
    let yesterday = today.pred_opt().expect("a day before");
    let none = app
        .store()
        .faq_usage(yesterday, yesterday)
        .await
        .expect("usage");
    assert!(none.is_empty(), "{none:#?}");
    assert_eq!(app.store().faq_usage_all_time().await.expect("all"), usage);
}
}

on_both_databases! {
#[tokio::test]
async fn usage_counts_survive_the_retention_purge() {
    let mut app = spawn_app_at(tuesday_morning()).await;
    three_citizens_ask(&app).await;
    let counted = app.store().faq_usage_all_time().await.expect("usage");
    assert_eq!(find(&counted, PASPOORT).answered, 3);

    app.shifted.advance(chrono::Duration::days(40));
    let month = Duration::from_secs(30 * 24 * 3600);
    let removed = loket::retention::purge(
        app.store(),
        app.clock.as_ref(),
        &loket::report::rollup::Rollup::from_settings(&app.settings),
        month,
        false,
    )
    .await
    .expect("purge");
    assert_eq!(removed.conversations, 3, "{removed:?}");
    assert_eq!(
        app.store()
            .count(loket::db::CountedTable::Conversations)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        app.store().faq_usage_all_time().await.expect("usage"),
        counted,
        "the anonymous counts stay"
    );
    // And after a restart on the same file.
    app.restart().await;
    assert_eq!(
        app.store().faq_usage_all_time().await.expect("usage"),
        counted
    );
}
}

const PASSWORD: &str = "een-lang-wachtwoord-42";

/// Logs `name` in with a fresh account of `role`; returns the session cookie
/// (GET requests need no CSRF token).
async fn login_as(app: &TestApp, name: &str, role: Role) -> String {
    loket::accounts::create(app.store(), name, role, PASSWORD, app.clock.now())
        .await
        .expect("account created");
    let response = app
        .http
        .post(app.url("/api/session"))
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), StatusCode::OK, "login of {name}");
    session_cookie(&response).expect("session cookie")
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.http.get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("api request");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// The usage row of `id` in Dutch in a list of the usage report.
fn row<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list.as_array()?
        .iter()
        .find(|r| r["faq_id"] == id && r["lang"] == "nl")
}

on_both_databases! {
#[tokio::test]
async fn editors_and_admins_read_gaps_and_usage_staff_do_not() {
    let app = spawn_app_at(tuesday_morning()).await;
    three_citizens_ask(&app).await;
    say(
        &app,
        "31600000014",
        "wamid.USE8",
        "Wat vinden jullie van de nieuwe kermis? bsn 111222333",
    )
    .await;
    say(
        &app,
        "31600000015",
        "wamid.USE9",
        "wat vinden jullie nou van de nieuwe kermis",
    )
    .await;

    let editor = login_as(&app, "eva", Role::Editor).await;
    let admin = login_as(&app, "lead", Role::Admin).await;
    let staff = login_as(&app, "anna", Role::Staff).await;
    for path in ["/api/knowledge/gaps", "/api/knowledge/usage"] {
        let (status, body) = get(&app, path, Some(&staff)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"], "forbidden");
        assert_eq!(
            get(&app, path, None).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(
            get(&app, path, Some(&admin)).await.0,
            StatusCode::OK,
            "{path}"
        );
        let (status, body) = get(&app, &format!("{path}?since=gisteren"), Some(&editor)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("2026-11-01"))
        );
    }

    let (status, usage) = get(&app, "/api/knowledge/usage", Some(&editor)).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    let paspoort = row(&usage["entries"], PASPOORT).expect("paspoort row");
    assert_eq!(
        (
            &paspoort["answered"],
            &paspoort["helpful"],
            &paspoort["not_helpful"]
        ),
        (&json!(3), &json!(1), &json!(2)),
        "{paspoort}"
    );
    assert!(paspoort["title"].is_string() && paspoort["last_used_at"].is_string());
    assert_eq!(usage["entries"][0]["faq_id"], PASPOORT, "most given first");
    // Every loaded entry has a line; the one answered is not unused.
    let loaded = app.knowledge().load().index.entries().len();
    assert_eq!(usage["entries"].as_array().map(Vec::len), Some(loaded));
    assert!(row(&usage["unused"], PASPOORT).is_none());
    assert!(
        row(&usage["unused"], "hondenbelasting").is_some(),
        "{}",
        usage["unused"]
    );

    // The processor records a gap just after it commits the message, so
    // "processed" can come a moment before the gap is there (on PostgreSQL
    // often enough to matter).
    app.eventually("four unanswered questions recorded", || async {
        app.store()
            .gaps(amsterdam(2026, 11, 24, 0, 0))
            .await
            .is_ok_and(|gaps| gaps.len() == 4)
    })
    .await;
    let (status, gaps) = get(&app, "/api/knowledge/gaps?since=2026-11-24", Some(&editor)).await;
    assert_eq!(status, StatusCode::OK, "{gaps}");
    let groups = gaps["groups"].as_array().expect("groups");
    let kermis = groups
        .iter()
        .find(|g| g["examples"].to_string().contains("kermis"))
        .expect("the kermis group");
    assert_eq!(kermis["count"], 2, "paraphrases together: {gaps}");
    assert_eq!(kermis["abstained"], 2);
    let text = gaps.to_string();
    assert!(
        !text.contains("111222333") && text.contains("[BSN]"),
        "{text}"
    );
    let nee = groups
        .iter()
        .find(|g| g["feedback_no"] == 2)
        .expect("the two Nee to the paspoort answer");
    assert_eq!(nee["nearest_faq"], PASPOORT);
    // A period after everything: nothing.
    let (_, later) = get(&app, "/api/knowledge/gaps?since=2026-11-25", Some(&editor)).await;
    assert_eq!(later["groups"], json!([]));
}
}

on_both_databases! {
#[tokio::test]
async fn answers_not_given_for_90_days_are_listed_until_given_again() {
    let app = spawn_app_at(tuesday_morning()).await;
    let first = app.clock.now();
    say(&app, "31600000021", "wamid.OLD1", QUESTION).await;
    let editor = login_as(&app, "eva", Role::Editor).await;
    let (_, usage) = get(&app, "/api/knowledge/usage", Some(&editor)).await;
    assert!(row(&usage["unused"], PASPOORT).is_none(), "just given");

    app.shifted.advance(chrono::Duration::days(91));
    // The session expired meanwhile.
    let editor = login_as(&app, "eva2", Role::Editor).await;
    let (status, usage) = get(&app, "/api/knowledge/usage", Some(&editor)).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    let unused = row(&usage["unused"], PASPOORT).expect("unused after 91 days");
    let last: DateTime<Utc> =
        serde_json::from_value(unused["last_used_at"].clone()).expect("last used");
    assert!((last - first).num_seconds().abs() <= 5, "{last} vs {first}");
    // Not given in the last 30 days, but the last use is still shown.
    let line = row(&usage["entries"], PASPOORT).expect("paspoort line");
    assert_eq!(line["answered"], 0);
    assert_eq!(line["last_used_at"], unused["last_used_at"]);
    // Never-used entries come first in the unused list.
    assert!(
        usage["unused"][0]["last_used_at"].is_null(),
        "{}",
        usage["unused"]
    );

    say(&app, "31600000022", "wamid.OLD2", QUESTION).await;
    let (_, usage) = get(&app, "/api/knowledge/usage", Some(&editor)).await;
    assert!(row(&usage["unused"], PASPOORT).is_none(), "given again");
    assert_eq!(
        row(&usage["entries"], PASPOORT).expect("line")["answered"],
        1
    );
    // An explicit period that covers both uses.
    let (_, both) = get(&app, "/api/knowledge/usage?since=2026-11-01", Some(&editor)).await;
    assert_eq!(
        row(&both["entries"], PASPOORT).expect("line")["answered"],
        2
    );
}
}

/// Where the refused question's personal data would show if unmasked.
const GAP_SECRET: &str = "111222333";

#[tokio::test]
async fn an_editor_sees_the_gaps_and_the_usage_in_a_real_browser() {
    let Some(chromium) = crate::browser::chromium_or_skip() else {
        return;
    };
    let app = spawn_app_at(tuesday_morning()).await;
    say(&app, "31600000031", "wamid.BR1", QUESTION).await;
    say(
        &app,
        "31600000032",
        "wamid.BR2",
        &format!("Wat vinden jullie van de nieuwe kermis? bsn {GAP_SECRET}"),
    )
    .await;
    // The same question in other words (one group with the one above),
    // and another subject (a group of its own) with markup the page must
    // show as text.
    say(
        &app,
        "31600000033",
        "wamid.BR3",
        "wat vinden jullie nou van de nieuwe kermis",
    )
    .await;
    say(
        &app,
        "31600000034",
        "wamid.BR4",
        "hoe laat begint de <b>optocht</b> van sinterklaas",
    )
    .await;
    app.eventually("three unanswered questions recorded", || async {
        app.store()
            .gaps(app.clock.now() - chrono::Duration::hours(1))
            .await
            .is_ok_and(|gaps| gaps.len() == 3)
    })
    .await;
    loket::accounts::create(app.store(), "eva", Role::Editor, PASSWORD, app.clock.now())
        .await
        .expect("editor account");

    let screenshot = std::env::var_os("LOKET_EDITORS_SCREENSHOT")
        .unwrap_or_else(|| std::env::temp_dir().join("loket-editors.png").into());
    let mut command = std::process::Command::new("node");
    command.arg("editors.mjs").envs([
        ("BASE_URL", app.url("").as_ref()),
        ("LOKET_USER", "eva".as_ref()),
        ("LOKET_PASSWORD", PASSWORD.as_ref()),
        ("LOKET_GAP_TEXT", "kermis".as_ref()),
        ("LOKET_GAP_SECRET", GAP_SECRET.as_ref()),
        ("LOKET_OTHER_GAP_TEXT", "optocht".as_ref()),
        ("LOKET_ANSWERED_ID", PASPOORT.as_ref()),
        ("LOKET_CHROMIUM", chromium.as_os_str()),
        ("LOKET_SCREENSHOT", screenshot.as_os_str()),
    ]);
    let output = crate::browser::run_script(
        command,
        Duration::from_secs(180),
        "the editors' browser test",
    )
    .await;
    println!("{output}");
}
