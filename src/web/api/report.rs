//! The team lead's figures for the reports page: `GET /api/report` (the
//! report with its two charts as SVG), `GET /api/report/csv` (the same
//! range as `loket report --csv`, byte for byte) and `GET /api/report/now`
//! (the "nu" panel). Staff and admins; editors are refused (they have
//! their own page).

use super::doc::Forbidden;
use super::error::{ApiError, ErrorBody};
use crate::report::now::{Now, Open};
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

fn require_reports(staff: &Staff) -> Result<(), ApiError> {
    if staff.account.role.sees_reports() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The report of the range asked for, for a role that may see it, with
/// the answers' titles from the served knowledge base: what the CLI
/// builds for the same range.
async fn report_for(
    staff: &Staff,
    state: &AppState,
    query: &ReportQuery,
) -> Result<Report, ApiError> {
    require_reports(staff)?;
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
    let mut report = crate::report::load(&state.store, &rollup, from, to, now).await?;
    crate::report::name_answers(&mut report, state.knowledge.load().index.entries());
    Ok(report)
}

/// The team lead's report per day and ISO week (staff and admins):
/// contacts (also per channel), outcomes, waiting and handling times,
/// deadlines, topics and answers; with two SVG charts. Anonymous figures
/// that outlive the retention purge.
#[utoipa::path(get, path = "/api/report", tag = "report", security(("session" = [])), params(ReportQuery),
    responses((status = 200, description = "The report", body = ReportResponse), (status = 403, response = Forbidden),
        (status = 400, description = "Not a date, the start after the end, or more than 400 days (`invalid`)", body = ErrorBody)))]
pub async fn show(
    staff: Staff,
    web::Query(range): web::Query<ReportQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let report = report_for(&staff, &state, &range).await?;
    let charts = Charts {
        contacts: chart::contacts(&report),
        waiting: chart::waiting(&report),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ReportResponse { report, charts }))
}

/// The report as CSV, a file to save (staff and admins): the same bytes
/// as `loket report --csv --from .. --to ..` on the same database and
/// configuration. One line per day, per ISO week and the total.
#[utoipa::path(get, path = "/api/report/csv", tag = "report", security(("session" = [])), params(ReportQuery),
    responses(
        (status = 200, description = "The report as CSV", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment` with a file name naming the range"))),
        (status = 403, response = Forbidden),
        (status = 400, description = "Not a date, the start after the end, or more than 400 days (`invalid`)", body = ErrorBody)))]
pub async fn csv(
    state: web::Data<AppState>,
    web::Query(range): web::Query<ReportQuery>,
    staff: Staff,
) -> Result<HttpResponse, ApiError> {
    let report = report_for(&staff, &state, &range).await?;
    let name = format!("loket-rapportage-{}-{}.csv", report.from, report.to);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .content_type("text/csv; charset=utf-8")
        .body(crate::report::csv::render(&report)))
}

/// The queue now, for the reports page's "nu" panel (staff and admins):
/// threads waiting for a person, the longest wait, who is online and how
/// many threads each colleague holds. No citizen data.
#[utoipa::path(get, path = "/api/report/now", tag = "report", security(("session" = [])),
    responses((status = 200, description = "The queue now", body = Now), (status = 403, response = Forbidden)))]
pub async fn now(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_reports(&staff)?;
    let open = state.store.queue().await?;
    let accounts = state.store.users().await?;
    let online = state
        .store
        .staff_online(super::online_since(&state))
        .await?;
    let open: Vec<Open<'_>> = open.iter().map(Open::of).collect();
    let figures = crate::report::now::snapshot(&open, &accounts, &online, state.clock.now());
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(figures))
}
