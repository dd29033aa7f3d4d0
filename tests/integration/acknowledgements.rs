//! What citizens get back when a person must answer: an honest
//! acknowledgement with a concrete time, once per open or closed period, in
//! their language; the emergency rule. The messages here are questions
//! about the citizen's own case, which the bot never answers itself.

use crate::helpers::*;
use loket_testkit::payload;

const TS: i64 = 1_763_759_700;

on_both_databases! {
#[tokio::test]
async fn a_message_on_saturday_night_gets_the_closed_acknowledgement_with_mondays_deadline() {
    let app = spawn_app_at(saturday_night()).await;
    let body = payload::text_message(
        CITIZEN,
        "wamid.sat1",
        "Hoi, waarom is mijn aanslag zo hoog?",
        TS,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let sent = app.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("We zijn nu gesloten"), "{}", sent[0]);
    // Monday 23 November opens 08:30; the promise is 4 working hours.
    assert!(
        sent[0].contains("maandag 23 november om 12:30"),
        "{}",
        sent[0]
    );
    let request = &app.graph.sent_messages()[0];
    assert_eq!(request.body["to"], CITIZEN);
    assert_eq!(request.body["type"], "text");
}
}

on_both_databases! {
#[tokio::test]
async fn five_messages_in_a_row_get_one_acknowledgement() {
    let app = spawn_app_at(saturday_night()).await;
    for i in 0..5 {
        let body = payload::text_message(
            CITIZEN,
            &format!("wamid.five{i}"),
            &format!("Waarom is mijn uitkering nog niet binnen? ({i})"),
            TS + i,
        );
        assert_eq!(app.post_webhook(&body).await.status(), 200);
    }
    let sent = app.wait_for_sent(1).await;
    assert_eq!(
        sent.len(),
        1,
        "one acknowledgement for five messages: {sent:?}"
    );
    assert_eq!(
        app.graph.read_receipts().len(),
        5,
        "every message is marked read"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn during_office_hours_the_acknowledgement_gives_the_usual_answer_time() {
    let app = spawn_app_at(tuesday_morning()).await;
    let body = payload::text_message(
        CITIZEN,
        "wamid.open1",
        "Mijn aanvraag voor bijzondere bijstand is afgewezen, wat nu?",
        TS,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let sent = app.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("meestal binnen een uur"), "{}", sent[0]);
    assert!(
        sent[0].contains("vandaag om 14:30"),
        "10:00 + 4 working hours with a lunch break: {}",
        sent[0]
    );
}
}

on_both_databases! {
#[tokio::test]
async fn an_english_message_gets_an_english_acknowledgement() {
    let app = spawn_app_at(saturday_night()).await;
    let body = payload::text_message(
        CITIZEN,
        "wamid.en1",
        "Hello, why is my tax bill so high this year?",
        TS,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let sent = app.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("We are closed"), "{}", sent[0]);
    assert!(
        sent[0].contains("Monday 23 November at 12:30"),
        "{}",
        sent[0]
    );
}
}

on_both_databases! {
#[tokio::test]
async fn an_emergency_gets_the_referral_first_and_is_marked_urgent() {
    let app = spawn_app_at(saturday_night()).await;
    let body = payload::text_message(
        CITIZEN,
        "wamid.sos",
        "Het is spoed, mijn buurman is gevallen",
        TS,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let sent = app.wait_for_sent(1).await;
    // One message: the referral, and an honest word on when a person reads
    // it. At night nobody does until Monday, so nothing promises more.
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("112"), "referral first: {}", sent[0]);
    assert!(
        sent[0].contains("gesloten") && sent[0].contains("maandag 23 november om 08:30"),
        "says when a person reads it: {}",
        sent[0]
    );
    assert!(!sent[0].contains("doorgezet"), "{}", sent[0]);
    let conversations = app.store().conversations(10).await.expect("list");
    assert_eq!(conversations.len(), 1);
    assert!(conversations[0].urgent);
}
}

on_both_databases! {
#[tokio::test]
async fn a_citizen_known_only_by_a_business_scoped_id_is_answered_through_it() {
    let app = spawn_app_at(saturday_night()).await;
    let body = payload::bsuid_text_message(
        "NL.1502576394655843",
        "voorbeeld.inwoner",
        "wamid.bsuid1",
        "Hallo",
        TS,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let sent = app.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let request = &app.graph.sent_messages()[0];
    assert_eq!(request.body["recipient"], "NL.1502576394655843");
    assert!(
        request.body.get("to").is_none(),
        "no phone number to send to"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn a_reaction_is_stored_but_not_acknowledged() {
    let app = spawn_app_at(saturday_night()).await;
    assert_eq!(
        app.post_webhook(&fixture("reaction.json")).await.status(),
        200
    );
    app.wait_until_processed().await;
    let sent = app.wait_for_sent(0).await;
    assert!(
        sent.is_empty(),
        "no acknowledgement for a reaction: {sent:?}"
    );
}
}

/// A loopback receiver of one HTTP POST: returns its address and the body
/// it got. Stands in for a Teams or Slack incoming webhook.
async fn alert_receiver() -> (String, tokio::sync::oneshot::Receiver<serde_json::Value>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}/hook", listener.local_addr().expect("address"));
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let Ok(n) = socket.read(&mut buffer).await else {
                return;
            };
            if n == 0 {
                return;
            }
            request.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&request).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .and_then(|v| v.trim().parse::<usize>().ok())
                    })
                    .unwrap_or(0);
                if request.len() >= end + 4 + length {
                    let body: serde_json::Value =
                        serde_json::from_slice(&request[end + 4..end + 4 + length])
                            .unwrap_or_default();
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    let _ = tx.send(body);
                    return;
                }
            }
        }
    });
    (address, rx)
}

/// Outside office hours an urgent message is also announced to
/// `LOKET_ALERT_URL`, with a link into the staff page and no message text.
#[tokio::test]
async fn an_urgent_message_at_night_is_announced_without_its_text() {
    let (address, received) = alert_receiver().await;
    let app = spawn_app_with(saturday_night(), |settings| {
        settings.alert_url = Some(address.clone().into());
        settings.emergency.staff_url = Some("https://loket.voorbeeldstad.nl".to_owned());
    })
    .await;
    let body = payload::text_message(
        CITIZEN,
        "wamid.sos-alert",
        "er is brand in de flat, help",
        TS,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let alert = tokio::time::timeout(std::time::Duration::from_secs(10), received)
        .await
        .expect("the alert arrives")
        .expect("a body");
    let url = alert["url"].as_str().unwrap_or_default();
    assert!(
        url.starts_with("https://loket.voorbeeldstad.nl/staff/#gesprek-"),
        "{alert}"
    );
    assert!(
        !alert.to_string().contains("brand"),
        "no message text: {alert}"
    );
}
