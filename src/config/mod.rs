//! Typed configuration, layered: built-in defaults < files in the config
//! folder (`loket.toml`, `hours.toml`, `replies.toml`, `saved-replies/`) < `LOKET_*`
//! environment variables. Everything is validated into domain values here,
//! at start-up, so a bad value stops the service with a message naming the
//! file and key instead of failing at 3 am. Secrets come only from the
//! environment and are wrapped so they never reach a log line.

mod duration;
mod error;
mod faq;
mod media;
mod privacy;
mod proxies;
mod queue;
mod replies;
mod report;
pub mod saved_replies;
mod service;
mod sso;
mod webchat;

pub use duration::HumanDuration;
pub use error::ConfigError;
pub use faq::FaqSettings;
pub use media::MediaSettings;
pub use privacy::PrivacySettings;
pub use proxies::{ProxyHeader, TrustedProxies};
pub use queue::{AddressForm, QueueSettings, SecureCookie, StaffSettings};
pub use replies::{ReplyKey, ReplyTexts};
pub use report::ReportSettings;
pub use saved_replies::{SavedReplies, SavedReply};
pub use service::{
    EmergencySettings, KnowledgeSettings, OutboxSettings, ServiceFile, WebhookSettings,
    WhatsAppFileSettings,
};
pub use sso::SsoSettings;
pub use webchat::{WebchatSettings, normalise_origin};

use crate::hours::OpeningHours;
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Meta's Graph API, used when `LOKET_WHATSAPP_API_BASE` is not set.
pub const DEFAULT_API_BASE: &str = "https://graph.facebook.com";
/// The Graph API version used when neither the file nor the environment sets one.
pub const DEFAULT_API_VERSION: &str = "v23.0";

/// The WhatsApp Business credentials, all from the environment.
#[derive(Debug, Clone, Default)]
pub struct WhatsAppSecrets {
    /// Verifies `X-Hub-Signature-256` on every webhook POST.
    pub app_secret: Option<SecretString>,
    /// Echoed back in Meta's `GET` verification handshake.
    pub verify_token: Option<SecretString>,
    /// Bearer token for the Graph API.
    pub access_token: Option<SecretString>,
    /// The business number's id in the Graph API.
    pub phone_number_id: Option<String>,
}

/// Everything the service needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_dir: PathBuf,
    pub listen: String,
    pub database_url: String,
    pub knowledge_dir: PathBuf,
    pub organisation: String,
    /// Reverse proxies whose forwarded headers are believed
    /// (`[service] trusted_proxies`).
    pub trusted_proxies: TrustedProxies,
    /// The header they write the client into (`[service] proxy_header`).
    pub proxy_header: ProxyHeader,
    pub webhook: WebhookSettings,
    pub whatsapp: WhatsAppFileSettings,
    pub outbox: OutboxSettings,
    pub emergency: EmergencySettings,
    /// Rules for the knowledge base (`[knowledge]`).
    pub knowledge: KnowledgeSettings,
    /// When the bot answers from the knowledge base (`[faq]`).
    pub faq: FaqSettings,
    /// The human queue (`[queue]`).
    pub queue: QueueSettings,
    /// Staff logins (`[staff]`).
    pub staff: StaffSettings,
    /// The team lead's report (`[report]`).
    pub report: ReportSettings,
    /// Retention (`[privacy]`).
    pub privacy: PrivacySettings,
    pub media: MediaSettings,
    /// The website chat (`[webchat]`).
    pub webchat: WebchatSettings,
    /// Single sign-on for staff (`[sso]`); `None`: passwords only.
    pub sso: Option<SsoSettings>,
    pub hours: OpeningHours,
    pub replies: ReplyTexts,
    /// The replies staff insert with `/` (`saved-replies/*.md`).
    pub saved_replies: SavedReplies,
    pub secrets: WhatsAppSecrets,
    /// Bearer token for `/metrics` (`LOKET_METRICS_TOKEN`). Without one,
    /// `/metrics` answers only on loopback.
    pub metrics_token: Option<SecretString>,
    /// Where an urgent message outside office hours is announced
    /// (`LOKET_ALERT_URL`: a Teams or Slack webhook or a pager's address,
    /// a secret, so only from the environment).
    pub alert_url: Option<SecretString>,
}

