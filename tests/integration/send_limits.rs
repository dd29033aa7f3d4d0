//! Sending within Meta's limits: our own throughput and pair limiters, and
//! back-off on Meta's 130429 (throughput) and 131056 (pair rate) without
//! losing or reordering a conversation's replies.

use crate::helpers::*;
use loket::config::HumanDuration;
use loket_testkit::payload;
use std::collections::HashMap;
use std::time::Duration;

const TS: i64 = 1_763_759_700;
const QUESTIONS: [&str; 3] = [
    "wanneer wordt mijn uitkering betaald",
    "wat kost een paspoort",
    "hoe vraag ik een parkeervergunning aan",
];

fn no_receipts_and_no_own_limits(s: &mut loket::config::Settings) {
    s.whatsapp.mark_as_read = false;
    s.outbox.send_rate = 1000;
    s.outbox.pair_burst = 1000;
}

/// One webhook POST with every question from `citizen`.
fn questions_from(citizen: &str, tag: &str) -> String {
    let values: Vec<_> = QUESTIONS
        .iter()
        .enumerate()
        .map(|(i, q)| payload::text_value(citizen, &format!("wamid.{tag}.{i}"), q, TS + i as i64))
        .collect();
    payload::batch(&values)
}

/// The texts the fake accepted per recipient, in arrival order.
fn texts_by_recipient(app: &TestApp) -> HashMap<String, Vec<String>> {
    let mut by = HashMap::<String, Vec<String>>::new();
    for request in app.graph.sent_messages() {
        by.entry(request.recipient().unwrap_or_default().to_owned())
            .or_default()
            .push(request.text().unwrap_or_default().to_owned());
    }
    by
}

/// The texts the outbox holds for the citizen's conversation, in the order
/// they were queued (the order the citizen must read them in).
async fn queued_texts(app: &TestApp, citizen: &str) -> Vec<String> {
    let conversations = app.store().conversations(100).await.expect("list");
    let conversation = conversations
        .iter()
        .find(|c| {
            c.citizen
                .wa_id
                .as_ref()
                .is_some_and(|w| w.as_str() == citizen)
        })
        .expect("the citizen has a conversation");
    app.store()
        .deliveries(conversation.id)
        .await
        .expect("deliveries")
        .iter()
        .map(|d| {
            let body = loket::whatsapp::client::request_body(&d.message).expect("body");
            body.pointer("/text/body")
                .or_else(|| body.pointer("/interactive/body/text"))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn metas_pair_rate_error_131056_backs_off_and_keeps_the_order() {
    let app = spawn_app_with(tuesday_morning(), no_receipts_and_no_own_limits).await;
    app.graph
        .set_pair_limit(Some((2, Duration::from_millis(500))));
    let response = app.post_webhook(&questions_from(CITIZEN, "pair")).await;
    assert_eq!(response.status(), 200);
    // Three answers, each followed by its "did this help?" buttons.
    let sent = app.wait_for_sent(6).await;
    assert_eq!(sent.len(), 6, "nothing lost, nothing doubled: {sent:?}");
    assert!(
        app.graph.rejected().iter().any(|r| r.code == Some(131056)),
        "Meta's pair limit was hit, so the back-off was exercised"
    );
    assert_eq!(sent, queued_texts(&app, CITIZEN).await, "in queue order");
}

#[tokio::test]
async fn metas_throughput_error_130429_backs_off_and_keeps_each_conversations_order() {
    let app = spawn_app_with(tuesday_morning(), no_receipts_and_no_own_limits).await;
    app.graph.set_rate_limit(Some(3));
    let citizens = ["31600000011", "31600000012", "31600000013"];
    for (i, citizen) in citizens.iter().enumerate() {
        let body = questions_from(citizen, &format!("tp{i}"));
        assert_eq!(app.post_webhook(&body).await.status(), 200);
    }
    let sent = app.wait_for_sent(18).await;
    assert_eq!(sent.len(), 18, "{sent:?}");
    assert!(
        app.graph.rejected().iter().any(|r| r.code == Some(130429)),
        "Meta's throughput limit was hit"
    );
    let by = texts_by_recipient(&app);
    for citizen in citizens {
        assert_eq!(
            by.get(citizen).cloned().unwrap_or_default(),
            queued_texts(&app, citizen).await,
            "{citizen}: every reply once, in queue order"
        );
    }
}

#[tokio::test]
async fn our_pair_limiter_keeps_below_metas_pair_rate() {
    let app = spawn_app_with(tuesday_morning(), |s| {
        no_receipts_and_no_own_limits(s);
        s.outbox.pair_burst = 2;
        s.outbox.pair_interval = HumanDuration(Duration::from_millis(400));
    })
    .await;
    // Meta's pair limit here is twice what we allow ourselves.
    app.graph
        .set_pair_limit(Some((4, Duration::from_millis(400))));
    let response = app.post_webhook(&questions_from(CITIZEN, "own")).await;
    assert_eq!(response.status(), 200);
    let sent = app.wait_for_sent(6).await;
    assert_eq!(sent, queued_texts(&app, CITIZEN).await);
    assert_eq!(
        app.graph.failed_requests(),
        0,
        "we held back instead of being refused: {:?}",
        app.graph.rejected()
    );
}
