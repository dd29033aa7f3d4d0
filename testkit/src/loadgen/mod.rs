//! The load tool behind `loket-loadgen`: drives a service with signed
//! webhook traffic ([`traffic`]) over N connections, at a target rate or
//! flat out, runs the fake Graph API the service replies to, and counts
//! the replies ([`tally`]): webhook throughput and latency, end-to-end
//! latency, the concurrency reached, replies expected, lost and
//! duplicated. In crash mode the service is a child process that is
//! killed with SIGKILL mid-run and started again on the same database.
//! [`sweep`] runs it at several concurrencies and prints one table.

pub mod cli;
pub mod in_flight;
pub mod open_files;
pub mod service;
pub mod sweep;
pub mod tally;
pub mod traffic;
pub mod web;

use crate::fake_graph::{FakeGraphApi, FakeGraphConfig, RecordedRequest};
use anyhow::Context;
use hdrhistogram::Histogram;
use loket::config::Settings;
use serde::Serialize;
use service::{Service, Wiring};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tally::Tracked;
use traffic::Traffic;

/// Where the service under load runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// In this process (default).
    InProcess,
    /// `loket serve` as a child process, started from `loket_bin`; killed
    /// after `kill_after` when set.
    Child {
        kill_after: Option<Duration>,
        loket_bin: PathBuf,
    },
    /// A service someone else runs, at this base URL.
    Target(String),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub duration: Duration,
    /// Webhook requests per second; 0 = as fast as the connections go.
    pub rate: u32,
    pub connections: usize,
    pub mode: Mode,
    /// The service's database; default a temporary SQLite file.
    pub database_url: Option<String>,
    /// `[outbox] send_rate` of a service of our own.
    pub send_rate: u32,
    /// Knowledge base of a service of our own (default: the configured one).
    pub knowledge_dir: Option<PathBuf>,
    /// Longest wait for the last replies after sending stopped.
    pub drain: Duration,
    /// Where the fake Graph API listens (default: a free loopback port).
    pub graph_listen: Option<String>,
    /// Requests that carry a photo (about 150 KB, with EXIF), in percent.
    pub image_percent: u32,
    /// Before the load: one document of this many megabytes (10^6 bytes),
    /// to see the service stream it (its peak memory in --child mode).
    pub document_mb: Option<u32>,
}

/// The photo of the load's image messages: 800x600, 149 KB, with EXIF.
const LOAD_PHOTO: &[u8] = include_bytes!("../../../tests/fixtures/media/load-photo.jpg");
/// Distinct media ids the photos are served under.
const PHOTO_IDS: usize = 32;

/// The figures of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub mode: String,
    pub graph_api_url: String,
    pub duration_s: f64,
    /// Connections opened (one sending task each).
    pub connections: usize,
    pub target_rate: u32,
    /// Most requests awaiting their answer at once.
    pub peak_in_flight: u64,
    /// Requests awaiting their answer on average over the sending time
    /// (the sum of the webhook latencies divided by that time).
    pub mean_in_flight: f64,
    pub webhook_requests: u64,
    /// Requests answered 200.
    pub webhook_ok: u64,
    /// Requests not answered 200 (refused, errors, or the service down).
    pub webhook_failed: u64,
    /// Messages and status updates in requests answered 200.
    pub webhook_messages: u64,
    pub redeliveries: u64,
    pub webhook_rps: f64,
    pub messages_per_s: f64,
    pub webhook_p50_ms: f64,
    pub webhook_p99_ms: f64,
    pub webhook_p999_ms: f64,
    pub webhook_max_ms: f64,
    pub e2e_p50_ms: f64,
    pub e2e_p99_ms: f64,
    pub e2e_p999_ms: f64,
    pub e2e_max_ms: f64,
    pub expected: u64,
    pub answered: u64,
    pub lost: u64,
    pub duplicated: u64,
    /// Reply messages the fake Graph API accepted (read receipts apart).
    pub sent: u64,
    pub read_receipts: u64,
    pub unattributed: u64,
    pub kills: u64,
    /// Sends Meta (the fake) had accepted whose rows were still pending
    /// at the kill: the honest upper bound for duplicates.
    pub in_flight_at_kill: u64,
    /// Seconds from the end of sending until the last reply.
    pub drain_s: f64,
    pub service_peak_rss_mb: Option<f64>,
    pub lost_examples: Vec<String>,
    /// Photos in requests answered 200 (redeliveries not counted).
    pub images_sent: u64,
    /// The service's media rows after the drain, by state (None: a
    /// `--target` service, whose database the tool does not know).
    pub media: Option<MediaFigures>,
    /// The size of the big document sent first, in megabytes.
    pub document_mb: Option<u32>,
}

