//! `[queue]` and `[staff]` in `loket.toml`: how the human queue behaves and
//! how staff log in.

use super::duration::HumanDuration;
use serde::Deserialize;
use std::time::Duration;

/// `[queue]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueSettings {
    /// Threads one staff member may hold at the same time.
    pub max_claims: u32,
    /// A citizen who writes again within this time after a close reopens
    /// the same conversation; later, a new one starts.
    pub reopen_within: HumanDuration,
    /// Topics offered when closing a thread (free text is allowed too).
    pub topics: Vec<String>,
    /// The approved template offered outside WhatsApp's 24-hour window
    /// ("does your question still need an answer?"); empty: none.
    pub template: String,
    /// Meta's language code of the template per conversation language.
    pub template_language_nl: String,
    pub template_language_en: String,
    /// The template's text as approved at Meta, per conversation language,
    /// so the staff page shows what the citizen read instead of its name.
    /// Empty: the page shows the template's name.
    pub template_text_nl: String,
    pub template_text_en: String,
    /// At opening time, send the template to queued threads whose window
    /// expired while the office was closed.
    pub followup_on_opening: bool,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            max_claims: 3,
            reopen_within: HumanDuration(Duration::from_secs(24 * 3600)),
            topics: [
                "Afval",
                "Uitkering",
                "Paspoort en id-kaart",
                "Rijbewijs",
                "Verhuizing",
                "Belastingen",
                "Parkeren",
                "Melding openbare ruimte",
                "Zorg en Wmo",
                "Overig",
            ]
            .map(str::to_owned)
            .to_vec(),
            template: "vraag_nog_open".to_owned(),
            template_language_nl: "nl".to_owned(),
            template_language_en: "en".to_owned(),
            template_text_nl: "Wij hebben uw vraag nog niet beantwoord. Heeft u onze hulp nog nodig? Stuur ons dan een bericht, dan reageren wij zo snel mogelijk.".to_owned(),
            template_text_en: "We have not answered your question yet. Do you still need our help? Then send us a message and we will reply as soon as possible.".to_owned(),
            followup_on_opening: true,
        }
    }
}

impl QueueSettings {
    pub(super) fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.max_claims == 0 || self.max_claims > 100 {
            return Err(("queue.max_claims", "must be between 1 and 100".to_owned()));
        }
        if self.reopen_within.0 > Duration::from_secs(30 * 24 * 3600) {
            return Err((
                "queue.reopen_within",
                "must be at most 30 days (conversations are purged after about a week)".to_owned(),
            ));
        }
        if self
            .topics
            .iter()
            .any(|t| t.trim().is_empty() || t.chars().count() > 80)
        {
            return Err((
                "queue.topics",
                "every topic needs 1 to 80 characters".to_owned(),
            ));
        }
        let valid_name = |name: &str| {
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if !valid_name(&self.template) {
            return Err((
                "queue.template",
                format!(
                    "{:?} is not a template name: Meta allows lowercase letters, digits and _",
                    self.template
                ),
            ));
        }
        Ok(())
    }

    /// The template for a conversation language, when one is configured.
    pub fn template_for(&self, language: crate::domain::Language) -> Option<(String, String)> {
        if self.template.is_empty() {
            return None;
        }
        let code = match language {
            crate::domain::Language::En => &self.template_language_en,
            _ => &self.template_language_nl,
        };
        Some((self.template.clone(), code.clone()))
    }

    /// The template's text in a conversation language, when configured.
    pub fn template_text(&self, language: crate::domain::Language) -> Option<&str> {
        let text = match language {
            crate::domain::Language::En => &self.template_text_en,
            _ => &self.template_text_nl,
        };
        (!self.template.is_empty() && !text.trim().is_empty()).then_some(text.as_str())
    }
}

