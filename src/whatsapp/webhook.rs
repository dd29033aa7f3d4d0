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
//!   never read (data minimisation).
//! - No input panics: no `unwrap`, no slice indexing.
//!
//! The caller verifies the signature over the raw bytes first
//! (`super::signature`) and caps the body size at the HTTP layer; serde_json
//! itself refuses nesting deeper than 128 levels, which Meta never sends.

use crate::domain::{
    CitizenRef, DeliveryStatus, GraphErrorDetail, InboundMessage, InteractiveKind, MediaKind,
    MessageContent, StatusUpdate, UserId, WaId, Wamid, WebhookBatch,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The only `object` value of WhatsApp Business Account webhooks.
pub const WHATSAPP_OBJECT: &str = "whatsapp_business_account";

/// Earliest plausible message time (2009-01-01, before WhatsApp existed);
/// anything older is a broken clock or garbage and gets `received_at`.
const EARLIEST_PLAUSIBLE_SECS: i64 = 1_230_768_000;

/// How far in the future a timestamp may lie before we distrust it:
/// phone clocks drift, but not by more than a day.
const MAX_FUTURE_SKEW_SECS: i64 = 24 * 60 * 60;

/// Longest type or field name we copy from the payload into our own data,
/// so an attacker-sized string cannot end up in storage or metrics.
const MAX_NAME_CHARS: usize = 64;

/// Longest identifier quoted in a skipped line.
const MAX_LABEL_CHARS: usize = 100;

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

/// One element of `entry`: one WhatsApp Business Account.
/// <https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples>
#[derive(Debug, Deserialize)]
struct RawEntry {
    /// Kept as raw values so a broken change does not sink its siblings.
    changes: Option<Value>,
}

/// One element of `entry[].changes`: `field` says what kind of update
/// `value` holds; we handle `messages` only.
#[derive(Debug, Deserialize)]
struct RawChange {
    field: Option<String>,
    value: Option<Value>,
}

/// `value.metadata`: which of our business numbers this is about.
#[derive(Debug, Deserialize)]
struct RawMetadata {
    phone_number_id: Option<String>,
}

/// One element of `value.contacts`: who sent the messages in this change.
/// Since 2026 `wa_id` may be absent and `user_id` (BSUID) present. The
/// `profile` (name, username) is deliberately not deserialised: we do not
/// keep what we do not need.
#[derive(Debug, Deserialize)]
struct RawContact {
    wa_id: Option<String>,
    user_id: Option<String>,
}

/// One element of `value.messages`: the common part of every inbound
/// message. The object named after `type` (`text`, `image`, ...) lands in
/// `payloads` and is read only for the declared type, so an odd field of
/// another type cannot break the message.
/// <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages>
#[derive(Debug, Deserialize)]
struct RawMessage {
    id: Option<String>,
    /// The citizen's phone number; absent for users who hide it (2026).
    from: Option<String>,
    /// The citizen's business-scoped user id (BSUID).
    from_user_id: Option<String>,
    /// Unix seconds as a string; a number is accepted too.
    timestamp: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// `context.id` is the message this one replies to.
    context: Option<Value>,
    #[serde(flatten)]
    payloads: Map<String, Value>,
}

/// `text` of a text message.
#[derive(Debug, Deserialize)]
struct RawText {
    body: Option<String>,
}

/// `image`, `audio`, `video`, `document` or `sticker`: the media object.
/// `sha256`, `url` and `animated` are not needed.
#[derive(Debug, Default, Deserialize)]
struct RawMedia {
    id: Option<String>,
    mime_type: Option<String>,
    caption: Option<String>,
    filename: Option<String>,
    /// `true` for a voice note recorded in the app (audio only).
    voice: Option<bool>,
}

/// `location` of a location message.
#[derive(Debug, Deserialize)]
struct RawLocation {
    latitude: Option<f64>,
    longitude: Option<f64>,
    name: Option<String>,
    address: Option<String>,
}

/// `interactive` of a reply to an interactive message.
#[derive(Debug, Deserialize)]
struct RawInteractive {
    #[serde(rename = "type")]
    kind: Option<String>,
    button_reply: Option<RawReply>,
    list_reply: Option<RawReply>,
}

/// `interactive.button_reply` or `interactive.list_reply`.
#[derive(Debug, Deserialize)]
struct RawReply {
    id: Option<String>,
    title: Option<String>,
}

/// `button` of a quick-reply tap on a template.
#[derive(Debug, Deserialize)]
struct RawButton {
    payload: Option<String>,
    text: Option<String>,
}

/// `reaction`: `emoji` is absent when the reaction was removed.
#[derive(Debug, Deserialize)]
struct RawReaction {
    message_id: Option<String>,
    emoji: Option<String>,
}

/// `order` from a catalogue.
#[derive(Debug, Deserialize)]
struct RawOrder {
    catalog_id: Option<String>,
    product_items: Option<Vec<Value>>,
}

/// `system`, e.g. the citizen changed number.
#[derive(Debug, Deserialize)]
struct RawSystem {
    body: Option<String>,
}

/// One element of `value.statuses`. `recipient_id` (phone) and
/// `recipient_user_id` (BSUID) may each be absent since 2026; we do not
/// read them because the wamid already identifies our message. `errors` is
/// kept raw so an odd error object does not lose the status.
/// <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status>
#[derive(Debug, Deserialize)]
struct RawStatus {
    id: Option<String>,
    status: Option<String>,
    timestamp: Option<Value>,
    errors: Option<Value>,
}

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

/// Walks one envelope, filling `batch`.
struct Parser {
    received_at: DateTime<Utc>,
    batch: WebhookBatch,
}

impl Parser {
    fn skip(&mut self, at: &str, reason: impl std::fmt::Display) {
        // Reasons quote short strings from the payload and Meta's error
        // titles; should one hold personal data, it is masked before it
        // can reach a log.
        let reason = crate::privacy::mask(&reason.to_string());
        self.batch.skipped.push(format!("{at}: {reason}"));
    }

    fn entry(&mut self, at: &str, entry: Value) {
        let raw: RawEntry = match from_object(entry) {
            Ok(raw) => raw,
            Err(reason) => return self.skip(at, reason),
        };
        let changes = match raw.changes {
            Some(Value::Array(changes)) => changes,
            Some(other) => {
                return self.skip(at, format!("`changes` is {}", describe(Some(&other))));
            }
            None => return self.skip(at, "no `changes`"),
        };
        for (index, change) in changes.into_iter().enumerate() {
            self.change(&format!("{at}, change {index}"), change);
        }
    }

    fn change(&mut self, at: &str, change: Value) {
        let raw: RawChange = match from_object(change) {
            Ok(raw) => raw,
            Err(reason) => return self.skip(at, reason),
        };
        match raw.field.as_deref() {
            Some("messages") => {}
            Some(other) => {
                return self.skip(
                    at,
                    format!(
                        "field `{}` is not handled",
                        printable(other, MAX_NAME_CHARS)
                    ),
                );
            }
            None => return self.skip(at, "no `field`"),
        }
        let mut value = match raw.value {
            Some(Value::Object(value)) => value,
            other => return self.skip(at, format!("`value` is {}", describe(other.as_ref()))),
        };

        // A broken metadata only costs us the business number, not the messages.
        let business_phone_number_id = value
            .remove("metadata")
            .and_then(|metadata| from_object::<RawMetadata>(metadata).ok())
            .and_then(|metadata| metadata.phone_number_id)
            .filter(|id| is_phone_number_id(id));
        // A contact we cannot read is only a lost fallback for the sender.
        let contacts: Vec<RawContact> = take_array(&mut value, "contacts")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|contact| from_object(contact).ok())
            .collect();

        let mut anything = false;
        match take_array(&mut value, "messages") {
            Ok(messages) => {
                anything |= !messages.is_empty();
                for (index, message) in messages.into_iter().enumerate() {
                    let at = format!("{at}, message {index}");
                    self.message(&at, message, &contacts, business_phone_number_id.as_deref());
                }
            }
            Err(found) => {
                anything = true;
                self.skip(at, format!("`messages` is {found}"));
            }
        }
        match take_array(&mut value, "statuses") {
            Ok(statuses) => {
                anything |= !statuses.is_empty();
                for (index, status) in statuses.into_iter().enumerate() {
                    self.status(&format!("{at}, status {index}"), status);
                }
            }
            Err(found) => {
                anything = true;
                self.skip(at, format!("`statuses` is {found}"));
            }
        }
        // Meta reports problems with the business account itself here, not
        // tied to a message; the handler logs them.
        if let Ok(errors) = take_array(&mut value, "errors") {
            for error in &errors {
                anything = true;
                let (code, title) = error_fields(error);
                self.skip(at, format!("Meta reports error {code}: {title}"));
            }
        }
        if !anything {
            self.skip(at, "no messages or statuses");
        }
    }

    fn message(
        &mut self,
        at: &str,
        message: Value,
        contacts: &[RawContact],
        business_phone_number_id: Option<&str>,
    ) {
        // Name the message by its id in skipped lines, if that id is valid:
        // an invalid one could hold anything, even a forged log line.
        let at = match message.get("id").and_then(Value::as_str) {
            Some(id) if Wamid::parse(id).is_ok() => format!("{at} ({})", clip(id, MAX_LABEL_CHARS)),
            _ => at.to_owned(),
        };
        let at = at.as_str();
        let mut raw: RawMessage = match from_object(message) {
            Ok(raw) => raw,
            Err(reason) => return self.skip(at, reason),
        };
        let wamid = match raw.id.as_deref().map(Wamid::parse) {
            Some(Ok(wamid)) => wamid,
            Some(Err(error)) => return self.skip(at, format!("message id rejected: {error}")),
            None => return self.skip(at, "message has no id"),
        };
        let from = match sender(raw.from.as_deref(), raw.from_user_id.as_deref(), contacts) {
            Ok(from) => from,
            Err(reason) => return self.skip(at, reason),
        };
        let reply_to = raw
            .context
            .as_ref()
            .and_then(|context| context.get("id"))
            .and_then(Value::as_str)
            .and_then(|id| Wamid::parse(id).ok());
        let content = content(raw.kind.as_deref(), &mut raw.payloads);
        self.batch.messages.push(InboundMessage {
            wamid,
            from,
            business_phone_number_id: business_phone_number_id.map(str::to_owned),
            sent_at: timestamp(raw.timestamp.as_ref(), self.received_at),
            reply_to,
            content,
        });
    }

    fn status(&mut self, at: &str, status: Value) {
        let at = match status.get("id").and_then(Value::as_str) {
            Some(id) if Wamid::parse(id).is_ok() => format!("{at} ({})", clip(id, MAX_LABEL_CHARS)),
            _ => at.to_owned(),
        };
        let at = at.as_str();
        let raw: RawStatus = match from_object(status) {
            Ok(raw) => raw,
            Err(reason) => return self.skip(at, reason),
        };
        let wamid = match raw.id.as_deref().map(Wamid::parse) {
            Some(Ok(wamid)) => wamid,
            Some(Err(error)) => {
                return self.skip(at, format!("status message id rejected: {error}"));
            }
            None => return self.skip(at, "status has no message id"),
        };
        let status = match raw.status.as_deref() {
            Some(name) => match DeliveryStatus::parse(name) {
                Some(status) => status,
                None => {
                    let name = printable(name, MAX_NAME_CHARS);
                    return self.skip(at, format!("status `{name}` is not handled"));
                }
            },
            None => return self.skip(at, "status has no `status`"),
        };
        // Only a failure explains itself; other statuses carry no error.
        let error = match status {
            DeliveryStatus::Failed => raw
                .errors
                .as_ref()
                .and_then(Value::as_array)
                .and_then(|errors| errors.first())
                .and_then(graph_error),
            _ => None,
        };
        self.batch.statuses.push(StatusUpdate {
            wamid,
            status,
            at: timestamp(raw.timestamp.as_ref(), self.received_at),
            error,
        });
    }
}

