//! The findings of the black-box test (issue 23), each as the attack
//! that worked before its fix: unbounded login names, forged log lines,
//! free text in the audit log, links under top-level domains a hand-kept
//! list missed, bidi overrides on the staff page, unaudited reads,
//! database files readable by all, an event stream outliving its logout.

use crate::helpers::*;
use crate::queue::{
    PASSWORD, Session, add_user, call, claimed_thread, get, login, post, queued_thread,
    text_queued, wamid,
};
use crate::retention::{contains, raw_bytes};
use loket::accounts::Role;
use loket_testkit::payload::text_message;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// An app with a staff member, anna (logged in), and an admin, lead.
pub(crate) async fn anna_and_lead() -> (TestApp, Session) {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    add_user(&app, "lead", Role::Admin).await;
    let anna = login(&app, "anna").await;
    (app, anna)
}

/// The audit log as an admin reads it.
pub(crate) async fn audit_entries(app: &TestApp, admin: &Session) -> Vec<Value> {
    let (status, body) = get(app, "/api/audit", admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["entries"].as_array().cloned().unwrap_or_default()
}

async fn try_login(app: &TestApp, name: &str, password: &str) -> (StatusCode, Value) {
    call(
        app,
        Method::POST,
        "/api/session",
        None,
        Some(json!({"username": name, "password": password})),
    )
    .await
}

on_both_databases! {
#[tokio::test]
async fn login_names_are_checked_before_any_lookup_count_or_log() {
    captured_logs();
    let (app, _) = anna_and_lead().await;
    let huge = "a".repeat(60_000);
    let forged = "anna\n2026-11-24T09:00:00.000000Z  INFO loket::web::api::session: NAMEFORGERY staff login\u{1b}[2K";
    for name in [huge.as_str(), forged, "anna lead", "Welkom01!"] {
        let (status, body) = try_login(&app, name, "wat-dan-ook-123").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name:.40?}: {body}");
        assert_eq!(body["error"], "invalid_username", "{body}");
        assert!(
            !body.to_string().contains("NAMEFORGERY"),
            "the answer does not echo the name"
        );
    }
    // Nothing was counted: no row for the name, none for the address.
    let since = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let counted = app
        .store()
        .login_failures(&huge, "127.0.0.1", since)
        .await
        .expect("count");
    assert_eq!(counted, (0, 0));

    // A password typed into the name field looks like a name: refused as
    // a wrong login, and not kept.
    let (status, _) = try_login(&app, "zomer-2026-geheim", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = try_login(&app, "anna", "fout-wachtwoord-1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The throttle counts it without keeping the typed name in the clear.
    let counted = app
        .store()
        .login_failures("zomer-2026-geheim", "no-such-client", since)
        .await
        .expect("count");
    assert_eq!(counted, (1, 0), "the failure is counted for that name");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.settings.database_url)
        .await
        .expect("the test database");
    let in_the_clear: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE username IN ('zomer-2026-geheim', 'anna')",
    )
    .fetch_one(&pool)
    .await
    .expect("count typed names");
    assert_eq!(in_the_clear, 0, "typed names are kept as digests only");

    let lead = login(&app, "lead").await;
    let entries = audit_entries(&app, &lead).await;
    let failed: Vec<&str> = entries
        .iter()
        .filter(|e| e["action"] == "login_failed")
        .filter_map(|e| e["actor"].as_str())
        .collect();
    assert!(failed.contains(&"login:anna"), "{failed:?}");
    assert!(failed.contains(&"login:(unknown)"), "{failed:?}");
    let text = serde_json::to_string(&entries).expect("json");
    for kept in ["zomer-2026-geheim", "NAMEFORGERY", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"] {
        assert!(!text.contains(kept), "{kept} in the audit log: {text}");
    }
    let logs = logs_so_far();
    assert!(!logs.contains("NAMEFORGERY"), "{logs}");
    assert!(!logs.contains("zomer-2026-geheim"), "{logs}");
}
}

