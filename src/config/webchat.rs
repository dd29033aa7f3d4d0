//! `[webchat]`: the chat widget for the organisation's website (issue 24).

use super::duration::HumanDuration;
use serde::Deserialize;
use std::time::Duration;

/// `[webchat]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebchatSettings {
    /// Serve `/widget/demo`, a mock municipality page with the widget on
    /// it. On by default so a newcomer sees the widget at once (it shows
    /// nothing that the widget itself does not); turn it off in production.
    pub demo: bool,
    /// Websites whose pages may use the widget, as origins
    /// (`https://www.voorbeeldstad.nl`). Loket's own pages always may. A
    /// browser request from any other origin gets 403.
    pub allowed_origins: Vec<String>,
    /// Longest message a citizen may send, in characters (WhatsApp allows 4096).
    pub max_message_chars: usize,
    /// Messages one session may send per minute.
    pub messages_per_minute: u32,
    /// Requests (new sessions, messages, streams) one client address may
    /// make per minute, over all its sessions. The address is the client
    /// under `[service] trusted_proxies` and `proxy_header`.
    pub requests_per_minute_per_ip: u32,
    /// The organisation's WhatsApp number (digits, international, no `+`),
    /// offered as a `https://wa.me/...` link when nobody can chat.
    pub whatsapp_number: Option<String>,
    /// A web chat waiting for staff (queued or claimed) whose citizen has
    /// had no connection this long (the tab was closed: the session lives
    /// in `sessionStorage`) is closed, with a note to staff. An open chat
    /// counts as a connection, however quiet.
    pub idle_timeout: HumanDuration,
    /// `allowed_origins` normalised to `scheme://host[:port]` (filled by validation).
    #[serde(skip)]
    pub origins: Vec<String>,
}

impl Default for WebchatSettings {
    fn default() -> Self {
        Self {
            demo: true,
            allowed_origins: Vec::new(),
            max_message_chars: 2000,
            messages_per_minute: 20,
            requests_per_minute_per_ip: 120,
            whatsapp_number: None,
            idle_timeout: HumanDuration(Duration::from_secs(30 * 60)),
            origins: Vec::new(),
        }
    }
}

impl WebchatSettings {
    /// Checks the values and fills `origins`; on error the key and why.
    pub(super) fn check(&mut self) -> Result<(), (&'static str, String)> {
        let mut origins = Vec::with_capacity(self.allowed_origins.len());
        for origin in &self.allowed_origins {
            origins.push(
                normalise_origin(origin).map_err(|reason| ("webchat.allowed_origins", reason))?,
            );
        }
        self.origins = origins;
        if !(1..=4096).contains(&self.max_message_chars) {
            return Err((
                "webchat.max_message_chars",
                "must be between 1 and 4096".to_owned(),
            ));
        }
        if self.messages_per_minute == 0 || self.requests_per_minute_per_ip == 0 {
            return Err((
                "webchat.messages_per_minute",
                "the rate limits (messages_per_minute, requests_per_minute_per_ip) must be above 0"
                    .to_owned(),
            ));
        }
        // An open chat is marked seen at every keep-alive (15 s); a few
        // missed ones must not close it.
        if !(Duration::from_secs(120)..=Duration::from_secs(7 * 24 * 3600))
            .contains(&self.idle_timeout.0)
        {
            return Err((
                "webchat.idle_timeout",
                "must be between 2m and 7d (30m is the default)".to_owned(),
            ));
        }
        if let Some(number) = &self.whatsapp_number
            && (!(8..=15).contains(&number.len()) || !number.chars().all(|c| c.is_ascii_digit()))
        {
            return Err((
                "webchat.whatsapp_number",
                format!(
                    "{number:?} must be the number in international form, digits only, without + (e.g. 31612345678)"
                ),
            ));
        }
        Ok(())
    }

    /// The link to the organisation on WhatsApp, when a number is set.
    pub fn whatsapp_url(&self) -> Option<String> {
        self.whatsapp_number
            .as_ref()
            .map(|number| format!("https://wa.me/{number}"))
    }
}

/// `https://Example.nl/` becomes `https://example.nl`: the form a browser
/// sends in its `Origin` header (scheme, host, and a port only when it is
/// not the scheme's default).
pub fn normalise_origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| {
        format!("{text:?} is not an origin ({e}); write it as https://www.example.nl")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{text:?} is not an http(s) origin; write it as https://www.example.nl"
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text:?} has a path; an origin is only scheme and host, e.g. https://www.example.nl"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_and_written_as_browsers_send_them() {
        assert_eq!(
            normalise_origin("https://WWW.Voorbeeldstad.nl/").as_deref(),
            Ok("https://www.voorbeeldstad.nl")
        );
        assert_eq!(
            normalise_origin("http://localhost:8080").as_deref(),
            Ok("http://localhost:8080")
        );
        assert_eq!(
            normalise_origin("https://example.nl:443").as_deref(),
            Ok("https://example.nl")
        );
        assert!(normalise_origin("https://example.nl/chat").is_err());
        assert!(normalise_origin("example.nl").is_err());
        assert!(normalise_origin("ftp://example.nl").is_err());
    }

    #[test]
    fn a_bad_number_or_a_zero_limit_is_refused() {
        let mut settings = WebchatSettings {
            whatsapp_number: Some("+31612345678".to_owned()),
            ..WebchatSettings::default()
        };
        assert_eq!(
            settings.check().map_err(|e| e.0),
            Err("webchat.whatsapp_number")
        );
        settings.whatsapp_number = Some("31612345678".to_owned());
        assert!(settings.check().is_ok());
        assert_eq!(
            settings.whatsapp_url().as_deref(),
            Some("https://wa.me/31612345678")
        );
        settings.messages_per_minute = 0;
        assert!(settings.check().is_err());
    }
}
