//! The editors' views over HTTP: `GET /api/knowledge/gaps` (unanswered
//! questions, grouped, personal data masked) and `GET /api/knowledge/usage`
//! (per answer: given, "Ja", "Nee", last given; answers unused for 90
//! days), `GET /api/knowledge/confusions` (where entries overlap) and
//! `POST /api/knowledge/gaps/handled` (a group of gaps handled, or not).
//! Editors and admins only: staff work the queue, not the texts.

use super::doc::{Forbidden, ForbiddenOrCsrf};
use super::error::{ApiError, ErrorBody};
use crate::editors::{
    GAPS_DEFAULT_DAYS, MAX_MARKED, MarkError, USAGE_DEFAULT_DAYS, gap_groups, usage_report,
};
use crate::knowledge::confusions::ConfusionReport;
use crate::knowledge::gaps::{GapGroup, GroupState};
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

/// Which groups `GET /api/knowledge/gaps` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateFilter {
    /// Every group (the default).
    #[default]
    All,
    /// Groups that need an editor: never handled, or asked again since.
    Open,
    /// Groups marked as handled and not asked since.
    Handled,
}

impl StateFilter {
    fn keeps(self, state: GroupState) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Open => state != GroupState::Handled,
            StateFilter::Handled => state == GroupState::Handled,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GapsQuery {
    /// A day or a moment; see `since_schema`.
    #[param(schema_with = since_schema)]
    pub since: Option<String>,
    /// `open` (also the groups asked again after a mark), `handled`, or
    /// `all` (the default).
    pub state: Option<StateFilter>,
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
#[utoipa::path(get, path = "/api/knowledge/gaps", tag = "knowledge", security(("session" = [])), params(GapsQuery),
    responses((status = 200, description = "The groups", body = Gaps), (status = 403, response = Forbidden),
        (status = 400, description = "`since` is neither a day nor a moment, or `state` is none of `open`, `handled`, `all` (`invalid`)", body = ErrorBody)))]
pub async fn gaps(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<GapsQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require_editor()?;
    let period = Since {
        since: query.since.clone(),
    };
    let since = since(&state, &period, GAPS_DEFAULT_DAYS)?;
    let filter = query.state.unwrap_or_default();
    let knowledge = state.knowledge.load();
    let today = state
        .clock
        .now()
        .with_timezone(&state.settings.hours.timezone())
        .date_naive();
    let mut groups = gap_groups(&state.store, &knowledge, since, today).await?;
    groups.retain(|g| filter.keeps(g.state));
    Ok(HttpResponse::Ok().json(Gaps { since, groups }))
}

/// A group of unanswered questions marked as handled, or not any more.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct HandledMark {
    /// The group's `question_ids` as the page showed them: 1 to 2000
    /// (room in the 64 KiB a request may carry, so one over the limit is
    /// refused as such, not as too large).
    #[schema(min_items = 1, max_items = 2000)]
    #[serde(deserialize_with = "whole_numbers")]
    pub questions: Vec<i64>,
    /// `true`: mark as handled (by you, now); `false`: undo the mark.
    pub handled: bool,
}

/// Ids as JSON numbers: `12` and also `12.0`, which JSON Schema counts as
/// an integer too; `12.5` or text is refused.
fn whole_numbers<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    let numbers = Vec::<serde_json::Number>::deserialize(deserializer)?;
    numbers
        .iter()
        .map(|n| {
            n.as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number")))
        })
        .collect()
}

/// What a mark changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// Questions whose mark was set or taken off.
    pub changed: u64,
    pub handled: bool,
}

/// Mark a group of unanswered questions as handled (with who and when), or
/// undo that (editors, admins). The mark sits on the questions sent; a
/// question of the group asked later reopens it. Audited, with the number
/// of questions only.
#[utoipa::path(post, path = "/api/knowledge/gaps/handled", tag = "knowledge", request_body = HandledMark,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, description = "Marked, or the mark taken off", body = Marked),
        (status = 403, response = ForbiddenOrCsrf),
        (status = 400, description = "No questions, more than 2000, or ids that are not whole numbers (`invalid`, with `field`)", body = ErrorBody),
        (status = 404, description = "None of the questions is kept any more (`not_found`)", body = ErrorBody)))]
pub async fn mark_handled(
    staff: Staff,
    state: web::Data<AppState>,
    body: web::Json<HandledMark>,
) -> Result<HttpResponse, ApiError> {
    staff.require_editor()?;
    let changed = crate::editors::mark_handled(
        &state.store,
        &body.questions,
        body.handled,
        &staff.account.username,
        state.clock.now(),
    )
    .await
    .map_err(|error| match error {
        MarkError::Empty | MarkError::TooMany => ApiError::invalid(format!(
            "Geef bij 'questions' 1 tot {MAX_MARKED} vragen van de groep."
        ))
        .with("field", "questions"),
        MarkError::NoneKept => ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "not_found",
            "Deze vragen zijn niet meer bewaard; laad de lijst opnieuw.",
        ),
        MarkError::Store(error) => error.into(),
    })?;
    let action = if body.handled {
        "gaps_handled"
    } else {
        "gaps_reopened"
    };
    let detail = format!("{changed} vragen");
    super::audit::record(&state, &staff, action, None, Some(&detail)).await;
    Ok(HttpResponse::Ok().json(Marked {
        changed,
        handled: body.handled,
    }))
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

#[cfg(test)]
mod mark_tests {
    use super::*;

    #[test]
    fn question_ids_are_whole_numbers_written_either_way() {
        let mark: HandledMark =
            serde_json::from_str(r#"{"questions": [12, 13.0, -4], "handled": true}"#)
                .expect("valid");
        assert_eq!(mark.questions, [12, 13, -4]);
        for bad in [r#"[12.5]"#, r#"["12"]"#, r#"[1e300]"#] {
            let body = format!(r#"{{"questions": {bad}, "handled": true}}"#);
            assert!(serde_json::from_str::<HandledMark>(&body).is_err(), "{bad}");
        }
    }
}
