//! Logging in and out. A login always starts a fresh session (a cookie
//! planted before login is worthless: no session fixation), failed logins
//! are counted per account name and per client address, and a wrong name
//! costs as much time as a wrong password.
//! An account with a second factor also gives a code (`code`); one that
//! must have one and has none (`[staff] require_mfa`) gets a session
//! that may only set it up (see `mfa`).

use super::error::{ApiError, ErrorBody};
use crate::accounts::mfa::SecondFactor;
use crate::accounts::{self, Account, password, token};
use crate::config::SecureCookie;
use crate::web::AppState;
use crate::web::auth::{Enrolling, SESSION_COOKIE, Staff, enrolment_required, session_hash};
use crate::web::client::Client;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Login {
    /// An account name: 2 to 40 characters, letters, digits, '.', '-' or
    /// '_', starting with a letter; read in lower case, spaces around it
    /// ignored. Anything else is refused with 400 before any lookup.
    #[schema(pattern = r"^ *[A-Za-z][A-Za-z0-9._-]{1,39} *$")]
    pub username: String,
    pub password: String,
    /// The code from the authenticator app (or a recovery code), for an
    /// account with a second factor. Without it such a login is answered
    /// 401 `mfa_required`.
    pub code: Option<String>,
}

/// What the page needs after logging in (and after a reload).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub username: String,
    /// `staff`, `editor` or `admin`.
    pub role: &'static str,
    /// Send it back as `X-CSRF-Token` on every call that changes something.
    pub csrf_token: String,
    /// The topics a conversation can be closed with.
    pub topics: Vec<String>,
}

fn info(state: &AppState, account: &Account, csrf_token: String) -> SessionInfo {
    SessionInfo {
        username: account.username.clone(),
        role: account.role.as_str(),
        csrf_token,
        topics: state.settings.queue.topics.clone(),
    }
}

/// A login name that cannot be an account name.
fn bad_name() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_username",
        format!(
            "Een gebruikersnaam heeft 2 tot {} tekens: kleine letters, cijfers, '.', '-' of '_', en begint met een letter.",
            accounts::MAX_USERNAME
        ),
    )
}

/// What a failed or throttled login is logged as: the account's name, or
/// a fixed word when no account has the typed name. A password typed
/// into the name field is a valid-looking name often enough; it must not
/// be kept in the logs or the audit log.
fn logged_name(known: bool, username: &str) -> &str {
    if known { username } else { UNKNOWN_NAME }
}

/// Stands for a typed name that is no account's.
const UNKNOWN_NAME: &str = "(unknown)";

/// The audit actor of a failed or throttled login (see [`logged_name`]).
fn failed_login_actor(known: bool, username: &str) -> String {
    format!("login:{}", logged_name(known, username))
}

/// `Auto`: Secure when the client came in over https, as a trusted proxy
/// reports it (a header from anyone else is not believed).
pub(crate) fn secure(client: &Client, setting: SecureCookie) -> bool {
    match setting {
        SecureCookie::Always => true,
        SecureCookie::Never => false,
        SecureCookie::Auto => client.https,
    }
}

fn session_cookie(value: String, secure: bool, max_age: Option<i64>) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish();
    if let Some(seconds) = max_age {
        cookie.set_max_age(actix_web::cookie::time::Duration::seconds(seconds));
    }
    cookie
}