/// Who sent a message: the message's own `from` / `from_user_id`, with
/// whatever is missing taken from the matching `contacts[]` entry. An id
/// that fails the domain's checks counts as absent; with no usable id left
/// the message is skipped (the `Err` is the reason line).
fn sender(
    from: Option<&str>,
    from_user_id: Option<&str>,
    contacts: &[RawContact],
) -> Result<CitizenRef, String> {
    let contact = matching_contact(from, from_user_id, contacts);
    let wa_id_raw = from.or_else(|| contact.and_then(|c| c.wa_id.as_deref()));
    let user_id_raw = from_user_id.or_else(|| contact.and_then(|c| c.user_id.as_deref()));
    if wa_id_raw.is_none() && user_id_raw.is_none() {
        return Err("message has no sender (no `from`, `from_user_id` or matching contact)".into());
    }
    let wa_id = wa_id_raw.and_then(|raw| WaId::parse(raw).ok());
    let user_id = user_id_raw.and_then(|raw| UserId::parse(raw).ok());
    if wa_id_raw.is_some() && wa_id.is_none() {
        // Not quoted: it may be (most of) a phone number.
        tracing::warn!("dropped a sender phone number that is not 5 to 20 digits");
    }
    if user_id_raw.is_some() && user_id.is_none() {
        tracing::warn!("dropped a sender user id that is not a valid BSUID");
    }
    CitizenRef::new(wa_id, user_id).ok_or_else(|| "message sender ids rejected".to_owned())
}

/// The contact describing this message's sender: the one whose `wa_id` or
/// `user_id` equals the message's, else the only contact, provided it does
/// not contradict the message (so two citizens are never merged).
fn matching_contact<'a>(
    from: Option<&str>,
    from_user_id: Option<&str>,
    contacts: &'a [RawContact],
) -> Option<&'a RawContact> {
    let same = |a: Option<&str>, b: Option<&str>| a.is_some() && a == b;
    let by_id = contacts.iter().find(|contact| {
        same(from, contact.wa_id.as_deref()) || same(from_user_id, contact.user_id.as_deref())
    });
    if by_id.is_some() {
        return by_id;
    }
    let agrees = |a: Option<&str>, b: Option<&str>| a.is_none() || b.is_none() || a == b;
    match contacts {
        [only]
            if agrees(from, only.wa_id.as_deref())
                && agrees(from_user_id, only.user_id.as_deref()) =>
        {
            Some(only)
        }
        _ => None,
    }
}

/// The content of a message of type `kind`, read from the object of the
/// same name. A known type whose object is unusable becomes
/// `Unsupported { type_name: "<type>.malformed" }`: the citizen did send
/// something, so we keep it (and can say we could not read it) without
/// inventing data.
fn content(kind: Option<&str>, payloads: &mut Map<String, Value>) -> MessageContent {
    let Some(kind) = kind else {
        return unsupported("missing");
    };
    let payload = payloads.remove(kind);
    match kind {
        "text" => match typed::<RawText>(payload).and_then(|text| text.body) {
            Some(body) => MessageContent::Text { body },
            None => malformed(kind),
        },
        "image" => media(MediaKind::Image, payload),
        "audio" => media(MediaKind::Audio, payload),
        "video" => media(MediaKind::Video, payload),
        "document" => media(MediaKind::Document, payload),
        "sticker" => media(MediaKind::Sticker, payload),
        "location" => location(payload).unwrap_or_else(|| malformed(kind)),
        "contacts" => match payload {
            Some(Value::Array(cards)) => MessageContent::Contacts { count: cards.len() },
            _ => malformed(kind),
        },
        "interactive" => interactive(payload),
        "button" => match typed::<RawButton>(payload) {
            Some(RawButton {
                payload,
                text: Some(text),
            }) => MessageContent::Button { payload, text },
            _ => malformed(kind),
        },
        "reaction" => match typed::<RawReaction>(payload) {
            Some(reaction) => MessageContent::Reaction {
                to: reaction
                    .message_id
                    .as_deref()
                    .and_then(|id| Wamid::parse(id).ok()),
                emoji: reaction.emoji.filter(|emoji| !emoji.is_empty()),
            },
            None => malformed(kind),
        },
        "order" => match typed::<RawOrder>(payload) {
            Some(order) => MessageContent::Order {
                catalog_id: order.catalog_id,
                items: order.product_items.map_or(0, |items| items.len()),
            },
            None => malformed(kind),
        },
        "system" => MessageContent::System {
            body: typed::<RawSystem>(payload).and_then(|system| system.body),
        },
        // Meta's own "cannot show this" (its `errors` say why; we need not).
        "unsupported" => unsupported("unsupported"),
        other => unsupported(other),
    }
}

