//! A message's content, read from the object named after its type.

use serde_json::{Map, Value};

use super::json::typed;
use super::raw::{
    RawButton, RawInteractive, RawLocation, RawMedia, RawOrder, RawReaction, RawReply, RawSystem,
    RawText,
};
use super::safe_text::{MAX_NAME_CHARS, printable};
use crate::domain::{InteractiveKind, MediaKind, MessageContent, Wamid};

/// The content of a message of type `kind`, read from the object of the
/// same name. A known type whose object is unusable becomes
/// `Unsupported { type_name: "<type>.malformed" }`: the citizen did send
/// something, so we keep it (and can say we could not read it) without
/// inventing data.
pub(super) fn content(kind: Option<&str>, payloads: &mut Map<String, Value>) -> MessageContent {
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
