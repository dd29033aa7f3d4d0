//! Single sign-on against a real OpenID provider: the OpenID-certified
//! `oidc-provider` from npm, started on loopback by
//! `tests/oidc/provider.mjs` (users anna: loket-staff, bert:
//! loket-admins, carla: no group). The tests drive its login form over
//! HTTP with cookies and a form POST, as a browser would, and check each
//! refusal's message.
//!
//! Without node or `tests/oidc/node_modules` the provider tests print
//! "single sign-on test skipped: ..." and pass, unless `LOKET_SSO_TEST`
//! is `required` (as in `.ci/run`), when they fail and say what to install.

use crate::helpers::*;
use loket::clock::{Clock, SystemClock};
use loket::config::SsoSettings;
use loket::db::AuditFilter;
use reqwest::StatusCode;
use secrecy::SecretString;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long the test provider may take to start on a busy machine.
const PROVIDER_START: Duration = Duration::from_secs(60);

/// Loket's client secret at the test provider.
pub(crate) const CLIENT_SECRET: &str = "test-sso-client-secret";

fn oidc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// The test provider, killed when dropped.
pub(crate) struct Provider {
    child: Child,
    /// Kept open: the provider may print more than its issuer.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    pub issuer: String,
    http: reqwest::Client,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider for a Loket whose callback is `redirect_url`;
    /// `None` (after saying why) when it cannot run here and is not
    /// required.
    pub(crate) fn start_or_skip(redirect_url: &str) -> Option<Provider> {
        if let Err(why) = prerequisites() {
            if std::env::var("LOKET_SSO_TEST").as_deref() == Ok("required") {
                panic!(
                    "the single sign-on test is required (LOKET_SSO_TEST=required) but cannot run: {why}.\n\
                     Install what it needs with:\n  \
                     apt-get install -y nodejs npm\n  \
                     npm ci --prefix tests/oidc"
                );
            }
            eprintln!("single sign-on test skipped: {why}");
            return None;
        }
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .arg("--redirect-uri")
            .arg(redirect_url)
            .arg("--secret")
            .arg(CLIENT_SECRET)
            .current_dir(oidc_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts the provider");
        let stdout = child.stdout.take().expect("provider's stdout");
        // Read on a thread, so a provider that never prints fails the test
        // after a while instead of blocking it for ever.
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = std::io::BufReader::new(stdout);
            let mut line = String::new();
            let read = stdout.read_line(&mut line).map(|_| line);
            let _ = sender.send((read, stdout));
        });
        let (line, stdout) = match receiver.recv_timeout(PROVIDER_START) {
            Ok((Ok(line), stdout)) => (line, stdout),
            Ok((Err(error), _)) => panic!("reading the provider's issuer: {error}"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the test provider printed no issuer within {PROVIDER_START:?}");
            }
        };
        let issuer = line.trim().to_owned();
        assert!(issuer.starts_with("http://127.0.0.1:"), "issuer {issuer:?}");
        Some(Provider {
            child,
            _stdout: stdout,
            issuer,
            http: test_client(),
        })
    }

    /// A test-only switch of the provider (see provider.mjs).
    pub(crate) async fn admin(&self, path: &str, body: serde_json::Value) {
        let response = self
            .http
            .post(format!("{}/admin/{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("provider admin request");
        assert_eq!(response.status(), 204, "admin/{path}");
    }

    /// Loket's `[sso]` settings for this provider.
    pub(crate) fn settings(&self, redirect_url: &str) -> SsoSettings {
        SsoSettings {
            issuer: self.issuer.clone(),
            client_id: "loket".to_owned(),
            redirect_url: redirect_url.parse().expect("a URL"),
            name: "Testdienst".to_owned(),
            roles_claim: "groups".to_owned(),
            roles: BTreeMap::from([
                ("loket-staff".to_owned(), loket::accounts::Role::Staff),
                ("loket-admins".to_owned(), loket::accounts::Role::Admin),
            ]),
            scopes: vec!["profile".to_owned(), "email".to_owned()],
            recheck: Duration::from_secs(15 * 60),
            client_secret: Some(SecretString::from(CLIENT_SECRET)),
        }
    }
}

fn prerequisites() -> Result<(), String> {
    if !node_on_path() {
        return Err("node is not on PATH".to_owned());
    }
    if !oidc_dir()
        .join("node_modules/oidc-provider/package.json")
        .is_file()
    {
        return Err("tests/oidc/node_modules has no oidc-provider".to_owned());
    }
    Ok(())
}

/// Loket with single sign-on at the test provider, its clock at the real
/// time (the provider's tokens carry real times).
async fn loket_with_provider(
    adjust: impl FnOnce(&mut loket::config::Settings),
) -> Option<(TestApp, Provider)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().expect("address").port();
    let redirect = format!("http://127.0.0.1:{port}/staff/sso/callback");
    let provider = Provider::start_or_skip(&redirect)?;
    let sso = provider.settings(&redirect);
    let app = spawn_app_on(listener, SystemClock.now(), |settings| {
        settings.sso = Some(sso);
        adjust(settings);
    })
    .await;
    Some((app, provider))
}

