//! The Graph API client against the loopback fake (`loket_testkit`):
//! the JSON it posts for each kind of message, and how it sorts Meta's
//! errors, timeouts and dropped connections into retryable and permanent,
//! without leaking the token or personal data. Moved here from the
//! client's unit tests when the fake left the server crate (ADR 0019);
//! the tests of private helpers stay there.

use loket::domain::{
    CitizenRef, GraphErrorDetail, OutgoingContent, OutgoingMessage, ReplyButton, UserId, WaId,
    Wamid,
};
use loket::whatsapp::client::{
    GraphClient, GraphSettings, SendError, SendOutcome, Transport, preview, request_body,
};
use loket_testkit::fake_graph::{FakeGraphApi, FakeGraphConfig, Fault};
use secrecy::SecretString;
use serde_json::json;
use std::time::Duration;
const PHONE: &str = "31600000001";
const BSUID: &str = "NL.1502576394655843";

fn to_phone() -> CitizenRef {
    CitizenRef {
        wa_id: Some(WaId::parse(PHONE).expect("valid phone")),
        user_id: Some(UserId::parse(BSUID).expect("valid bsuid")),
    }
}

fn to_bsuid() -> CitizenRef {
    CitizenRef {
        wa_id: None,
        user_id: Some(UserId::parse(BSUID).expect("valid bsuid")),
    }
}

fn text(body: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: to_phone(),
        content: OutgoingContent::Text {
            body: body.to_owned(),
        },
    }
}

async fn fake() -> FakeGraphApi {
    FakeGraphApi::start(FakeGraphConfig::default())
        .await
        .expect("fake Graph API starts")
}

fn client_for(fake: &FakeGraphApi) -> GraphClient {
    GraphClient::new(fake.client_settings()).expect("client builds")
}

#[tokio::test]
async fn a_text_is_posted_with_the_bearer_token_and_meta_json_and_returns_the_wamid() {
    let fake = fake().await;
    let outcome = client_for(&fake)
        .send(&text("Goedemiddag, we helpen u zo."))
        .await
        .expect("sent");

    let sent = fake.sent_messages();
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.path, "/v23.0/123456789012345/messages");
    assert_eq!(request.bearer.as_deref(), Some("test-access-token"));
    assert_eq!(
        request.body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": PHONE,
            "type": "text",
            "text": { "body": "Goedemiddag, we helpen u zo.", "preview_url": false },
        })
    );
    let wamid = outcome.wamid.expect("a wamid");
    assert!(wamid.as_str().starts_with("wamid."));
    assert_eq!(request.wamid.as_deref(), Some(wamid.as_str()));
}

#[tokio::test]
async fn a_citizen_known_only_by_bsuid_is_addressed_with_recipient_and_no_to() {
    let fake = fake().await;
    let message = OutgoingMessage {
        to: to_bsuid(),
        content: OutgoingContent::Text { body: "Hoi".into() },
    };
    client_for(&fake).send(&message).await.expect("sent");

    let body = &fake.sent_messages()[0].body;
    assert_eq!(body["recipient"], json!(BSUID));
    assert!(body.get("to").is_none(), "no `to` for a BSUID: {body}");
}

#[tokio::test]
async fn buttons_become_an_interactive_button_message() {
    let fake = fake().await;
    let message = OutgoingMessage {
        to: to_phone(),
        content: OutgoingContent::Buttons {
            body: "Wilt u een medewerker spreken?".into(),
            buttons: vec![
                ReplyButton {
                    id: "staff_yes".into(),
                    title: "Ja".into(),
                },
                ReplyButton {
                    id: "staff_no".into(),
                    title: "Nee".into(),
                },
            ],
        },
    };
    client_for(&fake).send(&message).await.expect("sent");

    let body = &fake.sent_messages()[0].body;
    assert_eq!(body["type"], json!("interactive"));
    assert_eq!(
        body["interactive"],
        json!({
            "type": "button",
            "body": { "text": "Wilt u een medewerker spreken?" },
            "action": { "buttons": [
                { "type": "reply", "reply": { "id": "staff_yes", "title": "Ja" } },
                { "type": "reply", "reply": { "id": "staff_no", "title": "Nee" } },
            ]},
        })
    );
}

