//! The website chat widget in a real browser (issue 24): the real app
//! (temp SQLite, fake Graph API) and `tests/browser/widget.mjs`, which
//! opens the demo page, uses the widget with the keyboard only, checks it
//! with axe, asks a question, asks for a person, gets a staff reply, and
//! survives a network drop. Afterwards this test checks the store: one web
//! chat, claimed by the staff member, and nothing sent through WhatsApp.
//!
//! Skipped like the staff page's browser test (see browser.rs) without
//! Chromium, node or `tests/browser/node_modules`.

use crate::browser::{chromium_with_axe_or_skip, run_script};
use crate::helpers::*;
use loket::accounts::Role;
use std::process::Command;
use std::time::Duration;

const STAFF_USER: &str = "ilse";
/// Bounds the whole scenario (the script bounds each step itself).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(200);

#[tokio::test]
async fn a_citizen_chats_through_the_widget_in_a_real_browser() {
    let Some(chromium) = chromium_with_axe_or_skip("widget") else {
        return;
    };
    let app = spawn_app_at(tuesday_morning()).await;
    crate::queue::add_user(&app, STAFF_USER, Role::Staff).await;

    let mut command = Command::new("node");
    command
        .arg("widget.mjs")
        .env("BASE_URL", app.url(""))
        .env("LOKET_USER", STAFF_USER)
        .env("LOKET_PASSWORD", crate::queue::PASSWORD)
        .env("LOKET_QUESTION", "Hoe vraag ik een paspoort aan?")
        .env(
            "LOKET_ANSWER",
            "Dat doe je persoonlijk in het stadhuis, op afspraak.",
        )
        .env("LOKET_CHROMIUM", &chromium);
    let output = run_script(command, BROWSER_TIMEOUT, "the widget browser test").await;
    println!("{output}");

    let conversations = app.store().conversations(10).await.expect("conversations");
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    assert_eq!(conversations[0].state, "claimed");
    assert!(conversations[0].citizen.wa_id.is_none(), "no phone number");
    assert!(
        app.graph.sent_messages().is_empty(),
        "nothing of the web chat went through WhatsApp"
    );
}
