//! The website chat (issue 24): sessions, the citizen's messages as
//! inbound messages, and the abuse rules. A widget message becomes an
//! `InboundMessage` from the session's citizen and goes through the same
//! intake, processing and reply decision as a WhatsApp message; the
//! replies go through the outbox, which records them as delivered for the
//! session's stream to show (see `outbox`, `db::webchat`).

use crate::accounts::token;
use crate::config::WebchatSettings;
use crate::domain::channel::WEB_PREFIX;
use crate::domain::{
    CitizenRef, InboundMessage, InteractiveKind, MessageContent, Wamid, WebhookBatch,
};
use crate::rate_limit::PerKey;
use chrono::{DateTime, Utc};

/// A new session: the bearer token for the browser (256 random bits; the
/// store keeps only its SHA-256) and the citizen key its conversations
/// carry (128 more random bits, unrelated to the token).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub token_sha256: String,
    pub citizen: String,
}

impl NewSession {
    pub fn random() -> Self {
        let token = token::random();
        let token_sha256 = token::digest(&token);
        Self {
            token,
            token_sha256,
            citizen: format!("{WEB_PREFIX}{}", crate::db::new_public_id().as_str()),
        }
    }
}

/// What the store keeps of a token a browser presents.
pub fn token_sha256(token: &str) -> String {
    token::digest(token)
}

/// A message as the widget posts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetMessage {
    /// The widget's own id for the message, so a POST sent again after a
    /// network error is stored once.
    pub client_id: String,
    pub text: String,
    /// The id of the choice (button) the citizen picked, if any.
    pub choice: Option<String>,
}

/// Why a widget message was refused; the text is for the citizen's widget.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the message is empty")]
    Empty,
    #[error("the message is longer than {max} characters")]
    TooLong { max: usize },
    #[error(
        "the message id must be 8 to 64 letters, digits, '-' or '_' (the widget makes one per message)"
    )]
    BadClientId,
    #[error("the choice id is not one the widget can send")]
    BadChoice,
}

impl WidgetMessage {
    /// Checks the message against `[webchat]`'s limits.
    pub fn check(&self, settings: &WebchatSettings) -> Result<(), Refusal> {
        let id_ok = (8..=64).contains(&self.client_id.len())
            && self
                .client_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(Refusal::BadClientId);
        }
        if self.text.trim().is_empty() {
            return Err(Refusal::Empty);
        }
        if self.text.chars().count() > settings.max_message_chars {
            return Err(Refusal::TooLong {
                max: settings.max_message_chars,
            });
        }
        if let Some(choice) = &self.choice
            && (choice.is_empty()
                || choice.len() > 200
                || !choice.chars().all(|c| c.is_ascii_graphic()))
        {
            return Err(Refusal::BadChoice);
        }
        Ok(())
    }

    /// The message as intake stores it: from the session's citizen, with
    /// a message id made of the session's key and the widget's id (unique
    /// per session, so a repeated POST is a duplicate, as Meta's
    /// redeliveries are).
    pub fn into_batch(self, citizen: &str, now: DateTime<Utc>) -> Option<WebhookBatch> {
        let from = CitizenRef::web(citizen)?;
        let wamid = Wamid::parse(&format!("{citizen}.{}", self.client_id)).ok()?;
        let content = match self.choice {
            Some(id) => MessageContent::Interactive {
                interactive: InteractiveKind::ButtonReply,
                id,
                title: self.text,
            },
            None => MessageContent::Text { body: self.text },
        };
        Some(WebhookBatch {
            messages: vec![InboundMessage {
                wamid,
                from,
                // A web chat is anonymous: there is no profile.
                profile_name: None,
                business_phone_number_id: None,
                sent_at: now,
                reply_to: None,
                content,
            }],
            statuses: Vec::new(),
            skipped: Vec::new(),
        })
    }
}

/// Whether a browser request from `origin` may use the chat. A request
/// without `Origin` is no cross-site browser request (browsers send it on
/// every cross-origin request and every POST), so it passes; Loket's own
/// origin (`own`, from the request's host) and `[webchat] allowed_origins`
/// pass; anything else is refused.
pub fn origin_allowed(origin: Option<&str>, own: &[String], allowed: &[String]) -> bool {
    match origin {
        None => true,
        Some(origin) => {
            let origin = origin.trim().to_ascii_lowercase();
            own.iter().chain(allowed).any(|o| *o == origin)
        }
    }
}

/// The rate limits: messages per session, requests per client address.
#[derive(Debug)]
pub struct Limits {
    per_session: PerKey,
    per_address: PerKey,
}

impl Limits {
    pub fn new(settings: &WebchatSettings) -> Self {
        Self {
            per_session: PerKey::per_minute(settings.messages_per_minute),
            per_address: PerKey::per_minute(settings.requests_per_minute_per_ip),
        }
    }

