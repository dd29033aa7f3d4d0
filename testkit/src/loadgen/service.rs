//! The service under load: started in this process, started as a child
//! process (`loket serve`, which crash mode kills with SIGKILL and starts
//! again on the same database), or an external one at `--target`.

use anyhow::Context;
use loket::clock::SystemClock;
use loket::config::Settings;
use loket::startup::RunningApp;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the load tool reaches the fake Graph API and signs webhooks.
#[derive(Debug, Clone)]
pub struct Wiring {
    pub graph_base: String,
    pub access_token: String,
    pub phone_number_id: String,
    pub app_secret: String,
    pub database_url: String,
    pub send_rate: u32,
    pub knowledge_dir: PathBuf,
    /// `[webchat] requests_per_minute_per_ip` of a service of our own, when
    /// the load comes from one address (`--channel web`).
    pub webchat_requests_per_ip: Option<u32>,
}

/// A running service.
pub enum Service {
    InProcess(Box<RunningApp>),
    Child(ChildService),
    External(String),
}

impl Service {
    /// Starts the service `mode` names (one at `--target` is only told
    /// how to reach the fake Graph API); with the words the report uses.
    pub async fn start(
        mode: &super::Mode,
        base: &Settings,
        wiring: &Wiring,
        dir: &Path,
    ) -> anyhow::Result<(Self, String)> {
        Ok(match mode {
            super::Mode::InProcess => (
                start_in_process(own_settings(base, wiring)).await?,
                "service in this process".to_owned(),
            ),
            super::Mode::Child { loket_bin, .. } => (
                Service::Child(ChildService::start(base, wiring, loket_bin, dir).await?),
                "`loket serve` as a child process".to_owned(),
            ),
            super::Mode::Target(url) => {
                eprintln!(
                    "loadgen: sending in 3 s; configure the service with LOKET_WHATSAPP_API_BASE={} LOKET_WHATSAPP_ACCESS_TOKEN={} LOKET_WHATSAPP_PHONE_NUMBER_ID={}",
                    wiring.graph_base, wiring.access_token, wiring.phone_number_id
                );
                // Time to read the line (or to have started the service
                // with `--graph-listen`'s address beforehand).
                tokio::time::sleep(Duration::from_secs(3)).await;
                (Service::External(url.clone()), format!("service at {url}"))
            }
        })
    }

    /// The service's base URL (`http://127.0.0.1:port`).
    pub fn base_url(&self) -> String {
        match self {
            Service::InProcess(app) => app.base_url(),
            Service::Child(child) => child.base_url.clone(),
            Service::External(base) => base.trim_end_matches('/').to_owned(),
        }
    }

    /// The webhook URL.
    pub fn webhook_url(&self) -> String {
        format!("{}/webhooks/whatsapp", self.base_url())
    }

    /// The peak resident memory of a child service, in MB.
    pub fn peak_rss_mb(&self) -> Option<f64> {
        match self {
            Service::Child(child) => child.peak_rss_kb().map(|kb| kb as f64 / 1024.0),
            _ => None,
        }
    }

    /// Stops it (an external service is left alone).
    pub async fn stop(self) -> Option<u64> {
        match self {
            Service::InProcess(app) => {
                app.stop().await;
                None
            }
            Service::Child(mut child) => {
                let peak = child.peak_rss_kb();
                child.kill();
                peak
            }
            Service::External(_) => None,
        }
    }
}

/// The settings for a service of our own: `base` with the load tool's
/// database, fake Graph API, secrets and send rate.
pub fn own_settings(base: &Settings, wiring: &Wiring) -> Settings {
    let mut settings = base.clone();
    settings.listen = "127.0.0.1:0".to_owned();
    settings.database_url = wiring.database_url.clone();
    settings.knowledge_dir = wiring.knowledge_dir.clone();
    settings.whatsapp.api_base = wiring.graph_base.clone();
    settings.outbox.send_rate = wiring.send_rate;
    if let Some(limit) = wiring.webchat_requests_per_ip {
        settings.webchat.requests_per_minute_per_ip = limit;
    }
    settings.secrets.app_secret = Some(SecretString::from(wiring.app_secret.clone()));
    settings.secrets.access_token = Some(SecretString::from(wiring.access_token.clone()));
    settings.secrets.phone_number_id = Some(wiring.phone_number_id.clone());
    settings
}

