//! How staff can log in here (without a login): a password, single
//! sign-on, or both. The staff page shows its form and button from this.

use crate::web::AppState;
use actix_web::{HttpResponse, web};
use serde::Serialize;

/// The ways to log in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginOptions {
    /// Local accounts may log in with a password (`POST /api/session`).
    pub passwords: bool,
    /// Single sign-on, when set up; `null` otherwise.
    pub sso: Option<SsoOption>,
}

/// The single sign-on button.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SsoOption {
    /// The button's label: "Inloggen met <label>".
    pub label: String,
    /// Where the button goes (a browser page that redirects to the provider).
    pub start: &'static str,
}

/// How staff can log in (public, for the login form).
#[utoipa::path(get, path = "/api/login-options", tag = "session", responses(
    (status = 200, description = "The ways to log in", body = LoginOptions)))]
pub async fn show(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-cache"))
        .json(LoginOptions {
            passwords: state.settings.staff.local_passwords,
            sso: state.settings.sso.as_ref().map(|sso| SsoOption {
                label: sso.name.clone(),
                start: "/staff/sso/start",
            }),
        })
}
