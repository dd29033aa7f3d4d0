//! Test harness: the real app over real HTTP on port 0, a fresh database
//! per test, and the loopback fake Graph API that records what it received.
//!
//! Storage tests run twice (see [`on_both_databases!`]): on a fresh SQLite
//! file, and on a fresh database on the PostgreSQL server named by
//! `LOKET_TEST_POSTGRES_URL` (`.ci/run` starts one). Without that variable
//! the PostgreSQL half passes without running and says so on stderr.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;
use loket::clock::{Clock, ShiftedClock};
use loket::config::{HumanDuration, Settings};
use loket::db::Store;
use loket::knowledge::watch::SharedKnowledge;
use loket::startup::{self, RunningApp};
use loket::whatsapp::signature::sign_body;
use loket_testkit::fake_graph::{FakeGraphApi, FakeGraphConfig};
use secrecy::SecretString;
use sqlx::Connection;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Runs each test body on SQLite and on PostgreSQL: `name::sqlite` and
/// `name::postgres`. The body finds its database through
/// [`spawn_app_with`], so a test reads the same on both.
macro_rules! on_both_databases {
    ($($(#[$attr:meta])* async fn $name:ident() $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn test() $body

            $(#[$attr])*
            async fn sqlite() {
                crate::helpers::on_sqlite(test()).await
            }

            $(#[$attr])*
            async fn postgres() {
                crate::helpers::on_postgres(test).await
            }
        }
    )*};
}

tokio::task_local! {
    /// The PostgreSQL database of the running test; `None`: SQLite.
    static POSTGRES: Option<String>;
}

/// The variable that names the PostgreSQL server for the tests.
pub const POSTGRES_ENV: &str = "LOKET_TEST_POSTGRES_URL";

/// Runs a test on SQLite (a fresh file per app).
pub async fn on_sqlite<T>(test: impl std::future::Future<Output = T>) -> T {
    POSTGRES.scope(None, test).await
}

/// Runs a test on a fresh PostgreSQL database, dropped afterwards; says
/// so and returns when no server is configured.
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    POSTGRES.scope(Some(database.url.clone()), test()).await;
    database.drop_now().await;
}

/// A database of its own on the test PostgreSQL server.
pub struct TestDatabase {
    pub url: String,
    server: String,
    name: String,
}

impl TestDatabase {
    /// `None` (after saying so, once per test binary) when
    /// `LOKET_TEST_POSTGRES_URL` is not set.
    pub async fn create() -> Option<Self> {
        let Ok(server) = std::env::var(POSTGRES_ENV) else {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                // Straight to stderr: the test harness captures eprintln!.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL half not run: set {POSTGRES_ENV} (e.g. postgres://loket@127.0.0.1:5432/postgres; .ci/run does)"
                );
            });
            return None;
        };
        let name = format!("loket_test_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::postgres::PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV}: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        let _ = admin.close().await;
        let mut url = url::Url::parse(&server).expect("LOKET_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            server,
            name,
        })
    }

    /// Drops the database (connections of apps still open are ended).
    pub async fn drop_now(self) {
        if let Ok(mut admin) = sqlx::postgres::PgConnection::connect(&self.server).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .await;
            let _ = admin.close().await;
        }
    }
}

/// The database URL for an app in this test: the test's PostgreSQL
/// database, else a SQLite file in `dir`.
pub fn database_url(dir: &Path) -> String {
    POSTGRES
        .try_with(Clone::clone)
        .ok()
        .flatten()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("loket.db").display()))
}

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
    settings.database_url = database_url(dir);
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
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    spawn_app_on(listener, start, adjust).await
}

/// Starts the app on a listener the test bound (to know its address
/// before the settings are made, e.g. for a redirect URL).
pub async fn spawn_app_on(
    listener: std::net::TcpListener,
    start: DateTime<Utc>,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let graph = FakeGraphApi::start(FakeGraphConfig::default())
        .await
        .expect("fake Graph API starts");
    let mut settings = test_settings(dir.path(), &graph);
    adjust(&mut settings);
    let shifted = ShiftedClock::starting_at(start);
    let clock: Arc<dyn Clock> = Arc::new(shifted.clone());
    let app = start_app(listener, &settings, clock.clone()).await;
    TestApp {
        app: Some(app),
        graph,
        settings,
        clock,
        shifted,
        http: test_client(),
        _dir: dir,
    }
}

/// Every test HTTP client starts here: a request that gets no answer
/// fails the test after a while instead of hanging it (a stuck CI run
/// says nothing).
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().timeout(Duration::from_secs(120))
}

/// The tests' HTTP client (see [`client_builder`]).
pub fn test_client() -> reqwest::Client {
    client_builder().build().expect("HTTP client")
}

