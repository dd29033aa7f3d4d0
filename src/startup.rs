//! Builds the running service: database, transport, HTTP server and the
//! background workers, all sharing one cancellation token so `stop` ends
//! them together and says which stopped.

use crate::clock::Clock;
use crate::config::{Settings, redact_url};
use crate::db::Store;
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::watch::SharedKnowledge;
use crate::queue::events::EventHub;
use crate::web::{self, AppState};
use crate::whatsapp::client::{GraphClient, GraphSettings, LogTransport, Transport};
use crate::{outbox, processing};
use actix_web::{App, HttpServer, dev::ServerHandle};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Chooses the Graph API when credentials are configured, else the log
/// transport, so `serve` works out of the box on a newcomer's machine.
pub fn transport_for(settings: &Settings) -> anyhow::Result<Transport> {
    let secrets = &settings.secrets;
    match (&secrets.access_token, &secrets.phone_number_id) {
        (Some(token), Some(phone_number_id)) => {
            let client = GraphClient::new(GraphSettings {
                api_base: settings.whatsapp.api_base.clone(),
                api_version: settings.whatsapp.api_version.clone(),
                phone_number_id: phone_number_id.clone(),
                access_token: token.clone(),
                timeout: settings.request_timeout(),
            })
            .context("building the Graph API client")?;
            Ok(Transport::Graph(client))
        }
        _ => Ok(Transport::Log(LogTransport)),
    }
}

