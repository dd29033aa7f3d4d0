//! Personal data in a message: the citizen is asked once per conversation
//! not to share it on WhatsApp. All numbers are fictional.

use crate::helpers::*;
use loket::whatsapp::payload;

const TS: i64 = 1_763_759_700;

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
        "Mijn rekening is NL91 ABNA 0417 1643 00, bel me op 06-12345678",
        TS + 60,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    app.eventually("the second message is processed", || async {
        app.store()
            .count(loket::db::CountedTable::UnprocessedInbound)
            .await
            .is_ok_and(|n| n == 0)
    })
    .await;
    let sent = app.wait_for_sent(2).await;
    assert_eq!(sent.len(), 2, "no second warning: {sent:?}");
}
