//! Conversations' public ids (issue 23: "its ids are not guessable"):
//! staff reach a thread only by its random public id; the integer key,
//! a neighbour's id or anything else gets the same 404 as an unknown id,
//! and nothing of it lands in the audit log. Conversations stored before
//! the migration got random ids too.

use crate::helpers::*;
use crate::queue::{call, get, key, login, post, queued_thread, wamid};
use crate::security::{anna_and_lead, audit_entries};
use loket::db::Store;
use loket::domain::PublicId;
use loket_testkit::payload::text_message;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// An id as a number, to look for arithmetic between ids.
fn number(id: &PublicId) -> u128 {
    u128::from_str_radix(id.as_str(), 16).expect("hexadecimal")
}

on_both_databases! {
#[tokio::test]
async fn conversation_ids_are_not_guessable_and_nothing_else_reaches_a_thread() {
    let (app, anna) = anna_and_lead().await;
    // Three conversations, one after the other.
    let mut ids = Vec::new();
    for citizen in ["31600000011", "31600000012", "31600000013"] {
        ids.push(queued_thread(&app, citizen).await);
    }
    let mut keys = Vec::new();
    for id in &ids {
        keys.push(key(&app, id).await);
    }
    assert_eq!(
        (keys[1] - keys[0], keys[2] - keys[1]),
        (1, 1),
        "the integer keys count up: what the API must not take"
    );

    // The ids: the right form, all different, and no counting between
    // them (a counter or a clock would share the leading half, and step
    // by the same amount).
    let distinct: BTreeSet<&PublicId> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
    for (id, key) in ids.iter().zip(&keys) {
        assert_eq!(id.as_str().len(), 32, "{id}");
        assert!(
            id.as_str().bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{id}"
        );
        assert_ne!(number(id), *key as u128, "{id} is its key");
    }
    for pair in ids.windows(2) {
        let (a, b) = (number(&pair[0]), number(&pair[1]));
        assert_ne!(a >> 64, b >> 64, "{pair:?} share their leading half");
    }
    assert_ne!(
        number(&ids[1]).wrapping_sub(number(&ids[0])),
        number(&ids[2]).wrapping_sub(number(&ids[1])),
        "{ids:?} step by the same amount"
    );

    // The queue shows the public ids, nothing else names a thread.
    let (_, queue) = get(&app, "/api/queue", &anna).await;
    let listed: BTreeSet<String> = queue["conversations"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["id"].as_str().expect("a text id").to_owned())
        .collect();
    let expected: BTreeSet<String> = ids.iter().map(ToString::to_string).collect();
    assert_eq!(listed, expected);

    // The real id works...
    let middle = &ids[1];
    let (status, thread) = get(&app, &format!("/api/conversations/{middle}"), &anna).await;
    assert_eq!(status, StatusCode::OK, "{thread}");
    assert_eq!(thread["id"], middle.as_str());
    // ...and everything else is the one 404 an unknown id gets.
    let unknown = loket::db::new_public_id();
    let (status, nobody) = get(&app, &format!("/api/conversations/{unknown}"), &anna).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{nobody}");
    let neighbour = format!("{:032x}", number(middle).wrapping_add(1));
    let guesses = [
        keys[1].to_string(),
        keys[0].to_string(),
        format!("{:032x}", keys[1]),
        neighbour,
        middle.as_str().to_uppercase(),
        format!("{middle}0"),
        format!("0{}", &middle.as_str()[1..]),
        "-1".to_owned(),
    ];
    for guess in &guesses {
        if guess == middle.as_str() {
            continue; // The one case in 16 where `0..` is the id itself.
        }
        let (status, body) = get(&app, &format!("/api/conversations/{guess}"), &anna).await;
        assert_eq!((status, &body), (StatusCode::NOT_FOUND, &nobody), "GET {guess}");
        let (status, body) =
            post(&app, &format!("/api/conversations/{guess}/claim"), &anna, json!({})).await;
        assert_eq!((status, &body), (StatusCode::NOT_FOUND, &nobody), "claim {guess}");
        let (status, body) = call(
            &app,
            Method::POST,
            &format!("/api/conversations/{guess}/reveal"),
            Some(&anna),
            Some(json!({})),
        )
        .await;
        assert_eq!((status, &body), (StatusCode::NOT_FOUND, &nobody), "reveal {guess}");
    }
    for id in &ids {
        let summary = app.store().summary(key(&app, id).await).await.expect("read").expect("there");
        assert_eq!(summary.claimed_by, None, "a guess claimed {id}");
    }

    // A conversation the bot handles: reading it is outside anna's work,
    // audited by its public id; the guesses left no trace at all.
    let at = app.clock.now().timestamp();
    app.post_webhook(&text_message("31600000014", &wamid(), "Wanneer is het gemeentehuis open?", at))
        .await;
    app.wait_until_processed().await;
    let bot = app
        .store()
        .conversations(10)
        .await
        .expect("conversations")
        .into_iter()
        .find(|c| c.state == "bot")
        .expect("the bot's conversation");
    let (status, _) = get(&app, &format!("/api/conversations/{}", bot.public_id), &anna).await;
    assert_eq!(status, StatusCode::OK);
    let lead = login(&app, "lead").await;
    let entries = audit_entries(&app, &lead).await;
    let reads: Vec<&Value> = entries.iter().filter(|e| e["action"] == "read").collect();
    assert_eq!(reads.len(), 1, "{entries:?}");
    assert_eq!(reads[0]["conversation"], bot.public_id.as_str());
    assert_eq!(reads[0]["actor"], "staff:anna");
    for entry in &entries {
        assert!(entry.get("conversation_id").is_none(), "{entry}");
        assert!(
            entry["conversation"].is_null()
                || PublicId::parse(entry["conversation"].as_str().unwrap_or_default()).is_ok(),
            "{entry}"
        );
    }
}
}

