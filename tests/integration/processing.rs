//! Batch processing of stored inbound messages (`Store::process_batch`):
//! messages stored before the processor runs are processed together, each
//! once and a citizen's in order, and one message that cannot be processed
//! does not hold up the others.

use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use loket::db::{CountedTable, NewOutbound, Processed, Store, StoreError, StoredInbound};
use loket::domain::{OutgoingContent, OutgoingMessage};
use loket::reply::{ConversationMemory, Decision, ReplyKind};
use loket_testkit::payload;
use sqlx::Connection;

const A: &str = "31600000011";
const B: &str = "31600000012";
const C: &str = "31600000013";

/// Messages as they arrive: interleaved, two citizens with several.
const ARRIVALS: [(&str, &str); 6] = [
    (A, "a1"),
    (B, "b1"),
    (A, "a2"),
    (C, "c1"),
    (A, "a3"),
    (B, "b2"),
];

fn wamid(text: &str) -> String {
    format!("wamid.BATCH{text}")
}

/// Stores all arrivals in one webhook, as the intake does, without
/// processing them.
async fn store_arrivals(store: &Store, at: DateTime<Utc>) -> Vec<StoredInbound> {
    let values: Vec<_> = ARRIVALS
        .iter()
        .map(|(from, text)| payload::text_value(from, &wamid(text), text, at.timestamp()))
        .collect();
    let body = payload::batch(&values);
    let batch = loket::whatsapp::webhook::parse_webhook(body.as_bytes(), at).expect("parses");
    store.record_webhook(&batch, at).await.expect("stored");
    let pending = store.unprocessed_inbound(100).await.expect("unprocessed");
    assert_eq!(pending.len(), ARRIVALS.len(), "all arrivals wait");
    pending
}

/// A decision that remembers every text the conversation has seen, in
/// order, in `last_question`, and answers each message with one text.
fn remembering(
    inbound: &StoredInbound,
    memory: &ConversationMemory,
) -> (Decision, Vec<NewOutbound>) {
    let text = inbound.content.text().unwrap_or("?").to_owned();
    let seen = match &memory.last_question {
        Some(before) => format!("{before}|{text}"),
        None => text,
    };
    let decision = Decision {
        language: loket::domain::Language::Nl,
        open: true,
        next_opening: None,
        reply_deadline: None,
        urgent: false,
        replies: Vec::new(),
        handover: None,
        faq: None,
        usage: Vec::new(),
        memory: ConversationMemory {
            last_question: Some(seen.clone()),
            ..memory.clone()
        },
    };
    let reply = NewOutbound {
        kind: ReplyKind::FaqAnswer,
        message: OutgoingMessage {
            to: inbound.from.clone(),
            content: OutgoingContent::Text { body: seen },
        },
    };
    (decision, vec![reply])
}

/// What each message's conversation remembered after it, by its text.
fn seen_after(
    pending: &[StoredInbound],
    results: Vec<Result<Option<Processed>, StoreError>>,
) -> Vec<(String, Option<String>)> {
    pending
        .iter()
        .zip(results)
        .map(|(inbound, result)| {
            let text = inbound.content.text().unwrap_or("?").to_owned();
            let seen = match result {
                Ok(Some(processed)) => processed.decision.memory.last_question,
                Ok(None) => None,
                Err(error) => Some(format!("error: {error}")),
            };
            (text, seen)
        })
        .collect()
}

fn pairs(expected: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    expected
        .iter()
        .map(|(text, seen)| ((*text).to_owned(), seen.map(str::to_owned)))
        .collect()
}