/// A started service.
pub struct RunningApp {
    /// The address the HTTP server listens on (port 0 resolved).
    pub address: std::net::SocketAddr,
    pub store: Store,
    /// Queue events for this instance's staff pages.
    pub events: EventHub,
    /// The served knowledge base; the watcher swaps in new versions.
    pub knowledge: SharedKnowledge,
    server: ServerHandle,
    server_task: JoinHandle<std::io::Result<()>>,
    workers: Vec<(&'static str, JoinHandle<()>)>,
    cancel: CancellationToken,
    streams: CancellationToken,
}

impl std::fmt::Debug for RunningApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningApp")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Opens the database, binds the listener and starts server and workers.
pub async fn start(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<RunningApp> {
    let listener = TcpListener::bind(&settings.listen)
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    start_on(listener, settings, clock).await
}

/// Like [`start`], on a listener the caller bound (tests bind port 0).
pub async fn start_on(
    listener: TcpListener,
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<RunningApp> {
    start_serving(listener, settings, clock, None).await
}

/// Like [`start_on`], serving `knowledge`, loaded beforehand from
/// `settings.knowledge_dir`, instead of loading and training it again.
/// For the tests, which start hundreds of apps on the same folder; the
/// watcher still swaps in a new version when the folder changes.
pub async fn start_on_with_knowledge(
    listener: TcpListener,
    settings: Settings,
    clock: Arc<dyn Clock>,
    knowledge: Arc<KnowledgeBase>,
) -> anyhow::Result<RunningApp> {
    start_serving(listener, settings, clock, Some(knowledge)).await
}

async fn start_serving(
    listener: TcpListener,
    settings: Settings,
    clock: Arc<dyn Clock>,
    preloaded: Option<Arc<KnowledgeBase>>,
) -> anyhow::Result<RunningApp> {
    let address = listener
        .local_addr()
        .context("reading the listen address")?;
    let store = Store::connect(&settings.database_url)
        .await
        .with_context(|| {
            format!(
                "opening the database {}",
                redact_url(&settings.database_url)
            )
        })?;
    let transport = Arc::new(transport_for(&settings)?);
    log_configuration(&settings, &transport);
    // Watch before loading: a change made while loading is then not missed.
    let knowledge_watch = crate::knowledge::watch::watch_folder(&settings.knowledge_dir);
    let knowledge = match preloaded {
        Some(knowledge) => Arc::new(arc_swap::ArcSwap::new(knowledge)),
        None => load_knowledge(&settings).await?,
    };

    let settings = Arc::new(settings);
    let cancel = CancellationToken::new();
    let wake_processor = Arc::new(Notify::new());
    let wake_outbox = Arc::new(Notify::new());
    let wake_fetcher = Arc::new(Notify::new());
    // Several instances on PostgreSQL: the hub's events also go to the
    // others (LISTEN/NOTIFY); on SQLite there is only this one.
    let (events, relay) = match store.dialect() {
        crate::db::Dialect::Postgres => {
            let (hub, outgoing) = EventHub::relayed();
            (hub, Some(outgoing))
        }
        crate::db::Dialect::Sqlite => (EventHub::new(), None),
    };
    let streams = CancellationToken::new();
    let metrics = crate::metrics::Metrics::new();
    let (intake, intake_task) = crate::intake::Intake::start(store.clone(), cancel.clone());

    let mut workers = vec![
        ("webhook writer", intake_task),
        (
            "message processor",
            tokio::spawn(
                processing::Processor {
                    store: store.clone(),
                    settings: settings.clone(),
                    knowledge: knowledge.clone(),
                    clock: clock.clone(),
                    events: events.clone(),
                    wake: wake_processor.clone(),
                    outbox: wake_outbox.clone(),
                    metrics: metrics.clone(),
                }
                .run_until_stopped(cancel.clone()),
            ),
        ),
        (
            "retention purge",
            tokio::spawn(crate::retention::run_until_stopped(
                store.clone(),
                clock.clone(),
                settings.privacy.clone(),
                crate::report::rollup::Rollup::from_settings(&settings),
                metrics.clone(),
                cancel.clone(),
            )),
        ),
        (
            "follow-up sender",
            tokio::spawn(crate::queue::followup::run_until_stopped(
                store.clone(),
                settings.clone(),
                clock.clone(),
                wake_outbox.clone(),
                cancel.clone(),
            )),
        ),
        (
            "left web chats",
            tokio::spawn(crate::queue::abandoned::run_until_stopped(
                store.clone(),
                settings.clone(),
                clock.clone(),
                events.clone(),
                cancel.clone(),
            )),
        ),
        (
            "outbox sender",
            tokio::spawn(
                outbox::Sender {
                    store: store.clone(),
                    transport: transport.clone(),
                    settings: settings.outbox.clone(),
                    link_allowlist: settings.knowledge.link_allowlist.clone(),
                    clock: clock.clone(),
                    wake: wake_outbox.clone(),
                    metrics: metrics.clone(),
                    web_wakes: events.clone(),
                }
                .run_until_stopped(cancel.clone()),
            ),
        ),
    ];
    // Without WhatsApp credentials there is nothing to fetch from.
    if let crate::whatsapp::client::Transport::Graph(client) = transport.as_ref() {
        let client = crate::whatsapp::media::MediaClient::new(client.settings().clone())
            .context("building the media client")?;
        workers.push((
            "media fetcher",
            tokio::spawn(
                crate::fetcher::Fetcher {
                    store: store.clone(),
                    client,
                    settings: crate::fetcher::FetcherSettings {
                        caps: settings.media.caps(),
                        poll: settings.media.fetch_poll.0,
                        ..crate::fetcher::FetcherSettings::default()
                    },
                    clock: clock.clone(),
                    wake: wake_fetcher.clone(),
                }
                .run_until_stopped(cancel.clone()),
            ),
        ));
    }
    workers.extend([(
        "knowledge watcher",
        tokio::spawn(crate::knowledge::watch::run_until_stopped(
            settings.knowledge_dir.clone(),
            knowledge_watch,
            knowledge.clone(),
            cancel.clone(),
        )),
    )]);
    if store.dialect() == crate::db::Dialect::Postgres {
        workers.push((
            "web chat relay",
            tokio::spawn(crate::webchat::relay_deliveries(
                store.clone(),
                events.clone(),
                cancel.clone(),
            )),
        ));
    }
    if let Some(outgoing) = relay {
        workers.push((
            "queue event relay",
            tokio::spawn(crate::queue::relay::run_until_stopped(
                store.clone(),
                events.clone(),
                outgoing,
                rand::random(),
                cancel.clone(),
            )),
        ));
    }

    let state = AppState {
        store: store.clone(),
        settings: settings.clone(),
        clock,
        wake_processor,
        wake_outbox,
        wake_fetcher,
        events: events.clone(),
        knowledge: knowledge.clone(),
        streams: streams.clone(),
        metrics,
        revealed: Arc::default(),
        read_audited: Arc::default(),
        ended_sessions: tokio::sync::broadcast::channel(64).0,
        intake,
        sso: settings
            .sso
            .clone()
            .map(|sso| crate::accounts::sso::Sso::new(sso, settings.request_timeout()))
            .transpose()
            .context("preparing single sign-on")?
            .map(Arc::new),
        webchat_limits: Arc::new(crate::webchat::Limits::new(&settings.webchat)),
    };
    let max_body = settings.webhook.max_body_bytes;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(web::limits::header_limit))
            .app_data(actix_web::web::Data::new(state.clone()))
            .configure(|cfg| web::configure(cfg, max_body))
    })
    .listen(listener)
    .context("starting the HTTP server")?
    .shutdown_timeout(10)
    .disable_signals()
    .run();
    let handle = server.handle();
    let server_task = tokio::spawn(server);
    tracing::info!(%address, "Loket is listening");
    Ok(RunningApp {
        address,
        store,
        events,
        knowledge,
        server: handle,
        server_task,
        workers,
        cancel,
        streams,
    })
}

