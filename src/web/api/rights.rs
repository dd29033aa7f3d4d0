//! An access request answered from the staff page: an admin downloads
//! everything stored about one citizen, the same JSON `loket export`
//! writes. Each export is in the audit log (counts, not the number).

use super::doc::ForbiddenOrCsrf;
use super::error::{ApiError, ErrorBody};
use crate::accounts::Role;
use crate::db::{CitizenExport, NewAuditEntry, Retention, staff_actor};
use crate::domain::CitizenKey;
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ExportRequest {
    /// The citizen's phone number in any common form (06 12345678,
    /// +31 6 12345678, 0031 6 12345678) or their user id. In the body, not
    /// the address, so it stays out of proxies' access logs.
    pub citizen: String,
}

/// Export everything stored about one citizen (admins only).
///
/// Conversations, messages, replies, history, unanswered questions and
/// the audit entries about them, each with `delete_after`; colleagues by
/// role. Sent as a file to save (`Content-Disposition: attachment`).
#[utoipa::path(post, path = "/api/exports", tag = "audit", request_body = ExportRequest,
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The export", body = CitizenExport,
            headers(("Content-Disposition" = String, description = "`attachment` with a file name"))),
        (status = 400, description = "Not a phone number or user id (`invalid_citizen`), with the reason", body = ErrorBody),
        (status = 403, response = ForbiddenOrCsrf)))]
pub async fn export(
    staff: Staff,
    state: web::Data<AppState>,
    body: web::Json<ExportRequest>,
) -> Result<HttpResponse, ApiError> {
    if staff.account.role != Role::Admin {
        return Err(ApiError::forbidden());
    }
    let key = CitizenKey::parse(&body.citizen).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_citizen",
            error.to_string(),
        )
    })?;
    let now = state.clock.now();
    let export = state
        .store
        .export_citizen(key.as_str(), Retention::from(&state.settings.privacy), now)
        .await?;
    // No export leaves without its audit entry.
    let summary = export.summary();
    state
        .store
        .audit_entry(
            &NewAuditEntry {
                actor: &staff_actor(&staff.account),
                action: "export",
                conversation: None,
                detail: Some(&summary),
                client: Some(&staff.client),
            },
            now,
        )
        .await?;
    tracing::info!(username = %staff.account.username, client = %staff.client, "citizen export");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"loket-export-{}.json\"",
                now.format("%Y%m%d-%H%M%S")
            ),
        ))
        .json(export))
}
