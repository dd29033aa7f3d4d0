//! The staff page: served by the app, and driven in a real browser.
//!
//! The browser test starts the real app (temp SQLite, fake Graph API), adds
//! a staff account through the library, lets two citizens write (one
//! urgent) and runs `tests/browser/staff.mjs`:
//! Debian's Chromium, headless, driven by playwright-core. The script logs
//! in, posts a citizen's signed webhook, waits for the thread to appear in
//! the queue without a reload, claims it, replies, sends a photo and closes
//! it. Afterwards this test checks that the fake Graph API got the reply,
//! the photo as an upload plus an image message, and the store has the
//! conversation closed. With the single sign-on test provider
//! available (see sso.rs), the script also logs in through it once.
//!
//! Without Chromium, node or `tests/browser/node_modules` the test prints
//! "browser test skipped: ..." and passes, unless `LOKET_BROWSER_TEST` is
//! `required` (as in `.ci/run`), when it fails and says how to install.

use crate::helpers::*;
use loket::accounts::{self, Role};
use loket_testkit::payload;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STAFF_USER: &str = "ilse";
const STAFF_PASSWORD: &str = "browser-test-wachtwoord-7";
/// Asks for a person, with markup and a link the page must show as text and
/// a phone number it must mask until revealed.
const CITIZEN_TEXT: &str = "Ik wil graag een medewerker spreken <b>nu</b>, bel 06-12345678 of zie http://voorbeeld.invalid/formulier";
const CITIZEN_MASKED: &str = "Ik wil graag een medewerker spreken <b>nu</b>, bel [telefoon] of zie http://voorbeeld.invalid/formulier";
const CITIZEN_LINK: &str = "voorbeeld.invalid";
const REPLY_TEXT: &str =
    "Goedemorgen, u spreekt met Ilse van de gemeente. Waarmee kan ik u helpen?";
const TOPIC: &str = "Paspoort en ID-kaart";
/// Sent with the photo staff attach.
const CAPTION: &str = "Hierbij de foto van de melding.";
/// A user of the test provider (tests/oidc/provider.mjs) in the staff group.
const SSO_USER: &str = "anna";
/// The button's label as `crate::sso::Provider::settings` names the provider.
const SSO_LABEL: &str = "Testdienst";
/// A citizen who sends a photo, a letter and a voice note.
const MEDIA_CITIZEN: &str = "31600000004";
/// Files a browser decodes (tests/fixtures/media/README.md).
const PHOTO: &[u8] = include_bytes!("../fixtures/media/photo-64x48.jpg");
const LETTER: &[u8] = include_bytes!("../fixtures/media/letter.pdf");
const VOICE_NOTE: &[u8] = include_bytes!("../fixtures/media/voice-note-1s.ogg");
/// How long the whole browser scenario may take on a busy CI machine.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(240);

pub(crate) fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// The browser to use, or `None` when the test should be skipped (it says
/// why). With `LOKET_BROWSER_TEST=required` (as in `.ci/run`) a missing
/// prerequisite fails the test instead, with what to install.
pub(crate) fn chromium_or_skip() -> Option<PathBuf> {
    match prerequisites() {
        Ok(chromium) => Some(chromium),
        Err(why) => {
            if std::env::var("LOKET_BROWSER_TEST").as_deref() == Ok("required") {
                panic!(
                    "the browser test is required (LOKET_BROWSER_TEST=required) but cannot run: {why}.\n\
                     Install what it needs with:\n  \
                     apt-get install -y chromium nodejs npm\n  \
                     npm ci --prefix tests/browser"
                );
            }
            eprintln!("browser test skipped: {why}");
            None
        }
    }
}

