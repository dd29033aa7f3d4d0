//! `GET /api/report`: the team lead's figures for the reports page, with
//! the two charts as SVG. Staff and admins; editors are refused (they have
//! their own page).

use super::error::ApiError;
use crate::accounts::Role;
use crate::report::rollup::Rollup;
use crate::report::{Report, chart};
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    /// First day, YYYY-MM-DD (default: four weeks before `to`).
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD, included (default: today).
    pub to: Option<String>,
}

/// The charts, as SVG documents the page places as they are.
#[derive(Debug, Serialize)]
pub struct Charts {
    pub contacts: String,
    pub waiting: String,
}

#[derive(Debug, Serialize)]
struct ReportResponse {
    #[serde(flatten)]
    report: Report,
    charts: Charts,
}

/// `GET /api/report?from=&to=`
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
