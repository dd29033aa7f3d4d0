//! Per-answer usage for editors: answers given, "Ja, bedankt" and "Nee",
//! last used, counted through the real webhook; the counts are anonymous
//! and outlive the retention purge.

use crate::helpers::*;
use chrono::{DateTime, NaiveDate, Utc};
use loket::domain::Language;
use loket::knowledge::usage::FaqUsage;
use loket::whatsapp::payload;
use serde_json::json;
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
