//! Test harness: the real app over real HTTP on port 0, a fresh SQLite file
//! per test, and the loopback fake Graph API that records what it received.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;
use loket::clock::{Clock, ShiftedClock};
use loket::config::{HumanDuration, Settings};
use loket::db::Store;
use loket::knowledge::watch::SharedKnowledge;
use loket::startup::{self, RunningApp};
use loket::whatsapp::fake_graph::{FakeGraphApi, FakeGraphConfig};
use loket::whatsapp::signature::sign_body;
use secrecy::SecretString;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const CITIZEN: &str = "31600000001";

/// A local time in Amsterdam as UTC.
pub fn amsterdam(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Amsterdam
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .expect("valid local time")
}

/// Saturday 21 November 2026, 22:15 in Amsterdam: the office is closed.
pub fn saturday_night() -> DateTime<Utc> {
    amsterdam(2026, 11, 21, 22, 15)
}

/// Tuesday 24 November 2026, 10:00 in Amsterdam: the office is open.
pub fn tuesday_morning() -> DateTime<Utc> {
    amsterdam(2026, 11, 24, 10, 0)
}

pub struct TestApp {
    app: Option<RunningApp>,
    pub graph: FakeGraphApi,
    pub settings: Settings,
    pub clock: Arc<dyn Clock>,
    /// The same clock, to move it ahead.
    pub shifted: ShiftedClock,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub fn test_settings(dir: &Path, graph: &FakeGraphApi) -> Settings {
    let config_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut settings = Settings::load_dir(&config_dir).expect("shipped config loads");
    settings.listen = "127.0.0.1:0".to_owned();
    settings.database_url = format!("sqlite://{}", dir.join("loket.db").display());
    settings.whatsapp.api_base = graph.base_url().to_owned();
    settings.whatsapp.api_version = "v23.0".to_owned();
    settings.whatsapp.request_timeout = HumanDuration(Duration::from_secs(2));
    settings.outbox.initial_backoff = HumanDuration(Duration::from_millis(50));
    settings.outbox.max_backoff = HumanDuration(Duration::from_millis(200));
    settings.secrets.app_secret = Some(SecretString::from(APP_SECRET));
    settings.secrets.verify_token = Some(SecretString::from(VERIFY_TOKEN));
    settings.secrets.access_token = Some(SecretString::from("test-access-token"));
    settings.secrets.phone_number_id = Some("123456789012345".to_owned());
    settings
}

/// Starts the app with the clock running from `start`.
pub async fn spawn_app_at(start: DateTime<Utc>) -> TestApp {
    spawn_app_with(start, |_| {}).await
}

/// Starts the app with adjusted settings.
pub async fn spawn_app_with(start: DateTime<Utc>, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let graph = FakeGraphApi::start(FakeGraphConfig::default())
        .await
        .expect("fake Graph API starts");
    let mut settings = test_settings(dir.path(), &graph);
    adjust(&mut settings);
    let shifted = ShiftedClock::starting_at(start);
    let clock: Arc<dyn Clock> = Arc::new(shifted.clone());
    let app = boot(&settings, clock.clone()).await;
    TestApp {
        app: Some(app),
        graph,
        settings,
        clock,
        shifted,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

async fn boot(settings: &Settings, clock: Arc<dyn Clock>) -> RunningApp {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    startup::start_on(listener, settings.clone(), clock)
        .await
        .expect("app starts")
}

impl TestApp {
    fn app(&self) -> &RunningApp {
        self.app.as_ref().expect("app is running")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.app().base_url(), path)
    }

    /// The SQLite database file (its `-wal` file sits beside it).
    pub fn db_path(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(
            self.settings
                .database_url
                .trim_start_matches("sqlite://")
                .to_owned(),
        )
    }

    pub fn store(&self) -> &Store {
        &self.app().store
    }

    /// The knowledge base the running app serves (swapped on reload).
    pub fn knowledge(&self) -> SharedKnowledge {
        self.app().knowledge.clone()
    }

    /// POSTs a webhook body signed with the app secret.
    pub async fn post_webhook(&self, body: &str) -> reqwest::Response {
        let signature = sign_body(APP_SECRET.as_bytes(), body.as_bytes());
        self.post_webhook_raw(body.as_bytes().to_vec(), Some(&signature))
            .await
    }

    /// POSTs raw bytes with the given signature header (or none).
    pub async fn post_webhook_raw(
        &self,
        body: Vec<u8>,
        signature: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url("/webhooks/whatsapp"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        request.send().await.expect("webhook request")
    }

    /// Stops the app and starts it again on the same database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.app = Some(boot(&self.settings, self.clock.clone()).await);
    }

    /// Stops the app (server and workers).
    pub async fn stop(&mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await;
        }
    }

    /// Texts (and interactive bodies) the fake Graph API accepted, in order.
    pub fn sent_texts(&self) -> Vec<String> {
        self.graph
            .sent_messages()
            .iter()
            .filter_map(|m| {
                m.body
                    .pointer("/text/body")
                    .or_else(|| m.body.pointer("/interactive/body/text"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            })
            .collect()
    }

    /// Waits until the fake Graph API has accepted `n` messages (not
    /// counting read receipts), then a little longer to catch extras.
    pub async fn wait_for_sent(&self, n: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.graph.sent_messages().len() < n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Anything beyond n would show up now.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.sent_texts()
    }

    /// Waits until every stored inbound message has been processed.
    pub async fn wait_until_processed(&self) {
        self.eventually("every stored message is processed", || async {
            self.store()
                .count(loket::db::CountedTable::UnprocessedInbound)
                .await
                .is_ok_and(|n| n == 0)
        })
        .await;
    }

    /// Polls `check` until it holds or 10 s pass.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < deadline {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for: {what}");
    }
}

/// Reads a fixture from `tests/fixtures/webhooks/`.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/webhooks")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}
