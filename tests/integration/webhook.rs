//! The webhook endpoint: handshake, signatures, limits, message types,
//! statuses, deduplication.

use crate::helpers::*;
use loket::db::CountedTable;
use loket_testkit::payload;

on_both_databases! {
#[tokio::test]
async fn metas_verification_handshake_echoes_the_challenge() {
    let app = spawn_app_at(tuesday_morning()).await;
    let ok = app
        .http
        .get(app.url("/webhooks/whatsapp"))
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", VERIFY_TOKEN),
            ("hub.challenge", "1158201444"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    assert_eq!(ok.text().await.expect("body"), "1158201444");

    for (mode, token) in [("subscribe", "wrong-token"), ("unsubscribe", VERIFY_TOKEN)] {
        let refused = app
            .http
            .get(app.url("/webhooks/whatsapp"))
            .query(&[
                ("hub.mode", mode),
                ("hub.verify_token", token),
                ("hub.challenge", "1158201444"),
            ])
            .send()
            .await
            .expect("request");
        assert_eq!(refused.status(), 403, "mode {mode}, token {token}");
    }
    let bare = app
        .http
        .get(app.url("/webhooks/whatsapp"))
        .send()
        .await
        .expect("request");
    assert_eq!(bare.status(), 403);
}
}

on_both_databases! {
#[tokio::test]
async fn verification_is_refused_when_no_verify_token_is_configured() {
    let app = spawn_app_with(tuesday_morning(), |s| s.secrets.verify_token = None).await;
    let refused = app
        .http
        .get(app.url("/webhooks/whatsapp"))
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", ""),
            ("hub.challenge", "42"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 403);
}
}

on_both_databases! {
#[tokio::test]
async fn a_missing_or_wrong_signature_gives_401_and_stores_nothing() {
    let app = spawn_app_at(tuesday_morning()).await;
    let body = payload::text_message(CITIZEN, "wamid.sig1", "Hallo", 1_763_750_000);
    let missing = app.post_webhook_raw(body.clone().into_bytes(), None).await;
    assert_eq!(missing.status(), 401);
    let wrong_secret = sign_with("not-the-secret", &body);
    assert_eq!(
        app.post_webhook_raw(body.clone().into_bytes(), Some(&wrong_secret))
            .await
            .status(),
        401
    );
    let garbage = app
        .post_webhook_raw(body.clone().into_bytes(), Some("sha256=zz"))
        .await;
    assert_eq!(garbage.status(), 401);
    // Signed correctly, then one byte changed.
    let good = sign_with(APP_SECRET, &body);
    let tampered = body.replace("Hallo", "Hallp");
    assert_eq!(
        app.post_webhook_raw(tampered.into_bytes(), Some(&good))
            .await
            .status(),
        401
    );
    assert_eq!(
        app.store()
            .count(CountedTable::Inbound)
            .await
            .expect("count"),
        0
    );

    assert_eq!(app.post_webhook(&body).await.status(), 200);
    assert_eq!(
        app.store()
            .count(CountedTable::Inbound)
            .await
            .expect("count"),
        1
    );
}
}

fn sign_with(secret: &str, body: &str) -> String {
    loket::whatsapp::signature::sign_body(secret.as_bytes(), body.as_bytes())
}

on_both_databases! {
#[tokio::test]
async fn the_signature_is_checked_over_the_raw_escaped_bytes() {
    let app = spawn_app_at(tuesday_morning()).await;
    let body = fixture("text_unicode_escaped.json");
    assert!(body.contains("\\u"), "the fixture keeps Meta's \\u escapes");
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    assert_eq!(
        app.store()
            .count(CountedTable::Inbound)
            .await
            .expect("count"),
        1
    );
}
}

on_both_databases! {
#[tokio::test]
async fn an_oversized_body_gives_413_and_stores_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(tuesday_morning(), |s| {
        s.webhook.max_body_bytes = 3 * 1024 * 1024
    })
    .await;
    let padding = "x".repeat(3 * 1024 * 1024 + 10);
    let body = payload::text_message(CITIZEN, "wamid.big", &padding, 1_763_750_000);
    let signature = sign_with(APP_SECRET, &body);
    // A raw connection: the service answers 413 from the Content-Length
    // alone, and may close before a client finished writing the body.
    let address = app.url("").trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let head = format!(
        "POST /webhooks/whatsapp HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    // Part of the body; the rest may be refused with a broken pipe, which is fine.
    let _ = stream.write_all(&body.as_bytes()[..64 * 1024]).await;
    let mut response = vec![0u8; 256];
    let read = stream.read(&mut response).await.expect("read response");
    let status_line = String::from_utf8_lossy(&response[..read]);
    assert!(
        status_line.starts_with("HTTP/1.1 413"),
        "got {status_line:?}"
    );
    assert_eq!(
        app.store()
            .count(CountedTable::Inbound)
            .await
            .expect("count"),
        0
    );
}
}

on_both_databases! {
#[tokio::test]
async fn the_default_limit_admits_metas_largest_batch() {
    let app = spawn_app_at(tuesday_morning()).await;
    // 1,000 messages of ~2.9 KB each: about 3 MB in one POST, like Meta's biggest batches.
    let text = "a".repeat(2_700);
    let messages: Vec<serde_json::Value> = (0..1000)
        .map(|i| {
            payload::text_value(
                &format!("3160000{i:04}"),
                &format!("wamid.batch{i}"),
                &text,
                1_763_750_000,
            )
        })
        .collect();
    let body = payload::batch(&messages);
    assert!(body.len() > 2_900_000, "batch is {} bytes", body.len());
    let response = app.post_webhook(&body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.store()
            .count(CountedTable::Inbound)
            .await
            .expect("count"),
        1000
    );
}
}

on_both_databases! {
#[tokio::test]
async fn malformed_json_with_a_valid_signature_gives_400() {
    let app = spawn_app_at(tuesday_morning()).await;
    for body in [
        "{not json",
        "[]",
        "",
        "{\"object\":\"whatsapp_business_account\",\"entry\":5}",
    ] {
        let response = app.post_webhook(body).await;
        assert_eq!(response.status(), 400, "body {body:?}");
    }
    assert_eq!(
        app.store()
            .count(CountedTable::Inbound)
            .await
            .expect("count"),
        0
    );
    // The service is still fine afterwards.
    let ok = app
        .post_webhook(&payload::text_message(
            CITIZEN,
            "wamid.after",
            "Hallo",
            1_763_750_000,
        ))
        .await;
    assert_eq!(ok.status(), 200);
}
}

on_both_databases! {
#[tokio::test]
async fn every_message_type_is_accepted_and_stored() {
    let app = spawn_app_at(tuesday_morning()).await;
    let fixtures = [
        ("text.json", "text"),
        ("image.json", "image"),
        ("audio.json", "audio"),
        ("video.json", "video"),
        ("document.json", "document"),
        ("sticker.json", "sticker"),
        ("location.json", "location"),
        ("contacts.json", "contacts"),
        ("interactive_button_reply.json", "interactive"),
        ("interactive_list_reply.json", "interactive"),
        ("button.json", "button"),
        ("reaction.json", "reaction"),
        ("order.json", "order"),
        ("system.json", "system"),
        ("unsupported.json", "unsupported"),
        ("unknown_future_type.json", "unsupported"),
        ("bsuid_only_text.json", "text"),
    ];
    for (name, kind) in fixtures {
        let response = app.post_webhook(&fixture(name)).await;
        assert_eq!(response.status(), 200, "{name}");
        let batch =
            loket::whatsapp::webhook::parse_webhook(fixture(name).as_bytes(), tuesday_morning())
                .expect("fixture parses");
        assert_eq!(batch.messages.len(), 1, "{name} holds one message");
        assert_eq!(batch.messages[0].content.kind_name(), kind, "{name}");
    }
    assert_eq!(
        app.store()
            .count(CountedTable::Inbound)
            .await
            .expect("count"),
        i64::try_from(fixtures.len()).expect("small")
    );
}
}

on_both_databases! {
#[tokio::test]
async fn a_batch_with_many_entries_stores_every_message_and_skips_the_broken_one() {
    // The fixture's statuses are from January; the purge at start-up would
    // rightly remove statuses that old (of messages not ours) if it ran
    // after the POST, which on a slower database it sometimes does.
    let app = spawn_app_with(tuesday_morning(), |s| {
        s.privacy.retention = loket::config::HumanDuration(std::time::Duration::from_secs(400 * 24 * 3600));
    })
    .await;
    let body = fixture("batch_many.json");
    let expected = loket::whatsapp::webhook::parse_webhook(body.as_bytes(), tuesday_morning())
        .expect("parses");
    assert!(
        expected.messages.len() >= 2,
        "the batch fixture holds several messages"
    );
    assert!(
        !expected.skipped.is_empty(),
        "the batch fixture holds a broken part"
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    assert_eq!(
        app.store()
            .count(CountedTable::Inbound)
            .await
            .expect("count"),
        i64::try_from(expected.messages.len()).expect("small")
    );
    assert_eq!(
        app.store()
            .count(CountedTable::Statuses)
            .await
            .expect("count"),
        i64::try_from(expected.statuses.len()).expect("small")
    );
}
}

on_both_databases! {
#[tokio::test]
async fn the_same_message_delivered_twice_is_stored_and_answered_once() {
    let app = spawn_app_at(saturday_night()).await;
    let body = payload::text_message(
        CITIZEN,
        "wamid.twice",
        "Waarom is mijn uitkering nog niet binnen?",
        1_763_759_700,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let sent = app.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "one acknowledgement, got {sent:?}");
    assert_eq!(app.graph.read_receipts().len(), 1, "one read receipt");
    assert_eq!(
        app.store()
            .count(CountedTable::Inbound)
            .await
            .expect("count"),
        1
    );
}
}

on_both_databases! {
#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app_at(tuesday_morning()).await;
    let alive = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(alive.status(), 200);
    let ready = app
        .http
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("request");
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.expect("body"), "ready");
}
}
