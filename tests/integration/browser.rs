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
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
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
/// The same citizen's next message, once the thread is claimed.
const CITIZEN_TEXT_2: &str = "Ik heb ook nog een vraag over mijn rijbewijs.";
const REPLY_TEXT: &str =
    "Goedemorgen, u spreekt met Ilse van de gemeente. Waarmee kan ik u helpen?";
const TOPIC: &str = "Paspoort en ID-kaart";
/// Sent with the photo staff attach.
/// The internal note, the team a thread is passed to (a configured
/// topic) and the note with that transfer.
const NOTE_TEXT: &str = "Inwoner belt vanmiddag terug.";
const TEAM: &str = "Afval";
const TRANSFER_NOTE: &str = "Gaat over de container, voor team Afval.";

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

/// As [`chromium_or_skip`], for a script that also runs axe-core (the
/// `what` browser test): skipped, or failed when required, without it.
pub(crate) fn chromium_with_axe_or_skip(what: &str) -> Option<PathBuf> {
    let chromium = chromium_or_skip()?;
    if browser_dir()
        .join("node_modules/axe-core/axe.min.js")
        .is_file()
    {
        return Some(chromium);
    }
    if std::env::var("LOKET_BROWSER_TEST").as_deref() == Ok("required") {
        panic!("axe-core is missing: npm ci --prefix tests/browser");
    }
    eprintln!("{what} browser test skipped: tests/browser/node_modules has no axe-core");
    None
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

/// Runs a browser script (`command`: node, the script and its
/// environment) in tests/browser until it exits or `timeout` passes (then
/// it and the browser it started are killed). Fails the test when the
/// script fails or takes too long; returns the end of what it printed.
/// Polls rather than blocks: the app's workers run on the test's runtime.
pub(crate) async fn run_script(mut command: Command, timeout: Duration, what: &str) -> String {
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut child = command
        .current_dir(browser_dir())
        // Its own process group, so a timeout also stops the browser it started.
        .process_group(0)
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
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} took over {timeout:?}:\n{}", output_tail(log.path()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let output = output_tail(log.path());
    assert!(status.success(), "{what} failed ({status}):\n{output}");
    output
}

/// The last 64 KiB of a script's output: enough to see the failed step,
/// and bounded however much a browser printed.
fn output_tail(path: &Path) -> String {
    const TAIL: u64 = 64 * 1024;
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(TAIL)));
    let mut bytes = Vec::new();
    let _ = file.take(TAIL).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn the_app_serves_the_staff_page_and_sends_visitors_there() {
    let app = spawn_app_at(tuesday_morning()).await;
    let no_redirects = client_without_redirects();
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
    let second_body = payload::text_message(
        CITIZEN,
        "wamid.browser-2",
        CITIZEN_TEXT_2,
        app.clock.now().timestamp(),
    );
    let label = |number: &str| format!("•••• {}", &number[number.len() - 4..]);
    let screenshot = std::env::var_os("LOKET_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("loket-staff-queue.png"));

    let attach =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/photo-with-metadata.png");
    let sso_user = if provider.is_some() { SSO_USER } else { "" };
    let citizen_label = label(CITIZEN);
    let urgent_label = label("31600000002");
    let urgent_minutes = app
        .settings
        .hours
        .urgent_promise()
        .num_minutes()
        .to_string();
    let mut command = Command::new("node");
    command.arg("staff.mjs").envs([
        ("BASE_URL", app.url("").as_ref()),
        ("LOKET_USER", STAFF_USER.as_ref()),
        ("LOKET_PASSWORD", STAFF_PASSWORD.as_ref()),
        ("APP_SECRET", APP_SECRET.as_ref()),
        ("LOKET_WEBHOOK_BODY", webhook_body.as_ref()),
        ("LOKET_CITIZEN_TEXT", CITIZEN_TEXT.as_ref()),
        ("LOKET_CITIZEN_MASKED", CITIZEN_MASKED.as_ref()),
        ("LOKET_CITIZEN_LINK", CITIZEN_LINK.as_ref()),
        ("LOKET_CITIZEN_LABEL", citizen_label.as_ref()),
        ("LOKET_WEBHOOK_BODY_2", second_body.as_ref()),
        ("LOKET_CITIZEN_TEXT_2", CITIZEN_TEXT_2.as_ref()),
        ("LOKET_URGENT_LABEL", urgent_label.as_ref()),
        ("LOKET_URGENT_MINUTES", urgent_minutes.as_ref()),
        ("LOKET_REPLY_TEXT", REPLY_TEXT.as_ref()),
        ("LOKET_TOPIC", TOPIC.as_ref()),
        ("LOKET_CITIZEN_NUMBER", "+31 6 00000001".as_ref()),
        ("LOKET_NOTE_TEXT", NOTE_TEXT.as_ref()),
        ("LOKET_TEAM", TEAM.as_ref()),
        ("LOKET_TRANSFER_NOTE", TRANSFER_NOTE.as_ref()),
        ("LOKET_ATTACH_FILE", attach.as_os_str()),
        ("LOKET_ATTACH_CAPTION", CAPTION.as_ref()),
        ("LOKET_SCREENSHOT", screenshot.as_os_str()),
        ("LOKET_CHROMIUM", chromium.as_os_str()),
        ("LOKET_SSO_USER", sso_user.as_ref()),
        ("LOKET_SSO_LABEL", SSO_LABEL.as_ref()),
        ("LOKET_MEDIA_CITIZEN", media_citizen.as_ref()),
    ]);
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
    // The context steps: both notes under her name, the transfer to the
    // team, and the reveal audited with the number.
    let notes: Vec<(String, String)> = app
        .store()
        .notes(conversation.id)
        .await
        .expect("notes")
        .into_iter()
        .map(|n| (n.author, n.text))
        .collect();
    let ilse = "staff:ilse".to_owned();
    assert_eq!(
        notes,
        [
            (ilse.clone(), NOTE_TEXT.to_owned()),
            (ilse.clone(), TRANSFER_NOTE.to_owned())
        ]
    );
    let to_team = format!("topic:{TEAM}");
    assert!(
        thread
            .events
            .iter()
            .any(|e| e.kind == "transferred" && e.detail.as_deref() == Some(to_team.as_str())),
        "events: {kinds:?}"
    );
    let reveals: Vec<_> = app
        .store()
        .audit_log(None, 100)
        .await
        .expect("audit log")
        .into_iter()
        .filter(|e| e.action == "reveal")
        .collect();
    assert_eq!(reveals.len(), 1, "{reveals:?}");
    assert_eq!(reveals[0].actor, ilse);
    assert_eq!(reveals[0].detail.as_deref(), Some("number,name"));
    assert_eq!(
        reveals[0].conversation.as_ref().map(|id| id.as_str()),
        Some(conversation.public_id.as_str())
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
