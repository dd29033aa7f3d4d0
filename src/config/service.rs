//! `loket.toml`: the service's own settings (listen address, database,
//! webhook limits, Graph API, outbox retry policy, emergency rule, the
//! knowledge base's link allowlist).

use super::duration::HumanDuration;
use super::error::{ConfigError, toml_error};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// The parsed and validated `loket.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    #[serde(default)]
    pub service: ServiceSection,
    #[serde(default)]
    pub webhook: WebhookSettings,
    #[serde(default)]
    pub whatsapp: WhatsAppFileSettings,
    #[serde(default)]
    pub outbox: OutboxSettings,
    #[serde(default)]
    pub emergency: EmergencySettings,
    #[serde(default)]
    pub knowledge: KnowledgeSettings,
    #[serde(default)]
    pub faq: super::faq::FaqSettings,
    #[serde(default)]
    pub queue: super::queue::QueueSettings,
    #[serde(default)]
    pub staff: super::queue::StaffSettings,
    #[serde(default)]
    pub report: super::report::ReportSettings,
    #[serde(default)]
    pub privacy: super::privacy::PrivacySettings,
    #[serde(default)]
    pub media: super::media::MediaSettings,
    #[serde(default)]
    pub webchat: super::webchat::WebchatSettings,
    /// Single sign-on; off when the section is missing.
    #[serde(default)]
    pub sso: Option<super::sso::SsoFile>,
    /// `sso` validated (filled by validation).
    #[serde(skip)]
    pub sso_settings: Option<super::sso::SsoSettings>,
}

/// `[service]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceSection {
    /// Name of the organisation, as citizens know it.
    pub organisation: String,
    /// `host:port` to listen on (`LOKET_LISTEN` overrides).
    pub listen: String,
    /// `sqlite://...` or `postgres://...` (`LOKET_DATABASE_URL` overrides).
    pub database_url: String,
    /// Folder with the markdown knowledge base (`LOKET_KNOWLEDGE_DIR` overrides).
    pub knowledge_dir: String,
    /// Reverse proxies (addresses or networks, e.g. "127.0.0.1",
    /// "10.0.0.0/8") whose `proxy_header` names the client. Empty: every
    /// client is its TCP peer and forwarded headers are ignored.
    pub trusted_proxies: Vec<String>,
    /// The header those proxies write: "x-forwarded-for" (with
    /// `X-Forwarded-Proto`) or "forwarded" (RFC 7239).
    pub proxy_header: super::proxies::ProxyHeader,
    /// `trusted_proxies` as networks (filled by validation).
    #[serde(skip)]
    pub trusted: super::proxies::TrustedProxies,
}

impl Default for ServiceSection {
    fn default() -> Self {
        Self {
            organisation: "Gemeente Voorbeeldstad".to_owned(),
            listen: "127.0.0.1:8080".to_owned(),
            database_url: "sqlite://data/loket.db".to_owned(),
            knowledge_dir: "knowledge".to_owned(),
            trusted_proxies: Vec::new(),
            proxy_header: super::proxies::ProxyHeader::default(),
            trusted: super::proxies::TrustedProxies::default(),
        }
    }
}

/// `[webhook]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Larger POST bodies get 413. Meta's largest batch is about 3 MB.
    pub max_body_bytes: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 8 * 1024 * 1024,
        }
    }
}

/// `[whatsapp]` (credentials are not here: they come from the environment).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WhatsAppFileSettings {
    pub api_base: String,
    pub api_version: String,
    /// Timeout of one Graph API call.
    pub request_timeout: HumanDuration,
    /// Send read receipts (blue ticks) for inbound messages.
    pub mark_as_read: bool,
}

impl Default for WhatsAppFileSettings {
    fn default() -> Self {
        Self {
            api_base: super::DEFAULT_API_BASE.to_owned(),
            api_version: super::DEFAULT_API_VERSION.to_owned(),
            request_timeout: HumanDuration(Duration::from_secs(10)),
            mark_as_read: true,
        }
    }
}

