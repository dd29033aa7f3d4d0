//! The audit log over HTTP: written after every staff action, read by
//! admins. A failed audit write is logged loudly but does not undo the
//! action the citizen is waiting for.

use super::error::ApiError;
use crate::accounts::Role;
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// Records an action by a logged-in staff member.
pub async fn record(
    state: &AppState,
    staff: &Staff,
    action: &str,
    conversation_id: Option<i64>,
    detail: Option<&str>,
) {
    record_as(
        state,
        &crate::db::staff_actor(&staff.account),
        action,
        conversation_id,
        detail,
    )
    .await;
}

/// Records an action by `actor`.
pub async fn record_as(
    state: &AppState,
    actor: &str,
    action: &str,
    conversation_id: Option<i64>,
    detail: Option<&str>,
) {
    let now = state.clock.now();
    if let Err(error) = state
        .store
        .audit(actor, action, conversation_id, detail, now)
        .await
    {
        tracing::error!(error = %error, action, "could not write the audit log");
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: Option<i64>,
}

/// `GET /api/audit` (admins only).
pub async fn list(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    if staff.account.role != Role::Admin {
        return Err(ApiError::forbidden());
    }
    let limit = query.limit.unwrap_or(500).clamp(1, 5000);
    let entries = state.store.audit_log(query.since, limit).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({"entries": entries})))
}
