//! Who is calling the staff API. The `Staff` extractor reads the session
//! cookie, loads the live session and, for every request that changes
//! something (anything but GET and HEAD), checks the `X-CSRF-Token`
//! header against the session's token. A handler that takes `Staff` is
//! therefore logged-in and CSRF-safe by construction; it only checks the
//! role. A session that may only set up its second factor (`[staff]
//! require_mfa`) is refused by `Staff` with 403 `mfa_enrolment_required`;
//! only the few handlers that take [`Enrolling`] accept it.

use super::AppState;
use super::api::error::ApiError;
use crate::accounts::{Account, token};
use crate::db::{SessionRow, StoreError};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::Future;
use std::pin::Pin;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "loket_session";
/// Header that carries the CSRF token.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// A logged-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub account: Account,
    pub csrf_token: String,
    /// SHA-256 of the session token (what the database knows).
    pub token_hash: String,
    /// The client's address ([`super::client::Client::key`]), for the
    /// audit log and log lines.
    pub client: String,
}

/// A logged-in staff member whose session may be enrolment-only: for
/// setting up the second factor, and logging out.
#[derive(Debug, Clone)]
pub struct Enrolling(pub Staff);

impl Staff {
    /// Queue routes: staff and admins.
    pub fn require_queue(&self) -> Result<(), ApiError> {
        if self.account.role.works_the_queue() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Editors' views: editors and admins.
    pub fn require_editor(&self) -> Result<(), ApiError> {
        if self.account.role.edits_knowledge() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The session token hash from the request's cookie, if any.
pub fn session_hash(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(|v| token::digest(&v))
}

/// The session of a token hash if it is still live (not expired, not idle
/// longer than `[staff] session_idle`); reading it marks it seen.
pub async fn live_session(
    state: &AppState,
    token_hash: &str,
) -> Result<Option<SessionRow>, StoreError> {
    let now = state.clock.now();
    let idle = chrono::Duration::from_std(state.settings.staff.session_idle.0)
        .unwrap_or(chrono::Duration::hours(2));
    state.store.session(token_hash, now, now - idle).await
}

/// 403 for an enrolment-only session, with its CSRF token so the page can
/// go on to set up the second factor.
pub fn enrolment_required(csrf_token: &str) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "mfa_enrolment_required",
        "Stel eerst tweestapsverificatie in: een code uit een authenticator-app is hier verplicht.",
    )
    .with("csrf_token", csrf_token)
}

async fn authenticate(req: HttpRequest, allow_enrolment: bool) -> Result<Staff, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(ApiError::internal)?
        .clone();
    let token_hash = session_hash(&req).ok_or_else(ApiError::unauthenticated)?;
    let session = live_session(&state, &token_hash)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !token::same(sent, &session.csrf_token) {
            return Err(ApiError::csrf());
        }
    }
    if session.enrolment_only && !allow_enrolment {
        return Err(enrolment_required(&session.csrf_token));
    }
    let client = super::client::Client::of(&req, &state.settings).key();
    // A single sign-on session asks the provider again now and then
    // whether the user still belongs (web::sso::recheck).
    if let (Some(_), Some(sso)) = (session.sso_checked_at, &state.sso)
        && !super::sso::recheck(&state, sso, &token_hash, &session.account, &client).await?
    {
        return Err(ApiError::unauthenticated());
    }
    Ok(Staff {
        account: session.account,
        csrf_token: session.csrf_token,
        token_hash,
        client,
    })
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone(), false))
    }
}

impl FromRequest for Enrolling {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req, true).await.map(Enrolling) })
    }
}
