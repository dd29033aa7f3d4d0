//! The website chat (issue 24) over HTTP: a widget session goes through
//! the same triage and queue as WhatsApp, its replies come on the
//! session's stream (never through the Graph API), the stream resumes
//! after a drop with nothing lost or repeated, and the abuse rules refuse
//! clearly and store nothing.

use crate::helpers::*;
use crate::queue::{add_user, login, post};
use loket::accounts::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// A widget session: its bearer token.
pub(crate) struct Chat {
    token: String,
}

pub(crate) async fn start_chat(app: &TestApp) -> Chat {
    let response = app
        .http
        .post(app.url("/api/webchat/sessions"))
        .json(&json!({}))
        .send()
        .await
        .expect("session request");
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    Chat {
        token: body["token"].as_str().expect("a token").to_owned(),
    }
}

static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn message_id() -> String {
    format!(
        "msg-{:08}",
        IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

async fn say_with(app: &TestApp, chat: &Chat, id: &str, text: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/webchat/messages"))
        .bearer_auth(&chat.token)
        .json(&json!({"id": id, "text": text}))
        .send()
        .await
        .expect("message request")
}

pub(crate) async fn say(app: &TestApp, chat: &Chat, text: &str) {
    let response = say_with(app, chat, &message_id(), text).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "{text}");
}

/// An open stream and what it has sent so far.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

async fn open_stream(app: &TestApp, chat: &Chat, last_id: Option<&str>) -> Stream {
    let mut request = app
        .http
        .get(app.url("/api/webchat/stream"))
        .bearer_auth(&chat.token);
    if let Some(id) = last_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = request.send().await.expect("stream request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream",
        "a server-sent event stream"
    );
    Stream {
        response,
        buffer: String::new(),
    }
}

/// One event: its id and its message.
#[derive(Debug, Clone)]
struct Event {
    id: String,
    message: Value,
}

impl Stream {
    /// Everything the stream sends within `window` (no more waiting).
    async fn read_for(&mut self, window: Duration) -> Vec<Event> {
        let until = tokio::time::Instant::now() + window;
        while let Ok(Ok(Some(bytes))) = tokio::time::timeout_at(until, self.response.chunk()).await
        {
            self.buffer.push_str(&String::from_utf8_lossy(&bytes));
        }
        self.read_until("what is buffered", |_| true).await
    }

    /// Reads events until `done` holds for what was read, for at most 10
    /// seconds (then panics, naming `what`).
    async fn read_until(&mut self, what: &str, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut events = Vec::new();
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(rest) = line.strip_prefix("id: ") {
                        id = Some(rest.to_owned());
                    } else if let Some(rest) = line.strip_prefix("data: ") {
                        data.push_str(rest);
                    }
                }
                if let Some(id) = id {
                    let message: Value = serde_json::from_str(&data).expect("data is JSON");
                    assert_eq!(message["id"], id.as_str(), "the event id is the message's");
                    events.push(Event { id, message });
                }
            }
            if done(&events) {
                return events;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) => panic!("the stream ended while waiting for {what}: {events:#?}"),
                Ok(Err(error)) => panic!("the stream failed while waiting for {what}: {error}"),
                Err(_) => panic!("timed out waiting for {what}; got {events:#?}"),
            }
        }
    }
}

fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e.message["author"].as_str().unwrap_or_default(),
                e.message["text"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn has(events: &[Event], author: &str, needle: &str) -> bool {
    events.iter().any(|e| {
        e.message["author"] == author
            && e.message["text"]
                .as_str()
                .is_some_and(|t| t.contains(needle))
    })
}

on_both_databases! {
#[tokio::test]
async fn a_webchat_question_gets_the_same_triage_and_staff_reply_on_the_stream() {
    let app = spawn_app_at(tuesday_morning()).await;
    let chat = start_chat(&app).await;
    let mut stream = open_stream(&app, &chat, None).await;

    say(&app, &chat, "Hoe vraag ik een paspoort aan?").await;
    let events = stream
        .read_until("the FAQ answer and its buttons", |e| {
            e.iter().any(|e| !e.message["choices"].as_array().is_none_or(Vec::is_empty))
        })
        .await;
    assert!(has(&events, "citizen", "paspoort"), "{:?}", texts(&events));
    assert!(
        has(&events, "bot", "Dat doe je persoonlijk in het stadhuis, op afspraak."),
        "the knowledge base's answer: {:?}",
        texts(&events)
    );
    let buttons = events
        .iter()
        .find_map(|e| e.message["choices"].as_array().filter(|c| !c.is_empty()).cloned())
        .expect("feedback buttons");
    assert_eq!(buttons[1]["title"], "Nee, een medewerker");

    // "Nee, een medewerker", as the widget sends a picked choice.
    let response = app
        .http
        .post(app.url("/api/webchat/messages"))
        .bearer_auth(&chat.token)
        .json(&json!({"id": message_id(), "text": buttons[1]["title"], "choice": buttons[1]["id"]}))
        .send()
        .await
        .expect("choice");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let events = stream
        .read_until("the acknowledgement with a time", |e| has(e, "bot", "medewerker"))
        .await;
    assert!(
        has(&events, "bot", "Je krijgt uiterlijk"),
        "a concrete time: {:?}",
        texts(&events)
    );

    // Staff see it in the same queue, as a web chat, and reply.
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let (status, queue) = crate::queue::get(&app, "/api/queue", &anna).await;
    assert_eq!(status, StatusCode::OK);
    let thread = queue["conversations"]
        .as_array()
        .and_then(|q| q.iter().find(|t| t["channel"] == "web"))
        .unwrap_or_else(|| panic!("a web thread in the queue: {queue}"))
        .clone();
    assert!(
        thread["citizen"].as_str().is_some_and(|c| c.starts_with("web")),
        "no phone number: {thread}"
    );
    let id = thread["id"].as_str().expect("id");
    let (status, shown) = crate::queue::get(&app, &format!("/api/conversations/{id}"), &anna).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["channel"], "web");
    assert_eq!(shown["window"]["open"], true, "no 24-hour window on the web");
    let (status, _) = post(&app, &format!("/api/conversations/{id}/claim"), &anna, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post(
        &app,
        &format!("/api/conversations/{id}/reply"),
        &anna,
        json!({"text": "Hallo, ik ben Anna. Waarmee kan ik helpen?"}),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    let events = stream
        .read_until("the staff reply", |e| has(e, "staff", "ik ben Anna"))
        .await;
    assert!(
        events.iter().all(|e| e.message.get("username").is_none()),
        "staff are not named to the citizen"
    );
    app.wait_until_settled().await;
    assert!(
        app.graph.sent_messages().is_empty(),
        "nothing of a web chat goes through the Graph API: {:?}",
        app.graph.sent_messages()
    );
}
}

on_both_databases! {
#[tokio::test]
async fn a_dropped_webchat_stream_resumes_from_the_last_id_with_nothing_lost_or_repeated() {
    let app = spawn_app_at(tuesday_morning()).await;
    let chat = start_chat(&app).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;

    let mut stream = open_stream(&app, &chat, None).await;
    say(&app, &chat, "Ik wil een medewerker spreken").await;
    let first = stream
        .read_until("the acknowledgement", |e| has(e, "bot", "medewerker"))
        .await;
    // Whatever else the bot sent goes with it, before the drop.
    app.wait_until_settled().await;
    let first = [first, stream.read_for(Duration::from_millis(1500)).await].concat();
    let last_seen = first.last().expect("events").id.clone();
    // The network drops.
    drop(stream);

    // Meanwhile the citizen writes twice more (the widget queues and
    // posts) and staff answer three times.
    say(&app, &chat, "Het gaat over mijn parkeervergunning").await;
    say(&app, &chat, "Hij is verlopen").await;
    let queue = app.store().queue().await.expect("queue");
    let id = queue.first().expect("queued").id.as_str().to_owned();
    let (status, _) = post(&app, &format!("/api/conversations/{id}/claim"), &anna, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    for n in 1..=3 {
        let (status, body) = post(
            &app,
            &format!("/api/conversations/{id}/reply"),
            &anna,
            json!({"text": format!("Antwoord {n}")}),
        )
        .await;
        assert!(status.is_success(), "{status} {body}");
    }
    app.wait_until_settled().await;

    let mut resumed = open_stream(&app, &chat, Some(&last_seen)).await;
    let rest = resumed
        .read_until("everything after the drop", |e| {
            has(e, "staff", "Antwoord 3") && has(e, "citizen", "verlopen")
        })
        .await;
    // Give a repeat the chance to show up.
    let rest = [rest, resumed.read_for(Duration::from_millis(1500)).await].concat();
    let shown = texts(&rest);
    assert_eq!(
        shown,
        vec![
            "citizen: Het gaat over mijn parkeervergunning",
            "citizen: Hij is verlopen",
            "staff: Antwoord 1",
            "staff: Antwoord 2",
            "staff: Antwoord 3",
        ],
        "exactly what came after the last id seen"
    );
    let before: std::collections::HashSet<&str> = first.iter().map(|e| e.id.as_str()).collect();
    assert!(rest.iter().all(|e| !before.contains(e.id.as_str())), "nothing repeated");

    // A fresh page load (no id) gets the whole chat once.
    let mut again = open_stream(&app, &chat, None).await;
    let all = again
        .read_until("the whole chat", |e| e.len() >= first.len() + rest.len())
        .await;
    assert_eq!(all.len(), first.len() + rest.len(), "{:?}", texts(&all));
}
}

on_both_databases! {
#[tokio::test]
async fn a_webchat_session_never_reads_another_sessions_messages() {
    let app = spawn_app_at(tuesday_morning()).await;
    let alice = start_chat(&app).await;
    let bob = start_chat(&app).await;
    say(&app, &alice, "Mijn geheime vraag over de bijstand").await;
    app.wait_until_settled().await;

    let mut bobs = open_stream(&app, &bob, None).await;
    say(&app, &bob, "Hallo").await;
    let events = bobs
        .read_until("bob's own message", |e| has(e, "citizen", "Hallo"))
        .await;
    let events = [events, bobs.read_for(Duration::from_millis(1200)).await].concat();
    assert!(
        !texts(&events).iter().any(|t| t.contains("geheime")),
        "bob sees only his own chat: {:?}",
        texts(&events)
    );
    // Resuming from a cursor far ahead gives nothing, not alice's rows.
    let mut probe = open_stream(&app, &bob, Some("0.0")).await;
    let seen = probe.read_until("bob's chat", |e| has(e, "citizen", "Hallo")).await;
    assert!(!texts(&seen).iter().any(|t| t.contains("geheime")));
    // No token or a made-up token opens nothing.
    for token in [None, Some("not-a-session")] {
        let mut request = app.http.get(app.url("/api/webchat/stream"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], "no_chat_session");
    }
}
}

on_both_databases! {
#[tokio::test]
async fn a_forged_origin_is_refused_with_403_and_nothing_is_stored() {
    let app = spawn_app_with(tuesday_morning(), |s| {
        s.webchat.origins = vec!["https://www.voorbeeldstad.nl".to_owned()];
    })
    .await;
    let allowed = app
        .http
        .post(app.url("/api/webchat/sessions"))
        .header("Origin", "https://www.voorbeeldstad.nl")
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(allowed.status(), StatusCode::CREATED);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.voorbeeldstad.nl"
    );
    let chat = Chat {
        token: allowed.json::<Value>().await.expect("json")["token"]
            .as_str()
            .expect("token")
            .to_owned(),
    };
    let forged = app
        .http
        .post(app.url("/api/webchat/messages"))
        .header("Origin", "https://evil.example")
        .bearer_auth(&chat.token)
        .json(&json!({"id": message_id(), "text": "Hallo"}))
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers().get("access-control-allow-origin").is_none());
    let body: Value = forged.json().await.expect("json");
    assert_eq!(body["error"], "origin_not_allowed");
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("https://evil.example") && m.contains("allowed_origins")),
        "a clear message: {body}"
    );
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/webchat/messages"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect("request");
    assert_eq!(preflight.status(), StatusCode::FORBIDDEN);
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/webchat/messages"))
        .header("Origin", "https://www.voorbeeldstad.nl")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect("request");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert!(
        preflight.headers()["access-control-allow-headers"]
            .to_str()
            .is_ok_and(|h| h.contains("Authorization") && h.contains("Last-Event-ID"))
    );
    let forged_session = app
        .http
        .post(app.url("/api/webchat/sessions"))
        .header("Origin", "https://evil.example")
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(forged_session.status(), StatusCode::FORBIDDEN);
    // A body the service cannot read is refused with the CORS headers, so
    // the widget on the allowed site can read why.
    for (body, status) in [
        ("{\"id\": ".to_owned(), StatusCode::BAD_REQUEST),
        (format!("{{\"id\": \"{}\", \"text\": \"{}\"}}", message_id(), "x".repeat(70_000)), StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let refused = app
            .http
            .post(app.url("/api/webchat/messages"))
            .header("Origin", "https://www.voorbeeldstad.nl")
            .header("content-type", "application/json")
            .bearer_auth(&chat.token)
            .body(body)
            .send()
            .await
            .expect("request");
        assert_eq!(refused.status(), status);
        assert_eq!(
            refused.headers()["access-control-allow-origin"],
            "https://www.voorbeeldstad.nl",
            "{status}: readable by the widget"
        );
        let said: Value = refused.json().await.expect("json");
        assert!(said["message"].as_str().is_some_and(|m| !m.is_empty()), "{said}");
    }
    assert_eq!(
        app.store().count(loket::db::CountedTable::Inbound).await.expect("count"),
        0,
        "nothing stored"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn an_oversized_or_repeated_webchat_message_is_stored_at_most_once() {
    let app = spawn_app_with(tuesday_morning(), |s| s.webchat.max_message_chars = 50).await;
    let chat = start_chat(&app).await;
    let response = say_with(&app, &chat, &message_id(), &"a".repeat(51)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "too_long");
    assert_eq!(body["limit"], 50);
    assert_eq!(
        app.store().count(loket::db::CountedTable::Inbound).await.expect("count"),
        0,
        "an oversized message is not stored"
    );
    let response = say_with(&app, &chat, "x y", "hallo").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The widget posts again after a network error: same id, stored once.
    let id = message_id();
    let first: Value = say_with(&app, &chat, &id, "Hallo daar").await.json().await.expect("json");
    let again: Value = say_with(&app, &chat, &id, "Hallo daar").await.json().await.expect("json");
    assert_eq!(first["stored"], true);
    assert_eq!(again["stored"], false);
    assert_eq!(
        app.store().count(loket::db::CountedTable::Inbound).await.expect("count"),
        1
    );
}
}

on_both_databases! {
#[tokio::test]
async fn a_webchat_flood_is_refused_per_session_and_per_address() {
    let app = spawn_app_with(tuesday_morning(), |s| {
        s.webchat.messages_per_minute = 3;
        s.webchat.requests_per_minute_per_ip = 8;
        s.trusted_proxies = loket::config::TrustedProxies::parse(&["127.0.0.1".to_owned()])
            .expect("proxies");
    })
    .await;
    let chat = start_chat(&app).await;
    for n in 0..3 {
        say(&app, &chat, &format!("bericht {n}")).await;
    }
    let flooded = say_with(&app, &chat, &message_id(), "nog een").await;
    assert_eq!(flooded.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(flooded.headers()["retry-after"], "60");
    let body: Value = flooded.json().await.expect("json");
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(
        app.store().count(loket::db::CountedTable::Inbound).await.expect("count"),
        3,
        "the refused message is not stored"
    );

    // Per address: the client as the trusted proxy reports it.
    let from = |ip: &'static str| {
        app.http
            .post(app.url("/api/webchat/sessions"))
            .header("X-Forwarded-For", ip)
            .json(&json!({}))
    };
    let mut statuses = Vec::new();
    for _ in 0..9 {
        statuses.push(from("203.0.113.7").send().await.expect("request").status());
    }
    assert!(statuses[..8].iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    assert_eq!(statuses[8], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        from("203.0.113.8").send().await.expect("request").status(),
        StatusCode::CREATED,
        "another address has its own quota"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn forget_and_the_purge_remove_web_chats_and_their_sessions() {
    let mut app = spawn_app_at(tuesday_morning()).await;
    let first = start_chat(&app).await;
    let second = start_chat(&app).await;
    say(&app, &first, "Wanneer wordt het grofvuil opgehaald?").await;
    say(&app, &second, "Mijn BSN is 111222333").await;
    app.wait_until_settled().await;
    let conversations = app.store().conversations(10).await.expect("list");
    assert_eq!(conversations.len(), 2);
    assert!(
        conversations.iter().all(|c| c.citizen.wa_id.is_none()),
        "no phone numbers"
    );
    // One session's citizen key, as `loket forget` takes it.
    let key = conversations
        .iter()
        .filter_map(|c| c.citizen.user_id.as_ref())
        .map(|u| u.as_str().to_owned())
        .find(|u| u.starts_with("web."))
        .expect("a web key");
    assert!(loket::domain::CitizenKey::parse(&key).is_ok(), "forget takes it");
    let removed = app.store().forget(&key, false).await.expect("forget");
    assert_eq!(removed.conversations, 1);
    assert!(removed.messages >= 1 && removed.replies >= 1, "{removed:?}");
    let status_of = |chat: &Chat| {
        let request = app
            .http
            .get(app.url("/api/webchat/stream"))
            .bearer_auth(chat.token.clone());
        async move { request.send().await.expect("request").status() }
    };
    let statuses = [status_of(&first).await, status_of(&second).await];
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(),
        1,
        "the forgotten session's token opens nothing any more: {statuses:?}"
    );
    let live = if statuses[0] == StatusCode::OK { &first } else { &second };

    // Over a year on, the purge takes the other chat and its session.
    app.shifted.advance(chrono::Duration::days(400));
    let rollup = loket::report::rollup::Rollup::from_settings(&app.settings);
    let removed = app
        .store()
        .purge(app.clock.now() - chrono::Duration::days(30), false, &rollup, app.clock.now())
        .await
        .expect("purge");
    assert_eq!(removed.conversations, 1);
    assert_eq!(
        status_of(live).await,
        StatusCode::UNAUTHORIZED,
        "the idle session is purged with its chat"
    );
    app.stop().await;
}
}

#[tokio::test]
async fn the_widget_is_served_at_a_hashed_path_small_and_long_cached() {
    let app = spawn_app_at(tuesday_morning()).await;
    let client = client_without_redirects();
    let loader = client
        .get(app.url("/widget.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(loader.status(), StatusCode::FOUND);
    assert_eq!(loader.headers()["cache-control"], "public, max-age=300");
    let location = loader.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with("/widget/widget-") && location.ends_with(".js"),
        "{location}"
    );
    let widget = client
        .get(app.url(&location))
        .send()
        .await
        .expect("request");
    assert_eq!(widget.status(), StatusCode::OK);
    assert!(
        widget.headers()["cache-control"]
            .to_str()
            .is_ok_and(|c| c.contains("max-age=31536000") && c.contains("immutable"))
    );
    let body = widget.bytes().await.expect("body");
    // The hash in the name is the content's.
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(&body));
    assert_eq!(location, format!("/widget/widget-{}.js", &hash[..16]));
    // Under 30 KB gzipped.
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).expect("gzip");
    let gzipped = gz.finish().expect("gzip").len();
    assert!(gzipped < 30 * 1024, "widget.js is {gzipped} bytes gzipped");
    let text = String::from_utf8_lossy(&body);
    assert!(!text.contains("document.cookie"), "no cookies");
    assert!(text.contains("sessionStorage"));
    // An old hash goes on to the current one.
    let old = client
        .get(app.url("/widget/widget-0000000000000000.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(old.status(), StatusCode::FOUND);
    assert_eq!(
        old.headers()["location"].to_str().ok(),
        Some(location.as_str())
    );

    // The demo page: on by default, with a strict policy; off on request.
    let demo = app
        .http
        .get(app.url("/widget/demo"))
        .send()
        .await
        .expect("request");
    assert_eq!(demo.status(), StatusCode::OK);
    assert!(
        demo.headers()["content-security-policy"]
            .to_str()
            .is_ok_and(|p| p.contains("script-src 'self'") && !p.contains("unsafe-inline"))
    );
    assert!(
        demo.text()
            .await
            .expect("html")
            .contains("src=\"/widget.js\"")
    );
    let off = spawn_app_with(tuesday_morning(), |s| s.webchat.demo = false).await;
    let demo = off
        .http
        .get(off.url("/widget/demo"))
        .send()
        .await
        .expect("request");
    assert_eq!(demo.status(), StatusCode::NOT_FOUND);
}

on_both_databases! {
#[tokio::test]
async fn a_web_chat_waiting_on_staff_whose_citizen_left_is_closed_with_a_note() {
    let app = spawn_app_at(tuesday_morning()).await;
    // Three web chats: one for a person whose citizen leaves, one the bot
    // answered, one for a person whose citizen stays; and a WhatsApp
    // thread for a person.
    let left = start_chat(&app).await;
    let answered = start_chat(&app).await;
    let stays = start_chat(&app).await;
    say(&app, &left, "Ik wil graag een medewerker spreken").await;
    app.wait_until_settled().await;
    say(&app, &answered, "Hoe vraag ik een paspoort aan?").await;
    app.wait_until_settled().await;
    say(&app, &stays, "Ik wil graag een medewerker spreken").await;
    app.wait_until_settled().await;
    crate::queue::queued_thread(&app, "31600000021").await;
    let web: Vec<_> = {
        let mut rows = app.store().conversations(10).await.expect("list");
        rows.retain(|c| c.citizen.wa_id.is_none());
        rows.sort_by_key(|c| c.id);
        rows
    };
    let states: Vec<&str> = web.iter().map(|c| c.state.as_str()).collect();
    assert_eq!(states, ["queued", "bot", "queued"], "the starting point");
    let close = || {
        let events = loket::queue::events::EventHub::new();
        let (store, settings, clock) = (app.store().clone(), app.settings.clone(), app.clock.clone());
        async move {
            loket::queue::abandoned::close_left_chats(&store, &settings, clock.as_ref(), &events)
                .await
                .expect("closing left chats")
        }
    };
    assert_eq!(close().await, 0, "nobody has left yet");

    // Half an hour and a minute on; the staying citizen's widget is still
    // connected (any request marks the session seen).
    app.shifted.advance(chrono::Duration::minutes(31));
    let status = app
        .http
        .get(app.url("/api/webchat/stream"))
        .bearer_auth(&stays.token)
        .send()
        .await
        .expect("stream")
        .status();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(close().await, 1, "only the chat whose citizen left");
    assert_eq!(close().await, 0, "closing twice closes nothing more");

    let after: Vec<String> = {
        let mut rows = app.store().conversations(10).await.expect("list");
        rows.sort_by_key(|c| c.id);
        rows.into_iter().map(|c| c.state).collect()
    };
    assert_eq!(after, ["closed", "bot", "queued", "queued"], "web ×3, then WhatsApp");
    let thread = app
        .store()
        .thread(web[0].id, app.clock.now(), false)
        .await
        .expect("read")
        .expect("the thread");
    assert!(
        thread.events.iter().any(|e| e.kind == "closed" && e.actor == "system"),
        "closed by Loket: {:?}",
        thread.events
    );
    let notes = app.store().notes(web[0].id).await.expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].author, "system");
    assert!(notes[0].text.contains("verlaten") && notes[0].text.contains("30 minuten"), "{notes:?}");
    // The citizen's session itself is not ended: writing again starts over.
    let key = web[0].citizen.user_id.as_ref().expect("a web key").as_str();
    assert!(app.store().web_session_exists(key).await.expect("read"));
}
}
