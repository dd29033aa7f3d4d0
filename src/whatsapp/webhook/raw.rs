//! Meta's shapes, as far as we read them. Every field is optional: what
//! is missing is judged where it is used, so one absent field never sinks
//! a whole message.

use serde::Deserialize;
use serde_json::{Map, Value};

/// One element of `entry`: one WhatsApp Business Account.
/// <https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples>
#[derive(Debug, Deserialize)]
pub(super) struct RawEntry {
    /// Kept as raw values so a broken change does not sink its siblings.
    pub(super) changes: Option<Value>,
}

/// One element of `entry[].changes`: `field` says what kind of update
/// `value` holds; we handle `messages` only.
#[derive(Debug, Deserialize)]
pub(super) struct RawChange {
    pub(super) field: Option<String>,
    pub(super) value: Option<Value>,
}

/// `value.metadata`: which of our business numbers this is about.
#[derive(Debug, Deserialize)]
pub(super) struct RawMetadata {
    pub(super) phone_number_id: Option<String>,
}

/// One element of `value.contacts`: who sent the messages in this change.
/// Since 2026 `wa_id` may be absent and `user_id` (BSUID) present.
/// `profile` is kept as a raw value: only its `name` is read, and an odd
/// shape costs the name, never the message. The `username` is not read.
#[derive(Debug, Deserialize)]
pub(super) struct RawContact {
    pub(super) wa_id: Option<String>,
    pub(super) user_id: Option<String>,
    pub(super) profile: Option<Value>,
}

/// One element of `value.messages`: the common part of every inbound
/// message. The object named after `type` (`text`, `image`, ...) lands in
/// `payloads` and is read only for the declared type, so an odd field of
/// another type cannot break the message.
/// <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages>
#[derive(Debug, Deserialize)]
pub(super) struct RawMessage {
    pub(super) id: Option<String>,
    /// The citizen's phone number; absent for users who hide it (2026).
    pub(super) from: Option<String>,
    /// The citizen's business-scoped user id (BSUID).
    pub(super) from_user_id: Option<String>,
    /// Unix seconds as a string; a number is accepted too.
    pub(super) timestamp: Option<Value>,
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    /// `context.id` is the message this one replies to.
    pub(super) context: Option<Value>,
    #[serde(flatten)]
    pub(super) payloads: Map<String, Value>,
}

/// `text` of a text message.
#[derive(Debug, Deserialize)]
pub(super) struct RawText {
    pub(super) body: Option<String>,
}

/// `image`, `audio`, `video`, `document` or `sticker`: the media object.
/// `sha256`, `url` and `animated` are not needed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawMedia {
    pub(super) id: Option<String>,
    pub(super) mime_type: Option<String>,
    pub(super) caption: Option<String>,
    pub(super) filename: Option<String>,
    /// `true` for a voice note recorded in the app (audio only).
    pub(super) voice: Option<bool>,
}

/// `location` of a location message.
#[derive(Debug, Deserialize)]
pub(super) struct RawLocation {
    pub(super) latitude: Option<f64>,
    pub(super) longitude: Option<f64>,
    pub(super) name: Option<String>,
    pub(super) address: Option<String>,
}

/// `interactive` of a reply to an interactive message.
#[derive(Debug, Deserialize)]
pub(super) struct RawInteractive {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) button_reply: Option<RawReply>,
    pub(super) list_reply: Option<RawReply>,
}

/// `interactive.button_reply` or `interactive.list_reply`.
#[derive(Debug, Deserialize)]
pub(super) struct RawReply {
    pub(super) id: Option<String>,
    pub(super) title: Option<String>,
}

/// `button` of a quick-reply tap on a template.
#[derive(Debug, Deserialize)]
pub(super) struct RawButton {
    pub(super) payload: Option<String>,
    pub(super) text: Option<String>,
}

/// `reaction`: `emoji` is absent when the reaction was removed.
#[derive(Debug, Deserialize)]
pub(super) struct RawReaction {
    pub(super) message_id: Option<String>,
    pub(super) emoji: Option<String>,
}

/// `order` from a catalogue.
#[derive(Debug, Deserialize)]
pub(super) struct RawOrder {
    pub(super) catalog_id: Option<String>,
    pub(super) product_items: Option<Vec<Value>>,
}

/// `system`, e.g. the citizen changed number.
#[derive(Debug, Deserialize)]
pub(super) struct RawSystem {
    pub(super) body: Option<String>,
}

/// One element of `value.statuses`. `recipient_id` (phone) and
/// `recipient_user_id` (BSUID) may each be absent since 2026; we do not
/// read them because the wamid already identifies our message. `errors` is
/// kept raw so an odd error object does not lose the status.
/// <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status>
#[derive(Debug, Deserialize)]
pub(super) struct RawStatus {
    pub(super) id: Option<String>,
    pub(super) status: Option<String>,
    pub(super) timestamp: Option<Value>,
    pub(super) errors: Option<Value>,
}
