//! `/webhooks/whatsapp`: Meta's verification handshake (`GET`) and event
//! delivery (`POST`). A POST is answered 200 only after everything in it is
//! stored; sending happens later, from the outbox, so the 200 never waits
//! for Meta. Non-2xx answers make Meta redeliver, so they are used only
//! where a retry can help (storage down) or the request is not Meta's.

use super::AppState;
use crate::whatsapp::{signature, webhook};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Deserialize;

/// Query of Meta's verification request.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's challenge is a number; anything long or odd is not Meta.
fn plausible_challenge(challenge: &str) -> bool {
    !challenge.is_empty()
        && challenge.len() <= 128
        && challenge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `GET`: echo `hub.challenge` when mode and token match; 403 otherwise.
pub async fn verify(state: web::Data<AppState>, query: web::Query<VerifyQuery>) -> HttpResponse {
    let forbidden = || {
        HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("verification failed")
    };
    let Some(expected) = &state.settings.secrets.verify_token else {
        tracing::warn!("webhook verification refused: LOKET_WHATSAPP_VERIFY_TOKEN is not set");
        return forbidden();
    };
    let token_ok = query.verify_token.as_deref().is_some_and(|given| {
        constant_time_eq(given.as_bytes(), expected.expose_secret().as_bytes())
    });
    match (&query.mode, &query.challenge) {
        (Some(mode), Some(challenge))
            if mode == "subscribe" && token_ok && plausible_challenge(challenge) =>
        {
            tracing::info!("webhook verified by Meta");
            HttpResponse::Ok()
                .content_type("text/plain; charset=utf-8")
                .body(challenge.clone())
        }
        _ => {
            tracing::warn!("webhook verification refused: wrong mode, token or challenge");
            forbidden()
        }
    }
}

/// Whether a message of `batch` has a file for the fetcher to fetch.
fn carries_files(batch: &crate::domain::WebhookBatch) -> bool {
    batch.messages.iter().any(|message| {
        matches!(
            message.content,
            crate::domain::MessageContent::Media {
                media_id: Some(_),
                ..
            }
        )
    })
}

/// Compares secrets without leaking them through timing.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    // Compare fixed-size digests so neither content nor length leaks through timing.
    Sha256::digest(a).ct_eq(&Sha256::digest(b)).into()
}

/// `POST`: verify the signature over the raw bytes, parse, store, 200.
pub async fn receive(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(secret) = &state.settings.secrets.app_secret else {
        tracing::error!(
            "webhook POST refused: LOKET_WHATSAPP_APP_SECRET is not set, so signatures cannot be checked"
        );
        return HttpResponse::Unauthorized().body("signature cannot be verified");
    };
    let header = request
        .headers()
        .get("x-hub-signature-256")
        .and_then(|value| value.to_str().ok());
    if let Err(error) =
        signature::verify_signature(secret.expose_secret().as_bytes(), &body, header)
    {
        tracing::warn!(error = %error, bytes = body.len(), "webhook POST refused: bad signature");
        return HttpResponse::Unauthorized().body("invalid signature");
    }
    let received_at = state.clock.now();
    let mut batch = match webhook::parse_webhook(&body, received_at) {
        Ok(batch) => batch,
        Err(error) => {
            tracing::warn!(error = %error, bytes = body.len(), "webhook POST refused: malformed payload");
            return HttpResponse::BadRequest().body("malformed payload");
        }
    };
    if !state.settings.privacy.keep_profile_name {
        batch.forget_profile_names();
    }
    for line in &batch.skipped {
        tracing::info!("webhook: skipped {line}");
    }
    let files = carries_files(&batch);
    // Group commit: stored together with the POSTs that arrive meanwhile;
    // answered only once the transaction holding these rows committed.
    match state.intake.record(batch, received_at).await {
        Ok(outcome) => {
            tracing::info!(
                stored = outcome.stored,
                duplicates = outcome.duplicates,
                statuses = outcome.statuses,
                "webhook stored"
            );
            if outcome.stored > 0 {
                state.wake_processor.notify_one();
                // Only then: a fetcher turn takes a write turn, which the
                // webhook's own writes should not wait behind for nothing.
                if files {
                    state.wake_fetcher.notify_one();
                }
            }
            HttpResponse::Ok()
                .content_type("text/plain; charset=utf-8")
                .body("EVENT_RECEIVED")
        }
        Err(error) => {
            // 500 makes Meta redeliver later: nothing is lost.
            tracing::error!(error = %error, "webhook could not be stored; Meta will redeliver");
            HttpResponse::InternalServerError().body("temporarily unavailable")
        }
    }
}
