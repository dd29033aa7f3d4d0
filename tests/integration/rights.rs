//! Citizens' rights from the command line: `forget` reads every common
//! form of a number and refuses what cannot be one; `export` writes
//! everything stored about one citizen, checked against the database
//! itself, and nothing of anyone else.

use crate::helpers::*;
use loket::accounts::{self, Role};
use loket::cli::export::ExportArgs;
use loket::cli::forget::ForgetArgs;
use loket::db::StaffMessage;
use loket_testkit::payload::{media_message, text_message};
use serde_json::Value;
use std::collections::BTreeSet;

/// The citizen who asks, as stored, and as they would say it.
const ASKS: &str = "31612345678";
const OTHER: &str = "31687654321";
const ASKS_TEXT: &str = "KIKKERVIS3311 wanneer is de milieustraat open";
const OTHER_TEXT: &str = "OLIFANT5521 wanneer is de milieustraat open";
/// Staff names that must not appear in an export.
const STAFF: [&str; 2] = ["jorinde", "wubbo"];

async fn writes(app: &TestApp, wa_id: &str, text: &str) {
    let at = app.clock.now().timestamp();
    app.post_webhook(&text_message(
        wa_id,
        &format!("wamid.RIGHTS{wa_id}a"),
        text,
        at,
    ))
    .await;
    app.post_webhook(&media_message(
        wa_id,
        &format!("wamid.RIGHTS{wa_id}b"),
        "image",
        at + 1,
    ))
    .await;
    app.wait_until_processed().await;
}

/// The conversation of `wa_id` goes through a colleague's hands: claimed,
/// passed on, answered and closed, each audited as the staff page does.
async fn staff_handle(app: &TestApp, wa_id: &str) {
    let store = app.store();
    let now = app.clock.now();
    let first = store.user(STAFF[0]).await.expect("user").expect("exists");
    let second = store.user(STAFF[1]).await.expect("user").expect("exists");
    let conversation = store
        .conversations(50)
        .await
        .expect("conversations")
        .into_iter()
        .find(|c| c.citizen.wa_id.as_ref().map(|w| w.as_str()) == Some(wa_id))
        .expect("the citizen's conversation");
    let id = conversation.id;
    store.claim(id, &first, 5, now).await.expect("claim");
    store
        .transfer(id, &first, &second, None, 5, now)
        .await
        .expect("transfer");
    store
        .staff_send(
            id,
            &second,
            StaffMessage::Text("Dat zoeken we voor u uit.".to_owned()),
            now,
        )
        .await
        .expect("reply");
    store
        .close_conversation(id, &second, "Afval", now)
        .await
        .expect("close");
    for (who, action, detail) in [
        (&first, "claim", None),
        (&first, "transfer", Some(STAFF[1])),
        (&second, "reply", None),
        (&second, "close", Some("afval")),
    ] {
        store
            .audit(
                &loket::db::staff_actor(who),
                action,
                Some(&conversation.public_id),
                detail,
                now,
            )
            .await
            .expect("audit");
    }
}

async fn seeded() -> TestApp {
    let app = spawn_app_at(tuesday_morning()).await;
    for name in STAFF {
        accounts::create(
            app.store(),
            name,
            Role::Staff,
            "een-lang-wachtwoord-42",
            app.clock.now(),
        )
        .await
        .expect("account");
    }
    writes(&app, ASKS, ASKS_TEXT).await;
    writes(&app, OTHER, OTHER_TEXT).await;
    staff_handle(&app, ASKS).await;
    staff_handle(&app, OTHER).await;
    app
}

/// One column of the rows a query returns, as text, straight from the
/// database.
async fn column(app: &TestApp, sql: &str) -> BTreeSet<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.settings.database_url)
        .await
        .expect("open the database");
    let rows: Vec<String> = sqlx::query_scalar(sql)
        .bind(ASKS)
        .fetch_all(&pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    pool.close().await;
    rows.into_iter().collect()
}

fn field(items: &Value, name: &str) -> BTreeSet<String> {
    items
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| match &item[name] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}

const THEIR_CONVERSATIONS: &str = "SELECT id FROM conversations WHERE wa_id = $1";

