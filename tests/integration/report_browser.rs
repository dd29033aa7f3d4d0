//! The reports page in a real browser: the real app (temp SQLite, fake
//! Graph API) with a thread waiting for a person and a question the bot
//! answered, and `tests/browser/rapport.mjs`, which checks the answer's
//! title, the CSV link, chart text of 12 px or more, the "nu" panel and
//! its own refresh, a refused range, axe in each state, and logging out.
//! Afterwards this test checks that the claim the script made through the
//! API is in the store.
//!
//! Skipped like the staff page's browser test (see browser.rs) without
//! Chromium, node or `tests/browser/node_modules`.

use crate::browser::{browser_dir, chromium_or_skip, run_script};
use crate::helpers::*;
use crate::queue::{add_user, queued_thread, wamid};
use loket::accounts::Role;
use loket::domain::ConversationState;
use loket_testkit::payload::text_message;
use std::process::Command;
use std::time::Duration;

const STAFF_USER: &str = "ilse";
/// Bounds the whole scenario (the script bounds each step itself).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(200);

#[tokio::test]
async fn the_reports_page_shows_titles_csv_and_the_nu_panel_in_a_real_browser() {
    // axe-core comes with playwright-core from `npm ci`; without it the
    // script cannot check the page, which counts as a missing prerequisite.
    let axe = browser_dir().join("node_modules/axe-core/axe.min.js");
    let required = std::env::var("LOKET_BROWSER_TEST").as_deref() == Ok("required");
    let chromium = match chromium_or_skip() {
        Some(chromium) if axe.is_file() => chromium,
        Some(_) if required => panic!("axe-core is missing: npm ci --prefix tests/browser"),
        Some(_) => return eprintln!("reports browser test skipped: no {}", axe.display()),
        None => return,
    };
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, STAFF_USER, Role::Staff).await;
    queued_thread(&app, "31600000031").await;
    let at = app.clock.now().timestamp();
    let question = text_message("31600000032", &wamid(), "Wat kost een paspoort?", at);
    app.post_webhook(&question).await;
    app.wait_until_processed().await;
    // The answer the bot gave, as the report counts it.
    let rollup = loket::report::rollup::Rollup::from_settings(&app.settings);
    let today = tuesday_morning().date_naive();
    let report = loket::report::load(app.store(), &rollup, today, today, app.clock.now())
        .await
        .expect("report");
    let answer = report.total.top_faq.first().expect("the bot answered");
    let title = app
        .knowledge()
        .load()
        .index
        .entries()
        .iter()
        .find(|e| e.id.as_str() == answer.faq_id && e.lang == loket::domain::Language::Nl)
        .map(|e| e.title.clone())
        .expect("the answer's title");

    let given = [
        ("BASE_URL", app.url("")),
        ("LOKET_USER", STAFF_USER.to_owned()),
        ("LOKET_PASSWORD", crate::queue::PASSWORD.to_owned()),
        ("LOKET_ANSWER_TITLE", title),
        ("LOKET_ANSWER_ID", answer.faq_id.clone()),
        ("LOKET_CHROMIUM", chromium.display().to_string()),
        // Where to keep a screenshot, when the run asks for one.
        (
            "LOKET_SCREENSHOT",
            std::env::var("LOKET_SCREENSHOT").unwrap_or_default(),
        ),
    ];
    let mut command = Command::new("node");
    command.arg("rapport.mjs").envs(given);
    let output = run_script(command, BROWSER_TIMEOUT, "the reports browser test").await;
    println!("{output}");

    let queue = app.store().queue().await.expect("queue");
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0].state, ConversationState::Claimed);
    assert_eq!(queue[0].claimed_by.as_deref(), Some(STAFF_USER));
}