    /// Whether the client address may make another request now.
    pub fn address_may(&self, address: &str) -> bool {
        self.per_address.allows(address)
    }

    /// Whether the session may send another message now.
    pub fn session_may(&self, citizen: &str) -> bool {
        self.per_session.allows(citizen)
    }
}

/// Passes other instances' "web chat replies sent" notices (PostgreSQL
/// LISTEN) to this instance's widget streams, until `cancel` fires.
/// Nothing to do on SQLite, where there is one instance.
pub async fn relay_deliveries(
    store: crate::db::Store,
    wakes: crate::queue::events::EventHub,
    cancel: tokio_util::sync::CancellationToken,
) {
    use std::time::Duration;
    let Some(mut listener) = store
        .listen_until_up(crate::db::WEBCHAT_CHANNEL, &cancel)
        .await
    else {
        return;
    };
    // Each notice only wakes the streams it names: they read the database.
    while let Some(received) = cancel.run_until_cancelled(listener.recv()).await {
        match received {
            Err(error) => {
                tracing::warn!(error = %error, "listening for web chat replies failed; retrying in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(payload) if payload.is_empty() => wakes.wake_every_web_chat(),
            Ok(payload) => {
                for citizen in payload.split(',').filter(|key| !key.is_empty()) {
                    wakes.wake_web_chat(citizen);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> WidgetMessage {
        WidgetMessage {
            client_id: "abcdef012345".to_owned(),
            text: text.to_owned(),
            choice: None,
        }
    }

    #[test]
    fn a_webchat_session_has_a_strong_token_and_a_separate_web_key() {
        let a = NewSession::random();
        let b = NewSession::random();
        assert_ne!(a.token, b.token);
        assert!(a.token.len() >= 32, "at least 128 bits in hex");
        assert_eq!(a.token_sha256, token_sha256(&a.token));
        assert_ne!(a.token_sha256, a.token);
        let citizen = CitizenRef::web(&a.citizen).expect("a web key");
        assert_eq!(citizen.channel(), crate::domain::Channel::Web);
        assert!(!a.citizen.contains(&a.token[..16]));
    }

    #[test]
    fn webchat_messages_are_checked_against_the_limits() {
        let settings = WebchatSettings {
            max_message_chars: 10,
            ..WebchatSettings::default()
        };
        assert_eq!(message("hallo").check(&settings), Ok(()));
        assert_eq!(message("  ").check(&settings), Err(Refusal::Empty));
        assert_eq!(
            message("ééééééééééé").check(&settings),
            Err(Refusal::TooLong { max: 10 })
        );
        let mut bad_id = message("hallo");
        bad_id.client_id = "a b".to_owned();
        assert_eq!(bad_id.check(&settings), Err(Refusal::BadClientId));
    }

    #[test]
    fn a_webchat_message_becomes_an_inbound_message_of_the_session() {
        let session = NewSession::random();
        let now = DateTime::from_timestamp(1_795_000_000, 0).expect("a time");
        let batch = message("Wanneer is het stadhuis open?")
            .into_batch(&session.citizen, now)
            .expect("a batch");
        let inbound = &batch.messages[0];
        assert_eq!(inbound.from.channel(), crate::domain::Channel::Web);
        assert_eq!(
            inbound.wamid.as_str(),
            format!("{}.abcdef012345", session.citizen)
        );
        assert_eq!(
            inbound.content.text(),
            Some("Wanneer is het stadhuis open?")
        );
        assert!(message("x").into_batch("NL.123", now).is_none());
    }

    #[test]
    fn webchat_origins_pass_only_when_own_or_listed() {
        let own = vec!["http://127.0.0.1:8080".to_owned()];
        let allowed = vec!["https://www.voorbeeldstad.nl".to_owned()];
        assert!(origin_allowed(None, &own, &allowed));
        assert!(origin_allowed(
            Some("http://127.0.0.1:8080"),
            &own,
            &allowed
        ));
        assert!(origin_allowed(
            Some("https://WWW.voorbeeldstad.nl"),
            &own,
            &allowed
        ));
        assert!(!origin_allowed(
            Some("https://evil.example"),
            &own,
            &allowed
        ));
        assert!(!origin_allowed(Some("null"), &own, &allowed));
    }

    #[test]
    fn webchat_limits_refuse_beyond_the_quota_per_key() {
        let limits = Limits::new(&WebchatSettings {
            messages_per_minute: 2,
            requests_per_minute_per_ip: 3,
            ..WebchatSettings::default()
        });
        assert!(limits.session_may("a") && limits.session_may("a"));
        assert!(!limits.session_may("a"));
        assert!(limits.session_may("b"), "another session has its own quota");
        assert!((0..3).all(|_| limits.address_may("10.0.0.1")));
        assert!(!limits.address_may("10.0.0.1"));
    }
}
