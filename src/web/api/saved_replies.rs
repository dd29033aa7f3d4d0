//! `GET /api/saved-replies`: the saved replies (`config/saved-replies/`)
//! for the reply box's `/` picker, with their placeholders filled on the
//! server, so the page inserts finished text and the words a placeholder
//! becomes are decided in one place.

use super::doc::Forbidden;
use super::error::{ApiError, ErrorBody};
use crate::config::saved_replies::{fill, staff_name};
use crate::domain::Language;
use crate::hours::wording::format_moment;
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// `nl` or `en`: only the replies in that language. Anything else (or
    /// nothing) lists both.
    pub lang: Option<String>,
}

/// One saved reply, ready to insert.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedReplyView {
    /// The reply's id, the same in every language.
    pub id: String,
    /// What the picker shows.
    pub title: String,
    pub language: Language,
    /// The text with its placeholders filled in for the caller now.
    pub text: String,
}

/// The saved replies, by language then title.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedReplyList {
    pub replies: Vec<SavedReplyView>,
}

/// The saved replies for the reply box (staff and admins), with
/// `{naam_medewerker}` (the caller's name), `{deadline}` (the answer time
/// promised from now, in the reply's language) and `{organisatie}` filled in.
#[utoipa::path(get, path = "/api/saved-replies", tag = "queue", security(("session" = [])),
    params(Filter),
    responses((status = 200, description = "The saved replies, by language then title", body = SavedReplyList),
        (status = 400, description = "A query string that does not fit (`invalid`)", body = ErrorBody),
        (status = 403, response = Forbidden)))]
pub async fn list(
    filter: web::Query<Filter>,
    staff: Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let language = filter.lang.as_deref().and_then(Language::parse);
    let settings = &state.settings;
    let now = state.clock.now();
    let name = staff_name(&staff.account.username);
    let promised = settings.hours.deadline(now);
    let replies = settings
        .saved_replies
        .in_language(language)
        .map(|reply| {
            let deadline = promised
                .map(|at| format_moment(at, now, settings.hours.timezone(), reply.language));
            let mut values = vec![
                ("naam_medewerker", name.as_str()),
                ("organisatie", settings.organisation.as_str()),
            ];
            // No opening within the hours' horizon: the placeholder stays,
            // for staff to fill in by hand.
            if let Some(deadline) = &deadline {
                values.push(("deadline", deadline.as_str()));
            }
            SavedReplyView {
                id: reply.id.clone(),
                title: reply.title.clone(),
                language: reply.language,
                text: fill(&reply.body, &values),
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(SavedReplyList { replies }))
}
