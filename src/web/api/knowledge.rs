//! `GET /api/knowledge/search`: the knowledge base for staff and editors,
//! so a reply can start from the approved answer.

use super::error::{ApiError, ErrorBody};
use crate::config::AddressForm;
use crate::domain::Language;
use crate::knowledge::Entry;
use crate::knowledge::compose::{Composed, compose};
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

/// Longest question, in characters.
const MAX_QUESTION: usize = 500;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Search {
    /// The question, as a citizen would ask it. Blank finds nothing.
    #[param(max_length = 500)]
    pub q: String,
    /// `nl` or `en`; anything else (or nothing) searches both.
    pub lang: Option<String>,
}

/// One approved answer that fits the question.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Hit {
    /// The entry's id.
    pub id: String,
    pub title: String,
    pub language: Language,
    /// How well it fits, rounded to three decimals.
    pub score: f64,
    /// The answer as staff should insert it now (opening hours filled
    /// in): the entry's u-version under `[staff] form = "u"` where it has
    /// one, else the text the bot sends.
    pub body: String,
    /// Which form `body` is in: `u` (the entry's u-version) or `je` (the
    /// bot's text, as the knowledge base is written).
    pub form: crate::config::AddressForm,
}

/// The best answers, at most five.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Hits {
    pub hits: Vec<Hit>,
}

/// Search the knowledge base for a reply draft (staff, editors, admins).
#[utoipa::path(get, path = "/api/knowledge/search", tag = "knowledge", security(("session" = [])),
    params(Search), responses((status = 200, description = "The best answers, best first", body = Hits),
        (status = 400, description = "`q` too long, or a query string that does not fit (`invalid`)", body = ErrorBody)))]
pub async fn search(
    _staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<Search>,
) -> Result<HttpResponse, ApiError> {
    // As the schema says: at most 500 characters as sent.
    if query.q.chars().count() > MAX_QUESTION {
        return Err(ApiError::invalid(format!(
            "Typ een zoekvraag van hooguit {MAX_QUESTION} tekens."
        )));
    }
    let question = query.q.trim();
    if question.is_empty() {
        return Ok(HttpResponse::Ok().json(Hits { hits: Vec::new() }));
    }
    let language = query.lang.as_deref().and_then(Language::parse);
    let knowledge = state.knowledge.load();
    let now = state.clock.now();
    let hours = &state.settings.hours;
    let date = now.with_timezone(&hours.timezone()).date_naive();
    let asked = knowledge.ask(question, language, date, &state.settings.faq.thresholds());
    let entries = knowledge.index.entries();
    let hits = asked
        .hits
        .iter()
        .take(5)
        .filter_map(|hit| entries.get(hit.entry).map(|entry| (hit, entry)))
        .map(|(hit, entry)| {
            let (entry, form) = for_staff(entry, state.settings.staff.form);
            let body = match compose(&entry, &knowledge, hours, question, now) {
                Composed::Answer(body) => body,
                _ => entry.body.clone(),
            };
            Hit {
                id: entry.id.as_str().to_owned(),
                title: entry.title.clone(),
                language: entry.lang,
                score: (hit.score * 1000.0).round() / 1000.0,
                body,
                form,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(Hits { hits }))
}

/// The entry as staff insert it: with its u-version as the body when the
/// organisation writes in the "u" form and the entry has one. The bot's
/// own text is untouched.
fn for_staff(entry: &Entry, form: AddressForm) -> (std::borrow::Cow<'_, Entry>, AddressForm) {
    match (&entry.body_u, form) {
        (Some(formal), AddressForm::U) => {
            let mut formal_entry = entry.clone();
            formal_entry.body = formal.clone();
            (std::borrow::Cow::Owned(formal_entry), AddressForm::U)
        }
        _ => (std::borrow::Cow::Borrowed(entry), AddressForm::Je),
    }
}
