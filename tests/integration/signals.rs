//! What threads signal to staff, over real HTTP: whom a thread waits on,
//! a deadline that stops at the first staff reply, unread counts per
//! staff member that drop when the thread is read, and read marks that go
//! with the conversation when it is purged or forgotten.

use crate::helpers::*;
use crate::queue::{Session, add_user, get, key, login, post, queued_thread, wamid};
use loket::accounts::Role;
use loket::domain::PublicId;
use loket_testkit::payload::text_message;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A second citizen, so two threads can be told apart.
const OTHER: &str = "31600000009";

/// The queue row of `id` as `session` sees it, with the tab title's count.
async fn row(app: &TestApp, session: &Session, id: &PublicId) -> (Value, i64) {
    let (status, queue) = get(app, "/api/queue", session).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let total = queue["unread_total"].as_i64().expect("unread_total");
    let item = queue["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .find(|item| item["id"] == id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{id} is not in the queue: {queue}"));
    (item, total)
}

/// The citizen writes again, and the thread has the message.
async fn citizen_writes_again(app: &TestApp, citizen: &str, id: &PublicId, text: &str) {
    let before = app
        .store()
        .thread(key(app, id).await, app.clock.now(), true)
        .await
        .expect("thread")
        .expect("exists")
        .messages
        .len();
    let at = app.clock.now().timestamp();
    let body = text_message(citizen, &wamid(), text, at);
    assert_eq!(app.post_webhook(&body).await.status(), StatusCode::OK);
    let key = key(app, id).await;
    let now = app.clock.now();
    app.eventually("the message is in the thread", || {
        let store = app.store().clone();
        async move {
            store
                .thread(key, now, true)
                .await
                .ok()
                .flatten()
                .is_some_and(|t| t.messages.len() > before)
        }
    })
    .await;
}

/// The app on Tuesday morning with a staff session for each of `staff`
/// and a queued thread for each of `citizens`.
pub(crate) async fn sessions_and_threads(
    staff: &[&str],
    citizens: &[&str],
) -> (TestApp, Vec<Session>, Vec<PublicId>) {
    let app = spawn_app_at(tuesday_morning()).await;
    let mut sessions = Vec::new();
    for name in staff {
        add_user(&app, name, Role::Staff).await;
        sessions.push(login(&app, name).await);
    }
    let mut threads = Vec::new();
    for citizen in citizens {
        threads.push(queued_thread(&app, citizen).await);
    }
    (app, sessions, threads)
}

/// `POST /api/conversations/{id}/{action}`: its status, checked against
/// `expected`.
async fn act(
    app: &TestApp,
    session: &Session,
    id: &PublicId,
    action: &str,
    body: Value,
    expected: StatusCode,
) {
    let path = format!("/api/conversations/{id}/{action}");
    let (status, answer) = post(app, &path, session, body).await;
    assert_eq!(status, expected, "{action}: {answer}");
}

on_both_databases! {
#[tokio::test]
async fn the_deadline_stops_at_the_first_staff_reply() {
    let (app, sessions, threads) = sessions_and_threads(&["anna"], &[CITIZEN, OTHER]).await;
    let (anna, answered, waiting) = (&sessions[0], &threads[0], &threads[1]);

    let (item, _) = row(&app, anna, answered).await;
    assert_eq!(item["signals"]["waiting_on"], "us", "{item}");
    assert_eq!(item["signals"]["due"], item["deadline"], "{item}");
    assert_eq!(item["signals"]["late"], false);

    act(&app, anna, answered, "claim", json!({}), StatusCode::OK).await;
    act(&app, anna, answered, "reply", json!({"text": "Ik kijk ernaar."}), StatusCode::ACCEPTED).await;
    let (item, _) = row(&app, anna, answered).await;
    assert_eq!(item["signals"]["waiting_on"], "citizen", "{item}");
    assert!(item["signals"]["due"].is_null(), "{item}");

    // Past the promised moment: the unanswered thread is late, the
    // answered one is not.
    app.shifted.advance(chrono::Duration::hours(7));
    // The session timed out meanwhile.
    let anna = login(&app, "anna").await;
    let (late, _) = row(&app, &anna, waiting).await;
    assert_eq!(late["signals"]["late"], true, "{late}");
    let (item, _) = row(&app, &anna, answered).await;
    assert_eq!(item["signals"]["late"], false, "{item}");

    // The citizen writes again: it waits on us, still without a deadline.
    citizen_writes_again(&app, CITIZEN, answered, "Is er al nieuws?").await;
    let (item, _) = row(&app, &anna, answered).await;
    assert_eq!(item["signals"]["waiting_on"], "us", "{item}");
    assert!(item["signals"]["due"].is_null(), "{item}");
    assert_eq!(item["signals"]["late"], false, "{item}");
    // The thread view says the same.
    let (status, thread) = get(&app, &format!("/api/conversations/{answered}"), &anna).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(thread["signals"], item["signals"]);
}
}

