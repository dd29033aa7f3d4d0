//! Personal data in a message: the citizen is asked once per conversation
//! not to share it on WhatsApp. All numbers are fictional.

use crate::helpers::*;
use loket_testkit::payload;

const TS: i64 = 1_763_759_700;

on_both_databases! {
#[tokio::test]
async fn a_bsn_in_a_message_gets_one_privacy_warning_per_conversation() {
    let app = spawn_app_at(saturday_night()).await;
    let body = payload::text_message(
        CITIZEN,
        "wamid.pii1",
        "Hoi, mijn bsn is 111222333. Waarom is mijn uitkering nog niet betaald?",
        TS,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let sent = app.wait_for_sent(2).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0].starts_with("Let op"), "{}", sent[0]);
    assert!(sent[0].contains("BSN"), "{}", sent[0]);
    assert!(sent[1].contains("We zijn nu gesloten"), "{}", sent[1]);

    // More personal data in the same conversation: no second warning (and
    // no second acknowledgement in the same closed period).
    let body = payload::text_message(
        CITIZEN,
        "wamid.pii2",
        "Mijn rekening is NL91 ABNA 0417 1643 00, mail me op test@voorbeeldstad.nl",
        TS + 60,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    app.wait_until_processed().await;
    let sent = app.wait_for_sent(2).await;
    assert_eq!(sent.len(), 2, "no second warning: {sent:?}");
}
}

on_both_databases! {
#[tokio::test]
async fn logs_hold_neither_message_text_nor_full_phone_numbers() {
    captured_logs();
    const NUMBER: &str = "31600000777";
    const WORDS: &str = "Geheimzinnige-kortingscode";
    // Once through the Graph API (with a failed send), once through the
    // log transport that prints the bot's replies.
    for graph in [true, false] {
        let app = spawn_app_with(saturday_night(), |s| {
            if !graph {
                s.secrets.access_token = None;
            }
        })
        .await;
        if graph {
            app.graph.fail_next(
                1,
                loket_testkit::fake_graph::Fault::Permanent(
                    131026,
                    format!("Message undeliverable to {NUMBER}"),
                ),
            );
        }
        let text = format!("{WORDS}: mijn bsn is 111222333, waarom is mijn aanslag zo hoog?");
        let body = payload::text_message(NUMBER, &format!("wamid.log{graph}"), &text, TS);
        assert_eq!(app.post_webhook(&body).await.status(), 200);
        // A message without id is skipped; a status names the recipient.
        let broken = body.replace(&format!("\"id\":\"wamid.log{graph}\","), "");
        assert_eq!(app.post_webhook(&broken).await.status(), 200);
        let status = payload::status_update("wamid.unknown", "failed", NUMBER, TS);
        assert_eq!(app.post_webhook(&status).await.status(), 200);
        app.wait_until_processed().await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let logs = String::from_utf8_lossy(&captured_logs().lock().expect("logs").clone()).into_owned();
    assert!(logs.contains("webhook stored"), "the logs were captured");
    assert!(logs.contains("would send"), "the log transport ran");
    assert!(
        logs.contains("send failed permanently"),
        "the failed send was logged"
    );
    assert!(
        logs.contains("webhook: skipped"),
        "the skipped message was logged"
    );
    assert!(logs.contains("********777"), "numbers show masked");
    for secret in [NUMBER, WORDS, "111222333", "aanslag"] {
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
}
}
