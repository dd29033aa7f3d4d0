//! `[privacy]` in `loket.toml`: how long conversations are kept.

use super::duration::HumanDuration;
use serde::Deserialize;
use std::time::Duration;

/// `[privacy]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySettings {
    /// Conversations closed, or without activity, this long ago are deleted
    /// with all their messages.
    pub retention: HumanDuration,
    /// How often the background purge runs.
    pub purge_every: HumanDuration,
    /// How long the audit log (who did what, no content) is kept.
    pub audit_retention: HumanDuration,
    /// A number that sends more messages than this within a minute gets
    /// no further automatic replies that minute (its messages are still
    /// stored and reach staff).
    pub auto_replies_per_minute: u32,
    /// Keep the WhatsApp profile name with each message, for staff to see
    /// after the audited reveal ("Persoonsgegevens tonen"). Off: the name
    /// is dropped before anything is stored.
    pub keep_profile_name: bool,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        Self {
            retention: HumanDuration(Duration::from_secs(7 * 24 * 3600)),
            purge_every: HumanDuration(Duration::from_secs(3600)),
            audit_retention: HumanDuration(Duration::from_secs(365 * 24 * 3600)),
            auto_replies_per_minute: 10,
            keep_profile_name: true,
        }
    }
}

impl PrivacySettings {
    pub(super) fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.retention.0 < Duration::from_secs(3600)
            || self.retention.0 > Duration::from_secs(400 * 24 * 3600)
        {
            return Err((
                "privacy.retention",
                "must be between 1h and 400 days (a week is the usual promise to citizens)"
                    .to_owned(),
            ));
        }
        if self.purge_every.0 < Duration::from_secs(60)
            || self.purge_every.0 > Duration::from_secs(24 * 3600)
        {
            return Err((
                "privacy.purge_every",
                "must be between 1m and 24h".to_owned(),
            ));
        }
        if self.auto_replies_per_minute == 0 {
            return Err((
                "privacy.auto_replies_per_minute",
                "must be at least 1 (citizens need at least an acknowledgement)".to_owned(),
            ));
        }
        if self.audit_retention.0 <= self.retention.0 {
            return Err((
                "privacy.audit_retention",
                "must be longer than privacy.retention: the audit log outlives the conversations"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}
