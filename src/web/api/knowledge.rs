//! `GET /api/knowledge/search`: the knowledge base for staff and editors,
//! so a reply can start from the approved answer.

use super::error::ApiError;
use crate::domain::Language;
use crate::knowledge::compose::{Composed, compose};
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
pub struct Search {
    pub q: String,
    pub lang: Option<String>,
}

/// `GET /api/knowledge/search?q=...&lang=nl`
pub async fn search(
    _staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<Search>,
) -> Result<HttpResponse, ApiError> {
    let question = query.q.trim();
    if question.is_empty() || question.chars().count() > 500 {
        return Err(ApiError::invalid("Typ een zoekvraag van 1 tot 500 tekens."));
    }
    let language = query.lang.as_deref().and_then(Language::parse);
    let knowledge = state.knowledge.load();
    let now = state.clock.now();
    let hours = &state.settings.hours;
    let date = now.with_timezone(&hours.timezone()).date_naive();
    let asked = knowledge.ask(question, language, date, &state.settings.faq.thresholds());
    let entries = knowledge.index.entries();
    let hits: Vec<serde_json::Value> = asked
        .hits
        .iter()
        .take(5)
        .filter_map(|hit| entries.get(hit.entry).map(|entry| (hit, entry)))
        .map(|(hit, entry)| {
            let body = match compose(entry, &knowledge, hours, question, now) {
                Composed::Answer(body) => body,
                _ => entry.body.clone(),
            };
            json!({
                "id": entry.id.as_str(),
                "title": entry.title,
                "language": entry.lang,
                "score": (hit.score * 1000.0).round() / 1000.0,
                "body": body,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"hits": hits})))
}