/// A test HTTP client that shows redirects instead of following them.
pub fn client_without_redirects() -> reqwest::Client {
    client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

async fn boot(settings: &Settings, clock: Arc<dyn Clock>) -> RunningApp {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    start_app(listener, settings, clock).await
}

/// Starts the app; on the shipped knowledge folder with the base loaded
/// once for the whole test process (training it again for every app was
/// most of each test's start-up time).
async fn start_app(
    listener: std::net::TcpListener,
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> RunningApp {
    let started = if settings.knowledge_dir == Path::new(SHIPPED_KNOWLEDGE) {
        startup::start_on_with_knowledge(listener, settings.clone(), clock, shipped_knowledge())
            .await
    } else {
        startup::start_on(listener, settings.clone(), clock).await
    };
    started.expect("app starts")
}

/// The knowledge folder of the shipped configuration (relative: tests run
/// in the crate's folder).
const SHIPPED_KNOWLEDGE: &str = "knowledge";

/// The shipped knowledge base, loaded and trained once per test process.
fn shipped_knowledge() -> Arc<loket::knowledge::base::KnowledgeBase> {
    static SHIPPED: std::sync::OnceLock<Arc<loket::knowledge::base::KnowledgeBase>> =
        std::sync::OnceLock::new();
    SHIPPED
        .get_or_init(|| {
            Arc::new(
                loket::knowledge::base::KnowledgeBase::load(Path::new(SHIPPED_KNOWLEDGE))
                    .expect("the shipped knowledge base loads"),
            )
        })
        .clone()
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
        self.wait_until_none(
            loket::db::CountedTable::UnprocessedInbound,
            "every stored message is processed",
        )
        .await;
    }

    /// Waits until every stored message is processed and every reply to
    /// it sent.
    pub async fn wait_until_settled(&self) {
        self.wait_until_processed().await;
        self.wait_until_none(
            loket::db::CountedTable::PendingOutbox,
            "the outbox is empty",
        )
        .await;
    }

    /// Waits until `table` counts no rows.
    async fn wait_until_none(&self, table: loket::db::CountedTable, what: &str) {
        self.eventually(what, || async {
            self.store().count(table).await.is_ok_and(|n| n == 0)
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

/// `loket_session=...` from the Set-Cookie header.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("loket_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// The first Set-Cookie header as sent, attributes included ("" if none).
pub fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Sends a request and reads its answer as JSON.
pub async fn json_of(request: reqwest::RequestBuilder) -> serde_json::Value {
    request
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("a JSON answer")
}

/// Reads a fixture from `tests/fixtures/webhooks/`.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/webhooks")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A Dutch knowledge file with the given title, example questions and
/// answer (keyword "sportpas").
pub fn knowledge_entry(id: &str, title: &str, questions: &[&str], body: &str) -> String {
    let questions: String = questions.iter().map(|q| format!("  - {q}\n")).collect();
    format!(
        "---\nid: {id}\ntitle: {title}\nlang: nl\nquestions:\n{questions}keywords: [sportpas]\n---\n{body}\n"
    )
}

/// A knowledge base of just these Dutch files (`(id, text)`), loaded from a
/// temporary folder that lives as long as the returned guard; every file
/// must load.
pub fn knowledge_of(
    files: &[(&str, String)],
) -> (tempfile::TempDir, loket::knowledge::base::KnowledgeBase) {
    let dir = tempfile::tempdir().expect("temp dir");
    let nl = dir.path().join("nl");
    std::fs::create_dir_all(&nl).expect("nl/");
    for (id, text) in files {
        std::fs::write(nl.join(format!("{id}.md")), text).expect("write");
    }
    let knowledge = loket::knowledge::base::KnowledgeBase::load(dir.path()).expect("loads");
    assert_eq!(
        knowledge.index.entries().len(),
        files.len(),
        "{:?}",
        knowledge.problems
    );
    (dir, knowledge)
}

/// Everything the service logs (all tests that look at the logs share
/// the one global subscriber).
pub fn captured_logs() -> &'static std::sync::Mutex<Vec<u8>> {
    static LOGS: std::sync::OnceLock<std::sync::Mutex<Vec<u8>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        // Installed once for the whole test binary, with the service's own
        // filter plus Loket's debug lines.
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,sqlx=warn,actix_server=warn,actix_web=warn,tantivy=warn,loket=debug",
            ))
            .with_writer(|| LogSink)
            .with_ansi(false)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        std::sync::Mutex::new(Vec::new())
    })
}

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = captured_logs().lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the service has logged so far, as text.
pub fn logs_so_far() -> String {
    String::from_utf8_lossy(&captured_logs().lock().expect("logs").clone()).into_owned()
}

/// Whether `node` runs here (the browser and single sign-on tests need it).
pub fn node_on_path() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
