//! Parsing Meta's `messages` webhook POST into a [`WebhookBatch`].
//!
//! Meta batches up to 1,000 updates (3 MB) in one POST: several entries,
//! each with several changes, each with messages and/or statuses. Shapes
//! follow Meta's documentation:
//! - payload examples: <https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples>
//! - messages webhook reference: <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages>
//! - business-scoped user ids (BSUID, 2026): <https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids>
//!
//! Invariants:
//! - Only a body that is not a WhatsApp webhook envelope at all is an error
//!   (not JSON, not an object, wrong `object`, no `entry` array). Everything
//!   inside is handled one piece at a time: each entry, change, message and
//!   status is converted on its own from a `serde_json::Value`, so one odd
//!   message never makes Meta redeliver (and us re-process) the whole batch.
//! - What cannot be used becomes one line in [`WebhookBatch::skipped`];
//!   those lines never contain message text or phone numbers, since they
//!   go to logs.
//! - Every identifier that leaves this module went through the domain's
//!   `parse`, so nothing malformed is stored. The profile name Meta sends is
//!   cleaned by `ProfileName::from_meta`; the webhook handler drops it when
//!   `[privacy] keep_profile_name` is off.
//! - No input panics: no `unwrap`, no slice indexing.
//!
//! The caller verifies the signature over the raw bytes first
//! (`super::signature`) and caps the body size at the HTTP layer; serde_json
//! itself refuses nesting deeper than 128 levels, which Meta never sends.
//!
//! Layout: [`parse_webhook`] checks the envelope, `walk` goes through its
//! entries, changes, messages and statuses, `raw` holds Meta's shapes,
//! `sender` and `content` turn a message into ours, `values` reads single
//! values (times, errors), and `json` and `safe_text` keep every reason
//! line free of payload text.

mod content;
mod json;
mod raw;
mod safe_text;
mod sender;
mod values;
mod walk;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::WebhookBatch;
use json::describe;
use walk::Parser;

/// The only `object` value of WhatsApp Business Account webhooks.
pub const WHATSAPP_OBJECT: &str = "whatsapp_business_account";

/// Why a body could not be read as a WhatsApp webhook at all. Anything
/// less severe is reported in [`WebhookBatch::skipped`] instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookParseError {
    /// The body is not valid JSON (serde_json's message with line and
    /// column; it never quotes the body).
    #[error("body is not JSON: {0}")]
    NotJson(String),
    /// Valid JSON, but not an object.
    #[error("body is JSON but not an object")]
    NotAnObject,
    /// `object` is missing or is not `whatsapp_business_account`.
    #[error("`object` is {found}, expected \"whatsapp_business_account\"")]
    WrongObject {
        /// What was found instead, shortened.
        found: String,
    },
    /// There is no `entry` array.
    #[error("body has no `entry` array")]
    NoEntries,
}

// The top level, `{"object":"whatsapp_business_account","entry":[...]}`,
// has no struct: it is checked as a `Value` in `parse_webhook`, because
// serde would also fill a struct from a JSON array and we want a precise
// error for each way the envelope can be wrong.
/// Parses one webhook POST body. `received_at` stands in for a message or
/// status timestamp that is missing or implausible.
///
/// Returns an error only when the body is not a WhatsApp webhook envelope
/// (see [`WebhookParseError`]); every message and status that makes sense
/// is returned, everything else is listed in `skipped`.
pub fn parse_webhook(
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<WebhookBatch, WebhookParseError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| WebhookParseError::NotJson(e.to_string()))?;
    let Value::Object(mut root) = root else {
        return Err(WebhookParseError::NotAnObject);
    };
    match root.get("object") {
        Some(Value::String(object)) if object == WHATSAPP_OBJECT => {}
        other => {
            return Err(WebhookParseError::WrongObject {
                found: describe(other),
            });
        }
    }
    let Some(Value::Array(entries)) = root.remove("entry") else {
        return Err(WebhookParseError::NoEntries);
    };

    let mut parser = Parser {
        received_at,
        batch: WebhookBatch::default(),
    };
    for (index, entry) in entries.into_iter().enumerate() {
        parser.entry(&format!("entry {index}"), entry);
    }
    Ok(parser.batch)
}

#[cfg(test)]
mod tests;
