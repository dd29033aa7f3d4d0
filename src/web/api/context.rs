//! Context beside a thread (issue 22): internal notes, the citizen's
//! earlier conversations and the search of closed threads. Thin handlers:
//! the rules are in `domain::context`, the storage in `db::notes` and
//! `db::past`.

use super::doc::{Forbidden, ForbiddenOrCsrf};
use super::error::{ApiError, ErrorBody};
use super::queue::{ConversationPath, NOT_BLANK, authorise_read};
use crate::domain::context::{MAX_NOTE_CHARS, Note, NoteError, PastConversation, SearchError};
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};

/// An internal note as written.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewNote {
    /// Never sent to the citizen; stored trimmed, not blank, at most 2000
    /// characters.
    #[schema(schema_with = note_schema)]
    pub text: String,
}

/// What a note (also a transfer's) accepts: not blank, at most 2000
/// characters.
pub fn note_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(MAX_NOTE_CHARS))
        .pattern(Some(NOT_BLANK))
        .description(Some(
            "An internal note, never sent to the citizen: not blank, at most 2000 characters",
        ))
}

/// A note refused: 400 `invalid` with `field` and the reason in words.
pub fn refused_note(error: &NoteError, field: &'static str) -> ApiError {
    ApiError::invalid(error.dutch())
        .with("field", field)
        .with("max", MAX_NOTE_CHARS)
}

/// The checked text of an optional note (a transfer's): blank is none.
pub fn optional_note(text: Option<&str>) -> Result<Option<&str>, ApiError> {
    match text {
        Some(text) if !text.trim().is_empty() => crate::domain::context::note_text(text)
            .map(Some)
            .map_err(|e| refused_note(&e, "note")),
        _ => Ok(None),
    }
}

/// Write an internal note on a thread: shown to staff in the history with
/// author and time, never sent to the citizen, deleted with the
/// conversation. Anyone who may read the thread may add one.
#[utoipa::path(post, path = "/api/conversations/{id}/notes", tag = "queue", request_body = NewNote,
    security(("session" = [], "csrf" = [])), params(ConversationPath),
    responses((status = 201, description = "Stored", body = Note), (status = 403, response = ForbiddenOrCsrf),
        (status = 400, description = "Blank, or longer than 2000 characters (`invalid`, with `field` and `max`; `message` says why)", body = ErrorBody)))]
pub async fn add(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
    body: web::Json<NewNote>,
) -> Result<HttpResponse, ApiError> {
    let summary = authorise_read(&staff, &state, id.public()).await?;
    let text =
        crate::domain::context::note_text(&body.text).map_err(|e| refused_note(&e, "text"))?;
    let author = crate::db::staff_actor(&staff.account);
    let note = state
        .store
        .add_note(summary.key, &author, text, state.clock.now())
        .await?;
    // Content stays out of the log: only that a note was written.
    super::audit::record(&state, &staff, "note", Some(&summary.id), None).await;
    Ok(HttpResponse::Created().json(note))
}

/// Conversations for the staff page's short lists.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PastList {
    pub conversations: Vec<PastConversation>,
}

/// The moment before which the retention purge deletes a conversation.
fn retention_cutoff(state: &AppState) -> DateTime<Utc> {
    let retention = chrono::Duration::from_std(state.settings.privacy.retention.0)
        .unwrap_or(chrono::Duration::MAX);
    state
        .clock
        .now()
        .checked_sub_signed(retention)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn list(conversations: Vec<PastConversation>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(PastList { conversations })
}

/// The citizen's other conversations (the same number or web chat) that
/// retention still holds, newest first, at most 50: date, reference,
/// topic and state. Opening one reads it like any thread (audited when it
/// is outside one's work).
#[utoipa::path(get, path = "/api/conversations/{id}/earlier", tag = "queue", security(("session" = [])),
    params(ConversationPath),
    responses((status = 200, description = "Earlier conversations", body = PastList), (status = 403, response = Forbidden)))]
pub async fn earlier(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
) -> Result<HttpResponse, ApiError> {
    let summary = authorise_read(&staff, &state, id.public()).await?;
    let found = state
        .store
        .earlier_conversations(summary.key, retention_cutoff(&state))
        .await?;
    Ok(list(found))
}

/// What the search of closed threads asks for; every part optional.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClosedSearch {
    /// The reference (the first digits of the id, as the page shows it):
    /// 4 to 32 hexadecimal digits, a leading `#` allowed.
    #[param(pattern = r"^\s*#?[0-9A-Fa-f]{4,32}\s*$")]
    pub reference: Option<String>,
    /// Closed on or after this day (YYYY-MM-DD, office time).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Closed on or before this day (YYYY-MM-DD, office time).
    #[param(format = Date)]
    pub to: Option<String>,
    /// Part of the topic given at close, any case.
    #[param(max_length = 80)]
    pub topic: Option<String>,
}

/// A search refused: 400 `invalid` naming the `field`.
fn refused_search(error: &SearchError) -> ApiError {
    ApiError::invalid(error.dutch()).with("field", error.field())
}

/// Closed threads that retention still holds, by reference, closing day
/// and topic, most recently closed first (at most 50).
#[utoipa::path(get, path = "/api/closed-conversations", tag = "queue", security(("session" = [])),
    params(ClosedSearch),
    responses((status = 200, description = "Closed threads found", body = PastList), (status = 403, response = Forbidden),
        (status = 400, description = "A date that is no YYYY-MM-DD day, `to` before `from`, or a reference that is no 4 to 32 hexadecimal digits (`invalid`, with `field`: `from`, `to`, `reference` or `topic`)", body = ErrorBody)))]
pub async fn search(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<ClosedSearch>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let search = crate::domain::context::search_of(
        query.reference.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
        query.topic.as_deref(),
    )
    .map_err(|e| refused_search(&e))?;
    let zone = state.settings.hours.timezone();
    let start_of = |day: NaiveDate| crate::hours::start_of_day(zone, day);
    let closed = crate::db::ClosedQuery {
        reference: search.reference,
        closed_from: search.from.map(start_of),
        closed_before: search.to.and_then(|to| to.succ_opt()).map(start_of),
        topic: search.topic,
    };
    let found = state
        .store
        .search_closed(&closed, retention_cutoff(&state))
        .await?;
    Ok(list(found))
}