/// Log in.
///
/// Starts a fresh session and sets the `loket_session` cookie (HttpOnly,
/// SameSite=Strict). Failed logins are counted per account name and per
/// client address (behind a trusted proxy: the address it forwards); too
/// many within `[staff] login_window` are refused with 429 until the
/// window has passed.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = Login, responses(
    (status = 200, description = "Logged in", body = SessionInfo,
        headers(("Set-Cookie" = String, description = "The session cookie `loket_session`"))),
    (status = 400, description = "The name cannot be an account name (`invalid_username`: 2 to 40 characters, lower case letters, digits, '.', '-' or '_', starting with a letter), or the body is not a login (`invalid`)", body = ErrorBody),
    (status = 401, description = "Wrong name or password (`invalid_credentials`); the account has a second factor and no `code` was given (`mfa_required`); the code is wrong, expired or used (`invalid_code`)", body = ErrorBody),
    (status = 403, description = "Right password, but the account must first set up a second factor (`mfa_enrolment_required`, `[staff] require_mfa`): the session set may only do that; `csrf_token` is in the body. Or password login is off (`[staff] local_passwords = false`): staff log in with single sign-on (`password_login_off`)", body = ErrorBody,
        headers(("Set-Cookie" = String, description = "The enrolment-only session cookie `loket_session`"))),
    (status = 429, description = "Too many failed attempts (`too_many_attempts`, with `retry_after_seconds`)",
        body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Login>,
) -> Result<HttpResponse, ApiError> {
    if !state.settings.staff.local_passwords {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "password_login_off",
            "Inloggen met een wachtwoord staat uit. Log in met de knop voor eenmalige aanmelding (single sign-on).",
        ));
    }
    let Login {
        username,
        password,
        code,
    } = body.into_inner();
    // Before any lookup, count or log: a name that cannot be an account
    // name is refused as it is (no database row, no log line, no audit
    // entry for it).
    let username = accounts::login_name(&username).map_err(|_| bad_name())?;
    let settings = &state.settings.staff;
    let now = state.clock.now();
    let window = chrono::Duration::from_std(settings.login_window.0)
        .unwrap_or(chrono::Duration::minutes(15));
    let from = Client::of(&req, &state.settings);
    let client = from.key();
    let (by_name, by_client) = state
        .store
        .login_failures(&username, &client, now - window)
        .await?;
    let limit = i64::from(settings.login_attempts);
    // One address may try a few names (a shared office IP), not endlessly.
    if by_name >= limit || by_client >= limit * 4 {
        let oldest = state
            .store
            .oldest_login_failure(&username, &client, now - window)
            .await?
            .unwrap_or(now);
        let wait = (oldest + window - now).num_seconds().max(1);
        let known = state.store.user(&username).await?.is_some();
        tracing::warn!(username = ?logged_name(known, &username), client = %client, "login refused: too many failed attempts");
        super::audit::record_from(
            &state,
            &failed_login_actor(known, &username),
            "login_throttled",
            &client,
        )
        .await;
        return Err(ApiError::too_many_attempts(wait));
    }
    let found = state.store.user_for_login(&username).await?;
    let (account, hash) = match found {
        Some((account, hash)) if !account.disabled => (Some(account), hash),
        _ => (None, password::dummy_hash().to_owned()),
    };
    // argon2 takes tens of milliseconds of CPU: keep it off the async threads.
    let matches = web::block(move || password::verify(&password, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    let known = account.is_some();
    let account = match account {
        Some(account) if matches => account,
        _ => {
            state
                .store
                .record_login_failure(&username, &client, now, now - window)
                .await?;
            tracing::warn!(username = ?logged_name(known, &username), client = %client, "failed staff login");
            super::audit::record_from(
                &state,
                &failed_login_actor(known, &username),
                "login_failed",
                &client,
            )
            .await;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Gebruikersnaam of wachtwoord klopt niet.",
            ));
        }
    };
    let factor = super::mfa::login_step(&state, &account, code.as_deref(), &client).await?;
    // Without a second factor where one is required, the session may only
    // set it up.
    let enrolment_only = settings.require_mfa && factor == SecondFactor::NotEnrolled;
    let session = start_session(&state, &req, &account).await?;
    if enrolment_only {
        // Before the cookie leaves: nobody holds this token yet.
        state
            .store
            .restrict_to_enrolment(&session.token_hash)
            .await?;
    }
    tracing::info!(username = ?account.username, role = account.role.as_str(), client = %client, enrolment_only, "staff login");
    super::audit::record_from(&state, &crate::db::staff_actor(&account), "login", &client).await;
    if enrolment_only {
        let mut response = enrolment_required(&session.csrf_token).error_response();
        response
            .add_cookie(&session.cookie)
            .map_err(|_| ApiError::internal())?;
        response.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("no-store"),
        );
        return Ok(response);
    }
    Ok(HttpResponse::Ok()
        .cookie(session.cookie)
        .insert_header(("Cache-Control", "no-store"))
        .json(info(&state, &account, session.csrf_token)))
}

/// A session just started, for the response that starts it.
pub(crate) struct NewSession {
    /// The `loket_session` cookie to set.
    pub cookie: Cookie<'static>,
    pub csrf_token: String,
    /// SHA-256 of the session token (what the database knows).
    pub token_hash: String,
}

/// Starts a fresh session for `account`, ending the one the request's
/// cookie names (no session fixation). Every kind of login (password,
/// single sign-on) starts its session here.
pub(crate) async fn start_session(
    state: &AppState,
    req: &HttpRequest,
    account: &Account,
) -> Result<NewSession, ApiError> {
    let settings = &state.settings.staff;
    let now = state.clock.now();
    if let Some(old) = session_hash(req) {
        state.store.delete_session(&old).await?;
    }
    let session_token = token::random();
    let token_hash = token::digest(&session_token);
    let csrf_token = token::random();
    let lifetime = chrono::Duration::from_std(settings.session_lifetime.0)
        .unwrap_or(chrono::Duration::hours(12));
    state
        .store
        .create_session(account, &token_hash, &csrf_token, now, now + lifetime)
        .await?;
    let cookie = session_cookie(
        session_token,
        secure(&Client::of(req, &state.settings), settings.secure_cookie),
        Some(lifetime.num_seconds()),
    );
    Ok(NewSession {
        cookie,
        csrf_token,
        token_hash,
    })
}

/// The current session (after a page reload).
#[utoipa::path(get, path = "/api/session", tag = "session", security(("session" = [])),
    responses((status = 200, description = "Logged in", body = SessionInfo)))]
pub async fn current(staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(info(&state, &staff.account, staff.csrf_token))
}

/// Log out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/session", tag = "session", security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "Logged out; the cookie is cleared")))]
pub async fn logout(
    req: HttpRequest,
    staff: Enrolling,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = staff.0;
    state.store.delete_session(&staff.token_hash).await?;
    ended_here(&state, &staff.token_hash);
    tracing::info!(username = ?staff.account.username, client = %staff.client, "staff logout");
    super::audit::record(&state, &staff, "logout", None, None).await;
    Ok(HttpResponse::NoContent()
        .cookie(removal_cookie(&req, &state))
        .finish())
}

/// A session ended in the database: its event streams on this instance
/// end now (no receiver: none open), and what this instance remembers of
/// it is forgotten.
pub(super) fn ended_here(state: &AppState, token_hash: &str) {
    let _ = state.ended_sessions.send(token_hash.to_owned());
    if let Ok(mut revealed) = state.revealed.lock() {
        revealed.retain(|(session, _)| session != token_hash);
    }
    if let Ok(mut audited) = state.read_audited.lock() {
        audited.retain(|(session, _)| session != token_hash);
    }
}

/// A cookie that clears the session cookie.
pub(super) fn removal_cookie(req: &HttpRequest, state: &AppState) -> Cookie<'static> {
    let mut gone = session_cookie(
        String::new(),
        secure(
            &Client::of(req, &state.settings),
            state.settings.staff.secure_cookie,
        ),
        None,
    );
    gone.make_removal();
    gone
}