/// A browser, as far as these tests need one: cookies per host and port,
/// redirects followed by hand so each step can be looked at.
struct Browser {
    http: reqwest::Client,
    cookies: HashMap<String, BTreeMap<String, String>>,
}

impl Browser {
    fn new() -> Self {
        Self {
            http: client_without_redirects(),
            cookies: HashMap::new(),
        }
    }

    fn origin(url: &reqwest::Url) -> String {
        format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        )
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let mut request = request.build().expect("a request");
        let jar = self.cookies.entry(Self::origin(request.url())).or_default();
        if !jar.is_empty() {
            let header = jar
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers_mut()
                .insert("cookie", header.parse().expect("a header"));
        }
        let response = self.http.execute(request).await.expect("request");
        let jar = self
            .cookies
            .entry(Self::origin(response.url()))
            .or_default();
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap_or_default();
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let removed = set.to_ascii_lowercase().contains("max-age=0");
                if value.is_empty() || removed {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        response
    }

    async fn get(&mut self, url: &str) -> reqwest::Response {
        let request = self.http.get(url);
        self.send(request).await
    }

    fn cookie(&self, url: &str, name: &str) -> Option<String> {
        let url = reqwest::Url::parse(url).expect("a URL");
        self.cookies.get(&Self::origin(&url))?.get(name).cloned()
    }
}

fn location(response: &reqwest::Response) -> String {
    let base = response.url().clone();
    let location = response.headers()["location"].to_str().expect("a location");
    base.join(location).expect("a location URL").to_string()
}

/// Clicks "log in with single sign-on" and logs in at the provider as
/// `user`: the callback URL the provider sends the browser back to, not
/// yet followed.
async fn provider_login(app: &TestApp, browser: &mut Browser, user: &str) -> String {
    let start = browser.get(&app.url("/staff/sso/start")).await;
    assert_eq!(start.status(), 302, "start");
    let authorize = location(&start);
    assert!(authorize.contains("code_challenge="), "PKCE: {authorize}");
    assert!(authorize.contains("nonce="), "nonce: {authorize}");
    let to_login = browser.get(&authorize).await;
    assert!(to_login.status().is_redirection(), "{}", to_login.status());
    let form_url = location(&to_login);
    let form = browser.get(&form_url).await;
    assert_eq!(form.status(), 200);
    let login = browser
        .http
        .post(format!("{form_url}/login"))
        .form(&[("login", user)]);
    let back_to_auth = browser.send(login).await;
    assert!(
        back_to_auth.status().is_redirection(),
        "{}",
        back_to_auth.status()
    );
    let auth = location(&back_to_auth);
    let to_loket = browser.get(&auth).await;
    assert!(to_loket.status().is_redirection(), "{}", to_loket.status());
    let callback = location(&to_loket);
    assert!(
        callback.starts_with(&app.url("/staff/sso/callback")),
        "{callback}"
    );
    callback
}

/// A new browser logged in at the provider as `user`, and the callback.
async fn at_provider(app: &TestApp, user: &str) -> (Browser, String) {
    let mut browser = Browser::new();
    let callback = provider_login(app, &mut browser, user).await;
    (browser, callback)
}

/// Follows the callback; the response and its body.
async fn finish(browser: &mut Browser, callback: &str) -> (StatusCode, String, Option<String>) {
    let response = browser.get(callback).await;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, response.text().await.expect("a body"), location)
}

