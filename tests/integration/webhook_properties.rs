//! Property tests of the webhook parser: whatever arrives with a valid
//! signature, it never panics and never produces (or stores) garbage.
//!
//! Inputs are arbitrary bytes, and arbitrary JSON shaped like Meta's
//! webhooks in which any field may be missing or replaced by any other
//! JSON value. The parser is called directly for many cases; a smaller
//! number goes through the real HTTP route and the database.

use crate::helpers::*;
use loket::domain::{MessageContent, WaId, Wamid, WebhookBatch};
use loket::whatsapp::webhook::parse_webhook;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// Strings Meta sends, and near misses of them.
const STRINGS: &[&str] = &[
    "whatsapp_business_account",
    "messages",
    "statuses",
    "whatsapp",
    "wamid.A1",
    "wamid.A2",
    "wamid.B1",
    "wamid with space",
    "",
    "31600000001",
    "31600000002",
    "+31600000001",
    "3160",
    "NL.1502576394655843",
    "NL 15",
    "123456789012345",
    "1763759700",
    "-1",
    "99999999999999999999",
    "text",
    "image",
    "interactive",
    "button_reply",
    "list_reply",
    "reaction",
    "location",
    "unsupported",
    "read",
    "failed",
    "Hoi, mijn bsn is 111222333",
    "a\nb\u{0}c",
    "😀",
];

/// Keys of Meta's webhook objects.
const KEYS: &[&str] = &[
    "object",
    "entry",
    "id",
    "changes",
    "field",
    "value",
    "metadata",
    "phone_number_id",
    "contacts",
    "wa_id",
    "user_id",
    "profile",
    "messages",
    "statuses",
    "errors",
    "from",
    "from_user_id",
    "timestamp",
    "type",
    "text",
    "body",
    "image",
    "caption",
    "interactive",
    "button_reply",
    "title",
    "context",
    "status",
    "code",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        "\\PC{0,24}".prop_map(Value::from),
        select(STRINGS).prop_map(Value::from),
    ]
}

/// Any JSON value, a few levels deep, with Meta's keys.
fn any_json() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(select(KEYS), inner, 0..4).prop_map(|m| {
                    Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
        .boxed()
}

/// Mostly `good`, sometimes anything at all, sometimes absent.
fn field(good: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        14 => good.prop_map(Some),
        1 => any_json().prop_map(Some),
        1 => Just(None),
    ]
    .boxed()
}

fn string_of(options: &'static [&'static str]) -> impl Strategy<Value = Value> {
    select(options).prop_map(Value::from)
}

fn object(fields: Vec<(&str, Option<Value>)>) -> Value {
    let map: Map<String, Value> = fields
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key.to_owned(), v)))
        .collect();
    Value::Object(map)
}

fn list(item: BoxedStrategy<Value>) -> BoxedStrategy<Option<Value>> {
    field(
        prop_oneof![
            9 => proptest::collection::vec(item, 1..4),
            1 => Just(Vec::new()),
        ]
        .prop_map(Value::Array),
    )
}

// Valid values are listed more than once so they dominate.
const WAMIDS: &[&str] = &[
    "wamid.A1",
    "wamid.A2",
    "wamid.B1",
    "wamid.B2",
    "wamid.C1",
    "wamid.C2",
    "wamid with space",
    "",
];
const PHONES: &[&str] = &[
    "31600000001",
    "31600000002",
    "31600000003",
    "31600000001",
    "+31600000001",
    "3160",
];
const BSUIDS: &[&str] = &["NL.1502576394655843", "NL 15"];
const TYPES: &[&str] = &[
    "text",
    "image",
    "interactive",
    "button",
    "reaction",
    "location",
    "contacts",
    "unsupported",
    "newfangled",
];

fn message() -> BoxedStrategy<Value> {
    (
        field(string_of(WAMIDS)),
        field(string_of(PHONES)),
        prop_oneof![3 => Just(None), 1 => field(string_of(BSUIDS))],
        field(prop_oneof![
            Just(json!("1763759700")),
            any::<i64>().prop_map(Value::from)
        ]),
        field(string_of(TYPES)),
        field(
            field("\\PC{0,40}".prop_map(Value::from)).prop_map(|body| object(vec![("body", body)])),
        ),
        field(
            (
                field(string_of(&["1000000000000001"])),
                field("\\PC{0,20}".prop_map(Value::from)),
            )
                .prop_map(|(id, caption)| object(vec![("id", id), ("caption", caption)])),
        ),
        field(
            (
                field(string_of(&["button_reply", "list_reply"])),
                any_json(),
            )
                .prop_map(|(kind, reply)| {
                    object(vec![("type", kind), ("button_reply", Some(reply))])
                }),
        ),
        field(field(string_of(WAMIDS)).prop_map(|id| object(vec![("id", id)]))),
    )
        .prop_map(
            |(id, from, from_user_id, timestamp, kind, text, image, interactive, context)| {
                object(vec![
                    ("id", id),
                    ("from", from),
                    ("from_user_id", from_user_id),
                    ("timestamp", timestamp),
                    ("type", kind),
                    ("text", text),
                    ("image", image),
                    ("interactive", interactive),
                    ("context", context),
                ])
            },
        )
        .boxed()
}