/// Starts the service in this process on a free loopback port.
pub async fn start_in_process(settings: Settings) -> anyhow::Result<Service> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
    let app = loket::startup::start_on(listener, settings, Arc::new(SystemClock))
        .await
        .context("starting the service")?;
    Ok(Service::InProcess(Box::new(app)))
}

/// Sets `[section] key = value` in a parsed `loket.toml`.
fn set(table: &mut toml::Table, section: &str, key: &str, value: u32) {
    let section = table
        .entry(section)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(section) = section {
        section.insert(key.to_owned(), toml::Value::Integer(i64::from(value)));
    }
}

/// `loket serve` as a child process, with its own config folder.
pub struct ChildService {
    child: Option<Child>,
    pub base_url: String,
    loket_bin: PathBuf,
    command: Vec<(String, String)>,
    log: PathBuf,
}

impl ChildService {
    /// Writes a config folder into `dir` (from `base`'s folder, with the
    /// load tool's send rate) and starts `loket_bin serve` on a free port.
    pub async fn start(
        base: &Settings,
        wiring: &Wiring,
        loket_bin: &Path,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let config = dir.join("config");
        std::fs::create_dir_all(&config)
            .with_context(|| format!("creating {}", config.display()))?;
        for file in ["hours.toml", "replies.toml"] {
            std::fs::copy(base.config_dir.join(file), config.join(file))
                .with_context(|| format!("copying {file} from {}", base.config_dir.display()))?;
        }
        let source = base.config_dir.join("loket.toml");
        let text = std::fs::read_to_string(&source)
            .with_context(|| format!("reading {}", source.display()))?;
        let mut table: toml::Table =
            toml::from_str(&text).with_context(|| format!("parsing {}", source.display()))?;
        set(&mut table, "outbox", "send_rate", wiring.send_rate);
        if let Some(limit) = wiring.webchat_requests_per_ip {
            set(&mut table, "webchat", "requests_per_minute_per_ip", limit);
        }
        let written = toml::to_string(&table).context("writing the child's loket.toml")?;
        std::fs::write(config.join("loket.toml"), written).context("writing loket.toml")?;

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free port")?
            .port();
        let knowledge = std::fs::canonicalize(&wiring.knowledge_dir)
            .unwrap_or_else(|_| wiring.knowledge_dir.clone());
        let log_filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned());
        let command = vec![
            ("LOKET_CONFIG_DIR".to_owned(), config.display().to_string()),
            ("LOKET_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
            ("LOKET_DATABASE_URL".to_owned(), wiring.database_url.clone()),
            (
                "LOKET_KNOWLEDGE_DIR".to_owned(),
                knowledge.display().to_string(),
            ),
            (
                "LOKET_WHATSAPP_API_BASE".to_owned(),
                wiring.graph_base.clone(),
            ),
            (
                "LOKET_WHATSAPP_ACCESS_TOKEN".to_owned(),
                wiring.access_token.clone(),
            ),
            (
                "LOKET_WHATSAPP_PHONE_NUMBER_ID".to_owned(),
                wiring.phone_number_id.clone(),
            ),
            (
                "LOKET_WHATSAPP_APP_SECRET".to_owned(),
                wiring.app_secret.clone(),
            ),
            ("RUST_LOG".to_owned(), log_filter),
        ];
        let mut service = Self {
            child: None,
            base_url: format!("http://127.0.0.1:{port}"),
            loket_bin: loket_bin.to_owned(),
            command,
            log: dir.join("service.log"),
        };
        service.spawn().await?;
        Ok(service)
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("opening {}", self.log.display()))?;
        let child = Command::new(&self.loket_bin)
            .arg("serve")
            .envs(self.command.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting `{} serve`", self.loket_bin.display()))?;
        self.child = Some(child);
        self.wait_ready().await
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let url = format!("{}/readyz", self.base_url);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                anyhow::bail!(
                    "`loket serve` exited with {status}; see {}",
                    self.log.display()
                );
            }
            if http
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!(
            "`loket serve` did not become ready in 120 s; see {}",
            self.log.display()
        )
    }

    /// The child's peak resident memory (`VmHWM`), in kB.
    pub fn peak_rss_kb(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        peak_rss_kb_of(&pid.to_string())
    }

    /// SIGKILL: no shutdown, no flush, like a power cut of the process.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Already gone is fine: the point is that it is not running.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again with the same database and port.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        self.spawn().await
    }
}

impl Drop for ChildService {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The peak resident memory (`VmHWM`) of process `pid` (or `self`), in kB.
pub fn peak_rss_kb_of(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