on_both_databases! {
    #[tokio::test]
    async fn a_batch_processes_every_waiting_message_once_and_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::connect(&database_url(dir.path())).await.expect("store");
        let at = tuesday_morning();
        let pending = store_arrivals(&store, at).await;

        let results = store
            .process_batch(&pending, at, Duration::hours(24), remembering)
            .await;
        // A citizen's later message saw what the earlier ones in the same
        // batch wrote; other citizens' conversations stayed apart.
        assert_eq!(
            seen_after(&pending, results),
            pairs(&[
                ("a1", Some("a1")),
                ("b1", Some("b1")),
                ("a2", Some("a1|a2")),
                ("c1", Some("c1")),
                ("a3", Some("a1|a2|a3")),
                ("b2", Some("b1|b2")),
            ])
        );
        assert_eq!(store.count(CountedTable::UnprocessedInbound).await.expect("count"), 0);
        assert_eq!(store.count(CountedTable::Conversations).await.expect("count"), 3);
        assert_eq!(store.count(CountedTable::PendingOutbox).await.expect("count"), 6);

        // Processing the same messages again does nothing: each once.
        let again = store
            .process_batch(&pending, at, Duration::hours(24), remembering)
            .await;
        assert!(
            again.iter().all(|r| matches!(r, Ok(None))),
            "processed twice: {again:?}"
        );
        assert_eq!(store.count(CountedTable::PendingOutbox).await.expect("count"), 6);
        store.close().await;
    }

    #[tokio::test]
    async fn a_message_that_fails_does_not_hold_up_the_rest_of_its_batch() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = database_url(dir.path());
        let store = Store::connect(&url).await.expect("store");
        let at = tuesday_morning();
        let pending = store_arrivals(&store, at).await;

        // A real failure inside the database: a trigger refuses to mark
        // message "a2" processed.
        let mut admin = sqlx::AnyConnection::connect(&url).await.expect("connect");
        let poison = wamid("a2");
        let statements = if store.dialect() == loket::db::Dialect::Sqlite {
            vec![format!(
                "CREATE TRIGGER poison BEFORE UPDATE OF processed_at ON inbound_messages
                 WHEN NEW.wamid = '{poison}' BEGIN SELECT RAISE(ABORT, 'poisoned by the test'); END"
            )]
        } else {
            vec![
                format!(
                    "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN
                       IF NEW.wamid = '{poison}' THEN RAISE EXCEPTION 'poisoned by the test'; END IF;
                       RETURN NEW; END $$ LANGUAGE plpgsql"
                ),
                "CREATE TRIGGER poison BEFORE UPDATE ON inbound_messages
                 FOR EACH ROW EXECUTE FUNCTION poison()"
                    .to_owned(),
            ]
        };
        for statement in &statements {
            sqlx::query(statement).execute(&mut admin).await.expect("trigger");
        }

        let results = store
            .process_batch(&pending, at, Duration::hours(24), remembering)
            .await;
        let seen = seen_after(&pending, results);
        // Everyone else got through; "a2" failed and "a3" waits behind it,
        // so citizen A's order holds.
        let expected = pairs(&[
            ("a1", Some("a1")),
            ("b1", Some("b1")),
            ("c1", Some("c1")),
            ("a3", None),
            ("b2", Some("b1|b2")),
        ]);
        let without_a2: Vec<_> = seen.iter().filter(|(text, _)| text != "a2").cloned().collect();
        assert_eq!(without_a2, expected);
        let a2 = seen.iter().find(|(text, _)| text == "a2").expect("a2 has a result");
        assert!(
            a2.1.as_deref().is_some_and(|s| s.starts_with("error:")),
            "a2 should fail: {a2:?}"
        );
        assert_eq!(store.count(CountedTable::UnprocessedInbound).await.expect("count"), 2);
        assert_eq!(store.count(CountedTable::PendingOutbox).await.expect("count"), 4);

        // Once the cause is gone, the next round picks up where it stopped.
        let drop = if store.dialect() == loket::db::Dialect::Sqlite {
            "DROP TRIGGER poison"
        } else {
            "DROP TRIGGER poison ON inbound_messages"
        };
        sqlx::query(drop).execute(&mut admin).await.expect("drop trigger");
        let _ = admin.close().await;
        let rest = store.unprocessed_inbound(100).await.expect("unprocessed");
        let results = store
            .process_batch(&rest, at, Duration::hours(24), remembering)
            .await;
        assert_eq!(
            seen_after(&rest, results),
            pairs(&[("a2", Some("a1|a2")), ("a3", Some("a1|a2|a3"))])
        );
        assert_eq!(store.count(CountedTable::UnprocessedInbound).await.expect("count"), 0);
        assert_eq!(store.count(CountedTable::PendingOutbox).await.expect("count"), 6);
        store.close().await;
    }
}
