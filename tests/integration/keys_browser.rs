//! A shift on the staff page from the keyboard, with a full queue, in a
//! real browser (issue 22, section 5): the real app (temp SQLite, fake
//! Graph API) with 50 threads in the queue, two of them held by the
//! staff member and two by a colleague, and `tests/browser/shift.mjs`,
//! which checks the layout at 1366x768 (the queue list scrolls, the reply
//! box and its send button stay in view) and at 320 px wide, the filters
//! and their counts, and works a thread without the mouse: log in, j/k,
//! open, claim with c, reply with Ctrl+Enter, close with e, and n for the
//! next thread; the shortcuts' help opens with ? and closes with Escape.
//! Afterwards this test checks that the reply went out and the thread is
//! closed by her.
//!
//! Skipped like the staff page's browser test (see browser.rs) without
//! Chromium, node or `tests/browser/node_modules`.

use crate::browser::{chromium_with_axe_or_skip, run_script};
use crate::helpers::*;
use loket::accounts::{self, Role};
use loket_testkit::payload;
use std::process::Command;
use std::time::Duration;

const STAFF_USER: &str = "ilse";
const COLLEAGUE: &str = "bram";
const THREADS: usize = 50;
/// Held by her and by the colleague, of the 50.
const HERS: usize = 2;
const THEIRS: usize = 2;
const REPLY_TEXT: &str = "Goedemorgen, ik zoek het voor u uit.";
const TOPIC: &str = "Vraag beantwoord";
/// Bounds the whole scenario (the script bounds each step itself).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(240);

/// The number of the n-th seeded citizen (1-based).
fn citizen(n: usize) -> String {
    format!("316110{n:05}")
}

/// How the queue names a citizen ("•••• 0001").
fn label(number: &str) -> String {
    format!("•••• {}", &number[number.len() - 4..])
}

/// Citizens `numbers` ask for a person; waits until all are queued.
async fn ask_for_a_person(app: &TestApp, numbers: std::ops::RangeInclusive<usize>) {
    let expected = *numbers.end();
    for n in numbers {
        let body = payload::text_message(
            &citizen(n),
            &format!("wamid.shift-{n}"),
            "Ik wil graag een medewerker spreken over mijn aanvraag.",
            app.clock.now().timestamp(),
        );
        assert_eq!(app.post_webhook(&body).await.status(), 200, "citizen {n}");
    }
    app.eventually("the citizens are queued", || async {
        let conversations = app.store().conversations(100).await.expect("rows");
        conversations.iter().filter(|c| c.state == "queued").count() == expected
    })
    .await;
}

#[tokio::test]
async fn a_shift_from_the_keyboard_with_a_full_queue_in_a_real_browser() {
    let Some(chromium) = chromium_with_axe_or_skip("shift") else {
        return;
    };
    let app = spawn_app_at(tuesday_morning()).await;
    let mut accounts = Vec::new();
    for name in [STAFF_USER, COLLEAGUE] {
        let account = accounts::create(
            app.store(),
            name,
            Role::Staff,
            crate::queue::PASSWORD,
            app.clock.now(),
        )
        .await
        .expect("account");
        accounts.push(account);
    }
    let (ilse, bram) = (&accounts[0], &accounts[1]);

    // The first citizen waits longest, then the next three, then the
    // rest: "next" (n) has one right answer.
    ask_for_a_person(&app, 1..=1).await;
    app.shifted.advance(chrono::Duration::minutes(1));
    ask_for_a_person(&app, 2..=HERS + THEIRS).await;
    app.shifted.advance(chrono::Duration::minutes(1));
    ask_for_a_person(&app, HERS + THEIRS + 1..=THREADS).await;

    // She holds the first two, the colleague the next two.
    let rows = app.store().conversations(100).await.expect("rows");
    let key_of = |n: usize| {
        let number = citizen(n);
        rows.iter()
            .find(|c| c.citizen.wa_id.as_ref().map(|w| w.as_str()) == Some(number.as_str()))
            .map(|c| c.id)
            .unwrap_or_else(|| panic!("citizen {n} has a conversation"))
    };
    let limit = app.settings.queue.max_claims;
    for n in 1..=HERS + THEIRS {
        let who = if n <= HERS { ilse } else { bram };
        app.store()
            .claim(key_of(n), who, limit, app.clock.now())
            .await
            .expect("claimed");
    }

    let counts = serde_json::json!({
        "mine": HERS,
        "waiting": THREADS - HERS - THEIRS,
        "colleagues": THEIRS,
        "all": THREADS,
    })
    .to_string();
    let (base, oldest) = (app.url(""), label(&citizen(1)));
    let mut command = Command::new("node");
    command
        .arg("shift.mjs")
        .env("LOKET_CHROMIUM", &chromium)
        .envs([
            ("BASE_URL", base.as_str()),
            ("LOKET_USER", STAFF_USER),
            ("LOKET_PASSWORD", crate::queue::PASSWORD),
            ("LOKET_COLLEAGUE", COLLEAGUE),
            ("LOKET_COUNTS", counts.as_str()),
            ("LOKET_OLDEST_LABEL", oldest.as_str()),
            ("LOKET_REPLY_TEXT", REPLY_TEXT),
            ("LOKET_TOPIC", TOPIC),
        ]);
    let output = run_script(command, BROWSER_TIMEOUT, "the shift browser test").await;
    println!("{output}");

    app.eventually("the fake Graph API receives the reply", || async {
        app.sent_texts().iter().any(|text| text == REPLY_TEXT)
    })
    .await;
    let rows = app.store().conversations(100).await.expect("rows");
    let closed: Vec<_> = rows.iter().filter(|c| c.state == "closed").collect();
    assert_eq!(closed.len(), 1, "one thread closed: {closed:?}");
    let thread = app
        .store()
        .thread(closed[0].id, app.clock.now(), true)
        .await
        .expect("thread")
        .expect("the closed thread");
    assert!(
        thread.events.iter().any(|e| e.kind == "closed"
            && e.actor == "staff:ilse"
            && e.detail.as_deref() == Some(TOPIC)),
        "closed by her with the topic: {:?}",
        thread.events
    );
    let hers: Vec<&str> = thread
        .messages
        .iter()
        .filter(|m| m.author == "staff:ilse")
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(hers, [REPLY_TEXT], "her reply is in the closed thread");
    // The first citizen's thread (hers, waiting longest) is still hers.
    let first = rows
        .iter()
        .find(|c| c.id == key_of(1))
        .expect("the first thread");
    assert_eq!(first.state, "claimed");
}
