//! Citizens' media (issue 21): what intake notes, and how the store keeps
//! and forgets a file's bytes. (The fetcher and the staff API come next.)

use crate::helpers::*;
use crate::retention::{contains, raw_bytes};
use chrono::Duration as Days;
use loket::db::{DueMedia, StoredMedia};
use loket_testkit::payload::media_message;
use std::time::Duration;

/// Stands for what must not outlive a purge: a test image's hidden text.
const MARKER: &str = "MEDIAMARKER-8842-lantaarnpaal";
const CITIZEN: &str = "31600000071";

async fn send(app: &TestApp, wamid: &str, kind: &str) {
    let at = app.clock.now().timestamp();
    let response = app
        .post_webhook(&media_message(CITIZEN, wamid, kind, at))
        .await;
    assert_eq!(response.status(), 200);
}

async fn due(app: &TestApp) -> Vec<DueMedia> {
    app.store()
        .take_due_media(app.clock.now(), 10, Duration::from_secs(60))
        .await
        .expect("due media")
}

on_both_databases! {
/// A photo and a PDF arrive: each gets a pending row at intake, once (a
/// redelivery adds none); a leased file is not handed out twice; a stored
/// file reads back chunk by chunk; a failure keeps its reason; and the
/// purge removes rows and chunks.
#[tokio::test]
async fn intake_notes_each_file_once_and_the_store_keeps_and_forgets_its_bytes() {
    let app = spawn_app_at(tuesday_morning()).await;
    send(&app, "wamid.MEDIA1", "image").await;
    send(&app, "wamid.MEDIA1", "image").await;
    send(&app, "wamid.MEDIA2", "document").await;
    app.wait_until_processed().await;

    let mut files = due(&app).await;
    files.sort_by_key(|file| file.id);
    assert_eq!(files.len(), 2, "one row per file, the redelivery none: {files:?}");
    assert_eq!(files[0].kind, loket::domain::MediaKind::Image);
    assert_eq!(files[0].media_id, "1000000000000001");
    assert_eq!(files[0].declared_mime.as_deref(), Some("image/jpeg"));
    assert_eq!(files[1].kind, loket::domain::MediaKind::Document);
    assert!(due(&app).await.is_empty(), "leased files are not handed out again");

    let (photo, pdf) = (&files[0], &files[1]);
    let store = app.store();
    let first = format!("JPEG-START {MARKER}");
    store.write_media_chunk(photo.id, 0, first.as_bytes()).await.unwrap();
    store.write_media_chunk(photo.id, 1, b"-END").await.unwrap();
    assert_eq!(store.media_chunk(photo.id, 0).await.unwrap(), None, "not served before it is stored");
    let found = StoredMedia { size: 4 + first.len() as i64, sha256: "ab", sniffed_mime: "image/jpeg" };
    store.media_stored(photo.id, &found, app.clock.now()).await.unwrap();
    let row = store.media_of_message(photo.inbound_id).await.unwrap().expect("a row");
    assert_eq!((row.state.as_str(), row.sniffed_mime.as_deref()), ("stored", Some("image/jpeg")));
    assert_eq!(store.media_chunk(photo.id, 0).await.unwrap(), Some(first.into_bytes()));
    assert_eq!(store.media_chunk(photo.id, 1).await.unwrap(), Some(b"-END".to_vec()));
    assert_eq!(store.media_chunk(photo.id, 2).await.unwrap(), None);

    // A retry drops what was written and waits for its moment.
    store.write_media_chunk(pdf.id, 0, b"%PDF-half").await.unwrap();
    let later = app.clock.now() + Days::minutes(5);
    store.media_not_stored(pdf.id, "unreachable", Some(later), app.clock.now()).await.unwrap();
    assert!(due(&app).await.is_empty(), "not due before its retry");
    app.shifted.advance(Days::minutes(6));
    let again = due(&app).await;
    assert_eq!(again.iter().map(|f| (f.id, f.attempts)).collect::<Vec<_>>(), [(pdf.id, 1)]);
    store.media_not_stored(pdf.id, "too_large", None, app.clock.now()).await.unwrap();
    let row = store.media_of_message(pdf.inbound_id).await.unwrap().expect("a row");
    assert_eq!((row.state.as_str(), row.failure.as_deref()), ("failed", Some("too_large")));
    assert_eq!(store.media_chunk(pdf.id, 0).await.unwrap(), None, "a failed file keeps no bytes");

    let removed = store.forget(CITIZEN, false).await.expect("forget");
    assert_eq!(removed.media, 2);
    assert_eq!(store.media_of_message(photo.inbound_id).await.unwrap(), None);
    assert_eq!(store.media_chunk(photo.id, 0).await.unwrap(), None);
}
}

/// On SQLite, not one byte of a forgotten file is left in the files.
#[tokio::test]
async fn a_forgotten_files_bytes_are_not_in_the_database_files() {
    let app = spawn_app_at(tuesday_morning()).await;
    send(&app, "wamid.MEDIA3", "image").await;
    app.wait_until_processed().await;
    let file = due(&app).await.pop().expect("a file");
    let bytes = format!("JPEG {MARKER} JPEG");
    app.store()
        .write_media_chunk(file.id, 0, bytes.as_bytes())
        .await
        .unwrap();
    let found = StoredMedia {
        size: bytes.len() as i64,
        sha256: "ab",
        sniffed_mime: "image/jpeg",
    };
    app.store()
        .media_stored(file.id, &found, app.clock.now())
        .await
        .unwrap();
    assert!(
        contains(&raw_bytes(&app), MARKER),
        "the test must see the marker first"
    );

    app.store().forget(CITIZEN, false).await.expect("forget");
    assert!(
        !contains(&raw_bytes(&app), MARKER),
        "the forgotten file is still in the files"
    );
}