/// Runs the migrations before 0015 on `url`, as a database of an earlier
/// release holds them.
async fn migrate_before_public_ids(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let (folder, open) = if url.starts_with("sqlite:") {
        ("sqlite", format!("{url}?mode=rwc"))
    } else {
        ("postgres", url.to_owned())
    };
    let pool = sqlx::AnyPool::connect(&open)
        .await
        .expect("open the database");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/db/migrations")
        .join(folder);
    let mut migrator = sqlx::migrate::Migrator::new(dir)
        .await
        .expect("the migrations");
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 15)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator.run(&pool).await.expect("the earlier migrations");
    pool
}

on_both_databases! {
#[tokio::test]
async fn the_migration_gives_stored_conversations_random_ids_and_the_audit_log_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database_url(dir.path());
    let pool = migrate_before_public_ids(&url).await;
    let mut stored = Vec::new();
    for citizen in ["31600000021", "31600000022", "31600000023"] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (wa_id, last_inbound_at, created_at, updated_at)
             VALUES ($1, 0, 0, 0) RETURNING id",
        )
        .bind(citizen)
        .fetch_one(&pool)
        .await
        .expect("a conversation of an earlier release");
        stored.push(id);
    }
    // A read of the second, and one of a conversation purged since.
    for conversation in [stored[1], stored[2] + 100] {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, conversation_id) VALUES (0, 'staff:anna', 'read', $1)",
        )
        .bind(conversation)
        .execute(&pool)
        .await
        .expect("an audit entry of an earlier release");
    }
    pool.close().await;

    let store = Store::connect(&url).await.expect("migrates");
    let rows = store.conversations(10).await.expect("conversations");
    assert_eq!(rows.len(), 3);
    let ids: BTreeSet<&PublicId> = rows.iter().map(|c| &c.public_id).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let numbers: Vec<u128> = ids.iter().map(|id| number(id)).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] >> 64 != w[1] >> 64),
        "{ids:?} share their leading half"
    );
    for row in &rows {
        assert_eq!(store.conversation_key(&row.public_id).await.expect("read"), Some(row.id));
    }
    let second = rows.iter().find(|c| c.id == stored[1]).expect("the second");
    let audit = store.audit_log(None, 10).await.expect("the audit log");
    let named: Vec<Option<&PublicId>> = audit.iter().map(|e| e.conversation.as_ref()).collect();
    assert_eq!(named, vec![None, Some(&second.public_id)], "newest first");

    // A conversation without its public id cannot be stored any more.
    let refused = sqlx::query(
        "INSERT INTO conversations (wa_id, last_inbound_at, created_at, updated_at) VALUES ('31600000024', 0, 0, 0)",
    )
    .execute(&sqlx::AnyPool::connect(&url).await.expect("open"))
    .await;
    assert!(refused.is_err(), "a conversation without a public id was stored");
}
}
