//! The second factor (TOTP) and session controls over real HTTP:
//! enrolment, a login with a code, a wrong and a replayed code, a
//! recovery code used once, `[staff] require_mfa`, switching it off and
//! the admin's reset, "log out everywhere", the idle timeout and the
//! absolute lifetime. The test plays the authenticator app with the
//! secret the enrolment returns, on the app's test clock.

use crate::helpers::*;
use crate::queue::{PASSWORD, Session, add_user, call, get, login, post};
use loket::accounts::Role;
use loket::accounts::mfa::code_at;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// A login of `name` with an optional code: status, body and session.
async fn login_with(
    app: &TestApp,
    name: &str,
    code: Option<&str>,
) -> (StatusCode, Value, Option<Session>) {
    let mut body = json!({"username": name, "password": PASSWORD});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    let response = app
        .http
        .post(app.url("/api/session"))
        .json(&body)
        .send()
        .await
        .expect("login request");
    let status = response.status();
    let cookie = session_cookie(&response);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let session = cookie
        .zip(body["csrf_token"].as_str())
        .map(|(cookie, csrf)| Session {
            cookie,
            csrf: csrf.to_owned(),
        });
    (status, body, session)
}

/// The code the authenticator app shows now.
fn code_now(app: &TestApp, secret: &str) -> String {
    code_at(secret, app.clock.now()).expect("a code")
}

/// A six-digit code that is not the one the app shows now, nor the one
/// before or after.
fn wrong_code(app: &TestApp, secret: &str) -> String {
    let now = app.clock.now();
    let valid: Vec<String> = [-30, 0, 30]
        .iter()
        .map(|s| code_at(secret, now + chrono::Duration::seconds(*s)).expect("code"))
        .collect();
    (0..10)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !valid.contains(c))
        .expect("a wrong code")
}

