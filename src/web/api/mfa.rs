//! The second factor over HTTP (ADR 0027): its state, setting it up from
//! the staff page (start: a QR code; confirm with a current code: on, and
//! ten recovery codes shown once), switching it off with a current code,
//! and the second step of a password login. The rules live in
//! `accounts::mfa`; this module maps them to answers, the throttle and
//! the audit log.

use super::error::{ApiError, ErrorBody};
use crate::accounts::Account;
use crate::accounts::mfa::{self, MfaError, SecondFactor};
use crate::web::AppState;
use crate::web::auth::{Enrolling, Staff};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

/// The account's second factor as the page shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MfaStatus {
    /// Logins of this account need a code.
    pub enabled: bool,
    /// `[staff] require_mfa`: it cannot be switched off.
    pub required: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// What the page shows to set up an authenticator app.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnrolmentStart {
    /// `otpauth://totp/...`, the content of the QR code.
    pub otpauth_uri: String,
    /// The secret in base32, to type in when scanning is not possible.
    pub secret: String,
    /// The QR code as an SVG document (a rect and one path; insert it as
    /// SVG, e.g. with `DOMParser` and `image/svg+xml`).
    pub qr_svg: String,
}

/// A code from the authenticator app.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CodeBody {
    /// The six digits the app shows now.
    #[schema(max_length = 64)]
    pub code: String,
}

/// The recovery codes, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten codes, each usable once instead of an app code. Only their
    /// hashes are kept: this is the only time they can be seen.
    pub recovery_codes: Vec<String>,
}

fn invalid_code(error: &MfaError) -> ApiError {
    let message = match error {
        MfaError::Replayed => "Deze code is al gebruikt. Wacht op de volgende code in uw app.",
        _ => {
            "De code klopt niet of is verlopen. Controleer de tijd op uw telefoon en probeer de code die de app nu toont."
        }
    };
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_code", message)
}

fn window(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.settings.staff.login_window.0)
        .unwrap_or(chrono::Duration::minutes(15))
}

/// Wrong codes count with failed logins of the account name: a stolen
/// session cannot try codes without end to switch the factor off.
async fn throttle(state: &AppState, account: &Account, client: &str) -> Result<(), ApiError> {
    let now = state.clock.now();
    let since = now - window(state);
    let (by_name, _) = state
        .store
        .login_failures(&account.username, client, since)
        .await?;
    if by_name >= i64::from(state.settings.staff.login_attempts) {
        let oldest = state
            .store
            .oldest_login_failure(&account.username, client, since)
            .await?
            .unwrap_or(now);
        return Err(ApiError::too_many_attempts(
            (oldest + window(state) - now).num_seconds().max(1),
        ));
    }
    Ok(())
}

/// Counts and audits a wrong code.
async fn wrong_code(state: &AppState, account: &Account, client: &str) -> Result<(), ApiError> {
    let now = state.clock.now();
    state
        .store
        .record_login_failure(&account.username, client, now, now - window(state))
        .await?;
    tracing::warn!(username = ?account.username, client = %client, "wrong second-factor code");
    super::audit::record_from(
        state,
        &crate::db::staff_actor(account),
        "mfa_failed",
        client,
    )
    .await;
    Ok(())
}

/// Maps what is not the user's doing to a 500 (logged).
fn internal(error: MfaError) -> ApiError {
    match error {
        MfaError::Store(error) => error.into(),
        other => {
            tracing::error!(error = %other, "second factor failed");
            ApiError::internal()
        }
    }
}

/// The second step of a password login whose password was right:
/// nothing when the account has no second factor; else the code (or a
/// recovery code) must be right. A missing code is 401 `mfa_required`
/// and not counted; a wrong or replayed one is 401 `invalid_code`,
/// counted as a failed login and audited (`mfa_failed`). A recovery code
/// used is audited (`recovery_code_used`).
pub(super) async fn login_step(
    state: &AppState,
    account: &Account,
    code: Option<&str>,
    client: &str,
) -> Result<SecondFactor, ApiError> {
    let now = state.clock.now();
    match mfa::check_login(&state.store, account, code, now).await {
        Ok(SecondFactor::RecoveryCode) => {
            tracing::info!(username = ?account.username, client = %client, "recovery code used");
            super::audit::record_from(
                state,
                &crate::db::staff_actor(account),
                "recovery_code_used",
                client,
            )
            .await;
            Ok(SecondFactor::RecoveryCode)
        }
        Ok(factor) => Ok(factor),
        Err(MfaError::Missing) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "mfa_required",
            "Vul de code uit uw authenticator-app in (of een van uw herstelcodes).",
        )),
        Err(error @ (MfaError::Wrong | MfaError::Replayed)) => {
            wrong_code(state, account, client).await?;
            let mut refused = invalid_code(&error);
            refused.status = StatusCode::UNAUTHORIZED;
            Err(refused)
        }
        Err(other) => Err(internal(other)),
    }
}

/// The account's second factor.
#[utoipa::path(get, path = "/api/mfa", tag = "session", security(("session" = [])),
    responses((status = 200, description = "Whether it is on, required, and recovery codes left", body = MfaStatus)))]