fn contact() -> BoxedStrategy<Value> {
    (
        field(string_of(PHONES)),
        field(string_of(BSUIDS)),
        any_json(),
    )
        .prop_map(|(wa_id, user_id, profile)| {
            object(vec![
                ("wa_id", wa_id),
                ("user_id", user_id),
                ("profile", Some(profile)),
            ])
        })
        .boxed()
}

fn status() -> BoxedStrategy<Value> {
    (
        field(string_of(WAMIDS)),
        field(string_of(&[
            "sent",
            "delivered",
            "read",
            "failed",
            "deleted",
        ])),
        field(Just(json!("1763759700"))),
        prop_oneof![Just(None), field(any_json())],
    )
        .prop_map(|(id, status, timestamp, errors)| {
            object(vec![
                ("id", id),
                ("status", status),
                ("timestamp", timestamp),
                ("errors", errors),
            ])
        })
        .boxed()
}

fn change() -> BoxedStrategy<Value> {
    (
        field(string_of(&[
            "messages",
            "messages",
            "messages",
            "account_update",
        ])),
        field(Just(json!({ "phone_number_id": "123456789012345" }))),
        list(contact()),
        list(message()),
        list(status()),
    )
        .prop_map(|(field_name, metadata, contacts, messages, statuses)| {
            let value = object(vec![
                ("messaging_product", Some(json!("whatsapp"))),
                ("metadata", metadata),
                ("contacts", contacts),
                ("messages", messages),
                ("statuses", statuses),
            ]);
            object(vec![("field", field_name), ("value", Some(value))])
        })
        .boxed()
}

/// A JSON body shaped like Meta's webhook, with any part possibly broken.
fn webhook_json() -> BoxedStrategy<Value> {
    (
        field(string_of(&[
            "whatsapp_business_account",
            "whatsapp_business_account",
            "whatsapp_business_account",
            "page",
        ])),
        list(
            list(change())
                .prop_map(|changes| object(vec![("id", Some(json!("1"))), ("changes", changes)]))
                .boxed(),
        ),
    )
        .prop_map(|(object_name, entry)| object(vec![("object", object_name), ("entry", entry)]))
        .boxed()
}

/// Bodies: webhook-shaped JSON, the same with a byte changed or cut off,
/// and plain random bytes.
fn body() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => webhook_json().prop_map(|v| v.to_string().into_bytes()),
        1 => (webhook_json(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(v, at, byte)| {
            let mut bytes = v.to_string().into_bytes();
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            bytes
        }),
        1 => (webhook_json(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
            let mut bytes = v.to_string().into_bytes();
            bytes.truncate(at.index(bytes.len() + 1));
            bytes
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..512),
    ]
    .boxed()
}

/// Every string anywhere in a JSON value (keys included).
fn strings_in(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| strings_in(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                strings_in(v, out);
            }
        }
        _ => {}
    }
}

/// What the parser must hold to for any body: ids it returns are valid and
/// come from the body, texts come from the body, skipped lines are single
/// lines.
fn check_batch(body: &[u8], batch: &WebhookBatch) -> Result<(), TestCaseError> {
    let mut strings = BTreeSet::new();
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        strings_in(&value, &mut strings);
    }
    for message in &batch.messages {
        let wamid = message.wamid.as_str();
        prop_assert!(!wamid.is_empty());
        prop_assert!(Wamid::parse(wamid).is_ok());
        prop_assert!(strings.contains(wamid), "invented wamid {wamid}");
        prop_assert!(message.from.wa_id.is_some() || message.from.user_id.is_some());
        if let Some(wa_id) = &message.from.wa_id {
            prop_assert!(WaId::parse(wa_id.as_str()).is_ok());
            prop_assert!(strings.contains(wa_id.as_str()), "invented wa_id");
        }
        if let Some(user_id) = &message.from.user_id {
            prop_assert!(strings.contains(user_id.as_str()), "invented user_id");
        }
        if let MessageContent::Text { body } = &message.content {
            prop_assert!(strings.contains(body), "invented text {body:?}");
        }
    }
    for status in &batch.statuses {
        prop_assert!(strings.contains(status.wamid.as_str()));
    }
    for line in &batch.skipped {
        prop_assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
    }
    Ok(())
}

fn received_at() -> chrono::DateTime<chrono::Utc> {
    saturday_night()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn webhook_shaped_json_never_panics_or_yields_garbage(value in webhook_json()) {
        let body = value.to_string().into_bytes();
        if let Ok(batch) = parse_webhook(&body, received_at()) {
            check_batch(&body, &batch)?;
            // The same body gives the same batch.
            prop_assert_eq!(parse_webhook(&body, received_at()).ok(), Some(batch));
        }
    }

    #[test]
    fn arbitrary_bodies_never_panic_or_yield_garbage(body in body()) {
        if let Ok(batch) = parse_webhook(&body, received_at()) {
            check_batch(&body, &batch)?;
        }
    }
}

