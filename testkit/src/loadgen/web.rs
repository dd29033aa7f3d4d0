//! `--channel web`: the website chat under load (issue 24). Opens
//! `--sessions` widget sessions, each with its live stream (server-sent
//! events) held open for the whole run, sends `--rate` messages a second
//! over them, and lets a few staff accounts claim, answer and close the
//! chats that ask for a person. It measures what a citizen notices:
//! - the POST of a message (`202`);
//! - the message back on the citizen's own screen (the stream shows a
//!   message once the service processed it);
//! - the bot's reply on the screen;
//! - a staff reply, from the moment staff send it to the citizen's screen.
//!
//! Every message and staff reply carries a token of letters; a token that
//! never shows on its stream is lost, one shown twice is duplicated.

use super::service::{Service, Wiring};
use super::{Mode, Options, tally};
use anyhow::Context;
use hdrhistogram::Histogram;
use loket::config::Settings;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What citizens ask; every tenth message asks for a person instead.
const QUESTIONS: &[&str] = &[
    "Hoe vraag ik een paspoort aan?",
    "Wanneer wordt het grofvuil opgehaald?",
    "Hoe geef ik een verhuizing door?",
    "Wat kost een parkeervergunning?",
    "How do I apply for a passport?",
];
const FOR_A_PERSON: &str = "Ik wil graag een medewerker spreken";
/// Staff accounts the load tool creates (`last1` ...).
const STAFF_PASSWORD_BYTES: usize = 18;

/// The figures of a web chat run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WebReport {
    pub mode: String,
    pub duration_s: f64,
    pub sessions: usize,
    /// Streams that opened (`200`) and stayed open.
    pub streams_open: u64,
    pub stream_reconnects: u64,
    pub staff: usize,
    pub target_rate: u32,
    pub messages_sent: u64,
    pub messages_accepted: u64,
    pub messages_failed: u64,
    pub messages_per_s: f64,
    pub post_p50_ms: f64,
    pub post_p99_ms: f64,
    pub post_max_ms: f64,
    /// From sending a message to seeing it on the citizen's own stream.
    pub shown_p50_ms: f64,
    pub shown_p99_ms: f64,
    pub bot_replies: u64,
    /// From sending a message to the bot's reply on the stream.
    pub bot_p50_ms: f64,
    pub bot_p99_ms: f64,
    pub staff_replies: u64,
    /// From staff sending a reply to the citizen's screen.
    pub staff_p50_ms: f64,
    pub staff_p99_ms: f64,
    pub staff_max_ms: f64,
    pub lost: u64,
    pub duplicated: u64,
    pub lost_examples: Vec<String>,
    pub drain_s: f64,
    pub service_peak_rss_mb: Option<f64>,
    /// This process's own peak (with an in-process service: both).
    pub loadgen_peak_rss_mb: Option<f64>,
}

impl WebReport {
    /// The human-readable summary.
    pub fn render(&self) -> String {
        let mut out = format!(
            "loket-loadgen --channel web: {} for {:.1}s, {} sessions, {} staff, rate {}/s\n",
            self.mode, self.duration_s, self.sessions, self.staff, self.target_rate
        );
        out += &format!(
            "streams:             {} open ({} reconnects)\n",
            self.streams_open, self.stream_reconnects
        );
        out += &format!(
            "messages:            {} sent ({} accepted, {} failed), {:.1} messages/s\n",
            self.messages_sent, self.messages_accepted, self.messages_failed, self.messages_per_s
        );
        out += &format!(
            "POST latency:        p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
            self.post_p50_ms, self.post_p99_ms, self.post_max_ms
        );
        out += &format!(
            "own message shown:   p50 {:.2} ms, p99 {:.2} ms\n",
            self.shown_p50_ms, self.shown_p99_ms
        );
        out += &format!(
            "bot reply shown:     {} replies, p50 {:.2} ms, p99 {:.2} ms\n",
            self.bot_replies, self.bot_p50_ms, self.bot_p99_ms
        );
        out += &format!(
            "staff reply shown:   {} replies, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (staff POST -> citizen's stream)\n",
            self.staff_replies, self.staff_p50_ms, self.staff_p99_ms, self.staff_max_ms
        );
        out += &format!(
            "lost / duplicated:   {} lost, {} duplicated (messages and staff replies); drained in {:.1}s\n",
            self.lost, self.duplicated, self.drain_s
        );
        if let Some(mb) = self.service_peak_rss_mb {
            out += &format!("service peak RSS:    {mb:.1} MB (VmHWM)\n");
        }
        if let Some(mb) = self.loadgen_peak_rss_mb {
            out += &format!("load tool peak RSS:  {mb:.1} MB (VmHWM)\n");
        }
        if !self.lost_examples.is_empty() {
            out += &format!("lost, e.g.:          {}\n", self.lost_examples.join(", "));
        }
        out
    }
}