pub async fn status(
    staff: Enrolling,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (enabled, recovery_codes_left) = mfa::status(&state.store, staff.0.account.id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(MfaStatus {
            enabled,
            required: state.settings.staff.require_mfa,
            recovery_codes_left,
        }))
}

/// Start setting up an authenticator app.
///
/// Makes a new secret (replacing one not yet confirmed) and returns it
/// with its `otpauth://` URI and a QR code. Nothing changes for logins
/// until the setup is confirmed with a code.
#[utoipa::path(post, path = "/api/mfa/enrolment", tag = "session",
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The secret, its URI and QR code", body = EnrolmentStart),
        (status = 409, description = "The second factor is on already (`mfa_already_enabled`)", body = ErrorBody)))]
pub async fn start(staff: Enrolling, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let staff = staff.0;
    let now = state.clock.now();
    match mfa::start(
        &state.store,
        &staff.account,
        &state.settings.organisation,
        now,
    )
    .await
    {
        Ok(enrolment) => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(EnrolmentStart {
                otpauth_uri: enrolment.otpauth_uri,
                secret: enrolment.secret,
                qr_svg: enrolment.qr_svg,
            })),
        Err(MfaError::AlreadyEnabled) => Err(already_enabled()),
        Err(other) => Err(internal(other)),
    }
}

fn already_enabled() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "mfa_already_enabled",
        "Tweestapsverificatie staat al aan.",
    )
}

/// Confirm the setup with a current code.
///
/// The second factor is on from now (audited: `mfa_enrolled`), an
/// enrolment-only session becomes a full one, and ten recovery codes are
/// returned: shown once, only their hashes are kept. A wrong code counts
/// as a failed login.
#[utoipa::path(post, path = "/api/mfa/enrolment/confirm", tag = "session", request_body = CodeBody,
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "On; the recovery codes", body = RecoveryCodes),
        (status = 400, description = "The code is wrong, expired or used (`invalid_code`), or the body is not a code (`invalid`)", body = ErrorBody),
        (status = 409, description = "No setup was started (`no_enrolment`), or the second factor is on already (`mfa_already_enabled`)", body = ErrorBody),
        (status = 429, description = "Too many wrong codes or failed logins (`too_many_attempts`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn confirm(
    staff: Enrolling,
    state: web::Data<AppState>,
    body: web::Json<CodeBody>,
) -> Result<HttpResponse, ApiError> {
    let staff = staff.0;
    throttle(&state, &staff.account, &staff.client).await?;
    let now = state.clock.now();
    match mfa::confirm(
        &state.store,
        &staff.account,
        &staff.token_hash,
        &body.code,
        now,
    )
    .await
    {
        Ok(recovery_codes) => {
            tracing::info!(username = ?staff.account.username, client = %staff.client, "second factor enrolled");
            super::audit::record(&state, &staff, "mfa_enrolled", None, None).await;
            Ok(HttpResponse::Ok()
                .insert_header(("Cache-Control", "no-store"))
                .json(RecoveryCodes { recovery_codes }))
        }
        Err(error @ (MfaError::Wrong | MfaError::Replayed)) => {
            wrong_code(&state, &staff.account, &staff.client).await?;
            Err(invalid_code(&error))
        }
        Err(MfaError::AlreadyEnabled) => Err(already_enabled()),
        Err(MfaError::NothingToConfirm) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_enrolment",
            "Start eerst het instellen van tweestapsverificatie.",
        )),
        Err(other) => Err(internal(other)),
    }
}

/// Switch the second factor off, with a current code from the app.
///
/// Refused while `[staff] require_mfa` is on. An admin can also remove
/// it on the server: `loket user reset-mfa NAME`.
#[utoipa::path(post, path = "/api/mfa/disable", tag = "session", request_body = CodeBody,
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 204, description = "Off; logins need only the password"),
        (status = 400, description = "The code is wrong, expired or used (`invalid_code`), or the body is not a code (`invalid`)", body = ErrorBody),
        (status = 409, description = "It is off already (`mfa_not_enabled`), or required here (`mfa_required_by_policy`)", body = ErrorBody),
        (status = 429, description = "Too many wrong codes or failed logins (`too_many_attempts`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn disable(
    staff: Staff,
    state: web::Data<AppState>,
    body: web::Json<CodeBody>,
) -> Result<HttpResponse, ApiError> {
    if state.settings.staff.require_mfa {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "mfa_required_by_policy",
            "Tweestapsverificatie is hier verplicht en kan niet uit.",
        ));
    }
    throttle(&state, &staff.account, &staff.client).await?;
    match mfa::disable(&state.store, &staff.account, &body.code, state.clock.now()).await {
        Ok(()) => {
            tracing::info!(username = ?staff.account.username, client = %staff.client, "second factor switched off");
            super::audit::record(&state, &staff, "mfa_disabled", None, None).await;
            Ok(HttpResponse::NoContent().finish())
        }
        Err(error @ (MfaError::Wrong | MfaError::Replayed)) => {
            wrong_code(&state, &staff.account, &staff.client).await?;
            Err(invalid_code(&error))
        }
        Err(MfaError::NotEnabled) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "mfa_not_enabled",
            "Tweestapsverificatie staat niet aan.",
        )),
        Err(other) => Err(internal(other)),
    }
}