on_both_databases! {
#[tokio::test]
async fn the_unread_count_rises_with_a_citizen_message_and_drops_when_read() {
    let (app, sessions, threads) = sessions_and_threads(&["anna", "bram"], &[CITIZEN]).await;
    let (anna, bram, id) = (&sessions[0], &sessions[1], &threads[0]);

    // Never opened: the citizen's message is unread, in nobody's tab
    // title yet (nobody holds the thread).
    let (item, total) = row(&app, anna, id).await;
    assert_eq!((item["unread"].as_i64(), total), (Some(1), 0), "{item}");
    act(&app, anna, id, "claim", json!({}), StatusCode::OK).await;
    act(&app, anna, id, "read", json!({}), StatusCode::NO_CONTENT).await;
    let (item, total) = row(&app, anna, id).await;
    assert_eq!((item["unread"].as_i64(), total), (Some(0), 0), "{item}");

    citizen_writes_again(&app, CITIZEN, id, "Nog een vraag over de foto").await;
    let (item, total) = row(&app, anna, id).await;
    assert_eq!((item["unread"].as_i64(), total), (Some(1), 1), "{item}");
    let (_, thread) = get(&app, &format!("/api/conversations/{id}"), anna).await;
    assert_eq!(thread["unread"], 1, "reading the thread alone marks nothing");
    // Bram never looked: both messages are unread for him, and the
    // thread is not his, so his title counts none.
    let (item, total) = row(&app, bram, id).await;
    assert_eq!((item["unread"].as_i64(), total), (Some(2), 0), "{item}");

    act(&app, anna, id, "read", json!({}), StatusCode::NO_CONTENT).await;
    let (item, total) = row(&app, anna, id).await;
    assert_eq!((item["unread"].as_i64(), total), (Some(0), 0), "{item}");
    let (item, _) = row(&app, bram, id).await;
    assert_eq!(item["unread"], 2, "anna's mark is hers alone");

    // An id nobody has is 404, like every conversation route.
    let nobody = PublicId::parse(&"0".repeat(32)).expect("an id");
    act(&app, anna, &nobody, "read", json!({}), StatusCode::NOT_FOUND).await;
}
}

on_both_databases! {
#[tokio::test]
async fn read_marks_go_with_a_forgotten_or_purged_conversation() {
    let (app, sessions, threads) = sessions_and_threads(&["anna"], &[CITIZEN, OTHER]).await;
    let (anna, forgotten, purged) = (&sessions[0], &threads[0], &threads[1]);
    let (forgotten_key, purged_key) = (key(&app, forgotten).await, key(&app, purged).await);
    for id in [forgotten, purged] {
        act(&app, anna, id, "read", json!({}), StatusCode::NO_CONTENT).await;
    }
    assert_eq!(app.store().read_marks(forgotten_key).await.expect("count"), 1);
    assert_eq!(app.store().read_marks(purged_key).await.expect("count"), 1);

    app.store().forget(CITIZEN, false).await.expect("forget");
    assert_eq!(app.store().read_marks(forgotten_key).await.expect("count"), 0);
    assert_eq!(app.store().read_marks(purged_key).await.expect("count"), 1, "only the citizen's");

    act(&app, anna, purged, "claim", json!({}), StatusCode::OK).await;
    act(&app, anna, purged, "close", json!({"topic": "Afval"}), StatusCode::OK).await;
    app.shifted.advance(chrono::Duration::days(8));
    let rollup = loket::report::rollup::Rollup::from_settings(&app.settings);
    let week = std::time::Duration::from_secs(7 * 24 * 3600);
    let removed = loket::retention::purge(app.store(), app.clock.as_ref(), &rollup, week, false)
        .await
        .expect("purge");
    assert_eq!(removed.conversations, 1);
    assert_eq!(app.store().read_marks(purged_key).await.expect("count"), 0);
}
}