/// A token of letters only (`zq` + base 26), which no masking of
/// personal data touches.
fn token(prefix: &str, mut n: u64) -> String {
    let mut letters = Vec::new();
    for _ in 0..5 {
        letters.push(b'a' + (n % 26) as u8);
        n /= 26;
    }
    letters.reverse();
    format!("{prefix}{}", String::from_utf8_lossy(&letters))
}

/// The tokens with `prefix` in `text`.
fn tokens_in<'a>(text: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    text.match_indices(prefix).filter_map(move |(at, _)| {
        let rest = &text[at..];
        let end = prefix.len()
            + rest[prefix.len()..]
                .bytes()
                .take_while(u8::is_ascii_lowercase)
                .count();
        (end == prefix.len() + 5).then(|| &rest[..end])
    })
}

/// One SSE event's `data`, as `(author, text)`.
fn event_data(block: &str) -> Option<(String, String)> {
    let data = block.lines().find_map(|line| line.strip_prefix("data: "))?;
    let value: serde_json::Value = serde_json::from_str(data).ok()?;
    Some((
        value["author"].as_str()?.to_owned(),
        value["text"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// The event id of an SSE block, to resume from.
fn event_id(block: &str) -> Option<&str> {
    block.lines().find_map(|line| line.strip_prefix("id: "))
}

/// A token sent and where it showed.
#[derive(Debug)]
struct Sent {
    at: Instant,
    shown: u32,
    first_shown: Option<Instant>,
}

/// What the run shares between senders, staff and streams.
#[derive(Debug)]
struct Board {
    messages: Mutex<HashMap<String, Sent>>,
    replies: Mutex<HashMap<String, Sent>>,
    /// Per session, when its last message went out without a bot reply yet.
    awaiting_bot: Mutex<HashMap<usize, Instant>>,
    bot: Mutex<Histogram<u64>>,
    open: AtomicU64,
    reconnects: AtomicU64,
}

impl Board {
    fn new() -> Self {
        Self {
            messages: Mutex::default(),
            replies: Mutex::default(),
            awaiting_bot: Mutex::default(),
            bot: Mutex::new(tally::new_histogram()),
            open: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
        }
    }

    fn shown(map: &Mutex<HashMap<String, Sent>>, token: &str, now: Instant) {
        let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = map.entry(token.to_owned()).or_insert(Sent {
            at: now,
            shown: 0,
            first_shown: None,
        });
        entry.shown += 1;
        entry.first_shown.get_or_insert(now);
    }

    /// One event on session `index`'s stream.
    fn seen(&self, index: usize, author: &str, text: &str) {
        let now = Instant::now();
        match author {
            "citizen" => {
                for token in tokens_in(text, "zq") {
                    Self::shown(&self.messages, token, now);
                }
            }
            "staff" => {
                for token in tokens_in(text, "zr") {
                    Self::shown(&self.replies, token, now);
                }
            }
            _ => {
                let since = self
                    .awaiting_bot
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&index);
                if let Some(since) = since {
                    let micros = u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX);
                    tally::record(
                        &mut self.bot.lock().unwrap_or_else(PoisonError::into_inner),
                        micros,
                    );
                }
            }
        }
    }

    /// Whether every accepted message and sent reply has shown.
    fn all_shown(&self) -> bool {
        let done = |map: &Mutex<HashMap<String, Sent>>| {
            map.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .all(|s| s.shown > 0)
        };
        done(&self.messages) && done(&self.replies)
    }
}

/// Runs the web chat load and returns its figures.
pub async fn run(
    options: &Options,
    sessions: usize,
    staff: usize,
    base: &Settings,
) -> anyhow::Result<WebReport> {
    anyhow::ensure!(
        !matches!(options.mode, Mode::Target(_)),
        "--channel web starts its own service (it creates staff accounts in its database); leave out --target"
    );
    // A stream and a spare connection per session, in both processes.
    super::open_files::allow(super::open_files::needed(sessions * 2 + 64, &options.mode))?;
    let (dir, database_url) = super::scratch(options)?;
    let password = hex::encode(rand::random::<[u8; STAFF_PASSWORD_BYTES]>());
    create_staff(&database_url, staff, &password).await?;
    let wiring = Wiring {
        // Nothing of a web chat goes to the Graph API.
        graph_base: "http://127.0.0.1:9".to_owned(),
        access_token: "unused".to_owned(),
        phone_number_id: "123456789012345".to_owned(),
        app_secret: hex::encode(rand::random::<[u8; 16]>()),
        database_url: database_url.clone(),
        send_rate: options.send_rate,
        knowledge_dir: options
            .knowledge_dir
            .clone()
            .unwrap_or_else(|| base.knowledge_dir.clone()),
        // All sessions come from this one address.
        webchat_requests_per_ip: Some(10_000_000),
    };
    let (service, mode) = Service::start(&options.mode, base, &wiring, dir.path()).await?;
    let base_url = service.base_url();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;

    let tokens = open_sessions(&http, &base_url, sessions).await?;
    let board = Arc::new(Board::new());
    let streams: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(index, token)| {
            tokio::spawn(follow(
                http.clone(),
                base_url.clone(),
                token.clone(),
                index,
                board.clone(),
            ))
        })
        .collect();
    // Every stream open before the clock starts.
    let opened = Instant::now();
    while board.open.load(Ordering::Relaxed) < sessions as u64
        && opened.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let sending = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let workers: Vec<_> = (1..=staff)
        .map(|n| {
            tokio::spawn(answer(
                http.clone(),
                base_url.clone(),
                format!("last{n}"),
                password.clone(),
                board.clone(),
                sending.clone(),
                n as u64,
            ))
        })
        .collect();

    let started = Instant::now();
    let (post, sent, accepted, failed) = send(&http, &base_url, &tokens, options, &board).await;
    let sending_s = started.elapsed().as_secs_f64().max(0.001);

    let drain_started = Instant::now();
    while !board.all_shown() && drain_started.elapsed() < options.drain {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sending.store(false, Ordering::Relaxed);
    for worker in workers {
        match worker.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("loadgen: a staff member stopped: {error:#}"),
            Err(error) => eprintln!("loadgen: a staff member failed: {error}"),
        }
    }
    // The last replies staff sent while stopping.
    let settle = Instant::now();
    while !board.all_shown() && settle.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drain_s = drain_started.elapsed().as_secs_f64();
    for stream in &streams {
        stream.abort();
    }
    let service_peak_rss_mb = service.peak_rss_mb();
    service.stop().await;

    let mut report = WebReport {
        mode,
        duration_s: options.duration.as_secs_f64(),
        sessions,
        streams_open: board.open.load(Ordering::Relaxed),
        stream_reconnects: board.reconnects.load(Ordering::Relaxed),
        staff,
        target_rate: options.rate,
        messages_sent: sent,
        messages_accepted: accepted,
        messages_failed: failed,
        messages_per_s: accepted as f64 / sending_s,
        post_p50_ms: tally::quantile_ms(&post, 0.5),
        post_p99_ms: tally::quantile_ms(&post, 0.99),
        post_max_ms: post.max() as f64 / 1000.0,
        drain_s,
        service_peak_rss_mb,
        loadgen_peak_rss_mb: own_peak_rss_mb(),
        ..WebReport::default()
    };
    let shown = latencies(&board.messages, &mut report);
    report.shown_p50_ms = tally::quantile_ms(&shown, 0.5);
    report.shown_p99_ms = tally::quantile_ms(&shown, 0.99);
    let replies = latencies(&board.replies, &mut report);
    report.staff_replies = board
        .replies
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len() as u64;
    report.staff_p50_ms = tally::quantile_ms(&replies, 0.5);
    report.staff_p99_ms = tally::quantile_ms(&replies, 0.99);
    report.staff_max_ms = replies.max() as f64 / 1000.0;
    let bot = board.bot.lock().unwrap_or_else(PoisonError::into_inner);
    report.bot_replies = bot.len();
    report.bot_p50_ms = tally::quantile_ms(&bot, 0.5);
    report.bot_p99_ms = tally::quantile_ms(&bot, 0.99);
    Ok(report)
}

/// From each token's sending to its first showing; counts what was lost
/// (never shown) and duplicated (shown more than once) into `report`.
fn latencies(map: &Mutex<HashMap<String, Sent>>, report: &mut WebReport) -> Histogram<u64> {
    let mut histogram = tally::new_histogram();
    for (token, sent) in map.lock().unwrap_or_else(PoisonError::into_inner).iter() {
        match sent.first_shown {
            Some(shown) => {
                let micros = u64::try_from(shown.saturating_duration_since(sent.at).as_micros())
                    .unwrap_or(u64::MAX);
                tally::record(&mut histogram, micros);
                if sent.shown > 1 {
                    report.duplicated += 1;
                }
            }
            None => {
                report.lost += 1;
                if report.lost_examples.len() < 5 {
                    report.lost_examples.push(token.clone());
                }
            }
        }
    }
    histogram
}

/// Creates the staff accounts in the service's database before it starts.
async fn create_staff(database_url: &str, staff: usize, password: &str) -> anyhow::Result<()> {
    let store = loket::db::Store::connect(database_url)
        .await
        .context("opening the service's database to add staff")?;
    let now = {
        use loket::clock::Clock;
        loket::clock::SystemClock.now()
    };
    for n in 1..=staff {
        loket::accounts::create(
            &store,
            &format!("last{n}"),
            loket::accounts::Role::Staff,
            password,
            now,
        )
        .await
        .map_err(|e| anyhow::anyhow!("adding staff account last{n}: {e}"))?;
    }
    store.close().await;
    Ok(())
}

/// `sessions` widget sessions; their bearer tokens.
async fn open_sessions(
    http: &reqwest::Client,
    base_url: &str,
    sessions: usize,
) -> anyhow::Result<Vec<String>> {
    let url = format!("{base_url}/api/webchat/sessions");
    let mut tokens = Vec::with_capacity(sessions);
    for chunk in (0..sessions).collect::<Vec<_>>().chunks(32) {
        let requests = chunk.iter().map(|_| async {
            let response = http.post(&url).json(&serde_json::json!({})).send().await?;
            anyhow::ensure!(
                response.status().as_u16() == 201,
                "a new session got {}",
                response.status()
            );
            let body: serde_json::Value = response.json().await?;
            body["token"]
                .as_str()
                .map(str::to_owned)
                .context("a session without a token")
        });
        for token in futures_util::future::join_all(requests).await {
            tokens.push(token.context("opening widget sessions")?);
        }
    }
    Ok(tokens)
}

/// Follows session `index`'s stream for the whole run, reconnecting from
/// the last event id when it drops.
async fn follow(
    http: reqwest::Client,
    base_url: String,
    token: String,
    index: usize,
    board: Arc<Board>,
) {
    let url = format!("{base_url}/api/webchat/stream");
    let mut last_id: Option<String> = None;
    let mut first = true;
    loop {
        let mut request = http
            .get(&url)
            .bearer_auth(&token)
            .timeout(Duration::from_secs(3600));
        if let Some(id) = &last_id {
            request = request.header("Last-Event-ID", id);
        }
        let Ok(mut response) = request.send().await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        if !response.status().is_success() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        if first {
            board.open.fetch_add(1, Ordering::Relaxed);
            first = false;
        } else {
            board.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                if let Some(id) = event_id(&block) {
                    last_id = Some(id.to_owned());
                }
                if let Some((author, text)) = event_data(&block) {
                    board.seen(index, &author, &text);
                }
            }
        }
    }
}