/// The service's media after a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MediaFigures {
    pub stored: u64,
    pub pending: u64,
    pub failed: u64,
    /// Failed files by reason.
    pub failures: Vec<(String, u64)>,
}

impl Report {
    /// The human-readable summary.
    pub fn render(&self) -> String {
        let mut out = format!(
            "loket-loadgen: {} for {:.1}s, {} connections, rate {}\n",
            self.mode,
            self.duration_s,
            self.connections,
            if self.target_rate == 0 {
                "flat out".to_owned()
            } else {
                format!("{}/s", self.target_rate)
            }
        );
        out += &format!("fake Graph API:      {}\n", self.graph_api_url);
        out += &format!(
            "concurrency:         {} connections, up to {} requests in flight, {:.1} on average\n",
            self.connections, self.peak_in_flight, self.mean_in_flight
        );
        out += &format!(
            "webhook:             {} requests ({} ok, {} failed, {} redeliveries), {:.0} requests/s, {:.0} messages/s\n",
            self.webhook_requests,
            self.webhook_ok,
            self.webhook_failed,
            self.redeliveries,
            self.webhook_rps,
            self.messages_per_s
        );
        out += &format!(
            "webhook latency:     p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms\n",
            self.webhook_p50_ms, self.webhook_p99_ms, self.webhook_p999_ms, self.webhook_max_ms
        );
        out += &format!(
            "end-to-end latency:  p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms (200 -> first reply at the Graph API)\n",
            self.e2e_p50_ms, self.e2e_p99_ms, self.e2e_p999_ms, self.e2e_max_ms
        );
        out += &format!(
            "replies:             {} expected, {} answered, {} lost, {} duplicated; {} messages and {} read receipts sent ({} unattributed); drained in {:.1}s\n",
            self.expected,
            self.answered,
            self.lost,
            self.duplicated,
            self.sent,
            self.read_receipts,
            self.unattributed,
            self.drain_s
        );
        if self.kills > 0 {
            out += &format!(
                "crash:               {} kill -9, {} sends in flight at the kill (upper bound for duplicates)\n",
                self.kills, self.in_flight_at_kill
            );
        }
        if let Some(mb) = self.service_peak_rss_mb {
            out += &format!("service peak RSS:    {mb:.1} MB (VmHWM)\n");
        }
        if let Some(media) = &self.media {
            let document = self
                .document_mb
                .map(|mb| format!(" (and one {mb} MB document first)"))
                .unwrap_or_default();
            out += &format!(
                "media:               {} photos sent{document}; {} files stored, {} pending, {} failed{}\n",
                self.images_sent,
                media.stored,
                media.pending,
                media.failed,
                if media.failures.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        media
                            .failures
                            .iter()
                            .map(|(why, n)| format!("{n} {why}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            );
        }
        if !self.lost_examples.is_empty() {
            out += &format!("lost, e.g.:          {}\n", self.lost_examples.join(", "));
        }
        out
    }
}

/// What the sending connections found.
#[derive(Debug)]
struct Sent {
    latency: Histogram<u64>,
    /// The sum of the latencies of the requests answered 200 or not.
    busy_micros: u64,
    requests: u64,
    ok: u64,
    failed: u64,
    messages: u64,
    redeliveries: u64,
    images: u64,
}

/// Runs a load test against a service built from `base` (the loaded
/// configuration: config folder and environment).
pub async fn run(options: &Options, base: &Settings) -> anyhow::Result<Report> {
    // Before any socket: the child service inherits the raised limit.
    open_files::allow(open_files::needed(options.connections, &options.mode))?;
    let listener =
        std::net::TcpListener::bind(options.graph_listen.as_deref().unwrap_or("127.0.0.1:0"))
            .with_context(|| {
                format!(
                    "binding the fake Graph API to {}",
                    options.graph_listen.as_deref().unwrap_or("127.0.0.1:0")
                )
            })?;
    let graph = FakeGraphApi::start_on(FakeGraphConfig::default(), listener)
        .await
        .context("starting the fake Graph API")?;
    let graph_config = FakeGraphConfig::default();
    let (dir, database_url) = scratch(options)?;
    let app_secret = match &options.mode {
        Mode::Target(_) => {
            use secrecy::ExposeSecret;
            base.secrets
                .app_secret
                .as_ref()
                .map(|s| s.expose_secret().to_owned())
                .context("--target needs LOKET_WHATSAPP_APP_SECRET, the app secret the service checks signatures with")?
        }
        _ => hex::encode(rand::random::<[u8; 16]>()),
    };
    let wiring = Wiring {
        graph_base: graph.base_url().to_owned(),
        access_token: graph_config.access_token.clone(),
        phone_number_id: graph_config.phone_number_id.clone(),
        app_secret: app_secret.clone(),
        database_url: database_url.clone(),
        send_rate: options.send_rate,
        knowledge_dir: options
            .knowledge_dir
            .clone()
            .unwrap_or_else(|| base.knowledge_dir.clone()),
        webchat_requests_per_ip: None,
    };
    let mut report = Report {
        graph_api_url: graph.base_url().to_owned(),
        duration_s: options.duration.as_secs_f64(),
        connections: options.connections,
        target_rate: options.rate,
        ..Report::default()
    };
    let (mut service, mode) = Service::start(&options.mode, base, &wiring, dir.path()).await?;
    report.mode = mode;

    // A burst stays within the flood limit, so every message in it is
    // answered (see README: "expected reply").
    let burst = usize::try_from(base.privacy.auto_replies_per_minute)
        .unwrap_or(5)
        .clamp(1, 5);
    let run_id = u64::from(rand::random::<u16>());
    let timestamp = {
        use loket::clock::Clock;
        loket::clock::SystemClock.now().timestamp()
    };
    let photo_ids = if options.image_percent > 0 {
        let photo = actix_web::web::Bytes::from_static(LOAD_PHOTO);
        (0..PHOTO_IDS)
            .map(|_| graph.add_media(photo.clone(), "image/jpeg"))
            .collect()
    } else {
        Vec::new()
    };
    let mut traffic = Traffic::new(app_secret.as_bytes(), run_id, burst, timestamp)
        .with_images(options.image_percent, photo_ids);
    traffic.prepare(planned_requests(options));
    let traffic = Arc::new(Mutex::new(traffic));
    let tracked: Arc<Mutex<HashMap<String, Tracked>>> = Arc::default();
    // Parsed once: reqwest would parse a string for every request.
    let webhook_url = service.webhook_url();
    let url = reqwest::Url::parse(&webhook_url)
        .with_context(|| format!("the webhook URL {webhook_url}"))?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.connections)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;

    if let Some(mb) = options.document_mb {
        report.document_mb = Some(mb);
        let document = send_document(
            &http,
            &url,
            &graph,
            app_secret.as_bytes(),
            run_id,
            timestamp,
            mb,
        )
        .await?;
        tracked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(document.expect.wamid.clone(), document);
    }

    let started = Instant::now();
    let end = started + options.duration;
    let counter = Arc::new(AtomicU64::new(0));
    let gauge = Arc::new(InFlight::default());
    let mut workers = Vec::with_capacity(options.connections);
    for _ in 0..options.connections.max(1) {
        workers.push(tokio::spawn(connection(
            http.clone(),
            url.clone(),
            traffic.clone(),
            tracked.clone(),
            counter.clone(),
            gauge.clone(),
            started,
            end,
            options.rate,
        )));
    }

    if let (
        Mode::Child {
            kill_after: Some(after),
            ..
        },
        Service::Child(child),
    ) = (&options.mode, &mut service)
    {
        tokio::time::sleep(*after).await;
        child.kill();
        report.kills += 1;
        report.in_flight_at_kill = in_flight_after_kill(&database_url, &graph.received()).await?;
        child.restart().await?;
    }

    let mut latency = tally::new_histogram();
    let mut busy_micros: u64 = 0;
    for worker in workers {
        let sent = worker.await.context("a sending connection failed")?;
        latency.add(&sent.latency).ok();
        busy_micros = busy_micros.saturating_add(sent.busy_micros);
        report.webhook_requests += sent.requests;
        report.webhook_ok += sent.ok;
        report.webhook_failed += sent.failed;
        report.webhook_messages += sent.messages;
        report.redeliveries += sent.redeliveries;
        report.images_sent += sent.images;
    }
    let sending = started.elapsed().as_secs_f64().max(0.001);
    report.peak_in_flight = gauge.peak.load(Ordering::Relaxed);
    report.mean_in_flight = busy_micros as f64 / 1e6 / sending;
    report.webhook_rps = report.webhook_requests as f64 / sending;
    report.messages_per_s = report.webhook_messages as f64 / sending;
    report.webhook_p50_ms = tally::quantile_ms(&latency, 0.5);
    report.webhook_p99_ms = tally::quantile_ms(&latency, 0.99);
    report.webhook_p999_ms = tally::quantile_ms(&latency, 0.999);
    report.webhook_max_ms = latency.max() as f64 / 1000.0;

    let drain_started = Instant::now();
    drain(&graph, options.drain).await;
    if !matches!(options.mode, Mode::Target(_)) {
        report.media = Some(media_after(&database_url, drain_started + options.drain).await?);
    }
    report.drain_s = drain_started.elapsed().as_secs_f64();
    report.service_peak_rss_mb = service.peak_rss_mb();
    service.stop().await;

    let tracked = std::mem::take(&mut *tracked.lock().unwrap_or_else(PoisonError::into_inner));
    let (counts, e2e) = tally::count(&tracked, &graph.received());
    report.expected = counts.expected;
    report.answered = counts.answered;
    report.lost = counts.lost;
    report.duplicated = counts.duplicated;
    report.sent = counts.sent;
    report.read_receipts = counts.read_receipts;
    report.unattributed = counts.unattributed;
    report.lost_examples = counts.lost_examples;
    report.e2e_p50_ms = tally::quantile_ms(&e2e, 0.5);
    report.e2e_p99_ms = tally::quantile_ms(&e2e, 0.99);
    report.e2e_p999_ms = tally::quantile_ms(&e2e, 0.999);
    report.e2e_max_ms = e2e.max() as f64 / 1000.0;
    graph.shutdown().await;
    Ok(report)
}

/// The run's temporary folder and the service's database: `--database-url`,
/// or a SQLite file in that folder.
fn scratch(options: &Options) -> anyhow::Result<(tempfile::TempDir, String)> {
    let dir = tempfile::Builder::new()
        .prefix("loket-loadgen-")
        .tempdir()
        .context("creating a temporary folder")?;
    let database_url = options
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("loadgen.db").display()));
    Ok((dir, database_url))
}

