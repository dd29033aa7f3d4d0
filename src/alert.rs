//! The urgent alert: outside office hours nobody reads the queue, so an
//! urgent message (a cry for help) is also announced to the people on
//! call: a JSON POST to `LOKET_ALERT_URL` (a Teams or Slack incoming
//! webhook, an on-call pager). The post holds no message text and no
//! personal data, only a link into the staff page: whoever is on call
//! signs in to read it.
//!
//! Sent after the message is stored and processed, in the background: the
//! citizen's referral never waits for it, and a failed alert is logged
//! (without the secret address) and not retried.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::time::Duration;

/// Longest wait for the alert's receiver.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The alert's body: Slack's and Teams' incoming webhooks both show
/// `text`; `conversation` and `url` are there for pagers and scripts.
pub fn body(conversation_id: i64, staff_url: Option<&str>) -> Value {
    let path = format!("/staff/#gesprek-{conversation_id}");
    let url = match staff_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    };
    json!({
        "text": format!("Loket: een urgent bericht buiten kantooruren (gesprek {conversation_id}). Lees het in de staff-pagina: {url}"),
        "conversation": conversation_id,
        "url": url,
    })
}

/// Posts `body` to `url` in the background.
pub fn spawn(url: &SecretString, body: Value) {
    let url = url.expose_secret().to_owned();
    tokio::spawn(async move {
        let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
            Ok(client) => client,
            Err(error) => {
                tracing::warn!(error = %error, "urgent alert: no HTTP client");
                return;
            }
        };
        match client.post(&url).json(&body).send().await {
            Ok(response) if response.status().is_success() => {
                tracing::info!(conversation.id = %body["conversation"], "urgent alert posted");
            }
            Ok(response) => tracing::warn!(
                status = response.status().as_u16(),
                conversation.id = %body["conversation"],
                "urgent alert refused by LOKET_ALERT_URL"
            ),
            Err(error) => tracing::warn!(
                error = %error.without_url(),
                conversation.id = %body["conversation"],
                "urgent alert could not be posted to LOKET_ALERT_URL"
            ),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_links_into_the_staff_page_and_holds_no_text() {
        let alert = body(42, Some("https://loket.voorbeeldstad.nl/"));
        assert_eq!(
            alert["url"],
            "https://loket.voorbeeldstad.nl/staff/#gesprek-42"
        );
        assert_eq!(alert["conversation"], 42);
        assert_eq!(body(7, None)["url"], "/staff/#gesprek-7");
    }
}