/// Sends the messages at `--rate` over the sessions in turn; returns the
/// POST latencies and the counts sent, accepted and failed.
async fn send(
    http: &reqwest::Client,
    base_url: &str,
    tokens: &[String],
    options: &Options,
    board: &Arc<Board>,
) -> (Histogram<u64>, u64, u64, u64) {
    let url = format!("{base_url}/api/webchat/messages");
    let rate = options.rate.max(1);
    let total = (options.duration.as_secs_f64() * f64::from(rate)).ceil() as u64;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for n in 0..total {
        tick.tick().await;
        let index = usize::try_from(n).unwrap_or(0) % tokens.len().max(1);
        let Some(session) = tokens.get(index).cloned() else {
            break;
        };
        let tag = token("zq", n);
        let question = if n % 10 == 9 {
            FOR_A_PERSON
        } else {
            QUESTIONS[(n as usize / 10) % QUESTIONS.len()]
        };
        let body = serde_json::json!({"id": format!("load-{n:08}"), "text": format!("{question} ({tag})")});
        let (http, url, board) = (http.clone(), url.clone(), board.clone());
        tasks.push(tokio::spawn(async move {
            let at = Instant::now();
            // Registered before the POST: the stream may show it first.
            board
                .messages
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(
                    tag.clone(),
                    Sent {
                        at,
                        shown: 0,
                        first_shown: None,
                    },
                );
            board
                .awaiting_bot
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(index, at);
            let accepted = http
                .post(&url)
                .bearer_auth(&session)
                .json(&body)
                .send()
                .await
                .is_ok_and(|r| r.status().as_u16() == 202);
            if !accepted {
                board
                    .messages
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&tag);
            }
            (
                accepted,
                u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX),
            )
        }));
    }
    let mut latency = tally::new_histogram();
    let (mut accepted, mut failed) = (0, 0);
    for task in tasks {
        match task.await {
            Ok((true, micros)) => {
                accepted += 1;
                tally::record(&mut latency, micros);
            }
            _ => failed += 1,
        }
    }
    (latency, total, accepted, failed)
}

