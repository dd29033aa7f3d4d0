//! Sending through the outbox: retries, permanent errors, restarts and
//! Meta's status callbacks.

use crate::helpers::*;
use loket::db::{CountedTable, StoredInbound};
use loket_testkit::fake_graph::Fault;
use loket_testkit::payload;

const TS: i64 = 1_763_759_700;

fn without_read_receipts(s: &mut loket::config::Settings) {
    s.whatsapp.mark_as_read = false;
}

on_both_databases! {
#[tokio::test]
async fn a_graph_api_failing_with_500_then_recovering_delivers_exactly_one_reply() {
    let app = spawn_app_with(saturday_night(), without_read_receipts).await;
    app.graph.fail_next(3, Fault::ServerError);
    let body = payload::text_message(CITIZEN, "wamid.retry", "Hallo", TS);
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let sent = app.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "exactly one delivered reply: {sent:?}");
    assert_eq!(
        app.graph.failed_requests(),
        3,
        "three failed attempts before success"
    );
    let conversation = &app.store().conversations(1).await.expect("list")[0];
    let deliveries = app
        .store()
        .deliveries(conversation.id)
        .await
        .expect("deliveries");
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].state, "sent");
    assert_eq!(deliveries[0].attempts, 4);
    assert!(
        deliveries[0]
            .wamid
            .as_deref()
            .is_some_and(|w| w.starts_with("wamid."))
    );
}
}

on_both_databases! {
#[tokio::test]
async fn rate_limits_are_retried_until_they_pass() {
    let app = spawn_app_with(saturday_night(), without_read_receipts).await;
    app.graph.fail_next(2, Fault::RateLimited);
    let body = payload::text_message(CITIZEN, "wamid.ratelimit", "Hallo", TS);
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let sent = app.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(app.graph.failed_requests(), 2);
}
}

on_both_databases! {
#[tokio::test]
async fn a_permanent_error_is_recorded_with_metas_code_and_title() {
    let app = spawn_app_with(saturday_night(), without_read_receipts).await;
    app.graph.fail_next(
        1,
        Fault::Permanent(131_026, "Message undeliverable".to_owned()),
    );
    let body = payload::text_message(CITIZEN, "wamid.perm", "Hallo", TS);
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    app.eventually("the reply is marked failed", || async {
        let Ok(conversations) = app.store().conversations(1).await else {
            return false;
        };
        let Some(conversation) = conversations.first() else {
            return false;
        };
        app.store()
            .deliveries(conversation.id)
            .await
            .is_ok_and(|d| d.first().is_some_and(|row| row.state == "failed"))
    })
    .await;
    let conversation = &app.store().conversations(1).await.expect("list")[0];
    let row = &app
        .store()
        .deliveries(conversation.id)
        .await
        .expect("deliveries")[0];
    assert_eq!(row.error_code, Some(131_026));
    assert_eq!(row.error_title.as_deref(), Some("Message undeliverable"));
    assert_eq!(row.attempts, 1, "a permanent error is not retried");
    assert!(app.graph.sent_messages().is_empty());
}
}

on_both_databases! {
#[tokio::test]
async fn pending_replies_are_delivered_after_a_restart() {
    let mut app = spawn_app_with(saturday_night(), without_read_receipts).await;
    app.graph.fail_next(1_000, Fault::ServerError);
    let body = payload::text_message(CITIZEN, "wamid.restart", "Hallo", TS);
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    app.eventually("a send was attempted", || async {
        app.graph.failed_requests() > 0
    })
    .await;
    app.stop().await;
    app.graph.clear();
    assert!(app.graph.sent_messages().is_empty());

    app.restart().await;
    let sent = app.wait_for_sent(1).await;
    assert_eq!(
        sent.len(),
        1,
        "the pending reply went out once after the restart: {sent:?}"
    );
    assert_eq!(
        app.store()
            .count(CountedTable::PendingOutbox)
            .await
            .expect("count"),
        0
    );
}
}

on_both_databases! {
#[tokio::test]
async fn stored_but_unprocessed_messages_are_answered_after_a_restart() {
    let mut app = spawn_app_with(saturday_night(), without_read_receipts).await;
    app.stop().await;
    // Simulates a crash right after the 200: the message is stored, nothing else happened.
    {
        let store = loket::db::Store::connect(&app.settings.database_url)
            .await
            .expect("open");
        let batch = loket::whatsapp::webhook::parse_webhook(
            payload::text_message(CITIZEN, "wamid.crash", "Hallo", TS).as_bytes(),
            saturday_night(),
        )
        .expect("parses");
        let outcome = store
            .record_webhook(&batch, saturday_night())
            .await
            .expect("stored");
        assert_eq!(outcome.stored, 1);
        let pending: Vec<StoredInbound> = store.unprocessed_inbound(10).await.expect("read");
        assert_eq!(pending.len(), 1);
        store.close().await;
    }
    app.restart().await;
    let sent = app.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        app.store()
            .count(CountedTable::UnprocessedInbound)
            .await
            .expect("count"),
        0
    );
}
}

on_both_databases! {
#[tokio::test]
async fn status_callbacks_update_the_reply_they_refer_to() {
    let app = spawn_app_with(saturday_night(), without_read_receipts).await;
    let body = payload::text_message(CITIZEN, "wamid.status", "Hallo", TS);
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    app.wait_for_sent(1).await;
    let conversation = &app.store().conversations(1).await.expect("list")[0];
    let wamid = app.store().deliveries(conversation.id).await.expect("rows")[0]
        .wamid
        .clone()
        .expect("wamid stored");

    for status in ["sent", "read", "delivered"] {
        let callback = payload::status_update(&wamid, status, CITIZEN, TS + 5);
        assert_eq!(app.post_webhook(&callback).await.status(), 200);
    }
    let row = &app.store().deliveries(conversation.id).await.expect("rows")[0];
    assert_eq!(
        row.delivery_status.as_deref(),
        Some("read"),
        "a late 'delivered' does not undo 'read'"
    );

    let failed = fixture("status_failed.json")
        .replace("wamid.HBgLMzE2MDAwMDAwMDEVAgASGBQSTATUSFAILEDAA==", &wamid);
    assert!(
        failed.contains(&wamid),
        "the fixture's status now refers to our reply"
    );
    assert_eq!(app.post_webhook(&failed).await.status(), 200);
    let row = &app.store().deliveries(conversation.id).await.expect("rows")[0];
    assert_eq!(row.delivery_status.as_deref(), Some("failed"));
    assert_eq!(row.delivery_error_code, Some(131_047));
}
}
