//! The webhook writer (`loket::intake`) on its own: concurrent POSTs are
//! stored in groups and each learns its own outcome. Moved here from the
//! module's unit tests when the payload builders left the server crate
//! (ADR 0019).

use chrono::Utc;
use loket::db::{CountedTable, Store};
use loket::intake::{Intake, IntakeError};
use loket::whatsapp::webhook;
use loket_testkit::payload;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn concurrent_posts_are_stored_and_each_learns_its_own_outcome() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.expect("store");
    let cancel = CancellationToken::new();
    let (intake, task) = Intake::start(store.clone(), cancel.clone());
    let now = chrono::DateTime::<Utc>::from_timestamp(1_763_759_700, 0).expect("time");
    let mut waiting = Vec::new();
    for i in 0..50 {
        // Every fifth POST repeats the previous message: a redelivery.
        let n = if i % 5 == 4 { i - 1 } else { i };
        let body = payload::text_message("31600000001", &format!("wamid.g{n}"), "Hallo", 1);
        let batch = webhook::parse_webhook(body.as_bytes(), now).expect("parses");
        let intake = intake.clone();
        waiting.push(tokio::spawn(async move { intake.record(batch, now).await }));
    }
    let mut stored = 0;
    let mut duplicates = 0;
    for handle in waiting {
        let outcome = handle.await.expect("joined").expect("stored");
        stored += outcome.stored;
        duplicates += outcome.duplicates;
    }
    assert_eq!((stored, duplicates), (40, 10));
    assert_eq!(store.count(CountedTable::Inbound).await.expect("count"), 40);
    cancel.cancel();
    task.await.expect("writer ends");
    assert!(matches!(
        intake
            .record(
                webhook::parse_webhook(
                    payload::text_message("31600000001", "wamid.late", "x", 1).as_bytes(),
                    now
                )
                .expect("parses"),
                now
            )
            .await,
        Err(IntakeError::Stopped)
    ));
}
