//! The editors' views over HTTP: `GET /api/knowledge/gaps` (unanswered
//! questions, grouped, personal data masked) and `GET /api/knowledge/usage`
//! (per answer: given, "Ja", "Nee", last given; answers unused for 90
//! days) and `GET /api/knowledge/confusions` (where entries overlap).
//! Editors and admins only: staff work the queue, not the texts.

use super::error::ApiError;
use crate::editors::{GAPS_DEFAULT_DAYS, USAGE_DEFAULT_DAYS, gap_groups, usage_report};
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
pub struct Since {
    /// A day (`2026-11-01`, office time) or an RFC 3339 moment.
    pub since: Option<String>,
}

/// The start of the period: `since` or `default_days` ago.
fn since(state: &AppState, query: &Since, default_days: i64) -> Result<DateTime<Utc>, ApiError> {
    match query.since.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => crate::clock::parse_moment(text, state.settings.hours.timezone()).map_err(|_| {
            ApiError::invalid(
                "Ongeldige datum bij 'since': gebruik bijvoorbeeld 2026-11-01 of 2026-11-01T08:00:00+01:00.",
            )
        }),
        None => Ok(state.clock.now() - chrono::Duration::days(default_days)),
    }
}

/// `GET /api/knowledge/gaps?since=2026-11-01`
pub async fn gaps(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<Since>,
) -> Result<HttpResponse, ApiError> {
    staff.require_editor()?;
    let since = since(&state, &query, GAPS_DEFAULT_DAYS)?;
    let knowledge = state.knowledge.load();
    let groups = gap_groups(&state.store, &knowledge, since).await?;
    Ok(HttpResponse::Ok().json(json!({ "since": since, "groups": groups })))
}

/// `GET /api/knowledge/usage?since=2026-11-01`
pub async fn usage(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<Since>,
) -> Result<HttpResponse, ApiError> {
    staff.require_editor()?;
    let since = since(&state, &query, USAGE_DEFAULT_DAYS)?;
    let knowledge = state.knowledge.load();
    let tz = state.settings.hours.timezone();
    let report = usage_report(&state.store, &knowledge, since, state.clock.now(), tz).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `GET /api/knowledge/confusions`: the confusion report of the served
/// knowledge base (as `loket lint --confusions --json`). The first request
/// after a change of the base computes it, off the async threads.
pub async fn confusions(
    staff: Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require_editor()?;
    let knowledge = state.knowledge.load_full();
    let urgent = state.settings.faq.thresholds().urgent;
    let report = web::block(move || knowledge.confusion_report(urgent))
        .await
        .map_err(|_| ApiError::internal())?;
    Ok(HttpResponse::Ok().json(&*report))
}