/// `[outbox]`: how hard we try to deliver a reply.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxSettings {
    /// First retry delay; doubles per attempt (with jitter).
    pub initial_backoff: HumanDuration,
    /// Upper bound of one retry delay.
    pub max_backoff: HumanDuration,
    /// A reply not delivered after this long is marked failed: past the
    /// 24-hour window Meta would refuse free text anyway.
    pub give_up_after: HumanDuration,
    /// Conversations sent to at the same time; each sends its replies in order.
    pub concurrency: usize,
    /// How long a sender holds the replies it took. Several instances on
    /// one PostgreSQL database share the outbox: a reply taken by an
    /// instance that dies is sent by another after this long. Longer than
    /// a send can take ([whatsapp] request_timeout), or a slow send could
    /// be sent twice.
    pub lease: HumanDuration,
    /// Messages per second sent from our business number. Meta allows 80
    /// by default and up to 1,000 after an automatic upgrade; above the
    /// level Meta answers 130429. Read receipts are not messages and do not
    /// count.
    pub send_rate: u32,
    /// Meta's pair rate: about one message per this interval to one
    /// citizen, sustained (Meta: 6 seconds); beyond it Meta answers 131056.
    pub pair_interval: HumanDuration,
    /// Messages one citizen may get in a burst before the pair interval
    /// applies (Meta: up to 45 in 6 seconds, borrowed from later).
    pub pair_burst: u32,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            initial_backoff: HumanDuration(Duration::from_secs(2)),
            max_backoff: HumanDuration(Duration::from_secs(300)),
            give_up_after: HumanDuration(Duration::from_secs(23 * 3600)),
            concurrency: 16,
            lease: HumanDuration(Duration::from_secs(60)),
            send_rate: 80,
            pair_interval: HumanDuration(Duration::from_secs(6)),
            pair_burst: 45,
        }
    }
}

/// `[emergency]`: what happens besides the referral when a message is
/// urgent. Which messages are urgent is learned from the knowledge base's
/// urgent entries (`urgent: true`), not configured here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmergencySettings {
    /// The staff page's public address, for the link in the alert that an
    /// urgent message outside office hours posts to `LOKET_ALERT_URL`, e.g.
    /// "https://loket.voorbeeldstad.nl". Empty: the alert has a path only.
    pub staff_url: Option<String>,
}

/// `[knowledge]`: rules for the answers editors write.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KnowledgeSettings {
    /// Domains answers may link to; a subdomain of one is allowed too.
    /// Hostnames only, lowercased on load.
    pub link_allowlist: Vec<String>,
}