#[tokio::test]
async fn a_template_carries_name_language_and_body_parameters() {
    let fake = fake().await;
    let message = OutgoingMessage {
        to: to_phone(),
        content: OutgoingContent::Template {
            name: "antwoord_klaar".into(),
            language: "nl".into(),
            body_parameters: vec!["Jan".into(), "12 mei".into()],
        },
    };
    let outcome = client_for(&fake).send(&message).await.expect("sent");

    assert!(outcome.wamid.is_some());
    let body = &fake.sent_messages()[0].body;
    assert_eq!(body["type"], json!("template"));
    assert_eq!(
        body["template"],
        json!({
            "name": "antwoord_klaar",
            "language": { "code": "nl" },
            "components": [{ "type": "body", "parameters": [
                { "type": "text", "text": "Jan" },
                { "type": "text", "text": "12 mei" },
            ]}],
        })
    );
}

#[test]
fn a_template_without_parameters_has_no_components() {
    let message = OutgoingMessage {
        to: to_phone(),
        content: OutgoingContent::Template {
            name: "hello_world".into(),
            language: "en_US".into(),
            body_parameters: vec![],
        },
    };
    let body = request_body(&message).expect("body");
    assert_eq!(
        body["template"],
        json!({ "name": "hello_world", "language": { "code": "en_US" } })
    );
}

#[tokio::test]
async fn mark_read_sends_a_read_status_and_returns_no_wamid() {
    let fake = fake().await;
    let message = OutgoingMessage {
        to: to_phone(),
        content: OutgoingContent::MarkRead {
            wamid: Wamid::parse("wamid.HBgLMzE2MDAwMDAwMDEVAgASGBQ=").expect("valid"),
        },
    };
    let outcome = client_for(&fake).send(&message).await.expect("sent");

    assert_eq!(outcome, SendOutcome { wamid: None });
    assert!(fake.sent_messages().is_empty());
    let receipts = fake.read_receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(
        receipts[0].body,
        json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.HBgLMzE2MDAwMDAwMDEVAgASGBQ=",
        })
    );
}

#[tokio::test]
async fn a_server_error_is_retryable_with_metas_code() {
    let fake = fake().await;
    fake.fail_next(1, Fault::ServerError);
    let error = client_for(&fake)
        .send(&text("Hallo"))
        .await
        .expect_err("fails");

    assert!(error.is_retryable(), "{error:?}");
    assert!(!error.is_auth_problem());
    assert_eq!(error.code(), Some(1));
    assert_eq!(fake.failed_requests(), 1);
    assert!(fake.sent_messages().is_empty());
}

#[tokio::test]
async fn a_throughput_limit_130429_is_retryable_even_with_http_400() {
    let fake = fake().await;
    fake.fail_next(1, Fault::RateLimited);
    let error = client_for(&fake)
        .send(&text("Hallo"))
        .await
        .expect_err("fails");

    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.code(), Some(130429));
    assert_eq!(fake.rejected()[0].status, Some(400));
}

#[tokio::test]
async fn a_pair_rate_limit_131056_is_retryable() {
    let fake = fake().await;
    fake.fail_next(1, Fault::PairRateLimited);
    let error = client_for(&fake)
        .send(&text("Hallo"))
        .await
        .expect_err("fails");
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.code(), Some(131056));
}

#[tokio::test]
async fn the_24_hour_window_error_131047_is_permanent_with_code_and_title() {
    let fake = fake().await;
    fake.fail_next(
        1,
        Fault::Permanent(131047, "Re-engagement message".to_owned()),
    );
    let error = client_for(&fake)
        .send(&text("Hallo"))
        .await
        .expect_err("fails");

    assert_eq!(
        error,
        SendError::Permanent {
            code: 131047,
            title: "Re-engagement message".to_owned(),
        }
    );
    assert_eq!(
        error.detail(),
        Some(GraphErrorDetail {
            code: 131047,
            title: "Re-engagement message".to_owned()
        })
    );
}

#[tokio::test]
async fn a_wrong_token_gives_401_and_190_which_is_retryable_and_an_auth_problem() {
    let fake = fake().await;
    let mut settings = fake.client_settings();
    settings.access_token = SecretString::from("not-the-right-token");
    let error = GraphClient::new(settings)
        .expect("client builds")
        .send(&text("Hallo"))
        .await
        .expect_err("fails");

    assert!(error.is_retryable(), "{error:?}");
    assert!(error.is_auth_problem());
    assert_eq!(error.code(), Some(190));
    assert_eq!(fake.rejected()[0].status, Some(401));
    assert!(fake.received().is_empty());
}

