//! Where a conversation takes place: WhatsApp, or the chat widget on the
//! organisation's website (issue 24). A web citizen is known by their
//! browser session only: its citizen key is `web.` and 32 lower-case hex
//! digits, carried where a WhatsApp conversation carries the user id, so
//! the triage, the queue and retention handle both alike. No WhatsApp user
//! id looks like it (those start with a two-letter country code in capitals).

use super::{CitizenRef, UserId};
use serde::{Deserialize, Serialize};

/// The prefix of a web session's citizen key.
pub const WEB_PREFIX: &str = "web.";

/// A conversation's channel, stored in `conversations.channel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// WhatsApp, through Meta's Graph API.
    Whatsapp,
    /// The website chat widget.
    Web,
}

impl Channel {
    /// Every channel, in the order reports list them.
    pub const ALL: [Channel; 2] = [Channel::Whatsapp, Channel::Web];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Whatsapp => "whatsapp",
            Channel::Web => "web",
        }
    }

    /// The channel as stored by [`Channel::as_str`]; WhatsApp for anything
    /// else (the column's default).
    pub fn from_stored(text: &str) -> Self {
        if text == Channel::Web.as_str() {
            Channel::Web
        } else {
            Channel::Whatsapp
        }
    }
}

/// The channel of a citizen known by these stored keys: a web session's
/// key alone makes a web chat; a phone number or a WhatsApp user id is
/// WhatsApp.
pub fn channel_of(wa_id: Option<&str>, user_id: Option<&str>) -> Channel {
    match (wa_id, user_id) {
        (None, Some(user)) if is_web_key(user) => Channel::Web,
        _ => Channel::Whatsapp,
    }
}

/// Whether a stored citizen key belongs to a web session.
pub fn is_web_key(key: &str) -> bool {
    key.strip_prefix(WEB_PREFIX).is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

impl CitizenRef {
    /// The citizen of a web session, by the session's citizen key
    /// (`web.` and 32 hex digits); `None` for anything else.
    pub fn web(key: &str) -> Option<Self> {
        if !is_web_key(key) {
            return None;
        }
        let user_id = UserId::parse(key).ok()?;
        Some(Self {
            wa_id: None,
            user_id: Some(user_id),
        })
    }

    /// The channel this citizen writes on.
    pub fn channel(&self) -> Channel {
        channel_of(
            self.wa_id.as_ref().map(|w| w.as_str()),
            self.user_id.as_ref().map(|u| u.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::WaId;

    #[test]
    fn a_web_key_makes_a_web_citizen_and_nothing_else_does() {
        let key = format!("web.{}", "0a".repeat(16));
        let web = CitizenRef::web(&key).expect("a web key");
        assert_eq!(web.channel(), Channel::Web);
        assert!(web.wa_id.is_none(), "never a phone number");
        assert!(CitizenRef::web("web.short").is_none());
        assert!(CitizenRef::web(&format!("web.{}", "0A".repeat(16))).is_none());
        assert!(CitizenRef::web("NL.1502576394655843").is_none());
        let bsuid =
            CitizenRef::new(None, UserId::parse("NL.1502576394655843").ok()).expect("bsuid");
        assert_eq!(bsuid.channel(), Channel::Whatsapp);
        let number = CitizenRef::new(WaId::parse("31600000001").ok(), None).expect("number");
        assert_eq!(number.channel(), Channel::Whatsapp);
    }
}