impl Settings {
    /// Loads the configuration the way `serve` does: the folder from
    /// `LOKET_CONFIG_DIR` (default `config/`), then the environment.
    pub fn load_from_env() -> Result<Self, ConfigError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let dir = env("LOKET_CONFIG_DIR").map_or_else(|| PathBuf::from("config"), PathBuf::from);
        let mut settings = Self::load_dir(&dir)?;
        settings.apply_env(env)?;
        Ok(settings)
    }

    /// Loads and validates the three files of a config folder, without
    /// looking at the environment (tests and `config check` use this).
    pub fn load_dir(dir: &Path) -> Result<Self, ConfigError> {
        let service = ServiceFile::load(&dir.join("loket.toml"))?;
        let hours_path = dir.join("hours.toml");
        let hours = OpeningHours::load(&hours_path).map_err(|e| ConfigError::Syntax {
            file: hours_path.clone(),
            message: strip_file_prefix(&e.to_string(), &hours_path),
        })?;
        let replies = ReplyTexts::load(&dir.join("replies.toml"))?;
        let saved_replies = SavedReplies::load(dir);
        Ok(Settings {
            config_dir: dir.to_path_buf(),
            listen: service.service.listen.clone(),
            database_url: service.service.database_url.clone(),
            knowledge_dir: PathBuf::from(&service.service.knowledge_dir),
            organisation: service.service.organisation.clone(),
            trusted_proxies: service.service.trusted.clone(),
            proxy_header: service.service.proxy_header,
            webhook: service.webhook.clone(),
            whatsapp: service.whatsapp.clone(),
            outbox: service.outbox.clone(),
            emergency: service.emergency.clone(),
            knowledge: service.knowledge.clone(),
            faq: service.faq.clone(),
            queue: service.queue.clone(),
            staff: service.staff.clone(),
            report: service.report.clone(),
            privacy: service.privacy.clone(),
            media: service.media.clone(),
            webchat: service.webchat.clone(),
            sso: service.sso_settings.clone(),
            hours,
            replies,
            saved_replies,
            secrets: WhatsAppSecrets::default(),
            metrics_token: None,
            alert_url: None,
        })
    }

    /// Applies `LOKET_*` overrides and reads the secrets. `env` is a lookup
    /// function so tests need not touch the process environment.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(listen) = env("LOKET_LISTEN") {
            if listen.parse::<std::net::SocketAddr>().is_err() {
                return Err(ConfigError::Env {
                    var: "LOKET_LISTEN",
                    message: format!(
                        "{listen:?} is not an address; write host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080"
                    ),
                });
            }
            self.listen = listen;
        }
        if let Some(url) = env("LOKET_DATABASE_URL") {
            check_database_url(&url).map_err(|message| ConfigError::Env {
                var: "LOKET_DATABASE_URL",
                message,
            })?;
            self.database_url = url;
        }
        if let Some(dir) = env("LOKET_KNOWLEDGE_DIR") {
            self.knowledge_dir = PathBuf::from(dir);
        }
        if let Some(base) = env("LOKET_WHATSAPP_API_BASE") {
            check_api_base(&base).map_err(|message| ConfigError::Env {
                var: "LOKET_WHATSAPP_API_BASE",
                message,
            })?;
            self.whatsapp.api_base = base.trim_end_matches('/').to_owned();
        }
        if let Some(version) = env("LOKET_WHATSAPP_API_VERSION") {
            check_api_version(&version).map_err(|message| ConfigError::Env {
                var: "LOKET_WHATSAPP_API_VERSION",
                message,
            })?;
            self.whatsapp.api_version = version;
        }
        let secret = |name: &str| env(name).map(|v| SecretString::from(v.trim().to_owned()));
        self.secrets = WhatsAppSecrets {
            app_secret: secret("LOKET_WHATSAPP_APP_SECRET"),
            verify_token: secret("LOKET_WHATSAPP_VERIFY_TOKEN"),
            access_token: secret("LOKET_WHATSAPP_ACCESS_TOKEN"),
            phone_number_id: env("LOKET_WHATSAPP_PHONE_NUMBER_ID").map(|v| v.trim().to_owned()),
        };
        // A blank value means "not set", never "the empty token".
        self.metrics_token =
            secret("LOKET_METRICS_TOKEN").filter(|token| !token.expose_secret().is_empty());
        self.alert_url = secret("LOKET_ALERT_URL").filter(|url| !url.expose_secret().is_empty());
        if let Some(url) = &self.alert_url
            && !url::Url::parse(url.expose_secret())
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            return Err(ConfigError::Env {
                var: "LOKET_ALERT_URL",
                message: "must be a full http(s) address, e.g. the incoming-webhook address of a Teams or Slack channel".to_owned(),
            });
        }
        if let Some(sso) = &mut self.sso {
            sso.client_secret = secret("LOKET_SSO_CLIENT_SECRET")
                .filter(|secret| !secret.expose_secret().is_empty());
            if sso.client_secret.is_none() {
                return Err(ConfigError::Env {
                    var: "LOKET_SSO_CLIENT_SECRET",
                    message: "is not set, but loket.toml has an [sso] section; set it to the client secret the provider gave Loket (it is read only from the environment)".to_owned(),
                });
            }
        }
        if let Some(id) = &self.secrets.phone_number_id
            && !id.chars().all(|c| c.is_ascii_digit())
        {
            return Err(ConfigError::Env {
                var: "LOKET_WHATSAPP_PHONE_NUMBER_ID",
                message: "must be the numeric phone number id from Meta's App Dashboard (WhatsApp > API Setup), not the phone number itself".to_owned(),
            });
        }
        Ok(())
    }

    /// What an operator should know before going live, for `config check`
    /// and the start-up log: settings that are valid but risky where the
    /// service listens beyond this machine.
    pub fn warnings(&self) -> Vec<String> {
        let beyond_loopback = self
            .listen
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|address| !address.ip().to_canonical().is_loopback());
        let mut warnings = Vec::new();
        if !beyond_loopback {
            return warnings;
        }
        if self.trusted_proxies.is_empty() {
            warnings.push(format!(
                "service.listen is {}, beyond loopback, and [service] trusted_proxies is empty: behind a reverse proxy every client then has the proxy's address, so one client's failed logins lock out all staff; list the proxy's address in trusted_proxies",
                self.listen
            ));
        }
        if self.metrics_token.is_none() {
            warnings.push(format!(
                "service.listen is {}, beyond loopback, and LOKET_METRICS_TOKEN is not set: /metrics answers 403 to every client but a direct one on this machine; set a token for a Prometheus elsewhere",
                self.listen
            ));
        }
        warnings
    }

    /// Timeout for every outbound Graph API call.
    pub fn request_timeout(&self) -> Duration {
        self.whatsapp.request_timeout.0
    }
}

