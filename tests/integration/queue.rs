//! The human queue over real HTTP: accounts, sessions, CSRF, roles, claim,
//! reply within WhatsApp's window, transfer, close, reopen, live events,
//! availability and the OpenAPI document.

use crate::helpers::*;
use loket::accounts::{self, Role};
use loket::domain::PublicId;
use loket_testkit::payload::{media_message, text_message};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub(crate) const PASSWORD: &str = "een-lang-wachtwoord-42";

/// A logged-in browser: its cookie and CSRF token.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

static WAMIDS: AtomicU64 = AtomicU64::new(1);

pub(crate) fn wamid() -> String {
    format!("wamid.QUEUE{:06}", WAMIDS.fetch_add(1, Ordering::Relaxed))
}

pub(crate) async fn add_user(app: &TestApp, name: &str, role: Role) {
    accounts::create(app.store(), name, role, PASSWORD, app.clock.now())
        .await
        .expect("account created");
}

pub(crate) async fn login(app: &TestApp, name: &str) -> Session {
    let response = app
        .http
        .post(app.url("/api/session"))
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), StatusCode::OK, "login of {name}");
    let cookie = session_cookie(&response).expect("session cookie set");
    let body: Value = response.json().await.expect("json");
    Session {
        cookie,
        csrf: body["csrf_token"].as_str().expect("csrf token").to_owned(),
    }
}

