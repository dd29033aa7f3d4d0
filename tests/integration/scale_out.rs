//! Several instances on one PostgreSQL database (needs
//! `LOKET_TEST_POSTGRES_URL`; without it these tests say so and pass):
//! every message is answered exactly once while one instance dies
//! half-way, staff on one instance hear about changes made on another,
//! `loket user disable` ends a login on every instance, and a web chat
//! open on one instance shows the reply staff send on another.

use crate::helpers::*;
use loket::clock::{Clock, ShiftedClock};
use loket::config::{HumanDuration, Settings};
use loket::db::CountedTable;
use loket::queue::events::{Change, QueueEvent};
use loket::startup::{self, RunningApp};
use loket_testkit::fake_graph::{FakeGraphApi, FakeGraphConfig};
use loket_testkit::payload::text_message;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

const CITIZENS: usize = 40;
const MESSAGES_EACH: usize = 3;

async fn instance(settings: &Settings, clock: Arc<dyn Clock>) -> RunningApp {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    startup::start_on(listener, settings.clone(), clock)
        .await
        .expect("instance starts")
}

async fn post(http: &reqwest::Client, app: &RunningApp, body: &str) -> u16 {
    let signature = loket::whatsapp::signature::sign_body(APP_SECRET.as_bytes(), body.as_bytes());
    http.post(format!("{}/webhooks/whatsapp", app.base_url()))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_owned())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn citizen(n: usize) -> String {
    format!("3160000{n:04}")
}