impl Browser {
    /// Follows the callback and checks that it is refused as `expected`:
    /// (status, the code in the audit log, a sentence of the page); and
    /// that there is no session.
    async fn refused(&mut self, app: &TestApp, callback: &str, expected: (u16, &str, &str)) {
        let (status, code, message) = expected;
        let (got, body, _) = finish(self, callback).await;
        assert_eq!(got, status, "{body}");
        assert!(body.contains(message), "expected {message:?} in {body}");
        assert!(
            self.cookie(&app.url(""), "loket_session").is_none(),
            "a refused login has no session"
        );
        let newest = audit(app, "login_refused").await;
        assert_eq!(
            newest.first().and_then(|e| e.detail.as_deref()),
            Some(code),
            "{newest:?}"
        );
    }
}

/// The query parameter `key` of `url`.
fn param(url: &str, key: &str) -> String {
    reqwest::Url::parse(url)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {key} in {url}"))
}

/// `url` with its query parameter `key` set to `value`.
fn with_param(url: &str, key: &str, value: &str) -> String {
    let mut url = reqwest::Url::parse(url).expect("a URL");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == key {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

/// `GET /api/session` with the browser's cookies.
async fn session(app: &TestApp, browser: &mut Browser) -> (StatusCode, serde_json::Value) {
    let response = browser.get(&app.url("/api/session")).await;
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

async fn audit(app: &TestApp, action: &str) -> Vec<loket::db::AuditEntry> {
    app.store()
        .audit_log_filtered(
            &AuditFilter {
                action: Some(action.to_owned()),
                ..AuditFilter::default()
            },
            100,
        )
        .await
        .expect("audit log")
}

on_both_databases! {
#[tokio::test]
async fn staff_log_in_with_the_role_their_group_maps_to() {
    let Some((app, _provider)) = loket_with_provider(|_| {}).await else {
        return;
    };
    // The login form learns of the button here.
    let options = json_of(app.http.get(app.url("/api/login-options"))).await;
    assert_eq!(
        options,
        serde_json::json!({"passwords": true, "sso": {"label": "Testdienst", "start": "/staff/sso/start"}})
    );
    for (user, role) in [("anna", "staff"), ("bert", "admin")] {
        let mut browser = Browser::new();
        let callback = provider_login(&app, &mut browser, user).await;
        let (status, body, location) = finish(&mut browser, &callback).await;
        assert_eq!(status, 302, "{user}: {body}");
        assert_eq!(location.as_deref(), Some("/staff"));
        assert!(browser.cookie(&app.url(""), "loket_session").is_some());
        assert!(
            browser.cookie(&app.url(""), "loket_sso_state").is_none(),
            "the state cookie is cleared"
        );
        let (status, me) = session(&app, &mut browser).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["username"], user);
        assert_eq!(me["role"], role);
    }
    // Made on the first login, without a password.
    let anna = app.store().user("anna").await.expect("read").expect("anna");
    assert_eq!(anna.role, loket::accounts::Role::Staff);
    let password = app
        .http
        .post(app.url("/api/session"))
        .json(&serde_json::json!({"username": "anna", "password": ""}))
        .send()
        .await
        .expect("login request");
    assert_eq!(password.status(), 401, "an SSO account has no password");
    let logins = audit(&app, "login").await;
    assert_eq!(logins.len(), 2, "{logins:?}");
    assert!(
        logins.iter().all(|e| e.detail.as_deref() == Some("sso")),
        "{logins:?}"
    );

    // A second login finds the same account.
    let (mut browser, callback) = at_provider(&app, "anna").await;
    assert_eq!(finish(&mut browser, &callback).await.0, 302);
    assert_eq!(app.store().users().await.expect("users").len(), 2);
}
}

#[tokio::test]
async fn a_user_in_no_mapped_group_is_refused_with_a_clear_message() {
    let Some((app, _provider)) = loket_with_provider(|_| {}).await else {
        return;
    };
    let (mut browser, callback) = at_provider(&app, "carla").await;
    let (status, body, _) = finish(&mut browser, &callback).await;
    assert_eq!(status, 403);
    for message in [
        "U hebt geen toegang tot Loket; vraag uw beheerder",
        "You have no access to Loket",
    ] {
        assert!(body.contains(message), "{body}");
    }
    assert!(browser.cookie(&app.url(""), "loket_session").is_none());
    assert!(app.store().user("carla").await.expect("read").is_none());
    let refused = audit(&app, "login_refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].detail.as_deref(), Some("sso_no_access"));
}

on_both_databases! {
#[tokio::test]
async fn removal_from_the_group_ends_the_session_at_the_recheck_and_refuses_the_next_login() {
    let Some((app, provider)) = loket_with_provider(|_| {}).await else {
        return;
    };
    let (mut browser, callback) = at_provider(&app, "anna").await;
    assert_eq!(finish(&mut browser, &callback).await.0, 302);

    // Still in the group: the recheck after 16 minutes keeps the session.
    app.shifted.advance(chrono::Duration::minutes(16));
    assert_eq!(session(&app, &mut browser).await.0, 200, "recheck passed");

    provider
        .admin("groups", serde_json::json!({"user": "anna", "groups": []}))
        .await;
    // Until the next recheck is due, the session goes on.
    assert_eq!(session(&app, &mut browser).await.0, 200);
    app.shifted.advance(chrono::Duration::minutes(16));
    let (status, body) = session(&app, &mut browser).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        session(&app, &mut browser).await.0,
        401,
        "the session is gone"
    );
    let ended = audit(&app, "session_ended").await;
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].actor, "staff:anna");
    assert_eq!(ended[0].detail.as_deref(), Some("sso_no_access"));

    // And the next login is refused.
    let (mut browser, callback) = at_provider(&app, "anna").await;
    browser.refused(&app, &callback, (403, "sso_no_access", "U hebt geen toegang tot Loket")).await;
}
}