/// Media content; every field of the media object is optional, so even a
/// missing object still says "the citizen sent an image".
fn media(kind: MediaKind, payload: Option<Value>) -> MessageContent {
    let raw = typed::<RawMedia>(payload).unwrap_or_default();
    MessageContent::Media {
        media: kind,
        media_id: raw.id,
        mime_type: raw.mime_type,
        caption: raw.caption,
        filename: raw.filename,
        voice: kind == MediaKind::Audio && raw.voice == Some(true),
    }
}

/// A location needs coordinates on Earth; anything else is garbage.
fn location(payload: Option<Value>) -> Option<MessageContent> {
    let raw = typed::<RawLocation>(payload)?;
    let latitude = raw.latitude.filter(|l| (-90.0..=90.0).contains(l))?;
    let longitude = raw.longitude.filter(|l| (-180.0..=180.0).contains(l))?;
    Some(MessageContent::Location {
        latitude,
        longitude,
        name: raw.name,
        address: raw.address,
    })
}

/// A tapped reply button or list row. Other interactive replies (flows'
/// `nfm_reply`, call permissions, ...) become `interactive.<type>`.
fn interactive(payload: Option<Value>) -> MessageContent {
    let Some(raw) = typed::<RawInteractive>(payload) else {
        return malformed("interactive");
    };
    let (kind, reply) = match raw.kind.as_deref() {
        Some("button_reply") => (InteractiveKind::ButtonReply, raw.button_reply),
        Some("list_reply") => (InteractiveKind::ListReply, raw.list_reply),
        Some(other) => return unsupported(&format!("interactive.{other}")),
        None => return malformed("interactive"),
    };
    match reply {
        Some(RawReply {
            id: Some(id),
            title: Some(title),
        }) => MessageContent::Interactive {
            interactive: kind,
            id,
            title,
        },
        _ => malformed("interactive"),
    }
}

fn unsupported(type_name: &str) -> MessageContent {
    MessageContent::Unsupported {
        type_name: printable(type_name, MAX_NAME_CHARS),
    }
}

fn malformed(kind: &str) -> MessageContent {
    unsupported(&format!("{kind}.malformed"))
}

/// A message or status time: unix seconds as a string (what Meta sends) or
/// a number. Missing, unparseable, before 2009 or more than a day ahead of
/// `received_at` all mean "we do not know", so `received_at` is used.
fn timestamp(value: Option<&Value>, received_at: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = match value {
        Some(Value::String(text)) => text.trim().parse::<i64>().ok(),
        Some(Value::Number(number)) => number.as_i64(),
        _ => None,
    };
    let latest = received_at.timestamp().saturating_add(MAX_FUTURE_SKEW_SECS);
    seconds
        .filter(|s| (EARLIEST_PLAUSIBLE_SECS..=latest).contains(s))
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or(received_at)
}

/// The first error of a failed status, if it has a numeric code.
fn graph_error(error: &Value) -> Option<GraphErrorDetail> {
    let code = error.get("code").and_then(Value::as_i64)?;
    let (_, title) = error_fields(error);
    Some(GraphErrorDetail { code, title })
}

/// `code` and `title` (or `message`) of an error object, for display.
fn error_fields(error: &Value) -> (String, String) {
    let code = match error.get("code") {
        Some(Value::Number(code)) => code.to_string(),
        _ => "without code".to_owned(),
    };
    let title = ["title", "message"]
        .iter()
        .find_map(|key| error.get(key).and_then(Value::as_str))
        .map_or_else(String::new, |title| printable(title, MAX_LABEL_CHARS));
    (code, title)
}

/// Meta's phone number ids are decimal strings; anything else is not one.
fn is_phone_number_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Deserialises `value` into `T` if it is a JSON object. serde would also
/// fill a struct from an array, which Meta never sends, so that is refused.
/// The error is a reason line with any quoted payload text removed.
fn from_object<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    if !value.is_object() {
        return Err(format!(
            "expected an object, found {}",
            describe(Some(&value))
        ));
    }
    serde_json::from_value(value).map_err(|error| redact(&error.to_string()))
}

/// The payload object of a message type, if it is usable.
fn typed<T: DeserializeOwned>(payload: Option<Value>) -> Option<T> {
    from_object(payload?).ok()
}

/// Removes `key` from `object` as an array; absent or `null` is empty, any
/// other kind is `Err` with a description of what was found.
fn take_array(object: &mut Map<String, Value>, key: &str) -> Result<Vec<Value>, String> {
    match object.remove(key) {
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(other) => Err(describe(Some(&other))),
    }
}

/// A short description of a JSON value for error and skipped lines. Strings
/// are quoted only when short, as they are names like `object`'s value.
fn describe(value: Option<&Value>) -> String {
    match value {
        None => "missing".to_owned(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Bool(_)) => "a boolean".to_owned(),
        Some(Value::Number(_)) => "a number".to_owned(),
        Some(Value::String(text)) => format!("{:?}", clip(text, MAX_NAME_CHARS)),
        Some(Value::Array(_)) => "an array".to_owned(),
        Some(Value::Object(_)) => "an object".to_owned(),
    }
}

/// serde's messages quote the offending value (`invalid type: string
/// "...", expected f64`, ``integer `31600000001` ``); that may be a
/// citizen's words or phone number, so it is cut out. Field names in
/// ``missing field `id` `` stay: they are what makes the line useful.
fn redact(message: &str) -> String {
    let mut out = match (message.find('"'), message.rfind('"')) {
        (Some(first), Some(last)) if first < last => {
            let before = message.get(..first).unwrap_or_default();
            let after = message.get(last + 1..).unwrap_or_default();
            format!("{before}\"…\"{after}")
        }
        _ => message.to_owned(),
    };
    for prefix in ["integer `", "floating point `"] {
        if let Some(start) = out.find(prefix) {
            let value_start = start + prefix.len();
            let value_end = out
                .get(value_start..)
                .and_then(|rest| rest.find('`'))
                .map(|len| value_start + len);
            if let Some(end) = value_end {
                out.replace_range(value_start..end, "…");
            }
        }
    }
    out
}

/// `text` fit for a log line: control characters escaped (no forged log
/// lines), at most `max` characters.
fn printable(text: &str, max: usize) -> String {
    clip(&text.escape_debug().to_string(), max)
}