/// Text a person wrote goes into a log field, escaped: a line break in it
/// cannot start a line of its own.
#[tokio::test]
async fn a_line_break_in_a_reply_cannot_forge_a_log_line() {
    captured_logs();
    // Without an access token the replies go to the log.
    let app = spawn_app_with(tuesday_morning(), |s| s.secrets.access_token = None).await;
    add_user(&app, "anna", Role::Staff).await;
    let anna = login(&app, "anna").await;
    let base = claimed_thread(&app, &anna, CITIZEN).await;
    let forged = "REPLYFORGERY  INFO loket::web::api::session: staff login username=lead";
    let (status, body) = post(
        &app,
        &format!("{base}/reply"),
        &anna,
        json!({"text": format!("Dag,\n{forged}\nGroet")}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !logs_so_far().contains("REPLYFORGERY") && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = logs_so_far();
    assert!(logs.contains("REPLYFORGERY"), "the reply was logged");
    assert!(
        !logs.lines().any(|line| line.starts_with("REPLYFORGERY")),
        "a forged line in:\n{logs}"
    );
}

on_both_databases! {
#[tokio::test]
async fn the_audit_log_keeps_no_typed_topic_before_or_after_forget() {
    let (app, anna) = anna_and_lead().await;
    let configured = app.settings.queue.topics[0].clone();
    const OTHER: &str = "31600000002";
    let typed = claimed_thread(&app, &anna, CITIZEN).await;
    let chosen = claimed_thread(&app, &anna, OTHER).await;
    for (base, topic) in [
        (&typed, "BSN 111222333 mevrouw Jansen"),
        (&chosen, configured.as_str()),
    ] {
        let (status, body) = post(&app, &format!("{base}/close"), &anna, json!({"topic": topic})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let id_of = |base: &str| base.rsplit('/').next().expect("id").to_owned();
    let (typed, chosen) = (id_of(&typed), id_of(&chosen));
    let lead = login(&app, "lead").await;
    let closes = |entries: &[Value]| -> Vec<(String, String)> {
        entries
            .iter()
            .filter(|e| e["action"] == "close")
            .map(|e| {
                (
                    e["conversation"].as_str().unwrap_or_default().to_owned(),
                    e["detail"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let entries = audit_entries(&app, &lead).await;
    let mut seen = closes(&entries);
    seen.sort();
    let mut expected = vec![
        (typed, loket::privacy::FREE_TOPIC.to_owned()),
        (chosen, configured.clone()),
    ];
    expected.sort();
    assert_eq!(seen, expected);

    for citizen in [CITIZEN, OTHER] {
        app.store().forget(citizen, false).await.expect("forget");
    }
    let text = serde_json::to_string(&audit_entries(&app, &lead).await).expect("json");
    assert!(!text.contains("111222333") && !text.contains("Jansen"), "{text}");
    if app.store().dialect() == loket::db::Dialect::Sqlite {
        assert!(!contains(&raw_bytes(&app), "111222333"), "the BSN is gone from the files");
    }
}
}

#[tokio::test]
async fn replies_with_bare_links_under_any_public_suffix_are_refused() {
    let (app, anna) = anna_and_lead().await;
    let base = claimed_thread(&app, &anna, CITIZEN).await;
    // `None`: the allowed site, sent.
    for (text, refused) in [
        (
            "Betaal op voorbeeldstad-betalen.nu/ideal",
            Some("voorbeeldstad-betalen.nu"),
        ),
        (
            "Het formulier: voorbeeldstad.zip",
            Some("voorbeeldstad.zip"),
        ),
        (
            "Hulp nodig? betaal-gemeente.help",
            Some("betaal-gemeente.help"),
        ),
        ("Kijk op voorbeeldstad.nl/afval", None),
    ] {
        let (status, body) =
            post(&app, &format!("{base}/reply"), &anna, json!({"text": text})).await;
        match refused {
            Some(domain) => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{text}: {body}");
                assert_eq!(body["domain"], domain, "{body}");
            }
            None => assert_eq!(status, StatusCode::ACCEPTED, "{text}: {body}"),
        }
    }
}

#[tokio::test]
async fn bidi_overrides_reach_staff_as_visible_markers() {
    let (app, anna) = anna_and_lead().await;
    let id = text_queued(&app, "Ik wil een medewerker over Factuur \u{202E}gnp.exe").await;
    let base = format!("/api/conversations/{id}");
    let (_, queue) = get(&app, "/api/queue", &anna).await;
    let (_, thread) = get(&app, &base, &anna).await;
    let (_, revealed) = post(&app, &format!("{base}/reveal"), &anna, json!({})).await;
    for (view, shown) in [
        ("queue", &queue["conversations"][0]["preview"]),
        ("thread", &thread["messages"][0]["text"]),
        ("revealed thread", &revealed["messages"][0]["text"]),
    ] {
        let shown = shown.as_str().unwrap_or_default();
        assert!(
            shown.contains("Factuur [U+202E]gnp.exe"),
            "{view}: {shown:?}"
        );
        assert!(!shown.contains('\u{202E}'), "{view}: {shown:?}");
    }
}

on_both_databases! {
#[tokio::test]
async fn reading_a_thread_outside_ones_work_is_audited_once_per_login() {
    let (app, anna) = anna_and_lead().await;
    add_user(&app, "bram", Role::Staff).await;
    let bram = login(&app, "bram").await;
    // A conversation the bot handles on its own.
    let at = app.clock.now().timestamp();
    app.post_webhook(&text_message("31600000003", &wamid(), "Wanneer is het gemeentehuis open?", at))
        .await;
    app.wait_until_processed().await;
    let bot = app.store().conversations(10).await.expect("conversations");
    let bot = bot.first().expect("a conversation");
    assert_eq!(bot.state, "bot");
    let bot_id = bot.public_id.to_string();
    for _ in 0..2 {
        let (status, _) = get(&app, &format!("/api/conversations/{bot_id}"), &anna).await;
        assert_eq!(status, StatusCode::OK);
    }
    // The queue is everyone's work; a claimed thread its holder's.
    let queued = queued_thread(&app, CITIZEN).await;
    let path = format!("/api/conversations/{queued}");
    assert_eq!(get(&app, &path, &bram).await.0, StatusCode::OK);
    post(&app, &format!("{path}/claim"), &anna, json!({})).await;
    assert_eq!(get(&app, &path, &anna).await.0, StatusCode::OK);
    assert_eq!(get(&app, &path, &bram).await.0, StatusCode::OK);

    let lead = login(&app, "lead").await;
    let mut reads: Vec<(String, String)> = audit_entries(&app, &lead)
        .await
        .iter()
        .filter(|e| e["action"] == "read")
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_owned(),
                e["conversation"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    reads.sort();
    let mut expected = vec![
        ("staff:anna".to_owned(), bot_id),
        ("staff:bram".to_owned(), queued.to_string()),
    ];
    expected.sort();
    assert_eq!(reads, expected);
}
}

#[cfg(unix)]
#[tokio::test]
async fn database_files_are_readable_by_the_service_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let with = |path: &std::path::Path, suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    let app = spawn_app_at(tuesday_morning()).await;
    let at = app.clock.now().timestamp();
    app.post_webhook(&text_message(CITIZEN, &wamid(), "Hallo", at))
        .await;
    app.wait_until_processed().await;
    let db = app.db_path();
    for suffix in ["", "-wal", "-shm"] {
        assert_eq!(mode(&with(&db, suffix)), 0o600, "loket.db{suffix}");
    }

    // A database created before (0644, with a write-ahead log) is narrowed.
    let dir = tempfile::tempdir().expect("temp dir");
    let old = dir.path().join("old.db");
    std::fs::write(&old, b"").expect("old file");
    std::fs::write(with(&old, "-wal"), b"").expect("old log");
    for path in [old.clone(), with(&old, "-wal")] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let store = loket::db::Store::connect(&format!("sqlite://{}", old.display()))
        .await
        .expect("opens");
    for suffix in ["", "-wal", "-shm"] {
        assert_eq!(mode(&with(&old, suffix)), 0o600, "old.db{suffix}");
    }
    store.close().await;
}

#[tokio::test]
async fn the_event_stream_ends_at_logout() {
    // Two logins of one person: only the one that logs out loses its stream.
    let (app, leaving) = anna_and_lead().await;
    let staying = login(&app, "anna").await;
    let open = |session: &Session| {
        app.http
            .get(app.url("/api/events"))
            .header("cookie", &session.cookie)
            .send()
    };
    let mut leaving_stream = open(&leaving).await.expect("stream");
    let mut staying_stream = open(&staying).await.expect("stream");
    for stream in [&mut leaving_stream, &mut staying_stream] {
        assert_eq!(stream.status(), StatusCode::OK);
        let first = stream.chunk().await.expect("first chunk").expect("data");
        assert!(String::from_utf8_lossy(&first).contains("connected"));
    }
    let (status, _) = call(&app, Method::DELETE, "/api/session", Some(&leaving), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Well before the 15-second keep-alive that ended it before.
    let ended = tokio::time::timeout(Duration::from_secs(3), async {
        // Until the stream ends (or breaks off).
        while let Ok(Some(_)) = leaving_stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its logout");
    // The same person's other login keeps its stream.
    let still = tokio::time::timeout(Duration::from_millis(500), staying_stream.chunk()).await;
    assert!(
        still.is_err(),
        "the other login's stream ended too: {still:?}"
    );
}