pub(crate) async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    session: Option<&Session>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.http.request(method, app.url(path));
    if let Some(session) = session {
        request = request
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("api request");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub(crate) async fn get(app: &TestApp, path: &str, session: &Session) -> (StatusCode, Value) {
    call(app, reqwest::Method::GET, path, Some(session), None).await
}

pub(crate) async fn post(
    app: &TestApp,
    path: &str,
    session: &Session,
    body: Value,
) -> (StatusCode, Value) {
    call(app, reqwest::Method::POST, path, Some(session), Some(body)).await
}

/// A citizen sends a photo (which always goes to a person); returns the
/// queued conversation's public id.
pub(crate) async fn queued_thread(app: &TestApp, citizen: &str) -> PublicId {
    let at = app.clock.now().timestamp();
    let body = media_message(citizen, &wamid(), "image", at);
    assert_eq!(app.post_webhook(&body).await.status(), StatusCode::OK);
    let tail = &citizen[citizen.len() - 4..];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let queue = app.store().queue().await.expect("queue");
        let found = queue
            .iter()
            .find(|s| s.citizen.ends_with(tail) && s.last_message_at.timestamp() >= at - 1)
            .map(|s| s.id.clone());
        if let Some(id) = found {
            return id;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the thread was not queued"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

on_both_databases! {
#[tokio::test]
async fn staff_routes_refuse_without_a_session_and_leak_nothing() {
    let app = spawn_app_at(tuesday_morning()).await;
    let id = queued_thread(&app, CITIZEN).await;
    for (method, path) in loket::web::api::routes() {
        // The website chat's routes are the citizen's, behind a chat
        // session token instead of a staff session: tests/integration/webchat.rs
        // checks their refusals.
        let public = matches!(
            path,
            "/api/availability" | "/api/openapi.json" | "/api/login-options"
        )
            || (method == "post" && path == "/api/session")
            || path.starts_with("/api/webchat/");
        if public {
            continue;
        }
        let path = path.replace("{id}", &id.to_string());
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let (status, body) = call(&app, method.clone(), &path, None, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(body["error"], "unauthenticated", "{method} {path}");
        let text = body.to_string();
        assert!(
            !text.contains("lantaarnpaal") && !text.contains("0001"),
            "{path} leaked {text}"
        );
    }
    // A made-up cookie is no session either.
    let fake = Session {
        cookie: "loket_session=deadbeef".into(),
        csrf: "x".into(),
    };
    assert_eq!(
        get(&app, "/api/queue", &fake).await.0,
        StatusCode::UNAUTHORIZED
    );
}
}

on_both_databases! {
#[tokio::test]
async fn an_editor_may_search_the_knowledge_base_but_not_read_the_queue() {
    let app = spawn_app_at(tuesday_morning()).await;
    let id = queued_thread(&app, CITIZEN).await;
    add_user(&app, "eva", Role::Editor).await;
    let editor = login(&app, "eva").await;
    for path in [
        "/api/queue",
        &format!("/api/conversations/{id}"),
        "/api/staff",
        "/api/events",
    ] {
        let (status, body) = get(&app, path, &editor).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(body["error"], "forbidden");
    }
    for action in ["claim", "release", "reply", "transfer", "close"] {
        let (status, _) = post(
            &app,
            &format!("/api/conversations/{id}/{action}"),
            &editor,
            json!({"text": "hallo", "to": "eva", "topic": "Afval"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}");
    }
    let (status, body) = get(&app, "/api/knowledge/search?q=paspoort%20kwijt", &editor).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["hits"][0]["id"], "paspoort-kwijt", "{body}");
    assert!(
        body["hits"][0]["body"]
            .as_str()
            .is_some_and(|b| !b.is_empty())
    );
}
}

on_both_databases! {
#[tokio::test]
async fn state_changes_need_the_csrf_token() {
    let app = spawn_app_at(tuesday_morning()).await;
    let id = queued_thread(&app, CITIZEN).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let claim = format!("/api/conversations/{id}/claim");
    let without = app
        .http
        .post(app.url(&claim))
        .header("cookie", &anna.cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let body: Value = without.json().await.expect("json");
    assert_eq!(body["error"], "csrf");
    let wrong = Session {
        csrf: "0".repeat(64),
        ..anna.clone()
    };
    assert_eq!(
        post(&app, &claim, &wrong, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.store()
            .summary(key(&app, &id).await)
            .await
            .expect("read")
            .expect("thread")
            .claimed_by,
        None,
        "a refused request changed nothing"
    );
    assert_eq!(post(&app, &claim, &anna, json!({})).await.0, StatusCode::OK);
    // Logging out is a state change too.
    let logout = app
        .http
        .delete(app.url("/api/session"))
        .header("cookie", &anna.cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
}
}

/// The store's integer key of the conversation with this public id (the
/// store's methods take the key; the API only the public id).
pub(crate) async fn key(app: &TestApp, id: &PublicId) -> i64 {
    app.store()
        .conversation_key(id)
        .await
        .expect("read")
        .expect("the conversation")
}

/// The citizen sends `text`, which asks for a person; returns the queued
/// conversation's public id (the first in the queue).
pub(crate) async fn text_queued(app: &TestApp, text: &str) -> PublicId {
    let at = app.clock.now().timestamp();
    app.post_webhook(&text_message(CITIZEN, &wamid(), text, at))
        .await;
    for _ in 0..500 {
        if let Some(first) = app.store().queue().await.expect("queue").first() {
            return first.id.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the thread was not queued");
}

/// A thread of `citizen`'s, claimed by `session`: its API path.
pub(crate) async fn claimed_thread(app: &TestApp, session: &Session, citizen: &str) -> String {
    let id = queued_thread(app, citizen).await;
    let base = format!("/api/conversations/{id}");
    let (status, body) = post(app, &format!("{base}/claim"), session, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    base
}

on_both_databases! {
#[tokio::test]
async fn login_sets_a_strict_cookie_throttles_guessing_and_resists_fixation() {
    // The test client is the TLS proxy: its X-Forwarded-Proto is believed.
    let app = spawn_app_with(tuesday_morning(), |settings| {
        settings.trusted_proxies =
            loket::config::TrustedProxies::parse(&["127.0.0.1".to_owned()]).expect("valid");
    })
    .await;
    add_user(&app, "anna", Role::Staff).await;

    // A planted cookie is replaced by a fresh session at login.
    let planted = "loket_session=planted-by-an-attacker";
    let response = app
        .http
        .post(app.url("/api/session"))
        .header("cookie", planted)
        .json(&json!({"username": "anna", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("cookie")
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    assert!(!set_cookie.contains("planted-by-an-attacker"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["role"], "staff");

    // Behind a trusted TLS proxy the cookie is Secure.
    let behind_tls = app
        .http
        .post(app.url("/api/session"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": "anna", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    let set_cookie = crate::helpers::set_cookie(&behind_tls);
    assert!(set_cookie.contains("Secure"), "{set_cookie}");

    // Logout ends the session for good.
    let session = login(&app, "anna").await;
    assert_eq!(get(&app, "/api/session", &session).await.0, StatusCode::OK);
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        "/api/session",
        Some(&session),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        get(&app, "/api/session", &session).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Wrong password and unknown name look the same.
    let attempt = |name: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let response = app
                .http
                .post(app.url("/api/session"))
                .json(&json!({"username": name, "password": password}))
                .send()
                .await
                .expect("login");
            let status = response.status();
            let retry_after = response.headers().get("retry-after").cloned();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body, retry_after)
        }
    };
    let (status, body, _) = attempt("nobody", PASSWORD).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("invalid_credentials"))
    );
    for _ in 0..5 {
        assert_eq!(
            attempt("anna", "wrong-password-123").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // Five failures for anna: now even the right password waits.
    let (status, body, retry_after) = attempt("anna", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "too_many_attempts");
    assert!(
        body["retry_after_seconds"]
            .as_i64()
            .is_some_and(|s| s > 0 && s <= 900)
    );
    assert!(retry_after.is_some());
    // After the window the account works again.
    app.shifted.advance(chrono::Duration::minutes(16));
    assert_eq!(attempt("anna", PASSWORD).await.0, StatusCode::OK);
}
}

on_both_databases! {
#[tokio::test]
async fn a_thread_goes_from_queue_to_claim_reply_transfer_and_close() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    add_user(&app, "bram", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let bram = login(&app, "bram").await;
    let id = queued_thread(&app, CITIZEN).await;

    let (status, queue) = get(&app, "/api/queue", &anna).await;
    assert_eq!(status, StatusCode::OK);
    let item = &queue["conversations"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["state"], "queued");
    assert_eq!(item["reason"], "media");
    assert_eq!(item["urgent"], false);
    assert!(item["deadline"].is_string(), "{item}");
    assert!(item["claimed_by"].is_null());
    assert_eq!(item["citizen"], "•••• 0001");
    // The page says the channel in words on the row and in the header.
    assert_eq!(item["channel"], "whatsapp");

    let base = format!("/api/conversations/{id}");
    let (status, claimed) = post(&app, &format!("{base}/claim"), &anna, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["claimed_by"], "anna");
    let (status, refused) = post(&app, &format!("{base}/claim"), &bram, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["error"], "already_claimed");
    assert_eq!(refused["claimed_by"], "anna");
    let (status, _) = post(
        &app,
        &format!("{base}/reply"),
        &bram,
        json!({"text": "Ik help u"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the claimer replies");

    let before = app.graph.sent_messages().len();
    let (status, body) = post(
        &app,
        &format!("{base}/reply"),
        &anna,
        json!({"text": "Dank voor de foto. We sturen een monteur."}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let texts = app.wait_for_sent(before + 1).await;
    assert!(
        texts
            .iter()
            .any(|t| t == "Dank voor de foto. We sturen een monteur."),
        "{texts:?}"
    );

    let (status, thread) = get(&app, &base, &anna).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(thread["window"]["open"], true);
    assert_eq!(thread["channel"], "whatsapp");
    assert_eq!(thread["template"]["name"], "vraag_nog_open");
    let authors: Vec<&str> = thread["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["author"].as_str())
        .collect();
    assert_eq!(authors.first(), Some(&"citizen"));
    assert!(authors.contains(&"bot"), "{authors:?}");
    assert_eq!(authors.last(), Some(&"staff:anna"));
    assert!(
        thread["messages"][0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("[foto]"))
    );

    let (status, moved) = post(
        &app,
        &format!("{base}/transfer"),
        &anna,
        json!({"to": "bram"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["claimed_by"], "bram");
    let (status, _) = post(
        &app,
        &format!("{base}/close"),
        &anna,
        json!({"topic": "Melding openbare ruimte"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "anna passed it on");
    let (status, body) = post(&app, &format!("{base}/close"), &bram, json!({"topic": " "})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid"))
    );
    let (status, closed) = post(
        &app,
        &format!("{base}/close"),
        &bram,
        json!({"topic": "Melding openbare ruimte"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(closed["state"], "closed");
    let (_, queue) = get(&app, "/api/queue", &anna).await;
    assert_eq!(queue["conversations"].as_array().map(Vec::len), Some(0));

    let (_, thread) = get(&app, &base, &bram).await;
    let history: Vec<(String, String)> = thread["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_owned(),
                e["actor"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("queued", "bot"),
        ("claimed", "staff:anna"),
        ("replied", "staff:anna"),
        ("transferred", "staff:anna"),
        ("closed", "staff:bram"),
    ]
    .iter()
    .map(|(k, a)| ((*k).to_owned(), (*a).to_owned()))
    .collect();
    assert_eq!(history, expected);
}
}

on_both_databases! {
#[tokio::test]
async fn of_many_simultaneous_claims_exactly_one_wins() {
    let app = spawn_app_at(tuesday_morning()).await;
    let id = queued_thread(&app, CITIZEN).await;
    let mut sessions = Vec::new();
    for n in 0..12 {
        let name = format!("kcc{n:02}");
        add_user(&app, &name, Role::Staff).await;
        sessions.push((name.clone(), login(&app, &name).await));
    }
    let path = format!("/api/conversations/{id}/claim");
    let claims = sessions
        .iter()
        .map(|(_, s)| post(&app, &path, s, json!({})));
    let results = futures_util::future::join_all(claims).await;
    let winners: Vec<&Value> = results
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = winners[0]["claimed_by"]
        .as_str()
        .expect("winner")
        .to_owned();
    for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["claimed_by"], winner.as_str());
    }
    let stored = app
        .store()
        .summary(key(&app, &id).await)
        .await
        .expect("read")
        .expect("thread");
    assert_eq!(stored.claimed_by.as_deref(), Some(winner.as_str()));
}
}

on_both_databases! {
#[tokio::test]
async fn a_staff_member_holds_at_most_the_configured_number_of_threads() {
    let app = spawn_app_with(tuesday_morning(), |s| s.queue.max_claims = 1).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let first = queued_thread(&app, "31600000001").await;
    let second = queued_thread(&app, "31600000002").await;
    assert_eq!(
        post(
            &app,
            &format!("/api/conversations/{first}/claim"),
            &anna,
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
    let (status, body) = post(
        &app,
        &format!("/api/conversations/{second}/claim"),
        &anna,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "claim_limit");
    assert_eq!(body["limit"], 1);
    // Releasing one frees a place.
    assert_eq!(
        post(
            &app,
            &format!("/api/conversations/{first}/release"),
            &anna,
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        post(
            &app,
            &format!("/api/conversations/{second}/claim"),
            &anna,
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
}
}

on_both_databases! {
#[tokio::test]
async fn outside_the_24_hour_window_only_the_template_goes_out() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let id = queued_thread(&app, CITIZEN).await;
    let base = format!("/api/conversations/{id}");
    assert_eq!(
        post(&app, &format!("{base}/claim"), &anna, json!({}))
            .await
            .0,
        StatusCode::OK
    );
    app.shifted.advance(chrono::Duration::hours(25));
    let anna = login(&app, "anna").await;

    let (_, thread) = get(&app, &base, &anna).await;
    assert_eq!(thread["window"]["open"], false);
    let before = app.graph.sent_messages().len();
    let (status, body) = post(
        &app,
        &format!("{base}/reply"),
        &anna,
        json!({"text": "Bent u er nog?"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "window_closed");
    assert_eq!(body["template"]["name"], "vraag_nog_open");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("24-uursvenster"))
    );

    let (status, _) = post(
        &app,
        &format!("{base}/reply"),
        &anna,
        json!({"template": true}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.wait_for_sent(before + 1).await;
    let sent = app.graph.sent_messages();
    let template = sent.last().expect("sent");
    assert_eq!(template.body["type"], "template", "{}", template.body);
    assert_eq!(template.body["template"]["name"], "vraag_nog_open");
    assert!(!app.sent_texts().iter().any(|t| t == "Bent u er nog?"));
}
}

on_both_databases! {
#[tokio::test]
async fn threads_whose_window_expired_while_closed_get_the_template_at_opening() {
    let app = spawn_app_at(saturday_night()).await;
    let id = queued_thread(&app, CITIZEN).await;
    // Nothing while the office is closed.
    let sent = loket::queue::followup::send_due(app.store(), &app.settings, app.clock.as_ref())
        .await
        .expect("runs");
    assert_eq!(sent, 0);
    // Monday 9:05: the window (Saturday 22:15 + 24 h) has expired.
    let monday = amsterdam(2026, 11, 23, 9, 5);
    app.shifted.advance(monday - app.clock.now());
    let sent = loket::queue::followup::send_due(app.store(), &app.settings, app.clock.as_ref())
        .await
        .expect("runs");
    assert_eq!(sent, 1);
    app.eventually("the template reaches the Graph API", || {
        let graph = &app.graph;
        let found = graph.sent_messages().iter().any(|m| {
            m.body["type"] == "template" && m.body["template"]["name"] == "vraag_nog_open"
        });
        async move { found }
    })
    .await;
    // Once only.
    let again = loket::queue::followup::send_due(app.store(), &app.settings, app.clock.as_ref())
        .await
        .expect("runs");
    assert_eq!(again, 0);
    let summary = app
        .store()
        .summary(key(&app, &id).await)
        .await
        .expect("read")
        .expect("thread");
    assert_eq!(summary.state, loket::queue::State::Queued);
}
}

on_both_databases! {
#[tokio::test]
async fn writing_again_soon_after_a_close_reopens_later_starts_anew() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let id = queued_thread(&app, CITIZEN).await;
    let base = format!("/api/conversations/{id}");
    post(&app, &format!("{base}/claim"), &anna, json!({})).await;
    let (status, _) = post(
        &app,
        &format!("{base}/close"),
        &anna,
        json!({"topic": "Afval"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let at = app.clock.now().timestamp();
    let body = text_message(CITIZEN, &wamid(), "Nog een vraag over die lantaarnpaal", at);
    app.post_webhook(&body).await;
    let key = key(&app, &id).await;
    app.eventually("the thread is reopened", || {
        let store = app.store().clone();
        async move {
            store.summary(key).await.ok().flatten().is_some_and(|s| {
                s.state == loket::queue::State::Queued && s.reason.as_deref() == Some("reopened")
            })
        }
    })
    .await;
    assert_eq!(app.store().queue().await.expect("queue").len(), 1);

    // Close again, then write two days later: a new conversation.
    let anna = login(&app, "anna").await;
    post(&app, &format!("{base}/claim"), &anna, json!({})).await;
    post(
        &app,
        &format!("{base}/close"),
        &anna,
        json!({"topic": "Afval"}),
    )
    .await;
    app.shifted.advance(chrono::Duration::hours(48));
    let later = queued_thread(&app, CITIZEN).await;
    assert_ne!(later, id);
    let old = app
        .store()
        .summary(key)
        .await
        .expect("read")
        .expect("thread");
    assert_eq!(old.state, loket::queue::State::Closed);
}
}

on_both_databases! {
#[tokio::test]
async fn urgent_threads_come_first_and_the_bot_stays_quiet_once_a_person_has_it() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let ordinary = queued_thread(&app, "31600000001").await;
    let at = app.clock.now().timestamp();
    app.post_webhook(&text_message(
        "31600000002",
        &wamid(),
        "Spoed, er is een gaslucht in de straat",
        at,
    ))
    .await;
    app.eventually("two threads queued", || {
        let store = app.store().clone();
        async move { store.queue().await.map(|q| q.len() == 2).unwrap_or(false) }
    })
    .await;
    let (_, queue) = get(&app, "/api/queue", &anna).await;
    assert_eq!(queue["conversations"][0]["urgent"], true, "{queue}");
    assert_eq!(queue["conversations"][1]["id"], ordinary.as_str());

    // A FAQ question inside a queued thread is for the person, not the bot.
    let before = app.graph.sent_messages().len();
    app.post_webhook(&text_message(
        "31600000001",
        &wamid(),
        "Hoeveel kost een paspoort?",
        at + 5,
    ))
    .await;
    app.wait_until_processed().await;
    let texts = app.wait_for_sent(before).await;
    let new: Vec<&String> = texts.iter().skip(before).collect();
    assert!(
        !new.iter()
            .any(|t| t.contains("€") || t.to_lowercase().contains("paspoort")),
        "the bot answered inside a handed-over thread: {new:?}"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn new_threads_reach_the_page_as_server_sent_events() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let mut stream = app
        .http
        .get(app.url("/api/events"))
        .header("cookie", &anna.cookie)
        .send()
        .await
        .expect("event stream");
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        stream
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"))
    );
    let id = queued_thread(&app, CITIZEN).await;
    let mut received = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !received.contains("\"change\":\"queued\"") && tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await {
            Ok(Ok(Some(bytes))) => received.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    assert!(received.contains("event: conversation"), "{received}");
    assert!(received.contains(&format!("\"id\":\"{id}\"")), "{received}");
    assert!(
        !received.contains("lantaarnpaal"),
        "events carry no message text"
    );
    drop(stream);
}
}

on_both_databases! {
#[tokio::test]
async fn availability_is_public_and_says_only_open_online_and_wait() {
    let app = spawn_app_at(tuesday_morning()).await;
    let availability = || async {
        app.http
            .get(app.url("/api/availability"))
            .send()
            .await
            .expect("request")
            .json::<Value>()
            .await
            .expect("json")
    };
    let body = availability().await;
    assert_eq!(body["open"], true);
    assert_eq!(body["online"], false, "nobody has the staff page open");
    assert!(body["wait_seconds"].is_null(), "no wait without anyone online");
    assert!(
        body.get("staff_online").is_none(),
        "the number of staff online is not published: {body}"
    );
    add_user(&app, "eva", Role::Editor).await;
    login(&app, "eva").await;
    assert_eq!(availability().await["online"], false, "editors do not answer chats");
    add_user(&app, "anna", Role::Staff).await;
    login(&app, "anna").await;
    let body = availability().await;
    assert_eq!(body["online"], true);
    assert_eq!(body["wait_seconds"], 0, "nobody waited: geen wachttijd");
    assert!(body["next_opening"].is_string() || body["next_opening"].is_null());
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["next_opening", "online", "open", "wait_seconds", "whatsapp_url"]
    );
}
}

on_both_databases! {
#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes() {
    let app = spawn_app_at(tuesday_morning()).await;
    let doc: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|ops| ops.keys())
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let mut served: Vec<(String, String)> = loket::web::api::routes()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    documented.sort();
    served.sort();
    assert_eq!(documented, served);
    // A method a path does not serve: 405, the methods it does serve in
    // `Allow`, and the API's JSON error.
    for (path, item) in paths {
        let mut declared: Vec<String> = item
            .as_object()
            .map(|ops| ops.keys().map(|m| m.to_uppercase()).collect())
            .unwrap_or_default();
        declared.sort();
        let url = app.url(&path.replace("{id}", "1"));
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if declared.iter().any(|m| m == method) {
                continue;
            }
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let answer = app.http.request(method.clone(), &url).send().await;
            let answer = answer.expect("request");
            let allow = answer.headers().get("allow").cloned();
            let mut allowed: Vec<String> = allow
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(", ").map(str::to_owned).collect())
                .unwrap_or_default();
            allowed.sort();
            let status = answer.status();
            let error = answer.json::<Value>().await.unwrap_or_default()["error"].clone();
            assert_eq!(
                (status, allowed, error),
                (StatusCode::METHOD_NOT_ALLOWED, declared.clone(), json!("method_not_allowed")),
                "{method} {path}"
            );
        }
    }
    // A path under /api that does not exist: 404 in the same JSON.
    let (status, body) = call(&app, reqwest::Method::GET, "/api/nothing", None, None).await;
    assert_eq!((status, &body["error"]), (StatusCode::NOT_FOUND, &json!("not_found")));
    // And every served route answers something other than 404/405.
    for (method, path) in &served {
        let path = path.replace("{id}", "1");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let status = app
            .http
            .request(method.clone(), app.url(&path))
            .send()
            .await
            .expect("request")
            .status();
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {status}"
        );
    }
}
}

on_both_databases! {
#[tokio::test]
async fn the_audit_log_records_who_did_what_and_only_admins_read_it() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    add_user(&app, "lead", Role::Admin).await;
    let anna = login(&app, "anna").await;
    let id = queued_thread(&app, CITIZEN).await;
    let base = format!("/api/conversations/{id}");
    post(&app, &format!("{base}/claim"), &anna, json!({})).await;
    post(
        &app,
        &format!("{base}/reply"),
        &anna,
        json!({"text": "Geheim antwoord XYZZY"}),
    )
    .await;
    post(
        &app,
        &format!("{base}/close"),
        &anna,
        json!({"topic": "Afval"}),
    )
    .await;
    let failed = app
        .http
        .post(app.url("/api/session"))
        .json(&json!({"username": "anna", "password": "fout-wachtwoord-1"}))
        .send()
        .await
        .expect("login");
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(
        get(&app, "/api/audit", &anna).await.0,
        StatusCode::FORBIDDEN
    );
    let lead = login(&app, "lead").await;
    let (status, body) = get(&app, "/api/audit", &lead).await;
    assert_eq!(status, StatusCode::OK);
    let entries = body["entries"].as_array().expect("entries");
    let seen: Vec<(String, String, Option<&str>)> = entries
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or("").to_owned(),
                e["action"].as_str().unwrap_or("").to_owned(),
                e["conversation"].as_str(),
            )
        })
        .collect();
    for expected in [
        ("staff:anna".to_owned(), "login".to_owned(), None),
        ("staff:anna".to_owned(), "claim".to_owned(), Some(id.as_str())),
        ("staff:anna".to_owned(), "reply".to_owned(), Some(id.as_str())),
        ("staff:anna".to_owned(), "close".to_owned(), Some(id.as_str())),
        ("login:anna".to_owned(), "login_failed".to_owned(), None),
        ("staff:lead".to_owned(), "login".to_owned(), None),
    ] {
        assert!(
            seen.contains(&expected),
            "{expected:?} missing from {seen:?}"
        );
    }
    let text = body.to_string();
    assert!(
        !text.contains("XYZZY") && !text.contains(CITIZEN),
        "no content in the audit log"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn personal_data_is_masked_until_revealed_and_the_reveal_is_audited() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    add_user(&app, "lead", Role::Admin).await;
    let anna = login(&app, "anna").await;
    let text = "Ik wil een medewerker. Mijn BSN is 111222333, zie https://voorbeeldstad.nl.example-login.com/inloggen";
    let id = text_queued(&app, text).await;

    let (_, queue) = get(&app, "/api/queue", &anna).await;
    assert!(!queue.to_string().contains("111222333"), "{queue}");
    let base = format!("/api/conversations/{id}");
    let (_, thread) = get(&app, &base, &anna).await;
    let first = &thread["messages"][0];
    assert_eq!(first["author"], "citizen");
    assert_eq!(first["masked"], true);
    assert!(
        first["text"]
            .as_str()
            .is_some_and(|t| t.contains("[BSN]") && !t.contains("111222333")),
        "{first}"
    );
    assert_eq!(
        first["link_domains"],
        json!(["voorbeeldstad.nl.example-login.com"])
    );

    let refused = app
        .http
        .post(app.url(&format!("{base}/reveal")))
        .header("cookie", &anna.cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "a reveal needs the CSRF token"
    );
    let (status, revealed) = post(&app, &format!("{base}/reveal"), &anna, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        revealed["messages"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("111222333"))
    );
    // The reveal lasts for this login: a reload shows it, without a new audit entry.
    let (_, again) = get(&app, &base, &anna).await;
    assert!(
        again["messages"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("111222333"))
    );
    post(&app, &format!("{base}/reveal"), &anna, json!({})).await;

    let lead = login(&app, "lead").await;
    let (_, audit) = get(&app, "/api/audit", &lead).await;
    let reveals: Vec<&Value> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "reveal")
        .collect();
    assert_eq!(reveals.len(), 1, "{audit}");
    assert_eq!(reveals[0]["actor"], "staff:anna");
    assert_eq!(reveals[0]["conversation"], id.as_str());
}
}

on_both_databases! {
#[tokio::test]
async fn replies_may_only_link_to_allowed_domains() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let id = queued_thread(&app, CITIZEN).await;
    let base = format!("/api/conversations/{id}");
    post(&app, &format!("{base}/claim"), &anna, json!({})).await;
    let (status, body) = post(
        &app,
        &format!("{base}/reply"),
        &anna,
        json!({"text": "Kijk op https://voorbeeldstad-betalen.example/ideal"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["domain"], "voorbeeldstad-betalen.example");
    let (status, _) = post(
        &app,
        &format!("{base}/reply"),
        &anna,
        json!({"text": "Kijk op https://www.voorbeeldstad.nl/afval"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // Whatever wrote it, the sender refuses a bad link too.
    let account = app.store().user("anna").await.expect("read").expect("anna");
    let key = key(&app, &id).await;
    app.store()
        .staff_send(
            key,
            &account,
            loket::db::StaffMessage::Text("Betaal via http://evil.example/pay".to_owned()),
            app.clock.now(),
        )
        .await
        .expect("queued");
    app.eventually("the unsafe reply is marked failed", || {
        let store = app.store().clone();
        async move {
            store.deliveries(key).await.is_ok_and(|rows| {
                rows.iter().any(|r| {
                    r.state == "failed"
                        && r.error_title
                            .as_deref()
                            .is_some_and(|t| t.contains("evil.example"))
                })
            })
        }
    })
    .await;
    assert!(
        !app.sent_texts().iter().any(|t| t.contains("evil.example")),
        "the Graph API never saw it"
    );
}
}

on_both_databases! {
/// The claim limit holds when one person claims many threads at once (on
/// PostgreSQL each claim runs on its own connection, as it would from
/// several instances; the staff member's lock keeps the count honest).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_claims_by_one_person_stop_at_the_limit() {
    let app = spawn_app_with(tuesday_morning(), |s| s.queue.max_claims = 2).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let mut threads = Vec::new();
    for n in 0..6 {
        threads.push(queued_thread(&app, &format!("3160000002{n}")).await);
    }
    let paths: Vec<String> = threads
        .iter()
        .map(|id| format!("/api/conversations/{id}/claim"))
        .collect();
    let claims = paths
        .iter()
        .map(|path| post(&app, path, &anna, json!({})));
    let results = futures_util::future::join_all(claims).await;
    let won = results.iter().filter(|(status, _)| *status == StatusCode::OK).count();
    let refused = results
        .iter()
        .filter(|(status, body)| *status == StatusCode::CONFLICT && body["error"] == "claim_limit")
        .count();
    assert_eq!((won, refused), (2, 4), "{results:?}");
    let held = app.store().queue().await.expect("queue");
    let held_by_anna = held
        .iter()
        .filter(|t| t.claimed_by.as_deref() == Some("anna"))
        .count();
    assert_eq!(held_by_anna, 2);
}
}
