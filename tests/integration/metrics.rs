//! `/metrics` for operators: it parses as Prometheus text, its counters
//! move when a message flows through, it wants the bearer token, and
//! webhook responses carry an `X-Request-Id`.

use crate::helpers::*;
use loket_testkit::payload;
use secrecy::SecretString;
use std::collections::BTreeMap;

const TOKEN: &str = "test-metrics-token";
const TS: i64 = 1_763_759_700;

/// One sample: metric name plus sorted `label="value"` pairs.
type Key = (String, BTreeMap<String, String>);

/// A small parser for the text exposition format (Prometheus 0.0.4 and
/// OpenMetrics): `# HELP/TYPE/UNIT/EOF` lines and `name{labels} value`
/// samples. Panics on anything else, which is the point of the test.
fn parse(text: &str) -> BTreeMap<Key, f64> {
    let mut samples = BTreeMap::new();
    let mut typed = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            match words.next() {
                Some("TYPE") => {
                    let name = words.next().expect("TYPE names a metric");
                    let kind = words.next().expect("TYPE has a kind");
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "unknown"].contains(&kind),
                        "unknown type in {line:?}"
                    );
                    typed.insert(name.to_owned());
                }
                Some("HELP" | "UNIT" | "EOF") => {}
                _ => panic!("unexpected comment {line:?}"),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample has a value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels end with }");
                let labels = body
                    .split(',')
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| {
                        let (key, value) = pair.split_once('=').expect("label is key=value");
                        let value = value
                            .strip_prefix('"')
                            .and_then(|v| v.strip_suffix('"'))
                            .expect("label value is quoted");
                        (key.to_owned(), value.to_owned())
                    })
                    .collect();
                (name, labels)
            }
            None => (series, BTreeMap::new()),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line:?}"
        );
        let family = ["_total", "_bucket", "_count", "_sum", "_created"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| typed.contains(*base))
            .unwrap_or(name);
        assert!(typed.contains(family), "sample before its TYPE: {line:?}");
        samples.insert((name.to_owned(), labels), value);
    }
    samples
}

fn value(samples: &BTreeMap<Key, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let labels = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .get(&(name.to_owned(), labels))
        .copied()
        .unwrap_or(0.0)
}

async fn with_token() -> TestApp {
    spawn_app_with(saturday_night(), |settings| {
        settings.metrics_token = Some(SecretString::from(TOKEN));
    })
    .await
}

async fn scrape(app: &TestApp) -> BTreeMap<Key, f64> {
    let response = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    parse(&response.text().await.expect("body"))
}

on_both_databases! {
#[tokio::test]
async fn counters_move_when_a_message_flows_through() {
    let app = with_token().await;
    let before = scrape(&app).await;
    assert_eq!(
        value(&before, "loket_inbound_messages_total", &[("kind", "text")]),
        0.0
    );
    assert_eq!(
        value(&before, "loket_queue_threads", &[("state", "queued")]),
        0.0
    );

    let body = payload::text_message(
        CITIZEN,
        "wamid.metrics1",
        "Hoi, waarom is mijn aanslag zo hoog?",
        TS,
    );
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    assert_eq!(app.wait_for_sent(1).await.len(), 1);

    // The counter moves just after the fake Graph API accepted the message.
    app.eventually("the acknowledgement is counted", || async {
        value(
            &scrape(&app).await,
            "loket_acknowledgements_sent_total",
            &[("kind", "closed_ack")],
        ) == 1.0
    })
    .await;
    let after = scrape(&app).await;
    assert_eq!(
        value(&after, "loket_inbound_messages_total", &[("kind", "text")]),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "loket_outbound_messages_total",
            &[("kind", "closed_ack"), ("status", "sent")]
        ),
        1.0
    );
    assert!(value(&after, "loket_webhook_request_duration_seconds_count", &[]) >= 1.0);
    // A question about one's own case waits for a person.
    assert_eq!(
        value(&after, "loket_queue_threads", &[("state", "queued")]),
        1.0
    );
    assert!(value(&after, "loket_queue_oldest_waiting_seconds", &[]) >= 0.0);
    assert_eq!(
        value(&after, "loket_graph_api_errors_total", &[("code", "none")]),
        0.0
    );
}
}

on_both_databases! {
#[tokio::test]
async fn a_wrong_or_missing_token_gets_401() {
    let app = with_token().await;
    let wrong = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401);
    let missing = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 401);
}
}

on_both_databases! {
#[tokio::test]
async fn without_a_token_loopback_may_scrape() {
    let app = spawn_app_at(saturday_night()).await;
    let response = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.status(),
        200,
        "the test client connects over loopback"
    );
    let samples = parse(&response.text().await.expect("body"));
    assert!(samples.contains_key(&(
        "loket_queue_oldest_waiting_seconds".to_owned(),
        BTreeMap::new()
    )));
}
}

on_both_databases! {
#[tokio::test]
async fn webhook_responses_carry_a_request_id() {
    let app = spawn_app_at(saturday_night()).await;
    let body = payload::text_message(CITIZEN, "wamid.rid1", "Hallo", TS);
    let response = app.post_webhook(&body).await;
    assert_eq!(response.status(), 200);
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("X-Request-Id on the response")
        .to_owned();
    assert_eq!(id.len(), 12, "{id}");

    // A proxy's plain id is kept; a refused request carries one too.
    let echoed = app
        .http
        .post(app.url("/webhooks/whatsapp"))
        .header("x-request-id", "proxy-abc.123")
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(echoed.status(), 401, "unsigned");
    assert_eq!(echoed.headers()["x-request-id"], "proxy-abc.123");

    let replaced = app
        .http
        .get(app.url("/webhooks/whatsapp"))
        .header("x-request-id", "has spaces and \"quotes\"")
        .send()
        .await
        .expect("request");
    let id = replaced.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(id.len(), 12, "an odd id is replaced: {id}");
}
}