on_both_databases! {
#[tokio::test]
async fn an_export_holds_every_stored_item_of_the_citizen_and_nothing_of_another() {
    let app = seeded().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("inzage.json");
    let args = ExportArgs {
        citizen: "06-1234 5678".to_owned(),
        out: Some(out.clone()),
    };
    let (path, _) = loket::cli::export::run(&args, &app.settings, app.clock.as_ref())
        .await
        .expect("export");
    assert_eq!(path, out);
    let text = std::fs::read_to_string(&out).expect("the file");
    let export: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(export["citizen"], ASKS);

    // Every stored item of theirs, compared with the database.
    let cast = |column: &str| format!("CAST({column} AS TEXT)");
    let conversations = column(&app, &format!(
        "SELECT {} FROM conversations WHERE wa_id = $1", cast("id")
    )).await;
    assert!(!conversations.is_empty());
    assert_eq!(field(&export["conversations"], "id"), conversations);
    let public_ids = column(&app, "SELECT public_id FROM conversations WHERE wa_id = $1").await;
    assert_eq!(field(&export["conversations"], "public_id"), public_ids);
    let messages = column(&app, &format!(
        "SELECT wamid FROM inbound_messages WHERE wa_id = $1 OR conversation_id IN ({THEIR_CONVERSATIONS})"
    )).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(field(&export["messages"], "wamid"), messages);
    let replies = column(&app, &format!(
        "SELECT {} FROM outbox WHERE conversation_id IN ({THEIR_CONVERSATIONS})", cast("id")
    )).await;
    assert!(replies.len() >= 2, "the bot's and the colleague's: {replies:?}");
    assert_eq!(field(&export["replies"], "id"), replies);
    let history = column(&app, &format!(
        "SELECT {} FROM conversation_events WHERE conversation_id IN ({THEIR_CONVERSATIONS})", cast("id")
    )).await;
    assert!(history.len() >= 4, "queued, claimed, transferred, replied, closed");
    assert_eq!(field(&export["history"], "id"), history);
    let gaps = column(&app, &format!(
        "SELECT {} FROM knowledge_gaps WHERE conversation_id IN ({THEIR_CONVERSATIONS})", cast("id")
    )).await;
    assert_eq!(field(&export["unanswered_questions"], "id"), gaps);
    let audit = column(&app, &format!(
        "SELECT {} FROM audit_log WHERE conversation IN (SELECT public_id FROM conversations WHERE wa_id = $1)",
        cast("id")
    )).await;
    assert_eq!(audit.len(), 4);
    assert_eq!(field(&export["staff_actions"], "id"), audit);
    assert!(text.contains("KIKKERVIS3311"), "their own words");
    assert!(
        export["messages"].as_array().expect("messages").iter()
            .any(|m| m["profile_name"] == loket_testkit::payload::PROFILE_NAME),
        "the WhatsApp name they sent with their messages"
    );
    assert!(text.contains("Dat zoeken we voor u uit."), "the reply to them");

    // Retention dates: the closed conversation goes `retention` after closing.
    let conversation = &export["conversations"][0];
    let closed: chrono::DateTime<chrono::Utc> =
        conversation["closed_at"].as_str().expect("closed").parse().expect("a time");
    let delete_after: chrono::DateTime<chrono::Utc> =
        conversation["delete_after"].as_str().expect("a date").parse().expect("a time");
    assert_eq!(
        delete_after - closed,
        chrono::Duration::from_std(app.settings.privacy.retention.0).expect("fits")
    );
    assert!(export["staff_actions"][0]["delete_after"].is_string());
    assert_eq!(export["retention"]["conversations"], "7d");
    assert_eq!(export["retention"]["audit_log"], "365d");

    // Nothing of the other citizen, and staff only by role.
    for foreign in [OTHER, "OLIFANT5521", &format!("wamid.RIGHTS{OTHER}a")] {
        assert!(!text.contains(foreign), "{foreign} is in the export");
    }
    for name in STAFF {
        assert!(!text.contains(name), "the colleague {name} is named");
    }
    assert!(text.contains("role:staff"), "staff appear by role");
    let actors = field(&export["staff_actions"], "actor");
    assert_eq!(actors, BTreeSet::from(["role:staff".to_owned()]));

    // Readable by its owner only, and written down in the audit log
    // without the number.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let log = app.store().audit_log(None, 50).await.expect("audit log");
    let entry = log
        .iter()
        .find(|e| e.action == "export")
        .expect("the export is audited");
    assert_eq!(entry.actor, "cli");
    assert!(!entry.detail.clone().unwrap_or_default().contains(ASKS));

    // An existing file is not replaced.
    assert!(loket::cli::export::run(&args, &app.settings, app.clock.as_ref()).await.is_err());
}
}

