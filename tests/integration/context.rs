//! Context beside a thread, over real HTTP (issue 22): the number behind
//! the audited reveal, internal notes (stored, shown, never sent, refused
//! over the limit, gone with the conversation), a transfer with a note or
//! to a team, the citizen's earlier conversations and the search of
//! closed threads.

use crate::helpers::*;
use crate::queue::{Session, add_user, get, key, login, post, queued_thread};
use crate::signals::sessions_and_threads;
use loket::accounts::Role;
use loket::domain::PublicId;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A second citizen, whose threads must not show up as the first's.
const OTHER: &str = "31600000009";

async fn thread(app: &TestApp, session: &Session, id: &PublicId) -> Value {
    let (status, body) = get(app, &format!("/api/conversations/{id}"), session).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn act(app: &TestApp, session: &Session, id: &PublicId, action: &str, body: Value) -> Value {
    let (status, answer) = post(
        app,
        &format!("/api/conversations/{id}/{action}"),
        session,
        body,
    )
    .await;
    assert!(status.is_success(), "{action}: {status} {answer}");
    answer
}

/// The audit log's entries with `action`, as an admin reads them.
async fn audited(app: &TestApp, action: &str) -> Vec<Value> {
    let lead = login(app, "lead").await;
    let (status, audit) = get(app, "/api/audit", &lead).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

on_both_databases! {
#[tokio::test]
async fn the_number_comes_only_with_the_reveal_which_is_audited_with_its_actor() {
    let (app, sessions, threads) = sessions_and_threads(&["anna"], &[CITIZEN]).await;
    let (anna, id) = (&sessions[0], &threads[0]);
    add_user(&app, "lead", Role::Admin).await;

    let masked = thread(&app, anna, id).await;
    assert!(masked["contact"].is_null(), "{masked}");
    // Not in any form: neither the stored digits nor the readable number.
    let text = masked.to_string();
    assert!(!text.contains(CITIZEN) && !text.contains("+31 6"), "{text}");
    assert!(!text.contains(loket_testkit::payload::PROFILE_NAME), "{text}");
    let (_, queue) = get(&app, "/api/queue", anna).await;
    let queue = queue.to_string();
    assert!(!queue.contains(CITIZEN) && !queue.contains(loket_testkit::payload::PROFILE_NAME), "{queue}");
    assert!(audited(&app, "reveal").await.is_empty());

    let revealed = act(&app, anna, id, "reveal", json!({})).await;
    assert_eq!(revealed["contact"]["number"], "+31 6 00000001", "{revealed}");
    assert_eq!(revealed["contact"]["channel"], "whatsapp");
    assert_eq!(revealed["contact"]["profile_name"], loket_testkit::payload::PROFILE_NAME);
    assert!(
        revealed["contact"]["text_nl"].as_str().is_some_and(|t| t.contains("+31 6 00000001")),
        "{revealed}"
    );
    let reveals = audited(&app, "reveal").await;
    assert_eq!(reveals.len(), 1, "{reveals:?}");
    assert_eq!(reveals[0]["actor"], "staff:anna");
    assert_eq!(reveals[0]["conversation"], id.as_str());
    assert_eq!(reveals[0]["detail"], "number,name");
    // The reveal holds for this login only: another staff member sees no number.
    add_user(&app, "bram", Role::Staff).await;
    let bram = &login(&app, "bram").await;
    assert!(thread(&app, bram, id).await["contact"].is_null());
}
}

on_both_databases! {
#[tokio::test]
async fn with_keep_profile_name_off_the_name_is_never_stored() {
    let app = spawn_app_with(tuesday_morning(), |settings| {
        settings.privacy.keep_profile_name = false;
    })
    .await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = &login(&app, "anna").await;
    let id = &queued_thread(&app, CITIZEN).await;
    let revealed = act(&app, anna, id, "reveal", json!({})).await;
    assert_eq!(revealed["contact"]["number"], "+31 6 00000001", "{revealed}");
    assert!(revealed["contact"]["profile_name"].is_null(), "{revealed}");
    let key = key(&app, id).await;
    assert_eq!(app.store().profile_name(key).await.expect("read"), None);
    add_user(&app, "lead", Role::Admin).await;
    assert_eq!(audited(&app, "reveal").await[0]["detail"], "number");
}
}

on_both_databases! {
#[tokio::test]
async fn a_note_is_stored_shown_never_sent_refused_over_the_limit_and_gone_with_the_conversation() {
    let (app, sessions, threads) = sessions_and_threads(&["anna"], &[CITIZEN, OTHER]).await;
    let (anna, noted, purged) = (&sessions[0], &threads[0], &threads[1]);
    // Each citizen got the bot's "a colleague will answer" first.
    app.eventually("the acknowledgements are sent", || {
        let sent = app.graph.sent_messages().len();
        async move { sent >= 2 }
    })
    .await;
    let sent_before = app.graph.sent_messages().len();

    let note = act(&app, anna, noted, "notes", json!({"text": "  Belt vanmiddag terug over de aanvraag.  "})).await;
    assert_eq!(note["text"], "Belt vanmiddag terug over de aanvraag.");
    assert_eq!(note["author"], "staff:anna");
    act(&app, anna, purged, "notes", json!({"text": "Eerder gebeld."})).await;
    let shown = thread(&app, anna, noted).await;
    assert_eq!(shown["notes"].as_array().map(Vec::len), Some(1), "{shown}");
    assert_eq!(shown["notes"][0]["text"], "Belt vanmiddag terug over de aanvraag.");
    assert_eq!(shown["notes"][0]["author"], "staff:anna");
    assert!(shown["notes"][0]["at"].is_string());
    // Not a message of the thread, and nothing went to WhatsApp.
    assert!(!shown["messages"].to_string().contains("Belt vanmiddag"), "{shown}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let sent = app.graph.sent_messages();
    assert_eq!(sent.len(), sent_before, "a note is never sent");
    assert!(sent.iter().all(|r| !r.body.to_string().contains("Belt vanmiddag")));

    let path = format!("/api/conversations/{noted}/notes");
    let (status, refused) = post(&app, &path, anna, json!({"text": "x".repeat(2001)})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["field"], "text");
    assert!(
        refused["message"].as_str().is_some_and(|m| m.contains("2001") && m.contains("2000")),
        "{refused}"
    );
    let (status, _) = post(&app, &path, anna, json!({"text": "x".repeat(2000)})).await;
    assert_eq!(status, StatusCode::CREATED, "2,000 characters fit");
    assert_eq!(thread(&app, anna, noted).await["notes"].as_array().map(Vec::len), Some(2));

    let (noted_key, purged_key) = (key(&app, noted).await, key(&app, purged).await);
    app.store().forget(CITIZEN, false).await.expect("forget");
    assert!(app.store().notes(noted_key).await.expect("notes").is_empty());
    assert_eq!(app.store().notes(purged_key).await.expect("notes").len(), 1, "only the citizen's");

    act(&app, anna, purged, "claim", json!({})).await;
    act(&app, anna, purged, "close", json!({"topic": "Afval"})).await;
    app.shifted.advance(chrono::Duration::days(8));
    let rollup = loket::report::rollup::Rollup::from_settings(&app.settings);
    let week = std::time::Duration::from_secs(7 * 24 * 3600);
    loket::retention::purge(app.store(), app.clock.as_ref(), &rollup, week, false)
        .await
        .expect("purge");
    assert!(app.store().notes(purged_key).await.expect("notes").is_empty());
}
}

on_both_databases! {
#[tokio::test]
async fn a_transfer_carries_a_note_and_may_go_to_a_team() {
    let (app, sessions, threads) = sessions_and_threads(&["anna", "bram"], &[CITIZEN]).await;
    let (anna, bram, id) = (&sessions[0], &sessions[1], &threads[0]);
    act(&app, anna, id, "claim", json!({})).await;

    let moved = act(&app, anna, id, "transfer", json!({"to": "bram", "note": "Wil teruggebeld worden."})).await;
    assert_eq!(moved["claimed_by"], "bram");
    let shown = thread(&app, bram, id).await;
    assert_eq!(shown["notes"][0]["text"], "Wil teruggebeld worden.", "{shown}");
    assert_eq!(shown["notes"][0]["author"], "staff:anna");

    let path = format!("/api/conversations/{id}/transfer");
    let (status, refused) = post(&app, &path, bram, json!({"topic": "Geen team"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["field"], "topic");
    let (status, refused) = post(&app, &path, bram, json!({"topic": "Afval", "note": "y".repeat(2001)})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["field"], "note");
    let (status, refused) = post(&app, &path, bram, json!({"to": "anna", "topic": "Afval"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "both: {refused}");
    assert_eq!(thread(&app, bram, id).await["claimed_by"], "bram", "nothing moved");

    let queued = act(&app, bram, id, "transfer", json!({"topic": "afval ", "note": "Voor team Afval."})).await;
    assert_eq!(queued["state"], "queued", "{queued}");
    assert!(queued["claimed_by"].is_null());
    assert_eq!(queued["topic"], "Afval");
    let (_, queue) = get(&app, "/api/queue", anna).await;
    assert!(
        queue["conversations"].as_array().expect("list").iter().any(|c| c["id"] == id.as_str() && c["topic"] == "Afval"),
        "{queue}"
    );
    let shown = thread(&app, anna, id).await;
    let notes: Vec<&str> = shown["notes"].as_array().expect("notes").iter().filter_map(|n| n["text"].as_str()).collect();
    assert_eq!(notes, ["Wil teruggebeld worden.", "Voor team Afval."]);
    let last = shown["events"].as_array().and_then(|e| e.last()).cloned().unwrap_or_default();
    assert_eq!(last["kind"], "transferred", "{shown}");
    assert_eq!(last["detail"], "topic:Afval");
    assert_eq!(last["actor"], "staff:bram");
}
}

on_both_databases! {
#[tokio::test]
async fn earlier_conversations_are_the_same_citizens_only() {
    let (app, sessions, threads) = sessions_and_threads(&["anna"], &[CITIZEN, OTHER]).await;
    let (anna, first, others) = (&sessions[0], &threads[0], &threads[1]);
    act(&app, anna, first, "claim", json!({})).await;
    act(&app, anna, first, "close", json!({"topic": "Paspoort en id-kaart"})).await;
    // Past the reopen window: the citizen's next message starts anew.
    app.shifted.advance(chrono::Duration::hours(25));
    let anna = &login(&app, "anna").await;
    let second = queued_thread(&app, CITIZEN).await;
    assert_ne!(*first, second);

    let (status, earlier) = get(&app, &format!("/api/conversations/{second}/earlier"), anna).await;
    assert_eq!(status, StatusCode::OK, "{earlier}");
    assert_eq!(ids(&earlier), [first.as_str()], "{earlier}");
    let item = &earlier["conversations"][0];
    assert_eq!(item["topic"], "Paspoort en id-kaart");
    assert_eq!(item["state"], "closed");
    assert_eq!(item["reference"], &first.as_str()[..8]);
    assert!(item["started_at"].is_string() && item["closed_at"].is_string(), "{item}");

    let (_, theirs) = get(&app, &format!("/api/conversations/{others}/earlier"), anna).await;
    assert_eq!(ids(&theirs), Vec::<String>::new(), "{theirs}");

    // Once retention let the first go, it is no longer listed, even
    // before the purge ran.
    app.shifted.advance(chrono::Duration::days(7));
    let anna = &login(&app, "anna").await;
    let (_, later) = get(&app, &format!("/api/conversations/{second}/earlier"), anna).await;
    assert_eq!(ids(&later), Vec::<String>::new(), "{later}");
}
}

on_both_databases! {
#[tokio::test]
async fn closed_threads_are_found_by_reference_date_and_topic_and_a_bad_date_names_its_field() {
    let (app, sessions, threads) = sessions_and_threads(&["anna"], &[CITIZEN, OTHER]).await;
    let (anna, closed, open) = (&sessions[0], &threads[0], &threads[1]);
    act(&app, anna, closed, "claim", json!({})).await;
    act(&app, anna, closed, "close", json!({"topic": "Rijbewijs"})).await;

    let search = |query: String| {
        let (app, anna) = (&app, anna);
        async move { get(app, &format!("/api/closed-conversations?{query}"), anna).await }
    };
    let reference = &closed.as_str()[..8];
    let (status, found) = search(format!("reference=%23{}", reference.to_uppercase())).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(ids(&found), [closed.as_str()]);
    assert_eq!(found["conversations"][0]["topic"], "Rijbewijs");
    // Tuesday 24 November 2026, office time.
    let (_, on_the_day) = search("from=2026-11-24&to=2026-11-24".to_owned()).await;
    assert_eq!(ids(&on_the_day), [closed.as_str()]);
    let (_, next_day) = search("from=2026-11-25".to_owned()).await;
    assert_eq!(ids(&next_day), Vec::<String>::new());
    let (_, day_before) = search("to=2026-11-23".to_owned()).await;
    assert_eq!(ids(&day_before), Vec::<String>::new());
    let (_, by_topic) = search("topic=rijbe".to_owned()).await;
    assert_eq!(ids(&by_topic), [closed.as_str()]);
    let (_, other_topic) = search("topic=afval".to_owned()).await;
    assert_eq!(ids(&other_topic), Vec::<String>::new());
    let (_, everything) = search(String::new()).await;
    assert!(!ids(&everything).contains(&open.as_str().to_owned()), "only closed threads");

    for (query, field) in [
        ("from=24-11-2026", "from"),
        ("from=2026-11-24&to=2026-11-31", "to"),
        ("from=2026-11-25&to=2026-11-24", "to"),
        // Given but empty is no date either (the contract says `format: date`).
        ("to=", "to"),
        ("reference=", "reference"),
    ] {
        let (status, refused) = search(query.to_owned()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {refused}");
        assert_eq!(refused["field"], field, "{query}: {refused}");
        assert!(refused["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // Beyond retention a closed thread is not found, even before the purge.
    app.shifted.advance(chrono::Duration::days(8));
    let anna = &login(&app, "anna").await;
    let (_, gone) = get(&app, &format!("/api/closed-conversations?reference={reference}"), anna).await;
    assert_eq!(ids(&gone), Vec::<String>::new(), "{gone}");
}
}
