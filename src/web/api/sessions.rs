//! "Log out everywhere": every session of the account ends, on every
//! instance (they all read the sessions from the database), and its
//! event streams on this instance end at once; streams on other
//! instances end at their next session check (the 15-second keep-alive).

use super::error::ApiError;
use crate::web::AppState;
use crate::web::auth::Enrolling;
use actix_web::{HttpRequest, HttpResponse, web};

/// Log out everywhere: ends every session of this account, this one too,
/// and clears the cookie.
#[utoipa::path(delete, path = "/api/sessions", tag = "session", security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "Every session of the account ended; the cookie is cleared")))]
pub async fn end_all(
    req: HttpRequest,
    staff: Enrolling,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = staff.0;
    let ended = state.store.end_sessions(staff.account.id).await?;
    for token_hash in &ended {
        super::session::ended_here(&state, token_hash);
    }
    tracing::info!(username = ?staff.account.username, client = %staff.client, sessions = ended.len(), "staff logged out everywhere");
    super::audit::record(&state, &staff, "logout_everywhere", None, None).await;
    Ok(HttpResponse::NoContent()
        .cookie(super::session::removal_cookie(&req, &state))
        .finish())
}
