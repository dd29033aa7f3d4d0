//! `GET /api/report`: the team lead's figures for the reports page, with
//! the two charts as SVG. Staff and admins; editors are refused (they have
//! their own page).

use super::doc::Forbidden;
use super::error::{ApiError, ErrorBody};
use crate::accounts::Role;
use crate::report::rollup::Rollup;
use crate::report::{Report, chart};
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day, YYYY-MM-DD (default: four weeks before `to`).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD, included (default: today).
    #[param(format = Date)]
    pub to: Option<String>,
}

/// The charts, as SVG documents the page places as they are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Charts {
    pub contacts: String,
    pub waiting: String,
}

/// The report and its charts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportResponse {
    #[serde(flatten)]
    report: Report,
    charts: Charts,
}

/// The team lead's report per day and ISO week (staff and admins):
/// contacts, outcomes, waiting and handling times, deadlines, topics; with
/// two SVG charts. Anonymous figures that outlive the retention purge.
#[utoipa::path(get, path = "/api/report", tag = "report", security(("session" = [])), params(ReportQuery),
    responses((status = 200, description = "The report", body = ReportResponse), (status = 403, response = Forbidden),
        (status = 400, description = "Not a date, the start after the end, or more than 400 days (`invalid`)", body = ErrorBody)))]
pub async fn show(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    if !matches!(staff.account.role, Role::Staff | Role::Admin) {
        return Err(ApiError::forbidden());
    }
    let now = state.clock.now();
    let today = now
        .with_timezone(&state.settings.hours.timezone())
        .date_naive();
    let (from, to) = crate::report::range(
        query.from.as_deref(),
        query.to.as_deref(),
        today,
        ("from", "to"),
    )
    .map_err(|e| ApiError::invalid(e.dutch()))?;
    let rollup = Rollup::from_settings(&state.settings);
    let report = crate::report::load(&state.store, &rollup, from, to, now).await?;
    let charts = Charts {
        contacts: chart::contacts(&report),
        waiting: chart::waiting(&report),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ReportResponse { report, charts }))
}
