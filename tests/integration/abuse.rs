//! A number that floods the service is stored in full but answered only up
//! to the per-minute limit, counted by the messages' own timestamps and
//! order; the flood hands the conversation to staff.

use crate::helpers::*;
use loket_testkit::payload::{batch, text_message, text_value};

/// A question the shipped knowledge base answers without handing over.
const ANSWERED: &str = "wat kost een paspoort";

/// The inbound messages that got a read receipt: those the bot answered
/// (the receipt goes out before each message's replies).
fn answered(app: &TestApp) -> Vec<String> {
    app.graph
        .read_receipts()
        .iter()
        .filter_map(|r| r.body.get("message_id").and_then(|v| v.as_str()))
        .map(str::to_owned)
        .collect()
}

on_both_databases! {
#[tokio::test]
async fn a_flooding_number_is_stored_but_answered_at_most_n_times_a_minute() {
    let app = spawn_app_with(tuesday_morning(), |s| s.privacy.auto_replies_per_minute = 4).await;
    let at = app.clock.now().timestamp();
    for n in 0..9 {
        let body = text_message(CITIZEN, &format!("wamid.FLOOD{n:03}"), "hallo", at);
        app.post_webhook(&body).await;
    }
    app.wait_until_processed().await;
    assert_eq!(
        app.store()
            .count(loket::db::CountedTable::Inbound)
            .await
            .expect("count"),
        9,
        "nothing is dropped"
    );
    let texts = app.wait_for_sent(4).await;
    assert_eq!(
        texts.len(),
        4,
        "only the first four got an automatic reply: {texts:?}"
    );

    // Another citizen is not affected.
    let body = text_message("31600000002", "wamid.FLOODOTHER", "hallo", at);
    app.post_webhook(&body).await;
    let texts = app.wait_for_sent(5).await;
    assert_eq!(texts.len(), 5);
}
}

on_both_databases! {
#[tokio::test]
async fn eleven_messages_in_one_post_get_the_first_answered_and_reach_the_queue() {
    let app = spawn_app_at(tuesday_morning()).await;
    let limit = app.settings.privacy.auto_replies_per_minute as usize;
    assert_eq!(limit, 10, "the shipped limit this test is about");
    let at = app.clock.now().timestamp();
    // One POST, one second: the arrival time cannot tell them apart.
    let wamids: Vec<String> = (0..11).map(|n| format!("wamid.ONEPOST{n:03}")).collect();
    let values: Vec<_> = wamids
        .iter()
        .map(|wamid| text_value(CITIZEN, wamid, ANSWERED, at))
        .collect();
    let response = app.post_webhook(&batch(&values)).await;
    assert!(response.status().is_success(), "{}", response.status());
    app.wait_until_settled().await;

    let answered = answered(&app);
    assert_eq!(
        answered,
        wamids[..limit],
        "the first ten are answered, in order, and the eleventh is not"
    );
    let texts = app.sent_texts();
    assert!(!texts.is_empty(), "the first message got its answer");
    assert!(
        app.graph
            .sent_messages()
            .iter()
            .all(|m| m.recipient() == Some(CITIZEN)),
        "every reply goes to the citizen"
    );

    // The flood handed the conversation to a person, who sees why.
    let queue = app.store().queue().await.expect("the queue");
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0].state, loket::domain::ConversationState::Queued);
    assert_eq!(queue[0].reason.as_deref(), Some("flood"));
    assert!(queue[0].deadline.is_some(), "{:?}", queue[0]);
    assert_eq!(
        app.store()
            .count(loket::db::CountedTable::Inbound)
            .await
            .expect("count"),
        11,
        "every message is stored for staff to read"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn messages_spread_over_minutes_in_one_post_are_all_answered() {
    let app = spawn_app_at(tuesday_morning()).await;
    let now = app.clock.now().timestamp();
    // Twelve messages, 20 seconds apart over four minutes, delivered late
    // and all at once (as Meta does after an outage): four per minute.
    let wamids: Vec<String> = (0..12).map(|n| format!("wamid.SPREAD{n:03}")).collect();
    let values: Vec<_> = wamids
        .iter()
        .zip(0i64..)
        .map(|(wamid, n)| text_value(CITIZEN, wamid, ANSWERED, now - 240 + 20 * n))
        .collect();
    let response = app.post_webhook(&batch(&values)).await;
    assert!(response.status().is_success(), "{}", response.status());
    app.wait_until_settled().await;

    assert_eq!(answered(&app), wamids, "every message answered, in order");
    assert!(
        app.sent_texts().len() >= wamids.len(),
        "at least one reply each: {:?}",
        app.sent_texts()
    );
    let queue = app.store().queue().await.expect("the queue");
    assert!(queue.is_empty(), "no flood, nothing for staff: {queue:?}");
}
}

on_both_databases! {
#[tokio::test]
async fn deep_json_and_huge_headers_are_refused_without_harm() {
    let app = spawn_app_at(tuesday_morning()).await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let response = app.post_webhook(&deep).await;
    assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST);

    let huge = "x".repeat(64 * 1024);
    let refused = app
        .http
        .get(app.url("/healthz"))
        .header("x-padding", huge)
        .send()
        .await;
    match refused {
        Ok(response) => assert!(
            response.status().is_client_error(),
            "a 64 KiB header got {}",
            response.status()
        ),
        // The server may also just close the connection.
        Err(error) => assert!(
            error.is_request() || error.is_connect() || error.is_body(),
            "{error}"
        ),
    }
    // Still serving.
    let alive = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("alive");
    assert!(alive.status().is_success());
}
}
