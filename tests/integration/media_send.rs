//! Staff send files (issue 21, step 5): an image or a PDF attached to a
//! reply goes through the checks, the outbox and the fake Graph API as an
//! upload plus a media message; what is refused is refused before
//! anything is stored or sent; and `forget` takes the sent bytes along.

use crate::helpers::*;
use crate::queue::{Session, add_user, claimed_thread, get, login};
use crate::retention::{contains, raw_bytes};
use loket::domain::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// A real PNG whose `tEXt` and `eXIf` chunks hold these markers.
const PNG: &[u8] = include_bytes!("../fixtures/media/photo-with-metadata.png");
const PNG_MARKERS: [&str; 2] = ["LOKET-PNG-METADATA-MARKER", "LOKET-PNG-EXIF-MARKER"];
const PDF: &[u8] = include_bytes!("../fixtures/media/letter.pdf");
const CITIZEN_A: &str = "31600000081";

/// Posts `file` (named `name`, declared `mime`) with `caption` as staff.
async fn attach(
    app: &TestApp,
    base: &str,
    session: &Session,
    file: &[u8],
    name: &str,
    mime: &str,
    caption: Option<&str>,
) -> (StatusCode, Value) {
    let part = Part::bytes(file.to_vec())
        .file_name(name.to_owned())
        .mime_str(mime)
        .expect("a mime type");
    let mut form = Form::new().part("file", part);
    if let Some(caption) = caption {
        form = form.text("caption", caption.to_owned());
    }
    let response = app
        .http
        .post(app.url(&format!("{base}/attachment")))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .multipart(form)
        .send()
        .await
        .expect("attachment request");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The media messages the fake accepted, of `kind` (`image`, `document`).
fn media_messages(app: &TestApp, kind: &str) -> Vec<Value> {
    app.graph
        .sent_messages()
        .into_iter()
        .filter(|m| m.body["type"] == kind)
        .map(|m| m.body)
        .collect()
}

async fn staff_app() -> (TestApp, Session) {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    (app, anna)
}

/// What a test sends: the file's bytes, its name and declared type, the
/// caption, and the message type Meta should get (`image`, `document`).
struct Sending<'a> {
    file: &'a [u8],
    name: &'a str,
    mime: &'a str,
    caption: Option<&'a str>,
    kind: &'a str,
}

/// Anna claims a citizen's thread and sends a file, accepted (202); waits
/// until the fake got the message. `prepare` scripts the fake first.
async fn sent(sending: Sending<'_>, prepare: fn(&TestApp)) -> (TestApp, Session, String, Value) {
    let (app, anna) = staff_app().await;
    prepare(&app);
    let base = claimed_thread(&app, &anna, CITIZEN_A).await;
    let Sending {
        file,
        name,
        mime,
        caption,
        kind,
    } = sending;
    let (status, body) = attach(&app, &base, &anna, file, name, mime, caption).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    app.eventually("the media message is sent", || async {
        !media_messages(&app, kind).is_empty()
    })
    .await;
    (app, anna, base, body)
}

on_both_databases! {
/// An image reaches Meta as an upload (without its metadata) and then an
/// image message naming the uploaded id with the caption; the thread
/// shows what was sent; `forget` deletes the stored file.
#[tokio::test]
async fn an_attached_image_is_uploaded_without_metadata_then_sent_and_forgotten() {
    let caption = "Zie https://www.voorbeeldstad.nl/melding";
    let sending = Sending {
        file: PNG,
        name: "C:\\fotos\\lantaarnpaal.png",
        mime: "image/png",
        caption: Some(caption),
        kind: "image",
    };
    let (app, anna, base, body) = sent(sending, |_| {}).await;
    let outbox_id = body["outbox_id"].as_i64().expect("an outbox id");
    let uploads = app.graph.uploads();
    assert_eq!(uploads.len(), 1, "one upload");
    let upload = &uploads[0];
    assert!(upload.content_type.starts_with("multipart/form-data"));
    assert!(contains(&upload.body, "name=\"messaging_product\""));
    assert!(contains(&upload.body, "whatsapp"));
    assert!(contains(&upload.body, "image/png"));
    assert!(contains(&upload.body, "IHDR"), "the PNG itself was uploaded");
    for marker in PNG_MARKERS {
        assert!(contains(PNG, marker), "the fixture carries {marker}");
        assert!(!contains(&upload.body, marker), "{marker} was uploaded");
    }
    let images = media_messages(&app, "image");
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["image"]["id"], upload.media_id.as_str());
    assert_eq!(images[0]["image"]["caption"], caption);
    assert!(images[0]["image"].get("filename").is_none(), "images have no name");

    let (_, thread) = get(&app, &base, &anna).await;
    let shown = thread["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["author"] == "staff:anna")
        .cloned()
        .expect("the staff message in the thread");
    assert_eq!(shown["text"], format!("[foto: lantaarnpaal.png] {caption}"));

    let store = app.store();
    assert!(store.outbox_file(outbox_id).await.expect("read").is_some());
    let removed = store.forget(CITIZEN_A, false).await.expect("forget");
    assert!(removed.media >= 1, "{removed:?}");
    assert_eq!(store.outbox_file(outbox_id).await.expect("read"), None);
}
}

