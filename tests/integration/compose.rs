//! The reply box's server side (issue 22, sections 3 and 4), over real
//! HTTP: the saved replies with their placeholders filled for the caller
//! (staff only), a knowledge answer in the "u" form where the entry has a
//! u-version, and a sent template shown by its text.

use crate::helpers::*;
use crate::queue::{add_user, call, claimed_thread, get, login, post};
use loket::accounts::Role;
use loket::config::AddressForm;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn saved_replies_are_for_staff_only_and_come_filled_in_for_the_caller() {
    let app = spawn_app_at(tuesday_morning()).await;
    let (status, body) = call(&app, Method::GET, "/api/saved-replies", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "unauthenticated");

    add_user(&app, "eva", Role::Editor).await;
    let editor = login(&app, "eva").await;
    let (status, _) = get(&app, "/api/saved-replies", &editor).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "editors never see threads");

    add_user(&app, "ilse", Role::Staff).await;
    let ilse = login(&app, "ilse").await;
    let (status, all) = get(&app, "/api/saved-replies", &ilse).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let replies = all["replies"].as_array().expect("replies");
    let shipped = app.settings.saved_replies.all().len();
    assert!(shipped >= 8, "the starter set");
    assert_eq!(replies.len(), shipped, "both languages");
    for reply in replies {
        let text = reply["text"].as_str().expect("text");
        assert!(!text.contains('{'), "a placeholder left unfilled: {text}");
    }
    let text_of = |list: &Value, id: &str| -> String {
        list["replies"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["id"] == id)
            .and_then(|r| r["text"].as_str())
            .unwrap_or_else(|| panic!("no reply {id} in {list}"))
            .to_owned()
    };

    let (status, dutch) = get(&app, "/api/saved-replies?lang=nl", &ilse).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        dutch["replies"]
            .as_array()
            .expect("replies")
            .iter()
            .all(|r| r["language"] == "nl")
    );
    let received = text_of(&dutch, "ontvangen-uitzoeken");
    assert!(received.contains("Ilse"), "{received}");
    assert!(received.contains(&app.settings.organisation), "{received}");
    // Tuesday morning: the promise from now is worded as the bot words it.
    let promised = app
        .settings
        .hours
        .deadline(app.clock.now())
        .expect("a deadline");
    let words = loket::hours::wording::format_moment(
        promised,
        app.clock.now(),
        app.settings.hours.timezone(),
        loket::domain::Language::Nl,
    );
    assert!(received.contains(&words), "{received} lacks {words}");

    // The same reply for another colleague names her.
    add_user(&app, "bram", Role::Staff).await;
    let bram = login(&app, "bram").await;
    let (_, english) = get(&app, "/api/saved-replies?lang=en", &bram).await;
    let theirs = text_of(&english, "ontvangen-uitzoeken");
    assert!(
        theirs.contains("Bram") && !theirs.contains("Ilse"),
        "{theirs}"
    );
    assert!(theirs.contains("get back to you"), "{theirs}");
}

#[tokio::test]
async fn a_knowledge_answer_is_inserted_in_the_u_form_where_the_entry_has_one() {
    let formal = spawn_app_at(tuesday_morning()).await;
    assert_eq!(formal.settings.staff.form, AddressForm::U, "the default");
    let informal = spawn_app_with(tuesday_morning(), |settings| {
        settings.staff.form = AddressForm::Je;
    })
    .await;
    let mut bodies = Vec::new();
    for app in [&formal, &informal] {
        add_user(app, "ilse", Role::Staff).await;
        let ilse = login(app, "ilse").await;
        let (status, found) = get(
            app,
            "/api/knowledge/search?q=paspoort%20aanvragen&lang=nl",
            &ilse,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        let hit = found["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .find(|h| h["id"] == "paspoort-aanvragen")
            .cloned()
            .unwrap_or_else(|| panic!("paspoort-aanvragen not found: {found}"));
        bodies.push((
            hit["form"].as_str().unwrap_or_default().to_owned(),
            hit["body"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    let (form, body) = &bodies[0];
    assert_eq!(form, "u");
    assert!(body.contains("Dat doet u persoonlijk"), "{body}");
    assert!(!body.contains("[["), "local marks are stripped: {body}");
    let (form, body) = &bodies[1];
    assert_eq!(form, "je");
    assert!(body.contains("Dat doe je persoonlijk"), "{body}");
}

#[tokio::test]
async fn a_sent_template_shows_its_text_in_the_thread() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "ilse", Role::Staff).await;
    let ilse = login(&app, "ilse").await;
    let base = claimed_thread(&app, &ilse, "31600000071").await;
    let template = json!({"template": true});
    let (status, body) = post(&app, &format!("{base}/reply"), &ilse, template).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, thread) = get(&app, &base, &ilse).await;
    assert_eq!(status, StatusCode::OK, "{thread}");
    let texts: Vec<&str> = thread["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["author"] == "staff:ilse")
        .filter_map(|m| m["text"].as_str())
        .collect();
    let expected = app
        .settings
        .queue
        .template_text(loket::domain::Language::Nl)
        .expect("a template text");
    assert_eq!(texts, [expected], "not the template's name");
}
