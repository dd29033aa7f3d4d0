//! Retention: the purge and `forget` leave nothing of a conversation in
//! the database files (checked on the raw bytes, write-ahead log included).

use crate::helpers::*;
use loket_testkit::payload::{media_message, text_message};
use std::time::Duration;

/// What the citizen who goes wrote, and what the one who stays wrote.
const SECRET_TEXT: &str = "ZEBRAPAD7741 wanneer begint de kermis dit jaar";
const OTHER_TEXT: &str = "OLIFANT5521 wanneer begint de kermis dit jaar";
const GONE: &str = "31600000077";
const STAYS: &str = "31600000088";

/// Every byte of the database and its write-ahead log.
pub(crate) fn raw_bytes(app: &TestApp) -> Vec<u8> {
    let db = app.db_path();
    let mut bytes = std::fs::read(&db).expect("database file");
    for suffix in ["-wal", "-journal"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        if let Ok(more) = std::fs::read(&path) {
            bytes.extend(more);
        }
    }
    bytes
}

pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn processed(app: &TestApp) {
    app.wait_until_processed().await;
    app.eventually("every reply sent", || {
        let store = app.store().clone();
        async move {
            store
                .count(loket::db::CountedTable::PendingOutbox)
                .await
                .is_ok_and(|n| n == 0)
        }
    })
    .await;
}

async fn citizen_writes(app: &TestApp, wa_id: &str, n: u32) {
    let at = app.clock.now().timestamp();
    let text = if wa_id == GONE {
        SECRET_TEXT
    } else {
        OTHER_TEXT
    };
    app.post_webhook(&text_message(
        wa_id,
        &format!("wamid.RET{wa_id}{n}a"),
        text,
        at,
    ))
    .await;
    app.post_webhook(&media_message(
        wa_id,
        &format!("wamid.RET{wa_id}{n}b"),
        "image",
        at + 1,
    ))
    .await;
}

#[tokio::test]
async fn a_purge_leaves_no_trace_of_old_conversations_in_the_files() {
    let mut app = spawn_app_at(tuesday_morning()).await;
    citizen_writes(&app, GONE, 1).await;
    processed(&app).await;
    assert!(
        contains(&raw_bytes(&app), GONE),
        "the test must see the number before the purge"
    );

    app.shifted.advance(chrono::Duration::days(8));
    citizen_writes(&app, STAYS, 1).await;
    processed(&app).await;

    let rollup = loket::report::rollup::Rollup::from_settings(&app.settings);
    let week = Duration::from_secs(7 * 24 * 3600);
    let counted = loket::retention::purge(app.store(), app.clock.as_ref(), &rollup, week, true)
        .await
        .expect("dry run");
    assert_eq!(counted.conversations, 1);
    assert_eq!(counted.messages, 2);
    assert!(counted.replies >= 1);
    let removed = loket::retention::purge(app.store(), app.clock.as_ref(), &rollup, week, false)
        .await
        .expect("purge");
    assert_eq!(removed, counted, "the dry run predicted the purge");

    let bytes = raw_bytes(&app);
    assert!(
        !contains(&bytes, GONE),
        "the purged number is still in the files"
    );
    assert!(
        !contains(&bytes, "ZEBRAPAD7741"),
        "the purged text is still in the files"
    );
    assert!(contains(&bytes, STAYS), "the recent conversation survives");
    assert!(contains(&bytes, "OLIFANT5521"));
    app.stop().await;
    let bytes = raw_bytes(&app);
    assert!(!contains(&bytes, GONE));
    assert!(!contains(&bytes, "ZEBRAPAD7741"));
}

#[tokio::test]
async fn forget_erases_one_citizen_now_and_no_one_else() {
    let app = spawn_app_at(tuesday_morning()).await;
    citizen_writes(&app, GONE, 1).await;
    citizen_writes(&app, STAYS, 1).await;
    processed(&app).await;

    let removed = app.store().forget(GONE, false).await.expect("forget");
    assert_eq!(removed.conversations, 1);
    assert_eq!(
        removed.gaps, 1,
        "the refused question was on the editors' list"
    );
    assert_eq!(removed.messages, 2);
    assert!(removed.replies >= 1);
    let again = app.store().forget(GONE, false).await.expect("forget");
    assert_eq!(again.total(), 0, "nothing is left to forget");

    let bytes = raw_bytes(&app);
    assert!(!contains(&bytes, GONE));
    assert!(
        !contains(&bytes, "ZEBRAPAD7741"),
        "the forgotten citizen's words are gone, the editors' gap list included"
    );
    assert!(contains(&bytes, STAYS));
    assert!(contains(&bytes, "OLIFANT5521"));
    assert_eq!(
        app.store()
            .count(loket::db::CountedTable::Conversations)
            .await
            .expect("count"),
        1
    );
}

#[test]
fn purge_and_forget_refuse_bad_input_with_advice() {
    let bad = loket::cli::forget::normalise_citizen("bel me");
    assert!(bad.is_err());
}

on_both_databases! {
/// The same purge and forget on either database, checked on the rows
/// (the raw-bytes checks above are about SQLite's files).
#[tokio::test]
async fn purge_and_forget_remove_exactly_the_expired_and_the_named_rows() {
    let app = spawn_app_at(tuesday_morning()).await;
    citizen_writes(&app, GONE, 1).await;
    processed(&app).await;
    app.shifted.advance(chrono::Duration::days(8));
    citizen_writes(&app, STAYS, 1).await;
    citizen_writes(&app, "31600000099", 1).await;
    processed(&app).await;
    let store = app.store().clone();
    let count = |table| {
        let store = store.clone();
        async move { store.count(table).await.expect("count") }
    };
    assert_eq!(count(loket::db::CountedTable::Conversations).await, 3);

    let rollup = loket::report::rollup::Rollup::from_settings(&app.settings);
    let week = Duration::from_secs(7 * 24 * 3600);
    let counted = loket::retention::purge(app.store(), app.clock.as_ref(), &rollup, week, true)
        .await
        .expect("dry run");
    assert_eq!(count(loket::db::CountedTable::Conversations).await, 3, "a dry run removes nothing");
    let removed = loket::retention::purge(app.store(), app.clock.as_ref(), &rollup, week, false)
        .await
        .expect("purge");
    assert_eq!(removed, counted, "the dry run predicted the purge");
    assert_eq!((removed.conversations, removed.messages), (1, 2));
    assert_eq!(count(loket::db::CountedTable::Conversations).await, 2);
    assert_eq!(count(loket::db::CountedTable::Inbound).await, 4);

    let forgotten = app.store().forget(STAYS, false).await.expect("forget");
    assert_eq!((forgotten.conversations, forgotten.messages), (1, 2));
    assert!(forgotten.replies >= 1);
    assert_eq!(app.store().forget(STAYS, false).await.expect("forget").total(), 0);
    let left = app.store().conversations(10).await.expect("conversations");
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0].citizen.wa_id.as_ref().map(|w| w.as_str()),
        Some("31600000099"),
        "only the other citizen is left"
    );
}
}
