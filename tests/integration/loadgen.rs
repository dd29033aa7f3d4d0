//! CI smoke test of the load tool: a short, slow run against a service of
//! its own must lose and duplicate nothing. No timing assertions: speed
//! figures come from `loket-loadgen` in release mode (docs/performance.md).

use loket::config::Settings;
use loket_testkit::loadgen::{self, Mode, Options};
use std::path::Path;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_run_answers_every_message_once() {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut settings = Settings::load_dir(&config).expect("shipped config loads");
    settings.knowledge_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let options = Options {
        duration: Duration::from_secs(2),
        rate: 25,
        connections: 4,
        mode: Mode::InProcess,
        database_url: None,
        send_rate: 1000,
        knowledge_dir: None,
        drain: Duration::from_secs(30),
        graph_listen: None,
    };
    let report = loadgen::run(&options, &settings).await.expect("load run");
    assert!(report.webhook_ok > 0, "{report:?}");
    assert!(report.expected > 0, "{report:?}");
    assert!(report.sent > 0, "{report:?}");
    assert_eq!(report.lost, 0, "{report:?}");
    assert_eq!(report.duplicated, 0, "{report:?}");
    assert_eq!(report.answered, report.expected, "{report:?}");
}
