//! The editors' views over HTTP: `GET /api/knowledge/gaps` (unanswered
//! questions, grouped, personal data masked) and `GET /api/knowledge/usage`
//! (per answer: given, "Ja", "Nee", last given; answers unused for 90
//! days) and `GET /api/knowledge/confusions` (where entries overlap).
//! Editors and admins only: staff work the queue, not the texts.

use super::doc::Forbidden;
use super::error::{ApiError, ErrorBody};
use crate::editors::{GAPS_DEFAULT_DAYS, USAGE_DEFAULT_DAYS, gap_groups, usage_report};
use crate::knowledge::confusions::ConfusionReport;
use crate::knowledge::gaps::GapGroup;
use crate::knowledge::usage::UsageReport;
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Since {
    /// A day or a moment; see `since_schema`.
    #[param(schema_with = since_schema)]
    pub since: Option<String>,
}

/// What `since` takes: a date, an RFC 3339 moment, or nothing.
fn since_schema() -> RefOr<Schema> {
    let format = |known| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(known)))
    };
    AnyOfBuilder::new()
        .description(Some(
            "A day (`2026-11-01`, office time) or an RFC 3339 moment; empty or left out: the default period",
        ))
        .item(format(KnownFormat::Date))
        .item(format(KnownFormat::DateTime))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .into()
}

/// Unanswered questions since a moment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Gaps {
    pub since: DateTime<Utc>,
    /// Largest group first.
    pub groups: Vec<GapGroup>,
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

/// Questions the bot could not answer (or got "Nee" on), grouped by
/// wording, largest group first (editors, admins). Personal data masked.
#[utoipa::path(get, path = "/api/knowledge/gaps", tag = "knowledge", security(("session" = [])), params(Since),
    responses((status = 200, description = "The groups", body = Gaps), (status = 403, response = Forbidden),
        (status = 400, description = "`since` is neither a day nor a moment (`invalid`)", body = ErrorBody)))]
pub async fn gaps(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<Since>,
) -> Result<HttpResponse, ApiError> {
    staff.require_editor()?;
    let since = since(&state, &query, GAPS_DEFAULT_DAYS)?;
    let knowledge = state.knowledge.load();
    let groups = gap_groups(&state.store, &knowledge, since).await?;
    Ok(HttpResponse::Ok().json(Gaps { since, groups }))
}

/// Per answer: how often given, "Ja"/"Nee" feedback, last given; and the
/// answers not given in 90 days (editors, admins).
#[utoipa::path(get, path = "/api/knowledge/usage", tag = "knowledge", security(("session" = [])), params(Since),
    responses((status = 200, description = "The usage table", body = UsageReport), (status = 403, response = Forbidden),
        (status = 400, description = "`since` is neither a day nor a moment (`invalid`)", body = ErrorBody)))]
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
#[utoipa::path(get, path = "/api/knowledge/confusions", tag = "knowledge", security(("session" = [])),
    responses((status = 200, description = "Where entries overlap: every example question asked with itself left out", body = ConfusionReport),
        (status = 403, response = Forbidden)))]
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