/// Runs a browser script (`command`, with its environment) to its end,
/// its output in a log file; polls rather than blocks, since the app's
/// workers run on this runtime. Fails when the script fails or takes over
/// `timeout`; returns its output.
pub(crate) async fn run_script(mut command: Command, timeout: Duration, what: &str) -> String {
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut child = command
        .current_dir(browser_dir())
        .stdin(Stdio::null())
        .stdout(log.reopen().expect("log file"))
        .stderr(log.reopen().expect("log file"))
        .spawn()
        .expect("node starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for node") {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let output = std::fs::read_to_string(log.path()).unwrap_or_default();
            panic!("{what} took over {timeout:?}:\n{output}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let output = std::fs::read_to_string(log.path()).unwrap_or_default();
    assert!(status.success(), "{what} failed ({status}):\n{output}");
    output
}

/// The Chromium to use, or why the browser test cannot run here.
fn prerequisites() -> Result<PathBuf, String> {
    let chromium = std::env::var_os("LOKET_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        return Err(format!(
            "no Chromium at {} (set LOKET_CHROMIUM to another one)",
            chromium.display()
        ));
    }
    if !node_on_path() {
        return Err("node is not on PATH".to_owned());
    }
    if !browser_dir()
        .join("node_modules/playwright-core/package.json")
        .is_file()
    {
        return Err("tests/browser/node_modules has no playwright-core".to_owned());
    }
    Ok(chromium)
}

#[tokio::test]
async fn the_app_serves_the_staff_page_and_sends_visitors_there() {
    let app = spawn_app_at(tuesday_morning()).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let root = no_redirects
        .get(app.url("/"))
        .send()
        .await
        .expect("request");
    assert_eq!(root.status(), 302);
    assert_eq!(root.headers()["location"], "/staff");

    for (path, content_type) in [
        ("/staff", "text/html"),
        ("/staff/app.js", "text/javascript"),
        ("/staff/app.css", "text/css"),
    ] {
        let response = app.http.get(app.url(path)).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with(content_type),
            "{path}"
        );
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        let policy = headers["content-security-policy"]
            .to_str()
            .unwrap_or_default();
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
    }
}