on_both_databases! {
/// A PDF goes as a document with its (safe) file name and caption.
#[tokio::test]
async fn an_attached_pdf_goes_as_a_document_with_its_name_and_caption() {
    // A PDF is stored as it is, so a text in it shows whether its bytes
    // are left in the database files after `forget` (SQLite).
    let marker = "SENT-FILE-MARKER-5531-stoep";
    let mut pdf = PDF.to_vec();
    pdf.extend_from_slice(format!("\n% {marker}\n").as_bytes());
    let sending = Sending {
        file: &pdf,
        name: "../brief \"gemeente\".pdf",
        mime: "application/pdf",
        caption: Some("Hierbij de brief."),
        kind: "document",
    };
    let (app, _, _, _) = sent(sending, |_| {}).await;
    let uploads = app.graph.uploads();
    assert_eq!(uploads.len(), 1);
    assert!(contains(&uploads[0].body, "%PDF"), "the PDF was uploaded");
    let document = &media_messages(&app, "document")[0]["document"];
    assert_eq!(document["id"], uploads[0].media_id.as_str());
    assert_eq!(document["caption"], "Hierbij de brief.");
    assert_eq!(document["filename"], "brief _gemeente.pdf");

    let on_sqlite = app.settings.database_url.starts_with("sqlite:");
    let left = || on_sqlite && contains(&raw_bytes(&app), marker);
    assert_eq!(left(), on_sqlite, "on SQLite the test must see the marker first");
    app.store().forget(CITIZEN_A, false).await.expect("forget");
    assert!(!left(), "the forgotten file is still in the database files");
}
}

on_both_databases! {
/// Too large, the wrong type by its bytes, a caption linking elsewhere,
/// and outside the 24-hour window: each refused with its own error, and
/// nothing stored, uploaded or sent.
#[tokio::test]
async fn refused_files_are_refused_with_their_error_and_nothing_is_sent() {
    let app = spawn_app_with(tuesday_morning(), |settings| {
        // Smaller than the PDF fixture plus a little: the cap is the config's.
        settings.media.upload_max_bytes = 64;
    })
    .await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let base = claimed_thread(&app, &anna, CITIZEN_A).await;

    let (status, body) = attach(&app, &base, &anna, PDF, "brief.pdf", "application/pdf", None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "too_large");
    assert_eq!(body["limit"], 64);

    let html = b"<!doctype html><html><script>alert(1)</script></html>";
    let (status, body) = attach(&app, &base, &anna, html, "brief.pdf", "application/pdf", None).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(body["error"], "unsupported_media_type");

    let tiny_pdf = &PDF[..PDF.len().min(60)];
    let (status, body) = attach(
        &app, &base, &anna, tiny_pdf, "brief.pdf", "application/pdf",
        Some("Kijk op https://evil.example/phish"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "caption_refused");
    assert_eq!(body["domain"], "evil.example");

    app.shifted.advance(chrono::Duration::hours(25));
    let anna = login(&app, "anna").await;
    let (status, body) = attach(&app, &base, &anna, tiny_pdf, "brief.pdf", "application/pdf", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "window_closed");

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.graph.uploads().is_empty(), "nothing uploaded");
    assert!(media_messages(&app, "document").is_empty(), "nothing sent");
    let (_, thread) = get(&app, &base, &anna).await;
    assert!(
        !thread["messages"].as_array().into_iter().flatten().any(|m| m["author"] == "staff:anna"),
        "nothing queued: {thread}"
    );
}
}

/// A failed upload (Meta's 500) is retried as a failed send is, and the
/// message then names the upload that worked.
#[tokio::test]
async fn a_failed_upload_is_retried_like_a_send() {
    let sending = Sending {
        file: PNG,
        name: "foto.png",
        mime: "image/png",
        caption: None,
        kind: "image",
    };
    let (app, _, _, _) = sent(sending, |app| app.graph.fail_next_uploads(1)).await;
    let failed = app
        .graph
        .media_log()
        .into_iter()
        .filter(|r| {
            r.call == loket_testkit::fake_graph::media::MediaCall::Upload && r.status == 500
        })
        .count();
    assert_eq!(failed, 1, "the first upload failed");
    let uploads = app.graph.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(
        media_messages(&app, "image")[0]["image"]["id"],
        uploads[0].media_id.as_str()
    );
}
