//! The urgent alert: outside office hours nobody reads the queue, so an
//! urgent message (a cry for help) is also announced to the people on
//! call: a JSON POST to `LOKET_ALERT_URL` (a Teams or Slack incoming
//! webhook, an on-call pager). The post holds no message text and no
//! personal data, only a link into the staff page (by the conversation's
//! public id): whoever is on call signs in to read it.
//!
//! Sent after the message is stored and processed, in the background: the
//! citizen's referral never waits for it, and a failed alert is logged
//! (without the secret address) and not retried.

use crate::domain::PublicId;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::time::Duration;

/// Longest wait for the alert's receiver.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The alert's body: Slack's and Teams' incoming webhooks both show
/// `text`; `conversation` and `url` are there for pagers and scripts.
pub fn body(conversation: &PublicId, staff_url: Option<&str>) -> Value {
    let path = format!("/staff/#gesprek-{conversation}");
    let url = match staff_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    };
    json!({
        "text": format!("Loket: een urgent bericht buiten kantooruren. Lees het in de staff-pagina: {url}"),
        "conversation": conversation.as_str(),
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
        let id = PublicId::parse("0123456789abcdef0123456789abcdef").expect("an id");
        let alert = body(&id, Some("https://loket.voorbeeldstad.nl/"));
        assert_eq!(
            alert["url"],
            "https://loket.voorbeeldstad.nl/staff/#gesprek-0123456789abcdef0123456789abcdef"
        );
        assert_eq!(alert["conversation"], "0123456789abcdef0123456789abcdef");
        assert_eq!(
            body(&id, None)["url"],
            "/staff/#gesprek-0123456789abcdef0123456789abcdef"
        );
    }
}
