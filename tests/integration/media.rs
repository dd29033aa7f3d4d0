//! Citizens' media (issue 21): what intake notes, how the store keeps and
//! forgets a file's bytes, and the fetcher through the webhook and the fake
//! Graph API; staff's thread and media API on top.

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

/// Stores a photo whose bytes hold [`MARKER`] for the citizen, as the
/// fetcher would, and checks the marker is in the SQLite files.
async fn store_a_marked_photo(app: &TestApp, wamid: &str) {
    send(app, wamid, "image").await;
    app.wait_until_processed().await;
    let file = due(app).await.pop().expect("a file");
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
        contains(&raw_bytes(app), MARKER),
        "the test must see the marker first"
    );
}

/// On SQLite, not one byte of a forgotten file is left in the files.
#[tokio::test]
async fn a_forgotten_files_bytes_are_not_in_the_database_files() {
    let app = app_without_fetcher().await;
    store_a_marked_photo(&app, "wamid.MEDIA3").await;

    app.store().forget(CITIZEN, false).await.expect("forget");
    assert!(
        !contains(&raw_bytes(&app), MARKER),
        "the forgotten file is still in the files"
    );
}

/// On SQLite, not one byte of a file is left in the files once its
/// conversation is purged for age, as for its messages.
#[tokio::test]
async fn a_purged_files_bytes_are_not_in_the_database_files() {
    let mut app = app_without_fetcher().await;
    store_a_marked_photo(&app, "wamid.MEDIA4").await;

    app.shifted.advance(Days::days(8));
    let rollup = loket::report::rollup::Rollup::from_settings(&app.settings);
    let week = Duration::from_secs(7 * 24 * 3600);
    let removed = loket::retention::purge(app.store(), app.clock.as_ref(), &rollup, week, false)
        .await
        .expect("purge");
    assert_eq!(removed.media, 1, "{removed:?}");
    assert!(
        !contains(&raw_bytes(&app), MARKER),
        "the purged file is still in the files"
    );
    app.stop().await;
    assert!(!contains(&raw_bytes(&app), MARKER));
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

pub(crate) async fn settled(
    app: &TestApp,
    wamid: &str,
) -> (String, Option<String>, Option<String>, Vec<u8>) {
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

/// The citizen sends the test photo, letter and voice note, as messages
/// `{prefix}1` to `{prefix}3`.
async fn send_photo_letter_and_voice_note(app: &TestApp, prefix: &str) {
    for (n, kind, bytes, mime) in [
        (1, "image", PHOTO, "image/jpeg"),
        (2, "document", LETTER, "application/pdf"),
        (3, "audio", VOICE_NOTE, "audio/ogg; codecs=opus"),
    ] {
        let media_id = app.graph.add_media(bytes, mime);
        send_file(app, &format!("{prefix}{n}"), kind, &media_id).await;
    }
}

on_both_databases! {
/// A photo, a PDF and a voice note sent through the webhook are fetched
/// in the background and stored as their bytes say; the photo without its
/// EXIF block.
#[tokio::test]
async fn a_photo_a_pdf_and_a_voice_note_are_fetched_checked_and_stored() {
    let app = spawn_app_at(tuesday_morning()).await;
    send_photo_letter_and_voice_note(&app, "wamid.FETCH").await;

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
    // Staff read why in the thread, in Dutch and English; the file itself
    // is answered 409 with its reason.
    use crate::queue::{add_user, get, login};
    app.wait_until_processed().await;
    let id = citizens_conversation(&app).await;
    add_user(&app, "anna", loket::accounts::Role::Staff).await;
    let anna = login(&app, "anna").await;
    let (_, thread) = get(&app, &format!("/api/conversations/{id}"), &anna).await;
    let photo = &message_of(&thread, "image")["media"];
    assert_eq!(photo["state"], "failed");
    assert_eq!(photo["failure"], "too_large");
    assert_eq!(photo["failure_nl"], "foto kon niet worden opgehaald: te groot");
    assert_eq!(photo["failure_en"], "photo could not be fetched: too large");
    assert!(photo["url"].is_null());
    let document = &message_of(&thread, "document")["media"];
    assert_eq!(document["failure_nl"], "document kon niet worden opgehaald: beschadigd onderweg");
    let audio = &message_of(&thread, "audio")["media"];
    assert_eq!(audio["failure"], "expired");
    let (status, body) = get(&app, &format!("/api/conversations/{id}/media/{}", photo["id"]), &anna).await;
    assert_eq!(status, 409);
    assert_eq!((body["error"].as_str(), body["failure"].as_str()), (Some("media_failed"), Some("too_large")));
    assert_eq!(body["message"], "foto kon niet worden opgehaald: te groot");
    // Nothing lost: every message is stored and processed as usual.
    app.wait_until_processed().await;
    assert_eq!(
        app.store().count(loket::db::CountedTable::Conversations).await.unwrap(),
        1
    );
}

/// The webhook wakes the fetcher: with an hour between polls, files are
/// still fetched right after they arrive. (The first file may be taken by
/// the fetcher's first turn at start; the second arrives while it sleeps.)
#[tokio::test]
async fn a_webhook_with_a_file_wakes_the_fetcher() {
    let app = spawn_app_with(tuesday_morning(), |settings| {
        settings.media.fetch_poll = loket::config::HumanDuration(Duration::from_secs(3600));
    })
    .await;
    for wamid in ["wamid.WAKE1", "wamid.WAKE2"] {
        let letter = app.graph.add_media(LETTER, "application/pdf");
        send_file(&app, wamid, "document", &letter).await;
        let (state, _, _, bytes) = settled(&app, wamid).await;
        assert_eq!((state.as_str(), bytes.as_slice()), ("stored", LETTER), "{wamid}");
    }
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

/// The public id of `CITIZEN`'s conversation, once it is queued.
async fn citizens_conversation(app: &TestApp) -> String {
    let tail = &CITIZEN[CITIZEN.len() - 4..];
    let queued = || async {
        let queue = app.store().queue().await.expect("queue");
        queue
            .iter()
            .find(|s| s.citizen.ends_with(tail))
            .map(|s| s.id.to_string())
    };
    app.eventually("the conversation is queued", || async {
        queued().await.is_some()
    })
    .await;
    queued().await.expect("queued")
}

/// The thread's message of `kind` (`image`, `document`, ...) as staff's
/// API shows it.
fn message_of<'a>(thread: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    thread["messages"]
        .as_array()
        .and_then(|messages| messages.iter().find(|m| m["kind"] == kind))
        .unwrap_or_else(|| panic!("no {kind} message in {thread}"))
}

/// GETs `path` with `session` (or none): status, headers and body bytes.
async fn fetch(
    app: &TestApp,
    path: &str,
    session: Option<&crate::queue::Session>,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app.http.get(app.url(path));
    if let Some(session) = session {
        request = request.header("cookie", &session.cookie);
    }
    let response = request.send().await.expect("media request");
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.bytes().await.expect("body").to_vec();
    (status, headers, body)
}

/// The headers every served file carries, and how it is disposed.
fn assert_served_safely(headers: &reqwest::header::HeaderMap, mime: &str, disposition: &str) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    assert_eq!(header("content-type"), mime);
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(
        header("content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(header("cache-control"), "private, no-store");
    assert!(
        header("content-disposition").starts_with(disposition),
        "{mime}: {}",
        header("content-disposition")
    );
    let name = header("content-disposition")
        .split("filename=")
        .nth(1)
        .unwrap_or("");
    assert!(
        name.trim_matches('"')
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
        "a made-up, safe file name: {name}"
    );
}

on_both_databases! {
/// A photo, a PDF, a voice note and a location sent through the webhook
/// reach staff: the thread says what each is, and each file's bytes are
/// exactly what was stored (the photo without its EXIF), served inline or
/// as an attachment with headers that keep it from running. The files
/// are as closed to others as the thread: no session 401, an editor 403,
/// another conversation's or an unknown file 404; reading a colleague's
/// thread's file is audited as reading the thread.
#[tokio::test]
async fn a_photo_a_pdf_a_voice_note_and_a_location_reach_staff_with_their_content() {
    use crate::queue::{add_user, get, login, post};
    use loket::accounts::Role;
    let app = spawn_app_at(tuesday_morning()).await;
    send_photo_letter_and_voice_note(&app, "wamid.STAFF").await;
    let at = app.clock.now().timestamp();
    let place = loket_testkit::payload::location_message(
        CITIZEN, "wamid.STAFF4", (52.0907, 5.1214), "Lantaarnpaal bij de Dom", "Domplein 1, Utrecht", at,
    );
    assert_eq!(app.post_webhook(&place).await.status(), 200);
    let mut stored = Vec::new();
    for wamid in ["wamid.STAFF1", "wamid.STAFF2", "wamid.STAFF3"] {
        let (state, _, _, bytes) = settled(&app, wamid).await;
        assert_eq!(state, "stored", "{wamid}");
        stored.push(bytes);
    }
    app.wait_until_processed().await;
    let id = citizens_conversation(&app).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let (status, thread) = get(&app, &format!("/api/conversations/{id}"), &anna).await;
    assert_eq!(status, 200, "{thread}");

    for ((kind, mime, disposition), bytes) in [
        ("image", "image/jpeg", "inline"),
        ("document", "application/pdf", "attachment"),
        ("audio", "audio/ogg", "inline"),
    ]
    .into_iter()
    .zip(&stored)
    {
        let media = &message_of(&thread, kind)["media"];
        assert_eq!(media["kind"], kind);
        assert_eq!(media["state"], "stored");
        assert_eq!(media["mime"], mime);
        assert_eq!(media["size"], bytes.len() as u64, "{kind}: the stored size");
        assert!(media["failure"].is_null() && media["failure_nl"].is_null());
        let url = media["url"].as_str().expect("a stored file has a url");
        assert_eq!(url, format!("/api/conversations/{id}/media/{}", media["id"]));
        let (status, headers, body) = fetch(&app, url, Some(&anna)).await;
        assert_eq!(status, 200, "{kind}");
        assert_served_safely(&headers, mime, disposition);
        assert_eq!(&body, bytes, "{kind}: the stored bytes, whole");
    }
    assert!(!contains(&stored[0], GPS_MARKER), "what staff get has no EXIF GPS");
    assert!(stored[1].starts_with(b"%PDF"));
    assert_eq!(message_of(&thread, "audio")["media"]["voice"], true);
    let location = &message_of(&thread, "location")["location"];
    assert_eq!(location["latitude"], 52.0907);
    assert_eq!(location["longitude"], 5.1214);
    assert_eq!(location["name"], "Lantaarnpaal bij de Dom");
    assert_eq!(location["address"], "Domplein 1, Utrecht");
    assert!(message_of(&thread, "location")["media"].is_null());

    // As closed as the thread.
    let photo_url = message_of(&thread, "image")["media"]["url"].as_str().expect("url").to_owned();
    let photo_id = message_of(&thread, "image")["media"]["id"].clone();
    assert_eq!(fetch(&app, &photo_url, None).await.0, 401, "signed out");
    add_user(&app, "eva", Role::Editor).await;
    let editor = login(&app, "eva").await;
    assert_eq!(fetch(&app, &photo_url, Some(&editor)).await.0, 403, "an editor");
    let other = crate::queue::queued_thread(&app, "31600000072").await;
    for wrong in [
        format!("/api/conversations/{other}/media/{photo_id}"),
        format!("/api/conversations/{id}/media/999999"),
        format!("/api/conversations/{id}/media/foto"),
        format!("/api/conversations/{}/media/{photo_id}", "0".repeat(32)),
    ] {
        let (status, _, body) = fetch(&app, &wrong, Some(&anna)).await;
        assert_eq!(status, 404, "{wrong}");
        assert!(!contains(&body, "PIXELDATA"), "{wrong}");
    }

    // A colleague's thread: its file is audited as reading the thread.
    add_user(&app, "bram", Role::Staff).await;
    let bram = login(&app, "bram").await;
    let (status, _) = post(&app, &format!("/api/conversations/{id}/claim"), &bram, serde_json::json!({})).await;
    assert_eq!(status, 200);
    let anna_again = login(&app, "anna").await;
    assert_eq!(fetch(&app, &photo_url, Some(&anna_again)).await.0, 200);
    add_user(&app, "lead", Role::Admin).await;
    let lead = login(&app, "lead").await;
    let (_, audit) = get(&app, "/api/audit", &lead).await;
    let reads = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["actor"] == "staff:anna" && e["action"] == "read" && e["conversation"] == id.as_str())
        .count();
    assert_eq!(reads, 1, "the file read is audited once: {audit}");
}

/// A file still being fetched is answered 409 `media_pending`, and the
/// thread says it is pending; nothing is served before it is stored.
#[tokio::test]
async fn a_file_being_fetched_is_pending_in_the_thread_and_not_served() {
    use crate::queue::{add_user, get, login};
    use loket::accounts::Role;
    let app = app_without_fetcher().await;
    send(&app, "wamid.PENDING1", "image").await;
    app.wait_until_processed().await;
    let id = citizens_conversation(&app).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let (_, thread) = get(&app, &format!("/api/conversations/{id}"), &anna).await;
    let media = &message_of(&thread, "image")["media"];
    assert_eq!(media["state"], "pending");
    assert!(media["url"].is_null() && media["size"].is_null());
    let (status, body) = get(&app, &format!("/api/conversations/{id}/media/{}", media["id"]), &anna).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (409, Some("media_pending")), "{body}");
}
}