/// Loads and indexes the knowledge base (off the async threads). Problems
/// in files are logged, not fatal: the rest is served.
async fn load_knowledge(settings: &Settings) -> anyhow::Result<SharedKnowledge> {
    let dir = settings.knowledge_dir.clone();
    let started = std::time::Instant::now();
    let knowledge = tokio::task::spawn_blocking(move || KnowledgeBase::load(&dir))
        .await
        .context("loading the knowledge base")?
        .context("building the search index")?;
    crate::knowledge::watch::log_problems(&knowledge);
    tracing::info!(
        dir = %settings.knowledge_dir.display(),
        entries = knowledge.index.entries().len(),
        errors = knowledge.error_count(),
        took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "knowledge base loaded"
    );
    Ok(Arc::new(arc_swap::ArcSwap::from_pointee(knowledge)))
}

fn log_configuration(settings: &Settings, transport: &Transport) {
    let secrets = &settings.secrets;
    tracing::info!(
        database = %redact_url(&settings.database_url),
        transport = %transport.describe(),
        webhook_signatures = if secrets.app_secret.is_some() { "checked" } else { "NOT CONFIGURED: POSTs are refused (set LOKET_WHATSAPP_APP_SECRET)" },
        webhook_verification = if secrets.verify_token.is_some() { "enabled" } else { "refused (set LOKET_WHATSAPP_VERIFY_TOKEN)" },
        "configuration loaded"
    );
    for warning in settings.warnings() {
        tracing::warn!("{warning}");
    }
    for problem in settings.saved_replies.problems() {
        tracing::warn!("saved reply: {problem}");
    }
}

impl RunningApp {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Runs until Ctrl-C / SIGTERM or until a part stops by itself.
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        let reason = tokio::select! {
            _ = shutdown_signal() => "shutdown signal".to_owned(),
            result = &mut self.server_task => format!("HTTP server stopped: {result:?}"),
        };
        tracing::info!("stopping: {reason}");
        self.stop().await;
        Ok(())
    }

    /// Stops at once, as a crash would: connections are dropped, workers
    /// are aborted mid-step (open transactions roll back, replies being
    /// sent stay leased until their lease runs out) and nothing is
    /// finished. For tests of several instances, where one must die.
    pub async fn kill(self) {
        self.streams.cancel();
        for (_, worker) in &self.workers {
            worker.abort();
        }
        self.server.stop(false).await;
        self.server_task.abort();
    }

    /// Stops the HTTP server (finishing requests in flight) and the workers
    /// (finishing their current step), and closes the database.
    pub async fn stop(self) {
        self.streams.cancel();
        self.server.stop(true).await;
        self.cancel.cancel();
        for (name, worker) in self.workers {
            if let Err(error) = worker.await {
                tracing::error!(worker = name, error = %error, "worker ended abnormally");
            }
        }
        self.store.close().await;
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
