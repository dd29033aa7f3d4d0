//! The audit log over HTTP: written after every staff action, read by
//! admins. A failed audit write is logged loudly but does not undo the
//! action the citizen is waiting for.

use super::doc::Forbidden;
use super::error::{ApiError, ErrorBody};
use crate::accounts::Role;
use crate::db::AuditEntry;
use crate::domain::PublicId;
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

/// Records an action by a logged-in staff member.
pub async fn record(
    state: &AppState,
    staff: &Staff,
    action: &str,
    conversation: Option<&PublicId>,
    detail: Option<&str>,
) {
    write(
        state,
        &crate::db::staff_actor(&staff.account),
        action,
        conversation,
        detail,
        Some(&staff.client),
    )
    .await;
}

/// Records an action by `actor` from the client address `client` (a
/// login attempt, before there is a session).
pub async fn record_from(state: &AppState, actor: &str, action: &str, client: &str) {
    write(state, actor, action, None, None, Some(client)).await;
}

/// Records an action by `actor` from `client` with a fixed word as its
/// detail (how a login happened, why one was refused): never free text.
pub async fn record_with_detail(
    state: &AppState,
    actor: &str,
    action: &str,
    detail: &'static str,
    client: &str,
) {
    write(state, actor, action, None, Some(detail), Some(client)).await;
}

async fn write(
    state: &AppState,
    actor: &str,
    action: &str,
    conversation: Option<&PublicId>,
    detail: Option<&str>,
    client: Option<&str>,
) {
    let now = state.clock.now();
    let entry = crate::db::NewAuditEntry {
        actor,
        action,
        conversation,
        detail,
        client,
    };
    if let Err(error) = state.store.audit_entry(&entry, now).await {
        tracing::error!(error = %error, action, "could not write the audit log");
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries from this moment on.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only entries before this moment.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Only this account's actions and the login attempts with its name
    /// (or an actor as written: `cli`, `system`).
    pub user: Option<String>,
    /// Only this action (`login`, `login_failed`, `claim`, `export`, ...).
    pub action: Option<String>,
    /// At most this many (default 500; below 1 counts as 1, above 5000 as 5000).
    pub limit: Option<i64>,
}

/// The audit log, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

/// The audit log, newest first (admins only): logins, claims, replies,
/// transfers, closes, reveals, reads of threads outside one's work,
/// purges, forgets, exports; no message content and no other free text.
/// Filter by moment, user and action.
#[utoipa::path(get, path = "/api/audit", tag = "audit", security(("session" = [])), params(AuditQuery),
    responses((status = 200, description = "The entries", body = AuditLog), (status = 403, response = Forbidden),
        (status = 400, description = "`since`, `until` or `limit` does not fit (`invalid`)", body = ErrorBody)))]
pub async fn list(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    if staff.account.role != Role::Admin {
        return Err(ApiError::forbidden());
    }
    let limit = query.limit.unwrap_or(500).clamp(1, 5000);
    let given = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
    };
    let filter = crate::db::AuditFilter {
        since: query.since,
        until: query.until,
        user: given(&query.user),
        action: given(&query.action),
    };
    let entries = state.store.audit_log_filtered(&filter, limit).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AuditLog { entries }))
}