/// One round of traffic: every citizen writes once, alternately to each
/// instance that is up. Returns the wamids that got a 200.
async fn round(
    http: &reqwest::Client,
    instances: &[&RunningApp],
    round: usize,
    at: i64,
) -> Vec<String> {
    let mut accepted = Vec::new();
    for n in 0..CITIZENS {
        let wamid = format!("wamid.SCALE{n:04}r{round}");
        let question = [
            "Hoe vraag ik een paspoort aan?",
            "Wanneer is het afval?",
            "Ik wil een medewerker spreken",
        ][round % 3];
        let body = text_message(&citizen(n), &wamid, question, at + round as i64);
        let app = instances[(n + round) % instances.len()];
        if post(http, app, &body).await == 200 {
            accepted.push(wamid);
        }
    }
    accepted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_answer_every_message_once_when_one_dies_half_way() {
    let Some(two) = TwoInstances::start_with(saturday_night(), |settings| {
        // A reply taken by the instance that dies is sent by the other one
        // after this long: long enough that the count of sends in flight
        // below is taken before the survivor sends any of them again.
        settings.outbox.lease = HumanDuration(Duration::from_secs(3));
    })
    .await
    else {
        return;
    };
    let TwoInstances {
        database,
        clock,
        first,
        second,
        graph,
        ..
    } = two;
    let http = test_client();
    let at = clock.now().timestamp();

    let mut accepted = round(&http, &[&first, &second], 0, at).await;
    accepted.extend(round(&http, &[&first, &second], 1, at).await);
    // Die while replies are being processed and sent.
    let store = second.store.clone();
    first.kill().await;
    // A request the dead instance had already put on the wire still reaches
    // the Graph API a moment later (a kill -9 cannot take back bytes the
    // kernel has), so let those land before counting, well within the lease.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Replies the dead instance sent but did not record: the most that can
    // arrive twice (measured now, before the survivor takes them over).
    let in_flight = loket_testkit::loadgen::in_flight::sends_in_flight(&store, &graph.received())
        .await
        .expect("in-flight sends");
    accepted.extend(round(&http, &[&second], 2, at).await);
    assert_eq!(
        accepted.len(),
        CITIZENS * MESSAGES_EACH,
        "every webhook got a 200"
    );

    // Everything stored is processed and sent by the survivor.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let unprocessed = store
            .count(CountedTable::UnprocessedInbound)
            .await
            .expect("count");
        let pending = store
            .count(CountedTable::PendingOutbox)
            .await
            .expect("count");
        if unprocessed == 0 && pending == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{unprocessed} messages unprocessed and {pending} replies pending after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // One conversation per citizen: no message was processed twice or
    // out of its conversation.
    let conversations = store.conversations(1000).await.expect("conversations");
    assert_eq!(
        conversations.len(),
        CITIZENS,
        "one conversation per citizen"
    );

    // Every accepted message got exactly one read receipt.
    let mut receipts: BTreeMap<String, usize> = BTreeMap::new();
    for receipt in graph.read_receipts() {
        let wamid = receipt.body["message_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *receipts.entry(wamid).or_default() += 1;
    }
    let expected: BTreeSet<String> = accepted.iter().cloned().collect();
    let receipted: BTreeSet<String> = receipts.keys().cloned().collect();
    assert_eq!(
        receipted, expected,
        "every accepted message, and only those, was marked read"
    );

    // Every reply stored was sent; what Meta received beyond that are
    // sends that were in flight when the instance died (Meta has no
    // idempotency key, so those can arrive twice).
    let mut stored_replies = 0;
    for conversation in &conversations {
        let deliveries = store.deliveries(conversation.id).await.expect("deliveries");
        assert!(
            deliveries.iter().all(|d| d.state == "sent"),
            "conversation {}: {:?}",
            conversation.id,
            deliveries.iter().map(|d| &d.state).collect::<Vec<_>>()
        );
        assert!(
            deliveries.len() > MESSAGES_EACH,
            "every message was answered"
        );
        stored_replies += deliveries.len();
    }
    let received = graph.received().len();
    let duplicated = received.saturating_sub(stored_replies);
    let twice_read: usize = receipts.values().map(|n| n - 1).sum();
    eprintln!(
        "two instances: {} messages, {stored_replies} replies stored, {received} received by the Graph API, {duplicated} duplicated, {in_flight} in flight at the kill",
        accepted.len()
    );
    assert!(received >= stored_replies, "no reply lost");
    assert!(
        duplicated as u64 <= in_flight,
        "{duplicated} duplicated, more than the {in_flight} sends in flight at the kill"
    );
    assert!(twice_read <= duplicated);

    second.stop().await;
    database.drop_now().await;
}

/// Two instances on a fresh PostgreSQL database, one clock.
struct TwoInstances {
    database: TestDatabase,
    settings: Settings,
    clock: Arc<dyn Clock>,
    first: RunningApp,
    second: RunningApp,
    graph: FakeGraphApi,
    _dir: tempfile::TempDir,
}

impl TwoInstances {
    /// `None` when no PostgreSQL server is configured.
    async fn start(at: chrono::DateTime<chrono::Utc>) -> Option<Self> {
        Self::start_with(at, |_| {}).await
    }

    /// The same with adjusted settings.
    async fn start_with(
        at: chrono::DateTime<chrono::Utc>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Option<Self> {
        let database = TestDatabase::create().await?;
        let dir = tempfile::tempdir().expect("temp dir");
        let graph = FakeGraphApi::start(FakeGraphConfig::default())
            .await
            .expect("fake Graph API starts");
        let mut settings = test_settings(dir.path(), &graph);
        settings.database_url = database.url.clone();
        adjust(&mut settings);
        let clock: Arc<dyn Clock> = Arc::new(ShiftedClock::starting_at(at));
        let first = instance(&settings, clock.clone()).await;
        let second = instance(&settings, clock.clone()).await;
        Some(Self {
            database,
            settings,
            clock,
            first,
            second,
            graph,
            _dir: dir,
        })
    }

    /// Stops both and drops the database.
    async fn stop(self) {
        self.first.stop().await;
        self.second.stop().await;
        self.database.drop_now().await;
    }
}

#[tokio::test]
async fn staff_on_one_instance_hear_of_changes_made_on_another() {
    let Some(two) = TwoInstances::start(saturday_night()).await else {
        return;
    };
    let (first, second) = (&two.first, &two.second);
    let mut on_first = first.events.subscribe();
    let mut on_second = second.events.subscribe();
    // LISTEN starts in the background: publish until the other side hears.
    let event = |n: u64| QueueEvent {
        id: loket::domain::PublicId::parse(&format!("{n:032x}")).expect("an id"),
        change: Change::Claimed,
        state: "claimed".to_owned(),
        claimed_by: Some("anna".to_owned()),
        urgent: false,
        to: None,
    };
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        let mut id = 0;
        loop {
            id += 1;
            first.events.publish(event(id));
            if let Ok(Ok(heard)) =
                tokio::time::timeout(Duration::from_millis(200), on_second.recv()).await
            {
                return heard;
            }
        }
    })
    .await
    .expect("the other instance hears the event");
    assert_eq!(heard.change, Change::Claimed);
    assert_eq!(heard.claimed_by.as_deref(), Some("anna"));
    // The publishing instance delivered each event once (locally), not
    // again when its own NOTIFY came back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut own = Vec::new();
    while let Ok(event) = on_first.try_recv() {
        own.push(event.id);
    }
    let distinct: BTreeSet<&loket::domain::PublicId> = own.iter().collect();
    assert_eq!(
        own.len(),
        distinct.len(),
        "own events delivered twice: {own:?}"
    );
    two.stop().await;
}

/// Adds the staff account `anna` to the shared database and logs her in
/// on `app`; the answer (200) carries the cookie and the CSRF token.
async fn anna_logs_in(
    http: &reqwest::Client,
    app: &RunningApp,
    clock: &dyn Clock,
) -> reqwest::Response {
    loket::accounts::create(
        &app.store,
        "anna",
        loket::accounts::Role::Staff,
        crate::queue::PASSWORD,
        clock.now(),
    )
    .await
    .expect("account");
    let response = http
        .post(format!("{}/api/session", app.base_url()))
        .json(&serde_json::json!({"username": "anna", "password": crate::queue::PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response
}

#[tokio::test]
async fn a_disabled_account_is_logged_out_on_every_instance_and_its_streams_end() {
    let Some(two) = TwoInstances::start(tuesday_morning()).await else {
        return;
    };
    let (first, second, clock) = (&two.first, &two.second, &two.clock);
    let http = test_client();
    // Logged in on the first instance; the cookie works on both.
    let response = anna_logs_in(&http, first, clock.as_ref()).await;
    let cookie = session_cookie(&response).expect("cookie");
    let session_on = |app: &RunningApp| {
        http.get(format!("{}/api/session", app.base_url()))
            .header("cookie", &cookie)
            .send()
    };
    for app in [first, second] {
        assert_eq!(
            session_on(app).await.expect("request").status(),
            reqwest::StatusCode::OK
        );
    }
    // Its live stream is open on the second instance.
    let mut stream = http
        .get(format!("{}/api/events", second.base_url()))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    let first_chunk = stream.chunk().await.expect("chunk").expect("data");
    assert!(String::from_utf8_lossy(&first_chunk).contains("connected"));

    // The admin's command, as `loket user disable anna` runs it.
    let disable = loket::cli::user::UserCommand::Disable {
        name: "anna".to_owned(),
    };
    loket::cli::user::run(&disable, &two.settings, clock.now())
        .await
        .expect("user disable");
    for app in [first, second] {
        assert_eq!(
            session_on(app).await.expect("request").status(),
            reqwest::StatusCode::UNAUTHORIZED
        );
    }
    // The stream on the other instance ends at its next session check
    // (every 15 seconds), not only when the browser goes away.
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived the disabled account");
    two.stop().await;
}

#[tokio::test]
async fn a_web_chat_on_one_instance_gets_the_reply_staff_send_on_another() {
    let Some(two) = TwoInstances::start(tuesday_morning()).await else {
        return;
    };
    let (first, second, clock) = (&two.first, &two.second, &two.clock);
    let http = test_client();
    // The citizen's widget talks to the first instance only.
    let session: serde_json::Value = http
        .post(format!("{}/api/webchat/sessions", first.base_url()))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    let token = session["token"].as_str().expect("a token").to_owned();
    let mut stream = http
        .get(format!("{}/api/webchat/stream", first.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    let response = http
        .post(format!("{}/api/webchat/messages", first.base_url()))
        .bearer_auth(&token)
        .json(&serde_json::json!({"id": "msg-scale-1", "text": "Ik wil graag een medewerker spreken"}))
        .send()
        .await
        .expect("message");
    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);

    // Staff work on the second instance.
    let login = anna_logs_in(&http, second, clock.as_ref()).await;
    let cookie = session_cookie(&login).expect("cookie");
    let csrf = login.json::<serde_json::Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();
    let thread = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let queue: serde_json::Value = http
                .get(format!("{}/api/queue", second.base_url()))
                .header("cookie", &cookie)
                .send()
                .await
                .expect("queue")
                .json()
                .await
                .expect("json");
            let found = queue["conversations"]
                .as_array()
                .and_then(|q| q.iter().find(|t| t["channel"] == "web"))
                .and_then(|t| t["id"].as_str().map(str::to_owned));
            if let Some(id) = found {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the web chat reaches the queue");
    for (action, body) in [
        ("claim", serde_json::json!({})),
        (
            "reply",
            serde_json::json!({"text": "Goedemorgen, u spreekt met Anna van instantie twee."}),
        ),
    ] {
        let response = http
            .post(format!(
                "{}/api/conversations/{thread}/{action}",
                second.base_url()
            ))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .await
            .expect(action);
        assert!(
            response.status().is_success(),
            "{action}: {}",
            response.status()
        );
    }

    // The widget on the first instance shows it.
    let mut seen = String::new();
    let shown = tokio::time::timeout(Duration::from_secs(15), async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("instantie twee") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        shown,
        Ok(true),
        "the reply never reached the widget: {seen}"
    );
    assert_eq!(
        seen.matches("instantie twee").count(),
        1,
        "shown once: {seen}"
    );
    two.stop().await;
}
