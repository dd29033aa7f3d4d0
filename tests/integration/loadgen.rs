//! CI smoke test of the load tool: a short, slow run against a service of
//! its own must lose and duplicate nothing. No timing assertions: speed
//! figures come from `loket-loadgen` in release mode (docs/performance.md).

use loket::config::Settings;
use loket_testkit::loadgen::{self, Mode, Options, sweep};
use std::path::Path;
use std::time::Duration;

/// The shipped configuration and knowledge base.
fn shipped_settings() -> Settings {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut settings = Settings::load_dir(&config).expect("shipped config loads");
    settings.knowledge_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    settings
}

/// A slow run in this process for `seconds`.
fn slow_run(seconds: u64, rate: u32, connections: usize) -> Options {
    Options {
        duration: Duration::from_secs(seconds),
        rate,
        connections,
        mode: Mode::InProcess,
        database_url: None,
        send_rate: 1000,
        knowledge_dir: None,
        drain: Duration::from_secs(30),
        graph_listen: None,
        // A short run sends ~50 requests: at 30 % photos, one without any
        // photo is as likely as a hundred-millionth (at 10 %: 1 in 100).
        image_percent: 30,
        document_mb: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_run_answers_every_message_once() {
    let settings = shipped_settings();
    let options = slow_run(2, 25, 4);
    let report = loadgen::run(&options, &settings).await.expect("load run");
    assert!(report.webhook_ok > 0, "{report:?}");
    assert!(report.expected > 0, "{report:?}");
    assert!(report.sent > 0, "{report:?}");
    assert_eq!(report.lost, 0, "{report:?}");
    assert_eq!(report.duplicated, 0, "{report:?}");
    assert_eq!(report.answered, report.expected, "{report:?}");
    // Every photo fetched and stored, none failed or left pending.
    let media = report.media.as_ref().expect("media counted");
    assert!(report.images_sent > 0, "{report:?}");
    assert_eq!(media.stored, report.images_sent, "{report:?}");
    assert_eq!((media.pending, media.failed), (0, 0), "{report:?}");
    // The concurrency it used: never more in flight than connections.
    assert_eq!(report.connections, 4, "{report:?}");
    assert!((1..=4).contains(&report.peak_in_flight), "{report:?}");
    assert!(
        report.mean_in_flight > 0.0 && report.mean_in_flight <= 4.0,
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_runs_each_row_and_tables_them() {
    let settings = shipped_settings();
    // The rows set the rate and the connections.
    let options = slow_run(1, 0, 0);
    // Two small rows instead of the real sweep's eight, slow and paced.
    let rows = [
        sweep::Row {
            connections: 2,
            rate: 20,
        },
        sweep::Row {
            connections: 3,
            rate: 30,
        },
    ];
    let mut seen = Vec::new();
    let reports = sweep::run(&options, &rows, &settings, |r| seen.push(r.connections))
        .await
        .expect("sweep");
    assert_eq!(seen, [2, 3], "progress after each row");
    for (report, row) in reports.iter().zip(&rows) {
        assert_eq!(report.connections, row.connections, "{report:?}");
        assert_eq!(report.target_rate, row.rate, "{report:?}");
        assert!(report.webhook_ok > 0, "{report:?}");
        assert_eq!(report.lost, 0, "{report:?}");
        assert_eq!(report.duplicated, 0, "{report:?}");
    }
    let table = sweep::table(&reports);
    assert_eq!(table.lines().count(), 2 + rows.len(), "{table}");
    assert!(table.contains("| 2 | 20/s |"), "{table}");
    assert!(table.contains("| 3 | 30/s |"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_web_chat_run_shows_every_message_and_staff_reply_once() {
    let settings = shipped_settings();
    // 20 messages over 8 sessions: two of them ask for a person.
    let options = slow_run(2, 10, 1);
    let report = loadgen::web::run(&options, 8, 2, &settings)
        .await
        .expect("web chat load run");
    assert_eq!(report.streams_open, 8, "{report:?}");
    assert_eq!(report.messages_accepted, report.messages_sent, "{report:?}");
    assert!(report.messages_sent >= 20, "{report:?}");
    assert!(report.bot_replies > 0, "{report:?}");
    assert!(report.staff_replies >= 1, "staff answered: {report:?}");
    assert_eq!(report.lost, 0, "{report:?}");
    assert_eq!(report.duplicated, 0, "{report:?}");
    assert!(
        report.render().contains("staff reply shown"),
        "{}",
        report.render()
    );
}