on_both_databases! {
#[tokio::test]
async fn forget_reads_every_form_of_the_number_and_refuses_a_non_number() {
    let app = seeded().await;
    for form in [
        "0612345678",
        "06 12345678",
        "06-1234-5678",
        "+31 6 12345678",
        "+31612345678",
        "0031 6 1234 5678",
        "0031612345678",
        "31612345678",
    ] {
        let args = ForgetArgs {
            citizen: form.to_owned(),
            dry_run: true,
        };
        let counted = loket::cli::forget::forget(&args, &app.settings, app.clock.as_ref())
            .await
            .expect("a number");
        assert_eq!(
            (counted.conversations, counted.messages),
            (1, 2),
            "{form:?} names the citizen"
        );
    }
    for bad in ["bel me", "0612", "06-1234-5678-9999", "mijn nummer"] {
        let args = ForgetArgs {
            citizen: bad.to_owned(),
            dry_run: false,
        };
        let error = loket::cli::forget::forget(&args, &app.settings, app.clock.as_ref())
            .await
            .expect_err("not a number");
        assert!(
            error.to_string().contains("cannot be a phone number"),
            "{bad:?}: {error}"
        );
    }
    let args = ForgetArgs {
        citizen: "06 1234 5678".to_owned(),
        dry_run: false,
    };
    let removed = loket::cli::forget::forget(&args, &app.settings, app.clock.as_ref())
        .await
        .expect("forget");
    assert_eq!(removed.conversations, 1);
    assert!(
        column(&app, "SELECT CAST(id AS TEXT) FROM conversations WHERE wa_id = $1")
            .await
            .is_empty()
    );
    let left = app.store().conversations(10).await.expect("conversations");
    assert_eq!(left.len(), 1, "the other citizen stays");
}
}

/// Logs in over HTTP; returns the cookie and the CSRF token.
async fn login(app: &TestApp, name: &str) -> (String, String) {
    let response = app
        .http
        .post(app.url("/api/session"))
        .json(&serde_json::json!({"username": name, "password": "een-lang-wachtwoord-42"}))
        .send()
        .await
        .expect("login");
    assert_eq!(
        response.status(),
        reqwest::StatusCode::OK,
        "login of {name}"
    );
    let cookie = session_cookie(&response).expect("cookie");
    let body: Value = response.json().await.expect("json");
    (
        cookie,
        body["csrf_token"].as_str().expect("csrf").to_owned(),
    )
}

on_both_databases! {
#[tokio::test]
async fn admins_export_from_the_staff_page_and_filter_the_audit_log() {
    let app = seeded().await;
    accounts::create(app.store(), "beheer", Role::Admin, "een-lang-wachtwoord-42", app.clock.now())
        .await
        .expect("admin");
    let export = |session: (String, String), citizen: &'static str| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/api/exports"))
                .header("cookie", session.0)
                .header("x-csrf-token", session.1)
                .json(&serde_json::json!({ "citizen": citizen }))
                .send()
                .await
                .expect("export")
        }
    };
    let staff = login(&app, STAFF[0]).await;
    assert_eq!(export(staff, "0612345678").await.status(), reqwest::StatusCode::FORBIDDEN);
    let admin = login(&app, "beheer").await;
    let refused = export(admin.clone(), "bel me").await;
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "invalid_citizen");
    assert!(body["message"].as_str().unwrap_or_default().contains("cannot be a phone number"));

    let response = export(admin.clone(), "+31 6 1234 5678").await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let text = response.text().await.expect("body");
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["citizen"], ASKS);
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(2));
    assert!(!text.contains(OTHER) && !text.contains(STAFF[0]));

    // The audit log, filtered: the export by this admin, from loopback.
    let audit = |query: String| {
        let app = &app;
        let cookie = admin.0.clone();
        async move {
            let body = json_of(
                app.http
                    .get(app.url(&format!("/api/audit?{query}")))
                    .header("cookie", cookie),
            )
            .await;
            body["entries"].as_array().cloned().unwrap_or_default()
        }
    };
    let exports = audit("action=export&user=beheer".to_owned()).await;
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert_eq!(exports[0]["actor"], "staff:beheer");
    assert_eq!(exports[0]["client"], "127.0.0.1");
    assert!(!exports[0]["detail"].as_str().unwrap_or_default().contains(ASKS));
    let of_one = audit("user=jorinde".to_owned()).await;
    assert!(!of_one.is_empty());
    assert!(
        of_one.iter().all(|e| e["actor"] == "staff:jorinde" || e["actor"] == "login:jorinde"),
        "{of_one:?}"
    );
    // Dates: nothing after an hour from now, nothing before an hour ago.
    let hour = chrono::Duration::hours(1);
    for (key, at) in [("since", app.clock.now() + hour), ("until", app.clock.now() - hour)] {
        let at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert!(audit(format!("{key}={at}")).await.is_empty(), "{key}={at}");
    }
}
}