/// `sqlite:` or `postgres:` URLs only (public for the load tool's
/// `--database-url`).
pub fn check_database_url(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not supported; use sqlite://path/to/file.db (the default is sqlite://data/loket.db) or postgres://user:password@host/db",
            redact_url(url)
        ))
    }
}

pub(crate) fn check_api_base(base: &str) -> Result<(), String> {
    if base.starts_with("http://") || base.starts_with("https://") {
        Ok(())
    } else {
        Err(format!(
            "{base:?} is not an http(s) URL; use {DEFAULT_API_BASE} (or a loopback URL in tests)"
        ))
    }
}

pub(crate) fn check_api_version(version: &str) -> Result<(), String> {
    let ok = version.strip_prefix('v').is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{version:?} is not a Graph API version; write it like {DEFAULT_API_VERSION}"
        ))
    }
}

/// Hides a password in a database URL before it is shown anywhere.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

fn strip_file_prefix(message: &str, file: &Path) -> String {
    let prefix = format!("{}: ", file.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Settings {
        Settings::load_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("config")
                .as_path(),
        )
        .expect("shipped config is valid")
    }

    #[test]
    fn the_shipped_config_folder_is_valid() {
        let settings = shipped();
        assert_eq!(settings.listen, "127.0.0.1:8080");
        assert!(settings.database_url.starts_with("sqlite:"));
        assert!(settings.webhook.max_body_bytes >= 3 * 1024 * 1024);
    }

    #[test]
    fn environment_overrides_the_files_and_fills_the_secrets() {
        let mut settings = shipped();
        settings
            .apply_env(|name| match name {
                "LOKET_LISTEN" => Some("0.0.0.0:9000".into()),
                "LOKET_WHATSAPP_APP_SECRET" => Some("s3cret".into()),
                "LOKET_WHATSAPP_API_BASE" => Some("http://127.0.0.1:1234/".into()),
                "LOKET_METRICS_TOKEN" => Some("scrape-me".into()),
                _ => None,
            })
            .expect("valid overrides");
        assert!(settings.metrics_token.is_some());
        assert!(!format!("{settings:?}").contains("scrape-me"));
        assert_eq!(settings.listen, "0.0.0.0:9000");
        assert_eq!(settings.whatsapp.api_base, "http://127.0.0.1:1234");
        assert!(settings.secrets.app_secret.is_some());
        assert!(settings.secrets.access_token.is_none());
        assert!(
            !format!("{settings:?}").contains("s3cret"),
            "secrets must not show in Debug output"
        );
    }

    #[test]
    fn listening_beyond_loopback_without_proxies_or_token_is_warned_about() {
        let mut settings = shipped();
        assert!(settings.warnings().is_empty(), "loopback needs no warning");
        settings.listen = "0.0.0.0:8080".to_owned();
        let warnings = settings.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("trusted_proxies"), "{warnings:?}");
        assert!(warnings[1].contains("LOKET_METRICS_TOKEN"), "{warnings:?}");
        settings.trusted_proxies = TrustedProxies::parse(&["10.0.0.5".to_owned()]).expect("valid");
        settings.metrics_token = Some(SecretString::from("scrape"));
        assert!(settings.warnings().is_empty());
        settings.listen = "[::1]:8080".to_owned();
        settings.trusted_proxies = TrustedProxies::default();
        settings.metrics_token = None;
        assert!(settings.warnings().is_empty(), "IPv6 loopback");
    }

    #[test]
    fn a_wrong_environment_value_names_the_variable_and_what_is_allowed() {
        let mut settings = shipped();
        let err = settings
            .apply_env(|name| (name == "LOKET_DATABASE_URL").then(|| "mysql://x".to_owned()))
            .expect_err("mysql is not supported");
        let text = err.to_string();
        assert!(text.contains("LOKET_DATABASE_URL"), "{text}");
        assert!(text.contains("sqlite://"), "{text}");
    }

    #[test]
    fn single_sign_on_needs_its_secret_from_the_environment_and_passwords_need_an_alternative() {
        let dir = tempfile_dir_with("[staff]\nlocal_passwords = false\n");
        let text = Settings::load_dir(dir.path())
            .expect_err("no way to log in")
            .to_string();
        assert!(text.contains("staff.local_passwords"), "{text}");

        let dir = tempfile_dir_with(
            "[staff]\nlocal_passwords = false\n[sso]\nissuer = \"https://sso.example.org/realms/x\"\nclient_id = \"loket\"\nredirect_url = \"https://loket.example.org/staff/sso/callback\"\n[sso.roles]\n\"kcc\" = \"staff\"\n",
        );
        let mut settings = Settings::load_dir(dir.path()).expect("valid");
        let text = settings
            .apply_env(|_| None)
            .expect_err("no secret")
            .to_string();
        assert!(text.contains("LOKET_SSO_CLIENT_SECRET"), "{text}");
        settings
            .apply_env(|name| (name == "LOKET_SSO_CLIENT_SECRET").then(|| "geheim-42".to_owned()))
            .expect("with the secret");
        assert!(
            settings
                .sso
                .as_ref()
                .is_some_and(|s| s.client_secret.is_some())
        );
        assert!(
            !format!("{settings:?}").contains("geheim-42"),
            "never in Debug"
        );
    }

    /// A config folder: the shipped hours and replies, and `service` as
    /// loket.toml (every key of it is optional).
    fn tempfile_dir_with(service: &str) -> tempfile::TempDir {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let dir = tempfile::tempdir().expect("temp dir");
        for file in ["hours.toml", "replies.toml"] {
            std::fs::copy(shipped.join(file), dir.path().join(file)).expect("copy");
        }
        std::fs::write(dir.path().join("loket.toml"), service).expect("write");
        dir
    }

    #[test]
    fn a_password_in_a_database_url_is_redacted() {
        assert_eq!(
            redact_url("postgres://loket:geheim@db/loket"),
            "postgres://loket:***@db/loket"
        );
        assert_eq!(
            redact_url("sqlite://data/loket.db"),
            "sqlite://data/loket.db"
        );
    }
}