#[tokio::test]
async fn staff_claim_reply_and_close_a_thread_in_a_real_browser() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };

    // Single sign-on at the test provider when it can run (see sso.rs).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let redirect = format!(
        "http://127.0.0.1:{}/staff/sso/callback",
        listener.local_addr().expect("address").port()
    );
    let provider = crate::sso::Provider::start_or_skip(&redirect);
    let sso = provider.as_ref().map(|p| p.settings(&redirect));
    let app = spawn_app_on(listener, tuesday_morning(), |settings| settings.sso = sso).await;
    accounts::create(
        app.store(),
        STAFF_USER,
        Role::Staff,
        STAFF_PASSWORD,
        app.clock.now(),
    )
    .await
    .expect("staff account");
    // Two citizens already waiting: an emergency (urgent, first in line)
    // and a photo.
    let now = app.clock.now().timestamp();
    let emergency = payload::text_message(
        "31600000002",
        "wamid.browser-spoed",
        "Help, er is brand bij de school en er zijn nog kinderen binnen",
        now,
    );
    let photo = payload::media_message("31600000003", "wamid.browser-foto", "image", now);
    for body in [emergency, photo] {
        assert_eq!(app.post_webhook(&body).await.status(), 200);
    }
    app.eventually("the two waiting citizens are queued", || async {
        let conversations = app.store().conversations(10).await.expect("conversations");
        conversations.iter().filter(|c| c.state == "queued").count() == 2
    })
    .await;

    let media_citizen = citizen_sends_media(&app).await;

    let webhook_body = payload::text_message(
        CITIZEN,
        "wamid.browser-1",
        CITIZEN_TEXT,
        app.clock.now().timestamp(),
    );
    let screenshot = std::env::var_os("LOKET_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("loket-staff-queue.png"));

    let mut command = Command::new("node");
    command
        .arg("staff.mjs")
        .current_dir(browser_dir())
        .env("BASE_URL", app.url(""))
        .env("LOKET_USER", STAFF_USER)
        .env("LOKET_PASSWORD", STAFF_PASSWORD)
        .env("APP_SECRET", APP_SECRET)
        .env("LOKET_WEBHOOK_BODY", &webhook_body)
        .env("LOKET_CITIZEN_TEXT", CITIZEN_TEXT)
        .env("LOKET_CITIZEN_MASKED", CITIZEN_MASKED)
        .env("LOKET_CITIZEN_LINK", CITIZEN_LINK)
        .env("LOKET_REPLY_TEXT", REPLY_TEXT)
        .env("LOKET_TOPIC", TOPIC)
        .env(
            "LOKET_ATTACH_FILE",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/media/photo-with-metadata.png"),
        )
        .env("LOKET_ATTACH_CAPTION", CAPTION)
        .env("LOKET_SCREENSHOT", &screenshot)
        .env("LOKET_CHROMIUM", &chromium)
        .env(
            "LOKET_SSO_USER",
            if provider.is_some() { SSO_USER } else { "" },
        )
        .env("LOKET_SSO_LABEL", SSO_LABEL)
        .env("LOKET_MEDIA_CITIZEN", &media_citizen);
    let output = run_script(command, BROWSER_TIMEOUT, "the browser test").await;
    println!("{output}");

    // The reply went out through WhatsApp ...
    app.eventually("the fake Graph API receives the staff reply", || async {
        app.sent_texts().iter().any(|text| text == REPLY_TEXT)
    })
    .await;
    // The photo went out as an upload plus an image message naming it.
    app.eventually("the fake Graph API receives the photo", || async {
        app.graph
            .sent_messages()
            .iter()
            .any(|m| m.body["type"] == "image")
    })
    .await;
    let uploads = app.graph.uploads();
    assert_eq!(
        uploads.len(),
        1,
        "one upload: the refused file was not sent"
    );
    let images: Vec<_> = app
        .graph
        .sent_messages()
        .into_iter()
        .filter(|m| m.body["type"] == "image")
        .collect();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].body["image"]["id"], uploads[0].media_id.as_str());
    assert_eq!(images[0].body["image"]["caption"], CAPTION);
    // ... and the conversation is closed in the store, by her, with the topic.
    let conversations = app.store().conversations(10).await.expect("conversations");
    let conversation = conversations
        .iter()
        .find(|c| c.queue_reason.as_deref() == Some("asked_for_person"))
        .expect("the conversation of the citizen who asked for a person");
    assert_eq!(conversation.state, "closed");
    let others: Vec<&str> = conversations
        .iter()
        .filter(|c| c.id != conversation.id)
        .map(|c| c.state.as_str())
        .collect();
    assert_eq!(
        others,
        ["queued", "queued", "queued"],
        "the others still wait"
    );
    let thread = app
        .store()
        .thread(conversation.id, app.clock.now(), true)
        .await
        .expect("thread")
        .expect("the conversation exists");
    let kinds: Vec<(&str, &str)> = thread
        .events
        .iter()
        .map(|e| (e.kind.as_str(), e.actor.as_str()))
        .collect();
    assert!(
        kinds.contains(&("claimed", "staff:ilse")),
        "events: {kinds:?}"
    );
    let closed = thread
        .events
        .iter()
        .find(|e| e.kind == "closed")
        .expect("a closed event");
    assert_eq!(closed.detail.as_deref(), Some(TOPIC));
    assert!(
        thread
            .messages
            .iter()
            .any(|m| m.author == "staff:ilse" && m.text == REPLY_TEXT),
        "the reply is in the thread under her name"
    );
}

/// `MEDIA_CITIZEN` sends a photo, a PDF and a voice note, which the
/// fetcher stores before the browser starts; returns how the queue labels
/// the citizen ("•••• 0004").
async fn citizen_sends_media(app: &TestApp) -> String {
    let now = app.clock.now().timestamp();
    for (wamid, kind, bytes, mime) in [
        ("wamid.browser-media-1", "image", PHOTO, "image/jpeg"),
        (
            "wamid.browser-media-2",
            "document",
            LETTER,
            "application/pdf",
        ),
        (
            "wamid.browser-media-3",
            "audio",
            VOICE_NOTE,
            "audio/ogg; codecs=opus",
        ),
    ] {
        let media_id = app.graph.add_media(bytes, mime);
        let body = payload::media_message_with_id(MEDIA_CITIZEN, wamid, kind, &media_id, now);
        assert_eq!(app.post_webhook(&body).await.status(), 200);
        let (state, failure, ..) = crate::media::settled(app, wamid).await;
        assert_eq!(state, "stored", "{wamid}: {failure:?}");
    }
    format!("•••• {}", &MEDIA_CITIZEN[MEDIA_CITIZEN.len() - 4..])
}