#[tokio::test]
async fn a_tampered_state_is_refused() {
    let Some((app, _provider)) = loket_with_provider(|_| {}).await else {
        return;
    };
    let (mut browser, callback) = at_provider(&app, "anna").await;
    let state = format!("{}x", param(&callback, "state"));
    let tampered = with_param(&callback, "state", &state);
    browser
        .refused(
            &app,
            &tampered,
            (
                400,
                "sso_state",
                "Deze inlogpoging is verlopen, al gebruikt of niet van deze browser",
            ),
        )
        .await;

    // A callback from another browser (no state cookie) is refused too.
    let mut other = Browser::new();
    let callback = provider_login(&app, &mut browser, "anna").await;
    other
        .refused(&app, &callback, (400, "sso_state", "niet van deze browser"))
        .await;
}

#[tokio::test]
async fn an_id_token_for_another_client_is_refused() {
    let Some((app, provider)) = loket_with_provider(|_| {}).await else {
        return;
    };
    provider
        .admin(
            "id-token-audience",
            serde_json::json!({"audience": "other-client"}),
        )
        .await;
    let (mut browser, callback) = at_provider(&app, "anna").await;
    browser
        .refused(
            &app,
            &callback,
            (400, "sso_audience", "is niet voor Loket bestemd"),
        )
        .await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let Some((app, provider)) = loket_with_provider(|_| {}).await else {
        return;
    };
    provider
        .admin("id-token-ttl", serde_json::json!({"seconds": 60}))
        .await;
    let (mut browser, callback) = at_provider(&app, "anna").await;
    // Loket's clock past the token's expiry (but within the login's ten
    // minutes, so the state itself is still good).
    app.shifted.advance(chrono::Duration::minutes(5));
    browser
        .refused(
            &app,
            &callback,
            (
                400,
                "sso_expired",
                "Het bewijs van de inlogdienst is verlopen",
            ),
        )
        .await;
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let Some((app, _provider)) = loket_with_provider(|_| {}).await else {
        return;
    };
    let (mut browser, callback) = at_provider(&app, "anna").await;
    assert_eq!(finish(&mut browser, &callback).await.0, 302);

    // The same answer again (in a browser without the session): its
    // state was used.
    let mut again = Browser::new();
    again.cookies = browser.cookies.clone();
    again.cookies.values_mut().for_each(|jar| {
        jar.remove("loket_session");
    });
    again
        .refused(&app, &callback, (400, "sso_state", "al gebruikt"))
        .await;

    // The old code with a fresh state of this browser: Loket asks the
    // provider, which refuses the used code (invalid_grant).
    let mut attacker = Browser::new();
    let start = attacker.get(&app.url("/staff/sso/start")).await;
    let fresh_state = param(&location(&start), "state");
    let replay = with_param(&callback, "state", &fresh_state);
    attacker
        .refused(
            &app,
            &replay,
            (
                400,
                "sso_code_refused",
                "De inlogdienst weigerde de inlogcode",
            ),
        )
        .await;
}

