//! Measures one webhook round trip, sequentially: the time until the 200
//! (message stored durably) and the time until the acknowledgement reaches
//! the loopback fake Graph API. Prints percentiles.
//!
//! cargo run --release --example roundtrip -- 500
//! LOKET_DATABASE_URL=postgres://... cargo run --release --example roundtrip -- 500

use loket::clock::{Clock, SystemClock};
use loket::config::Settings;
use loket::whatsapp::signature;
use loket_testkit::fake_graph::{FakeGraphApi, FakeGraphConfig};
use loket_testkit::payload;
use secrecy::SecretString;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let graph = FakeGraphApi::start(FakeGraphConfig::default()).await?;
    let mut settings = Settings::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config"))?;
    // A temporary SQLite file, or LOKET_DATABASE_URL (an empty PostgreSQL
    // database, to measure that).
    settings.database_url = std::env::var("LOKET_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("loket.db").display()));
    settings.whatsapp.api_base = graph.base_url().to_owned();
    settings.whatsapp.mark_as_read = false;
    settings.secrets.app_secret = Some(SecretString::from("bench-secret"));
    settings.secrets.access_token = Some(SecretString::from("test-access-token"));
    settings.secrets.phone_number_id = Some("123456789012345".to_owned());
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let app = loket::startup::start_on(listener, settings, clock).await?;
    let url = format!("{}/webhooks/whatsapp", app.base_url());
    let http = reqwest::Client::new();

    let (mut webhook, mut end_to_end) = (Vec::with_capacity(count), Vec::with_capacity(count));
    for i in 0..count {
        // A new citizen each time, so every message gets an acknowledgement.
        let body = payload::text_message(
            &format!("3160{:07}", i),
            &format!("wamid.rt{i}"),
            "Hallo, ik heb een vraag",
            1_763_750_000,
        );
        let signed = signature::sign_body(b"bench-secret", body.as_bytes());
        let started = Instant::now();
        let response = http
            .post(&url)
            .header("x-hub-signature-256", signed)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "webhook answered {}",
            response.status()
        );
        webhook.push(started.elapsed());
        let received = graph
            .wait_for_messages(i + 1, Duration::from_secs(10))
            .await;
        anyhow::ensure!(received.len() > i, "reply {i} did not arrive");
        end_to_end.push(started.elapsed());
    }
    webhook.sort();
    end_to_end.sort();
    let database = match app.store.dialect() {
        loket::db::Dialect::Sqlite => "SQLite synchronous=FULL",
        loket::db::Dialect::Postgres => "PostgreSQL",
    };
    println!("messages: {count} (sequential, {database})");
    for (name, samples) in [
        ("webhook 200", &webhook),
        ("reply at Graph API", &end_to_end),
    ] {
        println!(
            "{name:>20}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            percentile(samples, 0.5).as_secs_f64() * 1000.0,
            percentile(samples, 0.99).as_secs_f64() * 1000.0,
            samples.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
        );
    }
    app.stop().await;
    Ok(())
}
