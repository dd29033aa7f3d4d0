//! Citizens' media (issue 21): what intake notes, how the store keeps and
//! forgets a file's bytes, and the fetcher through the webhook and the fake
//! Graph API. (The staff API comes next.)

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

/// An app without WhatsApp credentials: no fetcher runs, so the test
/// drives the store by hand.
async fn app_without_fetcher() -> TestApp {
    spawn_app_with(tuesday_morning(), |settings| {
        settings.secrets.access_token = None
    })
    .await
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
    let app = app_without_fetcher().await;
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
    let app = app_without_fetcher().await;
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

/// A JPEG whose metadata blocks hold this marker (tests/fixtures/media).
const PHOTO: &[u8] = include_bytes!("../fixtures/media/photo-with-exif.jpg");
const GPS_MARKER: &str = "GPS52.0907N5.1214E-Domstraat-MARKER";
const LETTER: &[u8] = include_bytes!("../fixtures/media/letter.pdf");
const VOICE_NOTE: &[u8] = include_bytes!("../fixtures/media/voice-note.ogg");

/// What became of the file of message `wamid`: its state, failure, type
/// and the bytes the staff API would serve.
async fn file_of(
    app: &TestApp,
    wamid: &str,
) -> Option<(String, Option<String>, Option<String>, Vec<u8>)> {
    use sqlx::{Connection, Row};
    let mut db = sqlx::AnyConnection::connect(&app.settings.database_url)
        .await
        .expect("connect");
    let row = sqlx::query(
        "SELECT m.id, m.state, m.failure, m.sniffed_mime FROM media m
         JOIN inbound_messages i ON i.id = m.inbound_id WHERE i.wamid = $1",
    )
    .bind(wamid)
    .fetch_optional(&mut db)
    .await
    .expect("query")?;
    let id: i64 = row.get(0);
    let mut bytes = Vec::new();
    let mut seq = 0;
    while let Some(chunk) = app.store().media_chunk(id, seq).await.expect("chunk") {
        bytes.extend(chunk);
        seq += 1;
    }
    Some((row.get(1), row.get(2), row.get(3), bytes))
}

async fn settled(app: &TestApp, wamid: &str) -> (String, Option<String>, Option<String>, Vec<u8>) {
    app.eventually(
        &format!("the file of {wamid} fetched or failed"),
        || async {
            file_of(app, wamid)
                .await
                .is_some_and(|(state, ..)| state != "pending")
        },
    )
    .await;
    file_of(app, wamid).await.expect("a file")
}

async fn send_file(app: &TestApp, wamid: &str, kind: &str, media_id: &str) {
    let at = app.clock.now().timestamp();
    let body = loket_testkit::payload::media_message_with_id(CITIZEN, wamid, kind, media_id, at);
    assert_eq!(app.post_webhook(&body).await.status(), 200);
}

on_both_databases! {
/// A photo, a PDF and a voice note sent through the webhook are fetched
/// in the background and stored as their bytes say; the photo without its
/// EXIF block.
#[tokio::test]
async fn a_photo_a_pdf_and_a_voice_note_are_fetched_checked_and_stored() {
    let app = spawn_app_at(tuesday_morning()).await;
    let photo = app.graph.add_media(PHOTO, "image/jpeg");
    let letter = app.graph.add_media(LETTER, "application/pdf");
    let voice = app.graph.add_media(VOICE_NOTE, "audio/ogg; codecs=opus");
    send_file(&app, "wamid.FETCH1", "image", &photo).await;
    send_file(&app, "wamid.FETCH2", "document", &letter).await;
    send_file(&app, "wamid.FETCH3", "audio", &voice).await;

    let (state, failure, mime, bytes) = settled(&app, "wamid.FETCH1").await;
    assert_eq!((state.as_str(), failure, mime.as_deref()), ("stored", None, Some("image/jpeg")));
    assert!(contains(&bytes, "PIXELDATA"), "the photo itself is kept");
    assert!(!contains(&bytes, GPS_MARKER), "the EXIF block (GPS) is stripped");
    assert!(!contains(&bytes, "Exif"));

    let (state, _, mime, bytes) = settled(&app, "wamid.FETCH2").await;
    assert_eq!((state.as_str(), mime.as_deref()), ("stored", Some("application/pdf")));
    assert_eq!(bytes, LETTER, "a document is kept byte for byte");

    let (state, _, mime, bytes) = settled(&app, "wamid.FETCH3").await;
    assert_eq!((state.as_str(), mime.as_deref()), ("stored", Some("audio/ogg")));
    assert_eq!(bytes, VOICE_NOTE);
}

/// A wrong digest, an oversized photo and URLs that keep expiring each end
/// as a failed file with its reason; the messages themselves are kept and
/// processed.
#[tokio::test]
async fn a_wrong_digest_an_oversized_file_and_an_expired_url_fail_with_their_reason() {
    use loket_testkit::fake_graph::media::MediaFault;
    // A photo cap below the test photo's size ([media] image_max_bytes).
    let app = spawn_app_with(tuesday_morning(), |settings| {
        settings.media.image_max_bytes = 100;
    })
    .await;
    let lied = app.graph.add_media(LETTER, "application/pdf");
    app.graph.set_media_fault(&lied, Some(MediaFault::WrongSha256));
    let big = app.graph.add_media(PHOTO, "image/jpeg");
    let stale = app.graph.add_media(VOICE_NOTE, "audio/ogg");
    app.graph.set_media_fault(&stale, Some(MediaFault::ExpiredUrls(u32::MAX)));
    send_file(&app, "wamid.FAIL1", "document", &lied).await;
    send_file(&app, "wamid.FAIL2", "image", &big).await;
    send_file(&app, "wamid.FAIL3", "audio", &stale).await;

    for (wamid, why) in [
        ("wamid.FAIL1", "wrong_sha256"),
        ("wamid.FAIL2", "too_large"),
        ("wamid.FAIL3", "expired"),
    ] {
        let (state, failure, _, bytes) = settled(&app, wamid).await;
        assert_eq!((state.as_str(), failure.as_deref()), ("failed", Some(why)), "{wamid}");
        assert!(bytes.is_empty(), "{wamid}: a failed file keeps no bytes");
    }
    // Nothing lost: every message is stored and processed as usual.
    app.wait_until_processed().await;
    assert_eq!(
        app.store().count(loket::db::CountedTable::Conversations).await.unwrap(),
        1
    );
}

/// A file whose first URL has expired is fetched with a fresh one.
#[tokio::test]
async fn an_expired_first_url_is_replaced_by_a_fresh_one() {
    use loket_testkit::fake_graph::media::MediaFault;
    let app = spawn_app_at(tuesday_morning()).await;
    let letter = app.graph.add_media(LETTER, "application/pdf");
    app.graph.set_media_fault(&letter, Some(MediaFault::ExpiredUrls(1)));
    send_file(&app, "wamid.FRESH1", "document", &letter).await;
    let (state, _, _, bytes) = settled(&app, "wamid.FRESH1").await;
    assert_eq!(state, "stored");
    assert_eq!(bytes, LETTER);
}
}