/// A staff member: logs in, then claims, answers and closes waiting web
/// chats until sending and draining are over.
async fn answer(
    http: reqwest::Client,
    base_url: String,
    username: String,
    password: String,
    board: Arc<Board>,
    going: Arc<std::sync::atomic::AtomicBool>,
    seed: u64,
) -> anyhow::Result<()> {
    let login = http
        .post(format!("{base_url}/api/session"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .context("staff login")?;
    anyhow::ensure!(
        login.status().is_success(),
        "staff login got {}",
        login.status()
    );
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let session: serde_json::Value = login.json().await.context("staff session")?;
    let csrf = session["csrf_token"]
        .as_str()
        .context("a CSRF token")?
        .to_owned();
    let post = |path: String, body: serde_json::Value| {
        http.post(format!("{base_url}{path}"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    let mut replies = seed * 1_000_000;
    while going.load(Ordering::Relaxed) {
        let queue: serde_json::Value = match http
            .get(format!("{base_url}/api/queue"))
            .header("cookie", &cookie)
            .send()
            .await
        {
            Ok(response) => response.json().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        };
        let waiting: Vec<String> = queue["conversations"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter(|t| t["channel"] == "web" && t["state"] == "queued")
                    .filter_map(|t| t["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        // Colleagues take from the other end of the list, so they race less.
        let pick = if seed % 2 == 0 {
            waiting.first()
        } else {
            waiting.last()
        };
        let Some(id) = pick else { continue };
        let claimed = post(
            format!("/api/conversations/{id}/claim"),
            serde_json::json!({}),
        )
        .await
        .is_ok_and(|r| r.status().is_success());
        if !claimed {
            continue;
        }
        replies += 1;
        let tag = token("zr", replies);
        board
            .replies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                tag.clone(),
                Sent {
                    at: Instant::now(),
                    shown: 0,
                    first_shown: None,
                },
            );
        let sent = post(
            format!("/api/conversations/{id}/reply"),
            serde_json::json!({"text": format!("Goedemiddag, u spreekt met een medewerker ({tag}).")}),
        )
        .await
        .is_ok_and(|r| r.status().is_success());
        if !sent {
            board
                .replies
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&tag);
        }
        let _ = post(
            format!("/api/conversations/{id}/close"),
            serde_json::json!({"topic": "load"}),
        )
        .await;
    }
    Ok(())
}

/// This process's peak resident memory (`VmHWM`), in MB.
fn own_peak_rss_mb() -> Option<f64> {
    super::service::peak_rss_kb_of("self").map(|kb| kb as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_letters_and_are_found_again_in_a_text() {
        let a = token("zq", 0);
        let b = token("zq", 123_456);
        assert_eq!(a, "zqaaaaa");
        assert!(b[2..].bytes().all(|c| c.is_ascii_lowercase()), "{b}");
        assert_ne!(a, b);
        let text = format!("Hoe vraag ik een paspoort aan? ({b}) en {a}, niet zqab");
        assert_eq!(
            tokens_in(&text, "zq").collect::<Vec<_>>(),
            [b.as_str(), a.as_str()]
        );
    }

    #[test]
    fn an_sse_block_gives_its_id_author_and_text() {
        let block = "id: 3.4\nevent: message\ndata: {\"id\":\"3.4\",\"author\":\"staff\",\"text\":\"Hallo (zrabcde)\"}\n\n";
        assert_eq!(event_id(block), Some("3.4"));
        assert_eq!(
            event_data(block),
            Some(("staff".to_owned(), "Hallo (zrabcde)".to_owned()))
        );
        assert_eq!(event_data(": keep-alive\n\n"), None);
    }

    #[test]
    fn a_token_shown_twice_is_a_duplicate_and_one_never_shown_is_lost() {
        let board = Board::new();
        let at = Instant::now();
        for tag in ["zqaaaab", "zqaaaac", "zqaaaad"] {
            board.messages.lock().expect("lock").insert(
                tag.to_owned(),
                Sent {
                    at,
                    shown: 0,
                    first_shown: None,
                },
            );
        }
        board.seen(0, "citizen", "vraag (zqaaaab)");
        board.seen(0, "citizen", "vraag (zqaaaac)");
        board.seen(0, "citizen", "vraag (zqaaaac)");
        assert!(!board.all_shown());
        let mut report = WebReport::default();
        let shown = latencies(&board.messages, &mut report);
        assert_eq!((report.lost, report.duplicated), (1, 1));
        assert_eq!(report.lost_examples, ["zqaaaad"]);
        assert_eq!(shown.len(), 2);
    }
}