/// Starts the enrolment: the secret the app would read from the QR code.
async fn start_enrolment(app: &TestApp, session: &Session) -> String {
    let (status, body) = post(app, "/api/mfa/enrolment", session, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["secret"].as_str().expect("secret").to_owned()
}

/// Enrols `session`'s account; returns the secret and recovery codes.
/// The clock then moves to the next step, so the next login needs a new
/// code (the confirming one is used up).
async fn enrol(app: &TestApp, session: &Session) -> (String, Vec<String>) {
    let secret = start_enrolment(app, session).await;
    let (status, body) = post(
        app,
        "/api/mfa/enrolment/confirm",
        session,
        json!({"code": code_now(app, &secret)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .expect("recovery codes")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    app.shifted.advance(chrono::Duration::seconds(30));
    (secret, codes)
}

async fn audit_actions(app: &TestApp, admin: &Session) -> Vec<(String, String)> {
    let (status, body) = get(app, "/api/audit", admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_owned(),
                e["action"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn has(entries: &[(String, String)], actor: &str, action: &str) -> usize {
    entries
        .iter()
        .filter(|(a, b)| a == actor && b == action)
        .count()
}

on_both_databases! {
#[tokio::test]
async fn enrolment_then_logins_need_a_current_unused_code() {
    captured_logs();
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    add_user(&app, "lead", Role::Admin).await;
    let anna = login(&app, "anna").await;

    let (status, before) = get(&app, "/api/mfa", &anna).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(before["enabled"], false);

    // Start: a secret, its otpauth URI and a QR code as plain SVG.
    let (status, started) = post(&app, "/api/mfa/enrolment", &anna, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let secret = started["secret"].as_str().expect("secret").to_owned();
    let uri = started["otpauth_uri"].as_str().expect("uri");
    assert!(uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")), "{uri}");
    let svg = started["qr_svg"].as_str().expect("svg");
    assert!(svg.contains("<svg") && !svg.contains("<script"), "{svg:.200}");
    // Until confirmed, the password alone still logs in.
    assert_eq!(login_with(&app, "anna", None).await.0, StatusCode::OK);

    // A wrong code does not confirm; the right one does, once.
    let (status, body) = post(&app, "/api/mfa/enrolment/confirm", &anna, json!({"code": wrong_code(&app, &secret)})).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_code")), "{body}");
    let (status, body) = post(&app, "/api/mfa/enrolment/confirm", &anna, json!({"code": code_now(&app, &secret)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes = body["recovery_codes"].as_array().expect("codes");
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::BTreeSet<_> = codes.iter().map(Value::to_string).collect();
    assert_eq!(distinct.len(), 10);
    let (_, now_on) = get(&app, "/api/mfa", &anna).await;
    assert_eq!((now_on["enabled"].clone(), now_on["recovery_codes_left"].clone()), (json!(true), json!(10)));

    app.shifted.advance(chrono::Duration::seconds(30));
    // The password alone is not enough now, and says what is missing.
    let (status, body, session) = login_with(&app, "anna", None).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::UNAUTHORIZED, json!("mfa_required")), "{body}");
    assert!(session.is_none(), "no session without the code");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("code")), "{body}");
    // A wrong code: 401 in Dutch, and counted.
    let (status, body, session) = login_with(&app, "anna", Some(&wrong_code(&app, &secret))).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_code")), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("klopt niet")), "{body}");
    assert!(session.is_none());
    // The right code logs in.
    let code = code_now(&app, &secret);
    let (status, body, session) = login_with(&app, "anna", Some(&code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let with_code = session.expect("a session");
    assert_eq!(get(&app, "/api/queue", &with_code).await.0, StatusCode::OK);
    // The same code again within its step: refused.
    let (status, body, _) = login_with(&app, "anna", Some(&code)).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_code")), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("al gebruikt")), "{body}");

    // Wrong codes share the failed-login throttle: with the replay above,
    // four more make five, and then even the right code waits.
    for _ in 0..4 {
        assert_eq!(login_with(&app, "anna", Some(&wrong_code(&app, &secret))).await.0, StatusCode::UNAUTHORIZED);
    }
    app.shifted.advance(chrono::Duration::seconds(30));
    let (status, body, _) = login_with(&app, "anna", Some(&code_now(&app, &secret))).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::TOO_MANY_REQUESTS, json!("too_many_attempts")), "{body}");

    let lead = login(&app, "lead").await;
    let entries = audit_actions(&app, &lead).await;
    assert_eq!(has(&entries, "staff:anna", "mfa_enrolled"), 1, "{entries:?}");
    // The wrong confirm, the wrong login code, the replay and four more.
    assert_eq!(has(&entries, "staff:anna", "mfa_failed"), 7, "{entries:?}");
    // The secret is in no log line.
    let logs = logs_so_far();
    assert!(!logs.contains(&secret), "the TOTP secret was logged");
}
}

on_both_databases! {
#[tokio::test]
async fn a_recovery_code_logs_in_once() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    add_user(&app, "lead", Role::Admin).await;
    let anna = login(&app, "anna").await;
    let (_, codes) = enrol(&app, &anna).await;

    // Typed back loosely: capitals and spaces for the dashes.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let (status, body, session) = login_with(&app, "anna", Some(&typed)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session = session.expect("a session");
    let (_, left) = get(&app, "/api/mfa", &session).await;
    assert_eq!(left["recovery_codes_left"], 9);
    // The second use is refused, counted as a failed login.
    let (status, body, _) = login_with(&app, "anna", Some(&codes[3])).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_code")), "{body}");
    // Another code still works.
    assert_eq!(login_with(&app, "anna", Some(&codes[4])).await.0, StatusCode::OK);
    // Made-up codes do not.
    assert_eq!(login_with(&app, "anna", Some("aaaa-bbbb-cccc-dddd")).await.0, StatusCode::UNAUTHORIZED);

    let lead = login(&app, "lead").await;
    let entries = audit_actions(&app, &lead).await;
    assert_eq!(has(&entries, "staff:anna", "recovery_code_used"), 2, "{entries:?}");
    assert_eq!(has(&entries, "staff:anna", "mfa_failed"), 2, "{entries:?}");
}
}

on_both_databases! {
#[tokio::test]
async fn require_mfa_lets_an_account_without_it_only_enrol() {
    let app = spawn_app_with(tuesday_morning(), |settings| settings.staff.require_mfa = true).await;
    add_user(&app, "anna", Role::Staff).await;

    let (status, body, session) = login_with(&app, "anna", None).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::FORBIDDEN, json!("mfa_enrolment_required")), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("tweestapsverificatie")), "{body}");
    let enrolling = session.expect("an enrolment-only session");
    // Nothing else until enrolled: not the queue, not the session info.
    for path in ["/api/queue", "/api/session", "/api/staff"] {
        let (status, body) = get(&app, path, &enrolling).await;
        assert_eq!((status, body["error"].clone()), (StatusCode::FORBIDDEN, json!("mfa_enrolment_required")), "{path}: {body}");
    }
    let (status, _) = post(&app, "/api/conversations/1/claim", &enrolling, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Enrolling turns this session into a full one.
    let (secret, _) = enrol(&app, &enrolling).await;
    assert_eq!(get(&app, "/api/queue", &enrolling).await.0, StatusCode::OK);
    // Switching it off is not allowed here.
    let (status, body) = post(&app, "/api/mfa/disable", &enrolling, json!({"code": code_now(&app, &secret)})).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::CONFLICT, json!("mfa_required_by_policy")), "{body}");
    // From now on a login needs the code, as everywhere.
    assert_eq!(login_with(&app, "anna", None).await.0, StatusCode::UNAUTHORIZED);
    let (status, body, _) = login_with(&app, "anna", Some(&code_now(&app, &secret))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["username"], "anna");
}
}

on_both_databases! {
#[tokio::test]
async fn switching_off_needs_a_current_code_and_the_admin_can_reset_it() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    add_user(&app, "lead", Role::Admin).await;
    let anna = login(&app, "anna").await;
    let (secret, _) = enrol(&app, &anna).await;
    let (status, body) = post(&app, "/api/mfa/disable", &anna, json!({"code": wrong_code(&app, &secret)})).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_code")), "{body}");
    let (status, body) = post(&app, "/api/mfa/disable", &anna, json!({"code": code_now(&app, &secret)})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(login_with(&app, "anna", None).await.0, StatusCode::OK);

    // Enrolled again, then reset by the admin on the server: the second
    // factor is gone and so are the sessions.
    let anna = login(&app, "anna").await;
    let (_, _) = enrol(&app, &anna).await;
    assert_eq!(login_with(&app, "anna", None).await.0, StatusCode::UNAUTHORIZED);
    let command = loket::cli::user::UserCommand::ResetMfa { name: "anna".to_owned() };
    loket::cli::user::run(&command, &app.settings, app.clock.now()).await.expect("reset-mfa");
    assert_eq!(get(&app, "/api/session", &anna).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(login_with(&app, "anna", None).await.0, StatusCode::OK);
    let unknown = loket::cli::user::UserCommand::ResetMfa { name: "nobody".to_owned() };
    assert!(loket::cli::user::run(&unknown, &app.settings, app.clock.now()).await.is_err());

    let lead = login(&app, "lead").await;
    let entries = audit_actions(&app, &lead).await;
    assert_eq!(has(&entries, "cli", "mfa_reset"), 1, "{entries:?}");
    assert_eq!(has(&entries, "staff:anna", "mfa_disabled"), 1, "{entries:?}");
}
}

on_both_databases! {
#[tokio::test]
async fn log_out_everywhere_ends_every_session_of_the_account_and_its_streams() {
    let app = spawn_app_at(tuesday_morning()).await;
    add_user(&app, "anna", Role::Staff).await;
    add_user(&app, "bram", Role::Staff).await;
    let desk = login(&app, "anna").await;
    let laptop = login(&app, "anna").await;
    let bram = login(&app, "bram").await;
    let mut stream = app
        .http
        .get(app.url("/api/events"))
        .header("cookie", &desk.cookie)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    let first = stream.chunk().await.expect("first chunk").expect("data");
    assert!(String::from_utf8_lossy(&first).contains("connected"));

    let (status, _) = call(&app, Method::DELETE, "/api/sessions", Some(&laptop), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for session in [&desk, &laptop] {
        assert_eq!(get(&app, "/api/session", session).await.0, StatusCode::UNAUTHORIZED);
    }
    // The desk's stream ends now, well before its 15-second session check.
    let ended = tokio::time::timeout(Duration::from_secs(3), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived log out everywhere");
    // Someone else's session is untouched.
    assert_eq!(get(&app, "/api/session", &bram).await.0, StatusCode::OK);
}
}

on_both_databases! {
#[tokio::test]
async fn a_session_ends_when_idle_too_long_and_at_its_lifetime_however_busy() {
    // The shipped settings: idle 2h, lifetime 12h.
    let app = spawn_app_at(tuesday_morning()).await;
    assert_eq!(app.settings.staff.session_idle.0, Duration::from_secs(2 * 3600));
    assert_eq!(app.settings.staff.session_lifetime.0, Duration::from_secs(12 * 3600));
    add_user(&app, "anna", Role::Staff).await;

    let idle = login(&app, "anna").await;
    app.shifted.advance(chrono::Duration::minutes(119));
    assert_eq!(get(&app, "/api/session", &idle).await.0, StatusCode::OK, "used within 2h");
    app.shifted.advance(chrono::Duration::minutes(121));
    assert_eq!(get(&app, "/api/session", &idle).await.0, StatusCode::UNAUTHORIZED, "unused for 2h01");

    let busy = login(&app, "anna").await;
    for _ in 0..7 {
        app.shifted.advance(chrono::Duration::minutes(100));
        assert_eq!(get(&app, "/api/session", &busy).await.0, StatusCode::OK, "used every 1h40");
    }
    // 11h40 so far; at 12h20 it has ended although used 40 minutes ago.
    app.shifted.advance(chrono::Duration::minutes(40));
    assert_eq!(get(&app, "/api/session", &busy).await.0, StatusCode::UNAUTHORIZED, "past its lifetime");
}
}