/// The generator is not vacuous: many webhook-shaped bodies hold messages
/// that parse, so the properties above are tested on real messages too.
#[test]
fn the_generated_webhooks_often_hold_usable_messages() {
    let mut runner = TestRunner::deterministic();
    let strategy = webhook_json();
    let mut with_messages = 0;
    for _ in 0..200 {
        let body = strategy
            .new_tree(&mut runner)
            .expect("generate a body")
            .current()
            .to_string();
        if parse_webhook(body.as_bytes(), received_at()).is_ok_and(|b| !b.messages.is_empty()) {
            with_messages += 1;
        }
    }
    assert!(
        with_messages >= 20,
        "only {with_messages} of 200 had messages"
    );
}

/// A stored inbound message, as the columns hold it.
#[derive(Debug, PartialEq)]
struct StoredRow {
    wa_id: Option<String>,
    user_id: Option<String>,
    business_phone_number_id: Option<String>,
    kind: String,
    content: String,
    reply_to: Option<String>,
}

async fn stored_rows(pool: &sqlx::AnyPool) -> BTreeMap<String, StoredRow> {
    sqlx::query(
        "SELECT wamid, wa_id, user_id, business_phone_number_id, kind, content, reply_to
         FROM inbound_messages",
    )
    .fetch_all(pool)
    .await
    .expect("read inbound messages")
    .into_iter()
    .map(|row| {
        (
            row.get("wamid"),
            StoredRow {
                wa_id: row.get("wa_id"),
                user_id: row.get("user_id"),
                business_phone_number_id: row.get("business_phone_number_id"),
                kind: row.get("kind"),
                content: row.get("content"),
                reply_to: row.get("reply_to"),
            },
        )
    })
    .collect()
}

/// Makes the wamids of a JSON body unique to this case (`wamid.A1` becomes
/// `wamid.7A1`), so later cases store new rows instead of only duplicates.
/// Bodies that are not JSON are sent as they are.
fn with_case_wamids(body: Vec<u8>, case: usize) -> Vec<u8> {
    fn rename(value: &mut Value, case: usize) {
        match value {
            Value::String(s) => {
                if let Some(rest) = s.strip_prefix("wamid.") {
                    *s = format!("wamid.{case}{rest}");
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| rename(v, case)),
            Value::Object(map) => map.values_mut().for_each(|v| rename(v, case)),
            _ => {}
        }
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(mut value) => {
            rename(&mut value, case);
            value.to_string().into_bytes()
        }
        Err(_) => body,
    }
}

on_both_databases! {
/// Through the real route: a signed body gets 200 exactly when it parses
/// (400 otherwise), and the database then holds exactly the parsed
/// messages (the first one of each wamid; a redelivery changes nothing).
#[tokio::test]
async fn signed_random_bodies_get_200_or_400_and_store_exactly_the_parsed_messages() {
    let app = spawn_app_at(saturday_night()).await;
    // A pool of its own, beside the app's: what is really in the table.
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&app.settings.database_url)
        .await
        .expect("open the test database");
    let mut expected: BTreeMap<String, StoredRow> = BTreeMap::new();
    let mut runner = TestRunner::deterministic();
    let strategy = body();
    let (mut accepted, mut refused) = (0, 0);
    let mut previous: Vec<u8> = Vec::new();
    for case in 0..60 {
        let body = if case % 10 == 9 {
            // Meta redelivers: the same body again stores nothing new.
            previous.clone()
        } else {
            let generated = strategy
                .new_tree(&mut runner)
                .expect("generate a body")
                .current();
            with_case_wamids(generated, case)
        };
        previous = body.clone();
        let parsed = parse_webhook(&body, received_at());
        let status = app
            .post_webhook_raw(
                body.clone(),
                Some(&loket::whatsapp::signature::sign_body(
                    APP_SECRET.as_bytes(),
                    &body,
                )),
            )
            .await
            .status()
            .as_u16();
        let shown = String::from_utf8_lossy(&body);
        match &parsed {
            Ok(batch) => {
                assert_eq!(status, 200, "case {case}: {shown}");
                accepted += 1;
                for message in &batch.messages {
                    expected
                        .entry(message.wamid.as_str().to_owned())
                        .or_insert_with(|| StoredRow {
                            wa_id: message.from.wa_id.as_ref().map(|w| w.as_str().to_owned()),
                            user_id: message.from.user_id.as_ref().map(|u| u.as_str().to_owned()),
                            business_phone_number_id: message.business_phone_number_id.clone(),
                            kind: message.content.kind_name().to_owned(),
                            content: serde_json::to_string(&message.content)
                                .expect("content serialises"),
                            reply_to: message.reply_to.as_ref().map(|w| w.as_str().to_owned()),
                        });
                }
            }
            Err(_) => {
                assert_eq!(status, 400, "case {case}: {shown}");
                refused += 1;
            }
        }
        assert_eq!(stored_rows(&pool).await, expected, "case {case}: {shown}");
    }
    // The cases were not all of one kind.
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
    assert!(
        expected.len() >= 10,
        "only {} messages stored",
        expected.len()
    );
    pool.close().await;
}
}