impl Default for KnowledgeSettings {
    fn default() -> Self {
        Self {
            link_allowlist: [
                "voorbeeldstad.nl",
                "rijksoverheid.nl",
                "government.nl",
                "overheid.nl",
                // National services the starter knowledge base names.
                "politie.nl",
                "cjib.nl",
                "werk.nl",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// A bare hostname (`voorbeeldstad.nl`): labels of letters, digits and
/// dashes separated by dots, with at least one dot.
fn is_hostname(host: &str) -> bool {
    host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

impl ServiceFile {
    /// Reads, parses and validates `loket.toml`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates the text of `loket.toml`; `path` is for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let mut file: ServiceFile = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        file.validate(path)?;
        Ok(file)
    }

    fn validate(&mut self, path: &Path) -> Result<(), ConfigError> {
        if self.service.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::value(
                path,
                "service.listen",
                format!(
                    "{:?} is not host:port; write e.g. \"127.0.0.1:8080\"",
                    self.service.listen
                ),
            ));
        }
        super::check_database_url(&self.service.database_url)
            .map_err(|m| ConfigError::value(path, "service.database_url", m))?;
        self.service.trusted = super::proxies::TrustedProxies::parse(&self.service.trusted_proxies)
            .map_err(|(index, message)| {
                ConfigError::value(path, format!("service.trusted_proxies[{index}]"), message)
            })?;
        let min_body = 3 * 1024 * 1024;
        if self.webhook.max_body_bytes < min_body || self.webhook.max_body_bytes > 64 * 1024 * 1024
        {
            return Err(ConfigError::value(
                path,
                "webhook.max_body_bytes",
                format!(
                    "{} is out of range; allowed is {min_body} (Meta's largest batch, 3 MB) up to 67108864",
                    self.webhook.max_body_bytes
                ),
            ));
        }
        super::check_api_base(&self.whatsapp.api_base)
            .map_err(|m| ConfigError::value(path, "whatsapp.api_base", m))?;
        self.whatsapp.api_base = self.whatsapp.api_base.trim_end_matches('/').to_owned();
        super::check_api_version(&self.whatsapp.api_version)
            .map_err(|m| ConfigError::value(path, "whatsapp.api_version", m))?;
        let timeout = self.whatsapp.request_timeout.0;
        if timeout < Duration::from_millis(100) || timeout > Duration::from_secs(120) {
            return Err(ConfigError::value(
                path,
                "whatsapp.request_timeout",
                "must be between 100ms and 120s",
            ));
        }
        if let Err((key, reason)) = self.media.check() {
            return Err(ConfigError::value(path, key, reason));
        }
        if let Err((key, reason)) = self.webchat.check() {
            return Err(ConfigError::value(path, key, reason));
        }
        let outbox = &self.outbox;
        if outbox.initial_backoff.0.is_zero() || outbox.initial_backoff.0 > outbox.max_backoff.0 {
            return Err(ConfigError::value(
                path,
                "outbox.initial_backoff",
                "must be more than 0 and at most outbox.max_backoff",
            ));
        }
        if outbox.give_up_after.0 < outbox.max_backoff.0 {
            return Err(ConfigError::value(
                path,
                "outbox.give_up_after",
                "must be at least outbox.max_backoff, or nothing would be retried",
            ));
        }
        if outbox.concurrency == 0 || outbox.concurrency > 1000 {
            return Err(ConfigError::value(
                path,
                "outbox.concurrency",
                "must be between 1 and 1000",
            ));
        }
        if outbox.lease.0 <= timeout {
            return Err(ConfigError::value(
                path,
                "outbox.lease",
                "must be longer than whatsapp.request_timeout, or a reply still being sent could be taken and sent again by another instance",
            ));
        }
        if !(1..=1000).contains(&outbox.send_rate) {
            return Err(ConfigError::value(
                path,
                "outbox.send_rate",
                format!(
                    "{} is out of range; allowed is 1 up to 1000 messages per second (Meta's default level is 80, its highest 1000)",
                    outbox.send_rate
                ),
            ));
        }
        if outbox.pair_interval.0.is_zero() || outbox.pair_interval.0 > Duration::from_secs(3600) {
            return Err(ConfigError::value(
                path,
                "outbox.pair_interval",
                "must be more than 0 and at most 1h (Meta's pair rate is one message per 6s)",
            ));
        }
        if !(1..=1000).contains(&outbox.pair_burst) {
            return Err(ConfigError::value(
                path,
                "outbox.pair_burst",
                "must be between 1 and 1000 (Meta allows bursts of up to 45)",
            ));
        }
        for (key, value) in [("emergency.staff_url", &self.emergency.staff_url)] {
            if let Some(value) = value
                && !url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
            {
                return Err(ConfigError::value(
                    path,
                    key,
                    format!(
                        "{value:?} is not an http(s) address; write the full address, e.g. \"https://hooks.example.org/loket\""
                    ),
                ));
            }
        }
        let mut allowlist = Vec::with_capacity(self.knowledge.link_allowlist.len());
        for (index, entry) in self.knowledge.link_allowlist.iter().enumerate() {
            let host = entry.trim().to_lowercase();
            if !is_hostname(&host) {
                return Err(ConfigError::value(
                    path,
                    format!("knowledge.link_allowlist[{index}]"),
                    format!(
                        "{entry:?} is not a domain name; write only the domain, without https:// or a path, e.g. \"voorbeeldstad.nl\" (subdomains such as www. are then allowed too)"
                    ),
                ));
            }
            allowlist.push(host);
        }
        self.knowledge.link_allowlist = allowlist;
        self.faq
            .validate()
            .map_err(|(key, message)| ConfigError::value(path, key, message))?;
        self.queue
            .validate()
            .map_err(|(key, message)| ConfigError::value(path, key, message))?;
        self.staff
            .validate()
            .map_err(|(key, message)| ConfigError::value(path, key, message))?;
        self.report
            .validate()
            .map_err(|(key, message)| ConfigError::value(path, key, message))?;
        self.privacy
            .validate()
            .map_err(|(key, message)| ConfigError::value(path, key, message))?;
        self.sso_settings = self
            .sso
            .as_ref()
            .map(super::sso::SsoFile::validate)
            .transpose()
            .map_err(|(key, message)| ConfigError::value(path, key, message))?;
        if self.sso_settings.is_none() && !self.staff.local_passwords {
            return Err(ConfigError::value(
                path,
                "staff.local_passwords",
                "is false but there is no [sso] section, so nobody could log in; configure [sso] first or set local_passwords = true",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServiceFile, ConfigError> {
        ServiceFile::parse(text, Path::new("config/loket.toml"))
    }

    #[test]
    fn an_empty_file_gives_working_defaults() {
        let file = parse("").expect("defaults");
        assert_eq!(file.service.listen, "127.0.0.1:8080");
        assert_eq!(file.webhook.max_body_bytes, 8 * 1024 * 1024);
    }

    #[test]
    fn a_too_small_body_limit_names_file_key_and_range() {
        let err = parse("[webhook]\nmax_body_bytes = 1000\n").expect_err("too small");
        let text = err.to_string();
        assert!(
            text.starts_with("config/loket.toml: webhook.max_body_bytes:"),
            "{text}"
        );
        assert!(text.contains("3145728"), "{text}");
    }

    #[test]
    fn an_unknown_key_is_reported_with_its_line() {
        let err = parse("[webhook]\nmax_body = 5\n").expect_err("unknown key");
        let text = err.to_string();
        assert!(text.contains("line 2"), "{text}");
        assert!(text.contains("max_body"), "{text}");
    }

    #[test]
    fn the_link_allowlist_defaults_to_government_domains_and_is_lowercased() {
        let file = parse("").expect("defaults");
        assert!(
            file.knowledge
                .link_allowlist
                .contains(&"voorbeeldstad.nl".to_owned())
        );
        let file = parse("[knowledge]\nlink_allowlist = [\"WWW.Example.NL\"]\n").expect("valid");
        assert_eq!(
            file.knowledge.link_allowlist,
            vec!["www.example.nl".to_owned()]
        );
    }

    #[test]
    fn a_url_in_the_link_allowlist_names_the_key() {
        let err =
            parse("[knowledge]\nlink_allowlist = [\"voorbeeldstad.nl\", \"https://x.nl/a\"]\n")
                .expect_err("not a hostname");
        let text = err.to_string();
        assert!(text.contains("knowledge.link_allowlist[1]"), "{text}");
        assert!(text.contains("without https://"), "{text}");
    }

    #[test]
    fn an_outbox_lease_shorter_than_a_send_is_refused() {
        let err = parse("[whatsapp]\nrequest_timeout = \"10s\"\n[outbox]\nlease = \"5s\"\n")
            .expect_err("lease too short");
        let text = err.to_string();
        assert!(text.contains("outbox.lease"), "{text}");
        assert!(text.contains("request_timeout"), "{text}");
        parse("[outbox]\nlease = \"11s\"\n").expect("longer than the default timeout");
    }

    #[test]
    fn the_send_rate_defaults_to_metas_80_and_must_lie_between_1_and_1000() {
        let file = parse("").expect("defaults");
        assert_eq!(file.outbox.send_rate, 80);
        assert_eq!(file.outbox.pair_burst, 45);
        assert!(parse("[outbox]\nsend_rate = 1000\n").is_ok());
        for bad in ["0", "1001"] {
            let err = parse(&format!("[outbox]\nsend_rate = {bad}\n")).expect_err("out of range");
            let text = err.to_string();
            assert!(text.contains("outbox.send_rate"), "{text}");
            assert!(text.contains("1 up to 1000"), "{text}");
        }
        let err = parse("[outbox]\npair_burst = 0\n").expect_err("zero burst");
        assert!(err.to_string().contains("outbox.pair_burst"), "{err}");
    }

    #[test]
    fn trusted_proxies_default_to_none_and_a_bad_entry_names_the_key() {
        let file = parse("").expect("defaults");
        assert!(file.service.trusted_proxies.is_empty());
        let file = parse(
            "[service]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\nproxy_header = \"forwarded\"\n",
        )
        .expect("valid");
        assert_eq!(file.service.trusted_proxies.len(), 2);
        assert_eq!(
            file.service.proxy_header,
            super::super::proxies::ProxyHeader::Forwarded
        );
        let err = parse("[service]\ntrusted_proxies = [\"::1\", \"my-proxy\"]\n")
            .expect_err("not an address");
        assert!(
            err.to_string().contains("service.trusted_proxies[1]"),
            "{err}"
        );
        assert!(parse("[service]\nproxy_header = \"x-real-ip\"\n").is_err());
    }

    #[test]
    fn a_bad_duration_says_how_to_write_one() {
        let err = parse("[outbox]\nmax_backoff = \"soon\"\n").expect_err("bad duration");
        assert!(err.to_string().contains("\"30s\""), "{err}");
    }
}