/// `[staff]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffSettings {
    /// A login lasts this long at most (a working day and some).
    pub session_lifetime: HumanDuration,
    /// A login unused for this long ends.
    pub session_idle: HumanDuration,
    /// Failed logins allowed per account name (and per client address)
    /// within `login_window` before further tries are refused.
    pub login_attempts: u32,
    pub login_window: HumanDuration,
    /// Mark the session cookie `Secure`: `auto` (when the request came in
    /// over TLS or via a proxy that says so), `always` or `never`.
    pub secure_cookie: SecureCookie,
    /// Every local password account must use a second factor (TOTP):
    /// one without it can only set it up after logging in (ADR 0027).
    pub require_mfa: bool,
    /// Local accounts may log in with a password. `false` (only with
    /// `[sso]`): staff log in through single sign-on only.
    pub local_passwords: bool,
    /// How knowledge answers read when staff insert them in a reply:
    /// `u` (formal, the default) uses an entry's u-version where it has
    /// one; `je` always the text the bot sends.
    pub form: AddressForm,
}

/// How a reply addresses the citizen in Dutch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AddressForm {
    /// Formal: "u", "uw".
    #[default]
    U,
    /// Informal: "je", "jij", "jouw" (how the knowledge base is written).
    Je,
}

/// When the session cookie gets the `Secure` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecureCookie {
    Auto,
    Always,
    Never,
}

impl Default for StaffSettings {
    fn default() -> Self {
        Self {
            session_lifetime: HumanDuration(Duration::from_secs(12 * 3600)),
            session_idle: HumanDuration(Duration::from_secs(2 * 3600)),
            login_attempts: 5,
            login_window: HumanDuration(Duration::from_secs(15 * 60)),
            secure_cookie: SecureCookie::Auto,
            require_mfa: false,
            local_passwords: true,
            form: AddressForm::U,
        }
    }
}

impl StaffSettings {
    pub(super) fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.session_idle.0 < Duration::from_secs(60)
            || self.session_idle.0 > self.session_lifetime.0
        {
            return Err((
                "staff.session_idle",
                "must be at least 1m and at most staff.session_lifetime".to_owned(),
            ));
        }
        if self.login_attempts == 0 {
            return Err(("staff.login_attempts", "must be at least 1".to_owned()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    #[test]
    fn defaults_are_valid_and_offer_a_template_per_language() {
        let queue = QueueSettings::default();
        assert!(queue.validate().is_ok());
        assert_eq!(
            queue.template_for(Language::En),
            Some(("vraag_nog_open".to_owned(), "en".to_owned()))
        );
        assert!(StaffSettings::default().validate().is_ok());
        assert_eq!(StaffSettings::default().form, AddressForm::U);
        assert!(
            queue
                .template_text(Language::En)
                .is_some_and(|t| t.contains("help"))
        );
        let none = QueueSettings {
            template: String::new(),
            ..QueueSettings::default()
        };
        assert_eq!(none.template_text(Language::Nl), None);
    }

    #[test]
    fn an_empty_template_name_means_no_template() {
        let queue = QueueSettings {
            template: String::new(),
            ..QueueSettings::default()
        };
        assert!(queue.validate().is_ok());
        assert_eq!(queue.template_for(Language::Nl), None);
    }

    #[test]
    fn bad_values_name_their_key() {
        let queue = QueueSettings {
            max_claims: 0,
            ..QueueSettings::default()
        };
        assert_eq!(queue.validate().map_err(|e| e.0), Err("queue.max_claims"));
        let queue = QueueSettings {
            template: "Vraag nog open".to_owned(),
            ..QueueSettings::default()
        };
        assert_eq!(queue.validate().map_err(|e| e.0), Err("queue.template"));
        let staff = StaffSettings {
            session_idle: HumanDuration(Duration::from_secs(30 * 3600)),
            ..StaffSettings::default()
        };
        assert_eq!(staff.validate().map_err(|e| e.0), Err("staff.session_idle"));
    }
}