/// At most `max` characters of `text`, with `…` when shortened.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// When the POST arrived: 2026-01-01 00:05 UTC, just after the
    /// fixtures' timestamps.
    const RECEIVED: i64 = 1_767_225_900;

    fn received() -> DateTime<Utc> {
        DateTime::from_timestamp(RECEIVED, 0).expect("valid time")
    }

    macro_rules! fixtures {
        ($($name:literal),* $(,)?) => {
            &[$((
                $name,
                include_bytes!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/webhooks/",
                    $name,
                    ".json"
                )) as &[u8],
            )),*]
        };
    }

    /// Every fixture file; `every_fixture_file_is_listed_here` keeps this
    /// in step with the directory.
    const FIXTURES: &[(&str, &[u8])] = fixtures![
        "text",
        "text_unicode_escaped",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive_button_reply",
        "interactive_list_reply",
        "interactive_nfm_reply",
        "button",
        "reaction",
        "order",
        "system",
        "unsupported",
        "unknown_future_type",
        "status_sent",
        "status_delivered",
        "status_read",
        "status_played",
        "status_failed",
        "bsuid_only_text",
        "batch_many",
    ];

    fn parse(body: &[u8]) -> WebhookBatch {
        parse_webhook(body, received()).expect("a webhook envelope")
    }

    fn parse_json(body: &Value) -> WebhookBatch {
        parse(body.to_string().as_bytes())
    }

    fn fixture(name: &str) -> WebhookBatch {
        let (_, body) = FIXTURES
            .iter()
            .find(|(known, _)| *known == name)
            .unwrap_or_else(|| panic!("no fixture {name}"));
        parse(body)
    }

    /// The one message of a single-message fixture.
    fn only_message(name: &str) -> InboundMessage {
        let batch = fixture(name);
        assert!(batch.skipped.is_empty(), "{name}: {:?}", batch.skipped);
        assert!(batch.statuses.is_empty(), "{name}");
        assert_eq!(batch.messages.len(), 1, "{name}");
        batch.messages.into_iter().next().expect("one message")
    }

    /// The one status of a single-status fixture.
    fn only_status(name: &str) -> StatusUpdate {
        let batch = fixture(name);
        assert!(batch.skipped.is_empty(), "{name}: {:?}", batch.skipped);
        assert!(batch.messages.is_empty(), "{name}");
        assert_eq!(batch.statuses.len(), 1, "{name}");
        batch.statuses.into_iter().next().expect("one status")
    }

    fn wamid(tag: &str) -> String {
        format!("wamid.HBgLMzE2MDAwMDAwMDEVAgASGBQ{tag}AA==")
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).expect("valid time")
    }

    fn wa_id_of(message: &InboundMessage) -> Option<&str> {
        message.from.wa_id.as_ref().map(WaId::as_str)
    }

    fn user_id_of(message: &InboundMessage) -> Option<&str> {
        message.from.user_id.as_ref().map(UserId::as_str)
    }

    /// A one-change envelope around `value`.
    fn envelope(value: Value) -> Value {
        json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "100000000000001", "changes": [{ "field": "messages", "value": value }] }]
        })
    }

    /// An envelope holding the given raw messages, with no contacts.
    fn with_messages(messages: Value) -> Value {
        envelope(json!({
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "3185000000", "phone_number_id": "123456789012345" },
            "messages": messages
        }))
    }

    fn text_from(from: &str, id: &str) -> Value {
        json!({ "from": from, "id": id, "timestamp": "1767225600", "type": "text", "text": { "body": "Hallo" } })
    }

    // ---- fixtures ------------------------------------------------------

    #[test]
    fn every_fixture_file_is_listed_here() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhooks");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("fixture directory")
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = FIXTURES
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn the_text_fixture_gives_body_sender_time_and_business_number() {
        let message = only_message("text");
        assert_eq!(message.wamid.as_str(), wamid("TEXT"));
        assert_eq!(wa_id_of(&message), Some("31600000001"));
        assert_eq!(user_id_of(&message), None);
        assert_eq!(
            message.business_phone_number_id.as_deref(),
            Some("123456789012345")
        );
        assert_eq!(message.sent_at, at(1_767_225_600));
        assert_eq!(message.reply_to, None);
        assert_eq!(
            message.content,
            MessageContent::Text {
                body: "Wanneer is het stadhuis open?".into()
            }
        );
    }

    #[test]
    fn text_escaped_as_utf16_by_meta_is_decoded_to_the_real_characters() {
        let (_, raw) = FIXTURES
            .iter()
            .find(|(name, _)| *name == "text_unicode_escaped")
            .expect("fixture");
        assert!(String::from_utf8_lossy(raw).contains(r"\ud83d\ude0a caf\u00e9"));
        let message = only_message("text_unicode_escaped");
        assert_eq!(
            message.content.text(),
            Some("Hoe laat zijn jullie open? 😊 café")
        );
    }

    #[test]
    fn the_image_fixture_gives_id_mime_type_and_caption() {
        assert_eq!(
            only_message("image").content,
            MessageContent::Media {
                media: MediaKind::Image,
                media_id: Some("1000000000000001".into()),
                mime_type: Some("image/jpeg".into()),
                caption: Some("Foto van de kapotte lantaarnpaal".into()),
                filename: None,
                voice: false,
            }
        );
    }

    #[test]
    fn the_audio_fixture_is_a_voice_note() {
        assert_eq!(
            only_message("audio").content,
            MessageContent::Media {
                media: MediaKind::Audio,
                media_id: Some("1000000000000002".into()),
                mime_type: Some("audio/ogg; codecs=opus".into()),
                caption: None,
                filename: None,
                voice: true,
            }
        );
    }

    #[test]
    fn the_video_fixture_gives_its_caption() {
        assert_eq!(
            only_message("video").content,
            MessageContent::Media {
                media: MediaKind::Video,
                media_id: Some("1000000000000003".into()),
                mime_type: Some("video/mp4".into()),
                caption: Some("Filmpje van de wateroverlast".into()),
                filename: None,
                voice: false,
            }
        );
    }

    #[test]
    fn the_document_fixture_gives_its_filename() {
        assert_eq!(
            only_message("document").content,
            MessageContent::Media {
                media: MediaKind::Document,
                media_id: Some("1000000000000004".into()),
                mime_type: Some("application/pdf".into()),
                caption: Some("Mijn bezwaarschrift".into()),
                filename: Some("bezwaar.pdf".into()),
                voice: false,
            }
        );
    }

    #[test]
    fn the_sticker_fixture_is_sticker_media() {
        assert_eq!(
            only_message("sticker").content,
            MessageContent::Media {
                media: MediaKind::Sticker,
                media_id: Some("1000000000000005".into()),
                mime_type: Some("image/webp".into()),
                caption: None,
                filename: None,
                voice: false,
            }
        );
    }

    #[test]
    fn the_location_fixture_gives_coordinates_name_and_address() {
        assert_eq!(
            only_message("location").content,
            MessageContent::Location {
                latitude: 52.0907,
                longitude: 5.1214,
                name: Some("Stadskantoor Voorbeeldstad".into()),
                address: Some("Voorbeeldstraat 1, 1234 AB Voorbeeldstad".into()),
            }
        );
    }

    #[test]
    fn the_contacts_fixture_counts_the_shared_cards() {
        assert_eq!(
            only_message("contacts").content,
            MessageContent::Contacts { count: 2 }
        );
    }

    #[test]
    fn a_tapped_reply_button_gives_its_id_title_and_the_message_it_answers() {
        let message = only_message("interactive_button_reply");
        assert_eq!(
            message.content,
            MessageContent::Interactive {
                interactive: InteractiveKind::ButtonReply,
                id: "afspraak_maken".into(),
                title: "Afspraak maken".into(),
            }
        );
        assert_eq!(
            message.reply_to.as_ref().map(Wamid::as_str),
            Some(wamid("OURBUTTONS").as_str())
        );
    }

    #[test]
    fn a_chosen_list_row_gives_its_id_and_title() {
        let message = only_message("interactive_list_reply");
        assert_eq!(
            message.content,
            MessageContent::Interactive {
                interactive: InteractiveKind::ListReply,
                id: "paspoort".into(),
                title: "Paspoort aanvragen".into(),
            }
        );
        assert_eq!(
            message.reply_to.as_ref().map(Wamid::as_str),
            Some(wamid("OURLIST").as_str())
        );
    }

    #[test]
    fn an_unknown_interactive_type_is_unsupported_with_its_subtype() {
        assert_eq!(
            only_message("interactive_nfm_reply").content,
            MessageContent::Unsupported {
                type_name: "interactive.nfm_reply".into()
            }
        );
    }

    #[test]
    fn a_template_quick_reply_gives_payload_and_text() {
        let message = only_message("button");
        assert_eq!(
            message.content,
            MessageContent::Button {
                payload: Some("herinnering_bevestigd".into()),
                text: "Ja, ik kom".into(),
            }
        );
        assert_eq!(
            message.reply_to.as_ref().map(Wamid::as_str),
            Some(wamid("OURTEMPLATE").as_str())
        );
    }

    #[test]
    fn a_reaction_gives_the_emoji_and_the_message_reacted_to() {
        let to = Wamid::parse(&wamid("OURREPLY")).expect("valid");
        assert_eq!(
            only_message("reaction").content,
            MessageContent::Reaction {
                to: Some(to),
                emoji: Some("👍".into())
            }
        );
    }

    #[test]
    fn an_order_gives_catalog_and_number_of_items() {
        assert_eq!(
            only_message("order").content,
            MessageContent::Order {
                catalog_id: Some("200000000000001".into()),
                items: 3
            }
        );
    }

    #[test]
    fn a_system_message_gives_its_body() {
        assert_eq!(
            only_message("system").content,
            MessageContent::System {
                body: Some("Voorbeeld Inwoner changed from 31600000001 to 31600000002".into())
            }
        );
    }

    #[test]
    fn metas_unsupported_type_is_kept_as_unsupported() {
        let message = only_message("unsupported");
        assert_eq!(
            message.content,
            MessageContent::Unsupported {
                type_name: "unsupported".into()
            }
        );
        assert_eq!(wa_id_of(&message), Some("31600000001"));
    }

    #[test]
    fn a_type_from_the_future_is_unsupported_with_its_name() {
        assert_eq!(
            only_message("unknown_future_type").content,
            MessageContent::Unsupported {
                type_name: "hologram".into()
            }
        );
    }

    #[test]
    fn status_fixtures_give_wamid_status_and_time() {
        let cases = [
            ("status_sent", "STATUSSENT", DeliveryStatus::Sent),
            (
                "status_delivered",
                "STATUSDELIVERED",
                DeliveryStatus::Delivered,
            ),
            ("status_read", "STATUSREAD", DeliveryStatus::Read),
            ("status_played", "STATUSPLAYED", DeliveryStatus::Played),
        ];
        for (name, tag, expected) in cases {
            let status = only_status(name);
            assert_eq!(status.wamid.as_str(), wamid(tag), "{name}");
            assert_eq!(status.status, expected, "{name}");
            assert_eq!(status.at, at(1_767_225_700), "{name}");
            assert_eq!(status.error, None, "{name}");
        }
    }

    #[test]
    fn a_failed_status_carries_metas_first_error() {
        let status = only_status("status_failed");
        assert_eq!(status.status, DeliveryStatus::Failed);
        assert_eq!(
            status.error,
            Some(GraphErrorDetail {
                code: 131047,
                title: "Re-engagement message".into()
            })
        );
    }

    #[test]
    fn a_citizen_without_phone_number_is_known_by_bsuid_alone() {
        let message = only_message("bsuid_only_text");
        assert_eq!(wa_id_of(&message), None);
        assert_eq!(user_id_of(&message), Some("NL.1502576394655843"));
        assert_eq!(
            message.content.text(),
            Some("Ik wil mijn nummer liever niet delen")
        );
    }

    #[test]
    fn a_batch_yields_every_message_and_status_and_names_the_broken_parts() {
        let batch = fixture("batch_many");
        let ids: Vec<&str> = batch.messages.iter().map(|m| m.wamid.as_str()).collect();
        assert_eq!(
            ids,
            [
                wamid("BATCH1"),
                wamid("BATCH2"),
                wamid("BATCH3"),
                wamid("BATCH4")
            ]
        );
        let senders: Vec<(Option<&str>, Option<&str>)> = batch
            .messages
            .iter()
            .map(|m| (wa_id_of(m), user_id_of(m)))
            .collect();
        assert_eq!(
            senders,
            [
                (Some("31600000001"), None),
                (Some("31600000002"), None),
                (Some("31600000002"), None),
                (None, Some("NL.1502576394655843")),
            ]
        );
        assert_eq!(batch.messages[1].sent_at, at(1_767_225_601));
        assert!(matches!(
            batch.messages[2].content,
            MessageContent::Media {
                media: MediaKind::Image,
                ..
            }
        ));
        assert!(matches!(
            batch.messages[3].content,
            MessageContent::Reaction { emoji: None, .. }
        ));

        let statuses: Vec<(&str, DeliveryStatus)> = batch
            .statuses
            .iter()
            .map(|s| (s.wamid.as_str(), s.status))
            .collect();
        let (s1, s2, s4) = (wamid("BATCHS1"), wamid("BATCHS2"), wamid("BATCHS4"));
        assert_eq!(
            statuses,
            [
                (s1.as_str(), DeliveryStatus::Delivered),
                (s2.as_str(), DeliveryStatus::Read),
                (s4.as_str(), DeliveryStatus::Sent),
            ]
        );

        assert_eq!(batch.skipped.len(), 3, "{:?}", batch.skipped);
        assert_eq!(
            batch.skipped[0],
            "entry 0, change 0, message 2: message has no id"
        );
        assert!(batch.skipped[1].starts_with("entry 0, change 1, status 2 (wamid."));
        assert!(batch.skipped[1].ends_with("status `deleted` is not handled"));
        assert_eq!(
            batch.skipped[2],
            "entry 1, change 0: field `message_template_status_update` is not handled"
        );
        assert!(
            !batch
                .skipped
                .iter()
                .any(|line| line.contains("Bericht zonder id"))
        );
    }

    #[test]
    fn every_fixture_yields_something_and_only_the_batch_skips_anything() {
        for (name, body) in FIXTURES {
            let batch = parse(body);
            assert!(batch.messages.len() + batch.statuses.len() > 0, "{name}");
            if *name != "batch_many" {
                assert!(batch.skipped.is_empty(), "{name}: {:?}", batch.skipped);
            }
        }
    }

    // ---- senders -------------------------------------------------------

    #[test]
    fn personal_data_quoted_in_a_skipped_line_is_masked() {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "changes": [{
                "field": "messages",
                "value": { "messages": "bsn 111222333 of 06-12345678" }
            }] }]
        });
        let batch = parse_webhook(body.to_string().as_bytes(), received()).expect("envelope");
        assert_eq!(batch.skipped.len(), 1, "{:?}", batch.skipped);
        let line = &batch.skipped[0];
        assert!(
            !line.contains("111222333") && !line.contains("12345678"),
            "{line}"
        );
        assert!(
            line.contains("[BSN]") && line.contains("[telefoon]"),
            "{line}"
        );
    }

    #[test]
    fn a_message_without_any_sender_is_skipped_without_quoting_its_text() {
        let body = with_messages(json!([
            { "id": "wamid.NOSENDER", "timestamp": "1767225600", "type": "text", "text": { "body": "geheim" } }
        ]));
        let batch = parse_json(&body);
        assert!(batch.messages.is_empty());
        assert_eq!(batch.skipped.len(), 1);
        assert!(
            batch.skipped[0].contains("no sender"),
            "{:?}",
            batch.skipped
        );
        assert!(!batch.skipped[0].contains("geheim"));
    }

    #[test]
    fn a_missing_from_is_taken_from_the_only_contact() {
        let mut value = with_messages(json!([
            { "id": "wamid.C1", "timestamp": "1767225600", "type": "text", "text": { "body": "Hallo" } }
        ]));
        value["entry"][0]["changes"][0]["value"]["contacts"] = json!([{ "profile": { "name": "Voorbeeld Inwoner" }, "wa_id": "31600000004", "user_id": "NL.4" }]);
        let batch = parse_json(&value);
        assert_eq!(batch.messages.len(), 1, "{:?}", batch.skipped);
        assert_eq!(wa_id_of(&batch.messages[0]), Some("31600000004"));
        assert_eq!(user_id_of(&batch.messages[0]), Some("NL.4"));
    }

    #[test]
    fn the_bsuid_is_added_from_the_contact_with_the_same_phone_number() {
        let mut value = with_messages(json!([
            text_from("31600000005", "wamid.C2"),
            text_from("31600000006", "wamid.C3")
        ]));
        value["entry"][0]["changes"][0]["value"]["contacts"] = json!([
            { "wa_id": "31600000006", "user_id": "NL.6" },
            { "wa_id": "31600000005", "user_id": "NL.5" }
        ]);
        let batch = parse_json(&value);
        let senders: Vec<_> = batch
            .messages
            .iter()
            .map(|m| (wa_id_of(m), user_id_of(m)))
            .collect();
        assert_eq!(
            senders,
            [
                (Some("31600000005"), Some("NL.5")),
                (Some("31600000006"), Some("NL.6"))
            ]
        );
    }

    #[test]
    fn a_lone_contact_of_another_citizen_is_not_merged_into_the_sender() {
        let mut value = with_messages(json!([text_from("31600000007", "wamid.C4")]));
        value["entry"][0]["changes"][0]["value"]["contacts"] =
            json!([{ "wa_id": "31600000008", "user_id": "NL.8" }]);
        let batch = parse_json(&value);
        assert_eq!(wa_id_of(&batch.messages[0]), Some("31600000007"));
        assert_eq!(user_id_of(&batch.messages[0]), None);
    }

    #[test]
    fn the_profile_name_is_not_kept_anywhere() {
        let message = only_message("text");
        let stored = serde_json::to_string(&message).expect("serialisable");
        assert!(!stored.contains("Voorbeeld Inwoner"), "{stored}");
    }

    #[test]
    fn a_malformed_phone_number_is_dropped_but_a_valid_bsuid_keeps_the_message() {
        let body = with_messages(json!([
            { "from": "+31 6 0000", "from_user_id": "NL.9", "id": "wamid.C5", "type": "text", "text": { "body": "a" } },
            { "from": "+31 6 0000", "id": "wamid.C6", "type": "text", "text": { "body": "b" } }
        ]));
        let batch = parse_json(&body);
        assert_eq!(batch.messages.len(), 1);
        assert_eq!(wa_id_of(&batch.messages[0]), None);
        assert_eq!(user_id_of(&batch.messages[0]), Some("NL.9"));
        assert_eq!(batch.skipped.len(), 1);
        assert!(batch.skipped[0].contains("wamid.C6") && batch.skipped[0].contains("rejected"));
        assert!(!batch.skipped[0].contains("+31"));
    }

    #[test]
    fn a_wrongly_typed_field_skips_only_that_message_and_hides_the_value() {
        let body = with_messages(json!([
            { "from": 31600000001_i64, "id": "wamid.C7", "type": "text", "text": { "body": "a" } },
            text_from("31600000001", "wamid.C8")
        ]));
        let batch = parse_json(&body);
        assert_eq!(batch.messages.len(), 1);
        assert_eq!(batch.messages[0].wamid.as_str(), "wamid.C8");
        assert_eq!(batch.skipped.len(), 1);
        assert!(batch.skipped[0].contains("wamid.C7"), "{:?}", batch.skipped);
        assert!(
            !batch.skipped[0].contains("31600000001"),
            "{:?}",
            batch.skipped
        );
    }

    // ---- timestamps ----------------------------------------------------

    #[test]
    fn a_numeric_timestamp_is_accepted_and_a_bad_one_falls_back_to_arrival() {
        let cases = [
            (json!("1767225000"), at(1_767_225_000)),
            (json!(1_767_225_000), at(1_767_225_000)),
            (json!(" 1767225000 "), at(1_767_225_000)),
            (json!(null), received()),
            (json!("gisteren"), received()),
            (json!(0), received()),
            (json!(-5), received()),
            (json!("99999999999"), received()),
            (json!(1.7e9), received()),
            (json!(123_456_789_012_345_678_901_234_567_890.0), received()),
            (json!({ "seconds": 1 }), received()),
            (json!(RECEIVED + 23 * 3600), at(RECEIVED + 23 * 3600)),
            (json!(RECEIVED + 25 * 3600), received()),
        ];
        for (timestamp, expected) in cases {
            let mut message = text_from("31600000001", "wamid.T");
            message["timestamp"] = timestamp.clone();
            let batch = parse_json(&with_messages(json!([message])));
            assert_eq!(batch.messages.len(), 1, "{timestamp}");
            assert_eq!(batch.messages[0].sent_at, expected, "{timestamp}");
        }
    }

    #[test]
    fn a_message_without_timestamp_gets_the_arrival_time() {
        let body = with_messages(
            json!([{ "from": "31600000001", "id": "wamid.T2", "type": "text", "text": { "body": "a" } }]),
        );
        assert_eq!(parse_json(&body).messages[0].sent_at, received());
    }

    // ---- content leniency ----------------------------------------------

    fn content_of(message: Value) -> MessageContent {
        let batch = parse_json(&with_messages(json!([message])));
        assert_eq!(batch.messages.len(), 1, "{:?}", batch.skipped);
        batch.messages.into_iter().next().expect("one").content
    }

    fn message_of_type(kind: &str, payload: Value) -> Value {
        let mut message = json!({ "from": "31600000001", "id": "wamid.K", "type": kind });
        message[kind] = payload;
        message
    }

    #[test]
    fn known_types_with_unusable_content_are_kept_as_malformed() {
        let cases = [
            (message_of_type("text", json!({})), "text.malformed"),
            (message_of_type("text", json!("Hallo")), "text.malformed"),
            (
                message_of_type("text", json!({ "body": 5 })),
                "text.malformed",
            ),
            (
                message_of_type("location", json!({ "latitude": 52.1 })),
                "location.malformed",
            ),
            (
                message_of_type("location", json!({ "latitude": 95.0, "longitude": 5.0 })),
                "location.malformed",
            ),
            (
                message_of_type("location", json!({ "latitude": "52", "longitude": "5" })),
                "location.malformed",
            ),
            (
                message_of_type("location", json!({ "latitude": 1e300, "longitude": 5.0 })),
                "location.malformed",
            ),
            (
                message_of_type("contacts", json!({ "name": "x" })),
                "contacts.malformed",
            ),
            (
                message_of_type("interactive", json!({ "type": "button_reply" })),
                "interactive.malformed",
            ),
            (
                message_of_type(
                    "interactive",
                    json!({ "button_reply": { "id": "a", "title": "b" } }),
                ),
                "interactive.malformed",
            ),
            (
                message_of_type("interactive", json!([])),
                "interactive.malformed",
            ),
            (
                message_of_type("button", json!({ "payload": "p" })),
                "button.malformed",
            ),
            (
                message_of_type("reaction", json!(null)),
                "reaction.malformed",
            ),
            (
                message_of_type("order", json!({ "product_items": "veel" })),
                "order.malformed",
            ),
            (json!({ "from": "31600000001", "id": "wamid.K" }), "missing"),
        ];
        for (message, expected) in cases {
            let shown = message.to_string();
            assert_eq!(
                content_of(message),
                MessageContent::Unsupported {
                    type_name: expected.into()
                },
                "{shown}"
            );
        }
    }

    #[test]
    fn media_without_its_object_is_still_media() {
        assert_eq!(
            content_of(json!({ "from": "31600000001", "id": "wamid.K", "type": "image" })),
            MessageContent::Media {
                media: MediaKind::Image,
                media_id: None,
                mime_type: None,
                caption: None,
                filename: None,
                voice: false,
            }
        );
    }

    #[test]
    fn voice_is_only_claimed_for_audio() {
        let content = content_of(message_of_type(
            "video",
            json!({ "id": "1", "voice": true }),
        ));
        assert!(
            matches!(content, MessageContent::Media { voice: false, .. }),
            "{content:?}"
        );
    }

    #[test]
    fn a_removed_reaction_has_no_emoji() {
        for payload in [
            json!({ "message_id": "wamid.X" }),
            json!({ "message_id": "wamid.X", "emoji": "" }),
        ] {
            assert_eq!(
                content_of(message_of_type("reaction", payload)),
                MessageContent::Reaction {
                    to: Some(Wamid::parse("wamid.X").expect("valid")),
                    emoji: None
                }
            );
        }
    }

    #[test]
    fn a_very_long_type_name_is_cut_short() {
        let kind = "x".repeat(10_000);
        let MessageContent::Unsupported { type_name } =
            content_of(message_of_type(&kind, json!({})))
        else {
            panic!("expected unsupported");
        };
        assert!(type_name.chars().count() <= MAX_NAME_CHARS + 1);
    }

    #[test]
    fn a_bad_reply_context_is_ignored_but_the_message_kept() {
        let mut message = text_from("31600000001", "wamid.R");
        message["context"] = json!({ "id": "not a wamid" });
        let batch = parse_json(&with_messages(json!([message])));
        assert_eq!(batch.messages[0].reply_to, None);
    }

    #[test]
    fn a_business_number_id_that_is_not_digits_is_dropped() {
        let mut body = with_messages(json!([text_from("31600000001", "wamid.P")]));
        body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] =
            json!("12; DROP TABLE");
        assert_eq!(parse_json(&body).messages[0].business_phone_number_id, None);
    }

    // ---- statuses ------------------------------------------------------

    #[test]
    fn odd_statuses_are_skipped_and_the_rest_kept() {
        let body = envelope(json!({
            "statuses": [
                { "status": "read", "timestamp": "1767225700" },
                { "id": "wamid.S1", "status": "deleted", "timestamp": "1767225700" },
                { "id": "wamid.S2", "timestamp": "1767225700" },
                { "id": "wamid.S3", "status": "failed", "timestamp": 1767225700 },
                { "id": "wamid.S4", "status": "failed", "errors": { "code": 1 } },
                { "id": "wamid.S5", "status": "failed", "errors": [{ "title": "no code" }] },
                { "id": "wamid.S6", "status": "read", "errors": [{ "code": 131000, "title": "x" }] },
                "read"
            ]
        }));
        let batch = parse_json(&body);
        let kept: Vec<_> = batch
            .statuses
            .iter()
            .map(|s| (s.wamid.as_str(), s.status, s.error.clone()))
            .collect();
        assert_eq!(
            kept,
            [
                ("wamid.S3", DeliveryStatus::Failed, None),
                ("wamid.S4", DeliveryStatus::Failed, None),
                ("wamid.S5", DeliveryStatus::Failed, None),
                ("wamid.S6", DeliveryStatus::Read, None),
            ]
        );
        assert_eq!(batch.statuses[0].at, at(1_767_225_700));
        assert_eq!(batch.statuses[1].at, received());
        assert_eq!(batch.skipped.len(), 4, "{:?}", batch.skipped);
        assert!(batch.skipped[0].ends_with("status has no message id"));
        assert!(batch.skipped[1].contains("`deleted`"));
        assert!(batch.skipped[2].ends_with("status has no `status`"));
        assert!(batch.skipped[3].contains("expected an object, found \"read\""));
    }

    #[test]
    fn statuses_without_recipient_ids_are_kept() {
        let body = envelope(
            json!({ "statuses": [{ "id": "wamid.S7", "status": "delivered", "timestamp": "1767225700" }] }),
        );
        assert_eq!(parse_json(&body).statuses.len(), 1);
    }

    // ---- structure leniency --------------------------------------------

    #[test]
    fn one_odd_message_does_not_sink_the_rest_of_the_batch() {
        let body = with_messages(json!([
            5,
            "tekst",
            null,
            [],
            { "id": 7 },
            { "id": "wamid met spatie", "from": "31600000001" },
            text_from("31600000001", "wamid.GOOD")
        ]));
        let batch = parse_json(&body);
        assert_eq!(batch.messages.len(), 1);
        assert_eq!(batch.messages[0].wamid.as_str(), "wamid.GOOD");
        assert_eq!(batch.skipped.len(), 6, "{:?}", batch.skipped);
    }

    #[test]
    fn strings_where_objects_belong_become_skipped_lines() {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [
                "entry",
                { "changes": "changes" },
                { "id": "1" },
                { "changes": ["change", { "field": "messages" }, { "field": "messages", "value": "value" }, { "field": 5 }] },
                { "changes": [{ "field": "messages", "value": {
                    "metadata": "metadata",
                    "contacts": "contacts",
                    "messages": "messages",
                    "statuses": [{ "id": "wamid.OK", "status": "sent", "timestamp": "1767225600" }]
                } }] },
                { "changes": [{ "field": "messages", "value": {} }] }
            ]
        });
        let batch = parse_json(&body);
        assert_eq!(batch.statuses.len(), 1);
        assert_eq!(
            batch.skipped,
            [
                "entry 0: expected an object, found \"entry\"",
                "entry 1: `changes` is \"changes\"",
                "entry 2: no `changes`",
                "entry 3, change 0: expected an object, found \"change\"",
                "entry 3, change 1: `value` is missing",
                "entry 3, change 2: `value` is \"value\"",
                "entry 3, change 3: invalid type: integer `…`, expected a string",
                "entry 4, change 0: `messages` is \"messages\"",
                "entry 5, change 0: no messages or statuses",
            ]
        );
    }

    #[test]
    fn account_level_errors_from_meta_are_reported_as_skipped_lines() {
        let body =
            envelope(json!({ "errors": [{ "code": 131_000, "title": "Something went wrong" }] }));
        let batch = parse_json(&body);
        assert_eq!(
            batch.skipped,
            ["entry 0, change 0: Meta reports error 131000: Something went wrong"]
        );
    }

    #[test]
    fn unknown_fields_everywhere_are_ignored() {
        let body = json!({
            "object": "whatsapp_business_account",
            "nieuw": 1,
            "entry": [{ "id": "1", "time": 5, "changes": [{ "field": "messages", "extra": [], "value": {
                "messaging_product": "whatsapp",
                "toekomst": { "a": [1, 2, 3] },
                "messages": [{
                    "from": "31600000001", "id": "wamid.U", "timestamp": "1767225600", "type": "text",
                    "text": { "body": "Hallo", "preview_url": false }, "image": 5, "referral": { "x": 1 },
                    "group_id": "g", "context": { "forwarded": true }
                }]
            } }] }]
        });
        let batch = parse_json(&body);
        assert!(batch.skipped.is_empty(), "{:?}", batch.skipped);
        assert_eq!(batch.messages[0].content.text(), Some("Hallo"));
    }

    #[test]
    fn deep_nesting_inside_a_message_is_fine_below_serdes_limit() {
        let mut deep = json!("bodem");
        for _ in 0..100 {
            deep = json!([deep]);
        }
        let mut message = text_from("31600000001", "wamid.D");
        message["diep"] = deep;
        assert_eq!(
            parse_json(&with_messages(json!([message]))).messages.len(),
            1
        );
    }

    // ---- top level -----------------------------------------------------

    fn error_of(body: &[u8]) -> WebhookParseError {
        parse_webhook(body, received()).expect_err("not a webhook")
    }

    #[test]
    fn a_body_that_is_not_json_is_an_error_with_line_and_column() {
        let WebhookParseError::NotJson(message) = error_of(b"{\n  \"object\": geheim\n}") else {
            panic!("expected NotJson");
        };
        assert!(message.contains("line 2 column"), "{message}");
        assert!(!message.contains("geheim"));
        assert!(matches!(error_of(b""), WebhookParseError::NotJson(_)));
        assert!(matches!(
            error_of(b"\xff\xfe"),
            WebhookParseError::NotJson(_)
        ));
        assert!(matches!(
            error_of(b"{} trailing"),
            WebhookParseError::NotJson(_)
        ));
    }

    #[test]
    fn json_that_is_not_an_object_is_an_error() {
        for body in [
            &b"[]"[..],
            b"[{\"object\":\"whatsapp_business_account\",\"entry\":[]}]",
            b"null",
            b"42",
            b"\"x\"",
        ] {
            assert_eq!(error_of(body), WebhookParseError::NotAnObject);
        }
    }

    #[test]
    fn another_object_than_whatsapp_is_an_error_naming_it() {
        assert_eq!(
            error_of(br#"{"object":"page","entry":[]}"#),
            WebhookParseError::WrongObject {
                found: "\"page\"".into()
            }
        );
        assert_eq!(
            error_of(br#"{"entry":[]}"#),
            WebhookParseError::WrongObject {
                found: "missing".into()
            }
        );
        assert_eq!(
            error_of(br#"{"object":5,"entry":[]}"#),
            WebhookParseError::WrongObject {
                found: "a number".into()
            }
        );
    }

    #[test]
    fn an_envelope_without_an_entry_array_is_an_error() {
        for body in [
            &br#"{"object":"whatsapp_business_account"}"#[..],
            br#"{"object":"whatsapp_business_account","entry":{}}"#,
            br#"{"object":"whatsapp_business_account","entry":null}"#,
        ] {
            assert_eq!(error_of(body), WebhookParseError::NoEntries);
        }
    }

    #[test]
    fn an_empty_entry_array_is_an_empty_batch() {
        let batch = parse(br#"{"object":"whatsapp_business_account","entry":[]}"#);
        assert_eq!(batch, WebhookBatch::default());
    }

    #[test]
    fn very_deep_nesting_is_refused_without_overflowing_the_stack() {
        let body = "[".repeat(200_000);
        assert!(matches!(
            error_of(body.as_bytes()),
            WebhookParseError::NotJson(_)
        ));
        let body = format!(
            r#"{{"object":"whatsapp_business_account","entry":[{}]}}"#,
            "{\"a\":".repeat(500) + "1" + &"}".repeat(500)
        );
        let WebhookParseError::NotJson(message) = error_of(body.as_bytes()) else {
            panic!("expected NotJson");
        };
        assert!(message.contains("recursion limit"), "{message}");
    }

    #[test]
    fn numbers_too_large_for_a_float_are_a_json_error_and_big_integers_are_fine() {
        let body = with_messages(json!([text_from("31600000001", "wamid.N")])).to_string();
        let overflowing = body.replace("\"1767225600\"", "1e400");
        assert!(matches!(
            error_of(overflowing.as_bytes()),
            WebhookParseError::NotJson(_)
        ));
        let big = body.replace("\"1767225600\"", "123456789012345678901234567890123456789");
        let batch = parse(big.as_bytes());
        assert_eq!(batch.messages[0].sent_at, received());
    }

    #[test]
    fn error_messages_are_short_and_human() {
        assert_eq!(
            WebhookParseError::NotAnObject.to_string(),
            "body is JSON but not an object"
        );
        assert_eq!(
            WebhookParseError::NoEntries.to_string(),
            "body has no `entry` array"
        );
        assert_eq!(
            WebhookParseError::WrongObject {
                found: "\"page\"".into()
            }
            .to_string(),
            "`object` is \"page\", expected \"whatsapp_business_account\""
        );
    }

    // ---- helpers -------------------------------------------------------

    #[test]
    fn redact_removes_quoted_and_numeric_values_but_keeps_field_names() {
        assert_eq!(
            redact("invalid type: string \"mijn adres\", expected f64"),
            "invalid type: string \"…\", expected f64"
        );
        assert_eq!(
            redact("invalid type: integer `31600000001`, expected a string"),
            "invalid type: integer `…`, expected a string"
        );
        assert_eq!(redact("missing field `id`"), "missing field `id`");
    }

    #[test]
    fn names_from_the_payload_cannot_forge_log_lines() {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "changes": [
                { "field": "x\nERROR forged", "value": {} },
                { "field": "messages", "value": { "messages": [{ "id": "a\nb" }] } }
            ] }]
        });
        let batch = parse_json(&body);
        assert_eq!(batch.skipped.len(), 2, "{:?}", batch.skipped);
        assert!(
            batch.skipped.iter().all(|line| !line.contains('\n')),
            "{:?}",
            batch.skipped
        );
        assert_eq!(
            batch.skipped[0],
            "entry 0, change 0: field `x\\nERROR forged` is not handled"
        );
    }

    #[test]
    fn clip_cuts_on_characters_not_bytes() {
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(clip("ab", 2), "ab");
    }

    // ---- properties ----------------------------------------------------

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Keys Meta uses, so generated objects hit the real code paths.
        const KEYS: &[&str] = &[
            "object",
            "entry",
            "id",
            "changes",
            "field",
            "value",
            "metadata",
            "phone_number_id",
            "contacts",
            "wa_id",
            "user_id",
            "messages",
            "statuses",
            "errors",
            "from",
            "from_user_id",
            "timestamp",
            "type",
            "context",
            "text",
            "body",
            "image",
            "audio",
            "voice",
            "location",
            "latitude",
            "longitude",
            "interactive",
            "button_reply",
            "list_reply",
            "title",
            "button",
            "payload",
            "reaction",
            "message_id",
            "emoji",
            "order",
            "product_items",
            "system",
            "status",
            "code",
        ];

        fn scalar() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                prop::sample::select(KEYS).prop_map(Value::from),
                prop::sample::select(
                    &[
                        "31600000001",
                        "NL.1502576394655843",
                        "wamid.X",
                        "messages",
                        "whatsapp_business_account",
                        "failed",
                        "read",
                        "button_reply",
                        "1767225600",
                        ""
                    ][..]
                )
                .prop_map(Value::from),
                ".{0,12}".prop_map(Value::from),
            ]
        }

        fn json_value() -> impl Strategy<Value = Value> {
            scalar().prop_recursive(6, 96, 8, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::vec(
                        (prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_owned), 1 => ".{0,6}"], inner),
                        0..8
                    )
                    .prop_map(|fields| Value::Object(fields.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
                let _ = parse_webhook(&bytes, received());
            }

            #[test]
            fn arbitrary_json_never_panics(value in json_value()) {
                let _ = parse_webhook(value.to_string().as_bytes(), received());
            }

            #[test]
            fn arbitrary_entries_never_fail_the_envelope(entries in prop::collection::vec(json_value(), 0..4)) {
                let body = json!({ "object": "whatsapp_business_account", "entry": entries });
                let batch = parse_webhook(body.to_string().as_bytes(), received());
                prop_assert!(batch.is_ok());
            }

            #[test]
            fn arbitrary_messages_and_statuses_never_fail_the_envelope(
                messages in prop::collection::vec(json_value(), 0..4),
                statuses in prop::collection::vec(json_value(), 0..4),
                contacts in json_value(),
                metadata in json_value(),
            ) {
                let body = envelope(json!({
                    "metadata": metadata, "contacts": contacts, "messages": messages, "statuses": statuses
                }));
                let batch = parse_webhook(body.to_string().as_bytes(), received());
                prop_assert!(batch.is_ok());
                if let Ok(batch) = batch {
                    for message in &batch.messages {
                        prop_assert!(message.from.wa_id.is_some() || message.from.user_id.is_some());
                    }
                }
            }

            #[test]
            fn arbitrary_fields_on_a_message_never_fail_the_envelope(
                fields in prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..6)
            ) {
                let mut message = text_from("31600000001", "wamid.PROP");
                for (key, value) in fields {
                    // Keep the identity fields valid; fuzz everything else.
                    if !matches!(key, "id" | "from") {
                        message[key] = value;
                    }
                }
                let batch = parse_webhook(with_messages(json!([message])).to_string().as_bytes(), received());
                prop_assert!(batch.is_ok());
            }
        }
    }
}
