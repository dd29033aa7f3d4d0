//! Single sign-on over HTTP (ADR 0026): thin handlers over
//! `accounts::sso`. `GET /staff/sso/start` sends the browser to the
//! provider; `GET /staff/sso/callback` takes it back, starts a session
//! the way the password login does and goes on to `/staff`. A refusal is
//! a small page that says why, in Dutch and English. These are browser
//! pages, not JSON API routes, so they are not in the OpenAPI document.
//!
//! The state travels twice: in the provider's round trip and in a
//! short-lived HttpOnly cookie (SameSite=Lax, so it comes back on the
//! provider's redirect). Both must match, and the server keeps only its
//! hash with the nonce and the PKCE verifier, taken once.

use super::AppState;
use super::api::session::{secure, start_session};
use super::client::Client;
use crate::accounts::sso::{Refusal, Sso, account_for};
use crate::accounts::token;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::sync::Arc;

/// The cookie that ties the provider's answer to this browser.
const STATE_COOKIE: &str = "loket_sso_state";
/// Where the state cookie is sent: the callback only.
const COOKIE_PATH: &str = "/staff/sso";

/// Registers the two routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/sso/start", web::get().to(start))
        .route("/staff/sso/callback", web::get().to(callback));
}

/// `GET /staff/sso/start`: to the provider, with state, nonce and a PKCE
/// challenge.
async fn start(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(sso) = state.sso.clone() else {
        return not_configured();
    };
    if !sso.may_start(&Client::of(&req, &state.settings).key()) {
        // Not logged or audited: a flood would flood those too.
        return page(
            StatusCode::TOO_MANY_REQUESTS,
            "Te veel inlogpogingen vanaf uw adres. Probeer het over een minuut opnieuw.",
            "Too many login attempts from your address. Please try again in a minute.",
        )
        .finish_page();
    }
    let now = state.clock.now();
    let begun = match sso.start(now).await {
        Ok(begun) => begun,
        Err(refusal) => return refuse(&state, &req, refusal).await,
    };
    if let Err(error) = state
        .store
        .add_sso_login(&token::digest(&begun.state), &begun.pending, now)
        .await
    {
        return refuse(&state, &req, Refusal::Store(error)).await;
    }
    let cookie = state_cookie(&state, &req, begun.state);
    HttpResponse::Found()
        .cookie(cookie)
        .insert_header((header::LOCATION, begun.url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The provider's answer (RFC 6749 4.1.2 and 4.1.2.1).
#[derive(Debug, Deserialize)]
struct Answer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /staff/sso/callback`: checks the state, exchanges the code,
/// verifies the ID token, maps the groups to a role, finds or makes the
/// account and logs in.
async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    answer: web::Query<Answer>,
) -> HttpResponse {
    let Some(sso) = state.sso.clone() else {
        return not_configured();
    };
    match log_in(&state, &req, &sso, answer.into_inner()).await {
        Ok(response) => response,
        Err(refusal) => refuse(&state, &req, refusal).await,
    }
}

async fn log_in(
    state: &AppState,
    req: &HttpRequest,
    sso: &Sso,
    answer: Answer,
) -> Result<HttpResponse, Refusal> {
    let from = Client::of(req, &state.settings).key();
    let sent = answer.state.unwrap_or_default();
    let kept = req
        .cookie(STATE_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if sent.is_empty() || sent.len() > 256 || !token::same(&sent, &kept) {
        return Err(Refusal::BadState);
    }
    let now = state.clock.now();
    let pending = state
        .store
        .take_sso_login(&token::digest(&sent))
        .await?
        .filter(|pending| pending.expires_at > now)
        .ok_or(Refusal::BadState)?;
    if let Some(error) = answer.error {
        // The provider's own code word (e.g. access_denied): anyone can
        // write this parameter, so only its plain characters are kept.
        let word = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(Refusal::ProviderError(word));
    }
    let code = answer
        .code
        .filter(|c| !c.is_empty())
        .ok_or(Refusal::BadState)?;
    let identity = sso.finish(&code, pending, now).await?;
    let role = sso.role_of(&identity).ok_or(Refusal::NoGroup)?;
    let account = account_for(&state.store, &identity, role, now).await?;
    let session = start_session(state, req, &account)
        .await
        .map_err(|e| Refusal::Unavailable(e.message))?;
    state
        .store
        .mark_sso_session(&session.token_hash, identity.refresh_token.as_deref(), now)
        .await?;
    tracing::info!(username = ?account.username, role = account.role.as_str(), client = %from, "staff login (single sign-on)");
    super::api::audit::record_with_detail(
        state,
        &crate::db::staff_actor(&account),
        "login",
        "sso",
        &from,
    )
    .await;
    let mut gone = state_cookie(state, req, String::new());
    gone.make_removal();
    Ok(HttpResponse::Found()
        .cookie(session.cookie)
        .cookie(gone)
        .insert_header((header::LOCATION, "/staff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

fn state_cookie(state: &AppState, req: &HttpRequest, value: String) -> Cookie<'static> {
    let mut cookie = Cookie::build(STATE_COOKIE, value)
        .path(COOKIE_PATH)
        .http_only(true)
        // Lax, not Strict: the provider's redirect back is a cross-site
        // navigation, and the cookie must come along on it.
        .same_site(SameSite::Lax)
        .secure(secure(
            &Client::of(req, &state.settings),
            state.settings.staff.secure_cookie,
        ))
        .finish();
    cookie.set_max_age(actix_web::cookie::time::Duration::seconds(
        crate::accounts::sso::LOGIN_TIMEOUT.num_seconds(),
    ));
    cookie
}

/// Logs and audits a refusal (without secrets) and shows the page.
async fn refuse(state: &AppState, req: &HttpRequest, refusal: Refusal) -> HttpResponse {
    let from = Client::of(req, &state.settings).key();
    match &refusal {
        Refusal::Unavailable(_) | Refusal::Store(_) => {
            tracing::error!(code = refusal.code(), reason = ?refusal.to_string(), client = %from, "single sign-on failed");
        }
        _ => {
            tracing::warn!(code = refusal.code(), reason = ?refusal.to_string(), client = %from, "single sign-on refused");
        }
    }
    super::api::audit::record_with_detail(
        state,
        "login:(sso)",
        "login_refused",
        refusal.code(),
        &from,
    )
    .await;
    let status = match refusal {
        Refusal::NoGroup | Refusal::Disabled | Refusal::NameTaken | Refusal::BadUsername => {
            StatusCode::FORBIDDEN
        }
        Refusal::Unavailable(_) | Refusal::Store(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    };
    let (nl, en) = refusal.messages();
    let mut gone = state_cookie(state, req, String::new());
    gone.make_removal();
    page(status, nl, en).cookie(gone).finish_page()
}

fn not_configured() -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        "Eenmalige aanmelding (single sign-on) is voor deze Loket niet ingesteld. Log in met uw gebruikersnaam en wachtwoord.",
        "Single sign-on is not set up for this Loket. Log in with your user name and password.",
    )
    .finish_page()
}

/// A message page: the staff page's strict headers, no script. The texts
/// are fixed sentences of this module, never input.
struct Page {
    builder: actix_web::HttpResponseBuilder,
    body: String,
}

fn page(status: StatusCode, nl: &str, en: &str) -> Page {
    let body = format!(
        "<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Inloggen bij Loket</title>\
         <link rel=\"stylesheet\" href=\"/staff/app.css\"></head><body><main class=\"sso-message\">\
         <h1>Inloggen is niet gelukt</h1><p>{nl}</p><p lang=\"en\">{en}</p>\
         <p><a href=\"/staff\">Terug naar de inlogpagina</a></p></main></body></html>\n"
    );
    let mut builder = HttpResponse::build(status);
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            super::staff_page::CONTENT_SECURITY_POLICY,
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    Page { builder, body }
}

impl Page {
    fn cookie(mut self, cookie: Cookie<'static>) -> Self {
        self.builder.cookie(cookie);
        self
    }

    fn finish_page(mut self) -> HttpResponse {
        self.builder.body(self.body)
    }
}

/// Whether a single sign-on session may go on: every `[sso] recheck` the
/// provider is asked again (with the session's refresh token) which groups
/// the user is in. `false`: the user lost access (or the provider refused
/// the refresh token, or gave none); the session has been ended and
/// audited. A provider that cannot be reached keeps the session until the
/// next check (the idle and absolute lifetimes still hold).
pub async fn recheck(
    state: &AppState,
    sso: &Arc<Sso>,
    token_hash: &str,
    account: &crate::accounts::Account,
    client: &str,
) -> Result<bool, crate::db::StoreError> {
    let now = state.clock.now();
    let every =
        chrono::Duration::from_std(sso.settings.recheck).unwrap_or(chrono::Duration::minutes(15));
    let Some(refresh_token) = state
        .store
        .claim_sso_recheck(token_hash, now - every, now)
        .await?
    else {
        return Ok(true);
    };
    let outcome = match refresh_token {
        None => Err(Refusal::ProviderError("no refresh token".to_owned())),
        Some(refresh_token) => sso.refresh(&refresh_token, now).await,
    };
    let ended = match outcome {
        Ok(identity) => match sso.role_of(&identity) {
            Some(role) => {
                if role != account.role {
                    state.store.set_role(account.id, role).await?;
                }
                state
                    .store
                    .mark_sso_session(token_hash, identity.refresh_token.as_deref(), now)
                    .await?;
                return Ok(true);
            }
            None => Refusal::NoGroup,
        },
        Err(Refusal::Unavailable(reason)) => {
            tracing::warn!(username = ?account.username, reason = ?reason, "single sign-on recheck: provider unavailable; the session goes on until the next check");
            return Ok(true);
        }
        Err(refusal) => refusal,
    };
    state.store.delete_session(token_hash).await?;
    let _ = state.ended_sessions.send(token_hash.to_owned());
    tracing::warn!(username = ?account.username, code = ended.code(), reason = ?ended.to_string(), client = %client, "single sign-on session ended at recheck");
    super::api::audit::record_with_detail(
        state,
        &crate::db::staff_actor(account),
        "session_ended",
        ended.code(),
        client,
    )
    .await;
    Ok(false)
}
