//! Behind a reverse proxy on the same machine: the proxy talks to Loket
//! from 127.0.0.2 (listed in `trusted_proxies`), a direct client from
//! 127.0.0.1 (not listed). Both are loopback; only the proxy's forwarded
//! headers count.

use crate::helpers::*;
use loket::accounts::{self, Role};
use loket::config::TrustedProxies;
use reqwest::StatusCode;
use serde_json::json;
use std::net::IpAddr;

const PASSWORD: &str = "een-lang-wachtwoord-42";
const PROXY: &str = "127.0.0.2";
const DIRECT: &str = "127.0.0.1";
const ATTACKER: &str = "203.0.113.7";
const COLLEAGUE: &str = "198.51.100.23";

async fn behind_a_proxy() -> TestApp {
    let app = spawn_app_with(tuesday_morning(), |settings| {
        settings.trusted_proxies = TrustedProxies::parse(&[PROXY.to_owned()]).expect("valid");
        settings.metrics_token = None;
    })
    .await;
    for (name, role) in [("anna", Role::Staff), ("lead", Role::Admin)] {
        accounts::create(app.store(), name, role, PASSWORD, app.clock.now())
            .await
            .expect("account created");
    }
    app
}

/// An HTTP client whose connections come from `source`.
fn from(source: &str) -> reqwest::Client {
    client_builder()
        .local_address(source.parse::<IpAddr>().expect("an address"))
        .build()
        .expect("client")
}

/// A login through `client`, saying the request is for `forwarded_for`.
async fn login(
    app: &TestApp,
    client: &reqwest::Client,
    forwarded_for: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/session"))
        .header("x-forwarded-for", forwarded_for)
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login request")
}

/// Twenty failed logins for twenty names (so no account limit is hit),
/// all for `forwarded_for`.
async fn twenty_bad_logins(app: &TestApp, client: &reqwest::Client, forwarded_for: &str) {
    for attempt in 0..20 {
        let response = login(
            app,
            client,
            forwarded_for,
            &format!("gok{attempt}"),
            "fout-wachtwoord-1",
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
}

on_both_databases! {
#[tokio::test]
async fn behind_a_trusted_proxy_one_address_cannot_lock_out_another() {
    let app = behind_a_proxy().await;
    let proxy = from(PROXY);
    twenty_bad_logins(&app, &proxy, ATTACKER).await;
    // The attacker's own address is now throttled...
    let blocked = login(&app, &proxy, ATTACKER, "anna", PASSWORD).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...and a colleague behind the same proxy logs in as usual.
    let colleague = login(&app, &proxy, COLLEAGUE, "anna", PASSWORD).await;
    assert_eq!(colleague.status(), StatusCode::OK);
    let secure = set_cookie(&colleague);
    assert!(secure.contains("Secure"), "the trusted proxy said https: {secure}");

    // The audit log names the forwarded addresses, not the proxy's.
    let lead = login(&app, &proxy, COLLEAGUE, "lead", PASSWORD).await;
    assert_eq!(lead.status(), StatusCode::OK);
    let cookie = session_cookie(&lead).expect("session cookie");
    let audit = json_of(
        proxy
            .get(app.url("/api/audit"))
            .header("cookie", cookie)
            .header("x-forwarded-for", COLLEAGUE),
    )
    .await;
    let entries = audit["entries"].as_array().expect("entries");
    let client_of = |actor: &str, action: &str| {
        entries
            .iter()
            .filter(|e| e["actor"] == actor && e["action"] == action)
            .map(|e| e["client"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(client_of("staff:anna", "login"), vec![COLLEAGUE.to_owned()]);
    // The twenty names are no account's: each is logged as "(unknown)".
    assert_eq!(
        client_of("login:(unknown)", "login_failed"),
        vec![ATTACKER.to_owned(); 20]
    );
    assert!(
        entries.iter().all(|e| e["client"] != PROXY),
        "no entry is the proxy's own: {entries:?}"
    );
}
}

on_both_databases! {
#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = behind_a_proxy().await;
    let direct = from(DIRECT);
    twenty_bad_logins(&app, &direct, ATTACKER).await;
    // Whatever it claims, the direct client is 127.0.0.1, and that
    // address has used up its attempts.
    let claimed_other = login(&app, &direct, COLLEAGUE, "anna", PASSWORD).await;
    assert_eq!(claimed_other.status(), StatusCode::TOO_MANY_REQUESTS);
    // Through the proxy the colleague's address is still free...
    let through_proxy = login(&app, &from(PROXY), COLLEAGUE, "anna", PASSWORD).await;
    assert_eq!(through_proxy.status(), StatusCode::OK);
}
}

#[tokio::test]
async fn an_untrusted_https_claim_does_not_make_the_cookie_secure() {
    let app = behind_a_proxy().await;
    let response = login(&app, &from(DIRECT), COLLEAGUE, "anna", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = crate::helpers::set_cookie(&response);
    assert!(set_cookie.starts_with("loket_session="), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
}

#[tokio::test]
async fn metrics_without_a_token_are_refused_through_the_proxy() {
    let app = behind_a_proxy().await;
    let proxy = from(PROXY);
    for forwarded in [None, Some(DIRECT), Some("::1")] {
        let mut request = proxy.get(app.url("/metrics"));
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        let response = request.send().await.expect("metrics");
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "through the proxy, forwarding {forwarded:?}"
        );
    }
    // A direct client on this machine still gets them.
    let direct = from(DIRECT)
        .get(app.url("/metrics"))
        .header("x-forwarded-for", ATTACKER)
        .send()
        .await
        .expect("metrics");
    assert_eq!(direct.status(), StatusCode::OK);
}