/// Requests built and signed before the clock starts: what the run at
/// `--rate` sends, or flat out up to 15,000 a second (at most 150,000,
/// about 150 MB; beyond that the connections build their own).
fn planned_requests(options: &Options) -> usize {
    let seconds = options.duration.as_secs_f64();
    let per_second = if options.rate > 0 {
        f64::from(options.rate)
    } else {
        15_000.0
    };
    ((seconds * per_second).ceil() as usize + 1).min(150_000)
}

/// Requests awaiting their answer, across the connections.
#[derive(Debug, Default)]
struct InFlight {
    now: AtomicU64,
    peak: AtomicU64,
}

impl InFlight {
    fn start(&self) {
        let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    fn end(&self) {
        self.now.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One connection: takes the next request, waits for its slot (at a
/// target rate), POSTs it and records the latency and the 200.
#[allow(clippy::too_many_arguments)] // the shared state of one run
async fn connection(
    http: reqwest::Client,
    url: reqwest::Url,
    traffic: Arc<Mutex<Traffic>>,
    tracked: Arc<Mutex<HashMap<String, Tracked>>>,
    counter: Arc<AtomicU64>,
    gauge: Arc<InFlight>,
    started: Instant,
    end: Instant,
    rate: u32,
) -> Sent {
    let mut sent = Sent {
        latency: tally::new_histogram(),
        busy_micros: 0,
        requests: 0,
        ok: 0,
        failed: 0,
        messages: 0,
        redeliveries: 0,
        images: 0,
    };
    loop {
        let index = counter.fetch_add(1, Ordering::Relaxed);
        if rate > 0 {
            let due = started + Duration::from_secs_f64(index as f64 / f64::from(rate));
            if due >= end {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
        } else if Instant::now() >= end {
            break;
        }
        let request = traffic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next_request();
        {
            let mut tracked = tracked.lock().unwrap_or_else(PoisonError::into_inner);
            for message in &request.messages {
                tracked
                    .entry(message.wamid.clone())
                    .or_insert_with(|| Tracked {
                        expect: message.clone(),
                        accepted_at: None,
                    });
            }
        }
        gauge.start();
        let begin = Instant::now();
        let result = http
            .post(url.clone())
            .header("content-type", "application/json")
            .header("x-hub-signature-256", &request.signature)
            .body(request.body.to_vec())
            .send()
            .await;
        let done = Instant::now();
        gauge.end();
        let micros = u64::try_from(done.duration_since(begin).as_micros()).unwrap_or(u64::MAX);
        sent.busy_micros = sent.busy_micros.saturating_add(micros);
        sent.requests += 1;
        sent.redeliveries += u64::from(request.redelivery);
        let ok = match result {
            Ok(response) => {
                let ok = response.status().is_success();
                // Read the body so the connection is reused.
                let _ = response.bytes().await;
                ok
            }
            Err(_) => false,
        };
        if !ok {
            sent.failed += 1;
            continue;
        }
        sent.ok += 1;
        sent.messages += (request.messages.len() + request.statuses) as u64;
        if !request.redelivery {
            sent.images += request.images as u64;
        }
        tally::record(&mut sent.latency, micros);
        let mut tracked = tracked.lock().unwrap_or_else(PoisonError::into_inner);
        for message in &request.messages {
            if let Some(entry) = tracked.get_mut(&message.wamid)
                && entry.accepted_at.is_none()
            {
                entry.accepted_at = Some(done);
            }
        }
    }
    sent
}

/// Waits until the fake Graph API has seen nothing new for 5 seconds, or
/// `limit` passed.
async fn drain(graph: &FakeGraphApi, limit: Duration) {
    let deadline = Instant::now() + limit;
    let mut last = graph.accepted_count();
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = graph.accepted_count();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_secs(5) {
            break;
        }
    }
}

/// Sends one message with a document of `mb` megabytes (a PDF header and
/// random bytes) before the load, and returns it to be tracked.
async fn send_document(
    http: &reqwest::Client,
    url: &reqwest::Url,
    graph: &FakeGraphApi,
    secret: &[u8],
    run_id: u64,
    timestamp: i64,
    mb: u32,
) -> anyhow::Result<Tracked> {
    use rand::RngCore;
    let size = usize::try_from(mb)
        .unwrap_or(usize::MAX)
        .saturating_mul(1_000_000);
    let mut bytes = vec![0u8; size.max(16)];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes[..9].copy_from_slice(b"%PDF-1.7\n");
    let media_id = graph.add_media(bytes, "application/pdf");
    let number = format!("31699{:06}", run_id % 1_000_000);
    let wamid = format!("wamid.LOADGENDOC{run_id}");
    let body =
        crate::payload::media_message_with_id(&number, &wamid, "document", &media_id, timestamp);
    let signature = loket::whatsapp::signature::sign_body(secret, body.as_bytes());
    let response = http
        .post(url.clone())
        .header("content-type", "application/json")
        .header("x-hub-signature-256", &signature)
        .body(body)
        .send()
        .await
        .context("sending the document's webhook")?;
    anyhow::ensure!(
        response.status().is_success(),
        "the service answered {} to the document's webhook",
        response.status()
    );
    Ok(Tracked {
        expect: traffic::Expect {
            wamid,
            number,
            reply: true,
        },
        accepted_at: Some(Instant::now()),
    })
}

/// The service's media rows once no file is pending any more, or at
/// `deadline`.
async fn media_after(database_url: &str, deadline: Instant) -> anyhow::Result<MediaFigures> {
    let store = loket::db::Store::connect(database_url)
        .await
        .context("opening the service's database to count its media")?;
    let counts = loop {
        let counts = store.media_counts().await.context("counting media")?;
        if counts.pending == 0 || Instant::now() >= deadline {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    store.close().await;
    Ok(MediaFigures {
        stored: counts.stored,
        pending: counts.pending,
        failed: counts.failed,
        failures: counts.failures,
    })
}

/// After a kill: the sends that were in flight (see [`in_flight`]).
async fn in_flight_after_kill(
    database_url: &str,
    received: &[RecordedRequest],
) -> anyhow::Result<u64> {
    let store = loket::db::Store::connect(database_url)
        .await
        .context("opening the database after the kill")?;
    let count = in_flight::sends_in_flight(&store, received).await;
    store.close().await;
    Ok(count?)
}
