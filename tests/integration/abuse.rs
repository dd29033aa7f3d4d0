//! A number that floods the service is stored in full but answered only up
//! to the per-minute limit.

use crate::helpers::*;
use loket_testkit::payload::text_message;

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