#[tokio::test]
async fn a_flood_of_login_starts_from_one_address_is_cut_off() {
    let Some((app, _provider)) = loket_with_provider(|_| {}).await else {
        return;
    };
    let mut browser = Browser::new();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(
            browser
                .get(&app.url("/staff/sso/start"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses[..10], [302; 10], "{statuses:?}");
    assert_eq!(statuses[10..], [429; 2], "{statuses:?}");
    let page = browser.get(&app.url("/staff/sso/start")).await;
    assert!(
        page.text()
            .await
            .expect("body")
            .contains("Te veel inlogpogingen")
    );
}

#[tokio::test]
async fn password_login_can_be_switched_off_and_sso_answers_404_when_not_set_up() {
    let app = spawn_app_with(tuesday_morning(), |settings| {
        settings.staff.local_passwords = false;
    })
    .await;
    let response = app
        .http
        .post(app.url("/api/session"))
        .json(&serde_json::json!({"username": "anna", "password": "x"}))
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), 403);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "password_login_off");
    let options = json_of(app.http.get(app.url("/api/login-options"))).await;
    assert_eq!(
        options,
        serde_json::json!({"passwords": false, "sso": null})
    );

    let response = app
        .http
        .get(app.url("/staff/sso/start"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("niet ingesteld"),
        "says why"
    );
}

on_both_databases! {
#[tokio::test]
async fn a_login_under_way_is_taken_once_and_a_recheck_is_claimed_once() {
    use loket::accounts::Role;
    use loket::db::PendingSsoLogin;
    let app = spawn_app_at(tuesday_morning()).await;
    let store = app.store();
    let now = app.clock.now();
    let pending = PendingSsoLogin {
        nonce: "nonce".to_owned(),
        pkce_verifier: "verifier".to_owned(),
        expires_at: now + chrono::Duration::minutes(10),
    };
    store.add_sso_login("state-hash", &pending, now).await.expect("stored");
    let (first, second) = tokio::join!(
        store.take_sso_login("state-hash"),
        store.take_sso_login("state-hash")
    );
    let taken: Vec<PendingSsoLogin> = [first, second]
        .into_iter()
        .filter_map(|r| r.expect("taken"))
        .collect();
    assert_eq!(taken.len(), 1, "a state works once");
    assert_eq!(taken[0].pkce_verifier, "verifier");

    let anna = store
        .add_sso_user("anna", Role::Staff, "issuer|1", now)
        .await
        .expect("stored")
        .expect("a new account");
    assert!(
        store
            .add_sso_user("anna", Role::Admin, "issuer|2", now)
            .await
            .expect("stored")
            .is_none(),
        "the name is taken"
    );
    let found = store.sso_user("issuer|1").await.expect("read").expect("anna");
    assert_eq!((found.id, found.role), (anna.id, Role::Staff));
    assert!(store.sso_user("issuer|2").await.expect("read").is_none());

    store
        .create_session(&anna, "token-hash", "csrf", now, now + chrono::Duration::hours(1))
        .await
        .expect("session");
    store
        .mark_sso_session("token-hash", Some("refresh"), now)
        .await
        .expect("marked");
    let every = chrono::Duration::minutes(15);
    assert_eq!(
        store.claim_sso_recheck("token-hash", now - every, now).await.expect("claim"),
        None,
        "not due yet"
    );
    let later = now + chrono::Duration::minutes(20);
    let (first, second) = tokio::join!(
        store.claim_sso_recheck("token-hash", later - every, later),
        store.claim_sso_recheck("token-hash", later - every, later)
    );
    let claims: Vec<Option<String>> = [first, second]
        .into_iter()
        .filter_map(|r| r.expect("claim"))
        .collect();
    assert_eq!(claims, vec![Some("refresh".to_owned())], "one request asks the provider");
}
}
