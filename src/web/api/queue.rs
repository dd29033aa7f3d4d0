//! The queue routes: thin handlers over `db::queue`. Each checks the role,
//! calls one store method, publishes what changed and answers JSON.

use super::error::ApiError;
use crate::db::StaffMessage;
use crate::queue::events::{Change, QueueEvent};
use crate::queue::{QueueError, Summary};
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// Longest staff message: WhatsApp's limit for a text body.
const MAX_TEXT: usize = 4096;

fn publish(state: &AppState, summary: &Summary, change: Change, to: Option<String>) {
    state.events.publish(QueueEvent {
        id: summary.id,
        change,
        state: summary.state.as_str().to_owned(),
        claimed_by: summary.claimed_by.clone(),
        urgent: summary.urgent,
        to,
    });
}

fn template_json(state: &AppState, summary: &Summary) -> serde_json::Value {
    state.settings.queue.template_for(summary.language).map_or(
        serde_json::Value::Null,
        |(name, language)| json!({"name": name, "language": language}),
    )
}

/// `GET /api/queue`
pub async fn list(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let conversations = state.store.queue().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({"now": state.clock.now(), "conversations": conversations})))
}

/// `GET /api/conversations/{id}`: personal data masked.
pub async fn show(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let revealed = state
        .revealed
        .lock()
        .map(|set| set.contains(&(staff.token_hash.clone(), *id)))
        .unwrap_or(false);
    thread_response(&staff, &state, *id, revealed).await
}

/// `POST /api/conversations/{id}/reveal`: the same, unmasked; audited the
/// first time per login, after which `GET` shows it unmasked too.
pub async fn reveal(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let response = thread_response(&staff, &state, *id, true).await?;
    let first = state
        .revealed
        .lock()
        .map(|mut set| set.insert((staff.token_hash.clone(), *id)))
        .unwrap_or(true);
    if first {
        super::audit::record(&state, &staff, "reveal", Some(*id), None).await;
    }
    Ok(response)
}

async fn thread_response(
    staff: &Staff,
    state: &AppState,
    id: i64,
    reveal: bool,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let thread = state
        .store
        .thread(id, state.clock.now(), reveal)
        .await?
        .ok_or(QueueError::NotFound)?;
    let mut body = serde_json::to_value(&thread).map_err(|_| ApiError::internal())?;
    if let Some(object) = body.as_object_mut() {
        object.insert("template".to_owned(), template_json(state, &thread.summary));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}

/// `POST /api/conversations/{id}/claim`
pub async fn claim(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let summary = state
        .store
        .claim(
            *id,
            &staff.account,
            state.settings.queue.max_claims,
            state.clock.now(),
        )
        .await?;
    publish(&state, &summary, Change::Claimed, None);
    super::audit::record(&state, &staff, "claim", Some(summary.id), None).await;
    Ok(HttpResponse::Ok().json(summary))
}

/// `POST /api/conversations/{id}/release`
pub async fn release(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let summary = state
        .store
        .release(*id, &staff.account, state.clock.now())
        .await?;
    publish(&state, &summary, Change::Released, None);
    super::audit::record(&state, &staff, "release", Some(summary.id), None).await;
    Ok(HttpResponse::Ok().json(summary))
}

#[derive(Debug, Deserialize)]
pub struct Reply {
    pub text: Option<String>,
    /// `true`: send the configured template instead of text.
    #[serde(default)]
    pub template: bool,
}

/// `POST /api/conversations/{id}/reply`
pub async fn reply(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<Reply>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let summary = state
        .store
        .summary(*id)
        .await?
        .ok_or(QueueError::NotFound)?;
    let message = match body.into_inner() {
        Reply { template: true, .. } => {
            let (name, language) = state
                .settings
                .queue
                .template_for(summary.language)
                .ok_or(QueueError::NoTemplate)?;
            StaffMessage::Template { name, language }
        }
        Reply {
            text: Some(text), ..
        } if !text.trim().is_empty() => {
            if text.chars().count() > MAX_TEXT {
                return Err(ApiError::invalid(format!(
                    "Het bericht is te lang: WhatsApp staat hooguit {MAX_TEXT} tekens toe."
                )));
            }
            let bad = crate::privacy::links::disallowed_domains(
                &text,
                &state.settings.knowledge.link_allowlist,
            );
            if let Some(domain) = bad.first() {
                return Err(ApiError::invalid(format!(
                    "Links mogen alleen naar vertrouwde sites ({}); {domain} staat daar niet bij.",
                    state.settings.knowledge.link_allowlist.join(", ")
                ))
                .with("domain", domain.clone()));
            }
            StaffMessage::Text(text.trim().to_owned())
        }
        _ => {
            return Err(ApiError::invalid(
                "Schrijf een bericht, of kies het sjabloon (\"template\": true).",
            ));
        }
    };
    let outbox_id = match state
        .store
        .staff_send(*id, &staff.account, message, state.clock.now())
        .await
    {
        Err(QueueError::WindowClosed { expires_at }) => {
            return Err(ApiError::from(QueueError::WindowClosed { expires_at })
                .with("template", template_json(&state, &summary)));
        }
        other => other?,
    };
    state.wake_outbox.notify_one();
    publish(&state, &summary, Change::Replied, None);
    super::audit::record(&state, &staff, "reply", Some(summary.id), None).await;
    Ok(HttpResponse::Accepted().json(json!({"outbox_id": outbox_id})))
}

#[derive(Debug, Deserialize)]
pub struct Transfer {
    pub to: String,
}

/// `POST /api/conversations/{id}/transfer`
pub async fn transfer(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<Transfer>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let name = body.to.trim().to_lowercase();
    let to = state
        .store
        .user(&name)
        .await?
        .ok_or_else(|| QueueError::UnknownUser(name.clone()))?;
    let summary = state
        .store
        .transfer(
            *id,
            &staff.account,
            &to,
            state.settings.queue.max_claims,
            state.clock.now(),
        )
        .await?;
    super::audit::record(
        &state,
        &staff,
        "transfer",
        Some(summary.id),
        Some(&to.username),
    )
    .await;
    publish(&state, &summary, Change::Transferred, Some(to.username));
    Ok(HttpResponse::Ok().json(summary))
}

#[derive(Debug, Deserialize)]
pub struct Close {
    pub topic: String,
}

/// `POST /api/conversations/{id}/close`
pub async fn close(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<Close>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let topic = body.topic.trim();
    if topic.is_empty() || topic.chars().count() > 80 {
        return Err(ApiError::invalid(
            "Kies of typ een onderwerp (1 tot 80 tekens) om het gesprek af te sluiten.",
        ));
    }
    let summary = state
        .store
        .close_conversation(*id, &staff.account, topic, state.clock.now())
        .await?;
    publish(&state, &summary, Change::Closed, None);
    super::audit::record(&state, &staff, "close", Some(summary.id), Some(topic)).await;
    Ok(HttpResponse::Ok().json(summary))
}

/// `GET /api/staff`: colleagues who can take a thread.
pub async fn colleagues(
    staff: Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let online = state
        .store
        .staff_online(super::online_since(&state))
        .await?;
    let list: Vec<serde_json::Value> = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|a| !a.disabled && a.role.works_the_queue())
        .map(|a| {
            json!({
                "username": a.username,
                "role": a.role.as_str(),
                "online": online.contains(&a.username),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"staff": list})))
}