#[tokio::test]
async fn an_answer_slower_than_the_client_timeout_is_retryable() {
    let fake = fake().await;
    fake.fail_next(1, Fault::Delay(Duration::from_secs(3)));
    let mut settings = fake.client_settings();
    settings.timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let error = GraphClient::new(settings)
        .expect("client builds")
        .send(&text("Hallo"))
        .await
        .expect_err("times out");

    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(error.is_retryable(), "{error:?}");
    assert!(error.title().contains("timed out"), "{error}");
    // Meta may well have sent it: the fake recorded the request, which
    // is why the outbox must tolerate a duplicate after a timeout.
    assert_eq!(fake.sent_messages().len(), 1);
}

#[tokio::test]
async fn a_dropped_connection_is_retryable() {
    let fake = fake().await;
    fake.fail_next(1, Fault::Disconnect);
    let error = client_for(&fake)
        .send(&text("Hallo"))
        .await
        .expect_err("fails");
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.code(), None);
    assert_eq!(fake.failed_requests(), 1);
}

#[tokio::test]
async fn an_unreachable_graph_api_is_retryable() {
    // Bind and release a port so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let mut settings = GraphSettings::new("123456789012345", "token".into());
    settings.api_base = format!("http://127.0.0.1:{port}");
    let error = GraphClient::new(settings)
        .expect("client builds")
        .send(&text("Hallo"))
        .await
        .expect_err("fails");

    assert!(error.is_retryable(), "{error:?}");
    assert!(error.title().contains("connect"), "{error}");
}

#[tokio::test]
async fn a_retry_after_header_is_reported_to_the_caller() {
    let fake = fake().await;
    fake.fail_next(
        1,
        Fault::TooManyCalls {
            retry_after: Duration::from_secs(7),
        },
    );
    let error = client_for(&fake)
        .send(&text("Hallo"))
        .await
        .expect_err("fails");

    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.code(), Some(4));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn the_token_appears_neither_in_settings_debug_nor_in_any_error() {
    let secret = "EAAG-super-secret-token-123";
    let fake = FakeGraphApi::start(FakeGraphConfig {
        access_token: secret.to_owned(),
        ..FakeGraphConfig::default()
    })
    .await
    .expect("fake starts");
    let settings = fake.client_settings();
    assert!(!format!("{settings:?}").contains(secret));
    let client = GraphClient::new(settings).expect("client builds");
    assert!(!format!("{client:?}").contains(secret));

    let body = "Uw afspraak is op 12 mei om 10:00";
    let faults = [
        Fault::ServerError,
        Fault::RateLimited,
        Fault::Permanent(131026, format!("echoes {secret} and {body}")),
        Fault::Disconnect,
    ];
    for fault in faults {
        fake.fail_next(1, fault);
        let error = client.send(&text(body)).await.expect_err("fails");
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains(secret), "token leaked: {shown}");
            assert!(!shown.contains(body), "message text leaked: {shown}");
        }
    }
}

#[tokio::test]
async fn an_error_title_never_shows_the_recipients_number_or_other_personal_data() {
    let fake = fake().await;
    fake.fail_next(
        1,
        Fault::Permanent(
            131026,
            format!("{PHONE} cannot be reached; bsn 111222333, call +31 6 12345678"),
        ),
    );
    let error = client_for(&fake)
        .send(&text("Hallo"))
        .await
        .expect_err("fails");
    let shown = error.to_string();
    assert!(!shown.contains(PHONE), "{shown}");
    assert!(shown.contains("********001"), "{shown}");
    assert!(!shown.contains("111222333"), "{shown}");
    assert!(
        shown.contains("[BSN]") && shown.contains("[telefoon]"),
        "{shown}"
    );
}

#[tokio::test]
async fn the_log_transport_returns_a_synthetic_wamid_and_previews_the_bots_text() {
    let transport = Transport::from_settings(None).expect("log transport");
    assert_eq!(transport.describe(), "log (no WhatsApp credentials)");
    let outcome = transport.send(&text("Hallo")).await.expect("logged");
    let wamid = outcome.wamid.expect("synthetic wamid");
    assert!(wamid.as_str().starts_with("log."), "{wamid}");

    let other = transport.send(&text("Hallo")).await.expect("logged");
    assert_ne!(other.wamid, Some(wamid), "each synthetic wamid is fresh");
    assert_eq!(
        preview(&OutgoingContent::Buttons {
            body: "Medewerker?".into(),
            buttons: vec![ReplyButton {
                id: "y".into(),
                title: "Ja".into()
            }],
        }),
        "Medewerker? [Ja]"
    );
}
